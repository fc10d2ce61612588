"""Calibration: ECE/MCE by hand, bins and scores against scikit-learn, temperature scaling recovered."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy.special import expit, softmax
from sklearn.calibration import calibration_curve
from sklearn.metrics import brier_score_loss, log_loss

from lifecycle_widgets.core.explain.calibrate import (
    Calibration,
    apply_temperature,
    calibration,
    fit_temperature,
    reliability_bins,
)
from lifecycle_widgets.exceptions import ParameterError


def binary_data(n: int = 20_000, t0: float = 1.0, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Labels drawn from calibrated probabilities, returned with the logits multiplied by ``t0``."""
    rng = np.random.default_rng(seed)
    z = rng.normal(0.0, 2.0, n)
    y = (rng.random(n) < expit(z)).astype(int)
    return y, expit(t0 * z)


def multiclass_data(
    n: int = 20_000, k: int = 4, t0: float = 1.0, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    z = rng.normal(0.0, 1.5, (n, k))
    p = softmax(z, axis=1)
    y = (rng.random(n)[:, None] > np.cumsum(p, axis=1)).sum(axis=1)
    return y, softmax(t0 * z, axis=1)


def test_ece_and_mce_by_hand() -> None:
    y = np.array([0, 0, 1, 1, 0, 1, 1, 0])
    p = np.array([0.1, 0.2, 0.3, 0.6, 0.7, 0.9, 0.95, 0.5])
    r = calibration(y, p, n_bins=2, validation=(y, p))  # evaluate on every row
    # bin [0, 0.5]: 0.1 0.2 0.3 0.5 -> confidence 1.1/4, observed 1/4; bin (0.5, 1]: 0.6 0.7 0.9 0.95 -> 3.15/4, 3/4
    gap_low, gap_high = abs(1 / 4 - 1.1 / 4), abs(3 / 4 - 3.15 / 4)
    assert r.before.ece == pytest.approx(4 / 8 * gap_low + 4 / 8 * gap_high)
    assert r.before.mce == pytest.approx(max(gap_low, gap_high))
    low, high = r.before.bins
    assert (low.lower, low.upper, low.count, high.lower, high.upper, high.count) == (0.0, 0.5, 4, 0.5, 1.0, 4)
    assert low.mean_predicted == pytest.approx(1.1 / 4) and low.observed == pytest.approx(1 / 4)
    assert r.before.brier == pytest.approx(np.mean((p - y) ** 2))
    assert (r.n, r.n_fit, r.n_eval, r.validation) == (8, 8, 8, "given")


@pytest.mark.parametrize("strategy", ["uniform", "quantile"])
@pytest.mark.parametrize("n_bins", [5, 10, 15])
def test_bins_match_calibration_curve(strategy: str, n_bins: int) -> None:
    y, p = binary_data(3000, t0=1.7, seed=1)
    p = np.round(p, 2)  # values on the bin edges land in the lower bin, as in scikit-learn
    bins = reliability_bins(y, p, n_bins=n_bins, strategy=strategy)
    prob_true, prob_pred = calibration_curve(y, p, n_bins=n_bins, strategy=strategy)
    full = [b for b in bins if b.count]
    assert [b.observed for b in full] == pytest.approx(prob_true)
    assert [b.mean_predicted for b in full] == pytest.approx(prob_pred)
    assert sum(b.count for b in bins) == len(y)
    r = calibration(y, p, n_bins=n_bins, strategy=strategy, validation=(y, p))
    assert r.before.bins == bins


def test_scores_match_sklearn_binary() -> None:
    y, p = binary_data(2000, t0=2.0, seed=2)
    p[:3] = [0.0, 1.0, 1.0]  # log loss clips like scikit-learn
    r = calibration(y, p, validation=(y, p))
    assert r.before.brier == pytest.approx(brier_score_loss(y, p))
    assert r.before.log_loss == pytest.approx(log_loss(y, p))
    two_columns = np.column_stack([1 - p, p])
    assert calibration(y, two_columns, validation=(y, two_columns)) == r


def test_scores_match_sklearn_multiclass() -> None:
    y, p = multiclass_data(3000, k=3, t0=1.5, seed=3)
    r = calibration(y, p, n_bins=8, validation=(y, p))
    assert r.classes == ("0", "1", "2") and r.positive_label is None and r.multiclass
    assert r.confidence == "top_class"
    assert r.before.brier == pytest.approx(brier_score_loss(y, p))  # sum over classes, range [0, 2]
    assert r.before.log_loss == pytest.approx(log_loss(y, p))
    # the top-class reliability is calibration_curve of "top class is right" against the top confidence
    correct, confidence = (p.argmax(axis=1) == y).astype(int), p.max(axis=1)
    prob_true, prob_pred = calibration_curve(correct, confidence, n_bins=8)
    full = [b for b in r.before.bins if b.count]
    assert [b.observed for b in full] == pytest.approx(prob_true)
    assert [b.mean_predicted for b in full] == pytest.approx(prob_pred)
    weights = np.array([b.count for b in full]) / len(y)
    assert r.before.ece == pytest.approx(float(np.sum(weights * np.abs(prob_true - prob_pred))))


@pytest.mark.parametrize("t0", [0.5, 2.5])
def test_temperature_recovers_a_known_temperature_binary(t0: float) -> None:
    y, p = binary_data(20_000, t0=t0, seed=4)
    r = calibration(y, p)
    assert r.temperature == pytest.approx(t0, rel=0.08)
    assert r.after.ece < r.before.ece
    assert r.after.log_loss < r.before.log_loss
    assert r.after.ece < 0.02
    assert (r.validation, r.n_fit, r.n_eval, r.n_fit + r.n_eval) == ("split", 10_000, 10_000, 20_000)


@pytest.mark.parametrize("t0", [0.6, 2.0])
def test_temperature_recovers_a_known_temperature_multiclass(t0: float) -> None:
    y, p = multiclass_data(20_000, k=4, t0=t0, seed=5)
    r = calibration(y, p)
    assert r.temperature == pytest.approx(t0, rel=0.08)
    assert r.after.ece < r.before.ece
    assert r.after.brier < r.before.brier


def test_validation_set_fits_and_every_row_is_evaluated() -> None:
    y_val, p_val = binary_data(10_000, t0=3.0, seed=6)
    y, p = binary_data(4_000, t0=3.0, seed=7)
    r = calibration(y, p, validation=(y_val, p_val))
    assert (r.n, r.n_fit, r.n_eval) == (4000, 10_000, 4000)
    assert r.temperature == pytest.approx(fit_temperature(y_val, p_val))
    assert r.temperature == pytest.approx(3.0, rel=0.08)
    # before: the given rows as they are
    assert r.before.brier == pytest.approx(brier_score_loss(y, p))
    assert r.after.brier == pytest.approx(brier_score_loss(y, apply_temperature(p, r.temperature)))


def test_split_is_stratified_and_seeded() -> None:
    y = np.array([1] * 30 + [0] * 70)
    p = np.where(y == 1, 0.7, 0.2)
    r1, r2 = calibration(y, p, random_state=3), calibration(y, p, random_state=3)
    assert r1 == r2
    assert (r1.n_fit, r1.n_eval) == (50, 50)
    # stratified: the evaluation half holds 15 positives (scored 0.7) and 35 negatives (0.2)
    counts = [(round(b.mean_predicted, 9), b.count) for b in r1.before.bins if b.count]
    assert counts == [(0.2, 35), (0.7, 15)]
    assert calibration(y, p, validation_fraction=0.2).n_fit == 20


def test_apply_temperature() -> None:
    p = np.array([0.1, 0.5, 0.9])
    assert apply_temperature(p, 1.0) == pytest.approx(p)
    assert apply_temperature(p, 2.0) == pytest.approx(expit(np.log(p / (1 - p)) / 2))
    P = np.array([[0.7, 0.2, 0.1]])
    assert apply_temperature(P, 2.0) == pytest.approx(softmax(np.log(P) / 2, axis=1))


def test_string_labels_and_positive_label() -> None:
    y, p = binary_data(2000, seed=8)
    labels = np.where(y == 1, "spam", "ham")
    r = calibration(labels, p, positive_label="spam", validation=(labels, p))
    assert r.classes == ("ham", "spam") and r.positive_label == "spam"
    assert r.before.brier == pytest.approx(brier_score_loss(y, p))
    # the other class as positive: the same question about 1 - p
    other = calibration(labels, 1 - p, positive_label="ham", validation=(labels, 1 - p))
    assert other.before.brier == pytest.approx(r.before.brier)
    assert calibration(labels, p, validation=(labels, p)).positive_label == "spam"  # the greater class


def test_missing_classes_in_labels_with_integer_columns() -> None:
    y, p = multiclass_data(500, k=4, seed=9)
    keep = y != 3  # class 3 never occurs, but proba has four columns
    r = calibration(y[keep], p[keep], validation=(y[keep], p[keep]))
    assert r.classes == ("0", "1", "2", "3")
    assert r.before.log_loss == pytest.approx(log_loss(y[keep], p[keep], labels=[0, 1, 2, 3]))


def test_json_round_trip_with_empty_bins() -> None:
    y = np.array([0, 1, 0, 1, 1, 0])
    p = np.array([0.1, 0.9, 0.15, 0.85, 0.95, 0.05])
    r = calibration(y, p, n_bins=10, validation=(y, p))
    assert any(b.count == 0 and b.observed is None for b in r.before.bins)
    text = r.to_json()  # allow_nan=False
    assert Calibration.from_dict(json.loads(text)) == r
    assert Calibration.from_dict(r.to_dict()) == r
    assert json.loads(text)["kind"] == "calibration"
    frame = r.to_frame()
    assert list(frame.columns) == ["stage", "lower", "upper", "count", "mean_predicted", "observed"]
    assert len(frame) == 20 and set(frame.stage) == {"before", "after"}
    assert "ECE" in repr(r)


@pytest.mark.parametrize(
    ("y", "proba", "kwargs", "match"),
    [
        (
            [0, 1, 1],
            [0.2, 1.3, 0.5],
            {},
            r"'proba' parameter of calibration must hold probabilities in \[0, 1\]\. "
            r"Got 1 values outside \(min 0\.2, max 1\.3\)",
        ),
        ([0, 1, 1], [0.2, -0.1, 0.5], {}, r"probabilities in \[0, 1\].*min -0\.1"),
        (
            [0, 1],
            [[0.5, 0.4], [0.3, 0.7]],
            {},
            r"rows of 'proba' \(one column per class\) must sum to 1\. Got 1 rows "
            r"that do not, the first being row 0 with sum 0\.9",
        ),
        ([0, 1, 1], [0.2, 0.5], {}, r"must have one entry per row each\. Got 3 labels and 2 rows"),
        ([1, 1, 1], [0.2, 0.5, 0.9], {}, r"'y_true' parameter of calibration holds a single class \(1\)"),
        (
            [0, 1, 1],
            [0.2, 0.5, 0.9],
            {"n_bins": 1},
            r"'n_bins' parameter of calibration must be an integer of at least 2\. Got 1",
        ),
        (
            [0, 1, 1],
            [0.2, 0.5, 0.9],
            {"strategy": "kmeans"},
            r"'strategy'.*\['uniform', 'quantile'\]\. Got 'kmeans'",
        ),
        (
            [0, 1, 2],
            [0.2, 0.5, 0.9],
            {},
            r"'proba' parameter of calibration is 1-D .* y_true holds 3 classes",
        ),
        (
            [0, 1, 1],
            [0.2, 0.5, 0.9],
            {"positive_label": 2},
            r"'positive_label'.*one of the classes \['0', '1'\]\. Got 2",
        ),
        ([0, 1, 2], np.eye(3), {"positive_label": 1}, r"'positive_label'.*None for a multiclass problem"),
        (
            [0, 1, 1],
            [0.2, 0.5, 0.9],
            {"validation_fraction": 1.0},
            r"'validation_fraction'.*strictly between 0 and 1",
        ),
        ([0, 1, 1], [0.2, np.nan, 0.9], {}, r"'proba' parameter of calibration has 1 missing values"),
        (
            ["a", "b", "c"],
            np.full((3, 2), 0.5),
            {},
            r"'proba' parameter of calibration has 2 columns, but y_true holds 3 classes",
        ),
        ([0, 1, None], [0.2, 0.5, 0.9], {}, r"'y_true' parameter of calibration has 1 missing labels"),
        (
            [0, 1, 1],
            [0.2, 0.5, 0.9],
            {"validation": ([0, 1], [0.5])},
            r"'validation' parameter .* same length\. Got 2 and 1",
        ),
        ([0, 1], [0.2, 0.5], {"validation_fraction": 0.1}, r"leaves no rows to fit on with 2 rows"),
    ],
)
def test_bad_inputs(y, proba, kwargs, match) -> None:
    with pytest.raises(ParameterError, match=match):
        calibration(y, proba, **kwargs)


# --- the choice of recalibration map -------------------------------------------------------------
def sigmoid_miscalibrated(n: int = 6000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Labels from calibrated logits ``z``; the model reports ``sigmoid(2 z + 1.5)``: too sharp and
    shifted. Exactly a sigmoid of its logit undoes it (Platt: slope 1/2, intercept -3/4);
    temperature cannot shift, and isotonic pays for its many steps in variance."""
    rng = np.random.default_rng(seed)
    z = rng.normal(0.0, 1.5, n)
    y = (rng.random(n) < expit(z)).astype(int)
    return y, expit(2.0 * z + 1.5)


def plateau_miscalibrated(n: int = 6000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Scores uniform on [0, 1], true rates 0.1, 0.5 and 0.9 on three plateaus with jumps at 0.35
    and 0.65: monotone, but flat-jump-flat-jump-flat is no sigmoid of the logit, which bends
    once; a step function (isotonic) follows it."""
    rng = np.random.default_rng(seed)
    s = rng.uniform(0.0, 1.0, n)
    rate = np.select([s < 0.35, s < 0.65], [0.1, 0.5], 0.9)
    return (rng.random(n) < rate).astype(int), s


def test_platt_is_chosen_for_a_sigmoid_miscalibration_and_recovers_its_map() -> None:
    y, p = sigmoid_miscalibrated(seed=11)
    r = calibration(y, p)
    assert (r.method, r.selection) == ("platt", "auto")
    platt = r.chosen
    assert platt is not None and platt.name == "platt" and r.after == platt.metrics
    assert platt.parameters["slope"] == pytest.approx(0.5, abs=0.05)
    assert platt.parameters["intercept"] == pytest.approx(-0.75, abs=0.25)  # about 3 standard errors
    losses = {m.name: m.metrics.log_loss for m in r.methods}
    assert losses["platt"] == min(losses.values())
    assert r.after.log_loss < r.before.log_loss and r.after.ece < r.before.ece
    # the held-out log loss is scikit-learn's on the evaluation rows, and "none" is "before"
    assert losses["none"] == pytest.approx(r.before.log_loss)
    assert [m.name for m in r.methods] == ["none", "temperature", "platt", "isotonic"]


def test_isotonic_is_chosen_where_no_sigmoid_of_the_logit_fits() -> None:
    y, p = plateau_miscalibrated(seed=12)
    r = calibration(y, p)
    assert r.method == "isotonic"
    frame = r.methods_frame()
    best = frame.loc[frame.log_loss.idxmin()]
    assert best.method == "isotonic" and bool(best.chosen)
    # the isotonic map's bins sit on the plateaus it learned
    after = [b for b in r.after.bins if b.count]
    assert after[0].mean_predicted == pytest.approx(0.1, abs=0.03)
    assert after[-1].mean_predicted == pytest.approx(0.9, abs=0.03)


def test_a_calibrated_model_needs_no_map() -> None:
    rng = np.random.default_rng(13)
    z = rng.normal(0.0, 1.5, 6000)
    y = (rng.random(6000) < expit(z)).astype(int)
    r = calibration(y, expit(z))
    assert r.method in ("none", "temperature")  # nothing more flexible beats noise
    gains = {m.name: m.improvement for m in r.methods}
    assert max(gains.values()) < 0.005  # no map lowers the log loss by much
    assert r.temperature == pytest.approx(1.0, abs=0.1)


@pytest.mark.parametrize("method", ["none", "temperature", "platt", "isotonic"])
def test_a_named_method_is_reported_as_after(method: str) -> None:
    y, p = sigmoid_miscalibrated(3000, seed=14)
    r = calibration(y, p, method=method)
    assert (r.method, r.selection) == (method, "given")
    assert r.after == next(m.metrics for m in r.methods if m.name == method)
    if method == "none":
        assert r.after == r.before


def test_platt_and_isotonic_maps_match_scikit_learn() -> None:
    """Fitted on every row and applied to the same rows: Platt's probabilities are
    ``CalibratedClassifierCV(method="sigmoid")``'s (same smoothed targets), isotonic's are
    ``IsotonicRegression``'s."""
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.frozen import FrozenEstimator
    from sklearn.isotonic import IsotonicRegression
    from sklearn.linear_model import LogisticRegression

    from lifecycle_widgets.core.explain.calibration_methods import fit_map, logits

    rng = np.random.default_rng(15)
    X = rng.normal(size=(2000, 3))
    y = (rng.random(2000) < expit(X @ [1.0, -2.0, 0.5])).astype(int)
    model = LogisticRegression().fit(X[:500], y[:500])
    p = model.predict_proba(X[500:])[:, 1]
    ours = fit_map("platt", y[500:], p).apply(p)
    # scikit-learn's sigmoid calibration works on the decision function, which is our logit here
    theirs = CalibratedClassifierCV(FrozenEstimator(model), method="sigmoid").fit(X[500:], y[500:])
    assert ours == pytest.approx(theirs.predict_proba(X[500:])[:, 1], abs=1e-4)
    assert np.allclose(logits(p), model.decision_function(X[500:]), atol=1e-6)
    iso = IsotonicRegression(out_of_bounds="clip").fit(p, y[500:]).predict(p)
    floor = 0.5 / 1500
    assert fit_map("isotonic", y[500:], p).apply(p) == pytest.approx(np.clip(iso, floor, 1 - floor))


def test_multiclass_per_class_reliability_matches_calibration_curve() -> None:
    y, p = multiclass_data(6000, k=3, t0=2.0, seed=16)
    r = calibration(y, p, n_bins=8, validation=(y, p))  # evaluate on every row
    assert [c.label for c in r.before.per_class] == ["0", "1", "2"]
    for k, cls in enumerate(r.before.per_class):
        prob_true, prob_pred = calibration_curve((y == k).astype(int), p[:, k], n_bins=8)
        full = [b for b in cls.bins if b.count]
        assert [b.observed for b in full] == pytest.approx(prob_true)
        assert [b.mean_predicted for b in full] == pytest.approx(prob_pred)
        counts = np.array([b.count for b in full])
        assert cls.ece == pytest.approx(float(np.sum(counts / len(y) * np.abs(prob_true - prob_pred))))
        assert sum(b.count for b in cls.bins) == len(y)
    assert r.before.classwise_ece == pytest.approx(np.mean([c.ece for c in r.before.per_class]))
    assert r.after.classwise_ece < r.before.classwise_ece  # logits doubled: any map helps
    frame = r.classes_frame()
    assert set(frame["class"]) == {"0", "1", "2"} and set(frame.stage) == {"before", "after"}
    assert len(frame) == 2 * 3 * 8
    # binary problems have one curve, the positive class's
    yb, pb = binary_data(500, seed=17)
    assert calibration(yb, pb).before.per_class == () and calibration(yb, pb).classes_frame().empty


def test_multiclass_one_vs_rest_maps_renormalize() -> None:
    y, p = multiclass_data(4000, k=4, t0=2.5, seed=18)
    for method in ("platt", "isotonic"):
        from lifecycle_widgets.core.explain.calibration_methods import fit_map

        out = fit_map(method, y, p).apply(p)
        assert out.shape == p.shape and np.allclose(out.sum(axis=1), 1.0)
        r = calibration(y, p, method=method)
        assert r.after.log_loss < r.before.log_loss


def test_json_round_trip_with_methods_and_classes() -> None:
    y, p = multiclass_data(1500, k=3, t0=1.8, seed=19)
    r = calibration(y, p)
    assert Calibration.from_dict(json.loads(r.to_json())) == r
    # a record written before the methods were compared still reads: temperature scaling
    old = r.to_dict()
    for key in ("method", "selection", "methods"):
        old.pop(key)
    for stage in ("before", "after"):
        old[stage].pop("per_class")
        old[stage].pop("classwise_ece")
    back = Calibration.from_dict(old)
    assert back.method == "temperature" and back.chosen is None and back.methods_frame().empty


def test_unknown_method_lists_the_valid_ones() -> None:
    from lifecycle_widgets.exceptions import UnknownNameError

    with pytest.raises(UnknownNameError, match=r"No calibration method named 'beta'\. Available: auto, "):
        calibration([0, 1, 1], [0.2, 0.5, 0.9], method="beta")
