"""The display of a bias mitigation (:class:`MitigationReport`): what is still outside its band
first, then bias metrics, model quality and each group's rates before and after, and what the
mitigation did (weights or thresholds).

The figure builders live here beside the description (one result kind, one module) and follow
the ``figures`` layer's conventions: pure, a title and axis titles on every figure, ``finish``
for the shared layout.
"""

from __future__ import annotations

import plotly.graph_objects as go

from lifecycle_widgets.core.explain.bias_mitigation import MitigationReport, deviation
from lifecycle_widgets.core.formatting import fmt_number
from lifecycle_widgets.figures._common import defaults, finish, text
from lifecycle_widgets.panels import display
from lifecycle_widgets.panels import html as static

_STATUS_CLASS = {"fail": "high", "warn": "medium", "pass": None, "n/a": "low"}
_METHOD_NAMES = {"reweighing": "reweighing", "threshold_optimizer": "per-group thresholds"}
_QUALITY_NAMES = {
    "accuracy": "accuracy",
    "balanced_accuracy": "balanced accuracy",
    "auc": "AUC",
    "selection_rate": "selection rate",
}


def _method(report: MitigationReport) -> str:
    return _METHOD_NAMES.get(report.method, report.method)


# --- figures ---------------------------------------------------------------------------------------
BIAS_AXIS_CAP = 1.0  # distance from no bias beyond which a bar is cut (and labelled)


def bias_change_figure(
    report: MitigationReport, *, title: str | None = None, template: str | None = None
) -> go.Figure:
    """Each bias metric's distance from no bias, before and after (0 is no bias)."""
    pairs = [
        (b, a)
        for b, a in zip(report.before.metrics, report.after.metrics, strict=True)
        if deviation(b) is not None or deviation(a) is not None
    ]
    names = [a.name for _, a in pairs]
    colors = defaults.colorway
    fig = go.Figure()
    # ratio-like metrics (DCAcc, DCR) can reach hundreds: the axis stops at the cap (a longer bar
    # runs off it; its hover has the value), so the differences near 0 that the bands judge stay visible
    clipped = False
    for label, index, color in (("before", 0, colors[1]), ("after", 1, colors[0])):
        chosen = [p[index] for p in pairs]
        raw = [deviation(m) for m in chosen]
        over = [d is not None and d > BIAS_AXIS_CAP for d in raw]
        clipped = clipped or any(over)
        fig.add_trace(
            go.Bar(
                x=raw,
                y=names,
                orientation="h",
                name=label,
                marker_color=color,
                customdata=[[fmt_number(m.value), m.status, m.band] for m in chosen],
                hovertemplate="%{y} "
                + label
                + ": %{customdata[0]} (%{customdata[1]}; passes when %{customdata[2]})<extra></extra>",
            )
        )
    return finish(
        fig,
        title=title if title is not None else f"Bias metrics before and after {_method(report)}",
        template=template,
        height=min(900, 160 + 30 * len(names)),
        barmode="group",
        yaxis={"autorange": "reversed", "type": "category", "title": {"text": "metric"}},
        xaxis_title="distance from no bias (|value − ideal|; DI: 1 − min(DI, 1/DI))"
        + (f"; bars cut at {BIAS_AXIS_CAP:g}" if clipped else ""),
        **({"xaxis_range": [0, BIAS_AXIS_CAP * 1.02]} if clipped else {}),
    )


def group_rates_figure(
    report: MitigationReport,
    *,
    rate: str = "selection_rate",
    title: str | None = None,
    template: str | None = None,
) -> go.Figure:
    """One rate of each group (selection rate by default) before and after, with its bootstrap
    interval."""
    groups = [text(g.group) for g in report.groups]
    colors = defaults.colorway
    fig = go.Figure()
    for label, color in (("before", colors[1]), ("after", colors[0])):
        rows = [getattr(g, label) for g in report.groups]
        values = [r.get(rate) for r in rows]
        upper = [
            None if v is None or r.get(f"{rate}_upper") is None else r[f"{rate}_upper"] - v
            for v, r in zip(values, rows, strict=True)
        ]
        lower = [
            None if v is None or r.get(f"{rate}_lower") is None else v - r[f"{rate}_lower"]
            for v, r in zip(values, rows, strict=True)
        ]
        fig.add_trace(
            go.Bar(
                x=groups,
                y=values,
                name=label,
                marker_color=color,
                error_y={"type": "data", "array": upper, "arrayminus": lower, "visible": True},
                customdata=[g.count for g in report.groups],
                hovertemplate="%{x} " + label + ": %{y:.3f} (%{customdata} rows)<extra></extra>",
            )
        )
    label = rate.replace("_", " ")
    return finish(
        fig,
        title=title if title is not None else f"{label.capitalize()} by group, before and after",
        template=template,
        barmode="group",
        xaxis={"type": "category", "title": {"text": " & ".join(text(f) for f in report.facet)}},
        yaxis_title=label,
    )


def _tradeoff_metric(report: MitigationReport) -> str | None:
    names = [m.name for m in report.after.metrics if deviation(m) is not None]
    return "DPPL" if "DPPL" in names else (names[0] if names else None)


def tradeoff_figure(
    report: MitigationReport, *, title: str | None = None, template: str | None = None
) -> go.Figure:
    """Accuracy against the distance of DPPL (or the first defined metric) from no bias, before
    and after: the price of the mitigation in one picture."""
    name = _tradeoff_metric(report)
    accuracy = next(q for q in report.quality if q.name == "accuracy")
    xs, ys, labels = [], [], []
    if name is not None:
        for label, source, acc in (
            ("before", report.before, accuracy.before),
            ("after", report.after, accuracy.after),
        ):
            d = deviation(source.metric(name))
            if d is not None and acc is not None:
                xs.append(d)
                ys.append(acc)
                labels.append(label)
    fig = go.Figure(
        go.Scatter(
            x=xs,
            y=ys,
            mode="lines+markers+text",
            text=labels,
            # before above its point, after below: a mitigation that changed nothing puts both
            # points on one spot, and their labels must not print over each other
            textposition=["top center" if lab == "before" else "bottom center" for lab in labels],
            marker={
                "size": 12,
                "color": [
                    defaults.colorway[1] if lab == "before" else defaults.colorway[0] for lab in labels
                ],
            },
            line={"color": "#aaa", "dash": "dot"},
            hovertemplate="%{text}: distance %{x:.3f}, accuracy %{y:.3f}<extra></extra>",
            cliponaxis=False,  # a point at accuracy 1 or distance 0 shows whole, with its label
            showlegend=False,
        )
    )
    metric = name or "bias"
    ranges = {}
    if xs:
        # plotly pads a single value by ±1 (accuracy 1.5, a negative distance): the axes start at
        # no bias and stay within accuracy's 0 to 1
        pad = max(0.05, 0.25 * (max(ys) - min(ys)))
        ranges = {
            "xaxis_range": [0, max(0.05, 1.2 * max(xs))],
            "yaxis_range": [max(0.0, min(ys) - pad), min(1.0, max(ys) + pad)],
        }
    return finish(
        fig,
        title=title if title is not None else f"Trade-off: accuracy against |{metric}|",
        template=template,
        xaxis_title=f"{metric}: distance from no bias (left is fairer)",
        yaxis_title="accuracy",  # a longer title is cut on a figure this short
        **ranges,
    )


# --- markup ----------------------------------------------------------------------------------------
def _change(before: float | None, after: float | None) -> str:
    return "" if before is None or after is None else f"{after - before:+.3g}"


def summary_html(report: MitigationReport) -> str:
    rows = [
        ("Mitigation", _method(report)),
        ("Facet", " & ".join(report.facet)),
        ("Group d", ", ".join(report.facet_values)),
        ("Positive label", report.positive_label),
        ("Evaluation rows", f"{report.n:,}"),
        *((k, v) for k, v in report.settings.items()),
    ]
    if report.training_dpl is not None:
        rows.append(
            (
                "Training labels' DPL",
                f"{fmt_number(report.training_dpl[0])} unweighted, {fmt_number(report.training_dpl[1])} weighted",
            )
        )
    if report.data_fingerprint:
        rows.append(("Evaluation data SHA-256", report.data_fingerprint[:16] + "…"))
    notes = "".join(f'<p class="lw-note">{static.esc(n)}</p>' for n in report.notes)
    return static.table(rows) + notes


def bias_change_html(report: MitigationReport) -> str:
    pairs = list(zip(report.before.metrics, report.after.metrics, strict=True))
    rows = [
        (
            a.name,
            fmt_number(b.value),
            b.status,
            fmt_number(a.value),
            a.status,
            _change(b.value, a.value),
            a.band,
        )
        for b, a in pairs
    ]
    return static.table(
        rows,
        ["metric", "before", "status", "after", "status", "change", "passes when"],
        numeric=(1, 3, 5),
        classes=[_STATUS_CLASS[a.status] for _, a in pairs],
    )


def quality_html(report: MitigationReport) -> str:
    rows = [
        (
            q.name.replace("_", " "),
            fmt_number(q.before),
            fmt_number(q.after),
            _change(q.before, q.after),
            q.note,
        )
        for q in report.quality
    ]
    return static.table(rows, ["measure", "before", "after", "change", "note"], numeric=(1, 2, 3))


def groups_html(report: MitigationReport) -> str:
    rates = ("selection_rate", "true_positive_rate", "false_positive_rate", "accuracy")
    rows = [
        (
            g.group,
            g.count,
            *(f"{fmt_number(g.before.get(r))} → {fmt_number(g.after.get(r))}" for r in rates),
        )
        for g in report.groups
    ]
    return static.table(rows, ["group", "rows", "selection rate", "TPR", "FPR", "accuracy"], numeric=(1,))


def method_html(report: MitigationReport) -> str:
    if report.weights:
        rows = [
            (c.group, c.label, c.count, fmt_number(c.expected), fmt_number(c.weight)) for c in report.weights
        ]
        return (
            "<p>Weight of each group and label: expected count under independence over count.</p>"
            + static.table(rows, ["group", "label", "rows", "expected", "weight"], numeric=(2, 3, 4))
        )
    if report.thresholds:
        rows = [(t.group, t.rule, t.count, fmt_number(t.selection_rate)) for t in report.thresholds]
        return "<p>Decision rule of each group on the model's score (fitted rows).</p>" + static.table(
            rows, ["group", "rule", "fitted rows", "selection rate"], numeric=(2, 3)
        )
    return '<p class="lw-note">No details of the mitigation were recorded.</p>'


# --- description -----------------------------------------------------------------------------------
def mitigation_headline(report: MitigationReport) -> list[static.Attention]:
    """Metrics still outside their band after mitigation first; then metrics it made worse, and
    what it cost in accuracy or AUC."""
    out = []
    method = _method(report)
    for status, severity, verb in (
        ("fail", "high", "still fail"),
        ("warn", "medium", "are still near the limit of"),
    ):
        bad = [m for m in report.outside_band() if m.status == status]
        if bad:
            names = ", ".join(f"{m.name} {fmt_number(m.value)}" for m in bad)
            out.append(
                static.Attention(
                    severity, f"After {method}, {len(bad)} bias metrics {verb} their band: {names}"
                )
            )
    worse = report.worse()
    if worse:
        out.append(static.Attention("medium", f"Further from no bias after {method}: {', '.join(worse)}"))
    for q in report.quality:
        if q.higher_is_better and q.before is not None and q.after is not None and q.after < q.before - 0.01:
            name = _QUALITY_NAMES.get(q.name, q.name)
            out.append(
                static.Attention(
                    "low",
                    f"{name[0].upper()}{name[1:]} fell from {fmt_number(q.before)} to {fmt_number(q.after)}",
                )
            )
    fixed = [
        f"{a.name} {fmt_number(b.value)} → {fmt_number(a.value)}"
        for b, a in zip(report.before.metrics, report.after.metrics, strict=True)
        if b.status in ("fail", "warn") and a.status == "pass"
    ]
    if fixed:
        out.append(static.Attention("ok", f"Inside the band after {method}: {', '.join(fixed)}"))
    if not report.outside_band():
        out.append(static.Attention("ok", f"After {method}, every defined bias metric is inside its band"))
    return out


def mitigation_sections(report: MitigationReport) -> list[static.Section]:
    S, F, H = static.Section, static.FigureBlock, static.HtmlBlock
    return [
        S("Mitigation", (H(summary_html(report)),)),
        S("Bias metrics", (H(bias_change_html(report)), F("bias_change", bias_change_figure(report)))),
        S("Model quality", (H(quality_html(report)), F("tradeoff", tradeoff_figure(report)))),
        S("Groups", (H(groups_html(report)), F("group_rates", group_rates_figure(report)))),
        S("What the mitigation did", (H(method_html(report)),)),
    ]


display.describe(
    MitigationReport,
    display.Description(
        title=lambda r: f"Bias mitigation ({_method(r)}) on {' & '.join(r.facet)}",
        sections=mitigation_sections,
        headline=mitigation_headline,
    ),
)
