"""The runs panel: runs side by side (sortable, filterable table, parameter diff, step curves,
a metric by parameter), and the static display of :class:`~lifecycle_widgets.Runs`."""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets
import plotly.graph_objects as go

from lifecycle_widgets.core.experiments import Runs
from lifecycle_widgets.core.formatting import fmt_number
from lifecycle_widgets.figures import experiments as figs
from lifecycle_widgets.panels import display
from lifecycle_widgets.panels import html as static
from lifecycle_widgets.panels.widgets import (
    ResultPanel,
    figure_widget,
    html_widget,
    lazy_tabs,
    show_in,
    update_in_place,
)

MAX_TABLE_ROWS = 200


def _keys(runs: Runs) -> tuple[list[str], list[str]]:
    params = sorted({k for r in runs.runs for k in r.params})
    metrics = sorted({k for r in runs.runs for k in r.metrics})
    return params, metrics


def runs_html(
    runs: Runs,
    *,
    sort: str | None = None,
    descending: bool = True,
    needle: str = "",
    limit: int = MAX_TABLE_ROWS,
) -> str:
    """The runs as a table: name, status, metrics, then parameters that vary."""
    _params, metrics = _keys(runs)
    varying = runs.differing_params()
    chosen = [
        r
        for r in runs.runs
        if not needle
        or needle.lower()
        in " ".join([r.name, r.id, *map(str, r.params.values()), *map(str, r.tags.values())]).lower()
    ]
    if sort:
        kind, _, key = sort.partition(".")

        def value(r: Any) -> Any:
            v = (r.metrics if kind == "metric" else r.params).get(key)
            try:
                return (0, float(v))
            except (TypeError, ValueError):
                return (1 if v is None else 0, str(v))

        chosen = sorted(chosen, key=value, reverse=descending)
    header = ["run", "status", *[f"{m}" for m in metrics], *[f"{p}" for p in varying]]
    rows = [
        (
            r.name,
            r.status,
            *[fmt_number(r.metrics.get(m)) for m in metrics],
            *[r.params.get(p, "") for p in varying],
        )
        for r in chosen[:limit]
    ]
    more = f'<p class="lw-note">{len(chosen) - limit} more runs not shown.</p>' if len(chosen) > limit else ""
    return static.table(rows, header, numeric=tuple(range(2, 2 + len(metrics)))) + more


def diff_html(runs: Runs, ids: list[str]) -> str:
    """Only the parameters that differ among the selected runs, side by side."""
    chosen = [r for r in runs.runs if r.id in ids]
    if len(chosen) < 2:
        return '<p class="lw-note">Select two runs or more to see the parameters that differ.</p>'
    keys = runs.differing_params(ids)
    if not keys:
        return '<p class="lw-note">The selected runs have the same parameters.</p>'
    return static.table(
        [(k, *[r.params.get(k, "(unset)") for r in chosen]) for k in keys],
        ["parameter", *[r.name for r in chosen]],
    )


def runs_sections(runs: Runs) -> list[static.Section]:
    S, F, H = static.Section, static.FigureBlock, static.HtmlBlock
    _params, metrics = _keys(runs)
    sections = [S("Runs", (H(runs_html(runs)),))]
    frame = runs.to_frame()
    varying = runs.differing_params()
    if metrics and varying:
        metric = metrics[0]
        sections.append(
            S(
                f"{metric} by parameter",
                tuple(
                    F(f"{metric} by {p}", figs.metric_by_param_figure(frame, metric, p)) for p in varying[:4]
                ),
            )
        )
        sections.append(
            S("Parameters and metric", (F("parallel", figs.parallel_figure(frame, metric, varying[:8])),))
        )
    return sections


def _label(r: Any, metric: str | None) -> str:
    # option labels are plain text with no hover: cut long names so the list keeps its width
    score = f" ({static.cut(metric, 40)} {r.metrics[metric]:.4g})" if metric and metric in r.metrics else ""
    return f"{static.cut(r.name, static.CELL_LIMIT)}{score}"


class ComparisonPanel(ResultPanel):
    """Runs side by side: a sortable, filterable table; pick runs to see only the parameters that
    differ and their step curves; a metric grouped by a parameter (mean ± std over seeds), against
    a parameter, and in parallel coordinates. Curves of running runs update live when the store
    they came from logs in this process (:meth:`watch`).

    Examples
    --------
    >>> import lifecycle_widgets as lw
    >>> store = lw.RunStore("/tmp/doc-compare.db")
    >>> for depth in (2, 4):
    ...     with store.start_run(experiment="doc-compare") as run:
    ...         run.log_params({"depth": depth}); run.log_metrics({"auc": 0.8 + depth / 100})
    >>> panel = lw.compare(store.runs(experiment="doc-compare"))
    >>> panel.select([r.id for r in panel.runs.runs])
    >>> "depth" in panel.diff.value
    True
    """

    def __init__(self, runs: Runs, *, store: Any = None, **kwargs: Any) -> None:
        self.runs = runs
        self.store = store
        params, metrics = _keys(runs)
        self.sort = widgets.Dropdown(
            options=[("(started)", None)]
            + [(f"metric: {m}", f"metric.{m}") for m in metrics]
            + [(f"param: {p}", f"param.{p}") for p in params],
            description="Sort by",
        )
        self.descending = widgets.Checkbox(value=True, description="descending", indent=False)
        self.filter = widgets.Text(placeholder="filter runs by name, parameter or tag")
        self.table = widgets.HTML()
        first_metric = metrics[0] if metrics else None
        self.picker = widgets.SelectMultiple(
            options=[(_label(r, first_metric), r.id) for r in runs.runs],
            rows=min(10, max(3, len(runs.runs))),
            description="Runs",
            layout=widgets.Layout(width="34em"),
        )
        self.diff = widgets.HTML()
        self.metric = widgets.Dropdown(options=metrics, description="Metric")
        varying = runs.differing_params() or params
        self.param = widgets.Dropdown(options=varying, description="Parameter")
        self.curves: go.FigureWidget | None = None
        self.grouped, self.scatter, self.parallel = (
            widgets.Output(layout=widgets.Layout(width="100%")) for _ in range(3)
        )
        for w in (self.sort, self.descending, self.filter):
            w.observe(lambda _: self._draw_table(), names="value")
        self.picker.observe(lambda _: self._selection_changed(), names="value")
        self.metric.observe(lambda _: self._metric_changed(), names="value")
        self.param.observe(lambda _: self._draw_charts(), names="value")
        self._draw_table()
        builders = {
            "Runs": lambda: widgets.VBox(
                [widgets.HBox([self.sort, self.descending, self.filter]), self.table]
            ),
            "Compare selected": self._selected_tab,
            "By parameter": self._charts_tab,
        }
        self.tabs = lazy_tabs(builders)
        super().__init__(runs, [html_widget(f"<h2>{len(runs.runs)} runs</h2>"), self.tabs], **kwargs)

    def _draw_table(self) -> None:
        self.table.value = f'<div class="lw">{runs_html(self.runs, sort=self.sort.value, descending=self.descending.value, needle=self.filter.value)}</div>'

    def select(self, ids: list[str]) -> None:
        """Select runs by id (as picking them in the list does)."""
        self.picker.value = tuple(ids)

    def _selected_tab(self) -> widgets.Widget:
        self.curves = figure_widget(self._curves_figure())
        self._selection_changed()
        return widgets.VBox([self.picker, self.diff, self.metric, self.curves])

    def _curves_figure(self) -> go.Figure:
        metric = self.metric.value
        if self.store is None or metric is None:
            return figs.step_curves_figure({}, metric or "metric")
        names = {r.id: r.name for r in self.runs.runs}
        return figs.step_curves_figure(
            {names[i]: self.store.metric_history(i, metric) for i in self.picker.value}, metric
        )

    def _selection_changed(self) -> None:
        self.diff.value = f'<div class="lw">{diff_html(self.runs, list(self.picker.value))}</div>'
        if self.curves is not None:
            update_in_place(self.curves, self._curves_figure())

    def _metric_changed(self) -> None:
        self._draw_charts()
        if self.curves is not None:  # the step curves show this metric too
            update_in_place(self.curves, self._curves_figure())

    def _charts_tab(self) -> widgets.Widget:
        self._draw_charts()
        return widgets.VBox(
            [widgets.HBox([self.metric, self.param]), self.grouped, self.scatter, self.parallel]
        )

    def _draw_charts(self) -> None:
        metric, param = self.metric.value, self.param.value
        if metric is None or param is None:
            return
        frame = self.runs.to_frame()
        show_in(self.grouped, figs.metric_by_param_figure(frame, metric, param))
        show_in(self.scatter, figs.metric_vs_param_figure(frame, metric, param))
        varying = self.runs.differing_params() or [param]
        show_in(
            self.parallel,
            figs.parallel_figure(frame.dropna(subset=[f"metric.{metric}"]), metric, varying[:8]),
        )

    def watch(self, store: Any) -> None:
        """Redraw the step curves whenever ``store`` logs a metric of a selected run (in this process)."""
        self.store = store

        def refresh(run_id: str, metrics: dict[str, Any], step: int | None) -> None:
            if run_id in self.picker.value and self.curves is not None and self.metric.value in metrics:
                update_in_place(self.curves, self._curves_figure())

        store.on_log(refresh)


def compare(runs: Runs, *, store: Any = None) -> ComparisonPanel:
    """Open runs side by side in a :class:`ComparisonPanel` (step curves need the ``store``)."""
    if store is None and runs.store:
        # the one reference from a panel to the store, made lazily: step curves read metric history
        from lifecycle_widgets.store.runs import RunStore

        store = RunStore(runs.store)
    panel = ComparisonPanel(runs, store=store)
    if store is not None:
        panel.watch(store)
    return panel


display.describe(
    Runs,
    display.Description(
        title=lambda r: f"{len(r.runs)} runs", sections=runs_sections, panel=lambda r: compare(r)
    ),
)
