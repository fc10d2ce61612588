"""Plotly figure builders: result objects in, ``go.Figure`` out. Pure: nothing is shown."""

from lifecycle_widgets.figures._common import defaults
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
from lifecycle_widgets.figures.profile import (
    alerts_figure,
    correlation_figure,
    distribution_figure,
    missing_figure,
    overview_figure,
    profile_figures,
    target_figure,
)

__all__ = [
    "alerts_figure",
    "correlation_figure",
    "defaults",
    "distribution_figure",
    "drift_overview_figure",
    "feature_over_time_figure",
    "missing_figure",
    "overlay_figure",
    "overview_figure",
    "profile_figures",
    "quality_figure",
    "target_figure",
    "timeline_heatmap",
    "timeline_quality_figure",
    "timeline_violations_figure",
    "violations_figure",
]
