"""How stable is a local explanation? Rank agreement across seeds, backgrounds and small input
perturbations, for SHAP and LIME side by side."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pandas as pd

from lifecycle_widgets.core.explain.attributions import Attributor
from lifecycle_widgets.core.explain.lime_ import LimeExplainer
from lifecycle_widgets.core.result import Result


@dataclass(frozen=True)
class StabilityScore:
    """Agreement of one method's explanations under one kind of variation."""

    method: str  # "shap" or "lime"
    variation: str  # "seeds", "backgrounds" or "perturbations"
    kendall_tau: float
    top_k_overlap: float
    max_change: float
    runs: int


@dataclass(frozen=True)
class Stability(Result):
    """Agreement of a row's explanations across seeds, backgrounds and small perturbations.

    Examples
    --------
    >>> from lifecycle_widgets.core.explain.stability import Stability, StabilityScore
    >>> stab = Stability(3, (StabilityScore("shap", "seeds", 1.0, 1.0, 0.0, 5),
    ...                      StabilityScore("shap", "backgrounds", 0.6, 0.8, 0.1, 5)), 0.01)
    >>> stab.score("shap")
    0.8
    """

    kind: ClassVar[str] = "explanation_stability"

    row: int
    scores: tuple[StabilityScore, ...]
    noise: float

    def to_frame(self) -> pd.DataFrame:
        """One row per method and kind of variation: method, variation, kendall_tau,
        top_k_overlap, max_change and runs.

        Examples
        --------
        >>> stab = Stability(3, (StabilityScore("shap", "seeds", 1.0, 1.0, 0.0, 5),), 0.01)
        >>> stab.to_frame()
          method variation  kendall_tau  top_k_overlap  max_change  runs
        0   shap     seeds          1.0            1.0         0.0     5
        """
        columns = ["method", "variation", "kendall_tau", "top_k_overlap", "max_change", "runs"]
        return pd.DataFrame([vars(s) for s in self.scores], columns=columns)

    def score(self, method: str) -> float:
        """Mean Kendall tau of ``method`` ("shap" or "lime") over every variation."""
        return float(np.mean([s.kendall_tau for s in self.scores if s.method == method]))


def rank_agreement(
    reference: np.ndarray, variants: Sequence[np.ndarray], k: int = 5
) -> tuple[float, float, float]:
    """Mean Kendall tau of |attribution| rankings, mean top-k overlap, and the largest change of
    one attribution relative to the reference's total |attribution|.

    Examples
    --------
    >>> import numpy as np
    >>> rank_agreement(np.array([3.0, 2.0, 1.0]), [np.array([3.0, 2.0, 1.0]), np.array([1.0, 2.0, 3.0])])
    (0.0, 1.0, 0.3333333333333333)
    """
    from scipy.stats import kendalltau  # here, not at import: scipy.stats costs 0.6 s and 60 MB

    ref = np.abs(reference)
    taus, overlaps, changes = [], [], []
    top_ref = set(np.argsort(-ref)[:k])
    total = float(ref.sum()) or 1.0
    for v in variants:
        tau = kendalltau(ref, np.abs(v)).statistic
        taus.append(1.0 if np.isnan(tau) else float(tau))
        overlaps.append(len(top_ref & set(np.argsort(-np.abs(v))[:k])) / min(k, len(ref)))
        changes.append(float(np.abs(v - reference).max()) / total)
    return float(np.mean(taus)), float(np.mean(overlaps)), float(np.max(changes))


def perturb(one: pd.DataFrame, X: pd.DataFrame, noise: float, seed: int) -> pd.DataFrame:
    """The row with every finite float feature moved by ``noise`` standard deviations (Gaussian)."""
    rng = np.random.default_rng(seed)
    out = one.copy()
    for c in X.columns:
        col = X[c]
        if pd.api.types.is_float_dtype(col) and np.isfinite(out[c].iloc[0]):
            out[c] = out[c] + rng.normal(0, noise * float(col[np.isfinite(col)].std() or 1.0))
    return out


def measure_stability(
    attributor: Attributor,
    lime: LimeExplainer,
    X: pd.DataFrame,
    row: int,
    *,
    reference_shap: np.ndarray,
    runs: int,
    noise: float,
    random_state: int,
    background_rows: int,
) -> Stability:
    """Re-explain row ``row`` of ``X`` ``runs`` times under each variation and compare the
    rankings with the reference: other seeds (of the permutation SHAP estimate and of LIME's
    sampling), other background samples drawn from ``X``, and Gaussian perturbations of the row."""
    view, algorithm = attributor.view, attributor.algorithm
    one = X.iloc[[row]]
    ref_lime = lime.weights(one, seed=random_state)[0]
    seeds = [random_state + 1 + i for i in range(runs)]
    backgrounds = [X.sample(min(len(X), background_rows), random_state=s) for s in seeds]
    perturbed = [perturb(one, X, noise, s) for s in seeds]

    def shap_with(background: pd.DataFrame, seed: int) -> np.ndarray:
        # tree SHAP reads no background unless asked to: the interventional variant does
        other = Attributor(
            view, background, random_state=seed, algorithm=algorithm, interventional=algorithm == "tree"
        )
        return other(one).values[0]

    deterministic = algorithm != "permutation"
    shap_runs = {
        "seeds": [reference_shap] * runs
        if deterministic
        else [Attributor(view, attributor.background, random_state=s)(one).values[0] for s in seeds],
        "backgrounds": [shap_with(b, random_state) for b in backgrounds],
        "perturbations": [attributor(p).values[0] for p in perturbed],
    }
    lime_runs = {
        "seeds": [lime.weights(one, seed=s)[0] for s in seeds],
        "backgrounds": [LimeExplainer(view, b).weights(one, seed=random_state)[0] for b in backgrounds],
        "perturbations": [lime.weights(p, seed=random_state)[0] for p in perturbed],
    }
    scores = []
    for method, ref, table in (("shap", reference_shap, shap_runs), ("lime", ref_lime, lime_runs)):
        for variation, variants in table.items():
            tau, overlap, change = rank_agreement(ref, variants)
            scores.append(StabilityScore(method, variation, tau, overlap, change, len(variants)))
    return Stability(row, tuple(scores), noise)
