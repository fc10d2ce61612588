"""Two profiles side by side: a distance per column, from the profiles' aggregates alone.

:meth:`DataProfile.compare <lifecycle_widgets.DataProfile.compare>` builds a
:class:`ProfileComparison` (as ydata-profiling's comparison report, with a distance per column):
a numeric or date column is compared by the Kolmogorov-Smirnov distance between the two
histograms' distribution functions, a categorical or boolean column by the Jensen-Shannon
distance between its value shares (values past the kept top values pooled as "other"), a text
column by the Kolmogorov-Smirnov distance between its length distributions. No rows are needed:
a profile saved a year ago compares with today's.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import ClassVar

import numpy as np
import pandas as pd
from scipy.spatial.distance import jensenshannon

from lifecycle_widgets.core.profile_parts import Histogram
from lifecycle_widgets.core.profiling import ColumnProfile, DataProfile
from lifecycle_widgets.core.result import Result
from lifecycle_widgets.exceptions import ColumnError, ParameterError

NUMERIC_LIKE = ("numeric", "integer", "datetime")
CATEGORY_LIKE = ("categorical", "boolean", "constant")
TEXT_LIKE = ("text", "identifier", "binary")
SHIFT = 0.1  # a distance at or above this is worth a look


def _cdf_at(hist: Histogram, points: np.ndarray) -> np.ndarray:
    """The share of a histogram's values at or below each point, linear within bins; values
    below and above the edges sit at the first and last edge."""
    edges = np.asarray(hist.edges, dtype=np.float64)
    total = sum(hist.counts) + hist.below + hist.above
    if total == 0:
        return np.zeros(points.size)
    cumulative = hist.below + np.concatenate(([0.0], np.cumsum(hist.counts, dtype=np.float64)))
    cdf = np.interp(points, edges, cumulative / total, left=0.0, right=1.0)
    cdf[points >= edges[-1]] = 1.0
    if hist.below:
        cdf[points >= edges[0]] = np.maximum(cdf[points >= edges[0]], hist.below / total)
    return cdf


def histogram_distance(a: Histogram, b: Histogram) -> float:
    """Kolmogorov-Smirnov distance between two histograms' distribution functions (linear
    within bins), evaluated at every edge of both: exact for values spread evenly within their
    bins, otherwise within the share of the widest bin.

    Examples
    --------
    >>> h = Histogram((0.0, 1.0, 2.0), (50, 50))
    >>> histogram_distance(h, h), histogram_distance(h, Histogram((0.0, 1.0, 2.0), (100, 0)))
    (0.0, 0.5)
    """
    points = np.union1d(a.edges, b.edges)
    return float(np.abs(_cdf_at(a, points) - _cdf_at(b, points)).max())


def shares_distance(
    a: dict[str, int], a_total: int, b: dict[str, int], b_total: int, *, a_complete: bool, b_complete: bool
) -> float:
    """Jensen-Shannon distance (base 2, in [0, 1]) between two value-count tables over the
    values both can speak for; the rest of each side pooled as one "other" value.

    A table is complete when it lists every value of its column: a value absent from it has a
    count of 0. A value absent from an incomplete table (past its top values) has an unknown
    count, so it is pooled on both sides rather than counted as gone.

    Examples
    --------
    >>> shares_distance({"x": 5, "y": 5}, 10, {"x": 5, "y": 5}, 10, a_complete=True, b_complete=True)
    0.0
    >>> shares_distance({"x": 10}, 10, {"y": 10}, 10, a_complete=True, b_complete=True)
    1.0
    >>> shares_distance({"x": 9}, 10, {"y": 9}, 10, a_complete=False, b_complete=False)
    0.0
    """
    keys = sorted(k for k in set(a) | set(b) if (k in a or a_complete) and (k in b or b_complete))
    p = [a.get(k, 0) for k in keys]
    q = [b.get(k, 0) for k in keys]
    p_all = np.array([*p, max(0, a_total - sum(p))], dtype=np.float64)
    q_all = np.array([*q, max(0, b_total - sum(q))], dtype=np.float64)
    if p_all.sum() == 0 or q_all.sum() == 0:
        return float("nan")
    return float(np.clip(jensenshannon(p_all, q_all, base=2), 0.0, 1.0))


@dataclass(frozen=True)
class ColumnComparison:
    """One column in both profiles: its kinds, a distance (None where the column cannot be
    compared, with ``note`` saying why), and the main statistics side by side."""

    name: str
    left_kind: str
    right_kind: str
    method: str | None
    distance: float | None
    left_missing_share: float
    right_missing_share: float
    left_mean: float | None = None
    right_mean: float | None = None
    left_distinct: int = 0
    right_distinct: int = 0
    note: str = ""


def _lengths(col: ColumnProfile) -> Histogram | None:
    return col.text.lengths if col.text is not None else None


def compare_columns(left: ColumnProfile, right: ColumnProfile) -> ColumnComparison:
    """The comparison of one column's two profiles."""
    method, distance, note = None, None, ""
    kinds = {left.kind, right.kind}
    if left.kind != right.kind and not (kinds <= set(NUMERIC_LIKE[:2]) or kinds <= set(CATEGORY_LIKE)):
        note = f"kind changed: {left.kind} to {right.kind}"
    elif kinds & {"empty"}:
        note = "no values on one side"
    elif kinds <= set(NUMERIC_LIKE) and left.histogram is not None and right.histogram is not None:
        method, distance = "kolmogorov_smirnov", histogram_distance(left.histogram, right.histogram)
    elif kinds <= set(CATEGORY_LIKE):
        method = "jensen_shannon"
        distance = shares_distance(
            dict(left.top_values),
            left.count,
            dict(right.top_values),
            right.count,
            a_complete=left.distinct <= len(left.top_values) and not left.top_values_error,
            b_complete=right.distinct <= len(right.top_values) and not right.top_values_error,
        )
    elif kinds <= set(TEXT_LIKE) and _lengths(left) is not None and _lengths(right) is not None:
        method = "length_kolmogorov_smirnov"
        distance = histogram_distance(_lengths(left), _lengths(right))
    if distance is not None and not np.isfinite(distance):
        method, distance = None, None
    return ColumnComparison(
        name=left.name,
        left_kind=left.kind,
        right_kind=right.kind,
        method=method,
        distance=distance,
        left_missing_share=left.missing_share,
        right_missing_share=right.missing_share,
        left_mean=left.mean,
        right_mean=right.mean,
        left_distinct=left.distinct,
        right_distinct=right.distinct,
        note=note,
    )


@dataclass(frozen=True)
class ProfileComparison(Result):
    """Two profiles of datasets with columns in common, compared column by column.

    ``columns`` holds the columns of both, in the left profile's order; ``only_left`` and
    ``only_right`` the columns of one. Both profiles are kept whole, so the display can show
    each column's two distributions side by side.

    Examples
    --------
    >>> import lifecycle_widgets as lw
    >>> train = lw.profile(lw.datasets.credit(2000))
    >>> batch = lw.profile(lw.datasets.credit_batch(2000))
    >>> cmp = train.compare(batch, labels=("train", "batch"))
    >>> cmp.column("income").method, cmp.column("income").distance > 0.1
    ('kolmogorov_smirnov', True)
    >>> ProfileComparison.from_dict(cmp.to_dict()) == cmp
    True
    """

    kind: ClassVar[str] = "profile_comparison"

    left: DataProfile
    right: DataProfile
    labels: tuple[str, str]
    columns: tuple[ColumnComparison, ...]
    only_left: tuple[str, ...] = ()
    only_right: tuple[str, ...] = ()

    def column(self, name: str) -> ColumnComparison:
        """The comparison of column ``name``."""
        for c in self.columns:
            if c.name == name:
                return c
        raise ColumnError(
            name, f"not in both profiles; columns in both are {[c.name for c in self.columns][:20]}"
        )

    def to_frame(self) -> pd.DataFrame:
        """One row per column in both profiles, in the left profile's order: name, both kinds,
        method, distance, both missing shares, means and distinct counts, and a note. Missing
        numbers are NaN; columns in one profile only are in ``only_left`` and ``only_right``.

        Examples
        --------
        >>> import lifecycle_widgets as lw
        >>> left = lw.profile(lw.datasets.credit(300))
        >>> frame = left.compare(lw.profile(lw.datasets.credit_batch(300))).to_frame()
        >>> list(frame.columns[:5])
        ['name', 'left_kind', 'right_kind', 'method', 'distance']
        """
        columns = [f.name for f in fields(ColumnComparison)]
        frame = pd.DataFrame([vars(c) for c in self.columns], columns=columns)
        numbers = ["distance", "left_mean", "right_mean"]
        frame[numbers] = frame[numbers].astype(float)  # None -> NaN
        return frame

    @property
    def shifted(self) -> tuple[ColumnComparison, ...]:
        """Columns whose distance is at least SHIFT, largest first."""
        hits = [c for c in self.columns if c.distance is not None and c.distance >= SHIFT]
        return tuple(sorted(hits, key=lambda c: -(c.distance or 0.0)))

    def __repr__(self) -> str:
        return (
            f"<ProfileComparison {self.labels[0]} vs {self.labels[1]}: {len(self.columns)} columns "
            f"in both, {len(self.shifted)} shifted>"
        )


def compare(
    left: DataProfile, right: DataProfile, *, labels: tuple[str, str] | None = None
) -> ProfileComparison:
    """Compare two profiles column by column (see :class:`ProfileComparison`).

    Parameters
    ----------
    left, right : DataProfile
        The profiles; columns are matched by name.
    labels : tuple of two str, optional
        What to call each side; by default the profiles' sources (``"left"`` and ``"right"``
        when they are the same).
    """
    if not isinstance(right, DataProfile):
        raise ParameterError.bad_value("other", "DataProfile.compare", "a DataProfile", type(right).__name__)
    if labels is None:
        labels = (left.source, right.source) if left.source != right.source else ("left", "right")
    if not (
        isinstance(labels, tuple | list) and len(labels) == 2 and all(isinstance(x, str) for x in labels)
    ):
        raise ParameterError.bad_value("labels", "DataProfile.compare", "a pair of str", labels)
    right_columns = {c.name: c for c in right.columns}
    both = [compare_columns(c, right_columns[c.name]) for c in left.columns if c.name in right_columns]
    left_names = set(left.column_names)
    return ProfileComparison(
        left=left,
        right=right,
        labels=(labels[0], labels[1]),
        columns=tuple(both),
        only_left=tuple(n for n in left.column_names if n not in right_columns),
        only_right=tuple(n for n in right.column_names if n not in left_names),
    )
