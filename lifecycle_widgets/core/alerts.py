"""Data quality alerts: what a reviewer should look at first, with a severity and the columns.

Every alert type is defined in :data:`ALERT_TYPES` (what fires it, and ydata-profiling's
counterpart where it has one); :class:`AlertThresholds` holds every threshold. The rules
themselves live in :mod:`lifecycle_widgets.core.profile_alerts`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from lifecycle_widgets.exceptions import ParameterError

SEVERITIES = ("high", "medium", "low")

ALERT_TYPES: dict[str, str] = {
    # dataset
    "no_columns": "The dataset has no columns.",
    "no_rows": "The dataset has no rows (ydata: EMPTY).",
    "duplicate_rows": "Rows that repeat another row exactly (ydata: DUPLICATES).",
    # one column
    "all_missing": "Every value of the column is missing.",
    "constant": "One distinct value (ydata: CONSTANT).",
    "high_missing": "Missing share at or above `high_missing` (ydata: MISSING fires above 1 %).",
    "mixed_types": "An object column holding values of several Python types (ydata: UNSUPPORTED).",
    "infinite_values": "Infinite values (ydata: INFINITE).",
    "high_cardinality": "A categorical column with more than `high_cardinality` distinct values "
    "(ydata: HIGH_CARDINALITY, same default 50).",
    "unique": "Every value distinct, in a column that is not a float or a date (ydata: UNIQUE, "
    "which also fires on floats, where it is the rule).",
    "skewed": "|skewness| at or above `skewness` (ydata: SKEWED, default 20).",
    "zeros": "Share of zeros among a numeric column's values at or above `zeros` (ydata: ZEROS "
    "fires above 1 %).",
    "uniform": "A numeric column whose distribution is within `uniform` (Kolmogorov-Smirnov "
    "distance) of the uniform on [min, max] (ydata: UNIFORM, a chi-squared p-value above 0.999).",
    "imbalance": "A categorical or boolean column dominated by few values: 1 - H / log2(k) above "
    "`imbalance_score` (ydata: IMBALANCE, the same score and default 0.5); for the target, the "
    "rarest class below `imbalance`.",
    "constant_length": "Every text value has the same length (ydata: CONSTANT_LENGTH).",
    "dates_out_of_range": "Dates before `earliest_date` or after `latest_date`: placeholders "
    "such as 1900-01-01 or 9999-12-31 (no ydata counterpart).",
    "future_dates": "Dates after `as_of` (the time of profiling by default; no ydata counterpart).",
    # pairs of columns
    "high_correlation": "Two columns associated at or above `high_correlation`: |Pearson| or "
    "|Spearman|, Cramér's V, or the correlation ratio eta (ydata: HIGH_CORRELATION, 0.9).",
    "near_duplicate_columns": "Two columns with equal values in at least `near_duplicate` of the "
    "rows where either has one (ydata has none: its NEAR_DUPLICATES is about rows).",
    # time series (core/profile_timeseries.py)
    "time_gaps": "The time index misses periods of its typical step, or has intervals that are no "
    "whole number of steps (no ydata counterpart).",
    "non_stationary": "A numeric column of a time-indexed frame whose augmented Dickey-Fuller test "
    "keeps a unit root, p >= 0.05 (ydata: NON_STATIONARY).",
    "seasonal": "A numeric column of a time-indexed frame with a period of seasonal strength "
    "1 - Var(remainder) / Var(season + remainder) >= 0.4 (ydata: SEASONAL).",
}


@dataclass(frozen=True)
class Alert:
    """One data quality finding.

    ``column`` is the column it is about (None for the whole dataset); ``related`` holds the
    other columns of a finding about a pair (the partner of a high correlation or of a
    near-duplicate); ``value`` is the statistic that fired it.

    Examples
    --------
    >>> a = Alert("high_correlation", "medium", "Highly correlated.", "x", 0.99, ("y",))
    >>> a.columns
    ('x', 'y')
    """

    type: str
    severity: str
    message: str
    column: str | None = None
    value: float | None = None
    related: tuple[str, ...] = ()

    @property
    def columns(self) -> tuple[str, ...]:
        """Every column the alert names, its own first."""
        return ((self.column,) if self.column is not None else ()) + self.related


def _epoch(value: str | datetime, name: str) -> float:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError as err:
            raise ParameterError.bad_value(
                name, "AlertThresholds", "an ISO date or a datetime", value
            ) from err
    if not isinstance(value, datetime):
        raise ParameterError.bad_value(name, "AlertThresholds", "an ISO date or a datetime", value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.timestamp()


@dataclass(frozen=True)
class AlertThresholds:
    """When a statistic becomes an alert. Shares are fractions of a column's values.

    Defaults follow ydata-profiling where it has the alert and the default makes sense for a
    reviewer (cardinality 50, imbalance score 0.5, correlation 0.9); where ydata fires on any
    amount (missing, zeros above 1 %) the thresholds here are set to what needs a look.
    ``earliest_date`` starts after 1900-01-01, a common placeholder; ``as_of`` (an ISO date or
    datetime, UTC when naive) is when dates count as in the future, the time of profiling when
    None.

    Examples
    --------
    >>> from lifecycle_widgets import AlertThresholds
    >>> AlertThresholds(high_missing=0.5).high_missing
    0.5
    >>> AlertThresholds(high_correlation=1.5)
    Traceback (most recent call last):
    ...
    lifecycle_widgets.exceptions.ParameterError: The 'high_correlation' parameter of AlertThresholds must be a number in [0, 1]. Got 1.5 instead.
    """

    high_missing: float = 0.2
    high_cardinality: int = 50
    skewness: float = 3.0
    imbalance: float = 0.2
    severe_imbalance: float = 0.05
    imbalance_score: float = 0.5
    zeros: float = 0.5
    uniform: float = 0.05
    high_correlation: float = 0.9
    near_duplicate: float = 0.95
    earliest_date: str = "1901-01-01"
    latest_date: str = "2100-12-31"
    as_of: str | datetime | None = None

    def __post_init__(self) -> None:
        for name in (
            "high_missing",
            "imbalance",
            "severe_imbalance",
            "imbalance_score",
            "zeros",
            "uniform",
            "high_correlation",
            "near_duplicate",
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
                raise ParameterError.bad_value(name, "AlertThresholds", "a number in [0, 1]", value)
        for name in ("high_cardinality", "skewness"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise ParameterError.bad_value(name, "AlertThresholds", "a number >= 0", value)
        self.date_range()
        if self.as_of is not None:
            _epoch(self.as_of, "as_of")

    def date_range(self) -> tuple[float, float]:
        """``earliest_date`` and ``latest_date`` in seconds since the Unix epoch (UTC)."""
        return _epoch(self.earliest_date, "earliest_date"), _epoch(self.latest_date, "latest_date")

    def as_of_seconds(self) -> float:
        """``as_of`` in seconds since the Unix epoch (UTC); now when ``as_of`` is None (so the
        future_dates alert depends on the day it runs: pass ``as_of`` where a profile must
        reproduce byte for byte, as in an audit template)."""
        return datetime.now(UTC).timestamp() if self.as_of is None else _epoch(self.as_of, "as_of")


def sort_alerts(alerts: list[Alert]) -> tuple[Alert, ...]:
    """Most severe first, then by column name."""
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    return tuple(sorted(alerts, key=lambda a: (rank[a.severity], a.column or "", a.type, a.related)))
