"""SHAP attributions with the algorithm that fits the model, at the raw-column level.

Tree models get ``shap.TreeExplainer`` and linear ones ``shap.LinearExplainer`` on the
pipeline's transformed features; their one-hot contributions are then summed back to the raw
column they came from. Every other model gets the model-agnostic permutation explainer on the
raw columns, with a sampled background.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from lifecycle_widgets.core.explain.models import ModelView, algorithm_for
from lifecycle_widgets.exceptions import MissingDependencyError


@dataclass
class Attributions:
    """SHAP values of some rows: raw level, and transformed level when a pipeline was unfolded."""

    algorithm: str
    output_space: str
    base_value: float
    values: np.ndarray  # rows x raw features
    transformed: np.ndarray | None = None  # rows x transformed features


def _shap() -> Any:
    try:
        import shap
    except ImportError as err:
        raise MissingDependencyError("shap", "explain", "SHAP explanations") from err
    return shap


def _pick_class(values: np.ndarray, base: Any, index: int) -> tuple[np.ndarray, float]:
    base = np.atleast_1d(np.asarray(base, dtype=float))
    if values.ndim == 3:
        return values[:, :, index], float(base[index] if base.size > 1 else base[0])
    return values, float(base[index] if base.size > 1 else base[0])


def to_raw(view: ModelView, values: np.ndarray) -> np.ndarray:
    out = np.zeros((values.shape[0], len(view.features)))
    np.add.at(out.T, np.asarray(view.feature_map), values.T)
    return out


class RawCodec:
    """Numbers for a raw frame: numeric columns as floats, others as codes into a value list that
    grows as new values appear, so that model-agnostic tools can work on arrays."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.columns = list(frame.columns)
        self.dtypes = frame.dtypes
        self.numeric = {
            c: pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])
            for c in self.columns
        }
        self.values: dict[str, list[Any]] = {c: [] for c in self.columns if not self.numeric[c]}
        self.index: dict[str, dict[Any, int]] = {c: {} for c in self.values}

    def encode(self, frame: pd.DataFrame) -> np.ndarray:
        out = np.empty((len(frame), len(self.columns)), dtype=float)
        for j, c in enumerate(self.columns):
            if self.numeric[c]:
                out[:, j] = frame[c].to_numpy(dtype=float, na_value=np.nan)
                continue
            lookup, values = self.index[c], self.values[c]
            codes = []
            for v in frame[c].tolist():
                if v is None or (isinstance(v, float) and np.isnan(v)):
                    codes.append(-1.0)
                    continue
                if v not in lookup:
                    lookup[v] = len(values)
                    values.append(v)
                codes.append(float(lookup[v]))
            out[:, j] = codes
        return out

    def decode(self, arr: np.ndarray) -> pd.DataFrame:
        data = {}
        for j, c in enumerate(self.columns):
            col = arr[:, j]
            if self.numeric[c]:
                data[c] = col
            else:
                values = np.array([*self.values[c], None], dtype=object)
                data[c] = values[np.where(col < 0, len(values) - 1, col.astype(int))]
        frame = pd.DataFrame(data)
        for c in self.columns:
            with contextlib.suppress(TypeError, ValueError):
                frame[c] = frame[c].astype(self.dtypes[c])
        return frame


@dataclass
class Attributor:
    """Computes SHAP values for a model; built once, used for many rows."""

    view: ModelView
    background: pd.DataFrame
    random_state: int = 0
    algorithm: str = ""
    explainer: Any = None
    output_space: str = "probability"
    codec: RawCodec | None = None
    interventional: bool = False  # tree SHAP against ``background`` instead of the trees' paths

    def __post_init__(self) -> None:
        shap = _shap()
        self.algorithm = self.algorithm or algorithm_for(self.view)
        view = self.view
        if self.algorithm == "tree":
            if self.interventional:
                self.explainer = shap.TreeExplainer(
                    view.estimator, data=self._matrix(self.background), feature_perturbation="interventional"
                )
            else:
                self.explainer = shap.TreeExplainer(view.estimator)
            name = type(view.estimator).__name__
            boosted = "Boosting" in name or name.startswith(("XGB", "LGBM"))
            self.output_space = (
                "log-odds"
                if boosted and view.problem_type != "regression"
                else "probability"
                if view.problem_type != "regression"
                else "prediction"
            )
        elif self.algorithm == "linear":
            self.explainer = shap.LinearExplainer(view.estimator, self._matrix(self.background))
            self.output_space = "log-odds" if view.problem_type != "regression" else "prediction"
        else:
            # shap's maskers need numbers: categorical columns travel as codes and are decoded
            # back to their values before the model sees them
            self.codec = RawCodec(self.background)
            codec = self.codec

            def f(arr: np.ndarray) -> np.ndarray:
                return view.output(codec.decode(arr))

            masker = shap.maskers.Independent(codec.encode(self.background), max_samples=len(self.background))
            self.explainer = shap.PermutationExplainer(f, masker, seed=self.random_state)
            self.output_space = "probability" if view.problem_type != "regression" else "prediction"

    def _matrix(self, X: pd.DataFrame) -> np.ndarray:
        """The estimator's input for ``X``: the pipeline's transform, or the raw columns as floats."""
        return self.view.transform(X) if self.view.preprocessor is not None else X.to_numpy(dtype=float)

    def __call__(self, X: pd.DataFrame) -> Attributions:
        view = self.view
        if self.algorithm in ("tree", "linear"):
            xt = self._matrix(X)
            result = self.explainer(xt, check_additivity=False) if self.interventional else self.explainer(xt)
            values, base = _pick_class(
                np.asarray(result.values), self.explainer.expected_value, view.class_index
            )
            if self.algorithm == "linear" and view.problem_type == "binary" and view.class_index == 0:
                values, base = -values, -base
            raw = to_raw(view, values) if view.preprocessor is not None else values
            return Attributions(
                self.algorithm,
                self.output_space,
                base,
                raw,
                values if view.preprocessor is not None else None,
            )
        result = self.explainer(
            self.codec.encode(X), max_evals=max(2 * len(view.features) + 1, 200), silent=True
        )
        values = np.asarray(result.values, dtype=float)
        base = float(np.atleast_1d(result.base_values)[0])
        return Attributions(self.algorithm, self.output_space, base, values)
