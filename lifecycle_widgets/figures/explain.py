"""Figures of explanations, bias reports and calibration: result in, ``go.Figure`` out."""

from __future__ import annotations

from typing import Any

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from lifecycle_widgets.core.formatting import fmt_number
from lifecycle_widgets.figures._common import defaults, finish, text

POSITIVE, NEGATIVE, NEUTRAL = "#c23b4f", "#2f6db5", "#8c8c8c"


def importance_figure(exp: Any, *, title: str | None = None, template: str | None = None) -> go.Figure:
    """Mean |SHAP| per feature beside permutation importance with its spread.

    Examples
    --------
    >>> import lifecycle_widgets as lw
    >>> from sklearn.tree import DecisionTreeRegressor
    >>> df = lw.datasets.credit(300)
    >>> X = df[["age", "utilization"]]
    >>> exp = lw.explain(DecisionTreeRegressor(max_depth=3).fit(X, df["income"].fillna(0)), X, max_rows=50)
    >>> from lifecycle_widgets.figures import importance_figure
    >>> importance_figure(exp).data[0].orientation
    'h'
    """
    frame = exp.global_importance()
    names = [text(n) for n in frame.index]
    has_perm = frame["permutation_mean"].notna().any()
    fig = make_subplots(
        rows=1,
        cols=2 if has_perm else 1,
        shared_yaxes=True,
        horizontal_spacing=0.04,
        subplot_titles=("mean |SHAP|", "permutation importance") if has_perm else None,
    )
    fig.add_trace(
        go.Bar(
            x=frame["shap_mean_abs"].tolist(),
            y=names,
            orientation="h",
            name="mean |SHAP|",
            marker_color=NEGATIVE,
        ),
        row=1,
        col=1,
    )
    if has_perm:
        fig.add_trace(
            go.Bar(
                x=frame["permutation_mean"].astype(float).tolist(),
                y=names,
                orientation="h",
                name="permutation",
                marker_color=NEUTRAL,
                error_x={"type": "data", "array": frame["permutation_std"].astype(float).tolist()},
            ),
            row=1,
            col=2,
        )
    fig.update_yaxes(autorange="reversed", type="category")
    return finish(
        fig,
        title=title or "Global importance",
        template=template,
        height=min(1200, 140 + 24 * len(names)),
        showlegend=False,
    )


def class_importance_figure(exp: Any, *, title: str | None = None, template: str | None = None) -> go.Figure:
    """Multiclass: each class's mean |SHAP| per feature, stacked (one bar segment per class).

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn.datasets import load_wine
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> import lifecycle_widgets as lw
    >>> X, y = load_wine(return_X_y=True, as_frame=True)
    >>> exp = lw.explain(RandomForestClassifier(20, random_state=0).fit(X, y), X, max_rows=30)
    >>> from lifecycle_widgets.figures.explain import class_importance_figure
    >>> [trace.name for trace in class_importance_figure(exp).data]
    ['0', '1', '2']
    """
    frame = exp.importance_by_class()
    names = [text(n) for n in frame.index]
    fig = go.Figure(
        [go.Bar(x=frame[c].tolist(), y=names, orientation="h", name=text(c)) for c in frame.columns]
    )
    fig.update_yaxes(autorange="reversed", type="category")
    return finish(
        fig,
        title=title or "Mean |SHAP| by class",
        template=template,
        height=min(1200, 160 + 24 * len(names)),
        barmode="stack",
        xaxis_title=f"mean |SHAP| ({exp.output_space})",
    )


def beeswarm_figure(exp: Any, *, title: str | None = None, template: str | None = None) -> go.Figure:
    """Every explained row's SHAP value per feature, coloured by the feature's value (low to
    high); a point's ``customdata`` is its row, which the panel uses to pick a row on click."""
    values = np.asarray(exp.shap_values)
    order = np.argsort(-np.abs(values).mean(0))
    rng = np.random.default_rng(0)
    xs, ys, colors, rows, hover = [], [], [], [], []
    for rank, j in enumerate(order):
        xs += values[:, j].tolist()
        ys += (rank + rng.uniform(-0.3, 0.3, len(values))).tolist()
        colors += [np.nan if r[j] is None else r[j] for r in exp.feature_scaled]
        rows += list(exp.rows)
        hover += [f"{text(exp.features[j])} = {text(r[j])}" for r in exp.feature_values]
    fig = go.Figure(
        go.Scattergl(
            x=xs,
            y=ys,
            mode="markers",
            customdata=rows,
            hovertext=hover,
            marker={
                # an array, not a list: NaN (a missing value) is not JSON, but a typed array carries it
                "color": np.asarray(colors, dtype=float),
                "colorscale": [[0, NEGATIVE], [1, POSITIVE]],
                "cmin": 0,  # values are scaled to 0..1: the bar's ends are the feature's low and high
                "cmax": 1,
                "size": 5,
                "opacity": 0.7,
                "colorbar": {
                    "title": {"text": "feature<br>value"},
                    "tickvals": [0, 1],
                    "ticktext": ["low", "high"],
                },
            },
            hovertemplate="row %{customdata}: %{hovertext}<br>SHAP %{x:.4f}<extra></extra>",
        )
    )
    return finish(
        fig,
        title=title or "SHAP values of the explained rows",
        template=template,
        height=min(1200, 140 + 28 * len(order)),
        xaxis_title=f"SHAP value ({exp.output_space})",
        yaxis={
            "tickvals": list(range(len(order))),
            "ticktext": [text(exp.features[j]) for j in order],
            "autorange": "reversed",
        },
    )


def dependence_figure(
    exp: Any,
    feature: str,
    *,
    highlight_row: int | None = None,
    title: str | None = None,
    template: str | None = None,
) -> go.Figure:
    """Partial dependence (thick) over the ICE curves of sampled rows (thin)."""
    dep = next((d for d in exp.dependence if d.feature == feature), None)
    if dep is None:
        raise KeyError(
            f"No partial dependence for {feature!r}; computed for {[d.feature for d in exp.dependence]}."
        )
    x = [text(g) for g in dep.grid] if dep.categorical else list(dep.grid)
    traces = [
        go.Scatter(
            x=x,
            y=list(line),
            mode="lines",
            line={"width": 0.7, "color": "rgba(47,109,181,0.25)"},
            hoverinfo="skip",
            showlegend=False,
        )
        for line in dep.ice
    ]
    traces.append(
        go.Scatter(
            x=x,
            y=list(dep.average),
            mode="lines+markers",
            name="partial dependence",
            line={"width": 3, "color": POSITIVE},
        )
    )
    return finish(
        go.Figure(traces),
        title=title if title is not None else f"Partial dependence on {text(feature)}",
        template=template,
        xaxis={"title": {"text": text(feature)}, "type": "category" if dep.categorical else "linear"},
        yaxis_title=_output_label(exp),
        showlegend=False,
    )


def _output_label(exp: Any) -> str:
    if exp.problem_type == "regression":
        return "prediction"
    return f"P({text(exp.explained_class)})"


def cohort_figure(exp: Any, *, title: str | None = None, template: str | None = None) -> go.Figure:
    """Mean |SHAP| per feature in each cohort of rows."""
    order = np.argsort(-np.abs(np.asarray(exp.shap_values)).mean(0))
    names = [text(exp.features[j]) for j in order]
    fig = go.Figure(
        [
            go.Bar(x=names, y=[c.mean_abs_shap[j] for j in order], name=f"{text(c.name)} ({c.size})")
            for c in exp.cohorts
        ]
    )
    return finish(
        fig,
        title=title or "Mean |SHAP| by cohort",
        template=template,
        barmode="group",
        xaxis={"type": "category"},
        yaxis_title="mean |SHAP|",
    )


def waterfall_figure(
    local: Any, *, max_features: int = 12, title: str | None = None, template: str | None = None
) -> go.Figure:
    """SHAP waterfall of one row: from the base value, feature by feature, to the prediction."""
    shown = list(local.shap[:max_features])
    rest = sum(c.attribution for c in local.shap[max_features:])
    labels = [f"{text(c.feature)} = {text(c.value)}" for c in shown]
    deltas = [c.attribution for c in shown]
    if local.shap[max_features:]:
        labels.append(f"{len(local.shap) - max_features} other features")
        deltas.append(rest)
    # the axis spans the path from the base value to the prediction, not from 0: contributions
    # are small beside a base value, and from 0 they would be slivers
    path = np.cumsum([local.base_value, *deltas])
    low, high = float(path.min()), float(path.max())
    pad = 0.08 * (high - low) or 0.05 * max(abs(high), 1e-9)
    prediction = float(path[-1])
    fig = go.Figure(
        go.Waterfall(
            orientation="h",
            y=["base value", *labels, "prediction"],
            x=[local.base_value, *deltas, 0],
            text=[
                fmt_number(local.base_value),
                *(("+" if d > 0 else "") + fmt_number(d, digits=3) for d in deltas),
                fmt_number(prediction),
            ],
            textposition="outside",
            cliponaxis=False,
            measure=["absolute", *["relative"] * len(deltas), "total"],
            increasing={"marker": {"color": POSITIVE}},
            decreasing={"marker": {"color": NEGATIVE}},
            totals={"marker": {"color": NEUTRAL}},
            connector={"line": {"color": "#bbb"}},
        )
    )
    return finish(
        fig,
        title=title if title is not None else f"Row {local.row}: SHAP ({local.output_space})",
        template=template,
        height=min(900, 160 + 26 * (len(labels) + 2)),
        xaxis={
            "range": [low - 2 * pad, high + 2 * pad],
            "title": {"text": f"model output ({local.output_space})"},
        },
        yaxis={"autorange": "reversed", "type": "category", "automargin": True},
    )


def lime_figure(
    local: Any, *, max_features: int = 12, title: str | None = None, template: str | None = None
) -> go.Figure:
    """LIME weights of one row (the local linear model's coefficients)."""
    shown = list(local.lime[:max_features])
    fig = go.Figure(
        go.Bar(
            x=[c.attribution for c in shown],
            y=[f"{text(c.feature)} = {text(c.value)}" for c in shown],
            orientation="h",
            marker_color=[POSITIVE if c.attribution > 0 else NEGATIVE for c in shown],
        )
    )
    return finish(
        fig,
        title=title if title is not None else f"Row {local.row}: LIME (local R² {local.lime_score:.2f})",
        template=template,
        height=min(900, 140 + 26 * len(shown)),
        yaxis={"autorange": "reversed", "type": "category"},
        xaxis_title="weight",
    )


def row_ice_figure(
    exp: Any, local: Any, feature: str, *, title: str | None = None, template: str | None = None
) -> go.Figure:
    """The row's ICE curve for one feature over the partial dependence."""
    ice = next(i for i in local.ice if i.feature == feature)
    dep = next(d for d in exp.dependence if d.feature == feature)
    x = [text(g) for g in ice.grid] if dep.categorical else list(ice.grid)
    fig = go.Figure(
        [
            go.Scatter(
                x=x,
                y=list(dep.average),
                mode="lines",
                name="all rows (partial dependence)",
                line={"color": NEUTRAL, "dash": "dash"},
            ),
            go.Scatter(
                x=x,
                y=list(ice.curve),
                mode="lines+markers",
                name=f"row {local.row}",
                line={"color": POSITIVE, "width": 3},
            ),
        ]
    )
    return finish(
        fig,
        title=title if title is not None else f"Row {local.row}: {text(feature)} (now {text(ice.current)})",
        template=template,
        xaxis={"title": {"text": text(feature)}, "type": "category" if dep.categorical else "linear"},
        yaxis_title=_output_label(exp),
    )


def stability_figure(stability: Any, *, title: str | None = None, template: str | None = None) -> go.Figure:
    """Kendall tau of SHAP and LIME rankings under each kind of variation, side by side."""
    variations = ["seeds", "backgrounds", "perturbations"]
    fig = go.Figure(
        [
            go.Bar(
                x=variations,
                y=[
                    next(s.kendall_tau for s in stability.scores if s.method == m and s.variation == v)
                    for v in variations
                ],
                name=m.upper(),
                marker_color=c,
                customdata=[
                    [next(s.top_k_overlap for s in stability.scores if s.method == m and s.variation == v)]
                    for v in variations
                ],
                hovertemplate="%{x}: tau %{y:.2f}, top-5 overlap %{customdata[0]:.0%}<extra>"
                + m.upper()
                + "</extra>",
            )
            for m, c in (("shap", NEGATIVE), ("lime", POSITIVE))
        ]
    )
    return finish(
        fig,
        title=title if title is not None else f"Stability of row {stability.row}'s explanation",
        template=template,
        barmode="group",
        yaxis={"range": [-1, 1], "title": {"text": "Kendall tau"}},
    )


def bias_figure(report: Any, *, title: str | None = None, template: str | None = None) -> go.Figure:
    """Every bias metric, its value against its ideal (0 for differences, 1 for DI)."""
    metrics = [m for m in report.metrics if m.value is not None]
    fig = go.Figure(
        go.Bar(
            x=[m.value - m.ideal for m in metrics],
            y=[m.name for m in metrics],
            orientation="h",
            customdata=[[m.value, m.description] for m in metrics],
            marker_color=[NEGATIVE if m.stage == "pre_training" else POSITIVE for m in metrics],
            hovertemplate="%{y} = %{customdata[0]:.4f}<br>%{customdata[1]}<extra></extra>",
        )
    )
    facet = " & ".join(text(f) for f in report.facet)
    return finish(
        fig,
        title=title if title is not None else f"Bias by {facet} (distance from the ideal)",
        template=template,
        height=min(900, 140 + 24 * len(metrics)),
        yaxis={"autorange": "reversed", "type": "category"},
        xaxis_title="value − ideal",
    )


def saliency_figure(
    attributions: Any,
    shape: tuple[int, int],
    *,
    image: Any = None,
    title: str | None = None,
    template: str | None = None,
) -> go.Figure:
    """A pixel saliency map: attributions of one image as a heat map (the image beside it).

    Examples
    --------
    >>> import numpy as np
    >>> from lifecycle_widgets.figures import saliency_figure
    >>> saliency_figure(np.arange(64.0), (8, 8)).data[0].type
    'heatmap'
    """
    a = np.asarray(attributions, dtype=float).reshape(shape)
    bound = float(np.abs(a).max()) or 1.0
    cols = 2 if image is not None else 1
    fig = make_subplots(
        rows=1, cols=cols, subplot_titles=("attribution", "image")[:cols] if cols == 2 else None
    )
    fig.add_trace(
        go.Heatmap(z=a.tolist(), zmin=-bound, zmax=bound, colorscale="RdBu", reversescale=True), 1, 1
    )
    if image is not None:
        fig.add_trace(
            go.Heatmap(
                z=np.asarray(image, float).reshape(shape).tolist(), colorscale="Greys", showscale=False
            ),
            1,
            2,
        )
    fig.update_yaxes(autorange="reversed", scaleanchor="x")
    return finish(fig, title=title or "Integrated gradients", template=template, height=defaults.height)
