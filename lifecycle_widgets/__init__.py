"""lifecycle_widgets: ipywidgets panels with plotly figures for the whole ML lifecycle.

Examples
--------
>>> import lifecycle_widgets as lw
>>> prof = lw.profile(lw.datasets.credit(n_rows=500), target="defaulted")
>>> prof.n_columns
15
"""

from lifecycle_widgets import audit, datasets
from lifecycle_widgets._config import config_context, get_config, set_config
from lifecycle_widgets.audit.recording import record
from lifecycle_widgets.core import (
    Alert,
    AlertThresholds,
    Baseline,
    ColumnProfile,
    DataCard,
    DataProfile,
    DriftReport,
    Result,
    Timeline,
    monitor,
    profile,
)
from lifecycle_widgets.exceptions import (
    ColumnError,
    LifecycleWidgetsError,
    MergeError,
    MissingDependencyError,
    ParameterError,
    UnknownNameError,
)

__version__ = "0.1.0"


_PANELS = ("ProfilePanel", "DriftPanel", "TimelinePanel")


def __getattr__(name: str):  # panels import ipywidgets and plotly: load them on first use
    if name in _PANELS:
        import lifecycle_widgets.panels as panels

        return getattr(panels, name)
    raise AttributeError(f"module 'lifecycle_widgets' has no attribute {name!r}")


__all__ = [
    "Alert",
    "AlertThresholds",
    "Baseline",
    "ColumnError",
    "ColumnProfile",
    "DataCard",
    "DataProfile",
    "DriftPanel",
    "DriftReport",
    "LifecycleWidgetsError",
    "MergeError",
    "MissingDependencyError",
    "ParameterError",
    "ProfilePanel",
    "Result",
    "Timeline",
    "TimelinePanel",
    "UnknownNameError",
    "__version__",
    "audit",
    "config_context",
    "datasets",
    "get_config",
    "monitor",
    "profile",
    "record",
    "set_config",
]
