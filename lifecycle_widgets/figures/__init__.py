"""Plotly figure builders: result objects in, ``go.Figure`` out. Pure: nothing is shown."""

from lifecycle_widgets.figures._common import defaults
from lifecycle_widgets.figures.calibration import calibration_figure
from lifecycle_widgets.figures.dataset_diff import (
    dataset_diff_columns_figure,
    dataset_diff_rows_figure,
    dataset_diff_stats_figure,
)
from lifecycle_widgets.figures.drift import (
    drift_overview_figure,
    feature_over_time_figure,
    overlay_figure,
    quality_figure,
    timeline_heatmap,
    timeline_quality_figure,
    timeline_violations_figure,
    violations_figure,
)
from lifecycle_widgets.figures.estimation import (
    domain_classifier_figure,
    performance_figure,
    reconstruction_figure,
)
from lifecycle_widgets.figures.experiments import (
    comparison_figure,
    lineage_figure,
    metric_by_param_figure,
    metric_vs_param_figure,
    parallel_figure,
    step_curves_figure,
)
from lifecycle_widgets.figures.explain import (
    beeswarm_figure,
    bias_figure,
    class_importance_figure,
    cohort_figure,
    dependence_figure,
    importance_figure,
    lime_figure,
    row_ice_figure,
    saliency_figure,
    stability_figure,
    waterfall_figure,
)
from lifecycle_widgets.figures.profile import (
    alerts_figure,
    correlation_figure,
    distribution_figure,
    missing_figure,
    missing_matrix_figure,
    nullity_figure,
    overview_figure,
    target_figure,
    text_figure,
)
from lifecycle_widgets.figures.profile_interactions import interaction_figure
from lifecycle_widgets.figures.profile_timeseries import acf_figure, decomposition_figure

__all__ = [
    "acf_figure",
    "alerts_figure",
    "beeswarm_figure",
    "bias_figure",
    "calibration_figure",
    "class_importance_figure",
    "cohort_figure",
    "comparison_figure",
    "correlation_figure",
    "dataset_diff_columns_figure",
    "dataset_diff_rows_figure",
    "dataset_diff_stats_figure",
    "decomposition_figure",
    "defaults",
    "dependence_figure",
    "distribution_figure",
    "domain_classifier_figure",
    "drift_overview_figure",
    "feature_over_time_figure",
    "importance_figure",
    "interaction_figure",
    "lime_figure",
    "lineage_figure",
    "metric_by_param_figure",
    "metric_vs_param_figure",
    "missing_figure",
    "missing_matrix_figure",
    "nullity_figure",
    "overlay_figure",
    "overview_figure",
    "parallel_figure",
    "performance_figure",
    "quality_figure",
    "reconstruction_figure",
    "row_ice_figure",
    "saliency_figure",
    "stability_figure",
    "step_curves_figure",
    "target_figure",
    "text_figure",
    "timeline_heatmap",
    "timeline_quality_figure",
    "timeline_violations_figure",
    "violations_figure",
    "waterfall_figure",
]
