"""Figures of a profile's time-series view: autocorrelation with its white-noise band, and each
column's series with its trend, seasonal pattern and remainder.

Built from the :class:`~lifecycle_widgets.core.profile_timeseries.TimeSeriesProfile` a profile
holds (at most a few hundred plotted points and lags a column), never from the rows.
"""

from __future__ import annotations

from datetime import UTC, datetime

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from lifecycle_widgets.core.profile_timeseries import SeriesProfile, TimeSeriesProfile
from lifecycle_widgets.core.profiling import DataProfile
from lifecycle_widgets.exceptions import ColumnError
from lifecycle_widgets.figures._common import finish, text

__all__ = ["acf_figure", "decomposition_figure"]


def _view(profile: DataProfile, column: str) -> tuple[TimeSeriesProfile, SeriesProfile]:
    ts = profile.timeseries
    if ts is None:
        raise ColumnError(
            column,
            "the profile has no time-series view; profile a frame with a DatetimeIndex or pass time_column=",
        )
    return ts, ts.series_for(column)


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, tz=UTC).strftime("%Y-%m-%d %H:%M:%S")


def acf_figure(
    profile: DataProfile, column: str, *, title: str | None = None, template: str | None = None
) -> go.Figure:
    """The autocorrelation of ``column`` by lag, with the 95 % band ``±1.96 / sqrt(n)`` inside
    which white noise stays, and the detected period marked.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from lifecycle_widgets.core.ingest import collect
    >>> from lifecycle_widgets.core.profiling import finalize
    >>> days = pd.date_range("2024-01-01", periods=120, freq="D")
    >>> df = pd.DataFrame({"visits": np.sin(2 * np.pi * np.arange(120) / 7)}, index=days)
    >>> fig = acf_figure(finalize(collect(df)[1], frame=df), "visits")
    >>> list(fig.data[0].x[:3]), fig.layout.xaxis.title.text
    ([1, 2, 3], 'lag (steps of 1 day)')
    """
    ts, s = _view(profile, column)
    lags = list(range(1, len(s.acf) + 1))
    band = s.band or 0.0
    outside = [abs(v) > band for v in s.acf]
    fig = go.Figure(
        go.Bar(
            x=lags,
            y=list(s.acf),
            name="autocorrelation",
            marker={"color": ["#c23b4f" if o else "#2f6db5" for o in outside]},
            hovertemplate="lag %{x}: %{y:.3f}<extra></extra>",
        )
    )
    if lags:
        for sign in (1, -1):
            fig.add_trace(
                go.Scatter(
                    x=[0.5, lags[-1] + 0.5],
                    y=[sign * band] * 2,
                    mode="lines",
                    line={"dash": "dash", "color": "#8c8c8c", "width": 1},
                    name="95 % band of white noise",
                    showlegend=sign == 1,
                    hovertemplate=f"±{band:.3f}: white noise stays inside 95 % of the time<extra></extra>",
                )
            )
    if s.period and s.period <= len(lags):
        fig.add_vline(x=s.period, line={"color": "#e0793a", "width": 1.5})
    period = f", period {ts.period_label(s.period)}" if s.period and s.seasonal else ""
    return finish(
        fig,
        title=title if title is not None else f"Autocorrelation of {text(column)}{period}",
        template=template,
        xaxis={"title": {"text": f"lag (steps of {ts.grid_step})"}},
        yaxis={"title": {"text": "autocorrelation"}, "range": [-1.05, 1.05]},
        legend={"orientation": "h", "y": -0.25},
    )


def decomposition_figure(
    profile: DataProfile, column: str, *, title: str | None = None, template: str | None = None
) -> go.Figure:
    """``column`` over time with its trend (a centred moving average), its seasonal pattern over
    one period when it has one, and the remainder (observed minus trend and season).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from lifecycle_widgets.core.ingest import collect
    >>> from lifecycle_widgets.core.profiling import finalize
    >>> days = pd.date_range("2024-01-01", periods=120, freq="D")
    >>> df = pd.DataFrame({"visits": np.sin(2 * np.pi * np.arange(120) / 7)}, index=days)
    >>> fig = decomposition_figure(finalize(collect(df)[1], frame=df), "visits")
    >>> [t.name for t in fig.data]
    ['observed', 'trend', 'seasonal', 'remainder']
    """
    ts, s = _view(profile, column)
    times = [_iso(t) for t in ts.plot_times]
    seasonal = bool(s.cycle)
    rows = 3 if seasonal else 2
    titles = ["observed and trend", f"seasonal pattern over one period ({ts.period_label(s.period or 0)})"]
    fig = make_subplots(
        rows=rows,
        cols=1,
        vertical_spacing=0.14 if seasonal else 0.22,
        subplot_titles=(titles if seasonal else titles[:1]) + ["remainder"],
    )
    fig.add_trace(
        go.Scatter(
            x=times, y=list(s.observed), mode="lines", name="observed", line={"width": 1}, connectgaps=False
        ),
        row=1,
        col=1,
    )
    fig.add_trace(
        go.Scatter(x=times, y=list(s.trend), mode="lines", name="trend", line={"width": 2.5}),
        row=1,
        col=1,
    )
    if seasonal:
        fig.add_trace(
            go.Scatter(
                x=list(range(len(s.cycle))),
                y=list(s.cycle),
                mode="lines+markers",
                name="seasonal",
                hovertemplate="phase %{x}: %{y:.4g}<extra></extra>",
            ),
            row=2,
            col=1,
        )
        fig.update_xaxes(title_text=f"phase (steps of {ts.grid_step})", row=2, col=1)
        fig.update_yaxes(title_text="seasonal effect", row=2, col=1)
    fig.add_trace(
        go.Scatter(
            x=times, y=s.remainder(ts.plot_positions), mode="markers", name="remainder", marker={"size": 3}
        ),
        row=rows,
        col=1,
    )
    fig.update_xaxes(title_text=f"time ({text(ts.index.label)})", row=1, col=1)
    fig.update_yaxes(title_text=text(column), row=1, col=1)
    fig.update_xaxes(title_text=f"time ({text(ts.index.label)})", row=rows, col=1)
    fig.update_yaxes(title_text="remainder", row=rows, col=1)
    fig.update_xaxes(matches="x", row=rows, col=1)  # the remainder on the series' time axis
    strength = f", seasonal strength {s.seasonal_strength:.2f}" if s.seasonal_strength is not None else ""
    stride = ts.plot_positions[1] - ts.plot_positions[0] if len(ts.plot_positions) > 1 else 1
    shown = f"; one point in {stride} shown" if stride > 1 else ""
    finish(
        fig,
        title=title if title is not None else f"{text(column)} over time{strength}{shown}",
        template=template,
        height=320 * rows,
        legend={"orientation": "h", "y": -0.08},
    )
    fig.update_layout(margin={"t": 90})  # room for the title above the first subplot's
    return fig
