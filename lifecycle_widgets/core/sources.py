"""Where rows come from: a pandas frame, a pyarrow Table, or Parquet files read a row group at a time.

Every source becomes an iterator of pandas chunks with the same columns, so the statistics code
sees one kind of input and memory stays bounded by the largest chunk.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from lifecycle_widgets.exceptions import ColumnError, ParameterError

DataLike = pd.DataFrame | pa.Table | str | os.PathLike


@dataclass(frozen=True)
class ChunkSource:
    """Column names, a description and a chunk iterator of one input."""

    name: str
    columns: list[str]
    n_chunks: int
    chunks: Iterator[pd.DataFrame]


def unique_names(raw: list[object]) -> list[str]:
    names = [str(c) for c in raw]
    seen: dict[str, object] = {}
    for original, name in zip(raw, names, strict=True):
        if name in seen:
            raise ColumnError(
                original,
                f"duplicate column name (also {seen[name]!r}); column names must be unique "
                "once converted to text",
            )
        seen[name] = original
    return names


def _frame_chunks(df: pd.DataFrame, names: list[str], chunk_rows: int) -> Iterator[pd.DataFrame]:
    if len(df) == 0:
        yield df.set_axis(names, axis=1)
        return
    for start in range(0, len(df), chunk_rows):
        yield df.iloc[start : start + chunk_rows].set_axis(names, axis=1)


def parquet_files(path: Path) -> list[Path]:
    """The Parquet files of ``path`` (a file, or a folder searched recursively), in name order."""
    if path.is_dir():
        files = sorted(p for p in path.rglob("*.parquet") if p.is_file())
        if not files:
            raise ParameterError(f"The folder {str(path)!r} holds no .parquet files.")
        return files
    if not path.exists():
        raise ParameterError(f"No such file: {str(path)!r} (expected a Parquet file or folder).")
    return [path]


def _parquet_chunks(files: list[Path], names: list[str]) -> Iterator[pd.DataFrame]:
    for file in files:
        pf = pq.ParquetFile(file)
        for group in range(pf.num_row_groups):
            table = pf.read_row_group(group)
            yield table.to_pandas(self_destruct=True, split_blocks=True).set_axis(names, axis=1)
        if pf.num_row_groups == 0:
            yield pf.schema_arrow.empty_table().to_pandas().set_axis(names, axis=1)


def _table_chunks(table: pa.Table, names: list[str], chunk_rows: int) -> Iterator[pd.DataFrame]:
    batches = table.to_batches(max_chunksize=chunk_rows) or [None]
    for batch in batches:
        part = table.schema.empty_table() if batch is None else pa.Table.from_batches([batch])
        yield part.to_pandas().set_axis(names, axis=1)


def open_source(data: object, *, chunk_rows: int = 1_000_000, caller: str = "profile") -> ChunkSource:
    """Turn ``data`` into a :class:`ChunkSource`; raise a clear error for anything else."""
    if isinstance(chunk_rows, bool) or not isinstance(chunk_rows, int) or chunk_rows < 1:
        raise ParameterError.bad_value("chunk_rows", caller, "a positive int", chunk_rows)
    if isinstance(data, pd.DataFrame):
        names = unique_names(list(data.columns))
        n = max(1, -(-len(data) // chunk_rows))
        return ChunkSource("DataFrame", names, n, _frame_chunks(data, names, chunk_rows))
    if isinstance(data, pa.Table):
        names = unique_names(data.column_names)
        n = max(1, -(-data.num_rows // chunk_rows))
        return ChunkSource("pyarrow.Table", names, n, _table_chunks(data, names, chunk_rows))
    if isinstance(data, str | os.PathLike):
        path = Path(data)
        files = parquet_files(path)
        schemas = [pq.read_schema(f) for f in files]
        first = schemas[0]
        for file, schema in zip(files, schemas, strict=True):
            if schema.names != first.names:
                raise ParameterError(
                    f"Parquet file {str(file)!r} has columns {schema.names[:10]}, "
                    f"expected the same as {str(files[0])!r}: {first.names[:10]}."
                )
        pandas_meta = first.pandas_metadata or {}
        index_cols = {c for c in pandas_meta.get("index_columns", []) if isinstance(c, str)}
        names = unique_names([n for n in first.names if n not in index_cols])
        groups = sum(max(1, pq.ParquetFile(f).num_row_groups) for f in files)
        return ChunkSource(path.name, names, groups, _parquet_chunks(files, names))
    module = type(data).__module__
    if module.startswith("dask"):
        raise ParameterError(
            "Dask inputs are not supported yet; pass a pandas DataFrame, a pyarrow Table or a "
            "Parquet path (Parquet is read a row group at a time)."
        )
    raise ParameterError.bad_value(
        "data",
        caller,
        "a pandas DataFrame, a pyarrow Table or a path to Parquet data",
        type(data).__name__,
    )
