"""Explanations against the libraries they build on: shap, scikit-learn's inspection, LIME."""

from __future__ import annotations

import dataclasses
import json
import warnings

import numpy as np
import pandas as pd
import pytest
import shap
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.impute import SimpleImputer
from sklearn.inspection import partial_dependence, permutation_importance
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder
from sklearn.tree import DecisionTreeClassifier

import lifecycle_widgets as lw
from lifecycle_widgets.core.explain import Explainer

NUMERIC = ["age", "income", "utilization", "late_payments"]
CATEGORICAL = ["region", "employment_type"]


@pytest.fixture(scope="module")
def data() -> tuple[pd.DataFrame, pd.Series]:
    df = lw.datasets.credit(1500, seed=5)
    X = df[NUMERIC + CATEGORICAL].copy()
    X["age"] = X["age"].astype(float)
    return X, df["defaulted"]


@pytest.fixture(scope="module")
def forest(data) -> RandomForestClassifier:
    X, y = data
    return RandomForestClassifier(40, max_depth=6, random_state=0).fit(X[NUMERIC].fillna(0), y)


@pytest.fixture(scope="module")
def pipeline(data) -> Pipeline:
    X, y = data
    pre = ColumnTransformer(
        [
            ("num", SimpleImputer(), NUMERIC),
            ("cat", OneHotEncoder(handle_unknown="ignore", sparse_output=False), CATEGORICAL),
        ]
    )
    return Pipeline(
        [
            ("pre", pre),
            ("model", RandomForestClassifier(40, max_depth=6, class_weight="balanced", random_state=0)),
        ]
    ).fit(X, y)


@pytest.fixture(scope="module")
def pipe_explainer(pipeline, data) -> Explainer:
    X, y = data
    explainer = Explainer(pipeline, immutable=["age"])
    explainer.explain(X, y, max_rows=120)
    return explainer


@pytest.fixture(scope="module")
def pipe_exp(pipe_explainer) -> lw.Explanation:
    return pipe_explainer.explanation_


def test_shap_values_equal_the_shap_package(forest, data) -> None:
    X, y = data
    Xn = X[NUMERIC].fillna(0)
    exp = lw.explain(forest, Xn, y, max_rows=80)
    expected = shap.TreeExplainer(forest)(Xn.iloc[list(exp.rows)]).values[:, :, 1]
    np.testing.assert_allclose(np.asarray(exp.shap_values), expected, atol=1e-12)
    assert exp.algorithm == "tree" and exp.output_space == "probability"


def test_pipeline_attributions_sum_one_hot_columns_back(pipe_exp, pipeline, data) -> None:
    X, _ = data
    xt = pipeline[:-1].transform(X.iloc[list(pipe_exp.rows)])
    expected = shap.TreeExplainer(pipeline[-1])(xt).values[:, :, 1]
    np.testing.assert_allclose(np.asarray(pipe_exp.shap_transformed), expected, atol=1e-12)
    names = list(pipeline[:-1].get_feature_names_out())
    region = [i for i, n in enumerate(names) if n.startswith("cat__region_")]
    raw = pipe_exp.shap_frame()["region"].to_numpy()
    np.testing.assert_allclose(raw, expected[:, region].sum(1), atol=1e-12)
    assert pipe_exp.features == tuple(NUMERIC + CATEGORICAL)


def test_permutation_importance_equals_sklearn(forest, data) -> None:
    X, y = data
    Xn = X[NUMERIC].fillna(0).iloc[:800]
    exp = lw.explain(forest, Xn, y.iloc[:800], max_rows=50, n_repeats=4, random_state=3)
    expected = permutation_importance(
        forest, Xn, y.iloc[:800], n_repeats=4, random_state=3, scoring="roc_auc"
    )
    got = exp.global_importance().loc[NUMERIC]
    np.testing.assert_allclose(got["permutation_mean"].astype(float), expected.importances_mean)
    np.testing.assert_allclose(got["permutation_std"].astype(float), expected.importances_std)


def test_partial_dependence_equals_sklearn(forest, data) -> None:
    X, y = data
    Xn = X[NUMERIC].fillna(0).iloc[:600]
    exp = lw.explain(forest, Xn, y.iloc[:600], max_rows=50, top_features=4)
    dep = next(d for d in exp.dependence if d.feature == "utilization")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = partial_dependence(
            forest, Xn, ["utilization"], kind="average", method="brute", grid_resolution=20
        )
    np.testing.assert_allclose(dep.grid, expected["grid_values"][0])
    np.testing.assert_allclose(
        dep.average, expected["average"][1] if expected["average"].shape[0] > 1 else expected["average"][0]
    )
    assert len(dep.ice) == 50 and all(len(line) == len(dep.grid) for line in dep.ice)


def test_surrogate_of_a_shallow_tree_is_faithful(data) -> None:
    X, y = data
    Xn = X[NUMERIC].fillna(0)
    tree = DecisionTreeClassifier(max_depth=2, random_state=0).fit(Xn, y)
    exp = lw.explain(tree, Xn, y, max_rows=50)
    assert exp.surrogate.fidelity >= 0.98  # held-out rows may fall between the two trees' thresholds
    assert exp.surrogate.fidelity_metric == "agreement" and exp.surrogate.rules.startswith("IF ")
    assert exp.surrogate.leaves == len(exp.surrogate.leaf_rules) and exp.surrogate.held_out_rows > 0


def test_local_explanation(pipe_explainer, pipe_exp, pipeline, data) -> None:
    X, _ = data
    row = pipe_exp.rows[3]
    local = pipe_explainer.local(row)
    assert local is pipe_explainer.local(row)  # cached
    total = local.base_value + sum(c.attribution for c in local.shap)
    assert total == pytest.approx(pipeline.predict_proba(X.iloc[[row]])[0, 1])
    assert {c.feature for c in local.lime} == set(pipe_exp.features) and local.lime_score > 0
    assert [i.feature for i in local.ice] == [d.feature for d in pipe_exp.dependence]
    cf = local.counterfactual
    if cf.found:
        changed = X.iloc[[row]].copy()
        for change in cf.changes:
            assert change.feature != "age"  # immutable
            col = X[change.feature]
            value = float(change.after) if pd.api.types.is_numeric_dtype(col) else change.after
            if pd.api.types.is_numeric_dtype(col):
                assert col.min() <= value <= col.max()
            changed[change.feature] = value
        assert str(pipeline.predict(changed)[0]) == cf.prediction_after != cf.prediction_before


def test_uncertainty_from_a_bootstrap_ensemble(forest, data) -> None:
    X, y = data
    Xn = X[NUMERIC].fillna(0)
    explainer = Explainer(forest, uncertainty=(Xn.iloc[:1000], y.iloc[:1000]), n_bootstrap=4)
    exp = explainer.explain(Xn.iloc[1000:], y.iloc[1000:], max_rows=30)
    assert len(exp.uncertainty) == 30 and all(u >= 0 for u in exp.uncertainty) and max(exp.uncertainty) > 0
    u = explainer.local(exp.rows[0]).uncertainty
    assert u.models == 4 and u.low <= u.mean <= u.high
    assert exp.featured.uncertainty is not None


def test_stability(pipe_explainer, pipe_exp) -> None:
    stab = pipe_explainer.stability(pipe_exp.rows[0], runs=3)
    assert {(s.method, s.variation) for s in stab.scores} == {
        (m, v) for m in ("shap", "lime") for v in ("seeds", "backgrounds", "perturbations")
    }
    seeds = next(s for s in stab.scores if s.method == "shap" and s.variation == "seeds")
    assert seeds.kendall_tau == pytest.approx(1.0) and seeds.max_change == 0.0  # tree SHAP is deterministic
    for s in stab.scores:
        assert -1 <= s.kendall_tau <= 1 and 0 <= s.top_k_overlap <= 1
    assert -1 <= stab.score("lime") <= 1


def test_model_agnostic_path(data) -> None:
    from sklearn.neighbors import KNeighborsClassifier

    X, y = data
    Xn = X[NUMERIC].fillna(0).iloc[:400]
    knn = KNeighborsClassifier(15).fit(Xn, y.iloc[:400])
    exp = lw.explain(knn, Xn, max_rows=5)
    assert exp.algorithm == "exact"  # 4 features: 16 coalitions (test_explain_shapley checks the values)
    sv = np.asarray(exp.shap_values)
    out = knn.predict_proba(Xn.iloc[list(exp.rows)])[:, 1]
    np.testing.assert_allclose(sv.sum(1) + exp.base_value, out, atol=1e-9)


def test_integrated_gradients_add_up() -> None:
    from sklearn.datasets import load_digits
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = load_digits(return_X_y=True)
    X = X / 16
    lr = LogisticRegression(max_iter=2000).fit(X, y == 3)
    ig = lw.integrated_gradients(lr, X[:5], steps=200)
    p, p0 = lr.predict_proba(X[:5]), lr.predict_proba(np.zeros((1, 64)))
    pred = lr.predict(X[:5])
    for i in range(5):
        k = int(pred[i])
        assert ig[i].sum() == pytest.approx(p[i, k] - p0[0, k], abs=2e-3)
    mlp = make_pipeline(StandardScaler(), MLPClassifier((32,), max_iter=400, random_state=0)).fit(X, y)
    ig = lw.integrated_gradients(mlp, X[:3], steps=300, baseline=X.mean(0))
    probs, base = mlp.predict_proba(X[:3]), mlp.predict_proba(X.mean(0)[None])
    for i in range(3):
        k = int(np.argmax(probs[i]))
        assert ig[i].sum() == pytest.approx(probs[i, k] - base[0, k], abs=0.02)
    # blank pixels get no attribution against a black baseline
    ig0 = lw.integrated_gradients(mlp[-1], X[:1] * 0 + (X[:1] > 0))
    assert np.all(ig0[0][(X[0] == 0)] == 0)
    from lifecycle_widgets.figures import saliency_figure

    fig = saliency_figure(ig[0], (8, 8), image=X[0])
    assert len(fig.data) == 2 and np.asarray(fig.data[0].z).shape == (8, 8)


@pytest.mark.parametrize(
    ("setup", "error", "match"),
    [
        ("unfitted", lw.ParameterError, "is not fitted"),
        ("no_proba", lw.ParameterError, "has no predict_proba"),
        ("missing_column", lw.ColumnError, "'income': the model expects it but X lacks it"),
        ("short_y", lw.ParameterError, "labels for"),
        ("bad_immutable", lw.ColumnError, "'nope': not a column of X"),
    ],
)
def test_bad_input(setup, error, match, forest, data) -> None:
    from sklearn.svm import SVC

    X, y = data
    Xn = X[NUMERIC].fillna(0)
    model, kw = forest, {}
    if setup == "unfitted":
        model = RandomForestClassifier()
    elif setup == "no_proba":
        model = SVC().fit(Xn.iloc[:200], y.iloc[:200])
    elif setup == "missing_column":
        Xn = Xn.drop(columns=["income"])
    elif setup == "short_y":
        kw = {"y": y.iloc[:10]}
    elif setup == "bad_immutable":
        kw = {"immutable": ["nope"]}
    with pytest.raises(error, match=match):
        lw.explain(model, Xn, **kw)


def test_row_out_of_range(pipe_explainer) -> None:
    with pytest.raises(
        lw.ParameterError, match=r"'row' parameter of Explainer.local must be a row position from 0 to 1499"
    ):
        pipe_explainer.local(1500)
    with pytest.raises(lw.ParameterError, match=r"'row' parameter of Explainer.stability must be"):
        pipe_explainer.stability(-1)


def test_an_explainer_needs_explain_before_local(pipeline) -> None:
    with pytest.raises(lw.ParameterError, match=r"explained no rows yet: call explain\(X, y\) before local"):
        Explainer(pipeline).local(0)


def test_results_hold_no_model_and_round_trip(pipe_exp, pipeline) -> None:
    again = lw.Explanation.from_dict(json.loads(json.dumps(pipe_exp.to_dict())))
    assert again == pipe_exp and again.featured == pipe_exp.featured
    assert not hasattr(again, "local") and not hasattr(pipe_exp, "_ctx")
    assert {k for k in vars(pipe_exp)} == {f.name for f in dataclasses.fields(pipe_exp)}

    def holds_model(value) -> bool:
        if value is pipeline or hasattr(value, "predict"):
            return True
        if dataclasses.is_dataclass(value):
            return any(holds_model(getattr(value, f.name)) for f in dataclasses.fields(value))
        if isinstance(value, tuple | list):
            return any(holds_model(v) for v in value)
        if isinstance(value, dict):
            return any(holds_model(v) for v in value.values())
        return False

    assert not holds_model(pipe_exp)


def test_featured_row_is_the_highest_prediction(pipe_explainer, pipe_exp) -> None:
    best = pipe_exp.rows[int(np.argmax(pipe_exp.predictions))]
    assert pipe_exp.featured.row == best
    assert pipe_exp.featured == pipe_explainer.local(best)


def test_regression(data) -> None:
    X, _ = data
    Xn = X[NUMERIC].fillna(0)
    target = Xn["income"] / 1000 + 10 * Xn["utilization"]
    model = RandomForestRegressor(30, max_depth=5, random_state=0).fit(Xn.drop(columns=["income"]), target)
    explainer = Explainer(model)
    exp = explainer.explain(Xn.drop(columns=["income"]), target, max_rows=40)
    assert exp.problem_type == "regression" and "r2" in exp.metrics
    assert exp.global_importance().index[0] == "utilization"
    local = explainer.local(exp.rows[0])
    assert local.base_value + sum(c.attribution for c in local.shap) == pytest.approx(local.prediction)


def test_panel_picks_rows_and_redraws_two_figures_in_place(pipe_explainer, pipe_exp) -> None:
    panel = lw.ExplanationPanel(pipe_exp, explainer=pipe_explainer)
    panel.tabs.selected_index = 1
    row = pipe_exp.rows[5]

    class Points:
        point_inds = (5,)

    trace = panel.beeswarm.data[0]
    panel._clicked(trace, Points(), None)
    assert panel.row_picker.value == trace.customdata[5] and panel.tabs.selected_index == 1
    panel.show_row(row)
    shown = panel.waterfall.spec
    assert shown["layout"]["title"]["text"].startswith(f"Row {row}")
    for i in range(len(panel.tabs.children)):
        panel.tabs.selected_index = i

    from lifecycle_widgets.panels.plotly_view import PlotlyView

    def views(w):  # the figures redrawn in place: the beeswarm, and the waterfall a click waits for
        return [w] * isinstance(w, PlotlyView) + [v for c in getattr(w, "children", ()) for v in views(c)]

    assert views(panel) == [panel.beeswarm, panel.waterfall]
    stab = panel.measure_stability()
    assert stab.row == row and "Kendall tau" in panel.stability_info.value


def test_a_wide_beeswarm_shows_19_features_and_sums_the_others_in_a_clickable_row() -> None:
    """30 features: the 19 most important get a row each, the 20th row is each explained row's
    sum over the other 11 (shap's own beeswarm does the same); a click there picks its row."""
    from lifecycle_widgets.figures import beeswarm_figure

    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(300, 30)), columns=[f"f{i:02d}" for i in range(30)])
    y = (X @ np.linspace(3, 0.1, 30) + rng.normal(size=300) > 0).astype(int)
    explainer = Explainer(LogisticRegression().fit(X, y))
    exp = explainer.explain(X, y, max_rows=40)
    fig = beeswarm_figure(exp)
    features, others = fig.data
    ranked = list(exp.global_importance().index)
    assert list(fig.layout.yaxis.ticktext) == [*ranked[:19], "11 other features"]
    assert len(features.x) == 19 * 40 and len(others.x) == 40
    shap_values = pd.DataFrame(np.asarray(exp.shap_values), columns=exp.features)
    assert np.allclose(others.x, shap_values[ranked[19:]].sum(axis=1))
    assert np.all(np.abs(np.asarray(others.y) - 19) <= 0.3)
    assert len(beeswarm_figure(exp, max_features=30).data) == 1  # up to max_features: a row each
    with pytest.raises(lw.ParameterError, match=r"'max_features' parameter of beeswarm_figure"):
        beeswarm_figure(exp, max_features=1)

    panel = lw.ExplanationPanel(exp, explainer=explainer)

    class Points:
        point_inds = (7,)

    panel._clicked(panel.beeswarm.data[1], Points(), None)
    assert panel.row_picker.value == exp.rows[7] and panel.tabs.selected_index == 1
    assert panel.beeswarm.data[1]._click_callbacks  # the page's clicks on that row reach the panel


def test_the_beeswarm_of_a_real_dataset_is_shaps_own() -> None:
    """scikit-learn's breast cancer data (30 features): the rows, their order and the summed
    last row are those shap's own beeswarm draws (max_display=20)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.datasets import load_breast_cancer
    from sklearn.ensemble import GradientBoostingClassifier

    from lifecycle_widgets.figures import beeswarm_figure

    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    model = GradientBoostingClassifier(n_estimators=50, random_state=0).fit(X, y)
    exp = lw.explain(model, X, y, max_rows=150, progress=False)
    fig = beeswarm_figure(exp)
    theirs = shap.TreeExplainer(model)(X.iloc[list(exp.rows)])
    shap.plots.beeswarm(theirs, max_display=20, show=False)
    labels = [t.get_text() for t in plt.gca().get_yticklabels()][::-1]
    plt.close("all")
    ours = list(fig.layout.yaxis.ticktext)
    assert ours[:19] == labels[:19] and labels[19] == f"Sum of {ours[19]}"
    rest = [c for c in X.columns if c not in ours[:19]]
    assert np.allclose(fig.data[1].x, theirs[:, rest].values.sum(axis=1), atol=1e-6)


def test_panel_without_its_explainer_shows_the_featured_row_only(pipe_exp) -> None:
    panel = lw.ExplanationPanel(pipe_exp)
    panel.tabs.selected_index = 1
    assert panel.current == pipe_exp.featured
    other = next(r for r in pipe_exp.rows if r != pipe_exp.featured.row)
    panel.show_row(other)
    assert panel.current is None and "needs the model" in panel.local_info.value
    assert panel.measure_stability() is None and "needs the model" in panel.stability_info.value


def test_panel_refuses_another_explainer(pipe_exp, forest) -> None:
    with pytest.raises(lw.ParameterError, match="must be the Explainer whose latest explain"):
        lw.ExplanationPanel(pipe_exp, explainer=Explainer(forest))


def test_static_html_shows_global_and_a_local_row(pipe_exp) -> None:
    html = pipe_exp.to_html()
    assert "Local explanation of row" in html and "Global surrogate tree" in html
    assert html.count('class="lw-figure"') >= 6


def test_markup_in_feature_names_is_escaped(data) -> None:
    X, y = data
    evil = "<img src=x onerror=alert(1)>"
    Xe = X[NUMERIC].fillna(0).rename(columns={"income": evil})
    exp = lw.explain(RandomForestClassifier(10, random_state=0).fit(Xe, y), Xe, y, max_rows=30)
    html = exp.to_html()
    assert evil not in html and "&lt;img src=x onerror=alert(1)&gt;" in html


def test_models_are_saved_with_skops_and_pickles_need_trust(forest, tmp_path) -> None:
    import joblib

    digest = lw.save_model(forest, tmp_path / "m.skops")
    assert len(digest) == 64
    # skops trusts no tree internals by default: the user names them, knowingly
    with pytest.raises(
        lw.ParameterError, match=r"holds types skops does not trust by default: \['sklearn.tree._tree.Tree'\]"
    ):
        lw.load_model(tmp_path / "m.skops")
    loaded = lw.load_model(tmp_path / "m.skops", trusted=["sklearn.tree._tree.Tree"])
    assert (loaded.predict_proba(np.ones((2, 4))) == forest.predict_proba(np.ones((2, 4)))).all()
    lw.save_model(LogisticRegression().fit([[0.0], [1.0]], [0, 1]), tmp_path / "lr.skops")
    assert lw.load_model(tmp_path / "lr.skops").coef_.shape == (1, 1)
    joblib.dump(forest, tmp_path / "m.pkl")
    with pytest.raises(lw.ParameterError, match="is a pickle, which can run any code"):
        lw.load_model(tmp_path / "m.pkl")
    assert lw.load_model(tmp_path / "m.pkl", trusted=True).n_estimators == forest.n_estimators
    with pytest.raises(lw.ParameterError, match=r"should end in \.skops"):
        lw.save_model(forest, tmp_path / "m.bin")


def test_integrated_gradients_keep_column_names_and_check_target() -> None:
    import warnings

    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    df = lw.datasets.credit(300, seed=1)
    X = df[NUMERIC].fillna(0)
    model = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, df["defaulted"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a frame fitted with names must not be predicted without them
        ig = lw.integrated_gradients(model, X.head(5), baseline=X.mean().to_numpy())
    p, p0 = model.predict_proba(X.head(5)), model.predict_proba(X.mean().to_frame().T)
    k = p.argmax(1)
    np.testing.assert_allclose(ig.sum(1), p[np.arange(5), k] - p0[0, k], atol=2e-3)
    with pytest.raises(lw.ParameterError, match="'target' parameter of integrated_gradients must be one of"):
        lw.integrated_gradients(model, X.head(2), target=7)
