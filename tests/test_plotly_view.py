"""The panels' interactive figure: its state is the figure's JSON, plotly.js comes at most once
per page and only on request, and clicks reach FigureWidget-style callbacks."""

from __future__ import annotations

import json

import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

import lifecycle_widgets as lw
from lifecycle_widgets.panels.plotly_view import PlotlyView

PLOTLY_MARKER = "* plotly.js v"


def _state_bytes(widget) -> int:
    state = widget.get_state()
    return len(json.dumps(state, default=str).encode())


def test_the_state_is_the_figure_not_plotlyjs(credit_profile: lw.DataProfile) -> None:
    fig = lw.figures.distribution_figure(credit_profile, "income")
    view = PlotlyView(fig)
    state = json.dumps(view.get_state(), default=str)
    assert PLOTLY_MARKER not in state
    assert _state_bytes(view) < 60_000 < len(get_plotlyjs())
    # plotly's own FigureWidget carries the bundle: the reason for this widget
    assert _state_bytes(go.FigureWidget(fig)) > len(get_plotlyjs()) // 2
    assert view.spec["data"][0]["type"] == fig.data[0].type
    # the default template travels once, beside the figure; a figure's own template stays in it
    assert view.template and "template" not in view.spec["layout"]
    dark = PlotlyView(go.Figure(fig, layout_template="plotly_dark"))
    assert dark.spec["layout"]["template"]["layout"]["paper_bgcolor"] == "rgb(17,17,17)"


def test_plotlyjs_is_sent_only_when_the_page_asks(monkeypatch) -> None:
    view = PlotlyView(go.Figure(go.Bar(x=[1], y=[2])))
    sent: list[dict] = []
    monkeypatch.setattr(view, "send", lambda content, buffers=None: sent.append(content))
    view._on_message(view, {"type": "click", "points": []}, [])
    assert sent == []
    view._on_message(view, {"type": "need-plotly"}, [])
    assert len(sent) == 1 and sent[0]["plotlyjs"].count(PLOTLY_MARKER) == 1


def test_clicks_reach_callbacks_and_survive_updates() -> None:
    view = PlotlyView(go.Figure(go.Scatter(x=[1, 2, 3], y=[4, 5, 6], name="s")))
    seen: list[tuple[int, list]] = []
    view.data[0].on_click(lambda trace, points, state: seen.append((points.trace_index, points.point_inds)))
    view._on_message(view, {"type": "click", "points": [{"trace": 0, "index": 2, "x": 3, "y": 6}]}, [])
    view.show(go.Figure(go.Scatter(x=[1, 2], y=[1, 1])))
    view._on_message(view, {"type": "click", "points": [{"trace": 0, "index": 1}]}, [])
    # hostile or stale messages are ignored, never raised
    view._on_message(view, {"type": "click", "points": [{"trace": 7, "index": 0}, {"trace": "x"}]}, [])
    view._on_message(view, "not a dict", [])
    assert seen == [(0, [2]), (0, [1])]
    assert list(view.data[0].x) == [1, 2] and view.spec["data"][0]["x"] == [1, 2]


def test_a_figure_dict_is_sent_as_it_is_and_read_as_a_figure_only_if_asked() -> None:
    """A redraw from a figure dict (plotly JSON built without plotly) validates nothing: the
    view sends its JSON and builds a ``go.Figure`` only when ``data`` or ``layout`` is read;
    click callbacks registered before stay with their trace."""
    view = PlotlyView(go.Figure(go.Scatter(x=[1, 2], y=[3, 4])))
    seen: list[list] = []
    view.data[0].on_click(lambda trace, points, state: seen.append(points.point_inds))
    spec = {"data": [{"type": "bar", "x": ["a", "b"], "y": [1.5, 2.5]}], "layout": {"title": {"text": "t"}}}
    view.show(spec)
    assert view._figure is None  # nothing built yet
    assert view.spec["data"] == [{"type": "bar", "x": ["a", "b"], "y": [1.5, 2.5]}]
    assert "template" not in view.spec["layout"]  # the default, sent once beside
    assert spec == {
        "data": [{"type": "bar", "x": ["a", "b"], "y": [1.5, 2.5]}],
        "layout": {"title": {"text": "t"}},
    }
    view._on_message(view, {"type": "click", "points": [{"trace": 0, "index": 1}]}, [])
    assert seen == [[1]] and view.data[0].type == "bar" and view.layout.title.text == "t"
    view.data[0].y = (9, 9)  # the Figure read is a copy: the dict shown stays as it was
    assert spec["data"][0]["y"] == [1.5, 2.5]


def test_a_view_may_share_the_template_another_view_brought(monkeypatch) -> None:
    """A panel's second view carries no copy of the default template: the page draws it with the
    copy of the first view (the same key), or asks the kernel for it."""
    first = PlotlyView(go.Figure(go.Bar(x=[1], y=[2])))
    second = PlotlyView({"data": [{"type": "bar", "x": [1], "y": [3]}], "layout": {}}, share_template=True)
    assert second.template == {} and second.template_key == first.template_key and first.template
    assert _state_bytes(first) - _state_bytes(second) > 5_000
    assert "template" not in second.spec["layout"]  # the default: not in each figure either
    sent: list[dict] = []
    monkeypatch.setattr(second, "send", lambda content, buffers=None: sent.append(content))
    second._on_message(second, {"type": "need-template"}, [])
    assert sent == [{"template": first.template}]


def test_hovers_reach_hover_callbacks_only_where_asked_for() -> None:
    """A view sends hovers only once a callback asks for them (``hover_events``, synced)."""
    view = PlotlyView(go.Figure(go.Scatter(x=[1], y=[2])))
    assert view.hover_events is False
    view._on_message(view, {"type": "hover"}, [])  # nobody listens: nothing happens
    seen: list[int] = []
    view.on_hover(lambda: seen.append(1))
    assert view.hover_events is True
    view._on_message(view, {"type": "hover"}, [])
    assert seen == [1]
