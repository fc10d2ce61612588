"""Figures of performance estimates (CBPE, DLE) and multivariate drift: result in, ``go.Figure``
out, one point per chunk, reference chunks first and grey, the data's chunks after them."""

from __future__ import annotations

from collections.abc import Sequence

import plotly.graph_objects as go

from lifecycle_widgets.core.drift.multivariate import MultivariateDrift
from lifecycle_widgets.core.drift.performance_chunks import Thresholds
from lifecycle_widgets.core.drift.performance_estimation import METRIC_LABELS, PerformanceEstimate
from lifecycle_widgets.exceptions import UnknownNameError
from lifecycle_widgets.figures._common import SEVERITY_COLORS, finish, text

REFERENCE_COLOR, ESTIMATE_COLOR, REALIZED_COLOR = "#8c8c8c", "#2f6db5", "#3a9e6f"
BAND_COLOR, THRESHOLD_COLOR = "rgba(47,109,181,0.15)", "#c23b4f"


def _band(
    x: list[str], lower: Sequence[float | None], upper: Sequence[float | None], name: str
) -> list[go.Scatter]:
    """A filled band between ``lower`` and ``upper`` (gaps where either is unknown)."""
    return [
        go.Scatter(x=x, y=list(upper), mode="lines", line={"width": 0}, showlegend=False, hoverinfo="skip"),
        go.Scatter(
            x=x,
            y=list(lower),
            mode="lines",
            line={"width": 0},
            fill="tonexty",
            fillcolor=BAND_COLOR,
            name=name,
            hoverinfo="skip",
        ),
    ]


def _alert_markers(x: list[str], alerts: list[float | None], hover: str) -> list[go.Scatter]:
    """Open red circles on the analysed chunks whose value left the reference's range (none
    when no chunk did)."""
    if all(a is None for a in alerts):
        return []
    marker = {"color": SEVERITY_COLORS["high"], "size": 11, "symbol": "circle-open", "line": {"width": 2}}
    hovertemplate = f"%{{x}}: {hover}<extra></extra>"
    return [go.Scatter(x=x, y=alerts, mode="markers", name="alert", marker=marker, hovertemplate=hovertemplate)]


def _thresholds(x: list[str], thresholds: Thresholds | None) -> list[go.Scatter]:
    out = []
    for name, value in (
        ("upper threshold", None if thresholds is None else thresholds.upper),
        ("lower threshold", None if thresholds is None else thresholds.lower),
    ):
        if value is not None:
            out.append(
                go.Scatter(
                    x=x,
                    y=[value] * len(x),
                    mode="lines",
                    name=name,
                    line={"color": THRESHOLD_COLOR, "dash": "dash", "width": 1},
                    hovertemplate=f"{name}: {value:.4g}<extra></extra>",
                )
            )
    return out


def _split_line(fig: go.Figure, n_reference: int, n_total: int) -> None:
    """A dotted line between the reference's chunks and the data's."""
    if 0 < n_reference < n_total:
        fig.add_vline(x=n_reference - 0.5, line_dash="dot", line_color="#999")


def performance_figure(
    result: PerformanceEstimate, metric: str, *, title: str | None = None, template: str | None = None
) -> go.Figure:
    """One metric chunk by chunk: the estimate with its sampling band (three sampling errors
    each side), the realized value where labels came, the reference's thresholds, and the
    estimates outside them in red.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from lifecycle_widgets.core.drift.performance_estimation import estimate_performance
    >>> X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    >>> model = make_pipeline(StandardScaler(), LogisticRegression()).fit(X[:200], y[:200])
    >>> est = estimate_performance(model, X[200:400].assign(y=y[200:400]), X[400:], target="y",
    ...                            chunk_size=50, metrics=["accuracy"])
    >>> fig = performance_figure(est, "accuracy")
    >>> [t.name for t in fig.data if t.name]
    ['sampling band (±3 SE)', 'reference', 'estimated', 'upper threshold', 'lower threshold']
    """
    if metric not in result.metrics:
        raise UnknownNameError("metric of this estimate", metric, result.metrics)
    label = METRIC_LABELS.get(metric, metric)
    x = [text(c.label) for c in result.chunks]
    values = [c.values[metric] for c in result.chunks]
    ref = [c.period == "reference" for c in result.chunks]
    traces: list[go.Scatter] = _band(
        x, [v.lower for v in values], [v.upper for v in values], "sampling band (±3 SE)"
    )
    custom = [[v.sampling_error, c.rows, c.labelled] for v, c in zip(values, result.chunks, strict=True)]
    hover = "%{x}: %{y:.4g} (sampling error %{customdata[0]:.3g}, %{customdata[1]:,} rows)<extra>%{fullData.name}</extra>"
    for name, keep, color in (("reference", True, REFERENCE_COLOR), ("estimated", False, ESTIMATE_COLOR)):
        traces.append(
            go.Scatter(
                x=x,
                y=[v.estimate if r == keep else None for v, r in zip(values, ref, strict=True)],
                mode="lines+markers",
                name=name,
                line={"color": color},
                customdata=custom,
                hovertemplate=hover,
            )
        )
    if any(v.realized is not None for v, r in zip(values, ref, strict=True) if not r):
        traces.append(
            go.Scatter(
                x=x,
                y=[v.realized for v in values],
                mode="lines+markers",
                name="realized",
                line={"color": REALIZED_COLOR, "dash": "dot"},
                marker={"symbol": "diamond"},
                customdata=custom,
                hovertemplate="%{x}: realized %{y:.4g} (%{customdata[2]:,} labelled rows)<extra></extra>",
            )
        )
    traces += _thresholds(x, result.thresholds.get(metric))
    alerts = [v.estimate if v.alert and not r else None for v, r in zip(values, ref, strict=True)]
    traces += _alert_markers(x, alerts, "estimate %{y:.4g} outside the reference's range")
    fig = go.Figure(traces)
    _split_line(fig, sum(ref), len(ref))
    method = "CBPE" if result.method == "cbpe" else "DLE"
    return finish(
        fig,
        title=title if title is not None else f"{label}: estimated ({method}) and realized, chunk by chunk",
        template=template,
        xaxis={"type": "category", "title": {"text": "chunk"}},
        yaxis={"title": {"text": label}},
        legend={"traceorder": "normal"},
    )


def reconstruction_figure(
    result: MultivariateDrift, *, title: str | None = None, template: str | None = None
) -> go.Figure:
    """Mean PCA reconstruction error per chunk with its sampling band and the reference's
    thresholds; chunks above them in red.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from lifecycle_widgets.core.drift.multivariate import multivariate_drift
    >>> rng = np.random.default_rng(0)
    >>> ref = pd.DataFrame(rng.normal(size=(1000, 3)), columns=list("abc"))
    >>> fig = reconstruction_figure(multivariate_drift(ref, ref[:300], methods="reconstruction", chunk_size=100))
    >>> fig.layout.yaxis.title.text
    'mean reconstruction error'
    """
    x = [text(c.label) for c in result.chunks]
    ref = [c.period == "reference" for c in result.chunks]
    traces: list[go.Scatter] = _band(
        x, [c.lower for c in result.chunks], [c.upper for c in result.chunks], "sampling band (±3 SE)"
    )
    custom = [[c.sampling_error, c.rows] for c in result.chunks]
    for name, keep, color in (("reference", True, REFERENCE_COLOR), ("data", False, ESTIMATE_COLOR)):
        traces.append(
            go.Scatter(
                x=x,
                y=[
                    c.reconstruction_error if r == keep else None
                    for c, r in zip(result.chunks, ref, strict=True)
                ],
                mode="lines+markers",
                name=name,
                line={"color": color},
                customdata=custom,
                hovertemplate="%{x}: %{y:.4g} (sampling error %{customdata[0]:.3g}, %{customdata[1]:,} rows)<extra></extra>",
            )
        )
    traces += _thresholds(x, result.reconstruction_thresholds)
    alerts = [
        c.reconstruction_error if c.reconstruction_alert and not r else None
        for c, r in zip(result.chunks, ref, strict=True)
    ]
    traces += _alert_markers(x, alerts, "%{y:.4g} outside the reference's range")
    fig = go.Figure(traces)
    _split_line(fig, sum(ref), len(ref))
    return finish(
        fig,
        title=title if title is not None else "Data reconstruction error (PCA), chunk by chunk",
        template=template,
        xaxis={"type": "category", "title": {"text": "chunk"}},
        yaxis={"title": {"text": "mean reconstruction error"}},
        legend={"traceorder": "normal"},
    )


def domain_classifier_figure(
    result: MultivariateDrift, *, title: str | None = None, template: str | None = None
) -> go.Figure:
    """The domain classifier's cross-validated ROC AUC per chunk of the data: 0.5 where it
    cannot tell the chunk from the reference, red bars above the threshold.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from lifecycle_widgets.core.drift.multivariate import multivariate_drift
    >>> rng = np.random.default_rng(0)
    >>> ref = pd.DataFrame(rng.normal(size=(600, 2)), columns=["a", "b"])
    >>> fig = domain_classifier_figure(multivariate_drift(ref, {"later": ref[:100] + 1.0}, methods="domain_classifier"))
    >>> fig.data[0].marker.color
    ('#c23b4f',)
    """
    chunks = [c for c in result.analysis if c.domain_auc is not None]
    x = [text(c.label) for c in chunks]
    fig = go.Figure(
        go.Bar(
            x=x,
            y=[c.domain_auc for c in chunks],
            name="ROC AUC",
            marker_color=[SEVERITY_COLORS["high"] if c.domain_alert else ESTIMATE_COLOR for c in chunks],
            customdata=[[c.rows] for c in chunks],
            hovertemplate="%{x}: ROC AUC %{y:.3f} (%{customdata[0]:,} rows)<extra></extra>",
        )
    )
    if result.domain_threshold is not None:
        fig.add_hline(
            y=result.domain_threshold,
            line_dash="dash",
            line_color=THRESHOLD_COLOR,
            annotation_text=f"threshold {result.domain_threshold:.2f}",
        )
    fig.add_hline(y=0.5, line_dash="dot", line_color="#999", annotation_text="no drift (0.5)")
    return finish(
        fig,
        title=title if title is not None else "Domain classifier: can it tell the chunk from the reference?",
        template=template,
        xaxis={"type": "category", "title": {"text": "chunk"}},
        yaxis={"title": {"text": "cross-validated ROC AUC"}, "range": [0.0, 1.0]},
    )
