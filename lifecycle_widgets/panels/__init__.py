"""ipywidgets panels and the static HTML displays of every result kind."""

from lifecycle_widgets.panels import batch as _batch  # noqa: F401  (describes BatchSummary)
from lifecycle_widgets.panels.drift import DriftPanel, TimelinePanel
from lifecycle_widgets.panels.experiments import ComparisonPanel, LineagePanel, RegistryPanel, compare
from lifecycle_widgets.panels.explain import ExplanationPanel
from lifecycle_widgets.panels.profile import ProfilePanel

__all__ = [
    "ComparisonPanel",
    "DriftPanel",
    "ExplanationPanel",
    "LineagePanel",
    "ProfilePanel",
    "RegistryPanel",
    "TimelinePanel",
    "compare",
]
