"""The data profile: per-column statistics, correlations, quality alerts and a fingerprint.

``profile(data)`` reads ``data`` in chunks, folds their partial statistics
(:mod:`.partial`) and finalizes one :class:`DataProfile`. Everything that is not a mergeable
partial statistic (quantiles, histograms, text statistics, correlations, the missing-value
matrix) comes from the deterministic row sample the partials keep, so a pandas frame, Parquet
read a row group at a time and a Dask DataFrame give the same profile.
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, ClassVar

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
    resolve_workers,
)
from lifecycle_widgets.core.partial import ColumnPartial, TablePartial, numeric_values
from lifecycle_widgets.core.profile_alerts import (
    ColumnContext,
    high_correlation_alerts,
    near_duplicate_pairs,
    sample_alerts,
)
from lifecycle_widgets.core.profile_interactions import Interactions, interactions
from lifecycle_widgets.core.profile_missing import missing_matrix, nullity_matrix
from lifecycle_widgets.core.profile_parts import (
    Association,
    Histogram,
    LeftOut,
    Matrix,
    MissingMatrix,
    TextSummary,
)
from lifecycle_widgets.core.profile_pii import detect_sensitive
from lifecycle_widgets.core.profile_text import text_summaries
from lifecycle_widgets.core.profile_timeseries import TimeSeriesProfile, check_time_column, timeseries_profile
from lifecycle_widgets.core.result import Result
from lifecycle_widgets.core.sketches import SampleQuantiles
from lifecycle_widgets.exceptions import ColumnError, ParameterError

if TYPE_CHECKING:
    from lifecycle_widgets.core.profile_compare import ProfileComparison

__all__ = [
    "Association",
    "ColumnProfile",
    "DataProfile",
    "Histogram",
    "LeftOut",
    "Matrix",
    "MissingMatrix",
    "TextSummary",
    "finalize",
    "profile",
]

KINDS = (
    "numeric",
    "integer",
    "boolean",
    "categorical",
    "datetime",
    "text",
    "identifier",
    "binary",
    "constant",
    "empty",
)
NUMERIC_KINDS = ("numeric", "integer")
TARGET_TYPES = ("binary", "multiclass", "regression")
QUANTILE_PROBS = (0.0, 0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99, 1.0)
MAX_NUMERIC_CORRELATION_COLUMNS = 100
MAX_CATEGORICAL_CORRELATION_COLUMNS = 50
MAX_CATEGORY_LEVELS = 50
VALUE_LABEL_LIMIT = 200  # characters of a most frequent value kept in the profile
NOT_CORRELATED = {
    "datetime": "a date column",
    "text": "free text",
    "identifier": "an identifier (every value distinct)",
    "binary": "bytes values",
    "constant": "one value",
    "empty": "no values",
}


@dataclass(frozen=True)
class ColumnProfile:
    """Statistics of one column. Datetime statistics are in seconds since the Unix epoch (UTC).

    Lengths (``min_length``, ``mean_length``, ``max_length``) are exact, in characters for text
    and in bytes for bytes values (which are never decoded); ``imbalance`` is ydata-profiling's
    class imbalance score of a categorical or boolean column, ``1 - H / log2(k)`` for ``k``
    values of entropy ``H`` (0 when balanced, 1 when one value dominates); ``text`` summarizes
    the lengths, words, characters and value patterns of a text, categorical, identifier or
    bytes column.
    """

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
    min_length: int | None = None
    max_length: int | None = None
    imbalance: float | None = None
    text: TextSummary | None = None

    @property
    def missing_share(self) -> float:
        total = self.count + self.missing
        return self.missing / total if total else 0.0


@dataclass(frozen=True)
class DataProfile(Result):
    """Profile of a table. Build one with :func:`profile`.

    ``target_type`` is how the target's association with each column was measured (binary,
    multiclass or regression); ``correlations_left_out`` names every column that is in no
    correlation matrix, and why; ``missing_matrix`` and ``nullity_correlation`` show where
    values are missing together. ``interactions`` holds any pair of numeric columns from the row
    sample (points or 2-D histograms); ``timeseries`` the time-series view of a time-indexed
    frame (autocorrelation, seasonality, trend, stationarity, gaps), whose alerts are among
    ``alerts``. ``sample_rows`` is the size of the row sample that quantiles, histograms and
    text statistics come from; ``association_rows`` how many of those rows the correlation
    matrices and target associations use: all of them, unless the table is wide
    (:func:`association_rows`; the matrices' ``note`` then gives the standard error).

    Examples
    --------
    >>> import lifecycle_widgets as lw
    >>> prof = lw.profile(lw.datasets.credit(n_rows=500), target="defaulted")
    >>> prof.n_rows, prof.column("age").kind, prof.target_type
    (500, 'integer', 'binary')
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
    target_type: str | None = None
    correlations_left_out: tuple[LeftOut, ...] = ()
    missing_matrix: MissingMatrix | None = None
    nullity_correlation: Matrix | None = None
    interactions: Interactions | None = None
    timeseries: TimeSeriesProfile | None = None
    association_rows: int | None = None

    def column(self, name: str) -> ColumnProfile:
        """The profile of column ``name``."""
        for col in self.columns:
            if col.name == name:
                return col
        raise ColumnError(name, f"not in the profile; columns are {[c.name for c in self.columns][:20]}")

    def alerts_for(self, column: str) -> tuple[Alert, ...]:
        """The alerts that name ``column``, as their own column or as a partner.

        Examples
        --------
        >>> import numpy as np, pandas as pd, lifecycle_widgets as lw
        >>> x = np.arange(200.0)
        >>> prof = lw.profile(pd.DataFrame({"x": x, "y": x ** 2}))
        >>> [(a.type, a.columns) for a in prof.alerts_for("y")]
        [('high_correlation', ('x', 'y'))]
        """
        return tuple(a for a in self.alerts if column in a.columns)

    def compare(self, other: DataProfile, *, labels: tuple[str, str] | None = None) -> ProfileComparison:
        """This profile and ``other`` side by side, with a distance per column: a
        :class:`~lifecycle_widgets.core.profile_compare.ProfileComparison`.

        Examples
        --------
        >>> import lifecycle_widgets as lw
        >>> a = lw.profile(lw.datasets.credit(1000, seed=1))
        >>> b = lw.profile(lw.datasets.credit_batch(1000, seed=2))
        >>> {"income", "region", "utilization"} <= {c.name for c in a.compare(b).shifted}
        True
        """
        from lifecycle_widgets.core.profile_compare import compare

        return compare(self, other, labels=labels)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def with_card(self, card: DataCard | None = None, *, detect: bool = True, **fields: Any) -> DataProfile:
        """A copy with a data card attached: ``card``, or the profile's own card (a new one when it
        has none) with the fields given as keywords; with
        ``detect``, the card lists the columns that look sensitive (emails, phone numbers,
        identifiers, ...; see :func:`~lifecycle_widgets.core.profile_pii.detect_sensitive`),
        after any flagged by hand.

        Examples
        --------
        >>> import lifecycle_widgets as lw
        >>> prof = lw.profile(lw.datasets.credit(300)).with_card(owner="risk", license="internal")
        >>> [(s.column, s.category) for s in prof.card.sensitive]
        [('customer_id', 'identifier')]
        """
        card = card if card is not None else (self.card or DataCard())
        if fields:
            card = replace(card, **fields)
        if detect:
            card = card.with_detected(detect_sensitive(self.columns))
        return replace(self, card=card)

    def card_markdown(self) -> str:
        """The data card as a Markdown datasheet, with the dataset's facts (rows, columns,
        fingerprint) and the columns' kinds."""
        card = self.card or DataCard()
        facts = [
            ("Rows", f"{self.n_rows:,}"),
            ("Columns", ", ".join(f"{c.name} ({c.kind})" for c in self.columns)),
            ("Fingerprint (SHA-256)", self.fingerprint.sha256),
        ]
        return card.to_markdown(title=card.source or self.source, facts=facts)

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
    if fam == "object" and set(part.type_counts) == {"bytes"}:
        return "binary"
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


def value_label(value: Any) -> str:
    """A value as the profile shows it: its text, cut to VALUE_LABEL_LIMIT characters with the
    full length named; bytes by their ``repr`` (never decoded).

    Examples
    --------
    >>> value_label("north"), value_label(b"\\xff\\x00"), value_label("x" * 300)[-26:]
    ('north', "b'\\\\xff\\\\x00'", 'x… (300 characters in all)')
    """
    text = repr(value) if isinstance(value, bytes) else str(value)
    if len(text) > VALUE_LABEL_LIMIT:
        text = f"{text[: VALUE_LABEL_LIMIT - 1]}… ({len(text):,} characters in all)"
    # lone surrogates cannot be written as UTF-8 (JSON, HTML): show them replaced
    return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


def _top_values(part: ColumnPartial, n: int) -> tuple[list[tuple[Any, int]], int]:
    if part.frequent is None:
        return [], 0
    values, counts = part.frequent.top_items(n)
    return list(zip(values, counts, strict=True)), part.frequent.error


def imbalance_score(counts: np.ndarray) -> float | None:
    """ydata-profiling's class imbalance score: ``1 - H / log2(k)`` of ``k`` value counts with
    entropy ``H`` in bits; 0 when every value is as frequent, near 1 when one dominates.

    Examples
    --------
    >>> round(imbalance_score(np.array([99, 1])), 3), imbalance_score(np.array([5, 5]))
    (0.919, 0.0)
    """
    counts = np.asarray(counts, dtype=np.float64)
    counts = counts[counts > 0]
    if counts.size < 2:
        return None
    p = counts / counts.sum()
    entropy = float(-(p * np.log2(p)).sum())
    return max(0.0, 1.0 - entropy / float(np.log2(counts.size)))


@dataclass(frozen=True)
class _Head:
    """What a column is, from its partial statistics alone (no sample): enough to choose the
    columns of the association matrices before the columns are finalized."""

    name: str
    kind: str
    count: int
    distinct: int
    distinct_exact: bool
    top: list[tuple[Any, int]]
    top_error: int


def _column_head(part: ColumnPartial, top_n: int) -> _Head:
    count = part.rows - part.missing
    top, top_error = _top_values(part, top_n)
    if part.frequent is not None and part.frequent.error == 0:
        distinct, distinct_exact = len(part.frequent.counts), True
    else:
        distinct, distinct_exact = min(count, part.distinct.estimate()), part.distinct.exact
    kind = _kind(part, count, distinct, distinct_exact, part.lengths.mean, top)
    return _Head(part.name, kind, count, distinct, distinct_exact, top, top_error)


def _wants_text(part: ColumnPartial, head: _Head, values: pd.Series | None) -> bool:
    """Whether the column gets a text summary (of its ``values`` in the row sample)."""
    return bool(part.lengths.count) and values is not None and head.kind not in ("constant", "empty")


def _finalize_columns(
    parts: list[ColumnPartial], heads: list[_Head], values: list[pd.Series | None], bins: int, top_n: int
) -> list[tuple[ColumnProfile, SampleQuantiles | None]]:
    """:func:`_finalize_column` of several columns, their text summaries made together
    (:func:`~lifecycle_widgets.core.profile_text.text_summaries`)."""
    wanted = [i for i in range(len(parts)) if _wants_text(parts[i], heads[i], values[i])]
    texts: list[TextSummary | None] = [None] * len(parts)
    found = text_summaries(
        [(values[i], heads[i].count, heads[i].kind in ("identifier", "categorical")) for i in wanted],  # type: ignore[misc]
        bins=bins,
        top_n=top_n,
    )
    for i, text in zip(wanted, found, strict=True):
        texts[i] = text
    return [
        _finalize_column(part, head, v, bins, top_n, text)
        for part, head, v, text in zip(parts, heads, values, texts, strict=True)
    ]


def _finalize_column(
    part: ColumnPartial,
    head: _Head,
    values: pd.Series | None,
    bins: int,
    top_n: int,
    text: TextSummary | None = None,
) -> tuple[ColumnProfile, SampleQuantiles | None]:
    """The column's profile from its partial statistics, its ``values`` in the row sample and
    its text summary (see :func:`_wants_text`)."""
    count, kind, distinct, distinct_exact = head.count, head.kind, head.distinct, head.distinct_exact
    top, top_error = head.top, head.top_error
    lengths = part.lengths
    m = part.moments
    stats: dict[str, Any] = {}
    sq = (
        SampleQuantiles.of(numeric_values(values, part.family), m.n)
        if values is not None and part.family in NUMERIC_FAMILIES and m.n
        else None
    )
    if part.family in NUMERIC_FAMILIES and m.n:
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
            mean=_clean(m.mean),  # None when the values' sums overflow (values near 1e308)
            std=_clean(m.std()),
            quantiles=quantiles,
            quantile_rank_error=sq.rank_error if sq is not None else 0.0,
            histogram=_histogram(part, kind, bins, sq),
        )
        if part.family != "datetime":
            stats.update(skewness=_clean(m.skewness()), kurtosis=_clean(m.kurtosis()))
    imbalance = None
    if kind in ("categorical", "boolean") and part.frequent is not None and part.frequent.error == 0:
        imbalance = imbalance_score(part.frequent.counts.to_numpy())
    profile = ColumnProfile(
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
        top_values=tuple((value_label(v), c) for v, c in top),
        top_values_error=top_error,
        timezone=part.timezone,
        mean_length=lengths.mean,
        value_types=dict(part.type_counts) if len(part.type_counts) > 1 else {},
        min_length=lengths.min if lengths.count else None,
        max_length=lengths.max if lengths.count else None,
        imbalance=imbalance,
        text=text,
        **stats,
    )
    return profile, sq


def _as_matrix(method: str, names: list[str], values: np.ndarray, note: str = "") -> Matrix:
    # _clean of every entry, on Python floats (numpy's isfinite per scalar cost 2 us an entry)
    rows = np.asarray(values, dtype=np.float64).tolist()
    return Matrix(
        method, tuple(names), tuple(tuple(v if math.isfinite(v) else None for v in row) for row in rows), note
    )


def _capped(names: list[str], cap: int, target: str | None, what: str) -> tuple[list[str], list[LeftOut]]:
    """At most ``cap`` of ``names`` in table order, the target first among them."""
    if len(names) <= cap:
        return names, []
    ranked = ([target] if target in names else []) + [n for n in names if n != target]
    kept = set(ranked[:cap])
    reason = f"over the cap of {cap} {what} columns"
    return [n for n in names if n in kept], [LeftOut(n, reason) for n in names if n not in kept]


ASSOCIATION_CELLS = 2_000_000  # rows x columns of the association matrices' row sample
MIN_ASSOCIATION_ROWS = 10_000


def association_rows(sample_rows: int, columns: int) -> int:
    """How many rows of the row sample the association matrices are computed on: all of them
    while rows x columns in the matrices stay within ASSOCIATION_CELLS (2 million cells), else
    ``ASSOCIATION_CELLS // columns`` rows, and never fewer than MIN_ASSOCIATION_ROWS.

    The rows kept are those of the smallest sample keys: a uniform subsample of the table. On
    ``m`` rows the standard error of a correlation coefficient ``r`` is about ``(1 - r**2) /
    sqrt(m)``, at most ``1 / sqrt(m)``: 0.0045 on 50,000 rows, 0.0087 on the 13,333 rows that 150
    columns get, 0.01 at the floor of 10,000. A 20-column table keeps its whole sample; a
    1,000-column one (100 numeric and 50 categorical columns in the matrices) is 3 to 4 times
    faster to correlate.

    Examples
    --------
    >>> association_rows(50_000, 20), association_rows(50_000, 150), association_rows(50_000, 1_000)
    (50000, 13333, 10000)
    >>> association_rows(5_000, 1_000)
    5000
    """
    if columns <= 0:
        return sample_rows
    return min(sample_rows, max(MIN_ASSOCIATION_ROWS, ASSOCIATION_CELLS // columns))


def association_note(rows: int, sample_rows: int) -> str:
    """What a matrix computed on ``rows`` of ``sample_rows`` sampled rows says of it ("" when on
    all of them)."""
    if rows >= sample_rows:
        return ""
    return (
        f"on {rows:,} of the {sample_rows:,} sampled rows (a uniform subsample, as the table is "
        f"wide): a coefficient's standard error is at most 1/sqrt({rows:,}) = {1 / np.sqrt(rows):.4f}"
    )


def _first_rows(part: TablePartial, rows: int) -> pd.DataFrame | None:
    """The ``rows`` sampled rows of the smallest sample keys (the sample is kept in key order)."""
    sample = part.sample
    if sample is None or rows >= len(sample):
        return sample
    keys = part.sample_keys
    if keys.size == len(sample) and not bool(np.all(keys[1:] >= keys[:-1])):
        return sample.iloc[np.sort(np.argsort(keys, kind="stable")[:rows])].reset_index(drop=True)
    return sample.iloc[:rows]


def _correlated_columns(
    heads: list[_Head], sample_rows: int, target: str | None
) -> tuple[list[str], list[str], list[LeftOut]]:
    """The numeric and the categorical columns of the association matrices (each capped, the
    target first among them), and the columns left out, and why."""
    left_out = [LeftOut(c.name, NOT_CORRELATED[c.kind]) for c in heads if c.kind in NOT_CORRELATED]
    if sample_rows < 3:
        reason = "too few rows"
        return [], [], left_out + [LeftOut(c.name, reason) for c in heads if c.kind not in NOT_CORRELATED]
    numeric = [c.name for c in heads if c.kind in NUMERIC_KINDS]
    numeric, over = _capped(numeric, MAX_NUMERIC_CORRELATION_COLUMNS, target, "numeric")
    left_out += over
    categorical = []
    for c in heads:
        if c.kind in ("categorical", "boolean"):
            if c.distinct <= MAX_CATEGORY_LEVELS:
                categorical.append(c.name)
            else:
                left_out.append(LeftOut(c.name, f"more than {MAX_CATEGORY_LEVELS} categories"))
    categorical, over = _capped(categorical, MAX_CATEGORICAL_CORRELATION_COLUMNS, target, "categorical")
    return numeric, categorical, left_out + over


def _joined(*notes: str) -> str:
    return "; ".join(n for n in notes if n)


def _correlations(
    numeric: list[str], categorical: list[str], X: np.ndarray, codes: list[np.ndarray], note: str = ""
) -> tuple[tuple[Matrix, ...], set[frozenset[str]]]:
    """Pearson and Spearman of the numeric columns (``X``, NaN for missing), Cramér's V of the
    categorical ones (``codes``, -1 for missing), and one ``association`` matrix of every pair of
    both (|Spearman|, Cramér's V, or the correlation ratio eta for a numeric-categorical pair);
    and the numeric-categorical pairs. Numpy only (no pandas), so it runs on a thread beside the
    rest of :func:`finalize`; ``note`` goes on every matrix."""
    out: list[Matrix] = []
    rho = None
    if len(numeric) >= 2:
        out.append(_as_matrix("pearson", numeric, corr.pearson_matrix(X), note))
        rho, approximate = corr.spearman_matrix(X)
        rerank = (
            f"{approximate:,} pairs with values missing on different rows are correlated on the "
            "columns' own ranks (re-ranking them all would exceed the time budget)"
            if approximate
            else ""
        )
        out.append(_as_matrix("spearman", numeric, rho, _joined(note, rerank)))
    v = None
    if len(categorical) >= 2:
        v = corr.cramers_v_matrix(codes)
        out.append(_as_matrix("cramers_v", categorical, v, note))
    mixed: set[frozenset[str]] = set()
    if numeric and categorical and len(numeric) + len(categorical) >= 2:
        k_num = len(numeric)
        both = numeric + categorical
        assoc = np.full((len(both), len(both)), np.nan)
        np.fill_diagonal(assoc, 1.0)
        if rho is not None:
            assoc[:k_num, :k_num] = np.abs(rho)
        if v is not None:
            assoc[k_num:, k_num:] = v
        eta = corr.correlation_ratio_matrix(codes, X)  # categorical x numeric
        assoc[k_num:, :k_num] = eta
        assoc[:k_num, k_num:] = eta.T
        out.append(_as_matrix("association", both, assoc, note))
        mixed = {frozenset((a, b)) for a in numeric for b in categorical}
    return tuple(out), mixed


def _target_type(col: ColumnProfile, part: ColumnPartial, requested: str | None) -> str | None:
    if col.kind in ("empty", "constant", "identifier", "text", "binary"):
        return None
    if requested is not None:
        return requested
    if col.distinct == 2 or col.kind == "boolean":
        return "binary"
    if col.kind == "categorical":
        return "multiclass"
    # whole numbers with few values are class labels (scikit-learn's type_of_target says the
    # same of any whole numbers; many values read better as a quantity)
    whole = part.family == "integer" or (part.family == "float" and part.fractional == 0)
    if col.kind in NUMERIC_KINDS and whole and col.distinct <= MAX_CATEGORY_LEVELS:
        return "multiclass"
    return "regression" if col.kind in (*NUMERIC_KINDS, "datetime") else None


def _target_association(
    cols: list[ColumnProfile], sample: pd.DataFrame | None, target: str | None, target_type: str | None
) -> tuple[Association, ...]:
    """Each column's association with the target: for a class target (binary or multiclass),
    the correlation ratio eta of a numeric column and Cramér's V of a categorical one; for a
    regression target, |Spearman| of a numeric column and eta of a categorical one."""
    if target is None or target_type is None or sample is None or len(sample) < 3:
        return ()
    y_numeric = target_type == "regression"
    out = []
    for c in cols:
        if c.name == target or c.kind in NOT_CORRELATED:
            continue
        numeric = c.kind in NUMERIC_KINDS
        if not numeric and c.distinct > MAX_CATEGORY_LEVELS * 20:
            continue
        method, value = corr.association(sample[c.name], numeric, sample[target], y_numeric)
        out.append(Association(c.name, method, _clean(value)))
    return tuple(sorted(out, key=lambda a: -(a.value or 0.0)))


def finalize(
    part: TablePartial,
    *,
    source: str = "",
    target: str | None = None,
    target_type: str | None = None,
    card: DataCard | None = None,
    bins: int = 30,
    top_n: int = 20,
    thresholds: AlertThresholds | None = None,
    time_column: str | None = None,
    frame: pd.DataFrame | None = None,
    workers: int | None = None,
) -> DataProfile:
    """Turn merged partial statistics into a :class:`DataProfile`, the columns on ``workers``
    threads (by default one per core).

    ``frame`` is the in-memory frame the partial was collected from, if any: the time-series view
    then reads every row of it, by ``time_column`` or by its ``DatetimeIndex``; without it, a
    ``time_column`` is read from the row sample in time order.

    The association matrices are computed on a thread of their own (numpy releases the GIL)
    while this thread finalizes the columns and their alerts; on the first
    :func:`association_rows` rows of the sample when the table is wide. Nothing depends on the
    timing: the result is the same, byte for byte."""
    th = thresholds or AlertThresholds()
    sample = part.sample
    sample_rows = 0 if sample is None else len(sample)
    heads = [_column_head(part.partials[n], top_n) for n in part.columns]
    numeric_corr, categorical_corr, left_out = _correlated_columns(heads, sample_rows, target)
    assoc_rows = association_rows(sample_rows, len(numeric_corr) + len(categorical_corr))
    assoc_sample = _first_rows(part, assoc_rows)
    note = association_note(assoc_rows, sample_rows)
    threads = resolve_workers(workers)
    with (
        ThreadPoolExecutor(1, thread_name_prefix="lw-correlations") as matrices_pool,
        ThreadPoolExecutor(threads, thread_name_prefix="lw-finalize") as pool,
    ):
        matrices_future = None
        if assoc_sample is not None and numeric_corr + categorical_corr:
            # pandas stays on this thread: the matrices' thread gets numpy arrays only
            X = (
                np.column_stack([corr.numeric_of(assoc_sample[n]) for n in numeric_corr])
                if numeric_corr
                else np.empty((assoc_rows, 0))
            )
            codes = [corr.codes_of(assoc_sample[n]) for n in categorical_corr]
            matrices_future = matrices_pool.submit(
                _correlations, numeric_corr, categorical_corr, X, codes, note
            )
        # work that needs only the sample and the columns' kinds starts first, on the threads
        with_missing = [n for n in part.columns if part.partials[n].missing]
        nullity_future = pool.submit(nullity_matrix, sample, with_missing)
        missing_future = pool.submit(missing_matrix, sample, part.sample_positions, with_missing)
        duplicates_future = pool.submit(part.duplicate_rows)  # a sort of up to 2M row hashes
        candidates = [h.name for h in heads if h.kind not in ("empty", "constant")]
        near_future = (
            pool.submit(near_duplicate_pairs, sample, candidates, th.near_duplicate)
            if sample is not None
            else None
        )
        # the columns on the threads (sorts and Arrow kernels release the GIL), taken out of
        # the sample on this one; map keeps table order
        columns_in_sample = [None if sample is None else sample[h.name] for h in heads]
        # in a few interleaved batches: a task per column cost more than a short column's work
        tasks = min(len(heads), 2 * threads) or 1
        batches = [list(range(len(heads)))[t::tasks] for t in range(tasks)]
        finished: list[tuple[ColumnProfile, SampleQuantiles | None]] = [None] * len(heads)  # type: ignore[list-item]
        for batch, done in zip(
            batches,
            pool.map(
                lambda batch: _finalize_columns(
                    [part.partials[heads[i].name] for i in batch],
                    [heads[i] for i in batch],
                    [columns_in_sample[i] for i in batch],
                    bins,
                    top_n,
                ),
                batches,
            ),
            strict=True,
        ):
            for i, result in zip(batch, done, strict=True):
                finished[i] = result
        cols = [c for c, _ in finished]
        duplicates, exact = duplicates_future.result()
        t_type = None
        if target is not None:
            t_type = _target_type(cols[part.columns.index(target)], part.partials[target], target_type)
        as_of = th.as_of_seconds()
        contexts = [
            ColumnContext(
                rows=part.rows,
                thresholds=th,
                is_target=c.name == target,
                target_type=t_type if c.name == target else None,
                sample=sq,
                as_of=as_of,
            )
            for c, sq in finished
        ]
        early_alerts, near_pairs = sample_alerts(
            cols,
            contexts,
            rows=part.rows,
            duplicates=duplicates,
            sample=sample,
            thresholds=th,
            map_=pool.map,
            pairs=near_future.result() if near_future is not None else [],
        )
        numeric = [c.name for c in cols if c.kind in NUMERIC_KINDS]
        ts = _timeseries(part, numeric, time_column, frame)
        target_association = _target_association(cols, assoc_sample, target, t_type)
        missing = missing_future.result()
        nullity = nullity_future.result()
        views = interactions(sample, numeric, first=target)
        matrices, mixed = matrices_future.result() if matrices_future is not None else ((), set())
    return DataProfile(
        source=source,
        n_rows=part.rows,
        n_columns=len(part.columns),
        memory_bytes=part.memory_bytes,
        duplicate_rows=duplicates,
        duplicate_rows_exact=exact,
        fingerprint=fingerprint(part),
        columns=tuple(cols),
        correlations=matrices,
        target=target,
        target_association=target_association,
        alerts=sort_alerts(
            [
                *early_alerts,
                *high_correlation_alerts(
                    matrices,
                    part.columns,
                    th.high_correlation,
                    {frozenset((a, b)) for a, b, _ in near_pairs},
                    mixed,
                ),
                *(ts.alerts if ts is not None else ()),
            ]
        ),
        sample_rows=sample_rows,
        card=None if card is None else card.with_detected(detect_sensitive(cols)),
        target_type=t_type,
        correlations_left_out=tuple(left_out),
        missing_matrix=missing,
        nullity_correlation=nullity,
        interactions=views,
        timeseries=ts,
        association_rows=assoc_rows,
    )


def _timeseries(
    part: TablePartial, numeric: list[str], time_column: str | None, frame: pd.DataFrame | None
) -> TimeSeriesProfile | None:
    """The time-series view: from every row of ``frame`` (by ``time_column`` or a
    DatetimeIndex), else from the row sample by ``time_column``; None when not time-indexed."""
    check_time_column(frame if frame is not None else part.sample, time_column)
    if frame is not None and (time_column is not None or isinstance(frame.index, pd.DatetimeIndex)):
        named = frame.set_axis(part.columns, axis=1)
        return timeseries_profile(named, time_column=time_column, columns=numeric)
    if time_column is None or part.sample is None:
        return None
    in_table_order = part.sample.iloc[np.argsort(part.sample_positions, kind="stable")]
    return timeseries_profile(
        in_table_order, time_column=time_column, columns=numeric, from_sample=len(part.sample) < part.rows
    )


def _check_int(value: object, name: str, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
        raise ParameterError.bad_value(name, "profile", f"an int >= {low}", value)
    return int(value)


def profile(
    data: Any,
    *,
    target: str | None = None,
    target_type: str | None = None,
    card: DataCard | None = None,
    sample_size: int | None = None,
    chunk_rows: int = 1_000_000,
    bins: int = 30,
    top_n: int = 20,
    thresholds: AlertThresholds | None = None,
    progress: bool | None = None,
    time_column: str | None = None,
    workers: int | None = None,
) -> DataProfile:
    """Profile a table: statistics per column, correlations, alerts and a content fingerprint.

    Parameters
    ----------
    data : pandas.DataFrame, pyarrow.Table, Dask DataFrame, or path to a Parquet file or folder
        Parquet is read one row group at a time, so memory stays bounded by a row group.
    target : str, optional
        The label column: adds the association of every column with it and a class
        imbalance check.
    target_type : {"binary", "multiclass", "regression"}, optional
        How to measure associations with the target. By default: two values are binary,
        categories and up to 50 whole numbers are multiclass, other numbers are regression.
    card : DataCard, optional
        Governance facts to attach (source, owner, license, ...).
    sample_size : int, optional
        Rows in the uniform, content-keyed sample that quantiles, text statistics and
        correlations are computed on. By default 50,000, and fewer for tables wider than 400
        columns (20 million cells, at least 20,000 rows: see
        :func:`~lifecycle_widgets.core.ingest.default_sample_size`); quantile ranks are then
        within ``quantile_rank_error`` of the truth (1.2 % at 20,000 rows, 0.7 % at 50,000).
    chunk_rows : int
        Rows per chunk for in-memory inputs.
    bins, top_n : int
        Histogram bins, and how many most frequent values (and words) to keep per column.
    thresholds : AlertThresholds, optional
        When statistics become alerts.
    progress : bool, optional
        Show a progress bar; by default only when there is more than one chunk.
    workers : int, optional
        Threads computing the chunks' statistics (Parquet row groups, or the columns of a
        single chunk); by default one per core (``lifecycle_widgets.core.ingest.WORKERS`` sets
        it for the process). Any number gives the same profile, byte for byte.
    time_column : str, optional
        A datetime column that puts the rows in time order: adds the time-series view of every
        numeric column (autocorrelation, seasonality, trend, stationarity) and the gaps of the
        time index. A frame with a ``DatetimeIndex`` gets it without. An in-memory frame is read
        whole; streamed data (Parquet) from its row sample, in time order.

    Examples
    --------
    >>> import lifecycle_widgets as lw
    >>> df = lw.datasets.credit(n_rows=1000)
    >>> prof = lw.profile(df, target="defaulted")
    >>> prof.column("income").missing > 0
    True
    """
    if sample_size is not None:
        sample_size = _check_int(sample_size, "sample_size", 0)
    bins = _check_int(bins, "bins", 1)
    top_n = _check_int(top_n, "top_n", 1)
    if target is not None and not isinstance(target, str):
        raise ParameterError.bad_value("target", "profile", "a column name (str) or None", target)
    if target_type is not None and target_type not in TARGET_TYPES:
        raise ParameterError.bad_value(
            "target_type", "profile", f"one of {TARGET_TYPES} or None", target_type
        )
    if target_type is not None and target is None:
        raise ParameterError.bad_value("target_type", "profile", "None when no target is given", target_type)
    if card is not None and not isinstance(card, DataCard):
        raise ParameterError.bad_value("card", "profile", "a DataCard or None", card)
    if thresholds is not None and not isinstance(thresholds, AlertThresholds):
        raise ParameterError.bad_value("thresholds", "profile", "an AlertThresholds or None", thresholds)
    check_time_column(data, time_column)
    source, merged = collect(
        data,
        required=[target] if target else [],
        sample_size=sample_size,
        chunk_rows=chunk_rows,
        progress=progress,
        workers=workers,
    )
    return finalize(
        merged,
        source=source,
        target=target,
        target_type=target_type,
        card=card,
        bins=bins,
        top_n=top_n,
        thresholds=thresholds,
        time_column=time_column,
        frame=data if isinstance(data, pd.DataFrame) else None,
        workers=workers,
    )
