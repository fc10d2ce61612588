"""ipywidgets panels and the static HTML displays of every result kind."""

from lifecycle_widgets.panels import batch as _batch  # noqa: F401  (describes BatchSummary)
from lifecycle_widgets.panels import conformal as _conformal  # noqa: F401  (describes Conformal)
from lifecycle_widgets.panels import counterfactual as _counterfactual  # noqa: F401  (describes CounterfactualSet)
from lifecycle_widgets.panels import dataset_diff as _dataset_diff  # noqa: F401  (describes DatasetDiff)
from lifecycle_widgets.panels import estimation as _estimation  # noqa: F401  (describes PerformanceEstimate, MultivariateDrift)
from lifecycle_widgets.panels import mitigation as _mitigation  # noqa: F401  (describes MitigationReport)
from lifecycle_widgets.panels.drift import DriftPanel, TimelinePanel
from lifecycle_widgets.panels.explain import ExplanationPanel
from lifecycle_widgets.panels.lineage import LineagePanel
from lifecycle_widgets.panels.profile import ProfilePanel
from lifecycle_widgets.panels.registry import RegistryPanel
from lifecycle_widgets.panels.runs import ComparisonPanel, compare

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
