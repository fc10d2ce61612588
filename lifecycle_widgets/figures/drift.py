"""Figures of drift reports and timelines: result in, ``go.Figure`` out, from aggregates only."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from lifecycle_widgets.core.drift.check import DriftReport
from lifecycle_widgets.core.drift.monitoring import Timeline
from lifecycle_widgets.core.drift.significance import p_value_text
from lifecycle_widgets.figures._common import SEVERITY_COLORS, defaults, finish, text

BASELINE_COLOR, CURRENT_COLOR = "#8c8c8c", "#2f6db5"


def _p(value: float | None) -> str:
    return "n/a" if value is None else p_value_text(value) if value < 1e-4 else f"= {p_value_text(value)}"


def overlay_figure(
    report: DriftReport, feature: str, *, title: str | None = None, template: str | None = None
) -> go.Figure:
    """Baseline and batch distribution of one feature, side by side, share of rows per bin.

    Examples
    --------
    >>> import lifecycle_widgets as lw
    >>> from lifecycle_widgets.figures import overlay_figure
    >>> base = lw.Baseline.fit(lw.datasets.credit(1000))
    >>> fig = overlay_figure(base.check(lw.datasets.credit_batch(1000)), "region")
    >>> [t.name for t in fig.data]
    ['baseline', 'batch']
    """
    f = report.feature(feature)
    bins = [text(b) for b in f.bins]
    fig = go.Figure(
        [
            go.Bar(
                x=bins,
                y=list(f.baseline_shares),
                name="baseline",
                marker_color=BASELINE_COLOR,
                hovertemplate="%{x}: %{y:.1%} of baseline rows<extra></extra>",
            ),
            go.Bar(
                x=bins,
                y=list(f.current_shares),
                name="batch",
                marker_color=CURRENT_COLOR,
                hovertemplate="%{x}: %{y:.1%} of batch rows<extra></extra>",
            ),
        ]
    )
    verdict = ""
    if f.distance is not None:
        verdict = f" — {f.method} {f.distance:.3f} {'>' if f.effect_exceeded else '≤'} {f.threshold:.3f}"
        if f.p_adjusted is not None:
            noise = "drifted" if f.drifted else "within sampling noise" if f.effect_exceeded else ""
            verdict += f", p {_p(f.p_adjusted)}" + (f" ({noise})" if noise else "")
    return finish(
        fig,
        title=title if title is not None else text(feature) + verdict,
        template=template,
        barmode="group",
        xaxis={"type": "category", "title": {"text": text(feature)}},
        yaxis={"title": {"text": "share of rows"}, "tickformat": ".0%"},
        legend={"orientation": "h", "y": 1.12, "x": 1, "xanchor": "right"},
    )


def drift_overview_figure(
    report: DriftReport, *, title: str | None = None, template: str | None = None
) -> go.Figure:
    """Each compared feature's drift distance over its threshold: red where the feature drifted
    (above 1 and beyond sampling noise), amber where it is above 1 but within sampling noise.

    Examples
    --------
    >>> import lifecycle_widgets as lw
    >>> from lifecycle_widgets.figures import drift_overview_figure
    >>> base = lw.Baseline.fit(lw.datasets.credit(1000))
    >>> fig = drift_overview_figure(base.check(lw.datasets.credit_batch(1000)))
    >>> fig.data[0].x[0] > 1  # the most drifted feature comes first
    True
    """
    rows = sorted(
        (f for f in report.features if f.distance is not None and f.threshold),
        key=lambda f: -(f.distance / f.threshold),
    )
    ratio = [f.distance / f.threshold for f in rows]
    fig = go.Figure(
        go.Bar(
            x=ratio,
            y=[text(f.name) for f in rows],
            orientation="h",
            marker_color=[
                SEVERITY_COLORS["high"]
                if f.drifted
                else SEVERITY_COLORS["medium"]
                if f.effect_exceeded
                else CURRENT_COLOR
                for f in rows
            ],
            customdata=[[f.method, f.distance, f.threshold, _p(f.p_adjusted)] for f in rows],
            hovertemplate=(
                "%{y}: %{customdata[0]} %{customdata[1]:.3f} (threshold %{customdata[2]:.3f}), "
                "adjusted p %{customdata[3]}<extra></extra>"
            ),
        )
    )
    fig.add_vline(x=1, line_dash="dash", line_color="#999")
    return finish(
        fig,
        title=title or "Drift by feature (distance / threshold)",
        template=template,
        height=min(1400, 120 + 24 * max(1, len(rows))),
        xaxis_title="distance / threshold",
        yaxis={"autorange": "reversed", "type": "category", "title": {"text": "feature"}},
    )


def violations_figure(
    report: DriftReport, *, title: str | None = None, template: str | None = None
) -> go.Figure:
    """The violations as a table, most severe first."""
    order = {"high": 0, "medium": 1, "low": 2}
    vs = sorted(report.violations, key=lambda v: order[v.severity])
    fig = go.Figure(
        go.Table(
            columnwidth=[1, 2, 3, 7],
            header={
                "values": ["severity", "feature", "check", "description"],
                "align": "left",
                "fill_color": "#eef1f5",
            },
            cells={
                "values": [
                    [v.severity for v in vs],
                    [text(v.feature_name or "(dataset)") for v in vs],
                    [v.constraint_check_type for v in vs],
                    [text(v.description) for v in vs],
                ],
                "align": "left",
                "font": {"color": [[SEVERITY_COLORS[v.severity] for v in vs]] + ["#333"] * 3},
            },
        )
    )
    return finish(
        fig,
        title=title or "Constraint violations",
        template=template,
        height=min(1200, 120 + 32 * max(1, len(vs))),
    )


def quality_figure(
    report: DriftReport, *, title: str | None = None, template: str | None = None
) -> go.Figure:
    """Model quality of the baseline and the batch, metric by metric."""
    cur = report.model_quality or {}
    base = report.baseline_model_quality or {}
    names = [k for k, v in cur.items() if isinstance(v, int | float) and k != "rows"]
    fig = go.Figure(
        [
            go.Bar(x=names, y=[base.get(k) for k in names], name="baseline", marker_color=BASELINE_COLOR),
            go.Bar(x=names, y=[cur.get(k) for k in names], name="batch", marker_color=CURRENT_COLOR),
        ]
    )
    return finish(fig, title=title or "Model quality: baseline and batch", template=template, barmode="group")


def attribution_figure(
    report: DriftReport, *, title: str | None = None, template: str | None = None
) -> go.Figure:
    """Mean |SHAP| per feature in the baseline and the batch, largest first: a feature that keeps
    its rank but loses most of its weight shows here, where the nDCG does not.

    Examples
    --------
    >>> from lifecycle_widgets.core.drift.check import DriftReport
    >>> report = DriftReport("b", 10, "x", "y", (), (), attribution={"a": 0.07, "b": 0.05},
    ...                      baseline_attribution={"a": 0.3, "b": 0.05})
    >>> [list(t.y) for t in attribution_figure(report).data]
    [[0.3, 0.05], [0.07, 0.05]]
    """
    base, cur = report.baseline_attribution or {}, report.attribution or {}
    names = sorted(base, key=lambda f: -base[f])
    names += [f for f in cur if f not in base]
    flagged = {s.name for s in report.attribution_shifts if s.violated and s.measure == "share"}
    labels = [text(f) + (" ⚠" if f in flagged else "") for f in names]
    fig = go.Figure(
        [
            go.Bar(
                x=labels,
                y=[base.get(f) for f in names],
                name="baseline",
                marker_color=BASELINE_COLOR,
                hovertemplate="%{x}: mean |SHAP| %{y:.4g} in the baseline<extra></extra>",
            ),
            go.Bar(
                x=labels,
                y=[cur.get(f) for f in names],
                name="batch",
                marker_color=CURRENT_COLOR,
                hovertemplate="%{x}: mean |SHAP| %{y:.4g} in the batch<extra></extra>",
            ),
        ]
    )
    ndcg = "" if report.attribution_ndcg is None else f" (ranking nDCG {report.attribution_ndcg:.3f})"
    return finish(
        fig,
        title=title or f"Feature attribution: baseline and batch{ndcg}",
        template=template,
        barmode="group",
        xaxis_title="feature (⚠: its share changed)",
        yaxis_title="mean |SHAP|",
    )


def timeline_heatmap(
    timeline: Timeline, *, title: str | None = None, template: str | None = None
) -> go.Figure:
    """Drift by feature (rows) and batch (columns), as distance over threshold, with a dot where
    the feature drifted (above its threshold and beyond sampling noise); click a cell to see that
    feature's distributions in that batch (in the panel).

    Examples
    --------
    >>> import lifecycle_widgets as lw
    >>> from lifecycle_widgets.figures import timeline_heatmap
    >>> base = lw.Baseline.fit(lw.datasets.credit(1000))
    >>> tl = lw.monitor(base, [lw.datasets.credit_batch(500, drift=False), lw.datasets.credit_batch(500)])
    >>> timeline_heatmap(tl).data[0].type
    'heatmap'
    """
    frame = timeline.distance_frame(relative=True)
    raw = timeline.distance_frame()
    z = frame.to_numpy(dtype=float)
    drifted = timeline.drifted_frame().reindex(index=frame.index, columns=frame.columns)
    fig = go.Figure(
        go.Heatmap(
            z=np.where(np.isnan(z), None, np.round(z, 4)).tolist(),
            x=[text(c) for c in frame.columns],
            y=[text(i) for i in frame.index],
            text=np.where(drifted.fillna(False).to_numpy(dtype=bool), "●", "").tolist(),
            texttemplate="%{text}",
            zmin=0,
            zmax=2,
            colorscale=[[0, "#f4f6f9"], [0.5, "#f2c14e"], [1, "#c23b4f"]],
            customdata=np.where(raw.isna(), None, raw.round(4)).tolist(),
            colorbar={"title": {"text": "distance /<br>threshold"}},
            hovertemplate="%{y} in %{x}: %{z:.2f} x threshold (distance %{customdata})<extra></extra>",
        )
    )
    return finish(
        fig,
        title=title or "Drift by feature and batch",
        template=template,
        height=min(1400, 140 + 26 * max(1, len(frame))),
        xaxis={"type": "category", "title": {"text": "batch"}},
        yaxis={"autorange": "reversed", "type": "category", "title": {"text": "feature"}},
    )


def timeline_violations_figure(
    timeline: Timeline, *, title: str | None = None, template: str | None = None
) -> go.Figure:
    """Violations per batch, stacked by check type."""
    counts = timeline.violation_counts()
    fig = go.Figure(
        [
            go.Bar(x=[text(c) for c in counts.columns], y=counts.loc[kind].tolist(), name=kind)
            for kind in counts.index
        ]
    )
    return finish(
        fig,
        title=title or "Violations per batch",
        template=template,
        barmode="stack",
        xaxis={"type": "category", "title": {"text": "batch"}},
        yaxis_title="violations",
    )


def timeline_quality_figure(
    timeline: Timeline, *, title: str | None = None, template: str | None = None
) -> go.Figure:
    """Model quality metrics over the batches that came with labels."""
    frame = timeline.quality_frame().drop(columns=["rows"], errors="ignore")
    fig = go.Figure(
        [
            go.Scatter(x=[text(i) for i in frame.index], y=frame[c].tolist(), name=c, mode="lines+markers")
            for c in frame.columns
        ]
    )
    return finish(
        fig,
        title=title or "Model quality over time",
        template=template,
        xaxis={"type": "category", "title": {"text": "batch"}},
        yaxis_title="metric",
    )


def feature_over_time_figure(
    timeline: Timeline, feature: str, *, title: str | None = None, template: str | None = None
) -> go.Figure:
    """One feature's distribution in the baseline and in every batch."""
    first = next(r.feature(feature) for r in timeline.reports if feature in {f.name for f in r.features})
    bins = [text(b) for b in first.bins]
    traces = [go.Bar(x=bins, y=list(first.baseline_shares), name="baseline", marker_color=BASELINE_COLOR)]
    colors = defaults.colorway
    for i, r in enumerate(timeline.reports):
        if feature in {f.name for f in r.features}:
            f = r.feature(feature)
            traces.append(
                go.Bar(
                    x=bins, y=list(f.current_shares), name=text(r.label), marker_color=colors[i % len(colors)]
                )
            )
    return finish(
        go.Figure(traces),
        title=title if title is not None else text(feature),
        template=template,
        barmode="group",
        xaxis={"type": "category", "title": {"text": f"{text(feature)}: bin"}},
        yaxis={"tickformat": ".0%", "title": {"text": "share of rows"}},
    )
