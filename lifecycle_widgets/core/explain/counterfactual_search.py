"""The search behind :func:`~lifecycle_widgets.core.explain.counterfactual.counterfactuals`:
many candidates per row generated in numpy, each batch scored by one model call, a diverse valid
set picked greedily, then made sparse and close.

For one row ``z0`` (encoded by a :class:`FeatureSpace`):

1. Single changes: every varied feature at its grid of quantiles (continuous) or its permitted
   categories; this finds every one-feature counterfactual among them, and ranks the features
   by how far one change moves the model towards the desired outcome.
2. Combinations: the best values of the most helpful features added one by one (prefixes),
   in pairs, and in random subsets of growing size drawn in proportion to their help; plus
   random changes of one to four features to values drawn from the reference data (dice-ml's
   "random" method).
3. Prototypes: the reference rows the model already gives the desired outcome, nearest first,
   copied into the row's varied features (dice-ml's "kdtree" idea).
   Where these give fewer than ``3 k`` valid candidates, the candidates closest to valid are
   evolved for a few generations (mutation and crossover, one batch each: dice-ml's "genetic"
   idea).
4. Dense valid candidates are made sparse: each change is ranked by how much reverting it alone
   costs, and the shortest valid prefix of that ranking is kept.
5. A few candidates, picked greedily for closeness and diversity, are moved back towards the
   row feature by feature (every changed feature tried at 0 %, 10 %, ..., 90 % of its change
   in one batch), keeping what stays valid: dice-ml's post-hoc sparsity, batched.
6. The final ``k`` are picked greedily: the cheapest first, then each next one minimising
   ``cost from the row - diversity_weight * spread from the nearest one already picked``
   (see :func:`select_diverse`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from lifecycle_widgets.core.explain.counterfactual_space import CONTINUOUS, FeatureSpace

__all__ = ["Goal", "SearchOutcome", "search_row", "select_diverse"]

TOP_PAIRS = 8  # features whose pairs of best values are tried
RANDOM_ROWS = 600  # random changes of one to four features
SUBSET_ROWS = 30  # random subsets per size
PROTOTYPES = 10  # nearest reference rows with the desired outcome
DENSE = 12  # dense valid candidates made sparse
SHRINK_ROUNDS = 3  # the joint step makes most of the way in the first round
FRACTIONS = np.linspace(0.0, 0.9, 10)  # a change tried at these shares of itself
GENERATIONS = 6  # of the evolutionary stage, run only while few valid candidates are known
PARENTS = 40
CHILDREN = 400
MIN_SPREAD = 0.25  # two counterfactuals differ by a quarter MAD of a number or a category at least


@dataclass
class Goal:
    """What counts as valid for one row: for a classifier, the desired classes (a mask over the
    columns of ``predict_proba``); for a regressor, the desired range. ``margin`` is positive
    exactly when valid (for a regressor, zero at the range's ends counts too)."""

    classes: np.ndarray | None = None  # bool mask over classes
    low: float = -np.inf
    high: float = np.inf

    def margin(self, out: np.ndarray) -> np.ndarray:
        """How far each output is inside the goal (negative: outside)."""
        if self.classes is None:
            return np.minimum(out - self.low, self.high - out)
        want = out[:, self.classes].max(axis=1)
        other = out[:, ~self.classes].max(axis=1) if (~self.classes).any() else np.zeros(len(out))
        return want - other

    def valid(self, margin: np.ndarray) -> np.ndarray:
        return margin >= 0 if self.classes is None else margin > 0


@dataclass
class SearchOutcome:
    """The counterfactuals found for one row (encoded) and how many candidates were scored."""

    Z: np.ndarray
    candidates: int
    notes: list[str] = field(default_factory=list)


class Scorer:
    """Scores matrices of candidates: decode, one model call per batch (of at most
    ``batch_rows`` rows), the goal's margin. Counts the candidates it scores."""

    def __init__(
        self,
        space: FeatureSpace,
        outputs: Callable[[pd.DataFrame], np.ndarray],
        base: pd.DataFrame,
        goal: Goal,
        batch_rows: int,
    ) -> None:
        self.space, self.outputs, self.base, self.goal, self.batch_rows = (
            space,
            outputs,
            base,
            goal,
            batch_rows,
        )
        self.count = 0

    def __call__(self, Z: np.ndarray) -> np.ndarray:
        if len(Z) == 0:
            return np.zeros(0)
        self.count += len(Z)
        parts = [
            self.outputs(self.space.decode(Z[i : i + self.batch_rows], self.base))
            for i in range(0, len(Z), self.batch_rows)
        ]
        return self.goal.margin(np.concatenate(parts))


def _with(z0: np.ndarray, rows: np.ndarray, cols: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    Z = np.tile(z0, (n, 1))
    Z[rows, cols] = values
    return Z


def _singles(space: FeatureSpace, z0: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Features and values of every single change."""
    feats, vals = [], []
    for j in np.flatnonzero(space.mutable):
        if space.kinds[j] == CONTINUOUS:
            v = space.quantize(space.grid[j], np.full(len(space.grid[j]), j))
            v = np.unique(v)
            v = v[~np.isclose(v, z0[j])] if np.isfinite(z0[j]) else v
        else:
            v = space.allowed[j][space.allowed[j] != z0[j]].astype(float)
        feats.append(np.full(len(v), j))
        vals.append(v)
    if not feats:
        return np.zeros(0, dtype=int), np.zeros(0)
    return np.concatenate(feats), np.concatenate(vals)


def _draw_values(space: FeatureSpace, j: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One random permitted value for each feature in ``j``: a continuous one from the reference
    rows (clipped into its range) or uniform in its range, half each; a category uniformly."""
    out = np.empty(len(j))
    cont = np.array([space.kinds[f] == CONTINUOUS for f in j], dtype=bool)
    if cont.any():
        jc = j[cont]
        picked = space.pool[rng.integers(0, len(space.pool), len(jc)), jc]
        uniform = space.lo[jc] + rng.random(len(jc)) * (space.hi[jc] - space.lo[jc])
        use = np.isnan(picked) | (rng.random(len(jc)) < 0.5)
        out[cont] = space.quantize(np.where(use, uniform, picked), jc)
    for i in np.flatnonzero(~cont):
        options = space.allowed[j[i]]
        out[i] = options[rng.integers(0, len(options))]
    return out


def select_diverse(
    space: FeatureSpace, Z: np.ndarray, z0: np.ndarray, k: int, diversity_weight: float
) -> np.ndarray:
    """Indices of up to ``k`` distinct rows of ``Z``: the cheapest to reach from ``z0`` first
    (:meth:`FeatureSpace.cost`, the sparsest of equals), then each next one minimising its cost
    minus ``diversity_weight`` times its :meth:`FeatureSpace.spread` from the nearest row
    already picked. A row counts as distinct when that spread is at least ``MIN_SPREAD``."""
    if len(Z) == 0:
        return np.zeros(0, dtype=int)
    c0 = space.cost(Z, z0) + 1e-6 * space.changed(Z, z0).sum(axis=1)
    picked = [int(np.argmin(c0))]
    nearest = np.full(len(Z), np.inf)
    while len(picked) < k:
        nearest = np.minimum(nearest, space.spread(Z, Z[picked[-1]]))
        eligible = nearest >= MIN_SPREAD
        if not eligible.any():
            break
        score = np.where(eligible, c0 - diversity_weight * nearest, np.inf)
        picked.append(int(np.argmin(score)))
    return np.asarray(picked, dtype=int)


def _unique_rows(Z: np.ndarray) -> np.ndarray:
    if len(Z) == 0:
        return Z
    _, index = np.unique(np.nan_to_num(Z, nan=-1e308), axis=0, return_index=True)
    return Z[np.sort(index)]


def _sparsify(
    score: Scorer, space: FeatureSpace, z0: np.ndarray, dense: np.ndarray, margin: np.ndarray
) -> np.ndarray:
    """Each dense valid candidate (``margin``: their margins) cut to the shortest valid prefix
    of its changes, ranked by how much reverting each alone lowers the margin (two batches for
    all candidates)."""
    if len(dense) == 0:
        return dense
    changed = space.changed(dense, z0)
    rows, cols = np.nonzero(changed)
    reverted = dense[rows].copy()
    reverted[np.arange(len(rows)), cols] = z0[cols]
    drop = margin[rows] - score(reverted)
    trials, owners, sizes = [], [], []
    for c in range(len(dense)):
        mine = rows == c
        order = cols[mine][np.argsort(-drop[mine], kind="stable")]
        m = len(order)
        steps = np.unique(
            np.concatenate([np.arange(1, min(m, 24) + 1), np.geomspace(1, m, 16).round()])
        ).astype(int)
        for s in steps:
            t = z0.copy()
            t[order[:s]] = dense[c, order[:s]]
            trials.append(t)
            owners.append(c)
            sizes.append(s)
    T = np.asarray(trials)
    ok = score.goal.valid(score(T))
    owners_a, sizes_a = np.asarray(owners), np.asarray(sizes)
    out = []
    for c in range(len(dense)):
        hits = np.flatnonzero((owners_a == c) & ok)
        out.append(T[hits[np.argmin(sizes_a[hits])]] if hits.size else dense[c])
    return np.asarray(out)


def _shrink(
    score: Scorer, space: FeatureSpace, z0: np.ndarray, Z: np.ndarray, rounds: int = SHRINK_ROUNDS
) -> np.ndarray:
    """Move each valid candidate back towards ``z0`` feature by feature while it stays valid:
    each round tries every changed feature at 0 %, 10 %, ..., 90 % of its change (a category
    only reverted), takes each feature's closest valid value, and keeps all of them at once if
    that is valid, else the one that saves the most distance."""
    Z = Z.copy()
    active = np.ones(len(Z), dtype=bool)
    for _ in range(rounds):
        if not active.any():
            break
        trials, owner, feat = [], [], []
        for c in np.flatnonzero(active):
            for j in np.flatnonzero(space.changed(Z[[c]], z0)[0]):
                if space.kinds[j] == CONTINUOUS and np.isfinite(z0[j]):
                    values = space.quantize(z0[j] + FRACTIONS * (Z[c, j] - z0[j]), np.full(len(FRACTIONS), j))
                    values = np.unique(values[values != Z[c, j]])
                else:
                    values = np.array([z0[j]])
                for v in values:
                    t = Z[c].copy()
                    t[j] = v
                    trials.append(t)
                    owner.append(c)
                    feat.append(j)
        if not trials:
            break
        T, owner_a, feat_a = np.asarray(trials), np.asarray(owner), np.asarray(feat)
        ok = score.goal.valid(score(T))
        saved = space.cost(Z[owner_a], z0) - space.cost(T, z0)
        best: dict[int, dict[int, int]] = {}
        for i in np.flatnonzero(ok & (saved > 0)):
            c, j = int(owner_a[i]), int(feat_a[i])
            if j not in best.setdefault(c, {}) or saved[i] > saved[best[c][j]]:
                best[c][j] = int(i)
        active[:] = False
        if not best:
            break
        cands = sorted(best)
        joint = np.asarray([Z[c].copy() for c in cands])
        for r, c in enumerate(cands):
            for j, i in best[c].items():
                joint[r, j] = T[i, j]
        joint_ok = score.goal.valid(score(joint))
        for r, c in enumerate(cands):
            if joint_ok[r]:
                Z[c] = joint[r]
            else:
                i = max(best[c].values(), key=lambda i: saved[i])
                Z[c] = T[i]
            active[c] = True
    return Z


def _evolve(
    space: FeatureSpace,
    score: Scorer,
    z0: np.ndarray,
    seen: np.ndarray,
    margin: np.ndarray,
    rng: np.random.Generator,
    *,
    enough: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Valid candidates (and their margins) bred from the ``PARENTS`` scored candidates with the highest margin:
    each generation mutates one or two varied features of a parent (to a value drawn as the
    random candidates draw theirs) or crosses two parents feature by feature, one batch per
    generation, until ``enough`` valid ones are found or ``GENERATIONS`` have passed."""
    mutable = np.flatnonzero(space.mutable)
    out: list[np.ndarray] = []
    out_margin: list[np.ndarray] = []
    if enough <= 0 or mutable.size == 0 or len(seen) == 0:
        return np.zeros((0, len(z0))), np.zeros(0)
    for _ in range(GENERATIONS):
        order = np.argsort(-margin, kind="stable")[:PARENTS]
        parents = seen[order]
        n = CHILDREN // 2
        pick = rng.integers(0, len(parents), n)
        mutants = parents[pick].copy()
        sizes = rng.integers(1, min(2, mutable.size) + 1, n)
        rows = np.repeat(np.arange(n), sizes)
        cols = np.concatenate([rng.choice(mutable, size=s, replace=False) for s in sizes])
        mutants[rows, cols] = _draw_values(space, cols, rng)
        a, b = parents[rng.integers(0, len(parents), n)], parents[rng.integers(0, len(parents), n)]
        crosses = np.where(rng.random((n, len(z0))) < 0.5, a, b)
        children = np.concatenate([mutants, crosses])
        child_margin = score(children)
        ok = score.goal.valid(child_margin)
        out.append(children[ok])
        out_margin.append(child_margin[ok])
        if sum(len(o) for o in out) >= enough:
            break
        seen = np.concatenate([parents, children])
        margin = np.concatenate([margin[order], child_margin])
    return np.concatenate(out), np.concatenate(out_margin)


def search_row(
    space: FeatureSpace,
    score: Scorer,
    z0: np.ndarray,
    *,
    k: int,
    rng: np.random.Generator,
    diversity_weight: float,
    pool_margin: np.ndarray,
) -> SearchOutcome:
    """Up to ``k`` diverse valid counterfactuals of row ``z0`` (see the module's docstring);
    ``pool_margin`` is the goal's margin of each of ``space.pool``'s rows."""
    valid = score.goal.valid
    m0 = float(score(z0[None, :])[0])
    found: list[np.ndarray] = []

    # 1. single changes
    sf, sv = _singles(space, z0)
    single_rows = _with(z0, np.arange(len(sf)), sf, sv, len(sf))
    single_margin = score(single_rows)
    hit = valid(single_margin)
    if hit.any():
        found.append(_with(z0, np.arange(hit.sum()), sf[hit], sv[hit], int(hit.sum())))
    mutable = np.flatnonzero(space.mutable)
    gain = np.full(len(space.names), -np.inf)
    top_values: dict[int, np.ndarray] = {}
    for j in mutable:
        mine = np.flatnonzero(sf == j)
        if mine.size:
            order = mine[np.argsort(-single_margin[mine], kind="stable")]
            gain[j] = single_margin[order[0]] - m0
            top_values[j] = sv[order[:3]]

    # 2. combinations of helpful changes, and random changes
    ranked = [j for j in np.argsort(-gain, kind="stable") if j in top_values]
    helpful = [j for j in ranked if gain[j] > 0] or ranked[: max(1, len(ranked) // 4)]
    combos: list[np.ndarray] = []
    for m in range(2, len(helpful) + 1):  # prefixes of the best single values
        t = z0.copy()
        for j in helpful[:m]:
            t[j] = top_values[j][0]
        combos.append(t)
    top = helpful[:TOP_PAIRS]
    for a in range(len(top)):
        for b in range(a + 1, len(top)):
            for va in top_values[top[a]]:
                for vb in top_values[top[b]]:
                    t = z0.copy()
                    t[top[a]], t[top[b]] = va, vb
                    combos.append(t)
    if len(helpful) > 2:
        weight = np.maximum(gain[helpful], 0) + 1e-9
        weight = weight / weight.sum()
        for size in np.unique(np.geomspace(2, len(helpful), 8).round().astype(int)):
            for _ in range(SUBSET_ROWS):
                t = z0.copy()
                for j in rng.choice(helpful, size=size, replace=False, p=weight):
                    options = top_values[j]
                    t[j] = options[min(int(rng.geometric(0.6)) - 1, len(options) - 1)]
                combos.append(t)
    if mutable.size:
        sizes = rng.integers(1, min(4, mutable.size) + 1, RANDOM_ROWS)
        rows = np.repeat(np.arange(RANDOM_ROWS), sizes)
        cols = np.concatenate([rng.choice(mutable, size=s, replace=False) for s in sizes])
        randoms = _with(z0, rows, cols, _draw_values(space, cols, rng), RANDOM_ROWS)
        combos.extend(randoms)
    C = np.asarray(combos) if combos else np.zeros((0, len(z0)))

    # 3. prototypes: reference rows with the desired outcome, copied into the varied features
    P = space.pool[valid(pool_margin)]
    proto = np.zeros((0, len(z0)))
    if len(P):
        near = np.argsort(space.cost(np.where(space.mutable, P, z0), z0), kind="stable")[:PROTOTYPES]
        proto = np.tile(z0, (len(near), 1))
        for j in mutable:
            v = P[near, j]
            if space.kinds[j] == CONTINUOUS:
                v = np.where(np.isnan(v), z0[j], np.clip(v, space.lo[j], space.hi[j]))
            else:
                v = np.where(np.isin(v, space.allowed[j]), v, z0[j])
            proto[:, j] = v
    both_margin = score(np.concatenate([C, proto]))  # one batch for both
    C_margin, proto_margin = both_margin[: len(C)], both_margin[len(C) :]
    C_ok, C_ok_margin = C[valid(C_margin)], C_margin[valid(C_margin)]
    found.append(C_ok)
    archive, margins = [proto, C, single_rows], [proto_margin, C_margin, single_margin]
    proto, proto_ok_margin = proto[valid(proto_margin)], proto_margin[valid(proto_margin)]

    # 3b. where few were found: evolve the candidates closest to valid (dice-ml's "genetic" idea)
    evolved = _evolve(
        space,
        score,
        z0,
        np.concatenate(archive),
        np.concatenate(margins),
        rng,
        enough=3 * k - len(C_ok) - len(proto),
    )
    found.append(evolved[0])

    # 4. dense valid candidates made sparse
    dense_pool = np.concatenate([proto, C_ok, evolved[0]])
    dense_margin = np.concatenate([proto_ok_margin, C_ok_margin, evolved[1]])
    many = space.changed(dense_pool, z0).sum(axis=1) > 3
    dense, dense_margin = dense_pool[many], dense_margin[many]
    if len(dense) > DENSE:
        keep = np.argsort(space.cost(dense, z0), kind="stable")[:DENSE]
        dense, dense_margin = dense[keep], dense_margin[keep]
    found.append(_sparsify(score, space, z0, dense, dense_margin))

    pool = _unique_rows(np.concatenate([f for f in found if len(f)])) if any(len(f) for f in found) else None
    if pool is None or len(pool) == 0:
        return SearchOutcome(np.zeros((0, len(z0))), score.count)

    # 5. a few diverse candidates moved back towards the row, 6. the final pick
    shortlist = pool[select_diverse(space, pool, z0, max(3 * k, 8), diversity_weight)]
    near = pool[np.argsort(space.cost(pool, z0), kind="stable")[: max(k, 4)]]
    shortlist = _unique_rows(np.concatenate([shortlist, near]))
    shrunk = _unique_rows(_shrink(score, space, z0, shortlist))
    for _ in range(2):  # a diverse pick may need candidates that were not moved back yet
        both = np.concatenate([shrunk, pool])
        chosen = select_diverse(space, both, z0, k, diversity_weight)
        fresh = chosen[chosen >= len(shrunk)]
        if fresh.size == 0:
            break
        shrunk = _unique_rows(np.concatenate([shrunk, _shrink(score, space, z0, both[fresh], rounds=2)]))
    both = np.concatenate([shrunk, pool])
    return SearchOutcome(both[select_diverse(space, both, z0, k, diversity_weight)], score.count)
