"""Pre-processing bias mitigation: reweighing (Kamiran and Calders 2012), and fitting with weights.

Reweighing gives each training row the weight ``w(g, y) = P(g) P(y) / P(g, y)`` of its group ``g``
of the sensitive feature and its label ``y``: the count a cell would have if label and group were
independent, over the count it has. Under these weights every group has the same label
distribution, so the weighted data shows no demographic disparity (DPL is 0) while each group and
each label keeps its total weight. The weights are those of AIF360's ``Reweighing`` for two groups
and a binary label; here every group of the facet and every label value gets its own.

F. Kamiran and T. Calders, "Data preprocessing techniques for classification without
discrimination", Knowledge and Information Systems 33 (2012), section 4.2.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from lifecycle_widgets.exceptions import ColumnError, ParameterError

__all__ = [
    "GROUP_SEPARATOR",
    "fit_weighted",
    "reweighing_table",
    "reweighing_weights",
    "sample_weight_key",
    "sensitive_groups",
]

GROUP_SEPARATOR = " & "
"""Joins the values of several sensitive features into one group name (``"F & 60+"``)."""

_VALUES = np.ndarray | pd.Series | pd.Index | pd.Categorical | list | tuple


def _text(value: Any) -> str:
    return str(value.item() if isinstance(value, np.generic) else value)


def sensitive_groups(
    sensitive_features: Any,
    n: int,
    *,
    caller: str,
    X: pd.DataFrame | None = None,
    parameter: str = "sensitive_features",
    min_groups: int = 2,
) -> tuple[np.ndarray, tuple[str, ...]]:
    """The group of each row as text, and the names of the sensitive features, checked.

    Parameters
    ----------
    sensitive_features : str, list of str, array-like or DataFrame
        A column of ``X`` or several (their combinations are the groups), or values aligned with
        the rows by position: a Series, array, list, or a frame (or 2-D array) of several features.
    n : int
        The number of rows.
    caller : str
        The function named in error messages.
    X : pandas.DataFrame, optional
        The frame whose columns ``sensitive_features`` may name.
    parameter : str, default "sensitive_features"
        The parameter named in error messages.
    min_groups : int, default 2
        The fewest groups accepted: 2 where groups are compared or learned, 1 where rows are
        only looked up (a prediction batch may hold one group).

    Returns
    -------
    groups : numpy.ndarray of str
        One group name per row: the value as text, or the values joined by
        :data:`GROUP_SEPARATOR`, so ``1``, ``1.0`` and ``"1"`` are one group.
    names : tuple of str
        The names of the features.

    Raises
    ------
    ColumnError
        A named column is not in ``X``.
    ParameterError
        Another type, the wrong length, missing values, or a single group: there is nothing to
        compare.

    Examples
    --------
    >>> groups, names = sensitive_groups(["a", "b", "a"], 3, caller="example")
    >>> groups.tolist(), names
    (['a', 'b', 'a'], ('sensitive_feature',))
    """
    if isinstance(sensitive_features, str) or (
        isinstance(sensitive_features, list | tuple)
        and sensitive_features
        and all(isinstance(c, str) for c in sensitive_features)
        and X is not None
        and all(c in X.columns for c in sensitive_features)
    ):
        names = [sensitive_features] if isinstance(sensitive_features, str) else list(sensitive_features)
        if X is None:
            raise ParameterError(
                f"The {parameter!r} parameter of {caller} names a column ({sensitive_features!r}), but no "
                "frame was given to read it from; pass the values instead."
            )
        absent = [c for c in names if c not in X.columns]
        if absent:
            raise ColumnError(
                absent[0], f"the {parameter} column is not in X; columns are {list(X.columns)[:30]}"
            )
        frame = X[names].reset_index(drop=True)
    elif isinstance(sensitive_features, pd.DataFrame):
        frame = sensitive_features.reset_index(drop=True)
    elif isinstance(sensitive_features, pd.Series):
        name = "sensitive_feature" if sensitive_features.name is None else sensitive_features.name
        frame = sensitive_features.reset_index(drop=True).to_frame(name)
    elif isinstance(sensitive_features, _VALUES):
        arr = np.asarray(sensitive_features, dtype=object)
        if arr.ndim == 2:
            frame = pd.DataFrame(arr, columns=[f"sensitive_feature_{i}" for i in range(arr.shape[1])])
        elif arr.ndim == 1:
            frame = pd.DataFrame({"sensitive_feature": pd.Series(list(sensitive_features), dtype=object)})
        else:
            raise ParameterError.bad_value(
                parameter, caller, "one value per row, or one column per feature", f"shape {arr.shape}"
            )
    else:
        raise ParameterError.bad_value(
            parameter,
            caller,
            "a column name, a Series, array, list or DataFrame",
            type(sensitive_features).__name__,
        )
    if len(frame) != n or frame.shape[1] == 0:
        raise ParameterError(
            f"The {parameter!r} parameter of {caller} must have one value per row ({n:,}). "
            f"Got {len(frame):,} rows of {frame.shape[1]} columns instead."
        )
    missing = int(frame.isna().to_numpy().sum())
    if missing:
        raise ParameterError(
            f"The {parameter!r} parameter of {caller} has {missing:,} missing values; every row needs a group."
        )
    columns = [frame.iloc[:, j].map(_text) for j in range(frame.shape[1])]
    groups = columns[0].to_numpy(dtype=object)
    for col in columns[1:]:
        groups = groups + GROUP_SEPARATOR + col.to_numpy(dtype=object)
    groups = groups.astype(str)
    distinct = np.unique(groups)
    if len(distinct) < min_groups:
        raise ParameterError(
            f"The {parameter!r} parameter of {caller} must hold at least two groups; bias mitigation "
            f"compares groups. Got a single group ({distinct[0] if len(distinct) else 'none'!r}) in every row."
        )
    return groups, tuple(str(c) for c in frame.columns)


def _labels(y: Any, n: int | None, caller: str) -> np.ndarray:
    if isinstance(y, str):
        raise ParameterError.bad_value("y", caller, "an array of labels, not a column name", y)
    arr = y.to_numpy() if isinstance(y, pd.Series | pd.Index) else np.asarray(y)
    if arr.ndim != 1:
        raise ParameterError.bad_value("y", caller, "a 1-D array of labels", f"shape {arr.shape}")
    if n is not None and len(arr) != n:
        raise ParameterError(
            f"The 'y' parameter of {caller} must have one label per row ({n:,}). Got {len(arr):,} instead."
        )
    if len(arr) == 0:
        raise ParameterError(f"The 'y' parameter of {caller} must not be empty.")
    if pd.isna(pd.Series(arr)).any():
        raise ParameterError(f"The 'y' parameter of {caller} has missing labels; drop or fill them first.")
    if arr.dtype.kind == "f" and not np.all(np.isfinite(arr) & (arr == np.round(arr))):
        raise ParameterError(
            f"The 'y' parameter of {caller} must hold class labels; got non-integral numbers, which "
            "look like a continuous target. Reweighing balances labels across groups."
        )
    if len(pd.unique(pd.Series(arr))) < 2:
        raise ParameterError(
            f"The 'y' parameter of {caller} must hold at least two label values; a single label is "
            "independent of every group already."
        )
    return arr


def reweighing_table(y: Any, *, sensitive_features: Any, X: pd.DataFrame | None = None) -> pd.DataFrame:
    """The reweighing weight of each combination of group and label, with the counts behind it.

    ``weight = P(g) P(y) / P(g, y) = n_g n_y / (n n_gy)``: the expected count of the cell under
    independence over its observed count. Only observed cells appear (an empty cell has no rows
    to weigh).

    Parameters
    ----------
    y : array-like
        Class labels, one per row.
    sensitive_features : str, list of str, array-like or DataFrame
        The group of each row (see :func:`sensitive_groups`); several features combine.
    X : pandas.DataFrame, optional
        The frame whose column(s) ``sensitive_features`` may name.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``group`` and ``label``, sorted, with columns ``count`` (n_gy), ``expected``
        (n_g n_y / n) and ``weight``.

    Raises
    ------
    ParameterError
        Lengths differ, values are missing, a single group or a single label, or a continuous
        label.

    Examples
    --------
    >>> t = reweighing_table([1, 1, 1, 0, 1, 0, 0, 0], sensitive_features=list("aaaabbbb"))
    >>> t["weight"].round(3).to_dict()
    {('a', 0): 2.0, ('a', 1): 0.667, ('b', 0): 0.667, ('b', 1): 2.0}
    """
    caller = "reweighing_table"
    labels = _labels(y, None, caller)
    groups, _ = sensitive_groups(sensitive_features, len(labels), caller=caller, X=X)
    return _table(groups, labels)


def _table(groups: np.ndarray, labels: np.ndarray) -> pd.DataFrame:
    frame = pd.DataFrame({"group": groups, "label": labels})
    n = len(frame)
    cells = frame.groupby(["group", "label"], sort=True).size().rename("count")
    n_g = frame.groupby("group").size()
    n_y = frame.groupby("label").size()
    g = cells.index.get_level_values("group")
    lab = cells.index.get_level_values("label")
    expected = n_g.loc[g].to_numpy() * n_y.loc[lab].to_numpy() / n
    table = cells.to_frame()
    table["expected"] = expected
    table["weight"] = expected / cells.to_numpy()
    return table


def reweighing_weights(y: Any, *, sensitive_features: Any, X: pd.DataFrame | None = None) -> np.ndarray:
    """Kamiran and Calders' reweighing: one sample weight per row, ``P(g) P(y) / P(g, y)``.

    Pass them to ``model.fit(X, y, sample_weight=w)``, or to :func:`fit_weighted`, which routes
    them to a Pipeline's last step. Under these weights the label is independent of the group:
    every group's weighted share of each label equals that label's overall share (DPL becomes 0)
    and each group and each label keeps its row count as its total weight, so the weights sum to
    the number of rows. A combination of group and label with no rows cannot be weighted into
    being: its group and label then weigh less than their counts.

    Parameters
    ----------
    y : array-like
        Class labels, one per row (binary or several classes).
    sensitive_features : str, list of str, array-like or DataFrame
        The group of each row: a column of ``X`` (or several, combined), or values aligned with
        ``y``, as Fairlearn's ``sensitive_features``.
    X : pandas.DataFrame, optional
        The frame whose column(s) ``sensitive_features`` may name.

    Returns
    -------
    numpy.ndarray of float
        One weight per row.

    Raises
    ------
    ParameterError
        Lengths differ, values are missing, a single group or a single label, or a continuous
        label; checked before any weight is computed.

    Examples
    --------
    Group ``a`` has three positives out of four, group ``b`` one; overall half are positive:

    >>> w = reweighing_weights([1, 1, 1, 0, 1, 0, 0, 0], sensitive_features=list("aaaabbbb"))
    >>> w.round(3).tolist()
    [0.667, 0.667, 0.667, 2.0, 2.0, 0.667, 0.667, 0.667]
    >>> float(w.sum())
    8.0
    """
    caller = "reweighing_weights"
    labels = _labels(y, None, caller)
    groups, _ = sensitive_groups(sensitive_features, len(labels), caller=caller, X=X)
    table = _table(groups, labels)
    keys = pd.MultiIndex.from_arrays([groups, labels], names=["group", "label"])
    return table["weight"].reindex(keys).to_numpy(dtype=float)


# --- fitting with weights -------------------------------------------------------------------------
def sample_weight_key(model: Any, *, caller: str = "sample_weight_key") -> str:
    """The fit parameter that carries sample weights to ``model``'s final estimator.

    ``"sample_weight"`` for an estimator whose ``fit`` takes it; ``"<last step>__sample_weight"``
    for a Pipeline (nested Pipelines chain the names), the form ``Pipeline.fit`` routes to its
    last step.

    Raises
    ------
    ParameterError
        The final estimator's ``fit`` takes no ``sample_weight`` (k-nearest neighbours, an MLP,
        a search object): reweighing cannot reach it. Names the estimator.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> sample_weight_key(make_pipeline(StandardScaler(), LogisticRegression()))
    'logisticregression__sample_weight'
    """
    from sklearn.pipeline import Pipeline
    from sklearn.utils.validation import has_fit_parameter

    if not hasattr(model, "fit"):
        raise ParameterError.bad_value(
            "model", caller, "an estimator with a fit method", type(model).__name__
        )
    if isinstance(model, Pipeline):
        name, last = model.steps[-1]
        if last is None or (isinstance(last, str) and last == "passthrough"):
            raise ParameterError(
                f"The 'model' parameter of {caller} is a Pipeline whose last step {name!r} is "
                "'passthrough'; sample weights need an estimator at the end."
            )
        return f"{name}__{sample_weight_key(last, caller=caller)}"
    if not has_fit_parameter(model, "sample_weight"):
        raise ParameterError(
            f"The 'model' parameter of {caller} must be an estimator whose fit takes sample_weight, so "
            f"that reweighing reaches it. {type(model).__name__}.fit takes no sample_weight; choose an "
            "estimator that does (logistic regression, trees, gradient boosting, SVC) or another "
            "mitigation (method='threshold_optimizer')."
        )
    return "sample_weight"


def fit_weighted(model: Any, X: Any, y: Any, sample_weight: Any, **fit_params: Any) -> Any:
    """Fit ``model`` with ``sample_weight``, routed to a Pipeline's last step; returns the model.

    For a Pipeline the weights go as ``**{f"{last_step}__sample_weight": w}``; with scikit-learn's
    metadata routing enabled they go as ``sample_weight=w`` and the steps' own requests route them.

    Parameters
    ----------
    model : estimator
        An estimator or Pipeline whose final ``fit`` takes ``sample_weight``.
    X, y : array-like
        Training rows and labels.
    sample_weight : array-like
        One finite, non-negative weight per row, such as :func:`reweighing_weights` returns.
    **fit_params
        Passed on to ``fit``.

    Returns
    -------
    The fitted ``model`` (fitted in place, as ``fit`` does).

    Raises
    ------
    ParameterError
        The final estimator takes no ``sample_weight``, or the weights are not one finite,
        non-negative number per row; checked before fitting.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> X, y, groups = [[0.0], [1.0], [2.0], [3.0]], [0, 0, 1, 1], ["a", "b", "a", "b"]
    >>> w = reweighing_weights(y, sensitive_features=groups)
    >>> fit_weighted(make_pipeline(StandardScaler(), LogisticRegression()), X, y, w).predict([[3.0]])
    array([1])
    """
    import sklearn

    caller = "fit_weighted"
    key = sample_weight_key(model, caller=caller)
    weights = _checked_weights(sample_weight, X, caller)
    if sklearn.get_config().get("enable_metadata_routing", False):
        key = "sample_weight"
    return model.fit(X, y, **{key: weights}, **fit_params)


def _checked_weights(sample_weight: Any, X: Any, caller: str) -> np.ndarray:
    try:
        weights = np.asarray(sample_weight, dtype=float)
    except (TypeError, ValueError) as err:
        raise ParameterError.bad_value(
            "sample_weight", caller, "one number per row", type(sample_weight).__name__
        ) from err
    rows = len(X) if isinstance(X, Sequence | np.ndarray | pd.DataFrame) else getattr(X, "shape", (None,))[0]
    if weights.ndim != 1 or (rows is not None and len(weights) != rows):
        raise ParameterError(
            f"The 'sample_weight' parameter of {caller} must hold one weight per row of X ({rows}). "
            f"Got shape {weights.shape} instead."
        )
    if not np.all(np.isfinite(weights)) or (weights < 0).any():
        bad = weights[~np.isfinite(weights) | (weights < 0)][0]
        raise ParameterError(
            f"The 'sample_weight' parameter of {caller} must hold finite, non-negative weights. Got {bad!r}."
        )
    if math.isclose(float(weights.sum()), 0.0):
        raise ParameterError(f"The 'sample_weight' parameter of {caller} must not be all zero.")
    return weights
