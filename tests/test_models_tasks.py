"""The task comes from the estimator, never from the labels: regressors of integer targets,
HistGradientBoosting, duck-typed models, multiclass models and bare estimators, each checked
against scikit-learn and shap; bad models and labels refused before any computation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shap
from sklearn import metrics
from sklearn.datasets import load_diabetes, load_digits, load_wine
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.inspection import permutation_importance
from sklearn.linear_model import LogisticRegression

import lifecycle_widgets as lw
from lifecycle_widgets.core.drift.quality import quality_metrics
from lifecycle_widgets.core.explain import Explainer
from lifecycle_widgets.core.explain.estimator import ModelTask, as_estimator, model_task


class DuckClassifier:
    """A model with predict, predict_proba and classes_ only: no scikit-learn base class."""

    def __init__(self, model) -> None:
        self._model = model
        self.classes_ = model.classes_
        self.calls = 0

    def predict(self, X):
        self.calls += 1
        return self._model.predict(X)

    def predict_proba(self, X):
        self.calls += 1
        return self._model.predict_proba(X)


class DuckRegressor:
    def __init__(self, model) -> None:
        self._model = model
        self.calls = 0

    def predict(self, X):
        self.calls += 1
        return self._model.predict(X)


@pytest.fixture(scope="module")
def diabetes() -> tuple[pd.DataFrame, pd.Series]:
    X, y = load_diabetes(return_X_y=True, as_frame=True)
    return X, y.round().astype(int)  # integer-valued: type_of_target reads "multiclass"


@pytest.fixture(scope="module")
def wine() -> tuple[pd.DataFrame, pd.Series]:
    return load_wine(return_X_y=True, as_frame=True)


@pytest.fixture(scope="module")
def credit() -> tuple[pd.DataFrame, pd.Series]:
    df = lw.datasets.credit(800, seed=3)
    return df[["age", "income", "utilization", "late_payments"]].fillna(0), df["defaulted"]


@pytest.fixture(scope="module")
def logistic(credit) -> LogisticRegression:
    X, y = credit
    return LogisticRegression(max_iter=1000).fit(X, y)


def regression_metrics(y, pred) -> dict[str, float]:
    return {
        "mae": metrics.mean_absolute_error(y, pred),
        "rmse": np.sqrt(metrics.mean_squared_error(y, pred)),
        "r2": metrics.r2_score(y, pred),
    }


# --- the task ------------------------------------------------------------------------------------
def test_task_of_each_kind_of_model(diabetes, wine, logistic) -> None:
    X, y = diabetes
    assert model_task(RandomForestRegressor(5, random_state=0).fit(X, y), "t") == ModelTask("regression")
    assert model_task(DuckRegressor(logistic), "t") == ModelTask("regression")  # no predict_proba
    assert model_task(DuckClassifier(logistic), "t") == ModelTask("binary", (0, 1))
    Xw, yw = wine
    forest = RandomForestClassifier(5, random_state=0).fit(Xw, yw)
    assert model_task(forest, "t") == ModelTask("multiclass", (0, 1, 2))
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    assert model_task(make_pipeline(StandardScaler(), DuckClassifier(forest)), "t").classes == (0, 1, 2)

    class Declared(DuckRegressor):  # the convention xgboost's and lightgbm's wrappers keep
        _estimator_type = "regressor"
        classes_ = (0, 1)

    assert not model_task(Declared(logistic), "t").is_classifier
    with pytest.raises(lw.ParameterError, match="The 'champion' parameter of compare_models must be"):
        model_task(object(), "compare_models", name="champion")


def test_quality_metrics_follow_the_task_not_the_labels() -> None:
    y = np.array([3, 5, 7, 5, 3])
    pred = np.array([3.5, 4.0, 7.5, 5.0, 2.0])
    got = quality_metrics(y, pred, task=ModelTask("regression"))
    assert got["problem_type"] == "regression"
    assert got["mae"] == pytest.approx(metrics.mean_absolute_error(y, pred))
    # with predictions only (no model), continuous predictions say regression too
    assert quality_metrics(y, pred)["problem_type"] == "regression"


def test_multiclass_auc_on_a_batch_without_a_class() -> None:
    rng = np.random.default_rng(0)
    proba = rng.dirichlet([1, 1, 1], 200)
    y = np.where(proba[:, 0] > proba[:, 1], 0, 1)  # class 2 never occurs in this batch
    got = quality_metrics(y, proba.argmax(1), proba, task=ModelTask("multiclass", (0, 1, 2)))
    expected = np.mean([metrics.roc_auc_score(y == c, proba[:, c]) for c in (0, 1)])
    assert got["auc"] == pytest.approx(expected)
    assert got["log_loss"] == pytest.approx(metrics.log_loss(y, proba, labels=[0, 1, 2]))
    full = np.r_[y, 2, 2]
    proba2 = np.r_[proba, [[0.1, 0.1, 0.8], [0.2, 0.2, 0.6]]]
    got = quality_metrics(full, proba2.argmax(1), proba2, task=ModelTask("multiclass", (0, 1, 2)))
    assert got["auc"] == pytest.approx(metrics.roc_auc_score(full, proba2, multi_class="ovr"))


# --- regressors of integer targets ------------------------------------------------------------------
def test_regressor_of_an_integer_target_is_explained_as_a_regressor(diabetes) -> None:
    X, y = diabetes
    model = RandomForestRegressor(30, max_depth=5, random_state=0).fit(X, y)
    exp = lw.explain(model, X, y, max_rows=40)
    assert exp.problem_type == "regression" and exp.classes == () and exp.calibration is None
    expected = regression_metrics(y, model.predict(X))
    assert {k: exp.metrics[k] for k in expected} == pytest.approx(expected)
    values = shap.TreeExplainer(model)(X.iloc[list(exp.rows)]).values
    np.testing.assert_allclose(np.asarray(exp.shap_values), values, atol=1e-9)
    perm = permutation_importance(model, X, y, n_repeats=5, random_state=0, scoring="r2")
    got = exp.global_importance().loc[list(X.columns), "permutation_mean"].astype(float)
    np.testing.assert_allclose(got, perm.importances_mean)


def test_baseline_with_a_regressor_of_an_integer_target(diabetes) -> None:
    X, y = diabetes
    model = RandomForestRegressor(20, max_depth=4, random_state=0).fit(X, y)
    frame = X.assign(progression=y)
    # how the metrics are computed, on the rows given: say they are the training rows on purpose
    base = lw.Baseline.fit(frame, target="progression", model=model, reference_is_training=False)
    expected = regression_metrics(y, model.predict(X))
    assert base.model_quality["problem_type"] == "regression"
    assert {k: base.model_quality[k] for k in expected} == pytest.approx(expected)
    assert "regression_constraints" in base.constraints["model_quality_constraints"]
    mean_abs = np.abs(shap.TreeExplainer(model)(X.head(500)).values).mean(0)
    assert [base.attribution[c] for c in X.columns] == pytest.approx(mean_abs.tolist())
    report = base.check(frame.iloc[:200], model=model)
    assert report.model_quality["problem_type"] == "regression"
    assert report.model_quality["r2"] == pytest.approx(metrics.r2_score(y[:200], model.predict(X.iloc[:200])))


def test_hist_gradient_boosting(diabetes, credit) -> None:
    from threadpoolctl import threadpool_limits

    # HistGradientBoosting predicts with OpenMP threads; on a busy 2-core machine many small
    # predictions with contended threads take seconds each instead of milliseconds
    with threadpool_limits(limits=1):
        check_hist_gradient_boosting(diabetes, credit)


def check_hist_gradient_boosting(diabetes, credit) -> None:
    X, y = diabetes
    hgb = HistGradientBoostingRegressor(max_iter=30, random_state=0).fit(X, y)
    exp = lw.explain(hgb, X, y, max_rows=30)
    assert (exp.algorithm, exp.problem_type, exp.output_space) == ("tree", "regression", "prediction")
    np.testing.assert_allclose(
        np.asarray(exp.shap_values), shap.TreeExplainer(hgb)(X.iloc[list(exp.rows)]).values, atol=1e-6
    )
    Xc, yc = credit
    clf = HistGradientBoostingClassifier(max_iter=30, random_state=0).fit(Xc, yc)
    margin = shap.TreeExplainer(clf)(Xc).values  # log-odds of classes_[1]
    for explained, sign in ((1, 1.0), (0, -1.0)):  # the first class's log-odds are the negative
        exp = lw.explain(clf, Xc, yc, max_rows=20, explained_class=explained)
        assert exp.output_space == "log-odds"
        np.testing.assert_allclose(np.asarray(exp.shap_values), sign * margin[list(exp.rows)], atol=1e-6)


# --- duck-typed models ----------------------------------------------------------------------------
def test_duck_typed_classifier_everywhere(credit, logistic) -> None:
    X, y = credit
    duck = DuckClassifier(logistic)
    exp = lw.explain(duck, X, y, max_rows=8, n_repeats=3)
    assert exp.problem_type == "binary" and exp.algorithm == "exact"
    out = logistic.predict_proba(X.iloc[list(exp.rows)])[:, 1]
    np.testing.assert_allclose(np.asarray(exp.shap_values).sum(1) + exp.base_value, out, atol=1e-9)
    # the same permutation importance as scikit-learn gives the real model
    perm = permutation_importance(logistic, X, y, n_repeats=3, random_state=0, scoring="roc_auc")
    got = exp.global_importance().loc[list(X.columns), "permutation_mean"].astype(float)
    np.testing.assert_allclose(got, perm.importances_mean)
    assert exp.metrics["auc"] == pytest.approx(metrics.roc_auc_score(y, logistic.predict_proba(X)[:, 1]))
    assert exp.calibration is not None and exp.featured is not None
    base = lw.Baseline.fit(X.assign(defaulted=y), target="defaulted", model=duck)
    assert base.model_quality["accuracy"] == pytest.approx(metrics.accuracy_score(y, logistic.predict(X)))
    assert set(base.attribution) == set(X.columns)


def test_duck_typed_regressor(credit) -> None:
    X, _ = credit
    target = X["income"] / 1000 + 5 * X["utilization"]
    real = RandomForestRegressor(10, max_depth=4, random_state=0).fit(X, target)
    exp = lw.explain(DuckRegressor(real), X, target, max_rows=5, n_repeats=2)
    assert exp.problem_type == "regression"
    assert exp.metrics["r2"] == pytest.approx(metrics.r2_score(target, real.predict(X)))
    assert as_estimator(real, ModelTask("regression")) is real  # scikit-learn's own: not wrapped


# --- multiclass ---------------------------------------------------------------------------------------
def test_multiclass_forest_has_every_class_view(wine) -> None:
    X, y = wine
    forest = RandomForestClassifier(30, max_depth=4, random_state=0).fit(X, y)
    exp = lw.explain(forest, X, y, max_rows=60)
    assert exp.problem_type == "multiclass" and exp.classes == ("0", "1", "2")
    values = shap.TreeExplainer(forest)(X.iloc[list(exp.rows)]).values  # rows x features x classes
    by_class = exp.importance_by_class()
    expected = pd.DataFrame(np.abs(values).mean(0), index=X.columns, columns=["0", "1", "2"])
    pd.testing.assert_frame_equal(by_class, expected.loc[by_class.index], check_names=False, atol=1e-12)
    assert list(by_class.index) == list(expected.sum(1).sort_values(ascending=False).index)
    proba = forest.predict_proba(X)
    assert exp.metrics["auc"] == pytest.approx(metrics.roc_auc_score(y, proba, multi_class="ovr"))
    assert exp.calibration is not None and exp.calibration.classes == ("0", "1", "2")
    assert "class_importance" in exp.figures()
    again = lw.Explanation.from_dict(exp.to_dict())
    assert again == exp and again.importance_by_class().equals(by_class)


def test_multiclass_logistic_regression_gets_exact_linear_shap() -> None:
    X, y = load_digits(return_X_y=True, as_frame=True)
    X = X / 16
    model = LogisticRegression(max_iter=200).fit(X.iloc[:600], y.iloc[:600])
    explainer = Explainer(model, X.iloc[:300], explained_class=3)
    exp = explainer.explain(X.iloc[:400], max_rows=20)
    assert (exp.algorithm, exp.output_space) == ("linear", "logit")
    background = X.iloc[:300].sample(100, random_state=0)
    x = X.iloc[:400].iloc[list(exp.rows)].to_numpy()
    expected = model.coef_[3] * (x - background.to_numpy().mean(0))  # SHAP of a linear logit
    np.testing.assert_allclose(np.asarray(exp.shap_values), expected, atol=1e-9)
    per_class = np.abs(model.coef_[:, None, :] * (x - background.to_numpy().mean(0))).mean(
        1
    )  # classes x features
    np.testing.assert_allclose(np.asarray(exp.class_importance), per_class, atol=1e-9)


def test_multiclass_baseline_ranks_features_over_every_class(wine) -> None:
    X, y = wine
    forest = RandomForestClassifier(20, max_depth=3, random_state=0).fit(X, y)
    base = lw.Baseline.fit(X.assign(cultivar=y), target="cultivar", model=forest, reference_is_training=False)
    expected = np.abs(shap.TreeExplainer(forest)(X).values).mean(0).mean(-1)
    assert [base.attribution[c] for c in X.columns] == pytest.approx(expected.tolist())
    assert base.model_quality["problem_type"] == "multiclass"
    assert base.model_quality["auc"] == pytest.approx(
        metrics.roc_auc_score(y, forest.predict_proba(X), multi_class="ovr")
    )
    batch = X.assign(cultivar=y).iloc[:59]  # class 0 only: the batch lacks classes 1 and 2
    assert base.check(batch, model=forest).model_quality["accuracy"] == pytest.approx(
        metrics.accuracy_score(y[:59], forest.predict(X.iloc[:59]))
    )


# --- lineage of a bare estimator ---------------------------------------------------------------------
def test_lineage_of_a_bare_estimator(credit, logistic) -> None:
    X, _ = credit
    graph = lw.lineage(logistic, X)
    assert graph.features == tuple(X.columns)
    assert all(graph.sources(c) == (c,) for c in X.columns)
    assert any(n.kind == "model" and n.label == "LogisticRegression" for n in graph.nodes)
    assert lw.LineageGraph.from_dict(graph.to_dict()) == graph


# --- bad input, refused before any computation ----------------------------------------------------------
class NoPredict:
    def fit(self, X, y):
        return self


class ProbaOnly:  # a classifier without classes_
    def predict(self, X):
        raise AssertionError("must not be called")

    def predict_proba(self, X):
        raise AssertionError("must not be called")


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (
            "explain_no_predict",
            r"'model' parameter of Explainer must be a fitted model with a predict method",
        ),
        (
            "baseline_no_predict",
            r"'model' parameter of Baseline must be a fitted model with a predict method",
        ),
        ("no_classes", r"'model' parameter of Explainer: the classifier ProbaOnly has no classes_"),
        (
            "unknown_label",
            r"'y' parameter of Explainer.explain holds labels the model does not know: \['maybe'\]",
        ),
        (
            "baseline_unknown_label",
            r"'target' parameter of Baseline holds labels the model does not know: \[7\]",
        ),
        (
            "check_unknown_label",
            r"'labels' parameter of Baseline holds labels the model does not know: \[9\]",
        ),
        (
            "regressor_text_label",
            r"'y' parameter of Explainer.explain must hold numbers: the model is a regressor",
        ),
        (
            "explained_class",
            r"'explained_class' parameter of Explainer must be one of the model's classes \[0, 1\]",
        ),
        ("regressor_class", r"'explained_class' parameter of Explainer must be None for a regressor"),
    ],
)
def test_bad_models_and_labels_are_refused_first(call, match, credit, logistic) -> None:
    X, y = credit
    duck = DuckClassifier(logistic)
    with pytest.raises(lw.ParameterError, match=match):
        if call == "explain_no_predict":
            lw.explain(NoPredict(), X, y)
        elif call == "baseline_no_predict":
            lw.Baseline.fit(X.assign(defaulted=y), target="defaulted", model=NoPredict())
        elif call == "no_classes":
            lw.explain(ProbaOnly(), X, y)
        elif call == "unknown_label":
            lw.explain(duck, X, y.astype(object).where(y.index != 5, "maybe"), max_rows=5)
        elif call == "baseline_unknown_label":
            lw.Baseline.fit(X.assign(defaulted=y.where(y.index != 3, 7)), target="defaulted", model=duck)
        elif call == "check_unknown_label":
            base = lw.Baseline.fit(X.assign(defaulted=y), target="defaulted")
            base.check(X.head(10), labels=np.r_[np.zeros(9, int), 9], model=duck)
        elif call == "regressor_text_label":
            lw.explain(DuckRegressor(logistic), X, np.where(y == 1, "yes", "no"), max_rows=5)
        elif call == "explained_class":
            lw.explain(duck, X, y, explained_class="1")
        elif call == "regressor_class":
            lw.explain(DuckRegressor(logistic), X, explained_class=1)
    assert duck.calls == 0  # refused before the model predicted anything
