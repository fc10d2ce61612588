"""What changed between two versions of a dataset: rows added and removed by key, rows whose
values changed (per column), schema changes, and statistics before and after.

Rows are matched by a key (one column or several) that must identify one row in each version.
Values compare by value across dtypes, as everywhere in this package: an integer column that turns
float (``1`` and ``1.0``) is not a change of its values, only of its type; missing compares equal
to missing. The statistics (mean, missing share, distinct count) come from the same mergeable
partial statistics a profile is built from (:func:`lifecycle_widgets.core.ingest.collect`), and the
two fingerprints are those the run store logs, so a diff names the dataset versions it compares.
"""

from __future__ import annotations

import contextlib
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from lifecycle_widgets.core.result import Result
from lifecycle_widgets.exceptions import ColumnError, ParameterError

EXAMPLE_KEYS = 20  # keys of added and removed rows kept as examples
_NUMERIC = ("integer", "float", "boolean")
CHANGES = ("added", "removed", "type", "")
"""A column's schema change: in ``new`` only, in ``old`` only, its dtype changed, or none."""


@dataclass(frozen=True)
class DatasetSide:
    """One version: its content fingerprint (as ``run.log_dataset`` records it), rows and columns."""

    fingerprint: str
    rows: int
    columns: int


@dataclass(frozen=True)
class ColumnDiff:
    """One column across the two versions.

    ``change`` is one of :data:`CHANGES`; ``changed_rows`` counts the rows present in both
    versions (by key) whose value in this column differs, None for a column in one version only.
    Means are of numeric and boolean columns (None otherwise), missing is a share of rows.
    """

    column: str
    change: str
    old_dtype: str | None
    new_dtype: str | None
    changed_rows: int | None
    mean_before: float | None
    mean_after: float | None
    missing_before: float | None
    missing_after: float | None
    distinct_before: int | None
    distinct_after: int | None


@dataclass(frozen=True)
class DatasetDiff(Result):
    """Rows added, removed and changed by key, schema changes and statistics changes between an
    ``old`` and a ``new`` version of a dataset (see :func:`dataset_diff`).

    Examples
    --------
    >>> import pandas as pd
    >>> from lifecycle_widgets.core.dataset_diff import dataset_diff
    >>> old = pd.DataFrame({"id": [1, 2, 3], "x": [1, 2, 3]})
    >>> new = pd.DataFrame({"id": [2, 3, 4], "x": [2.0, 30.0, 4.0]})
    >>> d = dataset_diff(old, new, key="id")
    >>> d.rows_added, d.rows_removed, d.rows_changed
    (1, 1, 1)
    >>> d.summary()
    '1 row removed, 1 row added, 1 row changed; column `x` changed type int64 → float64'
    """

    kind: ClassVar[str] = "dataset_diff"

    key: tuple[str, ...]
    old: DatasetSide
    new: DatasetSide
    rows_added: int
    rows_removed: int
    rows_changed: int
    rows_unchanged: int
    added_keys: tuple[str, ...]
    removed_keys: tuple[str, ...]
    columns: tuple[ColumnDiff, ...]

    @property
    def identical(self) -> bool:
        """Same rows, same values, same schema."""
        return not (self.rows_added or self.rows_removed or self.rows_changed or self.schema_changes)

    @property
    def schema_changes(self) -> tuple[ColumnDiff, ...]:
        """Columns added, removed, or whose dtype changed."""
        return tuple(c for c in self.columns if c.change)

    def column(self, name: str) -> ColumnDiff:
        """One column's diff; an error naming the columns when ``name`` is in neither version.

        Examples
        --------
        >>> import pandas as pd
        >>> from lifecycle_widgets.core.dataset_diff import dataset_diff
        >>> d = dataset_diff(pd.DataFrame({"id": [1], "x": [1]}), pd.DataFrame({"id": [1], "x": [2]}))
        >>> d.column("x").changed_rows
        1
        """
        for c in self.columns:
            if c.column == name:
                return c
        raise ColumnError(name, f"in neither version; columns are {[c.column for c in self.columns][:20]}")

    def summary(self) -> str:
        """One line: rows added, removed and changed, then each schema change.

        Examples
        --------
        >>> import pandas as pd
        >>> from lifecycle_widgets.core.dataset_diff import dataset_diff
        >>> dataset_diff(pd.DataFrame({"id": [1]}), pd.DataFrame({"id": [1]})).summary()
        'No differences: 1 row, same values, same schema'
        """
        if self.identical:
            return f"No differences: {_count(self.new.rows, 'row')}, same values, same schema"
        parts = [  # removals first: they lose data
            f"{_count(n, 'row')} {what}"
            for n, what in (
                (self.rows_removed, "removed"),
                (self.rows_added, "added"),
                (self.rows_changed, "changed"),
            )
            if n
        ]
        head = ", ".join(parts) or "Same rows and values"
        schema = "; ".join(schema_change_text(c) for c in self.schema_changes)
        return f"{head}; {schema}" if schema else head

    def to_frame(self) -> pd.DataFrame:
        """One row per column: change, dtypes, changed rows, and mean, missing share and
        distinct count before and after.

        Examples
        --------
        >>> import pandas as pd
        >>> from lifecycle_widgets.core.dataset_diff import dataset_diff
        >>> d = dataset_diff(pd.DataFrame({"id": [1, 2], "x": [1, None]}),
        ...                     pd.DataFrame({"id": [1, 2], "x": [1, 5]}))
        >>> d.to_frame().set_index("column").loc["x", ["missing_before", "missing_after"]].tolist()
        [0.5, 0.0]
        """
        names = [f.name for f in ColumnDiff.__dataclass_fields__.values()]
        frame = pd.DataFrame([[getattr(c, n) for n in names] for c in self.columns], columns=names)
        counts = ("changed_rows", "distinct_before", "distinct_after")
        return frame.astype({n: "Int64" for n in counts})

    def __repr__(self) -> str:
        return f"<DatasetDiff by {list(self.key)}: {self.summary()}>"


def schema_change_text(c: ColumnDiff) -> str:
    """How a column's schema changed, in words (column names in backticks, not escaped)."""
    if c.change == "added":
        return f"column `{c.column}` added ({c.new_dtype})"
    if c.change == "removed":
        return f"column `{c.column}` removed"
    if c.change == "type":
        return f"column `{c.column}` changed type {c.old_dtype} → {c.new_dtype}"
    return ""


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def dataset_diff(old: Any, new: Any, *, key: str | Sequence[str] = "id") -> DatasetDiff:
    """Compare two versions of a dataset row by row, matched on ``key``.

    Parameters
    ----------
    old, new : pandas.DataFrame, pyarrow.Table or path
        The two versions; a path is a Parquet file or folder, or a ``.csv`` file.
    key : str or sequence of str
        The column(s) that identify a row in both versions: present in both, never missing,
        never repeated.

    Returns
    -------
    DatasetDiff

    Raises
    ------
    ParameterError
        ``old``, ``new`` or ``key`` is of the wrong type, or a path does not exist.
    ColumnError
        A key column is missing from a version, has missing or repeated values, or is numeric
        in one version and text in the other; a version has two columns of one name.

    Examples
    --------
    >>> import pandas as pd
    >>> from lifecycle_widgets.core.dataset_diff import dataset_diff
    >>> old = pd.DataFrame({"id": [1, 2, 3], "city": ["a", "b", "c"]})
    >>> new = pd.DataFrame({"id": [1, 2, 5], "city": ["a", "B", "e"], "zip": [1, 2, 3]})
    >>> d = dataset_diff(old, new, key="id")
    >>> d.rows_removed, d.removed_keys, d.column("city").changed_rows, d.column("zip").change
    (1, ('3',), 1, 'added')
    """
    keys = _check_key(key)
    frames = {"old": _load(old, "old"), "new": _load(new, "new")}
    for which, frame in list(frames.items()):
        frames[which] = _check_frame(frame, which, keys)
    _check_key_types(frames["old"], frames["new"], keys)
    a, b = frames["old"], frames["new"]
    old_idx, new_idx = _index(a, keys), _index(b, keys)
    # one hash join: where each old row's key sits in new (-1: removed)
    in_new = new_idx.get_indexer(old_idx)
    kept = in_new >= 0
    a_pos, b_pos = np.flatnonzero(kept), in_new[kept]
    matched = np.zeros(len(b), dtype=bool)
    matched[b_pos] = True
    removed, added = old_idx[~kept], new_idx[~matched]
    any_changed = np.zeros(len(a_pos), dtype=bool)
    changed_per_column: dict[str, int] = {}
    for c in (c for c in a.columns if c in b.columns and c not in keys):
        diff = ~_same_values(a[c].iloc[a_pos], b[c].iloc[b_pos])
        changed_per_column[c] = int(diff.sum())
        any_changed |= diff
    sides, parts = {}, {}
    from lifecycle_widgets.core.ingest import collect, fingerprint

    for which, frame in frames.items():
        _, part = collect(frame, sample_size=0, progress=False)
        parts[which] = part
        fp = fingerprint(part)
        sides[which] = DatasetSide(fp.sha256, fp.rows, fp.columns)
    names = list(a.columns) + [c for c in b.columns if c not in a.columns]
    columns = tuple(
        _column_diff(c, a, b, parts["old"], parts["new"], changed_per_column.get(c)) for c in names
    )
    return DatasetDiff(
        tuple(keys),
        sides["old"],
        sides["new"],
        len(added),
        len(removed),
        int(any_changed.sum()),
        int(len(a_pos) - any_changed.sum()),
        _examples(added),
        _examples(removed),
        columns,
    )


def _check_key(key: Any) -> list[str]:
    keys = [key] if isinstance(key, str) else list(key) if isinstance(key, list | tuple) else None
    if not keys or not all(isinstance(k, str) and k for k in keys) or len(set(keys)) != len(keys):
        raise ParameterError.bad_value(
            "key", "dataset_diff", "a column name or a list of distinct column names", key
        )
    return keys


def _load(data: Any, which: str) -> pd.DataFrame:
    if isinstance(data, pd.DataFrame):
        return data
    if type(data).__module__.startswith("pyarrow") and hasattr(data, "to_pandas"):
        return data.to_pandas()
    if isinstance(data, str | os.PathLike):
        path = Path(data)
        if not path.exists():
            raise ParameterError(
                f"The {which!r} parameter of dataset_diff names no file or folder: {str(path)!r}."
            )
        if path.suffix.lower() == ".csv":
            return pd.read_csv(path)
        return pd.read_parquet(path)
    raise ParameterError.bad_value(
        which,
        "dataset_diff",
        "a pandas DataFrame, a pyarrow Table, or a Parquet or CSV path",
        type(data).__name__,
    )


def _check_frame(frame: pd.DataFrame, which: str, keys: list[str]) -> pd.DataFrame:
    """``frame`` with text column labels, after checking its columns and key."""
    names = [str(c) for c in frame.columns]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ColumnError(repeated[0], f"appears more than once in {which}; give each column one name.")
    if list(frame.columns) != names:
        frame = frame.set_axis(names, axis=1)  # a new frame: the caller's keeps its labels
    for k in keys:
        if k not in frame.columns:
            raise ColumnError(k, f"the key is not a column of {which}; its columns are {names[:20]}.")
        missing = int(frame[k].isna().sum())
        if missing:
            raise ColumnError(
                k, f"the key has {missing:,} missing values in {which}; a key must identify every row."
            )
    if _index(frame, keys).is_unique:  # a hash of the keys; the slower details only on failure
        return frame
    dup = frame.duplicated(keys, keep=False)
    if dup.any():
        first = frame.loc[dup, keys].iloc[0].tolist()  # plain Python values, for the message
        example = first[0] if len(keys) == 1 else tuple(first)
        label = keys[0] if len(keys) == 1 else keys
        repeats = int(frame.duplicated(keys).sum())
        verb = "row repeats" if repeats == 1 else "rows repeat"
        raise ColumnError(
            label,
            f"the key repeats in {which}: {repeats:,} {verb} a key (e.g. {example!r}); "
            "a key must identify one row.",
        )
    return frame


def _check_key_types(a: pd.DataFrame, b: pd.DataFrame, keys: list[str]) -> None:
    for k in keys:
        na, nb = pd.api.types.is_numeric_dtype(a[k]), pd.api.types.is_numeric_dtype(b[k])
        if na != nb:
            raise ColumnError(
                k,
                f"the key is {a[k].dtype} in old and {b[k].dtype} in new, so no row would match; "
                "convert one so both hold the same kind of value.",
            )


def _index(frame: pd.DataFrame, keys: list[str]) -> pd.Index:
    return pd.MultiIndex.from_frame(frame[keys]) if len(keys) > 1 else pd.Index(frame[keys[0]])


def _examples(index: pd.Index) -> tuple[str, ...]:
    """The smallest keys, so that the same versions in another row order give the same diff."""
    with contextlib.suppress(TypeError):  # keys of mixed types stay in table order
        index = index.sort_values()
    return tuple(str(v) for v in index[:EXAMPLE_KEYS])


def _same_values(x: pd.Series, y: pd.Series) -> np.ndarray:
    """Element-wise: equal by value across dtypes, missing equal to missing."""
    x_missing, y_missing = x.isna().to_numpy(), y.isna().to_numpy()
    numeric = all(
        pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s) for s in (x, y)
    ) and not any(pd.api.types.is_timedelta64_dtype(s) for s in (x, y))
    if numeric:
        xv = x.to_numpy(dtype=float, na_value=np.nan)
        yv = y.to_numpy(dtype=float, na_value=np.nan)
        equal = xv == yv
    elif x.dtype == y.dtype:
        try:  # the arrays' own comparison: Arrow strings compare without Python objects
            same = pd.array(x.array == y.array)
            equal = np.asarray(same.fillna(False), dtype=bool) if hasattr(same, "fillna") else same
        except TypeError:  # categoricals with other categories
            equal = (x.to_numpy(dtype=object) == y.to_numpy(dtype=object)).astype(bool)
    else:  # types differ: compare the values' text, as drift compares categories
        from lifecycle_widgets.core.drift.baseline import category_key

        xk = np.array([category_key(v) for v in x.to_numpy(dtype=object)], dtype=object)
        yk = np.array([category_key(v) for v in y.to_numpy(dtype=object)], dtype=object)
        equal = xk == yk
    return np.asarray(equal, dtype=bool) & ~x_missing & ~y_missing | (x_missing & y_missing)


def _stat(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def _column_diff(
    name: str, a: pd.DataFrame, b: pd.DataFrame, pa: Any, pb: Any, changed: int | None
) -> ColumnDiff:
    in_a, in_b = name in a.columns, name in b.columns
    da, db = (str(a[name].dtype) if in_a else None), (str(b[name].dtype) if in_b else None)
    change = "added" if not in_a else "removed" if not in_b else "type" if da != db else ""

    def stats(part: Any, present: bool) -> tuple[float | None, float | None, int | None]:
        if not present:
            return None, None, None
        col = part.partials[name]
        mean = _stat(col.moments.mean) if col.family in _NUMERIC and col.moments.n else None
        missing = col.missing / col.rows if col.rows else None
        return mean, missing, int(col.distinct.estimate())

    (ma, sa, ka), (mb, sb, kb) = stats(pa, in_a), stats(pb, in_b)
    return ColumnDiff(name, change, da, db, changed, ma, mb, sa, sb, ka, kb)
