"""The model registry's governance and its champion/challenger comparisons: real SQLite files
reopened from disk, real scikit-learn models, every number checked against an independent
computation (scikit-learn's metrics, scipy's tests, a direct O(m n) DeLong, a bootstrap)."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn import metrics as skm
from sklearn.dummy import DummyClassifier
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.tree import DecisionTreeRegressor

import lifecycle_widgets as lw
from lifecycle_widgets.core.experiments import COMPARISON_METRICS, compare_models, delong_test
from lifecycle_widgets.store import connect, trail
from lifecycle_widgets.store.integrity import compare_tables, replay

TRUSTED = ["sklearn.tree._tree.Tree"]
FEATURES = ["age", "income", "utilization", "late_payments"]


@pytest.fixture(scope="module")
def data() -> tuple[pd.DataFrame, pd.Series, pd.DataFrame, pd.Series]:
    df = lw.datasets.credit(3000, seed=2)
    X, y = df[FEATURES].fillna(0), df["defaulted"]
    return X[:2000], y[:2000], X[2000:], y[2000:]


@pytest.fixture(scope="module")
def classifiers(data) -> tuple[LogisticRegression, RandomForestClassifier]:
    X, y, _, _ = data
    return (
        LogisticRegression(max_iter=1000).fit(X, y),
        RandomForestClassifier(60, max_depth=6, random_state=0).fit(X, y),
    )


def _register(store: lw.RunStore, reg: lw.ModelRegistry, name: str, models, by: str = "trainer") -> None:
    for model in models:
        with store.start_run(experiment=name) as run:
            run.log_model(model)
        reg.register(run, name=name, by=by)


@pytest.fixture
def registry(tmp_path: Path, classifiers) -> lw.ModelRegistry:
    store = lw.RunStore(tmp_path / "lifecycle.db")
    reg = lw.ModelRegistry(store)
    _register(store, reg, "credit-risk", classifiers)
    return reg


# --- comparisons answer the question asked ------------------------------------------------------


def delong_by_definition(y: np.ndarray, a: np.ndarray, b: np.ndarray) -> tuple[float, float, float]:
    """DeLong, DeLong & Clarke-Pearson (1988) as written: the Mann-Whitney kernel over every
    positive-negative pair (O(m n)), not the rank algorithm under test."""
    pos = y == 1
    parts = []
    for s in (a, b):
        kernel = (s[pos][:, None] > s[~pos][None, :]) + 0.5 * (s[pos][:, None] == s[~pos][None, :])
        parts.append((kernel.mean(), kernel.mean(axis=1), kernel.mean(axis=0)))
    m, n = int(pos.sum()), int((~pos).sum())
    s10 = np.cov(np.vstack([parts[0][1], parts[1][1]]))
    s01 = np.cov(np.vstack([parts[0][2], parts[1][2]]))
    cov = s10 / m + s01 / n
    variance = cov[0, 0] + cov[1, 1] - 2 * cov[0, 1]
    z = (parts[1][0] - parts[0][0]) / np.sqrt(variance)
    return parts[0][0], parts[1][0], float(2 * stats.norm.sf(abs(z)))


def test_auc_is_the_auc_not_the_accuracy(registry, classifiers, data) -> None:
    """The issue: metric="auc" reported accuracies (0.881/0.945 where the AUCs were 0.933/0.995)."""
    _, _, X, y = data
    result = registry.compare("credit-risk", 1, 2, X, y, metric="auc", trusted=TRUSTED)
    scores = [m.predict_proba(X)[:, 1] for m in classifiers]
    auc_a, auc_b = (skm.roc_auc_score(y, s) for s in scores)
    assert result.metric == "auc" and result.test == "DeLong"
    assert result.champion_value == pytest.approx(auc_a) and result.challenger_value == pytest.approx(auc_b)
    accuracy = skm.accuracy_score(y, classifiers[0].predict(X))
    assert abs(result.champion_value - accuracy) > 0.01  # the bug's symptom is gone
    ref_a, ref_b, ref_p = delong_by_definition(y.to_numpy(), *scores)
    assert (result.champion_value, result.challenger_value) == pytest.approx((ref_a, ref_b))
    assert result.p_value == pytest.approx(ref_p, rel=1e-9)
    assert result.ci_low < result.difference < result.ci_high
    assert result.difference == pytest.approx(auc_b - auc_a)


@pytest.mark.parametrize(
    ("metric", "reference", "output"),
    [
        ("accuracy", skm.accuracy_score, "predict"),
        ("log_loss", skm.log_loss, "predict_proba"),
        ("f1", skm.f1_score, "predict"),
    ],
)
def test_each_classifier_metric_against_scikit_learn(
    registry, classifiers, data, metric, reference, output
) -> None:
    _, _, X, y = data
    result = registry.compare("credit-risk", 1, 2, X, y, metric=metric, trusted=TRUSTED, n_bootstrap=400)
    va, vb = (reference(y, getattr(m, output)(X)) for m in classifiers)
    assert result.metric == metric and result.test == COMPARISON_METRICS[metric].test
    assert result.champion_value == pytest.approx(va) and result.challenger_value == pytest.approx(vb)
    assert result.difference == pytest.approx(vb - va)
    assert result.ci_low <= result.difference <= result.ci_high
    assert result.higher_is_better is (metric != "log_loss")
    assert result.interval == "bootstrap 95% interval (400 resamples)"


def test_log_loss_test_is_the_paired_t_test_on_per_row_losses(registry, classifiers, data) -> None:
    _, _, X, y = data
    result = registry.compare("credit-risk", 1, 2, X, y, metric="log_loss", trusted=TRUSTED)
    losses = [
        -np.log(np.clip(m.predict_proba(X)[np.arange(len(y)), y.to_numpy()], 1e-15, 1)) for m in classifiers
    ]
    expected = stats.ttest_rel(losses[1], losses[0])
    assert result.p_value == pytest.approx(expected.pvalue) and result.statistic == pytest.approx(
        expected.statistic
    )


def test_f1_permutation_p_agrees_with_a_plain_loop(registry, classifiers, data) -> None:
    _, _, X, y = data
    result = registry.compare("credit-risk", 1, 2, X, y, metric="f1", trusted=TRUSTED, n_bootstrap=2000)
    pa, pb, truth = classifiers[0].predict(X), classifiers[1].predict(X), y.to_numpy()
    observed = skm.f1_score(truth, pb) - skm.f1_score(truth, pa)

    def f1(pred: np.ndarray) -> float:  # by the definition, checked against scikit-learn above
        tp, fp, fn = (
            np.sum((pred == 1) & (truth == 1)),
            np.sum((pred == 1) & (truth == 0)),
            np.sum((pred == 0) & (truth == 1)),
        )
        return 2 * tp / (2 * tp + fp + fn)

    assert f1(pb) - f1(pa) == pytest.approx(observed)
    rng = np.random.default_rng(123)
    hits = 0
    for _ in range(2000):
        swap = rng.random(len(truth)) < 0.5
        a, b = np.where(swap, pb, pa), np.where(swap, pa, pb)
        hits += abs(f1(b) - f1(a)) >= abs(observed) - 1e-12
    loop_p = (hits + 1) / 2001
    assert result.statistic == pytest.approx(observed)
    assert abs(result.p_value - loop_p) < 0.03  # two Monte Carlo estimates of one p-value


def test_regressors_rmse_and_mae_task_from_the_estimator(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(900, 3)), columns=["a", "b", "c"])
    y = (X["a"] + 0.5 * X["b"] + rng.normal(0, 0.8, 900) > 0).astype(int)  # 0/1 values, a regression task
    models = (
        LinearRegression().fit(X[:600], y[:600]),
        DecisionTreeRegressor(max_depth=4).fit(X[:600], y[:600]),
    )
    store = lw.RunStore(tmp_path / "lifecycle.db")
    reg = lw.ModelRegistry(store)
    _register(store, reg, "score", models)
    Xt, yt = X[600:], y[600:]
    default = reg.compare("score", 1, 2, Xt, yt, trusted=TRUSTED)
    assert default.task == "regression" and default.metric == "rmse"  # not read from the 0/1 values
    errors = [m.predict(Xt) - yt.to_numpy() for m in models]
    for metric, reference, per_row in (
        ("rmse", lambda p: np.sqrt(skm.mean_squared_error(yt, p)), np.square),
        ("mae", lambda p: skm.mean_absolute_error(yt, p), np.abs),
    ):
        result = reg.compare("score", 1, 2, Xt, yt, metric=metric, trusted=TRUSTED)
        assert result.champion_value == pytest.approx(reference(models[0].predict(Xt)))
        assert result.challenger_value == pytest.approx(reference(models[1].predict(Xt)))
        assert result.higher_is_better is False and result.ci_low <= result.difference <= result.ci_high
        expected = stats.ttest_rel(per_row(errors[1]), per_row(errors[0]))
        assert result.p_value == pytest.approx(expected.pvalue)
    with pytest.raises(lw.ParameterError, match=r"'auc' is a classification metric.*\['mae', 'rmse'\]"):
        reg.compare("score", 1, 2, Xt, yt, metric="auc", trusted=TRUSTED)


def test_an_unknown_metric_is_refused_before_any_work(registry, data, monkeypatch) -> None:
    _, _, X, y = data
    monkeypatch.setattr(registry, "load_model", lambda *a, **k: pytest.fail("a model was loaded"))
    with pytest.raises(
        lw.UnknownNameError,
        match=r"No comparison metric named 'nonsense'\. Available: accuracy, auc, f1, log_loss, mae, rmse",
    ):
        registry.compare("credit-risk", 1, 2, X, y, metric="nonsense")
    with pytest.raises(
        lw.ParameterError, match="'n_bootstrap' parameter of compare_models must be an int of 20"
    ):
        registry.compare("credit-risk", 1, 2, X, y, n_bootstrap=5)
    with pytest.raises(lw.ParameterError, match="both version 1"):
        registry.compare("credit-risk", 1, "1", X, y)


def test_recommendation_follows_the_metric_direction(classifiers, data) -> None:
    X_train, y_train, X, y = data
    prior = DummyClassifier(strategy="prior").fit(X_train, y_train)  # no skill: a worse log loss
    worse = compare_models(classifiers[1], prior, X, y, metric="log_loss")
    assert worse.difference > 0 and worse.improvement < 0  # higher log loss is worse
    assert worse.recommendation.startswith(
        "Keep the champion (version 1): the challenger's log_loss is significantly worse"
    )
    better = compare_models(prior, classifiers[1], X, y, metric="log_loss")
    assert better.challenger_wins and better.recommendation.startswith("Promote the challenger (version 2)")
    same = compare_models(classifiers[0], classifiers[0], X, y, metric="log_loss")
    assert same.p_value == 1.0 and same.difference == 0 and not same.challenger_wins


# --- DeLong's test ---------------------------------------------------------------------------------


def test_delong_matches_the_definition_with_ties() -> None:
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 400)
    a, b = np.round(y + rng.normal(0, 1.2, 400), 1), np.round(y + rng.normal(0, 1.0, 400), 1)  # many ties
    result = delong_test(y, a, b)
    ref_a, ref_b, ref_p = delong_by_definition(y, a, b)
    assert (result.auc_a, result.auc_b, result.p_value) == pytest.approx((ref_a, ref_b, ref_p), rel=1e-10)
    assert result.auc_a == pytest.approx(skm.roc_auc_score(y, a))


def test_delong_variance_agrees_with_a_bootstrap() -> None:
    rng = np.random.default_rng(7)
    y = rng.integers(0, 2, 600)
    shared = rng.normal(size=600)
    a, b = y + shared + rng.normal(0, 1, 600), y + shared + rng.normal(0, 0.7, 600)  # correlated scores
    result = delong_test(y, a, b)

    def auc(labels: np.ndarray, scores: np.ndarray) -> float:  # Mann-Whitney U over m n pairs
        pos, neg = scores[labels == 1], scores[labels == 0]
        return stats.mannwhitneyu(pos, neg).statistic / (len(pos) * len(neg))

    assert result.auc_a == pytest.approx(auc(y, a))
    diffs = []
    for _ in range(1500):
        i = rng.integers(0, 600, 600)
        diffs.append(auc(y[i], b[i]) - auc(y[i], a[i]))
    assert result.variance == pytest.approx(np.var(diffs, ddof=1), rel=0.15)  # 3.5 standard errors


def test_delong_holds_its_level_under_the_null() -> None:
    rng = np.random.default_rng(11)
    p_values = []
    for _ in range(400):
        y = rng.integers(0, 2, 200)
        a, b = y + rng.normal(0, 1.5, 200), y + rng.normal(0, 1.5, 200)  # equally good models
        p_values.append(delong_test(y, a, b).p_value)
    rejected = np.mean(np.array(p_values) < 0.05)
    assert 0.02 <= rejected <= 0.09  # 5 %, within binomial noise of 400 trials
    assert stats.kstest(p_values, "uniform").pvalue > 0.01


@pytest.mark.parametrize(
    ("y", "a", "message"),
    [
        ([0, 1, 1, 1], [0.1, 0.2, 0.3, 0.4], "at least two positive and two negative rows"),
        ([0, 1, 2, 1, 0], [0.1, 0.2, 0.3, 0.4, 0.5], "needs a binary target; y_true holds 3 classes"),
        ([0, 1, 0, 1], [0.1, np.nan, 0.3, 0.4], "must be finite"),
        ([0, 1, 0], [0.1, 0.2, 0.3, 0.4], "of one length"),
    ],
)
def test_delong_bad_inputs(y, a, message) -> None:
    with pytest.raises(lw.ParameterError, match=message):
        delong_test(y, a, a)


# --- comparisons are stored --------------------------------------------------------------------------


def test_comparisons_survive_reopening_the_store(registry, data) -> None:
    _, _, X, y = data
    path = registry.store.path
    first = registry.compare("credit-risk", 1, 2, X, y, metric="auc", trusted=TRUSTED, by="analyst")
    second = registry.compare("credit-risk", 1, 2, X, y, metric="accuracy", trusted=TRUSTED, n_bootstrap=200)
    registry.store.close()
    reopened = lw.ModelRegistry(lw.RunStore(path))
    assert reopened.comparisons("credit-risk") == (first, second)
    assert reopened.comparisons("other") == ()
    assert first.by == "analyst" and first.at
    state = reopened.state()
    assert state.comparisons == (first, second)
    html = state.to_html()
    assert "DeLong" in html and "McNemar" in html and "analyst" in html
    with sqlite3.connect(path) as conn:
        rows = conn.execute(
            "SELECT name, champion, challenger, metric, by FROM model_comparisons ORDER BY id"
        ).fetchall()
    assert rows == [("credit-risk", 1, 2, "auc", "analyst"), ("credit-risk", 1, 2, "accuracy", "")]
    history = reopened.version("credit-risk", 2).history
    assert [e.event for e in history][-2:] == ["compared", "compared"]
    with connect(path) as conn:
        entries = [e for e in trail.entries(conn) if e.payload["event"] == "compared"]
        assert trail.check_chain(conn) == []
        stored = conn.execute("SELECT result FROM model_comparisons ORDER BY id").fetchone()[0]
    assert [e.kind for e in entries] == ["comparison", "comparison"]
    assert entries[0].payload["metric"] == "auc"
    assert entries[0].payload["champion_value"] == first.champion_value
    assert entries[0].payload["result_sha256"] == hashlib.sha256(stored.encode("utf-8")).hexdigest()
    with connect(path) as conn:  # the trail replayed still agrees with the registry's tables
        replayed = replay(trail.entries(conn))
        assert replayed.problems == [] and compare_tables(conn, replayed) == []


def test_a_comparison_is_written_whole_or_not_at_all(registry, data, monkeypatch) -> None:
    _, _, X, y = data

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(trail, "append_in", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        registry.compare("credit-risk", 1, 2, X, y, trusted=TRUSTED, n_bootstrap=50)
    monkeypatch.undo()
    assert registry.comparisons() == ()
    with sqlite3.connect(registry.store.path) as conn:
        assert conn.execute("SELECT count(*) FROM model_events WHERE event = 'compared'").fetchone() == (0,)


def test_an_empty_registry_has_no_comparisons(tmp_path: Path) -> None:
    reg = lw.ModelRegistry(lw.RunStore(tmp_path / "empty.db"))
    assert reg.comparisons() == () and reg.state().comparisons == ()


# --- governance -----------------------------------------------------------------------------------


def test_aliases_point_only_at_approved_versions(registry) -> None:
    with pytest.raises(
        lw.ParameterError,
        match=r"PendingManualApproval: an alias can point only at an Approved version; approve it first",
    ):
        registry.set_alias("credit-risk", "champion", 1)
    registry.approve("credit-risk", 1, by="reviewer")
    assert registry.set_alias("credit-risk", "champion", 1).aliases == ("champion",)
    registry.reject("credit-risk", 2, by="reviewer", note="overfits")
    with pytest.raises(
        lw.ParameterError, match="is Rejected: an alias can point only at an Approved version"
    ):
        registry.set_alias("credit-risk", "challenger", 2)
    with sqlite3.connect(registry.store.path) as conn:
        assert conn.execute("SELECT alias, version FROM model_aliases").fetchall() == [("champion", 1)]


def test_a_rejected_version_stays_rejected(registry) -> None:
    registry.reject("credit-risk", 2, by="reviewer", note="leaks the target")
    with pytest.raises(lw.ParameterError, match="is Rejected: a rejected version stays rejected"):
        registry.approve("credit-risk", 2, by="someone else")
    with pytest.raises(lw.ParameterError, match="is Rejected"):
        registry.reject("credit-risk", 2, by="reviewer")
    registry.approve("credit-risk", 1, by="reviewer")
    registry.set_alias("credit-risk", "champion", 1)
    with pytest.raises(lw.ParameterError, match="is already Approved"):
        registry.approve("credit-risk", 1, by="reviewer")
    assert (
        registry.reject("credit-risk", 1, by="reviewer", note="recalled").aliases == ()
    )  # approved -> rejected
    path = registry.store.path
    registry.store.close()
    reopened = lw.ModelRegistry(lw.RunStore(path))
    assert [v.status for v in reopened.versions("credit-risk")] == ["Rejected", "Rejected"]
    with pytest.raises(lw.ParameterError, match="stays rejected"):
        reopened.approve("credit-risk", 2, by="reviewer")
    events = [e.event for e in reopened.version("credit-risk", 2).history]
    assert events == ["registered", "rejected"]  # the refused changes left no trace


def test_four_eyes(tmp_path: Path, classifiers) -> None:
    store = lw.RunStore(tmp_path / "lifecycle.db")
    reg = lw.ModelRegistry(store, four_eyes=True)
    _register(store, reg, "credit-risk", classifiers, by="alice")
    with pytest.raises(
        lw.ParameterError, match="'alice' registered version 1 of 'credit-risk' and cannot also approve it"
    ):
        reg.approve("credit-risk", 1, by="alice")
    assert reg.version("credit-risk", 1).status == "PendingManualApproval"
    approved = reg.approve("credit-risk", 1, by="bob", note="checked")
    assert approved.status == "Approved" and approved.history[-1].by == "bob"
    with pytest.raises(lw.ParameterError, match="by= is required under the four-eyes policy"):
        with store.start_run(experiment="credit-risk") as run:
            run.log_model(classifiers[0])
        reg.register(run, name="credit-risk")
    # a version registered without a name, under a registry without the policy, cannot be
    # approved once the policy applies: nobody can show the approver is someone else
    lax = lw.ModelRegistry(store)
    lax.register(run, name="credit-risk")
    with pytest.raises(lw.ParameterError, match="nobody is recorded as registering version 3"):
        reg.approve("credit-risk", 3, by="bob")
    assert lax.approve("credit-risk", 3, by="carol").status == "Approved"  # no policy, no check
    with connect(store.path) as conn:
        approvals = [e.payload for e in trail.entries(conn) if e.payload["event"] == "approved"]
        assert trail.check_chain(conn) == []
    assert approvals[0]["four_eyes"] == {"registered_by": "alice"} and "four_eyes" not in approvals[1]
    with pytest.raises(
        lw.ParameterError, match="'four_eyes' parameter of ModelRegistry must be True or False"
    ):
        lw.ModelRegistry(store, four_eyes="yes")
