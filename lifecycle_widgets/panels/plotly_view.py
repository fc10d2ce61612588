"""A panel's interactive figure, light: plotly.js reaches the page once, figures travel as JSON.

Since plotly 6 a ``go.FigureWidget`` is an anywidget whose ``_esm`` state is the whole plotly.js
bundle, so every FigureWidget sends (and a saved notebook stores) about 5 MB. ``PlotlyView`` is
an anywidget of its own whose module is a few hundred bytes: it draws with the ``window.Plotly``
the page already has (in JupyterLab, that of plotly's own extension, which a live panel's first
child makes it evaluate: ``widgets.page_widget``), else with the inert copy a static twin carries
(``html.plotlyjs_script``), and asks the kernel for plotly.js, once per page, only where there is
none. Its state is the figure's JSON; an update sends the new figure, which ``Plotly.react``
redraws in place.

Clicks come back as plotly's own ``Points`` to callbacks registered the FigureWidget way
(``view.data[0].on_click(callback)``), so a panel uses it as it used a FigureWidget. A view
given ``on_drawn`` callbacks numbers its figures and hears from the page when each is drawn.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Callable
from typing import Any

import anywidget
import plotly.graph_objects as go
import traitlets
from plotly.callbacks import Points
from plotly.offline import get_plotlyjs

from lifecycle_widgets.figures._common import as_figure, is_unstyled, template_json
from lifecycle_widgets.panels import html as static

_ESM = """
// The page's plotly.js: JupyterLab's plotly extension sets it once it draws a figure, as the
// panel's first child makes it do (``widgets.page_widget``); it may still be on its way.
const WAIT_MS = 1500;
const HOVER_MS = 250;
function loadFromKernel(model) {
  if (!window.__lwPlotly) {
    window.__lwPlotly = new Promise((resolve) => {
      const onMessage = (msg) => {
        if (!msg || !msg.plotlyjs) return;
        model.off("msg:custom", onMessage);
        const amd = window.define; window.define = undefined;  // plotly.js must set window.Plotly
        const script = document.createElement("script");
        script.textContent = msg.plotlyjs;
        document.head.appendChild(script);
        window.define = amd;
        resolve(window.Plotly);
      };
      model.on("msg:custom", onMessage);
      model.send({type: "need-plotly"});
    });
  }
  return window.__lwPlotly;
}
// The default template, by key: a view shares the copy another view of the page brought (a
// panel's second view carries none), else asks the kernel; without an answer, plotly's own.
const templates = (window.__lwTemplates = window.__lwTemplates || {});
function remember(model) {
  const own = model.get("template");
  if (own && Object.keys(own).length) templates[model.get("template_key")] = own;
}
function template(model) {
  const key = model.get("template_key");
  remember(model);
  if (templates[key] || !key) return templates[key];
  return new Promise((resolve) => {
    const done = (value) => { model.off("msg:custom", onMessage); clearTimeout(timer); resolve(value); };
    const onMessage = (msg) => {
      if (msg && msg.template) done(templates[key] = msg.template);
    };
    const timer = setTimeout(() => done(templates[key]), WAIT_MS);
    model.on("msg:custom", onMessage);
    model.send({type: "need-template"});
  });
}
async function plotly(model) {
  for (let waited = 0; !window.Plotly && waited < WAIT_MS; waited += 50) {
    await new Promise((r) => setTimeout(r, 50));
  }
  if (!window.Plotly && window.__lwPlotlyjs) window.__lwPlotlyjs();  // a static twin's inert copy
  return window.Plotly || loadFromKernel(model);
}
function render({ model, el }) {
  const div = document.createElement("div");
  div.style.width = "100%";
  // a redraw lays out the figure alone, not the page around it (plotly measures text as it
  // draws, and each measure lays out what changed); nothing of a plot is drawn outside its box
  div.style.contain = "content";
  el.appendChild(div);
  let listening = false;
  let drawnHidden = false;  // drawn in a tab not shown: traces need a redraw once it is
  // plotly draws at 700 px where its box has no width yet (a view drawn before the page laid it
  // out); a figure is fitted to its box once drawn, and whenever the box changes
  const fit = () => {
    if (!listening || div.offsetParent === null) return;
    if (drawnHidden) draw();
    // a tab shown again at the width the figure has, or a change of the figure's own height,
    // needs no resize (a redraw 100 ms later)
    else if (!div._fullLayout || Math.round(div._fullLayout.width) !== div.clientWidth) {
      window.Plotly.Plots.resize(div);
    }
  };
  const draw = async () => {
    const Plotly = await plotly(model);
    drawnHidden = div.offsetParent === null;
    const spec = model.get("spec") || {};
    const layout = Object.assign({}, spec.layout || {});
    if (!layout.template) layout.template = await template(model);
    await Plotly.react(div, spec.data || [], layout, spec.config || {});
    if (spec.revision !== undefined) model.send({type: "drawn", revision: spec.revision});
    if (!listening) {
      listening = true;
      div.on("plotly_click", (event) => {
        model.send({type: "click", points: event.points.map((p) => ({
          trace: p.curveNumber, index: p.pointNumber, x: p.x, y: p.y}))});
      });
      let hovered = 0;  // a view with hover callbacks hears of hovers, four a second at most
      div.on("plotly_hover", () => {
        if (!model.get("hover_events") || Date.now() - hovered < HOVER_MS) return;
        hovered = Date.now();
        model.send({type: "hover"});
      });
      fit();  // the box's changes while the first figure was on its way were not heard
    }
  };
  model.on("change:spec", draw);
  const resize = new ResizeObserver(fit);
  resize.observe(el);
  draw();
  return () => {
    model.off("change:spec", draw);
    resize.disconnect();
    if (window.Plotly) window.Plotly.purge(div);
  };
}
export default { initialize: ({ model }) => remember(model), render };
"""


def figure_spec(fig: go.Figure | dict) -> dict[str, Any]:
    """``fig`` as the JSON a front end draws: long strings clipped, number arrays compacted
    (``html.plain_spec``), the default template where the figure has none, plotly's logo off.
    (Not typed arrays: a page reads ``gd.data[i].x`` as a list, as clicks and tests do.)"""
    spec = static.plain_spec(fig)
    layout = spec.setdefault("layout", {})
    if is_unstyled(layout.get("template")):
        layout["template"] = template_json()
    spec["config"] = {"displaylogo": False}  # not "responsive": a figure drawn in a tab not yet
    # laid out would take its 0 px height; the view resizes on its own
    return spec


def template_key() -> str:
    """A short name of the default template's JSON: views of one page share one copy by it."""
    return hashlib.sha1(json.dumps(template_json(), sort_keys=True).encode()).hexdigest()[:16]


class PlotlyView(anywidget.AnyWidget):
    """One interactive plotly figure whose widget state is its JSON, not plotly.js.

    ``data`` and ``layout`` are those of the figure shown (read them, as with a FigureWidget);
    ``show(fig)`` replaces it; clicks reach the callbacks registered with
    ``view.data[i].on_click(callback)``, called as ``callback(trace, points, state)``. Callbacks
    registered with ``view.on_drawn(callback)`` are called as ``callback(revision)`` when a page
    has drawn figure number ``revision`` (``view.revision`` is that of the figure shown). A view
    made with ``share_template=True`` carries no copy of the default template (7 kB): it draws
    with the copy another view brought to the page, as a panel's second view does.

    Examples
    --------
    >>> import plotly.graph_objects as go
    >>> view = PlotlyView(go.Figure(go.Bar(x=["a", "b"], y=[1, 2])))
    >>> view.data[0].y
    (1, 2)
    >>> len(view._esm) < 5_000  # plotly.js is not in the widget's state
    True
    """

    _esm = _ESM
    spec = traitlets.Dict().tag(sync=True)
    # the default template, sent once: figures without a template of their own use it, so an
    # update carries the figure alone; a view made with share_template=True leaves it empty and
    # takes the copy another view brought to the page (by its key), or asks for it
    template = traitlets.Dict().tag(sync=True)
    template_key = traitlets.Unicode().tag(sync=True)
    hover_events = traitlets.Bool(False).tag(sync=True)  # on_hover callbacks are registered

    def __init__(self, fig: go.Figure | dict, *, share_template: bool = False, **kwargs: Any) -> None:
        self.revision = 0  # the figures shown, counted
        self._drawn_callbacks: list[Callable[[int], None]] = []
        self._hover_callbacks: list[Callable[[], None]] = []
        self._template = template_json()
        self._kept: list[list[Callable[..., Any]]] = []  # click callbacks by trace, until read
        # the whole state goes in the widget's opening message, not in one update after it each
        super().__init__(
            spec=self._take(fig),
            template={} if share_template else self._template,
            template_key=template_key(),
            **kwargs,
        )
        self.on_msg(self._on_message)

    @property
    def figure(self) -> go.Figure:
        """The figure shown, as a ``go.Figure`` (from a figure dict shown, built when first read:
        a redraw in place sends the dict's JSON and validates nothing)."""
        if self._figure is None:
            self._figure = self._with_kept(as_figure(copy.deepcopy(self._shown)))
        return self._figure

    @property
    def data(self) -> tuple[Any, ...]:
        return self.figure.data

    @property
    def layout(self) -> go.Layout:
        return self.figure.layout

    def to_json(self) -> str:
        """The figure shown, as plotly JSON."""
        return self.figure.to_json()

    def show(self, fig: go.Figure | dict) -> None:
        """Show ``fig`` (a figure, or a figure dict: plotly JSON) in place of the current figure:
        one message with its JSON. Click callbacks stay with their trace positions."""
        if self._figure is not None:
            self._kept = [list(trace._click_callbacks) for trace in self._figure.data]
        self.revision += 1
        self.spec = self._take(fig)

    def _take(self, fig: go.Figure | dict) -> dict[str, Any]:
        # a figure is copied now (its owner may change it); a dict is read as a Figure if asked;
        # returns the spec to send
        self._shown: dict = fig if isinstance(fig, dict) else {}
        self._figure: go.Figure | None = None if isinstance(fig, dict) else self._with_kept(go.Figure(fig))
        return self._spec(fig if self._figure is None else self._figure)

    def _with_kept(self, fig: go.Figure) -> go.Figure:
        for trace, kept in zip(fig.data, self._kept, strict=False):
            for callback in kept:
                trace.on_click(callback, append=True)
        self._kept = []
        return fig

    def on_drawn(self, callback: Callable[[int], None]) -> None:
        """Call ``callback(revision)`` each time a page reports figure ``revision`` drawn
        (from the next figure shown on: only a view with such callbacks asks the page)."""
        self._drawn_callbacks.append(callback)

    def on_hover(self, callback: Callable[[], None]) -> None:
        """Call ``callback()`` when the pointer moves over the figure's points in a page (at most
        four times a second): a click may follow. Only a view with such callbacks sends them."""
        self._hover_callbacks.append(callback)
        self.hover_events = True

    def _spec(self, fig: go.Figure | dict) -> dict[str, Any]:
        spec = figure_spec(fig)
        if spec["layout"].get("template") == self._template:
            del spec["layout"]["template"]
        if self._drawn_callbacks:  # the page answers with the number once it has drawn it
            spec["revision"] = self.revision
        return spec

    def _on_message(self, _widget: Any, content: dict[str, Any], _buffers: Any) -> None:
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "need-plotly":
            self.send({"plotlyjs": get_plotlyjs()})
        elif kind == "need-template":
            self.send({"template": self._template})
        elif kind == "click":
            self._dispatch_click(content.get("points") or [])
        elif kind == "hover":
            for hovered in list(self._hover_callbacks):
                hovered()
        elif kind == "drawn" and isinstance(content.get("revision"), int):
            for callback in list(self._drawn_callbacks):
                callback(content["revision"])

    def _dispatch_click(self, points: list[dict[str, Any]]) -> None:
        by_trace: dict[int, list[dict[str, Any]]] = {}
        for point in points:
            if isinstance(point.get("trace"), int) and 0 <= point["trace"] < len(self.figure.data):
                by_trace.setdefault(point["trace"], []).append(point)
        for index, picked in by_trace.items():
            trace = self.figure.data[index]
            trace._dispatch_on_click(
                Points(
                    point_inds=[p.get("index") for p in picked],
                    xs=[p.get("x") for p in picked],
                    ys=[p.get("y") for p in picked],
                    trace_name=trace.name,
                    trace_index=index,
                ),
                None,
            )
