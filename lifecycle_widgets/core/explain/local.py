"""The local explanation of one row: its SHAP values, LIME weights, a counterfactual, its ICE
curves and the spread of its prediction over a bootstrap ensemble."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from lifecycle_widgets.core.explain.ale import values_like
from lifecycle_widgets.core.explain.counterfactual import counterfactual
from lifecycle_widgets.core.explain.explanation import (
    Contribution,
    Explanation,
    LocalExplanation,
    RowDependence,
    Uncertainty,
)
from lifecycle_widgets.core.explain.lime_ import LimeExplainer
from lifecycle_widgets.core.explain.models import ModelView


def text(value: Any) -> str:
    """A feature value as the results show it (floats to 6 significant digits)."""
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def row_ice(
    exp: Explanation, view: ModelView, X: pd.DataFrame, one: pd.DataFrame
) -> tuple[RowDependence, ...]:
    """The row's ICE curve for every feature with a partial dependence, in one model call."""
    frames = []
    for dep in exp.dependence:
        frame = pd.concat([one] * len(dep.grid), ignore_index=True)
        values = list(dep.grid)
        if not dep.categorical:
            frame[dep.feature] = (
                values_like(np.asarray(values, dtype=float), X[dep.feature].dtype)
                if pd.api.types.is_integer_dtype(X[dep.feature])
                else values
            )
        else:
            lookup = {str(v): v for v in X[dep.feature].dropna().unique()}
            frame[dep.feature] = [lookup.get(v, v) for v in values]
        frames.append(frame)
    if not frames:
        return ()
    curves = np.split(
        view.output(pd.concat(frames, ignore_index=True)), np.cumsum([len(f) for f in frames])[:-1]
    )
    return tuple(
        RowDependence(dep.feature, dep.grid, tuple(float(v) for v in curve), text(one[dep.feature].iloc[0]))
        for dep, curve in zip(exp.dependence, curves, strict=True)
    )


def bootstrap_uncertainty(view: ModelView, ensemble: Sequence[Any], one: pd.DataFrame) -> Uncertainty | None:
    """Mean, spread and 90 % interval of the row's output over the ensemble's models."""
    if not ensemble:
        return None
    preds = np.array([view.with_model(m).output(one)[0] for m in ensemble])
    return Uncertainty(
        float(preds.mean()),
        float(preds.std()),
        float(np.quantile(preds, 0.05)),
        float(np.quantile(preds, 0.95)),
        len(preds),
    )


def local_explanation(
    exp: Explanation,
    view: ModelView,
    X: pd.DataFrame,
    y: np.ndarray | None,
    row: int,
    *,
    shap_values: np.ndarray,
    lime: LimeExplainer,
    immutable: Sequence[str],
    ensemble: Sequence[Any],
    random_state: int,
) -> LocalExplanation:
    """Explain row ``row`` of ``X`` (whose global explanation is ``exp``) given its SHAP values."""
    one = X.iloc[[row]]
    weights, intercept, score = lime.weights(one, seed=random_state)
    values = [text(v) for v in one.iloc[0].tolist()]
    order = [exp.features[i] for i in np.argsort(-np.abs(shap_values))]
    raw_decision = view.model.predict(one)[0]
    cf = counterfactual(view, X, one, order=order, immutable=tuple(immutable), before=raw_decision)

    def contributions(attr: np.ndarray) -> tuple[Contribution, ...]:
        items = [Contribution(f, v, float(a)) for f, v, a in zip(exp.features, values, attr, strict=True)]
        return tuple(sorted(items, key=lambda c: -abs(c.attribution)))

    return LocalExplanation(
        row=row,
        prediction=float(view.output(one)[0]),
        decision=str(raw_decision),
        label=None if y is None else str(y[row]),
        base_value=exp.base_value,
        output_space=exp.output_space,
        shap=contributions(shap_values),
        lime=contributions(weights),
        lime_intercept=intercept,
        lime_score=score,
        counterfactual=cf,
        ice=row_ice(exp, view, X, one),
        uncertainty=bootstrap_uncertainty(view, ensemble, one),
    )
