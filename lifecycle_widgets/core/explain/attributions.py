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
    per_class: np.ndarray | None = None  # multiclass: rows x raw features x classes


def _shap() -> Any:
    try:
        import shap
    except ImportError as err:
        raise MissingDependencyError("shap", "explain", "SHAP explanations") from err
    return shap


def _pick_class(values: np.ndarray, base: Any, index: int) -> tuple[np.ndarray, float]:
    base = np.atleast_1d(np.asarray(base, dtype=float))
    if base.ndim == 2:  # one base value per row (the permutation explainer): all equal
        base = base[0]
    if values.ndim == 3:
        return values[:, :, index], float(base[index] if base.size > 1 else base[0])
    return values, float(base[index] if base.size > 1 else base[0])


def to_raw(view: ModelView, values: np.ndarray) -> np.ndarray:
    """Attributions of transformed features (rows x transformed, or rows x transformed x
    classes) summed back to the raw column each comes from."""
    out = np.zeros((values.shape[0], len(view.features), *values.shape[2:]))
    np.add.at(out, (slice(None), np.asarray(view.feature_map)), values)
    return out


def _output_space(algorithm: str, view: ModelView) -> str:
    """What the SHAP values add up to: a probability, a margin or the regressor's prediction."""
    if view.problem_type == "regression":
        return "prediction"
    margin = "log-odds" if view.problem_type == "binary" else "logit"
    if algorithm == "linear":
        return margin
    if algorithm == "tree":
        name = type(view.estimator).__name__
        boosted = "Boosting" in name or name.startswith(("XGB", "LGBM"))
        return margin if boosted else "probability"
    return "probability"


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
        elif self.algorithm == "linear":
            self.explainer = shap.LinearExplainer(view.estimator, self._matrix(self.background))
        else:
            # shap's maskers need numbers: categorical columns travel as codes and are decoded
            # back to their values before the model sees them
            self.codec = RawCodec(self.background)
            codec = self.codec

            def f(arr: np.ndarray) -> np.ndarray:
                # every class at once: the model computes them anyway, and multiclass
                # explanations keep a per-class view
                return view.outputs(codec.decode(arr))

            masker = shap.maskers.Independent(codec.encode(self.background), max_samples=len(self.background))
            self.explainer = shap.PermutationExplainer(f, masker, seed=self.random_state)
        self.output_space = _output_space(self.algorithm, view)

    def _matrix(self, X: pd.DataFrame) -> np.ndarray:
        """The estimator's input for ``X``: the pipeline's transform, or the raw columns as floats."""
        return self.view.transform(X) if self.view.preprocessor is not None else X.to_numpy(dtype=float)

    def __call__(self, X: pd.DataFrame) -> Attributions:
        view = self.view
        if self.algorithm in ("tree", "linear"):
            xt = self._matrix(X)
            result = self.explainer(xt, check_additivity=False) if self.interventional else self.explainer(xt)
            every = np.asarray(result.values, dtype=float)
            values, base = _pick_class(every, self.explainer.expected_value, view.class_index)
            if view.problem_type == "binary" and every.ndim == 2 and view.class_index == 0:
                # one margin for the second class (linear and boosted models): the first
                # class's log-odds are its negative
                values, base = -values, -base
            unfolded = view.preprocessor is not None
            per_class = every if view.problem_type == "multiclass" and every.ndim == 3 else None
            return Attributions(
                self.algorithm,
                self.output_space,
                base,
                to_raw(view, values) if unfolded else values,
                values if unfolded else None,
                None if per_class is None else to_raw(view, per_class) if unfolded else per_class,
            )
        result = self.explainer(
            self.codec.encode(X), max_evals=max(2 * len(view.features) + 1, 200), silent=True
        )
        every = np.asarray(result.values, dtype=float)
        values, base = _pick_class(every, result.base_values, view.class_index)
        per_class = every if view.problem_type == "multiclass" else None
        return Attributions(self.algorithm, self.output_space, base, values, per_class=per_class)
