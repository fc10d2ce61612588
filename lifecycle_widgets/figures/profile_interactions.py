"""The interaction figure of a profile: any two numeric columns against each other, from the row
sample, as a scatter (at most 5,000 sampled rows) or a 2-D histogram (a larger sample), with the
pair's correlation in the title."""

from __future__ import annotations

import itertools

import plotly.graph_objects as go

from lifecycle_widgets.core.profile_interactions import Interactions
from lifecycle_widgets.core.profiling import DataProfile
from lifecycle_widgets.exceptions import ColumnError
from lifecycle_widgets.figures._common import as_figure, finished_layout, text

__all__ = ["interaction_figure", "interaction_figure_dict"]


def _view(profile: DataProfile, column: str) -> Interactions:
    view = profile.interactions
    if view is None:
        raise ColumnError(
            column, "the profile has no interaction view (fewer than two numeric columns or rows)"
        )
    return view


def _spearman(profile: DataProfile, x: str, y: str) -> float | None:
    for m in profile.correlations:
        if m.method == "spearman" and x in m.columns and y in m.columns:
            return m.value(x, y)
    return None


def interaction_figure(
    profile: DataProfile,
    x: str,
    y: str,
    *,
    max_points: int | None = None,
    title: str | None = None,
    template: str | None = None,
) -> go.Figure:
    """Column ``y`` against column ``x`` on the profile's row sample: every sampled row as a
    point (the first ``max_points`` of them, a uniform subsample, when given), or counts in a
    2-D histogram when the sample is larger than 5,000 rows. The title gives the pair's Pearson
    correlation on the whole sample (and Spearman's, when the profile has it).

    Examples
    --------
    >>> import numpy as np, pandas as pd, lifecycle_widgets as lw
    >>> from lifecycle_widgets.figures import interaction_figure
    >>> x = np.arange(50.0)
    >>> fig = interaction_figure(lw.profile(pd.DataFrame({"x": x, "y": 3 - x})), "x", "y")
    >>> fig.layout.title.text, fig.layout.xaxis.title.text
    ('y against x: Pearson r = -1.00, Spearman ρ = -1.00 (50 sampled rows)', 'x')
    """
    return as_figure(
        interaction_figure_dict(profile, x, y, max_points=max_points, title=title, template=template)
    )


def interaction_figure_dict(
    profile: DataProfile,
    x: str,
    y: str,
    *,
    max_points: int | None = None,
    title: str | None = None,
    template: str | None = None,
) -> dict:
    """:func:`interaction_figure` as a figure dict (plotly JSON, built without plotly)."""
    from lifecycle_widgets.figures.profile import colorscale

    view = _view(profile, x)
    r = view.correlation(x, y)
    rho = _spearman(profile, x, y)
    stats = "Pearson r undefined" if r is None else f"Pearson r = {r:.2f}"
    if rho is not None:
        stats += f", Spearman ρ = {rho:.2f}"
    if view.mode == "scatter":
        xs, ys = view.pair(x, y)
        if max_points is not None and len(xs) > max_points:
            # the sample is in the order of its content-keyed row hashes: any prefix is uniform
            xs, ys = xs[:max_points], ys[:max_points]
        trace = {
            "type": "scatter",
            "x": list(xs),
            "y": list(ys),
            "mode": "markers",
            "marker": {"size": 4, "opacity": 0.5},
            "name": "sampled rows",
            "hovertemplate": f"{text(x)}: %{{x}}<br>{text(y)}: %{{y}}<extra></extra>",
        }
        what = (
            f"{view.sample_rows:,} sampled rows"
            if len(xs) == view.sample_rows
            else f"{len(xs):,} of {view.sample_rows:,} sampled rows shown"
        )
    else:
        ex = view.edges[view.columns.index(x)]
        ey = view.edges[view.columns.index(y)]
        trace = {
            "type": "heatmap",
            "x": [(a + b) / 2 for a, b in itertools.pairwise(ex)],
            "y": [(a + b) / 2 for a, b in itertools.pairwise(ey)],
            "z": [list(row) for row in view.counts(x, y)],
            "colorscale": colorscale("Blues"),
            "colorbar": {"title": {"text": "rows"}},
            "name": "rows",
            "hovertemplate": "x ≈ %{x:.4g}, y ≈ %{y:.4g}: %{z:,} rows<extra></extra>",
        }
        clipped = [c for c in (x, y) if c in view.clipped]
        tails = f"; far tails of {', '.join(text(c) for c in clipped)} in the edge bins" if clipped else ""
        what = f"2-D histogram of {view.sample_rows:,} sampled rows{tails}"
    layout = finished_layout(
        title=title if title is not None else f"{text(y)} against {text(x)}: {stats} ({what})",
        template=template,
        height=420,
        xaxis={"title": {"text": text(x)}},
        yaxis={"title": {"text": text(y)}},
    )
    return {"data": [trace], "layout": layout}
