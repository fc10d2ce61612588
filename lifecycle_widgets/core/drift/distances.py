"""Drift distances, in a registry with loud lookups.

Binned distances compare two probability vectors over the same bins (a missing-values bin
included, so a change in the share of missing values is drift too). Distribution distances (KS,
Wasserstein) compare two quantile functions of numeric values, each given at
:data:`GRID_PROBS` (0, 0.005, ..., 1).

=================  ========  ====================================================  =========
name               input     what it is                                            threshold
=================  ========  ====================================================  =========
psi                binned    population stability index, sum (q-p) ln(q/p)          0.2
jensen_shannon     binned    Jensen-Shannon distance, base 2, in [0, 1]             0.1
hellinger          binned    Hellinger distance, in [0, 1]                          0.1
chi_squared        binned    Cramér's V of the 2 x k table of counts, in [0, 1]     0.1
linf               binned    largest difference of a bin's share                    0.1
ks                 quantile  Kolmogorov-Smirnov statistic sup |F - G|               0.1
wasserstein        quantile  Wasserstein-1 distance over the baseline's std         0.1
winsorized_        quantile  Wasserstein-1 of values clipped to the baseline's 1st   0.1
wasserstein                  and 99th percentiles, over the clipped baseline's std
=================  ========  ====================================================  =========

Thresholds are effect sizes, not p-values: with a million rows every difference is
significant, so a p-value says nothing about whether the change matters. The other way round,
with 150 rows noise alone crosses any useful threshold: a check flags drift only where the
effect crosses its threshold and a test at the batch's size says it is more than noise
(:mod:`lifecycle_widgets.core.drift.significance`).

``winsorized_wasserstein`` is the default for numbers: on a heavy-tailed column (skewness 16),
one extreme value moved the plain ``wasserstein`` of two samples of the same distribution past
0.1 at a million rows; clipped at the baseline's percentiles, a few values cannot decide.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from lifecycle_widgets.exceptions import UnknownNameError

_EPS = 1e-4  # share given to an empty bin, so that PSI stays finite
GRID_PROBS = np.linspace(0.0, 1.0, 201)


def _norm(x: np.ndarray) -> np.ndarray:
    total = x.sum()
    return x / total if total > 0 else np.full_like(x, 1.0 / max(1, x.size), dtype=np.float64)


def psi(p_counts: np.ndarray, q_counts: np.ndarray) -> float:
    """Population stability index of two count vectors over the same bins."""
    p = np.clip(_norm(np.asarray(p_counts, dtype=np.float64)), _EPS, None)
    q = np.clip(_norm(np.asarray(q_counts, dtype=np.float64)), _EPS, None)
    return float(((q - p) * np.log(q / p)).sum())


def jensen_shannon(p_counts: np.ndarray, q_counts: np.ndarray) -> float:
    """Jensen-Shannon distance (the square root of the divergence), base 2."""
    p, q = _norm(np.asarray(p_counts, float)), _norm(np.asarray(q_counts, float))
    m = (p + q) / 2

    def kl(a: np.ndarray) -> float:
        keep = a > 0
        return float((a[keep] * np.log2(a[keep] / m[keep])).sum())

    return float(np.sqrt(max(0.0, (kl(p) + kl(q)) / 2)))


def hellinger(p_counts: np.ndarray, q_counts: np.ndarray) -> float:
    """Hellinger distance of two count vectors."""
    p, q = _norm(np.asarray(p_counts, float)), _norm(np.asarray(q_counts, float))
    return float(np.sqrt(0.5 * ((np.sqrt(p) - np.sqrt(q)) ** 2).sum()))


def chi_squared(p_counts: np.ndarray, q_counts: np.ndarray) -> float:
    """Cramér's V of the 2 x k contingency table (baseline vs current counts)."""
    table = np.vstack([np.asarray(p_counts, float), np.asarray(q_counts, float)])
    table = table[:, table.sum(0) > 0]
    n = table.sum()
    if table.shape[1] < 2 or (table.sum(1) == 0).any():
        return 0.0 if table.shape[1] < 2 else 1.0
    expected = np.outer(table.sum(1), table.sum(0)) / n
    chi2 = float(((table - expected) ** 2 / expected).sum())
    return float(np.sqrt(chi2 / n))


def linf(p_counts: np.ndarray, q_counts: np.ndarray) -> float:
    """Largest absolute difference between the two distributions' bin shares."""
    p, q = _norm(np.asarray(p_counts, float)), _norm(np.asarray(q_counts, float))
    return float(np.abs(p - q).max()) if p.size else 0.0


def _cdf(grid: np.ndarray, points: np.ndarray) -> np.ndarray:
    """The CDF at ``points`` of the distribution whose quantiles at GRID_PROBS are ``grid``."""
    lo = np.searchsorted(grid, points, side="left")
    hi = np.searchsorted(grid, points, side="right")
    # between grid points interpolate; on a run of equal quantiles (an atom), take its top
    inner = np.interp(points, grid, GRID_PROBS)
    return np.where(hi > lo, GRID_PROBS[np.clip(hi - 1, 0, len(grid) - 1)], inner)


def ks(base: np.ndarray, current: np.ndarray, scale: float | None = None) -> float:
    """Kolmogorov-Smirnov statistic of two distributions given by quantiles at GRID_PROBS."""
    base, current = np.asarray(base, float), np.asarray(current, float)
    if not base.size or not current.size or np.isnan(base).all() or np.isnan(current).all():
        return 0.0 if np.isnan(base).all() and np.isnan(current).all() else 1.0
    points = np.union1d(base, current)
    return float(np.abs(_cdf(base, points) - _cdf(current, points)).max())


def wasserstein(base: np.ndarray, current: np.ndarray, scale: float | None = None) -> float:
    """Wasserstein-1 distance, the area between the quantile functions, divided by ``scale`` (the
    baseline's standard deviation) so that one threshold fits every column."""
    base, current = np.asarray(base, float), np.asarray(current, float)
    if not base.size or not current.size or np.isnan(base).all() or np.isnan(current).all():
        return 0.0 if np.isnan(base).all() and np.isnan(current).all() else 1.0
    gap = np.abs(base - current)
    distance = float(((gap[1:] + gap[:-1]) / 2).mean())  # trapezoid over equal steps of p
    return distance / scale if scale else distance


#: where ``winsorized_wasserstein`` clips: the baseline's 1st and 99th percentiles
WINSOR_PROBS = (0.01, 0.99)


def _trapezoid_mean(values: np.ndarray) -> float:
    """Mean over p of a function given at the equally spaced GRID_PROBS."""
    return float(((values[1:] + values[:-1]) / 2).mean())


def winsorized_wasserstein(base: np.ndarray, current: np.ndarray, scale: float | None = None) -> float:
    """Wasserstein-1 distance of the two distributions with every value clipped to the
    baseline's 1st and 99th percentiles, over the standard deviation of the clipped baseline.

    Both inputs are quantile functions at GRID_PROBS; clipping commutes with quantiles, so the
    clipped quantile functions are the clipped inputs. ``scale`` is not used (the clipped
    baseline gives its own); it is accepted so that every quantile distance is called alike.
    Where the 1st and 99th percentiles coincide (98 % of the values are one number), nothing
    is clipped and the baseline's plain standard deviation is the scale.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> a, b = rng.lognormal(0, 2, 100_000), rng.lognormal(0, 2, 100_000)
    >>> qa, qb = np.quantile(a, GRID_PROBS), np.quantile(b, GRID_PROBS)
    >>> bool(wasserstein(qa, qb, a.std()) > winsorized_wasserstein(qa, qb))  # one extreme value decides the first
    True
    >>> z = np.quantile(rng.normal(0, 1, 100_000), GRID_PROBS)
    >>> round(winsorized_wasserstein(z, z + 0.5), 2)  # half a standard deviation
    0.5
    """
    base, current = np.asarray(base, float), np.asarray(current, float)
    if not base.size or not current.size or np.isnan(base).all() or np.isnan(current).all():
        return 0.0 if np.isnan(base).all() and np.isnan(current).all() else 1.0
    lo, hi = np.interp(WINSOR_PROBS, GRID_PROBS, base)
    if hi > lo:
        base, current = np.clip(base, lo, hi), np.clip(current, lo, hi)
    mean = _trapezoid_mean(base)
    spread = math.sqrt(max(0.0, _trapezoid_mean((base - mean) ** 2)))
    distance = _trapezoid_mean(np.abs(base - current))
    return distance / spread if spread > 0 else (0.0 if distance == 0 else 1.0)


@dataclass(frozen=True)
class DriftDistance:
    """A registered distance: its input kind, function and default threshold."""

    name: str
    input: str  # "binned" or "quantile"
    function: Callable[..., float]
    threshold: float
    description: str


DISTANCES: dict[str, DriftDistance] = {
    d.name: d
    for d in (
        DriftDistance("psi", "binned", psi, 0.2, "population stability index"),
        DriftDistance("jensen_shannon", "binned", jensen_shannon, 0.1, "Jensen-Shannon distance"),
        DriftDistance("hellinger", "binned", hellinger, 0.1, "Hellinger distance"),
        DriftDistance("chi_squared", "binned", chi_squared, 0.1, "Cramér's V of the chi-squared table"),
        DriftDistance("linf", "binned", linf, 0.1, "L-infinity distance of bin shares"),
        DriftDistance("ks", "quantile", ks, 0.1, "Kolmogorov-Smirnov statistic"),
        DriftDistance("wasserstein", "quantile", wasserstein, 0.1, "Wasserstein distance / baseline std"),
        DriftDistance(
            "winsorized_wasserstein",
            "quantile",
            winsorized_wasserstein,
            0.1,
            "Wasserstein distance of values clipped to the baseline's 1st-99th percentiles / their std",
        ),
    )
}
#: SageMaker Model Monitor's comparison methods, read as registered distances.
ALIASES = {"Simple": "linf", "Robust": "linf"}


def get_distance(name: str) -> DriftDistance:
    """The distance registered as ``name``; the error lists every known name.

    Examples
    --------
    >>> from lifecycle_widgets.core.drift.distances import get_distance
    >>> get_distance("psi").threshold
    0.2
    """
    key = ALIASES.get(name, name)
    if key not in DISTANCES:
        raise UnknownNameError("drift distance", name, [*DISTANCES, *ALIASES])
    return DISTANCES[key]
