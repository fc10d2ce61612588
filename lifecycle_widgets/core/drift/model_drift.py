"""Drift of how the model decides: its feature attribution ranking (nDCG against the baseline's,
as SageMaker Clarify's feature attribution drift), the magnitude of its attributions (each
feature's share of the mean |SHAP| and their total: a feature whose mean |SHAP| falls from 0.30 to
0.07 keeps its rank and loses most of its weight), and its bias metrics for a facet."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from lifecycle_widgets.exceptions import ParameterError

ATTRIBUTION_ROWS = 500
MIN_ATTRIBUTION_ROWS = 50
MODEL_ROWS_BUDGET = 2_500_000  # model predictions for model-agnostic SHAP of the sample
BACKGROUND_ROWS = 100
NDCG_THRESHOLD = 0.9
BIAS_TOLERANCE = 0.1
POST_TRAINING = ("DPPL", "DI", "DCAcc", "DCR", "RD", "DAR", "DRR", "AD")


def _features(model: Any, frame: pd.DataFrame, target: str | None) -> pd.DataFrame:
    names = getattr(model, "feature_names_in_", None)
    if names is not None:
        return frame[[n for n in names]]
    return frame.drop(columns=[c for c in (target,) if c and c in frame.columns])


def attribution_rows(
    model: Any, sample: pd.DataFrame | None, target: str | None, *, random_state: int = 0
) -> tuple[list[str], np.ndarray] | None:
    """|SHAP| of each raw feature on each of up to 500 rows of ``sample``: the feature names and
    a rows x features matrix (None without SHAP or a model).

    Model-agnostic SHAP predicts a background's worth of rows per coalition of features: the
    rows explained are then as many as 2.5 million model predictions allow (for 64 features,
    195 rows), and at least 50. A multiclass model's |SHAP| is the mean over classes of each
    class's |SHAP| (all classes come from the same model calls).
    """
    if model is None or sample is None or len(sample) == 0:
        return None
    try:
        from lifecycle_widgets.core.explain.attributions import Attributor
        from lifecycle_widgets.core.explain.models import view_model
    except ImportError:  # pragma: no cover - shap missing: no attribution drift
        return None
    X = _features(model, sample, target).head(ATTRIBUTION_ROWS)
    view = view_model(model, X, caller="Baseline")
    background = X.sample(min(len(X), BACKGROUND_ROWS), random_state=random_state)
    attributor = Attributor(view, background, random_state=random_state)
    cost = attributor.model_rows_per_row
    if cost:  # model-agnostic SHAP: as many rows as the budget of model predictions allows
        X = X.head(max(MIN_ATTRIBUTION_ROWS, MODEL_ROWS_BUDGET // cost))
    result = attributor(X)
    if result.per_class is not None:
        rows = np.abs(np.asarray(result.per_class, dtype=float)).mean(-1)
    else:
        rows = np.abs(np.asarray(result.values, dtype=float))
    return list(view.features), rows


def attribution(
    model: Any, sample: pd.DataFrame | None, target: str | None, *, random_state: int = 0
) -> dict[str, float] | None:
    """Mean |SHAP| per raw feature on up to 500 rows of ``sample`` (None without SHAP or a
    model); see :func:`attribution_rows`."""
    found = attribution_rows(model, sample, target, random_state=random_state)
    if found is None:
        return None
    features, rows = found
    return {f: float(v) for f, v in zip(features, rows.mean(0), strict=True)}


# --- magnitude: each feature's share of the attribution, and the total ----------------------------

#: a feature's share of the mean |SHAP| may change by this much (relative) before it counts
SHARE_CHANGE = 0.25
#: the total mean |SHAP| (summed over features) likewise
MASS_CHANGE = 0.25
#: shares below this on both sides are not judged: a tiny attribution's relative change is noise
MIN_SHARE = 0.05
MAGNITUDE_RESAMPLES = 200


@dataclass(frozen=True)
class AttributionShift:
    """A change in how much the model leans on a feature (``measure`` ``"share"``: the feature's
    share of the total mean |SHAP|) or on all of them (``"mass"``, ``name`` ``""``: the total),
    with a test of the change against the sampling error of both sides' per-row |SHAP|."""

    name: str
    measure: str
    baseline: float
    batch: float
    change: float | None  # relative: (batch - baseline) / baseline; None where the baseline is 0
    threshold: float
    p_value: float | None
    p_adjusted: float | None
    violated: bool


def _shares_and_mass(rows: np.ndarray) -> tuple[np.ndarray, float]:
    means = rows.mean(0)
    mass = float(means.sum())
    return (means / mass if mass > 0 else np.zeros_like(means)), mass


def magnitude_errors(rows: np.ndarray, features: list[str], *, random_state: int = 0) -> dict[str, Any]:
    """Bootstrap standard errors of each feature's share and of the total mean |SHAP| from per-row
    |SHAP| (rows x features): ``{"shares": {feature: sd}, "mass": sd}``."""
    rng = np.random.default_rng(random_state)
    n = len(rows)
    shares, masses = [], []
    for _ in range(MAGNITUDE_RESAMPLES):
        sh, mass = _shares_and_mass(rows[rng.integers(0, n, n)])
        shares.append(sh)
        masses.append(mass)
    sd = np.std(np.asarray(shares), axis=0, ddof=1)
    return {
        "shares": {f: float(v) for f, v in zip(features, sd, strict=True)},
        "mass": float(np.std(masses, ddof=1)),
    }


def magnitude_shifts(
    baseline: dict[str, float],
    errors: dict[str, Any] | None,
    features: list[str],
    rows: np.ndarray,
    *,
    share_change: float = SHARE_CHANGE,
    mass_change: float = MASS_CHANGE,
    min_share: float = MIN_SHARE,
    alpha: float = 0.01,
    correction: str = "holm",
) -> tuple[AttributionShift, ...]:
    """Each feature's share of the attribution and the total attribution of a batch (per-row
    |SHAP| ``rows``) against the baseline's. A shift is a violation where its relative change
    passes its threshold and a z test of the difference (batch standard error bootstrapped from
    its rows, the baseline's from ``errors``) says beyond sampling noise after ``correction``
    over every measure tested; shares below ``min_share`` on both sides are not judged.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> before = np.abs(rng.normal(size=(400, 3))) * [0.375, 0.075, 0.0375]  # mean |SHAP| 0.3, 0.06, 0.03
    >>> base = dict(zip("abc", before.mean(0)))
    >>> errors = magnitude_errors(before, list("abc"))
    >>> after = before * [0.07 / 0.3, 1, 1]  # a falls from 0.30 to 0.07: its rank is unchanged
    >>> [(s.name, s.measure) for s in magnitude_shifts(base, errors, list("abc"), after) if s.violated]
    [('a', 'share'), ('b', 'share'), ('c', 'share'), ('', 'mass')]
    """
    from lifecycle_widgets.core.drift.significance import adjust

    names = [f for f in features if f in baseline]
    if not names or len(rows) < 2:
        return ()
    index = [features.index(f) for f in names]
    rows = rows[:, index]
    batch_errors = magnitude_errors(rows, names)
    base_means = np.array([baseline[f] for f in names], dtype=float)
    base_mass = float(base_means.sum())
    if base_mass <= 0:
        return ()
    base_shares = base_means / base_mass
    shares, mass = _shares_and_mass(rows)
    base_sd = (errors or {}).get("shares", {})
    found: list[tuple[str, str, float, float, float, float | None]] = []
    for f, b, c in zip(names, base_shares, shares, strict=True):
        if max(b, c) < min_share:
            continue
        sd = math.hypot(batch_errors["shares"][f], float(base_sd.get(f, 0.0)))
        found.append((f, "share", float(b), float(c), share_change, _two_sided(c - b, sd)))
    sd = math.hypot(batch_errors["mass"], float((errors or {}).get("mass", 0.0)))
    found.append(("", "mass", base_mass, mass, mass_change, _two_sided(mass - base_mass, sd)))
    adjusted = adjust([p for *_, p in found], correction)
    out = []
    for (name, measure, b, c, threshold, p), p_adj in zip(found, adjusted, strict=True):
        change = (c - b) / b if b > 0 else math.inf
        evidence = alpha >= 1 or (p_adj is not None and p_adj < alpha)
        out.append(
            AttributionShift(
                name, measure, b, c, change, threshold, p, p_adj, abs(change) > threshold and evidence
            )
        )
    return tuple(out)


def _two_sided(difference: float, sd: float) -> float | None:
    """The two-sided normal p-value of ``difference`` with standard error ``sd``."""
    from scipy import stats

    if not math.isfinite(difference):
        return None
    if sd <= 0:
        return 1.0 if difference == 0 else 0.0
    return float(2 * stats.norm.sf(abs(difference) / sd))


def ndcg(baseline: dict[str, float], current: dict[str, float]) -> float:
    """nDCG of the current ranking of features, with the baseline attributions as relevance."""
    features = [f for f in baseline if f in current]
    relevance = np.array([baseline[f] for f in features])
    if relevance.sum() == 0:
        return 1.0
    order = np.argsort([-current[f] for f in features], kind="stable")
    discount = 1 / np.log2(np.arange(2, len(features) + 2))
    dcg = float((relevance[order] * discount).sum())
    idcg = float((np.sort(relevance)[::-1] * discount).sum())
    return dcg / idcg


def _bias_inputs(
    model: Any, sample: pd.DataFrame, target: str, facet: str, facet_values: Any
) -> tuple[Any, ...]:
    from lifecycle_widgets.core.explain.bias import bias_report

    X = _features(model, sample, target)
    frame = X if facet in X.columns else X.assign(**{facet: sample[facet].to_numpy()})
    y, pred = sample[target].to_numpy(), np.asarray(model.predict(X))
    report = bias_report(frame, y, pred, facet=facet, facet_values=facet_values)
    d = sample[facet].astype(str).isin([str(v) for v in report.facet_values]).to_numpy()
    positive = report.positive_label
    return report, d, np.asarray(y).astype(str) == positive, np.asarray(pred).astype(str) == positive


def bias(
    model: Any, sample: pd.DataFrame | None, target: str | None, facet: str | None, facet_values: Any
) -> dict[str, float | None] | None:
    """Post-training bias metrics of the model on ``sample`` (None without a facet, labels or model)."""
    if model is None or sample is None or facet is None or target is None or target not in sample.columns:
        return None
    from lifecycle_widgets.core.explain.estimator import model_task

    if not model_task(model, "Baseline").is_classifier:
        raise ParameterError.bad_value(
            "facet", "Baseline", "None for a regressor (bias metrics compare classification outcomes)", facet
        )
    report = _bias_inputs(model, sample, target, facet, facet_values)[0]
    return {m.name: m.value for m in report.metrics if m.name in POST_TRAINING}


def bias_tolerances(
    model: Any,
    sample: pd.DataFrame,
    target: str,
    facet: str,
    facet_values: Any,
    *,
    resamples: int = 20,
    random_state: int = 0,
) -> dict[str, float]:
    """How far each metric may move before it counts as drift: four bootstrap standard errors of
    the baseline's value (a batch adds its own sampling noise), and at least 0.1."""
    from lifecycle_widgets.core.explain import bias as b

    _, d, y, yhat = _bias_inputs(model, sample, target, facet, facet_values)
    funcs = {
        "DPPL": lambda i: b.dppl(d[i], yhat[i]),
        "DI": lambda i: b.di(d[i], yhat[i]),
        "DCAcc": lambda i: b.dcacc(d[i], y[i], yhat[i]),
        "DCR": lambda i: b.dcr(d[i], y[i], yhat[i]),
        "RD": lambda i: b.rd(d[i], y[i], yhat[i]),
        "DAR": lambda i: b.dar(d[i], y[i], yhat[i]),
        "DRR": lambda i: b.drr(d[i], y[i], yhat[i]),
        "AD": lambda i: b.ad(d[i], y[i], yhat[i]),
    }
    rng = np.random.default_rng(random_state)
    draws: dict[str, list[float]] = {k: [] for k in funcs}
    for _ in range(resamples):
        idx = rng.integers(0, len(d), len(d))
        for name, f in funcs.items():
            value = f(idx).value
            if value is not None:
                draws[name].append(value)
    return {k: max(BIAS_TOLERANCE, 4 * float(np.std(v))) for k, v in draws.items() if len(v) > 1}


def suggest_bias_constraints(
    facet: str, facet_values: Any, values: dict[str, float | None], tolerances: dict[str, float]
) -> dict[str, Any]:
    """Bounds around each baseline metric, as wide as :func:`bias_tolerances` says."""
    bounds = {
        k: {"lower": v - tolerances.get(k, BIAS_TOLERANCE), "upper": v + tolerances.get(k, BIAS_TOLERANCE)}
        for k, v in values.items()
        if v is not None
    }
    return {
        "facet": facet,
        "facet_values": None if facet_values is None else [str(v) for v in np.atleast_1d(facet_values)],
        "metrics": bounds,
    }
