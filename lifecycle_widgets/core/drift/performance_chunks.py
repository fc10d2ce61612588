"""What performance estimation and multivariate drift share: batches and chunks, reference
thresholds, the split of features into numbers and categories, and argument checks.

The conventions are NannyML's (0.13), so results can be compared with it:

- a frame is cut into consecutive chunks of ``chunk_size`` rows, the remainder kept as a last,
  smaller chunk (``SizeBasedChunker(incomplete="keep")``); ``chunk_number`` cuts it into that many
  chunks of ``len // chunk_number`` rows (``CountBasedChunker``); with neither, into 10
  (``DefaultChunker``). A mapping of frames is one chunk per frame, as :func:`lifecycle_widgets.monitor`
  takes batches; the reference is then cut into chunks of the batches' median size, unless
  ``chunk_size`` or ``chunk_number`` says otherwise.
- a frame's chunks are labelled as :func:`lifecycle_widgets.monitor` labels them
  (``"rows 1 to 500"``); NannyML's keys count from 0 (``"[0:499]"``).
- alert thresholds are the mean of a statistic over the reference's chunks plus and minus three
  standard deviations (``StandardDeviationThreshold``), cut to the statistic's range. Unlike
  NannyML, a reference chunk shorter than half the others is left out of the thresholds: its
  statistic spreads more and would widen the range for every chunk.
- a column is categorical when its values are not numbers (strings, categories, booleans).
"""

from __future__ import annotations

import contextlib
import numbers
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from lifecycle_widgets.exceptions import ColumnError, ParameterError

__all__ = [
    "DEFAULT_CHUNK_NUMBER",
    "Batch",
    "Thresholds",
    "as_plain",
    "batches_of",
    "check_chunking",
    "check_features",
    "check_frame",
    "check_positive_int",
    "chunk_bounds",
    "fingerprint_of",
    "full_chunks",
    "limited_threads",
    "split_features",
    "std_thresholds",
    "typical_batch_size",
]

DEFAULT_CHUNK_NUMBER = 10  # NannyML's DefaultChunker
THRESHOLD_STDS = 3.0  # NannyML's StandardDeviationThreshold
SMALL_DATA_ROWS = 20_000  # below this, gradient boosting runs on one thread (see limited_threads)


class ChunkPeriods:
    """The reference's chunks and the analysed ones, for results that hold ``chunks`` each with a
    ``period`` of ``"reference"`` or ``"analysis"``."""

    chunks: tuple[Any, ...]

    @property
    def reference(self) -> tuple[Any, ...]:
        """The reference's chunks (they set the thresholds)."""
        return tuple(c for c in self.chunks if c.period == "reference")

    @property
    def analysis(self) -> tuple[Any, ...]:
        """The chunks of the data compared, in order."""
        return tuple(c for c in self.chunks if c.period == "analysis")


@dataclass(frozen=True)
class Thresholds:
    """The range a statistic keeps on the reference: an alert is a value outside it.
    ``None`` is an open end."""

    lower: float | None
    upper: float | None

    def outside(self, value: float | None) -> bool:
        """Whether ``value`` lies outside the range (``None`` never does)."""
        if value is None:
            return False
        return (self.lower is not None and value < self.lower) or (
            self.upper is not None and value > self.upper
        )


@dataclass(frozen=True)
class Batch:
    """One chunk of data: its label, its rows, and where they sit in the frame they came from
    (``start`` and ``stop`` are ``None`` for a batch given as a frame of its own)."""

    label: str
    frame: pd.DataFrame
    start: int | None
    stop: int | None


def check_positive_int(value: object, name: str, caller: str, *, minimum: int = 1) -> int:
    """``value`` as an int of at least ``minimum``, or a ParameterError naming ``name``.

    Examples
    --------
    >>> check_positive_int(500, "chunk_size", "example")
    500
    >>> check_positive_int(2.5, "chunk_size", "example")
    Traceback (most recent call last):
    ...
    lifecycle_widgets.exceptions.ParameterError: The 'chunk_size' parameter of example must be an integer of at least 1. Got 2.5 instead.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or int(value) < minimum:
        raise ParameterError.bad_value(name, caller, f"an integer of at least {minimum}", value)
    return int(value)


def check_chunking(chunk_size: object, chunk_number: object, caller: str) -> tuple[int | None, int | None]:
    """Validated ``chunk_size`` and ``chunk_number``: at most one of them, each a positive int."""
    if chunk_size is not None and chunk_number is not None:
        raise ParameterError(
            f"{caller} takes chunk_size or chunk_number, not both. Got chunk_size={chunk_size!r} "
            f"and chunk_number={chunk_number!r}."
        )
    size = None if chunk_size is None else check_positive_int(chunk_size, "chunk_size", caller)
    number = None if chunk_number is None else check_positive_int(chunk_number, "chunk_number", caller)
    return size, number


def check_frame(value: object, name: str, caller: str) -> pd.DataFrame:
    """``value`` if it is a pandas DataFrame with rows, else a ParameterError naming ``name``."""
    if not isinstance(value, pd.DataFrame):
        raise ParameterError.bad_value(name, caller, "a pandas DataFrame", type(value).__name__)
    if len(value) == 0:
        raise ParameterError(f"The {name!r} parameter of {caller} has no rows.")
    if not value.columns.is_unique:
        dup = value.columns[value.columns.duplicated()].unique().tolist()
        raise ParameterError(f"The {name!r} parameter of {caller} has duplicated column names: {dup[:10]}.")
    return value


def chunk_bounds(
    n_rows: int, *, chunk_size: int | None = None, chunk_number: int | None = None
) -> list[tuple[int, int]]:
    """Consecutive ``(start, stop)`` row ranges, NannyML's way (see the module's docstring).

    Examples
    --------
    >>> chunk_bounds(1050, chunk_size=500)
    [(0, 500), (500, 1000), (1000, 1050)]
    >>> chunk_bounds(25, chunk_number=4)
    [(0, 6), (6, 12), (12, 18), (18, 24), (24, 25)]
    """
    if chunk_size is None:
        size = n_rows // (chunk_number or DEFAULT_CHUNK_NUMBER)
        if size < 1:
            raise ParameterError(
                f"{n_rows} rows cannot be cut into {chunk_number or DEFAULT_CHUNK_NUMBER} chunks; "
                "give a smaller chunk_number or a chunk_size."
            )
    else:
        size = chunk_size
    return [(start, min(start + size, n_rows)) for start in range(0, n_rows, size)]


def batches_of(
    data: object,
    *,
    name: str,
    caller: str,
    chunk_size: int | None,
    chunk_number: int | None,
    prefix: str = "",
) -> list[Batch]:
    """The chunks of ``data``: a DataFrame cut by :func:`chunk_bounds`, or a mapping of labels to
    DataFrames, one chunk each. Every frame is checked (:func:`check_frame`).

    Examples
    --------
    >>> frame = pd.DataFrame({"x": range(250)})
    >>> [b.label for b in batches_of(frame, name="data", caller="example", chunk_size=100, chunk_number=None)]
    ['rows 1 to 100', 'rows 101 to 200', 'rows 201 to 250']
    >>> [b.label for b in batches_of({"jan": frame, "feb": frame}, name="data", caller="example",
    ...                               chunk_size=None, chunk_number=None)]
    ['jan', 'feb']
    """
    if isinstance(data, Mapping):
        if not data:
            raise ParameterError(
                f"The {name!r} parameter of {caller} is an empty mapping; give at least one batch."
            )
        out = []
        for key, frame in data.items():
            check_frame(frame, f"{name}[{key!r}]", caller)
            out.append(Batch(str(key), frame, None, None))
        labels = [b.label for b in out]
        if len(set(labels)) != len(labels):
            raise ParameterError(
                f"The {name!r} parameter of {caller} has batch labels that read the same: {labels[:10]}."
            )
        return out
    frame = check_frame(data, name, caller)
    return [
        Batch(f"{prefix}rows {start + 1:,} to {stop:,}", frame.iloc[start:stop], start, stop)
        for start, stop in chunk_bounds(len(frame), chunk_size=chunk_size, chunk_number=chunk_number)
    ]


def typical_batch_size(batches: Sequence[Batch]) -> int:
    """The median size of batches given as a mapping: without ``chunk_size`` or
    ``chunk_number``, the reference is cut into chunks of this size, so that its thresholds are
    for chunks the size of a batch."""
    return max(1, int(np.median([len(b.frame) for b in batches])))


def full_chunks(sizes: Sequence[int]) -> np.ndarray:
    """Which chunks count for thresholds: those at least half as long as the longest."""
    lengths = np.asarray(sizes)
    return lengths * 2 >= lengths.max()


def std_thresholds(
    values: Sequence[float | None],
    *,
    lower_limit: float | None = None,
    upper_limit: float | None = None,
    open_beyond_limits: bool = False,
    min_std: float = 0.0,
) -> Thresholds:
    """Mean plus and minus three standard deviations (``ddof=0``) of the values that are defined,
    as NannyML's ``StandardDeviationThreshold``. A bound beyond its limit becomes the limit, or
    with ``open_beyond_limits`` an open end (NannyML's ``override_using_none``). ``min_std``
    keeps the spread from coming out below a known standard error.

    Examples
    --------
    >>> t = std_thresholds([0.90, 0.92, 0.94], upper_limit=1.0)
    >>> round(t.lower, 4), round(t.upper, 4)
    (0.871, 0.969)
    >>> std_thresholds([0.2, 0.5, 0.8], lower_limit=0.0, open_beyond_limits=True).lower is None
    True
    """
    present = np.array([v for v in values if v is not None and np.isfinite(v)], dtype=float)
    if present.size == 0:
        return Thresholds(None, None)
    mean, std = float(present.mean()), max(float(present.std()), min_std)
    lower: float | None = mean - THRESHOLD_STDS * std
    upper: float | None = mean + THRESHOLD_STDS * std
    if lower_limit is not None and lower is not None and lower <= lower_limit:
        lower = None if open_beyond_limits else lower_limit
    if upper_limit is not None and upper is not None and upper >= upper_limit:
        upper = None if open_beyond_limits else upper_limit
    return Thresholds(lower, upper)


def split_features(frame: pd.DataFrame, features: Sequence[str], caller: str) -> tuple[list[str], list[str]]:
    """``features`` split into numeric and categorical columns (booleans, strings, categories).

    A date or time column is refused: later batches have later times by construction, so it
    would always look drifted and would let a model tell batches apart by time alone.

    Examples
    --------
    >>> frame = pd.DataFrame({"age": [30, 40], "region": ["n", "s"], "owner": [True, False]})
    >>> split_features(frame, ["age", "region", "owner"], "example")
    (['age'], ['region', 'owner'])
    """
    numeric, categorical = [], []
    for name in features:
        dtype = frame[name].dtype
        if pd.api.types.is_datetime64_any_dtype(dtype) or pd.api.types.is_timedelta64_dtype(dtype):
            raise ColumnError(
                name,
                f"holds dates or times ({dtype}); {caller} compares features, and a timestamp differs "
                "between batches by construction. Leave it out of features.",
            )
        if pd.api.types.is_bool_dtype(dtype) or not pd.api.types.is_numeric_dtype(dtype):
            categorical.append(name)
        elif pd.api.types.is_complex_dtype(dtype):
            raise ColumnError(name, f"holds complex numbers, which {caller} cannot compare.")
        else:
            numeric.append(name)
    return numeric, categorical


def check_features(features: object, frames: Sequence[tuple[str, pd.DataFrame]], caller: str) -> list[str]:
    """``features`` as a list of column names present in every frame (``(where, frame)`` pairs;
    ``where`` names the frame in the error)."""
    if isinstance(features, str) or not isinstance(features, Sequence | pd.Index):
        raise ParameterError.bad_value("features", caller, "a list of column names", features)
    names = list(features)
    if not names:
        raise ParameterError(f"The 'features' parameter of {caller} is empty; name at least one column.")
    if len(set(names)) != len(names):
        raise ParameterError(f"The 'features' parameter of {caller} names a column twice: {names[:20]}.")
    for where, frame in frames:
        missing = [n for n in names if n not in frame.columns]
        if missing:
            raise ColumnError(
                missing[0],
                f"is a feature but not a column of {where}; its columns are {list(frame.columns)[:20]}",
            )
    return names


def fingerprint_of(frame: pd.DataFrame) -> str:
    """The content fingerprint (SHA-256) the rest of the package gives the same rows."""
    from lifecycle_widgets.core.ingest import fingerprint
    from lifecycle_widgets.core.partial import table_partial

    return fingerprint(table_partial(frame)).sha256


@contextlib.contextmanager
def limited_threads(rows: int) -> Iterator[None]:
    """Gradient boosting on one OpenMP thread below ``SMALL_DATA_ROWS`` rows.

    scikit-learn's histogram gradient boosting meets at a thread barrier for every tree node;
    on a few thousand rows the work between barriers is tiny, and on a busy machine each barrier
    waits for the other threads to be scheduled (a 3,000-row fit measured 0.23 s on one thread,
    5.5 s on two cores shared with other work).
    """
    if rows >= SMALL_DATA_ROWS:
        yield
        return
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="openmp"):
        yield


def as_plain(value: Any) -> float | None:
    """A finite float, or None for a missing, infinite or undefined value."""
    if value is None:
        return None
    x = float(value)
    return x if np.isfinite(x) else None
