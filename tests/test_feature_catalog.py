"""The feature catalog: logged lineages contribute feature definitions (sources and a fingerprint
of the transformer chain); one name defined two ways is flagged, the same definition is not."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

import lifecycle_widgets as lw
from lifecycle_widgets.store.features import feature_definitions

NUMERIC = ["age", "income"]


@pytest.fixture(scope="module")
def data() -> tuple[pd.DataFrame, pd.Series]:
    df = lw.datasets.credit(500, seed=5)
    return df[[*NUMERIC, "region"]], df["defaulted"]


def _pipeline(
    X: pd.DataFrame, y: pd.Series, *, strategy: str = "median", pre: str = "pre", **scaler
) -> Pipeline:
    numeric = make_pipeline(SimpleImputer(strategy=strategy), StandardScaler(**scaler))
    ct = ColumnTransformer([("num", numeric, NUMERIC), ("cat", OneHotEncoder(), ["region"])])
    return Pipeline([(pre, ct), ("model", LogisticRegression(max_iter=500))]).fit(X, y)


def _log(
    store: lw.RunStore, model: Pipeline, X: pd.DataFrame, *, exact: bool = True, name: str = ""
) -> lw.Run:
    with store.start_run(experiment="features", name=name or None) as run:
        run.log_model(model)
        run.log_lineage(lw.lineage(model, X), model=model if exact else None)
    return run


def test_the_same_name_with_another_imputer_strategy_is_a_conflict(tmp_path: Path, data) -> None:
    X, y = data
    store = lw.RunStore(tmp_path / "lifecycle.db")
    reg = lw.ModelRegistry(store)
    median_a = _log(store, _pipeline(X, y, strategy="median"), X, name="median-a")
    median_b = _log(store, _pipeline(X, y, strategy="median"), X, name="median-b")
    mean = _log(store, _pipeline(X, y, strategy="mean"), X, name="mean")
    reg.register(median_b, name="credit")
    reg.register(mean, name="credit")

    cat = store.features()
    assert set(cat.feature) == {
        "num__age",
        "num__income",
        *(f"cat__region_{r}" for r in sorted(X.region.unique())),
    }
    age = cat[cat.feature == "num__age"].set_index("definition")
    assert len(age) == 2  # median (two runs) and mean
    by_runs = {tuple(r): row for r, row in zip(age.runs, age.itertuples(), strict=True)}
    median = by_runs[(median_a.id, median_b.id)]
    other = by_runs[(mean.id,)]
    assert median.models == ("credit:1",) and other.models == ("credit:2",)
    assert median.sources == ("age",) and median.exact
    assert "strategy='median'" in median.transform and "strategy='median'" not in other.transform
    assert median.conflict and other.conflict
    # the encoder's outputs are defined alike in all three: no conflict, one definition
    region = cat[cat.feature.str.startswith("cat__")]
    assert region.groupby("feature").size().eq(1).all() and not region.conflict.any()
    assert all(r == (median_a.id, median_b.id, mean.id) for r in region.runs)

    conflicts = store.feature_conflicts()
    assert set(conflicts.feature) == {"num__age", "num__income"}
    assert conflicts.groupby("feature").size().to_dict() == {"num__age": 2, "num__income": 2}
    # the catalog is in the store: a reopened store lists the same
    store.close()
    pd.testing.assert_frame_equal(lw.RunStore(tmp_path / "lifecycle.db", read_only=True).features(), cat)


def test_identical_pipelines_are_not_a_conflict_whatever_their_step_names(tmp_path: Path, data) -> None:
    X, y = data
    store = lw.RunStore(tmp_path / "lifecycle.db")
    _log(store, _pipeline(X, y, pre="pre"), X)
    _log(store, _pipeline(X, y, pre="preprocess"), X)
    cat = store.features()
    assert not cat.conflict.any()
    assert cat.groupby("feature").size().eq(1).all()  # one definition per name
    assert store.feature_conflicts().empty


def test_parameters_the_graph_does_not_show_need_the_model(tmp_path: Path, data) -> None:
    X, y = data
    plain, no_mean = _pipeline(X, y), _pipeline(X, y, with_mean=False)
    graph_only = tmp_path / "graph.db"
    store = lw.RunStore(graph_only)
    _log(store, plain, X, exact=False)
    _log(store, no_mean, X, exact=False)
    assert not store.features().conflict.any()  # the graph says StandardScaler both times
    assert not store.features().exact.any()

    exact = lw.RunStore(tmp_path / "exact.db")
    _log(exact, plain, X)
    _log(exact, no_mean, X)
    assert set(exact.feature_conflicts().feature) == {"num__age", "num__income"}
    # an exact definition and a graph-only one of the same pipeline agree
    _log(exact, plain, X, exact=False)
    cat = exact.features()
    assert cat[~cat.exact & cat.feature.str.startswith("num__")].conflict.eq(False).all()


def test_graph_only_definitions_still_see_the_imputer_strategy(data) -> None:
    X, y = data
    median, mean = _pipeline(X, y, strategy="median"), _pipeline(X, y, strategy="mean")
    a = {d.feature: d for d in feature_definitions(lw.lineage(median, X))}
    b = {d.feature: d for d in feature_definitions(lw.lineage(mean, X))}
    assert a["num__age"].graph_definition != b["num__age"].graph_definition
    assert a["cat__region_north"].definition == b["cat__region_north"].definition
    assert a["num__age"].sources == (("age", "transformation"),)


def test_a_lineage_logged_before_the_catalog_existed_is_read_from_its_graph(tmp_path: Path, data) -> None:
    X, y = data
    store = lw.RunStore(tmp_path / "lifecycle.db")
    run = _log(store, _pipeline(X, y), X)
    with store.transaction() as conn:
        conn.execute("DELETE FROM feature_definitions")  # as a store migrated from schema 4 has it
    cat = store.features()
    assert set(cat.feature) >= {"num__age", "num__income"}
    assert not cat.exact.any() and all(r == (run.id,) for r in cat.runs)


def test_a_model_that_is_not_the_lineages_is_refused_before_anything_is_written(tmp_path: Path, data) -> None:
    X, y = data
    store = lw.RunStore(tmp_path / "lifecycle.db")
    model = _pipeline(X, y, pre="pre")
    other = _pipeline(X, y, pre="other")
    with store.start_run() as run:
        with pytest.raises(
            lw.ParameterError, match=r"has no step 'pre' \(its steps are \['other', 'model'\]\)"
        ):
            run.log_lineage(lw.lineage(model, X), model=other)
        with pytest.raises(lw.ParameterError, match=r"The 'lineage' parameter of feature_definitions"):
            run.log_lineage("not a graph")
    with pytest.raises(lw.ParameterError, match="has no lineage"):
        store.lineage(run.id)
    assert store.features().empty


def test_a_definition_is_the_same_in_another_process(data) -> None:
    """No memory address or set order leaks into a definition: a function transformer and a
    column selector hash alike in a fresh interpreter."""
    X, _ = data
    build = """
import numpy as np, lifecycle_widgets as lw
from sklearn.compose import ColumnTransformer, make_column_selector
from sklearn.preprocessing import FunctionTransformer
X = lw.datasets.credit(500, seed=5)[["age", "income", "region"]]
ct = ColumnTransformer([("log", FunctionTransformer(np.log1p, feature_names_out="one-to-one"),
                         make_column_selector(dtype_include="number"))]).fit(X)
"""
    show = """
from lifecycle_widgets.store.features import feature_definitions
print(" ".join(d.definition for d in feature_definitions(lw.lineage(ct, X), ct)))
"""
    there = subprocess.run(
        [sys.executable, "-c", build + show], capture_output=True, text=True, timeout=300, check=True
    ).stdout.split()
    scope: dict = {}
    exec(build, scope)
    here = feature_definitions(lw.lineage(scope["ct"], X), scope["ct"])
    assert there == [d.definition for d in here] and len(there) == 2
    assert all(d.exact and "func=<ufunc 'log1p'>" in d.steps[0] for d in here)


def test_a_mitigation_step_logged_later_keeps_the_exact_definitions(tmp_path: Path, data) -> None:
    """``MitigationReport.log_to`` logs the run's lineage again, with its step and without the
    model: the features it does not touch keep their exact definitions."""
    X, y = data
    model = _pipeline(X, y)
    store = lw.RunStore(tmp_path / "lifecycle.db")
    facet = X.assign(older=np.where(X["age"] >= 50, "50+", "under 50"))
    pred = model.predict(X)
    report = lw.compare_mitigation(
        facet,
        y.to_numpy(),
        before=pred,
        after=pred,
        facet="older",
        method="reweighing",
        metrics=["DPPL"],
        n_bootstrap=20,
    )
    with store.start_run() as run:
        run.log_lineage(lw.lineage(model, X), model=model)
        before = store.features()
        report.log_to(run)
    assert any(n.id.startswith("mitigation:") for n in store.lineage(run.id).nodes)
    pd.testing.assert_frame_equal(store.features(), before)
    assert store.features().exact.all()
