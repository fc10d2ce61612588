"""The data profile: per-column statistics, correlations, quality alerts and a fingerprint.

``profile(data)`` reads ``data`` in chunks, folds their partial statistics
(:mod:`.partial`) and finalizes one :class:`DataProfile`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from lifecycle_widgets.core import correlations as corr
from lifecycle_widgets.core.alerts import Alert, AlertThresholds, sort_alerts
from lifecycle_widgets.core.card import DataCard
from lifecycle_widgets.core.ingest import (
    NUMERIC_FAMILIES,
    Fingerprint,
    collect,
    fingerprint,
    sample_quantiles,
)
from lifecycle_widgets.core.partial import ColumnPartial, TablePartial
from lifecycle_widgets.core.result import Result
from lifecycle_widgets.core.sketches import SampleQuantiles
from lifecycle_widgets.exceptions import ColumnError, ParameterError

KINDS = (
    "numeric",
    "integer",
    "boolean",
    "categorical",
    "datetime",
    "text",
    "identifier",
    "constant",
    "empty",
)
NUMERIC_KINDS = ("numeric", "integer")
QUANTILE_PROBS = (0.0, 0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99, 1.0)
MAX_CORRELATION_COLUMNS = 60
MAX_CATEGORY_LEVELS = 50


@dataclass(frozen=True)
class Histogram:
    """Bin edges and counts (``below`` and ``above`` the edges apart); ``approximate`` when the
    counts are scaled from the row sample."""

    edges: tuple[float, ...]
    counts: tuple[int, ...]
    below: int = 0
    above: int = 0
    approximate: bool = False


@dataclass(frozen=True)
class ColumnProfile:
    """Statistics of one column. Datetime statistics are in seconds since the Unix epoch (UTC)."""

    name: str
    dtype: str
    kind: str
    count: int
    missing: int
    distinct: int
    distinct_exact: bool
    infinite: int = 0
    zeros: int = 0
    negatives: int = 0
    min: float | None = None
    max: float | None = None
    mean: float | None = None
    std: float | None = None
    skewness: float | None = None
    kurtosis: float | None = None
    quantiles: dict[str, float] = field(default_factory=dict)
    quantile_rank_error: float = 0.0
    histogram: Histogram | None = None
    top_values: tuple[tuple[str, int], ...] = ()
    top_values_error: int = 0
    timezone: str | None = None
    mean_length: float | None = None
    value_types: dict[str, int] = field(default_factory=dict)

    @property
    def missing_share(self) -> float:
        total = self.count + self.missing
        return self.missing / total if total else 0.0


@dataclass(frozen=True)
class Matrix:
    """A square association matrix; None where undefined (a constant column, too few pairs)."""

    method: str
    columns: tuple[str, ...]
    values: tuple[tuple[float | None, ...], ...]


@dataclass(frozen=True)
class Association:
    """Strength of a column's association with the target, in [0, 1]."""

    column: str
    method: str
    value: float | None


@dataclass(frozen=True)
class DataProfile(Result):
    """Profile of a table. Build one with :func:`profile`.

    Examples
    --------
    >>> import lifecycle_widgets as lw
    >>> prof = lw.profile(lw.datasets.credit(n_rows=500), target="defaulted")
    >>> prof.n_rows, prof.column("age").kind
    (500, 'integer')
    >>> lw.DataProfile.from_dict(prof.to_dict()) == prof
    True
    """

    kind: ClassVar[str] = "data_profile"

    source: str
    n_rows: int
    n_columns: int
    memory_bytes: int
    duplicate_rows: int
    duplicate_rows_exact: bool
    fingerprint: Fingerprint
    columns: tuple[ColumnProfile, ...]
    correlations: tuple[Matrix, ...]
    target: str | None
    target_association: tuple[Association, ...]
    alerts: tuple[Alert, ...]
    sample_rows: int
    card: DataCard | None = None

    def column(self, name: str) -> ColumnProfile:
        """The profile of column ``name``."""
        for col in self.columns:
            if col.name == name:
                return col
        raise ColumnError(name, f"not in the profile; columns are {[c.name for c in self.columns][:20]}")

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def with_card(self, card: DataCard | None = None, **fields: str) -> DataProfile:
        """A copy with a data card attached (``card`` or its fields as keywords)."""
        if card is None:
            card = DataCard(**fields)
        elif fields:
            card = replace(card, **fields)
        return replace(self, card=card)

    def to_frame(self) -> pd.DataFrame:
        """One row per column with the main statistics, for a quick look in pandas."""
        keys = ("name", "kind", "dtype", "count", "missing", "distinct", "mean", "std", "min", "max")
        return pd.DataFrame([{k: getattr(c, k) for k in keys} for c in self.columns])

    def __repr__(self) -> str:
        high = sum(a.severity == "high" for a in self.alerts)
        return (
            f"<DataProfile {self.source}: {self.n_rows:,} rows x {self.n_columns} columns, "
            f"{len(self.alerts)} alerts ({high} high), fingerprint {self.fingerprint.sha256[:12]}>"
        )


# --- finalizing ------------------------------------------------------------------------------


def _clean(x: float | None) -> float | None:
    return None if x is None or not np.isfinite(x) else float(x)


def _kind(
    part: ColumnPartial,
    count: int,
    distinct: int,
    exact: bool,
    mean_length: float | None,
    top: list[tuple[Any, int]],
) -> str:
    if count == 0:
        return "empty"
    if distinct == 1:
        return "constant"
    fam = part.family
    if (
        fam == "boolean"
        or set(part.type_counts) == {"boolean"}
        or (fam in ("integer", "float") and distinct == 2 and {float(v) for v, _ in top} <= {0.0, 1.0})
    ):
        return "boolean"
    if fam == "datetime":
        return "datetime"
    if fam == "float":
        return "numeric"
    # an estimated distinct count is within 5% of the truth (3 standard errors of the sketch)
    unique = count >= 50 and distinct >= (count if exact else 0.95 * count)
    if fam == "integer":
        m = part.moments
        dense = unique and (m.max - m.min + 1) <= 2 * count
        return "identifier" if dense else "integer"
    if mean_length is not None and mean_length >= 30 and distinct > 0.5 * count:
        return "text"
    return "identifier" if unique else "categorical"


def _histogram(part: ColumnPartial, kind: str, bins: int, sq: SampleQuantiles | None) -> Histogram | None:
    m = part.moments
    if m.n == 0:
        return None
    freq = part.frequent
    exact_counts = freq is not None and freq.error == 0 and part.family == "integer"
    if sq is None and not exact_counts:
        return None
    lo, hi = m.min, m.max
    if sq is not None and sq.values.size:
        q_lo, q_hi = sq.quantiles([0.005, 0.995])
        spread = q_hi - q_lo
        if spread > 0 and (hi - q_hi > 3 * spread or q_lo - lo > 3 * spread):
            lo, hi = q_lo, q_hi  # heavy tails: show the body; the tails are counted apart
    if kind == "integer" and hi > lo:
        # unit-aligned bins of a whole number of values each: bins that hold 3 values beside
        # bins that hold 2 would make a uniform column look lumpy
        lo, hi = np.floor(lo), np.ceil(hi)
        width = max(1.0, np.ceil((hi - lo + 1) / bins))
        n_bins = int(np.ceil((hi - lo + 1) / width))
        edges = lo - 0.5 + width * np.arange(n_bins + 1)
    elif hi > lo:
        edges = np.linspace(lo, hi, bins + 1)
    else:
        edges = np.array([lo - 0.5, hi + 0.5])
    # bins [e_i, e_i+1), the last one closed; values beyond the edges are counted apart
    inner = np.append(edges[:-1], np.nextafter(edges[-1], np.inf))
    if exact_counts:
        values = freq.counts.index.to_numpy(dtype=np.float64)
        idx = np.searchsorted(inner, values, side="right")
        counts = np.bincount(idx, weights=freq.counts.to_numpy(), minlength=len(inner) + 1).astype(np.int64)
        approximate = False
    else:
        counts = sq.counts(inner)
        approximate = not sq.exact
    return Histogram(
        tuple(float(e) for e in edges),
        tuple(int(c) for c in counts[1:-1]),
        int(counts[0]),
        int(counts[-1]),
        approximate=approximate,
    )


def _top_values(part: ColumnPartial, n: int) -> tuple[list[tuple[Any, int]], int]:
    if part.frequent is None:
        return [], 0
    top = part.frequent.top(n)
    return list(zip(top.index.tolist(), top.astype(int).tolist(), strict=True)), part.frequent.error


def _finalize_column(
    part: ColumnPartial, sample: pd.DataFrame | None, bins: int, top_n: int
) -> ColumnProfile:
    count = part.rows - part.missing
    top, top_error = _top_values(part, top_n)
    if part.frequent is not None and part.frequent.error == 0:
        distinct, distinct_exact = len(part.frequent.counts), True
    else:
        distinct, distinct_exact = min(count, part.distinct.estimate()), part.distinct.exact
    mean_length = None
    if part.family in ("string", "object", "categorical") and sample is not None and count:
        lengths = sample[part.name].dropna().astype(str).str.len()
        mean_length = float(lengths.mean()) if len(lengths) else None
    kind = _kind(part, count, distinct, distinct_exact, mean_length, top)
    m = part.moments
    stats: dict[str, Any] = {}
    if part.family in NUMERIC_FAMILIES and m.n:
        sq = sample_quantiles(part, sample)
        quantiles = {}
        if sq is not None and sq.values.size:
            qs = sq.quantiles(QUANTILE_PROBS[1:-1])
            quantiles = {
                "0": m.min,
                **{f"{p:g}": float(q) for p, q in zip(QUANTILE_PROBS[1:-1], qs, strict=True)},
                "1": m.max,
            }
        stats = dict(
            min=m.min,
            max=m.max,
            mean=m.mean,
            std=m.std(),
            quantiles=quantiles,
            quantile_rank_error=sq.rank_error if sq is not None else 0.0,
            histogram=_histogram(part, kind, bins, sq),
        )
        if part.family != "datetime":
            stats.update(skewness=_clean(m.skewness()), kurtosis=_clean(m.kurtosis()))
    return ColumnProfile(
        name=part.name,
        dtype=part.dtype,
        kind=kind,
        count=count,
        missing=part.missing,
        distinct=distinct,
        distinct_exact=distinct_exact,
        infinite=part.infinite,
        zeros=part.zeros,
        negatives=part.negatives,
        top_values=tuple((str(v), c) for v, c in top),
        top_values_error=top_error,
        timezone=part.timezone,
        mean_length=mean_length,
        value_types=dict(part.type_counts) if len(part.type_counts) > 1 else {},
        **stats,
    )


def _as_matrix(method: str, names: list[str], values: np.ndarray) -> Matrix:
    return Matrix(method, tuple(names), tuple(tuple(_clean(v) for v in row) for row in values))


def _correlations(cols: list[ColumnProfile], sample: pd.DataFrame | None) -> tuple[Matrix, ...]:
    if sample is None or len(sample) < 3:
        return ()
    out = []
    numeric = [c.name for c in cols if c.kind in NUMERIC_KINDS][:MAX_CORRELATION_COLUMNS]
    if len(numeric) >= 2:
        frame = pd.DataFrame({n: corr.numeric_of(sample[n]) for n in numeric})
        for method in ("pearson", "spearman"):
            out.append(_as_matrix(method, numeric, corr.matrix(frame, method)))
    categorical = [
        c.name for c in cols if c.kind in ("categorical", "boolean") and c.distinct <= MAX_CATEGORY_LEVELS
    ][:MAX_CORRELATION_COLUMNS]
    if len(categorical) >= 2:
        codes = [corr.codes_of(sample[n]) for n in categorical]
        out.append(_as_matrix("cramers_v", categorical, corr.cramers_v_matrix(codes)))
    return tuple(out)


def _target_association(
    cols: list[ColumnProfile], sample: pd.DataFrame | None, target: str | None
) -> tuple[Association, ...]:
    if target is None or sample is None or len(sample) < 3:
        return ()
    by_name = {c.name: c for c in cols}
    t = by_name[target]
    if t.kind in ("empty", "constant", "identifier", "text"):
        return ()
    t_numeric = t.kind in NUMERIC_KINDS
    out = []
    for c in cols:
        if c.name == target or c.kind in ("empty", "constant", "identifier", "text"):
            continue
        numeric = c.kind in (*NUMERIC_KINDS, "datetime")
        if not numeric and c.distinct > MAX_CATEGORY_LEVELS * 20:
            continue
        method, value = corr.association(sample[c.name], numeric, sample[target], t_numeric)
        out.append(Association(c.name, method, _clean(value)))
    return tuple(sorted(out, key=lambda a: -(a.value or 0.0)))


def _alerts(
    prof_cols: list[ColumnProfile],
    rows: int,
    n_columns: int,
    duplicates: int,
    target: str | None,
    th: AlertThresholds,
) -> tuple[Alert, ...]:
    alerts: list[Alert] = []
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
    for c in prof_cols:
        a = lambda t, s, msg, v=None, c=c: alerts.append(Alert(t, s, msg, c.name, v))  # noqa: E731
        share = c.missing_share
        if rows and c.kind == "empty":
            a("all_missing", "high", "Every value is missing.", 1.0)
            continue
        if c.kind == "constant":
            value = c.top_values[0][0] if c.top_values else _clean(c.min)
            a("constant", "medium", f"Only one distinct value ({value}).")
        if share >= th.high_missing:
            a("high_missing", "medium", f"{share:.1%} of values are missing.", share)
        if c.value_types:
            types = ", ".join(f"{k} ({v:,})" for k, v in c.value_types.items())
            a("mixed_types", "high", f"Values of several types in one column: {types}.")
        if c.infinite:
            a("infinite_values", "medium", f"{c.infinite:,} infinite values.", float(c.infinite))
        if c.kind == "categorical" and c.distinct > th.high_cardinality:
            a("high_cardinality", "medium", f"{c.distinct:,} distinct values.", float(c.distinct))
        if c.kind == "identifier":
            a("identifier", "low", "Every value is unique: an identifier, not a feature.")
        if c.skewness is not None and abs(c.skewness) >= th.skewness:
            a("skewed", "low", f"Heavily skewed (skewness {c.skewness:.1f}).", c.skewness)
        if c.name == target and c.kind in ("boolean", "categorical") and c.count:
            minority = min(n for _, n in c.top_values) / c.count
            if minority < th.imbalance:
                severity = "high" if minority < th.severe_imbalance else "medium"
                a(
                    "imbalance",
                    severity,
                    f"Target classes imbalanced: the rarest is {minority:.1%}.",
                    minority,
                )
    return sort_alerts(alerts)


def finalize(
    part: TablePartial,
    *,
    source: str = "",
    target: str | None = None,
    card: DataCard | None = None,
    bins: int = 30,
    top_n: int = 20,
    thresholds: AlertThresholds | None = None,
) -> DataProfile:
    """Turn merged partial statistics into a :class:`DataProfile`."""
    cols = [_finalize_column(part.partials[n], part.sample, bins, top_n) for n in part.columns]
    duplicates, exact = part.duplicate_rows()
    return DataProfile(
        source=source,
        n_rows=part.rows,
        n_columns=len(part.columns),
        memory_bytes=part.memory_bytes,
        duplicate_rows=duplicates,
        duplicate_rows_exact=exact,
        fingerprint=fingerprint(part),
        columns=tuple(cols),
        correlations=_correlations(cols, part.sample),
        target=target,
        target_association=_target_association(cols, part.sample, target),
        alerts=_alerts(
            cols, part.rows, len(part.columns), duplicates, target, thresholds or AlertThresholds()
        ),
        sample_rows=0 if part.sample is None else len(part.sample),
        card=card,
    )


def _check_int(value: object, name: str, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
        raise ParameterError.bad_value(name, "profile", f"an int >= {low}", value)
    return int(value)


def profile(
    data: Any,
    *,
    target: str | None = None,
    card: DataCard | None = None,
    sample_size: int = 50_000,
    chunk_rows: int = 1_000_000,
    bins: int = 30,
    top_n: int = 20,
    thresholds: AlertThresholds | None = None,
    progress: bool | None = None,
) -> DataProfile:
    """Profile a table: statistics per column, correlations, alerts and a content fingerprint.

    Parameters
    ----------
    data : pandas.DataFrame, pyarrow.Table, or path to a Parquet file or folder
        Parquet is read one row group at a time, so memory stays bounded by a row group.
    target : str, optional
        The label column: adds the association of every column with it and a class
        imbalance check.
    card : DataCard, optional
        Governance facts to attach (source, owner, license, ...).
    sample_size : int
        Rows in the uniform, content-keyed sample that correlations are computed on.
    chunk_rows : int
        Rows per chunk for in-memory inputs.
    bins, top_n : int
        Histogram bins, and how many most frequent values to keep per column.
    thresholds : AlertThresholds, optional
        When statistics become alerts.
    progress : bool, optional
        Show a progress bar; by default only when there is more than one chunk.

    Examples
    --------
    >>> import lifecycle_widgets as lw
    >>> df = lw.datasets.credit(n_rows=1000)
    >>> prof = lw.profile(df, target="defaulted")
    >>> prof.column("income").missing > 0
    True
    """
    sample_size = _check_int(sample_size, "sample_size", 0)
    bins = _check_int(bins, "bins", 1)
    top_n = _check_int(top_n, "top_n", 1)
    if target is not None and not isinstance(target, str):
        raise ParameterError.bad_value("target", "profile", "a column name (str) or None", target)
    if card is not None and not isinstance(card, DataCard):
        raise ParameterError.bad_value("card", "profile", "a DataCard or None", card)
    source, merged = collect(
        data,
        required=[target] if target else [],
        sample_size=sample_size,
        chunk_rows=chunk_rows,
        progress=progress,
    )
    return finalize(
        merged, source=source, target=target, card=card, bins=bins, top_n=top_n, thresholds=thresholds
    )
