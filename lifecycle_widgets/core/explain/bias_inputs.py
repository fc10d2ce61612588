"""What :func:`~lifecycle_widgets.core.explain.bias.bias_report` is given, checked and turned into
boolean arrays before any metric is computed: facet *d*, positive labels and predictions, groups.

The facet need not be a model input, as in Clarify and Fairlearn (``sensitive_features``): a
column of ``X``, two columns (an intersection), or values aligned with ``X`` by row position. A
numeric facet is split by a threshold as Clarify does (values above it form facet *d*); a label
takes a set of positive values, as Clarify's ``label_values_or_threshold`` does. Every error names
the parameter, what was expected and what came.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from lifecycle_widgets.exceptions import ColumnError, ParameterError

__all__ = ["CONTINUOUS_VALUES", "Facet", "Outcomes", "facet_of", "group_of", "is_sequence", "outcomes_of"]

CONTINUOUS_VALUES = 10
"""A numeric facet with more distinct values than this needs ``facet_threshold`` or
``facet_values``: its least frequent value is not a group worth comparing."""

_VALUES = np.ndarray | pd.Series | pd.Index | pd.Categorical


@dataclass(frozen=True)
class Facet:
    """Facet *d* as booleans, with how it was chosen.

    ``names`` name the facet (columns of X, or the Series' name), ``values`` the value(s) or
    threshold that make up *d*, as text; ``columns`` are the columns of X it came from (for values
    given outside X, the columns of X of the same name and values); ``threshold`` is set for a
    threshold split.
    """

    d: np.ndarray
    names: tuple[str, ...]
    values: tuple[str, ...]
    columns: tuple[str, ...]
    threshold: float | None = None


@dataclass(frozen=True)
class Outcomes:
    """Positive labels ``y`` and positive predictions ``yhat`` (``None`` without predictions) as
    booleans; ``positive`` the favourable value(s) as text; ``columns`` the columns of X they came
    from."""

    y: np.ndarray
    yhat: np.ndarray | None
    positive: str
    columns: tuple[str, ...]


def is_sequence(value: Any) -> bool:
    """True for the containers of several values (list, tuple, set, array, Series, Index)."""
    return isinstance(value, list | tuple | set | frozenset | np.ndarray | pd.Series | pd.Index)


def _values_text(values: Sequence[Any]) -> str:
    shown = sorted(values, key=str)[:10]
    more = f" and {len(values) - 10} more" if len(values) > 10 else ""
    return f"{[v.item() if isinstance(v, np.generic) else v for v in shown]}{more}"


def _columns_text(X: pd.DataFrame) -> str:
    return str(list(map(str, X.columns))[:30])


def _combination_text(key: Any) -> str:
    return " & ".join(map(str, key)) if isinstance(key, tuple) else str(key)


def _number_text(value: float) -> str:
    return f"{value:.12g}"


# --- the facet ------------------------------------------------------------------------------------
def _facet_frame(X: pd.DataFrame, facet: Any, caller: str) -> tuple[pd.DataFrame, tuple[str, ...], bool]:
    """The facet as a frame of one or two columns by row position, its names, and whether its
    columns are X's."""
    expected = "a column name of X, a list of two column names, or one value per row of X"
    if isinstance(facet, str):
        cols: tuple[str, ...] = (facet,)
    elif (
        isinstance(facet, list | tuple)
        and facet
        and all(isinstance(c, str) for c in facet)
        and (len(facet) <= 2 or all(c in X.columns for c in facet))
    ):
        cols = tuple(facet)
        if len(cols) > 2:
            raise ParameterError.bad_value("facet", caller, f"{expected} ({len(X):,})", facet)
    elif isinstance(facet, pd.DataFrame):
        if not 1 <= facet.shape[1] <= 2:
            raise ParameterError.bad_value(
                "facet", caller, "a frame of one or two facet columns", f"{facet.shape[1]} columns"
            )
        frame = facet.reset_index(drop=True)
        frame.columns = [str(c) for c in frame.columns]
        return _aligned(X, frame, caller), tuple(frame.columns), False
    elif isinstance(facet, _VALUES | list | tuple):
        if isinstance(facet, np.ndarray) and facet.ndim != 1:
            raise ParameterError.bad_value("facet", caller, expected, f"an array of shape {facet.shape}")
        if isinstance(facet, pd.Series):
            arr = facet.reset_index(drop=True)
        elif isinstance(facet, list | tuple):
            arr = pd.Series(list(facet))
        else:
            arr = pd.Series(facet)
        name = (
            str(facet.name) if isinstance(facet, pd.Series | pd.Index) and facet.name is not None else "facet"
        )
        frame = pd.DataFrame({name: arr})
        return _aligned(X, frame, caller), (name,), False
    else:
        raise ParameterError.bad_value("facet", caller, expected, facet)
    for c in cols:
        if c not in X.columns:
            raise ColumnError(c, f"the facet column is not in X; columns are {_columns_text(X)}")
    if len(set(cols)) != len(cols):
        raise ParameterError.bad_value("facet", caller, "two different columns", facet)
    for c in cols:
        missing = int(X[c].isna().sum())
        if missing:
            raise ColumnError(
                c,
                f"the facet column has {missing:,} missing values; every row needs a facet value (fill or drop them)",
            )
    return X[list(cols)].reset_index(drop=True), cols, True


def _aligned(X: pd.DataFrame, frame: pd.DataFrame, caller: str) -> pd.DataFrame:
    if len(frame) != len(X):
        raise ParameterError(
            f"The 'facet' parameter of {caller} must have one value per row of X ({len(X):,}), "
            f"aligned by position. Got {len(frame):,} values instead."
        )
    missing = int(frame.isna().to_numpy().sum())
    if missing:
        raise ParameterError(
            f"The 'facet' parameter of {caller} has {missing:,} missing values; every row needs a "
            "facet value (fill or drop them)."
        )
    return frame


def _same(column: pd.Series, values: pd.Series) -> bool:
    return column.reset_index(drop=True).equals(values.reset_index(drop=True))


def _match(col: pd.Series, value: Any) -> np.ndarray:
    mask = (col == value).fillna(False).to_numpy(dtype=bool)
    if not mask.any():  # "30" for 30, or 1 for "1"
        mask = (col.astype(str) == str(value)).to_numpy(dtype=bool)
    return mask


def _single_value(frame: pd.DataFrame, names: tuple[str, ...], from_x: bool, caller: str, value: Any) -> None:
    text = _combination_text(value)
    if from_x:
        what = "column holds" if len(names) == 1 else "columns hold"
        raise ColumnError(
            names[0] if len(names) == 1 else list(names),
            f"the facet {what} a single value ({text}); the 'facet' parameter of {caller} needs "
            "two groups to compare",
        )
    raise ParameterError(
        f"The 'facet' parameter of {caller} must hold at least two groups to compare. "
        f"Got a single value ({text}) in every row."
    )


def _by_threshold(
    frame: pd.DataFrame, names: tuple[str, ...], threshold: Any, caller: str
) -> tuple[np.ndarray, tuple[str, ...], float]:
    if (
        isinstance(threshold, bool)
        or not isinstance(threshold, int | float | np.number)
        or not math.isfinite(threshold)
    ):
        raise ParameterError.bad_value("facet_threshold", caller, "a finite number", threshold)
    if len(names) != 1:
        raise ParameterError(
            f"The 'facet_threshold' parameter of {caller} splits one numeric facet. "
            f"Got a facet of {len(names)} columns {list(names)}."
        )
    col = frame.iloc[:, 0]
    if pd.api.types.is_bool_dtype(col) or not pd.api.types.is_numeric_dtype(col):
        raise ParameterError(
            f"The 'facet_threshold' parameter of {caller} needs a numeric facet. "
            f"Got {names[0]!r} of dtype {col.dtype}; pass facet_values to choose its group d."
        )
    values = col.to_numpy(dtype=float)
    t = float(threshold)
    d = values > t
    if not d.any():
        raise ParameterError(
            f"The 'facet_threshold' parameter of {caller} must leave some rows above it (facet d, as "
            f"Clarify splits a continuous facet). Got {threshold!r}; the largest value of {names[0]!r} "
            f"is {_number_text(values.max())}."
        )
    if d.all():
        raise ParameterError(
            f"The 'facet_threshold' parameter of {caller} must leave some rows at or below it (facet a). "
            f"Got {threshold!r}; the smallest value of {names[0]!r} is {_number_text(values.min())}."
        )
    return d, (f"> {_number_text(t)}",), t


def _chosen_values(
    frame: pd.DataFrame, names: tuple[str, ...], facet_values: Any, counts: pd.Series, caller: str
) -> list[Any]:
    keys = [k[0] if len(names) == 1 and isinstance(k, tuple) else k for k in counts.index]
    if facet_values is None:
        col = frame.iloc[:, 0]
        if (
            len(names) == 1
            and pd.api.types.is_numeric_dtype(col)
            and not pd.api.types.is_bool_dtype(col)
            and len(keys) > CONTINUOUS_VALUES
        ):
            raise ParameterError(
                f"The 'facet' parameter of {caller} is continuous ({names[0]!r} has {len(keys):,} distinct "
                "numbers): pass facet_threshold (values above it form facet d, as Clarify does) or "
                "facet_values (the values of facet d)."
            )
        order = sorted(range(len(keys)), key=lambda i: (counts.iloc[i], _combination_text(keys[i])))
        return [keys[order[0]]]
    if len(names) == 1:
        return list(facet_values) if is_sequence(facet_values) else [facet_values]

    def is_combo(v: Any) -> bool:
        return is_sequence(v) and len(v) == 2 and not any(is_sequence(x) for x in v)

    if is_combo(facet_values):
        return [tuple(facet_values)]
    if is_sequence(facet_values) and len(facet_values) and all(is_combo(v) for v in facet_values):
        return [tuple(v) for v in facet_values]
    raise ParameterError.bad_value(
        "facet_values", caller, f"a pair of values of {list(names)} or a list of such pairs", facet_values
    )


def facet_of(X: pd.DataFrame, facet: Any, facet_values: Any, facet_threshold: Any, *, caller: str) -> Facet:
    """Facet *d* of ``X``'s rows, checked: two groups, no missing value, values present.

    Parameters
    ----------
    X : pandas.DataFrame
        The rows.
    facet : str, list of str, array-like or DataFrame
        A column of ``X``, two columns (an intersection), or values aligned with ``X`` by position
        (a Series, array, list or a frame of one or two columns).
    facet_values : optional
        The value(s) of facet *d*: one value or a list; for two columns a pair or a list of pairs.
        Default: the least frequent value (or combination).
    facet_threshold : float, optional
        For a numeric facet: rows with values above it form facet *d*, as Clarify does.
    caller : str
        The function named in error messages.

    Returns
    -------
    Facet

    Raises
    ------
    ColumnError
        A facet column is missing from ``X``, has missing values or a single value.
    ParameterError
        The facet has the wrong length, missing values or a single value; ``facet_values`` and
        ``facet_threshold`` are both given; ``facet_values`` are absent or select every row; the
        threshold leaves a group empty or the facet is not numeric; a numeric facet with many
        values has neither.

    Examples
    --------
    >>> import pandas as pd
    >>> X = pd.DataFrame({"x": [1, 2, 3, 4]})
    >>> f = facet_of(X, pd.Series([20, 35, 61, 70], name="age"), None, 60, caller="example")
    >>> f.d.tolist(), f.names, f.values
    ([False, False, True, True], ('age',), ('> 60',))
    """
    if facet_values is not None and facet_threshold is not None:
        raise ParameterError(
            f"Pass facet_values or facet_threshold to {caller}, not both: facet_values selects facet d "
            f"by value, facet_threshold by 'greater than'. Got facet_values={facet_values!r} and "
            f"facet_threshold={facet_threshold!r}."
        )
    frame, names, from_x = _facet_frame(X, facet, caller)
    # values that are a column of X (facet=X["age"]) came from it: the flip test leaves them out
    columns = names if from_x else tuple(c for c in names if c in X.columns and _same(X[c], frame[c]))
    counts = frame.value_counts(dropna=False, sort=False)
    if len(counts) < 2:
        _single_value(frame, names, from_x, caller, counts.index[0])
    if facet_threshold is not None:
        d, values, t = _by_threshold(frame, names, facet_threshold, caller)
        return Facet(d, names, values, columns, t)
    chosen = _chosen_values(frame, names, facet_values, counts, caller)
    if not chosen:
        raise ParameterError.bad_value("facet_values", caller, "at least one facet value", facet_values)
    keys = [k[0] if len(names) == 1 and isinstance(k, tuple) else k for k in counts.index]
    d = np.zeros(len(frame), dtype=bool)
    for value in chosen:
        parts = value if len(names) == 2 else (value,)
        mask = np.ones(len(frame), dtype=bool)
        for c, v in zip(frame.columns, parts, strict=True):
            mask &= _match(frame[c], v)
        if not mask.any():
            raise ParameterError(
                f"The 'facet_values' parameter of {caller} must name values present in {list(names)}. "
                f"Got {value!r}, which no row has; present: {_values_text([_combination_text(k) for k in keys])}."
            )
        d |= mask
    if d.all():
        raise ParameterError(
            f"The 'facet_values' parameter of {caller} selects every row ({_values_text(chosen)}): "
            "facet a, the rest, would be empty. Leave at least one facet value out."
        )
    return Facet(d, names, tuple(_combination_text(v) for v in chosen), columns)


# --- labels and predictions -----------------------------------------------------------------------
def _series(X: pd.DataFrame, values: Any, name: str, caller: str) -> tuple[pd.Series, str | None]:
    """The outcome column (labels or predictions) as a Series with X's row positions."""
    column = None
    if isinstance(values, str):
        if values not in X.columns:
            raise ColumnError(values, f"the {name} column is not in X; columns are {_columns_text(X)}")
        column, series = values, X[values].reset_index(drop=True)
    else:
        arr = values.to_numpy() if isinstance(values, pd.Series | pd.Index) else np.asarray(values)
        if arr.ndim != 1:
            raise ParameterError.bad_value(
                name, caller, "a 1-D array or a column name of X", f"shape {arr.shape}"
            )
        if len(arr) != len(X):
            raise ParameterError(
                f"The {name!r} parameter of {caller} must have one value per row of X ({len(X):,}). "
                f"Got {len(arr):,} values instead."
            )
        series = pd.Series(arr)
    missing = int(series.isna().sum())
    if missing:
        raise ParameterError(
            f"The {name!r} parameter of {caller} has {missing:,} missing values; drop or fill them first."
        )
    return series, column


def _binary_check(series: pd.Series, name: str, positive_label: Any, caller: str) -> list[Any]:
    values = list(pd.unique(series))
    if len(values) > 2:
        hint = " Or pass positive_label as a list of the favourable values, as Clarify's label_values do."
        if name == "y_pred" and pd.api.types.is_float_dtype(series):
            hint = " They look like scores: threshold them into labels first (e.g. proba >= 0.5)."
        raise ParameterError(
            f"The {name!r} parameter of {caller} must be binary: bias metrics compare a positive and a "
            f"negative outcome, and positive_label (= {positive_label!r}) selects the positive class. "
            f"Got {len(values)} distinct values: {_values_text(values)}.{hint}"
        )
    return values


def _positive_values(positive_label: Any, caller: str) -> list[Any]:
    values = (
        sorted(positive_label, key=str)
        if isinstance(positive_label, set | frozenset)
        else list(positive_label)
    )
    if not values:
        raise ParameterError.bad_value(
            "positive_label", caller, "a value or a non-empty list of values", positive_label
        )
    if any(is_sequence(v) or isinstance(v, dict) for v in values):
        raise ParameterError.bad_value("positive_label", caller, "a list of label values", positive_label)
    return list(dict.fromkeys(values))


def outcomes_of(X: pd.DataFrame, y_true: Any, y_pred: Any, positive_label: Any, *, caller: str) -> Outcomes:
    """Positive labels and predictions as booleans, checked.

    With one ``positive_label`` the labels (and predictions) must be binary; with a list of
    positive values any number of label values collapse into positive (listed) and negative (the
    rest), as Clarify does for a multi-category label.

    Raises
    ------
    ColumnError
        A named column is not in ``X``.
    ParameterError
        Wrong length or shape, missing values, a single positive label on non-binary outcomes,
        predictions using other values than the labels, a positive label that never occurs.

    Examples
    --------
    >>> import pandas as pd
    >>> X = pd.DataFrame({"grade": ["low", "mid", "high", "mid"]})
    >>> o = outcomes_of(X, "grade", None, ["mid", "high"], caller="example")
    >>> o.y.tolist(), o.positive
    ([False, True, True, True], 'mid, high')
    """
    labels, label_column = _series(X, y_true, "y_true", caller)
    preds, pred_column = (None, None) if y_pred is None else _series(X, y_pred, "y_pred", caller)
    columns = tuple(c for c in (label_column, pred_column) if c is not None)
    label_values = list(pd.unique(labels))
    if not is_sequence(positive_label):
        label_values = _binary_check(labels, "y_true", positive_label, caller)
        y = (labels == positive_label).to_numpy(dtype=bool)
        if not y.any():
            raise ParameterError(
                f"The 'positive_label' parameter of {caller} must be one of the label values "
                f"{_values_text(label_values)}. Got {positive_label!r} instead."
            )
        yhat = None
        if preds is not None:
            pred_values = _binary_check(preds, "y_pred", positive_label, caller)
            union = list(pd.unique(pd.Series([*label_values, *pred_values], dtype=object)))
            if len(union) > 2:
                raise ParameterError(
                    f"The 'y_pred' parameter of {caller} must use the label values {_values_text(label_values)}: "
                    f"together y_true and y_pred hold {_values_text(union)}, more than the two outcomes of a binary "
                    f"problem (positive_label = {positive_label!r} selects the positive class)."
                )
            yhat = (preds == positive_label).to_numpy(dtype=bool)
        return Outcomes(y, yhat, str(positive_label), columns)

    positives = _positive_values(positive_label, caller)
    present = set(label_values) | (set(pd.unique(preds)) if preds is not None else set())
    absent = [v for v in positives if v not in present]
    if absent:
        raise ParameterError(
            f"The 'positive_label' parameter of {caller} must list label values. Got {_values_text(absent)}, "
            f"which neither y_true nor y_pred holds; label values: {_values_text(label_values)}."
        )
    y = labels.isin(positives).to_numpy(dtype=bool)
    if not y.any():
        raise ParameterError(
            f"The 'positive_label' parameter of {caller} must include a value of y_true. "
            f"Got {_values_text(positives)}; y_true holds {_values_text(label_values)}."
        )
    yhat = None
    if preds is not None:
        pred_values = list(pd.unique(preds))
        if not set(pred_values) & set(label_values):
            raise ParameterError(
                f"The 'y_pred' parameter of {caller} must use the label values {_values_text(label_values)}. "
                f"Got {_values_text(pred_values)}."
            )
        yhat = preds.isin(positives).to_numpy(dtype=bool)
    return Outcomes(y, yhat, ", ".join(map(str, positives)), columns)


# --- the conditioning group -----------------------------------------------------------------------
def group_of(X: pd.DataFrame, group: Any, *, caller: str) -> tuple[np.ndarray | None, str | None]:
    """The values of ``group`` (a column of ``X`` or values aligned with it) and its name.

    Examples
    --------
    >>> import pandas as pd
    >>> values, name = group_of(pd.DataFrame({"dept": ["A", "B"]}), "dept", caller="example")
    >>> values.tolist(), name
    (['A', 'B'], 'dept')
    """
    if group is None:
        return None, None
    if isinstance(group, str):
        if group not in X.columns:
            raise ColumnError(group, f"the group column is not in X; columns are {_columns_text(X)}")
        missing = int(X[group].isna().sum())
        if missing:
            raise ColumnError(
                group, f"the group column has {missing:,} missing values; fill or drop them first"
            )
        return X[group].to_numpy(dtype=object), group
    if not isinstance(group, _VALUES | list | tuple):
        raise ParameterError.bad_value("group", caller, "a column name of X or one value per row of X", group)
    values = pd.Series(
        np.asarray(group, dtype=object) if not isinstance(group, pd.Series) else group.to_numpy()
    )
    if values.ndim != 1 or len(values) != len(X):
        raise ParameterError(
            f"The 'group' parameter of {caller} must have one value per row of X ({len(X):,}), aligned "
            f"by position. Got {len(values):,} values instead."
        )
    missing = int(values.isna().sum())
    if missing:
        raise ParameterError(
            f"The 'group' parameter of {caller} has {missing:,} missing values; fill or drop them first."
        )
    name = str(group.name) if isinstance(group, pd.Series | pd.Index) and group.name is not None else "group"
    return values.to_numpy(dtype=object), name
