"""Defaults and helpers shared by every figure builder (one place, as plotly express' PxDefaults)."""

from __future__ import annotations

import functools
import html
import json
from dataclasses import dataclass

import plotly.graph_objects as go
import plotly.io as pio


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


@functools.lru_cache(maxsize=8)
def _template_text(name: str) -> str:
    template = pio.templates[name].to_plotly_json()
    # long tick labels (feature names, bin ranges) push the margins out instead of being cut off
    # or running into the axis titles; set once here rather than on every figure
    layout = template.setdefault("layout", {})
    for axis in ("xaxis", "yaxis"):
        layout.setdefault(axis, {})["automargin"] = True
    return json.dumps(template, sort_keys=True)


def is_unstyled(template: object) -> bool:
    """True for the empty template ``finish`` gives figures without an explicit one (plotly's
    "none" serializes as a bare scatter entry and no layout)."""
    if not template:
        return True
    if not isinstance(template, dict) or template.get("layout"):
        return False
    data = template.get("data") or {}
    return all(all(set(t) <= {"type"} for t in traces) for traces in data.values())


def template_json(name: str | None = None) -> dict:
    """The plotly template ``name`` (default: ``defaults.template``) as plain JSON, cached."""
    return json.loads(_template_text(name or defaults.template))


def unstyled() -> dict:
    """The template ``finish`` gives a figure without an explicit one, as plotly writes it (its
    "none" template): :func:`is_unstyled` says yes, and the displays show the default in its place."""
    return {"data": {"scatter": [{"type": "scatter"}]}}


def finished_layout(
    *, title: str | None, template: str | None, height: int | None = None, **layout: object
) -> dict:
    """The layout :func:`finish` gives a figure, as plain JSON to build a figure dict from, with
    ``layout`` (plotly JSON: ``{"xaxis": {"title": {"text": ...}}}``, no magic underscores) on top.

    Without a ``template`` it needs no plotly at all: a page of 2,000 distributions is built as
    dicts, never validated by plotly (seconds), and the static HTML writes them as they are.

    Examples
    --------
    >>> a = finish(go.Figure(), title="t", template=None, bargap=0.1)
    >>> b = go.Figure(layout=finished_layout(title="t", template=None, bargap=0.1))
    >>> a.to_plotly_json() == b.to_plotly_json()
    True
    """
    height = height or defaults.height
    if template:
        out = json.loads(_named_base_layout(bool(title), template, height, tuple(defaults.colorway)))
    else:
        out = {
            "template": unstyled(),
            "margin": {"l": 60, "r": 20, "t": 50 if title else 20, "b": 50},
            "height": height,
            "colorway": list(defaults.colorway),
        }
    if title:
        out["title"] = {"text": title}
    out.update(layout)
    return out


@functools.lru_cache(maxsize=16)
def _named_base_layout(titled: bool, template: str, height: int, colorway: tuple[str, ...]) -> str:
    fig = finish(go.Figure(), title="title" if titled else None, template=template, height=height)
    return pio.to_json(fig.layout, validate=False)


def as_figure(fig: go.Figure | dict) -> go.Figure:
    """``fig`` as a ``go.Figure``: a figure dict built by this package (plotly JSON, see
    :func:`finished_layout`) is read without plotly's validation, which is back on for whatever
    the caller changes afterwards.

    >>> as_figure({"data": [{"type": "bar", "y": [1, 2]}], "layout": {}}).data[0].type
    'bar'
    """
    if isinstance(fig, go.Figure):
        return fig
    out = go.Figure(fig, _validate=False)
    out._validate = True
    return out


SEVERITY_COLORS = {"high": "#c23b4f", "medium": "#e0a03a", "low": "#8c8c8c"}


def text(value: object) -> str:
    """User-supplied text made safe for plotly labels: markup shows as text, never as markup."""
    return html.escape(str(value), quote=False)


def finish(
    fig: go.Figure, *, title: str | None, template: str | None, height: int | None = None, **layout: object
) -> go.Figure:
    """Apply the shared layout defaults and the caller's title and template.

    Without an explicit ``template`` the figure carries an empty one: plotly copies and validates
    a named template on every assignment (about 8 ms), which dominated pages of hundreds of
    figures. The panels and the static HTML show such figures with :data:`defaults` ``.template``
    (see :func:`template_json`).
    """
    # Applying a named template costs ~8 ms a figure (plotly copies and validates it); an empty
    # one costs nothing, and the displays put the default in its place when they show the figure.
    layout["template"] = template or "none"
    fig.update_layout(
        title={"text": title} if title else None,
        height=height or defaults.height,
        colorway=list(defaults.colorway),
        margin={"l": 60, "r": 20, "t": 50 if title else 20, "b": 50},
        **layout,
    )
    return fig
