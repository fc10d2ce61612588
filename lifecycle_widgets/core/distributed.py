"""Dask inputs: partial statistics computed on the workers, merged in a tree, finalized once.

Nothing collects the rows to the client: each partition yields its (small) partial statistics
and accumulators, pairs of them merge on the workers, and only the merged result travels. The
row sample is keyed by content and by (partition, position), so it is uniform and deterministic
for a given partitioning; statistics that come from it agree with the pandas path within the
sample's DKW bound, and exact ones (counts, missing values, min/max, moments) agree exactly.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd

from lifecycle_widgets.exceptions import MissingDependencyError

PARTITION_STRIDE = 1 << 40  # positions of partition i start at i * 2**40: no overlap, no length pass


def is_dask(obj: Any) -> bool:
    """True for a Dask DataFrame (checked without importing Dask)."""
    return type(obj).__module__.startswith("dask") and hasattr(obj, "to_delayed") and hasattr(obj, "columns")


def _dask() -> Any:
    try:
        import dask
    except ImportError as err:
        raise MissingDependencyError("dask", "dask", "Dask inputs") from err
    return dask


def fold_partitions(
    ddf: Any, work: Callable[[pd.DataFrame, int], Any], merge: Callable[[Any, Any], Any]
) -> Any:
    """``work(partition, offset)`` on every partition, then ``merge`` in a binary tree, on the
    cluster when a ``distributed.Client`` is active (else Dask's local scheduler)."""
    dask = _dask()
    from dask import delayed

    tasks = [delayed(work)(part, i * PARTITION_STRIDE) for i, part in enumerate(ddf.to_delayed())]
    if not tasks:
        raise ValueError("The Dask DataFrame has no partitions.")
    while len(tasks) > 1:
        tasks = [
            delayed(merge)(tasks[i], tasks[i + 1]) if i + 1 < len(tasks) else tasks[i]
            for i in range(0, len(tasks), 2)
        ]
    (result,) = dask.compute(tasks[0])
    return result


def collect_dask(
    ddf: Any,
    names: list[str],
    *,
    sample_size: int,
    accumulators: Sequence[Any] = (),
    group: Callable[[pd.DataFrame], Any] | None = None,
) -> Any:
    """Merged ``(TablePartial, accumulators)`` of a Dask DataFrame; with ``group``, a dict of them
    by the group key of each row (for time windows), still in one pass."""
    from lifecycle_widgets.core.partial import table_partial

    templates = [copy.copy(a).fresh() for a in accumulators]

    def one(chunk: pd.DataFrame, offset: int) -> tuple[Any, list[Any]]:
        part = table_partial(chunk, sample_size=sample_size, offset=offset)
        accs = [t.fresh() for t in templates]
        for a in accs:
            a.update(chunk, offset)
        return part, accs

    def work(chunk: pd.DataFrame, offset: int) -> Any:
        chunk = chunk.set_axis(names, axis=1)
        if group is None:
            return one(chunk, offset)
        keys = group(chunk)
        return {k: one(g, offset) for k, g in chunk.groupby(keys, sort=False)}

    def merge_one(a: tuple[Any, list[Any]], b: tuple[Any, list[Any]]) -> tuple[Any, list[Any]]:
        return a[0].merge(b[0]), [x.merge(y) for x, y in zip(a[1], b[1], strict=True)]

    def merge(a: Any, b: Any) -> Any:
        if group is None:
            return merge_one(a, b)
        out = dict(a)
        for k, v in b.items():
            out[k] = merge_one(out[k], v) if k in out else v
        return out

    return fold_partitions(ddf, work, merge)
