"""Model performance without labels: CBPE for classifiers and DLE for regressors, as NannyML
defines them, with the realized value beside each estimate once labels arrive.

CBPE (confidence-based performance estimation) reads a classifier's probabilities as the
chance that each prediction is right. Calibrated on a labelled reference (isotonic regression,
one-vs-rest for several classes, only where recalibration lowers the expected calibration
error in cross-validation), the probabilities of a chunk give its expected confusion matrix,
and from it the expected ROC AUC, F1, precision, recall and accuracy. It assumes that what
changes between reference and batch is the distribution of the features, not the relation of
the target to them (no concept drift).

DLE (direct loss estimation) trains a "nanny" model on the reference to predict each row's
absolute and squared error from its features and the model's prediction; the mean of its
predictions over a chunk estimates the chunk's MAE and (square-rooted) RMSE. NannyML's nanny is
LightGBM; here it is scikit-learn's ``HistGradientBoostingRegressor`` with LightGBM's default
shape (100 trees, 31 leaves, at least 20 rows a leaf, learning rate 0.1), categorical columns
as native categories.

Every estimate carries NannyML's sampling error, its analytic standard error at the chunk's
size from per-row statistics of the reference, and a band of three of them each side. Alert
thresholds come from the realized metric over the reference's chunks: its mean plus and minus
three standard deviations. Chunking is NannyML's (:mod:`~lifecycle_widgets.core.drift.performance_chunks`).

References: NannyML, "How it works: performance estimation"
(https://nannyml.readthedocs.io/en/stable/how_it_works/performance_estimation.html) and the
code of ``nannyml.performance_estimation``, ``nannyml.calibration`` and ``nannyml.sampling_error``
(0.13.1), which the tests run side by side with this module.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from lifecycle_widgets.core.drift.performance_chunks import (
    Batch,
    ChunkPeriods,
    Thresholds,
    as_plain,
    batches_of,
    check_chunking,
    check_features,
    check_frame,
    chunk_bounds,
    fingerprint_of,
    full_chunks,
    limited_threads,
    split_features,
    std_thresholds,
    typical_batch_size,
)
from lifecycle_widgets.core.explain.estimator import ModelTask, check_labels, model_task
from lifecycle_widgets.core.explain.models import check_fitted
from lifecycle_widgets.core.result import Result
from lifecycle_widgets.exceptions import ColumnError, ParameterError, UnknownNameError

__all__ = [
    "CLASSIFICATION_METRICS",
    "METRIC_LABELS",
    "REGRESSION_METRICS",
    "EstimateChunk",
    "MetricValue",
    "PerformanceEstimate",
    "PerformanceEstimator",
    "estimate_performance",
    "estimated_roc_auc",
    "needs_calibration",
]

CALLER = "estimate_performance"
CLASSIFICATION_METRICS = ("roc_auc", "f1", "precision", "recall", "accuracy")
REGRESSION_METRICS = ("mae", "rmse")
METRIC_LABELS = {
    "roc_auc": "ROC AUC",
    "f1": "F1",
    "precision": "precision",
    "recall": "recall",
    "accuracy": "accuracy",
    "mae": "MAE",
    "rmse": "RMSE",
}
METHODS = ("auto", "cbpe", "dle")
CALIBRATIONS = ("auto", "isotonic", "none")
BAND_WIDTH = 3.0  # sampling errors each side of an estimate (NannyML's SAMPLING_ERROR_RANGE)
MIN_REFERENCE_CHUNKS = 2
FEW_REFERENCE_CHUNKS = 6  # NannyML warns below this many chunks
MAX_NATIVE_CATEGORIES = 255  # HistGradientBoosting's max_bins: more categories go in as frequencies
NANNY_PARAMS = {  # LightGBM's defaults, as NannyML's nanny model runs without tuning
    "max_iter": 100,
    "learning_rate": 0.1,
    "max_leaf_nodes": 31,
    "min_samples_leaf": 20,
    "l2_regularization": 0.0,
    "early_stopping": False,
}


# --- results ------------------------------------------------------------------------------
@dataclass(frozen=True)
class MetricValue:
    """One metric in one chunk: the estimate, its sampling error and band, the realized value
    where labels came, and whether the estimate left the reference's range.

    ``lower`` and ``upper`` bound the band, ``estimate`` plus and minus three sampling errors
    cut to the metric's range. ``None`` marks a value that is undefined (a chunk without any
    positive prediction has no precision) or not known (no labels: no realized value).
    """

    estimate: float | None
    sampling_error: float | None
    lower: float | None
    upper: float | None
    realized: float | None = None
    alert: bool = False

    @property
    def realized_in_band(self) -> bool | None:
        """Whether the realized value lies in the estimate's band (None without both)."""
        if self.realized is None or self.lower is None or self.upper is None:
            return None
        return self.lower <= self.realized <= self.upper


@dataclass(frozen=True)
class EstimateChunk:
    """The metrics of one chunk: a slice of the reference (``period="reference"``) or of the
    data estimated (``"analysis"``). ``labelled`` counts the rows whose label was known;
    ``start``/``stop`` are row positions in the frame the chunk was cut from (None for a batch
    given as its own frame)."""

    label: str
    period: str
    rows: int
    labelled: int
    values: dict[str, MetricValue]
    start: int | None = None
    stop: int | None = None
    fingerprint: str = ""


@dataclass(frozen=True)
class PerformanceEstimate(ChunkPeriods, Result):
    """Estimated (and, where labels came, realized) performance of a model chunk by chunk.

    Examples
    --------
    >>> import lifecycle_widgets as lw
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from lifecycle_widgets.core.drift.performance_estimation import estimate_performance
    >>> X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    >>> model = make_pipeline(StandardScaler(), LogisticRegression()).fit(X[:200], y[:200])
    >>> reference = X[200:400].assign(target=y[200:400])
    >>> est = estimate_performance(model, reference, X[400:], target="target", chunk_size=50)
    >>> est.method, [c.label for c in est.analysis]
    ('cbpe', ['rows 1 to 50', 'rows 51 to 100', 'rows 101 to 150', 'rows 151 to 169'])
    >>> est.analysis[0].values["accuracy"].estimate > 0.9
    True
    """

    kind: ClassVar[str] = "performance_estimate"

    method: str
    problem_type: str
    model: str
    target: str
    metrics: tuple[str, ...]
    thresholds: dict[str, Thresholds]
    chunks: tuple[EstimateChunk, ...]
    reference_rows: int
    reference_fingerprint: str
    classes: tuple[str, ...] = ()
    calibrated: tuple[str, ...] = ()
    chunk_size: int | None = None
    chunk_number: int | None = None
    notes: tuple[str, ...] = ()

    @property
    def alerts(self) -> tuple[tuple[str, str], ...]:
        """``(chunk label, metric)`` for every estimate outside the reference's range."""
        return tuple((c.label, m) for c in self.analysis for m in self.metrics if c.values[m].alert)

    def chunk(self, label: str) -> EstimateChunk:
        """The analysis chunk called ``label``."""
        for c in self.analysis:
            if c.label == label:
                return c
        raise ParameterError(
            f"No analysis chunk labelled {label!r}; chunks are {[c.label for c in self.analysis][:20]}."
        )

    def to_frame(self) -> pd.DataFrame:
        """One row per chunk and metric: estimate, sampling error, band, realized value,
        thresholds and alert (NannyML's ``to_df`` in long form)."""
        rows = []
        for c in self.chunks:
            for m in self.metrics:
                v = c.values[m]
                t = self.thresholds[m]
                rows.append(
                    {
                        "chunk": c.label,
                        "period": c.period,
                        "rows": c.rows,
                        "labelled": c.labelled,
                        "metric": m,
                        "estimate": v.estimate,
                        "sampling_error": v.sampling_error,
                        "lower": v.lower,
                        "upper": v.upper,
                        "realized": v.realized,
                        "lower_threshold": t.lower,
                        "upper_threshold": t.upper,
                        "alert": v.alert,
                    }
                )
        return pd.DataFrame(rows)

    def __repr__(self) -> str:
        alerting = sorted({m for _, m in self.alerts}, key=self.metrics.index)
        return (
            f"<PerformanceEstimate {self.method.upper()} ({self.problem_type}): {len(self.analysis)} chunks, "
            f"{len(self.alerts)} alerts{' (' + ', '.join(alerting) + ')' if alerting else ''}>"
        )


# --- CBPE: the expected confusion matrix --------------------------------------------------
def estimated_roc_auc(calibrated: np.ndarray, scores: np.ndarray) -> float:
    """ROC AUC expected from calibrated probabilities of the positive class, with the rows
    ranked by the model's own ``scores``: each row adds its probability to the true positives
    and the rest to the false positives (NannyML's ``estimate_roc_auc``, rounding included).

    Examples
    --------
    >>> round(estimated_roc_auc(np.array([0.9, 0.8, 0.3, 0.1]), np.array([0.9, 0.8, 0.3, 0.1])), 4)
    0.8634
    """
    from sklearn.metrics import auc

    order = np.argsort(scores)[::-1]
    p = np.asarray(calibrated, dtype=float)[order]
    tps = np.cumsum(p)
    fps = 1 + np.arange(len(p)) - tps
    tps = np.round(np.r_[0, tps], 5)
    fps = np.round(np.r_[0, fps], 5)
    if tps[-1] <= 0 or fps[-1] <= 0:
        return float("nan")
    return float(auc(fps / fps[-1], tps / tps[-1]))


def _expected(metric: str, predicted: np.ndarray, p: np.ndarray) -> float:
    """A metric of the expected binary confusion matrix: ``predicted`` says where the model
    predicted the class, ``p`` is the calibrated probability that the row is of the class."""
    tp = float(np.sum(np.where(predicted, p, 0.0)))
    fp = float(np.sum(np.where(predicted, 1.0 - p, 0.0)))
    fn = float(np.sum(np.where(predicted, 0.0, p)))
    if metric == "f1":
        denominator = tp + 0.5 * (fp + fn)
    elif metric == "precision":
        denominator = tp + fp
    elif metric == "recall":
        denominator = tp + fn
    else:
        raise AssertionError(metric)
    return tp / denominator if denominator != 0 else 0.0  # NannyML's convention


def _cbpe_estimate(metric: str, cal: np.ndarray, raw: np.ndarray, pred: np.ndarray, binary: bool) -> float:
    """Estimate ``metric`` for one chunk. ``cal``/``raw``: calibrated and raw probabilities
    (n, k); ``pred``: index of the predicted class."""
    if binary:
        positive = pred == 1
        if metric == "roc_auc":
            return estimated_roc_auc(cal[:, 1], raw[:, 1])
        if metric == "accuracy":
            return float(np.mean(np.where(positive, cal[:, 1], 1.0 - cal[:, 1])))
        return _expected(metric, positive, cal[:, 1])
    k = cal.shape[1]
    if metric == "roc_auc":
        return float(np.mean([estimated_roc_auc(cal[:, c], raw[:, c]) for c in range(k)]))
    if metric == "accuracy":
        return float(np.mean(cal[np.arange(len(pred)), pred]))
    return float(np.mean([_expected(metric, pred == c, cal[:, c]) for c in range(k)]))


# --- CBPE: calibration ----------------------------------------------------------------------
def _ece_bins(n: int, bins: int) -> list[tuple[int, int]]:
    if n <= 2 * bins:
        bins = n // 2
    width = max(n // max(bins, 1), 1)
    edges = np.asarray(range(0, n + 1, width))
    edges[-1] = n
    return [(int(a), int(b)) for a, b in itertools.pairwise(edges)]


def _ece(y: np.ndarray, p: np.ndarray, bins: list[tuple[int, int]]) -> float:
    order = p.argsort()
    p, y = p[order], y[order]
    return float(sum((hi - lo) / len(p) * abs(p[lo:hi].mean() - y[lo:hi].mean()) for lo, hi in bins))


def needs_calibration(y: np.ndarray, scores: np.ndarray, *, bins: int = 10, splits: int = 10) -> bool:
    """Whether isotonic recalibration makes ``scores`` better probabilities of ``y`` (0/1).

    NannyML's test: over 10 stratified shuffle splits (10 % held out, seed 42), fit isotonic
    regression on the rest, and compare the expected calibration error (10 equal-count bins)
    of the held-out scores before and after. Scores that rank perfectly (ROC AUC above 0.999)
    or a single class are left alone.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> p = rng.uniform(size=2000)
    >>> y = (rng.uniform(size=2000) < p).astype(int)
    >>> needs_calibration(y, p**3)  # overconfident about the negative class
    True
    >>> needs_calibration(y, y * 0.6 + 0.2)  # ranks perfectly: left alone
    False
    """
    from sklearn.isotonic import IsotonicRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedShuffleSplit

    y = np.asarray(y)
    scores = np.asarray(scores, dtype=float)
    if len(np.unique(y)) == 1 or roc_auc_score(y, scores) > 0.999:
        return False
    before, after, truth = [], [], []
    for train, test in StratifiedShuffleSplit(n_splits=splits, test_size=0.1, random_state=42).split(
        scores, y
    ):
        iso = IsotonicRegression(out_of_bounds="clip", increasing=True).fit(scores[train], y[train])
        before.append(scores[test])
        after.append(iso.predict(scores[test]))
        truth.append(y[test])
    y_test = np.concatenate(truth)
    edges = _ece_bins(len(y_test), bins)
    return _ece(y_test, np.concatenate(before), edges) > _ece(y_test, np.concatenate(after), edges)


def _fit_calibrators(y: np.ndarray, raw: np.ndarray, binary: bool, mode: str) -> list[Any | None]:
    """One isotonic calibrator per probability column that needs one (None: left as it is);
    a binary model has one column, the positive class's."""
    from sklearn.isotonic import IsotonicRegression

    columns = [1] if binary else list(range(raw.shape[1]))
    out: list[Any | None] = []
    for c in columns:
        target = (y == c).astype(int)
        if mode == "none" or (mode == "auto" and not needs_calibration(target, raw[:, c])):
            out.append(None)
        else:
            out.append(IsotonicRegression(out_of_bounds="clip", increasing=True).fit(raw[:, c], target))
    return out


def _calibrate(raw: np.ndarray, calibrators: list[Any | None], binary: bool) -> np.ndarray:
    """Calibrated probabilities (n, k): the positive column for a binary model; each
    one-vs-rest column then the rows renormalized to one for several classes (uniform where a
    row's calibrated probabilities are all zero), as NannyML does."""
    if binary:
        (iso,) = calibrators
        p = raw[:, 1] if iso is None else iso.predict(raw[:, 1])
        return np.column_stack([1.0 - p, p])
    cal = np.column_stack(
        [raw[:, c] if iso is None else iso.predict(raw[:, c]) for c, iso in enumerate(calibrators)]
    )
    total = cal.sum(axis=1, keepdims=True)
    uniform = np.full_like(cal, 1.0 / cal.shape[1])
    return np.divide(cal, total, out=uniform, where=total != 0)


# --- CBPE: sampling error (NannyML's sampling_error.binary_ / multiclass_classification) -----
def _auc_components(y: np.ndarray, scores: np.ndarray) -> tuple[float, float]:
    """Per-positive share of negatives ranked below it (Mann-Whitney U) and the positive
    share, with the minority class taken as positive."""
    y = np.asarray(y, dtype=int)
    scores = np.asarray(scores, dtype=float)
    if np.mean(y) > 0.5:
        y, scores = 1 - y, 1 - scores
    order = np.argsort(scores)
    y = y[order]
    ranks = np.unique(y * np.arange(len(y)))[1:]
    below = ranks - np.arange(len(ranks))
    n_pos = int(y.sum())
    n_neg = len(y) - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan"), 0.0
    return float(np.std(below / n_neg)), n_pos / len(y)


def _binary_components(metric: str, y: np.ndarray, pred: np.ndarray) -> tuple[float, float]:
    """Standard deviation of the per-row contributions to ``metric`` and the share of rows
    that contribute, for 0/1 labels and predictions."""
    tp = (y == pred) & (pred == 1)
    fp = (y != pred) & (pred == 1)
    fn = (y != pred) & (pred == 0)
    if metric == "f1":
        parts = np.concatenate([np.ones(tp.sum()), np.zeros(fn.sum() + fp.sum())])
        if parts.size == 0:
            return float("nan"), 0.0
        return float(np.std(parts)), parts.size / len(pred)
    if metric == "precision":
        parts = np.concatenate([np.ones(tp.sum()), np.zeros(fp.sum())])
        return float(np.std(parts)) if parts.size else float("nan"), float(np.sum(pred)) / len(pred)
    if metric == "recall":
        parts = np.concatenate([np.ones(tp.sum()), np.zeros(fn.sum())])
        return float(np.std(parts)) if parts.size else float("nan"), float(np.sum(y)) / len(pred)
    raise AssertionError(metric)


def _f1_std(y: np.ndarray, pred: np.ndarray) -> tuple[float, float]:
    """Binary F1's components: NannyML scales the per-row contributions by the number of
    contributing rows over TP + (FP + FN) / 2."""
    tp = int(((y == pred) & (pred == 1)).sum())
    fp = int(((y != pred) & (pred == 1)).sum())
    fn = int(((y != pred) & (pred == 0)).sum())
    parts = np.concatenate([np.ones(tp), np.zeros(fn + fp)])
    if parts.size == 0:
        return float("nan"), 0.0
    correction = parts.size / ((fn + fp) * 0.5 + tp)
    return float(np.std(parts * correction)), parts.size / len(pred)


def _cbpe_components(metric: str, y: np.ndarray, pred: np.ndarray, raw: np.ndarray, binary: bool) -> Any:
    """What the sampling error of ``metric`` needs from the labelled reference."""
    if metric == "accuracy":
        return float(np.std((y == pred).astype(float)))
    if binary:
        if metric == "roc_auc":
            return _auc_components(y, raw[:, 1])
        if metric == "f1":
            return _f1_std(y, pred)
        return _binary_components(metric, y, pred)
    out = []
    for c in range(raw.shape[1]):
        if metric == "roc_auc":
            std, share = _auc_components((y == c).astype(int), raw[:, c])
        else:
            std, share = _binary_components(metric, (y == c).astype(int), (pred == c).astype(int))
        out.append((std**2, share))
    return out


def _cbpe_sampling_error(metric: str, components: Any, n: int, binary: bool) -> float:
    """The standard error of ``metric`` on ``n`` rows."""
    with np.errstate(divide="ignore", invalid="ignore"):
        if metric == "accuracy":
            return float(components / np.sqrt(n))
        if binary:
            std, share = components
            return float(std / np.sqrt(n * share))
        variances = [var / (n * share) for var, share in components]
        error = np.sqrt(np.sum(variances)) / len(variances)
        # NannyML: the per-class sum underestimates the multiclass AUC's error by about 20 %
        return float(error * 1.2) if metric == "roc_auc" else float(error)


# --- CBPE: realized metrics ------------------------------------------------------------------
def _realized_classification(
    metric: str, y: np.ndarray, pred: np.ndarray, raw: np.ndarray, binary: bool
) -> float | None:
    """The metric on labelled rows, None where NannyML has no value (one class only)."""
    from sklearn.metrics import f1_score, precision_score, recall_score, roc_auc_score

    if len(y) == 0:
        return None
    if metric == "accuracy":
        return float(np.mean(y == pred))
    k = raw.shape[1]
    if metric == "roc_auc":
        if len(np.unique(y)) < (2 if binary else k):
            return None
        if binary:
            return float(roc_auc_score(y, raw[:, 1]))
        return float(np.mean([roc_auc_score((y == c).astype(int), raw[:, c]) for c in range(k)]))
    if len(np.unique(y)) <= 1 or len(np.unique(pred)) <= 1:
        return None
    score = {"f1": f1_score, "precision": precision_score, "recall": recall_score}[metric]
    if binary:
        return float(score(y, pred, zero_division=0))
    return float(score(y, pred, labels=list(range(k)), average="macro", zero_division=0))


# --- DLE -------------------------------------------------------------------------------------
class _NannyFeatures:
    """The nanny model's inputs: numeric features as they are (missing values stay missing,
    as LightGBM and HistGradientBoosting take them), categories as codes of the reference's
    values (unseen and missing: missing), and the model's prediction last."""

    def __init__(self, reference: pd.DataFrame, features: list[str]) -> None:
        _, categorical = split_features(reference, features, CALLER)
        self.features = features
        self.codes: dict[str, pd.Index] = {}
        self.shares: dict[str, pd.Series] = {}
        for name in categorical:
            values = reference[name].dropna().astype(object)
            if values.nunique() <= MAX_NATIVE_CATEGORIES:
                self.codes[name] = pd.Index(values.unique())
            else:
                # too many categories for native support: each value's share of the reference
                self.shares[name] = values.value_counts(normalize=True)
        self.categorical_mask = np.array([f in self.codes for f in features] + [False])

    def transform(self, frame: pd.DataFrame, prediction: np.ndarray) -> np.ndarray:
        out = np.empty((len(frame), len(self.features) + 1))
        for j, name in enumerate(self.features):
            column = frame[name]
            if name in self.codes:
                codes = self.codes[name].get_indexer(column.astype(object)).astype(float)
                codes[codes < 0] = np.nan
                out[:, j] = codes
            elif name in self.shares:
                out[:, j] = column.astype(object).map(self.shares[name]).fillna(0.0).to_numpy(dtype=float)
            else:
                out[:, j] = pd.to_numeric(column, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        out[:, -1] = prediction
        return out


def _fit_nanny(X: np.ndarray, target: np.ndarray, mask: np.ndarray) -> Any:
    from sklearn.ensemble import HistGradientBoostingRegressor

    nanny = HistGradientBoostingRegressor(
        **NANNY_PARAMS, categorical_features=mask if mask.any() else None, random_state=0
    )
    with limited_threads(len(X)):
        return nanny.fit(X, target)


def _dle_estimate(metric: str, predicted_loss: np.ndarray) -> float:
    loss = np.maximum(predicted_loss, 0.0)  # NannyML clips the nanny's negative predictions
    return float(np.mean(loss)) if metric == "mae" else float(np.sqrt(np.mean(loss)))


def _dle_sampling_error(metric: str, components: tuple[float, float], n: int) -> float:
    std, mean = components
    if metric == "mae":
        return std / np.sqrt(n)
    return float(np.sqrt(std**2 / (4 * n * mean))) if mean > 0 else float("nan")


def _realized_regression(metric: str, y: np.ndarray, pred: np.ndarray) -> float | None:
    if len(y) == 0:
        return None
    error = y - pred
    return float(np.mean(np.abs(error))) if metric == "mae" else float(np.sqrt(np.mean(error**2)))


# --- the estimator ---------------------------------------------------------------------------
def _check_choice(value: object, name: str, choices: Sequence[str]) -> str:
    if not isinstance(value, str) or value not in choices:
        raise UnknownNameError(f"{name} of {CALLER}", value, choices)
    return value


def _default_features(model: Any, reference: pd.DataFrame, target: str) -> list[str]:
    names = getattr(model, "feature_names_in_", None)
    if names is not None:
        return [str(n) for n in names]
    return [c for c in reference.columns if c != target]


def _model_name(model: Any) -> str:
    steps = getattr(model, "steps", None)
    if isinstance(steps, list) and steps:
        return " > ".join(type(s).__name__ for _, s in steps)
    return type(model).__name__


class PerformanceEstimator:
    """CBPE (classifiers) or DLE (regressors) fitted on a labelled reference; :meth:`estimate`
    then gives the performance of later data without its labels.

    It holds the model and what it learned from the reference (calibrators or nanny models,
    sampling-error components, thresholds); its results hold none of that.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.linear_model import LinearRegression
    >>> X, y = load_diabetes(return_X_y=True, as_frame=True)
    >>> model = LinearRegression().fit(X[:150], y[:150])
    >>> est = PerformanceEstimator.fit(model, X[150:350].assign(y=y[150:350]), target="y", chunk_size=50)
    >>> result = est.estimate(X[350:].sort_values("bmi"))
    >>> result.method, result.metrics, len(result.analysis)
    ('dle', ('mae', 'rmse'), 2)
    """

    def __init__(
        self,
        model: Any,
        task: ModelTask,
        *,
        method: str,
        target: str,
        features: list[str],
        metrics: tuple[str, ...],
        chunk_size: int | None,
        chunk_number: int | None,
    ) -> None:
        self.model = model
        self.task = task
        self.method = method
        self.target = target
        self.features = features
        self.metrics = metrics
        self.chunk_size = chunk_size
        self.chunk_number = chunk_number
        self.thresholds: dict[str, Thresholds] = {}
        self.reference_chunks: tuple[EstimateChunk, ...] = ()
        self.reference_rows = 0
        self.reference_fingerprint = ""
        self.calibrated: tuple[str, ...] = ()
        self.notes: tuple[str, ...] = ()
        self._calibrators: list[Any | None] = []
        self._components: dict[str, Any] = {}
        self._nanny: dict[str, Any] = {}
        self._encoder: _NannyFeatures | None = None

    # -- fitting --------------------------------------------------------------------------
    @classmethod
    def fit(
        cls,
        model: Any,
        reference: pd.DataFrame,
        *,
        target: str,
        features: Sequence[str] | None = None,
        metrics: Sequence[str] | None = None,
        method: str = "auto",
        chunk_size: int | None = None,
        chunk_number: int | None = None,
        calibration: str = "auto",
    ) -> PerformanceEstimator:
        """Learn from a labelled ``reference`` how ``model`` performs and how sure it is.

        Parameters
        ----------
        model
            A fitted model: a classifier with ``predict_proba`` and ``classes_`` (CBPE), or a
            regressor (DLE). Pipelines work; the model sees the ``features`` columns.
        reference
            Rows the model did not learn from, with their labels in ``target`` (rows without a
            label are left out).
        target
            The label column of ``reference`` (and of later data, where labels came).
        features
            The columns the model takes; default: the model's ``feature_names_in_``, else every
            column but ``target``. DLE's nanny model learns from them too.
        metrics
            Default: ``roc_auc``, ``f1``, ``precision``, ``recall``, ``accuracy`` for a
            classifier (macro averages over classes), ``mae``, ``rmse`` for a regressor.
        method
            ``"auto"`` (CBPE for a classifier, DLE for a regressor), ``"cbpe"`` or ``"dle"``.
        chunk_size, chunk_number
            How the reference (and a frame given to :meth:`estimate`) is cut into chunks;
            neither: 10 chunks, as NannyML.
        calibration
            ``"auto"`` (isotonic where it lowers the calibration error, as NannyML),
            ``"isotonic"`` (always) or ``"none"``.
        """
        task, method, features, metrics, (chunk_size, chunk_number), calibration = _validate_fit(
            model, reference, target, features, metrics, method, chunk_size, chunk_number, calibration
        )
        est = cls(
            model,
            task,
            method=method,
            target=target,
            features=features,
            metrics=metrics,
            chunk_size=chunk_size,
            chunk_number=chunk_number,
        )
        est._fit(reference, calibration)
        return est

    def _fit(self, reference: pd.DataFrame, calibration: str) -> None:
        notes = []
        bounds = chunk_bounds(len(reference), chunk_size=self.chunk_size, chunk_number=self.chunk_number)
        counted = full_chunks([b - a for a, b in bounds])
        if counted.sum() < MIN_REFERENCE_CHUNKS:
            raise ParameterError(
                f"The 'reference' parameter of {CALLER}: {len(reference):,} rows give {int(counted.sum())} "
                f"full chunk(s); thresholds need at least {MIN_REFERENCE_CHUNKS}. Give a smaller chunk_size "
                "or more reference rows."
            )
        if counted.sum() < FEW_REFERENCE_CHUNKS:
            notes.append(
                f"The thresholds rest on {int(counted.sum())} reference chunks; NannyML advises at least "
                f"{FEW_REFERENCE_CHUNKS}."
            )
        y = _label_codes(self.task, reference[self.target].to_numpy())
        labelled = y >= 0 if self.task.is_classifier else ~np.isnan(y)
        if not labelled.all():
            notes.append(
                f"{int((~labelled).sum()):,} reference rows without a label were left out of calibration, "
                "the nanny model and the realized metrics."
            )
        self.reference_rows = len(reference)
        self.reference_fingerprint = fingerprint_of(reference)
        outputs = self._outputs(reference)
        fitted = (outputs[0][labelled], outputs[1][labelled])
        if self.method == "cbpe":
            self._fit_cbpe(fitted, y[labelled], calibration)
        else:
            self._fit_dle(reference.loc[labelled], fitted, y[labelled])
        batches = [Batch(f"reference rows {a + 1:,} to {b:,}", reference.iloc[a:b], a, b) for a, b in bounds]
        chunks = [self._chunk(b, "reference", _slice(outputs, b), y[b.start : b.stop]) for b in batches]
        for m in self.metrics:
            realized = [c.values[m].realized for c, full in zip(chunks, counted, strict=True) if full]
            if self.method == "cbpe":
                self.thresholds[m] = std_thresholds(realized, lower_limit=0.0, upper_limit=1.0)
            else:
                self.thresholds[m] = std_thresholds(realized, lower_limit=0.0)
        self.reference_chunks = tuple(self._with_alerts(c) for c in chunks)
        self.notes = tuple(notes)

    def _fit_cbpe(self, outputs: tuple[np.ndarray, np.ndarray], y: np.ndarray, calibration: str) -> None:
        raw, pred = outputs
        binary = self.task.problem_type == "binary"
        self._calibrators = _fit_calibrators(y, raw, binary, calibration)
        columns = self.task.classes[1:] if binary else self.task.classes
        self.calibrated = tuple(
            str(c) for c, iso in zip(columns, self._calibrators, strict=True) if iso is not None
        )
        self._components = {m: _cbpe_components(m, y, pred, raw, binary) for m in self.metrics}

    def _fit_dle(self, frame: pd.DataFrame, outputs: tuple[np.ndarray, np.ndarray], y: np.ndarray) -> None:
        _, pred = outputs
        self._encoder = _NannyFeatures(frame, self.features)
        X = self._encoder.transform(frame[self.features], pred)
        error = y - pred
        for m in self.metrics:
            loss = np.abs(error) if m == "mae" else error**2
            self._components[m] = (float(np.std(loss)), float(np.mean(loss)))
            self._nanny[m] = _fit_nanny(X, loss, self._encoder.categorical_mask)

    # -- estimating -----------------------------------------------------------------------
    def estimate(
        self, data: pd.DataFrame | Mapping[str, pd.DataFrame], *, labels: Any = None
    ) -> PerformanceEstimate:
        """The performance of the model on ``data``, chunk by chunk.

        Parameters
        ----------
        data
            A frame, cut into chunks as the reference was (``chunk_size`` / ``chunk_number``),
            or a mapping of labels to frames, one chunk each (as :func:`lifecycle_widgets.monitor`
            takes batches; group a frame by period for time-based chunks).
        labels
            Labels that arrived later, for the realized metrics: an array as long as the frame,
            or a mapping like ``data``'s; missing values mark rows still unlabelled. Without
            them, a ``target`` column in the data is used where there is one.

        Returns
        -------
        PerformanceEstimate
            The reference's chunks, then the data's, each metric with its estimate, sampling
            error, band, realized value (where labelled) and alert.
        """
        batches, truth = _prepare_data(
            data,
            labels,
            task=self.task,
            target=self.target,
            features=self.features,
            chunk_size=self.chunk_size,
            chunk_number=self.chunk_number,
        )
        return self._estimate(data, batches, truth)

    def _estimate(self, data: Any, batches: list[Batch], truth: list[np.ndarray]) -> PerformanceEstimate:
        chunks = []
        if isinstance(data, Mapping):
            for b, y in zip(batches, truth, strict=True):
                chunk = self._chunk(
                    b, "analysis", self._outputs(b.frame), y, fingerprint=fingerprint_of(b.frame)
                )
                chunks.append(self._with_alerts(chunk))
        else:
            outputs = self._outputs(data)
            (y_all,) = truth
            for b in batches:
                chunk = self._chunk(
                    b,
                    "analysis",
                    _slice(outputs, b),
                    y_all[b.start : b.stop],
                    fingerprint=fingerprint_of(b.frame),
                )
                chunks.append(self._with_alerts(chunk))
        return PerformanceEstimate(
            method=self.method,
            problem_type=self.task.problem_type,
            model=_model_name(self.model),
            target=self.target,
            metrics=self.metrics,
            thresholds=dict(self.thresholds),
            chunks=self.reference_chunks + tuple(chunks),
            reference_rows=self.reference_rows,
            reference_fingerprint=self.reference_fingerprint,
            classes=tuple(str(c) for c in self.task.classes),
            calibrated=self.calibrated,
            chunk_size=self.chunk_size,
            chunk_number=self.chunk_number,
            notes=self.notes,
        )

    def _outputs(self, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """Probabilities (n, k) and predicted class indices for a classifier; (empty,
        predictions) for a regressor."""
        X = frame[self.features]
        if not self.task.is_classifier:
            pred = np.asarray(self.model.predict(X), dtype=float).ravel()
            return np.empty((len(frame), 0)), pred
        raw = np.asarray(self.model.predict_proba(X), dtype=float)
        k = len(self.task.classes)
        if raw.ndim != 2 or raw.shape != (len(frame), k):
            raise ParameterError(
                f"The 'model' parameter of {CALLER}: predict_proba gave shape {raw.shape} for {len(frame)} rows "
                f"and {k} classes."
            )
        index = {c: i for i, c in enumerate(self.task.classes)}
        predicted = self.model.predict(X)
        try:
            pred = np.array([index[v.item() if isinstance(v, np.generic) else v] for v in predicted])
        except KeyError as err:
            raise ParameterError(
                f"The 'model' parameter of {CALLER}: predict gave {err.args[0]!r}, which is not in classes_ "
                f"{list(self.task.classes)[:20]}."
            ) from None
        return raw, pred

    def _chunk(
        self,
        batch: Batch,
        period: str,
        outputs: tuple[np.ndarray, np.ndarray],
        y: np.ndarray,
        fingerprint: str = "",
    ) -> EstimateChunk:
        raw, pred = outputs
        n = len(pred)
        if self.task.is_classifier:
            have = y >= 0
            binary = self.task.problem_type == "binary"
            cal = _calibrate(raw, self._calibrators, binary)
            values = {}
            for m in self.metrics:
                est = as_plain(_cbpe_estimate(m, cal, raw, pred, binary))
                se = as_plain(_cbpe_sampling_error(m, self._components[m], n, binary))
                realized = _realized_classification(m, y[have], pred[have], raw[have], binary)
                values[m] = _value(est, se, as_plain(realized), upper_limit=1.0)
        else:
            have = ~np.isnan(y)
            assert self._encoder is not None
            X = self._encoder.transform(batch.frame[self.features], pred)
            values = {}
            for m in self.metrics:
                with limited_threads(len(X)):
                    predicted_loss = self._nanny[m].predict(X)
                est = as_plain(_dle_estimate(m, predicted_loss))
                se = as_plain(_dle_sampling_error(m, self._components[m], n))
                values[m] = _value(
                    est, se, as_plain(_realized_regression(m, y[have], pred[have])), upper_limit=None
                )
        return EstimateChunk(
            label=batch.label,
            period=period,
            rows=n,
            labelled=int(have.sum()),
            values=values,
            start=batch.start,
            stop=batch.stop,
            fingerprint=fingerprint,
        )

    def _with_alerts(self, chunk: EstimateChunk) -> EstimateChunk:
        values = (
            {
                m: MetricValue(
                    v.estimate,
                    v.sampling_error,
                    v.lower,
                    v.upper,
                    v.realized,
                    self.thresholds[m].outside(v.estimate),
                )
                for m, v in chunk.values.items()
            }
            if self.thresholds
            else chunk.values
        )
        return EstimateChunk(
            chunk.label,
            chunk.period,
            chunk.rows,
            chunk.labelled,
            values,
            chunk.start,
            chunk.stop,
            chunk.fingerprint,
        )


def _label_codes(task: ModelTask, raw: Any) -> np.ndarray:
    """Class indices (-1: no label) for a classifier; floats (NaN: no label) for a regressor."""
    series = pd.Series(np.asarray(raw, dtype=object).ravel(), dtype=object)
    if not task.is_classifier:
        return pd.to_numeric(series, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    index = {c: i for i, c in enumerate(task.classes)}
    missing = series.isna().to_numpy()
    return np.array(
        [
            -1 if gone else index[v.item() if isinstance(v, np.generic) else v]
            for v, gone in zip(series, missing, strict=True)
        ],
        dtype=int,
    )


def _prepare_data(
    data: Any,
    labels: Any,
    *,
    task: ModelTask,
    target: str,
    features: list[str],
    chunk_size: int | None,
    chunk_number: int | None,
) -> tuple[list[Batch], list[np.ndarray]]:
    """The chunks of ``data`` and the label codes of each frame, every argument checked before
    the model sees a row."""
    batches = batches_of(data, name="data", caller=CALLER, chunk_size=chunk_size, chunk_number=chunk_number)
    frames = [(b.label, b.frame) for b in batches] if isinstance(data, Mapping) else [("data", data)]
    check_features(
        features, [("data" if name == "data" else f"data {name!r}", f) for name, f in frames], CALLER
    )
    if isinstance(labels, pd.Series):
        labels = labels.to_numpy()
    if isinstance(data, Mapping):
        if labels is not None and not isinstance(labels, Mapping):
            raise ParameterError.bad_value(
                "labels", CALLER, "a mapping like data's, from batch label to labels", type(labels).__name__
            )
        unknown = [] if labels is None else [k for k in labels if k not in data]
        if unknown:
            raise ParameterError(
                f"The 'labels' parameter of {CALLER} names batches that data has not: {unknown[:10]}."
            )
        given = [None if labels is None else labels.get(key) for key in data]
    else:
        given = [labels]
    out = []
    for (name, frame), values in zip(frames, given, strict=True):
        if values is None:
            raw = (
                frame[target].to_numpy()
                if target in frame.columns
                else np.full(len(frame), None, dtype=object)
            )
            where = f"the {target!r} column of {name}"
        else:
            raw = np.asarray(
                values.to_numpy() if isinstance(values, pd.Series) else values, dtype=object
            ).ravel()
            where = "labels" if name == "data" else f"labels[{name!r}]"
            if len(raw) != len(frame):
                raise ParameterError(
                    f"The 'labels' parameter of {CALLER} has {len(raw):,} labels for {name}, which has {len(frame):,} rows."
                )
        check_labels(task, raw, where, CALLER)
        codes = _label_codes(task, raw)
        if not task.is_classifier and np.isnan(codes).sum() > pd.isna(pd.Series(raw, dtype=object)).sum():
            raise ParameterError(f"{where} of {CALLER} must hold numbers: the model is a regressor.")
        out.append(codes)
    return batches, out


def _slice(outputs: tuple[np.ndarray, np.ndarray], batch: Batch) -> tuple[np.ndarray, np.ndarray]:
    raw, pred = outputs
    return raw[batch.start : batch.stop], pred[batch.start : batch.stop]


def _value(
    estimate: float | None, se: float | None, realized: float | None, *, upper_limit: float | None
) -> MetricValue:
    """An estimate with its band (three sampling errors each side, cut to the metric's range)."""
    if estimate is None or se is None:
        return MetricValue(estimate, se, None, None, realized)
    lower = max(0.0, estimate - BAND_WIDTH * se)
    upper = estimate + BAND_WIDTH * se
    if upper_limit is not None:
        upper = min(upper_limit, upper)
    return MetricValue(estimate, se, lower, upper, realized)


def _validate_fit(
    model: Any,
    reference: object,
    target: object,
    features: Sequence[str] | None,
    metrics: Sequence[str] | None,
    method: object,
    chunk_size: object,
    chunk_number: object,
    calibration: object,
) -> tuple[ModelTask, str, list[str], tuple[str, ...], tuple[int | None, int | None], str]:
    """Every check of :meth:`PerformanceEstimator.fit`, before the model sees a row."""
    method = _check_choice(method, "method", METHODS)
    calibration = _check_choice(calibration, "calibration", CALIBRATIONS)
    sizes = check_chunking(chunk_size, chunk_number, CALLER)
    frame = check_frame(reference, "reference", CALLER)
    check_fitted(model, CALLER)
    task = model_task(model, CALLER)
    if method == "cbpe" and not task.is_classifier:
        raise ParameterError(
            f"The 'method' parameter of {CALLER} is 'cbpe', but {type(model).__name__} is a regressor; use 'dle'."
        )
    if method == "dle" and task.is_classifier:
        raise ParameterError(
            f"The 'method' parameter of {CALLER} is 'dle', but {type(model).__name__} is a classifier; use 'cbpe'."
        )
    method = "cbpe" if task.is_classifier else "dle"
    if not isinstance(target, str):
        raise ParameterError.bad_value("target", CALLER, "the name of the label column", target)
    if target not in frame.columns:
        raise ColumnError(
            target, f"is the target but not a column of reference; its columns are {list(frame.columns)[:20]}"
        )
    labels = frame[target]
    if labels.notna().sum() == 0:
        raise ParameterError(
            f"The 'reference' parameter of {CALLER} has no labels: every value of {target!r} is missing. "
            "Performance is estimated from a labelled reference."
        )
    check_labels(task, labels.to_numpy(), "reference", CALLER)
    if task.is_classifier:
        present = set(labels.dropna().tolist())
        if len(present) < 2:
            raise ParameterError(
                f"The 'reference' parameter of {CALLER}: {target!r} holds one class only ({sorted(present, key=str)}); "
                "calibration and thresholds need rows of at least two classes."
            )
    elif not pd.api.types.is_numeric_dtype(labels.dtype) or pd.api.types.is_bool_dtype(labels.dtype):
        raise ColumnError(target, f"must hold numbers for a regressor's reference; it holds {labels.dtype}.")
    names = check_features(
        _default_features(model, frame, target) if features is None else features,
        [("reference", frame)],
        CALLER,
    )
    if target in names:
        raise ColumnError(target, "is the target; it cannot also be a feature.")
    valid = CLASSIFICATION_METRICS if task.is_classifier else REGRESSION_METRICS
    if metrics is None:
        chosen = valid
    else:
        if isinstance(metrics, str):
            metrics = [metrics]
        chosen = tuple(metrics)
        if not chosen:
            raise ParameterError(
                f"The 'metrics' parameter of {CALLER} is empty; name at least one of {list(valid)}."
            )
        for m in chosen:
            if m not in valid:
                raise UnknownNameError(f"metric for a {task.problem_type} model", m, valid)
        chosen = tuple(dict.fromkeys(chosen))
    if method == "dle":
        split_features(frame, names, CALLER)  # a date column is refused before the nanny sees it
    return task, method, names, chosen, sizes, calibration


def estimate_performance(
    model: Any,
    reference: pd.DataFrame,
    data: pd.DataFrame | Mapping[str, pd.DataFrame],
    *,
    target: str,
    features: Sequence[str] | None = None,
    metrics: Sequence[str] | None = None,
    method: str = "auto",
    chunk_size: int | None = None,
    chunk_number: int | None = None,
    calibration: str = "auto",
    labels: Any = None,
) -> PerformanceEstimate:
    """Estimate ``model``'s performance on ``data`` without its labels: CBPE for a classifier,
    DLE for a regressor, learned from a labelled ``reference``.

    ``PerformanceEstimator.fit(model, reference, ...).estimate(data, labels=labels)`` in one
    call; keep the estimator to estimate further batches without fitting again. Parameters as
    :meth:`PerformanceEstimator.fit` and :meth:`PerformanceEstimator.estimate`; every one of
    them is checked before the model sees a row.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    >>> model = make_pipeline(StandardScaler(), LogisticRegression()).fit(X[:200], y[:200])
    >>> later = X[400:].sort_values("mean concave points")  # a covariate shift, chunk by chunk
    >>> est = estimate_performance(model, X[200:400].assign(y=y[200:400]), later, target="y",
    ...                            chunk_size=50, metrics=["accuracy"], labels=y[later.index])
    >>> [(round(c.values["accuracy"].estimate, 2), round(c.values["accuracy"].realized, 2)) for c in est.analysis][:2]
    [(0.98, 0.98), (0.92, 0.88)]
    """
    task, method, names, chosen, (size, number), calibration = _validate_fit(
        model, reference, target, features, metrics, method, chunk_size, chunk_number, calibration
    )
    batches, truth = _prepare_data(
        data, labels, task=task, target=target, features=names, chunk_size=size, chunk_number=number
    )
    if isinstance(data, Mapping) and size is None and number is None:
        size = typical_batch_size(batches)
    estimator = PerformanceEstimator(
        model,
        task,
        method=method,
        target=target,
        features=names,
        metrics=chosen,
        chunk_size=size,
        chunk_number=number,
    )
    estimator._fit(reference, calibration)
    return estimator._estimate(data, batches, truth)
