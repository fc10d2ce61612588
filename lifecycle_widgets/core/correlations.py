"""Associations between columns, computed on the profile's row sample.

Pearson and Spearman for numeric pairs, Cramér's V for categorical pairs, the correlation ratio
eta for numeric-categorical pairs, and, for a target, the strength of each column's association
with it in [0, 1]. Missing values are left out pair by pair (pairwise-complete, as pandas'
``DataFrame.corr``), computed with matrix products rather than pair by pair: pandas takes 21 s
for the Spearman matrix of 60 columns of 50,000 rows with missing values, this module well under
a second.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, ParamSpec, TypeVar

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.stats import rankdata

P = ParamSpec("P")
R = TypeVar("R")
_CONTROLLER: Any = None


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """BLAS on one thread inside the block: the profile's matrix products are small, and a BLAS
    pool that spins beside our own threads (or another process) costs far more than it gives
    (a 100-column Spearman matrix took 27 s with two OpenBLAS threads on a busy 2-core machine,
    4.6 s with one)."""
    global _CONTROLLER
    if _CONTROLLER is None:
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:  # scikit-learn brings it; without it, BLAS keeps its own setting
            yield
            return
        _CONTROLLER = ThreadpoolController()
    with _CONTROLLER.limit(limits=1, user_api="blas"):
        yield


def _threads() -> int:
    return max(1, min(8, os.cpu_count() or 1))


def _blas_once(func: Callable[P, R]) -> Callable[P, R]:
    """Run ``func`` with BLAS on one thread (:func:`one_blas_thread`), and without overflow
    errors: a column of values near 1e300, whose squares overflow float64, gets no coefficient
    (NaN) rather than stopping the profile (numpy's errstate is per thread, so it is set here)."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with one_blas_thread(), np.errstate(over="ignore", invalid="ignore"):
            return func(*args, **kwargs)

    return wrapper


def _dense(codes: np.ndarray) -> np.ndarray:
    """Renumber non-negative codes 0..k-1 with no gaps."""
    present = np.bincount(codes) > 0
    return (np.cumsum(present) - 1)[codes]


def cramers_v(a: np.ndarray, b: np.ndarray, *, bias_corrected: bool = True) -> float:
    """Cramér's V of two integer-coded arrays (codes >= 0; negative codes mean missing).

    With ``bias_corrected`` (the default), Bergsma's (2013) correction, which keeps columns
    with many levels from looking associated by chance.
    """
    keep = (a >= 0) & (b >= 0)
    a, b = a[keep], b[keep]
    if a.size == 0:
        return float("nan")
    a, b = _dense(a), _dense(b)
    return _cramers_v_of(a, b, int(a.max()) + 1, int(b.max()) + 1, bias_corrected)


def _cramers_v_of(a: np.ndarray, b: np.ndarray, r: int, c: int, bias_corrected: bool = True) -> float:
    """Cramér's V of codes ``a`` in ``0..r-1`` and ``b`` in ``0..c-1`` (no missing values);
    levels with no row are dropped from the table first."""
    if a.size == 0:
        return float("nan")
    table = np.bincount(a * c + b, minlength=r * c).reshape(r, c).astype(np.float64)
    table = table[table.sum(1) > 0][:, table.sum(0) > 0]
    r, c = table.shape
    if r < 2 or c < 2:
        return float("nan")
    n = table.sum()
    expected = np.outer(table.sum(1), table.sum(0)) / n
    chi2 = float(((table - expected) ** 2 / expected).sum())
    if not bias_corrected:
        return float(np.sqrt(chi2 / (n * (min(r, c) - 1))))
    if n < 2:
        return float("nan")
    phi2 = max(0.0, chi2 / n - (r - 1) * (c - 1) / (n - 1))
    r_c, c_c = r - (r - 1) ** 2 / (n - 1), c - (c - 1) ** 2 / (n - 1)
    denominator = min(r_c - 1, c_c - 1)
    return float(np.sqrt(phi2 / denominator)) if denominator > 0 else float("nan")


def correlation_ratio(codes: np.ndarray, x: np.ndarray) -> float:
    """Correlation ratio eta of a numeric array ``x`` grouped by integer ``codes``."""
    keep = (codes >= 0) & np.isfinite(x)
    codes, x = codes[keep], x[keep]
    if x.size < 2:
        return float("nan")
    codes = _dense(codes)
    total = float(((x - x.mean()) ** 2).sum())
    if total == 0:
        return float("nan")
    counts = np.bincount(codes)
    means = np.bincount(codes, weights=x) / counts
    between = float((counts * (means - x.mean()) ** 2).sum())
    return float(np.sqrt(between / total))


def codes_of(series: pd.Series) -> np.ndarray:
    """Integer codes of a column's values, -1 for missing (unhashable values by their text)."""
    try:
        return pd.factorize(series, use_na_sentinel=True)[0]
    except TypeError:  # lists, dicts: code their text
        return pd.factorize(series.map(lambda v: v if v is None else repr(v)), use_na_sentinel=True)[0]


def numeric_of(series: pd.Series) -> np.ndarray:
    """A column as float64 with infinities turned into NaN (datetimes as epoch seconds)."""
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        arr = (
            series.to_numpy(dtype="datetime64[us]")
            if series.dt.tz is None
            else (series.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy(dtype="datetime64[us]"))
        )
        out = arr.astype(np.int64).astype(np.float64) / 1e6
        out[np.isnat(arr)] = np.nan
        return out
    out = np.array(series.to_numpy(dtype=np.float64, na_value=np.nan), copy=True)
    out[~np.isfinite(out)] = np.nan
    return out


@_blas_once
def pearson_matrix(X: np.ndarray, *, min_periods: int = 3) -> np.ndarray:
    """Pairwise-complete Pearson matrix of the columns of ``X`` (NaN marks a missing value), as
    ``pd.DataFrame(X).corr(min_periods=min_periods)`` computes it, from five matrix products.

    Each column is centred and scaled first, so the sums of products do not cancel; NaN where a
    pair has fewer than ``min_periods`` rows or a column is constant on them.

    Examples
    --------
    >>> X = np.array([[1.0, 2.0], [2.0, 4.1], [3.0, np.nan], [4.0, 7.9]])
    >>> bool(np.allclose(pearson_matrix(X), pd.DataFrame(X).corr(min_periods=3)))
    True
    """
    X = np.asarray(X, dtype=np.float64)
    present = np.isfinite(X)
    k = X.shape[1]
    if k == 0:
        return np.empty((0, 0))
    with np.errstate(invalid="ignore", divide="ignore"):
        counts = present.sum(0)
        mean = np.where(counts > 0, np.where(present, X, 0.0).sum(0) / np.maximum(counts, 1), 0.0)
        centred = np.where(present, X - mean, 0.0)
        spread = np.sqrt((centred**2).sum(0) / np.maximum(counts, 1))
        Z = centred / np.where(spread > 0, spread, 1.0)
        P = present.astype(np.float64)
        n = P.T @ P
        sx = Z.T @ P  # sx[i, j]: sum of column i over the rows where i and j are both present
        sxx = (Z * Z).T @ P
        cov = Z.T @ Z - sx * sx.T / n
        var = sxx - sx * sx / n
        r = cov / np.sqrt(var * var.T)
    # a column constant on a pair's rows has a (numerically) zero variance there
    tiny = 1e-10 * n
    degenerate = (n < min_periods) | (np.minimum(var, var.T) <= tiny)
    r[degenerate] = np.nan
    return np.clip(r, -1.0, 1.0)


def _ranks_within(order: np.ndarray, groups: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """Average ranks (1-based) of a column among the rows in ``keep``, from its sort ``order``
    and the tie ``groups`` of the sorted values; O(n), no sort."""
    kept = keep[order].astype(np.float64)
    per_group = np.bincount(groups, weights=kept)
    before = np.cumsum(per_group) - per_group
    ranks = np.empty(order.size)
    ranks[order] = (before + (per_group + 1) / 2)[groups]
    return ranks


def _ranks_within_many(orders: np.ndarray, groups: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """:func:`_ranks_within` of several columns at once: row ``c`` of ``orders`` and ``groups``
    (columns x rows) is a column's sort order and tie groups, row ``c`` of ``keep`` the rows to
    rank it among; the ranks come back in rows the same way. Flat indices, so every step is a
    one-dimensional take, count or scatter; the same ranks (sums of ones and halves are exact)."""
    m, n = keep.shape
    shift = (np.arange(m, dtype=np.int64) * n)[:, None]
    flat_orders = (orders + shift).ravel()
    flat_groups = (groups + shift).ravel()
    kept = keep.ravel()[flat_orders].astype(np.float64)  # in each column's sorted order
    per_group = np.bincount(flat_groups, weights=kept, minlength=n * m).reshape(m, n)
    before = np.cumsum(per_group, axis=1) - per_group
    ranks = np.empty(n * m)
    ranks[flat_orders] = (before + (per_group + 1) / 2).ravel()[flat_groups]
    return ranks.reshape(m, n)


def _pearson_pair(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a - a.mean(), b - b.mean()
    denominator = float(np.sqrt((a @ a) * (b @ b)))
    return float(np.clip((a @ b) / denominator, -1.0, 1.0)) if denominator > 0 else float("nan")


# rows x pairs re-ranked exactly: 240 pairs of 50,000 rows, 900 of the 13,333 rows a wide table's
# association sample has (about 1 s of CPU); a 20-column table has at most 190 pairs
RERANK_BUDGET = 12_000_000


@_blas_once
def spearman_matrix(
    X: np.ndarray, *, min_periods: int = 3, rerank_budget: int = RERANK_BUDGET
) -> tuple[np.ndarray, int]:
    """Pairwise-complete Spearman matrix of the columns of ``X`` (NaN marks a missing value), as
    ``pd.DataFrame(X).corr("spearman", min_periods=min_periods)`` computes it, and how many
    pairs were left approximate.

    Ranks are computed once per column and correlated with matrix products. A pair whose columns
    are missing on different rows is re-ranked on its common rows, in linear time from each
    column's sort order, while the rows re-ranked stay within ``rerank_budget``; pairs beyond it
    keep the correlation of the columns' own ranks on the common rows (close when few values are
    missing), and their number is returned.

    Examples
    --------
    >>> X = np.array([[1.0, 3.0], [2.0, 1.0], [3.0, np.nan], [4.0, 7.0], [np.nan, 2.0]])
    >>> rho, approximate = spearman_matrix(X)
    >>> bool(np.allclose(rho, pd.DataFrame(X).corr("spearman", min_periods=3))), approximate
    (True, 0)
    """
    X = np.asarray(X, dtype=np.float64)
    X = np.where(np.isfinite(X), X, np.nan)
    present = ~np.isnan(X)
    n, k = X.shape
    if k == 0:
        return np.empty((0, 0)), 0
    R = rankdata(X, axis=0, nan_policy="omit") if n else X
    out = pearson_matrix(R, min_periods=min_periods)
    P = present.astype(np.float64)
    # rows where column i is present and column j is not: if there are any, i's ranks on the
    # pair's common rows differ from its own ranks
    differs = (P.T @ (1.0 - P)) > 0
    redo = np.argwhere(np.triu(differs | differs.T, 1))
    affordable = min(len(redo), rerank_budget // max(n, 1))
    pairs = redo[:affordable]
    if len(pairs) == 0:
        return out, len(redo) - affordable
    Xc = np.asfortranarray(X)  # columns contiguous: each sort and gather reads one column
    present_rows = np.ascontiguousarray(present.T)  # a row per column

    def sorted_groups(i: int) -> tuple[np.ndarray, np.ndarray]:
        order = np.argsort(Xc[:, i], kind="stable")
        xs = Xc[order, i]
        return order, np.cumsum(np.concatenate(([False], xs[1:] != xs[:-1])))

    # the sorts on threads (numpy releases the GIL in them); then, column by column, the ranks
    # of both columns of each of its pairs within the pair's common rows, all pairs at once
    used = np.unique(pairs)
    with ThreadPoolExecutor(_threads()) as pool:
        cache = dict(zip(used.tolist(), pool.map(sorted_groups, used.tolist()), strict=True))
    values = []
    firsts, starts = np.unique(pairs[:, 0], return_index=True)  # pairs come sorted by first column
    bounds = [*starts.tolist(), len(pairs)]
    for g, i in enumerate(firsts.tolist()):
        js = pairs[bounds[g] : bounds[g + 1], 1].tolist()
        keep = present_rows[i] & present_rows[js]  # pairs x rows
        order_i, groups_i = cache[i]
        ri = _ranks_within_many(
            np.broadcast_to(order_i, keep.shape), np.broadcast_to(groups_i, keep.shape), keep
        )
        rj = _ranks_within_many(
            np.stack([cache[j][0] for j in js]), np.stack([cache[j][1] for j in js]), keep
        )
        for c in range(len(js)):
            common = keep[c]
            if np.count_nonzero(common) < min_periods:
                values.append(float("nan"))
            else:
                values.append(_pearson_pair(ri[c][common], rj[c][common]))
    for (i, j), value in zip(pairs, values, strict=True):
        out[i, j] = out[j, i] = value
    return out, len(redo) - affordable


def matrix(frame: pd.DataFrame, method: str) -> np.ndarray:
    """Pairwise-complete Pearson or Spearman matrix of numeric columns."""
    X = frame.to_numpy(dtype=np.float64, na_value=np.nan)
    return spearman_matrix(X)[0] if method == "spearman" else pearson_matrix(X)


def cramers_v_matrix(codes: list[np.ndarray]) -> np.ndarray:
    """Bias-corrected Cramér's V of every pair of integer-coded columns (-1 for missing).

    Examples
    --------
    >>> a, b = np.array([0, 0, 1, 1, 0, 1]), np.array([1, 1, 0, 0, 1, 0])
    >>> cramers_v_matrix([a, b])[0, 1]
    np.float64(1.0)
    """
    k = len(codes)
    out = np.eye(k)
    # dense codes once per column; a pair drops its rows missing either value, and the levels
    # left with no row
    dense = []
    for code in codes:
        code = np.asarray(code)
        valid = code >= 0
        d = np.full(code.size, -1, dtype=np.int64)
        d[valid] = _dense(code[valid])
        dense.append((d, int(d.max(initial=-1)) + 1, bool(valid.all())))
    for i in range(k):
        a, r, a_full = dense[i]
        for j in range(i + 1, k):
            b, c, b_full = dense[j]
            if a_full and b_full:
                out[i, j] = out[j, i] = _cramers_v_of(a, b, r, c)
            else:
                keep = (a >= 0) & (b >= 0)
                out[i, j] = out[j, i] = _cramers_v_of(a[keep], b[keep], r, c)
    return out


@_blas_once
def correlation_ratio_matrix(codes: list[np.ndarray], X: np.ndarray) -> np.ndarray:
    """Correlation ratio eta of every numeric column of ``X`` (NaN for missing) grouped by every
    integer-coded column of ``codes`` (-1 for missing): ``out[c, j]`` groups column ``j`` by
    ``codes[c]``, on the rows where both have a value. One sparse product per grouping column.

    Examples
    --------
    >>> codes = [np.array([0, 0, 1, 1, 2, 2])]
    >>> X = np.array([[1.0], [3.0], [5.0], [7.0], [2.0], [2.0]])
    >>> bool(np.isclose(correlation_ratio_matrix(codes, X)[0, 0], correlation_ratio(codes[0], X[:, 0])))
    True
    """
    X = np.asarray(X, dtype=np.float64)
    present = np.isfinite(X)
    n, k = X.shape
    out = np.full((len(codes), k), np.nan)
    if n == 0 or k == 0:
        return out
    counts = present.sum(0)
    mean = np.where(present, X, 0.0).sum(0) / np.maximum(counts, 1)
    centred = np.where(present, X - mean, 0.0)  # centred: the sums of squares do not cancel
    # one product per grouping column gives the count, sum and sum of squares of every level
    stacked = np.hstack([present.astype(np.float64), centred, centred * centred])
    rows = np.arange(n)
    for c, code in enumerate(codes):
        code = np.asarray(code)
        valid = code >= 0
        if np.count_nonzero(valid) < 2:
            continue
        levels = np.full(n, -1, dtype=np.int64)
        levels[valid] = _dense(code[valid])
        n_levels = int(levels.max()) + 1
        # rows missing the grouping value go to one extra level, left out below
        onehot = sparse.csr_matrix(
            (np.ones(n), (np.where(valid, levels, n_levels), rows)), shape=(n_levels + 1, n)
        )
        sums = onehot @ stacked
        cnt, s, ss = sums[:n_levels, :k], sums[:n_levels, k : 2 * k], sums[:n_levels, 2 * k :]
        with np.errstate(invalid="ignore", divide="ignore"):
            total_n = cnt.sum(0)
            grand = s.sum(0) / total_n
            total = ss.sum(0) - total_n * grand**2
            between = np.where(cnt > 0, s * s / np.where(cnt > 0, cnt, 1), 0.0).sum(0) - total_n * grand**2
            eta = np.sqrt(np.clip(between / total, 0.0, 1.0))
        eta[(total_n < 2) | ~(total > 1e-12 * np.maximum(total_n, 1))] = np.nan
        out[c] = eta
    return out


def nullity_correlation(missing: np.ndarray) -> np.ndarray:
    """Pearson correlation of the missing-value indicators of the columns of ``missing`` (a
    boolean matrix, rows by columns): +1 when two columns are missing together, -1 when one is
    missing exactly where the other is present (missingno's heat map).

    Examples
    --------
    >>> m = np.array([[True, True, False], [False, False, True], [True, True, True], [False, False, False]])
    >>> nullity_correlation(m)[0].round(3).tolist()
    [1.0, 1.0, 0.0]
    """
    return pearson_matrix(np.asarray(missing, dtype=np.float64), min_periods=2)


def association(x: pd.Series, x_numeric: bool, y: pd.Series, y_numeric: bool) -> tuple[str, float]:
    """The method name and the strength of association of two columns, in [0, 1]."""
    if x_numeric and y_numeric:
        pair = pd.DataFrame({"x": numeric_of(x), "y": numeric_of(y)})
        return "spearman", abs(float(pair.corr(method="spearman", min_periods=3).iloc[0, 1]))
    if not x_numeric and not y_numeric:
        return "cramers_v", cramers_v(codes_of(x), codes_of(y))
    numeric, categorical = (x, y) if x_numeric else (y, x)
    return "correlation_ratio", correlation_ratio(codes_of(categorical), numeric_of(numeric))
