"""Defaults and helpers shared by every figure builder (one place, as plotly express' PxDefaults)."""

from __future__ import annotations

import html
from dataclasses import dataclass

import plotly.graph_objects as go


@dataclass
class FigureDefaults:
    """Defaults applied by every builder; change them process-wide with attribute assignment.

    Examples
    --------
    >>> from lifecycle_widgets.figures import defaults
    >>> defaults.template
    'plotly_white'
    """

    template: str = "plotly_white"
    height: int = 360
    colorway: tuple[str, ...] = ("#2f6db5", "#e0793a", "#3a9e6f", "#c23b4f", "#7c5bbf", "#8c8c8c")


defaults = FigureDefaults()
SEVERITY_COLORS = {"high": "#c23b4f", "medium": "#e0a03a", "low": "#8c8c8c"}


def text(value: object) -> str:
    """User-supplied text made safe for plotly labels: markup shows as text, never as markup."""
    return html.escape(str(value), quote=False)


def finish(
    fig: go.Figure, *, title: str | None, template: str | None, height: int | None = None, **layout: object
) -> go.Figure:
    """Apply the shared layout defaults and the caller's title and template."""
    fig.update_layout(
        title={"text": title} if title else None,
        template=template or defaults.template,
        height=height or defaults.height,
        colorway=list(defaults.colorway),
        margin={"l": 60, "r": 20, "t": 50 if title else 20, "b": 50},
        **layout,
    )
    return fig
