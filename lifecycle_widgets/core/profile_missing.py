"""Where values are missing together: the missing-value matrix and the nullity correlation
(missingno's matrix and heat map), from the profile's row sample.

Both have a size set by the number of columns and row blocks, never by the number of rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from lifecycle_widgets.core.correlations import nullity_correlation
from lifecycle_widgets.core.profile_parts import Matrix, MissingMatrix

MAX_MISSING_COLUMNS = 100
ROW_BLOCKS = 50


def _isna(sample: pd.DataFrame, columns: list[str]) -> np.ndarray:
    return np.column_stack([sample[c].isna().to_numpy() for c in columns])


def missing_matrix(
    sample: pd.DataFrame | None, positions: np.ndarray, columns: list[str], *, blocks: int = ROW_BLOCKS
) -> MissingMatrix | None:
    """Share of sampled rows missing each of ``columns``, in ``blocks`` blocks of rows in table
    order (``positions`` are the sampled rows' positions in the table).

    Examples
    --------
    >>> sample = pd.DataFrame({"a": [1.0, None, 3.0, None]})
    >>> missing_matrix(sample, np.array([0, 3, 1, 2]), ["a"], blocks=2).shares
    ((0.0,), (1.0,))
    """
    if sample is None or len(sample) == 0 or not columns:
        return None
    columns = columns[:MAX_MISSING_COLUMNS]
    order = np.argsort(positions, kind="stable")
    missing = _isna(sample, columns)[order].astype(np.float64)
    blocks = max(1, min(blocks, len(sample)))
    starts = np.linspace(0, len(sample), blocks + 1).astype(np.int64)
    sums = np.add.reduceat(missing, starts[:-1], axis=0)
    shares = sums / np.diff(starts)[:, None]
    return MissingMatrix(
        tuple(columns),
        tuple(tuple(round(float(v), 4) for v in row) for row in shares),
        len(sample),
    )


def nullity_matrix(sample: pd.DataFrame | None, columns: list[str]) -> Matrix | None:
    """Nullity correlation of the columns that are missing in some but not all sampled rows
    (a column always or never missing has none).

    Examples
    --------
    >>> sample = pd.DataFrame({"a": [1, None, 3, None], "b": [None, 2, None, 4], "c": [1, 2, 3, 4]})
    >>> m = nullity_matrix(sample, ["a", "b", "c"])
    >>> m.columns, m.value("a", "b")
    (('a', 'b'), -1.0)
    """
    if sample is None or len(sample) < 2 or not columns:
        return None
    missing = _isna(sample, columns)
    share = missing.mean(0)
    keep = [i for i, s in enumerate(share) if 0 < s < 1][:MAX_MISSING_COLUMNS]
    if len(keep) < 2:
        return None
    values = nullity_correlation(missing[:, keep])
    return Matrix(
        "nullity",
        tuple(columns[i] for i in keep),
        tuple(tuple(None if np.isnan(v) else round(float(v), 6) for v in row) for row in values),
    )
