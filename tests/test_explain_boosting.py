"""xgboost and lightgbm models get tree SHAP, checked against the libraries' own TreeSHAP
(``pred_contribs`` / ``pred_contrib``). Each test runs only where its library is installed."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_diabetes, load_wine

import lifecycle_widgets as lw


@pytest.fixture(scope="module")
def binary():
    df = lw.datasets.credit(800, seed=3)
    return df[["age", "income", "utilization", "late_payments"]].fillna(0), df["defaulted"]


@pytest.fixture(scope="module")
def multiclass():
    return load_wine(return_X_y=True, as_frame=True)


@pytest.fixture(scope="module")
def regression():
    X, y = load_diabetes(return_X_y=True, as_frame=True)
    return X, y.round().astype(int)


def contributions(model, X, library: str) -> np.ndarray:
    """The library's own SHAP values in raw-score space, without the bias column(s):
    rows x features (x classes)."""
    if library == "xgboost":
        out = model.get_booster().predict(__import__("xgboost").DMatrix(X), pred_contribs=True)
        return out[..., :-1] if out.ndim == 2 else np.moveaxis(out[..., :-1], 1, 2)
    out = model.predict(X, pred_contrib=True)
    k = getattr(model, "n_classes_", 1)
    if k > 2:
        return np.stack(
            [out[:, c * (X.shape[1] + 1) : (c + 1) * (X.shape[1] + 1) - 1] for c in range(k)], axis=2
        )
    return out[:, :-1]


@pytest.mark.parametrize("library", ["xgboost", "lightgbm"])
def test_boosted_models_get_tree_shap(library, binary, multiclass, regression) -> None:
    lib = pytest.importorskip(library)
    Classifier = lib.XGBClassifier if library == "xgboost" else lib.LGBMClassifier
    Regressor = lib.XGBRegressor if library == "xgboost" else lib.LGBMRegressor
    kw = {"n_estimators": 20, "max_depth": 3} if library == "xgboost" else {"n_estimators": 20, "verbose": -1}

    X, y = binary
    model = Classifier(**kw).fit(X, y)
    exp = lw.explain(model, X, y, max_rows=30)
    assert (exp.algorithm, exp.output_space, exp.problem_type) == ("tree", "log-odds", "binary")
    rows = list(exp.rows)
    np.testing.assert_allclose(
        np.asarray(exp.shap_values), contributions(model, X.iloc[rows], library), atol=1e-5
    )
    assert exp.metrics["auc"] > 0.5 and exp.featured is not None

    X, y = multiclass
    model = Classifier(**kw).fit(X, y)
    exp = lw.explain(model, X, y, max_rows=30, explained_class=2)
    assert (exp.algorithm, exp.output_space, exp.problem_type) == ("tree", "logit", "multiclass")
    own = contributions(model, X.iloc[list(exp.rows)], library)  # rows x features x classes
    np.testing.assert_allclose(np.asarray(exp.shap_values), own[:, :, 2], atol=1e-5)
    np.testing.assert_allclose(np.asarray(exp.class_importance), np.abs(own).mean(0).T, atol=1e-5)

    X, y = regression  # an integer target: still a regressor
    model = Regressor(**kw).fit(X, y)
    exp = lw.explain(model, X, y, max_rows=30)
    assert (exp.algorithm, exp.output_space, exp.problem_type) == ("tree", "prediction", "regression")
    np.testing.assert_allclose(
        np.asarray(exp.shap_values), contributions(model, X.iloc[list(exp.rows)], library), atol=1e-4
    )
    base = lw.Baseline.fit(X.assign(target=y), target="target", model=model, reference_is_training=False)
    assert base.model_quality["problem_type"] == "regression" and set(base.attribution) == set(X.columns)
