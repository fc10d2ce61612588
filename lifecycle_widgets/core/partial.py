"""Mergeable partial statistics: one chunk of rows in, one :class:`TablePartial` out.

A chunk can be a pandas slice, a Parquet row group or a Dask partition. Partials merge
associatively (``a.merge(b)``), so chunks can be folded in order, in a tree, or on workers; the
profile is then finalized once from the merged partial (:mod:`lifecycle_widgets.core.profiling`).

Exact: row and missing counts, zeros, negatives, infinities, min/max and the moments (merged with
the pairwise formulas of Chan et al. and Pébay), and the lengths of text and bytes values (min, max,
total; measured once per distinct value of a chunk and weighted by its count, so a column of
repeated values costs its distinct values, not its rows). Sketched (see :mod:`.sketches` for the bounds):
distinct counts, frequent values, and a uniform row sample that quantiles, histograms and
correlations come from. The sample is bottom-k by a key mixed from the row's content hash and its
position in the table: uniform, deterministic, and the same however the rows were chunked.

Text is counted and hashed in Arrow (a dictionary encoding, then one vectorized hash of each
distinct value's UTF-8 bytes, :func:`string_hashes`), and numbers in numpy, so that the work
releases the GIL and chunks (or the columns of one chunk) run on threads in parallel
(:func:`lifecycle_widgets.core.ingest.collect`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from lifecycle_widgets.core.sketches import DistinctSketch, FrequentValues
from lifecycle_widgets.exceptions import MergeError

FAMILIES = ("boolean", "integer", "float", "datetime", "categorical", "string", "object")
_MIX = np.uint64(0x9E3779B97F4A7C15)
# numpy work on a long column goes block by block: each step's temporaries stay in the CPU cache
# (1.5 to 2x faster on 250,000 values than whole-column temporaries)
BLOCK = 16_384
MAX_ROW_HASHES = 2_000_000  # row hashes kept for duplicate counting (16 MB); beyond, a hash-space sample


def dtype_family(dtype: object) -> str:
    """The statistics family of a pandas dtype: which partial statistics apply."""
    if dtype == np.dtype(object):
        return "object"
    if pd.api.types.is_bool_dtype(dtype):
        return "boolean"
    if isinstance(dtype, pd.CategoricalDtype):
        return "categorical"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "datetime"
    if pd.api.types.is_integer_dtype(dtype):
        return "integer"
    if pd.api.types.is_float_dtype(dtype) or pd.api.types.is_timedelta64_dtype(dtype):
        return "float"
    if pd.api.types.is_string_dtype(dtype):
        return "string"
    return "object"


@dataclass
class Moments:
    """Count, mean and central moment sums M2..M4 of finite values, plus min and max."""

    n: int = 0
    mean: float = 0.0
    m2: float = 0.0
    m3: float = 0.0
    m4: float = 0.0
    min: float = np.inf
    max: float = -np.inf

    @classmethod
    def of(cls, x: np.ndarray) -> Moments:
        if x.size == 0:
            return cls()
        # values near 1e300 overflow their powers to inf: the profile writes such moments as
        # null; errstate is per thread and this runs on the partials' threads
        with np.errstate(over="ignore", invalid="ignore"):
            return cls._of(x)

    @classmethod
    def _of(cls, x: np.ndarray) -> Moments:
        mean = float(x.mean())
        m2 = m3 = m4 = 0.0
        for start in range(0, x.size, BLOCK):
            d = x[start : start + BLOCK] - mean
            d2 = d * d
            m2 += float(d2.sum())
            m3 += float((d2 * d).sum())
            m4 += float((d2 * d2).sum())
        return cls(n=int(x.size), mean=mean, m2=m2, m3=m3, m4=m4, min=float(x.min()), max=float(x.max()))

    def merge(self, o: Moments) -> Moments:
        if o.n == 0:
            return self
        if self.n == 0:
            return o
        na, nb = self.n, o.n
        n = na + nb
        delta = o.mean - self.mean
        d_n = delta / n
        m2 = self.m2 + o.m2 + delta * d_n * na * nb
        m3 = self.m3 + o.m3 + delta * d_n * d_n * na * nb * (na - nb) + 3 * d_n * (na * o.m2 - nb * self.m2)
        m4 = (
            self.m4
            + o.m4
            + delta * _cube(d_n) * na * nb * (na * na - na * nb + nb * nb)
            + 6 * d_n * d_n * (na * na * o.m2 + nb * nb * self.m2)
            + 4 * d_n * (na * o.m3 - nb * self.m3)
        )
        return Moments(n, self.mean + d_n * nb, m2, m3, m4, min(self.min, o.min), max(self.max, o.max))

    def std(self) -> float | None:
        return float(np.sqrt(self.m2 / (self.n - 1))) if self.n > 1 else None

    def skewness(self) -> float | None:
        """Adjusted Fisher-Pearson skewness, as pandas' ``Series.skew``."""
        n = self.n
        if n < 3 or self.m2 <= 0:
            return None
        g1 = np.sqrt(n) * self.m3 / self.m2**1.5
        return float(g1 * np.sqrt(n * (n - 1)) / (n - 2))

    def kurtosis(self) -> float | None:
        """Adjusted excess kurtosis, as pandas' ``Series.kurt``."""
        n = self.n
        if n < 4 or self.m2 <= 0:
            return None
        g2 = n * self.m4 / self.m2**2 - 3
        return float(((n + 1) * g2 + 6) * (n - 1) / ((n - 2) * (n - 3)))


def _cube(x: float) -> float:
    """``x**3``, infinite where it overflows (Python's power raises there, its products do not)."""
    try:
        return x**3
    except OverflowError:
        return math.copysign(math.inf, x)


@dataclass(frozen=True)
class LengthStats:
    """Lengths of a column's text values (in characters) and bytes values (in bytes): how many
    values have a length, and their minimum, maximum and total. Exact, and merged by adding.

    Examples
    --------
    >>> a = LengthStats.of(np.array([3, 5]), np.array([1, 1]))  # "abc" once, "abcde" once
    >>> b = LengthStats.of(np.array([1, -1]), np.array([2, 9]))  # "a" twice, 9 numbers
    >>> m = a.merge(b)
    >>> (m.count, m.min, m.max, m.mean)
    (4, 1, 5, 2.5)
    """

    count: int = 0
    min: int = -1
    max: int = -1
    total: int = 0

    @classmethod
    def of(cls, lengths: np.ndarray, weights: np.ndarray) -> LengthStats:
        """Lengths of distinct values (negative: the value has no length) and their counts."""
        has = lengths >= 0
        if not has.any():
            return cls()
        lengths, weights = lengths[has].astype(np.int64), weights[has].astype(np.int64)
        return cls(int(weights.sum()), int(lengths.min()), int(lengths.max()), int(lengths @ weights))

    def merge(self, o: LengthStats) -> LengthStats:
        if o.count == 0:
            return self
        if self.count == 0:
            return o
        return LengthStats(
            self.count + o.count, min(self.min, o.min), max(self.max, o.max), self.total + o.total
        )

    @property
    def mean(self) -> float | None:
        return self.total / self.count if self.count else None


def value_lengths(values: pd.Index | np.ndarray) -> np.ndarray:
    """The length of each value: characters of a str, bytes of a bytes value (never decoded),
    -1 for anything else (numbers, missing values, other objects).

    Vectorized in Arrow for columns of one type; a column that mixes types is measured value by
    value (its distinct values only, see :func:`column_partial`).

    Examples
    --------
    >>> value_lengths(np.array(["ab", "é", b"\\xff\\xfe\\x00", None, 3], dtype=object)).tolist()
    [2, 1, 3, -1, -1]
    """
    inferred = pd.api.types.infer_dtype(values, skipna=True)
    if inferred == "categorical":
        values = np.asarray(values)
        inferred = pd.api.types.infer_dtype(values, skipna=True)
    if inferred in ("string", "bytes"):
        try:
            arr = pa.array(values, from_pandas=True)
        except (UnicodeEncodeError, pa.ArrowException):  # lone surrogates: measured in Python
            arr = pa.array([], type=pa.null())
        if pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type):
            out = pc.utf8_length(arr)
        elif pa.types.is_binary(arr.type) or pa.types.is_large_binary(arr.type):
            out = pc.binary_length(arr)
        else:
            out = None
        if out is not None:
            return out.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    if inferred.startswith("mixed") or inferred in ("string", "bytes"):
        obj = np.asarray(values, dtype=object)
        return np.fromiter(
            (len(v) if isinstance(v, str | bytes) else -1 for v in obj), dtype=np.int64, count=obj.size
        )
    return np.full(len(values), -1, dtype=np.int64)


@dataclass
class ColumnPartial:
    """Partial statistics of one column over one or more chunks."""

    name: str
    dtype: str
    family: str
    rows: int = 0
    missing: int = 0
    infinite: int = 0
    fractional: int = 0
    zeros: int = 0
    negatives: int = 0
    moments: Moments = field(default_factory=Moments)
    distinct: DistinctSketch = field(default_factory=DistinctSketch)
    frequent: FrequentValues | None = None
    type_counts: dict[str, int] = field(default_factory=dict)
    timezone: str | None = None
    lengths: LengthStats = field(default_factory=lambda: LengthStats())

    def merge(self, o: ColumnPartial) -> ColumnPartial:
        if (self.name, self.family) != (o.name, o.family):
            raise MergeError(
                f"Column {self.name!r}: cannot merge statistics of a {self.family} column "
                f"({self.dtype}) with those of a {o.family} column ({o.dtype}); every chunk must "
                "have the same dtypes."
            )
        self.rows += o.rows
        self.missing += o.missing
        self.infinite += o.infinite
        self.fractional += o.fractional
        self.zeros += o.zeros
        self.negatives += o.negatives
        self.moments = self.moments.merge(o.moments)
        self.distinct.merge(o.distinct)
        if self.frequent is not None and o.frequent is not None:
            self.frequent.merge(o.frequent)
        for k, v in o.type_counts.items():
            self.type_counts[k] = self.type_counts.get(k, 0) + v
        self.lengths = self.lengths.merge(o.lengths)
        return self


def numeric_values(series: pd.Series, family: str) -> np.ndarray:
    """A numeric, boolean or datetime column's non-missing values as float64 (datetimes and
    durations in seconds); infinities are kept."""
    if family == "datetime":
        s = series.dt.tz_convert("UTC").dt.tz_localize(None) if series.dt.tz is not None else series
        arr = s.to_numpy()
        arr = arr[~np.isnat(arr)]
        return arr.astype("datetime64[us]").astype(np.int64) / 1e6
    if family == "float" and pd.api.types.is_timedelta64_dtype(series.dtype):
        arr = series.to_numpy()
        return arr[~np.isnat(arr)].astype("timedelta64[us]").astype(np.int64) / 1e6
    if isinstance(series.dtype, np.dtype) and series.dtype.kind in "biuf":  # no pandas NA handling
        arr = series.to_numpy().astype(np.float64, copy=False)
        return arr[~np.isnan(arr)] if series.dtype.kind == "f" else arr
    arr = series.to_numpy(dtype=np.float64, na_value=np.nan)
    return arr[~np.isnan(arr)]


def _discrete(series: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """Codes (-1 for missing) and the value counts of a discrete column, from one factorize."""
    try:
        codes, uniques = pd.factorize(series, use_na_sentinel=True)
    except TypeError:  # unhashable objects (lists, dicts): count their text
        codes, uniques = pd.factorize(series.map(lambda v: v if v is None else repr(v)))
    counts = np.bincount(codes[codes >= 0], minlength=len(uniques))
    return codes, pd.Series(counts, index=pd.Index(uniques, tupleize_cols=False), copy=False)


def hash_objects(array: np.ndarray, *, categorize: bool = False) -> np.ndarray:
    """64-bit hashes of an object array (text hashed as its UTF-8 bytes). Text that cannot be
    encoded (lone surrogates, as from a file read with ``surrogateescape``) is hashed as the
    bytes ``surrogatepass`` gives it, which are the UTF-8 bytes of any other text, so hashes of
    ordinary text do not change.

    pandas hashes an array that holds other objects than text as the ``str()`` of each value,
    bytes decoded as ASCII; bytes that are not ASCII among such objects (which pandas cannot
    decode) are hashed as they are, and the other objects as the UTF-8 bytes of their ``str()``,
    the hashes pandas gives them.

    Examples
    --------
    >>> a = hash_objects(np.array(["ok", "\\ud800x"], dtype=object))
    >>> bool(a[0] == hash_objects(np.array(["ok"], dtype=object))[0]), a.dtype
    (True, dtype('uint64'))
    >>> b = hash_objects(np.array([b"\\xff", 1, "\\ud800x"], dtype=object))
    >>> bool(b[1] == hash_objects(np.array([2, 1], dtype=object))[1])
    True
    """
    try:
        return pd.util.hash_array(array, categorize=categorize)
    except UnicodeEncodeError:
        fixed = np.fromiter(
            (v.encode("utf-8", "surrogatepass") if isinstance(v, str) else v for v in array),
            dtype=object,
            count=array.size,
        )
        try:
            return pd.util.hash_array(fixed, categorize=categorize)
        except UnicodeDecodeError:  # and bytes that are not ASCII among other objects
            pass
    except UnicodeDecodeError:  # bytes that are not ASCII among other objects
        pass
    as_bytes = np.fromiter((_utf8_or_missing(v) for v in array), dtype=object, count=array.size)
    return pd.util.hash_array(as_bytes, categorize=categorize)


def _utf8_or_missing(value: object) -> object:
    """Bytes as they are, a missing value as it is, text as its UTF-8 (``surrogatepass``)
    bytes, any other object as those of its ``str()``."""
    if isinstance(value, bytes) or value is None or value is pd.NA or value is pd.NaT:
        return value
    if isinstance(value, float | np.floating) and value != value:
        return value
    text = value if isinstance(value, str) else str(value)
    return text.encode("utf-8", "surrogatepass")


_WORD_STEP, _WORD_SALT = np.uint64(0x9E3779B97F4A7C15), np.uint64(0x51A7)
_LENGTH_SALT, _TEXT_SALT = np.uint64(0x1E96), np.uint64(0x7E47)
HASH_BYTE_BUDGET = 1 << 18  # bytes hashed at a time: temporaries stay in the CPU cache
PADDED_MAX_BYTES = 1024  # values up to this long are hashed as a padded matrix of words


def _buffers(arr: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """The data bytes and the offsets (from 0, int64) of an Arrow string or binary array."""
    wide = pa.types.is_large_string(arr.type) or pa.types.is_large_binary(arr.type)
    _, offsets_buffer, data_buffer = arr.buffers()[:3]
    offsets = np.frombuffer(offsets_buffer, dtype=np.int64 if wide else np.int32)
    offsets = offsets[arr.offset : arr.offset + len(arr) + 1].astype(np.int64)
    data = (
        np.frombuffer(data_buffer, dtype=np.uint8)[offsets[0] : offsets[-1]]
        if data_buffer is not None
        else np.empty(0, dtype=np.uint8)
    )
    return data, offsets - offsets[0]


def _finish(sums: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    return _splitmix(sums ^ _splitmix(lengths.astype(np.uint64), _LENGTH_SALT), _TEXT_SALT)


def _word_keys(words: np.ndarray, index: np.ndarray) -> np.ndarray:
    """The mixed key of each 8-byte word of a value, from the word and its index in the value."""
    return _splitmix(words + index.astype(np.uint64) * _WORD_STEP, _WORD_SALT)


_PAD = 0x20  # values are padded with spaces to whole words (the length tells "a" from "a ")
_PAD_FILL = np.array(
    [sum(_PAD << (8 * b) for b in range(r, 8)) if r else 0 for r in range(8)], dtype=np.uint64
)


def _padded_hashes(arr: pa.Array, lengths: np.ndarray, width: int) -> np.ndarray:
    """Hashes of values padded with spaces to ``width`` bytes (a multiple of 8, at least the
    longest value): one row of words per value, each word mixed with its index, the words of a
    value summed. The padding is done in Arrow (append ``width`` spaces, keep ``width`` bytes)."""
    binary = arr.cast(pa.large_binary())
    spaces = pa.scalar(b" " * width, pa.large_binary())
    joined = pc.binary_join_element_wise(binary, spaces, pa.scalar(b"", pa.large_binary()))
    data, _ = _buffers(pc.binary_slice(joined, 0, width))
    words = data.reshape(len(arr), width).view("<u8")
    n_words = width // 8
    keys = _word_keys(words, np.arange(n_words))
    keys *= np.arange(n_words) * 8 < lengths[:, None]  # words past the value's end count 0
    sums = keys[:, 0].copy()
    for w in range(1, n_words):
        sums += keys[:, w]
    return _finish(sums, lengths)


def _byte_hashes(data: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """The same hashes as :func:`_padded_hashes`, for any values, built from the bytes: each
    byte shifted into its word, the last word of a value padded with spaces, the mixed words
    summed per value."""
    n = offsets.size - 1
    lengths = np.diff(offsets)
    sums = np.zeros(n, dtype=np.uint64)
    total = int(offsets[-1])
    if total == 0:
        return _finish(sums, lengths)
    nonempty = lengths > 0
    first = offsets[:-1][nonempty]
    owner_start = np.zeros(total, dtype=np.int64)
    owner_start[first] = first
    np.maximum.accumulate(owner_start, out=owner_start)
    pos = np.arange(total, dtype=np.int64)
    pos -= owner_start  # each byte's position in its value
    contribution = data.astype(np.uint64) << ((pos & 7) * 8).astype(np.uint64)
    word_first = np.flatnonzero((pos & 7) == 0)  # the words of a value are contiguous
    words = np.add.reduceat(contribution, word_first)
    value_first = np.searchsorted(word_first, first)
    last_word = np.append(value_first[1:], word_first.size) - 1
    words[last_word] += _PAD_FILL[lengths[nonempty] % 8]
    keys = _word_keys(words, pos[word_first] >> 3)
    sums[nonempty] = np.add.reduceat(keys, value_first)
    return _finish(sums, lengths)


def string_hashes(arr: pa.Array) -> np.ndarray:
    """64-bit hashes of the values of an Arrow string (or binary) array, from their UTF-8 bytes,
    vectorized in numpy and Arrow (no Python per value, and the GIL released): each 8-byte word
    of a value is mixed with its index, the mixed words are summed modulo 2**64 and the sum is
    mixed with the length. Null entries hash as the empty value; pass arrays without nulls.

    Examples
    --------
    >>> h = string_hashes(pa.array(["ab", "ba", "", "ab", "é" * 40]))
    >>> bool(h[0] == h[3]), bool(h[0] != h[1]), h.dtype
    (True, True, dtype('uint64'))
    """
    n = len(arr)
    out = np.empty(n, dtype=np.uint64)
    if n == 0:
        return out
    data, offsets = _buffers(arr)
    lengths = np.diff(offsets)
    start = 0
    with np.errstate(over="ignore"):
        while start < n:
            stop = int(np.searchsorted(offsets, offsets[start] + HASH_BYTE_BUDGET, side="right")) - 1
            stop = min(max(stop, start + 1), n)
            lo, hi = int(offsets[start]), int(offsets[stop])
            lens = lengths[start:stop]
            longest = int(lens.max())
            width = max(8, -(-longest // 8) * 8)
            # a matrix of words when the padding stays within 2x the bytes; bytes one by one else
            if longest <= PADDED_MAX_BYTES and (stop - start) * width <= 2 * (hi - lo) + 16 * (stop - start):
                out[start:stop] = _padded_hashes(arr.slice(start, stop - start), lens, width)
            else:
                out[start:stop] = _byte_hashes(data[lo:hi], offsets[start : stop + 1] - lo)
            start = stop
    return out


def _text_array(array: np.ndarray) -> pa.Array | None:
    """An object array of str as an Arrow string array (lone surrogates as the bytes
    ``surrogatepass`` gives them, which are the UTF-8 bytes of any other text); None when some
    value is not a str."""
    if pd.api.types.infer_dtype(array, skipna=False) != "string":
        return None
    try:
        return pa.array(array, type=pa.large_string())
    except (UnicodeEncodeError, pa.ArrowException):
        return pa.array([v.encode("utf-8", "surrogatepass") for v in array], type=pa.large_binary())


def _value_hashes(values: pd.Index) -> np.ndarray:
    """64-bit hashes of distinct values; the same value hashes alike whatever its chunk's dtype
    (text by :func:`string_hashes` of its UTF-8 bytes, in a str column or among other objects)."""
    array = values.to_numpy()
    if array.dtype.kind not in "OUST":
        return pd.util.hash_array(array)
    array = array.astype(object, copy=False)
    text = _text_array(array)
    if text is not None:
        return string_hashes(text)
    out = hash_objects(array)
    is_str = np.fromiter((isinstance(v, str) for v in array), dtype=bool, count=array.size)
    if is_str.any():
        out[is_str] = _value_hashes(pd.Index(array[is_str], dtype=object))
    return out


def arrow_text(series: pd.Series) -> pa.Array | None:
    """The column as one Arrow string array when pandas keeps it in Arrow (the ``str`` dtype
    with pyarrow storage, or an ``ArrowDtype`` of strings); None otherwise."""
    dtype = series.dtype
    if not (
        (isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow")
        or (isinstance(dtype, pd.ArrowDtype) and pa.types.is_string(dtype.pyarrow_dtype))
        or (isinstance(dtype, pd.ArrowDtype) and pa.types.is_large_string(dtype.pyarrow_dtype))
    ):
        return None
    chunked = series.array.__arrow_array__()
    if isinstance(chunked, pa.ChunkedArray):
        chunked = chunked.chunk(0) if chunked.num_chunks == 1 else chunked.combine_chunks()
    if not (pa.types.is_string(chunked.type) or pa.types.is_large_string(chunked.type)):
        return None
    return chunked


_MISSING_HASH = np.uint64(0x5A17_D00D_5A17_D00D)


def _blockwise(hash_block: Callable[[np.ndarray], np.ndarray], values: np.ndarray) -> np.ndarray:
    """``hash_block(values)`` for a function of each value alone, computed :data:`BLOCK` values
    at a time (the same hashes, its temporaries in the CPU cache)."""
    if values.ndim != 1 or values.size <= BLOCK:
        return hash_block(values)
    out = np.empty(values.size, dtype=np.uint64)
    for start in range(0, values.size, BLOCK):
        out[start : start + BLOCK] = hash_block(values[start : start + BLOCK])
    return out


def _hash_values(values: np.ndarray) -> np.ndarray:
    """``pd.util.hash_array`` of a numpy array, block by block."""
    return _blockwise(pd.util.hash_array, values)


def _continuous_hashes(series: pd.Series, family: str) -> tuple[np.ndarray, np.ndarray]:
    """Hashes of float, datetime and duration values in one canonical form (float64, or int64
    microseconds since the epoch in UTC), so every dtype backend hashes the same content alike."""
    if family == "datetime":
        s = series.dt.tz_convert("UTC").dt.tz_localize(None) if series.dt.tz is not None else series
        arr = s.to_numpy(dtype="datetime64[us]")
        isna = np.isnat(arr)
        values = arr.astype(np.int64)
    elif pd.api.types.is_timedelta64_dtype(series.dtype):
        arr = series.to_numpy(dtype="timedelta64[us]")
        isna = np.isnat(arr)
        values = arr.astype(np.int64)
    else:
        values = series.to_numpy(dtype=np.float64, na_value=np.nan)
        isna = np.isnan(values)
    hashes = _hash_values(values)
    hashes[isna] = _MISSING_HASH
    return hashes, isna


def column_partial(series: pd.Series, name: str) -> tuple[ColumnPartial, np.ndarray]:
    """Partial statistics of one column of one chunk, and the 64-bit hash of each value."""
    family = dtype_family(series.dtype)
    part = ColumnPartial(name=name, dtype=str(series.dtype), family=family, rows=len(series))
    if family == "datetime":
        part.timezone = str(series.dt.tz) if series.dt.tz is not None else None
    text = arrow_text(series) if family == "string" else None
    if text is not None:
        part, hashes = arrow_text_partials([(name, part.dtype, text)])[0]
    elif family in ("integer", "boolean", "categorical", "string", "object"):
        codes, counts = _discrete(series)
        unique_hashes = _value_hashes(counts.index)
        if len(unique_hashes):
            hashes = np.where(codes >= 0, unique_hashes[np.maximum(codes, 0)], _MISSING_HASH)
        else:
            hashes = np.full(len(codes), _MISSING_HASH, dtype=np.uint64)
        part.missing = int(np.count_nonzero(codes < 0))
        part.distinct.update(unique_hashes)
        part.frequent = FrequentValues()
        part.frequent.update(counts)
        if family in ("categorical", "string", "object") and len(counts):
            part.lengths = LengthStats.of(value_lengths(counts.index), counts.to_numpy())
    else:
        hashes, isna = _continuous_hashes(series, family)
        part.missing = int(isna.sum())
        part.distinct.update(hashes[~isna] if part.missing else hashes)
    if family in ("integer", "float", "boolean", "datetime"):
        x = numeric_values(series, family)
        finite = np.isfinite(x)
        if not finite.all():
            part.infinite = int((~finite).sum())
            x = x[finite]
        if family == "float":
            part.fractional = int(np.count_nonzero(x != np.floor(x)))
        part.zeros = int(np.count_nonzero(x == 0))
        part.negatives = int(np.count_nonzero(x < 0))
        part.moments = Moments.of(x)
    if family == "object":
        inferred = pd.api.types.infer_dtype(series, skipna=True)
        if inferred.startswith("mixed") and inferred != "mixed-integer-float":
            types = series.dropna().map(lambda v: type(v).__name__).value_counts()
            part.type_counts = {str(k): int(v) for k, v in types.items()}
        elif inferred != "empty":
            part.type_counts = {inferred: len(series) - part.missing}
    return part, hashes


def _numeric_stats(part: ColumnPartial, x: np.ndarray) -> None:
    """Infinities, fractional values, zeros, negatives and moments of a numeric column's
    present values ``x`` (float64)."""
    finite = np.isfinite(x)
    if not finite.all():
        part.infinite = int((~finite).sum())
        x = x[finite]
    if part.family == "float":
        part.fractional = int(np.count_nonzero(x != np.floor(x)))
    part.zeros = int(np.count_nonzero(x == 0))
    part.negatives = int(np.count_nonzero(x < 0))
    part.moments = Moments.of(x)


def numpy_column_partial(values: np.ndarray, name: str) -> tuple[ColumnPartial, np.ndarray]:
    """:func:`column_partial` of a column held in a numpy array of booleans, integers or
    floats, in numpy alone (no pandas Series): the same statistics and hashes, without the
    Series' overhead that dominates a wide table of short columns."""
    kind = values.dtype.kind
    family = "float" if kind == "f" else "boolean" if kind == "b" else "integer"
    part = ColumnPartial(name=name, dtype=str(values.dtype), family=family, rows=len(values))
    if family == "float":
        x = values.astype(np.float64, copy=False)
        isna = np.isnan(x)
        hashes = _hash_values(x)
        part.missing = int(np.count_nonzero(isna))
        if part.missing:
            hashes[isna] = _MISSING_HASH
            x = x[~isna]
        part.distinct.update(hashes[~isna] if part.missing else hashes)
    else:
        codes, uniques = pd.factorize(values)
        counts = np.bincount(codes, minlength=len(uniques))
        unique_hashes = _hash_values(uniques)
        if len(unique_hashes):
            hashes = unique_hashes[codes]
        else:
            hashes = np.full(len(codes), _MISSING_HASH, dtype=np.uint64)
        part.distinct.update(unique_hashes)
        part.frequent = FrequentValues()
        part.frequent.update_counts(uniques, counts)  # trimmed before an Index is built
        x = values.astype(np.float64)
    _numeric_stats(part, x)
    return part, hashes


def _arrow_text_of(values: object) -> pa.Array | None:
    """:func:`arrow_text` of a column's pandas array (not a Series)."""
    dtype = getattr(values, "dtype", None)
    if not (
        (isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow")
        or (isinstance(dtype, pd.ArrowDtype) and pa.types.is_string(dtype.pyarrow_dtype))
        or (isinstance(dtype, pd.ArrowDtype) and pa.types.is_large_string(dtype.pyarrow_dtype))
    ):
        return None
    chunked = values.__arrow_array__()  # type: ignore[attr-defined]
    if isinstance(chunked, pa.ChunkedArray):
        chunked = chunked.chunk(0) if chunked.num_chunks == 1 else chunked.combine_chunks()
    if not (pa.types.is_string(chunked.type) or pa.types.is_large_string(chunked.type)):
        return None
    return chunked


def arrow_text_partials(texts: list[tuple[str, str, pa.Array]]) -> list[tuple[ColumnPartial, np.ndarray]]:
    """:func:`column_partial` of several Arrow text columns (name, dtype, values): each
    dictionary-encoded apart, and the distinct values of all of them hashed and measured in one
    pass (a value's hash and length do not depend on its neighbours), so that many short
    columns cost a few Arrow calls each rather than a dozen."""
    if not texts:
        return []
    unique = [i for i, (_, _, text) in enumerate(texts) if _mostly_unique(text)]
    if unique:
        # mostly distinct values: hashed and counted without a dictionary (its hash table
        # costs more than all the rest of such a column's statistics)
        dense = [i for i in range(len(texts)) if i not in unique]
        results = dict(zip(dense, arrow_text_partials([texts[i] for i in dense]), strict=True))
        results.update((i, _unique_text_partial(*texts[i])) for i in unique)
        return [results[i] for i in range(len(texts))]
    encoded = [pc.dictionary_encode(text) for _, _, text in texts]
    dictionaries = [e.dictionary for e in encoded]
    if len({d.type for d in dictionaries}) > 1:
        dictionaries = [d.cast(pa.large_string()) for d in dictionaries]
    everything = pa.concat_arrays(dictionaries) if len(dictionaries) > 1 else dictionaries[0]
    all_hashes = string_hashes(everything)
    all_lengths = pc.utf8_length(everything).to_numpy(zero_copy_only=False) if len(everything) else None
    out = []
    start = 0
    for (name, dtype, text), e, dictionary in zip(texts, encoded, dictionaries, strict=True):
        part = ColumnPartial(name=name, dtype=dtype, family="string", rows=len(text))
        stop = start + len(dictionary)
        indices = e.indices.fill_null(-1) if e.indices.null_count else e.indices
        codes = indices.to_numpy(zero_copy_only=False).astype(np.int64, copy=False)
        present = codes >= 0
        part.missing = int(codes.size - np.count_nonzero(present))
        counts = np.bincount(codes[present] if part.missing else codes, minlength=len(dictionary))
        unique_hashes = all_hashes[start:stop]
        part.distinct.update(unique_hashes)
        part.frequent = FrequentValues()
        part.frequent.update_counts(dictionary, counts)
        if len(dictionary):
            assert all_lengths is not None
            part.lengths = LengthStats.of(all_lengths[start:stop], counts)
            hashes = unique_hashes[np.maximum(codes, 0)] if part.missing else unique_hashes[codes]
            if part.missing:
                hashes[~present] = _MISSING_HASH
        else:
            hashes = np.full(codes.size, _MISSING_HASH, dtype=np.uint64)
        out.append((part, hashes))
        start = stop
    return out


UNIQUE_PROBE = 1024  # values of a text column looked at to choose how it is counted


def _mostly_unique(text: pa.Array) -> bool:
    """Whether most of the first present values of ``text`` are distinct."""
    probe = text.slice(0, UNIQUE_PROBE)
    present = len(probe) - probe.null_count
    return present >= 64 and pc.count_distinct(probe).as_py() > present // 2


def _unique_text_partial(name: str, dtype: str, text: pa.Array) -> tuple[ColumnPartial, np.ndarray]:
    """:func:`arrow_text_partials` of one column of mostly distinct values, from the hash of
    every present value: distinct values are told apart by their 64-bit hashes and kept in the
    order they first appear, so the statistics are those the dictionary path gives."""
    part = ColumnPartial(name=name, dtype=dtype, family="string", rows=len(text))
    part.missing = text.null_count
    present = text.drop_null() if part.missing else text
    value_hashes = string_hashes(present)
    order = np.argsort(value_hashes)
    ordered = value_hashes[order]
    starts = np.flatnonzero(np.concatenate(([ordered.size > 0], ordered[1:] != ordered[:-1])))
    counts = np.diff(np.append(starts, ordered.size))
    firsts = np.minimum.reduceat(order, starts) if starts.size else starts  # each value's first row
    appearance = np.argsort(firsts)
    firsts, counts = firsts[appearance], counts[appearance]
    part.distinct.update(value_hashes[firsts])
    part.frequent = FrequentValues()
    part.frequent.update_counts(_Rows(present, firsts), counts)
    if len(present):
        lengths = pc.utf8_length(present).to_numpy(zero_copy_only=False).astype(np.int64)
        part.lengths = LengthStats(int(lengths.size), int(lengths.min()), int(lengths.max()), int(lengths.sum()))
    if not part.missing:
        return part, value_hashes
    hashes = np.full(len(text), _MISSING_HASH, dtype=np.uint64)
    hashes[np.asarray(text.is_valid())] = value_hashes
    return part, hashes


@dataclass
class _Rows:
    """The values at ``rows`` of an Arrow array, taken only when asked (by position)."""

    values: pa.Array
    rows: np.ndarray

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, positions: np.ndarray) -> list[object]:
        return self.values.take(pa.array(self.rows[positions])).to_pylist()


def _column_values(chunk: pd.DataFrame) -> list[object]:
    """Each column's values as pandas holds them (a numpy array or an extension array),
    without building a Series per column (pandas' own block lookup, else ``iloc``)."""
    manager = getattr(chunk, "_mgr", None)
    try:
        return [manager.iget_values(i) for i in range(chunk.shape[1])]  # type: ignore[union-attr]
    except (AttributeError, TypeError, IndexError):
        return [chunk.iloc[:, i].array for i in range(chunk.shape[1])]


def _memory(values: object) -> int:
    """Bytes of a column's values, as ``Series.memory_usage(deep=True, index=False)``
    counts them (objects excepted: those are measured on the Series)."""
    usage = getattr(values, "memory_usage", None)
    if usage is not None:
        return int(usage(deep=True))
    return int(values.nbytes)  # type: ignore[attr-defined]


def _columns_partials(
    chunk: pd.DataFrame,
    columns: list[str],
    values: list[object],
    positions: list[int],
    absorb: Callable[[int, np.ndarray], None],
) -> list[tuple[ColumnPartial, int]]:
    """The partial and the bytes of each column at ``positions``: numpy numbers alone, Arrow
    text in one batch, any other column through its Series; each column's value hashes go to
    ``absorb(position, hashes)`` as soon as they are made (and are not kept)."""
    out: dict[int, tuple[ColumnPartial, int]] = {}
    texts: list[tuple[int, pa.Array]] = []
    for p in positions:
        v = values[p]
        if isinstance(v, np.ndarray) and v.dtype.kind in "biuf" and v.ndim == 1:
            part, hashes = numpy_column_partial(v, columns[p])
            out[p] = (part, int(v.nbytes))
            absorb(p, hashes)
            continue
        text = _arrow_text_of(v)
        if text is not None:
            texts.append((p, text))
            continue
        series = chunk.iloc[:, p]
        part, hashes = column_partial(series, columns[p])
        out[p] = (part, int(series.memory_usage(deep=True, index=False)))
        absorb(p, hashes)
    batch = [(columns[p], str(getattr(values[p], "dtype", "")), text) for p, text in texts]
    for (p, _), (part, hashes) in zip(texts, arrow_text_partials(batch), strict=True):
        out[p] = (part, _memory(values[p]))
        absorb(p, hashes)
    return [out[p] for p in positions]


@dataclass
class TablePartial:
    """Partial statistics of a whole table over one or more chunks."""

    columns: list[str]
    partials: dict[str, ColumnPartial]
    rows: int = 0
    memory_bytes: int = 0
    sample_size: int = 50_000
    row_hashes: list[np.ndarray] = field(default_factory=list)
    hash_level: int = 0  # row hashes are kept when their top `hash_level` bits are zero
    row_distinct: DistinctSketch = field(default_factory=DistinctSketch)
    content_sums: tuple[int, int] = (0, 0)
    # the row sample (see `sample`), and the samples merged since it was last read
    _sample: pd.DataFrame | None = field(default=None, repr=False)
    _sample_keys: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.uint64), repr=False)
    _sample_positions: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.uint64), repr=False)
    _pending: list[tuple[pd.DataFrame, np.ndarray, np.ndarray]] = field(default_factory=list, repr=False)

    @property
    def sample(self) -> pd.DataFrame | None:
        """The ``sample_size`` rows of smallest sample key, in key order (ties in merge order)."""
        self._fold_pending()
        return self._sample

    @property
    def sample_keys(self) -> np.ndarray:
        """Each sampled row's key."""
        self._fold_pending()
        return self._sample_keys

    @property
    def sample_positions(self) -> np.ndarray:
        """Each sampled row's position in the table, so that views of where values are missing
        can show the sample in table order."""
        self._fold_pending()
        return self._sample_positions

    def __setstate__(self, state: dict[str, Any]) -> None:
        # a partial pickled before the sample was folded in lazily (a Dask worker of an older
        # version, a test's reference) names the sample's fields without the underscore
        for name in ("sample", "sample_keys", "sample_positions"):
            if name in state:
                state[f"_{name}"] = state.pop(name)
        state.setdefault("_pending", [])
        self.__dict__.update(state)

    def set_sample(self, sample: pd.DataFrame, keys: np.ndarray, positions: np.ndarray) -> None:
        """Make ``sample`` (with its rows' keys and positions) this partial's row sample."""
        self._sample, self._sample_keys, self._sample_positions = sample, keys, positions
        self._pending = []

    def _thin_hashes(self, level: int) -> None:
        """Keep the row hashes whose top ``level`` bits are zero (a 2**-level share of the hash
        space), raising the level until at most MAX_ROW_HASHES remain: memory stays bounded,
        and since copies of a row share a hash, duplicates are counted exactly within the share
        kept (Gibbons' distinct sampling)."""
        level = max(level, self.hash_level)
        while True:
            if level > self.hash_level:
                shift = np.uint64(64 - level)
                self.row_hashes = [h[(h >> shift) == 0] for h in self.row_hashes]
                self.hash_level = level
            if sum(len(h) for h in self.row_hashes) <= MAX_ROW_HASHES:
                return
            level += 1

    def duplicate_rows(self) -> tuple[int, bool]:
        """Duplicate rows, and whether the count is exact (else scaled from the hash-space share)."""
        kept = np.concatenate(self.row_hashes) if self.row_hashes else np.empty(0, dtype=np.uint64)
        kept.sort()  # in place: the kept hashes are up to 16 MB, and this runs at the memory peak
        duplicates = int(np.count_nonzero(kept[1:] == kept[:-1]))
        return duplicates * 2**self.hash_level, self.hash_level == 0

    def merge(self, o: TablePartial) -> TablePartial:
        if self.columns != o.columns:
            raise MergeError(
                "Cannot merge statistics of tables with different columns: "
                f"{self.columns[:10]} vs {o.columns[:10]}."
            )
        for name in self.columns:
            self.partials[name].merge(o.partials[name])
        o._thin_hashes(self.hash_level)
        self._thin_hashes(o.hash_level)
        self.row_hashes = self.row_hashes + o.row_hashes
        self._thin_hashes(self.hash_level)
        self.rows += o.rows
        self.memory_bytes += o.memory_bytes
        self.row_distinct.merge(o.row_distinct)
        self.content_sums = tuple(  # type: ignore[assignment]
            (a + b) % 2**64 for a, b in zip(self.content_sums, o.content_sums, strict=True)
        )
        self._merge_sample(o.sample, o.sample_keys, o.sample_positions)
        return self

    def _merge_sample(self, sample: pd.DataFrame | None, keys: np.ndarray, positions: np.ndarray) -> None:
        # kept aside and folded in when read, or once they hold a quarter of the sample's rows
        # (so memory grows by a quarter of a sample at most): one concat of several chunks'
        # samples instead of one per chunk, the same rows (a stable sort of all keys keeps what
        # merging them one at a time keeps)
        if sample is None:
            return
        if self._sample is None and not self._pending:
            self.set_sample(sample, keys, positions)
            return
        self._pending.append((sample, keys, positions))
        if sum(len(k) for _, k, _ in self._pending) > self.sample_size // 4:
            self._fold_pending()

    def _fold_pending(self) -> None:
        if not self._pending:
            return
        parts = ([] if self._sample is None else [(self._sample, self._sample_keys, self._sample_positions)])
        parts += self._pending
        both = pd.concat([p[0] for p in parts], ignore_index=True)
        all_keys = np.concatenate([p[1] for p in parts])
        all_positions = np.concatenate([p[2] for p in parts])
        order = np.argsort(all_keys, kind="stable")[: self.sample_size]
        self.set_sample(both.iloc[order].reset_index(drop=True), all_keys[order], all_positions[order])


def _splitmix(h: np.ndarray, salt: np.uint64) -> np.ndarray:
    return _blockwise(lambda block: _splitmix_block(block, salt), h)


def _splitmix_block(h: np.ndarray, salt: np.uint64) -> np.ndarray:
    z = h ^ salt
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def table_partial(
    chunk: pd.DataFrame,
    *,
    sample_size: int = 50_000,
    offset: int = 0,
    pool: Executor | None = None,
    key_limit: int | None = None,
) -> TablePartial:
    """Partial statistics of one chunk of rows whose first row is row ``offset`` of the table
    (column names must already be unique strings). With a ``pool``, the columns are computed on
    its threads (the result is the same: columns are combined in table order). ``key_limit``
    (see :func:`sample_key_limit`) keeps rows whose sample key is above it out of the sample."""
    columns = [str(c) for c in chunk.columns]
    partials: dict[str, ColumnPartial] = {}
    row_hash = np.zeros(len(chunk), dtype=np.uint64)
    values = _column_values(chunk)
    order = list(range(len(columns)))
    # the columns in a few interleaved batches (one task per column costs more than a short
    # column's statistics); each result goes back to its position
    tasks = 1 if pool is None else min(len(columns), 2 * max(1, getattr(pool, "_max_workers", 2)))
    batches = [order[i::tasks] for i in range(tasks)]
    # the row hash is sum over columns p of (hash_p + p) * _MIX ** (last - p), modulo 2**64 (the
    # fold row_hash = row_hash * _MIX + hash_p + p written out): each batch adds its columns'
    # terms, so a batch holds one row-hash vector, never its columns' hashes
    last = len(columns) - 1
    powers = [1] * len(columns)
    for p in range(last - 1, -1, -1):
        powers[p] = powers[p + 1] * int(_MIX) % 2**64

    def run(batch: list[int]) -> tuple[list[tuple[ColumnPartial, int]], np.ndarray]:
        partial_hash = np.zeros(len(chunk), dtype=np.uint64)

        def absorb(p: int, hashes: np.ndarray) -> None:
            nonlocal partial_hash
            with np.errstate(over="ignore"):
                for start in range(0, hashes.size, BLOCK):
                    term = hashes[start : start + BLOCK] + np.uint64(p)
                    term *= np.uint64(powers[p])
                    partial_hash[start : start + BLOCK] += term

        return _columns_partials(chunk, columns, values, batch, absorb), partial_hash

    results: list[tuple[ColumnPartial, int] | None] = [None] * len(columns)
    done = pool.map(run, batches) if pool is not None and tasks > 1 else map(run, batches)
    with np.errstate(over="ignore"):
        for batch, (found, partial_hash) in zip(batches, done, strict=True):
            row_hash += partial_hash
            for p, result in zip(batch, found, strict=True):
                results[p] = result
    memory = 0
    with np.errstate(over="ignore"):
        for position, result in enumerate(results):
            assert result is not None
            column, nbytes = result
            partials[columns[position]] = column
            memory += nbytes
        part = TablePartial(columns=columns, partials=partials, rows=len(chunk), sample_size=sample_size)
        part.memory_bytes = memory
        part.row_hashes = [row_hash]
        part._thin_hashes(0)
        part.row_distinct.update(row_hash)
        part.content_sums = (
            int(_splitmix(row_hash, np.uint64(1)).sum(dtype=np.uint64)),
            int(_splitmix(row_hash, np.uint64(2)).sum(dtype=np.uint64)),
        )
    if sample_size > 0 and len(chunk):
        # the position makes copies of one row independent draws, so duplicates are sampled fairly
        with np.errstate(over="ignore"):
            positions = np.arange(offset, offset + len(chunk), dtype=np.uint64)
            keys = _splitmix(row_hash ^ _splitmix(positions, np.uint64(3)), np.uint64(4))
        # rows whose key is above the table's limit cannot be among its sample_size smallest
        candidates = None if key_limit is None else np.flatnonzero(keys <= np.uint64(key_limit))
        pool_keys = keys if candidates is None else keys[candidates]
        if pool_keys.size <= sample_size:
            take = np.argsort(pool_keys, kind="stable")
        else:
            take = np.argpartition(pool_keys, sample_size - 1)[:sample_size]
            take = take[np.argsort(pool_keys[take], kind="stable")]
        if candidates is not None:
            take = candidates[take]
        if take.size:
            sample = chunk.iloc[take].reset_index(drop=True)
            sample.columns = columns
            part.set_sample(sample, keys[take], positions[take])
    return part


def sample_key_limit(rows: int | None, sample_size: int) -> int | None:
    """The largest sample key worth keeping in a table of ``rows`` rows: the keys are uniform
    64-bit numbers, so about ``rows * limit / 2**64`` rows fall below the limit, here 1.2 times
    the sample size plus 10 standard deviations (for a 50,000-row sample, 62,000 expected where
    50,000 are needed: 48 standard deviations of margin). Chunks then copy about 1/8 of the rows
    they used to into their sample, and the merged sample is the same. None (no limit) when the
    number of rows is unknown or the sample holds most of them.

    Examples
    --------
    >>> sample_key_limit(1_000_000, 50_000) / 2**64
    0.06233606797749979
    >>> sample_key_limit(60_000, 50_000) is None
    True
    """
    if rows is None or sample_size <= 0:
        return None
    expected = 1.2 * sample_size + 10 * np.sqrt(sample_size) + 100
    if expected >= 0.5 * rows:
        return None
    return int(2**64 * expected / rows)
