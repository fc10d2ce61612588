"""Dataset versions in the store: every fingerprint with the runs, audit records and model
versions that used it, in a real SQLite store, also after it is opened again."""

from __future__ import annotations

import json
import sqlite3
import uuid
from pathlib import Path

import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

import lifecycle_widgets as lw
from lifecycle_widgets.core.ingest import collect, fingerprint
from lifecycle_widgets.store import trail
from lifecycle_widgets.store.db import MIGRATIONS

FEATURES = ["age", "income", "utilization"]


def _fp(frame: pd.DataFrame) -> str:
    return fingerprint(collect(frame, sample_size=0, progress=False)[1]).sha256


@pytest.fixture
def frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    df = lw.datasets.credit(400, seed=11)
    return df.iloc[:300], df.iloc[300:]


def _train(store: lw.RunStore, train: pd.DataFrame, test: pd.DataFrame, *, name: str) -> lw.Run:
    X = train[FEATURES].fillna(0)
    with store.start_run(experiment="datasets", name=name) as run:
        run.log_dataset("train", train)
        run.log_dataset("test", test)
        run.log_model(LogisticRegression(max_iter=500).fit(X, train["defaulted"]))
    return run


def _record(store_path: Path, folder: Path, recorded: dict, *, started: str) -> str:
    """An audit record as the runner leaves it: a folder with manifest.json and an
    ``audit_record`` trail entry naming the folder relative to the store."""
    record_id = uuid.uuid4().hex
    folder.mkdir(parents=True)
    manifest = {
        "record_id": record_id,
        "name": folder.name,
        "status": "succeeded",
        "started": started,
        "recorded": {k: {"name": k, "value": v, "tolerance": None} for k, v in recorded.items()},
        "files": {"x.html": {"sha256": "0" * 64, "bytes": 1}},
    }
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    rel = folder.resolve().relative_to(store_path.resolve().parent).as_posix()
    trail.append(
        "audit_record",
        record_id,
        {"name": folder.name, "path": rel, "status": "succeeded", "manifest_sha256": "1" * 64},
        store=store_path,
    )
    return record_id


def test_runs_and_models_that_used_a_dataset_are_listed_under_its_fingerprint(tmp_path: Path, frames) -> None:
    train, test = frames
    store = lw.RunStore(tmp_path / "lifecycle.db")
    reg = lw.ModelRegistry(store)
    first = _train(store, train, test, name="first")
    second = _train(store, train, test, name="second")
    reg.register(second, name="credit", by="trainer")
    with store.start_run(experiment="other", name="unrelated") as other:
        other.log_dataset("train", test)  # the test frame, used as training data elsewhere

    table = store.datasets().set_index("fingerprint")
    fp_train, fp_test = _fp(train), _fp(test)
    assert set(table.index) == {fp_train, fp_test}
    assert table.loc[fp_train, "runs"] == (first.id, second.id)
    assert table.loc[fp_train, "models"] == ("credit:1",)
    assert table.loc[fp_train, "rows"] == len(train) and table.loc[fp_train, "columns"] == train.shape[1]
    assert table.loc[fp_train, "name"] == "train"
    assert table.loc[fp_test, "runs"] == (first.id, second.id, other.id)
    assert table.loc[fp_test, "name"] == "test, train"  # every name it was logged under
    assert table.loc[fp_test, "models"] == ("credit:1",)  # the model's run logged it as test data
    assert table.loc[fp_test, "records"] == ()

    # first seen: when the trail saw the first run log it, before anything later
    with sqlite3.connect(tmp_path / "lifecycle.db") as conn:
        logged = conn.execute(
            "SELECT created, payload FROM audit_trail WHERE kind = 'run' AND subject = ? ORDER BY seq",
            (first.id,),
        ).fetchall()
    when = next(c for c, p in logged if json.loads(p).get("fingerprint") == fp_train)
    assert table.loc[fp_train, "first_seen"] == when

    version = store.dataset(fp_test[:12])
    assert version.fingerprint == fp_test
    users = version.to_frame()
    assert users[users.kind == "run"]["role"].tolist() == ["test", "test", "train"]
    assert users[users.kind == "model"]["id"].tolist() == ["credit:1"]


def test_a_reopened_store_and_a_read_only_one_still_list_them(tmp_path: Path, frames) -> None:
    train, test = frames
    path = tmp_path / "lifecycle.db"
    store = lw.RunStore(path)
    run = _train(store, train, test, name="only")
    lw.ModelRegistry(store).register(run, name="m")
    before = store.datasets()
    store.close()
    for again in (lw.RunStore(path), lw.RunStore(path, read_only=True)):
        after = again.datasets()
        pd.testing.assert_frame_equal(after, before)
        assert again.dataset(_fp(train)).models == ("m:1",)
        again.close()


def test_a_logged_profile_gives_the_data_card_source(tmp_path: Path, frames) -> None:
    train, _ = frames
    store = lw.RunStore(tmp_path / "lifecycle.db")
    card = lw.DataCard(source="s3://risk/credit/2026-11.parquet", owner="risk")
    with store.start_run(experiment="cards") as run:
        fp = run.log_dataset("train", lw.profile(train, card=card, progress=False))
    assert fp == _fp(train)  # the profile's fingerprint is the data's
    row = store.datasets().set_index("fingerprint").loc[fp]
    assert row["source"] == "s3://risk/credit/2026-11.parquet"


def test_audit_records_that_name_a_fingerprint_are_its_users(tmp_path: Path, frames) -> None:
    train, test = frames
    path = tmp_path / "lifecycle.db"
    store = lw.RunStore(path)
    run = _train(store, train, test, name="r")
    fp_train = _fp(train)
    audit = tmp_path / "audits"
    rec = _record(
        path,
        audit / "data_audit-20261201T100000Z",
        {"fingerprint": fp_train, "rows": len(train), "columns": train.shape[1]},
        started="2026-12-01T10:00:00+00:00",
    )
    # a record that profiled data no run logged: the fingerprint is listed from the record alone
    only = "ab" * 32
    _record(
        path,
        audit / "data_audit-20261201T110000Z",
        {"fingerprint": only, "rows": 17, "columns": 3},
        started="2026-12-01T11:00:00+00:00",
    )
    # a value equal to a logged fingerprint counts even under another name; other hashes do not
    _record(
        path,
        audit / "model_validation-20261201T120000Z",
        {"train_data": fp_train, "artifact": "cd" * 32},
        started="2026-12-01T12:00:00+00:00",
    )

    table = store.datasets().set_index("fingerprint")
    assert set(table.index) == {fp_train, _fp(test), only}
    assert table.loc[fp_train, "records"] == (
        "data_audit-20261201T100000Z",
        "model_validation-20261201T120000Z",
    )
    assert table.loc[fp_train, "runs"] == (run.id,)
    assert table.loc[only, "records"] == ("data_audit-20261201T110000Z",)
    assert (table.loc[only, "rows"], table.loc[only, "columns"]) == (17, 3)
    assert table.loc[only, "first_seen"] == "2026-12-01T11:00:00+00:00"
    assert table.loc[only, "runs"] == () and table.loc[only, "models"] == ()
    users = store.dataset(fp_train).to_frame()
    assert users[users.kind == "record"][["id", "role"]].values.tolist()[0] == [rec, "fingerprint"]
    assert users[users.kind == "record"]["role"].tolist()[1] == "train_data"

    # a record folder that has gone is skipped (verify reports it), not a crash
    (audit / "data_audit-20261201T110000Z" / "manifest.json").unlink()
    assert only not in set(store.datasets().fingerprint)


def test_unknown_fingerprint_says_what_the_store_knows(tmp_path: Path, frames) -> None:
    store = lw.RunStore(tmp_path / "lifecycle.db")
    with pytest.raises(lw.ParameterError, match="knows none yet"):
        store.dataset("0" * 64)
    _train(store, *frames, name="r")
    with pytest.raises(lw.ParameterError, match=r"No dataset with fingerprint 'ffff' .*it knows 2"):
        store.dataset("ffff")
    with pytest.raises(lw.ParameterError, match=r"'fingerprint' parameter of RunStore\.dataset"):
        store.dataset(None)  # type: ignore[arg-type]
    assert store.datasets().empty is False
    assert lw.RunStore(tmp_path / "empty.db").datasets().columns.tolist() == [
        "fingerprint",
        "name",
        "source",
        "rows",
        "columns",
        "first_seen",
        "runs",
        "records",
        "models",
    ]


def test_a_store_of_schema_4_migrates_and_keeps_its_datasets(tmp_path: Path, frames) -> None:
    train, test = frames
    path = tmp_path / "lifecycle.db"
    store = lw.RunStore(path)
    run = _train(store, train, test, name="old")
    store.close()
    with sqlite3.connect(path) as conn:  # back to the last schema before the catalog
        conn.execute("DROP TABLE feature_definitions")
        conn.execute("DROP INDEX datasets_fingerprint")
        conn.execute("PRAGMA user_version = 4")
    again = lw.RunStore(path)
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS) == 5
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    assert {"feature_definitions", "datasets_fingerprint"} <= names
    assert again.dataset(_fp(train)).runs == (run.id,)


def test_a_run_that_logged_only_a_lineage_used_the_frame_it_was_read_from(tmp_path: Path, frames) -> None:
    train, _ = frames
    X = train[FEATURES].fillna(0)
    model = LogisticRegression(max_iter=500).fit(X, train["defaulted"])
    store = lw.RunStore(tmp_path / "lifecycle.db")
    with store.start_run(name="lineage only") as only:
        only.log_model(model)
        only.log_lineage(lw.lineage(model, X))
    with store.start_run(name="both") as both:
        both.log_dataset("features", X)
        both.log_lineage(lw.lineage(model, X))
    lw.ModelRegistry(store).register(only, name="m")
    version = store.dataset(_fp(X))
    assert version.runs == (only.id, both.id)  # once each, though `both` logged it twice over
    users = version.to_frame().set_index("id")
    assert users.loc[only.id, "role"] == "lineage input" and users.loc[both.id, "role"] == "features"
    assert version.models == ("m:1",)
