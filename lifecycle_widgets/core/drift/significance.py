"""Evidence at the batch's size: is a batch's difference from the baseline more than sampling noise?

A distance says how far a batch moved (the effect size); with 150 rows, noise alone moves it
past any useful threshold, and with a million rows a negligible move is significant. A drift or
completeness violation therefore needs both: an effect above its threshold and a p-value below
``alpha`` after a correction for the number of features tested in the batch.

- Distributions: Pearson's chi-squared test of homogeneity of the 2 x k table of baseline and
  batch counts in the baseline's bins (its deciles for numbers, its categories plus "other").
  The baseline side counts the rows its histogram came from (its row sample), not the rows it
  stands for, so a baseline kept from a 50,000-row sample of ten million rows is not taken as
  exact. Bins whose expected count is below :data:`MIN_EXPECTED` are pooled (Cochran's rule),
  so the chi-squared approximation holds at 150 rows.
- Missing values: a one-sided binomial test of the batch's missing count against the share the
  constraint allows.
- Several features: Holm's step-down adjustment (default), Bonferroni, or none; the adjusted
  p-values control the chance of any false alarm in a batch at ``alpha``.

Examples
--------
>>> import numpy as np
>>> from lifecycle_widgets.core.drift.significance import homogeneity_test
>>> base = np.array([100, 100, 100, 100])
>>> round(homogeneity_test(base, np.array([25, 25, 25, 25])).p_value, 3)
1.0
>>> bool(homogeneity_test(base, np.array([70, 20, 5, 5])).p_value < 1e-6)
True
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from lifecycle_widgets.core.formatting import fmt_number
from lifecycle_widgets.exceptions import ParameterError

#: default chance of any false alarm per batch and per check (drift, completeness)
ALPHA = 0.01
CORRECTIONS = ("holm", "bonferroni", "none")
MIN_EXPECTED = 5.0  # Cochran: no expected count below 5


@dataclass(frozen=True)
class Evidence:
    """A test's statistic, degrees of freedom and p-value (1.0 when nothing could be tested)."""

    statistic: float
    df: int
    p_value: float

    @property
    def name(self) -> str:
        return f"chi-squared ({self.df} df)"


def pool_bins(
    reference: np.ndarray, current: np.ndarray, *, ordered: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Merge bins until every expected count of the 2 x k table is at least :data:`MIN_EXPECTED`.

    Ordered bins (numeric ranges) merge with their neighbours, left to right; unordered bins
    (categories) merge smallest first.

    Examples
    --------
    >>> pool_bins(np.array([50, 50, 2, 1]), np.array([10, 10, 0, 1]))
    (array([50., 53.]), array([10., 11.]))
    """
    ref, cur = np.asarray(reference, dtype=float), np.asarray(current, dtype=float)
    keep = (ref + cur) > 0
    ref, cur = ref[keep], cur[keep]
    total, smaller = ref.sum() + cur.sum(), min(ref.sum(), cur.sum())
    if smaller <= 0 or ref.size < 2:
        return ref, cur
    need = MIN_EXPECTED * total / smaller  # a bin's pooled count that gives 5 expected in each row
    if not ordered:
        order = np.argsort(ref + cur, kind="stable")
        ref, cur = ref[order], cur[order]  # smallest first: they pool together
    groups: list[list[float]] = []
    acc = [0.0, 0.0]
    for r, c in zip(ref, cur, strict=True):
        acc = [acc[0] + r, acc[1] + c]
        if acc[0] + acc[1] >= need:
            groups.append(acc)
            acc = [0.0, 0.0]
    if acc[0] + acc[1] > 0:
        if groups:
            groups[-1] = [groups[-1][0] + acc[0], groups[-1][1] + acc[1]]
        else:
            groups.append(acc)
    pooled = np.asarray(groups, dtype=float)
    return pooled[:, 0], pooled[:, 1]


def homogeneity_test(reference: np.ndarray, current: np.ndarray, *, ordered: bool = True) -> Evidence:
    """Pearson's chi-squared test that two count vectors over the same bins come from one
    distribution, after :func:`pool_bins`.

    Examples
    --------
    >>> from scipy.stats import chi2_contingency
    >>> a, b = np.array([30, 40, 30]), np.array([20, 50, 30])
    >>> bool(homogeneity_test(a, b).p_value == chi2_contingency([a, b], correction=False).pvalue)
    True
    """
    ref, cur = pool_bins(reference, current, ordered=ordered)
    if ref.size < 2 or ref.sum() <= 0 or cur.sum() <= 0:
        return Evidence(0.0, 0, 1.0)
    table = np.vstack([ref, cur])
    expected = np.outer(table.sum(1), table.sum(0)) / table.sum()
    statistic = float(((table - expected) ** 2 / expected).sum())
    df = ref.size - 1
    return Evidence(statistic, df, float(stats.chi2.sf(statistic, df)))


def binomial_tail(k: int, n: int, share: float) -> float:
    """P(X >= k) for X ~ Binomial(n, share): the one-sided p-value of k events in n trials.

    Examples
    --------
    >>> binomial_tail(0, 100, 0.1), round(binomial_tail(3, 10, 0.1), 4)
    (1.0, 0.0702)
    """
    if k <= 0 or n <= 0:
        return 1.0
    return float(stats.binom.sf(k - 1, n, min(1.0, max(0.0, share))))


def missing_share_test(missing: int, rows: int, completeness: float) -> float:
    """One-sided p-value of ``missing`` or more missing values in ``rows`` when each value is
    present with probability ``completeness`` (binomial).

    Examples
    --------
    >>> missing_share_test(0, 150, 0.95)
    1.0
    >>> round(missing_share_test(20, 150, 0.95), 4)  # 13 % missing where 5 % are expected
    0.0001
    """
    return binomial_tail(missing, rows, 1.0 - completeness)


def p_value_text(p: float | None) -> str:
    """A p-value as a person reads it: two significant digits, below 0.0001 as a bound.

    Examples
    --------
    >>> p_value_text(0.03712), p_value_text(3e-17), p_value_text(None)
    ('0.037', '< 0.0001', 'n/a')
    """
    if p is None:
        return "n/a"
    return "< 0.0001" if p < 1e-4 else fmt_number(p, digits=2)


def adjust(p_values: Sequence[float | None], correction: str = "holm") -> list[float | None]:
    """Adjusted p-values for a family of tests (``None`` entries are not tested and stay None).

    Holm's adjusted p-value of the i-th smallest of m is ``max_{j<=i} min(1, (m - j + 1) p_(j))``;
    rejecting where it is below alpha keeps the chance of any false rejection below alpha.

    Examples
    --------
    >>> adjust([0.01, 0.04, None, 0.03])
    [0.03, 0.06, None, 0.06]
    >>> adjust([0.01, 0.04], "bonferroni")
    [0.02, 0.08]
    """
    tested = [(i, p) for i, p in enumerate(p_values) if p is not None]
    out: list[float | None] = [None] * len(p_values)
    m = len(tested)
    if correction == "none":
        for i, p in tested:
            out[i] = p
    elif correction == "bonferroni":
        for i, p in tested:
            out[i] = min(1.0, p * m)
    elif correction == "holm":
        running = 0.0
        for rank, (i, p) in enumerate(sorted(tested, key=lambda t: t[1])):
            running = max(running, min(1.0, (m - rank) * p))
            out[i] = running
    else:
        raise ParameterError.bad_value("correction", "adjust", f"one of {', '.join(CORRECTIONS)}", correction)
    return out
