"""Figures of explanations, bias reports and calibration: result in, ``go.Figure`` out."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from lifecycle_widgets.core.formatting import fmt_number
from lifecycle_widgets.exceptions import ParameterError
from lifecycle_widgets.figures._common import as_figure, defaults, finish, finished_layout, text

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
    fig.update_yaxes(title_text="feature", row=1, col=1)
    fig.update_xaxes(title_text=f"mean |SHAP| ({exp.output_space})", row=1, col=1)
    if has_perm:
        fig.update_xaxes(title_text="drop in score when shuffled", row=1, col=2)
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
        yaxis_title="feature",
        legend_title_text="class",
    )


BEESWARM_FEATURES = 20  # rows of a beeswarm, as in shap's summary plot: the rest are summed in the last


def beeswarm_figure(
    exp: Any, *, max_features: int = BEESWARM_FEATURES, title: str | None = None, template: str | None = None
) -> go.Figure:
    """Every explained row's SHAP value per feature, coloured by the feature's value (low to
    high); a point's ``customdata`` is its row, which the panel uses to pick a row on click.

    The ``max_features - 1`` most important features get a row each; beyond ``max_features``
    features, the last row (grey) is each explained row's sum over all the others, as in shap's
    own beeswarm: 270 features would be 4 px a row, and 1.35 million points (60 MB) for 5,000 rows.
    """
    if isinstance(max_features, bool) or not isinstance(max_features, int) or max_features < 2:
        raise ParameterError.bad_value("max_features", "beeswarm_figure", "an int of at least 2", max_features)
    values = np.asarray(exp.shap_values, dtype=float).reshape(len(exp.rows), len(exp.features))
    order = np.argsort(-np.abs(values).mean(0))
    shown = order if len(order) <= max_features else order[: max_features - 1]
    rest = order[len(shown) :]
    n, k = values.shape[0], len(shown)
    # one feature after another, most important first: whole columns at once, not point by point
    jitter = np.random.default_rng(0).uniform(-0.3, 0.3, (k + (1 if rest.size else 0), n))
    scaled = np.array(exp.feature_scaled, dtype=float).reshape(n, len(exp.features))  # None -> nan
    columns = list(zip(*exp.feature_values, strict=True)) if n else []
    hover: list[str] = []
    for j in shown.tolist():
        hover += _hover_column(text(exp.features[j]) + " = ", columns[j])
    fig = go.Figure(
        go.Scattergl(
            # arrays, not lists: plotly checks a list element by element (seconds for 100,000
            # points), an array at once
            x=values[:, shown].T.ravel(),
            y=(np.arange(k)[:, None] + jitter[:k]).ravel(),
            mode="markers",
            customdata=np.tile(np.asarray(exp.rows), k),
            hovertext="",  # its place among the trace's keys; the texts are set below
            marker={
                # an array, not a list: NaN (a missing value) is not JSON, but a typed array carries it
                "color": scaled[:, shown].T.ravel(),
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
    # set on the figure's own trace, once it is built: go.Figure deep-copies the traces it is
    # given, and a deep copy of an array of 100,000 strings copies them one by one
    fig.data[0].hovertext = np.asarray(hover, dtype=object)
    ticktext = [text(exp.features[j]) for j in shown]
    if rest.size:
        other = f"{rest.size} other features"
        fig.add_trace(
            go.Scattergl(
                x=values[:, rest].sum(1),
                y=k + jitter[k],
                mode="markers",
                customdata=np.asarray(exp.rows),
                marker={"color": NEUTRAL, "size": 5, "opacity": 0.7},
                hovertemplate=f"row %{{customdata}}: sum of the {other}<br>SHAP %{{x:.4f}}<extra></extra>",
                showlegend=False,
            )
        )
        ticktext.append(other)
        fig.update_traces(showlegend=False)
    return finish(
        fig,
        title=title or "SHAP values of the explained rows",
        template=template,
        height=min(1200, 140 + 28 * len(ticktext)),
        xaxis_title=f"SHAP value ({exp.output_space})",
        yaxis={
            "tickvals": list(range(len(ticktext))),
            "ticktext": ticktext,
            "autorange": "reversed",
            "title": {"text": "feature"},
        },
    )


def _hover_column(prefix: str, values: tuple[Any, ...]) -> list[str]:
    """``prefix`` + each value escaped as :func:`text` escapes it: one check of the whole column
    first, since most columns hold nothing to escape."""
    values_text = values if set(map(type, values)) <= {str} else [str(v) for v in values]
    joined = "".join(values_text)
    if "&" in joined or "<" in joined or ">" in joined:
        return [prefix + text(v) for v in values_text]
    return list(map(prefix.__add__, values_text))


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
        xaxis={"type": "category", "title": {"text": "feature"}},
        yaxis_title=f"mean |SHAP| ({exp.output_space})",
        legend_title_text="cohort (rows)",
    )


def waterfall_figure(
    local: Any, *, max_features: int = 12, title: str | None = None, template: str | None = None
) -> go.Figure:
    """SHAP waterfall of one row: bars start at the base value (the mean output over the
    background, marked by a dashed line) and add each feature's contribution, labelled, up to the
    output ``f(x)``. The axis spans that path, not 0 (contributions are small beside a base
    value). All values are in the SHAP values' space, named on the axis; for log-odds, the
    probability ``f(x)`` stands for is written beside it.

    Examples
    --------
    >>> from lifecycle_widgets.core.explain.counterfactual import Counterfactual
    >>> from lifecycle_widgets.core.explain.explanation import Contribution, LocalExplanation
    >>> local = LocalExplanation(0, 0.7, "1", None, 0.5, "probability",
    ...     (Contribution("age", "40", 0.15), Contribution("income", "9000", 0.05)), (), 0.0, 0.0,
    ...     Counterfactual(False), ())
    >>> fig = waterfall_figure(local)
    >>> fig.data[0].base, list(fig.data[0].text)
    (0.5, ['+0.15', '+0.05', '0.7'])
    """
    return as_figure(waterfall_figure_dict(local, max_features=max_features, title=title, template=template))


def waterfall_figure_dict(
    local: Any, *, max_features: int = 12, title: str | None = None, template: str | None = None
) -> dict:
    """:func:`waterfall_figure` as a figure dict (plotly JSON, built without plotly: a click in
    a live panel redraws it, and plotly's validation took 40 ms of the click's 45).

    ``local`` needs ``row``, ``shap`` (contributions, largest first), ``base_value`` and
    ``output_space``: a :class:`LocalExplanation`, or the part of it drawn before the rest.
    """
    shown = list(local.shap[:max_features])
    rest = sum(c.attribution for c in local.shap[max_features:])
    labels = [f"{text(c.feature)} = {text(c.value)}" for c in shown]
    deltas = [float(c.attribution) for c in shown]
    if local.shap[max_features:]:
        labels.append(f"{len(local.shap) - max_features} other features")
        deltas.append(float(rest))
    path = np.cumsum([local.base_value, *deltas])
    low, high = float(path.min()), float(path.max())
    pad = 0.08 * (high - low) or 0.05 * max(abs(high), 1e-9)
    output = float(path[-1])
    space = local.output_space
    total_label = "f(x)" if local.output_space in ("log-odds", "logit") else "prediction"
    total_text = fmt_number(output)
    if local.output_space == "log-odds":
        total_text += f" (P = {fmt_number(1 / (1 + np.exp(-output)), digits=3)})"
    base = float(local.base_value)
    trace = {
        "type": "waterfall",
        "orientation": "h",
        "y": [*labels, total_label],
        "x": [*deltas, 0],
        "base": base,
        "text": [*(("+" if d > 0 else "") + fmt_number(d, digits=3) for d in deltas), total_text],
        "textposition": "outside",
        "cliponaxis": False,
        "measure": [*["relative"] * len(deltas), "total"],
        "increasing": {"marker": {"color": POSITIVE}},
        "decreasing": {"marker": {"color": NEGATIVE}},
        "totals": {"marker": {"color": NEUTRAL}},
        "connector": {"line": {"color": "#bbb"}},
        "hovertemplate": "%{y}: %{text}<extra></extra>",
    }
    layout = finished_layout(
        title=title if title is not None else f"Row {local.row}: SHAP contributions ({space})",
        template=template,
        height=min(900, 180 + 26 * (len(labels) + 1)),
        # the dashed base line with its label, as add_vline draws it (in a tenth of the time)
        shapes=[
            {
                "type": "line",
                "x0": base,
                "x1": base,
                "xref": "x",
                "y0": 0,
                "y1": 1,
                "yref": "y domain",
                "line": {"dash": "dash", "color": NEUTRAL, "width": 1},
            }
        ],
        annotations=[
            {
                "text": f"base value {fmt_number(local.base_value)}",
                "x": base,
                "xref": "x",
                "xanchor": "center",
                "y": 1.0,
                "yref": "y domain",
                "yanchor": "bottom",
                "showarrow": False,
            }
        ],
        xaxis={
            "range": [low - 2.5 * pad, high + 2.5 * pad],
            "title": {"text": f"model output ({space})"},
            # its labels lie inside the figure: plotly need not measure each one to hide those past
            # its edge (a fifth of a redraw in JupyterLab, where every measure lays out the page)
            "ticklabeloverflow": "allow",
        },
        yaxis={
            "autorange": "reversed",
            "type": "category",
            "automargin": True,
            "title": {"text": "feature = value"},
        },
        margin={"l": _label_margin([*labels, total_label]), "r": 40, "t": 80, "b": 50},
    )
    layout.setdefault("title", {})  # an empty title given, as plotly writes it
    return {"data": [trace], "layout": layout}


def _label_margin(labels: list[str]) -> int:
    """A left margin that holds the labels (about 7 px a character at plotly's 12 px font) and
    the axis title: the axis' automargin then has nothing to push, so plotly draws the figure in
    one pass, not two (a redraw in place costs half as much); a longer label still gets its room."""
    return min(320, 45 + 7 * max((len(label) for label in labels), default=0))


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
        yaxis={"autorange": "reversed", "type": "category", "title": {"text": "feature = value"}},
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
        xaxis_title="what varied",
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
        yaxis={"autorange": "reversed", "type": "category", "title": {"text": "metric"}},
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


def _numbers(values: list[str]) -> np.ndarray | None:
    """The feature's values as floats, or None when some are not numbers (categories)."""
    try:
        return np.array([float(v) for v in values])
    except ValueError:
        return None


def shap_dependence_figure(
    exp: Any,
    feature: str,
    *,
    color: str | None = "auto",
    title: str | None = None,
    template: str | None = None,
) -> go.Figure:
    """SHAP dependence plot: each explained row's SHAP value of ``feature`` against the feature's
    value, coloured by the feature that most modulates it (``color="auto"``: the strongest by
    :meth:`Explanation.strongest_interaction`; a feature name; or None for one colour). Vertical
    spread at one value is what other features add.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import lifecycle_widgets as lw
    >>> from sklearn.ensemble import GradientBoostingRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame(rng.uniform(-1, 1, (400, 3)), columns=["x1", "x2", "x3"])
    >>> model = GradientBoostingRegressor(random_state=0).fit(X, X.x1 * X.x2 + X.x3)
    >>> fig = shap_dependence_figure(lw.explain(model, X, max_rows=200), "x1")
    >>> fig.data[0].marker.colorbar.title.text
    'x2'
    """
    if feature not in exp.features:
        raise KeyError(f"No SHAP values for {feature!r}; features are {list(exp.features)[:20]}.")
    j = exp.features.index(feature)
    values = [row[j] for row in exp.feature_values]
    shap = [row[j] for row in exp.shap_values]
    numbers = _numbers(values)
    partner = exp.strongest_interaction(feature) if color == "auto" else color
    if partner is not None and partner not in exp.features:
        raise KeyError(
            f"color: {partner!r} is not an explained feature; features are {list(exp.features)[:20]}"
        )
    marker: dict[str, Any] = {"size": 6, "opacity": 0.75, "color": NEGATIVE}
    # a plot needs no more digits than this, and the page carries one number per row and axis
    shap = [float(f"{v:.4g}") for v in shap]
    # arrays, not lists, for the figure: plotly checks a list item by item (a customdata list of
    # 5,000 pairs took a quarter of a second), an array at once; the figure's JSON is the same
    customdata = np.asarray(exp.rows, dtype=int).reshape(-1, 1)
    hover = f"row %{{customdata[0]}}: {text(feature)} = %{{x}}"
    if partner is not None:
        k = exp.features.index(partner)
        scaled = [np.nan if row[k] is None else round(row[k], 4) for row in exp.feature_scaled]
        marker.update(
            color=np.asarray(scaled, dtype=float),
            colorscale=[[0, NEGATIVE], [1, POSITIVE]],
            cmin=0,
            cmax=1,
            colorbar={"title": {"text": text(partner)}, "tickvals": [0, 1], "ticktext": ["low", "high"]},
        )
        customdata = np.empty((len(exp.rows), 2), dtype=object)
        customdata[:, 0] = exp.rows
        customdata[:, 1] = [text(row[k]) for row in exp.feature_values]
        hover += f"<br>{text(partner)} = %{{customdata[1]}}"
    fig = go.Figure(
        go.Scattergl(
            x=numbers if numbers is not None else np.asarray([text(v) for v in values], dtype=object),
            y=np.asarray(shap, dtype=float),
            mode="markers",
            marker=marker,
            customdata=customdata,
            hovertemplate=hover + "<br>SHAP %{y}<extra></extra>",
        )
    )
    colored = (
        f", coloured by {text(partner)}"
        if partner is not None
        else " (no feature modulates it)"
        if color == "auto"
        else ""
    )
    return finish(
        fig,
        title=title if title is not None else f"SHAP dependence of {text(feature)}{colored}",
        template=template,
        xaxis={"title": {"text": text(feature)}, "type": "linear" if numbers is not None else "category"},
        yaxis_title=f"SHAP value of {text(feature)} ({exp.output_space})",
    )


def ale_figure(
    effects: Any,
    *,
    dependence: Any = None,
    title: str | None = None,
    template: str | None = None,
) -> go.Figure:
    """Accumulated local effects of one numeric feature (thick), with the partial dependence
    centred on its mean (dashed) when given, and the rows per bin as low bars at the bottom; where
    the two curves part, the feature is correlated with others and ALE is the one to read.

    Examples
    --------
    >>> from lifecycle_widgets.core.explain.ale import AccumulatedEffects
    >>> fig = ale_figure(AccumulatedEffects("age", (20.0, 40.0, 60.0), (-1.0, 0.0, 1.0), (5, 5)))
    >>> [trace.name for trace in fig.data], fig.layout.yaxis.title.text
    (['ALE', 'rows per bin'], 'effect on prediction (centred)')
    """
    edges = list(effects.edges)
    traces = [
        go.Scatter(
            x=edges,
            y=list(effects.effect),
            mode="lines+markers",
            name="ALE",
            line={"width": 3, "color": POSITIVE},
        )
    ]
    if dependence is not None and not dependence.categorical:
        average = np.asarray(dependence.average, dtype=float)
        traces.append(
            go.Scatter(
                x=list(dependence.grid),
                y=(average - average.mean()).tolist(),
                mode="lines",
                name="partial dependence (centred)",
                line={"width": 2, "dash": "dash", "color": NEUTRAL},
            )
        )
    middles = [(a + b) / 2 for a, b in itertools.pairwise(edges)]
    traces.append(
        go.Bar(
            x=middles,
            y=list(effects.counts),
            width=[b - a for a, b in itertools.pairwise(edges)],
            name="rows per bin",
            yaxis="y2",
            marker={"color": "rgba(140,140,140,0.25)"},
            hovertemplate="%{y} rows<extra></extra>",
        )
    )
    return finish(
        go.Figure(traces),
        title=title if title is not None else f"Accumulated local effects of {text(effects.feature)}",
        template=template,
        xaxis_title=text(effects.feature),
        yaxis={"title": {"text": f"effect on {text(effects.output)} (centred)"}},
        yaxis2={
            "overlaying": "y",
            "side": "right",
            "showgrid": False,
            "title": {"text": "rows"},
            "range": [0, 4 * max(max(effects.counts), 1)],  # the rug fills the bottom quarter,
            # labelled at its floor and its tallest bar: ticks in step with the effect's grid
            # read as counts like 13.7 and 179.1, above any bar
            "tickmode": "array",
            "tickvals": [0, max(effects.counts)],
        },
        legend={"orientation": "h", "y": -0.25},
    )


def pair_dependence_figure(pair: Any, *, title: str | None = None, template: str | None = None) -> go.Figure:
    """Two-feature partial dependence as a heat map with contour lines: the mean output with the
    first feature on x and the second on y; the title gives the share of it that is interaction.

    Examples
    --------
    >>> from lifecycle_widgets.core.explain.global_ import PairDependence
    >>> pair = PairDependence(("a", "b"), (False, False), (0.0, 1.0), (0.0, 1.0),
    ...                       ((0.0, 1.0), (1.0, 3.0)), 0.05, 100)
    >>> fig = pair_dependence_figure(pair)
    >>> [list(row) for row in fig.data[0].z]  # rows follow the second feature
    [[0.0, 1.0], [1.0, 3.0]]
    """
    fx, fy = pair.features
    z = np.asarray(pair.average, dtype=float).T  # heat map rows are y values
    x = [text(g) for g in pair.grid_x] if pair.categorical[0] else list(pair.grid_x)
    y = [text(g) for g in pair.grid_y] if pair.categorical[1] else list(pair.grid_y)
    contour = not pair.categorical[0] and not pair.categorical[1]
    trace = (go.Contour if contour else go.Heatmap)(
        x=x,
        y=y,
        z=z.tolist(),
        colorscale="RdBu",
        reversescale=True,
        colorbar={"title": {"text": text(pair.output)}},
        hovertemplate=f"{text(fx)} = %{{x}}<br>{text(fy)} = %{{y}}<br>{text(pair.output)} = %{{z:.4g}}<extra></extra>",
        **({"contours": {"coloring": "heatmap", "showlabels": True}} if contour else {}),
    )
    share = "" if pair.interaction is None else f" (interaction {pair.interaction:.0%} of its variance)"
    return finish(
        go.Figure(trace),
        title=title if title is not None else f"Partial dependence on {text(fx)} and {text(fy)}{share}",
        template=template,
        xaxis={"title": {"text": text(fx)}, "type": "category" if pair.categorical[0] else "linear"},
        yaxis={"title": {"text": text(fy)}, "type": "category" if pair.categorical[1] else "linear"},
    )


def surrogate_figure(surrogate: Any, *, title: str | None = None, template: str | None = None) -> go.Figure:
    """The surrogate tree's leaves as bars: each rule's share of the rows, coloured by what it
    predicts, the rule on hover and its purity (classifiers) or spread (regressors) beside it.

    Examples
    --------
    >>> from lifecycle_widgets.core.explain.surrogate import Surrogate, SurrogateRule
    >>> s = Surrogate(1, 0.9, "agreement", "", 2, (SurrogateRule(("age <= 40",), "yes", 0.8, 0.6, 60, 0.8),
    ...                                           SurrogateRule(("age > 40",), "no", 0.9, 0.4, 40, 0.9)))
    >>> [trace.name for trace in surrogate_figure(s).data]
    ['no', 'yes']
    """
    rules = list(surrogate.leaf_rules)
    labels = [f"leaf {i + 1}" for i in range(len(rules))]
    predictions = sorted({r.prediction for r in rules})
    traces = []
    for k, prediction in enumerate(predictions):
        idx = [i for i, r in enumerate(rules) if r.prediction == prediction]
        traces.append(
            go.Bar(
                x=[rules[i].share for i in idx],
                y=[labels[i] for i in idx],
                orientation="h",
                name=text(prediction),
                marker_color=defaults.colorway[k % len(defaults.colorway)] if len(predictions) <= 6 else None,
                text=[
                    f"{rules[i].purity:.0%} pure"
                    if rules[i].purity is not None
                    else f"± {fmt_number(rules[i].std)}"
                    for i in idx
                ],
                textposition="auto",
                hovertext=[text(" and ".join(rules[i].conditions) or "(all rows)") for i in idx],
                hovertemplate="%{hovertext}<br>share %{x:.1%}<extra>%{fullData.name}</extra>",
            )
        )
    fidelity = (
        f"{surrogate.fidelity_metric} {surrogate.fidelity:.3f} on {surrogate.held_out_rows:,} held-out rows"
    )
    return finish(
        go.Figure(traces),
        title=title if title is not None else f"Surrogate tree leaves ({fidelity})",
        template=template,
        height=min(900, 160 + 26 * len(rules)),
        xaxis={"title": {"text": "share of rows"}, "tickformat": ".0%"},
        yaxis={
            "title": {"text": "leaf (see the rules table)"},
            "type": "category",
            "categoryorder": "array",
            "categoryarray": labels,
            "autorange": "reversed",
        },
        legend_title_text="predicts",
    )
