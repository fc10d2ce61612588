"""Every result kind the public API returns displays in static mode, in live mode and to a file,
from its one description; no kind is missing and none is described twice."""

from __future__ import annotations

import importlib
import json
import pkgutil
import re
from pathlib import Path

import ipywidgets
import numpy as np
import pytest
from sklearn.ensemble import RandomForestClassifier

import lifecycle_widgets as lw
from lifecycle_widgets.core.batch import BatchRun, BatchSummary
from lifecycle_widgets.core.dataset_diff import dataset_diff
from lifecycle_widgets.core.drift.multivariate import multivariate_drift
from lifecycle_widgets.core.drift.performance_estimation import estimate_performance
from lifecycle_widgets.core.explain.bias_mitigation import mitigate
from lifecycle_widgets.core.explain.conformal import conformal
from lifecycle_widgets.core.explain.counterfactual import counterfactuals
from lifecycle_widgets.core.result import Result
from lifecycle_widgets.panels import display
from lifecycle_widgets.panels import html as static

FEATURES = ["age", "income", "utilization", "late_payments"]
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def all_result_classes() -> set[type]:
    import lifecycle_widgets

    for info in pkgutil.walk_packages(lifecycle_widgets.__path__, "lifecycle_widgets."):
        importlib.import_module(info.name)
    found, todo = set(), [Result]
    while todo:
        for sub in todo.pop().__subclasses__():
            if sub.__module__.startswith("lifecycle_widgets.") and sub not in found:
                found.add(sub)
                todo.append(sub)
    return found


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> dict[str, Result]:
    df = lw.datasets.credit(1200, seed=4)
    X, y = df[FEATURES].fillna(0), df["defaulted"]
    model = RandomForestClassifier(30, max_depth=5, random_state=0).fit(X[:800], y[:800])
    X_test, y_test = X[800:], y[800:]
    pred = model.predict(X_test)
    facet_frame = X_test.assign(age_group=np.where(X_test["age"] >= 60, "60+", "under 60"))
    base = lw.Baseline.fit(df, target="defaulted")
    batch = lw.datasets.credit_batch(600, seed=7)
    explainer = lw.Explainer(model)
    exp = explainer.explain(X_test, y_test, max_rows=60)
    store = lw.RunStore(tmp_path_factory.mktemp("store") / "lifecycle.db")
    reg = lw.ModelRegistry(store)
    for depth in (3, 5):
        with store.start_run(experiment="every") as run:
            run.log_params({"depth": depth})
            run.log_metrics({"auc": 0.7 + depth / 100})
            run.log_model(RandomForestClassifier(10, max_depth=depth, random_state=0).fit(X[:800], y[:800]))
        reg.register(run, name="every-model", by="trainer")
    comparison = reg.compare(
        "every-model", 1, 2, X_test, y_test, trusted=["sklearn.tree._tree.Tree"], n_bootstrap=50
    )
    return {
        "profile": lw.profile(df, target="defaulted"),
        "baseline": base,
        "drift": base.check(batch),
        "timeline": lw.monitor(base, {"a": batch, "b": lw.datasets.credit_batch(600, seed=8, drift=False)}),
        "explanation": exp,
        "local": explainer.local(0),
        "stability": explainer.stability(0),
        "bias": lw.bias_report(facet_frame, y_test.to_numpy(), pred, facet="age_group", facet_values="60+"),
        "calibration": lw.calibration(y_test.to_numpy(), model.predict_proba(X_test)[:, 1]),
        "counterfactuals": counterfactuals(model, X_test, [0, 1], k=2),
        "conformal": conformal(model, X_test[:200], y_test[:200], X_test[200:], y_test[200:]),
        "lineage": lw.lineage(model, X_test),
        "profile_comparison": lw.profile(df).compare(lw.profile(batch)),
        "runs": store.runs(experiment="every"),
        "registry": reg.state(),
        "champion_challenger": comparison,
        "batch": BatchSummary(
            "t.ipynb", (BatchRun({"x": 1}, "succeeded", "a"), BatchRun({"x": 2}, "failed"))
        ),
        "bias_mitigation": mitigate(
            RandomForestClassifier(10, max_depth=4, random_state=0),
            facet_frame.iloc[:200],
            y_test.to_numpy()[:200],
            facet_frame.iloc[200:],
            y_test.to_numpy()[200:],
            facet="age_group",
            facet_values="60+",
            n_bootstrap=50,
        ).report,
        "performance_estimate": estimate_performance(
            model,
            X_test[:200].assign(defaulted=y_test[:200]),
            X_test[200:],
            target="defaulted",
            chunk_size=50,
        ),
        "multivariate_drift": multivariate_drift(df[FEATURES], {"batch": batch[FEATURES]}, chunk_size=300),
        "dataset_diff": dataset_diff(
            df,
            df.iloc[100:].assign(age=lambda d: d.age.astype(float)).drop(columns="notes"),
            key="customer_id",
        ),
    }


def test_every_result_class_is_described(results) -> None:
    described = set(display.described_types())
    assert all_result_classes() == described
    assert {type(r) for r in results.values()} == described  # and each is exercised below


def test_describing_a_kind_twice_is_an_error() -> None:
    with pytest.raises(lw.LifecycleWidgetsError, match="already described"):
        display.describe(lw.DataProfile, display.Description(title=str, sections=lambda r: []))


def test_an_undescribed_kind_names_the_described_ones() -> None:
    class Stray(Result):
        kind = "stray"

    with pytest.raises(lw.UnknownNameError, match=r"Stray.*DataProfile"):
        Stray().to_html()


def untitled_axes(fig) -> list[str]:
    """The visible cartesian axes a trace draws on that have no title."""
    missing = set()
    for trace in fig.data:
        for letter in ("x", "y"):
            if f"{letter}axis" not in trace:  # not a cartesian trace (pie, sankey, table, ...)
                continue
            key = f"{letter}axis{(trace[f'{letter}axis'] or letter)[1:]}"
            axis = fig.layout[key]
            if axis.visible is not False and axis.showticklabels is not False and not axis.title.text:
                missing.add(key)
    return sorted(missing)


def figure_payloads(html: str) -> list[dict]:
    return [
        json.loads(p)
        for p in re.findall(r'<script type="application/json" id="[^"]+-data">(.*?)</script>', html)
    ]


@pytest.mark.parametrize(
    "name",
    [
        "profile",
        "baseline",
        "drift",
        "timeline",
        "explanation",
        "local",
        "stability",
        "bias",
        "calibration",
        "conformal",
        "counterfactuals",
        "lineage",
        "profile_comparison",
        "runs",
        "registry",
        "champion_challenger",
        "batch",
        "bias_mitigation",
        "performance_estimate",
        "multivariate_drift",
        "dataset_diff",
    ],
)
def test_three_ways(results, name, tmp_path: Path) -> None:
    result = results[name]
    figures = result.figures()
    with lw.config_context(display="static"):
        bundle = result._repr_mimebundle_()
    assert set(bundle) == {"text/plain", "text/html"}
    html = bundle["text/html"]
    assert 'class="lw"' in html and "Traceback" not in html
    # every named figure of the description is in the static view
    drawn = figure_payloads(html)
    n_single = sum(1 for p in drawn if "figures" not in p)
    assert n_single == sum(1 for n in figures if ":" not in n)
    for fig in figures.values():
        assert fig.layout.title.text, f"{name}: a figure without a title"
    untitled = {key: untitled_axes(fig) for key, fig in figures.items() if untitled_axes(fig)}
    assert not untitled, f"{name}: axes without a title: {untitled}"
    with lw.config_context(display="live"):
        live = result._repr_mimebundle_()
    assert WIDGET_VIEW in live and "text/html" in live
    panel = result.panel()
    assert isinstance(panel, ipywidgets.Widget)
    page = panel.children[0].outputs  # the stylesheet reaches the live panel; an empty plotly
    assert "<style>" in page[0]["data"]["text/html"]  # figure makes the page's plotly.js load
    assert page[1]["data"] == {"application/vnd.plotly.v1+json": {"data": [], "layout": {}}}
    result.to_html(tmp_path / "out.html")
    text = (tmp_path / "out.html").read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and text.count("* plotly.js v") == 1
    assert len(figure_payloads(text)) == len(drawn)


def test_headlines_say_what_needs_attention_first(results) -> None:
    bias = results["bias"]
    failing = [m.name for m in bias.metrics if m.status == "fail"]
    head = display.headline_of(bias)
    if failing:
        assert head[0].severity == "high" and failing[0] in head[0].text
    drift = display.headline_of(results["drift"])
    assert drift[0].severity in ("high", "medium")  # the batch drifts by construction
    assert "ok" not in [a.severity for a in drift]
    items = display.headline_of(results["batch"])
    assert items == [static.Attention("high", "1 of 2 runs failed")]


def test_a_panel_shown_directly_displays_like_its_result(results) -> None:
    panel = lw.compare(results["runs"])
    with lw.config_context(display="static"):
        bundle = panel._repr_mimebundle_()
    assert set(bundle) == {"text/plain", "text/html"} and "2 runs" in bundle["text/html"]
    with lw.config_context(display="live"):
        live = panel._repr_mimebundle_()
    assert live[WIDGET_VIEW]["model_id"] == panel.model_id  # the very panel, not a copy
