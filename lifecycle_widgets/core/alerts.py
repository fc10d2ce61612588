"""Data quality alerts: what a reviewer should look at first, with a severity."""

from __future__ import annotations

from dataclasses import dataclass

SEVERITIES = ("high", "medium", "low")


@dataclass(frozen=True)
class Alert:
    """One data quality finding. ``column`` is None for findings about the whole dataset."""

    type: str
    severity: str
    message: str
    column: str | None = None
    value: float | None = None


@dataclass(frozen=True)
class AlertThresholds:
    """When a statistic becomes an alert. Shares are fractions of rows.

    Examples
    --------
    >>> from lifecycle_widgets import AlertThresholds
    >>> AlertThresholds(high_missing=0.5).high_missing
    0.5
    """

    high_missing: float = 0.2
    high_cardinality: int = 50
    skewness: float = 3.0
    imbalance: float = 0.2
    severe_imbalance: float = 0.05


def sort_alerts(alerts: list[Alert]) -> tuple[Alert, ...]:
    """Most severe first, then by column name."""
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    return tuple(sorted(alerts, key=lambda a: (rank[a.severity], a.column or "", a.type)))
