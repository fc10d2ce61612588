"""Learned constraints (range with a tolerance, whole numbers, unique identifiers) under
constraints.json's extension key, and strict validation of hand-edited constraint files: every
bad value is a ConstraintsError naming its key path, never a crash or a check switched off."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import lifecycle_widgets as lw
from lifecycle_widgets.core.drift import ConstraintsError


@pytest.fixture(scope="module")
def base() -> lw.Baseline:
    return lw.Baseline.fit(lw.datasets.credit(6000, seed=0), target="defaulted")


@pytest.fixture(scope="module")
def clean() -> pd.DataFrame:
    return lw.datasets.credit_batch(2000, seed=11, drift=False)


def checks(report: lw.DriftReport, feature: str) -> set[str]:
    return {v.constraint_check_type for v in report.violations if v.feature_name == feature}


def test_learned_constraints_live_under_the_extension_key(base) -> None:
    learned = base.constraints["lifecycle_widgets"]["features"]
    assert learned["age"] == {"range": {"min": 18.0, "max": 79.0, "tolerance": 0.1}, "integral": True}
    assert learned["customer_id"] == {"unique": True}
    assert "integral" not in learned["income"]  # incomes have cents
    assert "region" not in learned and "defaulted" not in learned  # categories and flags: no range
    # Model Monitor's own entries are untouched
    age = next(f for f in base.constraints["features"] if f["name"] == "age")
    assert set(age) == {
        "name",
        "inferred_type",
        "completeness",
        "num_constraints",
        "monitoringConfigOverrides",
    }


def test_an_age_of_150_against_a_training_maximum_of_79_is_a_violation(base, clean) -> None:
    assert base.feature("age").max == 79
    report = base.check(clean.iloc[:200].assign(age=150))
    assert "range_check" in checks(report, "age")
    text = next(v.description for v in report.violations if v.constraint_check_type == "range_check")
    assert "200 of 200 values lie outside 11.9 to 85.1" in text and "150" in text
    assert "range_check" not in checks(base.check(clean.iloc[:200]), "age")


def test_in_range_batches_of_every_size_raise_no_learned_constraint(base) -> None:
    learned = {"range_check", "integral_check", "uniqueness_check", "non_negative_check"}
    for rows, seed in ((150, 1), (2_000, 2), (20_000, 3)):
        report = base.check(lw.datasets.credit_batch(rows, seed=seed, drift=False))
        assert not {v.constraint_check_type for v in report.violations} & learned, report.violations


def test_one_stray_value_is_noise_many_are_not(base, clean) -> None:
    """One value just outside the range in 2,000 rows is what an unseen extreme looks like; a
    tenth of the batch outside is not."""
    one = clean.copy()
    one.loc[one.index[0], "age"] = 86
    assert "range_check" not in checks(base.check(one), "age")
    many = clean.copy()
    many.loc[many.index[:200], "age"] = 86
    assert "range_check" in checks(base.check(many), "age")


def test_fractions_where_every_value_was_whole(base, clean) -> None:
    """5 % of the ages with a half year: below data_type_check's 10 %, found by integral_check."""
    batch = clean.assign(age=clean["age"].astype(float))
    batch.loc[batch.index[:100], "age"] += 0.5
    report = base.check(batch)
    assert checks(report, "age") == {"integral_check"}
    assert "100 of 2,000 values are not whole numbers" in report.violations[0].description
    as_float = clean.assign(age=clean["age"].astype(float))  # whole numbers stored as floats
    assert not checks(base.check(as_float), "age")


def test_an_identifier_that_repeats(base, clean) -> None:
    batch = clean.copy()
    batch.loc[batch.index[:10], "customer_id"] = batch["customer_id"].iloc[10]
    report = base.check(batch)
    assert checks(report, "customer_id") == {"uniqueness_check"}
    assert report.violations[0].description.startswith("10 values repeat an earlier one")
    assert not checks(base.check(clean), "customer_id")


def test_repeats_are_counted_across_chunks(base, clean, tmp_path) -> None:
    batch = pd.concat([clean, clean.iloc[:5]], ignore_index=True)  # 5 repeats, in another row group
    batch.to_parquet(tmp_path / "b.parquet", row_group_size=500)
    report = base.check(tmp_path / "b.parquet", chunk_rows=500)
    assert "5 values repeat" in next(
        v.description for v in report.violations if v.feature_name == "customer_id"
    )


def test_non_negative_needs_more_than_noise() -> None:
    """N(50, 10) never goes below 0 in a baseline of 5,000 rows; one negative value in 100,000
    rows of the same distribution is an unseen extreme, not a broken constraint."""
    rng = np.random.default_rng(4)
    base = lw.Baseline.fit(pd.DataFrame({"x": rng.normal(50, 10, 5_000)}))
    assert base.constraints["features"][0]["num_constraints"] == {"is_non_negative": True}
    batch = pd.DataFrame({"x": rng.normal(50, 10, 100_000)})
    batch.loc[0, "x"] = -1.0
    assert base.check(batch).violations == ()
    batch.loc[:99, "x"] = -1.0
    assert "non_negative_check" in checks(base.check(batch), "x")


def test_alpha_one_is_model_monitors_any_value(base, clean, tmp_path) -> None:
    base.save(tmp_path)
    path = tmp_path / "constraints.json"
    cons = json.loads(path.read_text())
    cons["lifecycle_widgets"]["significance"]["alpha"] = 1
    path.write_text(json.dumps(cons))
    one = clean.copy()
    one.loc[one.index[0], "age"] = 86
    assert "range_check" in checks(lw.Baseline.load(tmp_path).check(one), "age")


def test_hand_edited_range_is_honoured(base, clean, tmp_path) -> None:
    base.save(tmp_path)
    path = tmp_path / "constraints.json"
    cons = json.loads(path.read_text())
    cons["lifecycle_widgets"]["features"]["age"]["range"] = {"min": 18, "max": 40, "tolerance": 0}
    path.write_text(json.dumps(cons))
    assert "range_check" in checks(lw.Baseline.load(tmp_path).check(clean), "age")


# --- strict validation -----------------------------------------------------------------------------


def _set(path: list, value) -> callable:
    def edit(cons: dict) -> None:
        node = cons
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value

    return edit


def _nested(depth: int) -> object:
    value: object = 1
    for _ in range(depth):
        value = [value]
    return value


BAD = [
    # non-finite numbers, wherever they are
    (
        _set(["features", 1, "completeness"], float("nan")),
        r"features\[1\]\.completeness must be a finite number",
    ),
    (
        _set(["lifecycle_widgets", "features", "age", "range", "max"], float("inf")),
        r"lifecycle_widgets\.features\.age\.range\.max must be a finite number",
    ),
    (_set(["version"], float("-inf")), r"^version must be a finite number"),
    # wrong types
    (_set(["features"], {}), r"features must be a list; got dict"),
    (_set(["monitoring_config"], []), r"monitoring_config must be an object, got list"),
    (
        _set(["monitoring_config", "distribution_constraints"], "Simple"),
        r"monitoring_config\.distribution_constraints must be an object, got str",
    ),
    (_set(["features", 1, "name"], 3), r"features\[1\]\.name 3 is not a feature"),
    (_set(["features", 1, "num_constraints"], True), r"features\[1\]\.num_constraints must be an object"),
    (
        _set(["lifecycle_widgets", "features", "age", "integral"], "yes"),
        r"lifecycle_widgets\.features\.age\.integral must be true or false; got 'yes'",
    ),
    (
        _set(["lifecycle_widgets", "features", "age", "range", "min"], "18"),
        r"lifecycle_widgets\.features\.age\.range\.min must be a number; got '18'",
    ),
    (
        _set(["monitoring_config", "emit_metrics"], ["Enabled"]),
        r"monitoring_config\.emit_metrics must be one of",
    ),
    # values out of range
    (
        _set(["lifecycle_widgets", "features", "age", "range", "min"], 90),
        r"lifecycle_widgets\.features\.age\.range\.min \(90\) is above lifecycle_widgets\.features\.age\.range\.max",
    ),
    (
        _set(["lifecycle_widgets", "features", "age", "range", "tolerance"], -0.1),
        r"lifecycle_widgets\.features\.age\.range\.tolerance must be a finite number >= 0",
    ),
    # unknown keys and names
    (
        _set(["lifecycle_widgets", "features", "age", "rnage"], {}),
        r"Unknown key 'rnage' in lifecycle_widgets\.features\.age; allowed keys: datetime, integral, range, text, unique",
    ),
    (
        _set(["lifecycle_widgets", "features", "nope"], {"unique": True}),
        r"lifecycle_widgets\.features\.nope: 'nope' is not a feature",
    ),
    (
        _set(["lifecycle_widgets", "features", "region"], {"range": {"min": 0, "max": 1}}),
        r"lifecycle_widgets\.features\.region\.range: 'region' is categorical, not numeric",
    ),
    (
        _set(["model_quality_constraints", "binary_classification_constraints", "acuracy"], {}),
        r"Unknown key 'acuracy' in model_quality_constraints\.binary_classification_constraints; allowed keys: "
        r"accuracy, auc",
    ),
    (
        _set(
            ["model_quality_constraints", "binary_classification_constraints", "auc"],
            {"threshold": float("nan"), "comparison_operator": "LessThanThreshold"},
        ),
        r"model_quality_constraints\.binary_classification_constraints\.auc\.threshold must be a finite number",
    ),
    (
        _set(["features", 7, "monitoringConfigOverrides"], {"comparison_method": "winsorized_wasserstein"}),
        r"features\[7\]\.monitoringConfigOverrides\.comparison_method 'winsorized_wasserstein' compares numbers, "
        r"and 'region' is categorical",
    ),
    # repeated entries and deep nesting
    (lambda c: c["features"].append(dict(c["features"][1])), r"features\[\d+\]\.name 'age' is listed twice"),
    (
        _set(["features", 8, "string_constraints", "domains"], _nested(40)),
        r"features\[8\]\.string_constraints\.domains(\[0\]){13} nests deeper than 16 levels",
    ),
    (
        _set(["features", 8, "string_constraints", "domains"], [["a"]]),
        r"features\[8\]\.string_constraints\.domains\[0\] must be a string or a number",
    ),
]


@pytest.mark.parametrize(("edit", "match"), BAD)
def test_bad_constraint_files_name_the_key_path(base, tmp_path, edit, match) -> None:
    base.save(tmp_path)
    path = tmp_path / "constraints.json"
    cons = json.loads(path.read_text())
    cons["model_quality_constraints"] = {
        "binary_classification_constraints": {
            "auc": {"threshold": 0.7, "comparison_operator": "LessThanThreshold"}
        }
    }
    assert [f["name"] for f in cons["features"]][1] == "age"
    assert [f["name"] for f in cons["features"]][8] == "employment_type"
    edit(cons)
    path.write_text(json.dumps(cons))
    with pytest.raises(ConstraintsError, match=match):
        lw.Baseline.load(tmp_path)


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ('{"features": [', r"constraints\.json is not valid JSON: Expecting value at line 1, column 15"),
        ("[" * 100_000 + "]" * 100_000, r"constraints\.json nests deeper than 16 levels"),
        ("[]", r"constraints\.json must be an object, got list"),
    ],
    ids=["truncated", "a hundred thousand levels", "not an object"],
)
def test_unreadable_constraint_files_are_constraint_errors(base, tmp_path, text, match) -> None:
    base.save(tmp_path)
    (tmp_path / "constraints.json").write_text(text)
    with pytest.raises(ConstraintsError, match=match):
        lw.Baseline.load(tmp_path)


def test_with_constraints_validates_too(base) -> None:
    cons = json.loads(json.dumps(base.constraints))
    cons["lifecycle_widgets"]["features"]["age"]["range"]["max"] = float("nan")
    with pytest.raises(ConstraintsError, match=r"lifecycle_widgets\.features\.age\.range\.max"):
        base.with_constraints(cons)


def test_validation_runs_before_any_row_is_read(base, tmp_path) -> None:
    """A bad file fails at load, not halfway through checking a batch."""
    base.save(tmp_path)
    path = tmp_path / "constraints.json"
    cons = json.loads(path.read_text())
    cons["lifecycle_widgets"]["significance"]["alpha"] = "small"
    path.write_text(json.dumps(cons))
    with pytest.raises(ConstraintsError, match="alpha"):
        lw.Baseline.load(tmp_path)


# --- calendar windows and chunks -----------------------------------------------------------------


@pytest.fixture(scope="module")
def dated() -> pd.DataFrame:
    """Hourly rows from 2026-01-01 00:00 to 2026-04-11 (2,400 hours)."""
    frame = lw.datasets.credit_batch(2400, seed=21, drift=False)
    frame["ts"] = pd.Timestamp("2026-01-01") + pd.to_timedelta(np.arange(2400), unit="h")
    return frame


@pytest.mark.parametrize(
    ("window", "labels"),
    [
        ("1D", ("2026-01-01", "2026-01-02")),
        ("1W", ("2026-01-01 to 2026-01-07", "2026-01-08 to 2026-01-14")),
        ("30D", ("2026-01-01 to 2026-01-30", "2026-01-31 to 2026-03-01")),  # epoch-aligned: 2025-12-08
        ("1M", ("2026-01-01 to 2026-01-31", "2026-02-01 to 2026-02-28")),
        ("1Q", ("2026-01-01 to 2026-03-31", "2026-04-01 to 2026-06-30")),
        ("12h", ("2026-01-01 00:00 to 11:59", "2026-01-01 12:00 to 23:59")),
    ],
)
def test_calendar_windows_start_at_the_first_timestamp(base, dated, window, labels) -> None:
    timeline = lw.monitor(base, dated, time_column="ts", window=window, progress=False)
    assert timeline.labels[:2] == labels
    assert sum(r.rows for r in timeline.reports) == len(dated)
    first = timeline.reports[0]
    assert first.rows == ((dated["ts"] < pd.Timestamp(labels[1][:10])).sum() if window != "12h" else 12)


def test_months_have_their_calendar_lengths(base, dated) -> None:
    rows = [r.rows for r in lw.monitor(base, dated, time_column="ts", window="1M", progress=False).reports]
    assert rows == [31 * 24, 28 * 24, 31 * 24, 2400 - 90 * 24]


def test_windows_of_data_that_starts_mid_month(base, dated) -> None:
    later = dated.assign(ts=dated["ts"] + pd.Timedelta(days=14, hours=9))  # 2026-01-15 09:00
    timeline = lw.monitor(base, later, time_column="ts", window="1M", progress=False)
    assert timeline.labels[0] == "2026-01-15 to 2026-02-14"


def test_rows_without_a_timestamp_are_one_more_batch(base, dated) -> None:
    gappy = dated.copy()
    gappy.loc[gappy.index[:30], "ts"] = pd.NaT
    timeline = lw.monitor(base, gappy, time_column="ts", window="1M", progress=False)
    assert timeline.labels[-1] == "no timestamp" and timeline.reports[-1].rows == 30
    assert sum(r.rows for r in timeline.reports) == len(gappy)


def test_fixed_size_chunks(base, dated) -> None:
    timeline = lw.monitor(base, dated.drop(columns="ts"), chunk_size=1000, progress=False)
    assert timeline.labels == ("rows 1 to 1,000", "rows 1,001 to 2,000", "rows 2,001 to 2,400")
    assert [r.rows for r in timeline.reports] == [1000, 1000, 400]
    shuffled = dated.sample(frac=1.0, random_state=0)
    by_time = lw.monitor(base, shuffled, time_column="ts", chunk_size=1200, progress=False)
    assert by_time.labels == (
        "2026-01-01 00:00 to 2026-02-19 23:00 (rows 1 to 1,200)",
        "2026-02-20 00:00 to 2026-04-10 23:00 (rows 1,201 to 2,400)",
    )


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"chunk_size": 0}, lw.ParameterError, "'chunk_size' parameter of monitor must be a positive number"),
        (
            {"chunk_size": 2.5},
            lw.ParameterError,
            "'chunk_size' parameter of monitor must be a positive number",
        ),
        (
            {"chunk_size": 10, "time_column": "ts", "window": "1D"},
            lw.ParameterError,
            "either window or chunk_size",
        ),
        ({"time_column": "ts", "window": "0D"}, lw.ParameterError, "at least one day"),
        ({"time_column": "ts", "window": "1s"}, lw.ParameterError, "more than 100,000 windows"),
        (
            {"time_column": "region", "window": "1D"},
            lw.ColumnError,
            "'region': the time column does not hold",
        ),
    ],
)
def test_bad_windows_and_chunks(base, dated, kwargs, error, match) -> None:
    with pytest.raises(error, match=match):
        lw.monitor(base, dated, **kwargs)
