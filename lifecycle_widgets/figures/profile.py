"""Figures of a :class:`~lifecycle_widgets.DataProfile`: result in, ``go.Figure`` out.

Every figure is built from the profile's aggregates (histograms, counts, matrices), so its size
depends on the number of columns and bins, never on the number of rows.
"""

from __future__ import annotations

import functools
import itertools
import json
from datetime import UTC, datetime

import numpy as np
import plotly.graph_objects as go

from lifecycle_widgets.core.profile_compare import ProfileComparison
from lifecycle_widgets.core.profiling import KINDS, ColumnProfile, DataProfile
from lifecycle_widgets.exceptions import ColumnError
from lifecycle_widgets.figures._common import (
    SEVERITY_COLORS,
    as_figure,
    finish,
    finished_layout,
    text,
)

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
    return as_figure(overview_figure_dict(profile, title=title, template=template))


def overview_figure_dict(
    profile: DataProfile, *, title: str | None = None, template: str | None = None
) -> dict:
    """:func:`overview_figure` as a figure dict (plotly JSON, built without plotly)."""
    kinds = [k for k in KINDS if any(c.kind == k for c in profile.columns)]
    counts = [sum(c.kind == k for c in profile.columns) for k in kinds]
    names = ["<br>".join(text(c.name) for c in profile.columns if c.kind == k)[:2000] for k in kinds]
    bar = {
        "type": "bar",
        "x": kinds,
        "y": counts,
        "hovertext": names,
        "name": "columns",
        "hovertemplate": "%{x}: %{y} columns<br>%{hovertext}<extra></extra>",
    }
    yaxis: dict = {"title": {"text": "columns"}}
    if max(counts, default=0) <= 10:
        yaxis["dtick"] = 1  # counts of columns: no half-column ticks
    layout = finished_layout(
        title=title or "Columns by kind",
        template=template,
        xaxis={"title": {"text": "inferred kind"}},
        yaxis=yaxis,
    )
    return {"data": [bar], "layout": layout}


_COLUMN_INDEX: dict[int, tuple[DataProfile, dict[str, ColumnProfile]]] = {}


def column_of(profile: DataProfile, name: str) -> ColumnProfile:
    """``profile.column(name)`` through a name index kept for the last few profiles: a page of
    2,000 columns looks each one up, and a linear search each time was quadratic.

    Examples
    --------
    >>> import lifecycle_widgets as lw
    >>> prof = lw.profile(lw.datasets.credit(300))
    >>> column_of(prof, "age") is prof.column("age")
    True
    """
    entry = _COLUMN_INDEX.get(id(profile))
    if entry is None or entry[0] is not profile:
        if len(_COLUMN_INDEX) >= 8:
            _COLUMN_INDEX.pop(next(iter(_COLUMN_INDEX)))
        entry = (profile, {c.name: c for c in profile.columns})
        _COLUMN_INDEX[id(profile)] = entry
    found = entry[1].get(name)
    return found if found is not None else profile.column(name)


def bar_widths(widths: np.ndarray) -> float | list[float]:
    """The widths of histogram bars: one number where all are equal but for rounding (equal-width
    bins, whose computed widths differ in their last bits), which plotly takes for every bar;
    otherwise the list. A page of 2,000 histograms wrote 0.5 MB of such near-equal widths.

    >>> round(bar_widths(np.diff(np.linspace(0.0, 1.0, 31))), 12)
    0.033333333333
    >>> bar_widths(np.array([1.0, 2.0]))
    [1.0, 2.0]
    """
    if widths.size and np.ptp(widths) <= 1e-9 * np.abs(widths).max():
        return float(np.median(widths))
    return widths.tolist()


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
            # Python floats: formatting numpy's is several times slower (2,000 columns)
            hover = [f"[{a:.6g}, {b:.6g})" for a, b in itertools.pairwise(edges.tolist())]
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
            "width": bar_widths(widths),
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
    """Histogram of a numeric or datetime column, bars of a column's most frequent values, or
    the text view (:func:`text_figure`) of a text, identifier or bytes column.

    Examples
    --------
    >>> import lifecycle_widgets as lw
    >>> from lifecycle_widgets.figures import distribution_figure
    >>> prof = lw.profile(lw.datasets.credit(300))
    >>> distribution_figure(prof, "region").data[0].type
    'bar'
    """
    return as_figure(distribution_figure_dict(profile, column, title=title, template=template))


def distribution_figure_dict(
    profile: DataProfile, column: str, *, title: str | None = None, template: str | None = None
) -> dict:
    """:func:`distribution_figure` as a figure dict (plotly JSON, built without plotly): a page
    of 2,000 columns builds 2,000 of them, and plotly's validation of each took seconds."""
    col = column_of(profile, column)
    if col.kind in TEXT_KINDS and col.text is not None:
        return text_figure_dict(profile, column, title=title, template=template)
    spec = distribution_spec(col)
    bar = {
        "type": "bar",
        "x": spec["x"],
        "y": spec["y"],
        "hovertext": spec["hovertext"],
        "hovertemplate": "%{hovertext}: %{y:,}<extra></extra>",
        "name": "rows",
    }
    if spec["width"] is not None:
        bar["width"] = spec["width"]
    layout = finished_layout(
        title=title if title is not None else text(column),
        template=template,
        xaxis={"title": {"text": spec["xlabel"]}, "type": spec["axis"]},
        yaxis={"title": {"text": spec["ylabel"]}},
        bargap=0.05,
    )
    return {"data": [bar], "layout": layout}


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
    return as_figure(missing_figure_dict(profile, title=title, template=template))


def missing_figure_dict(
    profile: DataProfile, *, title: str | None = None, template: str | None = None
) -> dict:
    """:func:`missing_figure` as a figure dict (plotly JSON, built without plotly)."""
    cols = sorted((c for c in profile.columns if c.missing), key=lambda c: -c.missing_share)
    bar = {
        "type": "bar",
        "x": [c.missing_share for c in cols],
        "y": [text(c.name) for c in cols],
        "orientation": "h",
        "customdata": [c.missing for c in cols],
        "name": "missing",
        "hovertemplate": "%{y}: %{x:.1%} missing (%{customdata:,} rows)<extra></extra>",
    }
    height = min(1600, 120 + 22 * max(1, len(cols)))
    return _dict_figure(
        [bar],
        title=title or "Missing values by column",
        template=template,
        height=height,
        xaxis={"title": {"text": "share of rows missing"}, "tickformat": ".0%", "range": [0, 1]},
        yaxis={"title": {"text": "column"}, "autorange": "reversed", "type": "category"},
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
    return as_figure(correlation_figure_dict(profile, method=method, title=title, template=template))


def correlation_figure_dict(
    profile: DataProfile, *, method: str | None = None, title: str | None = None, template: str | None = None
) -> dict:
    """:func:`correlation_figure` as a figure dict (plotly JSON, built without plotly)."""
    matrices = list(profile.correlations)
    if method is not None:
        matrices = [m for m in matrices if m.method == method]
    traces = []
    for i, m in enumerate(matrices):
        names = [text(c) for c in m.columns]
        symmetric = m.method in SIGNED
        traces.append(
            {
                "type": "heatmap",
                "z": [[None if v is None else round(v, 4) for v in row] for row in m.values],
                "x": names,
                "y": names,
                "name": METHOD_LABELS[m.method],
                "visible": i == 0,
                "zmin": -1 if symmetric else 0,
                "zmax": 1,
                "colorscale": colorscale("RdBu" if symmetric else "Blues"),
                "reversescale": symmetric,
                "hovertemplate": "%{y} – %{x}: %{z:.3f}<extra></extra>",
            }
        )
    buttons = [
        {
            "label": tr["name"],
            "method": "update",
            "args": [{"visible": [j == i for j in range(len(matrices))]}],
        }
        for i, tr in enumerate(traces)
    ]
    size = max((len(m.columns) for m in matrices), default=1)
    layout: dict = {"yaxis": {"autorange": "reversed"}}
    if len(buttons) > 1:
        layout["updatemenus"] = [
            {
                "buttons": buttons,
                "direction": "down",
                # top right, below plotly's toolbar (shown on hover): top left hid the title
                "x": 1.0,
                "y": 1.02,
                "xanchor": "right",
                "yanchor": "bottom",
            }
        ]
    layout["xaxis"] = {"title": {"text": "column"}, "type": "category"}
    layout["yaxis"] = {**layout["yaxis"], "title": {"text": "column"}, "type": "category"}
    return _dict_figure(
        traces,
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
    return as_figure(target_figure_dict(profile, title=title, template=template))


def target_figure_dict(
    profile: DataProfile, *, title: str | None = None, template: str | None = None
) -> dict:
    """:func:`target_figure` as a figure dict (plotly JSON, built without plotly)."""
    rows = [a for a in profile.target_association if a.value is not None]
    bar = {
        "type": "bar",
        "x": [text(a.column) for a in rows],
        "y": [a.value for a in rows],
        "customdata": [METHOD_LABELS.get(a.method, a.method.replace("_", " ")) for a in rows],
        "hovertemplate": "%{x}: %{y:.3f} (%{customdata})<extra></extra>",
        "name": "association",
    }
    return _dict_figure(
        [bar],
        title=title or f"Association with the target ({profile.target_type or 'unknown'} target)",
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


TEXT_KINDS = ("text", "identifier", "binary")


def _dict_figure(traces: list[dict], *, title: str | None, template: str | None, **layout: object) -> dict:
    """A figure dict of ``traces`` with :func:`finish`'s layout (plotly JSON, no plotly)."""
    return {"data": traces, "layout": finished_layout(title=title, template=template, **layout)}


@functools.cache
def _colorscale(name: str) -> str:
    from _plotly_utils.basevalidators import ColorscaleValidator  # no plotly figure classes

    return json.dumps(ColorscaleValidator("colorscale", "heatmap").validate_coerce(name))


def colorscale(name: str) -> list:
    """plotly's named colour scale ``name`` as the list a figure's JSON holds (plotly.py's
    scales, which differ from plotly.js's of the same name).

    >>> colorscale("Blues")[0]
    [0.0, 'rgb(247,251,255)']
    """
    return json.loads(_colorscale(name))


def _panel_axes(n: int, gap: float = 0.08) -> list[tuple[float, float]]:
    width = (1 - gap * (n - 1)) / n
    return [(i * (width + gap), i * (width + gap) + width) for i in range(n)]


def text_figure(
    profile: DataProfile, column: str, *, title: str | None = None, template: str | None = None
) -> go.Figure:
    """The text view of a column: its length distribution, its most frequent words (free text)
    or value patterns (identifiers, codes), and its characters by class; a bytes column shows
    its lengths only. Built from the profile's :class:`~lifecycle_widgets.core.profiling.TextSummary`.

    Examples
    --------
    >>> import lifecycle_widgets as lw
    >>> from lifecycle_widgets.figures.profile import text_figure
    >>> fig = text_figure(lw.profile(lw.datasets.credit(300)), "notes")
    >>> [t.name for t in fig.data]
    ['length', 'words', 'characters']
    """
    return as_figure(text_figure_dict(profile, column, title=title, template=template))


def text_figure_dict(
    profile: DataProfile, column: str, *, title: str | None = None, template: str | None = None
) -> dict:
    """:func:`text_figure` as a figure dict (plotly JSON, built without plotly)."""
    col = column_of(profile, column)
    summary = col.text
    if summary is None:
        raise ColumnError(column, f"has no text statistics (a {col.kind} column)")
    parts: list[tuple[dict, str, str]] = []
    hist = summary.lengths
    if hist is not None:
        edges = np.asarray(hist.edges)
        centers = ((edges[:-1] + edges[1:]) / 2).tolist()
        hover = [f"{np.ceil(a):.0f}–{np.floor(b):.0f}" for a, b in itertools.pairwise(edges)]
        parts.append(
            (
                {
                    "type": "bar",
                    "x": centers,
                    "y": list(hist.counts),
                    "width": np.diff(edges).tolist(),
                    "hovertext": hover,
                    "hovertemplate": "length %{hovertext}: %{y:,}<extra></extra>",
                    "name": "length",
                },
                f"length ({summary.unit})",
                "values",
            )
        )
    if summary.top_words and col.kind == "text":
        words = [text(w) for w, _ in summary.top_words][::-1]
        parts.append(
            (
                {
                    "type": "bar",
                    "x": [n for _, n in summary.top_words][::-1],
                    "y": words,
                    "orientation": "h",
                    "name": "words",
                    "hovertemplate": "%{y}: %{x:,}<extra></extra>",
                },
                "occurrences",
                "word",
            )
        )
    elif summary.patterns:
        parts.append(
            (
                {
                    "type": "bar",
                    "x": [n for _, n in summary.patterns][::-1],
                    "y": [text(p) for p, _ in summary.patterns][::-1],
                    "orientation": "h",
                    "name": "patterns",
                    "hovertemplate": "%{y}: %{x:,}<extra></extra>",
                },
                "values",
                "pattern (A: capital, a: small letter, 9: digit)",
            )
        )
    if summary.character_classes:
        parts.append(
            (
                {
                    "type": "bar",
                    "x": [label for label, _ in summary.character_classes],
                    "y": [n for _, n in summary.character_classes],
                    "name": "characters",
                    "hovertemplate": "%{x}: %{y:,}<extra></extra>",
                },
                "character class",
                "characters",
            )
        )
    traces = []
    layout: dict = {"showlegend": False, "bargap": 0.05}
    for i, ((trace, xlabel, ylabel), domain) in enumerate(zip(parts, _panel_axes(len(parts)), strict=True)):
        suffix = "" if i == 0 else str(i + 1)
        traces.append({**trace, "xaxis": f"x{suffix}", "yaxis": f"y{suffix}"})
        layout[f"xaxis{suffix}"] = {"domain": list(domain), "title": {"text": xlabel}, "anchor": f"y{suffix}"}
        categorical_y = trace.get("orientation") == "h"
        layout[f"yaxis{suffix}"] = {
            "title": {"text": ylabel},
            "anchor": f"x{suffix}",
            **({"type": "category"} if categorical_y else {}),
        }
    sampled = "" if summary.exact else f", from a sample of {summary.values:,} values"
    return _dict_figure(
        traces,
        title=title if title is not None else f"{text(column)} ({col.kind}{sampled})",
        template=template,
        height=380,
        **layout,
    )


def missing_matrix_figure(
    profile: DataProfile, *, title: str | None = None, template: str | None = None
) -> go.Figure:
    """Where values are missing, in table order: one row per block of rows, one column per
    column with missing values, coloured by the share missing (missingno's matrix, from the
    row sample, so its size does not grow with the rows).

    Examples
    --------
    >>> import lifecycle_widgets as lw
    >>> from lifecycle_widgets.figures.profile import missing_matrix_figure
    >>> fig = missing_matrix_figure(lw.profile(lw.datasets.credit(300)))
    >>> list(fig.data[0].x)
    ['income', 'notes']
    """
    return as_figure(missing_matrix_figure_dict(profile, title=title, template=template))


def missing_matrix_figure_dict(
    profile: DataProfile, *, title: str | None = None, template: str | None = None
) -> dict:
    """:func:`missing_matrix_figure` as a figure dict (plotly JSON, built without plotly)."""
    m = profile.missing_matrix
    columns = [text(c) for c in m.columns] if m else []
    shares = [[None if v is None or v != v else v for v in row] for row in m.shares] if m else []
    blocks = len(shares)
    labels = [f"{100 * i / blocks:.0f}–{100 * (i + 1) / blocks:.0f} %" for i in range(blocks)]
    heatmap = {
        "type": "heatmap",
        "z": shares,
        "x": columns,
        "y": labels,
        "zmin": 0,
        "zmax": 1,
        "colorscale": [[0, "#f4f6f9"], [1, "#2f3b4c"]],
        "colorbar": {"title": {"text": "missing"}, "tickformat": ".0%"},
        "hovertemplate": "%{x}, rows %{y} of the table: %{z:.0%} missing<extra></extra>",
        "name": "missing",
    }
    sampled = f" ({m.sample_rows:,} sampled rows)" if m else ""
    return _dict_figure(
        [heatmap],
        title=title or f"Where values are missing, in table order{sampled}",
        template=template,
        height=420,
        xaxis={"title": {"text": "column"}, "type": "category"},
        yaxis={
            "title": {"text": "rows (share of the table, in order)"},
            "autorange": "reversed",
            "type": "category",
        },
    )


def nullity_figure(
    profile: DataProfile, *, title: str | None = None, template: str | None = None
) -> go.Figure:
    """Nullity correlation: +1 where two columns are missing together, -1 where one is missing
    exactly where the other is present (missingno's heat map).

    Examples
    --------
    >>> import lifecycle_widgets as lw
    >>> from lifecycle_widgets.figures.profile import nullity_figure
    >>> fig = nullity_figure(lw.profile(lw.datasets.credit(300)))
    >>> fig.data[0].zmin, fig.data[0].zmax
    (-1, 1)
    """
    return as_figure(nullity_figure_dict(profile, title=title, template=template))


def nullity_figure_dict(
    profile: DataProfile, *, title: str | None = None, template: str | None = None
) -> dict:
    """:func:`nullity_figure` as a figure dict (plotly JSON, built without plotly)."""
    m = profile.nullity_correlation
    names = [text(c) for c in m.columns] if m else []
    values = [[None if v is None or v != v else v for v in row] for row in m.values] if m else []
    heatmap = {
        "type": "heatmap",
        "z": values,
        "x": names,
        "y": names,
        "zmin": -1,
        "zmax": 1,
        "colorscale": colorscale("RdBu"),
        "reversescale": True,
        "hovertemplate": "%{y} – %{x}: %{z:.2f}<extra></extra>",
        "name": "nullity",
    }
    return _dict_figure(
        [heatmap],
        title=title or "Missing together: nullity correlation",
        template=template,
        height=min(1000, max(360, 160 + 22 * len(names))),
        xaxis={"title": {"text": "column"}, "type": "category"},
        yaxis={"title": {"text": "column"}, "type": "category", "autorange": "reversed"},
    )


COMPARISON_METHODS = {
    "kolmogorov_smirnov": "Kolmogorov-Smirnov",
    "jensen_shannon": "Jensen-Shannon",
    "length_kolmogorov_smirnov": "Kolmogorov-Smirnov of lengths",
}


def comparison_figure(
    comparison: ProfileComparison, *, title: str | None = None, template: str | None = None
) -> go.Figure:
    """The distance between the two profiles of each column, largest first.

    Examples
    --------
    >>> import lifecycle_widgets as lw
    >>> from lifecycle_widgets.figures.profile import comparison_figure
    >>> cmp = lw.profile(lw.datasets.credit(500)).compare(lw.profile(lw.datasets.credit_batch(500)))
    >>> fig = comparison_figure(cmp)
    >>> list(fig.data[0].y) == sorted(fig.data[0].y, reverse=True)
    True
    """
    rows = sorted(
        (c for c in comparison.columns if c.distance is not None), key=lambda c: -(c.distance or 0.0)
    )
    fig = go.Figure(
        go.Bar(
            x=[text(c.name) for c in rows],
            y=[c.distance for c in rows],
            customdata=[COMPARISON_METHODS.get(c.method or "", "") for c in rows],
            hovertemplate="%{x}: %{y:.3f} (%{customdata})<extra></extra>",
            name="distance",
        )
    )
    left, right = (text(x) for x in comparison.labels)
    return finish(
        fig,
        title=title or f"Distance per column: {left} vs {right}",
        template=template,
        xaxis={"title": {"text": "column"}, "type": "category"},
        yaxis={"title": {"text": "distance (0 same, 1 disjoint)"}, "range": [0, 1]},
    )


def _shares_spec(col: ColumnProfile) -> dict:
    """A column's distribution as shares of its values: histogram bins, or top values."""
    if col.kind in TEXT_KINDS and col.text is not None and col.text.lengths is not None:
        hist = col.text.lengths
        edges = np.asarray(hist.edges)
        total = max(1, sum(hist.counts) + hist.below + hist.above)
        return {
            "x": ((edges[:-1] + edges[1:]) / 2).tolist(),
            "y": [c / total for c in hist.counts],
            "width": np.diff(edges).tolist(),
            "axis": "linear",
            "xlabel": f"length ({col.text.unit})",
        }
    spec = distribution_spec(col)
    total = max(1, col.count - col.infinite)
    return {**spec, "y": [c / total for c in spec["y"]], "xlabel": spec["xlabel"]}


def comparison_distribution_figure(
    comparison: ProfileComparison, column: str, *, title: str | None = None, template: str | None = None
) -> go.Figure:
    """One column's distribution in both profiles, overlaid as shares of each side's values.

    Examples
    --------
    >>> import lifecycle_widgets as lw
    >>> from lifecycle_widgets.figures.profile import comparison_distribution_figure
    >>> cmp = lw.profile(lw.datasets.credit(500)).compare(lw.profile(lw.datasets.credit_batch(500)))
    >>> [t.name for t in comparison_distribution_figure(cmp, "income").data]
    ['left', 'right']
    """
    return as_figure(comparison_distribution_figure_dict(comparison, column, title=title, template=template))


def comparison_distribution_figure_dict(
    comparison: ProfileComparison, column: str, *, title: str | None = None, template: str | None = None
) -> dict:
    """:func:`comparison_distribution_figure` as a figure dict (plotly JSON, built without plotly)."""
    c = comparison.column(column)
    traces = []
    xlabel, axis = text(column), "linear"
    for profile, label in zip((comparison.left, comparison.right), comparison.labels, strict=True):
        spec = _shares_spec(column_of(profile, column))
        xlabel, axis = spec["xlabel"], spec["axis"]
        bar = {
            "type": "bar",
            "x": spec["x"],
            "y": spec["y"],
            "name": text(label),
            "opacity": 0.6,
            "hovertemplate": f"{text(label)}: " + "%{x}: %{y:.1%}<extra></extra>",
        }
        if spec.get("width") is not None:
            bar["width"] = spec["width"]
        traces.append(bar)
    what = (
        f"{COMPARISON_METHODS[c.method]} {c.distance:.3f}"
        if c.method is not None and c.distance is not None
        else (c.note or "not compared")
    )
    return _dict_figure(
        traces,
        title=title if title is not None else f"{text(column)} ({text(what)})",
        template=template,
        barmode="overlay" if axis != "category" else "group",
        xaxis={"title": {"text": xlabel}, "type": axis},
        yaxis={"title": {"text": "share of values"}, "tickformat": ".0%"},
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 1, "xanchor": "right"},
    )
