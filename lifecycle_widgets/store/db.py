"""The project's SQLite store: one file, WAL journal, versioned schema with migrations.

Every module that keeps state (the audit trail now; runs, lineage and the model registry later)
adds its tables through :data:`MIGRATIONS`, and opens the store with :func:`connect`.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from lifecycle_widgets.exceptions import LifecycleWidgetsError

STORE_ENV = "LIFECYCLE_WIDGETS_STORE"
APPLICATION_ID = 0x4C574957  # "LWIW": marks a file as a lifecycle_widgets store

MIGRATIONS: list[str] = [
    # 1: the append-only, hash-chained audit trail
    """
    CREATE TABLE audit_trail (
        seq INTEGER PRIMARY KEY,
        created TEXT NOT NULL,
        kind TEXT NOT NULL,
        subject TEXT NOT NULL,
        payload TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        entry_hash TEXT NOT NULL UNIQUE
    );
    CREATE INDEX audit_trail_subject ON audit_trail(subject);
    CREATE TRIGGER audit_trail_no_update BEFORE UPDATE ON audit_trail
    BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
    CREATE TRIGGER audit_trail_no_delete BEFORE DELETE ON audit_trail
    BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
    """,
    # 2: experiments, runs and what they log; lineage; the model registry
    """
    CREATE TABLE experiments (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        created TEXT NOT NULL
    );
    CREATE TABLE runs (
        id TEXT PRIMARY KEY,
        experiment_id INTEGER NOT NULL REFERENCES experiments(id),
        name TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('RUNNING', 'FINISHED', 'FAILED', 'KILLED')),
        started TEXT NOT NULL,
        ended TEXT,
        seed INTEGER,
        environment TEXT,
        code_version TEXT,
        source TEXT NOT NULL DEFAULT 'lifecycle_widgets'
    );
    CREATE INDEX runs_experiment ON runs(experiment_id, started);
    CREATE TABLE params (
        run_id TEXT NOT NULL REFERENCES runs(id),
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        full_length INTEGER,
        PRIMARY KEY (run_id, key)
    );
    CREATE TABLE metrics (
        run_id TEXT NOT NULL REFERENCES runs(id),
        key TEXT NOT NULL,
        value REAL NOT NULL,
        step INTEGER,
        logged TEXT NOT NULL
    );
    CREATE INDEX metrics_run ON metrics(run_id, key, step);
    CREATE TABLE tags (
        run_id TEXT NOT NULL REFERENCES runs(id),
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (run_id, key)
    );
    CREATE TABLE datasets (
        run_id TEXT NOT NULL REFERENCES runs(id),
        name TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        rows INTEGER NOT NULL,
        schema TEXT NOT NULL,
        profile TEXT,
        PRIMARY KEY (run_id, name)
    );
    CREATE TABLE artifacts (
        run_id TEXT NOT NULL REFERENCES runs(id),
        name TEXT NOT NULL,
        path TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        format TEXT NOT NULL,
        bytes INTEGER NOT NULL,
        PRIMARY KEY (run_id, name)
    );
    CREATE TABLE lineage (
        run_id TEXT PRIMARY KEY REFERENCES runs(id),
        graph TEXT NOT NULL
    );
    CREATE TABLE models (
        name TEXT PRIMARY KEY,
        created TEXT NOT NULL
    );
    CREATE TABLE model_versions (
        name TEXT NOT NULL REFERENCES models(name),
        version INTEGER NOT NULL,
        run_id TEXT NOT NULL REFERENCES runs(id),
        artifact_sha256 TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('PendingManualApproval', 'Approved', 'Rejected')),
        created TEXT NOT NULL,
        PRIMARY KEY (name, version)
    );
    CREATE TABLE model_events (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        version INTEGER,
        event TEXT NOT NULL,
        detail TEXT NOT NULL,
        by TEXT NOT NULL,
        at TEXT NOT NULL
    );
    CREATE TABLE model_aliases (
        name TEXT NOT NULL,
        alias TEXT NOT NULL,
        version INTEGER NOT NULL,
        PRIMARY KEY (name, alias)
    );
    CREATE TABLE model_links (
        name TEXT NOT NULL,
        version INTEGER NOT NULL,
        kind TEXT NOT NULL,
        target TEXT NOT NULL,
        PRIMARY KEY (name, version, kind, target)
    );
    """,
]


class StoreError(LifecycleWidgetsError):
    """The store file is not a lifecycle_widgets store, is newer than this code, or is unusable."""


def default_store_path() -> Path:
    """``$LIFECYCLE_WIDGETS_STORE``, else ``./lifecycle.db``."""
    return Path(os.environ.get(STORE_ENV) or "lifecycle.db")


def _migrate(conn: sqlite3.Connection, path: Path) -> None:
    app_id = conn.execute("PRAGMA application_id").fetchone()[0]
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    has_tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] > 0
    if app_id != APPLICATION_ID and (has_tables or version):
        raise StoreError(f"{str(path)!r} is a SQLite file but not a lifecycle_widgets store.")
    if version > len(MIGRATIONS):
        raise StoreError(
            f"{str(path)!r} has schema version {version}, newer than this lifecycle_widgets "
            f"understands ({len(MIGRATIONS)}); upgrade lifecycle_widgets to use it."
        )
    if version == len(MIGRATIONS):
        return
    with conn:  # one transaction: a migration applies whole or not at all
        conn.execute("BEGIN IMMEDIATE")
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        for number in range(version, len(MIGRATIONS)):
            for statement in _statements(MIGRATIONS[number]):
                conn.execute(statement)
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        conn.execute(f"PRAGMA user_version = {len(MIGRATIONS)}")


def _statements(script: str) -> list[str]:
    out, buf = [], ""
    for line in script.strip().splitlines():
        buf += line + "\n"
        if sqlite3.complete_statement(buf):
            out.append(buf.strip())
            buf = ""
    return out


@contextlib.contextmanager
def connect(
    path: str | os.PathLike[str] | None = None, *, readonly: bool = False
) -> Iterator[sqlite3.Connection]:
    """Open (creating and migrating if needed) the store at ``path``.

    Examples
    --------
    >>> from lifecycle_widgets.store.db import connect
    >>> with connect("/tmp/doc-store.db") as conn:
    ...     conn.execute("PRAGMA user_version").fetchone()[0] >= 1
    True
    """
    target = Path(path) if path is not None else default_store_path()
    if readonly:
        if not target.exists():
            raise StoreError(f"No store at {str(target)!r}.")
        conn = sqlite3.connect(f"file:{target}?mode=ro", uri=True, isolation_level=None, timeout=30)
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        if (target.exists() and not os.access(target, os.W_OK)) or not os.access(target.parent, os.W_OK):
            raise StoreError(
                f"The store {str(target)!r} is read-only (or its folder is): it cannot be written to. "
                "Copy it somewhere writable, or point LIFECYCLE_WIDGETS_STORE at another file."
            )
        conn = sqlite3.connect(target, isolation_level=None, timeout=30)
    try:
        try:
            if not readonly:
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")
                _migrate(conn, target)
            else:
                version = conn.execute("PRAGMA user_version").fetchone()[0]
                if conn.execute("PRAGMA application_id").fetchone()[0] != APPLICATION_ID:
                    raise StoreError(f"{str(target)!r} is not a lifecycle_widgets store.")
                if version > len(MIGRATIONS):
                    raise StoreError(f"{str(target)!r} has a newer schema ({version}).")
        except sqlite3.DatabaseError as err:
            raise StoreError(f"{str(target)!r} cannot be used as a store: {err}") from err
        yield conn
    finally:
        conn.close()
