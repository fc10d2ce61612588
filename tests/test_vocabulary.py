"""One vocabulary across results: every tabular result has ``to_frame()`` (one row per natural
item, plain column names), and ``save``/``load`` are symmetric wherever one exists."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from sklearn.ensemble import RandomForestClassifier

import lifecycle_widgets as lw
from lifecycle_widgets.core.drift.check import DriftReport
from lifecycle_widgets.core.result import Result
from tests.test_every_result import all_result_classes

FEATURES = ["age", "income", "utilization", "late_payments"]


#: Result classes whose to_frame this file checks against the result's items
COVERED = {
    "Baseline",
    "ChampionChallenger",
    "DriftReport",
    "Explanation",
    "LocalExplanation",
    "LineageGraph",
    "ProfileComparison",
    "RegistryState",
    "Stability",
    "Timeline",
}
#: Result classes that had to_frame before (tested where they are made)
EARLIER = {
    "BatchSummary",
    "BiasReport",
    "Calibration",
    "Conformal",
    "CounterfactualSet",
    "DatasetDiff",
    "DataProfile",
    "MitigationReport",
    "MultivariateDrift",
    "PerformanceEstimate",
    "Runs",
}


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> dict[str, Result]:
    df = lw.datasets.credit(600, seed=4)
    X, y = df[FEATURES].fillna(0), df["defaulted"]
    model = RandomForestClassifier(10, max_depth=4, random_state=0).fit(X[:400], y[:400])
    X_test, y_test = X[400:], y[400:]
    base = lw.Baseline.fit(df, target="defaulted")
    batch = lw.datasets.credit_batch(300, seed=7)
    explainer = lw.Explainer(model)
    exp = explainer.explain(X_test, y_test, max_rows=40)
    store = lw.RunStore(tmp_path_factory.mktemp("store") / "lifecycle.db")
    reg = lw.ModelRegistry(store)
    for depth in (2, 4):
        with store.start_run(experiment="vocabulary") as run:
            run.log_model(RandomForestClassifier(10, max_depth=depth, random_state=0).fit(X[:400], y[:400]))
        reg.register(run, name="vocab-model", by="trainer")
    comparison = reg.compare(
        "vocab-model", 1, 2, X_test, y_test, trusted=["sklearn.tree._tree.Tree"], n_bootstrap=20
    )
    return {
        "baseline": base,
        "drift": base.check(batch),
        "timeline": lw.monitor(
            base, {"a": batch, "b": lw.datasets.credit_batch(300, seed=8, drift=False)}, progress=False
        ),
        "explanation": exp,
        "local": explainer.local(0),
        "stability": explainer.stability(0),
        "lineage": lw.lineage(model, X_test),
        "profile_comparison": lw.profile(df).compare(lw.profile(batch)),
        "registry": reg.state(),
        "champion_challenger": comparison,
    }


def frame_of(result: Result) -> pd.DataFrame:
    frame = result.to_frame()
    assert isinstance(frame, pd.DataFrame) and len(frame) > 0
    assert all(isinstance(c, str) and c for c in frame.columns)  # plain column names
    assert isinstance(frame.index, pd.RangeIndex)  # items are columns, not the index
    return frame


def test_baseline_frame_has_a_row_per_feature(results) -> None:
    base = results["baseline"]
    frame = frame_of(base)
    assert frame["name"].tolist() == [f.name for f in base.features]
    assert frame["kind"].tolist() == [f.kind for f in base.features]
    assert frame["count"].tolist() == [f.num_present for f in base.features]
    assert frame["missing"].tolist() == [f.num_missing for f in base.features]
    age = base.feature("age")
    row = frame.set_index("name").loc["age"]
    assert (row["mean"], row["min"], row["max"]) == (age.mean, age.min, age.max)


def test_drift_report_frame_has_a_row_per_feature(results) -> None:
    report = results["drift"]
    frame = frame_of(report)
    assert len(frame) == len(report.features)
    assert frame["name"].tolist() == [f.name for f in report.features]
    assert tuple(frame.loc[frame["drifted"], "name"]) == report.drifted_features
    assert tuple(frame.loc[frame["flagged"], "name"]) == report.flagged_features
    income = report.feature("income")
    row = frame.set_index("name").loc["income"]
    assert (row["method"], row["distance"], row["threshold"], row["p_value"]) == (
        income.method,
        income.distance,
        income.threshold,
        income.p_value,
    )
    assert {"kind", "completeness_baseline", "completeness_current"} <= set(frame.columns)


def test_drift_report_save_and_load_round_trip(results, tmp_path: Path) -> None:
    report = results["drift"]
    folder = report.save(tmp_path / "report")
    assert (folder / "constraint_violations.json").is_file()
    assert DriftReport.load(folder) == report
    assert DriftReport.load(str(folder)) == report


def test_drift_report_load_names_the_missing_or_corrupt_file(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    with pytest.raises(lw.ParameterError, match="nowhere") as err:
        DriftReport.load(missing)
    assert str(missing / "drift_report.json") in str(err.value)
    corrupt = tmp_path / "corrupt"
    corrupt.mkdir()
    (corrupt / "drift_report.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(lw.ParameterError) as err:
        DriftReport.load(corrupt)
    assert str(corrupt / "drift_report.json") in str(err.value)
    (corrupt / "drift_report.json").write_text('{"kind": "baseline"}', encoding="utf-8")
    with pytest.raises(lw.ParameterError, match="corrupt"):
        DriftReport.load(corrupt)


def test_timeline_frame_has_a_row_per_batch_and_feature(results) -> None:
    timeline = results["timeline"]
    frame = frame_of(timeline)
    compared = [(r.label, f.name) for r in timeline.reports for f in r.features if f.method is not None]
    assert list(zip(frame["batch"], frame["feature"], strict=True)) == compared
    wide = frame.pivot(index="feature", columns="batch", values="distance")
    expected = timeline.distance_frame()
    pd.testing.assert_frame_equal(
        wide.loc[expected.index, list(expected.columns)], expected, check_names=False
    )


def test_explanation_frame_is_the_global_importance(results) -> None:
    exp = results["explanation"]
    frame = frame_of(exp)
    assert frame["feature"].tolist() == exp.global_importance().index.tolist()
    assert sorted(frame["feature"]) == sorted(exp.features)
    assert frame["shap_mean_abs"].tolist() == exp.global_importance()["shap_mean_abs"].tolist()


def test_local_explanation_frame_has_a_row_per_contribution(results) -> None:
    local = results["local"]
    frame = frame_of(local)
    assert frame["feature"].tolist() == [c.feature for c in local.shap]
    assert frame["shap"].tolist() == [c.attribution for c in local.shap]
    assert frame["value"].tolist() == [c.value for c in local.shap]
    lime = frame.set_index("feature")["lime"]
    assert {c.feature: c.attribution for c in local.lime} == {
        f: lime[f] for f in lime.index if lime[f] == lime[f]
    }


def test_stability_frame_has_a_row_per_score(results) -> None:
    stab = results["stability"]
    frame = frame_of(stab)
    assert list(zip(frame["method"], frame["variation"], strict=True)) == [
        (s.method, s.variation) for s in stab.scores
    ]
    assert frame["kendall_tau"].tolist() == [s.kendall_tau for s in stab.scores]


def test_lineage_frame_has_a_row_per_feature_and_source(results) -> None:
    lin = results["lineage"]
    frame = frame_of(lin)
    expected = [(f, s) for f in lin.features for s in lin.sources(f)]
    assert sorted(zip(frame["feature"], frame["source"], strict=True)) == sorted(expected)
    assert set(frame["how"]) <= {"identity", "transformation", "mixing"}


def test_profile_comparison_frame_has_a_row_per_column(results) -> None:
    cmp = results["profile_comparison"]
    frame = frame_of(cmp)
    assert frame["name"].tolist() == [c.name for c in cmp.columns]
    income = frame.set_index("name").loc["income"]
    assert income["distance"] == cmp.column("income").distance


def test_registry_frame_has_a_row_per_version(results) -> None:
    state = results["registry"]
    frame = frame_of(state)
    assert list(zip(frame["name"], frame["version"], strict=True)) == [
        (v.name, v.version) for v in state.versions
    ]
    assert frame["status"].tolist() == [v.status for v in state.versions]
    assert set(frame["registered_by"]) == {"trainer"}
    assert {"aliases", "registered_at"} <= set(frame.columns)


def test_champion_challenger_frame_has_a_row_per_model(results) -> None:
    c = results["champion_challenger"]
    frame = frame_of(c)
    assert frame["role"].tolist() == ["champion", "challenger"]
    assert frame["version"].tolist() == [c.champion, c.challenger]
    assert frame["value"].tolist() == [c.champion_value, c.challenger_value]
    assert set(frame["metric"]) == {c.metric} and set(frame["test"]) == {c.test}
    assert set(frame["difference"]) == {c.difference}


def test_every_result_that_holds_a_table_has_to_frame(results) -> None:
    names = {cls.__name__ for cls in all_result_classes()}
    assert names == COVERED | EARLIER, "a new Result kind: add it to COVERED (with a test) or EARLIER"
    assert {type(r).__name__ for r in results.values()} == COVERED
    for cls in all_result_classes():
        assert callable(getattr(cls, "to_frame", None)), f"{cls.__name__} has no to_frame"


def test_save_and_load_come_in_pairs() -> None:
    for cls in all_result_classes():
        assert hasattr(cls, "save") == hasattr(cls, "load"), f"{cls.__name__} has save or load alone"
