"""Readable explanations: surrogate rules in raw terms with held-out fidelity, SHAP in the space of
what it explains, a waterfall from the base value, the dependence plot's interaction colour, two-
feature partial dependence and ALE, each against a case whose answer is known by construction."""

from __future__ import annotations

import json
import re
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import GradientBoostingRegressor, RandomForestClassifier
from sklearn.inspection import partial_dependence
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import (
    OneHotEncoder,
    OrdinalEncoder,
    PolynomialFeatures,
    SplineTransformer,
    StandardScaler,
)
from sklearn.tree import DecisionTreeClassifier

import lifecycle_widgets as lw
from lifecycle_widgets.core.explain import Explainer
from lifecycle_widgets.core.explain.ale import accumulated_local_effects
from lifecycle_widgets.core.explain.global_ import pair_dependence
from lifecycle_widgets.core.explain.models import view_model
from lifecycle_widgets.core.explain.surrogate import surrogate_tree
from lifecycle_widgets.figures import explain as figs
from lifecycle_widgets.panels.explain import ExplanationPanel, local_html, summary_html, surrogate_html

JOBS = ["gig", "retired", "salaried", "self-employed", "student"]


# --- surrogate rules --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def jobs() -> tuple[pd.DataFrame, pd.Series]:
    """Default exactly when the job is gig or self-employed and the age at most 42."""
    rng = np.random.default_rng(0)
    n = 2000
    X = pd.DataFrame(
        {
            "employment_type": rng.choice(JOBS, n),
            "age": rng.integers(18, 80, n),
            "utilization": rng.uniform(0, 1, n),
        }
    )
    y = (X["employment_type"].isin(["gig", "self-employed"]) & (X["age"] <= 42)).astype(int)
    return X, y


@pytest.mark.parametrize(
    "encoder",
    [
        OneHotEncoder(handle_unknown="ignore", sparse_output=False),
        OrdinalEncoder(),  # codes in alphabetical order: gig 0, ..., self-employed 3
    ],
    ids=["one-hot", "ordinal"],
)
def test_surrogate_rules_name_categories_never_codes(jobs, encoder) -> None:
    X, y = jobs
    pre = ColumnTransformer([("cat", encoder, ["employment_type"])], remainder="passthrough")
    model = make_pipeline(pre, DecisionTreeClassifier(random_state=0)).fit(X, y)
    exp = lw.explain(model, X, y, max_rows=60, n_repeats=1)
    s = exp.surrogate
    assert s.fidelity == pytest.approx(1.0)  # the model is a depth-3 rule: the tree finds it
    rules = [r for r in s.leaf_rules if r.prediction == "1"]
    assert len(rules) == 1
    conditions = set(rules[0].conditions)
    assert "employment_type in {gig, self-employed}" in conditions
    (age,) = [c for c in conditions if c.startswith("age")]
    threshold = float(re.fullmatch(r"age <= ([\d.]+)", age).group(1))
    assert 42 <= threshold < 43  # splits 42 from 43, whatever digits it is written with
    text = s.rules + json.dumps([r.conditions for r in s.leaf_rules])
    assert not re.search(r"employment_type\s*(<=|>|<)", text)  # never a comparison of codes
    assert not re.search(r"cat__|remainder__|employment_type_\w", text)  # never an encoded column
    assert sum(r.share for r in s.leaf_rules) == pytest.approx(1.0)
    assert all(r.purity == pytest.approx(1.0) for r in s.leaf_rules)


def test_surrogate_fidelity_is_measured_on_held_out_rows() -> None:
    # a model that memorized random labels: a deep tree can copy it on the rows it is fitted on,
    # but no rule carries over to other rows, so fidelity on held-out rows is near chance
    rng = np.random.default_rng(1)
    X = pd.DataFrame(rng.uniform(0, 1, (1000, 2)), columns=["a", "b"])
    model = KNeighborsClassifier(1).fit(X, rng.integers(0, 2, len(X)))
    s = surrogate_tree(view_model(model, X), X, depth=40)  # grown until pure
    in_sample = sum(r.share * r.purity for r in s.leaf_rules)
    assert in_sample > 0.9
    assert s.fidelity < 0.65
    assert s.held_out_rows == 300 and s.fit_rows == 700


def test_surrogate_of_a_regressor_reports_r2_and_spread() -> None:
    rng = np.random.default_rng(2)
    X = pd.DataFrame({"x": rng.uniform(0, 10, 800), "job": rng.choice(JOBS, 800)})
    y = np.where(X["x"] > 5, 10.0, 0.0) + X["job"].map(dict(zip(JOBS, range(5), strict=True)))

    class Model:  # any object with predict
        def predict(self, frame: pd.DataFrame) -> np.ndarray:
            return np.where(frame["x"] > 5, 10.0, 0.0) + frame["job"].map(
                dict(zip(JOBS, range(5), strict=True))
            ).to_numpy(float)

    s = surrogate_tree(view_model(Model(), X), X, depth=4)
    assert s.fidelity_metric == "R2" and s.fidelity > 0.95
    assert all(r.std is not None and r.purity is None for r in s.leaf_rules)
    assert np.isclose(sum(r.value * r.share for r in s.leaf_rules), y.mean(), atol=0.5)
    assert any(re.fullmatch(r"x <= 5(\.\d+)?|x > 5(\.\d+)?", c) for r in s.leaf_rules for c in r.conditions)


# --- the waterfall and the space of SHAP values -------------------------------------------------------
def test_waterfall_starts_at_the_base_value_with_a_label_on_every_bar() -> None:
    rng = np.random.default_rng(3)
    X = pd.DataFrame(rng.uniform(0, 1, (300, 4)), columns=list("abcd"))
    y = 1000 + 5 * X["a"] - 3 * X["b"] + X["c"]
    explainer = Explainer(LinearRegression().fit(X, y))
    exp = explainer.explain(X, max_rows=50)
    local = explainer.local(exp.rows[0])
    fig = figs.waterfall_figure(local)
    bars = fig.data[0]
    path = np.cumsum([local.base_value, *(c.attribution for c in local.shap)])
    low, high = fig.layout.xaxis.range
    assert bars.base == pytest.approx(local.base_value)
    assert path.min() - (path.max() - path.min()) <= low <= path.min()  # near the path, far from 0
    assert low > 900 and high >= path.max()
    assert len(bars.text) == len(bars.y) == len(local.shap) + 1 and all(bars.text)
    for label, c in zip(bars.text[:-1], local.shap, strict=True):
        assert float(label.replace("+", "")) == pytest.approx(c.attribution, rel=1e-2, abs=1e-3)
    assert float(bars.text[-1].replace(",", "")) == pytest.approx(local.prediction, rel=1e-3)
    assert fig.layout.xaxis.title.text and fig.layout.yaxis.title.text and fig.layout.title.text


@pytest.fixture(scope="module")
def logistic() -> tuple[Explainer, lw.Explanation, object, pd.DataFrame]:
    df = lw.datasets.credit(800, seed=2)
    X = df[["age", "income", "utilization", "late_payments"]].fillna(0)
    model = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, df["defaulted"])
    explainer = Explainer(model, background=X)
    exp = explainer.explain(X, df["defaulted"], max_rows=60, n_repeats=1)
    return explainer, exp, model, X


def test_log_odds_shap_is_labelled_and_never_mixed_with_probabilities(logistic) -> None:
    explainer, exp, model, X = logistic
    assert exp.output_space == "log-odds"
    local = explainer.local(exp.rows[4])
    one = X.iloc[[exp.rows[4]]]
    # the SHAP values add up to the margin, and the probability it stands for is the model's
    assert local.shap_output == pytest.approx(model.decision_function(one)[0], abs=1e-6)
    assert local.probability_of_output == pytest.approx(model.predict_proba(one)[0, 1], abs=1e-6)
    assert local.prediction == pytest.approx(model.predict_proba(one)[0, 1])
    water = figs.waterfall_figure(local)
    assert "log-odds" in water.layout.xaxis.title.text and "log-odds" in water.layout.title.text
    assert water.data[0].y[-1] == "f(x)" and "P = " in water.data[0].text[-1]
    shap_axes = [
        water.layout.xaxis.title.text,
        figs.beeswarm_figure(exp).layout.xaxis.title.text,
        figs.importance_figure(exp).layout.xaxis.title.text,
        figs.shap_dependence_figure(exp, "utilization").layout.yaxis.title.text,
    ]
    assert all("log-odds" in t and "probability" not in t for t in shap_axes)
    assert "log-odds" in local_html(local) and "P = " in local_html(local)
    assert "Prediction (probability)" in local_html(local)
    assert "log-odds" in summary_html(exp) and exp.space_note is not None


def test_probability_shap_is_labelled_probability() -> None:
    df = lw.datasets.credit(500, seed=3)
    X = df[["age", "utilization"]]
    explainer = Explainer(RandomForestClassifier(20, random_state=0).fit(X, df["defaulted"]))
    exp = explainer.explain(X, max_rows=40)
    local = explainer.local(exp.rows[0])
    water = figs.waterfall_figure(local)
    assert exp.output_space == "probability" and exp.space_note is None
    assert "probability" in water.layout.xaxis.title.text and water.data[0].y[-1] == "prediction"
    assert local.probability_of_output is None
    assert "log-odds" not in json.dumps(water.to_plotly_json(), default=str)


# --- dependence plot and interactions -----------------------------------------------------------------
@pytest.fixture(scope="module")
def interacting() -> tuple[Explainer, lw.Explanation, pd.DataFrame]:
    """y = x1 * x2 + x3: x1's effect depends on x2 only; x3 adds; x4 is noise."""
    rng = np.random.default_rng(4)
    X = pd.DataFrame(rng.uniform(-1, 1, (1500, 4)), columns=["x1", "x2", "x3", "x4"])
    model = GradientBoostingRegressor(n_estimators=150, max_depth=3, random_state=0)
    model.fit(X, X.x1 * X.x2 + X.x3)
    explainer = Explainer(model)
    exp = explainer.explain(X, max_rows=400, top_features=3)
    return explainer, exp, X


def test_dependence_plot_is_coloured_by_the_true_interacting_feature(interacting) -> None:
    _, exp, _ = interacting
    assert exp.strongest_interaction("x1") == "x2"
    assert exp.strongest_interaction("x2") == "x1"
    scores = exp.interaction_scores("x1")
    assert scores["x2"] > 2 * max(scores["x3"], scores["x4"])
    fig = figs.shap_dependence_figure(exp, "x1")
    marker = fig.data[0].marker
    assert marker.colorbar.title.text == "x2"
    x2 = [row[exp.features.index("x2")] for row in exp.feature_scaled]
    np.testing.assert_allclose(np.asarray(marker.color, dtype=float), x2, atol=1e-4)
    np.testing.assert_allclose(fig.data[0].y, [row[0] for row in exp.shap_values], rtol=1e-3)
    assert [c[0] for c in fig.data[0].customdata] == list(exp.rows)
    np.testing.assert_allclose(fig.data[0].x, [float(row[0]) for row in exp.feature_values])
    assert "x2" in fig.layout.title.text
    assert fig.layout.xaxis.title.text == "x1" and "SHAP value of x1" in fig.layout.yaxis.title.text
    plain = figs.shap_dependence_figure(exp, "x1", color=None)
    assert plain.data[0].marker.colorbar.title.text is None


def test_an_additive_model_has_no_interaction_colour() -> None:
    rng = np.random.default_rng(9)
    X = pd.DataFrame(rng.uniform(-1, 1, (600, 4)), columns=["x1", "x2", "x3", "x4"])
    model = LinearRegression().fit(X, X.x1 + 2 * X.x2 - X.x3)
    exp = lw.explain(model, X, max_rows=300)
    assert all(exp.strongest_interaction(f) is None for f in exp.features)
    fig = figs.shap_dependence_figure(exp, "x2")
    assert "no feature modulates it" in fig.layout.title.text
    assert fig.data[0].marker.colorbar.title.text is None


def test_the_top_pair_is_the_important_pair_that_interacts(interacting) -> None:
    _, exp, _ = interacting
    assert set(exp.pair_dependence.features) == {"x1", "x2"}
    assert exp.pair_dependence.interaction > 0.5


def test_two_feature_partial_dependence_equals_sklearn_and_is_additive_for_an_additive_model() -> None:
    rng = np.random.default_rng(5)
    X = pd.DataFrame(rng.uniform(-1, 1, (250, 3)), columns=["x1", "x2", "x3"])
    y = np.sin(3 * X.x1) + X.x2**2 + X.x3
    additive = make_pipeline(SplineTransformer(n_knots=6), Ridge(alpha=1e-3)).fit(X, y)
    explainer = Explainer(additive)
    explainer.explain(X, max_rows=30)
    pair = explainer.partial_dependence_2d("x1", "x2", grid_resolution=8)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = partial_dependence(additive, X, ["x1", "x2"], grid_resolution=8, method="brute")
        one = [partial_dependence(additive, X, [f], grid_resolution=8, method="brute") for f in ("x1", "x2")]
    np.testing.assert_allclose(pair.grid_x, expected["grid_values"][0])
    np.testing.assert_allclose(pair.grid_y, expected["grid_values"][1])
    surface = np.asarray(pair.average)
    np.testing.assert_allclose(surface, expected["average"][0], atol=1e-10)
    # additive: the surface is the sum of the one-feature curves, less the mean prediction once
    summed = one[0]["average"][0][:, None] + one[1]["average"][0][None, :] - additive.predict(X).mean()
    np.testing.assert_allclose(surface, summed, atol=1e-9)
    assert pair.interaction == pytest.approx(0.0, abs=1e-12)


def test_two_feature_partial_dependence_of_a_product_is_not_additive() -> None:
    rng = np.random.default_rng(6)
    X = pd.DataFrame(rng.uniform(-1, 1, (250, 3)), columns=["x1", "x2", "x3"])
    model = make_pipeline(PolynomialFeatures(2, interaction_only=True), LinearRegression())
    model.fit(X, X.x1 * X.x2 + X.x3)
    pair = pair_dependence(view_model(model, X), X, ("x1", "x2"), grid_resolution=8)
    surface = np.asarray(pair.average)
    gx, gy = np.asarray(pair.grid_x), np.asarray(pair.grid_y)
    np.testing.assert_allclose(
        surface - surface.mean(), np.outer(gx, gy) - np.outer(gx, gy).mean(), atol=0.05
    )
    residual = surface - surface.mean(1, keepdims=True) - surface.mean(0, keepdims=True) + surface.mean()
    assert np.abs(residual).max() > 0.3
    assert pair.interaction > 0.9


# --- ALE ---------------------------------------------------------------------------------------------
class OnTheDataOnly:
    """y = x1 where the data lies (x2 within a few hundredths of x1), but far from it the model
    says otherwise, as a flexible model fitted on such data may: f = x1 + 5 (x1 - x2)**2."""

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return (X["x1"] + 5 * (X["x1"] - X["x2"]) ** 2).to_numpy(float)


def test_ale_follows_the_true_slope_where_partial_dependence_is_biased() -> None:
    rng = np.random.default_rng(7)
    x1 = rng.uniform(0, 1, 2000)
    X = pd.DataFrame({"x1": x1, "x2": x1 + rng.normal(0, 0.03, len(x1))})
    model = OnTheDataOnly()
    assert np.corrcoef(X.x1, X.x2)[0, 1] > 0.99
    assert np.abs(model.predict(X) - X.x1).max() < 0.1  # the model is y = x1 on the data
    explainer = Explainer(model)
    exp = explainer.explain(X, max_rows=50, top_features=2)
    ale = next(a for a in exp.ale if a.feature == "x1")
    edges, effect = np.asarray(ale.edges), np.asarray(ale.effect)
    slope, intercept = np.polyfit(edges, effect, 1)
    assert slope == pytest.approx(1.0, abs=0.05)
    assert np.abs(effect - (slope * edges + intercept)).max() < 0.02  # a straight line
    assert np.average((effect[:-1] + effect[1:]) / 2, weights=ale.counts) == pytest.approx(0.0, abs=1e-9)
    # partial dependence pairs every x1 with every x2: its slope runs from about -4 to 6
    dep = next(d for d in exp.dependence if d.feature == "x1")
    grid, average = np.asarray(dep.grid), np.asarray(dep.average)
    local_slopes = np.diff(average) / np.diff(grid)
    assert local_slopes[0] < -2 and local_slopes[-1] > 4
    assert explainer.ale("x1", bins=10).feature == "x1"


def test_ale_of_a_linear_model_is_its_coefficient_exactly() -> None:
    rng = np.random.default_rng(8)
    X = pd.DataFrame({"a": rng.uniform(0, 1, 400), "b": rng.integers(0, 50, 400)})
    model = LinearRegression().fit(X, 3 * X.a - 0.5 * X.b)
    view = view_model(model, X)
    for feature, coef in (("a", 3.0), ("b", -0.5)):
        ale = accumulated_local_effects(view, X, feature, bins=10)
        np.testing.assert_allclose(np.diff(ale.effect) / np.diff(ale.edges), coef, rtol=1e-9)
        assert sum(ale.counts) == len(X)


# --- displays, round trip, bad input -------------------------------------------------------------------
def test_new_views_reach_the_static_page_figures_and_json(interacting) -> None:
    _, exp, _ = interacting
    names = set(exp.figures())
    assert {"pair_dependence", "surrogate", "ale:x1", "shap_dependence:x1"} <= names
    html = exp.to_html()
    for title in ("Accumulated local effects", "SHAP dependence", "Two-feature partial dependence"):
        assert title in html
    for fig in (figs.ale_figure(exp.ale[0]), figs.pair_dependence_figure(exp.pair_dependence)):
        assert fig.layout.title.text and fig.layout.xaxis.title.text and fig.layout.yaxis.title.text
    assert lw.Explanation.from_dict(json.loads(exp.to_json())) == exp


def test_panel_tabs_compute_pairs_and_surrogates_with_the_explainer(interacting, jobs) -> None:
    explainer, exp, _ = interacting
    panel = ExplanationPanel(exp, explainer=explainer)
    titles = list(panel.tabs.titles)
    assert titles[:6] == ["Global", "Local", "Effects", "Interactions", "Surrogate", "Stability"]
    for i in range(len(titles)):
        panel.tabs.selected_index = i
    assert panel.shap_color.value == "auto" and panel.shap_dependence.outputs
    assert panel.dependence.outputs and panel.ale.outputs
    pair = panel.show_pair("x3", "x4")
    assert pair.features == ("x3", "x4") and pair.interaction < 0.2
    shown = panel.pair_out.outputs[0]["data"]["application/vnd.plotly.v1+json"]
    assert shown["layout"]["xaxis"]["title"]["text"] == "x3"
    deeper = panel.show_surrogate(5)
    assert deeper.depth == 5 and "leaf" in panel.surrogate_info.value

    bare = ExplanationPanel(exp)
    for i in range(len(bare.tabs.titles)):
        bare.tabs.selected_index = i
    assert bare.pair_button.disabled and bare.show_pair("x3", "x4") is None
    assert "needs the model" in bare.pair_info.value
    assert bare.show_pair(*exp.pair_dependence.features) == exp.pair_dependence


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda e: e.partial_dependence_2d("x1", "nope"), lw.ParameterError, "'nope'.*not a column"),
        (lambda e: e.partial_dependence_2d("x1", "x1"), lw.ParameterError, "two different columns"),
        (
            lambda e: e.partial_dependence_2d("x1", "x2", grid_resolution=1),
            lw.ParameterError,
            "grid_resolution",
        ),
        (lambda e: e.ale("nope"), lw.ParameterError, "'nope'.*not a column"),
        (lambda e: e.ale("x1", bins=0), lw.ParameterError, "bins"),
        (lambda e: e.surrogate(depth=0), lw.ParameterError, "'depth' parameter of Explainer.surrogate"),
    ],
)
def test_bad_input_is_refused_by_name(interacting, call, error, match) -> None:
    explainer, _, _ = interacting
    with pytest.raises(error, match=match):
        call(explainer)


def test_views_need_rows_explained_first_and_numbers_for_ale(jobs) -> None:
    X, y = jobs
    model = make_pipeline(
        ColumnTransformer([("cat", OneHotEncoder(), ["employment_type"])], remainder="passthrough"),
        DecisionTreeClassifier(max_depth=3, random_state=0),
    ).fit(X, y)
    explainer = Explainer(model)
    with pytest.raises(lw.ParameterError, match="explain\\(X, y\\) before ale"):
        explainer.ale("age")
    explainer.explain(X, y, max_rows=30, n_repeats=1)
    with pytest.raises(lw.ParameterError, match=r"'employment_type'.*holds categories"):
        explainer.ale("employment_type")
    pair = explainer.partial_dependence_2d("employment_type", "age", grid_resolution=5)
    assert pair.categorical == (True, False) and set(pair.grid_x) == set(JOBS)
    assert figs.pair_dependence_figure(pair).data[0].type == "heatmap"


def test_nullable_integer_columns_get_integer_grids() -> None:
    rng = np.random.default_rng(10)
    X = pd.DataFrame(
        {
            "a": pd.array(rng.integers(0, 30, 400), dtype="Int64"),
            "b": rng.normal(size=400),
        }
    )
    X.loc[::17, "a"] = pd.NA
    seen: list[str] = []

    class Model:  # refuses floats in an integer column, as a strict pipeline might
        def predict(self, frame: pd.DataFrame) -> np.ndarray:
            seen.append(str(frame["a"].dtype))
            return frame["a"].astype(float).fillna(10).to_numpy() * frame["b"].to_numpy()

    view = view_model(Model(), X)
    ale = accumulated_local_effects(view, X, "a", bins=10)
    pair = pair_dependence(view, X, ("a", "b"), grid_resolution=40)  # 30 values: the grid is them
    assert all(e == round(e) for e in ale.edges) and pair.grid_x == tuple(float(v) for v in range(30))
    assert set(seen) == {"Int64"}


def test_an_explanation_written_before_these_views_still_reads(interacting) -> None:
    _, exp, _ = interacting
    data = exp.to_dict()
    for key in ("ale", "pair_dependence"):
        data.pop(key)
    for key in ("leaf_rules", "held_out_rows", "fit_rows"):
        data["surrogate"].pop(key)
    old = lw.Explanation.from_dict(data)
    assert old.ale == () and old.pair_dependence is None and old.surrogate.leaf_rules == ()
    assert "<pre>IF " in surrogate_html(old)  # the rules as text, as written then
