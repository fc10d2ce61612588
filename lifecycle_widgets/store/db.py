"""The project's SQLite store: one file, WAL journal, versioned schema with migrations.

Every module that keeps state (the audit trail, runs, lineage, the model registry) adds its
tables through :data:`MIGRATIONS`, and opens the store with :func:`connect`. A store is marked by
``PRAGMA application_id``; a SQLite file without the mark is refused before anything in it
changes. A store opened read-only is never written to, not even its journal: on read-only media
it is opened ``immutable``, which is exact once its write-ahead log has been folded in (SQLite does
that when the last writer closes).
"""

from __future__ import annotations

import contextlib
import errno
import os
import sqlite3
import urllib.parse
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
    # 3: signed trail entries (format 2: seq, signer and signature in the hashed and signed body);
    # the process that owns a running run, so a run whose process died can be marked KILLED
    """
    ALTER TABLE audit_trail ADD COLUMN format INTEGER NOT NULL DEFAULT 1;
    ALTER TABLE audit_trail ADD COLUMN signer TEXT;
    ALTER TABLE audit_trail ADD COLUMN signer_name TEXT;
    ALTER TABLE audit_trail ADD COLUMN signature TEXT;
    ALTER TABLE runs ADD COLUMN owner TEXT;
    """,
    # 4: champion/challenger comparisons of the model registry (IF NOT EXISTS: stores that made
    # comparisons before this migration created the table on first use)
    """
    CREATE TABLE IF NOT EXISTS model_comparisons (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        champion INTEGER NOT NULL,
        challenger INTEGER NOT NULL,
        metric TEXT NOT NULL,
        result TEXT NOT NULL,
        by TEXT NOT NULL,
        at TEXT NOT NULL
    );
    """,
    # 5: dataset versions looked up by fingerprint (store.datasets()); the feature catalog: each
    # logged lineage's feature definitions (store.features()), keyed by run and feature name
    """
    CREATE INDEX IF NOT EXISTS datasets_fingerprint ON datasets(fingerprint);
    CREATE TABLE feature_definitions (
        run_id TEXT NOT NULL REFERENCES runs(id),
        feature TEXT NOT NULL,
        definition TEXT NOT NULL,
        graph_definition TEXT NOT NULL,
        sources TEXT NOT NULL,
        steps TEXT NOT NULL,
        exact INTEGER NOT NULL,
        PRIMARY KEY (run_id, feature)
    );
    CREATE INDEX feature_definitions_feature ON feature_definitions(feature, definition);
    """,
]


class StoreError(LifecycleWidgetsError):
    """The store file is not a lifecycle_widgets store, is newer than this code, or is unusable."""


def default_store_path() -> Path:
    """``$LIFECYCLE_WIDGETS_STORE``, else ``./lifecycle.db``."""
    return Path(os.environ.get(STORE_ENV) or "lifecycle.db")


def no_space(err: BaseException) -> bool:
    """True when ``err`` says a disk is full (an OSError or SQLite's SQLITE_FULL)."""
    if isinstance(err, OSError) and err.errno == errno.ENOSPC:
        return True
    return isinstance(err, sqlite3.OperationalError) and "disk is full" in str(err)


def write_error(path: str | os.PathLike[str], err: BaseException) -> StoreError:
    """The error to raise when writing to ``path`` failed with ``err``: says so plainly when the
    disk is full."""
    if no_space(err):
        return StoreError(f"no space left on {os.fspath(path)!r}: free some space and run again.")
    return StoreError(f"Cannot write to {os.fspath(path)!r}: {err}")


def check_store_path(path: str | os.PathLike[str]) -> Path:
    """``path`` as a Path, refused when it is a folder (a store is one file)."""
    target = Path(path)
    if target.is_dir():
        raise StoreError(
            f"The store {str(target)!r} is a folder; a store is one file: give a path such as "
            f"{str(target / 'lifecycle.db')!r}."
        )
    return target


def _uri(target: Path, **options: str) -> str:
    query = "&".join(f"{k}={v}" for k, v in options.items())
    return f"file:{urllib.parse.quote(str(target.resolve()))}?{query}"


def _schema_version(conn: sqlite3.Connection, path: Path, *, new_ok: bool) -> int:
    """The store's schema version, after checking its mark; reads only."""
    app_id = conn.execute("PRAGMA application_id").fetchone()[0]
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    has_tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] > 0
    if app_id != APPLICATION_ID and (has_tables or version or not new_ok):
        raise StoreError(f"{str(path)!r} is a SQLite file but not a lifecycle_widgets store.")
    if version > len(MIGRATIONS):
        raise StoreError(
            f"{str(path)!r} has schema version {version}, newer than this lifecycle_widgets "
            f"understands ({len(MIGRATIONS)}); upgrade lifecycle_widgets to use it."
        )
    return int(version)


def _migrate(conn: sqlite3.Connection, path: Path) -> None:
    with conn:  # one transaction: a migration applies whole or not at all
        conn.execute("BEGIN IMMEDIATE")
        version = _schema_version(conn, path, new_ok=True)
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


def _open_read_only(target: Path) -> sqlite3.Connection:
    if not target.exists():
        raise StoreError(f"No store at {str(target)!r}.")
    conn = sqlite3.connect(_uri(target, mode="ro"), uri=True, isolation_level=None, timeout=30)
    try:
        _schema_version(conn, target, new_ok=False)
        return conn
    except sqlite3.OperationalError:
        # read-only media: a WAL store cannot make its shared-memory file there
        conn.close()
    wal = target.with_name(target.name + "-wal")
    if wal.exists() and wal.stat().st_size > 0:
        raise StoreError(
            f"The store {str(target)!r} is on read-only media with writes still in its log {wal.name!r}; "
            "open it once where it is writable (any lifecycle-widgets command does) before archiving it."
        )
    conn = sqlite3.connect(_uri(target, mode="ro", immutable="1"), uri=True, isolation_level=None)
    _schema_version(conn, target, new_ok=False)
    return conn


@contextlib.contextmanager
def connect(
    path: str | os.PathLike[str] | None = None, *, readonly: bool = False
) -> Iterator[sqlite3.Connection]:
    """Open (creating and migrating if needed) the store at ``path``; ``readonly=True`` opens it
    without writing anything, also on read-only media.

    Examples
    --------
    >>> from lifecycle_widgets.store.db import connect
    >>> with connect("/tmp/doc-store.db") as conn:
    ...     conn.execute("PRAGMA user_version").fetchone()[0] >= 1
    True
    """
    target = check_store_path(path if path is not None else default_store_path())
    conn: sqlite3.Connection | None = None
    try:
        if readonly:
            conn = _open_read_only(target)
        else:
            if (target.exists() and not os.access(target, os.W_OK)) or (
                target.parent.exists() and not os.access(target.parent, os.W_OK)
            ):
                raise StoreError(
                    f"The store {str(target)!r} is read-only (or its folder is): it cannot be written to. "
                    "Copy it somewhere writable, or point LIFECYCLE_WIDGETS_STORE at another file."
                )
            target.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(target, isolation_level=None, timeout=30)
            version = _schema_version(conn, target, new_ok=True)  # before anything changes the file
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            if version < len(MIGRATIONS):
                _migrate(conn, target)
    except sqlite3.DatabaseError as err:
        if conn is not None:
            conn.close()
        if no_space(err):
            raise write_error(target, err) from err
        raise StoreError(f"{str(target)!r} cannot be used as a store: {err}") from err
    except BaseException:
        if conn is not None:
            conn.close()
        raise
    try:
        yield conn
    finally:
        conn.close()
