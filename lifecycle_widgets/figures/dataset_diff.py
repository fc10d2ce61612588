"""Figures of a dataset diff: result in, ``go.Figure`` out (aggregates only, never rows)."""

from __future__ import annotations

import plotly.graph_objects as go

from lifecycle_widgets.core.dataset_diff import DatasetDiff
from lifecycle_widgets.exceptions import UnknownNameError
from lifecycle_widgets.figures._common import SEVERITY_COLORS, finish, text

MAX_COLUMNS = 40  # columns a per-column figure shows: those that changed most
BEFORE_COLOR, AFTER_COLOR = "#8c8c8c", "#2f6db5"
ROW_COLORS = {
    "removed": SEVERITY_COLORS["high"],
    "added": "#3a9e6f",
    "changed": SEVERITY_COLORS["medium"],
    "unchanged": "#8c8c8c",
}
STATISTICS = {
    "missing share": ("missing_before", "missing_after"),
    "distinct values": ("distinct_before", "distinct_after"),
    "mean": ("mean_before", "mean_after"),
}
"""The statistics :func:`dataset_diff_stats_figure` can show, by name."""


def dataset_diff_rows_figure(
    diff: DatasetDiff, *, title: str | None = None, template: str | None = None
) -> go.Figure:
    """Rows of the two versions matched by key: removed, added, changed and unchanged.

    Examples
    --------
    >>> import pandas as pd
    >>> from lifecycle_widgets.core.dataset_diff import dataset_diff
    >>> d = dataset_diff(pd.DataFrame({"id": [1, 2]}), pd.DataFrame({"id": [2, 3]}))
    >>> list(dataset_diff_rows_figure(d).data[0].x)
    [1, 1, 0, 1]
    """
    counts = {
        "removed": diff.rows_removed,
        "added": diff.rows_added,
        "changed": diff.rows_changed,
        "unchanged": diff.rows_unchanged,
    }
    fig = go.Figure(
        go.Bar(
            x=list(counts.values()),
            y=list(counts),
            orientation="h",
            marker={"color": [ROW_COLORS[k] for k in counts]},
            hovertemplate="%{y}: %{x:,} rows<extra></extra>",
        )
    )
    key = ", ".join(text(k) for k in diff.key)
    return finish(
        fig,
        title=title or f"Rows matched by {key}",
        template=template,
        height=240,
        xaxis={"title": {"text": "rows"}},
        yaxis={"title": {"text": "rows that were"}, "autorange": "reversed"},
    )


def dataset_diff_columns_figure(
    diff: DatasetDiff, *, title: str | None = None, template: str | None = None
) -> go.Figure:
    """Rows whose value changed, per column in both versions (the most changed first).

    Examples
    --------
    >>> import pandas as pd
    >>> from lifecycle_widgets.core.dataset_diff import dataset_diff
    >>> d = dataset_diff(pd.DataFrame({"id": [1, 2], "a": [1, 2], "b": [1, 1]}),
    ...                  pd.DataFrame({"id": [1, 2], "a": [5, 6], "b": [1, 2]}))
    >>> list(dataset_diff_columns_figure(d).data[0].y), list(dataset_diff_columns_figure(d).data[0].x)
    (['a', 'b'], [2, 1])
    """
    cols = sorted(
        (c for c in diff.columns if c.changed_rows is not None and c.column not in diff.key),
        key=lambda c: -(c.changed_rows or 0),
    )[:MAX_COLUMNS]
    common = diff.rows_changed + diff.rows_unchanged
    fig = go.Figure(
        go.Bar(
            x=[c.changed_rows for c in cols],
            y=[text(c.column) for c in cols],
            orientation="h",
            marker={"color": SEVERITY_COLORS["medium"]},
            customdata=[(c.changed_rows or 0) / common if common else 0.0 for c in cols],
            hovertemplate="%{y}: %{x:,} rows changed (%{customdata:.1%} of the rows in both)<extra></extra>",
        )
    )
    return finish(
        fig,
        title=title or "Changed rows per column",
        template=template,
        height=max(240, 60 + 22 * len(cols)),
        xaxis={"title": {"text": "rows whose value changed"}},
        yaxis={"title": {"text": "column"}, "autorange": "reversed", "type": "category"},
    )


def dataset_diff_stats_figure(
    diff: DatasetDiff,
    *,
    statistic: str = "missing share",
    title: str | None = None,
    template: str | None = None,
) -> go.Figure:
    """One statistic of each column before and after (:data:`STATISTICS`: missing share,
    distinct values, mean), the columns whose statistic moved most first.

    Examples
    --------
    >>> import pandas as pd
    >>> from lifecycle_widgets.core.dataset_diff import dataset_diff
    >>> d = dataset_diff(pd.DataFrame({"id": [1, 2], "a": [1, None]}), pd.DataFrame({"id": [1, 2], "a": [1, 2]}))
    >>> fig = dataset_diff_stats_figure(d, statistic="missing share")
    >>> [t.name for t in fig.data], list(fig.data[0].x), list(fig.data[1].x)
    (['before', 'after'], [0.5, 0.0], [0.0, 0.0])
    """
    if statistic not in STATISTICS:
        raise UnknownNameError("statistic", statistic, STATISTICS)
    before, after = STATISTICS[statistic]

    def moved(c: object) -> float:
        a, b = getattr(c, before), getattr(c, after)
        if a is None or b is None:
            return float("inf")  # in one version only: as different as can be
        return abs(b - a) / (abs(a) + abs(b) or 1.0)

    cols = [c for c in diff.columns if getattr(c, before) is not None or getattr(c, after) is not None]
    cols = sorted(cols, key=lambda c: -moved(c))[:MAX_COLUMNS]
    names = [text(c.column) for c in cols]
    fig = go.Figure(
        [
            go.Bar(
                x=[getattr(c, field) for c in cols],
                y=names,
                orientation="h",
                name=label,
                marker={"color": color},
                hovertemplate=f"%{{y}} {label}: %{{x}}<extra></extra>",
            )
            for label, field, color in (("before", before, BEFORE_COLOR), ("after", after, AFTER_COLOR))
        ]
    )
    return finish(
        fig,
        title=title or f"{statistic.capitalize()} before and after",
        template=template,
        height=max(260, 80 + 30 * len(cols)),
        barmode="group",
        xaxis={
            "title": {"text": statistic},
            **({"tickformat": ".0%"} if statistic == "missing share" else {}),
        },
        yaxis={"title": {"text": "column"}, "autorange": "reversed", "type": "category"},
    )
