"""Widget helpers shared by every panel.

A figure the user drives, or one a pick redraws, is a ``PlotlyView`` (its state is the figure's
JSON, where a ``go.FigureWidget`` carries plotly.js, about 5 MB), updated in place: the profile's
column figure, the explanation's beeswarm and its Local tab's waterfall. Figures that only need showing go into an ``Output`` widget as plotly's own
mimetype, which JupyterLab renders with the plotly.js it already has.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ipywidgets as widgets
import plotly.graph_objects as go

from lifecycle_widgets.panels import html as static
from lifecycle_widgets.panels.plotly_view import PlotlyView, figure_spec

PLOTLY_MIME = "application/vnd.plotly.v1+json"


def plotly_output(fig: go.Figure) -> widgets.Output:
    """An Output widget showing ``fig`` through plotly's mimetype (no FigureWidget)."""
    out = widgets.Output(layout=widgets.Layout(width="100%"))
    show_in(out, fig)
    return out


def show_in(out: widgets.Output, fig: go.Figure) -> None:
    """Replace what ``out`` shows with ``fig``."""
    spec = figure_spec(fig)
    out.outputs = (
        {
            "output_type": "display_data",
            "metadata": {},
            "data": {PLOTLY_MIME: spec, "text/plain": "<plotly figure>"},
        },
    )


def figure_widget(fig: go.Figure) -> PlotlyView:
    """An interactive figure, showing ``fig`` (see ``plotly_view``: its state is the
    figure's JSON, not plotly.js)."""
    return PlotlyView(fig)


def update_in_place(target: PlotlyView, fig: go.Figure) -> None:
    """Make ``target`` show ``fig`` with one message, reusing the widget: ``Plotly.react`` redraws
    from the new figure alone, so nothing (a bar width, an axis range) leaks from the old one."""
    target.show(fig)


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


def page_widget() -> widgets.Output:
    """A live panel's hidden first child, for the page rather than the panel: the package's
    stylesheet (a ``<style>`` element applies to the whole page, so tables and headlines are styled
    in JupyterLab, Notebook 7, Voila and VS Code alike), and an empty plotly mimetype figure, whose
    drawing makes the page's plotly renderer (in JupyterLab, plotly's own extension, whose plotly.js
    every Lab page loads) evaluate plotly.js and set ``window.Plotly``: the panel's interactive
    figure draws with it, so a live panel brings no plotly.js of its own to a page that has one.
    One Output widget (its outputs render trusted) instead of two widgets keeps the first display
    light."""
    out = widgets.Output(layout=widgets.Layout(display="none"))
    # hidden twice: the Layout model reaches the view after it renders, a class comes with it
    # (and the stylesheet below hides that class), so the empty figure never shows as a blank plot
    out.add_class("lw-page")
    out.outputs = (
        {"output_type": "display_data", "metadata": {}, "data": {"text/html": f"<style>{static.CSS}</style>"}},
        {"output_type": "display_data", "metadata": {}, "data": {PLOTLY_MIME: {"data": [], "layout": {}}}},
    )
    return out


def headline_widget(items: list[static.Attention]) -> widgets.HTML:
    """What needs attention, first in a panel."""
    return html_widget(static.headline_html(items))


class ResultPanel(widgets.VBox):
    """The base of every panel: the stylesheet and the result's headline come first, and the
    panel displays like its result (the static view where no widget can show, see ``display``).

    Subclasses pass their result and their own children; they add only behaviour.
    """

    def __init__(self, result: Any, children: list[widgets.Widget], **kwargs: Any) -> None:
        from lifecycle_widgets.panels import display

        self.result = result
        head = display.headline_of(result)
        # the panel's title first, then what needs attention, then the rest
        title, rest = (children[:1], children[1:]) if children else ([], [])
        super().__init__(
            [page_widget(), *title, *([headline_widget(head)] if head else []), *rest],
            **kwargs,
        )
        # figures follow JupyterLab's dark theme through the stylesheet (lw.css), scoped to panels
        self.add_class("lw-panel")

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        from lifecycle_widgets.panels import display

        return display.mimebundle(self.result, panel=self)

    def _ipython_display_(self) -> None:
        from lifecycle_widgets.panels import display

        display.show(self.result, panel=self)


def sections_panel(sections: Callable[[Any], list[static.Section]]) -> Callable[[Any], widgets.Widget]:
    """A panel made from a result's static sections: markup as HTML widgets, figures in Output
    widgets, pickers as a drop-down over one Output. For results with little to interact with."""

    def build(result: Any) -> widgets.Widget:
        from lifecycle_widgets.panels import display

        title = html_widget(f"<h2>{static.esc(display.description_of(result).title(result))}</h2>")
        return ResultPanel(result, [title, sections_body(sections(result))])

    return build


def sections_body(sections: list[static.Section]) -> widgets.Widget:
    """Widgets for static sections: markup as HTML widgets, figures in Output widgets, pickers
    as a drop-down over one Output."""
    children: list[widgets.Widget] = []
    for section in sections:
        if section.title:
            children.append(html_widget(f"<h3>{static.short(section.title, 200)}</h3>"))
        for block in section.blocks:
            if isinstance(block, static.HtmlBlock):
                children.append(html_widget(block.html))
            elif isinstance(block, static.FigureBlock):
                children.append(plotly_output(block.figure))
            else:
                children.append(_picker(block))
    return widgets.VBox(children)


def _picker(block: static.PickerBlock) -> widgets.Widget:
    names = list(block.figures)
    pick = widgets.Dropdown(
        options=[(static.cut(n, static.CELL_LIMIT), n) for n in names],
        value=block.default or names[0],
        description=block.label,
    )
    out = plotly_output(block.figures[pick.value])
    pick.observe(lambda ch: show_in(out, block.figures[ch["new"]]), names="value")
    return widgets.VBox([pick, out])
