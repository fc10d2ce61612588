"""Split conformal prediction through MAPIE: intervals for a regressor, prediction sets for a
classifier, and how often they held the truth on held-out rows.

A fitted model is conformalized on calibration rows (MAPIE's ``SplitConformalRegressor`` /
``SplitConformalClassifier`` with ``prefit=True`` and ``conformalize``; Vovk et al.,
"Algorithmic Learning in a Random World", 2005; Angelopoulos and Bates, "A Gentle Introduction
to Conformal Prediction", 2021), then judged on test rows it has not seen: the share of rows
whose interval or set holds the true value (the empirical coverage) with its exact binomial
(Clopper-Pearson) interval, the mean interval width or set size, and coverage per class or per
bin of the prediction, where marginal coverage can hide a group that is covered far less.

With ``n`` calibration rows and tie-free scores, split conformal covers a new row with
probability exactly ``k / (n + 1)``, ``k = ceil((n + 1) c)`` for the confidence ``c`` (at least
``c``, at most ``c + 1 / (n + 1)``), averaged over calibration sets. One calibration set's
coverage is ``Beta(k, n + 1 - k)`` (Vovk 2012, "Conditional validity of inductive conformal
predictors"), so the number of ``m`` test rows covered is beta-binomial ``(m, k, n + 1 - k)``:
that law gives the band the observed coverage should fall in when conformal prediction works
as promised (exchangeable rows), counting both the calibration draw and the test draw.

MAPIE is the extra ``uncertainty``: ``pip install "lifecycle_widgets[uncertainty]"``.
"""

from __future__ import annotations

import itertools
import math
import warnings
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from lifecycle_widgets.core.explain.estimator import ModelTask, as_estimator, check_labels, model_task
from lifecycle_widgets.core.formatting import fmt_number
from lifecycle_widgets.core.result import Result
from lifecycle_widgets.exceptions import MissingDependencyError, ParameterError, UnknownNameError

__all__ = [
    "CONFORMITY_SCORES",
    "Conformal",
    "CoverageGroup",
    "IntervalSample",
    "SetSize",
    "binomial_interval",
    "conformal",
    "expected_band",
]

_CALLER = "conformal"
CONFORMITY_SCORES: dict[str, tuple[str, ...]] = {
    # MAPIE's names; the first of each is the default
    "regression": ("absolute", "gamma"),
    "classification": ("lac", "aps"),
}
SAMPLE_CAP = 200  # test rows kept for the interval figure, evenly spaced by prediction


@dataclass(frozen=True)
class CoverageGroup:
    """Coverage of one group of test rows: a true class, or a bin of the predicted value.

    ``lower`` and ``upper`` bound the coverage (exact binomial interval); ``mean_size`` is the
    mean interval width (regression) or mean set size (classification) of the group's rows;
    ``low`` and ``high`` are a bin's edges (``None`` for a class).
    """

    label: str
    count: int
    covered: int
    coverage: float | None
    lower: float | None
    upper: float | None
    mean_size: float
    low: float | None = None
    high: float | None = None


@dataclass(frozen=True)
class SetSize:
    """Classification: how many test rows got a prediction set of ``size`` classes, and how many
    of those sets held the true class."""

    size: int
    count: int
    covered: int


@dataclass(frozen=True)
class IntervalSample:
    """Regression: one test row of the figure's sample: truth, prediction and interval."""

    y_true: float
    y_pred: float
    lower: float
    upper: float


@dataclass(frozen=True)
class Conformal(Result):
    """Conformal intervals or prediction sets and their coverage on held-out rows.

    ``confidence`` is the target coverage; ``coverage`` the share of the ``n_test`` rows whose
    interval or set held the truth, with its exact binomial interval ``coverage_ci`` at
    ``ci_level``; ``expected`` the coverage split conformal gives on average with ``n_calib``
    calibration rows (``ceil((n_calib + 1) confidence) / (n_calib + 1)``) and ``expected_band``
    the central ``ci_level`` range of coverage it gives on ``n_test`` rows (beta-binomial: the
    calibration draw and the test draw). ``status`` is ``below`` when the coverage falls under
    that band, ``above`` when over it (sets larger than the method promises: tied scores, or
    MAPIE's ``aps``, which keeps the last class by design), else ``met``. ``groups`` hold
    coverage per true class (classification) or per bin of the predicted value (regression).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LinearRegression
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(3000, 2))
    >>> y = X @ [1.0, 2.0] + rng.normal(size=3000)
    >>> model = LinearRegression().fit(X[:1000], y[:1000])
    >>> result = conformal(model, X[1000:2000], y[1000:2000], X[2000:], y[2000:], confidence=0.9)
    >>> result.status, round(result.mean_width, 1)  # about 2 * 1.645 for unit normal noise
    ('met', 3.3)
    """

    kind: ClassVar[str] = "conformal"

    problem_type: str
    method: str
    model: str
    confidence: float
    n_calib: int
    n_test: int
    covered: int
    coverage: float
    coverage_ci: tuple[float, float]
    ci_level: float
    expected: float
    expected_band: tuple[float, float]
    status: str
    classes: tuple[str, ...]
    group_by: str
    groups: tuple[CoverageGroup, ...]
    mean_width: float | None = None
    median_width: float | None = None
    mean_set_size: float | None = None
    empty_sets: int = 0
    set_sizes: tuple[SetSize, ...] = ()
    sample: tuple[IntervalSample, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def is_classifier(self) -> bool:
        """True for prediction sets (binary or multiclass), False for intervals."""
        return self.problem_type != "regression"

    def to_frame(self) -> pd.DataFrame:
        """One row per group (true class, or bin of the prediction): rows, rows covered,
        coverage with its interval, the mean width or set size, and a bin's edges.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn.linear_model import LinearRegression
        >>> rng = np.random.default_rng(0)
        >>> X = rng.normal(size=(600, 1))
        >>> y = X[:, 0] + rng.normal(size=600)
        >>> model = LinearRegression().fit(X[:200], y[:200])
        >>> conformal(model, X[200:400], y[200:400], X[400:], y[400:], n_bins=4).to_frame().shape
        (4, 9)
        """
        size = "mean_set_size" if self.is_classifier else "mean_width"
        columns = [self.group_by, "count", "covered", "coverage", "lower", "upper", size]
        if not self.is_classifier:
            columns += ["low", "high"]  # the bin's edges
        rows = [
            {
                self.group_by: g.label,
                "count": g.count,
                "covered": g.covered,
                "coverage": g.coverage,
                "lower": g.lower,
                "upper": g.upper,
                size: g.mean_size,
                "low": g.low,
                "high": g.high,
            }
            for g in self.groups
        ]
        return pd.DataFrame(rows, columns=columns)

    def __repr__(self) -> str:
        size = (
            f"mean set size {self.mean_set_size:.3g}"
            if self.mean_set_size is not None
            else f"mean width {fmt_number(self.mean_width)}"
        )
        return (
            f"<Conformal {self.problem_type} ({self.method}), {self.n_test:,} test rows: coverage "
            f"{self.coverage:.3f} ({self.status}) for a {self.confidence:g} target, {size}>"
        )


def binomial_interval(covered: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Exact (Clopper-Pearson) interval of a proportion ``covered / n`` at ``level``.

    Examples
    --------
    >>> [round(v, 4) for v in binomial_interval(90, 100)]
    [0.8238, 0.951]
    """
    from scipy.stats import binomtest

    ci = binomtest(int(covered), int(n)).proportion_ci(confidence_level=level, method="exact")
    return float(ci.low), float(ci.high)


def expected_band(n_calib: int, n_test: int, confidence: float, level: float = 0.95) -> tuple[float, float]:
    """The central ``level`` range of the coverage that split conformal prediction at
    ``confidence`` with ``n_calib`` calibration rows gives on ``n_test`` exchangeable test rows
    (tie-free scores): the number covered is beta-binomial ``(n_test, k, n_calib + 1 - k)``,
    ``k = ceil((n_calib + 1) confidence)``.

    Examples
    --------
    >>> [round(v, 3) for v in expected_band(1000, 1000, 0.9)]
    [0.873, 0.925]
    """
    from scipy.stats import betabinom

    k = math.ceil((n_calib + 1) * confidence)
    law = betabinom(int(n_test), k, n_calib + 1 - k)
    tail = (1 - level) / 2
    return float(law.ppf(tail) / n_test), float(law.ppf(1 - tail) / n_test)


def _mapie() -> tuple[Any, Any]:
    try:
        from mapie.classification import SplitConformalClassifier
        from mapie.regression import SplitConformalRegressor
    except ImportError as err:
        raise MissingDependencyError("mapie", "uncertainty", "Conformal prediction") from err
    return SplitConformalRegressor, SplitConformalClassifier


def _rows(name: str, X: Any) -> int:
    try:
        n = len(X)
    except TypeError as exc:
        raise ParameterError.bad_value(name, _CALLER, "a table or array of rows", type(X).__name__) from exc
    if n == 0:
        raise ParameterError(f"The {name!r} parameter of {_CALLER} has no rows.")
    return int(n)


def _target(name: str, y: Any, n_rows: int, x_name: str) -> np.ndarray:
    arr = np.asarray(y.to_numpy() if isinstance(y, pd.Series | pd.DataFrame) else y, dtype=object)
    if arr.ndim != 1:
        raise ParameterError.bad_value(name, _CALLER, "a 1-D array of targets", f"shape {arr.shape}")
    if len(arr) != n_rows:
        raise ParameterError(
            f"The {name!r} parameter of {_CALLER} must have one value per row of {x_name!r}. "
            f"Got {len(arr):,} values for {n_rows:,} rows."
        )
    missing = int(pd.isna(pd.Series(arr)).sum())
    if missing:
        raise ParameterError(
            f"The {name!r} parameter of {_CALLER} has {missing:,} missing values; drop those rows first."
        )
    if len({type(v) for v in arr.tolist()}) == 1:
        return np.asarray(arr.tolist())
    return arr


def conformal(
    model: Any,
    X_calib: Any,
    y_calib: Any,
    X_test: Any,
    y_test: Any,
    *,
    confidence: float = 0.9,
    method: str | None = None,
    n_bins: int = 5,
    ci_level: float = 0.95,
    random_state: int = 0,
) -> Conformal:
    """Conformalize a fitted ``model`` on calibration rows and measure coverage on test rows.

    Regressors get intervals (MAPIE's ``SplitConformalRegressor``), classifiers prediction sets
    (``SplitConformalClassifier``), both with ``prefit=True``: the model is never refitted.
    Coverage is counted on ``X_test``/``y_test``, which must not overlap the calibration rows.

    Parameters
    ----------
    model : fitted estimator
        A scikit-learn regressor or classifier (any object with ``predict``; a classifier also
        with ``predict_proba`` and ``classes_``).
    X_calib, y_calib : table and targets
        Calibration rows, not used to fit the model.
    X_test, y_test : table and targets
        Held-out rows the coverage is measured on.
    confidence : float, default 0.9
        Target coverage, strictly between 0 and 1.
    method : str, optional
        MAPIE's conformity score: ``absolute`` (default; one width for every row) or ``gamma``
        (positive targets; widths grow with the prediction) for regression; ``lac`` (default,
        the smallest sets on average) or ``aps`` (adaptive sets; three classes or more) for
        classification.
    n_bins : int, default 5
        Regression: bins of the predicted value (equal numbers of test rows) for coverage per bin.
    ci_level : float, default 0.95
        Level of the binomial intervals of coverage.
    random_state : int, default 0
        Seed MAPIE's classifier is given (its randomized scores draw).

    Returns
    -------
    Conformal

    Raises
    ------
    MissingDependencyError
        MAPIE is not installed (the extra ``uncertainty``).

    Examples
    --------
    >>> import lifecycle_widgets as lw
    >>> from sklearn.linear_model import LogisticRegression
    >>> df = lw.datasets.credit(3000, seed=1)
    >>> X, y = df[["age", "utilization", "late_payments"]], df["defaulted"]
    >>> model = LogisticRegression().fit(X[:1000], y[:1000])
    >>> result = conformal(model, X[1000:2000], y[1000:2000], X[2000:], y[2000:], confidence=0.9)
    >>> result.problem_type, result.method, result.status, result.expected_band
    ('binary', 'lac', 'met', (0.873, 0.925))
    """
    if isinstance(confidence, bool) or not isinstance(confidence, int | float) or not 0 < confidence < 1:
        raise ParameterError.bad_value("confidence", _CALLER, "a number strictly between 0 and 1", confidence)
    if isinstance(ci_level, bool) or not isinstance(ci_level, int | float) or not 0 < ci_level < 1:
        raise ParameterError.bad_value("ci_level", _CALLER, "a number strictly between 0 and 1", ci_level)
    if isinstance(n_bins, bool) or not isinstance(n_bins, int | np.integer) or n_bins < 1:
        raise ParameterError.bad_value("n_bins", _CALLER, "a positive integer", n_bins)
    task = model_task(model, _CALLER)
    family = "classification" if task.is_classifier else "regression"
    scores = CONFORMITY_SCORES[family]
    if task.problem_type == "binary":
        family, scores = "binary classification", ("lac",)  # MAPIE refuses the others for two classes
    method = scores[0] if method is None else method
    if method not in scores:
        raise UnknownNameError(f"conformity score for {family}", method, scores)
    n_calib = _rows("X_calib", X_calib)
    n_test = _rows("X_test", X_test)
    yc = _target("y_calib", y_calib, n_calib, "X_calib")
    yt = _target("y_test", y_test, n_test, "X_test")
    check_labels(task, yc, "y_calib", _CALLER)
    check_labels(task, yt, "y_test", _CALLER)
    if not task.is_classifier:
        yc, yt = yc.astype(float), yt.astype(float)
        if method == "gamma" and (yc.min() <= 0 or yt.min() <= 0):
            raise ParameterError(
                f"The 'method' parameter of {_CALLER}: 'gamma' needs strictly positive targets; "
                f"y_calib and y_test reach {min(yc.min(), yt.min()):.4g}. Use 'absolute'."
            )
    k = math.ceil((n_calib + 1) * confidence)
    if k > n_calib:
        need = next(m for m in itertools.count(n_calib + 1) if math.ceil((m + 1) * confidence) <= m)
        raise ParameterError(
            f"The 'X_calib' parameter of {_CALLER} has {n_calib:,} rows; a {confidence:g} target needs at "
            f"least {need:,} calibration rows for a finite interval or set."
        )
    regressor_cls, classifier_cls = _mapie()  # before any work: the extra is named if absent
    estimator = as_estimator(model, task)
    notes: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if task.is_classifier:
            mapie = classifier_cls(
                estimator,
                confidence_level=confidence,
                conformity_score=method,
                prefit=True,
                random_state=random_state,
            )
            mapie.conformalize(X_calib, yc)
            y_pred, sets = mapie.predict_set(X_test)
            out = _classification(task, yt, np.asarray(sets)[:, :, 0].astype(bool), ci_level)
        else:
            mapie = regressor_cls(
                estimator, confidence_level=confidence, conformity_score=method, prefit=True
            )
            mapie.conformalize(X_calib, yc)
            y_pred, intervals = mapie.predict_interval(X_test)
            out = _regression(
                yt,
                np.asarray(y_pred, dtype=float),
                np.asarray(intervals, dtype=float)[:, :, 0],
                n_bins,
                ci_level,
            )
    # MAPIE's own warnings become notes; scikit-learn's about the arrays MAPIE passes on are noise
    notes += sorted({f"MAPIE: {w.message}" for w in caught if "mapie" in str(w.filename)})[:5]
    covered = out.pop("covered")
    coverage = covered / n_test
    lo, hi = binomial_interval(covered, n_test, ci_level)
    band = expected_band(n_calib, n_test, confidence, ci_level)
    status = "below" if coverage < band[0] else "above" if coverage > band[1] else "met"
    return Conformal(
        problem_type=task.problem_type,
        method=method,
        model=type(model).__name__,
        confidence=float(confidence),
        n_calib=n_calib,
        n_test=n_test,
        covered=covered,
        coverage=float(coverage),
        coverage_ci=(lo, hi),
        ci_level=float(ci_level),
        expected=k / (n_calib + 1),
        expected_band=band,
        status=status,
        notes=tuple(notes + out.pop("notes")),
        **out,
    )


def _group(label: str, hit: np.ndarray, size: np.ndarray, level: float, **edges: float) -> CoverageGroup:
    n = len(hit)
    covered = int(hit.sum())
    lo, hi = binomial_interval(covered, n, level) if n else (None, None)
    return CoverageGroup(
        label=label,
        count=n,
        covered=covered,
        coverage=covered / n if n else None,
        lower=lo,
        upper=hi,
        mean_size=float(size.mean()) if n else 0.0,
        **edges,
    )


def _classification(task: ModelTask, y: np.ndarray, sets: np.ndarray, level: float) -> dict[str, Any]:
    classes = list(task.classes)
    index = {c: i for i, c in enumerate(classes)}
    codes = np.array([index[v.item() if isinstance(v, np.generic) else v] for v in y.tolist()])
    hit = sets[np.arange(len(y)), codes]
    size = sets.sum(axis=1)
    groups = tuple(_group(str(c), hit[codes == i], size[codes == i], level) for i, c in enumerate(classes))
    sizes = tuple(
        SetSize(s, int((size == s).sum()), int(hit[size == s].sum()))
        for s in range(len(classes) + 1)
        if (size == s).any()
    )
    empty = int((size == 0).sum())
    notes = [f"{empty:,} test rows got an empty prediction set (no class is likely enough)"] if empty else []
    return {
        "covered": int(hit.sum()),
        "classes": tuple(str(c) for c in classes),
        "group_by": "class",
        "groups": groups,
        "mean_set_size": float(size.mean()),
        "empty_sets": empty,
        "set_sizes": sizes,
        "notes": notes,
    }


def _regression(
    y: np.ndarray, pred: np.ndarray, bounds: np.ndarray, n_bins: int, level: float
) -> dict[str, Any]:
    lower, upper = bounds[:, 0], bounds[:, 1]
    hit = (y >= lower) & (y <= upper)
    width = upper - lower
    notes: list[str] = []
    if not np.isfinite(width).all():
        notes.append(f"{int((~np.isfinite(width)).sum()):,} intervals are unbounded")
    edges = np.unique(np.quantile(pred, np.linspace(0, 1, n_bins + 1)))
    if len(edges) < 2:
        edges = np.array([pred.min(), pred.max()])
    ids = np.clip(np.searchsorted(edges[1:-1], pred, side="right"), 0, len(edges) - 2)
    groups = tuple(
        _group(
            f"{fmt_number(float(edges[b]))} to {fmt_number(float(edges[b + 1]))}",
            hit[ids == b],
            width[ids == b],
            level,
            low=float(edges[b]),
            high=float(edges[b + 1]),
        )
        for b in range(len(edges) - 1)
    )
    order = np.argsort(pred, kind="stable")
    keep = order[np.unique(np.linspace(0, len(pred) - 1, min(len(pred), SAMPLE_CAP)).round().astype(int))]
    sample = tuple(
        IntervalSample(float(y[i]), float(pred[i]), float(lower[i]), float(upper[i])) for i in keep
    )
    finite = width[np.isfinite(width)]
    return {
        "covered": int(hit.sum()),
        "classes": (),
        "group_by": "predicted value",
        "groups": groups,
        "mean_width": float(finite.mean()) if finite.size else None,
        "median_width": float(np.median(finite)) if finite.size else None,
        "sample": sample,
        "notes": notes,
    }
