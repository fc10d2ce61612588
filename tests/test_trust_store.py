"""The store's side of issue 13: runs and the registry in the signed trail, the trail replayed
against the tables, models loaded from the bytes that were checked, stores opened safely."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

import lifecycle_widgets as lw
from lifecycle_widgets.cli import main as cli
from lifecycle_widgets.store import StoreError, connect, trail
from lifecycle_widgets.store.keys import new_key


@pytest.fixture
def trusted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """One signing key ("trainer") in the test's keys folder, and a file that trusts it."""
    for name in ("LIFECYCLE_WIDGETS_SIGNER", "LIFECYCLE_WIDGETS_TRUSTED_KEYS", "LIFECYCLE_WIDGETS_STORE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LIFECYCLE_WIDGETS_KEYS", str(tmp_path / "keys"))
    signer = new_key("trainer")
    path = tmp_path / "allowed_signers"
    path.write_text(signer.public_line() + "\n")
    return path


def _fit() -> LogisticRegression:
    X = np.array([[0.0], [1.0], [2.0], [3.0]])
    return LogisticRegression().fit(X, [0, 0, 1, 1])


@pytest.fixture
def registry(tmp_path: Path, trusted: Path) -> lw.ModelRegistry:
    """A store with two versions of model 'credit': v1 approved and champion, v2 pending."""
    store = lw.RunStore(tmp_path / "lifecycle.db")
    reg = lw.ModelRegistry(store)
    for _ in range(2):
        with store.start_run(experiment="credit") as run:
            run.log_dataset("train", pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0], "y": [0, 0, 1, 1]}))
            run.log_model(_fit())
        reg.register(run, name="credit", by="trainer")
    reg.approve("credit", 1, by="reviewer", note="passed validation")
    reg.set_alias("credit", "champion", 1, by="reviewer")
    return reg


def test_runs_and_registry_changes_enter_the_signed_trail(registry: lw.ModelRegistry, trusted: Path) -> None:
    with connect(registry.store.path, readonly=True) as conn:
        entries = trail.entries(conn)
    events = [(e.kind, e.payload["event"]) for e in entries]
    assert events[:4] == [("run", "started"), ("run", "dataset"), ("run", "model"), ("run", "ended")]
    assert events[-3:] == [("registry", "registered"), ("registry", "approved"), ("registry", "alias")]
    signer = registry.store.signer
    assert signer is not None and {(e.signer, e.signer_name) for e in entries} == {
        (signer.fingerprint, "trainer")
    }
    model_entry = entries[2].payload
    path, sha = registry.store.artifact(entries[2].subject)
    assert model_entry["sha256"] == sha and model_entry["bytes"] == Path(path).stat().st_size
    result = lw.store.check_store(registry.store.path, trusted_keys=trusted)
    assert result.ok, result.problems
    assert (
        result.entries_checked == len(entries) and result.head == f"{len(entries)}:{entries[-1].entry_hash}"
    )


@pytest.mark.parametrize(
    ("sql", "problem"),
    [
        (
            "UPDATE model_versions SET status = 'Approved' WHERE version = 2",
            "model 'credit' v2: the model_versions table says run {run2}, SHA-256 {sha2}, status Approved, "
            "the audit trail says run {run2}, SHA-256 {sha2}, status PendingManualApproval",
        ),
        (
            "UPDATE model_versions SET artifact_sha256 = '" + "0" * 64 + "' WHERE version = 1",
            "model 'credit' v1: the model_versions table says run {run1}, SHA-256 0000000000000000…, status Approved",
        ),
        (
            "UPDATE model_aliases SET version = 2 WHERE alias = 'champion'",
            "model 'credit' alias 'champion': the model_aliases table says version 2, the audit trail says version 1",
        ),
        (
            "INSERT INTO model_versions VALUES ('credit', 3, '{run_id2}', '"
            + "1" * 64
            + "', 'Approved', 'now')",
            "model 'credit' v3: in the model_versions table but not in the audit trail (written directly?)",
        ),
        (
            "DELETE FROM model_versions WHERE version = 2",
            "model 'credit' v2: in the audit trail but not in the model_versions table (deleted?)",
        ),
        (
            "UPDATE runs SET status = 'FAILED' WHERE id = '{run_id1}'",
            "run 'run-1' ({run1}): the runs table says status FAILED, the audit trail says status FINISHED",
        ),
        (
            "UPDATE artifacts SET sha256 = '" + "2" * 64 + "' WHERE run_id = '{run_id1}'",
            "run 'run-1' ({run1}) 'model': the artifacts table says SHA-256 2222222222222222…",
        ),
    ],
)
def test_registry_verify_catches_a_direct_sql_edit(
    registry: lw.ModelRegistry, trusted: Path, capsys: pytest.CaptureFixture[str], sql: str, problem: str
) -> None:
    path = registry.store.path
    args = ["registry", "verify", "--store", str(path), "--trusted-keys", str(trusted)]
    assert cli(args) == 0
    v1, v2 = registry.version("credit", 1), registry.version("credit", 2)
    facts = {
        "run_id1": v1.run_id,
        "run_id2": v2.run_id,
        "run1": v1.run_id[:8],
        "run2": v2.run_id[:8],
        "sha2": v2.artifact_sha256[:16] + "…",
    }
    registry.store.close()
    with sqlite3.connect(path) as conn:
        conn.execute(sql.format(**facts))
    capsys.readouterr()
    assert cli(args) == 1
    out = capsys.readouterr().out
    assert "FAILED" in out and any(
        line.startswith("  - " + problem.format(**facts)) for line in out.splitlines()
    ), out


def test_registry_verify_needs_trusted_keys_and_an_existing_store(
    tmp_path: Path, trusted: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        cli(["registry", "verify", "--store", str(tmp_path / "none.db"), "--trusted-keys", str(trusted)]) == 2
    )
    assert "error: No store at" in capsys.readouterr().err
    lw.RunStore(tmp_path / "lifecycle.db").close()
    assert cli(["registry", "verify", "--store", str(tmp_path / "lifecycle.db")]) == 2
    assert "needs the keys you trust" in capsys.readouterr().err


def test_unsigned_entries_are_named_when_no_key_was_set_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LIFECYCLE_WIDGETS_KEYS", str(tmp_path / "none"))
    monkeypatch.delenv("LIFECYCLE_WIDGETS_SIGNER", raising=False)
    store = lw.RunStore(tmp_path / "lifecycle.db")
    assert store.signer is None
    with store.start_run(experiment="x"):
        pass
    someone = new_key("someone", folder=tmp_path / "k")
    result = lw.store.check_store(store.path, trusted_keys=lw.store.TrustedKeys.parse(someone.public_line()))
    assert result.problems == (
        "trail entry #1 (run "
        + store.runs().runs[0].id
        + "): not signed (no signing key was set up when it was written)",
        "trail entry #2 (run "
        + store.runs().runs[0].id
        + "): not signed (no signing key was set up when it was written)",
    )


def test_load_model_loads_the_bytes_it_checked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import skops.io

    path = tmp_path / "model.skops"
    digest = lw.save_model(_fit(), path)
    other = LogisticRegression().fit(np.array([[0.0], [1.0], [2.0], [3.0]]), [1, 1, 0, 0])
    real_loads = skops.io.loads

    def swap_then_load(data: bytes, trusted: object = None) -> object:
        lw.save_model(other, path)  # the file is replaced after the check, before the load
        return real_loads(data, trusted=trusted)

    monkeypatch.setattr(skops.io, "loads", swap_then_load)
    monkeypatch.setattr(skops.io, "load", lambda *a, **k: pytest.fail("loaded from the file again"))
    model = lw.load_model(path, sha256=digest)
    assert model.predict([[3.0]]).tolist() == [1]  # the checked model, not the one swapped in
    with pytest.raises(
        lw.ParameterError, match=r"is not the one recorded: its SHA-256 is .*it was not loaded"
    ):
        lw.load_model(path, sha256=digest)


def test_a_run_whose_process_died_is_marked_killed(tmp_path: Path, trusted: Path) -> None:
    path = tmp_path / "lifecycle.db"
    lw.RunStore(path).close()
    code = (
        "import os, sys, lifecycle_widgets as lw\n"
        "run = lw.RunStore(sys.argv[1]).create_run(experiment='k', name='doomed')\n"
        "os.kill(os.getpid(), 9)\n"
    )
    done = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True)
    assert done.returncode == -9, done.stderr
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT status FROM runs WHERE name = 'doomed'").fetchone() == ("RUNNING",)
    store = lw.RunStore(path)
    alive = store.create_run(experiment="k", name="alive")  # this process: not dead
    store2 = lw.RunStore(path)
    statuses = {r.name: r.status for r in store2.runs(experiment="k").runs}
    assert statuses == {"doomed": "KILLED", "alive": "RUNNING"}
    with connect(path, readonly=True) as conn:
        last = [e.payload for e in trail.entries(conn) if e.payload.get("event") == "ended"]
    assert last == [{"event": "ended", "status": "KILLED", "why": "its process died"}]
    alive.end()
    assert lw.store.check_store(path, trusted_keys=trusted).ok


def test_a_foreign_sqlite_file_is_refused_before_anything_in_it_changes(tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE t (x)")
        conn.execute("INSERT INTO t VALUES (1)")
    conn.close()
    before = other.read_bytes()
    with pytest.raises(StoreError, match="is a SQLite file but not a lifecycle_widgets store"):
        lw.RunStore(other)
    with pytest.raises(StoreError, match="not a lifecycle_widgets store"):
        lw.RunStore(other, read_only=True)
    assert other.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["other.db"]
    with sqlite3.connect(other) as conn:
        assert conn.execute("PRAGMA application_id").fetchone() == (0,)
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("delete",)


def test_a_store_path_that_is_a_folder(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match=r"is a folder; a store is one file: give a path such as"):
        lw.RunStore(tmp_path)


def test_a_read_only_run_store_reads_and_refuses_writes(tmp_path: Path, trusted: Path) -> None:
    path = tmp_path / "lifecycle.db"
    with lw.RunStore(path).start_run(experiment="x", name="one"):
        pass
    store = lw.RunStore(path, read_only=True)
    assert [r.name for r in store.runs().runs] == ["one"] and store.signer is None
    with pytest.raises(StoreError, match="was opened read-only"):
        store.create_run(experiment="x")
    with pytest.raises(StoreError, match="No store at"):
        lw.RunStore(tmp_path / "missing.db", read_only=True)


def test_a_stored_comparison_edited_by_sql_is_caught(tmp_path: Path, trusted: Path) -> None:
    path = tmp_path / "lifecycle.db"
    store = lw.RunStore(path)
    reg = lw.ModelRegistry(store)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 1))
    y = (X[:, 0] + rng.normal(size=60) > 0).astype(int)
    for c in (1.0, 0.01):
        with store.start_run(experiment="c") as run:
            run.log_model(LogisticRegression(C=c).fit(X, y))
        reg.register(run, name="m", by="trainer")
    reg.compare("m", 1, 2, X, y, n_bootstrap=50)
    assert lw.store.check_store(path, trusted_keys=trusted).ok
    store.close()
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE model_comparisons SET result = replace(result, '\"rows\"', '\"rows\" ')")
    [problem] = lw.store.check_store(path, trusted_keys=trusted).problems
    assert problem.startswith(
        "comparison #1 of model 'm': the model_comparisons table says v1 vs v2 on accuracy"
    )
