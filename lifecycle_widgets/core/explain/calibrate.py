"""Probability calibration: reliability bins, ECE/MCE, Brier score, log loss, and recalibration
by temperature scaling, Platt scaling or isotonic regression, chosen on held-out rows.

Binary problems are judged on the probability of the positive class (the reliability curve of
``sklearn.calibration.calibration_curve``); multiclass problems on the top-class confidence
against top-class accuracy, as in Guo et al., "On Calibration of Modern Neural Networks"
(ICML 2017), which also introduced temperature scaling: divide the logits by one ``T > 0``
fitted to minimize the negative log-likelihood on held-out data. Multiclass problems also get
one reliability curve per class, one-vs-rest (the probability of the class against the share of
rows of that class), with its ECE; their mean is the classwise ECE of Kull et al., "Beyond
temperature scaling" (NeurIPS 2019). The recalibration maps and the rule that picks one live in
:mod:`lifecycle_widgets.core.explain.calibration_methods`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from lifecycle_widgets.core.explain.calibration_methods import (
    METHODS,
    T_BOUNDS,
    choose_method,
    fit_map,
    logits,
    row_log_loss,
    scaled,
    temperature_fit,
)
from lifecycle_widgets.core.result import Result
from lifecycle_widgets.exceptions import ParameterError, UnknownNameError

__all__ = [
    "Calibration",
    "CalibrationMethod",
    "CalibrationMetrics",
    "ClassReliability",
    "ReliabilityBin",
    "apply_temperature",
    "calibration",
    "fit_temperature",
    "reliability_bins",
]

_CALLER = "calibration"
_STRATEGIES = ("uniform", "quantile")


@dataclass(frozen=True)
class ReliabilityBin:
    """One bin of a reliability diagram: its edges, size, mean confidence and observed frequency.

    ``mean_predicted`` and ``observed`` are ``None`` for an empty bin.
    """

    lower: float
    upper: float
    count: int
    mean_predicted: float | None
    observed: float | None


@dataclass(frozen=True)
class ClassReliability:
    """The one-vs-rest reliability of one class: its probability against the share of rows of
    that class, bin by bin, with the ECE and MCE of those bins."""

    label: str
    ece: float
    mce: float
    bins: tuple[ReliabilityBin, ...]


@dataclass(frozen=True)
class CalibrationMetrics:
    """Calibration of one set of probabilities: ECE, MCE, Brier score, log loss and the bins.

    Multiclass problems add one reliability curve per class (``per_class``, one-vs-rest) and
    their mean ECE (``classwise_ece``); both are empty for binary problems, whose one curve is
    the positive class's.
    """

    ece: float
    mce: float
    brier: float
    log_loss: float
    bins: tuple[ReliabilityBin, ...]
    per_class: tuple[ClassReliability, ...] = ()
    classwise_ece: float | None = None


@dataclass(frozen=True)
class CalibrationMethod:
    """One recalibration map, fitted on the fit rows and measured on the evaluation rows.

    ``parameters`` are what was fitted (``temperature``; Platt's ``slope`` and ``intercept``,
    per class as ``slope[c]``; isotonic's number of ``steps``). ``improvement`` is the drop in
    mean log loss from the uncalibrated probabilities on the evaluation rows, and
    ``improvement_se`` the standard error of that mean of paired per-row differences.
    """

    name: str
    parameters: dict[str, float]
    metrics: CalibrationMetrics
    improvement: float
    improvement_se: float


@dataclass(frozen=True)
class Calibration(Result):
    """Calibration before and after recalibration, on the evaluation rows.

    ``n`` rows were given; every recalibration map (``none``, ``temperature``, ``platt``,
    ``isotonic``: ``methods``) was fitted on ``n_fit`` rows (the ``validation`` set when one was
    given, else a stratified share of the rows) and measured on the other ``n_eval`` rows (all
    given rows when a validation set was given). ``method`` names the map chosen by held-out log
    loss (``selection == "auto"``; see :func:`calibration`) or by the caller (``"given"``);
    ``before`` holds the metrics of the probabilities as given and ``after`` those of the chosen
    map (equal to ``before`` when the choice is ``none``). ``temperature`` is the fitted
    temperature whichever map was chosen.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> p = rng.uniform(0.05, 0.95, 20_000)
    >>> y = rng.random(20_000) < p
    >>> sharp = 1 / (1 + np.exp(-3 * np.log(p / (1 - p))))  # overconfident: logits times 3
    >>> result = calibration(y, sharp)
    >>> round(result.temperature), result.method, result.after.ece < result.before.ece
    (3, 'temperature', True)
    """

    kind: ClassVar[str] = "calibration"

    n: int
    n_fit: int
    n_eval: int
    classes: tuple[str, ...]
    positive_label: str | None
    confidence: str
    n_bins: int
    strategy: str
    validation: str
    temperature: float
    before: CalibrationMetrics
    after: CalibrationMetrics
    notes: tuple[str, ...] = ()
    method: str = "temperature"  # records older than the choice of methods scaled by temperature
    selection: str = "given"
    methods: tuple[CalibrationMethod, ...] = ()

    @property
    def multiclass(self) -> bool:
        """True when there are more than two classes (reliability of the top-class confidence)."""
        return len(self.classes) > 2

    @property
    def chosen(self) -> CalibrationMethod | None:
        """The chosen recalibration map with its held-out metrics (None in older records)."""
        return next((m for m in self.methods if m.name == self.method), None)

    def to_frame(self) -> pd.DataFrame:
        """The reliability bins before and after recalibration, one row per bin and stage."""
        rows = [
            {"stage": stage, **vars(b)}
            for stage, metrics in (("before", self.before), ("after", self.after))
            for b in metrics.bins
        ]
        return pd.DataFrame(rows, columns=["stage", "lower", "upper", "count", "mean_predicted", "observed"])

    def methods_frame(self) -> pd.DataFrame:
        """One row per recalibration map: its held-out ECE, MCE, Brier score, log loss, the drop
        in log loss with its standard error, and whether it was chosen.

        Examples
        --------
        >>> import numpy as np
        >>> y = np.array([0, 1] * 200)
        >>> p = np.where(y == 1, 0.7, 0.3)
        >>> list(calibration(y, p).methods_frame()["method"])
        ['none', 'temperature', 'platt', 'isotonic']
        """
        rows = [
            {
                "method": m.name,
                "ece": m.metrics.ece,
                "mce": m.metrics.mce,
                "brier": m.metrics.brier,
                "log_loss": m.metrics.log_loss,
                "classwise_ece": m.metrics.classwise_ece,
                "improvement": m.improvement,
                "improvement_se": m.improvement_se,
                "chosen": m.name == self.method,
            }
            for m in self.methods
        ]
        columns = [
            "method",
            "ece",
            "mce",
            "brier",
            "log_loss",
            "classwise_ece",
            "improvement",
            "improvement_se",
            "chosen",
        ]
        return pd.DataFrame(rows, columns=columns)

    def classes_frame(self) -> pd.DataFrame:
        """Multiclass: the one-vs-rest reliability bins of every class, before and after
        recalibration, one row per class, stage and bin (empty for a binary problem)."""
        rows = [
            {"stage": stage, "class": c.label, "class_ece": c.ece, **vars(b)}
            for stage, metrics in (("before", self.before), ("after", self.after))
            for c in metrics.per_class
            for b in c.bins
        ]
        columns = ["stage", "class", "class_ece", "lower", "upper", "count", "mean_predicted", "observed"]
        return pd.DataFrame(rows, columns=columns)

    def __repr__(self) -> str:
        kind = "multiclass" if self.multiclass else "binary"
        return (
            f"<Calibration {kind}, {self.n_eval:,} evaluation rows: ECE {self.before.ece:.4f} -> "
            f"{self.after.ece:.4f}, Brier {self.before.brier:.4f} -> {self.after.brier:.4f} "
            f"({self.method}; T = {self.temperature:.3g})>"
        )


# --- validation ---------------------------------------------------------------------------------
def _labels(name: str, values: Any) -> np.ndarray:
    series = values if isinstance(values, pd.Series) else pd.Series(np.asarray(values, dtype=object).tolist())
    if np.ndim(values) != 1:
        raise ParameterError.bad_value(
            name, _CALLER, "a 1-D array of class labels", f"shape {np.shape(values)}"
        )
    missing = int(series.isna().sum())
    if missing:
        raise ParameterError(
            f"The {name!r} parameter of {_CALLER} has {missing:,} missing labels; drop them first."
        )
    return _homogeneous(series.to_numpy())


def _homogeneous(arr: np.ndarray) -> np.ndarray:
    """An object array of one Python type as a native numpy array (``str`` -> ``<U``, ``int`` -> int64)."""
    if arr.dtype == object and len({type(v) for v in arr}) == 1:
        return np.asarray(arr.tolist())
    return arr


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _is_class(classes: np.ndarray, value: Any) -> np.ndarray:
    return np.array([c == value for c in classes.tolist()], dtype=bool)


def _proba(name: str, values: Any) -> np.ndarray:
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ParameterError.bad_value(
            name, _CALLER, "an array of probabilities", type(values).__name__
        ) from exc
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim not in (1, 2):
        raise ParameterError.bad_value(
            name,
            _CALLER,
            "a 1-D array (positive class) or a 2-D array (one column per class)",
            f"shape {arr.shape}",
        )
    if np.isnan(arr).any():
        raise ParameterError(
            f"The {name!r} parameter of {_CALLER} has {int(np.isnan(arr).sum()):,} missing values."
        )
    outside = (arr < 0) | (arr > 1)
    if outside.any():
        raise ParameterError(
            f"The {name!r} parameter of {_CALLER} must hold probabilities in [0, 1]. Got {int(outside.sum()):,} "
            f"values outside (min {arr.min():.4g}, max {arr.max():.4g})."
        )
    if arr.ndim == 2:
        if arr.shape[1] < 2:
            raise ParameterError.bad_value(name, _CALLER, "at least two columns", f"shape {arr.shape}")
        sums = arr.sum(axis=1)
        bad = np.flatnonzero(np.abs(sums - 1) > 1e-5)
        if bad.size:
            raise ParameterError(
                f"The rows of {name!r} (one column per class) must sum to 1. Got {bad.size:,} rows that do not, "
                f"the first being row {bad[0]} with sum {sums[bad[0]]:.6g}."
            )
    return arr


def _classes(y: np.ndarray, n_columns: int | None) -> np.ndarray:
    present = np.unique(y)
    if n_columns is None or len(present) == n_columns:
        return present
    if (
        len(present) < n_columns
        and np.issubdtype(y.dtype, np.integer)
        and present.min() >= 0
        and present.max() < n_columns
    ):
        return np.arange(n_columns)
    raise ParameterError(
        f"The 'proba' parameter of {_CALLER} has {n_columns} columns, but y_true holds {len(present)} classes "
        f"{[str(c) for c in present[:10]]}: columns are taken to be the sorted classes, so the counts must "
        f"match (or the labels must be the integers 0..{n_columns - 1})."
    )


def _given_classes(classes: Sequence[Any], labels: np.ndarray, proba: np.ndarray) -> np.ndarray:
    """The ``classes`` parameter as an array, checked against the columns and the labels."""
    given = _homogeneous(np.asarray([_plain(c) for c in classes], dtype=object))
    width = 2 if proba.ndim == 1 else proba.shape[1]
    if len(given) != width or len(set(given.tolist())) != len(given):
        raise ParameterError.bad_value(
            "classes", _CALLER, f"{width} distinct classes, one per column of 'proba'", list(given)[:20]
        )
    known = set(given.tolist())
    unknown = sorted({str(v) for v in labels.tolist() if v not in known})
    if unknown:
        raise ParameterError(
            f"The 'y_true' parameter of {_CALLER} holds labels that are not among the classes "
            f"{[str(c) for c in given[:20]]}: {unknown[:10]}."
        )
    return given


# --- the pieces -----------------------------------------------------------------------------------
def _edges(confidence: np.ndarray, n_bins: int, strategy: str) -> np.ndarray:
    if strategy == "uniform":
        return np.linspace(0.0, 1.0, n_bins + 1)
    edges = np.unique(np.percentile(confidence, np.linspace(0, 100, n_bins + 1)))
    return edges if len(edges) > 1 else np.repeat(edges, 2)


def reliability_bins(
    correct: Any, confidence: Any, *, n_bins: int = 10, strategy: str = "uniform"
) -> tuple[ReliabilityBin, ...]:
    """Bin ``confidence`` and compare each bin's mean confidence with its share of ``correct``.

    Bins are ``[e0, e1], (e1, e2], ..., (e_{k-1}, e_k]``, the assignment of
    ``sklearn.calibration.calibration_curve``. ``uniform`` bins split [0, 1] evenly; ``quantile``
    bins hold equal numbers of rows (edges at the percentiles of ``confidence``; repeated edges are
    merged, so there may be fewer bins). Empty bins are kept, with ``None`` statistics.

    Parameters
    ----------
    correct : array-like of bool or 0/1
        Whether the event happened (binary: the label is the positive class; multiclass: the top
        class is the true class).
    confidence : array-like of float
        The predicted probability of that event.

    Examples
    --------
    >>> [(b.count, b.mean_predicted, b.observed) for b in reliability_bins([0, 1, 1], [0.2, 0.6, 0.8], n_bins=2)]
    [(1, 0.2, 0.0), (2, 0.7, 1.0)]
    """
    c = np.asarray(correct, dtype=float)
    p = np.asarray(confidence, dtype=float)
    edges = _edges(p, n_bins, strategy)
    ids = np.searchsorted(edges[1:-1], p)
    k = len(edges) - 1
    count = np.bincount(ids, minlength=k)
    conf_sum = np.bincount(ids, weights=p, minlength=k)
    hit_sum = np.bincount(ids, weights=c, minlength=k)
    return tuple(
        ReliabilityBin(
            lower=float(edges[i]),
            upper=float(edges[i + 1]),
            count=int(count[i]),
            mean_predicted=float(conf_sum[i] / count[i]) if count[i] else None,
            observed=float(hit_sum[i] / count[i]) if count[i] else None,
        )
        for i in range(k)
    )


def _errors(bins: tuple[ReliabilityBin, ...]) -> tuple[float, float]:
    """ECE (bins weighted by their share of rows) and MCE (the largest gap of a non-empty bin)."""
    n = sum(b.count for b in bins)
    gaps = [(b.count, abs(b.observed - b.mean_predicted)) for b in bins if b.count]  # type: ignore[operator]
    return float(sum(c * g for c, g in gaps) / n), float(max(g for _, g in gaps))


def apply_temperature(proba: Any, temperature: float) -> np.ndarray:
    """Rescale probabilities by a temperature: ``sigmoid(logit(p) / T)``, or ``softmax(log p / T)``.

    ``proba`` is 1-D (the positive class of a binary problem) or 2-D (one column per class);
    ``T > 1`` softens overconfident probabilities, ``T < 1`` sharpens them.

    Examples
    --------
    >>> apply_temperature([0.9], 2.0).round(4).tolist()  # logit 2.197 -> 1.099
    [0.75]
    """
    if not temperature > 0:
        raise ParameterError.bad_value("temperature", "apply_temperature", "a positive number", temperature)
    return scaled(logits(_proba("proba", proba)), float(temperature))


def fit_temperature(y_true: Any, proba: Any, *, positive_label: Any = None) -> float:
    """The temperature ``T`` in [0.01, 100] that minimizes the negative log-likelihood (Guo et al. 2017).

    Minimizes over ``log T`` with ``scipy.optimize.minimize_scalar`` (bounded); the likelihood
    is unimodal in ``log T``. ``proba`` as in :func:`calibration`.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(2)
    >>> p = rng.uniform(0.05, 0.95, 20_000)
    >>> y = rng.random(20_000) < p
    >>> round(fit_temperature(y, apply_temperature(p, 0.5)))  # logits doubled: T = 2 undoes it
    2
    """
    y = _labels("y_true", y_true)
    p = _proba("proba", proba)
    if len(y) != len(p):
        raise ParameterError(f"y_true and proba must have the same length. Got {len(y):,} and {len(p):,}.")
    classes = _classes(y, None if p.ndim == 1 else p.shape[1])
    if p.ndim == 1:
        pos = classes[-1] if positive_label is None else positive_label
        target = (y == pos).astype(int)
    else:
        target = np.searchsorted(classes, y)
    return temperature_fit(logits(p), target)[0]


def _metrics(
    target: np.ndarray, proba: np.ndarray, n_bins: int, strategy: str, classes: Sequence[str]
) -> CalibrationMetrics:
    """Metrics of positive-class probabilities (1-D, target 0/1) or class probabilities (2-D,
    with one reliability curve per class)."""
    per_class: tuple[ClassReliability, ...] = ()
    if proba.ndim == 1:
        correct, confidence = target.astype(float), proba
        brier = float(np.mean((proba - target) ** 2))
    else:
        rows = np.arange(len(proba))
        confidence = proba.max(axis=1)
        correct = (proba.argmax(axis=1) == target).astype(float)
        onehot = np.zeros_like(proba)
        onehot[rows, target] = 1.0
        brier = float(np.mean(((proba - onehot) ** 2).sum(axis=1)))
        per_class = tuple(
            ClassReliability(label, *_errors(bins), bins)
            for label, bins in (
                (label, reliability_bins(onehot[:, c], proba[:, c], n_bins=n_bins, strategy=strategy))
                for c, label in enumerate(classes)
            )
        )
    bins = reliability_bins(correct, confidence, n_bins=n_bins, strategy=strategy)
    ece, mce = _errors(bins)
    return CalibrationMetrics(
        ece=ece,
        mce=mce,
        brier=brier,
        log_loss=float(np.mean(row_log_loss(target, proba))),
        bins=bins,
        per_class=per_class,
        classwise_ece=float(np.mean([c.ece for c in per_class])) if per_class else None,
    )


def _split(target: np.ndarray, fraction: float, random_state: int) -> tuple[np.ndarray, np.ndarray, str]:
    from sklearn.model_selection import train_test_split

    n = len(target)
    n_fit = round(n * fraction)
    if n_fit < 1 or n - n_fit < 1:
        raise ParameterError(
            f"The 'validation_fraction' parameter of {_CALLER} ({fraction}) leaves no rows to "
            f"{'fit' if n_fit < 1 else 'evaluate'} on with {n:,} rows. Pass more rows, another fraction, "
            "or a validation set."
        )
    idx = np.arange(n)
    counts = np.bincount(target)
    k = int((counts > 0).sum())
    stratify = counts[counts > 0].min() >= 2 and n_fit >= k and n - n_fit >= k
    eval_idx, fit_idx = train_test_split(
        idx, test_size=n_fit, random_state=random_state, stratify=target if stratify else None
    )
    note = "" if stratify else "the split is not stratified: a class has too few rows"
    return np.sort(fit_idx), np.sort(eval_idx), note


def calibration(
    y_true: Any,
    proba: Any,
    *,
    n_bins: int = 10,
    strategy: str = "uniform",
    validation: tuple[Any, Any] | None = None,
    validation_fraction: float = 0.5,
    random_state: int = 0,
    positive_label: Any = None,
    classes: Sequence[Any] | None = None,
    method: str = "auto",
) -> Calibration:
    """Reliability, ECE, MCE, Brier score and log loss, before and after recalibration by
    temperature scaling, Platt scaling or isotonic regression, the map chosen on held-out rows.

    Binary problems use the probability of the positive class: ECE and the bins then match
    ``sklearn.calibration.calibration_curve``. Multiclass problems use the top-class confidence
    against top-class accuracy (Guo et al. 2017). ``ECE = sum_b (n_b / n) |acc_b - conf_b|``,
    ``MCE = max_b |acc_b - conf_b|`` over non-empty bins; Brier is ``mean (p - y)^2`` (binary) or
    the mean over rows of the sum over classes (multiclass, range [0, 2]); log loss clips
    probabilities to machine epsilon, as scikit-learn does.

    Multiclass problems also get one reliability curve per class, one-vs-rest, with its ECE
    (``per_class``) and their mean (``classwise_ece``).

    Every map of :mod:`~lifecycle_widgets.core.explain.calibration_methods` is fitted on the
    validation rows (``validation`` when given, else a stratified ``validation_fraction`` of the
    rows) and measured on the rows not used to fit it: temperature scaling (one ``T > 0``,
    searched in [0.01, 100], minimizing the negative log-likelihood of ``sigmoid(logit(p) / T)``
    or ``softmax(log p / T)``), Platt scaling (``LogisticRegression`` on the logit; one-vs-rest
    and renormalized for several classes) and isotonic regression (``IsotonicRegression``;
    likewise). With ``method="auto"`` the map of lowest held-out log loss is chosen, except
    that a simpler one (in the order none, temperature, platt, isotonic) within one standard
    error of the paired per-row difference is preferred; ``none`` when no map lowers the log
    loss beyond that noise. The choice is made on the rows its metrics are reported on, so the
    chosen map's ``after`` is slightly optimistic; pass ``validation`` and a third set to
    :func:`calibration` again to measure it untouched.

    Parameters
    ----------
    y_true : array-like
        Class labels.
    proba : array-like
        1-D: probability of the positive class (binary). 2-D: one column per class, columns in the
        sorted order of the classes (as ``predict_proba`` returns them); rows must sum to 1.
    n_bins : int, default 10
        Number of reliability bins, at least 2.
    strategy : {"uniform", "quantile"}
        Equal-width bins on [0, 1], or bins with equal numbers of rows.
    validation : (y_val, proba_val), optional
        Held-out rows to fit the temperature on; then every given row is evaluated.
    validation_fraction : float, default 0.5
        Without ``validation``: the share of rows used to fit the temperature.
    random_state : int, default 0
        Seed of the split.
    positive_label : optional
        Binary only: the positive class. Default: the greater of the two (sorted) classes,
        which is the second column of a 2-D ``proba``.
    classes : sequence, optional
        The classes the columns of ``proba`` stand for, in their order (a model's ``classes_``);
        then the labels may lack some classes, and every label must be one of them. Default:
        the sorted labels.
    method : {"auto", "none", "temperature", "platt", "isotonic"}, default "auto"
        The map whose metrics are ``after``: chosen by held-out log loss, or this one. Every
        map is fitted and reported in ``methods`` either way.

    Returns
    -------
    Calibration

    Examples
    --------
    >>> import numpy as np
    >>> y = np.array([0, 0, 1, 1] * 25)
    >>> p = np.array([0.1, 0.4, 0.6, 0.9] * 25)
    >>> result = calibration(y, p, n_bins=5, validation=(y, p))  # evaluate on every row
    >>> round(result.before.ece, 3), round(result.before.brier, 3)
    (0.25, 0.085)
    >>> result.method  # the scores rank perfectly: the least temperature makes them near 0 and 1
    'temperature'
    """
    if isinstance(n_bins, bool) or not isinstance(n_bins, int | np.integer) or n_bins < 2:
        raise ParameterError.bad_value("n_bins", _CALLER, "an integer of at least 2", n_bins)
    if strategy not in _STRATEGIES:
        raise ParameterError.bad_value("strategy", _CALLER, f"one of {list(_STRATEGIES)}", strategy)
    if method != "auto" and method not in METHODS:
        raise UnknownNameError("calibration method", method, ("auto", *METHODS))
    if not isinstance(validation_fraction, float | int) or not 0 < validation_fraction < 1:
        raise ParameterError.bad_value(
            "validation_fraction", _CALLER, "a number strictly between 0 and 1", validation_fraction
        )
    y = _labels("y_true", y_true)
    p = _proba("proba", proba)
    if len(y) != len(p):
        raise ParameterError(
            f"The 'y_true' and 'proba' parameters of {_CALLER} must have one entry per row each. "
            f"Got {len(y):,} labels and {len(p):,} rows of probabilities."
        )
    y_val = p_val = None
    if validation is not None:
        if not isinstance(validation, tuple | list) or len(validation) != 2:
            raise ParameterError.bad_value(
                "validation", _CALLER, "a pair (y_val, proba_val)", type(validation).__name__
            )
        y_val, p_val = _labels("validation[0]", validation[0]), _proba("validation[1]", validation[1])
        if len(y_val) != len(p_val):
            raise ParameterError(
                f"The 'validation' parameter of {_CALLER} must pair labels and probabilities of the same length. "
                f"Got {len(y_val):,} and {len(p_val):,}."
            )
        if p_val.ndim != p.ndim or (p.ndim == 2 and p_val.shape[1] != p.shape[1]):
            raise ParameterError(
                f"The validation probabilities must have the shape of 'proba' per row. Got {p_val.shape[1:]} "
                f"instead of {p.shape[1:]}."
            )
    if len(np.unique(y.astype(str))) < 2:
        raise ParameterError(
            f"The 'y_true' parameter of {_CALLER} holds a single class ({_plain(y[0])!r}): calibration compares "
            "predicted probabilities with observed frequencies of at least two classes."
        )
    all_y = y if y_val is None else _homogeneous(np.concatenate([y.astype(object), y_val.astype(object)]))
    if classes is not None:
        classes = _given_classes(classes, all_y, p)
    else:
        try:
            classes = _classes(all_y, None if p.ndim == 1 else p.shape[1])
        except TypeError as exc:
            raise ParameterError(
                f"The labels of {_CALLER} must be of one comparable type. Got {exc}."
            ) from exc
    binary = len(classes) == 2
    if p.ndim == 1 and not binary:
        raise ParameterError(
            f"The 'proba' parameter of {_CALLER} is 1-D (the positive class of a binary problem), but y_true "
            f"holds {len(classes)} classes {[str(c) for c in classes[:10]]}; pass one column per class."
        )
    if positive_label is not None and not binary:
        raise ParameterError.bad_value(
            "positive_label", _CALLER, "None for a multiclass problem", positive_label
        )
    if binary:
        if positive_label is None:
            positive_label = classes[1]
        elif not _is_class(classes, positive_label).any():
            raise ParameterError.bad_value(
                "positive_label", _CALLER, f"one of the classes {[str(c) for c in classes]}", positive_label
            )
        pos_index = int(np.flatnonzero(_is_class(classes, positive_label))[0])
        positive = classes[pos_index]

        def prepare(labels: np.ndarray, probs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            return (labels == positive).astype(int), probs if probs.ndim == 1 else probs[:, pos_index]
    else:
        index = {c: i for i, c in enumerate(classes.tolist())}

        def prepare(labels: np.ndarray, probs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            return np.array([index[v] for v in labels.tolist()], dtype=int), probs

    target, probs = prepare(y, p)
    notes: list[str] = []
    if y_val is not None:
        unknown = sorted({str(v) for v in np.unique(y_val)} - {str(c) for c in classes})
        if unknown:
            raise ParameterError(
                f"The validation labels hold classes absent from the probabilities: {unknown[:10]}."
            )
        fit_target, fit_probs = prepare(y_val, p_val)
        eval_target, eval_probs = target, probs
        source = "given"
    else:
        fit_idx, eval_idx, note = _split(target, float(validation_fraction), random_state)
        fit_target, fit_probs = target[fit_idx], probs[fit_idx]
        eval_target, eval_probs = target[eval_idx], probs[eval_idx]
        source = "split"
        if note:
            notes.append(note)
    labels = tuple(str(c) for c in classes)
    before = _metrics(eval_target, eval_probs, n_bins, strategy, labels)
    base_loss = row_log_loss(eval_target, eval_probs)
    losses: dict[str, np.ndarray] = {}
    fitted: list[CalibrationMethod] = []
    temperature = 1.0
    for name in METHODS:
        fit = fit_map(name, fit_target, fit_probs)
        if name == "temperature":
            temperature = fit.parameters["temperature"]
            if fit.at_bound:
                notes.append(f"the fitted temperature sits at the edge of the search range {list(T_BOUNDS)}")
        calibrated = fit.apply(eval_probs)
        losses[name] = row_log_loss(eval_target, calibrated)
        diff = base_loss - losses[name]
        fitted.append(
            CalibrationMethod(
                name=name,
                parameters=fit.parameters,
                metrics=before
                if name == "none"
                else _metrics(eval_target, calibrated, n_bins, strategy, labels),
                improvement=float(np.mean(diff)),
                improvement_se=float(np.std(diff, ddof=1) / np.sqrt(len(diff))) if len(diff) > 1 else 0.0,
            )
        )
    chosen = choose_method(losses) if method == "auto" else method
    return Calibration(
        n=len(y),
        n_fit=len(fit_target),
        n_eval=len(eval_target),
        classes=tuple(str(c) for c in classes),
        positive_label=str(positive_label) if binary else None,
        confidence="positive_class" if binary else "top_class",
        n_bins=int(n_bins),
        strategy=strategy,
        validation=source,
        temperature=temperature,
        before=before,
        after=next(m.metrics for m in fitted if m.name == chosen),
        notes=tuple(notes),
        method=chosen,
        selection="auto" if method == "auto" else "given",
        methods=tuple(fitted),
    )
