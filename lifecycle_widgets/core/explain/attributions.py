"""SHAP attributions with the algorithm that fits the model, at the raw-column level.

Tree models get ``shap.TreeExplainer`` and linear ones ``shap.LinearExplainer`` on the
pipeline's transformed features; their one-hot contributions are then summed back to the raw
column they came from. Every other model is explained model-agnostically on the raw columns
against a sampled background (:mod:`~lifecycle_widgets.core.explain.shapley`): exact Shapley
values when the ``2**M`` coalitions fit in the evaluation budget (``exact``), else antithetic
permutation sampling (``permutation``).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from lifecycle_widgets.core.explain.models import ModelView, algorithm_for
from lifecycle_widgets.core.explain.shapley import coalitions_per_row, shapley_values, uses_exact
from lifecycle_widgets.exceptions import MissingDependencyError

MAX_EVALS = 200  # coalitions per row of the model-agnostic algorithms (at least 2M + 1)


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
        dtypes = set(self.dtypes.tolist())
        if all(self.numeric.values()) and len(dtypes) == 1 and isinstance(next(iter(dtypes)), np.dtype):
            # one numpy dtype: one block, which the model reads back without copying column by column
            return pd.DataFrame(arr.astype(next(iter(dtypes)), copy=False), columns=self.columns)
        data = {}
        for j, c in enumerate(self.columns):
            col = arr[:, j]
            if self.numeric[c]:
                data[c] = col
            else:
                values = np.array([*self.values[c], None], dtype=object)
                data[c] = values[np.where(col < 0, len(values) - 1, col.astype(int))]
        frame = pd.DataFrame(data, copy=False)
        casts = {c: self.dtypes[c] for c in self.columns if frame[c].dtype != self.dtypes[c]}
        try:  # one cast of the whole frame: per column, each call's overhead adds up
            return frame.astype(casts)
        except (TypeError, ValueError):
            for c, dtype in casts.items():
                with contextlib.suppress(TypeError, ValueError):
                    frame[c] = frame[c].astype(dtype)
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
    max_evals: int = 0  # model-agnostic: coalitions per row; default max(2M + 1, 200)
    _background_codes: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        view = self.view
        self.algorithm = self.algorithm or algorithm_for(view)
        self.max_evals = self.max_evals or max(2 * len(view.features) + 1, MAX_EVALS)
        if self.algorithm == "tree":
            if self.interventional:
                self.explainer = _shap().TreeExplainer(
                    view.estimator, data=self._matrix(self.background), feature_perturbation="interventional"
                )
            else:
                self.explainer = _shap().TreeExplainer(view.estimator)
        elif self.algorithm == "linear":
            self.explainer = _shap().LinearExplainer(view.estimator, self._matrix(self.background))
        else:
            # model-agnostic: categorical columns travel as codes, decoded back to their values
            # before the model sees them
            self.codec = RawCodec(self.background)
            self._background_codes = self.codec.encode(self.background)
            self.algorithm = "exact" if uses_exact(len(view.features), self.max_evals) else "permutation"
        self.output_space = _output_space(self.algorithm, view)

    @property
    def model_rows_per_row(self) -> int:
        """Rows the model predicts to explain one row: none beyond the row for tree and linear
        SHAP, a background's worth per coalition for the model-agnostic algorithms."""
        if self.algorithm in ("tree", "linear"):
            return 0
        return coalitions_per_row(len(self.view.features), self.max_evals) * len(self.background)

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
        codec = self.codec
        assert codec is not None  # set for the model-agnostic algorithms

        def f(arr: np.ndarray) -> np.ndarray:
            # every class at once: the model computes them anyway, and multiclass explanations
            # keep a per-class view
            return view.outputs(codec.decode(arr))

        result = shapley_values(
            f,
            codec.encode(X),
            self._background_codes,
            max_evals=self.max_evals,
            random_state=self.random_state,
        )
        every = result.values if view.problem_type != "regression" else result.values[:, :, 0]
        values, base = _pick_class(every, result.base_values, view.class_index)
        per_class = every if view.problem_type == "multiclass" else None
        return Attributions(self.algorithm, self.output_space, base, values, per_class=per_class)
