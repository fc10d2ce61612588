"""Figures of runs, lineage graphs and registry comparisons: result in, ``go.Figure`` out."""

from __future__ import annotations

from typing import Any

import pandas as pd
import plotly.graph_objects as go

from lifecycle_widgets.figures._common import finish, text

HIGHLIGHT, EDGE, NODE_COLORS = (
    "#c23b4f",
    "#c9ced6",
    {"raw": "#3a9e6f", "step": "#e0793a", "column": "#e0a03a", "feature": "#2f6db5", "model": "#7c5bbf"},
)


def _numeric(values: pd.Series) -> pd.Series:
    return pd.to_numeric(values, errors="coerce")


def metric_by_param_figure(
    frame: pd.DataFrame, metric: str, param: str, *, title: str | None = None, template: str | None = None
) -> go.Figure:
    """Mean and standard deviation of ``metric`` for each value of ``param`` (over seeds and other
    parameters), from ``Runs.to_frame()``.

    Examples
    --------
    >>> import pandas as pd
    >>> from lifecycle_widgets.figures import metric_by_param_figure
    >>> frame = pd.DataFrame({"param.depth": ["2", "2", "4"], "metric.auc": [0.8, 0.82, 0.9]})
    >>> fig = metric_by_param_figure(frame, "auc", "depth")
    >>> list(fig.data[0].x), [round(v, 2) for v in fig.data[0].y]
    (['2', '4'], [0.81, 0.9])
    """
    col, value = f"param.{param}", f"metric.{metric}"
    data = frame[[col, value]].dropna()
    grouped = data.groupby(col, sort=True)[value].agg(["mean", "std", "count"]).reset_index()
    numeric = _numeric(grouped[col])
    if numeric.notna().all():
        grouped = grouped.assign(_k=numeric).sort_values("_k")
    fig = go.Figure(
        go.Bar(
            x=[text(v) for v in grouped[col]],
            y=grouped["mean"].tolist(),
            error_y={"type": "data", "array": grouped["std"].fillna(0).tolist()},
            customdata=grouped["count"].tolist(),
            hovertemplate="%{x}: %{y:.4g} ± %{error_y.array:.3g} over %{customdata} runs<extra></extra>",
        )
    )
    return finish(
        fig,
        title=title if title is not None else f"{text(metric)} by {text(param)}",
        template=template,
        xaxis={"type": "category", "title": {"text": text(param)}},
        yaxis_title=text(metric),
    )


def metric_vs_param_figure(
    frame: pd.DataFrame, metric: str, param: str, *, title: str | None = None, template: str | None = None
) -> go.Figure:
    """Every run's ``metric`` against its ``param``."""
    col, value = f"param.{param}", f"metric.{metric}"
    data = frame[["name", col, value]].dropna()
    numeric = _numeric(data[col])
    x = numeric.tolist() if numeric.notna().all() else [text(v) for v in data[col]]
    fig = go.Figure(
        go.Scatter(
            x=x,
            y=data[value].tolist(),
            mode="markers",
            hovertext=[text(n) for n in data["name"]],
            hovertemplate="%{hovertext}: %{y:.4g}<extra></extra>",
        )
    )
    return finish(
        fig,
        title=title if title is not None else f"{text(metric)} against {text(param)}",
        template=template,
        xaxis_title=text(param),
        yaxis_title=text(metric),
    )


def parallel_figure(
    frame: pd.DataFrame,
    metric: str,
    params: list[str],
    *,
    title: str | None = None,
    template: str | None = None,
) -> go.Figure:
    """Parallel coordinates of parameters and one metric, coloured by the metric."""
    dims = []
    for p in params:
        col = frame[f"param.{p}"]
        numeric = _numeric(col)
        if numeric.notna().all():
            dims.append({"label": text(p), "values": numeric.tolist()})
        else:
            codes, levels = pd.factorize(col.astype(str))
            dims.append(
                {
                    "label": text(p),
                    "values": codes.tolist(),
                    "tickvals": list(range(len(levels))),
                    "ticktext": [text(v) for v in levels],
                }
            )
    values = frame[f"metric.{metric}"]
    dims.append({"label": text(metric), "values": values.tolist()})
    fig = go.Figure(
        go.Parcoords(
            line={"color": values.tolist(), "colorscale": "Viridis", "showscale": True}, dimensions=dims
        )
    )
    fig = finish(fig, title=title or "Parameters and metric, one line per run", template=template)
    # parallel coordinates put the dimension names above the plot: leave room for them under the title
    return fig.update_layout(margin={"t": 110, "l": 70, "r": 70})


def step_curves_figure(
    curves: dict[str, list[tuple[int | None, float]]],
    metric: str,
    *,
    title: str | None = None,
    template: str | None = None,
) -> go.Figure:
    """A metric over training steps, one line per run."""
    traces = []
    for name, points in curves.items():
        steps = [s if s is not None else i for i, (s, _) in enumerate(points)]
        traces.append(go.Scatter(x=steps, y=[v for _, v in points], mode="lines+markers", name=text(name)))
    return finish(
        go.Figure(traces),
        title=title if title is not None else f"{text(metric)} by step",
        template=template,
        xaxis_title="step",
        yaxis_title=text(metric),
    )


def lineage_figure(
    lineage: Any, *, highlight: str | None = None, title: str | None = None, template: str | None = None
) -> go.Figure:
    """The lineage graph, layered left (raw columns) to right (model). With ``highlight`` (a
    feature name), the feature's path back to its raw columns is drawn in colour."""
    layers: dict[int, list[Any]] = {}
    for node in lineage.nodes:
        layers.setdefault(node.layer, []).append(node)
    pos = {}
    for layer, nodes in layers.items():
        for i, node in enumerate(nodes):
            pos[node.id] = (layer, (i + 0.5) / len(nodes))
    path = set(lineage.path(f"feature:{highlight}")) if highlight else set()

    def edge_trace(edges: list[Any], color: str, width: float) -> go.Scatter:
        xs: list[float | None] = []
        ys: list[float | None] = []
        for e in edges:
            (x0, y0), (x1, y1) = pos[e.source], pos[e.target]
            xs += [x0, x1, None]
            ys += [y0, y1, None]
        return go.Scatter(
            x=xs,
            y=ys,
            mode="lines",
            line={"color": color, "width": width},
            hoverinfo="skip",
            showlegend=False,
        )

    on_path = [e for e in lineage.edges if e.source in path and e.target in path]
    traces = [edge_trace(list(lineage.edges), EDGE, 1), edge_trace(on_path, HIGHLIGHT, 3)]
    for kind, color in NODE_COLORS.items():
        nodes = [n for n in lineage.nodes if n.kind == kind]
        if not nodes:
            continue
        hover = [
            f"{text(n.label)}<br>{kind}"
            + (f"<br>{text(n.detail)}" if n.detail else "")
            + (f"<br>fingerprint {n.fingerprint[:16]}" if n.fingerprint else "")
            for n in nodes
        ]
        traces.append(
            go.Scatter(
                x=[pos[n.id][0] for n in nodes],
                y=[pos[n.id][1] for n in nodes],
                mode="markers+text",
                text=[text(n.label)[:28] for n in nodes],
                textposition="middle right",
                name=kind,
                marker={
                    "size": 11,
                    "color": [HIGHLIGHT if n.id in path else color for n in nodes],
                    "line": {"width": 1, "color": "#fff"},
                },
                hovertext=hover,
                hovertemplate="%{hovertext}<extra></extra>",
                customdata=[n.id for n in nodes],
            )
        )
    height = min(1600, 160 + 22 * max(len(v) for v in layers.values()))
    return finish(
        go.Figure(traces),
        title=title or "Feature lineage: raw columns to model",
        template=template,
        height=height,
        xaxis={"visible": False, "range": [-0.3, max(layers) + 1.2]},
        yaxis={"visible": False, "range": [-0.02, 1.02]},
        legend={"orientation": "h", "y": -0.02},
    )


def comparison_figure(result: Any, *, title: str | None = None, template: str | None = None) -> go.Figure:
    """Champion and challenger on the comparison's metric, and the difference's 95 % interval.

    Examples
    --------
    >>> from lifecycle_widgets.core.experiments import ChampionChallenger
    >>> from lifecycle_widgets.figures import comparison_figure
    >>> c = ChampionChallenger("m", 1, 2, "auc", 0.93, 0.99, 0.06, 0.03, 0.09, "DeLong", 3.9, 0.0001, 500, "")
    >>> fig = comparison_figure(c)
    >>> list(fig.data[0].y), fig.layout.yaxis.title.text
    ([0.93, 0.99], 'auc (higher is better)')
    """
    fig = go.Figure(
        [
            go.Bar(
                x=[f"champion v{result.champion}", f"challenger v{result.challenger}"],
                y=[result.champion_value, result.challenger_value],
                marker_color=["#8c8c8c", "#2f6db5"],
                name=result.metric,
            ),
        ]
    )
    p = "undefined" if result.p_value is None else f"{result.p_value:.3g}"
    interval = getattr(result, "interval", "") or "95% interval"
    note = (
        f"difference {result.difference:+.4f} ({interval} {result.ci_low:+.4f} to {result.ci_high:+.4f}); "
        f"{result.test} p = {p}"
    )
    direction = "higher" if getattr(result, "higher_is_better", True) else "lower"
    return finish(
        fig,
        title=title if title is not None else note,
        template=template,
        yaxis_title=f"{result.metric} ({direction} is better)",
        xaxis={"type": "category", "title": {"text": "model version"}},
    )
