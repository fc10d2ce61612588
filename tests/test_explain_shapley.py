"""Model-agnostic SHAP values against shap's ExactExplainer and against linear models, whose
Shapley values are known in closed form."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shap
from sklearn.ensemble import RandomForestClassifier
from sklearn.neighbors import KNeighborsRegressor

import lifecycle_widgets as lw
from lifecycle_widgets.core.explain import Explainer
from lifecycle_widgets.core.explain.shapley import coalitions_per_row, shapley_values


@pytest.fixture(scope="module")
def interacting() -> tuple[np.ndarray, RandomForestClassifier]:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 5))
    y = (X[:, 0] * X[:, 1] + X[:, 2] > 0).astype(int)
    return X, RandomForestClassifier(20, max_depth=5, random_state=0).fit(X, y)


def test_exact_values_equal_shaps_exact_explainer(interacting) -> None:
    X, forest = interacting
    background = X[:30]
    ours = shapley_values(forest.predict_proba, X[30:40], background, max_evals=200)
    assert ours.method == "exact" and ours.values.shape == (10, 5, 2)
    expected = shap.ExactExplainer(
        forest.predict_proba, shap.maskers.Independent(background, max_samples=30)
    )(X[30:40])
    np.testing.assert_allclose(ours.values, expected.values, atol=1e-12)
    np.testing.assert_allclose(ours.base_values, expected.base_values[0], atol=1e-12)


def test_permutation_walks_add_up_and_converge(interacting) -> None:
    X, forest = interacting
    background = X[:30]
    rows = X[30:36]
    proba = forest.predict_proba
    sampled = shapley_values(proba, rows, background, max_evals=20, random_state=3)
    assert (sampled.method, sampled.permutations) == ("permutation", 2)
    np.testing.assert_allclose(sampled.values.sum(1) + sampled.base_values, proba(rows), atol=1e-12)
    exact = shapley_values(proba, rows, background, max_evals=32).values
    many = shapley_values(proba, rows, background, max_evals=3000, random_state=3)
    assert many.method == "exact"  # 2**5 coalitions fit: enumerated, not sampled
    np.testing.assert_allclose(many.values, exact)
    # sampling error shrinks with permutations (each walk is an unbiased estimate)
    errors = [
        np.abs(shapley_values(proba, rows, background, max_evals=e, random_state=1).values - exact).mean()
        for e in (10, 31)
    ]
    assert errors[1] < errors[0]


def test_permutation_sampling_is_exact_for_an_additive_model() -> None:
    rng = np.random.default_rng(1)
    w = rng.normal(size=12)
    X, background = rng.normal(size=(7, 12)), rng.normal(size=(40, 12))
    result = shapley_values(lambda a: a @ w, X, background, max_evals=30, random_state=5)
    assert result.method == "permutation" and result.permutations == 1
    expected = w * (X - background.mean(0))  # Shapley values of a linear function
    np.testing.assert_allclose(result.values[:, :, 0], expected, atol=1e-12)


def test_batches_do_not_change_the_values(interacting) -> None:
    X, forest = interacting
    a = shapley_values(forest.predict_proba, X[:9], X[100:120], max_evals=20, random_state=2)
    b = shapley_values(forest.predict_proba, X[:9], X[100:120], max_evals=20, random_state=2, batch_rows=50)
    np.testing.assert_array_equal(a.values, b.values)
    assert coalitions_per_row(5, 20) == 2 + 2 * 2 * 4


def test_categorical_columns_are_masked_by_value() -> None:
    df = lw.datasets.credit(300, seed=2)
    X = df[["age", "utilization", "region"]].copy()
    X["age"] = X["age"].astype(float)
    codes = {r: float(i) for i, r in enumerate(sorted(X["region"].astype(str).unique()))}

    def code(frame: pd.DataFrame) -> pd.Series:
        return frame["region"].astype(str).map(codes).astype(float)

    target = X["utilization"] * 10 + code(X)

    class OnFrames:  # needs the real category values, as a pandas pipeline would
        def predict(self, frame: pd.DataFrame) -> np.ndarray:
            return (frame["utilization"] * 10 + code(frame)).to_numpy(float)

    explainer = Explainer(OnFrames())
    exp = explainer.explain(X, target, max_rows=10)
    background = X.sample(100, random_state=0)
    shap_frame = exp.shap_frame()
    expected_region = code(X).iloc[list(exp.rows)] - code(background).mean()
    np.testing.assert_allclose(shap_frame["region"], expected_region.to_numpy(), atol=1e-12)
    np.testing.assert_allclose(shap_frame["age"], 0.0, atol=1e-12)


def test_knn_regressor_end_to_end() -> None:
    rng = np.random.default_rng(4)
    X = pd.DataFrame(rng.normal(size=(300, 9)), columns=[f"x{i}" for i in range(9)])
    y = X["x0"] * 2 + X["x1"] * X["x2"]
    knn = KNeighborsRegressor(10).fit(X, y)
    exp = lw.explain(knn, X, y, max_rows=6)
    assert exp.algorithm == "permutation"  # 2**9 coalitions exceed the budget of 200
    np.testing.assert_allclose(
        np.asarray(exp.shap_values).sum(1) + exp.base_value, knn.predict(X.iloc[list(exp.rows)]), atol=1e-9
    )
