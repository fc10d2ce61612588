"""The profile's time-series mode: for a frame indexed by time, each numeric column's
autocorrelation, seasonality, trend and stationarity, and the gaps of the time index.

A frame is time-indexed when it has a ``DatetimeIndex`` or when ``time_column`` names a
datetime column. Rows are put in time order; rows sharing a timestamp are averaged; the values
are placed on a regular grid of the index's typical step (calendar months, quarters and years,
and business days, are recognised as steps), and the periods missing from the grid are filled by
linear interpolation for the statistics (never in the plotted observations). From an in-memory
frame every row is used; from streamed data (Parquet read a row group at a time) the profile's
row sample is, in time order, and the gaps of the time index are then not measured (a sample
has gaps by construction).

Statistics, each with its source:

- autocorrelation: the sample ACF (demeaned, divided by ``n``, as ``statsmodels.tsa.acf``),
  with the 95 % band ``±1.96 / sqrt(n)`` of white noise (Box, Jenkins and Reinsel);
- seasonality: the period is the first peak of the ACF of the linearly detrended series that
  reaches 90 % of the highest peak, at a lag with at least three whole cycles in the series; its
  strength is ``max(0, 1 - Var(R) / Var(S + R))`` of a classical additive decomposition (a
  centred moving average of one period as the trend, the mean of each phase as the seasonal
  component; Hyndman and Athanasopoulos, *Forecasting: Principles and Practice*, 3rd ed.,
  section 4.3), the trend strength ``max(0, 1 - Var(R) / Var(T + R))`` likewise;
- stationarity: the augmented Dickey-Fuller test with a constant, its lag order chosen by AIC
  up to ``12 (n / 100) ** 0.25`` (Schwert's rule) and its p-value from MacKinnon's (1994)
  response surface, as ``statsmodels.tsa.stattools.adfuller`` computes it (statsmodels is not a
  dependency).
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from scipy.stats import norm
from threadpoolctl import threadpool_limits

from lifecycle_widgets.core.alerts import Alert, sort_alerts
from lifecycle_widgets.core.correlations import numeric_of
from lifecycle_widgets.core.profile_alerts import name
from lifecycle_widgets.core.profile_parts import LeftOut
from lifecycle_widgets.exceptions import ColumnError, ParameterError

__all__ = [
    "MAX_TIMESERIES_COLUMNS",
    "SeriesProfile",
    "TimeGap",
    "TimeIndex",
    "TimeSeriesProfile",
    "acf",
    "adf_test",
    "check_time_column",
    "timeseries_profile",
]

MAX_TIMESERIES_COLUMNS = 20
ACF_LAGS = 40  # lags shown; extended to two periods of a seasonal column
MAX_ACF_LAGS = 400
MAX_POINTS = 10_000  # grid points analysed; a longer series is averaged onto a coarser grid
PLOT_POINTS = 400  # observations kept per column for the series figure (every k-th grid point)
MAX_FILLED_SHARE = 0.5  # a grid more than half interpolated is coarsened instead
SEASONAL_STRENGTH = 0.4  # strength at which a detected period is called seasonal
STATIONARITY_ALPHA = 0.05
PEAK_SE = 3.0  # an ACF peak counts when it is this many Bartlett standard errors above zero
MIN_POINTS = 12
MAX_GAPS_LISTED = 10
NS_PER_DAY = 86_400 * 10**9

# MacKinnon (1994), tables 3 and 4: response surface of the Dickey-Fuller tau distribution with a
# constant and one series; p = Phi(polynomial in tau), one polynomial each side of TAU_STAR
TAU_MIN, TAU_STAR, TAU_MAX = -18.83, -1.61, 2.74
TAU_SMALL_P = (2.1659, 1.4412, 3.8269e-2)
TAU_LARGE_P = (1.7339, 9.3202e-1, -1.2745e-1, -1.0368e-2)


@dataclass(frozen=True)
class TimeGap:
    """A stretch of the time index with no rows: from ``start`` to ``end`` (the timestamps either
    side, seconds since the Unix epoch, UTC), ``missing`` steps in between."""

    start: float
    end: float
    missing: int


@dataclass(frozen=True)
class TimeIndex:
    """The time index of a profiled frame: its span, its typical step and where it has gaps.

    ``column`` is the time column, or None for the frame's ``DatetimeIndex``. ``step`` is the
    most frequent interval between distinct timestamps in seconds (``step_label`` names it, a
    calendar step such as ``"1 month"`` too); ``missing_periods`` counts the steps of the regular
    grid from ``start`` to ``end`` with no row, ``irregular_steps`` the intervals that are no
    whole number of steps, ``gaps`` the largest gaps (at most 10 of ``gap_count``). Gaps are
    None when ``exact`` is False: measured on a row sample, which has gaps by construction.
    ``duplicates`` counts rows whose timestamp an earlier row has (their values are averaged),
    ``missing_times`` the rows without one, ``ordered`` whether the rows came in time order.
    """

    column: str | None
    start: float | None
    end: float | None
    rows: int
    timestamps: int
    duplicates: int
    missing_times: int
    ordered: bool
    step: float | None
    step_label: str
    exact: bool
    missing_periods: int | None = None
    irregular_steps: int | None = None
    gap_count: int | None = None
    gaps: tuple[TimeGap, ...] = ()

    @property
    def label(self) -> str:
        """How the profile names the time: the column, or ``"the index"``."""
        return "the index" if self.column is None else self.column


@dataclass(frozen=True)
class SeriesProfile:
    """Time-series statistics of one numeric column.

    ``points`` grid points were analysed, ``filled`` of them interpolated. ``acf[k - 1]`` is the
    autocorrelation at lag ``k`` (grid steps), ``band`` the 95 % white-noise band. ``period`` is
    the detected period in grid steps (None when there is none), ``period_acf`` the
    autocorrelation of the detrended series there, ``seasonal`` whether ``seasonal_strength``
    reaches the threshold. ``slope`` is the least-squares trend per grid step. ``adf_pvalue`` is
    the augmented Dickey-Fuller p-value (small: stationary), ``stationary`` its verdict at 5 %.
    ``observed`` and ``trend`` are the column at the plotted grid points of the
    :class:`TimeSeriesProfile` (None where interpolated or undefined); ``cycle`` is one period of
    the seasonal component, phase ``i`` at grid positions ``i`` modulo the period.
    """

    column: str
    points: int
    filled: int
    acf: tuple[float, ...] = ()
    band: float | None = None
    period: int | None = None
    period_acf: float | None = None
    seasonal_strength: float | None = None
    seasonal: bool = False
    trend_strength: float | None = None
    slope: float | None = None
    adf_statistic: float | None = None
    adf_pvalue: float | None = None
    adf_lags: int | None = None
    stationary: bool | None = None
    observed: tuple[float | None, ...] = ()
    trend: tuple[float | None, ...] = ()
    cycle: tuple[float, ...] = ()
    note: str = ""

    def remainder(self, positions: Sequence[int]) -> list[float | None]:
        """Observed minus trend minus seasonal component at the plotted ``positions``."""
        out: list[float | None] = []
        for pos, y, t in zip(positions, self.observed, self.trend, strict=True):
            if y is None or t is None:
                out.append(None)
            else:
                s = self.cycle[pos % len(self.cycle)] if self.cycle else 0.0
                out.append(y - t - s)
        return out


@dataclass(frozen=True)
class TimeSeriesProfile:
    """The time-series view of a profile: the time index, one :class:`SeriesProfile` per
    numeric column (at most ``MAX_TIMESERIES_COLUMNS``; ``left_out`` names the others and why)
    and the alerts they raise (also among the profile's alerts).

    ``grid_step`` names the step of the grid the columns were analysed on (the index's step, or a
    multiple when the series was averaged onto a coarser grid); ``plot_times`` (seconds since the
    Unix epoch) and ``plot_positions`` (grid positions) are the points each column's ``observed``
    and ``trend`` hold. ``from_sample`` says the statistics come from the profile's row sample.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> days = pd.date_range("2024-01-01", periods=140, freq="D")
    >>> y = np.sin(2 * np.pi * np.arange(140) / 7) + np.random.default_rng(0).normal(0, 0.3, 140)
    >>> ts = timeseries_profile(pd.DataFrame({"sales": y}, index=days))
    >>> ts.index.step_label, ts.series_for("sales").period, ts.series_for("sales").seasonal
    ('1 day', 7, True)
    """

    index: TimeIndex
    series: tuple[SeriesProfile, ...]
    grid_step: str
    from_sample: bool
    grid_factor: int = 1
    plot_times: tuple[float, ...] = ()
    plot_positions: tuple[int, ...] = ()
    left_out: tuple[LeftOut, ...] = ()
    alerts: tuple[Alert, ...] = ()
    note: str = ""

    def period_label(self, steps: int) -> str:
        """``steps`` grid steps in words: ``"7 days"``, ``"12 months"``, ``"1 day"``."""
        return _steps_label(self.index, steps * self.grid_factor)

    def series_for(self, column: str) -> SeriesProfile:
        """The statistics of ``column``."""
        for s in self.series:
            if s.column == column:
                return s
        raise ColumnError(column, f"not in the time-series view; it holds {[s.column for s in self.series]}")


# --- validation ------------------------------------------------------------------------------


def _schema_kinds(data: Any) -> dict[str, tuple[bool, str]] | None:
    """Each column's name, whether it holds datetimes and its type's name, read without reading
    rows (None when the input's schema is not known here)."""
    if isinstance(data, pd.DataFrame):
        return {str(c): (pd.api.types.is_datetime64_any_dtype(t), str(t)) for c, t in data.dtypes.items()}
    if isinstance(data, pa.Table | str | os.PathLike):
        if isinstance(data, pa.Table):
            schema = data.schema
        else:
            path = Path(data)
            files = sorted(path.rglob("*.parquet")) if path.is_dir() else [path]
            if not files or not files[0].is_file():
                return None  # the reader says what is wrong with the path
            schema = pq.read_schema(files[0])
        return {
            f.name: (pa.types.is_timestamp(f.type) or pa.types.is_date(f.type), str(f.type)) for f in schema
        }
    columns = getattr(data, "columns", None)
    dtypes = getattr(data, "dtypes", None)
    if columns is not None and dtypes is not None:  # a Dask DataFrame
        return {str(c): (pd.api.types.is_datetime64_any_dtype(dtypes[c]), str(dtypes[c])) for c in columns}
    return None


def check_time_column(data: Any, time_column: str | None, *, caller: str = "profile") -> None:
    """Raise a clear error, before any row is read, when ``time_column`` is not a datetime
    column of ``data``; None passes (the index is used when it is a ``DatetimeIndex``).

    Examples
    --------
    >>> df = pd.DataFrame({"ts": pd.date_range("2024-01-01", periods=3), "x": [1, 2, 3]})
    >>> check_time_column(df, "ts")
    >>> check_time_column(df, "x")
    Traceback (most recent call last):
    ...
    lifecycle_widgets.exceptions.ColumnError: Column 'x': the 'time_column' parameter of profile needs a datetime column; 'x' holds int64 values
    """
    if time_column is None:
        return
    if not isinstance(time_column, str):
        raise ParameterError.bad_value("time_column", caller, "a column name (str) or None", time_column)
    kinds = _schema_kinds(data)
    if kinds is None:
        return
    if time_column not in kinds:
        raise ColumnError(
            time_column,
            f"the 'time_column' parameter of {caller} names no column of the data; columns are "
            f"{list(kinds)[:20]}",
        )
    is_time, held = kinds[time_column]
    if not is_time:
        raise ColumnError(
            time_column,
            f"the 'time_column' parameter of {caller} needs a datetime column; "
            f"{time_column!r} holds {held} values",
        )


# --- statistics ------------------------------------------------------------------------------


def acf(x: np.ndarray, nlags: int) -> np.ndarray:
    """The sample autocorrelation of ``x`` at lags 0 to ``nlags``: autocovariances of the
    demeaned series divided by ``n`` (as ``statsmodels.tsa.stattools.acf``), through the FFT.

    Examples
    --------
    >>> np.round(acf(np.array([1.0, 2.0, 3.0, 4.0]), 2), 3).tolist()
    [1.0, 0.25, -0.3]
    """
    x = np.asarray(x, dtype=np.float64) - np.mean(x)
    n = x.size
    size = 1 << int(2 * n - 1).bit_length()
    spectrum = np.fft.rfft(x, size)
    cov = np.fft.irfft(spectrum * np.conj(spectrum), size)[: nlags + 1]
    if cov[0] <= 0:
        return np.full(nlags + 1, np.nan)
    return cov / cov[0]


def _mackinnon_p(tau: float) -> float:
    if tau > TAU_MAX:
        return 1.0
    if tau < TAU_MIN:
        return 0.0
    coef = TAU_SMALL_P if tau <= TAU_STAR else TAU_LARGE_P
    return float(norm.cdf(sum(c * tau**i for i, c in enumerate(coef))))


def _lagged(x: np.ndarray, lags: int) -> tuple[np.ndarray, np.ndarray]:
    """The ADF regression with ``lags`` lagged differences: the differences (left side) and the
    columns [level, lagged differences]."""
    dx = np.diff(x)
    nobs = dx.size - lags
    cols = [x[lags : lags + nobs]] + [dx[lags - i : lags - i + nobs] for i in range(1, lags + 1)]
    return dx[lags:], np.column_stack(cols)


def adf_test(x: np.ndarray, *, max_lag: int | None = None) -> tuple[float, float, int]:
    """The augmented Dickey-Fuller test with a constant: the statistic, MacKinnon's p-value and
    the number of lagged differences (chosen by AIC up to ``max_lag``, by default
    ``ceil(12 (n / 100) ** 0.25)``), as ``statsmodels.tsa.stattools.adfuller(x)`` computes them.
    A small p-value rejects a unit root: the series is stationary.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> round(adf_test(rng.normal(size=300))[1], 3), adf_test(np.cumsum(rng.normal(size=300)))[1] > 0.05
    (0.0, True)
    """
    x = np.asarray(x, dtype=np.float64)
    n = x.size
    if max_lag is None:
        max_lag = math.ceil(12.0 * (n / 100.0) ** 0.25)
    max_lag = max(0, min(n // 2 - 2, max_lag))
    y, X = _lagged(x, max_lag)
    X = np.column_stack([np.ones(len(y)), X])  # constant, level, lags
    scale = np.sqrt((X * X).sum(0))
    scale[scale == 0] = 1.0
    Z = X / scale
    gram, zy, yy = Z.T @ Z, Z.T @ y, float(y @ y)
    best = (math.inf, 0)
    for k in range(2, max_lag + 3):  # constant and level, then 0 to max_lag lagged differences
        try:
            coef = np.linalg.solve(gram[:k, :k], zy[:k])
        except np.linalg.LinAlgError:
            continue
        ssr = max(yy - float(coef @ zy[:k]), 1e-300)
        best = min(best, (len(y) * math.log(ssr) + 2 * k, k))
    lags = best[1] - 2 if best[0] < math.inf else 0
    y, X = _lagged(x, lags)
    X = np.column_stack([X, np.ones(len(y))])
    coef, *_ = np.linalg.lstsq(X, y, rcond=None)
    resid = y - X @ coef
    dof = len(y) - X.shape[1]
    if dof <= 0:
        return math.nan, math.nan, lags
    sigma2 = float(resid @ resid) / dof
    cov = sigma2 * np.linalg.pinv(X.T @ X)
    se = math.sqrt(cov[0, 0]) if cov[0, 0] > 0 else 0.0
    if se == 0.0:
        return math.nan, math.nan, lags
    tau = float(coef[0] / se)
    return tau, _mackinnon_p(tau), lags


def _moving_average(y: np.ndarray, window: int) -> np.ndarray:
    """The centred moving average of ``window`` points (2 x ``window`` when even, as classical
    decomposition takes it), NaN where the window runs off the series."""
    weights = np.ones(window) / window
    if window % 2 == 0:
        weights = np.convolve(weights, [0.5, 0.5])
    half = len(weights) // 2
    out = np.full(y.size, np.nan)
    if y.size >= len(weights):
        out[half : y.size - half] = np.convolve(y, weights, mode="valid")
    return out


def _period(y: np.ndarray, band: float) -> tuple[int | None, float | None]:
    """The first ACF peak (of the linearly detrended series) within 90 % of the highest one, at a
    lag with at least three cycles in the series."""
    t = np.arange(y.size, dtype=np.float64)
    detrended = y - np.polyval(np.polyfit(t, y, 1), t)
    top = min(y.size // 3, MAX_ACF_LAGS)
    if top < 3:
        return None, None
    r = acf(detrended, top + 1)
    if not np.isfinite(r).all():
        return None, None
    lags = np.arange(2, top + 1)
    # Bartlett's standard error of r(k) when the lags before k carry all the dependence
    # (statsmodels' plot_acf band): a persistent series has wide ACF wiggles at any lag
    bartlett = np.sqrt((1 + 2 * np.cumsum(r[1:] ** 2)) / y.size)  # bartlett[k - 2] for lag k
    significant = r[lags] > PEAK_SE * bartlett[lags - 2]
    peaks = lags[(r[lags] > r[lags - 1]) & (r[lags] >= r[lags + 1]) & significant]
    if peaks.size == 0:
        return None, None
    highest = r[peaks].max()
    first = int(peaks[r[peaks] >= 0.9 * highest][0])
    return first, float(r[first])


def _strength(remainder: np.ndarray, component: np.ndarray) -> float | None:
    ok = np.isfinite(remainder) & np.isfinite(component)
    if ok.sum() < 3:
        return None
    total = np.var(remainder[ok] + component[ok])
    if total <= 0:
        return None
    return max(0.0, 1.0 - float(np.var(remainder[ok])) / float(total))


def _rounded(values: np.ndarray) -> tuple[float | None, ...]:
    return tuple(None if not np.isfinite(v) else float(f"{v:.6g}") for v in values)


def _series(
    column: str, y: np.ndarray, filled_mask: np.ndarray, first: int, plot_positions: np.ndarray, lags: int
) -> SeriesProfile:
    """Statistics of one column whose grid values ``y`` start at grid position ``first``."""
    n = y.size
    observed_at = np.full(plot_positions.size, np.nan)
    inside = (plot_positions >= first) & (plot_positions < first + n)
    local = plot_positions[inside] - first
    observed_at[inside] = np.where(filled_mask[local], np.nan, y[local])
    if n < MIN_POINTS or np.ptp(y) == 0:
        why = "constant" if n >= MIN_POINTS else f"fewer than {MIN_POINTS} points in time"
        return SeriesProfile(
            column, n, int(filled_mask.sum()), observed=_rounded(observed_at), note=f"Not analysed: {why}."
        )
    band = 1.96 / math.sqrt(n)
    period, period_acf = _period(y, band)
    window = period if period else max(3, 2 * (n // 40) + 1)
    trend = _moving_average(y, window)
    detrended = y - trend
    cycle = np.zeros(0)
    seasonal_part = np.zeros(n)
    if period:
        phase = (np.arange(n) + first) % period
        ok = np.isfinite(detrended)
        sums = np.bincount(phase[ok], weights=detrended[ok], minlength=period)
        counts = np.bincount(phase[ok], minlength=period)
        cycle = np.where(counts > 0, sums / np.maximum(counts, 1), 0.0)
        cycle -= cycle.mean()
        seasonal_part = cycle[phase]
    remainder = detrended - seasonal_part
    seasonal_strength = _strength(remainder, seasonal_part) if period else None
    seasonal = seasonal_strength is not None and seasonal_strength >= SEASONAL_STRENGTH
    t = np.arange(n, dtype=np.float64)
    slope = float(np.polyfit(t, y, 1)[0])
    stat, p, used = adf_test(y)
    n_lags = min(n - 1, max(lags, 2 * period + 1 if seasonal and period else 0), MAX_ACF_LAGS)
    r = acf(y, n_lags)[1:]
    trend_at = np.full(plot_positions.size, np.nan)
    trend_at[inside] = trend[local]
    return SeriesProfile(
        column=column,
        points=n,
        filled=int(filled_mask.sum()),
        acf=tuple(round(float(v), 6) for v in r),
        band=band,
        period=period,
        period_acf=period_acf,
        seasonal_strength=seasonal_strength,
        seasonal=seasonal,
        trend_strength=_strength(remainder, trend),
        slope=slope,
        adf_statistic=None if not np.isfinite(stat) else stat,
        adf_pvalue=None if not np.isfinite(p) else p,
        adf_lags=used,
        stationary=None if not np.isfinite(p) else bool(p < STATIONARITY_ALPHA),
        observed=_rounded(observed_at),
        trend=_rounded(trend_at),
        cycle=tuple(float(f"{v:.6g}") for v in cycle) if seasonal else (),
    )


# --- the time index --------------------------------------------------------------------------


def _times(frame: pd.DataFrame, time_column: str | None) -> pd.DatetimeIndex:
    """The time of every row as a UTC-naive DatetimeIndex (NaT where missing)."""
    raw = frame.index if time_column is None else frame[time_column]
    if isinstance(raw, pd.Series) and not pd.api.types.is_datetime64_any_dtype(raw.dtype):
        raise ColumnError(
            time_column, f"needs datetime values for the time series; it holds {raw.dtype} values"
        )
    times = pd.DatetimeIndex(raw)
    if times.tz is not None:
        times = times.tz_convert("UTC").tz_localize(None)
    return times.as_unit("ns")


def _label(count: int, unit: str) -> str:
    return f"{count:g} {unit}" + ("" if count == 1 else "s")


def _step_label(step_ns: int) -> str:
    for unit, size in (
        ("day", NS_PER_DAY),
        ("hour", 3_600 * 10**9),
        ("minute", 60 * 10**9),
        ("second", 10**9),
    ):
        if step_ns % size == 0:
            return _label(step_ns // size, unit)
    return f"{step_ns / 1e9:g} seconds"


CALENDAR_STEPS = ("1 month", "1 quarter", "1 year", "1 business day")


def _steps_label(index: TimeIndex, count: int) -> str:
    """``count`` steps of the time index, in words ("7 days", "12 months", "1 day")."""
    if index.step is None:
        return ""
    if index.step_label in CALENDAR_STEPS:
        unit = index.step_label.split(" ", 1)[1]
        return _label(count, unit)
    return _step_label(round(count * index.step * 1e9))


def _positions(unique: np.ndarray) -> tuple[np.ndarray, np.ndarray, int, str, int]:
    """Grid positions of the distinct sorted timestamps (ns), whether each interval is a whole
    number of steps, the step in ns, its label and its size in grid units of the label."""
    diffs = np.diff(unique)
    values, counts = np.unique(diffs, return_counts=True)
    step = int(values[np.argmax(counts)])
    days = step / NS_PER_DAY
    stamps = pd.DatetimeIndex(unique)
    months = None
    if 28 <= days <= 31:
        months = 1
    elif 89 <= days <= 92:
        months = 3
    elif 365 <= days <= 366:
        months = 12
    if months is not None:
        month_index = stamps.year.to_numpy() * 12 + stamps.month.to_numpy()
        offset = (month_index - month_index[0]).astype(np.float64) / months
        label = {1: "1 month", 3: "1 quarter", 12: "1 year"}[months]
    else:
        weekday = stamps.day_of_week.to_numpy()
        business = (
            step == NS_PER_DAY
            and unique.size >= 10
            and (weekday < 5).all()
            and (stamps.normalize() == stamps).all()
            and (diffs == 3 * NS_PER_DAY).any()
        )
        if business:
            d = stamps.to_numpy().astype("datetime64[D]")
            offset = np.busday_count(d[0], d).astype(np.float64)
            label = "1 business day"
        else:
            offset = (unique - unique[0]) / step
            label = _step_label(step)
    positions = np.rint(offset).astype(np.int64)
    whole = np.isclose(np.diff(offset), np.rint(np.diff(offset)), atol=1e-6)
    return positions, whole, step, label, months or 0


def _index_summary(
    times: pd.DatetimeIndex, column: str | None, exact: bool
) -> tuple[TimeIndex, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The index facts, and for the rows with a time: their order, the code of their distinct
    timestamp, the distinct timestamps (ns) and their grid positions."""
    ns = times.asi8
    has = ~np.isnat(times.to_numpy())
    rows = np.flatnonzero(has)
    order = rows[np.argsort(ns[rows], kind="stable")]
    ordered_ns = ns[order]
    new = np.ones(ordered_ns.size, dtype=bool)
    new[1:] = ordered_ns[1:] != ordered_ns[:-1]
    unique, codes = ordered_ns[new], np.cumsum(new) - 1
    ordered = bool(np.all(np.diff(ns[rows]) >= 0))
    base = dict(
        column=column,
        rows=len(times),
        timestamps=int(unique.size),
        duplicates=int(order.size - unique.size),
        missing_times=int((~has).sum()),
        ordered=ordered,
        exact=exact,
    )
    if unique.size < 2:
        start = float(unique[0]) / 1e9 if unique.size else None
        index = TimeIndex(start=start, end=start, step=None, step_label="", **base)
        return index, order, codes, unique, np.zeros(unique.size, dtype=np.int64)
    positions, whole, step, label, _ = _positions(unique)
    gaps_fields: dict[str, Any] = {}
    if exact:
        jumps = np.diff(positions)
        at = np.flatnonzero(jumps > 1)
        largest = at[np.argsort(-jumps[at], kind="stable")][:MAX_GAPS_LISTED]
        gaps_fields = dict(
            missing_periods=int(positions[-1] + 1 - (np.count_nonzero(np.diff(positions)) + 1)),
            irregular_steps=int((~whole).sum()),
            gap_count=int(at.size),
            gaps=tuple(
                TimeGap(float(unique[i]) / 1e9, float(unique[i + 1]) / 1e9, int(jumps[i] - 1))
                for i in sorted(largest)
            ),
        )
    index = TimeIndex(
        start=float(unique[0]) / 1e9,
        end=float(unique[-1]) / 1e9,
        step=step / 1e9,
        step_label=label,
        **base,
        **gaps_fields,
    )
    return index, order, codes, unique, positions


# whole minutes, hours, days and weeks of the common steps, so a daily cycle of minute data stays
# a whole number of grid points (a factor of 100 would make it 14.4)
_NICE_FACTORS = (
    *(1, 2, 3, 4, 5, 6, 7, 10, 12, 14, 15, 20, 24, 28, 30, 60, 120, 180, 240, 360, 720),
    *(1440 * 2**i for i in range(24)),
)


def _coarsening(positions: np.ndarray) -> int:
    """Grid steps per analysed point: 1, or more when the grid is too long or mostly empty."""
    length = int(positions[-1]) + 1
    for k in _NICE_FACTORS:
        slots = -(-length // k)
        if slots > MAX_POINTS:
            continue
        occupied = np.count_nonzero(np.diff(positions // k)) + 1  # positions are sorted
        if occupied >= (1 - MAX_FILLED_SHARE) * slots or slots <= MIN_POINTS:
            return k
    return _NICE_FACTORS[-1]


def _alerts(index: TimeIndex, series: list[SeriesProfile], factor: int) -> list[Alert]:
    out = []
    if index.missing_periods:
        out.append(
            Alert(
                "time_gaps",
                "medium",
                f"The time index ({index.label}) misses {index.missing_periods:,} periods of "
                f"{index.step_label} in {index.gap_count:,} gaps"
                + (
                    f"; {index.irregular_steps:,} intervals are no whole number of steps"
                    if index.irregular_steps
                    else ""
                )
                + ".",
                index.column,
                float(index.missing_periods),
            )
        )
    for s in series:
        if s.stationary is False:
            out.append(
                Alert(
                    "non_stationary",
                    "medium",
                    f"{name(s.column)} is not stationary over time: the augmented Dickey-Fuller "
                    f"test keeps a unit root (p = {s.adf_pvalue:.2f}); its level drifts, so a model "
                    "fitted on one period may not hold in the next.",
                    s.column,
                    s.adf_pvalue,
                )
            )
        if s.seasonal and s.period:
            out.append(
                Alert(
                    "seasonal",
                    "low",
                    f"{name(s.column)} is seasonal with a period of {_steps_label(index, s.period * factor)} "
                    f"(strength {s.seasonal_strength:.2f}).",
                    s.column,
                    float(s.period),
                )
            )
    return out


def _column(
    values: pd.Series,
    column: str,
    order: np.ndarray,
    slot_of_row: np.ndarray,
    length: int,
    plot_positions: np.ndarray,
    lags: int,
) -> SeriesProfile:
    """One column averaged onto the grid (rows in time ``order`` fall in ``slot_of_row``), its
    missing slots interpolated between its first and last value, then its statistics."""
    x = numeric_of(values.iloc[order]) if len(order) else np.empty(0)
    ok = np.isfinite(x)
    sums = np.bincount(slot_of_row[ok], weights=x[ok], minlength=length)
    counts = np.bincount(slot_of_row[ok], minlength=length)
    present = np.flatnonzero(counts)
    if present.size == 0:
        return SeriesProfile(column, 0, 0, note="Not analysed: no values.")
    first, last = int(present[0]), int(present[-1])
    y = np.interp(np.arange(first, last + 1), present, sums[present] / counts[present])
    filled = counts[first : last + 1] == 0
    return _series(column, y, filled, first, plot_positions, lags)


def timeseries_profile(
    frame: pd.DataFrame,
    *,
    time_column: str | None = None,
    columns: Sequence[str] | None = None,
    from_sample: bool = False,
    max_columns: int = MAX_TIMESERIES_COLUMNS,
    lags: int = ACF_LAGS,
) -> TimeSeriesProfile:
    """The time-series view of ``frame``: its time index (``time_column``, or the frame's
    ``DatetimeIndex`` when None) and, for each of ``columns`` (by default every numeric column
    other than booleans; at most ``max_columns``, the others left out), autocorrelation up to
    ``lags``, seasonality, trend and stationarity. ``from_sample`` says ``frame`` is a row sample,
    so gaps are not measured.

    Examples
    --------
    >>> days = pd.date_range("2024-01-01", periods=200, freq="D")
    >>> walk = np.cumsum(np.random.default_rng(1).normal(size=200))
    >>> ts = timeseries_profile(pd.DataFrame({"ts": days, "price": walk}), time_column="ts")
    >>> [a.type for a in ts.alerts]
    ['non_stationary']
    """
    if not isinstance(frame, pd.DataFrame):
        raise ParameterError.bad_value(
            "frame", "timeseries_profile", "a pandas DataFrame", type(frame).__name__
        )
    if time_column is None and not isinstance(frame.index, pd.DatetimeIndex):
        raise ParameterError.bad_value(
            "time_column",
            "timeseries_profile",
            "a datetime column when the frame's index is not a DatetimeIndex",
            time_column,
        )
    check_time_column(frame, time_column, caller="timeseries_profile")
    for arg, value, low in (("max_columns", max_columns, 0), ("lags", lags, 1)):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ParameterError.bad_value(arg, "timeseries_profile", f"an int >= {low}", value)
    if columns is None:
        columns = [
            str(c)
            for c in frame.columns
            if str(c) != time_column
            and pd.api.types.is_numeric_dtype(frame[c].dtype)
            and not pd.api.types.is_bool_dtype(frame[c].dtype)
        ]
    else:
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            raise ColumnError(missing[0], "not a column of the frame")
    columns = list(columns)
    kept = columns[:max_columns]
    left_out = [
        LeftOut(c, f"over the cap of {max_columns} time-series columns") for c in columns[max_columns:]
    ]
    times = _times(frame, time_column)
    index, order, codes, unique, positions = _index_summary(times, time_column, exact=not from_sample)
    if unique.size < MIN_POINTS:
        note = f"Too few distinct times ({unique.size}) for time-series statistics (at least {MIN_POINTS})."
        return TimeSeriesProfile(
            index,
            (),
            index.step_label,
            from_sample,
            left_out=tuple(left_out) + tuple(LeftOut(c, "too few distinct times") for c in kept),
            alerts=tuple(_alerts(index, [], 1)),
            note=note,
        )
    k = _coarsening(positions)
    slot_of_time = positions // k
    length = int(slot_of_time[-1]) + 1
    grid_step = _steps_label(index, k) + ("" if k == 1 else " (averaged)")
    stride = max(1, math.ceil(length / PLOT_POINTS))
    plot_positions = np.arange(0, length, stride)
    start_ns = unique[0]
    step_ns = (unique[-1] - unique[0]) / max(1, int(positions[-1]))  # mean grid step, for plotting
    plot_times = tuple(float(start_ns + p * k * step_ns) / 1e9 for p in plot_positions)
    slot_of_row = slot_of_time[codes]
    # the regressions are small (10,000 x 40 at most): threaded BLAS only contends for the cores
    # (20 times slower on a loaded machine, measured)
    with threadpool_limits(limits=1, user_api="blas"):
        series = [_column(frame[col], col, order, slot_of_row, length, plot_positions, lags) for col in kept]
    notes = []
    if from_sample:
        notes.append(
            "Computed from the profile's row sample in time order (the data was streamed), not "
            "from every row; the time index's gaps are not measured."
        )
    if index.duplicates:
        notes.append(
            f"{index.duplicates:,} rows share a timestamp with another row; their values are averaged."
        )
    if k > 1:
        notes.append(f"Values averaged onto a grid of {grid_step}: {k} steps of {index.step_label}.")
    return TimeSeriesProfile(
        index=index,
        series=tuple(series),
        grid_step=grid_step,
        from_sample=from_sample,
        grid_factor=k,
        plot_times=plot_times,
        plot_positions=tuple(int(p) for p in plot_positions),
        left_out=tuple(left_out),
        alerts=sort_alerts(_alerts(index, series, k)),
        note=" ".join(notes),
    )
