"""The small frozen values a :class:`~lifecycle_widgets.DataProfile` is made of: histograms,
association matrices, text summaries and the missing-value matrix.

They live apart from :mod:`.profiling` so that the modules computing them (text statistics,
correlations, alerts) can build them without importing the profile itself.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Histogram:
    """Bin edges and counts (``below`` and ``above`` the edges apart); ``approximate`` when the
    counts are scaled from the row sample.

    Examples
    --------
    >>> h = Histogram((0.0, 1.0, 2.0), (3, 4))
    >>> sum(h.counts) + h.below + h.above
    7
    """

    edges: tuple[float, ...]
    counts: tuple[int, ...]
    below: int = 0
    above: int = 0
    approximate: bool = False


@dataclass(frozen=True)
class Matrix:
    """A square association matrix; None where undefined (a constant column, too few pairs);
    ``note`` says how it departs from its method's definition, if it does.

    Examples
    --------
    >>> m = Matrix("pearson", ("a", "b"), ((1.0, 0.5), (0.5, 1.0)))
    >>> m.value("a", "b")
    0.5
    """

    method: str
    columns: tuple[str, ...]
    values: tuple[tuple[float | None, ...], ...]
    note: str = ""

    def value(self, a: str, b: str) -> float | None:
        """The entry of columns ``a`` and ``b``."""
        return self.values[self.columns.index(a)][self.columns.index(b)]


@dataclass(frozen=True)
class Association:
    """Strength of a column's association with the target, in [0, 1], and how it was measured."""

    column: str
    method: str
    value: float | None


@dataclass(frozen=True)
class LeftOut:
    """A column left out of the correlation matrices, and why."""

    column: str
    reason: str


@dataclass(frozen=True)
class TextSummary:
    """Text statistics of a string or bytes column, measured on the profile's row sample
    (``exact`` when the sample holds every value of the column).

    ``values`` sampled values had their length measured (``lengths`` is scaled to the whole
    column); words, characters and patterns were counted on the first ``counted_values`` of them
    (a uniform subsample bounded in characters, see :mod:`.profile_text`). Bytes values are
    measured by length only (``unit`` is ``"bytes"``), never decoded.
    ``character_classes`` counts characters by class (letters, digits, whitespace, ...);
    ``patterns`` are the most frequent shapes of the values, each uppercase letter shown as
    ``A``, lowercase as ``a`` and digit as ``9`` (``"AB-1234"`` has the shape ``"AA-9999"``);
    ``semantic`` counts the counted values that look like personal or sensitive data (emails,
    phone numbers, ...; see :data:`~lifecycle_widgets.core.profile_text.SEMANTIC_PATTERNS`).

    Examples
    --------
    >>> import lifecycle_widgets as lw
    >>> prof = lw.profile(lw.datasets.credit(500))
    >>> prof.column("notes").text.top_words[0][0] != ""
    True
    """

    values: int
    exact: bool
    unit: str
    lengths: Histogram | None = None
    counted_values: int = 0
    words_total: int = 0
    words_mean: float | None = None
    words_max: int | None = None
    distinct_words: int = 0
    top_words: tuple[tuple[str, int], ...] = ()
    characters_total: int = 0
    character_classes: tuple[tuple[str, int], ...] = ()
    patterns: tuple[tuple[str, int], ...] = ()
    distinct_patterns: int = 0
    semantic: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class MissingMatrix:
    """Where values are missing, row block by row block: ``shares[b][c]`` is the share of
    sampled rows of block ``b`` (rows in table order, cut into equal blocks) missing a value in
    ``columns[c]``. Measured on the profile's row sample, so its size depends on the number of
    blocks and columns, never on the number of rows.

    Examples
    --------
    >>> m = MissingMatrix(("a",), ((0.0,), (1.0,)), 2)
    >>> m.shares[1][0]
    1.0
    """

    columns: tuple[str, ...]
    shares: tuple[tuple[float, ...], ...]
    sample_rows: int
