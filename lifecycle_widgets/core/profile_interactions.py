"""The profile's interaction view: how any two numeric columns go together, from the row sample.

A sample of at most ``SCATTER_ROWS`` rows is kept as points, so any pair can be drawn as a
scatter; a larger sample is kept as one 2-D histogram per pair (``DENSITY_BINS`` bins a side,
counted on every sampled row), so the view's size depends on the number of columns and bins,
never on the number of rows. Each pair's Pearson correlation is measured on the whole sample
(pairwise complete, as ``pandas.DataFrame.corr``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from lifecycle_widgets.core.correlations import numeric_of, pearson_matrix
from lifecycle_widgets.core.profile_parts import LeftOut
from lifecycle_widgets.exceptions import ColumnError

__all__ = [
    "DENSITY_BINS",
    "MAX_INTERACTION_COLUMNS",
    "SCATTER_ROWS",
    "Interactions",
    "PairCounts",
    "interactions",
]

MAX_INTERACTION_COLUMNS = 12
SCATTER_ROWS = 5_000
DENSITY_BINS = 24


@dataclass(frozen=True)
class PairCounts:
    """A 2-D histogram of one pair: ``counts[j][i]`` sampled rows have ``x`` in bin ``i`` and
    ``y`` in bin ``j`` (bins as :attr:`Interactions.edges` gives them); rows missing either are
    not counted."""

    x: str
    y: str
    counts: tuple[tuple[int, ...], ...]


@dataclass(frozen=True)
class Interactions:
    """Pairs of numeric columns from the profile's row sample: as points (``points[c]`` holds
    column ``c``'s sampled values, None where missing, at six significant digits) when the sample
    has at most ``SCATTER_ROWS`` rows, else as 2-D histograms (``edges[c]`` are column ``c``'s
    bin edges; values beyond them, the far tails of a heavy-tailed column, are counted in the
    edge bins and ``clipped`` names those columns). ``pearson`` is the pairwise-complete
    Pearson matrix of ``columns`` on the whole sample; ``left_out`` names the numeric columns
    over the cap.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> x = np.arange(100.0)
    >>> view = interactions(pd.DataFrame({"x": x, "y": 2 * x + 1, "z": -x}), ["x", "y", "z"])
    >>> view.mode, view.correlation("x", "z"), view.top_pairs(1)
    ('scatter', -1.0, (('x', 'y', 1.0),))
    """

    columns: tuple[str, ...]
    sample_rows: int
    pearson: tuple[tuple[float | None, ...], ...]
    points: tuple[tuple[float | None, ...], ...] = ()
    edges: tuple[tuple[float, ...], ...] = ()
    densities: tuple[PairCounts, ...] = ()
    clipped: tuple[str, ...] = ()
    left_out: tuple[LeftOut, ...] = ()

    @property
    def mode(self) -> str:
        """``"scatter"`` when the view holds points, ``"density"`` when it holds 2-D histograms."""
        return "density" if self.densities else "scatter"

    def _at(self, column: str) -> int:
        try:
            return self.columns.index(column)
        except ValueError:
            left = {c.column: c.reason for c in self.left_out}
            why = f" ({left[column]})" if column in left else ""
            raise ColumnError(
                column, f"not in the interaction view{why}; it holds {list(self.columns)[:20]}"
            ) from None

    def correlation(self, x: str, y: str) -> float | None:
        """The Pearson correlation of ``x`` and ``y`` on the sample (None when undefined)."""
        return self.pearson[self._at(x)][self._at(y)]

    def pair(self, x: str, y: str) -> tuple[tuple[float | None, ...], tuple[float | None, ...]]:
        """The sampled values of ``x`` and ``y`` (scatter mode)."""
        if self.mode != "scatter":
            raise ColumnError(
                x, "the interaction view holds 2-D histograms (the sample is large), not points"
            )
        return self.points[self._at(x)], self.points[self._at(y)]

    def counts(self, x: str, y: str) -> tuple[tuple[int, ...], ...]:
        """The 2-D histogram of ``x`` (across) and ``y`` (down) in density mode."""
        i, j = self._at(x), self._at(y)
        for d in self.densities:
            if (d.x, d.y) == (self.columns[i], self.columns[j]):
                return d.counts
            if (d.x, d.y) == (self.columns[j], self.columns[i]):
                return tuple(zip(*d.counts, strict=True))
        raise ColumnError(x, f"no 2-D histogram with {y!r} (the view holds points)")

    def top_pairs(self, n: int = 3) -> tuple[tuple[str, str, float], ...]:
        """The ``n`` pairs with the largest |Pearson| correlation, strongest first."""
        pairs = [
            (self.columns[i], self.columns[j], v)
            for i in range(len(self.columns))
            for j in range(i + 1, len(self.columns))
            if (v := self.pearson[i][j]) is not None
        ]
        pairs.sort(key=lambda p: -abs(p[2]))
        return tuple(pairs[:n])


def _edges(values: np.ndarray, bins: int) -> tuple[np.ndarray, bool]:
    """Equal-width bin edges over the values, or over their 0.5 to 99.5 % range when a tail
    runs past three times that range (the profile's histograms cut heavy tails the same way)."""
    present = values[np.isfinite(values)]
    if present.size == 0:
        return np.array([0.0, 1.0]), False
    lo, hi = float(present.min()), float(present.max())
    q_lo, q_hi = np.quantile(present, [0.005, 0.995])
    spread = q_hi - q_lo
    clipped = spread > 0 and (hi - q_hi > 3 * spread or q_lo - lo > 3 * spread)
    if clipped:
        lo, hi = float(q_lo), float(q_hi)
    if hi <= lo:
        return np.array([lo - 0.5, hi + 0.5]), False
    return np.linspace(lo, hi, bins + 1), bool(clipped)


def _bin(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    idx = np.searchsorted(edges, values, side="right") - 1
    return np.clip(idx, 0, len(edges) - 2)


def _six(values: np.ndarray) -> tuple[float | None, ...]:
    return tuple(None if not math.isfinite(v) else float(f"{v:.6g}") for v in values.tolist())


def interactions(
    sample: pd.DataFrame | None,
    columns: Sequence[str],
    *,
    first: str | None = None,
    max_columns: int = MAX_INTERACTION_COLUMNS,
    scatter_rows: int = SCATTER_ROWS,
    bins: int = DENSITY_BINS,
) -> Interactions | None:
    """The interaction view of ``columns`` (numeric) in the row ``sample``: at most
    ``max_columns`` of them in table order (``first``, the target, ahead), as points when the
    sample has at most ``scatter_rows`` rows, else as 2-D histograms of ``bins`` bins a side.
    None when fewer than two columns or three rows are left.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=20_000)
    >>> view = interactions(pd.DataFrame({"x": x, "y": x + rng.normal(size=20_000)}), ["x", "y"])
    >>> view.mode, sum(map(sum, view.counts("x", "y"))), round(view.correlation("x", "y"), 1)
    ('density', 20000, 0.7)
    """
    if sample is None or len(sample) < 3:
        return None
    names = list(columns)
    for c in names:
        if c not in sample.columns:
            raise ColumnError(c, "not a column of the sample")
    if first in names:
        ranked = [first] + [c for c in names if c != first]
        kept_set = set(ranked[:max_columns])
        kept = [c for c in names if c in kept_set]
    else:
        kept = names[:max_columns]
    left_out = tuple(
        LeftOut(c, f"over the cap of {max_columns} columns in the interaction view")
        for c in names
        if c not in kept
    )
    if len(kept) < 2:
        return None
    X = np.column_stack([numeric_of(sample[c]) for c in kept])
    r = pearson_matrix(X)
    pearson = tuple(tuple(None if not np.isfinite(v) else round(float(v), 6) for v in row) for row in r)
    if len(sample) <= scatter_rows:
        return Interactions(
            tuple(kept),
            len(sample),
            pearson,
            points=tuple(_six(X[:, i]) for i in range(len(kept))),
            left_out=left_out,
        )
    edges, clipped, codes = [], [], []
    for i, c in enumerate(kept):
        e, cut = _edges(X[:, i], bins)
        edges.append(e)
        if cut:
            clipped.append(c)
        codes.append(_bin(X[:, i], e))
    present = np.isfinite(X)
    densities = []
    for i in range(len(kept)):
        for j in range(i + 1, len(kept)):
            both = present[:, i] & present[:, j]
            nx, ny = len(edges[i]) - 1, len(edges[j]) - 1
            flat = np.bincount(codes[j][both] * nx + codes[i][both], minlength=nx * ny).reshape(ny, nx)
            densities.append(PairCounts(kept[i], kept[j], tuple(tuple(int(v) for v in row) for row in flat)))
    return Interactions(
        tuple(kept),
        len(sample),
        pearson,
        edges=tuple(tuple(float(v) for v in e) for e in edges),
        densities=tuple(densities),
        clipped=tuple(clipped),
        left_out=left_out,
    )
