"""Post-processing bias mitigation: one decision threshold per group, by Fairlearn's
``ThresholdOptimizer`` (Hardt, Price and Srebro 2016), as a predictor this package can use.

:class:`GroupThresholdClassifier` wraps a fitted (or unfitted) classifier. ``fit`` chooses, for each
group of a sensitive feature, a threshold on the classifier's score (randomized between two
thresholds where one alone cannot meet the constraint) that maximizes an objective (accuracy by
default) subject to a fairness constraint: equal selection rates (``"demographic_parity"``), equal
true and false positive rates (``"equalized_odds"``), or one equal rate. ``predict(X)`` applies
the thresholds; the group comes from a column of ``X`` named by ``facet``, so the predictor works
wherever a model's ``predict(X)`` is called, or from ``sensitive_features=`` as in Fairlearn.

Fairlearn is an optional dependency (extra ``fairness``). M. Hardt, E. Price and N. Srebro,
"Equality of Opportunity in Supervised Learning", NeurIPS 2016.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Self

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin

from lifecycle_widgets.core.explain.bias_inputs import is_sequence
from lifecycle_widgets.core.explain.bias_mitigation_weights import sensitive_groups
from lifecycle_widgets.exceptions import MissingDependencyError, ParameterError, UnknownNameError

__all__ = [
    "CONSTRAINTS",
    "OBJECTIVES",
    "GroupThreshold",
    "GroupThresholdClassifier",
    "PositiveClassScores",
    "check_constraints",
    "require_fairlearn",
]

CONSTRAINTS: dict[str, str] = {
    "demographic_parity": "equal selection rates across groups (DPPL 0, DI 1)",
    "equalized_odds": "equal true and false positive rates across groups",
    "true_positive_rate_parity": "equal true positive rates (equal opportunity)",
    "false_positive_rate_parity": "equal false positive rates",
    "false_negative_rate_parity": "equal false negative rates",
    "true_negative_rate_parity": "equal true negative rates",
}
"""The fairness constraints of Fairlearn's ThresholdOptimizer, each with what it equalizes."""

OBJECTIVES: dict[str, str] = {
    "accuracy_score": "accuracy",
    "balanced_accuracy_score": "balanced accuracy",
    "selection_rate": "selection rate",
    "true_positive_rate": "true positive rate",
    "true_negative_rate": "true negative rate",
}
"""What the thresholds maximize; ``equalized_odds`` allows the two accuracies only."""

_EQUALIZED_ODDS_OBJECTIVES = ("accuracy_score", "balanced_accuracy_score")
_CALLER = "GroupThresholdClassifier"


def check_constraints(constraints: Any, objective: Any = "accuracy_score", *, caller: str = _CALLER) -> None:
    """Check a constraint and objective name before any work.

    Raises
    ------
    UnknownNameError
        An unknown constraint or objective; the message lists the names.
    ParameterError
        ``equalized_odds`` with an objective other than the two accuracies (Fairlearn's rule).

    Examples
    --------
    >>> check_constraints("demographic_parity")
    >>> check_constraints("equal_outcomes")
    Traceback (most recent call last):
    ...
    lifecycle_widgets.exceptions.UnknownNameError: No fairness constraint named 'equal_outcomes'. Available: ...
    """
    if not isinstance(constraints, str) or constraints not in CONSTRAINTS:
        raise UnknownNameError("fairness constraint", constraints, CONSTRAINTS)
    if not isinstance(objective, str) or objective not in OBJECTIVES:
        raise UnknownNameError("threshold objective", objective, OBJECTIVES)
    if constraints == "equalized_odds" and objective not in _EQUALIZED_ODDS_OBJECTIVES:
        raise ParameterError(
            f"The 'objective' parameter of {caller} must be one of {list(_EQUALIZED_ODDS_OBJECTIVES)} "
            f"with constraints='equalized_odds' (Fairlearn's rule). Got {objective!r} instead."
        )


def require_fairlearn(purpose: str) -> Any:
    """``fairlearn.postprocessing.ThresholdOptimizer``, or a MissingDependencyError naming the
    extra ``fairness``."""
    try:
        from fairlearn.postprocessing import ThresholdOptimizer
    except ImportError as err:
        raise MissingDependencyError("fairlearn", "fairness", purpose) from err
    return ThresholdOptimizer


@dataclass(frozen=True)
class GroupThreshold:
    """The decision rule of one group: with probability ``p0`` the rule ``score operator0
    threshold0``, else (``p1``) ``score operator1 threshold1``. A threshold is ``None`` where
    Fairlearn's is infinite (the rule says yes to everyone or to no one, as ``rule`` words it).
    ``selection_rate`` is the share of the group's fitting rows the rule selects, on average."""

    group: str
    rule: str
    p0: float
    operator0: str
    threshold0: float | None
    p1: float
    operator1: str
    threshold1: float | None
    count: int = 0
    selection_rate: float | None = None


def _operation_text(operator: str, threshold: float) -> str:
    if math.isinf(threshold):
        everyone = (operator == ">") == (threshold < 0)
        return "everyone" if everyone else "no one"
    return f"score {operator} {threshold:.4g}"


def _group_threshold(group: str, bunch: Any, count: int, rate: float | None) -> GroupThreshold:
    op0, op1 = bunch.operation0, bunch.operation1
    p0, p1 = float(bunch.p0), float(bunch.p1)
    first, second = _operation_text(op0.operator, op0.threshold), _operation_text(op1.operator, op1.threshold)
    if p1 <= 0 or first == second:
        rule = first
    elif p0 <= 0:
        rule = second
    else:
        rule = f"{first} with probability {p0:.3g}, else {second}"
    if "p_ignore" in bunch and float(bunch.p_ignore) > 0:
        rule += (
            f"; with probability {float(bunch.p_ignore):.3g} predict {bunch.prediction_constant:g} instead"
        )

    def finite(t: float) -> float | None:
        return None if math.isinf(t) else float(t)

    return GroupThreshold(
        group,
        rule,
        p0,
        op0.operator,
        finite(op0.threshold),
        p1,
        op1.operator,
        finite(op1.threshold),
        count,
        rate,
    )


class PositiveClassScores(ClassifierMixin, BaseEstimator):
    """A fitted classifier's score for one positive label, as the second column of
    ``predict_proba``: the one column Fairlearn's ThresholdOptimizer reads.

    The score is the positive class's probability where the classifier has ``predict_proba``;
    else its ``decision_function``, negated when the positive label is the first class; else 1
    where ``predict`` says the positive label. The first column is one minus the second (or its
    negation, for decision values); Fairlearn never reads it.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> model = LogisticRegression().fit([[0.0], [1.0], [2.0], [3.0]], ["yes", "yes", "no", "no"])
    >>> scores = PositiveClassScores(model, "yes").predict_proba([[0.0], [3.0]])[:, 1]
    >>> bool(scores[0] > 0.5 > scores[1])
    True
    """

    def __init__(self, estimator: Any, positive_label: Any = 1) -> None:
        self.estimator = estimator
        self.positive_label = positive_label

    def __sklearn_is_fitted__(self) -> bool:
        return True  # it wraps a fitted estimator and learns nothing itself

    def fit(self, X: Any = None, y: Any = None) -> Self:
        """Nothing to learn: the wrapped estimator is fitted already."""
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        """Column 1: the positive label's score; column 0: its complement."""
        est = self.estimator
        classes = list(getattr(est, "classes_", []))
        if callable(getattr(est, "predict_proba", None)) and self.positive_label in classes:
            score = np.asarray(est.predict_proba(X))[:, classes.index(self.positive_label)]
            return np.column_stack([1 - score, score])
        if callable(getattr(est, "decision_function", None)) and len(classes) == 2:
            value = np.asarray(est.decision_function(X), dtype=float)
            score = value if classes[1] == self.positive_label else -value
            return np.column_stack([-score, score])
        score = (np.asarray(est.predict(X)) == self.positive_label).astype(float)
        return np.column_stack([1 - score, score])

    def predict(self, X: Any) -> np.ndarray:
        """1 where the wrapped classifier predicts the positive label, else 0."""
        return (np.asarray(self.estimator.predict(X)) == self.positive_label).astype(int)


class GroupThresholdClassifier(ClassifierMixin, BaseEstimator):
    """A classifier with one decision threshold per group, chosen by Fairlearn's ThresholdOptimizer.

    Parameters
    ----------
    estimator : classifier
        The model whose scores are thresholded (``predict_proba``, else ``decision_function``,
        else ``predict``). With ``prefit=True`` (default) it must be fitted and is used as is.
    facet : str or list of str, optional
        The column(s) of ``X`` holding each row's group, so ``predict(X)`` needs nothing else.
        Without it, pass ``sensitive_features=`` to ``fit`` and ``predict``, as in Fairlearn.
    constraints : str, default "demographic_parity"
        A name of :data:`CONSTRAINTS`.
    objective : str, default "accuracy_score"
        A name of :data:`OBJECTIVES`, maximized subject to the constraint.
    positive_label : default 1
        The favourable label; its score is thresholded (:class:`PositiveClassScores`), whichever
        column of ``predict_proba`` holds it.
    features : list of str, optional
        The columns of ``X`` the estimator reads. Default: its ``feature_names_in_``, else every
        column but the facet's.
    prefit : bool, default True
        Use the fitted estimator as is; ``False`` fits a clone on ``fit``'s data first.
    grid_size : int, default 1000
        Fairlearn's grid over the constrained rate.
    flip : bool, default False
        Allow a group's rule to say yes below its threshold (Fairlearn's ``flip``).
    random_state : int, default 0
        Seed of the random choice between a group's two thresholds, so ``predict`` is
        reproducible. Fairlearn draws anew each call unless given one.

    Attributes
    ----------
    thresholds_ : tuple of GroupThreshold
        Each group's rule, readable.
    classes_ : numpy.ndarray
        The negative and the positive label.
    estimator_ : classifier
        The thresholded classifier (``estimator`` itself, or its fitted clone).
    optimizer_ : fairlearn.postprocessing.ThresholdOptimizer
        The fitted optimizer.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from sklearn.linear_model import LogisticRegression
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"x": rng.normal(size=400), "sex": rng.choice(["F", "M"], 400)})
    >>> y = (X.x + (X.sex == "M") + rng.normal(size=400) > 0.5).astype(int)
    >>> model = LogisticRegression().fit(X[["x"]], y)
    >>> fair = GroupThresholdClassifier(model, facet="sex").fit(X, y)
    >>> rates = pd.Series(fair.predict(X)).groupby(X.sex.to_numpy()).mean()
    >>> bool(abs(rates["F"] - rates["M"]) < 0.05), sorted(t.group for t in fair.thresholds_)
    (True, ['F', 'M'])
    """

    def __init__(
        self,
        estimator: Any,
        *,
        facet: str | list[str] | None = None,
        constraints: str = "demographic_parity",
        objective: str = "accuracy_score",
        positive_label: Any = 1,
        features: list[str] | None = None,
        prefit: bool = True,
        grid_size: int = 1000,
        flip: bool = False,
        random_state: int = 0,
    ) -> None:
        self.estimator = estimator
        self.facet = facet
        self.constraints = constraints
        self.objective = objective
        self.positive_label = positive_label
        self.features = features
        self.prefit = prefit
        self.grid_size = grid_size
        self.flip = flip
        self.random_state = random_state

    # --- checks ----------------------------------------------------------------------------------
    def _check_params(self) -> None:
        check_constraints(self.constraints, self.objective)
        if not hasattr(self.estimator, "fit") or not hasattr(self.estimator, "predict"):
            raise ParameterError.bad_value(
                "estimator", _CALLER, "a classifier with fit and predict", type(self.estimator).__name__
            )
        if self.facet is not None and not (
            isinstance(self.facet, str)
            or (
                isinstance(self.facet, list | tuple)
                and self.facet
                and all(isinstance(c, str) for c in self.facet)
            )
        ):
            raise ParameterError.bad_value(
                "facet", _CALLER, "a column name of X or a list of them", self.facet
            )
        if is_sequence(self.positive_label):
            raise ParameterError.bad_value(
                "positive_label",
                _CALLER,
                "one label value (thresholds split two outcomes)",
                self.positive_label,
            )
        if (
            isinstance(self.grid_size, bool)
            or not isinstance(self.grid_size, int | np.integer)
            or self.grid_size < 2
        ):
            raise ParameterError.bad_value("grid_size", _CALLER, "an integer of at least 2", self.grid_size)
        for name in ("prefit", "flip"):
            if not isinstance(getattr(self, name), bool):
                raise ParameterError.bad_value(name, _CALLER, "True or False", getattr(self, name))
        if isinstance(self.random_state, bool) or not isinstance(self.random_state, int | np.integer):
            raise ParameterError.bad_value("random_state", _CALLER, "an integer", self.random_state)

    def _facet_columns(self) -> list[str]:
        if self.facet is None:
            return []
        return [self.facet] if isinstance(self.facet, str) else list(self.facet)

    def _groups(self, X: Any, sensitive_features: Any, method: str) -> np.ndarray:
        if self.facet is not None and sensitive_features is not None:
            raise ParameterError(
                f"Pass the groups to {_CALLER}.{method} once: this classifier reads them from X's "
                f"column(s) {self._facet_columns()} (facet=), so sensitive_features must be None."
            )
        if self.facet is None and sensitive_features is None:
            raise ParameterError(
                f"{_CALLER}.{method} needs each row's group: pass sensitive_features=..., or build the "
                "classifier with facet='<column of X>'."
            )
        if self.facet is not None and not isinstance(X, pd.DataFrame):
            raise ParameterError.bad_value(
                "X",
                f"{_CALLER}.{method}",
                f"a DataFrame holding the facet column(s) {self._facet_columns()}",
                type(X).__name__,
            )
        source = self.facet if self.facet is not None else sensitive_features
        parameter = "facet" if self.facet is not None else "sensitive_features"
        groups, _ = sensitive_groups(
            source,
            len(X),
            caller=f"{_CALLER}.{method}",
            X=X if isinstance(X, pd.DataFrame) else None,
            parameter=parameter,
            min_groups=2 if method == "fit" else 1,
        )
        return groups

    def _model_input(self, X: Any) -> Any:
        if not isinstance(X, pd.DataFrame):
            return X
        features = self.features
        if features is None:
            named = getattr(
                self.estimator_ if hasattr(self, "estimator_") else self.estimator, "feature_names_in_", None
            )
            facet = set(self._facet_columns())
            features = list(named) if named is not None else [c for c in X.columns if c not in facet]
        absent = [c for c in features if c not in X.columns]
        if absent:
            raise ParameterError(
                f"The 'X' parameter of {_CALLER} lacks the estimator's feature columns {absent[:20]}; "
                f"columns are {list(X.columns)[:30]}."
            )
        return X[list(features)]

    # --- fit and predict ---------------------------------------------------------------------------
    def fit(self, X: Any, y: Any, *, sensitive_features: Any = None) -> Self:
        """Choose each group's threshold on ``X``, ``y``.

        Thresholds fitted on the rows the estimator was trained on follow its overfitted scores;
        rows it has not seen (a validation split) give thresholds that carry over to new data.

        Raises
        ------
        UnknownNameError
            An unknown constraint or objective.
        ParameterError
            A bad parameter, the groups given twice or not at all, a single group, labels that
            are not two values including ``positive_label``, an unfitted estimator with
            ``prefit=True``, or one without ``positive_label`` among its classes; all before any
            threshold is computed.
        MissingDependencyError
            Fairlearn is not installed (extra ``fairness``).
        """
        from sklearn.utils.validation import check_is_fitted

        self._check_params()
        groups = self._groups(X, sensitive_features, "fit")
        labels = np.asarray(y.to_numpy() if isinstance(y, pd.Series) else y, dtype=object)
        if labels.ndim != 1 or len(labels) != len(groups):
            raise ParameterError(
                f"The 'y' parameter of {_CALLER}.fit must have one label per row of X ({len(groups):,}). "
                f"Got shape {labels.shape} instead."
            )
        values = list(pd.unique(pd.Series(labels)))
        if len(values) != 2 or self.positive_label not in values:
            raise ParameterError(
                f"The 'y' parameter of {_CALLER}.fit must hold two labels, one of them positive_label "
                f"({self.positive_label!r}). Got {values[:10]}."
            )
        if self.prefit:
            try:
                check_is_fitted(self.estimator)
            except Exception as err:
                raise ParameterError(
                    f"The 'estimator' parameter of {_CALLER} must be fitted when prefit=True; this "
                    f"{type(self.estimator).__name__} is not. Fit it, or pass prefit=False."
                ) from err
            classes = getattr(self.estimator, "classes_", None)
            if classes is not None and self.positive_label not in list(classes):
                raise ParameterError(
                    f"The 'positive_label' parameter of {_CALLER} ({self.positive_label!r}) must be a "
                    f"class of the estimator; its classes are {np.asarray(classes).tolist()}."
                )
        ThresholdOptimizer = require_fairlearn("Per-group thresholds (GroupThresholdClassifier)")
        negative = next(v for v in values if v != self.positive_label)
        self.classes_ = np.asarray([negative, self.positive_label])
        y01 = (labels == self.positive_label).astype(int)
        if self.prefit:
            self.estimator_ = self.estimator
        else:
            from sklearn.base import clone

            self.estimator_ = clone(self.estimator).fit(self._model_input(X), y)
        model_X = self._model_input(X)
        self.scorer_ = PositiveClassScores(self.estimator_, self.positive_label)
        optimizer = ThresholdOptimizer(
            estimator=self.scorer_,
            constraints=self.constraints,
            objective=self.objective,
            grid_size=int(self.grid_size),
            flip=self.flip,
            prefit=True,
            predict_method="predict_proba",
        )
        optimizer.fit(model_X, y01, sensitive_features=pd.Series(groups, name="group"))
        self.optimizer_ = optimizer
        self.groups_ = tuple(sorted(str(g) for g in set(groups)))
        fitted = optimizer.interpolated_thresholder_
        chance = self._chance(model_X, groups)
        self.thresholds_ = tuple(
            _group_threshold(
                g, fitted.interpolation_dict[g], int((groups == g).sum()), float(chance[groups == g].mean())
            )
            for g in self.groups_
        )
        return self

    def _chance(self, model_X: Any, groups: np.ndarray) -> np.ndarray:
        scores = self.scorer_.predict_proba(model_X)[:, 1]
        out = np.zeros(len(scores))
        for g, bunch in self.optimizer_.interpolated_thresholder_.interpolation_dict.items():
            rows = groups == g
            s = scores[rows]
            p = bunch.p0 * bunch.operation0(s) + bunch.p1 * bunch.operation1(s)
            if "p_ignore" in bunch:
                p = bunch.p_ignore * bunch.prediction_constant + (1 - bunch.p_ignore) * p
            out[rows] = p
        return out

    def _check_groups(self, X: Any, sensitive_features: Any, method: str) -> np.ndarray:
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self, "optimizer_")
        groups = self._groups(X, sensitive_features, method)
        unseen = sorted({str(g) for g in groups} - set(self.groups_))
        if unseen:
            raise ParameterError(
                f"{_CALLER}.{method} got groups {unseen[:10]} that fit did not see, so they have no "
                f"threshold; fitted groups are {list(self.groups_)[:20]}."
            )
        return groups

    def selection_probability(self, X: Any, *, sensitive_features: Any = None) -> np.ndarray:
        """The probability that each row is predicted positive: 0 or 1 where its group's rule is
        one threshold, between them where the rule mixes two. ``predict`` draws from it.

        This is the randomized rule's chance, not a calibrated probability of the label.
        """
        groups = self._check_groups(X, sensitive_features, "selection_probability")
        return self._chance(self._model_input(X), groups)

    def predict(self, X: Any, *, sensitive_features: Any = None) -> np.ndarray:
        """The labels after each group's threshold; the same ``X`` gives the same labels.

        Raises
        ------
        ParameterError
            The groups given twice or not at all, or a group that ``fit`` did not see (it has no
            threshold).
        """
        groups = self._check_groups(X, sensitive_features, "predict")
        chosen = self.optimizer_.predict(
            self._model_input(X),
            sensitive_features=pd.Series(groups, name="group"),
            random_state=self.random_state,
        )
        return self.classes_[np.asarray(chosen, dtype=int)]
