"""LIME weights for one row, through the ``lime`` package, at the raw-column level."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from lifecycle_widgets.core.explain.attributions import RawCodec
from lifecycle_widgets.core.explain.models import ModelView
from lifecycle_widgets.exceptions import MissingDependencyError


class LimeExplainer:
    """A ``LimeTabularExplainer`` over the background data, categorical columns as codes."""

    def __init__(self, view: ModelView, background: pd.DataFrame, *, num_samples: int = 1000) -> None:
        try:
            from lime.lime_tabular import LimeTabularExplainer
        except ImportError as err:
            raise MissingDependencyError("lime", "explain", "LIME explanations") from err
        self.view, self.num_samples = view, num_samples
        self.codec = RawCodec(background)
        train = self.codec.encode(background)
        categorical = [j for j, c in enumerate(self.codec.columns) if not self.codec.numeric[c]]
        train = np.where(
            np.isnan(train), np.nanmedian(np.where(np.isnan(train), np.nan, train), axis=0), train
        )
        self._factory = lambda seed: LimeTabularExplainer(
            train,
            feature_names=list(self.codec.columns),
            categorical_features=categorical,
            mode="regression" if view.problem_type == "regression" else "classification",
            discretize_continuous=True,
            random_state=seed,
        )
        self._cache: dict[int, tuple[Any, Any]] = {}  # seed: (explainer, its sampler's first state)

    def _predict(self, arr: np.ndarray) -> np.ndarray:
        frame = self.codec.decode(arr)
        if self.view.problem_type == "regression":
            return np.asarray(self.view.model.predict(frame), dtype=float)
        return np.asarray(self.view.model.predict_proba(frame), dtype=float)

    def weights(self, row: pd.DataFrame, *, seed: int = 0) -> tuple[np.ndarray, float, float]:
        """Per-feature weights, the local model's intercept and its R² score: the same for the
        same row and seed whatever was explained before (the sampler restarts from its seed's
        state, so rows explained in another order, or by another sampler, agree)."""
        if seed not in self._cache:
            fresh = self._factory(seed)
            self._cache[seed] = fresh, fresh.random_state.get_state()
        explainer, state = self._cache[seed]
        explainer.random_state.set_state(state)
        x = self.codec.encode(row)[0]
        x = np.where(np.isnan(x), 0.0, x)
        label = self.view.class_index if self.view.classes else 0
        kw: dict[str, Any] = {"num_features": len(self.codec.columns), "num_samples": self.num_samples}
        if self.view.classes:
            kw["labels"] = (label,)
        exp = explainer.explain_instance(x, self._predict, **kw)
        weights = np.zeros(len(self.codec.columns))
        key = label if self.view.classes else 1
        for j, w in exp.as_map()[key]:
            weights[j] = w
        intercept = exp.intercept[key] if isinstance(exp.intercept, dict) else float(exp.intercept)
        return weights, float(intercept), float(exp.score)
