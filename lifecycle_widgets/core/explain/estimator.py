"""What a fitted model predicts, read from the model itself, never from target values.

A regressor trained on an integer target (counts, scores, sklearn's diabetes progression) has
integer labels that look like classes; a duck-typed model (an object with ``predict`` and no
scikit-learn base class) has no tags for ``sklearn.base.is_classifier`` to read. The task is
therefore taken from, in order: scikit-learn's estimator tags where the model has them, the
``_estimator_type`` attribute that wrappers (xgboost, lightgbm, keras wrappers) still set, the
final step of a pipeline, and last the presence of ``predict_proba`` or ``classes_``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from lifecycle_widgets.exceptions import ParameterError

__all__ = ["ModelTask", "as_estimator", "check_labels", "model_task", "predicts_classes"]


@dataclass(frozen=True)
class ModelTask:
    """A model's task: ``binary``, ``multiclass`` or ``regression``, and a classifier's classes
    in the order of its ``predict_proba`` columns."""

    problem_type: str
    classes: tuple[Any, ...] = ()

    @property
    def is_classifier(self) -> bool:
        """True for a binary or multiclass classifier."""
        return self.problem_type != "regression"


def _estimator_type(model: Any) -> str | None:
    """``classifier``, ``regressor`` or None (no declaration found)."""
    from sklearn.base import is_classifier, is_regressor

    try:
        if is_classifier(model):
            return "classifier"
        if is_regressor(model):
            return "regressor"
    except (AttributeError, TypeError):  # no scikit-learn tags: a duck-typed model
        pass
    declared = getattr(model, "_estimator_type", None)
    if declared in ("classifier", "regressor"):
        return declared
    steps = getattr(model, "steps", None)
    if isinstance(steps, list) and steps:
        return _estimator_type(steps[-1][1])
    return None


def predicts_classes(model: Any) -> bool:
    """True when ``model`` is a classifier: declared so (scikit-learn's tags, ``_estimator_type``,
    a pipeline's final step), or, declaring nothing, having ``predict_proba`` or ``classes_``.

    Examples
    --------
    >>> from sklearn.svm import SVC, SVR
    >>> predicts_classes(SVC()), predicts_classes(SVR())
    (True, False)
    """
    kind = _estimator_type(model)
    if kind is None:
        return callable(getattr(model, "predict_proba", None)) or getattr(model, "classes_", None) is not None
    return kind == "classifier"


def model_task(model: Any, caller: str, *, name: str = "model") -> ModelTask:
    """The task of ``model``, with clear errors (naming the parameter ``name`` of ``caller``)
    for a model that cannot serve it.

    Any object with ``predict`` is a model; a classifier also needs ``predict_proba`` and
    ``classes_`` (at least two classes).

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.tree import DecisionTreeRegressor
    >>> X, y = load_diabetes(return_X_y=True)
    >>> model_task(DecisionTreeRegressor(max_depth=2).fit(X, y.round()), "example")  # integer target
    ModelTask(problem_type='regression', classes=())
    >>> class Duck:
    ...     classes_ = ["no", "yes"]
    ...     def predict(self, X): return ["no"] * len(X)
    ...     def predict_proba(self, X): return [[1.0, 0.0]] * len(X)
    >>> model_task(Duck(), "example")
    ModelTask(problem_type='binary', classes=('no', 'yes'))
    """
    if not callable(getattr(model, "predict", None)):
        raise ParameterError.bad_value(
            name, caller, "a fitted model with a predict method", type(model).__name__
        )
    if not predicts_classes(model):
        return ModelTask("regression")
    has_proba = callable(getattr(model, "predict_proba", None))
    classes = getattr(model, "classes_", None)
    kind = type(model).__name__
    if not has_proba:
        raise ParameterError(
            f"The {name!r} parameter of {caller}: the classifier {kind} has no predict_proba; "
            "explanations, scores and calibration of a classifier need its probabilities "
            "(use probability=True for SVC)."
        )
    if classes is None:
        raise ParameterError(
            f"The {name!r} parameter of {caller}: the classifier {kind} has no classes_ attribute; "
            "it names the columns of predict_proba (set it to the class labels in their order)."
        )
    classes = tuple(v.item() if isinstance(v, np.generic) else v for v in np.asarray(classes).tolist())
    if len(classes) < 2:
        raise ParameterError(
            f"The {name!r} parameter of {caller}: the classifier {kind} knows {len(classes)} class "
            f"{list(classes)}; a classifier needs at least two."
        )
    return ModelTask("binary" if len(classes) == 2 else "multiclass", classes)


def check_labels(task: ModelTask, labels: Any, name: str, caller: str) -> None:
    """Refuse labels the model cannot be scored on: a class outside ``classes_``, or a label
    that is not a number for a regressor. Missing labels are skipped (they are not scored).

    Examples
    --------
    >>> check_labels(ModelTask("binary", (0, 1)), [0, 1, 1.0, None], "y", "example")
    >>> check_labels(ModelTask("binary", (0, 1)), [0, 2], "y", "example")
    Traceback (most recent call last):
    ...
    lifecycle_widgets.exceptions.ParameterError: The 'y' parameter of example holds labels the model does not know: [2]. The model's classes_ are [0, 1].
    """
    values = pd.Series(np.asarray(labels, dtype=object).ravel()).dropna()
    distinct = pd.unique(values.to_numpy())
    if task.is_classifier:
        known = set(task.classes)
        unknown = []
        for v in distinct:
            v = v.item() if isinstance(v, np.generic) else v
            try:
                if v not in known:
                    unknown.append(v)
            except TypeError:  # unhashable
                unknown.append(v)
        if unknown:
            raise ParameterError(
                f"The {name!r} parameter of {caller} holds labels the model does not know: "
                f"{sorted(unknown, key=str)[:10]}. The model's classes_ are {list(task.classes)[:20]}."
            )
        return
    if len(distinct) and pd.to_numeric(pd.Series(distinct), errors="coerce").isna().any():
        bad = [v for v in distinct if pd.isna(pd.to_numeric(pd.Series([v]), errors="coerce")[0])]
        raise ParameterError(
            f"The {name!r} parameter of {caller} must hold numbers: the model is a regressor. Got {bad[:5]}."
        )


def as_estimator(model: Any, task: ModelTask) -> Any:
    """``model`` itself when scikit-learn recognizes it, else a thin scikit-learn estimator
    around it, for scikit-learn functions (``permutation_importance``, scorers) that read tags
    and require ``fit``.

    Examples
    --------
    >>> from sklearn.base import is_classifier
    >>> class Duck:
    ...     classes_ = [0, 1]
    ...     def predict(self, X): return [0] * len(X)
    ...     def predict_proba(self, X): return [[1.0, 0.0]] * len(X)
    >>> is_classifier(as_estimator(Duck(), model_task(Duck(), "example")))
    True
    """
    from sklearn.base import is_classifier, is_regressor

    try:
        recognized = is_classifier(model) if task.is_classifier else is_regressor(model)
    except (AttributeError, TypeError):
        recognized = False
    if recognized and callable(getattr(model, "fit", None)):
        return model
    classifier, regressor = _adapters()
    return classifier(model) if task.is_classifier else regressor(model)


@functools.cache  # built on first use: importing scikit-learn costs seconds
def _adapters() -> tuple[type, type]:
    from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin

    class Adapter(BaseEstimator):
        """A fitted model seen by scikit-learn: predictions delegated, never refitted."""

        def __init__(self, model: Any) -> None:
            self.model = model

        def fit(self, X: Any, y: Any = None) -> Any:
            raise TypeError("A wrapped model is already fitted; it is never refitted.")

        def __sklearn_is_fitted__(self) -> bool:
            return True

        def predict(self, X: Any) -> np.ndarray:
            return np.asarray(self.model.predict(X))

    class Classifier(ClassifierMixin, Adapter):
        @property
        def classes_(self) -> np.ndarray:
            return np.asarray(self.model.classes_)

        def predict_proba(self, X: Any) -> np.ndarray:
            return np.asarray(self.model.predict_proba(X), dtype=float)

    class Regressor(RegressorMixin, Adapter):
        pass

    return Classifier, Regressor
