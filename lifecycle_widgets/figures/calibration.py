"""Figures of calibration results: result in, ``go.Figure`` out."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

from lifecycle_widgets.figures._common import finish
from lifecycle_widgets.figures.explain import NEGATIVE, POSITIVE


def calibration_figure(cal: Any, *, title: str | None = None, template: str | None = None) -> go.Figure:
    """Reliability diagram before and after temperature scaling."""
    fig = go.Figure(
        [go.Scatter(x=[0, 1], y=[0, 1], mode="lines", name="perfect", line={"dash": "dash", "color": "#aaa"})]
    )
    for label, bins, color in (
        ("before", _bins(cal, "before"), NEGATIVE),
        ("after scaling", _bins(cal, "after"), POSITIVE),
    ):
        if bins:
            fig.add_trace(
                go.Scatter(
                    x=[b.mean_predicted for b in bins],
                    y=[b.observed for b in bins],
                    mode="lines+markers",
                    name=label,
                    line={"color": color},
                    customdata=[b.count for b in bins],
                    hovertemplate="predicted %{x:.2f}, observed %{y:.2f} (%{customdata} rows)",
                )
            )
    return finish(
        fig,
        title=title or "Reliability diagram",
        template=template,
        xaxis={"range": [0, 1], "title": {"text": "mean predicted"}},
        yaxis={"range": [0, 1], "title": {"text": "observed frequency"}},
    )


def _bins(cal: Any, which: str) -> list[Any]:
    metrics = getattr(cal, which, None)
    return (
        [b for b in metrics.bins if b.count and b.mean_predicted is not None] if metrics is not None else []
    )
