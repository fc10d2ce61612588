"""Model-agnostic SHAP values: exact Shapley values for few features, antithetic permutation
sampling for more, with the model called on large batches.

Both explain ``v(S) = mean_b f(x_S, b_rest)``, the model's output with the features in ``S``
taken from the row and the others from each background row ``b`` (the interventional value of
shap's ``Independent`` masker). With ``M`` features, the exact values enumerate the ``2**M``
coalitions and weigh each marginal contribution by ``|S|! (M - |S| - 1)! / M!``; permutation
sampling walks each sampled permutation forward (adding features) and backward (removing them),
as shap's ``PermutationExplainer`` does, so every walk adds up exactly to ``f(x) - v({})``.

shap's explainers call the model once or twice per row (the per-call overhead of a pandas model
dominated: 11,500 calls for 500 rows of 4 features) and compile numba code on first use (about
9 s per process). Here the masked inputs of many rows go to the model in one call of up to
``batch_rows`` rows, and nothing is compiled.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from math import factorial

import numpy as np

__all__ = ["ShapleyValues", "coalitions_per_row", "shapley_values", "uses_exact"]

DEFAULT_BATCH_ROWS = 100_000


@dataclass(frozen=True)
class ShapleyValues:
    """SHAP values (rows x features, or rows x features x outputs), the base value (the mean
    output on the background, one per output) and how they were computed."""

    values: np.ndarray
    base_values: np.ndarray
    method: str  # "exact" or "permutation"
    permutations: int  # permutations walked per row (0 for exact)


def uses_exact(n_features: int, max_evals: int) -> bool:
    """Whether enumerating every coalition costs no more model evaluations than ``max_evals``."""
    return 2**n_features <= max_evals


def _permutations(n_features: int, max_evals: int) -> int:
    return max(1, (max_evals - 2) // (2 * (n_features - 1)))


def coalitions_per_row(n_features: int, max_evals: int) -> int:
    """Coalitions evaluated per explained row (each costs one model row per background row).

    Examples
    --------
    >>> coalitions_per_row(4, 200), coalitions_per_row(64, 200)
    (16, 128)
    """
    if n_features == 1:
        return 1
    if uses_exact(n_features, max_evals):
        return 2**n_features
    return 2 + _permutations(n_features, max_evals) * 2 * (n_features - 1)


def _coalition_values(
    f: Callable[[np.ndarray], np.ndarray],
    X: np.ndarray,
    background: np.ndarray,
    masks: np.ndarray,
    batch_rows: int,
) -> np.ndarray:
    """``v(S)`` for each row and each of its masks: ``masks`` is (coalitions x features) for every
    row, or (rows x coalitions x features). Returns rows x coalitions x outputs."""
    n, m = X.shape
    b = len(background)
    per_row = masks.shape[-2] * b
    step = max(1, batch_rows // per_row)
    out = []
    for start in range(0, n, step):
        x = X[start : start + step]
        mk = masks if masks.ndim == 2 else masks[start : start + step]
        mk = np.broadcast_to(mk, (len(x), *mk.shape[-2:]))
        data = np.where(mk[:, :, None, :], x[:, None, None, :], background[None, None, :, :])
        y = np.asarray(f(data.reshape(-1, m)), dtype=float)
        out.append(y.reshape(len(x), mk.shape[1], b, -1).mean(axis=2))
    return np.concatenate(out)


def _exact(
    f: Callable[[np.ndarray], np.ndarray], X: np.ndarray, background: np.ndarray, batch_rows: int
) -> np.ndarray:
    m = X.shape[1]
    subsets = np.arange(2**m)
    masks = ((subsets[:, None] >> np.arange(m)) & 1).astype(bool)  # subset s holds feature j if bit j
    v = _coalition_values(f, X, background, masks, batch_rows)  # rows x 2^m x outputs
    sizes = masks.sum(1)
    weights = np.array([factorial(s) * factorial(m - s - 1) / factorial(m) for s in range(m)])
    phi = np.zeros((len(X), m, v.shape[2]))
    for j in range(m):
        without = subsets[~masks[:, j]]
        with_j = without | (1 << j)
        phi[:, j] = np.einsum("s,rsk->rk", weights[sizes[without]], v[:, with_j] - v[:, without])
    return phi


def _permutation(
    f: Callable[[np.ndarray], np.ndarray],
    X: np.ndarray,
    background: np.ndarray,
    permutations: int,
    rng: np.random.Generator,
    batch_rows: int,
) -> np.ndarray:
    n, m = X.shape
    order = rng.permuted(np.broadcast_to(np.arange(m), (n, permutations, m)), axis=-1)
    rank = np.argsort(order, axis=-1)  # rank[r, p, j]: position of feature j in the walk
    steps = np.arange(1, m)
    forward = rank[:, :, None, :] < steps[None, None, :, None]  # the first k features of the walk
    backward = rank[:, :, None, :] >= steps[None, None, :, None]  # all but the first k
    inner = np.concatenate([forward, backward], axis=2).reshape(n, permutations * 2 * (m - 1), m)
    ends = np.broadcast_to(np.array([[False] * m, [True] * m]), (n, 2, m))
    v = _coalition_values(f, X, background, np.concatenate([ends, inner], axis=1), batch_rows)
    empty, full = v[:, :1], v[:, 1:2]  # rows x 1 x outputs
    walks = v[:, 2:].reshape(n, permutations, 2, m - 1, -1)
    fwd = np.concatenate(
        [empty[:, None].repeat(permutations, 1), walks[:, :, 0], full[:, None].repeat(permutations, 1)],
        axis=2,
    )
    bwd = np.concatenate(
        [full[:, None].repeat(permutations, 1), walks[:, :, 1], empty[:, None].repeat(permutations, 1)],
        axis=2,
    )
    gains = np.diff(fwd, axis=2) - np.diff(bwd, axis=2)  # position i: the (i+1)-th feature of the walk
    per_feature = np.take_along_axis(gains, rank[..., None], axis=2)
    return per_feature.sum(axis=1) / (2 * permutations)


def shapley_values(
    f: Callable[[np.ndarray], np.ndarray],
    X: np.ndarray,
    background: np.ndarray,
    *,
    max_evals: int,
    random_state: int = 0,
    batch_rows: int = DEFAULT_BATCH_ROWS,
) -> ShapleyValues:
    """SHAP values of the rows of ``X`` for the model output ``f`` against ``background``.

    Parameters
    ----------
    f : callable
        Rows (a 2-D float array) to outputs: one per row, or one column per output.
    X, background : 2-D float arrays
        The rows to explain, and the rows whose values stand in for absent features.
    max_evals : int
        Coalitions evaluated per row: every one (exact) when ``2**M`` fit, else
        ``(max_evals - 2) // (2 (M - 1))`` permutations (at least one), each walked both ways.
    random_state : int
        Seed of the permutations.
    batch_rows : int
        Most rows in one call of ``f``.

    Examples
    --------
    >>> import numpy as np
    >>> w = np.array([1.0, -2.0, 0.5])
    >>> X, bg = np.eye(3), np.zeros((4, 3))
    >>> shapley_values(lambda a: a @ w, X, bg, max_evals=200).values[..., 0].round(6).tolist()
    [[1.0, 0.0, 0.0], [0.0, -2.0, 0.0], [0.0, 0.0, 0.5]]
    """
    X = np.asarray(X, dtype=float)
    background = np.asarray(background, dtype=float)
    m = X.shape[1]
    base = np.asarray(f(background), dtype=float).reshape(len(background), -1).mean(axis=0)
    if m == 1:
        values = _coalition_values(f, X, background, np.array([[True]]), batch_rows)[:, :, :] - base
        return ShapleyValues(values, base, "exact", 0)
    if uses_exact(m, max_evals):
        return ShapleyValues(_exact(f, X, background, batch_rows), base, "exact", 0)
    permutations = _permutations(m, max_evals)
    rng = np.random.default_rng(random_state)
    values = _permutation(f, X, background, permutations, rng, batch_rows)
    return ShapleyValues(values, base, "permutation", permutations)
