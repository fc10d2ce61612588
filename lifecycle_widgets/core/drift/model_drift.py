"""Drift of how the model decides: its feature attribution ranking (nDCG against the baseline's,
as SageMaker Clarify's feature attribution drift) and its bias metrics for a facet."""

from __future__ import annotations

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


def attribution(
    model: Any, sample: pd.DataFrame | None, target: str | None, *, random_state: int = 0
) -> dict[str, float] | None:
    """Mean |SHAP| per raw feature on up to 500 rows of ``sample`` (None without SHAP or a model).

    Model-agnostic SHAP predicts a background's worth of rows per coalition of features: the
    rows explained are then as many as 2.5 million model predictions allow (for 64 features,
    195 rows), and at least 50.

    A multiclass model's ranking is that of every class: the mean over classes of each class's
    mean |SHAP| (all classes come from the same model calls).
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
        mean_abs = np.abs(result.per_class).mean(0).mean(-1)
    else:
        mean_abs = np.abs(result.values).mean(0)
    return {f: float(v) for f, v in zip(view.features, mean_abs, strict=True)}


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
