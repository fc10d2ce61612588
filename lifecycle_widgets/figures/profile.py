"""Figures of a :class:`~lifecycle_widgets.DataProfile`: result in, ``go.Figure`` out.

Every figure is built from the profile's aggregates (histograms, counts, matrices), so its size
depends on the number of columns and bins, never on the number of rows.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import numpy as np
import plotly.graph_objects as go

from lifecycle_widgets.core.profiling import KINDS, ColumnProfile, DataProfile
from lifecycle_widgets.figures._common import SEVERITY_COLORS, finish, text

METHOD_LABELS = {
    "pearson": "Pearson",
    "spearman": "Spearman",
    "cramers_v": "Cramér's V",
    "association": "All pairs (|Spearman|, Cramér's V, eta)",
    "correlation_ratio": "correlation ratio eta",
    "nullity": "Nullity correlation",
}
SIGNED = ("pearson", "spearman", "nullity")


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, tz=UTC).strftime("%Y-%m-%d %H:%M:%S")


def overview_figure(
    profile: DataProfile, *, title: str | None = None, template: str | None = None
) -> go.Figure:
    """Columns by inferred kind, with the share of missing values of each kind.

    Examples
    --------
    >>> import lifecycle_widgets as lw
    >>> from lifecycle_widgets.figures import overview_figure
    >>> fig = overview_figure(lw.profile(lw.datasets.credit(200)))
    >>> sum(fig.data[0].y) == 15
    True
    """
    kinds = [k for k in KINDS if any(c.kind == k for c in profile.columns)]
    counts = [sum(c.kind == k for c in profile.columns) for k in kinds]
    names = ["<br>".join(text(c.name) for c in profile.columns if c.kind == k)[:2000] for k in kinds]
    fig = go.Figure(
        go.Bar(
            x=kinds,
            y=counts,
            hovertext=names,
            name="columns",
            hovertemplate="%{x}: %{y} columns<br>%{hovertext}<extra></extra>",
        )
    )
    return finish(
        fig,
        title=title or "Columns by kind",
        template=template,
        xaxis_title="inferred kind",
        yaxis_title="columns",
    )


def distribution_spec(column: ColumnProfile) -> dict:
    """The bar trace and axis settings that show one column's distribution."""
    hist = column.histogram
    if column.kind in ("numeric", "integer", "datetime") and hist is not None:
        edges = np.asarray(hist.edges)
        centers, widths = (edges[:-1] + edges[1:]) / 2, np.diff(edges)
        if column.kind == "datetime":
            x = [_iso(c) for c in centers]
            widths = widths * 1000.0  # plotly date axes are in milliseconds
            hover = [f"{_iso(a)} – {_iso(b)}" for a, b in itertools.pairwise(edges)]
            axis = "date"
        else:
            x = centers.tolist()
            hover = [f"[{a:.6g}, {b:.6g})" for a, b in itertools.pairwise(edges)]
            axis = "linear"
        y = list(hist.counts)
        note = (
            f" (plus {hist.below:,} below and {hist.above:,} above the range shown)"
            if hist.below or hist.above
            else ""
        )
        return {
            "x": x,
            "y": y,
            "width": widths.tolist(),
            "hovertext": hover,
            "axis": axis,
            "xlabel": text(column.name) + note,
            "ylabel": "rows",
        }
    values = [text(v) for v, _ in column.top_values]
    counts = [n for _, n in column.top_values]
    shown = sum(counts)
    other = column.count - shown
    if other > 0 and column.distinct > len(values):
        values.append(f"(other {column.distinct - len(values):,} values)")
        counts.append(other)
    return {
        "x": values,
        "y": counts,
        "width": None,
        "hovertext": values,
        "axis": "category",
        "xlabel": text(column.name),
        "ylabel": "rows",
    }


def distribution_figure(
    profile: DataProfile, column: str, *, title: str | None = None, template: str | None = None
) -> go.Figure:
    """Histogram of a numeric or datetime column, or bars of a column's most frequent values.

    Examples
    --------
    >>> import lifecycle_widgets as lw
    >>> from lifecycle_widgets.figures import distribution_figure
    >>> prof = lw.profile(lw.datasets.credit(300))
    >>> distribution_figure(prof, "region").data[0].type
    'bar'
    """
    spec = distribution_spec(profile.column(column))
    fig = go.Figure(
        go.Bar(
            x=spec["x"],
            y=spec["y"],
            width=spec["width"],
            hovertext=spec["hovertext"],
            hovertemplate="%{hovertext}: %{y:,}<extra></extra>",
            name="rows",
        )
    )
    return finish(
        fig,
        title=title if title is not None else text(column),
        template=template,
        xaxis={"title": {"text": spec["xlabel"]}, "type": spec["axis"]},
        yaxis_title=spec["ylabel"],
        bargap=0.05,
    )


def missing_figure(
    profile: DataProfile, *, title: str | None = None, template: str | None = None
) -> go.Figure:
    """Share of missing values per column, largest first (columns with none are left out).

    Examples
    --------
    >>> import lifecycle_widgets as lw
    >>> from lifecycle_widgets.figures import missing_figure
    >>> fig = missing_figure(lw.profile(lw.datasets.credit(300)))
    >>> "income" in fig.data[0].y
    True
    """
    cols = sorted((c for c in profile.columns if c.missing), key=lambda c: -c.missing_share)
    shares = [c.missing_share for c in cols]
    fig = go.Figure(
        go.Bar(
            x=shares,
            y=[text(c.name) for c in cols],
            orientation="h",
            customdata=[c.missing for c in cols],
            name="missing",
            hovertemplate="%{y}: %{x:.1%} missing (%{customdata:,} rows)<extra></extra>",
        )
    )
    height = min(1600, 120 + 22 * max(1, len(cols)))
    return finish(
        fig,
        title=title or "Missing values by column",
        template=template,
        height=height,
        xaxis={"title": {"text": "share of rows missing"}, "tickformat": ".0%", "range": [0, 1]},
        yaxis={"autorange": "reversed", "type": "category"},
    )


def correlation_figure(
    profile: DataProfile, *, method: str | None = None, title: str | None = None, template: str | None = None
) -> go.Figure:
    """Heat map of an association matrix; a menu switches between the methods computed.

    Examples
    --------
    >>> import lifecycle_widgets as lw
    >>> from lifecycle_widgets.figures import correlation_figure
    >>> fig = correlation_figure(lw.profile(lw.datasets.credit(300)))
    >>> [t.name for t in fig.data][:3]
    ['Pearson', 'Spearman', "Cramér's V"]
    """
    matrices = list(profile.correlations)
    if method is not None:
        matrices = [m for m in matrices if m.method == method]
    fig = go.Figure()
    for i, m in enumerate(matrices):
        names = [text(c) for c in m.columns]
        symmetric = m.method in SIGNED
        fig.add_trace(
            go.Heatmap(
                z=[[np.nan if v is None else round(v, 4) for v in row] for row in m.values],
                x=names,
                y=names,
                name=METHOD_LABELS[m.method],
                visible=i == 0,
                zmin=-1 if symmetric else 0,
                zmax=1,
                colorscale="RdBu" if symmetric else "Blues",
                reversescale=symmetric,
                hovertemplate="%{y} – %{x}: %{z:.3f}<extra></extra>",
            )
        )
    buttons = [
        {"label": tr.name, "method": "update", "args": [{"visible": [j == i for j in range(len(matrices))]}]}
        for i, tr in enumerate(fig.data)
    ]
    size = max((len(m.columns) for m in matrices), default=1)
    layout: dict = {"yaxis": {"autorange": "reversed"}}
    if len(buttons) > 1:
        layout["updatemenus"] = [
            {
                "buttons": buttons,
                "direction": "down",
                "x": 0.0,  # top left: plotly's toolbar sits top right
                "y": 1.15,
                "xanchor": "left",
                "yanchor": "top",
            }
        ]
    return finish(
        fig,
        title=title or "Correlations",
        template=template,
        height=min(1200, max(360, 160 + 22 * size)),
        **layout,
    )


def target_figure(
    profile: DataProfile, *, title: str | None = None, template: str | None = None
) -> go.Figure:
    """Strength of each column's association with the target, strongest first.

    Examples
    --------
    >>> import lifecycle_widgets as lw
    >>> from lifecycle_widgets.figures import target_figure
    >>> fig = target_figure(lw.profile(lw.datasets.credit(300), target="defaulted"))
    >>> len(fig.data[0].x) > 5
    True
    """
    rows = [a for a in profile.target_association if a.value is not None]
    fig = go.Figure(
        go.Bar(
            x=[text(a.column) for a in rows],
            y=[a.value for a in rows],
            customdata=[METHOD_LABELS.get(a.method, a.method.replace("_", " ")) for a in rows],
            hovertemplate="%{x}: %{y:.3f} (%{customdata})<extra></extra>",
            name="association",
        )
    )
    return finish(
        fig,
        title=title or "Association with the target",
        template=template,
        xaxis={"title": {"text": "column"}, "type": "category"},
        yaxis={"title": {"text": f"association with {text(profile.target)}"}, "range": [0, 1]},
    )


def alerts_figure(
    profile: DataProfile, *, title: str | None = None, template: str | None = None
) -> go.Figure:
    """The quality alerts as a table, most severe first.

    Examples
    --------
    >>> import lifecycle_widgets as lw
    >>> from lifecycle_widgets.figures import alerts_figure
    >>> fig = alerts_figure(lw.profile(lw.datasets.credit(300)))
    >>> fig.data[0].type
    'table'
    """
    alerts = profile.alerts
    colors = [SEVERITY_COLORS[a.severity] for a in alerts]
    fig = go.Figure(
        go.Table(
            columnwidth=[1, 2, 2, 6],
            header={
                "values": ["severity", "alert", "column", "detail"],
                "align": "left",
                "fill_color": "#eef1f5",
                "font": {"size": 13},
            },
            cells={
                "values": [
                    [a.severity for a in alerts],
                    [a.type.replace("_", " ") for a in alerts],
                    [text(" ~ ".join(a.columns) or "(dataset)") for a in alerts],
                    [text(a.message) for a in alerts],
                ],
                "align": "left",
                "font": {"color": [colors, "#333", "#333", "#333"]},
            },
        )
    )
    return finish(
        fig,
        title=title or "Data quality alerts",
        template=template,
        height=min(1200, 120 + 30 * max(1, len(alerts))),
    )
