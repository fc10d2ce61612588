"""How stable is a local explanation? Rank agreement across seeds, backgrounds and small input
perturbations, for SHAP and LIME side by side."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class StabilityScore:
    """Agreement of one method's explanations under one kind of variation."""

    method: str  # "shap" or "lime"
    variation: str  # "seeds", "backgrounds" or "perturbations"
    kendall_tau: float
    top_k_overlap: float
    max_change: float
    runs: int


def rank_agreement(
    reference: np.ndarray, variants: list[np.ndarray], k: int = 5
) -> tuple[float, float, float]:
    """Mean Kendall tau of |attribution| rankings, mean top-k overlap, and the largest change of
    one attribution relative to the reference's total |attribution|."""
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
