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
from lifecycle_widgets.core.explain.global_ import Dependence, FeatureImportance, Surrogate
from lifecycle_widgets.core.result import Result
from lifecycle_widgets.exceptions import ParameterError


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
