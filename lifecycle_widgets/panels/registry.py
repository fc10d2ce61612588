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


def latest_comparisons(state: RegistryState) -> list[ChampionChallenger]:
    """The newest comparison of each (model, champion, challenger, metric), oldest first."""
    latest = {(c.name, c.champion, c.challenger, c.metric): c for c in state.comparisons}
    return list(latest.values())


def _status(state: RegistryState, name: str, version: int) -> str:
    return next((v.status for v in state.versions if v.name == name and v.version == version), "")


def _champion(state: RegistryState, name: str) -> int | None:
    return next((v.version for v in state.versions if v.name == name and "champion" in v.aliases), None)


def beaten_champions(state: RegistryState) -> list[ChampionChallenger]:
    """Latest comparisons in which a model's current champion (its ``champion`` alias) lost
    significantly to a challenger that is not rejected."""
    return [
        c
        for c in latest_comparisons(state)
        if c.challenger_wins
        and _champion(state, c.name) == c.champion
        and _status(state, c.name, c.challenger) != "Rejected"
    ]


def _verdict(c: ChampionChallenger) -> str:
    if c.p_value is None:
        return "undecided (test undefined)"
    if c.challenger_wins:
        return "challenger better"
    if c.challenger_loses:
        return "challenger worse"
    return "no significant difference"


def comparisons_html(state: RegistryState) -> str:
    """Every stored comparison, one row each, newest last; rows where the current champion
    lost are marked."""
    if not state.comparisons:
        return '<p class="lw-note">No comparisons yet: run <code>registry.compare(...)</code>.</p>'
    beaten = {id(c) for c in beaten_champions(state)}
    rows = [
        (
            c.name,
            f"v{c.champion}",
            f"v{c.challenger}",
            c.metric,
            fmt_number(c.champion_value),
            fmt_number(c.challenger_value),
            f"{c.difference:+.4g} ({c.ci_low:+.4g} to {c.ci_high:+.4g})",
            c.test,
            "" if c.p_value is None else f"{c.p_value:.3g}",
            _verdict(c),
            c.at[:19],
            c.by,
        )
        for c in state.comparisons
    ]
    return static.table(
        rows,
        [
            "model",
            "champion",
            "challenger",
            "metric",
            "champion value",
            "challenger value",
            "difference (95% interval)",
            "test",
            "p",
            "verdict",
            "at",
            "by",
        ],
        numeric=(4, 5, 8),
        classes=["high" if id(c) in beaten else None for c in state.comparisons],
    )


def registry_sections(state: RegistryState) -> list[static.Section]:
    S, F, H = static.Section, static.FigureBlock, static.HtmlBlock
    sections = [S("Models and versions", (H(registry_html(state)),))]
    if state.comparisons:
        sections.append(S("Comparisons", (H(comparisons_html(state)),)))
    sections.append(S("Status history", (H(history_html(state)),)))
    for c in latest_comparisons(state):
        sections.append(
            S(
                f"{c.name}: champion v{c.champion} against challenger v{c.challenger} on {c.metric}",
                (
                    H(comparison_html(c)),
                    F(
                        f"comparison {c.name} v{c.champion} v{c.challenger} {c.metric}",
                        figs.comparison_figure(c),
                    ),
                ),
            )
        )
    return sections


class RegistryPanel(ResultPanel):
    """Models and versions, every stored champion/challenger comparison (the newest of each
    pair and metric in detail, with its figure), and the status history; what needs attention
    (versions awaiting approval, a champion beaten by its challenger) comes first.

    Examples
    --------
    >>> import lifecycle_widgets as lw
    >>> from lifecycle_widgets.core.experiments import RegistryState
    >>> panel = lw.RegistryPanel(RegistryState(store="", versions=()))
    >>> panel.tabs.get_title(0), panel.tabs.get_title(1)
    ('Versions', 'Comparisons')
    """

    def __init__(self, state: RegistryState, **kwargs: Any) -> None:
        self.state = state
        builders = {
            "Versions": lambda: html_widget(registry_html(state)),
            "Comparisons": self._comparisons_tab,
            "History": lambda: html_widget(history_html(state)),
        }
        self.tabs = lazy_tabs(builders)
        super().__init__(
            state, [html_widget(f"<h2>Model registry ({len(state.names)} models)</h2>"), self.tabs], **kwargs
        )

    def _comparisons_tab(self) -> widgets.Widget:
        details = [
            w
            for c in latest_comparisons(self.state)
            for w in (
                html_widget(
                    f"<h3>{static.short(c.name)}: champion v{c.champion} against challenger "
                    f"v{c.challenger} on {static.esc(c.metric)}</h3>{comparison_html(c)}"
                ),
                plotly_output(figs.comparison_figure(c)),
            )
        ]
        return widgets.VBox([html_widget(comparisons_html(self.state)), *details])


def registry_headline(state: RegistryState) -> list[static.Attention]:
    items = []
    for c in beaten_champions(state):
        pending = _status(state, c.name, c.challenger) == "PendingManualApproval"
        action = (
            f"approve v{c.challenger}, then point champion at it"
            if pending
            else f"point champion at v{c.challenger}"
        )
        items.append(
            static.Attention(
                "high",
                f"{c.name}: champion v{c.champion} is worse than challenger v{c.challenger} on {c.metric} "
                f"({fmt_number(c.champion_value)} vs {fmt_number(c.challenger_value)}, {c.test} p = {c.p_value:.3g}); "
                f"{action}",
            )
        )
    pending = [v for v in state.versions if v.status == "PendingManualApproval"]
    if pending:
        names = ", ".join(f"{v.name} v{v.version}" for v in pending[:6])
        more = f" and {len(pending) - 6} more" if len(pending) > 6 else ""
        items.append(static.Attention("medium", f"{len(pending)} versions await approval: {names}{more}"))
    return items


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
