"""Global explanations beside SHAP: permutation importance, partial dependence with ICE curves
(one feature and pairs), the SHAP interaction screen behind the dependence plot's colour, and
(from their own modules) the surrogate rules and accumulated local effects."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from lifecycle_widgets.core.explain.ale import (
    AccumulatedEffects,
    accumulated_local_effects,
    output_label,
    values_like,
)
from lifecycle_widgets.core.explain.estimator import ModelTask, as_estimator
from lifecycle_widgets.core.explain.models import ModelView, transformed_permutation_importance
from lifecycle_widgets.core.explain.surrogate import Surrogate, SurrogateRule, is_categorical, surrogate_tree
from lifecycle_widgets.exceptions import ColumnError, ParameterError

__all__ = [
    "AccumulatedEffects",
    "Dependence",
    "FeatureImportance",
    "PairDependence",
    "Surrogate",
    "SurrogateRule",
    "accumulated_local_effects",
    "dependence",
    "grid_for",
    "interaction_scores",
    "pair_dependence",
    "permutation",
    "surrogate",
]

MAX_ICE_ROWS = 50


@dataclass(frozen=True)
class FeatureImportance:
    """Importance of one raw feature: mean |SHAP|, and the permutation importance and its spread."""

    feature: str
    shap_mean_abs: float
    permutation_mean: float | None = None
    permutation_std: float | None = None


@dataclass(frozen=True)
class Dependence:
    """Partial dependence of the model output on one feature, with ICE curves of some rows."""

    feature: str
    categorical: bool
    grid: tuple[str | float, ...]
    average: tuple[float, ...]
    ice: tuple[tuple[float, ...], ...]
    ice_rows: tuple[int, ...]


def permutation(
    view: ModelView, X: pd.DataFrame, y: Any, *, n_repeats: int, random_state: int, scoring: str | None = None
) -> dict[str, tuple[float, float]]:
    """Permutation importance of every raw column (scikit-learn's ``permutation_importance``;
    a model scikit-learn does not recognize, such as a duck-typed one, is wrapped for it)."""
    from sklearn.inspection import permutation_importance

    task = ModelTask(view.problem_type, view.classes)
    if scoring is None:
        scoring = "roc_auc" if task.problem_type == "binary" else ("accuracy" if task.is_classifier else "r2")
    # a pipeline whose transform works column by column: transformed once (the same numbers)
    fast = transformed_permutation_importance(
        view, X, y, n_repeats=n_repeats, random_state=random_state, scoring=scoring
    )
    if fast is None:
        result = permutation_importance(
            as_estimator(view.model, task), X, y, n_repeats=n_repeats, random_state=random_state, scoring=scoring
        )
        fast = result.importances_mean, result.importances_std
    return {c: (float(m), float(s)) for c, m, s in zip(X.columns, *fast, strict=True)}


def grid_for(col: pd.Series, resolution: int, percentiles: tuple[float, float] = (0.05, 0.95)) -> list[Any]:
    """scikit-learn's partial dependence grid: the sorted distinct values when there are fewer
    than ``resolution``, else ``resolution`` points evenly spaced between two percentiles."""
    values = col.dropna()
    if is_categorical(col):
        return sorted(values.unique().tolist(), key=str)
    distinct = np.unique(values.to_numpy(dtype=float))
    if len(distinct) < resolution:
        return distinct.tolist()
    from scipy.stats.mstats import mquantiles  # the percentile definition scikit-learn uses

    lo, hi = mquantiles(values.to_numpy(dtype=float), prob=percentiles)
    return np.linspace(lo, hi, resolution).tolist()


def dependence(
    view: ModelView,
    X: pd.DataFrame,
    feature: str,
    *,
    grid_resolution: int = 20,
    random_state: int = 0,
    max_rows: int = 1000,
) -> Dependence:
    """Partial dependence (the mean of the ICE curves) and ICE curves of a sample of rows, by the
    brute-force method of scikit-learn's ``partial_dependence`` (which refuses integer columns;
    this works on any column the model accepts)."""
    rng = np.random.default_rng(random_state)
    categorical = is_categorical(X[feature])
    frame = X if len(X) <= max_rows else X.iloc[np.sort(rng.choice(len(X), max_rows, replace=False))]
    grid = grid_for(X[feature], grid_resolution)
    stacked = pd.concat([frame] * len(grid), ignore_index=True)
    stacked[feature] = _grid_column(X, feature, np.repeat(np.asarray(grid, dtype=object), len(frame)))
    curves = view.output(stacked).reshape(len(grid), len(frame)).T  # rows x grid
    ice_rows = np.sort(rng.choice(len(frame), min(len(frame), MAX_ICE_ROWS), replace=False))
    grid_out = tuple(str(g) for g in grid) if categorical else tuple(float(g) for g in grid)
    return Dependence(
        feature,
        categorical,
        grid_out,
        tuple(float(v) for v in curves.mean(0)),
        tuple(tuple(float(v) for v in curves[r]) for r in ice_rows),
        tuple(int(frame.index[r]) for r in ice_rows),
    )


def surrogate(view: ModelView, X: pd.DataFrame, *, depth: int = 3, random_state: int = 0) -> Surrogate:
    """A decision tree fitted to the model's predictions, read as rules in raw terms; fidelity
    measured on held-out rows (see :func:`~lifecycle_widgets.core.explain.surrogate.surrogate_tree`)."""
    return surrogate_tree(view, X, depth=depth, random_state=random_state)


@dataclass(frozen=True)
class PairDependence:
    """Partial dependence of the model output on two features at once, over a grid of each.

    ``average[i][j]`` is the mean output with the first feature at ``grid_x[i]`` and the second
    at ``grid_y[j]``. ``interaction`` is the share of its variance over the grid that the sum of
    the two one-feature effects leaves unexplained: 0 for a model additive in the two, up to 1
    (Friedman and Popescu's H-squared, 2008, taken over the grid rather than the data's points).
    """

    features: tuple[str, str]
    categorical: tuple[bool, bool]
    grid_x: tuple[str | float, ...]
    grid_y: tuple[str | float, ...]
    average: tuple[tuple[float, ...], ...]
    interaction: float | None
    rows: int
    output: str = "prediction"


def _grid_column(X: pd.DataFrame, feature: str, values: np.ndarray) -> Any:
    """Grid values as a column ``X[feature]`` accepts: objects for categories, the column's
    integer dtype where the grid is whole, else floats."""
    if is_categorical(X[feature]):
        return values
    return values_like(values.astype(float), X[feature].dtype)


def pair_dependence(
    view: ModelView,
    X: pd.DataFrame,
    features: tuple[str, str],
    *,
    grid_resolution: int = 15,
    max_rows: int = 300,
    random_state: int = 0,
    caller: str = "partial_dependence_2d",
) -> PairDependence:
    """Two-feature partial dependence by the brute-force method of scikit-learn's
    ``partial_dependence`` (each of up to ``max_rows`` rows predicted at every pair of grid values,
    in one model call), on the grids :func:`grid_for` gives each feature.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from sklearn.linear_model import LinearRegression
    >>> from lifecycle_widgets.core.explain.models import view_model
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame(rng.uniform(-1, 1, (200, 3)), columns=["a", "b", "c"])
    >>> model = LinearRegression().fit(X, X["a"] + 2 * X["b"])
    >>> pair = pair_dependence(view_model(model, X), X, ("a", "b"), grid_resolution=5)
    >>> len(pair.grid_x), len(pair.average[0]), round(pair.interaction, 9)
    (5, 5, 0.0)
    """
    if not isinstance(features, tuple | list) or len(features) != 2:
        raise ParameterError.bad_value("features", caller, "two column names", features)
    first, second = features
    for name in (first, second):
        if name not in X.columns:
            raise ColumnError(name, f"not a column of X; columns are {list(X.columns)[:20]}")
    if first == second:
        raise ParameterError.bad_value("features", caller, "two different columns", features)
    for name, value, least in (("grid_resolution", grid_resolution, 2), ("max_rows", max_rows, 1)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < least:
            raise ParameterError.bad_value(name, caller, f"an int of at least {least}", value)
    rng = np.random.default_rng(random_state)
    frame = X if len(X) <= max_rows else X.iloc[np.sort(rng.choice(len(X), max_rows, replace=False))]
    gx, gy = grid_for(X[first], grid_resolution), grid_for(X[second], grid_resolution)
    cells = len(gx) * len(gy)
    stacked = pd.concat([frame] * cells, ignore_index=True)
    stacked[first] = _grid_column(X, first, np.repeat(np.asarray(gx, dtype=object), len(gy) * len(frame)))
    stacked[second] = _grid_column(
        X, second, np.tile(np.repeat(np.asarray(gy, dtype=object), len(frame)), len(gx))
    )
    surface = view.output(stacked).reshape(len(gx), len(gy), len(frame)).mean(-1)
    centred = surface - surface.mean()
    residual = centred - centred.mean(1, keepdims=True) - centred.mean(0, keepdims=True)
    total = float((centred**2).sum())
    cat = (is_categorical(X[first]), is_categorical(X[second]))

    def out(grid: list[Any], categorical: bool) -> tuple[str | float, ...]:
        return tuple(str(g) for g in grid) if categorical else tuple(float(g) for g in grid)

    return PairDependence(
        (str(first), str(second)),
        cat,
        out(gx, cat[0]),
        out(gy, cat[1]),
        tuple(tuple(float(v) for v in row) for row in surface),
        None if total <= 1e-24 else float((residual**2).sum() / total),
        len(frame),
        output_label(view),
    )


def interaction_scores(shap_values: np.ndarray, scaled: np.ndarray, index: int) -> np.ndarray:
    """How strongly each feature modulates the SHAP values of feature ``index``: rows sorted by
    that feature, cut into runs of ``n / 10`` rows (at most 50), and the absolute correlation of
    its SHAP values with the other feature's values summed over the runs; also for whether the
    other feature is missing, the larger of the two kept. The method of shap's
    ``approximate_interactions`` (``shap/utils/_general.py``). ``scaled`` holds the features'
    values as numbers (rank-scaled, NaN where missing); the feature itself scores NaN.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.uniform(-1, 1, (400, 3))
    >>> shap_x0 = X[:, 0] * X[:, 1]  # the effect of x0 depends on x1
    >>> scores = interaction_scores(np.c_[shap_x0, X[:, 1], X[:, 2]], X, 0)
    >>> int(np.nanargmax(scores))
    1
    """
    n, m = scaled.shape
    order = np.argsort(scaled[:, index], kind="stable")
    ref = shap_values[order, index]
    values = scaled[order]
    missing = np.isnan(values).astype(float)
    step = max(min(n // 10, 50), 1)
    by_value, by_missing = np.zeros(m), np.zeros(m)
    for start in range(0, n, step):
        a = ref[start : start + step]
        by_value += _abs_correlations(a, values[start : start + step])
        by_missing += _abs_correlations(a, missing[start : start + step])
    scores = np.maximum(by_value, by_missing)
    scores[index] = np.nan
    return scores


def _abs_correlations(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """|Pearson correlation| of ``a`` with each column of ``b`` over the rows where that column
    is not missing; 0 where either side is constant there or fewer than two rows remain."""
    keep = ~np.isnan(b)
    count = keep.sum(0)
    filled = np.where(keep, b, 0.0)
    mean_a = (a[:, None] * keep).sum(0) / np.maximum(count, 1)
    mean_b = filled.sum(0) / np.maximum(count, 1)
    da = np.where(keep, a[:, None] - mean_a, 0.0)
    db = np.where(keep, filled - mean_b, 0.0)
    var_a, var_b = (da**2).sum(0), (db**2).sum(0)
    # "constant" up to rounding: values are ranks in [0, 1]; SHAP values relative to their size
    scale_a = max(float(np.max(np.abs(a))) if len(a) else 0.0, 1e-300)
    ok = (count > 1) & (var_a > 1e-20 * scale_a**2 * count) & (var_b > 1e-20 * count)
    out = np.zeros(b.shape[1])
    out[ok] = np.abs((da * db).sum(0)[ok] / np.sqrt(var_a[ok] * var_b[ok]))
    return out
