"""Importing from a tracking store that MLflow itself wrote (MLflow lives in its own venv here:
it pins an older pyarrow than this project's, and the importer needs no MLflow at all)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

import lifecycle_widgets as lw
from tests.venvs import cached_venv

pytestmark = [pytest.mark.mlflow, pytest.mark.timeout(1200)]

WRITE = """
import json, sys
import mlflow
mlflow.set_tracking_uri(sys.argv[1])
mlflow.set_experiment("credit")
ids = []
for depth in (2, 4, 6):
    with mlflow.start_run(run_name=f"rf-depth-{depth}") as run:
        mlflow.log_params({"max_depth": depth, "n_estimators": 100})
        for step in range(3):
            mlflow.log_metric("loss", 1.0 / (depth + step), step=step)
        mlflow.log_metric("auc", 0.8 + depth / 100)
        mlflow.set_tag("team", "risk")
        ids.append(run.info.run_id)
print(json.dumps(ids))
"""


@pytest.fixture(scope="module")
def mlflow_python() -> Path:
    return cached_venv("mlflow", ["mlflow>=3,<4"])


def test_import_reads_a_store_mlflow_wrote(mlflow_python: Path, tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    done = subprocess.run(
        [str(mlflow_python), "-c", WRITE, uri], capture_output=True, text=True, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr[-3000:]
    mlflow_ids = json.loads(done.stdout.strip().splitlines()[-1])
    store = lw.RunStore(tmp_path / "lifecycle.db")
    assert store.import_mlflow(uri) == 3
    assert store.import_mlflow(uri) == 0  # imported runs are not imported twice
    # each imported run entered the audit trail: replaying it matches the runs table
    from lifecycle_widgets.store import integrity, trail
    from lifecycle_widgets.store.db import connect

    with connect(tmp_path / "lifecycle.db", readonly=True) as conn:
        state = integrity.replay(trail.entries(conn))
        assert state.problems == [] and integrity.compare_tables(conn, state) == []
        assert sum(e.payload.get("event") == "imported" for e in trail.entries(conn)) == 3
    runs = store.runs(experiment="credit")
    assert sorted(r.name for r in runs.runs) == ["rf-depth-2", "rf-depth-4", "rf-depth-6"]
    for r in runs.runs:
        depth = int(r.params["max_depth"])
        assert r.source == "mlflow" and r.status == "FINISHED" and r.params["n_estimators"] == "100"
        assert r.metrics["auc"] == pytest.approx(0.8 + depth / 100)
        assert r.tags["team"] == "risk" and r.tags["mlflow.run_id"] in mlflow_ids
        assert store.metric_history(r.id, "loss") == [(s, pytest.approx(1.0 / (depth + s))) for s in range(3)]
