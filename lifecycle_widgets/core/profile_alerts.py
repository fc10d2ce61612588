"""The rules that turn a profile's statistics into :class:`~lifecycle_widgets.core.alerts.Alert`\\ s.

One named function per alert type (what each fires on is in
:data:`~lifecycle_widgets.core.alerts.ALERT_TYPES`): dataset rules, column rules (each sees one
:class:`ColumnProfile` and its :class:`ColumnContext`), and pair rules over the association
matrices and the row sample (high correlation, near-duplicate columns).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from lifecycle_widgets.core.alerts import Alert, AlertThresholds, sort_alerts
from lifecycle_widgets.core.partial import hash_objects
from lifecycle_widgets.core.profile_parts import Matrix
from lifecycle_widgets.core.sketches import SampleQuantiles

if TYPE_CHECKING:
    from lifecycle_widgets.core.profiling import ColumnProfile

UNIQUE_MIN_VALUES = 50  # fewer values than this are all distinct by chance too often to say so
UNIFORM_MIN_VALUES = 100
MAX_PAIR_ALERTS = 100
PREFILTER_ROWS = 256
NAME_LIMIT = 80


def name(column: str) -> str:
    """A column name for a message: quoted, and cut when long (a 10 MB name stays short).

    Examples
    --------
    >>> name("age"), len(name("x" * 500))
    ("'age'", 82)
    """
    return repr(column if len(column) <= NAME_LIMIT else column[: NAME_LIMIT - 1] + "…")


def _date(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, tz=UTC).strftime("%Y-%m-%d")


@dataclass(frozen=True)
class ColumnContext:
    """What a column rule needs beyond the column's own statistics."""

    rows: int
    thresholds: AlertThresholds
    is_target: bool = False
    target_type: str | None = None
    sample: SampleQuantiles | None = None  # the column's numeric values in the row sample
    as_of: float = 0.0  # seconds since the epoch: dates after it are in the future


ColumnRule = Callable[["ColumnProfile", ColumnContext], "Alert | None"]


def _alert(col: ColumnProfile, type_: str, severity: str, message: str, value: float | None = None) -> Alert:
    return Alert(type_, severity, message, col.name, None if value is None else float(value))


def constant(col: ColumnProfile, ctx: ColumnContext) -> Alert | None:
    if col.kind != "constant":
        return None
    value = col.top_values[0][0] if col.top_values else col.min
    return _alert(col, "constant", "medium", f"Only one distinct value ({value}).")


def high_missing(col: ColumnProfile, ctx: ColumnContext) -> Alert | None:
    share = col.missing_share
    if col.kind == "empty" or share < ctx.thresholds.high_missing:
        return None
    return _alert(col, "high_missing", "medium", f"{share:.1%} of values are missing.", share)


def mixed_types(col: ColumnProfile, ctx: ColumnContext) -> Alert | None:
    if not col.value_types:
        return None
    types = ", ".join(f"{k} ({v:,})" for k, v in col.value_types.items())
    return _alert(col, "mixed_types", "high", f"Values of several types in one column: {types}.")


def infinite_values(col: ColumnProfile, ctx: ColumnContext) -> Alert | None:
    if not col.infinite:
        return None
    return _alert(col, "infinite_values", "medium", f"{col.infinite:,} infinite values.", col.infinite)


def high_cardinality(col: ColumnProfile, ctx: ColumnContext) -> Alert | None:
    if col.kind != "categorical" or col.distinct <= ctx.thresholds.high_cardinality:
        return None
    return _alert(col, "high_cardinality", "medium", f"{col.distinct:,} distinct values.", col.distinct)


def unique(col: ColumnProfile, ctx: ColumnContext) -> Alert | None:
    # floats and dates are all distinct as a rule, so saying so would be noise
    if col.kind in ("numeric", "datetime", "boolean", "constant", "empty") or col.count < UNIQUE_MIN_VALUES:
        return None
    # an estimated distinct count is within 5 % of the truth (3 standard errors of the sketch)
    if col.distinct < (col.count if col.distinct_exact else 0.95 * col.count):
        return None
    what = "an identifier, not a feature" if col.kind == "identifier" else "no value repeats"
    return _alert(col, "unique", "low", f"Every value is distinct ({col.count:,} values): {what}.")


def skewed(col: ColumnProfile, ctx: ColumnContext) -> Alert | None:
    if col.skewness is None or abs(col.skewness) < ctx.thresholds.skewness:
        return None
    return _alert(col, "skewed", "low", f"Heavily skewed (skewness {col.skewness:.1f}).", col.skewness)


def zeros(col: ColumnProfile, ctx: ColumnContext) -> Alert | None:
    if col.kind not in ("numeric", "integer") or not col.count:
        return None
    share = col.zeros / col.count
    if not col.zeros or share < ctx.thresholds.zeros:
        return None
    return _alert(col, "zeros", "low", f"{share:.1%} of values are zero ({col.zeros:,}).", share)


def uniform_distance(sq: SampleQuantiles, low: float, high: float, *, integer: bool) -> float | None:
    """Kolmogorov-Smirnov distance between sampled values and the uniform distribution on
    [low, high] (on the whole numbers low..high for an integer column: a discrete uniform).

    Examples
    --------
    >>> sq = SampleQuantiles.of(np.arange(100.0), 100)
    >>> round(uniform_distance(sq, 0.0, 99.0, integer=True), 6)
    0.0
    """
    v = sq.values  # sorted: each distinct value starts a run, which ends where the next starts
    if v.size == 0 or high <= low:
        return None
    starts = np.flatnonzero(np.concatenate(([True], v[1:] != v[:-1])))
    points = v[starts]
    below = starts / v.size
    upto = np.append(starts[1:], v.size) / v.size
    if integer:
        width = high - low + 1
        f_below, f_upto = (points - low) / width, (points - low + 1) / width
    else:
        f_below = f_upto = (points - low) / (high - low)
    return float(max(np.abs(upto - f_upto).max(), np.abs(below - f_below).max()))


def uniform(col: ColumnProfile, ctx: ColumnContext) -> Alert | None:
    if col.kind not in ("numeric", "integer") or ctx.sample is None or col.count < UNIFORM_MIN_VALUES:
        return None
    if col.min is None or col.max is None:
        return None
    distance = uniform_distance(ctx.sample, col.min, col.max, integer=col.kind == "integer")
    if distance is None or distance > ctx.thresholds.uniform:
        return None
    return _alert(
        col,
        "uniform",
        "low",
        f"Uniformly spread between {col.min:g} and {col.max:g} (Kolmogorov-Smirnov distance "
        f"{distance:.3f}): a random number, a row number or synthetic data?",
        distance,
    )


def imbalance(col: ColumnProfile, ctx: ColumnContext) -> Alert | None:
    th = ctx.thresholds
    if ctx.is_target and ctx.target_type in ("binary", "multiclass"):
        if not col.count or not col.top_values or col.top_values_error:
            return None
        minority = min(n for _, n in col.top_values) / col.count
        if minority >= th.imbalance or len(col.top_values) < col.distinct:
            return None
        severity = "high" if minority < th.severe_imbalance else "medium"
        return _alert(
            col, "imbalance", severity, f"Target classes imbalanced: the rarest is {minority:.1%}.", minority
        )
    if col.kind not in ("categorical", "boolean") or col.imbalance is None:
        return None
    if col.imbalance <= th.imbalance_score:
        return None
    top, n = col.top_values[0] if col.top_values else ("", 0)
    share = n / col.count if col.count else 0.0
    return _alert(
        col,
        "imbalance",
        "medium" if col.imbalance >= 0.8 else "low",
        f"Imbalanced: {top!r} is {share:.1%} of values (imbalance {col.imbalance:.2f}).",
        col.imbalance,
    )


def constant_length(col: ColumnProfile, ctx: ColumnContext) -> Alert | None:
    if col.kind in ("constant", "empty") or col.min_length is None or col.min_length != col.max_length:
        return None
    if col.value_types or col.distinct < 2:
        return None
    unit = "bytes" if col.kind == "binary" else "characters"
    return _alert(
        col,
        "constant_length",
        "low",
        f"Every value is {col.min_length:,} {unit[:-1] if col.min_length == 1 else unit} long.",
        col.min_length,
    )


def _share_beyond(sq: SampleQuantiles | None, low: float | None, high: float | None) -> float:
    if sq is None or sq.values.size == 0:
        return 0.0
    v = sq.values
    below = np.searchsorted(v, low, side="left") if low is not None else 0
    above = v.size - np.searchsorted(v, high, side="right") if high is not None else 0
    return (below + above) / v.size


def _how_many(share: float, col: ColumnProfile, exact: bool) -> str:
    n = round(share * col.count)
    if n == 0:
        return "at least one value"
    return f"{n:,} values ({share:.1%})" if exact else f"about {n:,} values ({share:.1%})"


def dates_out_of_range(col: ColumnProfile, ctx: ColumnContext) -> Alert | None:
    if col.kind != "datetime" or col.min is None or col.max is None:
        return None
    earliest, latest = ctx.thresholds.date_range()
    if col.min >= earliest and col.max <= latest:
        return None
    share = _share_beyond(
        ctx.sample, earliest if col.min < earliest else None, latest if col.max > latest else None
    )
    exact = ctx.sample is not None and ctx.sample.exact
    return _alert(
        col,
        "dates_out_of_range",
        "medium",
        f"{_how_many(share, col, exact).capitalize()} outside {_date(earliest)} to {_date(latest)} "
        f"(from {_date(col.min)} to {_date(col.max)}): placeholders?",
        share,
    )


def future_dates(col: ColumnProfile, ctx: ColumnContext) -> Alert | None:
    if col.kind != "datetime" or col.max is None or col.max <= ctx.as_of:
        return None
    share = _share_beyond(ctx.sample, None, ctx.as_of)
    exact = ctx.sample is not None and ctx.sample.exact
    return _alert(
        col,
        "future_dates",
        "medium",
        f"{_how_many(share, col, exact).capitalize()} after {_date(ctx.as_of)} (the latest is "
        f"{_date(col.max)}).",
        share,
    )


COLUMN_RULES: tuple[ColumnRule, ...] = (
    constant,
    high_missing,
    mixed_types,
    infinite_values,
    high_cardinality,
    unique,
    skewed,
    zeros,
    uniform,
    imbalance,
    constant_length,
    dates_out_of_range,
    future_dates,
)


def column_alerts(col: ColumnProfile, ctx: ColumnContext) -> list[Alert]:
    """Every column rule's alert for ``col`` (an empty column gets only ``all_missing``)."""
    if col.kind == "empty":
        return [_alert(col, "all_missing", "high", "Every value is missing.", 1.0)] if ctx.rows else []
    return [a for rule in COLUMN_RULES if (a := rule(col, ctx)) is not None]


def dataset_alerts(rows: int, n_columns: int, duplicates: int) -> list[Alert]:
    """Alerts about the whole dataset: no columns, no rows, duplicate rows."""
    alerts = []
    if n_columns == 0:
        alerts.append(Alert("no_columns", "high", "The dataset has no columns."))
    if rows == 0:
        alerts.append(Alert("no_rows", "high", "The dataset has no rows."))
    if duplicates:
        share = duplicates / rows
        alerts.append(
            Alert(
                "duplicate_rows",
                "medium" if share >= 0.01 else "low",
                f"{duplicates:,} duplicate rows ({share:.1%}).",
                value=share,
            )
        )
    return alerts


def value_keys(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """A 64-bit key per value that is equal for equal values across dtypes (numbers by value:
    an integer 3 and a float 3.0 share a key), and the missing-value mask.

    Examples
    --------
    >>> a, _ = value_keys(pd.Series([1, 2, 3]))
    >>> b, missing = value_keys(pd.Series([1.0, 2.0, None]))
    >>> (a[:2] == b[:2]).all(), missing.tolist()
    (np.True_, [False, False, True])
    """
    missing = series.isna().to_numpy()
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype) or (
        pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_complex_dtype(dtype)
    ):
        values = series.to_numpy(dtype=np.float64, na_value=np.nan)
        return pd.util.hash_array(np.where(missing, 0.0, values)), missing
    if pd.api.types.is_datetime64_any_dtype(dtype):
        s = series.dt.tz_convert("UTC").dt.tz_localize(None) if series.dt.tz is not None else series
        micros = s.to_numpy(dtype="datetime64[us]").astype(np.int64)
        return pd.util.hash_array(np.where(missing, 0, micros)) ^ np.uint64(0xD47E), missing
    try:
        keys = hash_objects(series.to_numpy(dtype=object), categorize=True)
    except TypeError:  # unhashable values: their text
        keys = hash_objects(series.map(repr).to_numpy(dtype=object))
    return keys, missing


def _keys_of_columns(
    frame: pd.DataFrame, columns: Sequence[str], rows: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`value_keys` of each of ``columns`` (rows x columns) in the first ``rows`` rows
    of ``frame`` (all by default): the columns of numpy numbers and booleans hashed in one call,
    and the columns of text (str and bytes values, categories of them) in another (the same
    keys as one by one); datetimes, nullable numbers and columns of other objects one by one.

    Only text is hashed across columns: pandas hashes the distinct values of a call, and two
    columns' values that Python calls equal but hashes apart as text (``1``, ``1.0`` and
    ``True``, whose ``str()`` differ) would share the key of the first one seen, so that
    ``1.0`` in one column would no longer match ``"1.0"`` in another."""
    n = len(frame) if rows is None else min(rows, len(frame))
    keys = np.empty((n, len(columns)), dtype=np.uint64)
    missing = np.empty((n, len(columns)), dtype=bool)
    plain, plain_values, objects, object_values = [], [], [], []
    for i, c in enumerate(columns):
        series = frame[c]
        dtype = series.dtype
        if isinstance(dtype, np.dtype) and dtype.kind in "biuf":
            plain.append(i)
            plain_values.append(series.to_numpy()[:n])
            continue
        if not (
            pd.api.types.is_bool_dtype(dtype)
            or (pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_complex_dtype(dtype))
            or pd.api.types.is_datetime64_any_dtype(dtype)
        ):
            head = series.iloc[:n].to_numpy(dtype=object)
            if pd.api.types.infer_dtype(head, skipna=True) in ("string", "bytes", "empty"):
                objects.append(i)
                object_values.append(head)
                continue
        keys[:, i], missing[:, i] = value_keys(series.iloc[:n])
    if plain:
        values = np.empty((len(plain), n), dtype=np.float64)
        for row, v in enumerate(plain_values):
            values[row] = v
        isnan = np.isnan(values)
        hashed = pd.util.hash_array(np.where(isnan, 0.0, values).ravel()).reshape(values.shape)
        keys[:, plain], missing[:, plain] = hashed.T, isnan.T
    if objects:
        values = np.empty((len(objects), n), dtype=object)
        for row, v in enumerate(object_values):
            values[row] = v
        hashed = hash_objects(values.ravel(), categorize=True).reshape(values.shape)
        keys[:, objects], missing[:, objects] = hashed.T, pd.isna(values).T
    return keys, missing


_BYTE_LANES = np.uint64(0x00FF00FF00FF00FF)
_WORD_ONES = np.uint64(0x0001000100010001)


def _equal_counts(keys: np.ndarray, missing: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For every pair of columns of ``keys`` (rows x columns, at most 2,040 rows), the rows
    where both have a value and the values are equal, and the rows where either has a value
    (square int64 matrices; only the part above the diagonal is filled for the first).

    Each row's keys are numbered 0, 1, ... by value and a missing value gets a number of its
    own column, so that two columns are equal in a row exactly when their numbers are; the
    numbers are compared as 16-bit words, and the equal rows counted eight at a time."""
    rows, n = keys.shape
    width = -(-rows // 8) * 8
    dtype = np.uint16 if 2 * n < 2**16 else np.uint32
    order = np.argsort(keys, axis=1, kind="stable")
    ordered = np.take_along_axis(keys, order, axis=1)
    ranks = np.zeros((rows, n), dtype=np.int64)
    np.cumsum(ordered[:, 1:] != ordered[:, :-1], axis=1, out=ranks[:, 1:])
    codes = np.empty((n, width), dtype=dtype)
    placed = np.empty((rows, n), dtype=np.int64)
    np.put_along_axis(placed, order, ranks, axis=1)
    own = n + np.arange(n)  # a number no other column has: missing values and padding rows
    codes[:, :rows] = np.where(missing, own, placed).T
    codes[:, rows:] = own[:, None]
    equal = np.zeros((n, n), dtype=np.int64)
    if dtype == np.uint16:
        for i in range(n - 1):
            flags = (codes[i + 1 :] == codes[i]).view(np.uint64)  # 8 flags (bytes) a word
            lanes = flags.sum(axis=1, dtype=np.uint64)  # each byte at most width / 8 <= 255
            lanes = (lanes & _BYTE_LANES) + ((lanes >> np.uint64(8)) & _BYTE_LANES)
            equal[i, i + 1 :] = (lanes * _WORD_ONES) >> np.uint64(48)
    else:
        for i in range(n - 1):
            equal[i, i + 1 :] = np.count_nonzero(codes[i + 1 :] == codes[i], axis=1)
    m = missing.astype(np.float32)
    either = rows - np.rint(m.T @ m).astype(np.int64)
    return equal, either


def near_duplicate_pairs(
    sample: pd.DataFrame, columns: Sequence[str], threshold: float
) -> list[tuple[str, str, float]]:
    """Pairs of columns whose values are equal in at least ``threshold`` of the sampled rows
    where either has a value, with that share. All pairs are screened on the first
    PREFILTER_ROWS rows of the sample, and only the candidates compared on all of it.

    Examples
    --------
    >>> df = pd.DataFrame({"a": [1, 2, 3, 4], "b": [1.0, 2.0, 3.0, 4.0], "c": [4, 3, 2, 1]})
    >>> near_duplicate_pairs(df, ["a", "b", "c"], 0.95)
    [('a', 'b', 1.0)]
    """
    if len(columns) < 2 or len(sample) == 0:
        return []
    head_keys, head_missing = _keys_of_columns(sample, columns, PREFILTER_ROWS)
    # a screening margin: a share of `threshold` on the whole sample can be lower on the head
    margin = 3 * np.sqrt(threshold * (1 - threshold) / max(1, len(head_keys))) + 0.05
    full: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # whole-sample keys of candidates only

    def keys_of(i: int) -> tuple[np.ndarray, np.ndarray]:
        if i not in full:
            full[i] = value_keys(sample[columns[i]])
        return full[i]

    equal, either = _equal_counts(head_keys, head_missing)
    share = np.where(either > 0, equal / np.maximum(either, 1), 0.0)
    out = []
    for i, j in np.argwhere(np.triu(share >= threshold - margin, 1)):  # row by row, as a loop would
        (ki, mi), (kj, mj) = keys_of(int(i)), keys_of(int(j))
        either_full = ~(mi & mj)
        if not either_full.any():
            continue
        same = (ki == kj) & ~mi & ~mj
        share_full = float(same.sum() / either_full.sum())
        if share_full >= threshold:
            out.append((columns[i], columns[j], share_full))
    return out


def near_duplicate_alerts(pairs: list[tuple[str, str, float]]) -> list[Alert]:
    """One alert per near-duplicate pair, on the pair's first column, naming the second."""
    return [
        Alert(
            "near_duplicate_columns",
            "medium",
            (
                f"Identical to {name(b)} in every sampled row."
                if share == 1.0
                else f"Equal to {name(b)} in {share:.1%} of sampled rows."
            ),
            a,
            share,
            (b,),
        )
        for a, b, share in pairs
    ]


METHOD_NAMES = {
    "pearson": "Pearson",
    "spearman": "Spearman",
    "cramers_v": "Cramér's V",
    "association": "correlation ratio",
}


def high_correlation_alerts(
    matrices: Sequence[Matrix],
    order: Sequence[str],
    threshold: float,
    skip: set[frozenset[str]],
    mixed: set[frozenset[str]],
) -> list[Alert]:
    """One alert per pair of columns associated at or above ``threshold`` in any matrix (the
    strongest measure named), strongest first, at most MAX_PAIR_ALERTS and then one alert
    counting the rest. ``skip`` holds pairs already reported (near-duplicates); from the
    ``association`` matrix only the numeric-categorical pairs in ``mixed`` count (the others are
    in the Pearson, Spearman and Cramér's V matrices already)."""
    position = {c: i for i, c in enumerate(order)}
    best: dict[frozenset[str], tuple[float, str, str, str]] = {}
    for m in matrices:
        if m.method not in METHOD_NAMES:
            continue
        values = np.array([[np.nan if v is None else v for v in row] for row in m.values], dtype=np.float64)
        hits = np.argwhere(np.triu(np.abs(np.nan_to_num(values)) >= threshold, 1))
        for i, j in hits:
            a, b = sorted((m.columns[i], m.columns[j]), key=position.__getitem__)
            pair = frozenset((a, b))
            if pair in skip or (m.method == "association" and pair not in mixed):
                continue
            value = float(values[i, j])
            if pair not in best or abs(value) > abs(best[pair][0]):
                best[pair] = (value, m.method, a, b)
    ranked = sorted(best.values(), key=lambda t: (-abs(t[0]), position[t[2]], position[t[3]]))
    alerts = [
        Alert(
            "high_correlation",
            "medium",
            f"Highly correlated with {name(b)} ({METHOD_NAMES[method]} {value:.3f}).",
            a,
            value,
            (b,),
        )
        for value, method, a, b in ranked[:MAX_PAIR_ALERTS]
    ]
    if len(ranked) > MAX_PAIR_ALERTS:
        alerts.append(
            Alert(
                "high_correlation",
                "medium",
                f"{len(ranked) - MAX_PAIR_ALERTS:,} more highly correlated pairs, not listed.",
                value=float(len(ranked) - MAX_PAIR_ALERTS),
            )
        )
    return alerts


def sample_alerts(
    columns: Sequence[ColumnProfile],
    contexts: Sequence[ColumnContext],
    *,
    rows: int,
    duplicates: int,
    sample: pd.DataFrame | None,
    thresholds: AlertThresholds,
    map_: Callable[..., Iterable[list[Alert]]] = map,
    pairs: list[tuple[str, str, float]] | None = None,
) -> tuple[list[Alert], list[tuple[str, str, float]]]:
    """The alerts that need no association matrix (dataset, column and near-duplicate alerts),
    and the near-duplicate pairs (which :func:`high_correlation_alerts` skips). ``map_`` runs
    the column rules (a thread pool's ``map`` spreads them; the order stays the columns');
    ``pairs`` are the near-duplicate pairs if already found (:func:`near_duplicate_pairs`)."""
    alerts = dataset_alerts(rows, len(columns), duplicates)
    for found in map_(column_alerts, columns, contexts):
        alerts += found
    if pairs is None:
        candidates = [c.name for c in columns if c.kind not in ("empty", "constant")]
        pairs = (
            near_duplicate_pairs(sample, candidates, thresholds.near_duplicate) if sample is not None else []
        )
    alerts += near_duplicate_alerts(pairs)
    return alerts, pairs


def profile_alerts(
    columns: Sequence[ColumnProfile],
    contexts: Sequence[ColumnContext],
    *,
    rows: int,
    duplicates: int,
    matrices: Sequence[Matrix],
    mixed_pairs: set[frozenset[str]],
    sample: pd.DataFrame | None,
    thresholds: AlertThresholds,
) -> tuple[Alert, ...]:
    """Every alert of a profile, most severe first."""
    alerts, pairs = sample_alerts(
        columns, contexts, rows=rows, duplicates=duplicates, sample=sample, thresholds=thresholds
    )
    skip = {frozenset((a, b)) for a, b, _ in pairs}
    order = [c.name for c in columns]
    alerts += high_correlation_alerts(matrices, order, thresholds.high_correlation, skip, mixed_pairs)
    return sort_alerts(alerts)
