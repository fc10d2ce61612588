"""Monitoring: many batches (or time windows) against one baseline, and when to retrain."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from lifecycle_widgets.core.drift.baseline import Baseline
from lifecycle_widgets.core.drift.check import DriftReport, check, get_check
from lifecycle_widgets.core.drift.datetime_text import DatetimeTextCounter
from lifecycle_widgets.core.drift.performance_estimation import PerformanceEstimate, PerformanceEstimator
from lifecycle_widgets.core.drift.retraining import (
    ESTIMATED,
    RetrainingPolicy,
    RetrainingSignal,
    RetrainReason,
)
from lifecycle_widgets.core.progress import progress_bar
from lifecycle_widgets.core.result import Result
from lifecycle_widgets.exceptions import ColumnError, ParameterError


@dataclass(frozen=True)
class Signal:
    """A constraint violated in the latest batch, and since which batch without a break."""

    constraint_check_type: str
    feature_name: str
    since: str
    batches: int


@dataclass(frozen=True)
class Timeline(Result):
    """Drift reports of successive batches against one baseline.

    Examples
    --------
    >>> import lifecycle_widgets as lw
    >>> base = lw.Baseline.fit(lw.datasets.credit(2000))
    >>> batches = {"jan": lw.datasets.credit_batch(1000, seed=2, drift=False),
    ...            "feb": lw.datasets.credit_batch(1000, seed=3),
    ...            "mar": lw.datasets.credit_batch(1000, seed=4)}
    >>> timeline = lw.monitor(base, batches)  # retraining: 2 of the last 3 batches give a reason
    >>> timeline.labels, timeline.retrain_recommended, timeline.retraining.batches
    (('jan', 'feb', 'mar'), True, ('feb', 'mar'))
    """

    kind: ClassVar[str] = "drift_timeline"

    baseline_fingerprint: str
    reports: tuple[DriftReport, ...]
    #: the model's performance estimated batch by batch without labels (``monitor(estimator=...)``)
    performance: PerformanceEstimate | None = None
    #: when the retraining signal is raised: k of the last n batches with a reason
    policy: RetrainingPolicy = field(default_factory=RetrainingPolicy)

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(r.label for r in self.reports)

    @property
    def features(self) -> tuple[str, ...]:
        """Features compared for drift in at least one batch, in the baseline's order."""
        names: dict[str, None] = {}
        for r in self.reports:
            for f in r.features:
                if f.method is not None:
                    names[f.name] = None
        return tuple(names)

    def distance_frame(self, *, relative: bool = False) -> pd.DataFrame:
        """Drift distance by feature (rows) and batch (columns); ``relative``: over the threshold."""
        data = {}
        for r in self.reports:
            col = {}
            for f in r.features:
                if f.distance is not None:
                    col[f.name] = f.distance / f.threshold if relative and f.threshold else f.distance
            data[r.label] = col
        return pd.DataFrame(data).reindex(list(self.features))

    def to_frame(self) -> pd.DataFrame:
        """One row per batch and feature compared for drift (:meth:`distance_frame` and
        :meth:`drifted_frame` in long form, with the numbers behind them): batch, feature,
        method, distance, threshold, p_adjusted and drifted. Missing numbers are NaN.

        Examples
        --------
        >>> import lifecycle_widgets as lw
        >>> base = lw.Baseline.fit(lw.datasets.credit(500))
        >>> timeline = lw.monitor(base, {"jan": lw.datasets.credit_batch(300, seed=2)})
        >>> frame = timeline.to_frame()
        >>> frame["batch"].unique().tolist(), frame["feature"].tolist() == list(timeline.features)
        (['jan'], True)
        """

        def num(value: float | None) -> float:
            return np.nan if value is None else value

        return pd.DataFrame(
            [
                {
                    "batch": r.label,
                    "feature": f.name,
                    "method": f.method,
                    "distance": num(f.distance),
                    "threshold": num(f.threshold),
                    "p_adjusted": num(f.p_adjusted),
                    "drifted": f.drifted,
                }
                for r in self.reports
                for f in r.features
                if f.method is not None
            ],
            columns=["batch", "feature", "method", "distance", "threshold", "p_adjusted", "drifted"],
        )

    def drifted_frame(self) -> pd.DataFrame:
        """Whether each feature (rows) drifted in each batch (columns): its distance crossed the
        threshold and its test says beyond sampling noise."""
        data = {
            r.label: {f.name: f.drifted for f in r.features if f.method is not None} for r in self.reports
        }
        return pd.DataFrame(data, dtype=object).reindex(list(self.features))

    def violation_counts(self) -> pd.DataFrame:
        """Violations by check type (rows) and batch (columns)."""
        counts = {
            r.label: pd.Series([v.constraint_check_type for v in r.violations], dtype=object).value_counts()
            for r in self.reports
        }
        return pd.DataFrame(counts).fillna(0).astype(int)

    def quality_frame(self) -> pd.DataFrame:
        """Model quality metrics (columns) by batch (rows), where labels came."""
        rows = {
            r.label: {k: v for k, v in (r.model_quality or {}).items() if isinstance(v, int | float)}
            for r in self.reports
        }
        return pd.DataFrame.from_dict(rows, orient="index")

    @property
    def signals(self) -> tuple[Signal, ...]:
        """Every constraint violated in the latest batch, with the batch it started in."""
        if not self.reports:
            return ()
        out = []
        last = {(v.constraint_check_type, v.feature_name) for v in self.reports[-1].violations}
        for key in sorted(last):
            run = 0
            for r in reversed(self.reports):
                if key in {(v.constraint_check_type, v.feature_name) for v in r.violations}:
                    run += 1
                else:
                    break
            out.append(Signal(key[0], key[1], self.reports[-run].label, run))
        return tuple(out)

    def reasons(self, report: DriftReport) -> tuple[RetrainReason, ...]:
        """Why ``report``'s batch speaks for retraining: its violations of checks registered
        with ``retrain=True``, and the alerts of its estimated performance."""
        out = [
            RetrainReason(report.label, v.constraint_check_type, v.feature_name, v.description)
            for v in report.violations
            if get_check(v.constraint_check_type).retrain
        ]
        if self.performance is not None:
            chunk = next((c for c in self.performance.analysis if c.label == report.label), None)
            for metric, value in chunk.values.items() if chunk is not None else ():
                if value.alert:
                    text = f"the estimated {metric} left the range it keeps on the reference"
                    out.append(RetrainReason(report.label, ESTIMATED, metric, text))
        return tuple(out)

    @property
    def retraining(self) -> RetrainingSignal:
        """The retraining decision: raised when at least ``policy.k`` of the last ``policy.n``
        batches give a reason (:meth:`reasons`), with every reason of those batches."""
        looked_at = self.reports[-self.policy.n :]
        found = [self.reasons(r) for r in looked_at]
        return RetrainingSignal(
            raised=self.policy.raised([bool(f) for f in found]),
            policy=self.policy,
            batches=tuple(r.label for r, f in zip(looked_at, found, strict=True) if f),
            looked_at=tuple(r.label for r in looked_at),
            reasons=tuple(reason for f in found for reason in f),
        )

    @property
    def retrain_recommended(self) -> bool:
        """True when the retraining signal is raised (see :attr:`retraining`): at least ``k`` of
        the last ``n`` batches violate a drift, quality, completeness, domain or schema constraint
        (a check registered with ``retrain=True``) or have an estimated performance outside the
        reference's range; one batch alone is not enough under the default policy (2 of 3)."""
        return self.retraining.raised

    def __repr__(self) -> str:
        return (
            f"<Timeline: {len(self.reports)} batches, {len(self.signals)} active signals, "
            f"retrain {'recommended' if self.retrain_recommended else 'not needed'} "
            f"({self.policy.k} of the last {self.policy.n})>"
        )


#: calendar units of a window: "1D", "2W", "1M", "1Q", "1Y" step by calendar days, weeks, months
CALENDAR_UNITS = {
    "D": "days",
    "W": "weeks",
    "M": "months",
    "MS": "months",
    "ME": "months",
    "Q": "quarters",
    "QS": "quarters",
    "QE": "quarters",
    "Y": "years",
    "YS": "years",
    "YE": "years",
}
MAX_WINDOWS = 100_000
NO_TIMESTAMP = "no timestamp"


@dataclass(frozen=True)
class Windows:
    """Consecutive time windows of one length, the first starting at the data's first timestamp
    (at midnight for calendar units and whole days, at the start of its hour or minute for
    shorter fixed lengths), so the first window never begins before the data.

    Examples
    --------
    >>> w = Windows.of("1M", pd.Timestamp("2026-01-15 08:30"), pd.Timestamp("2026-03-02"))
    >>> w.labels()
    ('2026-01-15 to 2026-02-14', '2026-02-15 to 2026-03-14')
    >>> Windows.of("6h", pd.Timestamp("2026-01-01 07:10"), pd.Timestamp("2026-01-01 13:00")).labels()
    ('2026-01-01 07:00 to 12:59', '2026-01-01 13:00 to 18:59')
    """

    window: str
    starts: pd.DatetimeIndex
    end: pd.Timestamp  # where the last window ends (exclusive)

    @classmethod
    def of(cls, window: str, first: pd.Timestamp, last: pd.Timestamp) -> Windows:
        """The windows of length ``window`` covering ``first`` to ``last``."""
        step, unit = _step(window)
        begin = first.normalize() if unit is None else first.floor(unit)
        count = 1
        if isinstance(step, pd.Timedelta):
            count = int((last - begin) // step) + 1
        else:
            # calendar steps vary in length: count by stepping (months or more: few windows)
            probe = begin
            while probe + step <= last:
                probe, count = probe + step, count + 1
                if count > MAX_WINDOWS:
                    break
        if count > MAX_WINDOWS:
            raise ParameterError(
                f"window {window!r} cuts {first} to {last} into more than {MAX_WINDOWS:,} windows; "
                "choose a longer window."
            )
        starts = pd.DatetimeIndex([begin + i * step for i in range(count + 1)])
        return cls(window, starts[:-1], starts[-1])

    def keys(self, times: pd.Series) -> pd.Series:
        """The start of each row's window (NaT for rows without a timestamp)."""
        stamps = pd.DatetimeIndex(timestamps(times))
        index = np.searchsorted(self.starts.as_unit("ns").asi8, stamps.as_unit("ns").asi8, side="right") - 1
        valid = ~stamps.isna() & (index >= 0)
        keys = self.starts.take(np.where(valid, index, 0)).where(valid)
        return pd.Series(keys, index=times.index)

    def stop(self, start: pd.Timestamp) -> pd.Timestamp:
        """Where the window starting at ``start`` ends (exclusive)."""
        i = self.starts.get_loc(start)
        return self.starts[i + 1] if i + 1 < len(self.starts) else self.end

    def label(self, start: pd.Timestamp) -> str:
        """The window's range: days inclusive ("2026-01-01 to 2026-01-07"), times to the minute."""
        stop = self.stop(start)
        if start == start.normalize() and stop == stop.normalize():
            last = stop - pd.Timedelta(days=1)
            return f"{start:%Y-%m-%d}" if last == start else f"{start:%Y-%m-%d} to {last:%Y-%m-%d}"
        last = stop - pd.Timedelta(minutes=1)
        fmt = "%H:%M" if last.normalize() == start.normalize() else "%Y-%m-%d %H:%M"
        return f"{start:%Y-%m-%d %H:%M} to {last.strftime(fmt)}"

    def labels(self) -> tuple[str, ...]:
        return tuple(self.label(s) for s in self.starts)


def _step(window: str) -> tuple[pd.Timedelta | pd.DateOffset, str | None]:
    """The length of a window and the unit its first start is floored to (None: midnight)."""
    match = re.fullmatch(r"\s*(\d*)\s*([A-Za-z]+)\s*", window) if isinstance(window, str) else None
    if match and match[2] in CALENDAR_UNITS:
        n = int(match[1] or 1)
        unit = CALENDAR_UNITS[match[2]]
        if n < 1:
            raise ParameterError(f"window {window!r} must be at least one {unit[:-1]}.")
        step = pd.DateOffset(months=3 * n) if unit == "quarters" else pd.DateOffset(**{unit: n})
        return step, None
    try:
        step = pd.Timedelta(window)
        unit = pd.tseries.frequencies.to_offset(window).base.freqstr
    except (ValueError, TypeError) as err:
        raise ParameterError(
            f"window {window!r} is neither a calendar period ('1D', '1W', '1M', '1Q', '1Y') nor a fixed "
            f"pandas frequency such as '6h' or '90min': {err}"
        ) from err
    if step <= pd.Timedelta(0):
        raise ParameterError(f"window {window!r} must be longer than zero.")
    return step, (None if step % pd.Timedelta(days=1) == pd.Timedelta(0) else unit)


def timestamps(times: pd.Series, time_column: str = "time column") -> pd.Series:
    """``times`` as timestamps; a column that does not hold them is a ColumnError."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "could not infer format": the error says more
            return pd.to_datetime(times)
    except (ValueError, TypeError, OverflowError) as err:
        raise ColumnError(time_column, f"the time column does not hold timestamps: {err}") from err


def _time_range(times: pd.Series, time_column: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    stamps = timestamps(times, time_column)
    if stamps.isna().all():
        raise ColumnError(time_column, "the time column has no timestamps")
    return stamps.min(), stamps.max()


def _check_window_args(
    columns: list[str], time_column: str | None, window: str | None, chunk_size: int | None = None
) -> None:
    if chunk_size is not None:
        if window is not None:
            raise ParameterError("Pass either window or chunk_size, not both.")
        if isinstance(chunk_size, bool) or not isinstance(chunk_size, int | np.integer) or chunk_size < 1:
            raise ParameterError.bad_value("chunk_size", "monitor", "a positive number of rows", chunk_size)
    elif time_column is None or window is None:
        raise ParameterError(
            "Time windows need one DataFrame plus both time_column and window "
            "(for example time_column='ts', window='7D'), or chunk_size for chunks of rows."
        )
    if time_column is not None and time_column not in columns:
        raise ColumnError(time_column, f"the time column is not in the data; columns are {columns[:20]}")


def _chunks(frame: pd.DataFrame, time_column: str | None, chunk_size: int) -> list[tuple[str, pd.DataFrame]]:
    """Consecutive chunks of ``chunk_size`` rows (sorted by ``time_column`` when given), each
    labelled with its rows or its time range."""
    if time_column is not None:
        stamps = timestamps(frame[time_column], time_column)
        frame = frame.iloc[np.argsort(stamps.to_numpy(), kind="stable")]
    out = []
    for begin in range(0, len(frame), chunk_size):
        chunk = frame.iloc[begin : begin + chunk_size]
        label = f"rows {begin + 1:,} to {begin + len(chunk):,}"
        if time_column is not None:
            first, last = timestamps(chunk[time_column], time_column).agg(["min", "max"])
            if pd.notna(first):
                midnight = first == first.normalize() and last == last.normalize()
                fmt = "%Y-%m-%d" if midnight else "%Y-%m-%d %H:%M"
                label = f"{first.strftime(fmt)} to {last.strftime(fmt)} ({label})"
        out.append((label, chunk))
    return out


def _batches(
    batches: Any, time_column: str | None, window: str | None, chunk_size: int | None
) -> Iterable[tuple[str, Any]]:
    if time_column is not None or window is not None or chunk_size is not None:
        if not isinstance(batches, pd.DataFrame):
            raise ParameterError(
                "Time windows and chunks need one DataFrame plus time_column and window "
                "(for example time_column='ts', window='7D'), or chunk_size."
            )
        _check_window_args(list(batches.columns), time_column, window, chunk_size)
        if chunk_size is not None:
            return _chunks(batches, time_column, int(chunk_size))
        assert time_column is not None and window is not None
        windows = Windows.of(window, *_time_range(batches[time_column], time_column))
        keys = windows.keys(batches[time_column])
        out = [(windows.label(start), g) for start, g in batches.groupby(keys, sort=True) if len(g)]
        undated = batches[keys.isna().to_numpy()]
        return out + ([(NO_TIMESTAMP, undated)] if len(undated) else [])
    if isinstance(batches, pd.DataFrame):
        raise ParameterError(
            "Pass several batches (a list or a dict of frames), or one frame with time_column and window, "
            "or one frame with chunk_size."
        )
    if isinstance(batches, Mapping):
        return [(str(k), v) for k, v in batches.items()]
    return [(f"batch {i + 1}", b) for i, b in enumerate(batches)]


def _accumulators(baseline: Any, names: list[str], labels: str | None, model: Any, as_of: Any) -> list[Any]:
    """What a pass over a Dask batch counts beside the profile: the baseline's bins, the labelled
    rows' quality, and the datetime and text columns' shares."""
    from lifecycle_widgets.core.drift.check import BinCounter
    from lifecycle_widgets.core.drift.quality import QualityCollector

    label_column = labels if labels is not None else (baseline.target if baseline.target in names else None)
    return [
        BinCounter.for_baseline(baseline),
        QualityCollector(label_column=label_column, model=model),
        DatetimeTextCounter.for_baseline(baseline, as_of),
    ]


def _dask_windows(
    baseline: Baseline,
    ddf: Any,
    time_column: str | None,
    window: str | None,
    labels: str | None,
    model: Any,
    as_of: Any = None,
) -> tuple[DriftReport, ...]:
    """Every window of a Dask DataFrame checked in one pass over the data (after one pass over
    the time column for its first and last timestamp)."""
    from lifecycle_widgets.core.distributed import collect_dask
    from lifecycle_widgets.core.drift.check import build_report
    from lifecycle_widgets.core.sources import unique_names

    names = unique_names(list(ddf.columns))
    _check_window_args(names, time_column, window)
    assert time_column is not None and window is not None
    _step(window)  # a bad window fails here, before any work
    stamps = ddf[time_column]
    first, last = pd.Timestamp(stamps.min().compute()), pd.Timestamp(stamps.max().compute())
    if pd.isna(first):
        raise ColumnError(time_column, "the time column has no timestamps")
    windows = Windows.of(window, first, last)
    accs = _accumulators(baseline, names, labels, model, as_of)
    grouped = collect_dask(
        ddf,
        names,
        sample_size=50_000,
        accumulators=accs,
        group=lambda chunk: windows.keys(chunk[time_column]),
    )
    return tuple(
        build_report(
            baseline,
            f"window {windows.label(k)}",
            part,
            acc[1].metrics(),
            windows.label(k),
            acc[0],
            model=model,
            extra=acc[2],
        )
        for k, (part, acc) in sorted(grouped.items())
    )


def _dask_chunks(
    baseline: Baseline,
    ddf: Any,
    time_column: str | None,
    window: str | None,
    chunk_size: int,
    labels: str | None,
    model: Any,
    as_of: Any = None,
) -> tuple[DriftReport, ...]:
    """Consecutive chunks of ``chunk_size`` rows of a Dask DataFrame, in its row order, checked in
    one pass over the data (after a pass that counts each partition's rows): each row's global
    position becomes its index, and the chunk is that position floor-divided by the size."""
    from dask import dataframe as dd
    from dask import delayed

    from lifecycle_widgets.core.distributed import collect_dask
    from lifecycle_widgets.core.drift.check import build_report
    from lifecycle_widgets.core.sources import unique_names

    names = unique_names(list(ddf.columns))
    _check_window_args(names, None, window, chunk_size)
    if time_column is not None:
        raise ParameterError(
            "chunk_size cuts a Dask DataFrame in its row order; sort it by the time column first "
            "(ddf.set_index(time_column)) and pass no time_column, or cut it by time_column and window."
        )
    size = int(chunk_size)
    lengths = [int(n) for n in ddf.map_partitions(len).compute()]
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64).tolist()

    def positioned(frame: pd.DataFrame, start: int) -> pd.DataFrame:
        return frame.set_axis(pd.RangeIndex(start, start + len(frame)), axis=0)

    parts = [delayed(positioned)(p, s) for p, s in zip(ddf.to_delayed(), starts, strict=True)]
    meta = ddf._meta.set_axis(pd.RangeIndex(0, 0), axis=0)
    numbered = dd.from_delayed(parts, meta=meta, verify_meta=False)
    accs = _accumulators(baseline, names, labels, model, as_of)
    grouped = collect_dask(
        numbered,
        names,
        sample_size=50_000,
        accumulators=accs,
        group=lambda chunk: np.asarray(chunk.index, dtype=np.int64) // size,
    )
    total = sum(lengths)
    out = []
    for k, (part, acc) in sorted(grouped.items()):
        first, last = int(k) * size + 1, min(total, (int(k) + 1) * size)
        label = f"rows {first:,} to {last:,}"
        out.append(
            build_report(baseline, label, part, acc[1].metrics(), label, acc[0], model=model, extra=acc[2])
        )
    return tuple(out)


def monitor(
    baseline: Baseline,
    batches: Any,
    *,
    time_column: str | None = None,
    window: str | None = None,
    chunk_size: int | None = None,
    labels: str | None = None,
    model: Any = None,
    estimator: PerformanceEstimator | None = None,
    retrain_after: tuple[int, int] | RetrainingPolicy = (2, 3),
    as_of: Any = None,
    progress: bool | None = None,
) -> Timeline:
    """Check every batch against ``baseline`` and collect the reports in a :class:`Timeline`.

    Parameters
    ----------
    batches : list or dict of frames (or Parquet paths), or one frame
        With one frame, ``time_column`` and ``window`` cut it into time windows, or
        ``chunk_size`` into consecutive chunks of rows.
    time_column : str, optional
        Column of timestamps: with ``window``, the windows' clock; with ``chunk_size``, the
        order of the rows (each chunk's label then shows its time range).
    window : str, optional
        A calendar period, ``"1D"``, ``"1W"``, ``"1M"`` (calendar months), ``"1Q"``, ``"1Y"``
        (any multiple, such as ``"7D"``), or a fixed pandas frequency such as ``"6h"``. The
        first window starts at the data's first timestamp (at midnight for days and longer),
        and each label shows its window's range (``"2026-01-01 to 2026-01-07"``). Rows without
        a timestamp are checked as one more batch, labelled ``"no timestamp"``.
    chunk_size : int, optional
        Rows per chunk, instead of time windows. A Dask DataFrame is cut in its row order, in
        one pass over the data on the workers.
    labels : str, optional
        Column of each batch holding the true labels (default: the baseline's target).
    model : optional
        Fitted model to predict each batch, for the model-based checks (a baseline holds none).
    estimator : PerformanceEstimator, optional
        Estimates the model's performance on each batch without labels (CBPE, DLE), with the
        realized value beside it where a batch has its labels; pandas batches only.
    retrain_after : (k, n) or RetrainingPolicy
        Recommend retraining when at least ``k`` of the last ``n`` batches give a reason
        (default ``(2, 3)``); see :attr:`Timeline.retraining`.
    as_of : timestamp, optional
        The time after which a timestamp counts as future (default: now, in UTC).

    Examples
    --------
    >>> import lifecycle_widgets as lw
    >>> base = lw.Baseline.fit(lw.datasets.credit(2000))
    >>> frame = lw.datasets.credit_batch(3000, drift=False)
    >>> frame["ts"] = pd.Timestamp("2026-01-01") + pd.to_timedelta(range(3000), unit="h")
    >>> lw.monitor(base, frame, time_column="ts", window="1M").labels
    ('2026-01-01 to 2026-01-31', '2026-02-01 to 2026-02-28', '2026-03-01 to 2026-03-31', '2026-04-01 to 2026-04-30', '2026-05-01 to 2026-05-31')
    >>> lw.monitor(base, frame, chunk_size=1000).labels
    ('rows 1 to 1,000', 'rows 1,001 to 2,000', 'rows 2,001 to 3,000')
    """
    if not isinstance(baseline, Baseline):
        raise ParameterError.bad_value("baseline", "monitor", "a Baseline", type(baseline).__name__)
    policy = RetrainingPolicy.of(retrain_after)
    if estimator is not None and not isinstance(estimator, PerformanceEstimator):
        raise ParameterError.bad_value(
            "estimator", "monitor", "a fitted PerformanceEstimator", type(estimator).__name__
        )
    from lifecycle_widgets.core.distributed import is_dask

    if is_dask(batches):
        if estimator is not None:
            raise ParameterError("estimator= estimates pandas batches; pass the batches as frames.")
        if chunk_size is not None:
            reports = _dask_chunks(baseline, batches, time_column, window, chunk_size, labels, model, as_of)
        else:
            reports = _dask_windows(baseline, batches, time_column, window, labels, model, as_of)
        return Timeline(baseline_fingerprint=baseline.fingerprint, reports=reports, policy=policy)
    items = list(_batches(batches, time_column, window, chunk_size))
    if not items:
        raise ParameterError("monitor needs at least one batch.")
    show = progress if progress is not None else len(items) > 3
    reports = tuple(
        check(baseline, data, labels=labels, model=model, progress=False, label=label, as_of=as_of)
        for label, data in progress_bar(items, total=len(items), desc="monitoring", enabled=show)
    )
    performance = None
    if estimator is not None:
        frames = {label: d if isinstance(d, pd.DataFrame) else pd.read_parquet(d) for label, d in items}
        performance = estimator.estimate(frames)  # each batch's target column gives the realized values
    return Timeline(
        baseline_fingerprint=baseline.fingerprint, reports=reports, performance=performance, policy=policy
    )
