"""lifecycle_widgets: ipywidgets panels with plotly figures for the whole ML lifecycle.

Examples
--------
>>> import lifecycle_widgets as lw
>>> prof = lw.profile(lw.datasets.credit(n_rows=500), target="defaulted")
>>> prof.n_columns
15
"""

from importlib import import_module as _import_module

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
from lifecycle_widgets.core.card import SensitiveColumn
from lifecycle_widgets.core.dataset_diff import DatasetDiff, dataset_diff
from lifecycle_widgets.core.drift.multivariate import MultivariateDrift, multivariate_drift
from lifecycle_widgets.core.drift.performance_estimation import (
    PerformanceEstimate,
    PerformanceEstimator,
    estimate_performance,
)
from lifecycle_widgets.core.drift.reference_quality import ReferenceQualityWarning
from lifecycle_widgets.core.drift.retraining import RetrainingPolicy
from lifecycle_widgets.core.explain import (
    BiasBands,
    BiasReport,
    Calibration,
    Explainer,
    Explanation,
    LocalExplanation,
    Stability,
    bias_report,
    calibration,
    explain,
    integrated_gradients,
)
from lifecycle_widgets.core.explain.bias_groups import group_metrics
from lifecycle_widgets.core.explain.conformal import Conformal, conformal
from lifecycle_widgets.core.explain.counterfactual import counterfactuals
from lifecycle_widgets.core.explain.counterfactual_result import CounterfactualSet
from lifecycle_widgets.core.lineage import LineageGraph, LineageRecorder, lineage
from lifecycle_widgets.core.lineage_sklearn import register_feature_mapper
from lifecycle_widgets.core.openlineage import DataSource, OpenLineageEmitter
from lifecycle_widgets.core.profile_compare import ProfileComparison
from lifecycle_widgets.exceptions import (
    ColumnError,
    LifecycleWidgetsError,
    MergeError,
    MissingDependencyError,
    ParameterError,
    UnknownNameError,
)
from lifecycle_widgets.store.models import load_model, save_model
from lifecycle_widgets.store.registry import ModelRegistry
from lifecycle_widgets.store.runs import Runs, RunStore

__version__ = "0.1.0"


# Loaded on first use: the panels import ipywidgets and plotly; bias mitigation subclasses
# scikit-learn's estimators, whose import every kernel, CLI call and worker process would pay on
# ``import lifecycle_widgets`` otherwise.
_LAZY = {
    **dict.fromkeys(
        ("ProfilePanel", "DriftPanel", "TimelinePanel", "ExplanationPanel", "ComparisonPanel",
         "LineagePanel", "RegistryPanel", "compare"),
        "lifecycle_widgets.panels",
    ),
    **dict.fromkeys(
        ("GroupThresholdClassifier", "MitigationReport", "compare_mitigation", "fit_weighted",
         "mitigate", "reweighing_weights"),
        "lifecycle_widgets.core.explain.bias_mitigation",
    ),
}


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'lifecycle_widgets' has no attribute {name!r}")
    value = getattr(_import_module(module), name)
    globals()[name] = value  # found directly from now on
    return value


__all__ = [
    "Alert",
    "AlertThresholds",
    "Baseline",
    "BiasBands",
    "BiasReport",
    "Calibration",
    "ColumnError",
    "ColumnProfile",
    "ComparisonPanel",
    "Conformal",
    "CounterfactualSet",
    "DataCard",
    "DataProfile",
    "DataSource",
    "DatasetDiff",
    "DriftPanel",
    "DriftReport",
    "Explainer",
    "Explanation",
    "ExplanationPanel",
    "GroupThresholdClassifier",
    "LifecycleWidgetsError",
    "LineageGraph",
    "LineagePanel",
    "LineageRecorder",
    "LocalExplanation",
    "MergeError",
    "MissingDependencyError",
    "MitigationReport",
    "ModelRegistry",
    "MultivariateDrift",
    "OpenLineageEmitter",
    "ParameterError",
    "PerformanceEstimate",
    "PerformanceEstimator",
    "ProfileComparison",
    "ProfilePanel",
    "ReferenceQualityWarning",
    "RegistryPanel",
    "Result",
    "RetrainingPolicy",
    "RunStore",
    "Runs",
    "SensitiveColumn",
    "Stability",
    "Timeline",
    "TimelinePanel",
    "UnknownNameError",
    "__version__",
    "audit",
    "bias_report",
    "calibration",
    "compare",
    "compare_mitigation",
    "config_context",
    "conformal",
    "counterfactuals",
    "dataset_diff",
    "datasets",
    "estimate_performance",
    "explain",
    "fit_weighted",
    "get_config",
    "group_metrics",
    "integrated_gradients",
    "lineage",
    "load_model",
    "mitigate",
    "monitor",
    "multivariate_drift",
    "profile",
    "record",
    "register_feature_mapper",
    "reweighing_weights",
    "save_model",
    "set_config",
]
