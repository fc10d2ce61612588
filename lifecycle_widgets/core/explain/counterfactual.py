"""Counterfactuals: the smallest change to one row that changes the model's decision.

The search tries every single-feature change to values seen in the data (numeric features at
their 5th..95th percentiles, categorical features at their observed levels), then pairs of the
most important features, and keeps the flipping change with the smallest normalized distance
(numeric steps in units of the feature's interquartile range, a categorical change costs 1).
Immutable features are never changed, and every value stays inside the observed range.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from lifecycle_widgets.core.explain.models import ModelView


@dataclass(frozen=True)
class Change:
    """One feature of a counterfactual: its value before and after."""

    feature: str
    before: str
    after: str


@dataclass(frozen=True)
class Counterfactual:
    """A change to a row that flips the decision, or why none was found."""

    found: bool
    changes: tuple[Change, ...] = ()
    prediction_before: str = ""
    prediction_after: str = ""
    distance: float | None = None
    note: str = ""


def _text(v: Any) -> str:
    return f"{v:.6g}" if isinstance(v, float) else str(v)


def _decision(view: ModelView, X: pd.DataFrame) -> np.ndarray:
    if view.classes:
        return np.asarray(view.model.predict(X))
    return np.asarray(view.model.predict(X), dtype=float)


def _is_numeric(col: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col)


def _candidates(
    X: pd.DataFrame, features: list[str], current: dict[str, Any]
) -> tuple[dict[str, list[Any]], dict[str, float]]:
    """Values each feature may take (numeric: its 5th..95th percentiles in 19 steps, rounded for
    integer columns; categorical: its 20 most frequent levels), without the row's own value, and
    the scale of a numeric step (the interquartile range, else the standard deviation, else 1;
    0 marks a categorical feature, whose change costs 1). The percentiles of every numeric
    column come from one call."""
    numeric = [f for f in features if _is_numeric(X[f])]
    candidates: dict[str, list[Any]] = {}
    scale: dict[str, float] = {}
    if numeric:
        values = np.column_stack([X[f].to_numpy(dtype=float, na_value=np.nan) for f in numeric])
        values[~np.isfinite(values)] = np.nan
        counts = (~np.isnan(values)).sum(axis=0)
        some = counts > 0
        qs = np.full((21, len(numeric)), np.nan)  # 5%, 10%, ..., 95%, then the quartiles
        if some.any():
            probs = [*np.linspace(0.05, 0.95, 19), 0.75, 0.25]
            qs[:, some] = np.nanquantile(values[:, some], probs, axis=0)
        std = np.zeros(len(numeric))
        several = counts > 1
        if several.any():
            std[several] = np.nanstd(values[:, several], axis=0, ddof=1)
        for j, f in enumerate(numeric):
            if not some[j]:
                candidates[f], scale[f] = [], 1.0
                continue
            grid = np.unique(qs[:19, j])
            if pd.api.types.is_integer_dtype(X[f]):
                grid = np.unique(np.round(grid)).astype(np.int64)
            candidates[f] = [v for v in grid.tolist() if v != current[f]]
            scale[f] = float(qs[19, j] - qs[20, j]) or float(std[j]) or 1.0
    for f in features:
        if f not in candidates:
            levels = X[f].dropna().value_counts().index.tolist()[:20]
            candidates[f] = [v for v in levels if v != current[f]]
            scale[f] = 0.0
    return candidates, scale


def _trial_frame(row: pd.DataFrame, n: int, changes: dict[str, tuple[np.ndarray, list[Any]]]) -> pd.DataFrame:
    """``n`` copies of ``row`` with, for each changed column, ``values`` at rows ``index``;
    built column by column (each column keeps its dtype, categories included)."""
    data = {}
    repeat = np.zeros(n, dtype=int)
    for c in row.columns:
        base = row[c].iloc[repeat].reset_index(drop=True)
        if c in changes:
            index, values = changes[c]
            column = base.to_numpy(dtype=object)
            column[index] = values
            try:
                base = pd.Series(pd.array(column, dtype=base.dtype))
            except (TypeError, ValueError):
                base = pd.Series(column)
        data[c] = base
    return pd.DataFrame(data)


def counterfactual(
    view: ModelView,
    X: pd.DataFrame,
    row: pd.DataFrame,
    *,
    order: list[str],
    immutable: tuple[str, ...] = (),
    max_pairs: int = 6,
    threshold: float | None = None,
    before: Any = None,
    batch_rows: int = 50_000,
) -> Counterfactual:
    """Search a counterfactual for ``row`` (a one-row frame), trying features in ``order``.

    For regressors, a change counts when the prediction crosses ``threshold`` (default: the
    median prediction on ``X``). Every trial of a stage (single changes, then pairs) is one
    frame, predicted in calls of up to ``batch_rows`` rows.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from lifecycle_widgets.core.explain.models import view_model
    >>> X = pd.DataFrame({"income": [10, 20, 30, 40, 50, 60], "age": [30, 40, 50, 30, 40, 50]})
    >>> model = DecisionTreeClassifier(random_state=0).fit(X, [0, 0, 0, 1, 1, 1])
    >>> cf = counterfactual(view_model(model, X), X, X.iloc[[1]], order=["income", "age"])
    >>> cf.found, [(c.feature, c.before, c.after) for c in cf.changes]
    (True, [('income', '20', '37')])
    """
    if before is None:  # the caller may know the row's decision already
        before = _decision(view, row)[0]
    if not view.classes and threshold is None:
        threshold = float(np.median(_decision(view, X)))
    current = {c: row[c].iloc[0] for c in row.columns}
    mutable = [f for f in order if f not in immutable]
    candidates, scale = _candidates(X, mutable, current)

    def costs(f: str, values: list[Any]) -> np.ndarray:
        if not scale[f] or pd.isna(current[f]):  # a category, or filling a missing value: 1
            return np.ones(len(values))
        return np.abs(np.asarray(values, dtype=float) - float(current[f])) / scale[f]

    def flipped(decisions: np.ndarray) -> np.ndarray:
        if view.classes:
            return np.array([d != before for d in decisions.tolist()], dtype=bool)
        return (decisions > threshold) != (before > threshold)

    def best(
        trials: list[dict[str, Any]], changes: dict[str, tuple[np.ndarray, list[Any]]], cost: np.ndarray
    ) -> Counterfactual | None:
        if not trials:
            return None
        frame = _trial_frame(row, len(trials), changes)
        decisions = np.concatenate(
            [_decision(view, frame.iloc[i : i + batch_rows]) for i in range(0, len(frame), batch_rows)]
        )
        hits = flipped(decisions)
        if not hits.any():
            return None
        i = int(np.flatnonzero(hits)[np.argmin(cost[hits])])  # the cheapest; the first of equals
        changed = tuple(Change(f, _text(current[f]), _text(v)) for f, v in trials[i].items())
        return Counterfactual(True, changed, str(before), str(decisions[i]), float(cost[i]))

    def stage(groups: list[tuple[tuple[str, ...], list[tuple[Any, ...]]]]) -> Counterfactual | None:
        """Trials from (features, combinations of their values) groups, laid out in one frame."""
        trials: list[dict[str, Any]] = []
        changes: dict[str, tuple[list[int], list[Any]]] = {}
        cost_parts: list[np.ndarray] = []
        for features, combos in groups:
            start = len(trials)
            trials += [dict(zip(features, combo, strict=True)) for combo in combos]
            total = np.zeros(len(combos))
            for k, f in enumerate(features):
                values = [combo[k] for combo in combos]
                index, vals = changes.setdefault(f, ([], []))
                index += range(start, start + len(combos))
                vals += values
                total += costs(f, values)
            cost_parts.append(total)
        arrays = {f: (np.asarray(i, dtype=int), v) for f, (i, v) in changes.items()}
        cost = np.concatenate(cost_parts) if cost_parts else np.zeros(0)
        return best(trials, arrays, cost)

    found = stage([((f,), [(v,) for v in candidates[f]]) for f in mutable if candidates[f]])
    if found is None:
        top = [f for f in mutable if candidates[f]][:max_pairs]
        found = stage(
            [
                ((a, b), [(va, vb) for va in candidates[a][::2] for vb in candidates[b][::2]])
                for a, b in itertools.combinations(top, 2)
            ]
        )
    if found is None:
        return Counterfactual(
            False,
            prediction_before=str(before),
            note="No change of one feature, or of two of the most important ones, "
            "within the observed ranges changes the decision.",
        )
    return found
