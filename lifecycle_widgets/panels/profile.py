"""The data-profile panel and the static display of a :class:`~lifecycle_widgets.DataProfile`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import ipywidgets as widgets
import plotly.graph_objects as go

from lifecycle_widgets.core.formatting import fmt_number
from lifecycle_widgets.core.profile_compare import ProfileComparison
from lifecycle_widgets.core.profiling import ColumnProfile, DataProfile, profile
from lifecycle_widgets.figures import profile as figs
from lifecycle_widgets.panels import display
from lifecycle_widgets.panels import html as static
from lifecycle_widgets.panels.profile_interactions import interaction_sections, interactions_tab
from lifecycle_widgets.panels.profile_timeseries import timeseries_sections, timeseries_tab
from lifecycle_widgets.panels.widgets import (
    ResultPanel,
    figure_widget,
    html_widget,
    lazy_tabs,
    plotly_output,
    update_in_place,
)


def _num(value: float | None, kind: str = "numeric") -> str:
    if value is None:
        return ""
    if kind == "datetime":
        return datetime.fromtimestamp(value, tz=UTC).strftime("%Y-%m-%d %H:%M:%S")
    return fmt_number(value, digits=6)


def overview_html(prof: DataProfile) -> str:
    """Dataset-level facts as a table."""
    dup = f"{prof.duplicate_rows:,}" + ("" if prof.duplicate_rows_exact else " (estimated)")
    rows = [
        ("Source", prof.source),
        ("Rows", f"{prof.n_rows:,}"),
        ("Columns", f"{prof.n_columns:,}"),
        ("Memory", f"{prof.memory_bytes / 2**20:,.1f} MiB"),
        ("Duplicate rows", dup),
        ("Missing cells", f"{sum(c.missing for c in prof.columns):,}"),
        (
            "Alerts",
            ", ".join(f"{sum(a.severity == s for a in prof.alerts)} {s}" for s in ("high", "medium", "low")),
        ),
        ("Target", prof.target or "(none)"),
        ("Fingerprint (SHA-256)", prof.fingerprint.sha256),
        ("Correlation sample", correlation_sample_text(prof)),
    ]
    return static.table(rows)


def correlation_sample_text(prof: DataProfile) -> str:
    """The rows the correlations are computed on: the whole row sample, or (a wide table) the
    first of its rows, with a coefficient's standard error.

    Examples
    --------
    >>> import lifecycle_widgets as lw
    >>> correlation_sample_text(lw.profile(lw.datasets.credit(300)))
    '300 rows'
    """
    rows = prof.association_rows
    if rows is None or rows >= prof.sample_rows:
        return f"{prof.sample_rows:,} rows"
    return (
        f"{rows:,} of the {prof.sample_rows:,} sampled rows (standard error of a coefficient at most "
        f"{1 / rows**0.5:.3f})"
    )


def columns_html(prof: DataProfile) -> str:
    """One row per column with its main statistics."""
    header = ["column", "kind", "dtype", "missing", "distinct", "mean", "std", "min", "max"]
    rows = [
        (
            c.name,
            c.kind,
            c.dtype,
            f"{c.missing_share:.1%}",
            f"{c.distinct:,}" + ("" if c.distinct_exact else "≈"),
            _num(c.mean, c.kind),
            _num(c.std) if c.kind != "datetime" else "",
            _num(c.min, c.kind),
            _num(c.max, c.kind),
        )
        for c in prof.columns
    ]
    return static.table(rows, header, numeric=(3, 4, 5, 6, 7, 8))


def column_html(col: ColumnProfile) -> str:
    """The statistics of one column."""
    rows: list[tuple[str, str]] = [
        ("Kind", col.kind),
        ("dtype", col.dtype),
        ("Values", f"{col.count:,}"),
        ("Missing", f"{col.missing:,} ({col.missing_share:.1%})"),
        ("Distinct", f"{col.distinct:,}" + ("" if col.distinct_exact else " (estimated, ±5%)")),
    ]
    if col.mean is not None:
        rows += [
            ("Mean", _num(col.mean, col.kind)),
            ("Min", _num(col.min, col.kind)),
            ("Max", _num(col.max, col.kind)),
        ]
        rows += [
            (f"Quantile {p}", _num(q, col.kind))
            for p, q in col.quantiles.items()
            if p in ("0.05", "0.25", "0.5", "0.75", "0.95")
        ]
    if col.std is not None and col.kind != "datetime":
        rows.append(("Std", _num(col.std)))
    for label, value in (("Skewness", col.skewness), ("Kurtosis", col.kurtosis)):
        if value is not None:
            rows.append((label, f"{value:.3f}"))
    for label, value in (("Zeros", col.zeros), ("Negatives", col.negatives), ("Infinite", col.infinite)):
        if value:
            rows.append((label, f"{value:,}"))
    if col.timezone:
        rows.append(("Time zone", col.timezone))
    if col.mean_length is not None:
        rows.append(("Mean length", f"{col.mean_length:.1f} characters"))
    if col.value_types:
        rows.append(("Value types", ", ".join(f"{k}: {v:,}" for k, v in col.value_types.items())))
    if col.top_values_error:
        rows.append(("Top-value counts", f"low by at most {col.top_values_error:,}"))
    if col.imbalance is not None:
        rows.append(("Imbalance", f"{col.imbalance:.2f} (0 balanced, 1 one value)"))
    if col.min_length is not None:
        unit = "bytes" if col.kind == "binary" else "characters"
        rows.append(("Length", f"{col.min_length:,} to {col.max_length:,} {unit}"))
    rows += text_rows(col)
    return static.table(rows)


def text_rows(col: ColumnProfile) -> list[tuple[str, str]]:
    """Words, characters and patterns of a text column, as table rows."""
    summary = col.text
    if summary is None or summary.unit != "characters":
        return []
    where = "" if summary.counted_values == col.count else f" (in {summary.counted_values:,} sampled values)"
    rows = [
        ("Words", f"{summary.words_total:,}, {summary.distinct_words:,} distinct{where}"),
        ("Words per value", f"{_num(summary.words_mean)} on average, at most {summary.words_max:,}"),
    ]
    if summary.top_words:
        rows.append(("Top words", ", ".join(f"{w} ({n:,})" for w, n in summary.top_words[:10])))
    if summary.character_classes:
        total = summary.characters_total or 1
        rows.append(
            (
                "Characters",
                ", ".join(f"{label} {n / total:.0%}" for label, n in summary.character_classes),
            )
        )
    if summary.patterns:
        rows.append(
            (
                f"Patterns ({summary.distinct_patterns:,})",
                ", ".join(f"{p} ({n:,})" for p, n in summary.patterns[:5]),
            )
        )
    return rows


def correlations_note_html(prof: DataProfile) -> str:
    """Which columns are in no correlation matrix and why, and any matrix's departure from its
    method."""
    parts = []
    for m in prof.correlations:
        if m.note:
            parts.append(f'<p class="lw-note">{static.esc(m.method.capitalize())}: {static.esc(m.note)}.</p>')
    if prof.correlations_left_out:
        parts.append('<p class="lw-note">Not in the correlations:</p>')
        parts.append(
            static.table([(c.column, c.reason) for c in prof.correlations_left_out], ["column", "why"])
        )
    return "".join(parts)


def card_html(prof: DataProfile) -> str:
    """The data card, or a note on how to attach one."""
    if prof.card is None:
        return (
            '<p class="lw-note">No data card attached. Attach one with '
            "<code>prof.with_card(owner=..., source=..., license=...)</code>.</p>"
        )
    out = static.table([(k, v) for k, v in prof.card.items() if v])
    if prof.card.sensitive:
        out += '<p class="lw-note">Sensitive columns:</p>' + static.table(
            [
                (s.column, s.category, "detected" if s.detected else "flagged", s.reason)
                for s in prof.card.sensitive
            ],
            ["column", "category", "how found", "note"],
        )
    return out


def alerts_html(prof: DataProfile) -> str:
    if not prof.alerts:
        return '<p class="lw-note">No alerts.</p>'
    return static.table(
        [
            (a.severity, a.type.replace("_", " "), " ~ ".join(a.columns) or "(dataset)", a.message)
            for a in prof.alerts
        ],
        ["severity", "alert", "column", "detail"],
        classes=[a.severity for a in prof.alerts],
    )


def static_sections(prof: DataProfile) -> list[static.Section]:
    """The static display: every figure, plus a column picker with all distributions embedded."""
    S, F, H, P = static.Section, static.FigureBlock, static.HtmlBlock, static.PickerBlock
    # figure dicts, not go.Figure: plotly's validation of 2,000 distributions took seconds
    sections = [
        S("Overview", (H(overview_html(prof)), F("overview", figs.overview_figure_dict(prof)))),
        S("Alerts", (H(alerts_html(prof)),)),
        S(
            "Columns",
            (H(columns_html(prof)),)
            + (
                (
                    P(
                        "distribution",
                        "Column",
                        {c.name: figs.distribution_figure_dict(prof, c.name) for c in prof.columns},
                        default=_first_worth_showing(prof),
                    ),
                )
                if prof.columns
                else ()
            ),
        ),
        S("Missing values", missing_blocks(prof)),
    ]
    if prof.correlations:
        note = correlations_note_html(prof)
        sections.append(
            S(
                "Correlations",
                (F("correlations", figs.correlation_figure_dict(prof)),) + ((H(note),) if note else ()),
            )
        )
    if prof.target_association:
        sections.append(
            S(
                f"Association with the target {prof.target!r} ({prof.target_type})",
                (F("target", figs.target_figure_dict(prof)),),
            )
        )
    sections += interaction_sections(prof)
    sections += timeseries_sections(prof)
    sections.append(S("Data card", (H(card_html(prof)),)))
    return sections


def fallback_sections(prof: DataProfile) -> list[static.Section]:
    """The static twin of a live panel: the overview, the alerts and the columns table, without
    the figures of every column that :func:`static_sections` embeds. The twin is shown only where
    the live panel cannot be (a notebook reopened without its kernel), so its cost is paid on
    every display for a view seldom seen: for 1,000 columns the full static view costs seconds,
    this one milliseconds.

    Examples
    --------
    >>> import lifecycle_widgets as lw
    >>> [s.title for s in fallback_sections(lw.profile(lw.datasets.credit(300)))]
    ['Overview', 'Alerts', 'Columns']
    """
    S, F, H = static.Section, static.FigureBlock, static.HtmlBlock
    return [
        S("Overview", (H(overview_html(prof)), F("overview", figs.overview_figure_dict(prof)))),
        S("Alerts", (H(alerts_html(prof)),)),
        S("Columns", (H(columns_html(prof)),)),
    ]


LIGHT_TWIN_COLUMNS = 100  # wider profiles get the light twin: the full one costs seconds


def twin_sections(prof: DataProfile) -> list[static.Section]:
    """The sections of a live profile panel's static twin: the full static view, or above
    :data:`LIGHT_TWIN_COLUMNS` columns the light one (:func:`fallback_sections`)."""
    return static_sections(prof) if prof.n_columns <= LIGHT_TWIN_COLUMNS else fallback_sections(prof)


def missing_blocks(prof: DataProfile) -> tuple[static.Block, ...]:
    """The missing-value figures: shares by column, where in the table, and which go together."""
    blocks: list[static.Block] = [static.FigureBlock("missing", figs.missing_figure_dict(prof))]
    if prof.missing_matrix is not None:
        blocks.append(static.FigureBlock("missing_matrix", figs.missing_matrix_figure_dict(prof)))
    if prof.nullity_correlation is not None:
        blocks.append(static.FigureBlock("nullity", figs.nullity_figure_dict(prof)))
    return tuple(blocks)


class ProfilePanel(ResultPanel):
    """Interactive panel of a data profile: overview, columns, missing values, correlations,
    interactions (any pair of numeric columns), the time series of a time-indexed frame, alerts
    and the data card, each in a tab built when first opened.

    The Columns tab holds the panel's only ``FigureWidget``; picking a column updates it in
    place, in one batched message.

    Examples
    --------
    >>> import lifecycle_widgets as lw
    >>> panel = lw.ProfilePanel.from_frame(lw.datasets.credit(300), target="defaulted")
    >>> panel.tabs.titles[:3]
    ('Overview', 'Columns', 'Missing values')
    """

    def __init__(self, result: DataProfile, **kwargs: Any) -> None:
        self.profile = result
        self.figure: go.FigureWidget | None = None
        self.column_picker = widgets.Dropdown(
            options=list(result.column_names),
            value=_first_worth_showing(result),
            description="Column",
            layout=widgets.Layout(width="28em"),
        )
        self.column_filter = widgets.Text(placeholder="filter columns", layout=widgets.Layout(width="14em"))
        self.column_stats = widgets.HTML()
        builders = {
            "Overview": lambda: widgets.VBox(
                [html_widget(overview_html(result)), plotly_output(figs.overview_figure(result))]
            ),
            "Columns": self._columns_tab,
            "Missing values": lambda: widgets.VBox(
                [plotly_output(b.figure) for b in missing_blocks(result) if isinstance(b, static.FigureBlock)]
            ),
            "Correlations": self._correlations_tab,
            **({"Interactions": lambda: interactions_tab(result)} if result.interactions is not None else {}),
            **({"Time series": lambda: timeseries_tab(result)} if result.timeseries is not None else {}),
            "Alerts": lambda: html_widget(alerts_html(result)),
            "Data card": lambda: html_widget(card_html(result)),
        }
        self.tabs = lazy_tabs(builders)
        title = html_widget(f"<h2>{static.esc(_title(result))}</h2>")
        super().__init__(result, [title, self.tabs], **kwargs)

    @classmethod
    def from_frame(cls, data: Any, **profile_kwargs: Any) -> ProfilePanel:
        """Profile ``data`` (frame, Table or Parquet path) and build its panel."""
        return cls(profile(data, **profile_kwargs))

    def _columns_tab(self) -> widgets.Widget:
        if not self.profile.columns:
            return html_widget('<p class="lw-note">The dataset has no columns.</p>')
        first = self.column_picker.value
        self.figure = figure_widget(figs.distribution_figure(self.profile, first))
        self.column_stats.value = f'<div class="lw">{column_html(self.profile.column(first))}</div>'
        self.column_picker.observe(lambda ch: self.show_column(ch["new"]), names="value")
        self.column_filter.observe(self._filter, names="value")
        controls = widgets.HBox([self.column_picker, self.column_filter])
        body = widgets.HBox([self.figure, self.column_stats])
        return widgets.VBox([controls, body])

    def _filter(self, change: dict) -> None:
        needle = str(change["new"]).lower()
        names = [n for n in self.profile.column_names if needle in n.lower()]
        current = self.column_picker.value
        self.column_picker.options = names
        if current in names:
            self.column_picker.value = current

    def show_column(self, name: str | None) -> None:
        """Show the distribution and statistics of column ``name``, updating the figure in place."""
        if name is None or self.figure is None:
            return
        update_in_place(self.figure, figs.distribution_figure(self.profile, name))
        self.column_stats.value = f'<div class="lw">{column_html(self.profile.column(name))}</div>'

    def _correlations_tab(self) -> widgets.Widget:
        parts: list[widgets.Widget] = []
        if self.profile.correlations:
            parts.append(plotly_output(figs.correlation_figure(self.profile)))
            note = correlations_note_html(self.profile)
            if note:
                parts.append(html_widget(note))
        if self.profile.target_association:
            parts.append(plotly_output(figs.target_figure(self.profile)))
        if not parts:
            parts.append(html_widget('<p class="lw-note">Too few rows or columns for correlations.</p>'))
        return widgets.VBox(parts)


def _first_worth_showing(prof: DataProfile) -> str | None:
    """The first column with a distribution to show (identifiers and empty columns have none)."""
    for col in prof.columns:
        if col.kind not in ("identifier", "empty", "text"):
            return col.name
    return prof.columns[0].name if prof.columns else None


def _title(prof: DataProfile) -> str:
    return f"Data profile: {prof.source} ({prof.n_rows:,} rows x {prof.n_columns} columns)"


def profile_headline(prof: DataProfile) -> list[static.Attention]:
    """The alerts by severity, each with the columns it names."""
    out = []
    for severity in ("high", "medium", "low"):
        alerts = [a for a in prof.alerts if a.severity == severity]
        if alerts:
            named = ", ".join(
                f"{a.type.replace('_', ' ')} ({' ~ '.join(a.columns)})"
                if a.column
                else a.type.replace("_", " ")
                for a in alerts[:5]
            )
            more = f" and {len(alerts) - 5} more" if len(alerts) > 5 else ""
            out.append(static.Attention(severity, f"{len(alerts)} {severity} alerts: {named}{more}"))
    if not out:
        out.append(static.Attention("ok", "No data quality alerts."))
    return out


display.describe(
    DataProfile,
    display.Description(
        title=_title,
        sections=static_sections,
        headline=profile_headline,
        panel=ProfilePanel,
        fallback=twin_sections,
    ),
)


# --- two profiles compared -------------------------------------------------------------------


def _comparison_title(cmp: ProfileComparison) -> str:
    return f"Profiles compared: {cmp.labels[0]} vs {cmp.labels[1]}"


def comparison_overview_html(cmp: ProfileComparison) -> str:
    """The two datasets' facts side by side."""
    left, right = cmp.left, cmp.right
    rows = [
        ("Source", left.source, right.source),
        ("Rows", f"{left.n_rows:,}", f"{right.n_rows:,}"),
        ("Columns", f"{left.n_columns:,}", f"{right.n_columns:,}"),
        ("Duplicate rows", f"{left.duplicate_rows:,}", f"{right.duplicate_rows:,}"),
        (
            "Missing cells",
            f"{sum(c.missing for c in left.columns):,}",
            f"{sum(c.missing for c in right.columns):,}",
        ),
        ("Alerts", f"{len(left.alerts):,}", f"{len(right.alerts):,}"),
        ("Fingerprint (SHA-256)", left.fingerprint.sha256[:16], right.fingerprint.sha256[:16]),
    ]
    return static.table(rows, ["", *cmp.labels])


def comparison_columns_html(cmp: ProfileComparison) -> str:
    """One row per column in both profiles: kinds, distance, missing shares, means, distinct."""
    a, b = cmp.labels
    rows = [
        (
            c.name,
            c.left_kind if c.left_kind == c.right_kind else f"{c.left_kind} → {c.right_kind}",
            "" if c.distance is None else f"{c.distance:.3f}",
            figs.COMPARISON_METHODS.get(c.method or "", c.note),
            f"{c.left_missing_share:.1%}",
            f"{c.right_missing_share:.1%}",
            _num(c.left_mean, c.left_kind),
            _num(c.right_mean, c.right_kind),
            f"{c.left_distinct:,}",
            f"{c.right_distinct:,}",
        )
        for c in cmp.columns
    ]
    header = [
        "column",
        "kind",
        "distance",
        "measure",
        f"missing {a}",
        f"missing {b}",
        f"mean {a}",
        f"mean {b}",
    ]
    header += [f"distinct {a}", f"distinct {b}"]
    return static.table(rows, header, numeric=(2, 4, 5, 6, 7, 8, 9))


def comparison_sections(cmp: ProfileComparison) -> list[static.Section]:
    """Overview and distances, then every column's two distributions behind a picker."""
    S, F, H, P = static.Section, static.FigureBlock, static.HtmlBlock, static.PickerBlock
    sections = [
        S("Overview", (H(comparison_overview_html(cmp)), F("distances", figs.comparison_figure(cmp)))),
    ]
    if cmp.columns:
        first = cmp.shifted[0].name if cmp.shifted else cmp.columns[0].name
        sections.append(
            S(
                "Columns",
                (
                    H(comparison_columns_html(cmp)),
                    P(
                        "distribution",
                        "Column",
                        {c.name: figs.comparison_distribution_figure_dict(cmp, c.name) for c in cmp.columns},
                        default=first,
                    ),
                ),
            )
        )
    if cmp.only_left or cmp.only_right:
        rows = [(n, cmp.labels[0]) for n in cmp.only_left] + [(n, cmp.labels[1]) for n in cmp.only_right]
        sections.append(S("Columns in one profile only", (H(static.table(rows, ["column", "only in"])),)))
    return sections


def comparison_headline(cmp: ProfileComparison) -> list[static.Attention]:
    """Kinds that changed, then columns that shifted, then columns in one profile only."""
    out = []
    changed = [c for c in cmp.columns if c.left_kind != c.right_kind and c.note]
    if changed:
        named = ", ".join(f"{c.name} ({c.left_kind} to {c.right_kind})" for c in changed[:5])
        out.append(static.Attention("high", f"{len(changed)} columns changed kind: {named}"))
    if cmp.shifted:
        named = ", ".join(f"{c.name} ({c.distance:.2f})" for c in cmp.shifted[:5])
        more = f" and {len(cmp.shifted) - 5} more" if len(cmp.shifted) > 5 else ""
        out.append(static.Attention("medium", f"{len(cmp.shifted)} columns shifted: {named}{more}"))
    missing = [c for c in cmp.columns if abs(c.right_missing_share - c.left_missing_share) >= 0.1]
    if missing:
        named = ", ".join(
            f"{c.name} ({c.left_missing_share:.0%} to {c.right_missing_share:.0%})" for c in missing[:5]
        )
        out.append(static.Attention("medium", f"{len(missing)} columns changed their missing share: {named}"))
    if cmp.only_left or cmp.only_right:
        out.append(
            static.Attention(
                "medium",
                f"{len(cmp.only_left)} columns only in {cmp.labels[0]}, {len(cmp.only_right)} only in {cmp.labels[1]}",
            )
        )
    return out or [static.Attention("ok", "No column shifted.")]


display.describe(
    ProfileComparison,
    display.Description(title=_comparison_title, sections=comparison_sections, headline=comparison_headline),
)
