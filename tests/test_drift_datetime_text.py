"""Datetime and text columns are monitored (issue 11, item 11): future and out-of-range timestamps,
calendar shares, text lengths and the out-of-vocabulary share, each with a batch built to
trigger it and batches built not to."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import lifecycle_widgets as lw
from lifecycle_widgets.core.drift import ConstraintsError
from lifecycle_widgets.core.drift.datetime_text import tokens

AS_OF = "2026-12-01"
NEW_CHECKS = {"future_timestamp_check", "timestamp_range_check", "vocabulary_check"}


@pytest.fixture(scope="module")
def base() -> lw.Baseline:
    return lw.Baseline.fit(lw.datasets.credit(3000, seed=0), target="defaulted")


def found(report: lw.DriftReport) -> set[tuple[str, str]]:
    return {(v.constraint_check_type, v.feature_name) for v in report.violations}


def datetime_text_findings(report: lw.DriftReport) -> set[tuple[str, str]]:
    derived = {f.name for f in report.features if f.kind in ("calendar", "text length")}
    return {(c, f) for c, f in found(report) if c in NEW_CHECKS or f in derived}


def test_the_baseline_learns_datetime_and_text_rules(base) -> None:
    learned = base.constraints["lifecycle_widgets"]["features"]
    login = learned["last_login"]["datetime"]
    assert login["earliest"].startswith("2026-01-01") and login["latest"].startswith("2026-03-3")
    assert login["bound_latest"] is False and login["future_share"] == 0.0
    assert sum(login["calendar"]["day_of_week"]) == 3000 and len(login["calendar"]["hour"]) == 24
    notes = learned["notes"]["text"]
    frame = lw.datasets.credit(3000, seed=0)
    words = {t for s in frame["notes"].dropna() for t in tokens(s)}
    assert set(notes["vocabulary"]) == words  # fewer than 1,000 words: all of them
    assert notes["oov_share"] == 0.0  # eight words of a small vocabulary: none new in new rows
    lengths = frame["notes"].dropna().str.len()
    assert sum(notes["lengths"]["counts"]) == len(lengths)
    assert notes["lengths"]["quantiles"][100] == pytest.approx(lengths.median())


@pytest.mark.parametrize("n", [300, 3000])
def test_undrifted_batches_raise_none_of_them(base, n) -> None:
    for seed in range(4):
        report = base.check(lw.datasets.credit_batch(n, seed=100 + seed, drift=False), as_of=AS_OF)
        assert datetime_text_findings(report) == set(), seed
        names = {f.name for f in report.features}
        assert {"last_login (day of week)", "last_login (hour)", "notes (length)"} <= names
        assert "last_login (month)" not in names  # the batch spans 90 days, not a year


def test_future_timestamps(base) -> None:
    batch = lw.datasets.credit_batch(2000, seed=5, drift=False)
    batch.loc[:199, "last_login"] = pd.Timestamp("2028-06-01")
    report = base.check(batch, as_of=AS_OF)
    assert ("future_timestamp_check", "last_login") in found(report)
    text = next(
        v.description for v in report.violations if v.constraint_check_type == "future_timestamp_check"
    )
    assert "200 of 2,000 timestamps (10.0%) are later than 2026-12-01 00:00 UTC" in text
    # as_of is configurable: seen from 2030 these are not in the future
    assert ("future_timestamp_check", "last_login") not in found(base.check(batch, as_of="2030-01-01"))
    # and defaults to now: 2028 is ahead of any day these tests run before it
    if pd.Timestamp.now() < pd.Timestamp("2028-06-01"):
        assert ("future_timestamp_check", "last_login") in found(base.check(batch))


def test_out_of_range_timestamps(base) -> None:
    batch = lw.datasets.credit_batch(2000, seed=6, drift=False)
    batch.loc[:99, "signup_date"] = pd.Timestamp("1970-01-01", tz="UTC")  # a placeholder date
    report = base.check(batch, as_of=AS_OF)
    assert ("timestamp_range_check", "signup_date") in found(report)
    text = next(v.description for v in report.violations if v.feature_name == "signup_date")
    assert "100 of 2,000 timestamps lie outside" in text and "1970-01-01" in text
    # later than the baseline's latest: allowed by default (event clocks move forward) ...
    later = lw.datasets.credit_batch(2000, seed=7, drift=False)
    later["last_login"] = later["last_login"] + pd.Timedelta(days=200)
    assert ("timestamp_range_check", "last_login") not in found(base.check(later, as_of=AS_OF))
    # ... and refused where the constraint bounds the latest too
    cons = json.loads(json.dumps(base.constraints))
    cons["lifecycle_widgets"]["features"]["last_login"]["datetime"]["bound_latest"] = True
    bounded = base.with_constraints(cons)
    assert ("timestamp_range_check", "last_login") in found(bounded.check(later, as_of=AS_OF))


def test_calendar_distribution(base) -> None:
    batch = lw.datasets.credit_batch(2000, seed=8, drift=False)
    stamps = batch["last_login"]
    # every login moved to the Saturday or Sunday of its week: the days of the week changed
    weekend = (
        stamps
        - pd.to_timedelta(stamps.dt.day_of_week, unit="D")
        + pd.to_timedelta(5 + stamps.index % 2, unit="D")
    )
    report = base.check(batch.assign(last_login=weekend), as_of=AS_OF)
    drift = report.feature("last_login (day of week)")
    assert drift.drifted and drift.kind == "calendar" and drift.method == "jensen_shannon"
    assert drift.bins == ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
    assert sum(drift.current_shares[5:]) == pytest.approx(1.0)
    assert ("baseline_drift_check", "last_login (day of week)") in found(report)
    assert not report.feature("last_login (hour)").drifted  # the hours did not change
    # a batch of one day holds one weekday by construction: no day-of-week comparison
    one_day = batch.assign(
        last_login=pd.Timestamp("2026-06-03") + pd.to_timedelta(np.arange(2000) * 40, unit="s")
    )
    names = {f.name for f in base.check(one_day, as_of=AS_OF).features}
    assert "last_login (day of week)" not in names and "last_login (hour)" not in names


def test_text_lengths(base) -> None:
    batch = lw.datasets.credit_batch(2000, seed=9, drift=False)
    longer = batch["notes"].map(
        lambda s: s if not isinstance(s, str) else " ".join([s] * 3), na_action="ignore"
    )
    report = base.check(batch.assign(notes=longer), as_of=AS_OF)
    drift = report.feature("notes (length)")
    assert drift.drifted and drift.kind == "text length" and drift.method == "winsorized_wasserstein"
    assert ("baseline_drift_check", "notes (length)") in found(report)
    assert ("vocabulary_check", "notes") not in found(report)  # the same words, three times


def test_out_of_vocabulary_share(base) -> None:
    batch = lw.datasets.credit_batch(2000, seed=10, drift=False)
    rng = np.random.default_rng(0)
    new_words = np.array(["chargeback", "refund", "crypto", "overdraft", "sanction"])

    def half_new(s: str) -> str:
        words = s.split()
        return " ".join(w if i % 2 else str(rng.choice(new_words)) for i, w in enumerate(words))

    report = base.check(batch.assign(notes=batch["notes"].map(half_new, na_action="ignore")), as_of=AS_OF)
    assert ("vocabulary_check", "notes") in found(report)
    text = next(v.description for v in report.violations if v.constraint_check_type == "vocabulary_check")
    assert text.startswith("50.0% of the batch's")
    assert ("vocabulary_check", "notes") not in found(base.check(batch, as_of=AS_OF))


def zipf_text(n: int, seed: int, *, vocabulary: int = 5000) -> pd.DataFrame:
    """Rows of 12 words from a Zipf-like vocabulary of 5,000 words: many words are rare, so new
    rows hold words the baseline's top 1,000 lack, and the expected share is far from zero."""
    rng = np.random.default_rng(seed)
    weights = 1 / np.arange(1, vocabulary + 1) ** 1.1
    ids = rng.choice(vocabulary, size=(n, 12), p=weights / weights.sum())
    return pd.DataFrame({"text": [" ".join(f"w{i}" for i in row) for row in ids], "x": rng.normal(size=n)})


def test_out_of_vocabulary_share_is_sampling_aware() -> None:
    base = lw.Baseline.fit(zipf_text(4000, 0))
    rule = base.constraints["lifecycle_widgets"]["features"]["text"]["text"]
    assert len(rule["vocabulary"]) == 1000 and 0.05 < rule["oov_share"] < 0.4
    for n in (100, 1000, 5000):  # the same process: the share of new words is as expected
        for seed in range(5):
            report = base.check(zipf_text(n, 1000 * n + seed))
            assert ("vocabulary_check", "text") not in found(report), (n, seed)
    # a wider vocabulary: many more words outside the baseline's
    wider = base.check(
        zipf_text(1000, 7, vocabulary=50_000).assign(text=lambda d: d["text"].str.replace("w", "v"))
    )
    assert ("vocabulary_check", "text") in found(wider)


def test_rules_survive_save_and_load_and_are_validated(base, tmp_path) -> None:
    base.save(tmp_path / "b")
    loaded = lw.Baseline.load(tmp_path / "b")
    assert loaded.constraints["lifecycle_widgets"] == base.constraints["lifecycle_widgets"]
    batch = lw.datasets.credit_batch(1000, seed=11, drift=False)
    assert (
        loaded.check(batch, as_of=AS_OF).to_dict()["features"]
        == base.check(batch, as_of=AS_OF).to_dict()["features"]
    )
    path = tmp_path / "b" / "constraints.json"
    saved = json.loads(path.read_text())
    cases = [
        (("last_login", "datetime", "earliest"), "yesterday", r"features\.last_login\.datetime\.earliest must be an ISO timestamp"),
        (("last_login", "datetime", "calendar", "hour"), [1, 2], r"datetime\.calendar\.hour must be a list of 24 numbers"),
        (("last_login", "datetime", "tolerance"), float("inf"), r"datetime\.tolerance must be a finite number"),
        (("notes", "text", "vocabulary"), [1, 2], r"features\.notes\.text\.vocabulary must be a list of words"),
        (("notes", "text", "oov_share"), 1.5, r"text\.oov_share must be a finite number between 0 and 1"),
        (("notes", "text", "lengths", "counts"), [1], r"text\.lengths\.counts must be a list of"),
        (("age", "text"), {}, r"features\.age\.text: 'age' is integer, not text"),
    ]  # fmt: skip
    for keys, value, match in cases:
        cons = json.loads(json.dumps(saved))
        node = cons["lifecycle_widgets"]["features"]
        for k in keys[:-1]:
            node = node[k]
        node[keys[-1]] = value
        path.write_text(json.dumps(cons, allow_nan=True))
        with pytest.raises(ConstraintsError, match=match):
            lw.Baseline.load(tmp_path / "b")


def test_shown_in_the_report_and_the_baseline(base) -> None:
    batch = lw.datasets.credit_batch(1000, seed=12, drift=False)
    batch.loc[:99, "last_login"] = pd.Timestamp("2028-01-01")
    report = base.check(batch, as_of=AS_OF)
    page = report.to_html()
    assert (
        "future_timestamp_check" in page and "last_login (day of week)" in page and "notes (length)" in page
    )
    assert "vocabulary of" in base.to_html() and "calendar shares" in base.to_html()


def test_bad_as_of_is_refused_before_any_work(base) -> None:
    with pytest.raises(lw.ParameterError, match="'as_of' parameter of check must be a timestamp"):
        base.check(lw.datasets.credit_batch(100), as_of="not a date")
