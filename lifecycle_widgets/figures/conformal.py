"""Figures of conformal prediction results (:class:`Conformal`): result in, ``go.Figure`` out."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

from lifecycle_widgets.core.explain.conformal import Conformal
from lifecycle_widgets.figures._common import SEVERITY_COLORS, finish, text
from lifecycle_widgets.figures.explain import NEGATIVE, NEUTRAL, POSITIVE

__all__ = ["conformal_coverage_figure", "conformal_intervals_figure", "conformal_set_sizes_figure"]

COVERED, MISSED = NEGATIVE, POSITIVE


def _error_bars(values: list[float], lows: list[float], highs: list[float], **style: Any) -> dict[str, Any]:
    """Plotly's asymmetric error bars from each value to its low and its high end."""
    return {
        "type": "data",
        "symmetric": False,
        "array": [h - v for h, v in zip(highs, values, strict=True)],
        "arrayminus": [v - lo for v, lo in zip(values, lows, strict=True)],
        **style,
    }


def conformal_coverage_figure(
    res: Conformal, *, title: str | None = None, template: str | None = None
) -> go.Figure:
    """Coverage of all test rows and of each group (true class, or bin of the prediction), each
    with its binomial interval, against the target (dashed) and the band split conformal
    promises for all rows (shaded).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LinearRegression
    >>> from lifecycle_widgets.core.explain.conformal import conformal
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(900, 1))
    >>> y = X[:, 0] + rng.normal(size=900)
    >>> model = LinearRegression().fit(X[:300], y[:300])
    >>> fig = conformal_coverage_figure(conformal(model, X[300:600], y[300:600], X[600:], y[600:], n_bins=3))
    >>> len(fig.data[0].x), fig.layout.yaxis.title.text
    (4, 'share of rows covered')
    """
    groups = [g for g in res.groups if g.coverage is not None]
    labels = ["all rows"] + [text(g.label) for g in groups]
    values = [res.coverage] + [g.coverage for g in groups]
    lows = [res.coverage_ci[0]] + [g.lower for g in groups]
    highs = [res.coverage_ci[1]] + [g.upper for g in groups]
    counts = [res.n_test] + [g.count for g in groups]
    colors = [
        SEVERITY_COLORS["high"] if hi < res.confidence else NEUTRAL if i else NEGATIVE
        for i, hi in enumerate(highs)
    ]
    fig = go.Figure(
        go.Scatter(
            x=labels,
            y=values,
            mode="markers",
            name="coverage",
            marker={"size": 10, "color": colors},
            error_y=_error_bars(values, lows, highs),
            customdata=list(zip(counts, lows, highs, strict=True)),
            hovertemplate="%{x}: %{y:.3f} (%{customdata[1]:.3f} to %{customdata[2]:.3f}), %{customdata[0]:,} rows<extra></extra>",
        )
    )
    fig.add_hline(
        y=res.confidence, line={"dash": "dash", "color": "#555"}, annotation_text=f"target {res.confidence:g}"
    )
    fig.add_hrect(
        y0=res.expected_band[0], y1=res.expected_band[1], fillcolor=NEGATIVE, opacity=0.12, line_width=0
    )
    floor = min([*lows, res.expected_band[0], res.confidence])
    what = "true class" if res.is_classifier else "bin of the predicted value"
    return finish(
        fig,
        title=title or f"Coverage per {what} ({res.method}, target {res.confidence:g})",
        template=template,
        showlegend=False,
        xaxis={"title": {"text": what}, "type": "category"},
        yaxis={"title": {"text": "share of rows covered"}, "range": [max(0.0, floor - 0.05), 1.01]},
    )


def conformal_intervals_figure(
    res: Conformal, *, title: str | None = None, template: str | None = None
) -> go.Figure:
    """Regression: a sample of test rows (at most 200, evenly spread over the predicted values)
    with their intervals, the true value marked covered or missed.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LinearRegression
    >>> from lifecycle_widgets.core.explain.conformal import conformal
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(900, 1))
    >>> y = X[:, 0] + rng.normal(size=900)
    >>> model = LinearRegression().fit(X[:300], y[:300])
    >>> [t.name for t in conformal_intervals_figure(conformal(model, X[300:600], y[300:600], X[600:], y[600:])).data]
    ['interval', 'covered', 'missed']
    """
    rows = res.sample
    x = [r.y_pred for r in rows]
    fig = go.Figure(
        go.Scatter(
            x=x,
            y=x,
            mode="markers",
            name="interval",
            marker={"size": 3, "color": NEUTRAL},
            error_y=_error_bars(
                x,
                [r.lower for r in rows],
                [r.upper for r in rows],
                color="rgba(140,140,140,0.5)",
                thickness=1,
                width=0,
            ),
            customdata=[[r.lower, r.upper] for r in rows],
            hovertemplate="predicted %{x:.4g}: interval %{customdata[0]:.4g} to %{customdata[1]:.4g}<extra></extra>",
        )
    )
    for name, color, keep in (("covered", COVERED, True), ("missed", MISSED, False)):
        chosen = [r for r in rows if (r.lower <= r.y_true <= r.upper) is keep]
        fig.add_trace(
            go.Scatter(
                x=[r.y_pred for r in chosen],
                y=[r.y_true for r in chosen],
                mode="markers",
                name=name,
                marker={"size": 6, "color": color, "symbol": "circle" if keep else "x"},
                hovertemplate=f"{name}: true %{{y:.4g}}, predicted %{{x:.4g}}<extra></extra>",
            )
        )
    return finish(
        fig,
        title=title or f"Prediction intervals of {len(rows):,} of {res.n_test:,} test rows",
        template=template,
        xaxis={"title": {"text": "predicted value"}},
        yaxis={"title": {"text": "true value and interval"}},
    )


def conformal_set_sizes_figure(
    res: Conformal, *, title: str | None = None, template: str | None = None
) -> go.Figure:
    """Classification: how many test rows got prediction sets of each size, split into sets
    that held the true class and sets that missed it.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from lifecycle_widgets.core.explain.conformal import conformal
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(900, 2))
    >>> y = (X[:, 0] + rng.normal(size=900) > 0).astype(int)
    >>> model = LogisticRegression().fit(X[:300], y[:300])
    >>> [t.name for t in conformal_set_sizes_figure(conformal(model, X[300:600], y[300:600], X[600:], y[600:])).data]
    ['held the true class', 'missed it']
    """
    sizes = [str(s.size) for s in res.set_sizes]
    fig = go.Figure(
        [
            go.Bar(
                x=sizes,
                y=[s.covered for s in res.set_sizes],
                name="held the true class",
                marker_color=COVERED,
                hovertemplate="size %{x}: %{y:,} rows held the true class<extra></extra>",
            ),
            go.Bar(
                x=sizes,
                y=[s.count - s.covered for s in res.set_sizes],
                name="missed it",
                marker_color=MISSED,
                hovertemplate="size %{x}: %{y:,} rows missed the true class<extra></extra>",
            ),
        ]
    )
    return finish(
        fig,
        title=title or f"Prediction set sizes (mean {res.mean_set_size:.3g} of {len(res.classes)} classes)",
        template=template,
        barmode="stack",
        xaxis={"title": {"text": "classes in the prediction set"}, "type": "category"},
        yaxis={"title": {"text": "test rows"}},
    )
