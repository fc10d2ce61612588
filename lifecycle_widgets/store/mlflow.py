"""Importing runs from an MLflow tracking store.

The store is read directly (read-only) from MLflow's SQL schema (tables ``experiments``,
``runs``, ``params``, ``metrics``, ``tags``), so importing needs no MLflow installation; the
tests check the reader against a store that MLflow itself wrote.
"""

from __future__ import annotations

import sqlite3
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from lifecycle_widgets.exceptions import ParameterError
from lifecycle_widgets.store import trail

if TYPE_CHECKING:
    from lifecycle_widgets.store.runs import RunStore

_STATUS = {
    "FINISHED": "FINISHED",
    "FAILED": "FAILED",
    "KILLED": "KILLED",
    "RUNNING": "RUNNING",
    "SCHEDULED": "RUNNING",
}


def _path_of(uri: str) -> Path:
    if not uri.startswith("sqlite:///"):
        raise ParameterError(
            f"Only MLflow's SQLite stores can be imported (a URI such as 'sqlite:///mlflow.db'); got {uri!r}."
        )
    path = Path(uri.removeprefix("sqlite:///"))
    if not path.is_file():
        raise ParameterError(f"No MLflow store at {str(path)!r}.")
    return path


def _iso(millis: int | None) -> str | None:
    return (
        None
        if millis is None
        else datetime.fromtimestamp(millis / 1000, tz=UTC).isoformat(timespec="microseconds")
    )


def import_runs(store: RunStore, uri: str, *, experiment_prefix: str = "") -> int:
    """See :meth:`RunStore.import_mlflow`."""
    path = _path_of(uri)
    src = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = {r[0] for r in src.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not {"experiments", "runs", "params", "metrics", "tags"} <= tables:
            raise ParameterError(
                f"{str(path)!r} is not an MLflow tracking store (tables: {sorted(tables)[:10]})."
            )
        experiments = dict(
            src.execute("SELECT experiment_id, name FROM experiments WHERE lifecycle_stage != 'deleted'")
        )
        runs = src.execute(
            "SELECT run_uuid, name, status, start_time, end_time, experiment_id FROM runs "
            "WHERE lifecycle_stage != 'deleted' ORDER BY start_time"
        ).fetchall()
        conn = store._conn_for_read()
        seen = {v for (v,) in conn.execute("SELECT value FROM tags WHERE key = 'mlflow.run_id'")}
        imported = 0
        with store.transaction() as conn:
            for run_uuid, name, status, start, end, exp_id in runs:
                if run_uuid in seen or exp_id not in experiments:
                    continue
                exp = store._experiment_id(conn, experiment_prefix + experiments[exp_id])
                run_id = uuid.uuid4().hex
                conn.execute(
                    "INSERT INTO runs (id, experiment_id, name, status, started, ended, source) "
                    "VALUES (?, ?, ?, ?, ?, ?, 'mlflow')",
                    (
                        run_id,
                        exp,
                        name or run_uuid[:8],
                        _STATUS.get(status, "FINISHED"),
                        _iso(start) or _iso(0),
                        _iso(end),
                    ),
                )
                # an imported run enters the trail like a logged one, so `registry verify` knows it
                trail.append_in(
                    conn,
                    "run",
                    run_id,
                    {
                        "event": "imported",
                        "experiment": experiment_prefix + experiments[exp_id],
                        "name": name or run_uuid[:8],
                        "status": _STATUS.get(status, "FINISHED"),
                        "source": "mlflow",
                        "mlflow_run_id": run_uuid,
                    },
                )
                conn.executemany(
                    "INSERT OR REPLACE INTO params (run_id, key, value) VALUES (?, ?, ?)",
                    [
                        (run_id, k, v)
                        for k, v in src.execute(
                            "SELECT key, value FROM params WHERE run_uuid = ?", (run_uuid,)
                        )
                    ],
                )
                conn.executemany(
                    "INSERT INTO metrics (run_id, key, value, step, logged) VALUES (?, ?, ?, ?, ?)",
                    [
                        (run_id, k, v, step, _iso(ts))
                        for k, v, step, ts in src.execute(
                            "SELECT key, value, step, timestamp FROM metrics WHERE run_uuid = ? "
                            "AND (is_nan IS NULL OR is_nan = 0) ORDER BY timestamp, step",
                            (run_uuid,),
                        )
                    ],
                )
                tags = list(src.execute("SELECT key, value FROM tags WHERE run_uuid = ?", (run_uuid,)))
                conn.executemany(
                    "INSERT OR REPLACE INTO tags (run_id, key, value) VALUES (?, ?, ?)",
                    [(run_id, k, v) for k, v in tags] + [(run_id, "mlflow.run_id", run_uuid)],
                )
                imported += 1
        return imported
    finally:
        src.close()
