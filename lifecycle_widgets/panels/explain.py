"""The explanation panel, and the static displays of explanations and bias reports."""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets

from lifecycle_widgets.core.explain.bias import BiasReport
from lifecycle_widgets.core.explain.explainer import Explainer
from lifecycle_widgets.core.explain.explanation import Explanation, LocalExplanation
from lifecycle_widgets.core.explain.stability import Stability
from lifecycle_widgets.core.formatting import fmt_number
from lifecycle_widgets.exceptions import ParameterError
from lifecycle_widgets.figures import explain as figs
from lifecycle_widgets.panels import display
from lifecycle_widgets.panels import html as static
from lifecycle_widgets.panels.calibration import calibration_headline, calibration_sections
from lifecycle_widgets.panels.widgets import (
    ResultPanel,
    figure_widget,
    html_widget,
    lazy_tabs,
    plotly_output,
    sections_panel,
    show_in,
)

NEEDS_EXPLAINER = (
    "Explaining another row needs the model: build the panel with the Explainer that computed "
    "this result, ExplanationPanel(exp, explainer=explainer)."
)


def summary_html(exp: Explanation) -> str:
    rows = [
        ("Model", exp.model_name),
        ("Problem", exp.problem_type),
        (
            "Explained output",
            f"{exp.output_space}" + (f" of class {exp.explained_class}" if exp.explained_class else ""),
        ),
        ("SHAP algorithm", exp.algorithm),
        (
            "Rows",
            f"{exp.n_rows:,} ({len(exp.rows):,} explained)"
            + (f"; importance over all {exp.population_rows:,} rows" if exp.population_rows else ""),
        ),
        (
            "Features",
            f"{len(exp.features)} raw"
            + (f", {len(exp.transformed_features)} transformed" if exp.transformed_features else ""),
        ),
    ]
    rows += [(k, fmt_number(v)) for k, v in exp.metrics.items() if isinstance(v, int | float) and k != "rows"]
    return static.table(rows)


def surrogate_html(exp: Explanation) -> str:
    s = exp.surrogate
    if s is None:
        return '<p class="lw-note">Too few rows for a surrogate tree.</p>'
    head = static.table(
        [("Depth", s.depth), ("Leaves", s.leaves), (f"Fidelity ({s.fidelity_metric})", f"{s.fidelity:.3f}")]
    )
    return head + f"<pre>{static.esc(s.rules)}</pre>"


def counterfactual_html(local: LocalExplanation) -> str:
    cf = local.counterfactual
    if not cf.found:
        return f'<p class="lw-note">{static.esc(cf.note)}</p>'
    rows = [(c.feature, c.before, c.after) for c in cf.changes]
    head = (
        f"<p>Changing {len(rows)} feature{'s' if len(rows) > 1 else ''} turns the decision "
        f"<b>{static.esc(cf.prediction_before)}</b> into <b>{static.esc(cf.prediction_after)}</b> "
        f"(distance {cf.distance:.2f}):</p>"
    )
    return head + static.table(rows, ["feature", "now", "would need to be"])


def local_html(local: LocalExplanation) -> str:
    rows = [
        ("Row", local.row),
        ("Prediction", f"{local.prediction:.4g}"),
        ("Decision", local.decision),
        ("Label", local.label if local.label is not None else "(no labels)"),
    ]
    if local.uncertainty is not None:
        u = local.uncertainty
        rows.append(
            (
                "Bootstrap spread",
                f"{u.mean:.3f} ± {u.std:.3f} (90%: {u.low:.3f} to {u.high:.3f}, {u.models} models)",
            )
        )
    return static.table(rows)


def stability_html(stab: Stability) -> str:
    rows = [
        (
            s.method.upper(),
            s.variation,
            f"{s.kendall_tau:.2f}",
            f"{s.top_k_overlap:.0%}",
            f"{s.max_change:.1%}",
            s.runs,
        )
        for s in stab.scores
    ]
    return static.table(
        rows,
        ["method", "variation", "Kendall tau", "top-5 overlap", "largest change", "runs"],
        numeric=(2, 3, 4, 5),
    )


def bias_html(report: BiasReport) -> str:
    rows = [
        (
            m.name,
            m.stage.replace("_", "-"),
            fmt_number(m.value),
            m.status,
            m.band,
            m.description + (f" ({m.note})" if m.note else ""),
        )
        for m in report.metrics
    ]
    head = static.table(
        [
            ("Facet", " & ".join(report.facet)),
            ("Group d", ", ".join(map(str, report.facet_values))),
            ("Rows in d / rest", f"{report.n_d:,} / {report.n_a:,}"),
            ("Positive label", str(report.positive_label)),
        ]
    )
    status_class = {"fail": "high", "warn": "medium", "pass": None, "n/a": "low"}
    return head + static.table(
        rows,
        ["metric", "stage", "value", "status", "passes when", "what it measures"],
        numeric=(2,),
        classes=[status_class[m.status] for m in report.metrics],
    )


def bias_headline(report: BiasReport) -> list[static.Attention]:
    """Metrics outside their band, failures first."""
    out = []
    for status, severity in (("fail", "high"), ("warn", "medium")):
        bad = [m for m in report.metrics if m.status == status]
        if bad:
            names = ", ".join(f"{m.name} {fmt_number(m.value)}" for m in bad)
            verb = "fail" if status == "fail" else "are near the limit of"
            out.append(static.Attention(severity, f"{len(bad)} bias metrics {verb} their band: {names}"))
    if not out:
        out.append(static.Attention("ok", "Every defined bias metric is inside its band."))
    return out


def default_row(exp: Explanation) -> int:
    """The explained row with the highest prediction: the case a reviewer asks about first."""
    if exp.featured is not None:
        return exp.featured.row
    best = max(range(len(exp.rows)), key=lambda i: exp.predictions[i])
    return exp.rows[best]


def explanation_sections(exp: Explanation) -> list[static.Section]:
    S, F, H, P = static.Section, static.FigureBlock, static.HtmlBlock, static.PickerBlock
    sections = [
        S("Model", (H(summary_html(exp)),)),
        S("Global importance", (F("importance", figs.importance_figure(exp)),)),
    ]
    if exp.class_importance is not None:
        sections.append(S("Importance by class", (F("class_importance", figs.class_importance_figure(exp)),)))
    sections += [
        S("SHAP values of the explained rows", (F("beeswarm", figs.beeswarm_figure(exp)),)),
    ]
    if exp.dependence:
        sections.append(
            S(
                "Partial dependence and ICE",
                (
                    P(
                        "dependence",
                        "Feature",
                        {d.feature: figs.dependence_figure(exp, d.feature) for d in exp.dependence},
                    ),
                ),
            )
        )
    sections.append(S("Global surrogate tree", (H(surrogate_html(exp)),)))
    if exp.cohorts:
        sections.append(S("Explanations by cohort", (F("cohorts", figs.cohort_figure(exp)),)))
    if exp.featured is not None:
        local = exp.featured
        blocks: list[static.Block] = [
            H(local_html(local)),
            F("waterfall", figs.waterfall_figure(local)),
            F("lime", figs.lime_figure(local)),
            H("<h4>Counterfactual</h4>" + counterfactual_html(local)),
        ]
        if local.ice:
            blocks.append(
                P(
                    "ice",
                    "ICE of this row",
                    {i.feature: figs.row_ice_figure(exp, local, i.feature) for i in local.ice},
                )
            )
        sections.append(S(f"Local explanation of row {local.row} (highest prediction)", tuple(blocks)))
    if exp.bias is not None:
        sections += bias_sections(exp.bias)
    if exp.calibration is not None:
        sections += calibration_sections(exp.calibration)
    return sections


class ExplanationPanel(ResultPanel):
    """Global, local, stability, bias and calibration tabs of an explanation. The beeswarm is the
    panel's one FigureWidget: clicking a point picks its row for the Local tab, as the row box does.

    Given the :class:`Explainer` whose ``explain`` returned ``exp``, the Local and Stability tabs
    explain any row; without it (a result read back from JSON, computed elsewhere) they show the
    result's featured row only.

    Examples
    --------
    >>> import lifecycle_widgets as lw
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> df = lw.datasets.credit(600)
    >>> X, y = df[["age", "income", "utilization"]], df["defaulted"]
    >>> panel = lw.ExplanationPanel.from_estimator(RandomForestClassifier(20, random_state=0).fit(X, y), X, y,
    ...                                            max_rows=100)
    >>> panel.show_row(5)
    >>> panel.row_picker.value, panel.current.row
    (5, 5)
    """

    def __init__(self, exp: Explanation, *, explainer: Explainer | None = None, **kwargs: Any) -> None:
        if explainer is not None and not isinstance(explainer, Explainer):
            raise ParameterError.bad_value(
                "explainer", "ExplanationPanel", "an Explainer or None", type(explainer).__name__
            )
        if explainer is not None and explainer.explanation_ is not exp and explainer.explanation_ != exp:
            raise ParameterError(
                "The 'explainer' parameter of ExplanationPanel must be the Explainer whose latest "
                "explain() returned this Explanation: its rows are the rows the panel picks."
            )
        self.explanation = exp
        self.explainer = explainer
        self.beeswarm = figure_widget(figs.beeswarm_figure(exp))
        self.beeswarm.data[0].on_click(self._clicked)
        self.row_picker = widgets.BoundedIntText(
            value=default_row(exp),
            min=0,
            max=exp.n_rows - 1,
            description="Row",
            layout=widgets.Layout(width="12em"),
        )
        self.local_info, self.counterfactual = widgets.HTML(), widgets.HTML()
        # side by side in a flex row: let them shrink below plotly's 700 px default width
        self.waterfall, self.lime = (
            widgets.Output(layout=widgets.Layout(flex="1 1 0%", min_width="0")) for _ in range(2)
        )
        self.ice = widgets.Output(layout=widgets.Layout(width="100%"))
        self.ice_feature = widgets.Dropdown(options=[d.feature for d in exp.dependence], description="ICE of")
        self.dep_feature = widgets.Dropdown(
            options=[d.feature for d in exp.dependence], description="Feature"
        )
        self.dependence = widgets.Output(layout=widgets.Layout(width="100%"))
        self.stability_out = widgets.Output(layout=widgets.Layout(width="100%"))
        self.stability_info = widgets.HTML()
        self.current: LocalExplanation | None = None
        builders = {"Global": self._global_tab, "Local": self._local_tab, "Stability": self._stability_tab}
        if exp.bias is not None:
            builders["Bias"] = lambda: sections_panel(bias_sections)(exp.bias)
        if exp.calibration is not None:
            builders["Calibration"] = lambda: sections_panel(calibration_sections)(exp.calibration)
        self.tabs = lazy_tabs(builders)
        self.row_picker.observe(lambda ch: self.show_row(ch["new"]), names="value")
        self.ice_feature.observe(lambda ch: self._draw_ice(), names="value")
        self.dep_feature.observe(lambda ch: self._draw_dependence(), names="value")
        title = f"<h2>Explanation of {static.esc(exp.model_name)}</h2>"
        super().__init__(exp, [html_widget(title), self.tabs], **kwargs)

    @classmethod
    def from_estimator(
        cls,
        model: Any,
        X: Any,
        y: Any = None,
        *,
        background: Any = None,
        explained_class: Any = None,
        immutable: Any = (),
        uncertainty: tuple[Any, Any] | None = None,
        n_bootstrap: int = 10,
        random_state: int = 0,
        **explain_kwargs: Any,
    ) -> ExplanationPanel:
        """Explain ``model`` on ``X`` (and ``y``) with an :class:`Explainer` and build the panel;
        the keywords are those of :class:`Explainer` and of :meth:`Explainer.explain`."""
        explainer = Explainer(
            model,
            background,
            explained_class=explained_class,
            immutable=immutable,
            uncertainty=uncertainty,
            n_bootstrap=n_bootstrap,
            random_state=random_state,
        )
        return cls(explainer.explain(X, y, **explain_kwargs), explainer=explainer)

    def _global_tab(self) -> widgets.Widget:
        parts: list[widgets.Widget] = [
            html_widget(summary_html(self.explanation)),
            plotly_output(figs.importance_figure(self.explanation)),
            *(
                [plotly_output(figs.class_importance_figure(self.explanation))]
                if self.explanation.class_importance is not None
                else []
            ),
            html_widget('<p class="lw-note">Click a point to explain its row.</p>'),
            self.beeswarm,
        ]
        if self.explanation.dependence:
            self._draw_dependence()
            parts += [self.dep_feature, self.dependence]
        parts.append(html_widget("<h3>Global surrogate tree</h3>" + surrogate_html(self.explanation)))
        if self.explanation.cohorts:
            parts.append(plotly_output(figs.cohort_figure(self.explanation)))
        return widgets.VBox(parts)

    def _local_tab(self) -> widgets.Widget:
        self.show_row(self.row_picker.value)
        return widgets.VBox(
            [
                self.row_picker,
                self.local_info,
                widgets.HBox([self.waterfall, self.lime], layout=widgets.Layout(width="100%")),
                html_widget("<h3>Counterfactual</h3>"),
                self.counterfactual,
                self.ice_feature,
                self.ice,
            ]
        )

    def _stability_tab(self) -> widgets.Widget:
        button = widgets.Button(description="Measure for this row", button_style="primary")
        button.on_click(lambda _: self.measure_stability())
        note = html_widget(
            '<p class="lw-note">Re-explains the row across 5 seeds, 5 background samples and 5 '
            "small perturbations, for SHAP and LIME (a few seconds).</p>"
        )
        if self.explainer is None:
            button.disabled = True
            note = html_widget(f'<p class="lw-note">{static.esc(NEEDS_EXPLAINER)}</p>')
        return widgets.VBox([note, button, self.stability_info, self.stability_out])

    def measure_stability(self) -> Stability | None:
        """Measure the stability of the current row's explanation and show it (None, with a note,
        when the panel has no explainer)."""
        if self.explainer is None:
            self.stability_info.value = f'<p class="lw-note">{static.esc(NEEDS_EXPLAINER)}</p>'
            return None
        stab = self.explainer.stability(self.row_picker.value)
        self.stability_info.value = f'<div class="lw">{stability_html(stab)}</div>'
        show_in(self.stability_out, figs.stability_figure(stab))
        return stab

    def _clicked(self, trace: Any, points: Any, selector: Any) -> None:
        if points.point_inds:
            self.row_picker.value = int(trace.customdata[points.point_inds[0]])
            self.tabs.selected_index = 1

    def show_row(self, row: int) -> None:
        """Explain row ``row`` (cached after the first time) and redraw the local figures."""
        if self.row_picker.value != row:
            self.row_picker.value = row  # observe calls back here
            return
        local = self._local(row)
        self.current = local
        if local is None:
            self.local_info.value = (
                f'<p class="lw-note">Row {row}: {static.esc(NEEDS_EXPLAINER)} '
                f"This result holds row {default_row(self.explanation)}.</p>"
            )
            for out in (self.waterfall, self.lime, self.ice):
                out.clear_output()
            self.counterfactual.value = ""
            return
        self.local_info.value = f'<div class="lw">{local_html(local)}</div>'
        show_in(self.waterfall, figs.waterfall_figure(local))
        show_in(self.lime, figs.lime_figure(local))
        self.counterfactual.value = f'<div class="lw">{counterfactual_html(local)}</div>'
        self._draw_ice()

    def _local(self, row: int) -> LocalExplanation | None:
        if self.explainer is not None:
            return self.explainer.local(row)
        featured = self.explanation.featured
        return featured if featured is not None and featured.row == row else None

    def _draw_ice(self) -> None:
        if self.current is not None and self.ice_feature.value:
            show_in(self.ice, figs.row_ice_figure(self.explanation, self.current, self.ice_feature.value))

    def _draw_dependence(self) -> None:
        if self.dep_feature.value:
            show_in(self.dependence, figs.dependence_figure(self.explanation, self.dep_feature.value))


def local_sections(local: LocalExplanation) -> list[static.Section]:
    S, F, H = static.Section, static.FigureBlock, static.HtmlBlock
    return [
        S("Row", (H(local_html(local)),)),
        S("SHAP", (F("waterfall", figs.waterfall_figure(local)),)),
        S("LIME", (F("lime", figs.lime_figure(local)),)),
        S("Counterfactual", (H(counterfactual_html(local)),)),
    ]


def stability_sections(stab: Stability) -> list[static.Section]:
    return static.table_and_figure(
        "Stability", stability_html(stab), "stability", figs.stability_figure(stab)
    )


def bias_sections(report: BiasReport) -> list[static.Section]:
    return static.table_and_figure("Bias", bias_html(report), "bias", figs.bias_figure(report))


def explanation_headline(exp: Explanation) -> list[static.Attention]:
    out = bias_headline(exp.bias) if exp.bias is not None else []
    out = [a for a in out if a.severity != "ok"]
    if exp.calibration is not None:
        out += [a for a in calibration_headline(exp.calibration) if a.severity != "ok"]
    return out


display.describe(
    Explanation,
    display.Description(
        title=lambda e: f"Explanation of {e.model_name}",
        sections=explanation_sections,
        headline=explanation_headline,
        panel=ExplanationPanel,
    ),
)
display.describe(
    LocalExplanation,
    display.Description(title=lambda r: f"Local explanation of row {r.row}", sections=local_sections),
)
display.describe(
    Stability,
    display.Description(
        title=lambda s: f"Stability of row {s.row}'s explanation", sections=stability_sections
    ),
)
display.describe(
    BiasReport,
    display.Description(
        title=lambda r: f"Bias: {' & '.join(r.facet)} = {' | '.join(r.facet_values)}",
        sections=bias_sections,
        headline=bias_headline,
    ),
)
