"""Bias mitigation: reweighing weights against a hand calculation, an independent count and AIF360
(own venv); per-group thresholds through Fairlearn; bias and quality before and after on data the
project did not make (scikit-learn's breast cancer and wine sets) and on its demo data; logging to
a run and its lineage; bad input refused before any work."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer, load_wine
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

import lifecycle_widgets as lw
from lifecycle_widgets.core.explain.bias_mitigation import (
    GroupThresholdClassifier,
    MitigationReport,
    compare_mitigation,
    deviation,
    fit_weighted,
    mitigate,
    reweighing_table,
    reweighing_weights,
    sample_weight_key,
)
from lifecycle_widgets.exceptions import (
    ColumnError,
    MissingDependencyError,
    ParameterError,
    UnknownNameError,
)
from lifecycle_widgets.panels import display
from lifecycle_widgets.panels import mitigation as mitigation_panel
from tests.venvs import cached_venv


# --- data -----------------------------------------------------------------------------------------
def biased(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """A hiring-like set whose label depends on the group beyond skill; ``proxy`` leaks the group."""
    rng = np.random.default_rng(seed)
    sex = rng.choice(["F", "M"], n, p=[0.4, 0.6])
    skill = rng.normal(size=n)
    proxy = (sex == "M") + rng.normal(scale=0.5, size=n)
    y = (skill + 1.2 * (sex == "M") + rng.normal(scale=0.7, size=n) > 0.8).astype(int)
    return pd.DataFrame({"skill": skill, "proxy": proxy, "sex": sex}), y


@pytest.fixture(scope="module")
def hiring() -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame, np.ndarray]:
    X, y = biased(4000, 0)
    return X[:2500], y[:2500], X[2500:].reset_index(drop=True), y[2500:]


@pytest.fixture(scope="module")
def cancer() -> tuple[pd.DataFrame, pd.Series, pd.DataFrame, pd.Series]:
    """Breast cancer with a derived facet (tumour area above the median): strongly tied to the label."""
    df = load_breast_cancer(as_frame=True).frame
    df["size"] = np.where(df["mean area"] > df["mean area"].median(), "large", "small")
    cols = ["mean texture", "mean smoothness", "mean symmetry", "worst concavity", "mean radius", "size"]
    train = df.sample(frac=0.6, random_state=0)
    test = df.drop(train.index)
    return train[cols], train["target"], test[cols], test["target"]


class FitSpy(LogisticRegression):
    """A logistic regression that counts its fits, to prove that validation runs first."""

    fits = 0

    def fit(self, X, y, sample_weight=None):  # type: ignore[override]
        FitSpy.fits += 1
        return super().fit(X, y, sample_weight=sample_weight)


# --- reweighing weights ---------------------------------------------------------------------------
def test_weights_match_a_hand_calculation() -> None:
    # group a: 3 positives, 1 negative; group b: 1 positive, 3 negatives; 8 rows, 4 positive
    y = [1, 1, 1, 0, 1, 0, 0, 0]
    groups = list("aaaabbbb")
    # w(g, y) = P(g) P(y) / P(g, y): (4/8 * 4/8) / (3/8) = 2/3 for (a, 1); (1/2 * 1/2) / (1/8) = 2 for (a, 0)
    expected = {
        ("a", 1): Fraction(2, 3),
        ("a", 0): Fraction(2),
        ("b", 1): Fraction(2),
        ("b", 0): Fraction(2, 3),
    }
    w = reweighing_weights(y, sensitive_features=groups)
    assert w == pytest.approx(
        [float(expected[(g, label)]) for g, label in zip(groups, y, strict=True)], abs=1e-15
    )
    table = reweighing_table(y, sensitive_features=groups)
    assert table.loc[("a", 1), "count"] == 3 and table.loc[("a", 1), "expected"] == pytest.approx(2.0)
    assert table["weight"].to_dict() == pytest.approx({k: float(v) for k, v in expected.items()})


@pytest.mark.parametrize(("seed", "empty_cell"), [(0, False), (1, False), (2, True)])
def test_weights_match_an_independent_count_and_balance_every_group(seed: int, empty_cell: bool) -> None:
    rng = np.random.default_rng(seed)
    n = 700
    region = rng.choice(["north", "south", "east"], n, p=[0.5, 0.3, 0.2])
    y = rng.choice([0, 1, 2], n, p=[0.5, 0.3, 0.2])
    if empty_cell:  # east has no label 1: that cell cannot be reweighed into being
        y[region == "east"] = rng.choice([0, 2], (region == "east").sum())
    w = reweighing_weights(y, sensitive_features=pd.Series(region, name="region"))
    n_g, n_y, n_gy = Counter(region), Counter(y), Counter(zip(region, y, strict=True))
    for i in range(n):
        g, label = region[i], y[i]
        assert w[i] == pytest.approx(n_g[g] * n_y[label] / (n * n_gy[(g, label)]), rel=1e-12)
    complete = [g for g in n_g if all(n_gy[(g, label)] for label in n_y)]
    assert len(complete) == (2 if empty_cell else 3)
    if not empty_cell:
        assert w.sum() == pytest.approx(n)
        for label in n_y:  # each label keeps its count
            assert w[y == label].sum() == pytest.approx(n_y[label])
    # the point of reweighing: in every (complete) group a label's weighted share is its overall
    # share, and the group keeps its size as its total weight
    for g in complete:
        assert w[region == g].sum() == pytest.approx(n_g[g])
        for label in n_y:
            share = w[(region == g) & (y == label)].sum() / w[region == g].sum()
            assert share == pytest.approx(n_y[label] / n, abs=1e-12)


def test_two_sensitive_features_combine_into_groups() -> None:
    X = pd.DataFrame({"sex": list("FFMMFFMM"), "age": ["young", "old"] * 4})
    y = [1, 0, 1, 1, 0, 0, 1, 0]
    table = reweighing_table(y, sensitive_features=["sex", "age"], X=X)
    assert set(table.index.get_level_values("group")) == {"F & young", "F & old", "M & young", "M & old"}


def test_multiclass_labels_on_wine_are_balanced_across_groups() -> None:
    wine = load_wine(as_frame=True).frame
    strong = np.where(wine["alcohol"] > wine["alcohol"].median(), "strong", "light")
    y = wine["target"].to_numpy()
    w = reweighing_weights(y, sensitive_features=strong)
    # before: light wines are mostly class 1, strong ones classes 0 and 2
    light_share_1 = (y[strong == "light"] == 1).mean()
    assert light_share_1 > 0.6
    for g in ("light", "strong"):
        for label in (0, 1, 2):
            share = w[(strong == g) & (y == label)].sum() / w[strong == g].sum()
            assert share == pytest.approx((y == label).mean(), abs=1e-12)


AIF360 = """
import json, sys
import numpy as np, pandas as pd
from aif360.datasets import BinaryLabelDataset
from aif360.algorithms.preprocessing import Reweighing

out = {}
for name, case in json.load(open(sys.argv[1])).items():
    df = pd.DataFrame({"g": case["g"], "y": case["y"], "x": np.arange(len(case["y"]), dtype=float)})
    ds = BinaryLabelDataset(df=df, label_names=["y"], protected_attribute_names=["g"],
                            favorable_label=1, unfavorable_label=0)
    rw = Reweighing(unprivileged_groups=[{"g": 0}], privileged_groups=[{"g": 1}])
    out[name] = rw.fit_transform(ds).instance_weights.tolist()
json.dump(out, open(sys.argv[2], "w"))
"""


def _aif360_cases() -> dict[str, dict[str, list[int]]]:
    rng = np.random.default_rng(5)
    g = rng.choice([0, 1], 900, p=[0.3, 0.7])
    y = (rng.random(900) < np.where(g == 1, 0.6, 0.3)).astype(int)
    cancer = load_breast_cancer(as_frame=True).frame
    large = (cancer["mean area"] > cancer["mean area"].median()).astype(int)
    hiring_X, hiring_y = biased(1000, 3)
    return {
        "random": {"g": g.tolist(), "y": y.tolist()},
        "breast-cancer": {"g": large.tolist(), "y": cancer["target"].tolist()},
        "hiring": {"g": (hiring_X["sex"] == "M").astype(int).tolist(), "y": hiring_y.tolist()},
    }


@pytest.mark.peers
@pytest.mark.timeout(1200)
def test_weights_agree_with_aif360(tmp_path: Path) -> None:
    python = cached_venv("aif360", ["aif360==0.6.1"])
    cases = _aif360_cases()
    (tmp_path / "cases.json").write_text(json.dumps(cases))
    done = subprocess.run(
        [str(python), "-c", AIF360, str(tmp_path / "cases.json"), str(tmp_path / "out.json")],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    theirs = json.loads((tmp_path / "out.json").read_text())
    for name, case in cases.items():
        ours = reweighing_weights(case["y"], sensitive_features=case["g"])
        assert ours == pytest.approx(theirs[name], rel=1e-12, abs=0), name
        assert len(set(np.round(ours, 12))) == 4  # four distinct cells: the comparison is not trivial


# --- fitting with weights ---------------------------------------------------------------------------
def test_fit_weighted_routes_weights_to_the_last_step_of_a_pipeline(hiring) -> None:
    X, y, _, _ = hiring
    w = reweighing_weights(y, sensitive_features=X["sex"])
    cols = ["skill", "proxy"]
    ours = fit_weighted(make_pipeline(StandardScaler(), LogisticRegression()), X[cols], y, w)
    by_hand = make_pipeline(StandardScaler(), LogisticRegression()).fit(
        X[cols], y, logisticregression__sample_weight=w
    )
    plain = make_pipeline(StandardScaler(), LogisticRegression()).fit(X[cols], y)
    coef = ours[-1].coef_
    assert coef == pytest.approx(by_hand[-1].coef_, abs=1e-12)
    assert not np.allclose(coef, plain[-1].coef_, atol=1e-3)  # the weights did reach the model
    assert coef[0, 1] < plain[-1].coef_[0, 1]  # and they shrink the weight of the group's proxy


def test_nested_pipelines_chain_the_step_names() -> None:
    inner = Pipeline([("scale", StandardScaler()), ("tree", DecisionTreeClassifier())])
    outer = Pipeline([("prep", StandardScaler()), ("model", inner)])
    assert sample_weight_key(outer) == "model__tree__sample_weight"
    X, y = [[0.0], [1.0], [2.0], [3.0]], [0, 0, 1, 1]
    fit_weighted(outer, X, y, [1.0, 2.0, 1.0, 2.0])
    assert outer.predict([[3.0]]).tolist() == [1]


@pytest.mark.parametrize(
    ("model", "match"),
    [
        (
            KNeighborsClassifier(),
            r"'model' parameter of fit_weighted.*KNeighborsClassifier\.fit takes no sample_weight",
        ),
        (
            make_pipeline(StandardScaler(), KNeighborsClassifier()),
            r"KNeighborsClassifier\.fit takes no sample_weight",
        ),
        (
            Pipeline([("scale", StandardScaler()), ("end", "passthrough")]),
            r"last step 'end' is 'passthrough'",
        ),
        ("model", r"'model' parameter of fit_weighted must be an estimator with a fit method"),
    ],
)
def test_fit_weighted_refuses_a_model_that_takes_no_weights(model, match: str) -> None:
    with pytest.raises(ParameterError, match=match):
        fit_weighted(model, [[0.0], [1.0]], [0, 1], [1.0, 1.0])
    if not isinstance(model, str):
        assert not hasattr(model[-1] if isinstance(model, Pipeline) else model, "classes_")  # never fitted


@pytest.mark.parametrize(
    ("weights", "match"),
    [
        ([1.0], r"'sample_weight' parameter of fit_weighted must hold one weight per row of X \(2\)"),
        ([1.0, -1.0], "finite, non-negative"),
        ([1.0, np.nan], "finite, non-negative"),
        ([0.0, 0.0], "must not be all zero"),
    ],
)
def test_fit_weighted_checks_the_weights_before_fitting(weights, match: str) -> None:
    model = LogisticRegression()
    with pytest.raises(ParameterError, match=match):
        fit_weighted(model, [[0.0], [1.0]], [0, 1], weights)
    assert not hasattr(model, "coef_")


# --- reweighing a model ------------------------------------------------------------------------------
def test_reweighing_reduces_the_disparity_of_the_model_on_held_out_rows(hiring) -> None:
    X, y, X_test, y_test = hiring
    result = mitigate(LogisticRegression(), X, y, X_test, y_test, facet="sex", n_bootstrap=50)
    report = result.report
    # the training labels: a large disparity, none left under the weights
    unweighted, weighted = report.training_dpl
    assert unweighted > 0.3 and abs(weighted) < 1e-12
    # the model: DPPL on held-out rows falls by more than half, DI comes closer to 1
    before, after = report.change("DPPL")
    assert before > 0.2 and abs(after) < 0.5 * abs(before)
    di_before, di_after = report.change("DI")
    assert abs(1 - di_after) < abs(1 - di_before)
    # at a price in accuracy that the report shows (small here)
    acc_before, acc_after = report.change("accuracy")
    assert acc_after < acc_before and acc_before - acc_after < 0.05
    assert report.before.metric("DPPL").status == "fail"
    assert {c.group for c in report.weights} == {"F", "M"} and len(report.weights) == 4
    # the mitigated model is the weighted fit, the baseline the plain one
    w = reweighing_weights(y, sensitive_features=X["sex"])
    manual = LogisticRegression().fit(X[["skill", "proxy"]], y, sample_weight=w)
    assert result.model.coef_ == pytest.approx(manual.coef_, abs=1e-10)
    assert result.baseline.coef_ == pytest.approx(
        LogisticRegression().fit(X[["skill", "proxy"]], y).coef_, abs=1e-10
    )


def test_reweighing_on_the_demo_credit_data() -> None:
    df = lw.datasets.credit(3000, seed=11)
    cols = ["income", "utilization", "late_payments", "debt_ratio", "age"]
    X = df[cols].replace([np.inf, -np.inf], np.nan).fillna(0)  # the demo data holds a few infinities
    train, test = X[:2000], X[2000:].reset_index(drop=True)
    result = mitigate(
        make_pipeline(StandardScaler(), LogisticRegression()),
        train,
        df["defaulted"][:2000],
        test,
        df["defaulted"][2000:].to_numpy(),
        facet="age",
        facet_threshold=59,
        n_bootstrap=50,
        metrics=["DPPL", "DI", "AD", "DCAcc"],
    )
    report = result.report
    assert report.facet == ("age",) and report.facet_values == ("> 59",)
    assert {g.group for g in report.groups} == {"> 59", "<= 59"}
    assert sum(g.count for g in report.groups) == len(test)
    assert "age" not in result.model[0].feature_names_in_  # the facet is no model input by default
    assert abs(report.training_dpl[1]) < 1e-12
    before, after = report.change("auc")
    assert 0.6 < before < 1 and 0.6 < after < 1


def test_thresholds_on_the_demo_credit_data_split_by_age() -> None:
    df = lw.datasets.credit(4000, seed=12)
    cols = ["income", "utilization", "late_payments", "debt_ratio", "age"]
    X = df[cols].replace([np.inf, -np.inf], np.nan).fillna(0)
    y = df["defaulted"].to_numpy()
    # balanced: with 17 % defaults a plain fit predicts almost no default, so no group differs
    model = make_pipeline(StandardScaler(), LogisticRegression(class_weight="balanced")).fit(
        X[:2000], y[:2000]
    )
    X_test = X[3000:].reset_index(drop=True)
    result = mitigate(
        model,
        X[2000:3000],  # thresholds from rows the model has not seen
        y[2000:3000],
        X_test,
        y[3000:],
        facet="age",
        facet_threshold=49,
        features=cols,  # age is a model input here
        method="threshold_optimizer",
        objective="balanced_accuracy_score",
        metrics=["DPPL", "DI"],
        n_bootstrap=50,
    )
    report = result.report
    assert report.facet_values == ("> 49",) and report.settings["objective"] == "balanced_accuracy_score"
    assert {t.group for t in report.thresholds} == {"> 49", "<= 49"}
    before, after = report.change("DPPL")
    assert before > 0.15 and abs(after) < 0.06
    assert report.after.metric("DI").status == "pass" and report.before.metric("DI").status == "fail"
    # a split by threshold is no column: the classifier takes the groups as sensitive features
    assert result.model.facet is None
    older = (X_test["age"] > 49).to_numpy()
    pred = result.model.predict(X_test, sensitive_features=np.where(older, "> 49", "<= 49"))
    assert (pred[older] == 1).mean() == pytest.approx(
        next(g for g in report.groups if g.group == "> 49").after["selection_rate"]
    )


# --- per-group thresholds -------------------------------------------------------------------------
def test_demographic_parity_thresholds_bring_dppl_near_zero_on_held_out_rows(hiring) -> None:
    X, y, X_test, y_test = hiring
    model = LogisticRegression().fit(X[["skill", "proxy"]], y)
    result = mitigate(model, X, y, X_test, y_test, facet="sex", method="threshold_optimizer", n_bootstrap=50)
    report = result.report
    before, after = report.change("DPPL")
    assert before > 0.2 and abs(after) < 0.05
    assert report.after.metric("DPPL").status == "pass" and report.before.metric("DPPL").status == "fail"
    assert result.baseline is model  # a fitted model is kept as it is
    auc = next(q for q in report.quality if q.name == "auc")
    assert auc.before is not None and auc.after is None and "no AUC" in auc.note
    # the selection rates per group agree with the predictions themselves
    pred = result.model.predict(X_test)
    for g in report.groups:
        assert g.after["selection_rate"] == pytest.approx((pred[X_test["sex"] == g.group] == 1).mean())


def test_thresholds_on_breast_cancer_with_a_derived_facet(cancer) -> None:
    X, y, X_test, y_test = cancer
    result = mitigate(
        LogisticRegression(max_iter=5000),
        X,
        y,
        X_test,
        y_test,
        facet="size",
        method="threshold_optimizer",
        metrics=["DPPL", "DI"],
        n_bootstrap=50,
    )
    before, after = result.report.change("DPPL")
    assert abs(before) > 0.5 and abs(after) < 0.1
    # tumour size predicts the label, so parity costs accuracy: the report must show it
    acc_before, acc_after = result.report.change("accuracy")
    assert acc_before > 0.9 and acc_after < acc_before - 0.1
    assert any(a.severity == "low" and "Accuracy fell" in a.text for a in display.headline_of(result.report))


def noisy(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """The same label rule in both groups, but the feature is a noisier measure for F: one
    threshold gives F a lower TPR and a higher FPR."""
    rng = np.random.default_rng(seed)
    sex = rng.choice(["F", "M"], n, p=[0.4, 0.6])
    skill = rng.normal(size=n)
    y = (skill + rng.normal(scale=0.3, size=n) > 0.3).astype(int)
    x = skill + rng.normal(scale=np.where(sex == "F", 1.2, 0.3))
    return pd.DataFrame({"x": x, "sex": sex}), y


def test_equalized_odds_narrows_the_gaps_in_tpr_and_fpr() -> None:
    X, y = noisy(6000, 1)
    X, y, X_test, y_test = X[:3000], y[:3000], X[3000:].reset_index(drop=True), y[3000:]
    model = LogisticRegression().fit(X[["x"]], y)
    report = mitigate(
        model,
        X,
        y,
        X_test,
        y_test,
        facet="sex",
        method="threshold_optimizer",
        constraints="equalized_odds",
        n_bootstrap=50,
    ).report
    assert report.settings["constraints"] == "equalized_odds"

    def gap(when: str, rate: str) -> float:
        values = [getattr(g, when)[rate] for g in report.groups]
        return abs(values[0] - values[1])

    for rate in ("true_positive_rate", "false_positive_rate"):
        assert gap("before", rate) > 0.1
        assert gap("after", rate) < 0.4 * gap("before", rate)


def test_recorded_thresholds_reproduce_fairlearns_decisions(hiring) -> None:
    X, y, X_test, _ = hiring
    model = LogisticRegression().fit(X[["skill", "proxy"]], y)
    fair = GroupThresholdClassifier(model, facet="sex").fit(X, y)
    chance = fair.selection_probability(X_test)
    pred = fair.predict(X_test)
    assert np.array_equal(pred, fair.predict(X_test))  # reproducible: the seed is fixed
    # where the rule is certain, Fairlearn's randomized prediction agrees with it
    assert (pred[chance == 1] == 1).all() and (pred[chance == 0] == 0).all()
    scores = model.predict_proba(X_test[["skill", "proxy"]])[:, 1]
    for t in fair.thresholds_:
        rows = (X_test["sex"] == t.group).to_numpy()
        by_rule = t.p0 * (scores[rows] > t.threshold0) + t.p1 * (scores[rows] > t.threshold1)
        assert chance[rows] == pytest.approx(by_rule)
        assert "score >" in t.rule
    # fitted on the training rows, the two groups' expected selection rates agree
    rates = [t.selection_rate for t in fair.thresholds_]
    assert abs(rates[0] - rates[1]) < 0.01


def test_groups_can_come_as_sensitive_features_and_labels_as_text(hiring) -> None:
    X, y, X_test, _ = hiring
    labels = np.where(y == 1, "hired", "rejected")
    model = LogisticRegression().fit(X[["skill", "proxy"]], labels)
    fair = GroupThresholdClassifier(model, positive_label="hired", features=["skill", "proxy"])
    fair.fit(X, labels, sensitive_features=X["sex"])
    pred = fair.predict(X_test, sensitive_features=X_test["sex"])
    assert set(pred) <= {"hired", "rejected"}
    assert fair.predict(X_test.iloc[:5], sensitive_features=X_test["sex"][:5]).shape == (
        5,
    )  # one group is fine
    with pytest.raises(ParameterError, match=r"groups \['X'\] that fit did not see"):
        fair.predict(X_test.iloc[:3], sensitive_features=["F", "X", "M"])
    with pytest.raises(ParameterError, match="needs each row's group"):
        fair.predict(X_test)
    # the positive label is the model's first class ("hired" < "rejected"): its score is thresholded
    rates = pd.Series(pred == "hired").groupby(X_test["sex"].to_numpy()).mean()
    assert abs(rates["F"] - rates["M"]) < 0.05
    assert list(fair.classes_) == ["rejected", "hired"]
    numeric = LogisticRegression().fit(X[["skill", "proxy"]], y)
    with pytest.raises(
        ParameterError, match=r"'positive_label'.*must be a class of the estimator; its classes are \[0, 1\]"
    ):
        GroupThresholdClassifier(numeric, positive_label="hired").fit(X, labels, sensitive_features=X["sex"])


def test_an_unfitted_estimator_is_fitted_with_prefit_false(hiring) -> None:
    X, y, X_test, _ = hiring
    fair = GroupThresholdClassifier(LogisticRegression(), facet="sex", prefit=False).fit(X, y)
    assert list(fair.estimator_.feature_names_in_) == ["skill", "proxy"]
    assert not hasattr(fair.estimator, "coef_")  # the given estimator stays unfitted
    assert fair.score(X_test, fair.predict(X_test)) == 1.0


def test_missing_fairlearn_names_the_extra_before_any_work(hiring, monkeypatch) -> None:
    X, y, X_test, y_test = hiring
    monkeypatch.setitem(sys.modules, "fairlearn", None)
    monkeypatch.setitem(sys.modules, "fairlearn.postprocessing", None)
    FitSpy.fits = 0
    with pytest.raises(MissingDependencyError, match=r'pip install "lifecycle_widgets\[fairness\]"') as err:
        mitigate(FitSpy(), X, y, X_test, y_test, facet="sex", method="threshold_optimizer")
    assert err.value.extra == "fairness" and err.value.package == "fairlearn"
    assert FitSpy.fits == 0
    model = LogisticRegression().fit(X[["skill", "proxy"]], y)
    with pytest.raises(MissingDependencyError, match="fairness"):
        GroupThresholdClassifier(model, facet="sex").fit(X, y)


# --- bad input, refused before any work -------------------------------------------------------------
def _bad_calls(X: pd.DataFrame, y: np.ndarray) -> list[tuple[dict, type, str]]:
    one_group = X.assign(sex="F")
    return [
        (
            {"X_train": one_group},
            ParameterError,
            r"single value.*'facet' parameter of mitigate needs two groups",
        ),
        (
            {"method": "massaging"},
            UnknownNameError,
            r"No mitigation method named 'massaging'\. Available: reweighing, threshold_optimizer",
        ),
        (
            {"method": "threshold_optimizer", "constraints": "equal_outcomes"},
            UnknownNameError,
            r"No fairness constraint named 'equal_outcomes'\. Available: demographic_parity, equalized_odds, ",
        ),
        (
            {"method": "threshold_optimizer", "objective": "f1"},
            UnknownNameError,
            r"No threshold objective named 'f1'\. Available: accuracy_score, balanced_accuracy_score",
        ),
        (
            {"method": "threshold_optimizer", "constraints": "equalized_odds", "objective": "selection_rate"},
            ParameterError,
            r"'objective' parameter of mitigate must be one of \['accuracy_score', 'balanced_accuracy_score'\]",
        ),
        (
            {"model": KNeighborsClassifier()},
            ParameterError,
            r"'model' parameter of mitigate.*takes no sample_weight",
        ),
        (
            {"facet": "gender"},
            ParameterError,
            r"'facet' parameter of mitigate must name columns.*lacks \['gender'\]",
        ),
        ({"facet": 3}, ParameterError, r"'facet' parameter of mitigate must be a column name"),
        ({"y_train": y[:10]}, ParameterError, r"'y_train' parameter of mitigate must hold one label per row"),
        (
            {"positive_label": 7},
            ParameterError,
            r"'positive_label' parameter of mitigate must be one of the label values",
        ),
        ({"features": ["skill", "salary"]}, ParameterError, r"'features' parameter of mitigate"),
        (
            {"n_bootstrap": 0},
            ParameterError,
            r"'n_bootstrap' parameter of mitigate must be a positive integer",
        ),
        (
            {"X_test": X.to_numpy()},
            ParameterError,
            r"'X_test' parameter of mitigate must be a pandas DataFrame",
        ),
    ]


def test_bad_input_is_refused_before_any_fit(hiring) -> None:
    X, y, X_test, y_test = hiring
    for change, error, match in _bad_calls(X, y):
        FitSpy.fits = 0
        args = {"model": FitSpy(), "X_train": X, "y_train": y, "X_test": X_test, "y_test": y_test}
        args |= {k: v for k, v in change.items() if k in args}
        options = {"facet": "sex", **{k: v for k, v in change.items() if k not in args}}
        with pytest.raises(error, match=match):
            mitigate(
                args["model"], args["X_train"], args["y_train"], args["X_test"], args["y_test"], **options
            )
        assert FitSpy.fits == 0, change


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (
            lambda: reweighing_weights([1, 0, 1], sensitive_features=["a", "a", "a"]),
            ParameterError,
            r"'sensitive_features'.*at least two groups.*'a'",
        ),
        (
            lambda: reweighing_weights([1, 1, 1], sensitive_features=["a", "b", "a"]),
            ParameterError,
            r"'y'.*at least two label values",
        ),
        (
            lambda: reweighing_weights([0.5, 1.2, 3.3], sensitive_features=["a", "b", "a"]),
            ParameterError,
            "continuous target",
        ),
        (
            lambda: reweighing_weights([1, 0], sensitive_features=["a", "b", "a"]),
            ParameterError,
            r"one value per row \(2\)",
        ),
        (
            lambda: reweighing_weights([1, 0, None], sensitive_features=["a", "b", "a"]),
            ParameterError,
            "missing labels",
        ),
        (
            lambda: reweighing_weights([1, 0], sensitive_features=["a", None]),
            ParameterError,
            "missing values",
        ),
        (lambda: reweighing_weights([1, 0], sensitive_features="sex"), ParameterError, "no frame was given"),
        (
            lambda: reweighing_weights([1, 0], sensitive_features="sex", X=pd.DataFrame({"x": [1, 2]})),
            ColumnError,
            "'sex'",
        ),
        (
            lambda: reweighing_weights("y", sensitive_features=["a", "b"]),
            ParameterError,
            r"'y' parameter.*not a column name",
        ),
    ],
)
def test_bad_weights_input(call, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        call()


def test_bad_classifier_parameters_are_refused_before_fairlearn_runs(hiring) -> None:
    X, y, _, _ = hiring
    model = LogisticRegression().fit(X[["skill", "proxy"]], y)
    for kwargs, error, match in [
        (
            {"constraints": "parity"},
            UnknownNameError,
            r"No fairness constraint named 'parity'\. Available: demographic_parity",
        ),
        ({"grid_size": 1}, ParameterError, r"'grid_size' parameter of GroupThresholdClassifier"),
        ({"positive_label": [1]}, ParameterError, r"'positive_label' parameter of GroupThresholdClassifier"),
        ({"facet": 5}, ParameterError, r"'facet' parameter of GroupThresholdClassifier"),
    ]:
        fair = GroupThresholdClassifier(model, **{"facet": "sex", **kwargs})
        with pytest.raises(error, match=match):
            fair.fit(X, y)
        assert not hasattr(fair, "optimizer_")
    with pytest.raises(ParameterError, match="must be fitted when prefit=True"):
        GroupThresholdClassifier(LogisticRegression(), facet="sex").fit(X, y)
    with pytest.raises(ParameterError, match=r"'facet'.*at least two groups"):
        GroupThresholdClassifier(model, facet="sex").fit(X.assign(sex="F"), y)
    with pytest.raises(ParameterError, match="once"):
        GroupThresholdClassifier(model, facet="sex").fit(X, y, sensitive_features=X["sex"])


def test_compare_mitigation_checks_predictions_before_predicting(hiring) -> None:
    X, y, _, _ = hiring
    model = FitSpy().fit(X[["skill", "proxy"]], y)
    with pytest.raises(
        ParameterError, match=r"'after' parameter of compare_mitigation must predict one label per row"
    ):
        compare_mitigation(X, y, before=model, after=y[:5], facet="sex")
    with pytest.raises(
        ParameterError, match=r"'before' parameter of compare_mitigation must be a fitted predictor"
    ):
        compare_mitigation(X, y, before="model", after=y, facet="sex")
    with pytest.raises(ParameterError, match=r"'scores_after' parameter"):
        compare_mitigation(X, y, before=y, after=y, scores_after=[0.5], facet="sex")
    with pytest.raises(ParameterError, match=r"single value.*'facet' parameter of compare_mitigation"):
        compare_mitigation(X.assign(sex="F"), y, before=model, after=y, facet="sex")
    with pytest.raises(UnknownNameError, match="No bias metric named 'XYZ'"):
        compare_mitigation(X, y, before=y, after=y, facet="sex", metrics=["XYZ"])


# --- the report -------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def report(hiring) -> MitigationReport:
    X, y, X_test, y_test = hiring
    return mitigate(LogisticRegression(), X, y, X_test, y_test, facet="sex", n_bootstrap=50).report


def test_the_report_round_trips_through_json(report: MitigationReport) -> None:
    text = report.to_json()
    back = MitigationReport.from_dict(json.loads(text))
    assert back == report
    assert back.before.metric("DPPL").value == report.before.metric("DPPL").value
    assert "NaN" not in text and "Infinity" not in text


def test_to_frame_and_change(report: MitigationReport) -> None:
    frame = report.to_frame()
    dppl = frame.set_index("name").loc["DPPL"]
    assert dppl["change"] == pytest.approx(dppl["after"] - dppl["before"])
    assert list(frame["kind"]).count("quality") == 4
    with pytest.raises(
        UnknownNameError, match=r"No metric in this mitigation report named 'XYZ'.*DPPL.*accuracy"
    ):
        report.change("XYZ")


def test_the_display_says_first_what_still_needs_attention(report: MitigationReport) -> None:
    head = display.headline_of(report)
    severities = [a.severity for a in head]
    assert severities == sorted(severities, key=["high", "medium", "low", "ok"].index)
    failing = [m.name for m in report.outside_band() if m.status == "fail"]
    assert failing and head[0].severity == "high"
    assert all(name in head[0].text for name in failing)
    assert any(a.severity == "ok" and "DPPL" in a.text for a in head)  # DPPL now passes
    with lw.config_context(display="static"):
        html = report._repr_mimebundle_()["text/html"]
    assert html.index("still fail") < html.index("Bias metrics")


def test_figures_show_the_report_values(report: MitigationReport) -> None:
    figs = report.figures()
    assert set(figs) == {"bias_change", "tradeoff", "group_rates"}
    for fig in figs.values():
        assert fig.layout.title.text and fig.layout.xaxis.title.text and fig.layout.yaxis.title.text
    before, after = figs["bias_change"].data
    assert list(after.y) == [m.name for m in report.after.metrics if deviation(m) is not None]
    assert list(after.x) == pytest.approx(
        [deviation(m) for m in report.after.metrics if deviation(m) is not None]
    )
    assert before.x[0] == pytest.approx(abs(report.before.metric("DPPL").value))
    rates = figs["group_rates"].data[1]
    assert list(rates.y) == pytest.approx([g.after["selection_rate"] for g in report.groups])
    trade = figs["tradeoff"].data[0]
    assert list(trade.y) == pytest.approx(list(report.change("accuracy")))
    assert list(trade.x) == pytest.approx([abs(v) for v in report.change("DPPL")])
    assert (
        mitigation_panel.group_rates_figure(report, rate="true_positive_rate").layout.yaxis.title.text
        == "true positive rate"
    )


def test_a_report_with_thresholds_displays_the_rules(hiring) -> None:
    X, y, X_test, y_test = hiring
    model = LogisticRegression().fit(X[["skill", "proxy"]], y)
    report = mitigate(
        model, X, y, X_test, y_test, facet="sex", method="threshold_optimizer", n_bootstrap=20
    ).report
    html = report.to_html()
    import html as markup

    assert "per-group thresholds" in html and markup.escape(report.thresholds[0].rule, quote=True) in html
    assert MitigationReport.from_dict(json.loads(report.to_json())) == report


# --- traceability -------------------------------------------------------------------------------------
def test_log_to_records_parameters_metrics_and_a_lineage_step(hiring, tmp_path: Path) -> None:
    X, y, X_test, y_test = hiring
    result = mitigate(LogisticRegression(), X, y, X_test, y_test, facet="sex", n_bootstrap=20)
    report = result.report
    store = lw.RunStore(tmp_path / "lifecycle.db")
    with store.start_run(experiment="fair") as run:
        run.log_lineage(lw.lineage(result.model, X[["skill", "proxy"]]))
        graph = report.log_to(run)
    row = store.runs(experiment="fair").to_frame().iloc[0]
    assert row["param.mitigation.method"] == "reweighing"
    assert row["param.mitigation.report_sha256"] == report.sha256()
    assert row["metric.mitigation.after.DPPL"] == pytest.approx(report.after.metric("DPPL").value)
    assert row["metric.mitigation.before.accuracy"] == pytest.approx(report.change("accuracy")[0])
    assert row["metric.mitigation.after.outside_band"] == len(report.outside_band())
    stored = store.lineage(run.id)
    assert stored == graph
    step = next(n for n in stored.nodes if n.id == "mitigation:reweighing")
    assert step.fingerprint == report.sha256() and step.kind == "step"
    model = next(n for n in stored.nodes if n.id == "model")
    assert model.layer == step.layer + 1  # the weights come before the model's fit
    assert {"raw:sex", "mitigation:reweighing"} <= set(stored.path("model"))
    again = report.lineage_step(stored)  # logged twice: one step, in the same place
    assert [n for n in again.nodes if n.id in ("model", step.id)] == [
        n for n in stored.nodes if n.id in ("model", step.id)
    ]
    assert stored.features == ("skill", "proxy")  # the model's features are unchanged


def test_a_threshold_step_comes_after_the_model(hiring) -> None:
    X, y, X_test, y_test = hiring
    model = LogisticRegression().fit(X[["skill", "proxy"]], y)
    report = mitigate(
        model, X, y, X_test, y_test, facet="sex", method="threshold_optimizer", n_bootstrap=20
    ).report
    graph = report.lineage_step(lw.lineage(model, X[["skill", "proxy"]]))
    step = next(n for n in graph.nodes if n.id == "mitigation:threshold_optimizer")
    assert step.layer > next(n for n in graph.nodes if n.id == "model").layer
    assert set(graph.path(step.id)) >= {"model", "raw:sex", "raw:skill"}
    again = report.lineage_step(graph)  # adding it twice keeps one step
    assert sum(n.id == step.id for n in again.nodes) == 1
    assert lw.LineageGraph.from_dict(json.loads(again.to_json())) == again


def test_log_to_without_lineage_logs_the_numbers_only(report: MitigationReport, tmp_path: Path) -> None:
    store = lw.RunStore(tmp_path / "lifecycle.db")
    with store.start_run(experiment="fair") as run:
        assert report.log_to(run, prefix="rw") is None
    frame = store.runs(experiment="fair").to_frame()
    assert frame["metric.rw.before.DPPL"].iloc[0] == pytest.approx(report.before.metric("DPPL").value)
    with pytest.raises(ParameterError, match=r"'run' parameter of MitigationReport.log_to"):
        report.log_to(object())
    with pytest.raises(ParameterError, match=r"'lineage' parameter of MitigationReport.log_to"):
        report.log_to(run, lineage="graph")


def test_tradeoff_labels_stay_apart_when_nothing_changed() -> None:
    # a mitigation that changes no prediction puts before and after on one spot
    from lifecycle_widgets.panels.mitigation import tradeoff_figure

    X = pd.DataFrame({"g": ["a", "a", "b", "b", "a", "b"]})
    predictions = [1, 0, 0, 1, 1, 0]
    report = lw.compare_mitigation(X, [1, 0, 0, 1, 0, 0], before=predictions, after=predictions, facet="g")
    fig = tradeoff_figure(report)
    trace = fig.data[0]
    assert list(trace.text) == ["before", "after"] and trace.x[0] == trace.x[1] and trace.y[0] == trace.y[1]
    assert trace.textposition[0] != trace.textposition[1]
    # one value on each axis: plotly alone would pad it by ±1, to an accuracy of 1.5
    low, high = fig.layout.yaxis.range
    assert 0 <= low < trace.y[0] < high <= 1
    assert fig.layout.xaxis.range[0] == 0 and fig.layout.xaxis.range[1] > trace.x[0]
