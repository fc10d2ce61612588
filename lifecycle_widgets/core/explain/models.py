"""What an explanation needs to know about a model: is it fitted, what does it predict, which
columns does it expect, and how do its transformed features map back to raw columns."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from lifecycle_widgets.core.explain.estimator import ModelTask, model_task
from lifecycle_widgets.exceptions import ColumnError, ParameterError

TREE_MODELS = (
    "DecisionTreeClassifier",
    "DecisionTreeRegressor",
    "RandomForestClassifier",
    "RandomForestRegressor",
    "ExtraTreesClassifier",
    "ExtraTreesRegressor",
    "GradientBoostingClassifier",
    "GradientBoostingRegressor",
    "HistGradientBoostingClassifier",
    "HistGradientBoostingRegressor",
    "XGBClassifier",
    "XGBRegressor",
    "XGBRFClassifier",
    "XGBRFRegressor",
    "LGBMClassifier",
    "LGBMRegressor",
)
LINEAR_MODELS = ("LogisticRegression", "LinearRegression", "Ridge", "Lasso", "ElasticNet", "SGDRegressor")


@dataclass
class ModelView:
    """A fitted model seen through what explanations need.

    ``output(X)`` is the quantity explained: the probability of ``explained_class`` for a
    classifier, the prediction for a regressor.
    """

    model: Any
    problem_type: str
    classes: tuple[Any, ...]
    explained_class: Any
    features: tuple[str, ...]
    preprocessor: Any = None
    estimator: Any = None
    transformed_features: tuple[str, ...] = ()
    feature_map: tuple[int, ...] = ()

    @property
    def class_index(self) -> int:
        return self.classes.index(self.explained_class) if self.classes else 0

    def outputs(self, X: pd.DataFrame) -> np.ndarray:
        """Every class's probability (rows x classes), or the regressor's prediction (rows)."""
        if self.problem_type == "regression":
            return np.asarray(self.model.predict(X), dtype=float)
        return np.asarray(self.model.predict_proba(X), dtype=float)

    def output(self, X: pd.DataFrame) -> np.ndarray:
        """The explained quantity: ``explained_class``'s probability, or the prediction."""
        out = self.outputs(X)
        return out if self.problem_type == "regression" else out[:, self.class_index]

    def with_model(self, model: Any) -> ModelView:
        """The same view of another fitted model of the same kind (a bootstrap replica)."""
        return replace(self, model=model)

    def transform(self, X: pd.DataFrame) -> np.ndarray:
        out = self.preprocessor.transform(X)
        return out.toarray() if hasattr(out, "toarray") else np.asarray(out, dtype=float)

    @property
    def name(self) -> str:
        steps = getattr(self.model, "steps", None)
        if steps:
            return " > ".join(type(s).__name__ for _, s in steps)
        return type(self.model).__name__


def check_fitted(model: Any, caller: str) -> None:
    """Refuse an object without ``predict`` and a scikit-learn estimator that is not fitted."""
    from sklearn.exceptions import NotFittedError
    from sklearn.utils.validation import check_is_fitted

    if not callable(getattr(model, "predict", None)):
        raise ParameterError.bad_value(
            "model", caller, "a fitted model with a predict method", type(model).__name__
        )
    try:
        check_is_fitted(model)
    except NotFittedError as err:
        raise ParameterError(
            f"The 'model' parameter of {caller}: {type(model).__name__} is not fitted: call fit first."
        ) from err
    except TypeError:  # not a scikit-learn estimator: trust predict
        pass


def _mapto_raw(preprocessor: Any, raw: list[str]) -> tuple[tuple[str, ...], tuple[int, ...]]:
    """Output feature names of a fitted transformer and, for each, the raw column it comes from."""
    names = tuple(str(n) for n in preprocessor.get_feature_names_out())
    transformers = getattr(preprocessor, "transformers_", None)
    if transformers is None:  # a single transformer: one-to-one if the widths agree
        if len(names) != len(raw):
            raise ParameterError(
                "The pipeline's transformer changes the number of columns and is not a "
                "ColumnTransformer: explanations cannot be mapped back to raw columns."
            )
        return names, tuple(range(len(raw)))
    index = {c: i for i, c in enumerate(raw)}
    mapping: list[int] = []
    for name, trans, cols in transformers:
        if (name == "remainder" and trans == "drop") or trans == "drop":
            continue
        cols = [raw[c] if isinstance(c, int | np.integer) else c for c in np.atleast_1d(cols)]
        if trans == "passthrough":
            width = len(cols)
        else:
            width = (
                len(trans.get_feature_names_out(cols))
                if hasattr(trans, "get_feature_names_out")
                else len(cols)
            )
        categories = getattr(_last(trans), "categories_", None)
        if len(cols) == width:
            mapping += [index[c] for c in cols]
        elif (
            categories is not None
            and sum(len(c) - _dropped(trans, i) for i, c in enumerate(categories)) == width
        ):
            for i, (col, cats) in enumerate(zip(cols, categories, strict=True)):
                mapping += [index[col]] * (len(cats) - _dropped(trans, i))
        elif len(cols) == 1:
            mapping += [index[cols[0]]] * width
        else:
            raise ParameterError(
                f"Transformer {name!r} mixes columns {cols}: its {width} outputs cannot be "
                "mapped back to one raw column each."
            )
    if len(mapping) != len(names):
        raise ParameterError("Could not map the pipeline's output features back to raw columns.")
    return names, tuple(mapping)


def _last(trans: Any) -> Any:
    steps = getattr(trans, "steps", None)
    return steps[-1][1] if steps else trans


def _dropped(trans: Any, i: int) -> int:
    drop = getattr(_last(trans), "drop_idx_", None)
    return 0 if drop is None or drop[i] is None else 1


def explained_class_of(task: ModelTask, explained_class: Any, caller: str) -> Any:
    """The class whose probability is explained: the one asked for, else the positive (last)
    class of a binary classifier and the first class of a multiclass one; None for a regressor."""
    if not task.is_classifier:
        if explained_class is not None:
            raise ParameterError.bad_value("explained_class", caller, "None for a regressor", explained_class)
        return None
    if explained_class is None:
        return task.classes[-1] if task.problem_type == "binary" else task.classes[0]
    if explained_class not in task.classes:
        raise ParameterError.bad_value(
            "explained_class",
            caller,
            f"one of the model's classes {list(task.classes)[:20]}",
            explained_class,
        )
    return explained_class


def view_model(
    model: Any, X: pd.DataFrame, *, explained_class: Any = None, caller: str = "explain"
) -> ModelView:
    """Check ``model`` against ``X`` and describe it; clear errors for what does not fit."""
    check_fitted(model, caller)
    task = model_task(model, caller)
    explained_class = explained_class_of(task, explained_class, caller)
    if not isinstance(X, pd.DataFrame):
        raise ParameterError.bad_value("X", caller, "a pandas DataFrame with named columns", type(X).__name__)
    expected = getattr(model, "feature_names_in_", None)
    if expected is not None:
        missing = [c for c in expected if c not in X.columns]
        if missing:
            raise ColumnError(
                missing[0],
                f"the model expects it but X lacks it (missing: {missing[:10]}); "
                f"X has {list(X.columns)[:20]}",
            )
        X = X[list(expected)]
    features = tuple(str(c) for c in X.columns)
    classes, problem = task.classes, task.problem_type
    view = ModelView(model, problem, classes, explained_class, features)
    steps = getattr(model, "steps", None)
    if steps and len(steps) > 1:
        pre = model[:-1]
        try:
            names, mapping = _mapto_raw(pre.steps[0][1], list(features))
            final_names = tuple(str(n) for n in pre.get_feature_names_out())
            if len(final_names) != len(names):  # a later step changed the width: no mapping
                raise ParameterError("width changed")
            view.preprocessor, view.estimator = pre, steps[-1][1]
            view.transformed_features, view.feature_map = final_names, mapping
        except (ParameterError, AttributeError, ValueError, KeyError):
            pass  # explained model-agnostically at the raw level
    else:
        view.estimator = model
    return view


def algorithm_for(view: ModelView) -> str:
    """``tree``, ``linear`` or ``permutation`` (model-agnostic) SHAP for this model."""
    est = view.estimator
    if est is None:
        return "permutation"
    name = type(est).__name__
    if name in TREE_MODELS:
        return "tree"
    if name in LINEAR_MODELS:
        return "linear"
    return "permutation"
