"""The lineage panel: the graph from raw columns to model features, a feature's path, and what
is known of its raw columns; and the static display of :class:`~lifecycle_widgets.LineageGraph`."""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets

from lifecycle_widgets.core.lineage import LineageGraph
from lifecycle_widgets.figures import experiments as figs
from lifecycle_widgets.panels import display
from lifecycle_widgets.panels import html as static
from lifecycle_widgets.panels.widgets import ResultPanel, figure_widget, html_widget, update_in_place


def lineage_sections(lin: LineageGraph) -> list[static.Section]:
    S, F, H, P = static.Section, static.FigureBlock, static.HtmlBlock, static.PickerBlock
    table = static.table(
        [(f, ", ".join(lin.feature_sources[f])) for f in lin.features], ["feature", "raw columns"]
    )
    return [
        S("Lineage graph", (F("graph", figs.lineage_figure(lin)),)),
        S(
            "A feature's path",
            (P("path", "Feature", {f: figs.lineage_figure(lin, highlight=f) for f in lin.features[:100]}),),
        ),
        S("Features and their raw columns", (H(table),)),
    ]


class LineagePanel(ResultPanel):
    """The lineage graph (its one FigureWidget); picking a feature highlights its path back to raw
    columns and shows what is known of those columns: their profile, drift and attribution.

    Examples
    --------
    >>> import lifecycle_widgets as lw
    >>> from sklearn.compose import ColumnTransformer
    >>> from sklearn.preprocessing import OneHotEncoder
    >>> df = lw.datasets.credit(100)
    >>> ct = ColumnTransformer([("cat", OneHotEncoder(), ["region"])]).fit(df)
    >>> panel = lw.LineagePanel(lw.lineage(ct, df))
    >>> panel.show_feature("cat__region_east")
    >>> "region" in panel.info.value
    True
    """

    def __init__(
        self,
        lineage: LineageGraph,
        *,
        profile: Any = None,
        drift: Any = None,
        explanation: Any = None,
        **kwargs: Any,
    ) -> None:
        self.lineage, self.profile, self.drift, self.explanation = lineage, profile, drift, explanation
        self.figure = figure_widget(figs.lineage_figure(lineage))
        self.picker = widgets.Dropdown(
            options=[("all (none highlighted)", None), *((f, f) for f in lineage.features)], description="Feature"
        )
        self.info = widgets.HTML()
        self.picker.observe(lambda ch: self.show_feature(ch["new"]), names="value")
        super().__init__(
            lineage,
            [
                html_widget(f"<h2>Lineage: {static.short(lineage.name)}</h2>"),
                self.picker,
                self.figure,
                self.info,
            ],
            **kwargs,
        )

    def show_feature(self, feature: str | None) -> None:
        """Highlight ``feature``'s path (None: no highlight) and describe its raw columns."""
        update_in_place(self.figure, figs.lineage_figure(self.lineage, highlight=feature))
        if feature is None:
            self.info.value = ""
            return
        rows = []
        for raw in self.lineage.sources(feature):
            facts = []
            if self.profile is not None and raw in self.profile.column_names:
                c = self.profile.column(raw)
                facts.append(f"profile: {c.kind}, {c.missing_share:.1%} missing, {c.distinct:,} distinct")
            if self.drift is not None and raw in {f.name for f in self.drift.features}:
                d = self.drift.feature(raw)
                facts.append(
                    f"drift: {d.method} {d.distance:.3f}" + (" (drifted)" if d.drifted else "")
                    if d.distance is not None
                    else "drift: not compared"
                )
            if self.explanation is not None and raw in self.explanation.features:
                imp = self.explanation.global_importance().loc[raw, "shap_mean_abs"]
                facts.append(f"mean |SHAP| {imp:.4g}")
            rows.append((raw, "; ".join(facts) or "(no profile, drift or explanation given)"))
        self.info.value = f'<div class="lw"><h3>{static.short(feature)} comes from</h3>{static.table(rows, ["raw column", "what is known"])}</div>'


display.describe(
    LineageGraph,
    display.Description(title=lambda g: f"Lineage: {g.name}", sections=lineage_sections, panel=LineagePanel),
)
