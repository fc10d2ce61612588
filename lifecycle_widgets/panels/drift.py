"""Panels and static displays of baselines, drift reports and monitoring timelines."""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets
import plotly.graph_objects as go

from lifecycle_widgets.core.drift import Baseline, DriftReport, Timeline
from lifecycle_widgets.core.drift.check import allowed_range
from lifecycle_widgets.core.drift.constraints import EXTENSION_KEY
from lifecycle_widgets.core.drift.significance import p_value_text
from lifecycle_widgets.core.formatting import fmt_number
from lifecycle_widgets.figures import drift as figs
from lifecycle_widgets.panels import display
from lifecycle_widgets.panels import html as static
from lifecycle_widgets.panels.widgets import (
    ResultPanel,
    figure_widget,
    html_widget,
    lazy_tabs,
    plotly_output,
    show_in,
    update_in_place,
)


def summary_html(report: DriftReport) -> str:
    rows = [
        ("Batch", report.label or report.source),
        ("Rows", f"{report.rows:,}"),
        ("Violations", f"{len(report.violations)}"),
        ("Drifted features", ", ".join(report.drifted_features) or "none"),
        ("Features with violations", ", ".join(report.flagged_features) or "none"),
        ("Batch fingerprint", report.batch_fingerprint),
        ("Baseline fingerprint", report.baseline_fingerprint),
    ]
    return static.table(rows)


def violations_html(report: DriftReport) -> str:
    if not report.violations:
        return '<p class="lw-note">No violations.</p>'
    order = {"high": 0, "medium": 1, "low": 2}
    vs = sorted(report.violations, key=lambda v: order[v.severity])
    return static.table(
        [(v.severity, v.feature_name or "(dataset)", v.constraint_check_type, v.description) for v in vs],
        ["severity", "feature", "check", "description"],
        classes=[v.severity for v in vs],
    )


def features_html(report: DriftReport) -> str:
    rows = [
        (
            f.name,
            f.kind,
            f.method or "not compared",
            fmt_number(f.distance),
            fmt_number(f.threshold),
            p_value_text(f.p_adjusted) if f.p_adjusted is not None else "",
            "yes" if f.drifted else ("above threshold, within noise" if f.effect_exceeded else ""),
            f"{f.completeness_baseline:.1%}",
            f"{f.completeness_current:.1%}",
        )
        for f in report.features
    ]
    return static.table(
        rows,
        [
            "feature",
            "kind",
            "method",
            "distance",
            "threshold",
            "p (adjusted)",
            "drifted",
            "complete (baseline)",
            "complete (batch)",
        ],
        numeric=(3, 4, 5, 7, 8),
    )


def quality_note_html(quality: dict[str, Any] | None) -> str:
    """Where the model-quality baseline came from (validation set, out of fold, the reference or
    the training rows), as a note; a warning when it is in-sample."""
    note = (quality or {}).get("note")
    if not note:
        return ""
    source = (quality or {}).get("source", "")
    if source == "training":
        return f'<p class="lw-note lw-high"><b>In-sample quality baseline.</b> {static.esc(note)}</p>'
    return f'<p class="lw-note">Quality baseline ({static.esc(source)}): {static.esc(note)}</p>'


def quality_html(report: DriftReport) -> str:
    cur, base = report.model_quality or {}, report.baseline_model_quality or {}
    names = [k for k, v in cur.items() if isinstance(v, int | float)]
    return quality_note_html(base) + static.table(
        [(k, fmt_number(base.get(k)), fmt_number(cur.get(k))) for k in names],
        ["metric", "baseline", "batch"],
        numeric=(1, 2),
    )


def attribution_html(report: DriftReport) -> str:
    """The ranking (nDCG) and the magnitude findings: each feature's share of the attribution and
    the total mean |SHAP|, baseline against batch, with their tests."""
    ndcg = "" if report.attribution_ndcg is None else f"<p>Ranking: nDCG {report.attribution_ndcg:.3f}.</p>"
    rows = [
        (
            "total mean |SHAP|" if s.measure == "mass" else s.name,
            s.measure,
            fmt_number(s.baseline),
            fmt_number(s.batch),
            "new" if s.change is None else f"{s.change:+.0%}",
            f"±{s.threshold:.0%}",
            p_value_text(s.p_adjusted) if s.p_adjusted is not None else "",
            "yes" if s.violated else "",
        )
        for s in report.attribution_shifts
    ]
    header = ["feature", "measure", "baseline", "batch", "change", "allowed", "p (adjusted)", "violated"]
    return ndcg + (static.table(rows, header, numeric=(2, 3, 4, 6)) if rows else "")


def _compared(report: DriftReport) -> list[str]:
    """Compared features, drifted ones first, then by distance over threshold."""
    ranked = sorted(report.features, key=lambda f: (not f.drifted, -((f.distance or 0) / (f.threshold or 1))))
    return [f.name for f in ranked if f.bins]


def report_sections(report: DriftReport) -> list[static.Section]:
    S, F, H, P = static.Section, static.FigureBlock, static.HtmlBlock, static.PickerBlock
    sections = [
        S("Summary", (H(summary_html(report)),)),
        S("Violations", (H(violations_html(report)),)),  # the table says it all; no figure repeats it
    ]
    if any(f.distance is not None for f in report.features):
        sections.append(
            S("Drift by feature", (F("drift", figs.drift_overview_figure(report)), H(features_html(report))))
        )
    names = _compared(report)
    if names:
        sections.append(
            S(
                "Baseline and batch distributions",
                (P("overlay", "Feature", {n: figs.overlay_figure(report, n) for n in names}),),
            )
        )
    if report.model_quality:
        sections.append(
            S("Model quality", (H(quality_html(report)), F("quality", figs.quality_figure(report))))
        )
    if report.attribution:
        sections.append(
            S(
                "Feature attribution",
                (H(attribution_html(report)), F("attribution", figs.attribution_figure(report))),
            )
        )
    return sections


class DriftPanel(ResultPanel):
    """Interactive panel of a drift report: violations, drift by feature, and the baseline and
    batch distributions of the feature picked in the list (one figure, updated in place).

    Examples
    --------
    >>> import lifecycle_widgets as lw
    >>> panel = lw.DriftPanel.from_frames(lw.datasets.credit(1000), lw.datasets.credit_batch(1000))
    >>> panel.feature_picker.value  # the most drifted feature first
    'utilization'
    """

    def __init__(self, report: DriftReport, **kwargs: Any) -> None:
        self.report = report
        names = _compared(report)
        self.feature_picker = widgets.Select(
            options=names,
            rows=min(12, max(2, len(names))),
            description="Feature",
            layout=widgets.Layout(width="24em"),
        )
        self.figure: go.FigureWidget | None = None
        builders = {
            "Violations": lambda: html_widget(violations_html(report)),
            "Distributions": self._distributions_tab,
            "Drift by feature": lambda: widgets.VBox(
                [plotly_output(figs.drift_overview_figure(report)), html_widget(features_html(report))]
            ),
        }
        if report.model_quality:
            builders["Model quality"] = lambda: widgets.VBox(
                [html_widget(quality_html(report)), plotly_output(figs.quality_figure(report))]
            )
        if report.attribution:
            builders["Feature attribution"] = lambda: widgets.VBox(
                [html_widget(attribution_html(report)), plotly_output(figs.attribution_figure(report))]
            )
        self.tabs = lazy_tabs(builders)
        super().__init__(
            report,
            [html_widget(f"<h2>{static.esc(_report_title(report))}</h2>{summary_html(report)}"), self.tabs],
            **kwargs,
        )

    @classmethod
    def from_frames(
        cls,
        reference: Any,
        current: Any,
        *,
        target: str | None = None,
        model: Any = None,
        labels: Any = None,
        validation: Any = None,
    ) -> DriftPanel:
        """Fit a baseline on ``reference``, check ``current`` against it, and show the report.
        With a ``model``, ``validation`` (rows it did not train on) gives the quality baseline
        (see :meth:`Baseline.fit`), and the batch's quality is judged with the model."""
        base = Baseline.fit(reference, target=target, model=model, validation=validation)
        return cls(base.check(current, labels=labels, model=model))

    def _distributions_tab(self) -> widgets.Widget:
        if not self.feature_picker.options:
            return html_widget('<p class="lw-note">No feature was compared.</p>')
        self.figure = figure_widget(figs.overlay_figure(self.report, self.feature_picker.value))
        self.feature_picker.observe(lambda ch: self.show_feature(ch["new"]), names="value")
        return widgets.HBox([self.feature_picker, self.figure])

    def show_feature(self, name: str | None) -> None:
        """Show ``name``'s baseline and batch distributions, updating the figure in place."""
        if name is not None and self.figure is not None:
            update_in_place(self.figure, figs.overlay_figure(self.report, name))


def _report_title(report: DriftReport) -> str:
    return f"Drift report: {report.label or report.source} ({report.rows:,} rows, {len(report.violations)} violations)"


# --- timeline ---------------------------------------------------------------------------------


def signals_html(timeline: Timeline) -> str:
    """The retraining decision in a sentence, the reasons behind it (check, feature, batch) and
    the constraints violated in the latest batch."""
    signal = timeline.retraining
    head = (
        f"<p><b>{static.esc(signal.summary)}</b></p>"
        if signal.raised
        else f"<p>{static.esc(signal.summary)}</p>"
    )
    parts = [head]
    if signal.reasons:
        parts.append(
            static.table(
                [(r.batch, r.check, r.feature or "(dataset)", r.description) for r in signal.reasons],
                ["batch", "reason", "feature", "what was found"],
            )
        )
    if timeline.signals:
        parts.append("<p>Constraints violated in the latest batch, and since when:</p>")
        parts.append(
            static.table(
                [
                    (s.constraint_check_type, s.feature_name or "(dataset)", s.since, s.batches)
                    for s in timeline.signals
                ],
                ["check", "feature", "since", "batches in a row"],
                numeric=(3,),
            )
        )
    return "".join(parts)


def timeline_sections(timeline: Timeline) -> list[static.Section]:
    S, F, H, P = static.Section, static.FigureBlock, static.HtmlBlock, static.PickerBlock
    sections = [
        S("Retraining signal", (H(signals_html(timeline)),)),
        S("Drift by feature and batch", (F("heatmap", figs.timeline_heatmap(timeline)),)),
        S("Violations per batch", (F("violations", figs.timeline_violations_figure(timeline)),)),
    ]
    if not timeline.quality_frame().empty:
        sections.append(S("Model quality over time", (F("quality", figs.timeline_quality_figure(timeline)),)))
    if timeline.performance is not None:
        from lifecycle_widgets.figures.estimation import performance_figure

        est = timeline.performance
        sections.append(
            S(
                "Estimated performance (no labels needed)",
                tuple(F(f"estimate_{m}", performance_figure(est, m)) for m in est.metrics),
            )
        )
    if timeline.features:
        sections.append(
            S(
                "A feature over time",
                (
                    P(
                        "feature",
                        "Feature",
                        {n: figs.feature_over_time_figure(timeline, n) for n in timeline.features},
                    ),
                ),
            )
        )
    return sections


class TimelinePanel(ResultPanel):
    """Drift over time: a heat map of drift by feature and batch (the panel's one FigureWidget);
    clicking a cell shows that feature's distributions in that batch below it.

    Examples
    --------
    >>> import lifecycle_widgets as lw
    >>> base = lw.Baseline.fit(lw.datasets.credit(1000))
    >>> tl = lw.monitor(base, [lw.datasets.credit_batch(500, drift=False), lw.datasets.credit_batch(500)])
    >>> panel = lw.TimelinePanel(tl)
    >>> panel.show_cell("income", "batch 2")
    >>> panel.detail_title
    'income in batch 2'
    """

    def __init__(self, timeline: Timeline, **kwargs: Any) -> None:
        self.timeline = timeline
        self.heatmap = figure_widget(figs.timeline_heatmap(timeline))
        self.detail = widgets.Output(layout=widgets.Layout(width="100%"))
        self.detail_title = ""
        self.heatmap.data[0].on_click(self._clicked)
        others: list[widgets.Widget] = [plotly_output(figs.timeline_violations_figure(timeline))]
        if not timeline.quality_frame().empty:
            others.append(plotly_output(figs.timeline_quality_figure(timeline)))
        # the title alone first, so the headline (what needs attention) comes before the signals
        title = html_widget(f"<h2>Drift over {len(timeline.reports)} batches</h2>")
        signals = html_widget(signals_html(timeline))
        super().__init__(timeline, [title, signals, self.heatmap, self.detail, *others], **kwargs)

    def _clicked(self, trace: Any, points: Any, selector: Any) -> None:
        if points.point_inds:
            row, col = points.point_inds[0]
            frame = self.timeline.distance_frame()
            self.show_cell(frame.index[row], frame.columns[col])

    def show_cell(self, feature: str, batch: str) -> None:
        """Show ``feature``'s baseline and batch distributions for the batch labelled ``batch``."""
        report = next(r for r in self.timeline.reports if r.label == batch)
        self.detail_title = f"{feature} in {batch}"
        show_in(self.detail, figs.overlay_figure(report, feature, title=static.esc(self.detail_title)))


# --- baseline ---------------------------------------------------------------------------------


def baseline_html(base: Baseline) -> str:
    rules = {f["name"]: f for f in base.constraints["features"]}
    learned = base.constraints.get(EXTENSION_KEY, {}).get("features", {})
    rows = []
    for f in base.features:
        o = rules.get(f.name, {}).get("monitoringConfigOverrides", {})
        compared = o.get("perform_comparison") != "Disabled"
        rows.append(
            (
                f.name,
                f.inferred_type,
                f.kind,
                f"{f.completeness:.1%}",
                fmt_number(f.min),
                fmt_number(f.max),
                fmt_number(f.mean),
                f.distinct_count or "",
                f"{o.get('comparison_method', '')} > {o.get('comparison_threshold', '')}"
                if compared
                else "not compared",
                _learned_text(learned.get(f.name, {})),
            )
        )
    return static.table(
        rows,
        ["feature", "type", "kind", "complete", "min", "max", "mean", "distinct", "drift rule", "learned"],
        numeric=(3, 4, 5, 6, 7),
    )


def _learned_text(rules: dict[str, Any]) -> str:
    """A feature's learned constraints in words: its allowed range, whole numbers, unique."""
    parts = []
    if "range" in rules:
        low, high = allowed_range(rules["range"])
        parts.append(f"{fmt_number(low)} to {fmt_number(high)}")
    if rules.get("integral"):
        parts.append("whole numbers")
    if rules.get("unique"):
        parts.append("unique")
    if "datetime" in rules:
        rule = rules["datetime"]
        upper = f"to {rule['latest'][:10]}" if rule.get("bound_latest") else "on (no later than the check)"
        parts.append(
            f"from {rule['earliest'][:10]} {upper}, ±{rule.get('tolerance', 0.1):.0%}; calendar shares"
        )
    if "text" in rules:
        rule = rules["text"]
        parts.append(
            f"lengths; vocabulary of {len(rule['vocabulary']):,} words ({rule['oov_share']:.1%} of new words outside)"
        )
    return "; ".join(parts)


def baseline_sections(base: Baseline) -> list[static.Section]:
    S, H = static.Section, static.HtmlBlock
    head = static.table(
        [
            ("Source", base.source),
            ("Rows", f"{base.item_count:,}"),
            ("Target", base.target or "(none)"),
            ("Fingerprint", base.fingerprint),
        ]
    )
    sections = [S("Baseline", (H(head),)), S("Features and suggested constraints", (H(baseline_html(base)),))]
    if base.model_quality:
        q = [(k, fmt_number(v)) for k, v in base.model_quality.items() if isinstance(v, int | float)]
        table = static.table(q, ["metric", "value"], numeric=(1,))
        sections.append(S("Model quality", (H(quality_note_html(base.model_quality) + table),)))
    return sections


def report_headline(report: DriftReport) -> list[static.Attention]:
    """Failed checks and drifted features, then a plain all-clear."""
    out = []
    by_check: dict[str, list[Any]] = {}
    for v in report.violations:
        by_check.setdefault(v.constraint_check_type, []).append(v)
    for check, found in sorted(by_check.items(), key=lambda kv: -len(kv[1])):
        names = [v.feature_name or "(dataset)" for v in found]
        shown = ", ".join(names[:6]) + (f" and {len(names) - 6} more" if len(names) > 6 else "")
        # the check's own severity, as the violations table shows it
        severity = min((v.severity for v in found), key=static.SEVERITY_ORDER.index)
        out.append(static.Attention(severity, f"{check}: {shown}"))
    if report.model_quality and (report.baseline_model_quality or {}).get("source") == "training":
        out.append(
            static.Attention(
                "medium",
                "The model-quality baseline was measured on the model's training rows: see Model quality.",
            )
        )
    if not out:
        out.append(static.Attention("ok", f"No violations in {report.rows:,} rows."))
    return out


def timeline_headline(timeline: Timeline) -> list[static.Attention]:
    from lifecycle_widgets.panels.estimation import estimate_headline

    estimated = []
    if timeline.performance is not None:
        estimated = [a for a in estimate_headline(timeline.performance) if a.severity != "ok"]
    signal = timeline.retraining
    if signal.raised:
        named = dict.fromkeys(f"{r.check} on {r.feature or '(dataset)'}" for r in signal.reasons)
        shown = list(named)[:5]
        more = f" and {len(named) - 5} more" if len(named) > 5 else ""
        text = (
            f"Retraining recommended ({len(signal.batches)} of the last {len(signal.looked_at)} batches: "
            f"{', '.join(signal.batches)}): {', '.join(shown)}{more}"
        )
        return [static.Attention("high", text), *estimated]
    return [*estimated, static.Attention("ok", signal.summary)]


display.describe(
    DriftReport,
    display.Description(
        title=_report_title, sections=report_sections, headline=report_headline, panel=DriftPanel
    ),
)
display.describe(
    Timeline,
    display.Description(
        title=lambda t: f"Drift over {len(t.reports)} batches",
        sections=timeline_sections,
        headline=timeline_headline,
        panel=TimelinePanel,
    ),
)
display.describe(
    Baseline,
    display.Description(
        title=lambda b: f"Baseline: {b.source} ({b.item_count:,} rows)", sections=baseline_sections
    ),
)
