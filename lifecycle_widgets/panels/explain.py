"""The explanation panel, and the static displays of explanations and bias reports."""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Callable
from dataclasses import replace
from types import SimpleNamespace
from typing import Any

import ipywidgets as widgets
import numpy as np
from ipywidgets.widgets.widget_description import DescriptionStyle
from ipywidgets.widgets.widget_string import HTMLStyle

from lifecycle_widgets._config import resolved_display_mode
from lifecycle_widgets.core.explain.bias import BiasReport
from lifecycle_widgets.core.explain.explainer import Explainer
from lifecycle_widgets.core.explain.explanation import Explanation, LocalExplanation
from lifecycle_widgets.core.explain.global_ import PairDependence, Surrogate
from lifecycle_widgets.core.explain.stability import Stability
from lifecycle_widgets.core.formatting import fmt_number
from lifecycle_widgets.exceptions import ParameterError
from lifecycle_widgets.figures import explain as figs
from lifecycle_widgets.panels import display
from lifecycle_widgets.panels import html as static
from lifecycle_widgets.panels.calibration import calibration_headline, calibration_sections
from lifecycle_widgets.panels.plotly_view import PlotlyView
from lifecycle_widgets.panels.widgets import (
    ResultPanel,
    html_widget,
    lazy_tabs,
    plotly_output,
    sections_panel,
    show_in,
    update_in_place,
)

PRECOMPUTED_ROWS = 50  # local explanations a live panel prepares in the background for clicks
HOLD_SECONDS = 1.0  # s the background preparation waits after a pick (its figures drawn meanwhile)
HOVER_HOLD_SECONDS = 2.0  # s it waits after a hover over the beeswarm: a click may follow
REST_WAIT = 1.0  # s: a pick's other local figures wait this long at most for its waterfall drawn


def likely_clicks(exp: Explanation, limit: int = PRECOMPUTED_ROWS) -> list[int]:
    """The rows a reviewer most likely clicks first: the featured row, then the beeswarm's most
    extreme points (largest total |SHAP|), which sit at the edges of the swarm.

    Examples
    --------
    ``exp`` as in :class:`~lifecycle_widgets.Explainer`'s example:

    >>> rows = likely_clicks(exp, limit=5)
    >>> rows[0] == default_row(exp), len(rows), len(set(rows))
    (True, 5, 5)
    """
    extent = np.abs(np.asarray(exp.shap_values, dtype=float)).sum(axis=1) if exp.rows else np.array([])
    ordered = [exp.rows[i] for i in np.argsort(-extent, kind="stable")]
    first = default_row(exp)
    return [first, *[r for r in ordered if r != first]][:limit]


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
    note = exp.space_note
    return static.table(rows) + (f'<p class="lw-note">{static.esc(note)}</p>' if note else "")


def surrogate_html(exp: Explanation) -> str:
    """The surrogate tree's fidelity and its rules, one table row per leaf, in raw terms."""
    s = exp.surrogate
    if s is None:
        return '<p class="lw-note">Too few rows for a surrogate tree.</p>'
    fidelity = f"{s.fidelity:.3f}" + (
        f" on {s.held_out_rows:,} held-out rows (fitted on {s.fit_rows:,})" if s.held_out_rows else ""
    )
    head = static.table(
        [
            ("Depth", s.depth),
            ("Leaves", s.leaves),
            (f"Fidelity ({s.fidelity_metric} with the model)", fidelity),
        ]
    )
    if not s.leaf_rules:  # a result written before rules were tabulated
        return head + f"<pre>{static.esc(s.rules)}</pre>"
    classifier = s.leaf_rules[0].purity is not None
    rows = [
        (
            f"leaf {i + 1}",
            " and ".join(r.conditions) or "(all rows)",
            r.prediction,
            f"{r.share:.1%}",
            f"{r.purity:.0%}" if classifier and r.purity is not None else fmt_number(r.std),
        )
        for i, r in enumerate(s.leaf_rules)
    ]
    note = (
        '<p class="lw-note">A shallow tree fitted to the model\'s predictions on the raw columns; '
        "read each row as IF rule THEN prediction. Fidelity is measured on rows the tree did not "
        "see; below about 0.9 the rules are a rough sketch of the model, not its logic.</p>"
    )
    table = static.table(
        rows,
        ["leaf", "rule", "predicts", "share of rows", "purity" if classifier else "spread (sd)"],
        numeric=(3, 4),
    )
    return head + note + table


ALE_NOTE = (
    "Accumulated local effects move each row only within the small interval of the feature it is "
    "in, so they stay on combinations of values the data holds. Partial dependence sets every row "
    "to every value: where the feature is correlated with others it averages over rows that do "
    "not exist, and the two curves part. With correlated features, read ALE."
)


# a float written in full: a counterfactual keeps a value's exact text when six significant
# digits would not read back as the same number
_FULL_FLOAT = re.compile(r"-?\d+\.\d{7,}(e[+-]\d+)?")


def _readable(text: str) -> str:
    """A counterfactual value as its table shows it: a float written in full to six significant
    digits (the package's number format, never e-notation), anything else as it is."""
    return fmt_number(float(text), digits=6) if _FULL_FLOAT.fullmatch(text) else text


def counterfactual_html(local: LocalExplanation) -> str:
    cf = local.counterfactual
    if not cf.found:
        return f'<p class="lw-note">{static.esc(cf.note)}</p>'
    rows = [(c.feature, _readable(c.before), _readable(c.after)) for c in cf.changes]
    head = (
        f"<p>Changing {len(rows)} feature{'s' if len(rows) > 1 else ''} turns the decision "
        f"<b>{static.esc(cf.prediction_before)}</b> into <b>{static.esc(cf.prediction_after)}</b> "
        f"(distance {cf.distance:.2f}):</p>"
    )
    return head + static.table(rows, ["feature", "now", "would need to be"])


def local_html(local: LocalExplanation) -> str:
    rows = [
        ("Row", local.row),
        (
            "Prediction" if local.output_space == "prediction" else "Prediction (probability)",
            f"{local.prediction:.4g}",
        ),
        ("Decision", local.decision),
        ("Label", local.label if local.label is not None else "(no labels)"),
    ]
    if local.output_space in ("log-odds", "logit"):
        margin = f"{local.shap_output:.4g} {local.output_space} (base {local.base_value:.4g} + contributions)"
        if local.probability_of_output is not None:
            margin += f", which is P = {local.probability_of_output:.4g}"
        rows.append(("SHAP output f(x)", margin))
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


def ale_figure(exp: Explanation, feature: str) -> Any:
    """The ALE of ``feature`` with its centred partial dependence, from an explanation."""
    effects = next(a for a in exp.ale if a.feature == feature)
    dep = next((d for d in exp.dependence if d.feature == feature), None)
    return figs.ale_figure(effects, dependence=dep)


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
    if exp.ale:
        sections.append(
            S(
                "Accumulated local effects (for correlated features)",
                (
                    H(f'<p class="lw-note">{static.esc(ALE_NOTE)}</p>'),
                    P("ale", "Feature", {a.feature: ale_figure(exp, a.feature) for a in exp.ale}),
                ),
            )
        )
    shown = list(exp.global_importance().index[: max(len(exp.dependence), 1)])
    sections.append(
        S(
            "SHAP dependence",
            (P("shap_dependence", "Feature", {f: figs.shap_dependence_figure(exp, f) for f in shown}),),
        )
    )
    if exp.pair_dependence is not None:
        sections.append(
            S(
                "Two-feature partial dependence (the important features that interact most)",
                (F("pair_dependence", figs.pair_dependence_figure(exp.pair_dependence)),),
            )
        )
    surrogate_blocks: list[static.Block] = [H(surrogate_html(exp))]
    if exp.surrogate is not None and exp.surrogate.leaf_rules:
        surrogate_blocks.append(F("surrogate", figs.surrogate_figure(exp.surrogate)))
    sections.append(S("Global surrogate tree", tuple(surrogate_blocks)))
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
    """Global, local, effects, interactions, surrogate, stability, bias and calibration tabs of an
    explanation. Effects shows partial dependence beside ALE and the SHAP dependence plot;
    Interactions the two-feature partial dependence of a pair picked in two drop-downs; Surrogate
    the rules of a tree imitating the model. The beeswarm is the panel's one FigureWidget:
    clicking a point picks its row for the Local tab, as the row box does.

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
    >>> panel.show_pair("age", "income").features
    ('age', 'income')
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
        self._stop_precompute = threading.Event()
        self._live = explainer is not None and resolved_display_mode() == "live"
        self._queue_lock = threading.Lock()  # the rows asked for and the background thread
        self._draw_lock = threading.RLock()  # the local figures: a click and the thread draw in turn
        self._wanted: int | None = None
        self._likely = likely_clicks(exp) if self._live else []
        self._worker: threading.Thread | None = None
        self._waterfall_row: int | None = None
        self._waterfalls: dict[int, dict] = {}  # waterfall figure dicts by row, ready for a click
        self._rest_row: int | None = None  # the row whose LIME, counterfactual and ICE are shown
        self._clicking = False  # a beeswarm click is switching tabs and drawing
        # a pointer over the beeswarm's points: a click may follow, the background work gives way
        hold_on_hover = self._live and explainer is not None
        self.beeswarm = PlotlyView(figs.beeswarm_figure(exp), hover_events=hold_on_hover)
        for trace in self.beeswarm.data:  # the features' points, and the other features' sums
            trace.on_click(self._clicked)
        if hold_on_hover:
            self.beeswarm.on_hover(lambda: self._hold_background(HOVER_HOLD_SECONDS))
        # the panel's widgets share their Layout and style models (one message each, about 1 kB,
        # instead of one per widget: the first display stays well under its 200 kB)
        plain, full, narrow = widgets.Layout(), widgets.Layout(width="100%"), widgets.Layout(width="12em")
        half = widgets.Layout(flex="1 1 0%", min_width="0")  # side by side, shrinking below 700 px
        labelled, text = DescriptionStyle(), HTMLStyle()
        self._full = full
        self.row_picker = widgets.BoundedIntText(
            value=default_row(exp),
            min=0,
            max=exp.n_rows - 1,
            description="Row",
            layout=narrow,
            style=labelled,
        )
        self.local_info, self.counterfactual = (
            widgets.HTML(layout=plain, style=text),
            widgets.HTML(layout=plain, style=text),
        )
        # the waterfall is what a click waits for: a view redrawn in place (Plotly.react), whose
        # page says when it is drawn; the other local figures follow then (see _draw_local)
        # (in a column box of its own: the view's ``layout`` is its figure's, not a widget Layout)
        self.waterfall = PlotlyView(_blank_figure(), share_template=True)  # the beeswarm brings it
        self.waterfall.on_drawn(self._waterfall_drawn)
        self._waterfall_box = widgets.VBox([self.waterfall], layout=half)
        self.lime = widgets.Output(layout=half)
        self._rest: Callable[[], None] | None = None  # the shown row's other figures, to draw
        self._rest_revision = 0  # drawn once the page has drawn this waterfall
        self._drawn_revision = 0  # the latest waterfall a page reported drawn
        self.ice = widgets.Output(layout=full)
        self.ice_feature = widgets.Dropdown(
            options=[d.feature for d in exp.dependence], description="ICE of", layout=plain, style=labelled
        )
        self.dep_feature = widgets.Dropdown(
            options=[d.feature for d in exp.dependence], description="Feature", layout=plain, style=labelled
        )
        self.dependence, self.ale = (widgets.Output(layout=half) for _ in range(2))
        by_importance = list(exp.global_importance().index)
        self.shap_feature = widgets.Dropdown(
            options=by_importance, description="SHAP of", layout=plain, style=labelled
        )
        self.shap_color = widgets.Dropdown(description="Colour by", layout=plain, style=labelled)
        self.shap_dependence = widgets.Output(layout=full)
        pair = exp.pair_dependence.features if exp.pair_dependence is not None else tuple(by_importance[:2])
        self.pair_x = widgets.Dropdown(
            options=by_importance,
            value=pair[0] if pair else None,
            description="x",
            layout=plain,
            style=labelled,
        )
        self.pair_y = widgets.Dropdown(
            options=by_importance,
            value=pair[1] if len(pair) > 1 else None,
            description="y",
            layout=plain,
            style=labelled,
        )
        self.pair_button = widgets.Button(description="Compute", button_style="primary", layout=plain)
        self.pair_info = widgets.HTML(layout=plain, style=text)
        self.pair_out = widgets.Output(layout=full)
        self._pairs: dict[tuple[str, str], PairDependence] = {}
        if exp.pair_dependence is not None:
            self._pairs[exp.pair_dependence.features] = exp.pair_dependence
        self.surrogate_depth = widgets.BoundedIntText(
            value=exp.surrogate.depth if exp.surrogate is not None else 3,
            min=1,
            max=8,
            description="Depth",
            layout=narrow,
            style=labelled,
        )
        self.surrogate_info = widgets.HTML(layout=plain, style=text)
        self.surrogate_out = widgets.Output(layout=full)
        self.stability_out = widgets.Output(layout=full)
        self.stability_info = widgets.HTML(layout=plain, style=text)
        self.current: LocalExplanation | None = None
        builders = {
            "Global": self._global_tab,
            "Local": self._local_tab,  # second: a click on the beeswarm opens it
            "Effects": self._effects_tab,
            "Interactions": self._interactions_tab,
            "Surrogate": self._surrogate_tab,
            "Stability": self._stability_tab,
        }
        if exp.bias is not None:
            builders["Bias"] = lambda: sections_panel(bias_sections)(exp.bias)
        if exp.calibration is not None:
            builders["Calibration"] = lambda: sections_panel(calibration_sections)(exp.calibration)
        self.tabs = lazy_tabs(builders)
        self.row_picker.observe(lambda ch: self.show_row(ch["new"]), names="value")
        self.tabs.observe(self._tab_changed, names="selected_index")
        self.ice_feature.observe(lambda ch: self._draw_ice(), names="value")
        self.dep_feature.observe(lambda ch: self._draw_dependence(), names="value")
        self.shap_feature.observe(lambda ch: self._color_options(), names="value")
        self.shap_color.observe(lambda ch: self._draw_shap_dependence(), names="value")
        self.pair_button.on_click(lambda _: self.show_pair(self.pair_x.value, self.pair_y.value))
        self.surrogate_depth.observe(lambda ch: self.show_surrogate(ch["new"]), names="value")
        title = f"<h2>Explanation of {static.esc(exp.model_name)}</h2>"
        super().__init__(exp, [html_widget(title), self.tabs], **kwargs)
        if self._live:
            # a click must find its row explained (SHAP, LIME, counterfactual, ICE take most of a
            # second): prepare the likely rows while the reviewer reads the global view
            with self._queue_lock:
                self._start_worker()

    def close(self) -> None:
        """Stop preparing local explanations, then close the panel's widgets."""
        stop = getattr(self, "_stop_precompute", None)  # absent when __init__ raised early
        if stop is not None:
            stop.set()
        super().close()

    # --- local explanations in the background ----------------------------------------------------
    # One thread (while there is work) first builds the waterfall figure of every explained row
    # (a click sends one ready), then computes local explanations: the row last asked for and
    # not prepared first, then the likely clicks. The kernel's own thread never waits for one: a
    # click on a row not prepared draws its waterfall from the SHAP values at once and asks for
    # the row; the thread draws the rest when it is ready, if the row is still the one shown.

    def _hold_background(self, seconds: float = HOLD_SECONDS) -> None:
        # the kernel's thread draws a pick alone: the background thread waits at its next model
        # call until the pick's messages are on their way; from a hover over the beeswarm on, so
        # that a click finds the interpreter and the processor free
        if self._live and self.explainer is not None:
            self.explainer.hold(seconds)

    def _start_worker(self) -> None:
        # with self._queue_lock held
        if self._worker is None and not self._stop_precompute.is_set():
            self._worker = threading.Thread(
                target=self._prepare_rows, name="lw-precompute-local", daemon=True
            )
            self._worker.start()

    def _want(self, row: int) -> None:
        """Ask the background thread for row ``row``'s local explanation before any other."""
        with self._queue_lock:
            self._wanted = row
            self._start_worker()

    def _next_row(self) -> int | None:
        # with self._queue_lock held; None (and the thread forgotten) when nothing is left
        assert self.explainer is not None
        if self._wanted is not None:
            row, self._wanted = self._wanted, None
            return row
        while self._likely:
            row = self._likely.pop(0)
            if self.explainer.prepared(row) is None:
                return row
        self._worker = None
        return None

    def _prepare_rows(self) -> None:
        assert self.explainer is not None
        for row in self.explanation.rows:  # every point's waterfall first: 0.4 ms each, no model call
            if self._stop_precompute.is_set():
                return
            self._waterfall_dict(row)
        while not self._stop_precompute.is_set():
            with self._queue_lock:
                row = self._next_row()
            if row is None:
                return
            try:
                self.explainer.precompute([row], stop=self._stop_precompute)
                local: LocalExplanation | Exception | None = self.explainer.prepared(row)
            except Exception as err:  # shown if the row is the one asked for
                local = err
            if local is None:  # stopped
                return
            self._fill(row, local)

    def _fill(self, row: int, local: LocalExplanation | Exception) -> None:
        """Draw row ``row``'s local explanation if the panel shows that row and waits for it."""
        with self._draw_lock:
            if self._stop_precompute.is_set() or self.row_picker.value != row or self.current is not None:
                return
            if isinstance(local, Exception):
                self.local_info.value = (
                    f'<p class="lw-note">Row {row} could not be explained: '
                    f"{static.esc(type(local).__name__)}: {static.esc(str(local))}</p>"
                )
                return
            self._draw_local(local, at_once=True)  # the waterfall is drawn already

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
        if self.explanation.cohorts:
            parts.append(plotly_output(figs.cohort_figure(self.explanation)))
        return widgets.VBox(parts)

    def _effects_tab(self) -> widgets.Widget:
        """Partial dependence and ICE beside ALE for one feature, then the SHAP dependence plot."""
        parts: list[widgets.Widget] = []
        if self.explanation.dependence:
            self._draw_dependence()
            parts += [
                html_widget("<h3>Partial dependence and ICE, beside accumulated local effects</h3>"),
                html_widget(f'<p class="lw-note">{static.esc(ALE_NOTE)}</p>'),
                self.dep_feature,
                widgets.HBox([self.dependence, self.ale], layout=self._full),
            ]
        self._color_options()
        parts += [
            html_widget("<h3>SHAP dependence</h3>"),
            widgets.HBox([self.shap_feature, self.shap_color]),
            self.shap_dependence,
        ]
        return widgets.VBox(parts)

    def _interactions_tab(self) -> widgets.Widget:
        """Two-feature partial dependence for a pair picked in two drop-downs."""
        if self.explainer is None:
            self.pair_button.disabled = True
            self.pair_info.value = (
                '<p class="lw-note">This result holds the pair shown; other pairs need the model: build '
                "the panel with the Explainer that computed it.</p>"
            )
        pair = self.explanation.pair_dependence
        if pair is not None:
            self.show_pair(*pair.features)
        return widgets.VBox(
            [
                html_widget(
                    '<p class="lw-note">The mean prediction as two features vary together. The title '
                    "gives the share of it that the two features' separate effects do not explain: "
                    "their interaction.</p>"
                ),
                widgets.HBox([self.pair_x, self.pair_y, self.pair_button]),
                self.pair_info,
                self.pair_out,
            ]
        )

    def _surrogate_tab(self) -> widgets.Widget:
        """The surrogate tree's rules and leaves; with the explainer, at another depth."""
        self.surrogate_info.value = f'<div class="lw">{surrogate_html(self.explanation)}</div>'
        if self.explanation.surrogate is not None and self.explanation.surrogate.leaf_rules:
            show_in(self.surrogate_out, figs.surrogate_figure(self.explanation.surrogate))
        parts: list[widgets.Widget] = [self.surrogate_info, self.surrogate_out]
        if self.explainer is not None and self.explanation.surrogate is not None:
            parts.insert(0, self.surrogate_depth)
        return widgets.VBox(parts)

    def show_pair(self, feature_x: str, feature_y: str) -> PairDependence | None:
        """Show the two-feature partial dependence of a pair: the result's own, a pair computed
        before, or (with the explainer) a new one. None, with a note, when it cannot be had."""
        if self.pair_x.value != feature_x or self.pair_y.value != feature_y:
            self.pair_x.value, self.pair_y.value = feature_x, feature_y
        key = (feature_x, feature_y)
        if key not in self._pairs:
            if feature_x == feature_y:
                self.pair_info.value = '<p class="lw-note">Pick two different features.</p>'
                return None
            if self.explainer is None:
                self.pair_info.value = f'<p class="lw-note">{static.esc(NEEDS_EXPLAINER)}</p>'
                return None
            self._pairs[key] = self.explainer.partial_dependence_2d(feature_x, feature_y)
        elif self.explainer is not None:
            self.pair_info.value = ""
        show_in(self.pair_out, figs.pair_dependence_figure(self._pairs[key]))
        return self._pairs[key]

    def show_surrogate(self, depth: int) -> Surrogate | None:
        """Refit the surrogate tree at ``depth`` (needs the explainer) and show its rules."""
        if self.explainer is None:
            return None
        s = self.explainer.surrogate(depth=depth)
        self.surrogate_info.value = (
            f'<div class="lw">{surrogate_html(replace(self.explanation, surrogate=s))}</div>'
        )
        show_in(self.surrogate_out, figs.surrogate_figure(s))
        return s

    def _local_tab(self) -> widgets.Widget:
        if self._waterfall_row != self.row_picker.value:  # not drawn yet
            self.show_row(self.row_picker.value)
        return widgets.VBox(
            [
                self.row_picker,
                self.local_info,
                widgets.HBox([self._waterfall_box, self.lime], layout=self._full),
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
        if not points.point_inds:
            return
        self._hold_background()
        row = int(trace.customdata[points.point_inds[0]])
        if not self.tabs.children[1].children:  # building the tab draws the row picked
            self.row_picker.value = row
            self.tabs.selected_index = 1
            return
        # what the reviewer waits for goes first: the tab switch, then the waterfall (a figure
        # ready for every explained row); the row box, the row's note and the rest follow
        with self._draw_lock:
            self._clicking = True
            try:
                self.tabs.selected_index = 1
                if self.explainer is not None or self._waterfall_row == row:
                    self._show_waterfall(row)
                if self.row_picker.value != row:
                    self.row_picker.value = row  # show_row: the rest
                else:
                    self._rest_if_missing()
            finally:
                self._clicking = False

    def _tab_changed(self, change: dict[str, Any]) -> None:
        """A live panel empties the Local tab's LIME, counterfactual and ICE when the tab is
        left (hidden figures the page would redraw as the tab shows again, before a click's
        waterfall) and draws them again when the tab is shown without a click."""
        if not self._live:
            return
        with self._draw_lock:
            if change["old"] == 1 and change["new"] != 1:
                self._rest = None
                self._clear_rest()
            elif change["new"] == 1 and not self._clicking:
                self._rest_if_missing()

    def _rest_if_missing(self) -> None:
        # the shown row's explanation is ready but its LIME, counterfactual and ICE are not shown
        if self.current is not None and self._rest_row != self.current.row and self._rest is None:
            self._draw_local(self.current)

    def _show_waterfall(self, row: int, local: LocalExplanation | None = None) -> None:
        """Row ``row``'s waterfall in the view, unless it shows it already (one message)."""
        if self._waterfall_row != row:
            update_in_place(self.waterfall, self._waterfall_dict(row, local))
            self._waterfall_row = row

    def _waterfall_dict(self, row: int, local: LocalExplanation | None = None) -> dict:
        """Row ``row``'s waterfall figure dict, cached: from its SHAP values (no model call for
        an explained row; it is the waterfall of its local explanation), or from ``local``."""
        fig = self._waterfalls.get(row)
        if fig is None:
            if self.explainer is not None:
                local = SimpleNamespace(
                    row=row,
                    shap=self.explainer.shap_contributions(row),
                    base_value=self.explanation.base_value,
                    output_space=self.explanation.output_space,
                )
            fig = figs.waterfall_figure_dict(local)
            self._waterfalls[row] = fig
        return fig

    def show_row(self, row: int) -> None:
        """Explain row ``row`` (cached after the first time) and redraw the local figures. In a
        live panel a row not prepared yet shows its waterfall at once (from its SHAP values) and
        the rest when the background thread has explained it."""
        if self.row_picker.value != row:
            self.row_picker.value = row  # observe calls back here
            return
        self._hold_background()
        with self._draw_lock:
            if self._live and self.explainer is not None and self.explainer.prepared(row) is None:
                self._draw_quick(row)
                self._want(row)
                return
            local = self._local(row)
            if local is None:
                self.current = None
                self.local_info.value = (
                    f'<p class="lw-note">Row {row}: {static.esc(NEEDS_EXPLAINER)} '
                    f"This result holds row {default_row(self.explanation)}.</p>"
                )
                self._rest = None
                update_in_place(self.waterfall, _blank_figure())
                for out in (self.lime, self.ice):
                    out.clear_output()
                self.counterfactual.value = ""
                self._waterfall_row = None
                return
            self._draw_local(local)

    def _draw_quick(self, row: int) -> None:
        """Row ``row``'s waterfall from its SHAP values (no model call); the rest cleared, with a
        note, until its local explanation is ready."""
        self.current = None
        self._rest = None  # another row's figures are not drawn
        self._show_waterfall(row)
        self.local_info.value = (
            f'<p class="lw-note">Row {row}: computing LIME, the counterfactual and ICE…</p>'
        )
        self._clear_rest()

    def _clear_rest(self) -> None:
        """Empty LIME, the counterfactual and ICE (one message each, only if not empty)."""
        for out in (self.lime, self.ice):
            if out.outputs:
                out.outputs = ()
        self.counterfactual.value = ""
        self._rest_row = None

    def _draw_local(self, local: LocalExplanation, *, at_once: bool = False) -> None:
        """Draw a row's whole local explanation (its waterfall only if another row's is shown).

        In a live panel inside a running kernel the waterfall (what the reviewer waits for) goes
        alone: LIME, the counterfactual and ICE follow once the page reports the waterfall drawn
        (at most ``REST_WAIT`` later), so the page draws one figure first, not four. A later pick
        drops them. Elsewhere (a static panel, no event loop, ``at_once``) all are drawn now."""
        self.current = local
        self._show_waterfall(local.row, local)  # if another row's is shown: the page draws it first
        waited = self.waterfall.revision > self._drawn_revision  # not reported drawn yet
        self.local_info.value = f'<div class="lw">{local_html(local)}</div>'
        self._rest = None
        loop = _running_loop() if self._live and not at_once else None
        if loop is None:
            self._draw_rest(local)
            return
        self._clear_rest()  # no other row's figures beside this waterfall

        def rest() -> None:
            with self._draw_lock:
                if self._rest is not rest:  # drawn already, or another pick came
                    return
                self._rest = None
                if self.current is local and not self._stop_precompute.is_set():
                    self._draw_rest(local)

        self._rest = rest
        self._rest_revision = self.waterfall.revision
        loop.call_later(REST_WAIT if waited else 0.0, rest)

    def _waterfall_drawn(self, revision: int) -> None:
        # the page drew waterfall number ``revision``: the row's other figures may follow, and
        # the background work (held since the hover or the click) may go on
        self._drawn_revision = max(self._drawn_revision, revision)
        if revision == self.waterfall.revision and self._live and self.explainer is not None:
            self.explainer.release()
        rest = self._rest
        if rest is not None and revision == self._rest_revision:
            rest()

    def _draw_rest(self, local: LocalExplanation) -> None:
        """A row's LIME, counterfactual and ICE (its waterfall and table are drawn); in a live
        panel, only while the Local tab shows (it draws them when shown again)."""
        if self._live and self.tabs.selected_index != 1:
            return
        show_in(self.lime, figs.lime_figure(local))
        self.counterfactual.value = f'<div class="lw">{counterfactual_html(local)}</div>'
        self._draw_ice()
        self._rest_row = local.row

    def _local(self, row: int) -> LocalExplanation | None:
        if self.explainer is not None:
            return self.explainer.local(row)
        featured = self.explanation.featured
        return featured if featured is not None and featured.row == row else None

    def _draw_ice(self) -> None:
        if self.current is not None and self.ice_feature.value:
            show_in(self.ice, figs.row_ice_figure(self.explanation, self.current, self.ice_feature.value))

    def _draw_dependence(self) -> None:
        feature = self.dep_feature.value
        if not feature:
            return
        show_in(self.dependence, figs.dependence_figure(self.explanation, feature))
        if any(a.feature == feature for a in self.explanation.ale):
            show_in(self.ale, ale_figure(self.explanation, feature))
        else:
            note = "ALE is for numeric features; this one holds categories."
            self.ale.outputs = (
                {
                    "output_type": "display_data",
                    "metadata": {},
                    "data": {"text/html": f'<p class="lw-note">{note}</p>', "text/plain": note},
                },
            )

    def _color_options(self) -> None:
        feature = self.shap_feature.value
        if not feature:
            return
        partner = self.explanation.strongest_interaction(feature)
        auto = f"strongest interaction ({partner})" if partner else "strongest interaction (none)"
        others = [f for f in self.shap_feature.options if f != feature]
        options = [(auto, "auto"), ("one colour", ""), *[(f, f) for f in others]]
        if list(self.shap_color.options) == options:
            self._draw_shap_dependence()
        else:
            self.shap_color.options = options  # resets the value, which redraws
            self.shap_color.value = "auto"

    def _draw_shap_dependence(self) -> None:
        feature, color = self.shap_feature.value, self.shap_color.value
        if feature and color is not None:
            show_in(
                self.shap_dependence,
                figs.shap_dependence_figure(self.explanation, feature, color=color or None),
            )


def _blank_figure() -> dict:
    """What the waterfall's view shows with no row: no axes, no bars (a figure dict: a go.Figure
    would carry plotly's own template, 7 kB, into the panel's first display)."""
    return {"data": [], "layout": {"xaxis": {"visible": False}, "yaxis": {"visible": False}, "height": 60}}


def _running_loop() -> asyncio.AbstractEventLoop | None:
    """The event loop this thread runs (a kernel's, handling a message or a cell), else None."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


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
