"""The ingest engine every stage shares: read any input chunk by chunk into mergeable partial
statistics (:func:`collect`), and fingerprint the content (:func:`fingerprint`).

Profiles, baselines, drift checks, lineage and the run store all read data through here, so the
same data gives the same statistics and the same fingerprint whatever its form (a pandas frame,
a pyarrow Table, Parquet, a Dask DataFrame).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import deque
from collections.abc import Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from lifecycle_widgets.core.partial import (
    ColumnPartial,
    TablePartial,
    numeric_values,
    sample_key_limit,
    table_partial,
)
from lifecycle_widgets.core.progress import progress_bar
from lifecycle_widgets.core.sketches import SampleQuantiles
from lifecycle_widgets.core.sources import open_source
from lifecycle_widgets.exceptions import ColumnError, ParameterError

NUMERIC_FAMILIES = ("integer", "float", "boolean", "datetime")


@dataclass(frozen=True)
class Fingerprint:
    """A content hash of a table: the same rows with the same schema give the same digest.

    The digest is insensitive to row order, to how the rows were chunked and to the dtype
    backend (the schema holds logical types: integer, float, string, ...), so a frame, its
    Parquet file, its pyarrow-backed copy and the same data on a cluster share one fingerprint.
    """

    sha256: str
    rows: int
    columns: int
    schema: tuple[tuple[str, str], ...]


def fingerprint(part: TablePartial) -> Fingerprint:
    """The content fingerprint of merged partial statistics: SHA-256 over the logical schema,
    the row count and the order-insensitive content sums, so the same data gives the same
    fingerprint however it was read or chunked."""
    # logical types, not dtype names: int64, Int64 and int64[pyarrow] hold the same content
    schema = tuple((name, part.partials[name].family) for name in part.columns)
    payload = json.dumps({"schema": schema, "rows": part.rows, "sums": part.content_sums})
    return Fingerprint(hashlib.sha256(payload.encode()).hexdigest(), part.rows, len(part.columns), schema)


def sample_quantiles(part: ColumnPartial, sample: pd.DataFrame | None) -> SampleQuantiles | None:
    """The column's values in the row sample, ready for quantiles and histograms."""
    if sample is None or part.moments.n == 0 or part.family not in NUMERIC_FAMILIES:
        return None
    return SampleQuantiles.of(numeric_values(sample[part.name], part.family), part.moments.n)


SAMPLE_ROWS = 50_000  # the row sample of a table of up to SAMPLE_CELLS // SAMPLE_ROWS = 400 columns
SAMPLE_CELLS = 20_000_000  # rows x columns of the row sample of a wider table
MIN_SAMPLE_ROWS = 20_000


def default_sample_size(columns: int) -> int:
    """The row sample's size when none is asked for: SAMPLE_ROWS (50,000) rows up to 400
    columns; for wider tables, rows x columns stay within SAMPLE_CELLS (20 million cells), and
    never fewer than MIN_SAMPLE_ROWS (20,000) rows.

    The sample is what quantiles, histograms, text statistics, correlations and the
    missing-value views are computed on; copying and finalizing it is linear in its cells, so a
    1,000-column table with a 50,000-row sample spent about a fifth of its profile there. The
    cost in accuracy is known and reported: a quantile's rank is within the DKW bound
    ``sqrt(ln(200) / 2m)`` of the truth at 99 % (``ColumnProfile.quantile_rank_error``), 0.7 %
    for ``m = 50,000`` and 1.2 % for 20,000; ``DataProfile.sample_rows`` gives ``m``.

    Examples
    --------
    >>> default_sample_size(20), default_sample_size(400), default_sample_size(1_000), default_sample_size(5_000)
    (50000, 50000, 20000, 20000)
    """
    return max(MIN_SAMPLE_ROWS, min(SAMPLE_ROWS, SAMPLE_CELLS // max(columns, 1)))


WORKERS: int | None = None  # threads of collect(); None: one per core, up to MAX_WORKERS
MAX_WORKERS = 8
# a single chunk of fewer cells is computed on the calling thread: handing its columns to the
# threads costs more than they save (about 14 ms of a 1,000 x 20 frame's 40)
POOL_MIN_CELLS = 200_000


def resolve_workers(workers: int | None, caller: str = "profile") -> int:
    """The number of threads to use: ``workers``, or :data:`WORKERS`, or one per core (at most
    :data:`MAX_WORKERS`)."""
    if workers is None:
        workers = WORKERS
    if workers is None:
        return max(1, min(MAX_WORKERS, os.cpu_count() or 1))
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ParameterError.bad_value("workers", caller, "a positive int or None", workers)
    return workers


def collect(
    data: Any,
    *,
    required: Sequence[str] = (),
    sample_size: int | None = 50_000,
    chunk_rows: int = 1_000_000,
    progress: bool | None = None,
    desc: str = "profiling",
    accumulators: Sequence[Any] = (),
    workers: int | None = None,
) -> tuple[str, TablePartial]:
    """Read ``data`` chunk by chunk and fold the chunks' partial statistics into one.

    ``data`` may be a pandas DataFrame, a pyarrow Table, Parquet, or a Dask DataFrame (whose
    partitions are folded on the workers). ``required`` columns must exist (checked before any
    row is read). ``sample_size`` is the row sample's size; None picks it by the
    table's width (:func:`default_sample_size`). ``accumulators`` (objects with ``fresh()``, ``update(chunk, offset)`` and
    ``merge(other)``) see every chunk too, to predict with a model or count into bins; they hold
    the merged result afterwards.

    Chunks (Parquet row groups) are read in order by this thread while ``workers`` threads
    compute their partial statistics (Arrow and numpy release the GIL); a single chunk has its
    columns computed on the threads instead. Partials are merged in chunk order whatever the
    number of workers, so the result is the same for any ``workers``.

    Examples
    --------
    >>> import lifecycle_widgets as lw
    >>> df = lw.datasets.credit(2000)
    >>> _, one = collect(df, chunk_rows=500, workers=1)
    >>> _, two = collect(df, chunk_rows=500, workers=2)
    >>> fingerprint(one) == fingerprint(two), one.rows
    (True, 2000)
    """
    from lifecycle_widgets.core.distributed import collect_dask, is_dask

    workers = resolve_workers(workers, desc if desc != "profiling" else "profile")
    if is_dask(data):
        from lifecycle_widgets.core.sources import unique_names

        names = unique_names(list(data.columns))
        check_required(required, names)
        if sample_size is None:
            sample_size = default_sample_size(len(names))
        part, merged = collect_dask(data, names, sample_size=sample_size, accumulators=accumulators)
        for acc, result in zip(accumulators, merged, strict=True):
            acc.__dict__.update(result.__dict__)
        return "Dask DataFrame", part
    src = open_source(data, chunk_rows=chunk_rows)
    check_required(required, src.columns)
    if sample_size is None:
        sample_size = default_sample_size(len(src.columns))
    key_limit = sample_key_limit(known_rows(data), sample_size)
    show = progress if progress is not None else src.n_chunks > 1
    chunks = progress_bar(src.chunks, total=src.n_chunks, desc=desc, enabled=show)
    if workers == 1:
        merged_part: TablePartial | None = None
        offset = 0
        for chunk in chunks:
            part = table_partial(chunk, sample_size=sample_size, offset=offset, key_limit=key_limit)
            for acc in accumulators:
                acc.update(chunk, offset)
            offset += len(chunk)
            merged_part = part if merged_part is None else merged_part.merge(part)
        assert merged_part is not None  # every source yields at least one chunk
        return src.name, merged_part
    with ThreadPoolExecutor(workers, thread_name_prefix="lw-profile") as pool:
        merged_part = _fold_on(pool, workers, chunks, src.n_chunks, sample_size, key_limit, accumulators)
    return src.name, merged_part


def _fold_on(
    pool: ThreadPoolExecutor,
    workers: int,
    chunks: Iterable[pd.DataFrame],
    n_chunks: int,
    sample_size: int,
    key_limit: int | None,
    accumulators: Sequence[Any],
) -> TablePartial:
    """Partials of ``chunks`` on ``pool``, merged in chunk order; at most ``workers + 1`` chunks
    in flight, so memory stays bounded by a few chunks."""
    merged: TablePartial | None = None
    pending: deque[Future[TablePartial]] = deque()
    offset = 0
    column_pool = pool if n_chunks == 1 else None
    for chunk in chunks:
        if column_pool is not None:  # one chunk: its columns on the threads, if it is large
            threads = column_pool if chunk.size >= POOL_MIN_CELLS else None
            part = table_partial(
                chunk, sample_size=sample_size, offset=offset, pool=threads, key_limit=key_limit
            )
            pending.append(_done(part))
        else:
            pending.append(
                pool.submit(table_partial, chunk, sample_size=sample_size, offset=offset, key_limit=key_limit)
            )
        for acc in accumulators:
            acc.update(chunk, offset)
        offset += len(chunk)
        del chunk
        while len(pending) > workers:
            part = pending.popleft().result()
            merged = part if merged is None else merged.merge(part)
    while pending:
        part = pending.popleft().result()
        merged = part if merged is None else merged.merge(part)
    assert merged is not None  # every source yields at least one chunk
    return merged


def known_rows(data: Any) -> int | None:
    """The number of rows of ``data`` when it is known before reading: a frame's or a Table's
    length, the row count in Parquet footers; None otherwise."""
    if isinstance(data, pd.DataFrame):
        return len(data)
    if isinstance(data, pa.Table):
        return data.num_rows
    if isinstance(data, str | os.PathLike):
        from lifecycle_widgets.core.sources import parquet_files

        try:
            return sum(pq.ParquetFile(f).metadata.num_rows for f in parquet_files(Path(data)))
        except (OSError, pa.ArrowException):
            return None
    return None


def _done(value: TablePartial) -> Future[TablePartial]:
    future: Future[TablePartial] = Future()
    future.set_result(value)
    return future


def check_required(required: Sequence[str], columns: list[str]) -> None:
    """Raise a ColumnError for the first ``required`` column not in ``columns``."""
    for name in required:
        if name not in columns:
            raise ColumnError(name, f"not a column of the data; columns are {columns[:20]}")
