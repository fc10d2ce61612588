"""The retraining signal (issue 11, item 6): sustained over k of the last n batches, with its
reasons, and never raised by unlabeled batches with no drift."""

from __future__ import annotations

import numpy as np
import pytest

import lifecycle_widgets as lw
from lifecycle_widgets.core.drift.retraining import RetrainingPolicy
from lifecycle_widgets.panels.drift import signals_html, timeline_headline

FEATURES = ["age", "utilization", "late_payments", "n_accounts"]


@pytest.fixture(scope="module")
def base() -> lw.Baseline:
    return lw.Baseline.fit(lw.datasets.credit(3000, seed=0), target="defaulted")


@pytest.fixture(scope="module")
def batches() -> dict[str, object]:
    return {f"w{i}": lw.datasets.credit_batch(1500, seed=40 + i, drift=False) for i in range(6)}


def test_unlabeled_batches_without_drift_never_raise_it(base, batches) -> None:
    from sklearn.linear_model import LogisticRegression

    other = lw.datasets.credit(3000, seed=5)
    model = LogisticRegression(max_iter=500).fit(other[FEATURES], other["defaulted"])
    unlabeled = {k: b.drop(columns=["defaulted"]) for k, b in batches.items()}
    for policy in ((1, 1), (2, 3), (1, 6)):
        tl = lw.monitor(base, unlabeled, model=model, retrain_after=policy)
        assert not tl.retrain_recommended, tl.retraining.reasons
        assert tl.retraining.reasons == () and tl.retraining.batches == ()
    assert all(r.model_quality is None for r in tl.reports)  # no labels: quality is not judged


def test_one_drifted_batch_is_not_sustained(base, batches) -> None:
    series = dict(batches)
    series["w4"] = lw.datasets.credit_batch(1500, seed=60, drift=True)  # one drifted of the last 3
    tl = lw.monitor(base, series)
    assert not tl.retrain_recommended
    assert tl.retraining.batches == ("w4",) and tl.retraining.looked_at == ("w3", "w4", "w5")
    assert "fewer than the rule needs" in tl.retraining.summary
    # the same timeline under a stricter policy (any 1 of the last 3) raises it
    assert lw.monitor(base, series, retrain_after=(1, 3)).retrain_recommended


def test_sustained_drift_raises_it_with_reasons(base, batches) -> None:
    series = dict(batches)
    series["w3"] = lw.datasets.credit_batch(1500, seed=61, drift=True)
    series["w5"] = lw.datasets.credit_batch(1500, seed=62, drift=True)
    tl = lw.monitor(base, series, retrain_after=lw.core.drift.retraining.RetrainingPolicy(k=2, n=3))
    signal = tl.retraining
    assert tl.retrain_recommended and signal.raised
    assert signal.batches == ("w3", "w5")
    reasons = {(r.batch, r.check, r.feature) for r in signal.reasons}
    assert ("w3", "baseline_drift_check", "income") in reasons
    assert ("w5", "baseline_drift_check", "income") in reasons
    assert {r.batch for r in signal.reasons} == {"w3", "w5"}  # w4 gave none
    # only checks that speak for retraining count (a low-severity extra column does not)
    assert all(lw.core.drift.get_check(r.check).retrain for r in signal.reasons)
    # k of n, not "in a row": 2 of the last 3 with a clean batch between them
    assert not lw.monitor(base, series, retrain_after=(2, 2)).retrain_recommended
    # shown on the timeline: the decision, its reasons by batch, in the headline too
    html = signals_html(tl)
    assert "Retraining recommended" in html and "w3" in html and "baseline_drift_check" in html
    headline = timeline_headline(tl)[0]
    assert headline.severity == "high" and "w3, w5" in headline.text and "income" in headline.text
    page = tl.to_html()
    assert "what was found" in page and "2 of the last 3 batches give a reason" in page
    # the policy round-trips with the timeline
    again = lw.Timeline.from_dict(tl.to_dict())
    assert again == tl and again.policy == RetrainingPolicy(2, 3)


def test_quality_violations_are_reasons(base) -> None:
    from sklearn.linear_model import LogisticRegression

    train = lw.datasets.credit(4000, seed=7)
    model = LogisticRegression(max_iter=500).fit(train[FEATURES], train["defaulted"])
    holdout = lw.datasets.credit(3000, seed=8)
    quality_base = lw.Baseline.fit(holdout, target="defaulted", model=model)
    clean = [lw.datasets.credit_batch(1500, seed=70 + i, drift=False) for i in range(3)]
    flipped = [b.assign(defaulted=1 - b["defaulted"]) for b in clean]
    quiet = lw.monitor(quality_base, clean, model=model)
    assert not quiet.retrain_recommended
    loud = lw.monitor(quality_base, [clean[0], flipped[1], flipped[2]], model=model)
    assert loud.retrain_recommended
    assert {r.batch for r in loud.retraining.reasons if r.check == "model_quality_check"} == {
        "batch 2",
        "batch 3",
    }


@pytest.mark.parametrize(
    ("value", "match"),
    [
        ((3, 2), r"The 'k' parameter of RetrainingPolicy must be an integer from 1 to n \(2\)"),
        ((0, 3), r"'k' parameter"),
        ((1, 0), r"The 'n' parameter of RetrainingPolicy must be a positive integer"),
        (("2", 3), r"'k' parameter"),
        (2, r"The 'retrain_after' parameter of monitor must be a pair \(k, n\)"),
        ((1, 2, 3), r"'retrain_after' parameter"),
    ],
)
def test_bad_policy_is_refused_before_any_work(base, value, match) -> None:
    class Exploding(dict):
        def items(self):  # reading the batches would be work
            raise AssertionError("read the batches")

    with pytest.raises(lw.ParameterError, match=match):
        lw.monitor(base, Exploding(), retrain_after=value)


def test_policy_takes_numpy_integers() -> None:
    policy = RetrainingPolicy.of((np.int64(1), np.int64(2)))
    assert policy == RetrainingPolicy(1, 2) and type(policy.k) is int
