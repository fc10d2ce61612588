"""Experiment tracking in the project's SQLite store: runs, their parameters, metrics, datasets,
models and lineage, safe with several processes writing at once.

Every write is one transaction (``BEGIN IMMEDIATE``), so a process killed mid-write leaves the
store as it was before that write; SQLite's WAL journal lets readers go on while one writer writes,
and writers wait for each other (up to 30 s) instead of failing.

Runs started and ended, datasets and models logged enter the audit trail in the same transaction
as the change, signed by the store's signing key (see :mod:`lifecycle_widgets.store.keys`). A run
records the process that owns it; when a store is opened for writing, runs whose process died
without ending them are marked KILLED.
"""

from __future__ import annotations

import json
import math
import os
import sqlite3
import uuid
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lifecycle_widgets.core.experiments import RunRecord, Runs
from lifecycle_widgets.exceptions import ParameterError
from lifecycle_widgets.store import trail
from lifecycle_widgets.store.db import StoreError, connect, default_store_path, write_error
from lifecycle_widgets.store.keys import Signer, default_signer
from lifecycle_widgets.store.processes import owner_alive, owner_token

if TYPE_CHECKING:
    import pandas as pd

    from lifecycle_widgets.store.datasets import DatasetVersion

MAX_PARAM_CHARS = 6000  # as MLflow: longer values are stored cut, with their full length noted
STATUSES = ("RUNNING", "FINISHED", "FAILED", "KILLED")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


class Run:
    """A run being logged; use it inside ``with store.start_run(...) as run:``."""

    def __init__(self, store: RunStore, run_id: str, experiment: str, name: str) -> None:
        self.store, self.id, self.experiment, self.name = store, run_id, experiment, name
        self.closed = False

    def _open(self) -> None:
        if self.closed:
            raise StoreError(f"Run {self.name!r} ({self.id}) is closed: start a new run to log more.")

    def log_param(self, key: str, value: Any) -> None:
        """Log one parameter (see :meth:`log_params`)."""
        self.log_params({key: value})

    def log_params(self, params: dict[str, Any]) -> None:
        """Log parameters; values longer than 6,000 characters are stored cut, with a warning
        and their full length kept, never silently lost."""
        self._open()
        rows = []
        for key, value in params.items():
            text = value if isinstance(value, str) else json.dumps(value, default=repr, sort_keys=True)
            full = None
            if len(text) > MAX_PARAM_CHARS:
                full = len(text)
                warnings.warn(
                    f"Parameter {key!r} is {full:,} characters long; stored cut to {MAX_PARAM_CHARS:,} "
                    "(its full length is recorded). Log large values as artifacts.",
                    stacklevel=3,
                )
                text = text[:MAX_PARAM_CHARS]
            rows.append((self.id, str(key), text, full))
        with self.store.transaction() as conn:
            conn.executemany(
                "INSERT OR REPLACE INTO params (run_id, key, value, full_length) VALUES (?, ?, ?, ?)", rows
            )

    def log_metric(self, key: str, value: Any, step: int | None = None) -> None:
        """Log one metric value (see :meth:`log_metrics`)."""
        self.log_metrics({key: value}, step=step)

    def log_metrics(self, metrics: dict[str, Any], step: int | None = None) -> None:
        """Log metric values, optionally at a training ``step``; each must be a finite number."""
        self._open()
        rows = []
        now = _now()
        for key, value in metrics.items():
            if isinstance(value, bool) or (
                not isinstance(value, int | float) and not hasattr(value, "__float__")
            ):
                raise ParameterError(
                    f"Metric {key!r} must be a number; got {type(value).__name__} {value!r}."
                )
            number = float(value)
            if not math.isfinite(number):
                raise ParameterError(f"Metric {key!r} must be a finite number; got {number}.")
            rows.append((self.id, str(key), number, step, now))
        with self.store.transaction() as conn:
            conn.executemany(
                "INSERT INTO metrics (run_id, key, value, step, logged) VALUES (?, ?, ?, ?, ?)", rows
            )
        self.store._notify(self.id, metrics, step)

    def set_tags(self, tags: dict[str, Any]) -> None:
        """Set tags (text)."""
        self._open()
        with self.store.transaction() as conn:
            conn.executemany(
                "INSERT OR REPLACE INTO tags (run_id, key, value) VALUES (?, ?, ?)",
                [(self.id, str(k), str(v)) for k, v in tags.items()],
            )

    def log_dataset(self, name: str, data: Any) -> str:
        """Record a dataset's fingerprint, schema and row count (a DataProfile's too, when one is
        given instead of the data). Returns the fingerprint."""
        self._open()
        from lifecycle_widgets.core.ingest import collect, fingerprint
        from lifecycle_widgets.core.profiling import DataProfile

        profile = None
        if isinstance(data, DataProfile):
            fp, profile = data.fingerprint, data.to_json(indent=None)
        else:
            _, part = collect(data, sample_size=0, progress=False)
            fp = fingerprint(part)
        with self.store.transaction() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO datasets (run_id, name, fingerprint, rows, schema, profile) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (self.id, name, fp.sha256, fp.rows, json.dumps(fp.schema), profile),
            )
            trail.append_in(
                conn,
                "run",
                self.id,
                {"event": "dataset", "name": name, "fingerprint": fp.sha256, "rows": fp.rows},
            )
        return fp.sha256

    def log_model(self, model: Any, name: str = "model") -> str:
        """Save ``model`` with skops beside the store and record its path and SHA-256."""
        self._open()
        from lifecycle_widgets.store.models import save_model

        path = self.store.artifact_dir / self.id / f"{name}.skops"
        digest = save_model(model, path)
        with self.store.transaction() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO artifacts (run_id, name, path, sha256, format, bytes) VALUES "
                "(?, ?, ?, ?, 'skops', ?)",
                (self.id, name, str(path.resolve()), digest, path.stat().st_size),
            )
            trail.append_in(
                conn,
                "run",
                self.id,
                {"event": "model", "name": name, "sha256": digest, "bytes": path.stat().st_size},
            )
        return digest

    def log_lineage(self, lineage: Any, *, model: Any = None) -> None:
        """Store a :class:`~lifecycle_widgets.LineageGraph` with the run, and its features in the
        store's feature catalog (:meth:`RunStore.features`); with ``model`` (the estimator the
        lineage was read from) their definitions include the transformers' parameters."""
        self._open()
        from lifecycle_widgets.store.features import feature_definitions, record_definitions

        definitions = feature_definitions(lineage, model)
        with self.store.transaction() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO lineage (run_id, graph) VALUES (?, ?)",
                (self.id, lineage.to_json(indent=None)),
            )
            record_definitions(conn, self.id, definitions)

    def end(self, status: str = "FINISHED") -> None:
        """Close the run with ``status``."""
        if status not in STATUSES:
            raise ParameterError.bad_value("status", "Run.end", f"one of {STATUSES}", status)
        self._open()
        with self.store.transaction() as conn:
            conn.execute("UPDATE runs SET status = ?, ended = ? WHERE id = ?", (status, _now(), self.id))
            trail.append_in(conn, "run", self.id, {"event": "ended", "status": status})
        self.closed = True

    def __repr__(self) -> str:
        return f"<Run {self.name!r} ({self.id[:8]}) in {self.experiment!r}{' closed' if self.closed else ''}>"


class RunStore:
    """Runs, metrics and models in one SQLite file (``./lifecycle.db``, ``$LIFECYCLE_WIDGETS_STORE``
    or ``path``); model files go in a folder beside it.

    Parameters
    ----------
    path : path-like, optional
        The store file.
    signer : Signer or str, optional
        The key that signs this store's trail entries (a key name, or the default: see
        :func:`~lifecycle_widgets.store.keys.default_signer`); without any key they are unsigned.
    read_only : bool
        Open without writing anything, also on read-only media (an archive); writes are refused.

    Examples
    --------
    >>> import lifecycle_widgets as lw
    >>> store = lw.RunStore("/tmp/doc-store.db")
    >>> with store.start_run(experiment="credit", seed=7) as run:
    ...     run.log_params({"max_depth": 4})
    ...     run.log_metrics({"auc": 0.91})
    >>> store.runs(experiment="credit").runs[-1].metrics["auc"]
    0.91
    """

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        signer: Signer | str | None = None,
        read_only: bool = False,
    ) -> None:
        self.path = Path(path) if path is not None else default_store_path()
        self.read_only = bool(read_only)
        self.signer = None if read_only else signer if isinstance(signer, Signer) else default_signer(signer)
        self._conn: sqlite3.Connection | None = None
        self._connection_cm: Any = None
        self._listeners: list[Callable[[str, dict[str, Any], int | None], None]] = []
        self._conn_for_read()  # open now: a bad or newer store fails here, not at the first write
        if not self.read_only:
            self.mark_killed_runs()

    @property
    def artifact_dir(self) -> Path:
        return self.path.with_name(self.path.name + ".artifacts")

    def _conn_for_read(self) -> sqlite3.Connection:
        if self._conn is None:
            self._connection_cm = connect(self.path, readonly=self.read_only)
            self._conn = self._connection_cm.__enter__()
        return self._conn

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; trail entries appended inside it are signed by :attr:`signer`."""
        if self.read_only:
            raise StoreError(f"The store {str(self.path)!r} was opened read-only: it cannot be written to.")
        conn = self._conn_for_read()
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as err:
            raise write_error(self.path, err) from err
        try:
            with trail.signing(self.signer):
                yield conn
            conn.execute("COMMIT")
        except sqlite3.OperationalError as err:
            conn.execute("ROLLBACK")
            raise write_error(self.path, err) from err
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def mark_killed_runs(self) -> list[str]:
        """Mark KILLED every run of this host still RUNNING whose process is gone; returns their ids.

        Examples
        --------
        >>> import lifecycle_widgets as lw
        >>> lw.RunStore("/tmp/doc-store.db").mark_killed_runs()
        []
        """
        conn = self._conn_for_read()
        rows = conn.execute(
            "SELECT id, owner FROM runs WHERE status = 'RUNNING' AND owner IS NOT NULL"
        ).fetchall()
        dead = [run_id for run_id, owner in rows if not owner_alive(owner)]
        if dead:
            with self.transaction() as conn:
                for run_id in dead:
                    changed = conn.execute(
                        "UPDATE runs SET status = 'KILLED', ended = ? WHERE id = ? AND status = 'RUNNING'",
                        (_now(), run_id),
                    ).rowcount
                    if changed:
                        trail.append_in(
                            conn,
                            "run",
                            run_id,
                            {"event": "ended", "status": "KILLED", "why": "its process died"},
                        )
        return dead

    def close(self) -> None:
        """Close the store's connection."""
        if self._connection_cm is not None:
            self._connection_cm.__exit__(None, None, None)
            self._conn = self._connection_cm = None

    def on_log(self, callback: Callable[[str, dict[str, Any], int | None], None]) -> None:
        """Call ``callback(run_id, metrics, step)`` whenever this process logs metrics (live curves)."""
        self._listeners.append(callback)

    def _notify(self, run_id: str, metrics: dict[str, Any], step: int | None) -> None:
        for callback in list(self._listeners):
            callback(run_id, metrics, step)

    def _experiment_id(self, conn: sqlite3.Connection, name: str) -> int:
        row = conn.execute("SELECT id FROM experiments WHERE name = ?", (name,)).fetchone()
        if row:
            return int(row[0])
        return int(
            conn.execute("INSERT INTO experiments (name, created) VALUES (?, ?)", (name, _now())).lastrowid
        )

    def create_run(
        self,
        *,
        experiment: str = "default",
        name: str | None = None,
        seed: int | None = None,
        tags: dict[str, Any] | None = None,
        source: str = "lifecycle_widgets",
        capture_environment: bool = True,
    ) -> Run:
        """Open a run (prefer :meth:`start_run`, which closes it for you)."""
        if not isinstance(experiment, str) or not experiment:
            raise ParameterError.bad_value("experiment", "start_run", "a non-empty str", experiment)
        run_id = uuid.uuid4().hex
        env = code = None
        if capture_environment:
            from lifecycle_widgets.core.provenance import code_version, environment_json

            env, code = environment_json(), json.dumps(code_version(Path.cwd()))
        with self.transaction() as conn:
            exp_id = self._experiment_id(conn, experiment)
            count = conn.execute("SELECT count(*) FROM runs WHERE experiment_id = ?", (exp_id,)).fetchone()[0]
            run_name = name or f"run-{count + 1}"
            conn.execute(
                "INSERT INTO runs (id, experiment_id, name, status, started, seed, environment, code_version, "
                "source, owner) VALUES (?, ?, ?, 'RUNNING', ?, ?, ?, ?, ?, ?)",
                (run_id, exp_id, run_name, _now(), seed, env, code, source, owner_token()),
            )
            trail.append_in(
                conn,
                "run",
                run_id,
                {
                    "event": "started",
                    "experiment": experiment,
                    "name": run_name,
                    "seed": seed,
                    "source": source,
                },
            )
        run = Run(self, run_id, experiment, run_name)
        if tags:
            run.set_tags(tags)
        return run

    @contextmanager
    def start_run(
        self,
        *,
        experiment: str = "default",
        name: str | None = None,
        seed: int | None = None,
        tags: dict[str, Any] | None = None,
    ) -> Iterator[Run]:
        """A run that ends FINISHED, or FAILED when the block raises."""
        run = self.create_run(experiment=experiment, name=name, seed=seed, tags=tags)
        try:
            yield run
        except BaseException:
            if not run.closed:
                run.end("FAILED")
            raise
        if not run.closed:
            run.end("FINISHED")

    def runs(self, *, experiment: str | None = None, status: str | None = None) -> Runs:
        """Runs with their latest metric values, oldest first."""
        conn = self._conn_for_read()
        where, args = [], []
        if experiment is not None:
            where.append("e.name = ?")
            args.append(experiment)
        if status is not None:
            where.append("r.status = ?")
            args.append(status)
        sql = (
            "SELECT r.id, e.name, r.name, r.status, r.started, r.ended, r.seed, r.source FROM runs r "
            "JOIN experiments e ON e.id = r.experiment_id"
            + (" WHERE " + " AND ".join(where) if where else "")
            + " ORDER BY r.started, r.id"
        )
        rows = conn.execute(sql, args).fetchall()
        ids = [r[0] for r in rows]
        params: dict[str, dict[str, str]] = {i: {} for i in ids}
        metrics: dict[str, dict[str, float]] = {i: {} for i in ids}
        tags: dict[str, dict[str, str]] = {i: {} for i in ids}
        datasets: dict[str, dict[str, str]] = {i: {} for i in ids}
        artifacts: dict[str, dict[str, str]] = {i: {} for i in ids}
        if ids:
            conn.execute("CREATE TEMP TABLE IF NOT EXISTS wanted (id TEXT PRIMARY KEY)")
            conn.execute("DELETE FROM wanted")
            conn.executemany("INSERT INTO wanted VALUES (?)", [(i,) for i in ids])
            for run_id, k, v in conn.execute(
                "SELECT run_id, key, value FROM params WHERE run_id IN (SELECT id FROM wanted)"
            ):
                params[run_id][k] = v
            # the latest value of each metric: highest step, then latest logged
            for run_id, k, v in conn.execute(
                "SELECT run_id, key, value FROM metrics WHERE run_id IN (SELECT id FROM wanted) "
                "ORDER BY run_id, key, coalesce(step, -1), logged, rowid"
            ):
                metrics[run_id][k] = v
            for run_id, k, v in conn.execute(
                "SELECT run_id, key, value FROM tags WHERE run_id IN (SELECT id FROM wanted)"
            ):
                tags[run_id][k] = v
            for run_id, k, v in conn.execute(
                "SELECT run_id, name, fingerprint FROM datasets WHERE run_id IN (SELECT id FROM wanted)"
            ):
                datasets[run_id][k] = v
            for run_id, k, v in conn.execute(
                "SELECT run_id, name, sha256 FROM artifacts WHERE run_id IN (SELECT id FROM wanted)"
            ):
                artifacts[run_id][k] = v
        return Runs(
            tuple(
                RunRecord(
                    r[0],
                    r[1],
                    r[2],
                    r[3],
                    r[4],
                    r[5],
                    r[6],
                    params[r[0]],
                    metrics[r[0]],
                    tags[r[0]],
                    datasets[r[0]],
                    artifacts[r[0]],
                    r[7],
                )
                for r in rows
            ),
            str(self.path),
        )

    def metric_history(self, run_id: str, key: str) -> list[tuple[int | None, float]]:
        """Every value of metric ``key`` of run ``run_id``, in logging order, with its step."""
        conn = self._conn_for_read()
        return [
            (s, v)
            for s, v in conn.execute(
                "SELECT step, value FROM metrics WHERE run_id = ? AND key = ? ORDER BY coalesce(step, -1), logged, rowid",
                (run_id, key),
            )
        ]

    def artifact(self, run_id: str, name: str = "model") -> tuple[str, str]:
        """Path and SHA-256 of a run's artifact."""
        row = (
            self._conn_for_read()
            .execute("SELECT path, sha256 FROM artifacts WHERE run_id = ? AND name = ?", (run_id, name))
            .fetchone()
        )
        if row is None:
            raise ParameterError(f"Run {run_id} has no artifact named {name!r}; log one with run.log_model.")
        return row[0], row[1]

    def lineage(self, run_id: str) -> Any:
        """The lineage graph logged with a run."""
        row = (
            self._conn_for_read().execute("SELECT graph FROM lineage WHERE run_id = ?", (run_id,)).fetchone()
        )
        if row is None:
            raise ParameterError(f"Run {run_id} has no lineage; log one with run.log_lineage.")
        from lifecycle_widgets.core.lineage import LineageGraph

        return LineageGraph.from_dict(json.loads(row[0]))

    def datasets(self) -> pd.DataFrame:
        """Every dataset version (fingerprint) in the store, first seen first, with the runs,
        audit records and model versions that used it: a DataFrame with columns fingerprint,
        name, source, rows, columns, first_seen, runs, records, models (see
        :mod:`lifecycle_widgets.store.datasets`).

        Examples
        --------
        >>> import lifecycle_widgets as lw
        >>> store = lw.RunStore("/tmp/doc-store.db")
        >>> with store.start_run(experiment="doc-datasets") as run:
        ...     fp = run.log_dataset("train", lw.datasets.credit(80, seed=3))
        >>> row = store.datasets().set_index("fingerprint").loc[fp]
        >>> int(row["rows"]), run.id in row["runs"]
        (80, True)
        """
        from lifecycle_widgets.store.datasets import dataset_versions, datasets_frame

        return datasets_frame(dataset_versions(self._conn_for_read(), self.path))

    def dataset(self, fingerprint: str) -> DatasetVersion:
        """One dataset version (a fingerprint, or a unique prefix of one) with its users: a
        :class:`~lifecycle_widgets.store.datasets.DatasetVersion`."""
        from lifecycle_widgets.store.datasets import dataset_versions, find_version

        return find_version(dataset_versions(self._conn_for_read(), self.path), fingerprint)

    def features(self) -> pd.DataFrame:
        """The feature catalog: one row per feature name and definition that logged lineages
        give, with the runs and model versions that define it and a ``conflict`` flag where
        another definition of the same name differs (see :mod:`lifecycle_widgets.store.features`).

        Examples
        --------
        >>> import lifecycle_widgets as lw
        >>> from sklearn.preprocessing import StandardScaler
        >>> df = lw.datasets.credit(60)[["age"]]
        >>> scaler = StandardScaler().fit(df)
        >>> store = lw.RunStore("/tmp/doc-store.db")
        >>> with store.start_run(experiment="doc-features") as run:
        ...     run.log_lineage(lw.lineage(scaler, df), model=scaler)
        >>> cat = store.features()
        >>> cat[cat.runs.map(lambda r: run.id in r)][["feature", "sources", "exact"]].values.tolist()
        [['age', ('age',), True]]
        """
        from lifecycle_widgets.store.features import catalog

        return catalog(self._conn_for_read())

    def feature_conflicts(self) -> pd.DataFrame:
        """The rows of :meth:`features` whose feature name has another, different definition:
        each definition of such a name, side by side."""
        cat = self.features()
        return cat[cat["conflict"]].reset_index(drop=True)

    def log_search(self, search: Any, *, experiment: str = "default", name: str | None = None) -> list[str]:
        """Log every candidate of a fitted GridSearchCV / RandomizedSearchCV / HalvingSearch as a
        run (its parameters, mean and std of each score, rank) in one transaction; returns run ids."""
        results = getattr(search, "cv_results_", None)
        if results is None:
            raise ParameterError(
                "log_search needs a fitted scikit-learn search (it has no cv_results_): call fit first."
            )
        prefix = name or type(search).__name__
        n = len(results["params"])
        score_keys = [
            k for k in results if k.startswith(("mean_test_", "std_test_", "rank_test_", "mean_fit_time"))
        ]
        parent = uuid.uuid4().hex[:8]
        ids = []
        with self.transaction() as conn:
            exp_id = self._experiment_id(conn, experiment)
            now = _now()
            for i in range(n):
                run_id = uuid.uuid4().hex
                ids.append(run_id)
                conn.execute(
                    "INSERT INTO runs (id, experiment_id, name, status, started, ended, source) VALUES "
                    "(?, ?, ?, 'FINISHED', ?, ?, 'search')",
                    (run_id, exp_id, f"{prefix}-{i + 1}", now, now),
                )
                trail.append_in(
                    conn,
                    "run",
                    run_id,
                    {
                        "event": "started",
                        "experiment": experiment,
                        "name": f"{prefix}-{i + 1}",
                        "seed": None,
                        "source": "search",
                    },
                )
                trail.append_in(conn, "run", run_id, {"event": "ended", "status": "FINISHED"})
                conn.executemany(
                    "INSERT INTO params (run_id, key, value) VALUES (?, ?, ?)",
                    [
                        (run_id, k, json.dumps(v, default=repr) if not isinstance(v, str) else v)
                        for k, v in results["params"][i].items()
                    ],
                )
                conn.executemany(
                    "INSERT INTO metrics (run_id, key, value, step, logged) VALUES (?, ?, ?, NULL, ?)",
                    [
                        (run_id, k, float(results[k][i]), now)
                        for k in score_keys
                        if results[k][i] is not None and math.isfinite(float(results[k][i]))
                    ],
                )
                conn.executemany(
                    "INSERT INTO tags (run_id, key, value) VALUES (?, ?, ?)",
                    [(run_id, "search", parent), (run_id, "search_type", type(search).__name__)],
                )
        return ids

    def import_mlflow(self, uri: str, *, experiment_prefix: str = "") -> int:
        """Import runs, parameters, metrics (with their steps) and tags from an MLflow tracking
        store (``sqlite:///path/mlflow.db``). Returns how many runs were imported; runs imported
        before are skipped."""
        from lifecycle_widgets.store.mlflow import import_runs

        return import_runs(self, uri, experiment_prefix=experiment_prefix)

    def __repr__(self) -> str:
        return f"<RunStore {str(self.path)!r}>"
