"""The results of explaining a model: :class:`Explanation` (global) and :class:`LocalExplanation`
(one row). Both are frozen, hold plain values only and round-trip through JSON; the model and the
data stay with the :class:`~lifecycle_widgets.core.explain.explainer.Explainer` that computed them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from lifecycle_widgets.core.explain.bias import BiasReport
from lifecycle_widgets.core.explain.calibrate import Calibration
from lifecycle_widgets.core.explain.counterfactual import Counterfactual
from lifecycle_widgets.core.explain.global_ import (
    AccumulatedEffects,
    Dependence,
    FeatureImportance,
    PairDependence,
    Surrogate,
    interaction_scores,
)
from lifecycle_widgets.core.result import Result
from lifecycle_widgets.exceptions import ColumnError, ParameterError


def space_note(output_space: str, explained: str | None) -> str | None:
    """One sentence saying how SHAP values in ``output_space`` relate to the probability shown as
    the prediction, or None where they are in the prediction's own units.

    Examples
    --------
    >>> space_note("log-odds", "yes")[:53]
    'SHAP values and the base value are in log-odds of yes'
    >>> space_note("probability", "yes") is None
    True
    """
    if output_space == "log-odds":
        return (
            f"SHAP values and the base value are in log-odds of {explained}: they add up to the "
            "model's margin f(x), and the probability is 1 / (1 + exp(-f(x)))."
        )
    if output_space == "logit":
        return (
            f"SHAP values and the base value are in the raw score (logit) of class {explained}: they "
            "add up to its margin f(x); the probabilities are the softmax of every class's margin."
        )
    return None


@dataclass(frozen=True)
class Cohort:
    """Mean |SHAP| per feature within one group of rows."""

    name: str
    size: int
    mean_abs_shap: tuple[float, ...]


@dataclass(frozen=True)
class Contribution:
    """One feature's value in a row and its attribution."""

    feature: str
    value: str
    attribution: float


@dataclass(frozen=True)
class RowDependence:
    """How the output for one row changes as one feature moves over its grid (the row's ICE)."""

    feature: str
    grid: tuple[str | float, ...]
    curve: tuple[float, ...]
    current: str


@dataclass(frozen=True)
class Uncertainty:
    """Spread of the row's prediction over a bootstrap ensemble of the model."""

    mean: float
    std: float
    low: float
    high: float
    models: int


@dataclass(frozen=True)
class LocalExplanation(Result):
    """Why the model predicts what it does for one row: SHAP, LIME, a counterfactual, the row's
    ICE curves and (with a bootstrap ensemble) the spread of its prediction.

    Examples
    --------
    >>> import lifecycle_widgets as lw
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from lifecycle_widgets.core.explain import Explainer
    >>> df = lw.datasets.credit(400)
    >>> X, y = df[["age", "utilization"]], df["defaulted"]
    >>> explainer = Explainer(DecisionTreeClassifier(max_depth=3, random_state=0).fit(X, y))
    >>> exp = explainer.explain(X, y, max_rows=50)
    >>> local = explainer.local(7)
    >>> round(local.base_value + sum(c.attribution for c in local.shap), 6) == round(local.prediction, 6)
    True
    """

    kind: ClassVar[str] = "local_explanation"

    row: int
    prediction: float
    decision: str
    label: str | None
    base_value: float
    output_space: str
    shap: tuple[Contribution, ...]
    lime: tuple[Contribution, ...]
    lime_intercept: float
    lime_score: float
    counterfactual: Counterfactual
    ice: tuple[RowDependence, ...]
    uncertainty: Uncertainty | None = None

    @property
    def shap_output(self) -> float:
        """What the SHAP values add up to: the base value plus every attribution, in
        ``output_space`` (the prediction itself, or the margin ``f(x)`` in log-odds).

        Examples
        --------
        >>> from lifecycle_widgets.core.explain.counterfactual import Counterfactual
        >>> local = LocalExplanation(0, 0.73, "1", None, -0.5, "log-odds",
        ...     (Contribution("age", "40", 1.2), Contribution("income", "9000", 0.3)), (), 0.0, 0.0,
        ...     Counterfactual(False), ())
        >>> round(local.shap_output, 6), round(local.probability_of_output, 3)
        (1.0, 0.731)
        """
        return float(self.base_value + sum(c.attribution for c in self.shap))

    @property
    def probability_of_output(self) -> float | None:
        """For log-odds SHAP values, the probability their sum stands for (``1 / (1 + e^-f)``,
        the model's own probability up to the explainer's precision); None in other spaces
        (see :attr:`shap_output` for an example)."""
        if self.output_space != "log-odds":
            return None
        return float(1.0 / (1.0 + np.exp(-self.shap_output)))

    def to_frame(self) -> pd.DataFrame:
        """One row per feature contribution: the feature, its value in the row, its SHAP
        attribution and its LIME weight (NaN where LIME gave the feature none), in SHAP's order.

        Examples
        --------
        >>> from lifecycle_widgets.core.explain.explanation import Contribution
        >>> from lifecycle_widgets.core.explain.counterfactual import Counterfactual
        >>> local = LocalExplanation(0, 0.7, "1", None, 0.5, "probability",
        ...     (Contribution("age", "40", 0.15), Contribution("income", "9000", 0.05)),
        ...     (Contribution("income", "9000", 0.1),), 0.5, 0.9, Counterfactual(False), ())
        >>> local.to_frame()
          feature value  shap  lime
        0     age    40  0.15   NaN
        1  income  9000  0.05   0.1
        """
        lime = {c.feature: c.attribution for c in self.lime}
        rows = [
            {
                "feature": c.feature,
                "value": c.value,
                "shap": c.attribution,
                "lime": lime.pop(c.feature, np.nan),
            }
            for c in self.shap
        ]
        rows += [
            {"feature": c.feature, "value": c.value, "shap": np.nan, "lime": c.attribution}
            for c in self.lime
            if c.feature in lime
        ]
        return pd.DataFrame(rows, columns=["feature", "value", "shap", "lime"])


@dataclass(frozen=True)
class Explanation(Result):
    """Global explanation of a model on some rows, and the local explanation of one of them.

    ``featured`` is the local explanation of the explained row with the highest prediction (the
    case a reviewer asks about first), so that every display of the result, a JSON copy's too,
    shows one local case. Other rows' local explanations and their stability come from the
    :class:`~lifecycle_widgets.core.explain.explainer.Explainer` that holds the model.

    Examples
    --------
    >>> import lifecycle_widgets as lw
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> df = lw.datasets.credit(1000)
    >>> X, y = df[["age", "income", "utilization", "late_payments"]], df["defaulted"]
    >>> model = RandomForestClassifier(50, random_state=0).fit(X, y)
    >>> exp = lw.explain(model, X, y, max_rows=200)
    >>> exp.algorithm, exp.global_importance().index[0] in X.columns
    ('tree', True)
    >>> lw.Explanation.from_dict(exp.to_dict()) == exp
    True
    """

    kind: ClassVar[str] = "explanation"

    model_name: str
    problem_type: str
    classes: tuple[str, ...]
    explained_class: str | None
    algorithm: str
    output_space: str
    features: tuple[str, ...]
    transformed_features: tuple[str, ...]
    feature_map: tuple[int, ...]
    n_rows: int
    rows: tuple[int, ...]
    base_value: float
    shap_values: tuple[tuple[float, ...], ...]
    feature_values: tuple[tuple[str, ...], ...]
    feature_scaled: tuple[tuple[float | None, ...], ...]
    predictions: tuple[float, ...]
    importance: tuple[FeatureImportance, ...]
    dependence: tuple[Dependence, ...]
    surrogate: Surrogate | None
    cohorts: tuple[Cohort, ...]
    metrics: dict[str, Any] = field(default_factory=dict)
    labels: tuple[str, ...] | None = None
    uncertainty: tuple[float, ...] | None = None
    shap_transformed: tuple[tuple[float, ...], ...] | None = None
    bias: BiasReport | None = None
    calibration: Calibration | None = None
    population_rows: int | None = None  # with a Dask frame: rows whose SHAP values the importance averages
    featured: LocalExplanation | None = None
    class_importance: tuple[tuple[float, ...], ...] | None = None  # multiclass: per class, per feature
    ale: tuple[AccumulatedEffects, ...] = ()  # numeric features among those with a partial dependence
    pair_dependence: PairDependence | None = None  # the top features that interact most

    def interaction_scores(self, feature: str) -> pd.Series:
        """How strongly each other feature modulates ``feature``'s SHAP values over the explained
        rows (shap's ``approximate_interactions``, see
        :func:`~lifecycle_widgets.core.explain.global_.interaction_scores`), strongest first.

        Examples
        --------
        >>> import lifecycle_widgets as lw
        >>> from sklearn.ensemble import RandomForestRegressor
        >>> df = lw.datasets.credit(300)
        >>> X = df[["age", "utilization", "late_payments"]]
        >>> exp = lw.explain(RandomForestRegressor(10, random_state=0).fit(X, df["income"].fillna(0)),
        ...                  X, max_rows=60)
        >>> list(exp.interaction_scores("age").index) in (["utilization", "late_payments"],
        ...                                             ["late_payments", "utilization"])
        True
        """
        index = self._feature_index(feature, "Explanation.interaction_scores")
        scaled = np.array(
            [[np.nan if v is None else v for v in row] for row in self.feature_scaled], dtype=float
        ).reshape(len(self.rows), len(self.features))
        scores = interaction_scores(np.asarray(self.shap_values, dtype=float), scaled, index)
        series = pd.Series(scores, index=list(self.features), name="interaction").drop(feature)
        return series.sort_values(ascending=False, kind="stable")

    def strongest_interaction(self, feature: str) -> str | None:
        """The feature that most modulates ``feature``'s SHAP values (the dependence plot's
        colour; see :meth:`interaction_scores` for an example), or None when none does beyond
        chance: the mean |correlation| per run of rows must exceed three times what independent
        values give on average, ``sqrt(2 / (pi k))`` for runs of ``k`` rows (three, not two: the
        best of many features is picked)."""
        scores = self.interaction_scores(feature)
        if scores.empty or not scores.iloc[0] > 0:
            return None
        n = len(self.rows)
        k = max(min(n // 10, 50), 1)
        runs = -(-n // k)
        chance = 3 * np.sqrt(2 / (np.pi * k))
        return str(scores.index[0]) if scores.iloc[0] / runs > chance else None

    def _feature_index(self, feature: str, caller: str) -> int:
        if feature not in self.features:
            raise ColumnError(
                feature, f"{caller}: not an explained feature; features are {list(self.features)[:20]}"
            )
        return self.features.index(feature)

    @property
    def space_note(self) -> str | None:
        """How the SHAP values relate to the predicted probability (None when they are in its
        units): see :func:`space_note`."""
        return space_note(self.output_space, self.explained_class)

    def global_importance(self) -> pd.DataFrame:
        """Mean |SHAP| and permutation importance (mean, std) per feature, most important first."""
        frame = pd.DataFrame([vars(i) for i in self.importance]).set_index("feature")
        return frame.sort_values("shap_mean_abs", ascending=False)

    def to_frame(self) -> pd.DataFrame:
        """The global importance as plain columns: one row per feature (``feature``, then mean
        |SHAP| and permutation importance), most important first; :meth:`global_importance` with
        the feature as a column rather than the index."""
        return self.global_importance().reset_index()

    def importance_by_class(self) -> pd.DataFrame:
        """Multiclass: mean |SHAP| of each class's output (columns) per feature (rows), the
        features with the largest total first; SHAP values of every class come from the same
        model calls, so this costs nothing more. Empty for binary and regression models."""
        if self.class_importance is None:
            return pd.DataFrame(index=pd.Index([], name="feature"), columns=list(self.classes), dtype=float)
        frame = pd.DataFrame(
            list(zip(*self.class_importance, strict=True)),
            index=pd.Index(self.features, name="feature"),
            columns=list(self.classes),
        )
        return frame.loc[frame.sum(axis=1).sort_values(ascending=False).index]

    def shap_frame(self, *, transformed: bool = False) -> pd.DataFrame:
        """SHAP values of the explained rows (index: row positions in X)."""
        if transformed:
            if self.shap_transformed is None:
                raise ParameterError(
                    "No transformed-level SHAP values: the model was explained at the raw level."
                )
            return pd.DataFrame(
                self.shap_transformed, index=list(self.rows), columns=list(self.transformed_features)
            )
        return pd.DataFrame(self.shap_values, index=list(self.rows), columns=list(self.features))

    def __repr__(self) -> str:
        top = ", ".join(self.global_importance().index[:3])
        return (
            f"<Explanation of {self.model_name} ({self.algorithm} SHAP) on {self.n_rows:,} rows; top: {top}>"
        )
