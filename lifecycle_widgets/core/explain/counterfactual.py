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


def _column(values: list[Any], dtype: Any) -> Any:
    """Values as a column of ``dtype`` where they fit it (categories stay categorical)."""
    try:
        return pd.array(values, dtype=dtype)
    except (TypeError, ValueError):
        return values


def _decision(view: ModelView, X: pd.DataFrame) -> np.ndarray:
    if view.classes:
        return np.asarray(view.model.predict(X))
    return np.asarray(view.model.predict(X), dtype=float)


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
) -> Counterfactual:
    """Search a counterfactual for ``row`` (a one-row frame), trying features in ``order``.

    For regressors, a change counts when the prediction crosses ``threshold`` (default: the
    median prediction on ``X``).
    """
    if before is None:  # the caller may know the row's decision already
        before = _decision(view, row)[0]
    if not view.classes and threshold is None:
        threshold = float(np.median(_decision(view, X)))
    flipped = (lambda d: d != before) if view.classes else (lambda d: (d > threshold) != (before > threshold))
    mutable = [f for f in order if f not in immutable]
    candidates: dict[str, list[Any]] = {}
    scale: dict[str, float] = {}
    for f in mutable:
        col = X[f]
        if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
            finite = col[np.isfinite(col.astype(float))]
            qs = np.unique(np.quantile(finite, np.linspace(0.05, 0.95, 19))) if len(finite) else np.array([])
            if pd.api.types.is_integer_dtype(col):
                qs = np.unique(np.round(qs)).astype(col.dtype)
            candidates[f] = [v for v in qs.tolist() if v != row[f].iloc[0]]
            iqr = float(np.subtract(*np.quantile(finite, [0.75, 0.25]))) if len(finite) else 1.0
            scale[f] = iqr or float(finite.std()) or 1.0
        else:
            levels = col.dropna().value_counts().index.tolist()[:20]
            candidates[f] = [v for v in levels if v != row[f].iloc[0]]
            scale[f] = 0.0

    def cost(f: str, v: Any) -> float:
        return abs(float(v) - float(row[f].iloc[0])) / scale[f] if scale[f] else 1.0

    def best(trials: list[dict[str, Any]]) -> Counterfactual | None:
        if not trials:
            return None
        frame = pd.concat([row] * len(trials), ignore_index=True)
        for f in dict.fromkeys(k for t in trials for k in t):  # one column at a time, not cell by cell
            frame[f] = _column([t.get(f, row[f].iloc[0]) for t in trials], row[f].dtype)
        decisions = _decision(view, frame)
        hits = [
            (sum(cost(f, v) for f, v in t.items()), i) for i, t in enumerate(trials) if flipped(decisions[i])
        ]
        if not hits:
            return None
        distance, i = min(hits)
        changes = tuple(Change(f, _text(row[f].iloc[0]), _text(v)) for f, v in trials[i].items())
        return Counterfactual(True, changes, str(before), str(decisions[i]), float(distance))

    singles = [{f: v} for f in mutable for v in candidates[f]]
    found = best(singles)
    if found is None:
        top = [f for f in mutable if candidates[f]][:max_pairs]
        pairs = [
            {a: va, b: vb}
            for a, b in itertools.combinations(top, 2)
            for va in candidates[a][::2]
            for vb in candidates[b][::2]
        ]
        found = best(pairs)
    if found is None:
        return Counterfactual(
            False,
            prediction_before=str(before),
            note="No change of one feature, or of two of the most important ones, "
            "within the observed ranges changes the decision.",
        )
    return found
