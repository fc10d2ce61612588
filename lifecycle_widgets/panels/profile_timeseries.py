"""The time-series part of a data profile's display: the time index and its gaps, one row of
statistics per column, and each column's autocorrelation and decomposition behind a picker;
and the live tab that shows the same with a column drop-down."""

from __future__ import annotations

from datetime import UTC, datetime

import ipywidgets as widgets

from lifecycle_widgets.core.formatting import fmt_number
from lifecycle_widgets.core.profile_timeseries import TimeSeriesProfile
from lifecycle_widgets.core.profiling import DataProfile
from lifecycle_widgets.figures import profile_timeseries as figs
from lifecycle_widgets.panels import html as static
from lifecycle_widgets.panels.widgets import html_widget, plotly_output, show_in


def _when(seconds: float | None) -> str:
    if seconds is None:
        return ""
    return datetime.fromtimestamp(seconds, tz=UTC).strftime("%Y-%m-%d %H:%M:%S")


def time_index_html(ts: TimeSeriesProfile) -> str:
    """The time index: its span, step, duplicates and gaps (largest first listed)."""
    idx = ts.index
    rows = [
        ("Time", idx.label),
        ("From", _when(idx.start)),
        ("To", _when(idx.end)),
        ("Step", idx.step_label or "(one timestamp)"),
        ("Distinct timestamps", f"{idx.timestamps:,}"),
        ("Rows in time order", "yes" if idx.ordered else "no (sorted for the statistics)"),
    ]
    if idx.duplicates:
        rows.append(("Rows sharing a timestamp", f"{idx.duplicates:,} (averaged)"))
    if idx.missing_times:
        rows.append(("Rows without a time", f"{idx.missing_times:,} (left out)"))
    if idx.exact:
        rows += [
            ("Missing periods", f"{idx.missing_periods or 0:,} in {idx.gap_count or 0:,} gaps"),
            ("Intervals not a whole number of steps", f"{idx.irregular_steps or 0:,}"),
        ]
    else:
        rows.append(("Gaps", "not measured (statistics from a row sample)"))
    rows.append(("Analysed on a grid of", ts.grid_step))
    out = static.table(rows)
    if idx.gaps:
        out += '<p class="lw-note">Largest gaps:</p>' + static.table(
            [(_when(g.start), _when(g.end), f"{g.missing:,}") for g in idx.gaps],
            ["last time before", "first time after", "missing steps"],
            numeric=(2,),
        )
    if ts.note:
        out += f'<p class="lw-note">{static.esc(ts.note)}</p>'
    return out


def series_html(ts: TimeSeriesProfile) -> str:
    """One row per column: period, strengths, trend slope and the stationarity test."""
    rows = []
    for s in ts.series:
        rows.append(
            (
                s.column,
                f"{s.points:,}" + (f" ({s.filled:,} filled)" if s.filled else ""),
                ts.period_label(s.period) if s.period else "none",
                fmt_number(s.seasonal_strength) if s.seasonal_strength is not None else "",
                fmt_number(s.trend_strength) if s.trend_strength is not None else "",
                fmt_number(s.slope) if s.slope is not None else "",
                fmt_number(s.adf_pvalue) if s.adf_pvalue is not None else s.note,
                {True: "yes", False: "no", None: ""}[s.stationary],
            )
        )
    classes = ["medium" if s.stationary is False else ("low" if s.seasonal else None) for s in ts.series]
    header = [
        "column",
        "points",
        "period",
        "seasonal strength",
        "trend strength",
        f"slope per {ts.grid_step}",
        "ADF p-value",
        "stationary",
    ]
    if not rows:
        return '<p class="lw-note">No numeric column to follow over time.</p>' + _left_out_html(ts)
    out = static.table(rows, header, numeric=(1, 3, 4, 5, 6), classes=classes)
    out += (
        '<p class="lw-note">Seasonal strength is 1 - Var(remainder) / Var(season + remainder) '
        "of a classical decomposition (seasonal at 0.4 or more); the augmented Dickey-Fuller test "
        "calls a column stationary when its p-value is below 0.05.</p>"
    )
    return out + _left_out_html(ts)


def _left_out_html(ts: TimeSeriesProfile) -> str:
    if not ts.left_out:
        return ""
    return '<p class="lw-note">Not in the time-series view:</p>' + static.table(
        [(c.column, c.reason) for c in ts.left_out], ["column", "why"]
    )


def _analysed(ts: TimeSeriesProfile) -> list[str]:
    return [s.column for s in ts.series if s.acf]


def _first(ts: TimeSeriesProfile) -> str | None:
    """The column to show first: a seasonal one, else a non-stationary one, else the first."""
    names = _analysed(ts)
    for test in (lambda s: s.seasonal, lambda s: s.stationary is False):
        for s in ts.series:
            if s.acf and test(s):
                return s.column
    return names[0] if names else None


def timeseries_sections(prof: DataProfile) -> list[static.Section]:
    """The static "Time series" section, or nothing when the profile has no time-series view."""
    ts = prof.timeseries
    if ts is None:
        return []
    blocks: list[static.Block] = [static.HtmlBlock(time_index_html(ts)), static.HtmlBlock(series_html(ts))]
    names = _analysed(ts)
    if names:
        first = _first(ts)
        blocks.append(
            static.PickerBlock("acf", "Column", {n: figs.acf_figure(prof, n) for n in names}, default=first)
        )
        blocks.append(
            static.PickerBlock(
                "decomposition",
                "Column",
                {n: figs.decomposition_figure(prof, n) for n in names},
                default=first,
            )
        )
    return [static.Section(f"Time series (by {ts.index.label})", tuple(blocks))]


def timeseries_tab(prof: DataProfile) -> widgets.Widget:
    """The live "Time series" tab: the tables, then a column drop-down over the autocorrelation
    and decomposition figures."""
    ts = prof.timeseries
    if ts is None:
        return html_widget('<p class="lw-note">The profile has no time-series view.</p>')
    parts: list[widgets.Widget] = [html_widget(time_index_html(ts)), html_widget(series_html(ts))]
    names = _analysed(ts)
    if names:
        pick = widgets.Dropdown(
            options=[(static.cut(n, static.CELL_LIMIT), n) for n in names],
            value=_first(ts),
            description="Column",
            layout=widgets.Layout(width="28em"),
        )
        acf_out = plotly_output(figs.acf_figure(prof, pick.value))
        series_out = plotly_output(figs.decomposition_figure(prof, pick.value))

        def show(change: dict) -> None:
            show_in(acf_out, figs.acf_figure(prof, change["new"]))
            show_in(series_out, figs.decomposition_figure(prof, change["new"]))

        pick.observe(show, names="value")
        parts += [pick, acf_out, series_out]
    return widgets.VBox(parts)
