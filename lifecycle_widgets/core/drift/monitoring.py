"""Monitoring: many batches (or time windows) against one baseline, and when to retrain."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import pandas as pd

from lifecycle_widgets.core.drift.baseline import Baseline
from lifecycle_widgets.core.drift.check import DriftReport, check, get_check
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
    ...            "feb": lw.datasets.credit_batch(1000, seed=3)}
    >>> timeline = lw.monitor(base, batches)
    >>> timeline.labels, timeline.retrain_recommended
    (('jan', 'feb'), True)
    """

    kind: ClassVar[str] = "drift_timeline"

    baseline_fingerprint: str
    reports: tuple[DriftReport, ...]

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

    @property
    def retrain_recommended(self) -> bool:
        """True when the latest batch violates a drift, quality, completeness, domain or schema
        constraint (a check registered with ``retrain=True``): the data the model sees is no
        longer the data it learned from."""
        return any(get_check(s.constraint_check_type).retrain for s in self.signals)

    def __repr__(self) -> str:
        return (
            f"<Timeline: {len(self.reports)} batches, {len(self.signals)} active signals, "
            f"retrain {'recommended' if self.retrain_recommended else 'not needed'}>"
        )


def window_keys(times: pd.Series, window: str) -> pd.Series:
    """The start of each row's time window: ``window`` is a fixed pandas frequency ("1D", "7D",
    "6h"), windows are aligned to the Unix epoch (so the pandas and Dask paths cut alike)."""
    try:
        return pd.to_datetime(times).dt.floor(window)
    except ValueError as err:
        raise ParameterError(
            f"window {window!r} is not a fixed pandas frequency such as '1D', '7D' or '6h': {err}"
        ) from err


def _label(start: pd.Timestamp) -> str:
    return str(start.date() if start == start.normalize() else start)


def _check_window_args(columns: list[str], time_column: str | None, window: str | None) -> None:
    if time_column is None or window is None:
        raise ParameterError(
            "Time windows need one DataFrame plus both time_column and window "
            "(for example time_column='ts', window='7D')."
        )
    if time_column not in columns:
        raise ColumnError(time_column, f"the time column is not in the data; columns are {columns[:20]}")


def _batches(batches: Any, time_column: str | None, window: str | None) -> Iterable[tuple[str, Any]]:
    if time_column is not None or window is not None:
        if not isinstance(batches, pd.DataFrame):
            raise ParameterError(
                "Time windows need one DataFrame plus both time_column and window "
                "(for example time_column='ts', window='7D')."
            )
        _check_window_args(list(batches.columns), time_column, window)
        keys = window_keys(batches[time_column], window)
        return [(_label(start), g) for start, g in batches.groupby(keys, sort=True) if len(g)]
    if isinstance(batches, pd.DataFrame):
        raise ParameterError(
            "Pass several batches (a list or a dict of frames), or one frame with time_column and window."
        )
    if isinstance(batches, Mapping):
        return [(str(k), v) for k, v in batches.items()]
    return [(f"batch {i + 1}", b) for i, b in enumerate(batches)]


def _dask_windows(
    baseline: Baseline, ddf: Any, time_column: str | None, window: str | None, labels: str | None, model: Any
) -> tuple[DriftReport, ...]:
    """Every window of a Dask DataFrame checked in one pass over the data."""
    from lifecycle_widgets.core.distributed import collect_dask
    from lifecycle_widgets.core.drift.check import BinCounter, build_report
    from lifecycle_widgets.core.drift.quality import QualityCollector
    from lifecycle_widgets.core.sources import unique_names

    names = unique_names(list(ddf.columns))
    _check_window_args(names, time_column, window)
    window_keys(pd.Series(pd.to_datetime(["2026-01-01"])), window)  # a bad window fails here, before any work
    label_column = labels if labels is not None else (baseline.target if baseline.target in names else None)
    accs = [BinCounter.for_baseline(baseline), QualityCollector(label_column=label_column, model=model)]
    grouped = collect_dask(
        ddf,
        names,
        sample_size=50_000,
        accumulators=accs,
        group=lambda chunk: window_keys(chunk[time_column], window),
    )
    return tuple(
        build_report(baseline, f"window {_label(k)}", part, acc[1].metrics(), _label(k), acc[0], model=model)
        for k, (part, acc) in sorted(grouped.items())
    )


def monitor(
    baseline: Baseline,
    batches: Any,
    *,
    time_column: str | None = None,
    window: str | None = None,
    labels: str | None = None,
    model: Any = None,
    progress: bool | None = None,
) -> Timeline:
    """Check every batch against ``baseline`` and collect the reports in a :class:`Timeline`.

    Parameters
    ----------
    batches : list or dict of frames (or Parquet paths), or one frame
        With one frame, ``time_column`` and ``window`` (a pandas frequency such as ``"7D"``)
        cut it into time windows.
    labels : str, optional
        Column of each batch holding the true labels (default: the baseline's target).
    model : optional
        Fitted model to predict each batch (default: the model given to ``Baseline.fit``).
    """
    if not isinstance(baseline, Baseline):
        raise ParameterError.bad_value("baseline", "monitor", "a Baseline", type(baseline).__name__)
    from lifecycle_widgets.core.distributed import is_dask

    if is_dask(batches):
        model = model if model is not None else getattr(baseline, "_model", None)
        reports = _dask_windows(baseline, batches, time_column, window, labels, model)
        return Timeline(baseline_fingerprint=baseline.fingerprint, reports=reports)
    items = list(_batches(batches, time_column, window))
    if not items:
        raise ParameterError("monitor needs at least one batch.")
    model = model if model is not None else getattr(baseline, "_model", None)
    show = progress if progress is not None else len(items) > 3
    reports = tuple(
        check(baseline, data, labels=labels, model=model, progress=False, label=label)
        for label, data in progress_bar(items, total=len(items), desc="monitoring", enabled=show)
    )
    return Timeline(baseline_fingerprint=baseline.fingerprint, reports=reports)
