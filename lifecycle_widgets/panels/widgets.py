"""Widget helpers shared by every panel.

Since plotly 6 each ``go.FigureWidget`` carries plotly.js (about 5 MB) in its widget state, so a
panel holds at most one FigureWidget, for the figure the user drives, and updates it in place.
Figures that only need showing go into an ``Output`` widget as plotly's own mimetype, which
JupyterLab renders with the plotly.js it already has.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import ipywidgets as widgets
import plotly.graph_objects as go
import plotly.io as pio

PLOTLY_MIME = "application/vnd.plotly.v1+json"


def plotly_output(fig: go.Figure) -> widgets.Output:
    """An Output widget showing ``fig`` through plotly's mimetype (no FigureWidget)."""
    out = widgets.Output(layout=widgets.Layout(width="100%"))
    show_in(out, fig)
    return out


def show_in(out: widgets.Output, fig: go.Figure) -> None:
    """Replace what ``out`` shows with ``fig``."""
    spec = json.loads(pio.to_json(fig, validate=False, remove_uids=True))
    spec["config"] = {"displaylogo": False, "responsive": True}
    out.outputs = (
        {
            "output_type": "display_data",
            "metadata": {},
            "data": {PLOTLY_MIME: spec, "text/plain": "<plotly figure>"},
        },
    )


def update_in_place(target: go.FigureWidget, fig: go.Figure) -> None:
    """Make ``target`` show ``fig`` with one batched message, reusing the widget."""
    with target.batch_update():
        if len(target.data) == len(fig.data) and all(
            a.type == b.type for a, b in zip(target.data, fig.data, strict=True)
        ):
            for old, new in zip(target.data, fig.data, strict=True):
                old.update(new.to_plotly_json(), overwrite=True)
        else:
            target.data = ()
            target.add_traces(list(fig.data))
        target.layout.update(fig.layout.to_plotly_json(), overwrite=True)


def lazy_tabs(builders: dict[str, Callable[[], widgets.Widget]]) -> widgets.Tab:
    """Tabs whose contents are built the first time they are selected (the first one at once)."""
    names = list(builders)
    holders = [widgets.Box(layout=widgets.Layout(width="100%")) for _ in names]
    tab = widgets.Tab(children=holders, titles=names)

    def build(index: int | None) -> None:
        if index is not None and not holders[index].children:
            holders[index].children = (builders[names[index]](),)

    build(0)
    tab.observe(lambda change: build(change["new"]), names="selected_index")
    return tab


def html_widget(markup: str) -> widgets.HTML:
    """An HTML widget for markup built by this package (user strings already escaped)."""
    return widgets.HTML(f'<div class="lw">{markup}</div>')
