"""Drift baselines: distances against independent computations, every check type triggered and
not triggered, files in Model Monitor's layout, hand-edited constraints, and monitoring."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.spatial.distance import jensenshannon
from scipy.stats.contingency import association

import lifecycle_widgets as lw
from lifecycle_widgets.core.drift import ConstraintsError, get_distance
from lifecycle_widgets.core.drift.distances import chi_squared, hellinger, jensen_shannon, linf, psi

P = np.array([50.0, 30.0, 15.0, 5.0])
Q = np.array([30.0, 30.0, 20.0, 20.0])


def test_binned_distances_by_hand_and_scipy() -> None:
    p, q = P / P.sum(), Q / Q.sum()
    assert psi(P, Q) == pytest.approx(((q - p) * np.log(q / p)).sum())
    assert jensen_shannon(P, Q) == pytest.approx(jensenshannon(p, q, base=2))
    assert hellinger(P, Q) == pytest.approx(np.sqrt(0.5 * ((np.sqrt(p) - np.sqrt(q)) ** 2).sum()))
    assert chi_squared(P, Q) == pytest.approx(association(np.vstack([P, Q]).astype(int), method="cramer"))
    assert linf(P, Q) == pytest.approx(np.abs(p - q).max())
    for f in (psi, jensen_shannon, hellinger, chi_squared, linf):
        assert f(P, P) == pytest.approx(0.0, abs=1e-12)


def test_quantile_distances_against_scipy() -> None:
    from lifecycle_widgets.core.drift.distances import GRID_PROBS

    rng = np.random.default_rng(0)
    a, b = rng.normal(0, 1, 200_000), rng.normal(0.3, 1.2, 150_000)
    qa, qb = np.quantile(a, GRID_PROBS), np.quantile(b, GRID_PROBS)
    # a 201-point quantile grid resolves ranks to 0.005
    assert get_distance("ks").function(qa, qb) == pytest.approx(stats.ks_2samp(a, b).statistic, abs=0.006)
    w = get_distance("wasserstein").function(qa, qb, a.std())
    assert w == pytest.approx(stats.wasserstein_distance(a, b) / a.std(), rel=0.03)
    assert get_distance("ks").function(qa, qa) == 0.0


def test_registry_lookup_is_loud() -> None:
    with pytest.raises(
        lw.UnknownNameError, match=r"No drift distance named 'kl'\. Available: .*psi.*wasserstein"
    ):
        get_distance("kl")
    assert get_distance("Simple").name == "linf"


@pytest.fixture(scope="module")
def train() -> pd.DataFrame:
    return lw.datasets.credit(6000, seed=0)


@pytest.fixture(scope="module")
def base(train: pd.DataFrame) -> lw.Baseline:
    return lw.Baseline.fit(train, target="defaulted")


@pytest.fixture(scope="module")
def clean(train: pd.DataFrame) -> pd.DataFrame:
    return lw.datasets.credit_batch(6000, seed=11, drift=False)


def checks(report: lw.DriftReport, feature: str | None = None) -> set[str]:
    return {
        v.constraint_check_type for v in report.violations if feature is None or v.feature_name == feature
    }


def test_undrifted_batch_has_no_violation(base: lw.Baseline, clean: pd.DataFrame) -> None:
    report = base.check(clean)
    assert report.violations == () and report.drifted_features == ()


def test_drifted_batch_flags_exactly_the_drifted_columns(base: lw.Baseline) -> None:
    report = base.check(lw.datasets.credit_batch(6000, seed=12))
    assert set(report.flagged_features) == set(lw.datasets.DRIFTED_COLUMNS)
    assert "completeness_check" in checks(report, "notes")  # drift in the missing share alone


def _modified(clean: pd.DataFrame, **changes) -> pd.DataFrame:
    df = clean.copy()
    for name, fn in changes.items():
        df[name] = fn(df)
    return df


@pytest.mark.parametrize(
    ("make", "feature", "check"),
    [
        (lambda d: d.drop(columns=["age"]), "age", "missing_column_check"),
        (lambda d: d.assign(surprise=1), "surprise", "extra_column_check"),
        (lambda d: d.assign(age=d["age"].astype(str) + " years"), "age", "data_type_check"),
        (lambda d: d.assign(age=d["age"] + 0.5), "age", "data_type_check"),
        (
            lambda d: d.assign(income=d["income"].where(np.arange(len(d)) % 2 == 0)),
            "income",
            "completeness_check",
        ),
        (lambda d: d.assign(income=np.inf), "income", "completeness_check"),
        (
            lambda d: d.assign(region=pd.Series([None] * len(d), dtype="category")),
            "region",
            "completeness_check",
        ),
        (lambda d: d.assign(income=d["income"] * 3), "income", "baseline_drift_check"),
        (
            lambda d: d.assign(
                employment_type=np.where(np.arange(len(d)) % 5 == 0, "astronaut", d["employment_type"])
            ),
            "employment_type",
            "categorical_values_check",
        ),
        (lambda d: d.assign(n_accounts=d["n_accounts"] - 2), "n_accounts", "non_negative_check"),
    ],
    ids=[
        "missing",
        "extra",
        "type-str",
        "type-fraction",
        "completeness",
        "only-infinities",
        "all-missing",
        "drift",
        "new-category",
        "negatives",
    ],
)
def test_each_check_type_triggers(base, clean, make, feature, check) -> None:
    report = base.check(make(clean))
    assert check in checks(report, feature), report.violations
    assert check not in checks(base.check(clean), feature)


def test_int_to_float_with_missing_values_is_not_a_type_change(base, clean) -> None:
    df = clean.assign(age=clean["age"].astype(float).where(np.arange(len(clean)) % 100 != 0))
    assert "data_type_check" not in checks(base.check(df), "age")


def test_zero_rows_is_a_violation_not_an_error(base, clean) -> None:
    report = base.check(clean.iloc[:0])
    assert report.rows == 0
    assert [(v.feature_name, v.constraint_check_type) for v in report.violations] == [
        ("", "completeness_check")
    ]


def test_model_quality(train) -> None:
    from sklearn.linear_model import LogisticRegression

    features = ["age", "income", "utilization", "late_payments", "n_accounts"]
    x = train[features].fillna(0)
    model = LogisticRegression(max_iter=500).fit(x, train["defaulted"])
    ref = train.assign(income=train["income"].fillna(0))
    base = lw.Baseline.fit(ref, target="defaulted", model=model)
    assert base.model_quality["problem_type"] == "binary"
    from sklearn.metrics import roc_auc_score

    assert base.model_quality["auc"] == pytest.approx(
        roc_auc_score(train["defaulted"], model.predict_proba(x)[:, 1])
    )
    good = base.check(ref, model=model)
    assert "model_quality_check" not in checks(good)
    flipped = ref.assign(defaulted=1 - ref["defaulted"])
    bad = base.check(flipped, model=model)
    assert "model_quality_check" in checks(bad)
    # a baseline holds no model: without one given, the batch's quality is not judged at all
    assert not hasattr(base, "_model") and base.check(flipped).model_quality is None
    assert "model_quality_check" not in checks(base.check(flipped))
    assert bad.model_quality["accuracy"] == pytest.approx(1 - good.model_quality["accuracy"])
    # labels given as an array, predictions given directly
    preds = model.predict(x)
    direct = base.check(
        ref.drop(columns=["defaulted"]), labels=ref["defaulted"].to_numpy(), predictions=preds
    )
    assert direct.model_quality["accuracy"] == pytest.approx(good.model_quality["accuracy"])
    with pytest.raises(lw.ColumnError, match="labels"):
        base.check(ref.drop(columns=["defaulted"]), labels=[1, 0], predictions=preds)


def test_files_follow_model_monitor_layout(base: lw.Baseline, tmp_path) -> None:
    base.save(tmp_path / "b")
    stats_json = json.loads((tmp_path / "b" / "statistics.json").read_text())
    cons = json.loads((tmp_path / "b" / "constraints.json").read_text())
    income = next(f for f in stats_json["features"] if f["name"] == "income")
    assert income["inferred_type"] == "Fractional"
    assert set(income["numerical_statistics"]) >= {
        "common",
        "mean",
        "sum",
        "std_dev",
        "min",
        "max",
        "distribution",
    }
    assert income["numerical_statistics"]["distribution"]["kll"]["buckets"][0]["count"] > 0
    region = next(f for f in stats_json["features"] if f["name"] == "region")
    assert region["string_statistics"]["distinct_count"] == 5
    rules = {f["name"]: f for f in cons["features"]}
    assert rules["region"]["string_constraints"]["domains"] == sorted(lw.datasets.REGIONS)
    assert rules["income"]["num_constraints"]["is_non_negative"] is True
    assert rules["last_login"]["monitoringConfigOverrides"] == {"perform_comparison": "Disabled"}
    assert cons["monitoring_config"]["distribution_constraints"]["comparison_method"] == "Simple"


def test_save_load_check_round_trip(base, tmp_path) -> None:
    batch = lw.datasets.credit_batch(3000, seed=13)
    base.save(tmp_path / "b")
    loaded = lw.Baseline.load(tmp_path / "b")
    assert loaded.check(batch).to_dict() == base.check(batch).to_dict()
    report = base.check(batch)
    report.save(tmp_path / "r")
    violations = json.loads((tmp_path / "r" / "constraint_violations.json").read_text())
    assert {v["constraint_check_type"] for v in violations["violations"]} == checks(report)
    assert lw.DriftReport.read_json(tmp_path / "r" / "drift_report.json") == report
    assert lw.Baseline.from_dict(base.to_dict()) == base


def test_hand_edited_constraints_are_honoured(base, tmp_path) -> None:
    base.save(tmp_path / "b")
    path = tmp_path / "b" / "constraints.json"
    cons = json.loads(path.read_text())
    for f in cons["features"]:
        if f["name"] == "income":
            f["monitoringConfigOverrides"]["comparison_threshold"] = 5.0
        if f["name"] == "region":
            f["monitoringConfigOverrides"] = {"perform_comparison": "Disabled"}
        if f["name"] == "utilization":
            f["monitoringConfigOverrides"] = {"comparison_method": "psi", "comparison_threshold": 0.2}
    path.write_text(json.dumps(cons))
    report = lw.Baseline.load(tmp_path / "b").check(lw.datasets.credit_batch(6000, seed=12))
    assert "income" not in report.drifted_features and "region" not in report.drifted_features
    assert report.feature("utilization").method == "psi" and "utilization" in report.drifted_features


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        (
            lambda c: c.update(surprise=1),
            "Unknown key 'surprise' in constraints.json; allowed keys: attribution_constraints",
        ),
        (
            lambda c: c["monitoring_config"].update(datatype_check_threshold=3),
            r"monitoring_config.datatype_check_threshold must be a finite number between 0 and 1; got 3",
        ),
        (
            lambda c: c["features"][1]["monitoringConfigOverrides"].update(comparison_method="kl"),
            r"features\[1\].monitoringConfigOverrides.comparison_method must be one of psi",
        ),
        (lambda c: c["features"][1].update(completness=1.0), "Unknown key 'completness' in features\\[1\\]"),
        (lambda c: c["features"][1].update(name="nope"), "features\\[1\\].name 'nope' is not a feature"),
        (
            lambda c: c["features"][2]["num_constraints"].update(is_non_negative="yes"),
            "must be true or false",
        ),
    ],
)
def test_bad_constraints_name_the_key(base, tmp_path, edit, match) -> None:
    base.save(tmp_path / "b")
    path = tmp_path / "b" / "constraints.json"
    cons = json.loads(path.read_text())
    edit(cons)
    path.write_text(json.dumps(cons))
    with pytest.raises(ConstraintsError, match=match):
        lw.Baseline.load(tmp_path / "b")


def test_parquet_batch_equals_frame(base, tmp_path) -> None:
    batch = lw.datasets.credit_batch(4000, seed=14)
    batch.to_parquet(tmp_path / "batch.parquet", row_group_size=1000)
    from_file = base.check(tmp_path / "batch.parquet")
    from_frame = base.check(batch)
    assert from_file.flagged_features == from_frame.flagged_features
    assert from_file.batch_fingerprint == from_frame.batch_fingerprint


def test_monitor_batches_and_windows(base) -> None:
    batches = {f"w{i}": lw.datasets.credit_batch(2000, seed=20 + i, drift=i >= 2) for i in range(4)}
    tl = lw.monitor(base, batches)
    assert tl.labels == ("w0", "w1", "w2", "w3") and tl.retrain_recommended
    income = next(s for s in tl.signals if s.feature_name == "income")
    assert (income.constraint_check_type, income.since, income.batches) == ("baseline_drift_check", "w2", 2)
    frame = tl.distance_frame(relative=True)
    assert frame.loc["income", "w3"] > 1 > frame.loc["income", "w0"]
    assert tl.violation_counts().loc["baseline_drift_check", "w0"] == 0
    assert lw.Timeline.from_dict(tl.to_dict()) == tl
    quiet = lw.monitor(base, [batches["w0"], batches["w1"]])
    assert quiet.labels == ("batch 1", "batch 2") and not quiet.retrain_recommended
    one = lw.datasets.credit_batch(3000, seed=30, drift=False)
    one["ts"] = pd.Timestamp("2026-01-01") + pd.to_timedelta(np.arange(3000) % 21, unit="D")
    windows = lw.monitor(base, one, time_column="ts", window="7D")
    # windows start at the first timestamp, and each label shows its window's range
    assert windows.labels == (
        "2026-01-01 to 2026-01-07",
        "2026-01-08 to 2026-01-14",
        "2026-01-15 to 2026-01-21",
    )
    expected = one.groupby((one["ts"] - one["ts"].min()).dt.days // 7).size().tolist()
    assert [r.rows for r in windows.reports] == expected and sum(expected) == 3000


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"batches": []}, "at least one batch"),
        ({"batches": "frame"}, "one frame with time_column and window"),
        ({"batches": "frame", "time_column": "nope", "window": "1D"}, "'nope': the time column"),
        (
            {"batches": "frame", "time_column": "last_login", "window": "fortnight"},
            "nor a fixed pandas frequency",
        ),
    ],
)
def test_monitor_bad_input(base, clean, kwargs, match) -> None:
    if kwargs.get("batches") == "frame":
        kwargs = {**kwargs, "batches": clean}
    with pytest.raises(lw.ParameterError, match=match):
        lw.monitor(base, **kwargs)


def test_drift_panel_updates_one_figure_in_place(base) -> None:
    report = base.check(lw.datasets.credit_batch(3000, seed=15))
    panel = lw.DriftPanel(report)
    assert panel.feature_picker.options[0] in report.drifted_features
    panel.tabs.selected_index = 1
    fig = panel.figure
    panel.feature_picker.value = "region"
    assert panel.figure is fig and list(fig.data[1].x)[:5] == list(lw.datasets.REGIONS)
    assert fig.data[1].y == report.feature("region").current_shares


def test_timeline_panel_click_shows_the_cell(base) -> None:
    tl = lw.monitor(
        base,
        {
            "a": lw.datasets.credit_batch(1500, seed=40, drift=False),
            "b": lw.datasets.credit_batch(1500, seed=41),
        },
    )
    panel = lw.TimelinePanel(tl)
    rows = list(tl.distance_frame().index)
    # the page's stylesheet (hidden), title, then what needs attention, then the table
    markup = [getattr(w, "value", "") for w in panel.children[1:4]]
    assert "<h2>" in markup[0] and "lw-headline" in markup[1] and "<table" in markup[2]

    class Points:  # what plotly passes to an on_click callback
        point_inds = ([rows.index("region"), 1],)

    panel._clicked(panel.heatmap.data[0], Points(), None)
    assert panel.detail_title == "region in b"
    shown = panel.detail.outputs[0]["data"]["application/vnd.plotly.v1+json"]
    assert shown["data"][1]["y"] == pytest.approx(
        list(tl.reports[1].feature("region").current_shares), abs=1e-6
    )


def test_drift_html_escapes_markup() -> None:
    evil = "<img src=x onerror=alert(1)>"
    ref = pd.DataFrame({evil: ["a", "b"] * 200, "x": np.arange(400.0)})
    cur = pd.DataFrame({evil: [evil] * 400, "x": np.arange(400.0) + 1000})
    base = lw.Baseline.fit(ref)
    report = base.check(cur)
    assert "categorical_values_check" in checks(report, evil)
    for obj in (base, report, lw.monitor(base, [cur])):
        html = obj.to_html()
        assert evil not in html and "&lt;img src=x onerror=alert(1)&gt;" in html


def test_numeric_bins_are_labelled_one_to_one(base: lw.Baseline) -> None:
    report = base.check(lw.datasets.credit_batch(2000, seed=16))
    for f in report.features:
        assert len(f.bins) == len(f.baseline_shares) == len(f.current_shares)
    income = report.feature("income")
    # present values only: the missing share is completeness_check's, not a bin of the distance
    assert income.bins[0].startswith("≤ ") and income.bins[-1].startswith("> ")
    assert "(missing)" not in income.bins


def test_ndcg_by_hand() -> None:
    from lifecycle_widgets.core.drift.model_drift import ndcg

    base = {"a": 3.0, "b": 2.0, "c": 1.0}
    assert ndcg(base, {"a": 0.9, "b": 0.5, "c": 0.1}) == pytest.approx(1.0)
    swapped = (1.0 + 2.0 / np.log2(3) + 3.0 / np.log2(4)) / (3.0 + 2.0 / np.log2(3) + 1.0 / np.log2(4))
    assert ndcg(base, {"a": 0.1, "b": 0.5, "c": 0.9}) == pytest.approx(swapped)


@pytest.fixture(scope="module")
def model_baseline(train):
    from sklearn.ensemble import RandomForestClassifier

    cols = ["age", "utilization", "late_payments", "n_accounts"]
    data = train.assign(age_group=np.where(train["age"] >= 60, "60+", "under 60"))
    # the model learns from other rows: measured on its own training rows it would look better
    # than on any later batch, and every batch would seem to drift
    other = lw.datasets.credit(6000, seed=9)
    model = RandomForestClassifier(40, max_depth=6, random_state=0, class_weight="balanced").fit(
        other[cols], other["defaulted"]
    )
    return lw.Baseline.fit(
        data, target="defaulted", model=model, facet="age_group", facet_values=["60+"]
    ), model


def _with_group(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(age_group=np.where(frame["age"] >= 60, "60+", "under 60"))


def test_feature_attribution_and_bias_drift(model_baseline, clean) -> None:
    base, model = model_baseline
    assert set(base.attribution) == {"age", "utilization", "late_payments", "n_accounts"}
    rule = base.constraints["attribution_constraints"]
    assert rule["ndcg_threshold"] == 0.9 and set(rule["share_standard_errors"]) == set(base.attribution)
    calm = base.check(_with_group(clean), model=model)
    assert calm.attribution_ndcg > 0.9
    assert not checks(calm) & {"feature_attribution_drift_check", "bias_drift_check"}
    # the model now leans on late payments, and only for the 60+ group
    shifted = _with_group(clean).assign(utilization=0.3)
    shifted["late_payments"] = np.where(shifted["age"] >= 60, 6, 0)
    report = base.check(shifted, model=model)
    assert report.attribution_ndcg < 0.9
    assert {"feature_attribution_drift_check", "bias_drift_check"} <= checks(report)


def test_model_drift_survives_save_and_load(model_baseline, clean, tmp_path) -> None:
    base, model = model_baseline
    base.save(tmp_path / "b")
    loaded = lw.Baseline.load(tmp_path / "b")
    assert loaded.attribution == base.attribution and loaded.bias == base.bias
    a, b = loaded.check(_with_group(clean), model=model), base.check(_with_group(clean), model=model)
    assert a.attribution_ndcg == pytest.approx(b.attribution_ndcg)
    cons = json.loads((tmp_path / "b" / "constraints.json").read_text())
    cons["bias_constraints"]["metrics"]["DPPL"]["upper"] = "high"
    (tmp_path / "b" / "constraints.json").write_text(json.dumps(cons))
    with pytest.raises(ConstraintsError, match=r"bias_constraints.metrics.DPPL.upper must be a number"):
        lw.Baseline.load(tmp_path / "b")


@pytest.mark.parametrize(
    "convert",
    [
        lambda s: s.astype(float).where(s.index % 50 != 0),  # pandas turns it float on a missing value
        lambda s: s.astype("Int64"),
        lambda s: s.astype("int64[pyarrow]"),
        lambda s: s.astype(np.float32),
        lambda s: s.astype("category"),
    ],
    ids=["float-with-missing", "nullable", "pyarrow", "float32", "categorical"],
)
def test_category_keys_compare_by_value_across_dtypes(convert) -> None:
    """A 0/1 integer column that arrives as float (or nullable, pyarrow, categorical) holds the
    same values: no drift, no domain violation (it scored JS 1.0 when '1.0' != '1')."""
    rng = np.random.default_rng(1)
    train = pd.DataFrame({"flag": rng.integers(0, 2, 4000), "x": rng.normal(size=4000)})
    batch = pd.DataFrame({"flag": rng.integers(0, 2, 2000), "x": rng.normal(size=2000)})
    batch["flag"] = convert(batch["flag"])
    report = lw.Baseline.fit(train).check(batch)
    flag = report.feature("flag")
    assert flag.distance is not None and flag.distance < 0.05, flag
    checks = {v.constraint_check_type for v in report.violations if v.feature_name == "flag"}
    assert not checks & {"baseline_drift_check", "categorical_values_check"}, report.violations


def test_category_keys_still_tell_different_values_apart() -> None:
    train = pd.DataFrame({"flag": [0, 1] * 2000})
    batch = pd.DataFrame({"flag": [1.0, 2.0] * 1000})  # 2 is new: half the batch outside the domain
    report = lw.Baseline.fit(train).check(batch)
    assert "flag" in report.flagged_features


def test_a_batch_without_labels_gets_no_violation_about_them() -> None:
    train = lw.datasets.credit(3000, seed=2)
    base = lw.Baseline.fit(train, target="defaulted")
    batch = lw.datasets.credit_batch(1500, seed=9, drift=False).drop(columns=["defaulted"])
    report = base.check(batch)
    assert not [v for v in report.violations if v.feature_name == "defaulted"], report.violations
    timeline = lw.monitor(base, {"w1": batch, "w2": batch.iloc[:800]})
    assert not any(s.feature_name == "defaulted" for s in timeline.signals)


def test_a_missing_facet_is_an_error_before_any_work() -> None:
    with pytest.raises(lw.ColumnError, match="sex"):
        lw.Baseline.fit(lw.datasets.credit(500), target="defaulted", facet="sex")


@pytest.mark.parametrize("value", [float("inf"), float("nan"), -1.0])
def test_non_finite_thresholds_are_refused(tmp_path, value) -> None:
    base = lw.Baseline.fit(lw.datasets.credit(500))
    base.save(tmp_path)
    path = tmp_path / "constraints.json"
    data = json.loads(path.read_text())
    data["monitoring_config"]["distribution_constraints"]["comparison_threshold"] = value
    path.write_text(json.dumps(data))
    with pytest.raises(ConstraintsError, match=r"comparison_threshold must be a finite number"):
        lw.Baseline.load(tmp_path)


def test_check_registry_declares_each_check_once_with_its_severity() -> None:
    from lifecycle_widgets.core.drift.check import CHECKS, Violation, get_check

    assert {name: c.severity for name, c in CHECKS.items()} == {
        "missing_column_check": "high",
        "data_type_check": "high",
        "completeness_check": "medium",
        "non_negative_check": "medium",
        "range_check": "medium",
        "future_timestamp_check": "medium",
        "timestamp_range_check": "medium",
        "integral_check": "medium",
        "uniqueness_check": "medium",
        "categorical_values_check": "medium",
        "vocabulary_check": "medium",
        "baseline_drift_check": "medium",
        "extra_column_check": "low",
        "model_quality_check": "high",
        "feature_attribution_drift_check": "medium",
        "bias_drift_check": "high",
    }
    assert {n for n, c in CHECKS.items() if not c.retrain} == {
        "non_negative_check",
        "future_timestamp_check",
        "timestamp_range_check",
        "integral_check",
        "uniqueness_check",
        "extra_column_check",
        "feature_attribution_drift_check",
        "bias_drift_check",
    }
    with pytest.raises(
        lw.UnknownNameError,
        match=r"No constraint check named 'drift_check'\. Available: baseline_drift_check, bias_drift_check",
    ):
        get_check("drift_check")
    with pytest.raises(lw.UnknownNameError, match="completeness_check"):
        Violation("x", "completness_check", "misspelt", "medium")


def test_violations_carry_their_checks_severity(base, clean) -> None:
    from lifecycle_widgets.core.drift.check import CHECKS

    batch = clean.drop(columns=["age"]).assign(surprise=1, income=clean["income"] * 3)
    report = base.check(batch)
    found = {v.constraint_check_type: v.severity for v in report.violations}
    assert found == {
        "missing_column_check": "high",
        "extra_column_check": "low",
        "baseline_drift_check": "medium",
        "range_check": "medium",  # three times the income leaves the baseline's range
    }
    # listed in the registry's order
    order = list(CHECKS)
    assert [order.index(v.constraint_check_type) for v in report.violations] == sorted(
        order.index(v.constraint_check_type) for v in report.violations
    )
