"""Accumulated local effects (Apley and Zhu 2020, *Visualizing the effects of predictor variables
in black box supervised learning models*, JRSS B 82(4)) of a numeric feature.

Partial dependence sets a feature to each grid value in every row, so with correlated features
it asks the model about combinations that never occur (a 20-year-old with 30 years of work
history) and averages the answers. ALE moves each row only across the small interval of the
feature that the row is in, and accumulates the mean of those local differences: it stays on the
data, so it is the view to trust where features are correlated.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from lifecycle_widgets.core.explain.models import ModelView
from lifecycle_widgets.core.explain.surrogate import is_categorical
from lifecycle_widgets.exceptions import ColumnError, ParameterError


@dataclass(frozen=True)
class AccumulatedEffects:
    """The centred ALE curve of one numeric feature: its value at each bin edge (the mean over
    the rows is 0), and the rows in each bin between two edges; ``output`` names the explained
    quantity (``P(class)`` or ``prediction``)."""

    feature: str
    edges: tuple[float, ...]
    effect: tuple[float, ...]
    counts: tuple[int, ...]
    output: str = "prediction"


def values_like(values: np.ndarray, dtype: Any) -> Any:
    """Numbers set into a column of ``dtype``: as that integer dtype (numpy or pandas' nullable
    ``Int64``) where the column holds integers and every value is whole, else as floats.

    Examples
    --------
    >>> values_like(np.array([1.0, 2.0]), pd.Int64Dtype()).dtype
    Int64Dtype()
    >>> values_like(np.array([1.5, 2.0]), np.dtype("int64")).dtype
    dtype('float64')
    """
    values = np.asarray(values, dtype=float)
    if pd.api.types.is_integer_dtype(dtype) and np.all(values == np.round(values)):
        return pd.array(values.astype(np.int64), dtype=dtype)
    return values


def output_label(view: ModelView) -> str:
    """What the model's explained output is, for an axis: ``P(class)`` or ``prediction``.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn.linear_model import LogisticRegression
    >>> from lifecycle_widgets.core.explain.models import view_model
    >>> X = pd.DataFrame({"a": [0.0, 1.0, 2.0, 3.0]})
    >>> output_label(view_model(LogisticRegression().fit(X, ["no", "no", "yes", "yes"]), X))
    'P(yes)'
    """
    return "prediction" if not view.classes else f"P({view.explained_class})"


def accumulated_local_effects(
    view: ModelView,
    X: pd.DataFrame,
    feature: str,
    *,
    bins: int = 20,
    max_rows: int = 2000,
    random_state: int = 0,
    caller: str = "accumulated_local_effects",
) -> AccumulatedEffects:
    """ALE of ``feature`` on up to ``max_rows`` rows of ``X``, over at most ``bins`` bins between
    its quantiles (rounded to whole numbers in an integer column), in one model call of twice as
    many rows.

    Each row in bin ``(z[k-1], z[k]]`` is predicted with the feature set to both edges; the mean
    difference per bin is accumulated from the lowest edge and the curve is centred on its
    row-weighted mean, as in Apley and Zhu's equation (15).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from sklearn.linear_model import LinearRegression
    >>> from lifecycle_widgets.core.explain.models import view_model
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"a": rng.uniform(0, 1, 500), "b": rng.uniform(0, 1, 500)})
    >>> model = LinearRegression().fit(X, 3 * X["a"] - X["b"])
    >>> ale = accumulated_local_effects(view_model(model, X), X, "a", bins=10)
    >>> slope = np.polyfit(ale.edges, ale.effect, 1)[0]
    >>> round(float(slope), 6)
    3.0
    """
    if feature not in X.columns:
        raise ColumnError(feature, f"not a column of X; columns are {list(X.columns)[:20]}")
    if is_categorical(X[feature]):
        raise ColumnError(feature, "ALE needs a numeric feature; this one holds categories")
    for name, value, least in (("bins", bins, 1), ("max_rows", max_rows, 2)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < least:
            raise ParameterError.bad_value(name, caller, f"an int of at least {least}", value)
    frame = X[X[feature].notna()]
    if len(frame) > max_rows:
        frame = frame.sample(max_rows, random_state=random_state)
    x = frame[feature].to_numpy(dtype=float)
    edges = np.quantile(x, np.linspace(0, 1, bins + 1))
    if pd.api.types.is_integer_dtype(X[feature].dtype):
        edges = np.round(edges)  # whole edges: the column keeps its dtype, and steps are whole
    edges = np.unique(edges)
    if len(edges) < 2:
        raise ColumnError(feature, "ALE needs at least two distinct values")
    # bin k holds (edges[k], edges[k+1]]; the lowest value joins the first bin
    which = np.clip(np.searchsorted(edges, x, side="left") - 1, 0, len(edges) - 2)
    low, high = frame.copy(), frame.copy()
    low[feature] = values_like(edges[which], X[feature].dtype)
    high[feature] = values_like(edges[which + 1], X[feature].dtype)
    both = view.output(pd.concat([low, high], ignore_index=True))
    diff = both[len(frame) :] - both[: len(frame)]
    counts = np.bincount(which, minlength=len(edges) - 1)
    sums = np.bincount(which, weights=diff, minlength=len(edges) - 1)
    local = np.divide(sums, counts, out=np.zeros_like(sums), where=counts > 0)
    curve = np.concatenate([[0.0], np.cumsum(local)])
    centre = float(np.sum(counts * (curve[:-1] + curve[1:]) / 2) / counts.sum())
    return AccumulatedEffects(
        feature,
        tuple(float(e) for e in edges),
        tuple(float(v - centre) for v in curve),
        tuple(int(c) for c in counts),
        output_label(view),
    )
