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


def transformed_permutation_importance(
    view: ModelView, X: pd.DataFrame, y: Any, *, n_repeats: int, random_state: int, scoring: str
) -> tuple[np.ndarray, np.ndarray] | None:
    """scikit-learn's ``permutation_importance(view.model, X, y, ...)`` (its mean and standard
    deviation per raw column, the same numbers) with the pipeline's transform run once instead of
    once per column and repeat: a shuffled raw column is its shuffled block of transformed
    columns. None when that does not hold or cannot be checked, so that the caller falls back to
    scikit-learn.

    It holds when every transformed column is computed from its raw column alone, row by row
    (imputers, scalers, one-hot encoders in a ``ColumnTransformer``). That is checked, not
    assumed: one transform of ``X`` with every raw column shuffled independently must equal the
    transform of ``X`` with the rows of each column's block shuffled the same way. The final
    estimator is then scored on the shuffled transforms with the scorer scikit-learn builds for
    the pipeline, which calls the same method of the same estimator on the same numbers; the
    shuffles are scikit-learn's (one seed drawn from ``random_state``, the same cumulative
    shuffles of every column).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from sklearn.compose import make_column_transformer
    >>> from sklearn.inspection import permutation_importance
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import OneHotEncoder, StandardScaler
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"a": rng.normal(size=300), "b": rng.choice(["u", "v", "w"], 300)})
    >>> y = (X["a"] + (X["b"] == "u") > 0.5).astype(int)
    >>> pre = make_column_transformer((StandardScaler(), ["a"]), (OneHotEncoder(), ["b"]))
    >>> model = make_pipeline(pre, LogisticRegression()).fit(X, y)
    >>> mean, std = transformed_permutation_importance(
    ...     view_model(model, X), X, y, n_repeats=3, random_state=0, scoring="roc_auc")
    >>> ref = permutation_importance(model, X, y, n_repeats=3, random_state=0, scoring="roc_auc")
    >>> bool(np.array_equal(mean, ref.importances_mean) and np.array_equal(std, ref.importances_std))
    True
    """
    from sklearn.metrics import check_scoring
    from sklearn.utils import check_random_state

    pre, est = view.preprocessor, view.estimator
    if pre is None or est is None or not view.feature_map or hasattr(est, "feature_names_in_"):
        return None
    X = X[list(view.features)]
    n, mapping = len(X), np.asarray(view.feature_map)
    try:
        xt = pre.transform(X)
        if not isinstance(xt, np.ndarray) or xt.shape != (n, len(mapping)) or n < 2:
            return None  # sparse or a frame: scored as scikit-learn would, through the pipeline
        # the check: every raw column shuffled its own way, then transformed
        check = np.random.default_rng(random_state).permuted(np.tile(np.arange(n), (X.shape[1], 1)), axis=1)
        shuffled = pd.DataFrame(
            {c: X[c].iloc[check[j]].reset_index(drop=True) for j, c in enumerate(X.columns)}
        )
        expected = xt[check[mapping].T, np.arange(len(mapping))]
        if not np.array_equal(np.asarray(pre.transform(shuffled)), expected, equal_nan=xt.dtype.kind == "f"):
            return None
    except (TypeError, ValueError, AttributeError, IndexError):
        return None
    scorer = check_scoring(view.model, scoring=scoring)
    # scikit-learn's shuffles: one seed, the same cumulative shuffles for every column
    seed = check_random_state(random_state).randint(np.iinfo(np.int32).max + 1)
    state, idx, order = check_random_state(seed), np.arange(n), np.arange(n)
    orders = []
    for _ in range(n_repeats):
        state.shuffle(idx)
        order = order[idx]
        orders.append(order)
    baseline = scorer(est, xt, y)
    trees = _BoostedTrees.of(est, xt)
    work = xt.copy()
    scores = np.empty((X.shape[1], n_repeats))
    for j in range(X.shape[1]):
        block = np.flatnonzero(mapping == j)
        if len(block) == 0:  # a dropped column: shuffling it changes nothing
            scores[j] = baseline
            continue
        original = xt[:, block]
        for r, order in enumerate(orders):
            work[:, block] = original[order]
            scores[j, r] = scorer(est if trees is None else trees.replay(work, block), work, y)
        work[:, block] = original
    importances = baseline - scores
    return importances.mean(1), importances.std(1)


class _BoostedTrees:
    """A fitted ``HistGradientBoosting*`` model's raw predictions with some columns shuffled,
    recomputed only for the trees that split on those columns.

    scikit-learn's ``_raw_predict`` starts from the baseline and adds each tree's prediction in
    order; this adds the same numbers in the same order (each tree's prediction of a row depends
    on that row's values of the features it splits on), so the raw predictions are bit for bit
    those of the model. :meth:`replay` returns a shallow copy of the model whose ``_raw_predict``
    returns them: ``predict``, ``predict_proba`` and ``decision_function`` turn them into outputs
    as the model does.
    """

    def __init__(self, est: Any, xt: np.ndarray) -> None:
        self.est = est
        self.bitsets, self.f_idx_map = est._bin_mapper.make_known_categories_bitsets()
        self.trees = [
            (k, predictor, _split_features(predictor))
            for predictors in est._predictors
            for k, predictor in enumerate(predictors)
        ]
        x = est._preprocess_X(xt, reset=False)
        self.base = [self._predict(predictor, x) for _, predictor, _ in self.trees]
        self.shape = (len(xt), est.n_trees_per_iteration_)

    @classmethod
    def of(cls, est: Any, xt: np.ndarray) -> _BoostedTrees | None:
        """The replay of ``est`` on ``xt``, or None for another model (or another scikit-learn
        whose private attributes differ: the caller then scores the model itself)."""
        if type(est).__name__ not in ("HistGradientBoostingClassifier", "HistGradientBoostingRegressor"):
            return None
        try:
            trees = cls(est, xt)
            raw = trees._raw(xt, np.array([], dtype=int))
            if not np.array_equal(raw, est._raw_predict(xt)):
                return None
        except (AttributeError, TypeError, ValueError, KeyError):
            return None
        return trees

    def _predict(self, predictor: Any, x: np.ndarray) -> np.ndarray:
        return predictor.predict(x, self.bitsets, self.f_idx_map, 1)

    def _raw(self, work: np.ndarray, block: np.ndarray) -> np.ndarray:
        changed = set(block.tolist())
        x = self.est._preprocess_X(work, reset=False) if changed else None
        raw = np.zeros(self.shape, dtype=self.est._baseline_prediction.dtype, order="F")
        raw += self.est._baseline_prediction
        for (k, predictor, used), base in zip(self.trees, self.base, strict=True):
            raw[:, k] += self._predict(predictor, x) if used & changed else base
        return raw

    def replay(self, work: np.ndarray, block: np.ndarray) -> Any:
        """A copy of the model that predicts ``work`` (``block`` its only changed columns) from
        the trees that split on them."""
        import copy

        raw = self._raw(work, block)
        clone = copy.copy(self.est)
        clone._raw_predict = lambda X, n_threads=None: raw
        return clone


def _split_features(predictor: Any) -> set[int]:
    nodes = predictor.nodes
    return set(np.unique(nodes["feature_idx"][nodes["is_leaf"] == 0]).tolist())
