"""The run store, the registry and lineage: real SQLite, real processes, real scikit-learn."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

import lifecycle_widgets as lw
from lifecycle_widgets.store import StoreError, connect, trail

WRITER = """
import sys
import lifecycle_widgets as lw
store = lw.RunStore(sys.argv[1])
worker, n = int(sys.argv[2]), int(sys.argv[3])
for i in range(n):
    with store.start_run(experiment="load", name=f"w{worker}-{i}") as run:
        run.log_params({"worker": worker, "i": i})
        run.log_metrics({"score": worker * 1000 + i})
        run.log_metric("loss", 1.0 / (i + 1), step=i)
print("done", flush=True)
"""


@pytest.fixture
def store(tmp_path: Path) -> lw.RunStore:
    return lw.RunStore(tmp_path / "lifecycle.db")


def test_eight_processes_logging_at_once_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "lifecycle.db"
    lw.RunStore(path).close()  # create the schema once, as a project would
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path), str(w), "100"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for w in range(8)
    ]
    for p in procs:
        _out, err = p.communicate(timeout=600)
        assert p.returncode == 0, err
    runs = lw.RunStore(path).runs(experiment="load")
    assert len(runs) == 800
    assert {r.name for r in runs.runs} == {f"w{w}-{i}" for w in range(8) for i in range(100)}
    assert all(
        r.status == "FINISHED" and r.metrics["score"] == int(r.params["worker"]) * 1000 + int(r.params["i"])
        for r in runs.runs
    )
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]


def test_a_writer_killed_mid_write_leaves_a_consistent_store(tmp_path: Path) -> None:
    path = tmp_path / "lifecycle.db"
    lw.RunStore(path).close()
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path), "1", "100000"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.time() + 60
    while time.time() < deadline:  # let it commit some runs, then kill it in the middle of its work
        time.sleep(0.5)
        with sqlite3.connect(path, timeout=30) as conn:
            if conn.execute("SELECT count(*) FROM runs WHERE status = 'FINISHED'").fetchone()[0] >= 50:
                break
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        finished = conn.execute("SELECT count(*) FROM runs WHERE status = 'FINISHED'").fetchone()[0]
        # every committed run is whole: a finished run has its params and its score
        broken = conn.execute(
            "SELECT count(*) FROM runs r WHERE r.status = 'FINISHED' AND ("
            "(SELECT count(*) FROM params p WHERE p.run_id = r.id) != 2 OR "
            "(SELECT count(*) FROM metrics m WHERE m.run_id = r.id AND m.key = 'score') != 1)"
        ).fetchone()[0]
    assert finished >= 50 and broken == 0
    runs = lw.RunStore(path).runs(experiment="load")  # and it still opens and reads
    assert len([r for r in runs.runs if r.status == "FINISHED"]) == finished


def test_runs_params_metrics_steps_tags_datasets(store: lw.RunStore) -> None:
    df = lw.datasets.credit(300)
    with store.start_run(experiment="credit", seed=7, tags={"team": "risk"}) as run:
        run.log_params({"max_depth": 4, "features": ["a", "b"]})
        for step in range(3):
            run.log_metric("loss", 1 / (step + 1), step=step)
        run.log_metrics({"auc": 0.9})
        fp = run.log_dataset("train", df)
        prof = lw.profile(df)
        run.log_dataset("train_profiled", prof)
    record = store.runs(experiment="credit").runs[0]
    assert record.status == "FINISHED" and record.seed == 7 and record.tags == {"team": "risk"}
    assert record.params == {"max_depth": "4", "features": '["a", "b"]'}
    assert record.metrics == {"loss": pytest.approx(1 / 3), "auc": 0.9}
    assert store.metric_history(run.id, "loss") == [(0, 1.0), (1, 0.5), (2, pytest.approx(1 / 3))]
    assert (
        record.datasets == {"train": fp, "train_profiled": prof.fingerprint.sha256}
        and fp == prof.fingerprint.sha256
    )
    with connect(store.path) as conn:
        env, _code = conn.execute("SELECT environment, code_version FROM runs").fetchone()
    assert "pandas" in json.loads(env)["packages"]


def test_failed_block_marks_the_run_failed(store: lw.RunStore) -> None:
    with pytest.raises(ZeroDivisionError), store.start_run(experiment="x") as run:
        run.log_metrics({"a": 1})
        _ = 1 / 0
    assert store.runs(experiment="x").runs[0].status == "FAILED"


@pytest.mark.parametrize(
    ("action", "error", "match"),
    [
        (
            lambda run: run.log_metrics({"auc": "high"}),
            lw.ParameterError,
            "Metric 'auc' must be a number; got str",
        ),
        (lambda run: run.log_metrics({"auc": float("nan")}), lw.ParameterError, "must be a finite number"),
        (lambda run: run.end("DONE"), lw.ParameterError, "'status' parameter of Run.end must be one of"),
    ],
)
def test_bad_logging(store, action, error, match) -> None:
    with store.start_run(experiment="bad") as run, pytest.raises(error, match=match):
        action(run)


def test_logging_to_a_closed_run(store: lw.RunStore) -> None:
    with store.start_run(experiment="closed") as run:
        pass
    with pytest.raises(StoreError, match="is closed"):
        run.log_metrics({"a": 1.0})


def test_a_large_parameter_is_cut_with_a_warning_never_silently(store: lw.RunStore) -> None:
    with store.start_run(experiment="big") as run, pytest.warns(UserWarning, match="stored cut to 6,000"):
        run.log_params({"vocabulary": "x" * 10_000})
    with connect(store.path) as conn:
        value, full = conn.execute("SELECT value, full_length FROM params").fetchone()
    assert len(value) == 6000 and full == 10_000


def test_store_files_that_are_not_stores(tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE t (x)")
    with pytest.raises(StoreError, match="not a lifecycle_widgets store"):
        lw.RunStore(other)
    newer = tmp_path / "newer.db"
    lw.RunStore(newer).close()
    with sqlite3.connect(newer) as conn:
        conn.execute("PRAGMA user_version = 99")
    with pytest.raises(StoreError, match="newer than this lifecycle_widgets"):
        lw.RunStore(newer)


def test_read_only_store(tmp_path: Path) -> None:
    path = tmp_path / "ro" / "lifecycle.db"
    path.parent.mkdir()
    lw.RunStore(path).close()
    mounted = (
        subprocess.run(
            ["mount", "--bind", "-o", "ro", str(path.parent), str(path.parent)], capture_output=True
        ).returncode
        == 0
    )
    if not mounted:
        path.chmod(0o444)
        path.parent.chmod(0o555)
    try:
        with pytest.raises(StoreError, match="is read-only"):
            lw.RunStore(path)
    finally:
        if mounted:
            subprocess.run(["umount", str(path.parent)], check=True)


def test_log_search(store: lw.RunStore) -> None:
    df = lw.datasets.credit(400)
    X, y = df[["age", "utilization", "late_payments"]], df["defaulted"]
    search = GridSearchCV(LogisticRegression(max_iter=500), {"C": [0.1, 1.0, 10.0]}, cv=3).fit(X, y)
    ids = store.log_search(search, experiment="search")
    runs = store.runs(experiment="search")
    assert len(ids) == len(runs) == 3
    assert sorted(float(r.params["C"]) for r in runs.runs) == [0.1, 1.0, 10.0]
    for r, mean in zip(runs.runs, search.cv_results_["mean_test_score"], strict=True):
        assert r.metrics["mean_test_score"] == pytest.approx(mean)
    with pytest.raises(lw.ParameterError, match="needs a fitted scikit-learn search"):
        store.log_search(GridSearchCV(LogisticRegression(), {"C": [1.0]}))


@pytest.fixture
def two_versions(store: lw.RunStore) -> tuple[lw.ModelRegistry, pd.DataFrame, pd.Series]:
    df = lw.datasets.credit(3000, seed=2)
    X, y = df[["age", "income", "utilization", "late_payments"]].fillna(0), df["defaulted"]
    reg = lw.ModelRegistry(store)
    for model in (LogisticRegression(max_iter=1000), RandomForestClassifier(60, max_depth=6, random_state=0)):
        with store.start_run(experiment="credit") as run:
            run.log_model(model.fit(X[:2000], y[:2000]))
        reg.register(run, name="credit-risk", by="trainer")
    return reg, X[2000:], y[2000:]


def test_registry_approvals_aliases_links_and_trail(two_versions, store, tmp_path) -> None:
    reg, _, _ = two_versions
    assert [v.status for v in reg.versions("credit-risk")] == ["PendingManualApproval"] * 2
    v1 = reg.approve("credit-risk", 1, by="reviewer", note="passed validation audit")
    assert v1.status == "Approved" and v1.history[-1].by == "reviewer"
    assert "passed validation audit" in v1.history[-1].detail
    reg.set_alias("credit-risk", "champion", 1)
    reg.approve("credit-risk", 2, by="reviewer")  # an alias points only at an approved version
    reg.set_alias("credit-risk", "challenger", 2)
    assert reg.version("credit-risk", "champion").version == 1
    reg.link(
        "credit-risk", 1, audit_record=str(tmp_path / "audits" / "x"), baseline=str(tmp_path / "baseline")
    )
    assert set(reg.version("credit-risk", 1).links) == {"audit_record", "baseline"}
    reg.reject("credit-risk", 2, by="reviewer", note="worse")
    assert reg.version("credit-risk", 2).aliases == ()  # rejecting removes its aliases
    with pytest.raises(
        lw.ParameterError, match="is Rejected: an alias can point only at an Approved version"
    ):
        reg.set_alias("credit-risk", "challenger", 2)
    with pytest.raises(lw.ParameterError, match=r"has no version 9; it has versions \[1, 2\]"):
        reg.approve("credit-risk", 9, by="reviewer")
    with pytest.raises(lw.ParameterError, match="has no alias 'nope'"):
        reg.version("credit-risk", "nope")
    with pytest.raises(lw.ParameterError, match="by= is required"):
        reg.approve("credit-risk", 1, by="")
    with connect(store.path) as conn:
        entries = [e for e in trail.entries(conn) if e.kind == "registry"]
        assert trail.check_chain(conn) == []
    assert [e.payload["event"] for e in entries] == [
        "registered",
        "registered",
        "approved",
        "alias",
        "approved",
        "alias",
        "link",
        "rejected",
    ]


def test_champion_challenger(two_versions) -> None:
    reg, X, y = two_versions
    trusted = ["sklearn.tree._tree.Tree"]
    result = reg.compare("credit-risk", 1, 2, X, y, trusted=trusted, n_bootstrap=300)
    a = reg.load_model("credit-risk", 1, trusted=trusted).predict(X) == y
    b = reg.load_model("credit-risk", 2, trusted=trusted).predict(X) == y
    assert result.champion_value == pytest.approx(a.mean()) and result.challenger_value == pytest.approx(
        b.mean()
    )
    assert result.difference == pytest.approx(b.mean() - a.mean())
    assert result.ci_low <= result.difference <= result.ci_high
    from scipy.stats import binomtest, chi2

    n01, n10 = int((a & ~b).sum()), int((~a & b).sum())
    expected = (
        binomtest(min(n01, n10), n01 + n10, 0.5).pvalue
        if n01 + n10 < 25
        else chi2.sf((abs(n01 - n10) - 1) ** 2 / (n01 + n10), 1)
    )
    assert result.test == "McNemar" and result.p_value == pytest.approx(expected)
    assert result.recommendation
    with pytest.raises(lw.ParameterError, match="does not trust by default"):
        reg.compare("credit-risk", 1, 2, X, y)
    html = reg.state().to_html()
    assert "credit-risk" in html and "champion v1 against challenger v2 on accuracy" in html


def test_a_changed_model_file_is_refused(two_versions, store) -> None:
    reg, _, _ = two_versions
    path, _ = store.artifact(reg.version("credit-risk", 1).run_id)
    Path(path).write_bytes(Path(path).read_bytes() + b"x")
    with pytest.raises(lw.ParameterError, match="changed since it was registered"):
        reg.load_model("credit-risk", 1)


def test_lineage_maps_every_feature_to_raw_columns() -> None:
    df = lw.datasets.credit(500)
    rec = lw.LineageRecorder()

    @rec.step("debt per account", uses={"debt_per_account": ["debt_ratio", "n_accounts"]})
    def add_ratio(d: pd.DataFrame) -> pd.DataFrame:
        return d.assign(debt_per_account=d["debt_ratio"].replace(np.inf, 0) / (d["n_accounts"] + 1))

    data = add_ratio(df)
    numeric, categorical = ["age", "income", "debt_per_account"], ["region", "employment_type"]
    pre = ColumnTransformer(
        [
            ("num", make_pipeline(SimpleImputer(), StandardScaler()), numeric),
            ("cat", OneHotEncoder(handle_unknown="ignore"), categorical),
        ]
    )
    pipe = Pipeline([("pre", pre), ("model", LogisticRegression(max_iter=500))])
    pipe.fit(data[numeric + categorical], data["defaulted"])
    lin = lw.lineage(pipe, data[numeric + categorical], steps=rec)
    names = list(pipe[:-1].get_feature_names_out())
    assert list(lin.features) == names
    for name in names:
        sources = lin.sources(name)
        if name.startswith("cat__region_"):
            assert sources == ("region",)
        elif name.startswith("cat__employment_type_"):
            assert sources == ("employment_type",)
        elif name == "num__debt_per_account":
            assert sources == ("debt_ratio", "n_accounts")  # through the recorded pandas step
        else:
            assert sources == (name.removeprefix("num__"),)
    step = rec.steps[0]
    assert step.added == ("debt_per_account",) and step.removed == () and step.changed == ()
    assert step.input_fingerprint == lw.profile(df).fingerprint.sha256
    assert lw.LineageGraph.from_dict(lin.to_dict()) == lin
    path = lin.path("feature:num__debt_per_account")
    assert {"raw:debt_ratio", "raw:n_accounts", "step:debt per account"} <= set(path)


OPENLINEAGE_REQUIRED = {  # the RunEvent schema's required fields (OpenLineage 2-0-2)
    "event": ["eventTime", "producer", "schemaURL", "run", "job"],
    "run": ["runId"],
    "job": ["namespace", "name"],
    "dataset": ["namespace", "name"],
    "facet": ["_producer", "_schemaURL"],
}


def test_openlineage_event_has_the_required_fields() -> None:
    import uuid

    df = lw.datasets.credit(200)
    ct = ColumnTransformer([("num", StandardScaler(), ["age"]), ("cat", OneHotEncoder(), ["region"])]).fit(df)
    event = json.loads(json.dumps(lw.lineage(ct, df).openlineage(source=("file", "/data/credit.csv"))))
    for key in OPENLINEAGE_REQUIRED["event"]:
        assert key in event
    assert event["eventType"] in ("START", "RUNNING", "COMPLETE", "ABORT", "FAIL", "OTHER")
    uuid.UUID(event["run"]["runId"])
    assert event["eventTime"].endswith("Z") and pd.Timestamp(event["eventTime"]) is not None
    for dataset in event["inputs"] + event["outputs"]:
        for key in OPENLINEAGE_REQUIRED["dataset"]:
            assert isinstance(dataset[key], str)
        for facet in dataset["facets"].values():
            for key in OPENLINEAGE_REQUIRED["facet"]:
                assert facet[key].startswith("http")
    fields = event["outputs"][0]["facets"]["columnLineage"]["fields"]
    assert fields["cat__region_north"]["inputFields"] == [
        {
            "namespace": "file",
            "name": "/data/credit.csv",
            "field": "region",
            "transformations": [
                {
                    "type": "DIRECT",
                    "subtype": "TRANSFORMATION",
                    "description": "transformation: OneHotEncoder: region_north",
                    "masking": False,
                }
            ],
        }
    ]


def test_comparison_panel_diff_and_live_curves(store: lw.RunStore) -> None:
    for depth in (2, 4):
        for seed in (0, 1):
            with store.start_run(experiment="grid", seed=seed) as run:
                run.log_params({"depth": depth, "seed": seed, "lr": 0.1})
                run.log_metrics({"auc": 0.8 + depth / 100 + seed / 1000})
    runs = store.runs(experiment="grid")
    panel = lw.compare(runs, store=store)
    panel.tabs.selected_index = 1
    panel.select([runs.runs[0].id, runs.runs[3].id])
    assert "depth" in panel.diff.value and "seed" in panel.diff.value and "lr" not in panel.diff.value
    panel.tabs.selected_index = 2
    grouped = panel.grouped.outputs[0]["data"]["application/vnd.plotly.v1+json"]
    assert grouped["data"][0]["y"] == pytest.approx([0.8205, 0.8405])  # mean over the two seeds
    # live: a running run's curve redraws as it logs
    run = store.create_run(experiment="grid", name="live")
    run.log_metric("auc", 0.5, step=0)
    live = lw.compare(store.runs(experiment="grid"), store=store)
    live.tabs.selected_index = 1
    live.select([run.id])
    run.log_metric("auc", 0.7, step=1)
    assert list(live.curves.data[0].y) == [0.5, 0.7]
    panel.sort.value = "metric.auc"
    assert panel.table.value.index("run-4") < panel.table.value.index("run-1")


def test_mlflow_store_path_errors(store: lw.RunStore, tmp_path: Path) -> None:
    with pytest.raises(lw.ParameterError, match="Only MLflow's SQLite stores"):
        store.import_mlflow("http://localhost:5000")
    with pytest.raises(lw.ParameterError, match="No MLflow store"):
        store.import_mlflow(f"sqlite:///{tmp_path / 'none.db'}")
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE t (x)")
    with pytest.raises(lw.ParameterError, match="is not an MLflow tracking store"):
        store.import_mlflow(f"sqlite:///{other}")
