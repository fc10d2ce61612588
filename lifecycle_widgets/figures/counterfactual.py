"""Figures of counterfactual sets: result in, ``go.Figure`` out."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

from lifecycle_widgets.core.explain.counterfactual_space import value_text
from lifecycle_widgets.figures._common import finish, text

MAX_FEATURES = 20  # features shown per row (the most often changed)


def value_label(value: object) -> str:
    """A feature value as figures and tables show it: numbers to 6 significant digits (the exact
    value is in ``to_frame()``), anything else as its text.

    Examples
    --------
    >>> value_label(0.3323981130772523), value_label(3), value_label(None), value_label("north")
    ('0.332398', '3', 'missing', 'north')
    """
    if isinstance(value, float):
        return f"{value:.6g}"
    return value_text(value)


def changed_features(row: Any, max_features: int = MAX_FEATURES) -> list[str]:
    """The features a row's counterfactuals change, the most often changed first (then by name
    order of first appearance), at most ``max_features``."""
    counts: dict[str, int] = {}
    for cf in row.counterfactuals:
        for f in cf.changes:
            counts[f] = counts.get(f, 0) + 1
    return sorted(counts, key=lambda f: -counts[f])[:max_features]


def counterfactual_figure(
    cfs: Any, row: int = 0, *, title: str | None = None, template: str | None = None
) -> go.Figure:
    """What each counterfactual of one row changes: one bar per changed feature and
    counterfactual, its length the change in MADs (the feature's median absolute deviation, the
    unit of proximity) for a number, 1 for a category; the hover says from what to what.

    ``row`` is a position in ``cfs.rows``.

    Examples
    --------
    >>> from lifecycle_widgets.core.explain.counterfactual_result import (
    ...     CounterfactualExample, CounterfactualSet, RowCounterfactuals)
    >>> cf = CounterfactualExample({"income": 60.0}, "1", 0.6, True, 0.5, 0.5, None, 0.5)
    >>> row = RowCounterfactuals(0, "0", (40.0, 30), "0", 0.7, "class 1", (cf,), None, None, None,
    ...                          None, 100, 0.1)
    >>> cfs = CounterfactualSet("m", "binary", 1, ("income", "age"), ("income", "age"), (),
    ...                         ("income", "age"), (), {}, {"income": 40.0, "age": 5.0}, (row,), 0.1)
    >>> fig = counterfactual_figure(cfs)
    >>> list(fig.data[0].y), list(fig.data[0].x)
    (['income'], [0.5])
    """
    r = cfs.rows[row]
    features = changed_features(r)
    values = dict(zip(cfs.features, r.values, strict=True))
    fig = go.Figure()
    for i, cf in enumerate(r.counterfactuals):
        xs, hover = [], []
        for f in features:
            if f not in cf.changes:
                xs.append(0.0)
                hover.append(f"{text(f)}: unchanged ({text(value_label(values[f]))})")
                continue
            before, after = values[f], cf.changes[f]
            if f in cfs.mad and isinstance(after, int | float) and isinstance(before, int | float):
                xs.append((float(after) - float(before)) / cfs.mad[f])
            else:
                xs.append(1.0)
            hover.append(f"{text(f)}: {text(value_label(before))} → {text(value_label(after))}")
        mark = "" if cf.valid else " (not valid)"
        fig.add_trace(
            go.Bar(
                orientation="h",
                y=[text(f) for f in features],
                x=xs,
                name=f"#{i + 1}{mark}: {text(cf.prediction)}",
                hovertext=hover,
                hovertemplate="%{hovertext}<extra>%{fullData.name}</extra>",
            )
        )
    fig.add_vline(x=0, line={"color": "#999", "width": 1})
    return finish(
        fig,
        title=title or f"What each counterfactual changes (row {text(r.label)}, now {text(r.prediction)})",
        template=template,
        height=max(260, 60 + 26 * len(features) * max(1, min(len(r.counterfactuals), 4)) // 2),
        barmode="group",
        xaxis={
            "title": {"text": "change from the row (MADs; a changed category counts 1)"},
            "zeroline": True,
        },
        yaxis={"title": {"text": "feature"}, "autorange": "reversed"},
        legend={"title": {"text": f"counterfactual (desired: {text(r.desired)})"}},
    )
