"""The registry panel: models, versions, their status history and champion/challenger
comparisons; and the static displays of the registry state and of one comparison."""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets

from lifecycle_widgets.core.experiments import ChampionChallenger, RegistryState
from lifecycle_widgets.core.formatting import fmt_number
from lifecycle_widgets.figures import experiments as figs
from lifecycle_widgets.panels import display
from lifecycle_widgets.panels import html as static
from lifecycle_widgets.panels.widgets import ResultPanel, html_widget, lazy_tabs, plotly_output


def registry_html(state: RegistryState) -> str:
    if not state.versions:
        return '<p class="lw-note">No registered models.</p>'
    rows = [
        (
            v.name,
            v.version,
            v.status,
            ", ".join(v.aliases),
            v.created[:19],
            v.run_id[:12],
            "; ".join(f"{k}: {', '.join(t)}" for k, t in v.links.items()),
        )
        for v in state.versions
    ]
    return static.table(
        rows,
        ["model", "version", "status", "aliases", "created", "run", "links"],
        classes=["high" if v.status == "Rejected" else None for v in state.versions],
    )


def history_html(state: RegistryState) -> str:
    rows = [
        (v.name, v.version, e.event, e.by, e.at[:19], e.detail) for v in state.versions for e in v.history
    ]
    return static.table(rows, ["model", "version", "event", "by", "at", "detail"])


def comparison_html(c: ChampionChallenger) -> str:
    """One comparison as a two-column table (every value escaped)."""
    p = "undefined" if c.p_value is None else f"{c.p_value:.3g}"
    statistic = "undefined" if c.statistic is None else f"{c.statistic:.4g}"
    rows = [
        ("Model", c.name),
        ("Metric", f"{c.metric} ({'higher' if c.higher_is_better else 'lower'} is better)"),
        ("Champion", f"version {c.champion}: {fmt_number(c.champion_value)}"),
        ("Challenger", f"version {c.challenger}: {fmt_number(c.challenger_value)}"),
        (
            "Challenger minus champion",
            f"{c.difference:+.4g} ({c.interval or '95% interval'}: {c.ci_low:+.4g} to {c.ci_high:+.4g})",
        ),
        (c.test, f"statistic {statistic}, p = {p}, {c.rows:,} rows"),
        ("Recommendation", c.recommendation),
    ]
    if c.at:
        rows.append(("Compared", f"{c.at[:19]}" + (f" by {c.by}" if c.by else "")))
    return static.table(rows)


def registry_sections(state: RegistryState) -> list[static.Section]:
    S, F, H = static.Section, static.FigureBlock, static.HtmlBlock
    sections = [
        S("Models and versions", (H(registry_html(state)),)),
        S("Status history", (H(history_html(state)),)),
    ]
    for c in state.comparisons:
        sections.append(
            S(
                f"Champion v{c.champion} against challenger v{c.challenger}",
                (H(comparison_html(c)), F("comparison", figs.comparison_figure(c))),
            )
        )
    return sections


class RegistryPanel(ResultPanel):
    """Models and versions, their status history, and champion/challenger comparisons."""

    def __init__(self, state: RegistryState, **kwargs: Any) -> None:
        self.state = state
        builders = {
            "Versions": lambda: html_widget(registry_html(state)),
            "History": lambda: html_widget(history_html(state)),
        }
        if state.comparisons:
            builders["Comparisons"] = lambda: widgets.VBox(
                [
                    w
                    for c in state.comparisons
                    for w in (html_widget(comparison_html(c)), plotly_output(figs.comparison_figure(c)))
                ]
            )
        self.tabs = lazy_tabs(builders)
        super().__init__(
            state, [html_widget(f"<h2>Model registry ({len(state.names)} models)</h2>"), self.tabs], **kwargs
        )


def registry_headline(state: RegistryState) -> list[static.Attention]:
    pending = [v for v in state.versions if v.status == "PendingManualApproval"]
    if pending:
        names = ", ".join(f"{v.name} v{v.version}" for v in pending[:6])
        return [static.Attention("medium", f"{len(pending)} versions await approval: {names}")]
    return []


def comparison_sections(c: ChampionChallenger) -> list[static.Section]:
    return static.table_and_figure("Comparison", comparison_html(c), "comparison", figs.comparison_figure(c))


display.describe(
    RegistryState,
    display.Description(
        title=lambda s: "Model registry",
        sections=registry_sections,
        headline=registry_headline,
        panel=RegistryPanel,
    ),
)
display.describe(
    ChampionChallenger,
    display.Description(
        title=lambda c: f"{c.name}: champion v{c.champion} vs challenger v{c.challenger}",
        sections=comparison_sections,
    ),
)
