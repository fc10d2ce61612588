"""Performance without labels: CBPE for classifiers, DLE for regressors.

Known values come from the expected confusion matrix computed by hand on scores that are
calibrated by construction, thresholds from scikit-learn's metrics on the reference's chunks,
sampling errors from the spread of the realized metric over many random chunks, and the
estimates of NannyML 0.13 itself, run in its own venv on the same data and model outputs.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import make_column_transformer
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits, load_wine
from sklearn.ensemble import RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.metrics import (
    accuracy_score,
    f1_score,
    precision_recall_fscore_support,
    roc_auc_score,
)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

import lifecycle_widgets as lw
from lifecycle_widgets.core.drift.performance_estimation import (
    PerformanceEstimate,
    PerformanceEstimator,
    estimate_performance,
)
from lifecycle_widgets.panels import display
from tests.venvs import cached_venv

# NannyML 0.13.1 (July 2025) and the releases of its time: it pins plotly < 6 and predates
# pandas 3, so it lives in a venv of its own
NANNYML = [
    "nannyml==0.13.1",
    "pandas==2.2.3",
    "numpy==1.26.4",
    "scikit-learn==1.5.2",
    "scipy==1.14.1",
    "pyarrow==17.0.0",
    "lightgbm==4.5.0",
    "category-encoders==2.6.4",
    "matplotlib==3.9.4",
]
NANNYML_ENV = {"NML_DISABLE_USAGE_LOGGING": "1", "OMP_NUM_THREADS": "1"}


def split(X: pd.DataFrame, y: pd.Series, n_train: int, n_reference: int, *, seed: int = 0) -> tuple:
    """Shuffled train, reference and later rows."""
    order = np.random.default_rng(seed).permutation(len(X))
    X, y = X.iloc[order].reset_index(drop=True), y.iloc[order].reset_index(drop=True)
    a, b = n_train, n_train + n_reference
    return (X[:a], y[:a]), (X[a:b].reset_index(drop=True), y[a:b].reset_index(drop=True)), (X[b:], y[b:])


def sorted_by(X: pd.DataFrame, y: pd.Series, column: str) -> tuple[pd.DataFrame, pd.Series]:
    """Rows ordered by one feature: consecutive chunks see different parts of its range, a
    covariate shift that leaves the relation of the target to the features alone."""
    order = X[column].sort_values(kind="stable").index
    return X.loc[order].reset_index(drop=True), y.loc[order].reset_index(drop=True)


class ScoreModel:
    """A classifier whose probability of class 1 is the column ``score``: calibrated when the
    labels are drawn from it. Counts its calls."""

    _estimator_type = "classifier"
    classes_ = np.array([0, 1])

    def __init__(self) -> None:
        self.calls = 0

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        self.calls += 1
        p = X["score"].to_numpy()
        return np.column_stack([1 - p, p])

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        self.calls += 1
        return (X["score"].to_numpy() >= 0.5).astype(int)


class CountingRegressor:
    """A regressor that predicts ``x`` and counts its calls."""

    _estimator_type = "regressor"

    def __init__(self) -> None:
        self.calls = 0

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        self.calls += 1
        return X["x"].to_numpy(dtype=float)


def scored(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    score = rng.beta(2, 3, n)
    return pd.DataFrame({"score": score, "y": (rng.uniform(size=n) < score).astype(int)})


# --- arguments -------------------------------------------------------------------------------
def _frame(n: int = 400) -> pd.DataFrame:
    return scored(n, 1)


class NoProba:
    _estimator_type = "classifier"
    classes_ = np.array([0, 1])

    def __init__(self) -> None:
        self.calls = 0

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        self.calls += 1
        return np.zeros(len(X), dtype=int)


BAD = [
    ({"model": "NoProba", "method": "cbpe"}, "has no predict_proba"),
    ({"model": "NoProba"}, "has no predict_proba"),
    (
        {"model": "CountingRegressor", "method": "cbpe"},
        "is 'cbpe', but CountingRegressor is a regressor; use 'dle'",
    ),
    ({"method": "dle"}, "is a classifier; use 'cbpe'"),
    ({"method": "nanny"}, r"No method of estimate_performance named 'nanny'. Available: auto, cbpe, dle"),
    ({"calibration": "platt"}, r"No calibration .* named 'platt'. Available: auto, isotonic, none"),
    ({"reference": "unlabelled"}, "has no labels: every value of 'y' is missing"),
    ({"reference": "one class"}, "holds one class only"),
    (
        {"reference": [[0.5, 1]]},
        "The 'reference' parameter of estimate_performance must be a pandas DataFrame",
    ),
    ({"reference": "tiny"}, "give 1 full chunk"),
    ({"target": "label"}, "Column 'label': is the target but not a column of reference"),
    ({"target": 3}, "The 'target' parameter of estimate_performance must be the name"),
    (
        {"chunk_size": 0},
        "The 'chunk_size' parameter of estimate_performance must be an integer of at least 1",
    ),
    ({"chunk_size": 2.5}, "must be an integer of at least 1. Got 2.5"),
    ({"chunk_size": 100, "chunk_number": 4}, "takes chunk_size or chunk_number, not both"),
    ({"metrics": ["auc"]}, r"No metric for a binary model named 'auc'. Available: accuracy, f1, precision"),
    ({"metrics": ["mae"]}, "No metric for a binary model named 'mae'"),
    ({"features": ["score", "age"]}, "Column 'age': is a feature but not a column of reference"),
    ({"features": "score"}, "The 'features' parameter of estimate_performance must be a list"),
    ({"data": "no score"}, "Column 'score': is a feature but not a column of data"),
    ({"data": {"a": "no score"}}, "Column 'score': is a feature but not a column of data 'a'"),
    ({"data": {}}, "is an empty mapping"),
    ({"data": pd.DataFrame({"score": []})}, "The 'data' parameter of estimate_performance has no rows"),
    ({"labels": [0, 1]}, "has 2 labels for data, which has 100 rows"),
    ({"labels": ["yes"] * 100}, r"holds labels the model does not know: \['yes'\]"),
    (
        {"labels": [0] * 100, "data": {"a": "ok"}},
        "The 'labels' parameter of estimate_performance must be a mapping",
    ),
    ({"labels": {"b": [0] * 100}, "data": {"a": "ok"}}, "names batches that data has not: \\['b'\\]"),
]


@pytest.mark.parametrize(("change", "match"), BAD)
def test_bad_arguments_are_refused_before_the_model_is_called(change: dict[str, Any], match: str) -> None:
    models = {"NoProba": NoProba(), "CountingRegressor": CountingRegressor()}
    reference = _frame()
    data = scored(100, 2)[["score"]]
    frames = {
        "unlabelled": reference.assign(y=np.nan),
        "one class": reference.assign(y=1),
        "tiny": reference[:14],
        "no score": data.rename(columns={"score": "s"}),
        "ok": data,
    }
    model = ScoreModel()
    args: dict[str, Any] = {
        "model": model,
        "reference": reference,
        "data": data,
        "target": "y",
        "chunk_size": 10,
    }
    for key, value in change.items():
        if key == "model":
            value = models[value]
        elif isinstance(value, str) and value in frames:
            value = frames[value]
        elif isinstance(value, dict) and key == "data":
            value = {k: frames[v] for k, v in value.items()}
        args[key] = value
    with pytest.raises(lw.LifecycleWidgetsError, match=match) as err:
        estimate_performance(args.pop("model"), args.pop("reference"), args.pop("data"), **args)
    assert isinstance(err.value, ValueError | KeyError)
    called = models.get(change.get("model", ""), model)
    assert called.calls == 0, "the model predicted before every argument was checked"


def test_a_regressor_needs_numeric_labels_and_a_classifier_known_ones() -> None:
    reference = pd.DataFrame({"x": np.linspace(0, 1, 100), "y": ["a"] * 100})
    model = CountingRegressor()
    with pytest.raises(
        lw.ParameterError, match="The 'reference' parameter of estimate_performance must hold numbers"
    ):
        estimate_performance(model, reference, reference[["x"]], target="y")
    with pytest.raises(
        lw.ParameterError,
        match="The 'reference' parameter of estimate_performance holds labels the model does not know",
    ):
        estimate_performance(ScoreModel(), scored(100, 0).assign(y=2), scored(20, 1), target="y")
    assert model.calls == 0


def test_a_timestamp_feature_is_refused_for_the_nanny_model() -> None:
    reference = pd.DataFrame(
        {"x": np.arange(100.0), "when": pd.date_range("2026-01-01", periods=100), "y": np.arange(100.0)}
    )
    with pytest.raises(lw.ColumnError, match="Column 'when': holds dates or times"):
        estimate_performance(CountingRegressor(), reference, reference, target="y", features=["x", "when"])


# --- known values ----------------------------------------------------------------------------
def test_cbpe_is_the_expected_confusion_matrix_of_calibrated_scores() -> None:
    reference, batch = scored(4000, 0), scored(1000, 1)
    est = estimate_performance(
        ScoreModel(), reference, batch[["score"]], target="y", calibration="none", chunk_size=500
    )
    p = batch["score"].to_numpy()
    for c in est.analysis:
        q = p[c.start : c.stop]
        pos = q >= 0.5
        tp, fp, fn = q[pos].sum(), (1 - q[pos]).sum(), q[~pos].sum()
        v = {m: c.values[m].estimate for m in est.metrics}
        assert v["accuracy"] == pytest.approx(np.mean(np.where(pos, q, 1 - q)), abs=1e-12)
        assert v["precision"] == pytest.approx(tp / (tp + fp), abs=1e-12)
        assert v["recall"] == pytest.approx(tp / (tp + fn), abs=1e-12)
        assert v["f1"] == pytest.approx(2 * tp / (2 * tp + fp + fn), abs=1e-12)
        # expected AUC: each (positive, negative) pair ranked right, weighted by its probability
        i, j = np.triu_indices(len(q), 1)
        order = np.argsort(-q)
        s = q[order]
        right = (s[i] * (1 - s[j])).sum() + 0.5 * (s * (1 - s)).sum()
        assert v["roc_auc"] == pytest.approx(right / (s.sum() * (1 - s).sum()), abs=1e-4)
        assert c.values["accuracy"].realized is None and c.labelled == 0


def test_sampling_errors_are_the_spread_of_the_metric_over_chunks_of_that_size() -> None:
    """NannyML's analytic errors against the standard deviation of the realized metric over
    300 random chunks of 500 rows. They are approximations: here the AUC's runs about 20 % low
    and F1's about 35 % high (the scaling of F1's per-row contributions); each is within 50 %."""
    pool = scored(20000, 0)
    est = estimate_performance(ScoreModel(), pool[:10000], pool[10000:10500], target="y", chunk_size=500)
    rest = pool[10000:].to_numpy()
    rng = np.random.default_rng(1)
    samples = [rest[rng.choice(len(rest), 500, replace=False)] for _ in range(300)]
    realized = []
    for sample in samples:
        truth, score = sample[:, 1].astype(int), sample[:, 0]
        # precision, recall and F1 from the one call behind precision_score, recall_score and
        # f1_score (their numbers; a third of the time of 300 chunks x 3 scorers)
        precision, recall, f1, _ = precision_recall_fscore_support(truth, score >= 0.5, average="binary")
        realized.append(
            {
                "accuracy": accuracy_score(truth, score >= 0.5),
                "roc_auc": roc_auc_score(truth, score),
                "f1": f1,
                "precision": precision,
                "recall": recall,
            }
        )
    for m in ("accuracy", "roc_auc", "f1", "precision", "recall"):
        spread = np.std([r[m] for r in realized])
        assert est.analysis[0].values[m].sampling_error / spread == pytest.approx(1.0, abs=0.5), m
    accuracy = est.analysis[0].values["accuracy"]
    assert accuracy.upper - accuracy.lower == pytest.approx(6 * accuracy.sampling_error)


def test_thresholds_are_the_reference_chunks_realized_mean_plus_minus_three_sd() -> None:
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    (Xt, yt), (Xr, yr), (Xa, _) = split(X, y, 169, 300)
    model = make_pipeline(StandardScaler(), LogisticRegression()).fit(Xt, yt)
    est = estimate_performance(model, Xr.assign(y=yr), Xa, target="y", chunk_size=50)
    proba, pred = model.predict_proba(Xr)[:, 1], model.predict(Xr)
    scores = {"roc_auc": [], "accuracy": [], "f1": []}
    for a in range(0, 300, 50):
        t = yr[a : a + 50]
        scores["roc_auc"].append(roc_auc_score(t, proba[a : a + 50]))
        scores["accuracy"].append(accuracy_score(t, pred[a : a + 50]))
        scores["f1"].append(f1_score(t, pred[a : a + 50]))
    for m, values in scores.items():
        t = est.thresholds[m]
        assert t.lower == pytest.approx(max(0.0, np.mean(values) - 3 * np.std(values)), abs=1e-12)
        assert t.upper == pytest.approx(min(1.0, np.mean(values) + 3 * np.std(values)), abs=1e-12)
        assert [c.values[m].realized for c in est.reference] == pytest.approx(values, abs=1e-12)
    assert len(est.reference) == 6 and est.reference[0].label == "reference rows 1 to 50"


# --- following a covariate shift ---------------------------------------------------------------
def assert_follows(est: PerformanceEstimate, metric: str, *, trend: bool = True) -> None:
    """Every chunk's realized value lies within three sampling errors of its estimate; with
    ``trend``, the estimates also rise and fall with the realized values, and where the realized
    value is worst the estimate has moved the same way from the reference."""
    higher_is_better = metric not in ("mae", "rmse")
    chunks = [c for c in est.analysis if c.values[metric].realized is not None]
    for c in chunks:
        v = c.values[metric]
        assert abs(v.estimate - v.realized) <= 3 * v.sampling_error, (c.label, v)
    if not trend:
        return
    estimates = [c.values[metric].estimate for c in chunks]
    realized = [c.values[metric].realized for c in chunks]
    assert np.corrcoef(estimates, realized)[0, 1] > 0.6
    worst = min(chunks, key=lambda c: c.values[metric].realized * (1 if higher_is_better else -1))
    reference = np.mean([c.values[metric].estimate for c in est.reference])
    moved = worst.values[metric].estimate - reference
    assert moved < 0 if higher_is_better else moved > 0


def test_cbpe_follows_a_covariate_shift_breast_cancer() -> None:
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    (Xt, yt), (Xr, yr), (Xa, ya) = split(X, y, 169, 250)
    Xa, ya = sorted_by(Xa, ya, "mean concave points")
    model = make_pipeline(StandardScaler(), LogisticRegression()).fit(Xt, yt)
    est = estimate_performance(model, Xr.assign(y=yr), Xa, target="y", chunk_size=50, labels=ya)
    assert_follows(est, "accuracy")
    middle = est.analysis[1].values["accuracy"]  # where the classes overlap: the model errs most
    assert middle.realized < est.thresholds["accuracy"].lower and middle.alert


def test_cbpe_multiclass_wine_with_named_classes() -> None:
    X, y = load_wine(return_X_y=True, as_frame=True)
    y = y.map({0: "barolo", 1: "grignolino", 2: "barbera"})
    (Xt, yt), (Xr, yr), (Xa, ya) = split(X, y, 50, 80, seed=3)
    model = make_pipeline(StandardScaler(), LogisticRegression(C=0.05)).fit(Xt, yt)
    Xa, ya = sorted_by(Xa, ya, "flavanoids")
    est = estimate_performance(model, Xr.assign(cultivar=yr), Xa, target="cultivar", chunk_size=16, labels=ya)
    assert est.problem_type == "multiclass" and est.classes == ("barbera", "barolo", "grignolino")
    assert any("NannyML advises at least 6" in n for n in est.notes)  # 80 rows: 5 chunks
    assert_follows(est, "accuracy", trend=False)  # 48 later rows: too few chunks for a trend
    for c in est.analysis:
        cal = c.values["accuracy"]
        assert 0 <= cal.lower <= cal.estimate <= cal.upper <= 1


def heteroscedastic(n: int, seed: int, *, shift: float = 0.0) -> pd.DataFrame:
    """y = 2x + noise, noisier above x = 1 and in region 'c'; region a category (with 'd' only
    in shifted data); z unrelated to y and sometimes missing. A shift of x moves rows into the
    noisy range and leaves the relation of y to the features alone."""
    rng = np.random.default_rng(seed)
    x = rng.normal(shift, 1.0, n)
    regions = ["a", "b", "c", "d"] if shift else ["a", "b", "c"]
    region = rng.choice(regions, n)
    scale = 0.5 + 1.5 * (x > 1) + 1.5 * (region == "c")
    z = np.where(rng.random(n) < 0.1, np.nan, rng.normal(size=n))
    frame = pd.DataFrame({"x": x, "z": z, "region": pd.Categorical(region), "flag": rng.random(n) < 0.3})
    frame["y"] = 2 * x + rng.normal(size=n) * scale
    return frame


class Linear:
    """2x."""

    _estimator_type = "regressor"

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return 2 * X["x"].to_numpy()


def test_dle_follows_a_shift_with_categories_missing_values_and_an_unseen_category() -> None:
    reference = heteroscedastic(3000, 0)
    later = {"same": heteroscedastic(800, 1), "shifted": heteroscedastic(800, 2, shift=1.0)}
    labels = {k: f.pop("y") for k, f in later.items()}
    est = estimate_performance(
        Linear(),
        reference,
        later,
        target="y",
        features=["x", "region", "flag"],
        chunk_size=500,
        labels=labels,
    )
    assert est.method == "dle" and est.metrics == ("mae", "rmse")
    assert_follows(est, "mae")
    assert_follows(est, "rmse")
    same, shifted = est.chunk("same"), est.chunk("shifted")
    for m in est.metrics:
        assert not same.values[m].alert
        assert shifted.values[m].alert and shifted.values[m].estimate > est.thresholds[m].upper
        assert shifted.values[m].realized > est.thresholds[m].upper
    assert same.fingerprint and same.fingerprint != shifted.fingerprint and same.start is None


def test_dle_follows_diabetes_sorted_by_bmi() -> None:
    X, y = load_diabetes(return_X_y=True, as_frame=True)
    (Xt, yt), (Xr, yr), (Xa, ya) = split(X, y, 142, 200)
    Xa, ya = sorted_by(Xa, ya, "bmi")
    est = estimate_performance(
        LinearRegression().fit(Xt, yt), Xr.assign(y=yr), Xa, target="y", chunk_size=40, labels=ya
    )
    assert_follows(est, "mae")
    assert_follows(est, "rmse")


# --- labels later, batches, results --------------------------------------------------------------
def test_labels_arrive_later_as_an_argument_or_a_column() -> None:
    reference, batch = scored(2000, 0), scored(600, 1)
    estimator = PerformanceEstimator.fit(ScoreModel(), reference, target="y", chunk_size=200)
    blind = estimator.estimate(batch[["score"]])
    assert all(c.values[m].realized is None for c in blind.analysis for m in blind.metrics)
    partial = batch["y"].astype(float).where(np.arange(600) % 3 != 0)
    labelled = estimator.estimate(batch[["score"]], labels=partial)
    column = estimator.estimate(batch.assign(y=partial))
    assert [c.values for c in labelled.chunks] == [c.values for c in column.chunks]
    assert sum(c.labelled for c in labelled.analysis) == 400
    for c in labelled.analysis:
        keep = ~np.isnan(partial[c.start : c.stop].to_numpy())
        truth = batch["y"].to_numpy()[c.start : c.stop][keep]
        pred = (batch["score"].to_numpy()[c.start : c.stop][keep] >= 0.5).astype(int)
        assert c.labelled == keep.sum()
        assert c.values["accuracy"].realized == pytest.approx(accuracy_score(truth, pred))
        assert c.values["accuracy"].estimate == blind.chunk(c.label).values["accuracy"].estimate
    assert (
        estimator.estimate({"w1": batch[:300], "w2": batch[300:]}, labels={"w2": batch["y"][300:]})
        .chunk("w2")
        .labelled
        == 300
    )


def test_default_chunking_is_ten_chunks_as_nannyml() -> None:
    est = estimate_performance(ScoreModel(), scored(1000, 0), scored(250, 1), target="y")
    assert [c.rows for c in est.reference] == [100] * 10
    assert [c.rows for c in est.analysis] == [25] * 10
    est = estimate_performance(ScoreModel(), scored(1000, 0), scored(230, 1), target="y", chunk_size=100)
    assert [c.rows for c in est.analysis] == [100, 100, 30]  # the remainder stays a chunk


def test_results_round_trip_through_json_and_read_as_a_frame() -> None:
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    (Xt, yt), (Xr, yr), (Xa, ya) = split(X, y, 169, 250)
    model = make_pipeline(StandardScaler(), LogisticRegression()).fit(Xt, yt)
    est = estimate_performance(model, Xr.assign(y=yr), Xa, target="y", chunk_size=50, labels=ya)
    text = est.to_json()
    assert "NaN" not in text and PerformanceEstimate.from_dict(json.loads(text)) == est
    frame = est.to_frame()
    assert len(frame) == len(est.chunks) * 5 and set(frame["period"]) == {"reference", "analysis"}
    alerts = frame[frame["alert"] & (frame["period"] == "analysis")]
    assert list(zip(alerts["chunk"], alerts["metric"], strict=True)) == list(est.alerts)
    assert repr(est).startswith("<PerformanceEstimate CBPE (binary): 3 chunks")


def test_the_display_opens_with_what_left_the_range(tmp_path: Path) -> None:
    reference = heteroscedastic(3000, 0)
    later = {"same": heteroscedastic(800, 1), "shifted <b>": heteroscedastic(800, 2, shift=1.0)}
    est = estimate_performance(
        Linear(), reference, later, target="y", features=["x", "region"], chunk_size=500
    )
    head = display.headline_of(est)
    assert head[0].severity == "high" and "Estimated MAE above the reference's range" in head[0].text
    assert "'shifted <b>'" in head[0].text
    figures = est.figures()
    assert list(figures) == ["mae", "rmse"]
    for fig in figures.values():
        assert (
            fig.layout.title.text and fig.layout.xaxis.title.text == "chunk" and fig.layout.yaxis.title.text
        )
    names = [t.name for t in figures["mae"].data if t.name]
    assert names[:3] == ["sampling band (±3 SE)", "reference", "estimated"] and "alert" in names
    html = est.to_html(tmp_path / "estimate.html")
    assert "shifted &lt;b&gt;" in html and "shifted <b>" not in html
    calm = estimate_performance(
        Linear(), reference, {"same": later["same"]}, target="y", features=["x"], chunk_size=500
    )
    assert [a.severity for a in display.headline_of(calm)] == ["ok"]


# --- NannyML, side by side -----------------------------------------------------------------------
NANNYML_RUN = r"""
import json, math, sys, warnings
warnings.filterwarnings("ignore")
import pandas as pd
import nannyml as nml

def plain(v):
    try:
        v = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(v) or math.isinf(v) else v

out = {}
for case in json.load(open(sys.argv[1])):
    ref, ana = pd.read_csv(case["reference"]), pd.read_csv(case["analysis"])
    if case["kind"] == "cbpe":
        if case["classes"] == 2:
            proba, problem = "proba_1", "classification_binary"
        else:
            proba = {str(c): f"proba_{c}" for c in range(case["classes"])}
            problem = "classification_multiclass"
            for f in (ref, ana):
                f["y_true"] = f["y_true"].astype(str)
                f["y_pred"] = f["y_pred"].astype(str)
        calc = nml.CBPE(problem_type=problem, y_pred_proba=proba, y_pred="y_pred", y_true="y_true",
                        metrics=case["metrics"], chunk_size=case["chunk_size"])
    else:
        calc = nml.DLE(feature_column_names=case["features"], y_pred="y_pred", y_true="y_true",
                       metrics=case["metrics"], chunk_size=case["chunk_size"])
    calc.fit(ref)
    df = calc.estimate(ana).to_df()
    rows = []
    for _, row in df.iterrows():
        rec = {"period": row[("chunk", "period")]}
        for m in case["metrics"]:
            rec[m] = {c: plain(row[(m, c)]) for c in
                      ("value", "sampling_error", "realized", "lower_threshold", "upper_threshold", "alert")}
        rows.append(rec)
    out[case["name"]] = rows
print(json.dumps(out))
"""

CREDIT_FEATURES = [
    "age",
    "income",
    "utilization",
    "late_payments",
    "region",
    "employment_type",
    "has_mortgage",
]


def _credit_prep() -> Any:
    return make_column_transformer(
        (OneHotEncoder(handle_unknown="ignore"), ["region", "employment_type"]),
        (SimpleImputer(), ["age", "income", "utilization", "late_payments"]),
        ("passthrough", ["has_mortgage"]),
    )


def _credit_target(df: pd.DataFrame, seed: int) -> pd.Series:
    """A target of the demo data: errors larger for the unemployed and at high utilization."""
    noise = 1 + 3 * (df["employment_type"] == "unemployed") + 2 * df["utilization"]
    signal = 10 * df["utilization"] + 2 * df["late_payments"] + 0.01 * df["age"]
    return signal + np.random.default_rng(seed).normal(size=len(df)) * noise


def nannyml_cases() -> dict[str, dict[str, Any]]:
    """Five models on public and demo data, each with a reference and later rows whose
    performance moves: the covariate shift of sorting by a feature, or the demo's drift."""
    out = {}
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    (Xt, yt), (Xr, yr), (Xa, ya) = split(X, y, 169, 250)
    model = make_pipeline(StandardScaler(), LogisticRegression()).fit(Xt, yt)
    out["breast_cancer"] = (model, Xr, yr, *sorted_by(Xa, ya, "mean concave points"), 50, "accuracy")
    X, y = load_digits(return_X_y=True, as_frame=True)
    (Xt, yt), (Xr, yr), (Xa, ya) = split(X, y, 500, 700)
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)).fit(Xt, yt)
    out["digits"] = (model, Xr, yr, *sorted_by(Xa, ya, "pixel_4_4"), 100, "f1")
    X, y = load_diabetes(return_X_y=True, as_frame=True)
    (Xt, yt), (Xr, yr), (Xa, ya) = split(X, y, 142, 200)
    out["diabetes"] = (LinearRegression().fit(Xt, yt), Xr, yr, *sorted_by(Xa, ya, "bmi"), 40, "mae")
    train, ref = lw.datasets.credit(4000, seed=0), lw.datasets.credit(5000, seed=1)
    ana = lw.datasets.credit(5000, seed=2).sort_values("utilization", kind="stable").reset_index(drop=True)
    forest = RandomForestClassifier(100, max_depth=6, random_state=0)
    model = make_pipeline(_credit_prep(), forest).fit(train[CREDIT_FEATURES], train["defaulted"])
    out["credit"] = (
        model,
        ref[CREDIT_FEATURES],
        ref["defaulted"],
        ana[CREDIT_FEATURES],
        ana["defaulted"],
        1000,
        "accuracy",
    )
    ref, ana = (
        lw.datasets.credit(3000, seed=1),
        lw.datasets.credit_batch(3000, seed=2),
    )  # drifted by construction
    model = make_pipeline(_credit_prep(), Ridge()).fit(train[CREDIT_FEATURES], _credit_target(train, 0))
    out["credit_regression"] = (
        model,
        ref[CREDIT_FEATURES],
        _credit_target(ref, 1),
        ana[CREDIT_FEATURES],
        _credit_target(ana, 2),
        500,
        "mae",
    )
    return {
        name: dict(zip(("model", "Xr", "yr", "Xa", "ya", "chunk_size", "metric"), case, strict=True))
        for name, case in out.items()
    }


def _model_outputs(model: Any, X: pd.DataFrame, y: pd.Series, classifier: bool) -> pd.DataFrame:
    frame = X.copy()
    for name in frame.columns:
        if isinstance(frame[name].dtype, pd.CategoricalDtype):
            frame[name] = frame[name].astype(str)
    frame["y_true"] = np.asarray(y)
    frame["y_pred"] = model.predict(X)
    if classifier:
        for c, column in enumerate(model.predict_proba(X).T):
            frame[f"proba_{c}"] = column
    return frame


@pytest.fixture(scope="module")
def nannyml_python() -> Path:
    return cached_venv("nannyml", NANNYML)


def run_nannyml(python: Path, script: str, cases: list[dict[str, Any]], folder: Path) -> dict[str, Any]:
    """Run ``script`` in NannyML's venv on ``cases`` and read its JSON."""
    (folder / "cases.json").write_text(json.dumps(cases))
    (folder / "run.py").write_text(script)
    done = subprocess.run(
        [str(python), str(folder / "run.py"), str(folder / "cases.json")],
        capture_output=True,
        text=True,
        env={**os.environ, **NANNYML_ENV},
        cwd=folder,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def close(ours: float | None, theirs: float | None, tol: float = 1e-9) -> bool:
    """Equal to ``tol`` (relative above 1), or both undefined."""
    if ours is None or theirs is None:
        return ours is None and theirs is None
    return abs(ours - theirs) <= tol * max(1.0, abs(theirs))


def agreement_rows(ours: dict[str, PerformanceEstimate], theirs: dict[str, Any]) -> list[dict[str, Any]]:
    """Per analysis chunk and metric: our estimate, NannyML's, the realized value, the
    sampling error (the agreement table of the report)."""
    rows = []
    for name, est in ours.items():
        for c, t in zip(est.chunks, theirs[name], strict=True):
            if c.period != "analysis":
                continue
            for m in est.metrics:
                v = c.values[m]
                rows.append(
                    {
                        "case": name,
                        "chunk": c.label,
                        "metric": m,
                        "ours": v.estimate,
                        "nannyml": t[m]["value"],
                        "realized": v.realized,
                        "sampling_error": v.sampling_error,
                    }
                )
    return rows


@pytest.mark.peers
@pytest.mark.timeout(1200)
def test_estimates_agree_with_nannyml(nannyml_python: Path, tmp_path: Path) -> None:
    cases, ours, follow = [], {}, {}
    for name, case in nannyml_cases().items():
        follow[name] = case["metric"]
        model, chunk = case["model"], case["chunk_size"]
        classifier = hasattr(model, "predict_proba")
        est = estimate_performance(
            model,
            case["Xr"].assign(y=case["yr"].to_numpy()),
            case["Xa"],
            target="y",
            chunk_size=chunk,
            labels=case["ya"],
        )
        ours[name] = est
        for tag, X, y in (("reference", case["Xr"], case["yr"]), ("analysis", case["Xa"], case["ya"])):
            _model_outputs(model, X, y, classifier).to_csv(tmp_path / f"{name}-{tag}.csv", index=False)
        cases.append(
            {
                "name": name,
                "kind": est.method,
                "reference": str(tmp_path / f"{name}-reference.csv"),
                "analysis": str(tmp_path / f"{name}-analysis.csv"),
                "chunk_size": chunk,
                "metrics": list(est.metrics),
                "classes": len(est.classes),
                "features": list(case["Xr"].columns),
            }
        )
    theirs = run_nannyml(nannyml_python, NANNYML_RUN, cases, tmp_path)
    table = pd.DataFrame(agreement_rows(ours, theirs))
    table.to_csv(os.environ.get("LW_NANNYML_TABLE", tmp_path / "agreement.csv"), index=False)
    assert ours["credit"].calibrated == ("1",) and ours["digits"].calibrated  # isotonic recalibration ran
    for name, est in ours.items():
        for c, t in zip(est.chunks, theirs[name], strict=True):
            assert c.period == t["period"]
            for m in est.metrics:
                v, theirs_m = c.values[m], t[m]
                where = (name, c.label, m)
                assert close(v.sampling_error, theirs_m["sampling_error"]), where
                assert close(v.realized, theirs_m["realized"]), where
                assert close(est.thresholds[m].lower, theirs_m["lower_threshold"]), where
                assert close(est.thresholds[m].upper, theirs_m["upper_threshold"]), where
                if v.estimate is None or theirs_m["value"] is None:
                    assert v.estimate is None and theirs_m["value"] is None, (name, c.label, m)
                    continue
                # the same calibration and chunking give CBPE's numbers exactly; DLE's nanny
                # models differ (HistGradientBoosting here, LightGBM there)
                assert abs(v.estimate - theirs_m["value"]) <= v.sampling_error, (name, c.label, m)
                if est.method == "cbpe":
                    assert v.estimate == pytest.approx(theirs_m["value"], abs=1e-9), (name, c.label, m)
                    assert v.alert == bool(theirs_m["alert"]), (name, c.label, m)
        assert_follows(est, follow[name])


def test_estimates_ride_on_the_monitoring_timeline() -> None:
    from sklearn.ensemble import RandomForestClassifier

    import lifecycle_widgets as lw

    features = ["age", "income", "utilization", "late_payments"]
    train = lw.datasets.credit(3000, seed=30)
    model = RandomForestClassifier(30, max_depth=5, random_state=0).fit(
        train[features].fillna(0), train["defaulted"]
    )
    reference = lw.datasets.credit(2000, seed=31)
    reference[features] = reference[features].fillna(0)
    batches = {}
    for name, seed, drift in (("w1", 32, False), ("w2", 33, True)):
        batch = lw.datasets.credit_batch(1000, seed=seed, drift=drift)
        batch[features] = batch[features].fillna(0)
        batches[name] = batch
    estimator = lw.PerformanceEstimator.fit(
        model, reference[[*features, "defaulted"]], target="defaulted", chunk_size=500
    )
    base = lw.Baseline.fit(reference, target="defaulted")
    timeline = lw.monitor(base, {k: v[[*features, "defaulted"]] for k, v in batches.items()}, estimator=estimator)
    est = timeline.performance
    # one estimate per batch, after the reference's chunks, with the realized value beside it
    data_chunks = [c for c in est.analysis if c.label in batches]
    assert [c.label for c in data_chunks] == ["w1", "w2"]
    direct = estimator.estimate({k: v[[*features, "defaulted"]] for k, v in batches.items()})
    assert [c.values["accuracy"].estimate for c in data_chunks] == pytest.approx(
        [c.values["accuracy"].estimate for c in direct.analysis if c.label in batches]
    )
    assert all(c.values["accuracy"].realized is not None for c in data_chunks)
    assert lw.Timeline.from_dict(timeline.to_dict()) == timeline
    assert any(name.startswith("estimate_") for name in timeline.figures())
    with pytest.raises(lw.ParameterError, match="'estimator' parameter of monitor"):
        lw.monitor(base, batches, estimator="cbpe")
