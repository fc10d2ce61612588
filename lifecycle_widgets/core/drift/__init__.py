"""Drift baselines and monitoring: statistics, suggested constraints, violations, timelines."""

from lifecycle_widgets.core.drift.baseline import Baseline, FeatureStatistics
from lifecycle_widgets.core.drift.check import DriftReport, FeatureDrift, Violation
from lifecycle_widgets.core.drift.constraints import ConstraintsError
from lifecycle_widgets.core.drift.distances import DISTANCES, get_distance
from lifecycle_widgets.core.drift.monitoring import Signal, Timeline, monitor

__all__ = [
    "DISTANCES",
    "Baseline",
    "ConstraintsError",
    "DriftReport",
    "FeatureDrift",
    "FeatureStatistics",
    "Signal",
    "Timeline",
    "Violation",
    "get_distance",
    "monitor",
]
