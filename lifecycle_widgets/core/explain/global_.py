"""Global explanations beside SHAP: permutation importance, partial dependence with ICE curves,
and a global surrogate tree, each computed with scikit-learn."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from lifecycle_widgets.core.explain.estimator import ModelTask, as_estimator
from lifecycle_widgets.core.explain.models import ModelView

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


@dataclass(frozen=True)
class Surrogate:
    """A shallow decision tree that imitates the model, how faithfully, and its rules."""

    depth: int
    fidelity: float
    fidelity_metric: str
    rules: str
    leaves: int


def permutation(
    view: ModelView, X: pd.DataFrame, y: Any, *, n_repeats: int, random_state: int, scoring: str | None = None
) -> dict[str, tuple[float, float]]:
    """Permutation importance of every raw column (scikit-learn's ``permutation_importance``;
    a model scikit-learn does not recognize, such as a duck-typed one, is wrapped for it)."""
    from sklearn.inspection import permutation_importance

    task = ModelTask(view.problem_type, view.classes)
    if scoring is None:
        scoring = "roc_auc" if task.problem_type == "binary" else ("accuracy" if task.is_classifier else "r2")
    result = permutation_importance(
        as_estimator(view.model, task), X, y, n_repeats=n_repeats, random_state=random_state, scoring=scoring
    )
    return {
        c: (float(m), float(s))
        for c, m, s in zip(X.columns, result.importances_mean, result.importances_std, strict=True)
    }


def _is_categorical(series: pd.Series) -> bool:
    return not pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series)


def grid_for(col: pd.Series, resolution: int, percentiles: tuple[float, float] = (0.05, 0.95)) -> list[Any]:
    """scikit-learn's partial dependence grid: the sorted distinct values when there are fewer
    than ``resolution``, else ``resolution`` points evenly spaced between two percentiles."""
    values = col.dropna()
    if _is_categorical(col):
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
    categorical = _is_categorical(X[feature])
    frame = X if len(X) <= max_rows else X.iloc[np.sort(rng.choice(len(X), max_rows, replace=False))]
    grid = grid_for(X[feature], grid_resolution)
    stacked = pd.concat([frame] * len(grid), ignore_index=True)
    column = np.repeat(np.asarray(grid, dtype=object), len(frame))
    if not categorical:
        column = column.astype(float)
        if pd.api.types.is_integer_dtype(X[feature]) and np.all(column == np.round(column)):
            column = column.astype(X[feature].dtype)
    stacked[feature] = column
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
    """A decision tree fitted to the model's predictions; fidelity measured on held-out rows."""
    from sklearn.compose import ColumnTransformer
    from sklearn.metrics import accuracy_score, r2_score
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OrdinalEncoder
    from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor, export_text

    target = view.model.predict(X)
    categorical = [c for c in X.columns if _is_categorical(X[c])]
    encoder = ColumnTransformer(
        [
            (
                "cat",
                OrdinalEncoder(
                    handle_unknown="use_encoded_value", unknown_value=-1, encoded_missing_value=-1
                ),
                categorical,
            )
        ],
        remainder="passthrough",
        verbose_feature_names_out=False,
    )
    tree = (DecisionTreeClassifier if view.classes else DecisionTreeRegressor)(
        max_depth=depth, random_state=random_state
    )
    model = make_pipeline(encoder, tree)
    stratify = target if view.classes and pd.Series(target).value_counts().min() > 1 else None
    x_fit, x_hold, t_fit, t_hold = train_test_split(
        X, target, test_size=0.3, random_state=random_state, stratify=stratify
    )
    model.fit(x_fit, t_fit)
    predicted = model.predict(x_hold)
    if view.classes:
        fidelity, metric = float(accuracy_score(t_hold, predicted)), "agreement"
    else:
        fidelity, metric = float(r2_score(t_hold, predicted)), "R2"
    names = [str(n) for n in encoder.get_feature_names_out()]
    rules = export_text(model[-1], feature_names=names, decimals=3)
    return Surrogate(depth, fidelity, metric, rules, int(model[-1].get_n_leaves()))
