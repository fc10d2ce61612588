"""Counterfactual search: the cheapest flipping change among the candidates, found in batched
predictions, with every column keeping its dtype."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression

from lifecycle_widgets.core.explain.counterfactual import counterfactual
from lifecycle_widgets.core.explain.models import view_model


@pytest.fixture(scope="module")
def frame() -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(0)
    n = 600
    X = pd.DataFrame(
        {
            "income": rng.normal(50, 15, n),
            "accounts": rng.integers(0, 8, n),
            "region": pd.Categorical(rng.choice(["north", "south", "east"], n)),
            "age": rng.integers(20, 70, n),
        }
    )
    score = (X["income"] - 50) / 15 + (X["region"] == "south") * 1.5 - X["accounts"] * 0.2
    return X, (score + rng.normal(0, 0.5, n) > 0).astype(int)


@pytest.fixture(scope="module")
def model(frame) -> HistGradientBoostingClassifier:
    X, y = frame
    # reads the category dtype itself: a trial frame that lost it would fail to predict
    return HistGradientBoostingClassifier(max_iter=40, categorical_features="from_dtype", random_state=0).fit(
        X, y
    )


def brute_force(model, X: pd.DataFrame, row: pd.DataFrame, immutable: tuple[str, ...]) -> float | None:
    """The smallest single-feature cost by predicting one trial at a time (the documented
    candidates and costs, computed directly)."""
    before = model.predict(row)[0]
    best = None
    for f in X.columns:
        if f in immutable:
            continue
        col = X[f]
        if isinstance(col.dtype, pd.CategoricalDtype):
            values, scale = col.value_counts().index.tolist()[:20], 0.0
        else:
            grid = np.unique(np.quantile(col, np.linspace(0.05, 0.95, 19)))
            values = (
                np.unique(np.round(grid)).astype(int).tolist() if col.dtype.kind == "i" else grid.tolist()
            )
            q75, q25 = np.quantile(col, [0.75, 0.25])
            scale = (q75 - q25) or col.std() or 1.0
        for v in values:
            if v == row[f].iloc[0]:
                continue
            trial = row.copy()
            trial[f] = pd.Categorical([v], categories=col.cat.categories) if scale == 0.0 else v
            if model.predict(trial)[0] != before:
                cost = 1.0 if scale == 0.0 else abs(v - float(row[f].iloc[0])) / scale
                best = cost if best is None else min(best, cost)
    return best


def test_cheapest_single_change_against_one_trial_at_a_time(frame, model) -> None:
    X, _ = frame
    view = view_model(model, X)
    found = 0
    for r in range(0, 600, 60):
        row = X.iloc[[r]]
        cf = counterfactual(view, X, row, order=list(X.columns), immutable=("age",))
        expected = brute_force(model, X, row, ("age",))
        if expected is None:
            assert not cf.found or len(cf.changes) == 2  # only a pair of changes can flip it
            continue
        found += 1
        assert cf.found and len(cf.changes) == 1 and cf.distance == pytest.approx(expected)
        change = cf.changes[0]
        assert change.feature != "age"
        trial = row.copy()
        value = change.after if change.feature == "region" else float(change.after)
        trial[change.feature] = (
            pd.Categorical([value], categories=X["region"].cat.categories)
            if change.feature == "region"
            else value
        )
        assert str(model.predict(trial)[0]) == cf.prediction_after != cf.prediction_before
    assert found >= 5


def test_batches_give_the_same_answer(frame, model) -> None:
    X, _ = frame
    view = view_model(model, X)
    row = X.iloc[[7]]
    whole = counterfactual(view, X, row, order=list(X.columns))
    assert counterfactual(view, X, row, order=list(X.columns), batch_rows=7) == whole


def test_pairs_when_no_single_change_flips() -> None:
    rng = np.random.default_rng(1)
    X = pd.DataFrame(rng.normal(size=(400, 3)), columns=["a", "b", "c"])
    y = ((X["a"] > 0) & (X["b"] > 0)).astype(int)
    model = LogisticRegression().fit(X.assign(ab=np.minimum(X["a"], X["b"])), y)

    class Both:  # positive only when a and b are both high: one change is never enough from (-, -)
        classes_ = np.array([0, 1])

        def predict(self, frame):
            return model.predict(frame.assign(ab=np.minimum(frame["a"], frame["b"])))

        def predict_proba(self, frame):
            return model.predict_proba(frame.assign(ab=np.minimum(frame["a"], frame["b"])))

    view = view_model(Both(), X)
    row = pd.DataFrame({"a": [-1.5], "b": [-1.5], "c": [0.0]})
    cf = counterfactual(view, X, row, order=["a", "b", "c"])
    assert cf.found and {c.feature for c in cf.changes} == {"a", "b"}
    changed = row.assign(**{c.feature: float(c.after) for c in cf.changes})
    assert Both().predict(changed)[0] == 1
    # the cheapest pair among the candidates tried (every other 5%..95% percentile of each)
    grid = {f: np.unique(np.quantile(X[f], np.linspace(0.05, 0.95, 19)))[::2] for f in ("a", "b")}
    scale = {f: float(np.subtract(*np.quantile(X[f], [0.75, 0.25]))) for f in ("a", "b")}
    costs = [
        abs(va + 1.5) / scale["a"] + abs(vb + 1.5) / scale["b"]
        for va, vb in itertools.product(grid["a"], grid["b"])
        if Both().predict(pd.DataFrame({"a": [va], "b": [vb], "c": [0.0]}))[0] == 1
    ]
    assert cf.distance == pytest.approx(min(costs))


def test_a_missing_value_costs_one_to_fill() -> None:
    X = pd.DataFrame({"x": np.linspace(0, 10, 50), "z": np.linspace(5, 6, 50)})
    model = LogisticRegression().fit(X, (X["x"] > 5).astype(int))

    class Filling:
        classes_ = model.classes_

        def predict(self, frame):
            return model.predict(frame.fillna({"x": 0.0}))

        def predict_proba(self, frame):
            return model.predict_proba(frame.fillna({"x": 0.0}))

    view = view_model(Filling(), X)
    cf = counterfactual(view, X, pd.DataFrame({"x": [np.nan], "z": [5.5]}), order=["x", "z"])
    assert cf.found and cf.changes[0].feature == "x" and cf.distance == 1.0
