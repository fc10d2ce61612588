"""Metrics per group of a sensitive feature, with bootstrap intervals, like Fairlearn's MetricFrame.

Where :func:`~lifecycle_widgets.core.explain.bias.bias_report` compares one facet against the rest,
:func:`group_metrics` shows each group on its own: its selection rate, accuracy, true and false
positive rates and precision, each with a percentile bootstrap interval. The definitions are
Fairlearn's (``fairlearn.metrics.selection_rate``, ``true_positive_rate``,
``false_positive_rate``; scikit-learn's ``accuracy_score`` and ``precision_score``), except that a
rate over zero rows is NaN here where Fairlearn and scikit-learn report 0.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from lifecycle_widgets.core.explain.bias_inputs import outcomes_of
from lifecycle_widgets.exceptions import ParameterError

__all__ = ["GROUP_METRICS", "group_metrics"]

_CALLER = "group_metrics"

GROUP_METRICS = {
    "selection_rate": ("TP FP", "TP FP FN TN"),
    "accuracy": ("TP TN", "TP FP FN TN"),
    "true_positive_rate": ("TP", "TP FN"),
    "false_positive_rate": ("FP", "FP TN"),
    "precision": ("TP", "TP FP"),
}
"""Each metric as the confusion counts it sums over those it divides by."""

_CELLS = ("TP", "FP", "FN", "TN")


def _rates(counts: np.ndarray) -> dict[str, np.ndarray]:
    """Each metric of confusion counts of shape (..., 4) in the order of ``_CELLS``; NaN over 0."""
    cell = {name: counts[..., i] for i, name in enumerate(_CELLS)}
    out = {}
    for metric, (num, den) in GROUP_METRICS.items():
        top = sum(cell[c] for c in num.split()).astype(float)
        bottom = sum(cell[c] for c in den.split()).astype(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[metric] = np.where(bottom > 0, top / np.where(bottom > 0, bottom, 1), np.nan)
    return out


def _sensitive_frame(sensitive_features: Any, n: int) -> pd.DataFrame:
    if isinstance(sensitive_features, pd.DataFrame):
        frame = sensitive_features.reset_index(drop=True)
    elif isinstance(sensitive_features, pd.Series):
        frame = sensitive_features.reset_index(drop=True).to_frame(
            "sensitive_feature" if sensitive_features.name is None else sensitive_features.name
        )
    elif isinstance(sensitive_features, np.ndarray | pd.Index | pd.Categorical | list | tuple):
        arr = np.asarray(sensitive_features, dtype=object)
        if arr.ndim == 2:
            frame = pd.DataFrame(arr, columns=[f"sensitive_feature_{i}" for i in range(arr.shape[1])])
        elif arr.ndim == 1:
            frame = pd.DataFrame({"sensitive_feature": pd.Series(list(sensitive_features))})
        else:
            raise ParameterError.bad_value(
                "sensitive_features",
                _CALLER,
                "one value per row, or one column per feature",
                f"shape {arr.shape}",
            )
    else:
        raise ParameterError.bad_value(
            "sensitive_features",
            _CALLER,
            "a Series, array, list or DataFrame",
            type(sensitive_features).__name__,
        )
    if len(frame) != n or frame.shape[1] == 0:
        raise ParameterError(
            f"The 'sensitive_features' parameter of {_CALLER} must have one value per row of y_true ({n:,}). "
            f"Got {len(frame):,} rows of {frame.shape[1]} columns instead."
        )
    missing = int(frame.isna().to_numpy().sum())
    if missing:
        raise ParameterError(
            f"The 'sensitive_features' parameter of {_CALLER} has {missing:,} missing values; every row needs a group."
        )
    return frame


def group_metrics(
    y_true: Any,
    y_pred: Any,
    *,
    sensitive_features: Any,
    positive_label: Any = 1,
    n_bootstrap: int = 1000,
    confidence: float = 0.95,
    random_state: int | None = 0,
) -> pd.DataFrame:
    """Selection rate, accuracy, TPR, FPR and precision of each group, with bootstrap intervals.

    The groups are the values of ``sensitive_features`` (or their combinations, for several
    features), which need not be model inputs, as with Fairlearn's ``MetricFrame``. Each interval
    is the percentile interval of ``n_bootstrap`` resamples of the group's rows (with replacement,
    the group's size kept); a resample whose denominator is 0 is left out of its metric's interval.
    Every metric depends only on the group's confusion counts, so a resample is drawn as
    multinomial counts: the same distribution as resampling rows, at a cost that does not grow
    with the group.

    Parameters
    ----------
    y_true, y_pred : array-like
        Observed and predicted labels, one per row.
    sensitive_features : array-like or DataFrame
        The group of each row: a Series, array or list, or a frame (or 2-D array) of several
        features whose combinations are the groups.
    positive_label : value or list of values, default 1
        The favourable outcome(s), as in :func:`~lifecycle_widgets.core.explain.bias.bias_report`.
    n_bootstrap : int, default 1000
        Resamples per group.
    confidence : float, default 0.95
        Coverage of each interval.
    random_state : int, optional
        Seed of the resampling; the default 0 makes tables reproducible.

    Returns
    -------
    pandas.DataFrame
        One row per group (indexed by the sensitive features, sorted), columns ``count`` and, for
        each metric of :data:`GROUP_METRICS`, the value and its ``_lower`` and ``_upper`` bounds.
        NaN where a denominator is 0 (Fairlearn reports 0 there).

    Raises
    ------
    ParameterError
        Lengths differ, values are missing, outcomes are not binary for one positive label, a
        positive label never occurs, or an option is out of range.

    Examples
    --------
    >>> table = group_metrics([1, 0, 1, 1, 0, 0], [1, 0, 0, 1, 1, 0],
    ...                       sensitive_features=["a", "a", "a", "b", "b", "b"], n_bootstrap=200)
    >>> table["count"].to_dict(), table.selection_rate.round(3).to_dict()
    ({'a': 3, 'b': 3}, {'a': 0.333, 'b': 0.667})
    >>> table.true_positive_rate.to_dict(), table.precision.to_dict()
    ({'a': 0.5, 'b': 1.0}, {'a': 1.0, 'b': 0.5})
    >>> bool((table.selection_rate_lower <= table.selection_rate).all())
    True
    """
    if isinstance(y_true, str) or isinstance(y_pred, str):
        raise ParameterError(
            f"The 'y_true' and 'y_pred' parameters of {_CALLER} must be arrays, not column names."
        )
    n = len(np.asarray(y_true, dtype=object))
    if n == 0:
        raise ParameterError(f"The 'y_true' parameter of {_CALLER} must not be empty.")
    if isinstance(n_bootstrap, bool) or not isinstance(n_bootstrap, int | np.integer) or n_bootstrap < 1:
        raise ParameterError.bad_value("n_bootstrap", _CALLER, "a positive integer", n_bootstrap)
    if (
        isinstance(confidence, bool)
        or not isinstance(confidence, int | float)
        or not math.isfinite(confidence)
        or not 0 < confidence < 1
    ):
        raise ParameterError.bad_value("confidence", _CALLER, "a number between 0 and 1", confidence)
    frame = _sensitive_frame(sensitive_features, n)
    outcomes = outcomes_of(pd.DataFrame(index=range(n)), y_true, y_pred, positive_label, caller=_CALLER)
    y, yhat = outcomes.y, outcomes.yhat
    assert yhat is not None
    rng = np.random.default_rng(random_state)
    cells = np.stack([y & yhat, ~y & yhat, y & ~yhat, ~y & ~yhat], axis=1)
    columns = list(frame.columns)
    groups = frame.groupby(columns, sort=True).indices
    low, high = (1 - confidence) / 2, (1 + confidence) / 2
    rows = []
    for rows_of in groups.values():
        counts = cells[rows_of].sum(axis=0)
        size = int(counts.sum())
        point = _rates(counts)
        draws = _rates(rng.multinomial(size, counts / size, size=int(n_bootstrap)))
        row: dict[str, float] = {"count": size}
        for metric, value in point.items():
            sample = draws[metric][np.isfinite(draws[metric])]
            row[metric] = float(value)
            row[f"{metric}_lower"] = float(np.quantile(sample, low)) if len(sample) else math.nan
            row[f"{metric}_upper"] = float(np.quantile(sample, high)) if len(sample) else math.nan
        rows.append(row)
    keys = list(groups)
    index = (
        pd.MultiIndex.from_tuples(keys, names=columns)
        if len(columns) > 1
        else pd.Index([k[0] if isinstance(k, tuple) else k for k in keys], name=columns[0])
    )
    table = pd.DataFrame(rows, index=index)
    table["count"] = table["count"].astype(int)
    return table
