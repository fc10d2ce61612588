"""Plotly figure builders: result objects in, ``go.Figure`` out. Pure: nothing is shown."""

from lifecycle_widgets.figures._common import defaults
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
    "missing_figure",
    "overview_figure",
    "profile_figures",
    "target_figure",
]
