"""The explanation's fast paths give the numbers of the direct, slow ones: permutation importance
with the pipeline's transform done once equals scikit-learn's ``permutation_importance`` (same
seeds, same scorer), and falls back to it where a transform mixes columns."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.decomposition import PCA
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestRegressor
from sklearn.impute import SimpleImputer
from sklearn.inspection import permutation_importance
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from lifecycle_widgets.core.explain import global_ as glob
from lifecycle_widgets.core.explain.models import transformed_permutation_importance, view_model


def frame(n: int = 400, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "a": rng.normal(size=n),
            "b": rng.integers(0, 5, n),
            "c": np.where(rng.random(n) < 0.1, np.nan, rng.lognormal(size=n)),
            "d": rng.choice(["x", "y", "z"], n),
            "e": pd.Categorical(rng.choice(["p", "q"], n)),
            "f": rng.random(n) < 0.3,
            "g": rng.normal(size=n),
        }
    )
    score = X["a"] + 0.5 * X["b"] - np.nan_to_num(X["c"]) + (X["d"] == "x") + X["f"] + rng.normal(0, 0.5, n)
    return X, (score > score.median()).astype(int).to_numpy()


def pipeline(estimator, numeric=None) -> Pipeline:
    numeric = numeric or SimpleImputer(strategy="median")
    pre = ColumnTransformer(
        [
            ("num", numeric, ["a", "b", "c", "g"]),
            ("cat", OneHotEncoder(handle_unknown="ignore", sparse_output=False), ["d", "e", "f"]),
        ]
    )
    return Pipeline([("pre", pre), ("model", estimator)])


def both(model, X, y, scoring, n_repeats=4, random_state=3):
    fast = transformed_permutation_importance(
        view_model(model, X), X, y, n_repeats=n_repeats, random_state=random_state, scoring=scoring
    )
    ref = permutation_importance(model, X, y, n_repeats=n_repeats, random_state=random_state, scoring=scoring)
    return fast, ref


@pytest.mark.parametrize(
    ("estimator", "numeric", "scoring"),
    [
        (HistGradientBoostingClassifier(max_iter=8, random_state=0), None, "roc_auc"),  # decision_function
        (HistGradientBoostingClassifier(max_iter=8, random_state=0), None, "accuracy"),  # predict
        (
            LogisticRegression(max_iter=500),
            make_pipeline(SimpleImputer(strategy="median"), StandardScaler()),
            "neg_log_loss",  # predict_proba
        ),
    ],
)
def test_transformed_permutation_equals_sklearn(estimator, numeric, scoring):
    X, y = frame()
    model = pipeline(estimator, numeric).fit(X, y)
    fast, ref = both(model, X, y, scoring)
    assert fast is not None
    mean, std = fast
    np.testing.assert_array_equal(mean, ref.importances_mean)
    np.testing.assert_array_equal(std, ref.importances_std)
    assert np.abs(mean).max() > 0  # the check compares real importances, not zeros


def test_transformed_permutation_regression_equals_sklearn():
    X, y = frame(seed=1)
    target = X["a"].to_numpy() * 2 + y
    model = pipeline(RandomForestRegressor(20, random_state=0)).fit(X, target)
    fast, ref = both(model, X, target, "r2", n_repeats=2, random_state=0)
    assert fast is not None
    np.testing.assert_array_equal(fast[0], ref.importances_mean)
    np.testing.assert_array_equal(fast[1], ref.importances_std)


def test_mixing_transform_falls_back_to_sklearn():
    X, y = frame()
    num = make_pipeline(SimpleImputer(strategy="median"), StandardScaler(), PCA(4, random_state=0))
    model = pipeline(LogisticRegression(max_iter=500), num).fit(X, y)
    view = view_model(model, X)
    # PCA keeps the width, so the map claims one raw column per output: the check must see through it
    assert view.feature_map
    assert (
        transformed_permutation_importance(view, X, y, n_repeats=2, random_state=0, scoring="roc_auc") is None
    )
    out = glob.permutation(view, X, y, n_repeats=2, random_state=0)
    ref = permutation_importance(model, X, y, n_repeats=2, random_state=0, scoring="roc_auc")
    assert [out[c][0] for c in X.columns] == pytest.approx(ref.importances_mean, abs=0)


def test_glob_permutation_uses_the_same_numbers():
    X, y = frame(seed=2)
    model = pipeline(HistGradientBoostingClassifier(max_iter=8, random_state=0)).fit(X, y)
    out = glob.permutation(view_model(model, X), X, y, n_repeats=3, random_state=5)
    ref = permutation_importance(model, X, y, n_repeats=3, random_state=5, scoring="roc_auc")
    assert [out[c][0] for c in X.columns] == ref.importances_mean.tolist()
    assert [out[c][1] for c in X.columns] == ref.importances_std.tolist()


def test_frame_output_pipeline_falls_back():
    X, y = frame(seed=3)
    model = pipeline(LogisticRegression(max_iter=500)).set_output(transform="pandas").fit(X, y)
    view = view_model(model, X)
    assert (
        transformed_permutation_importance(view, X, y, n_repeats=2, random_state=0, scoring="roc_auc") is None
    )


def test_boosted_trees_replay_is_used_and_exact():
    from lifecycle_widgets.core.explain.models import _BoostedTrees

    X, y = frame(seed=4)
    model = pipeline(HistGradientBoostingClassifier(max_iter=8, random_state=0)).fit(X, y)
    xt = model[:-1].transform(X)
    trees = _BoostedTrees.of(model[-1], xt)
    assert trees is not None
    work = xt.copy()
    work[:, 3] = work[::-1, 3]  # column "g" (noise) reversed: only the trees splitting on it change
    replay = trees.replay(work, np.array([3]))
    np.testing.assert_array_equal(replay.decision_function(work), model[-1].decision_function(work))
    np.testing.assert_array_equal(replay.predict_proba(work), model[-1].predict_proba(work))
    assert any(3 not in used for _, _, used in trees.trees)  # some trees were reused as they were
