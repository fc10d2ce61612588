"""Drift baselines and monitoring: statistics, suggested constraints, violations, timelines."""

from lifecycle_widgets.core.drift.baseline import Baseline, FeatureStatistics
from lifecycle_widgets.core.drift.check import (
    CHECKS,
    CheckType,
    DriftReport,
    FeatureDrift,
    Violation,
    get_check,
)
from lifecycle_widgets.core.drift.constraints import ConstraintsError
from lifecycle_widgets.core.drift.distances import DISTANCES, get_distance
from lifecycle_widgets.core.drift.monitoring import Signal, Timeline, Windows, monitor
from lifecycle_widgets.core.drift.retraining import RetrainingPolicy, RetrainingSignal, RetrainReason

__all__ = [
    "CHECKS",
    "DISTANCES",
    "Baseline",
    "CheckType",
    "ConstraintsError",
    "DriftReport",
    "FeatureDrift",
    "FeatureStatistics",
    "RetrainReason",
    "RetrainingPolicy",
    "RetrainingSignal",
    "Signal",
    "Timeline",
    "Violation",
    "Windows",
    "get_check",
    "get_distance",
    "monitor",
]
