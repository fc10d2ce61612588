"""Pure computation: frames and estimators in, frozen result objects out.

Nothing here imports plotly, ipywidgets or IPython, so it runs in any Python process.
"""

from lifecycle_widgets.core.alerts import Alert, AlertThresholds
from lifecycle_widgets.core.card import DataCard
from lifecycle_widgets.core.drift import Baseline, DriftReport, Timeline, monitor
from lifecycle_widgets.core.profiling import ColumnProfile, DataProfile, profile
from lifecycle_widgets.core.result import Result

__all__ = [
    "Alert",
    "AlertThresholds",
    "Baseline",
    "ColumnProfile",
    "DataCard",
    "DataProfile",
    "DriftReport",
    "Result",
    "Timeline",
    "monitor",
    "profile",
]
