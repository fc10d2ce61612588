"""Dataset versions in the store: every fingerprint, and the runs, audit records and registered
models that used it.

A dataset version is its content fingerprint (:class:`~lifecycle_widgets.core.ingest.Fingerprint`).
Three kinds of user are found:

- a **run** logged it (``run.log_dataset(name, data)``; when it was first seen comes from the
  audit trail entry written with it), or logged a lineage read from it (its ``input_fingerprint``,
  the role ``lineage input``);
- a **model** version in the registry was registered from such a run;
- an **audit record** names it in its manifest: any value under a key that says ``fingerprint``
  (the data audit template records ``lw.record("fingerprint", ...)``), or any value equal to a
  fingerprint a run logged. Records are found through their ``audit_record`` trail entries, whose
  paths are relative to the store's folder; a record folder that has gone is skipped.

The name and source come from what was logged with the data: the names the runs gave it, the data
card of a logged profile (its ``source``), or the card a record's manifest holds beside the
fingerprint.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from lifecycle_widgets.exceptions import ParameterError

_HEX64 = re.compile(r"[0-9a-f]{64}")
# manifest parts that hold file hashes or facts about the machine, never a dataset's fingerprint
_NOT_DATA = {"files", "template", "signature", "environment", "code_version", "trail"}
USER_KINDS = ("run", "record", "model")
DATASET_COLUMNS = [
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


@dataclass(frozen=True)
class DatasetUser:
    """One run, audit record or model version that used a dataset version.

    Parameters
    ----------
    kind : str
        ``run``, ``record`` or ``model``.
    id : str
        The run id, the record id, or ``name:version`` of a model version.
    name : str
        The run's name, the record's folder name, or the model's name.
    role : str
        What the data was to it: the name the run logged it under, the key the record holds it
        under, or for a model the names its run logged it under.
    at : str
        When it was used (ISO 8601, UTC): the dataset's trail entry, the record's start, the
        version's registration.
    """

    kind: str
    id: str
    name: str
    role: str
    at: str


@dataclass(frozen=True)
class DatasetVersion:
    """One dataset fingerprint and everything in the store that used it.

    Examples
    --------
    >>> import lifecycle_widgets as lw
    >>> store = lw.RunStore("/tmp/doc-datasets.db")
    >>> with store.start_run(experiment="doc-datasets") as run:
    ...     fp = run.log_dataset("train", lw.datasets.credit(100, seed=1))
    >>> version = store.dataset(fp)
    >>> version.rows, run.id in version.runs
    (100, True)
    """

    fingerprint: str
    name: str
    source: str
    rows: int | None
    columns: int | None
    schema: tuple[tuple[str, str], ...]
    first_seen: str | None
    users: tuple[DatasetUser, ...] = field(default_factory=tuple)

    @property
    def runs(self) -> tuple[str, ...]:
        """Ids of the runs that logged it, oldest first."""
        return tuple(u.id for u in self.users if u.kind == "run")

    @property
    def records(self) -> tuple[str, ...]:
        """Names of the audit records that name it, oldest first."""
        return tuple(u.name for u in self.users if u.kind == "record")

    @property
    def models(self) -> tuple[str, ...]:
        """Model versions (``name:version``) registered from runs that logged it."""
        return tuple(u.id for u in self.users if u.kind == "model")

    def to_frame(self) -> pd.DataFrame:
        """One row per user: kind, id, name, role, at.

        Examples
        --------
        >>> import lifecycle_widgets as lw
        >>> import tempfile
        >>> store = lw.RunStore(tempfile.mkdtemp() + "/lifecycle.db")
        >>> with store.start_run(experiment="doc-datasets") as run:
        ...     fp = run.log_dataset("test", lw.datasets.credit(50, seed=2))
        >>> store.dataset(fp).to_frame()[["kind", "role"]].values.tolist()
        [['run', 'test']]
        """
        return pd.DataFrame(
            [[u.kind, u.id, u.name, u.role, u.at] for u in self.users],
            columns=["kind", "id", "name", "role", "at"],
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain, JSON-serializable data."""
        return {
            "fingerprint": self.fingerprint,
            "name": self.name,
            "source": self.source,
            "rows": self.rows,
            "columns": self.columns,
            "schema": [list(s) for s in self.schema],
            "first_seen": self.first_seen,
            "users": [vars(u) for u in self.users],
        }

    def __repr__(self) -> str:
        return (
            f"<DatasetVersion {self.fingerprint[:12]} {self.name or '(unnamed)'}: {len(self.runs)} runs, "
            f"{len(self.records)} records, {len(self.models)} models>"
        )


@dataclass
class _Found:
    """What the store says about one fingerprint while it is being gathered."""

    names: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    rows: int | None = None
    columns: int | None = None
    schema: tuple[tuple[str, str], ...] = ()
    users: list[DatasetUser] = field(default_factory=list)

    def add(self, seq: list[str], value: str) -> None:
        if value and value not in seq:
            seq.append(value)


def dataset_versions(conn: sqlite3.Connection, store_path: str | Path) -> tuple[DatasetVersion, ...]:
    """Every dataset version the store knows, first seen first (see the module's docstring)."""
    found: dict[str, _Found] = {}
    _from_runs(conn, found)
    _from_records(conn, Path(store_path), found)
    out = []
    for fp, f in found.items():
        users = tuple(sorted(f.users, key=lambda u: (u.at, USER_KINDS.index(u.kind), u.id)))
        firsts = [u.at for u in users if u.kind in ("run", "record") and u.at]
        out.append(
            DatasetVersion(
                fp,
                ", ".join(f.names),
                ", ".join(f.sources),
                f.rows,
                f.columns,
                f.schema,
                min(firsts) if firsts else None,
                users,
            )
        )
    return tuple(sorted(out, key=lambda v: (v.first_seen or "", v.fingerprint)))


def datasets_frame(versions: tuple[DatasetVersion, ...]) -> pd.DataFrame:
    """One row per version: fingerprint, name, source, rows, columns, first_seen, and the runs,
    records and models that used it (tuples of run ids, record names and ``name:version``)."""
    return pd.DataFrame(
        [
            [v.fingerprint, v.name, v.source, v.rows, v.columns, v.first_seen, v.runs, v.records, v.models]
            for v in versions
        ],
        columns=DATASET_COLUMNS,
    ).astype({"rows": "Int64", "columns": "Int64"})


def find_version(versions: tuple[DatasetVersion, ...], fingerprint: str) -> DatasetVersion:
    """The version whose fingerprint is ``fingerprint`` (or starts with it, when that is unique)."""
    if not isinstance(fingerprint, str) or not fingerprint:
        raise ParameterError.bad_value(
            "fingerprint", "RunStore.dataset", "a fingerprint (hex str)", fingerprint
        )
    text = fingerprint.strip().lower()
    hits = [v for v in versions if v.fingerprint == text] or [
        v for v in versions if v.fingerprint.startswith(text)
    ]
    if len(hits) == 1:
        return hits[0]
    if not hits:
        known = [v.fingerprint[:12] for v in versions[:10]]
        raise ParameterError(
            f"No dataset with fingerprint {fingerprint!r} in this store; "
            + (
                f"it knows {len(versions)}, e.g. {known}."
                if versions
                else "it knows none yet (log one with run.log_dataset)."
            )
        )
    raise ParameterError(
        f"The fingerprint prefix {fingerprint!r} matches {len(hits)} datasets "
        f"({[v.fingerprint[:16] for v in hits[:5]]}); give more of it."
    )


def _from_runs(conn: sqlite3.Connection, found: dict[str, _Found]) -> None:
    first: dict[tuple[str, str], str] = {}  # (run id, fingerprint) -> when the trail saw it logged
    for created, subject, payload in conn.execute(
        "SELECT created, subject, payload FROM audit_trail WHERE kind = 'run' AND payload LIKE '%dataset%'"
    ):
        try:
            body = json.loads(payload)
        except ValueError:
            continue
        if (
            isinstance(body, dict)
            and body.get("event") == "dataset"
            and isinstance(body.get("fingerprint"), str)
        ):
            first.setdefault((subject, body["fingerprint"]), created)
    columns = {row[1] for row in conn.execute("PRAGMA table_info(datasets)")}
    card_sql = ", d.card" if "card" in columns else ", NULL"
    rows = conn.execute(
        "SELECT d.fingerprint, d.run_id, d.name, d.rows, d.schema, d.profile"
        + card_sql
        + ", r.name, r.started "
        "FROM datasets d JOIN runs r ON r.id = d.run_id ORDER BY r.started, d.run_id, d.name"
    ).fetchall()
    by_run: dict[str, dict[str, list[str]]] = {}
    for fp, run_id, name, n_rows, schema, profile, card, run_name, started in rows:
        f = found.setdefault(fp, _Found())
        f.add(f.names, name)
        f.rows = n_rows if f.rows is None else f.rows
        if not f.schema:
            f.schema = _schema(schema)
            f.columns = len(f.schema)
        for source in (_card_source(card), _profile_source(profile)):
            f.add(f.sources, source)
        f.users.append(DatasetUser("run", run_id, run_name, name, first.get((run_id, fp), started)))
        by_run.setdefault(run_id, {}).setdefault(fp, []).append(name)
    # a lineage names the frame its model reads by fingerprint: that run used it too
    for run_id, graph, run_name, started in conn.execute(
        "SELECT l.run_id, l.graph, r.name, r.started FROM lineage l JOIN runs r ON r.id = l.run_id "
        "ORDER BY r.started, l.run_id"
    ):
        fp = _input_fingerprint(graph)
        if fp is None or fp in by_run.get(run_id, {}):
            continue
        found.setdefault(fp, _Found()).users.append(
            DatasetUser("run", run_id, run_name, "lineage input", started)
        )
        by_run.setdefault(run_id, {})[fp] = ["lineage input"]
    for name, version, run_id, created in conn.execute(
        "SELECT name, version, run_id, created FROM model_versions ORDER BY created"
    ):
        for fp, names in by_run.get(run_id, {}).items():
            found[fp].users.append(DatasetUser("model", f"{name}:{version}", name, ", ".join(names), created))


def _input_fingerprint(graph: str) -> str | None:
    try:
        fp = json.loads(graph).get("input_fingerprint")
    except (ValueError, AttributeError):
        return None
    return fp if isinstance(fp, str) and _HEX64.fullmatch(fp) else None


def _schema(text: str | None) -> tuple[tuple[str, str], ...]:
    try:
        return tuple((str(a), str(b)) for a, b in json.loads(text or "[]"))
    except (ValueError, TypeError):
        return ()


def _card_source(card: Any) -> str:
    if isinstance(card, str):
        try:
            card = json.loads(card)
        except ValueError:
            return ""
    return str(card.get("source") or "") if isinstance(card, dict) else ""


def _profile_source(profile: str | None) -> str:
    """The data card's source in a logged profile, else the profile's own source when it names a
    file (not just the kind of object it was read from)."""
    if not profile:
        return ""
    try:
        data = json.loads(profile)
    except ValueError:
        return ""
    source = _card_source(data.get("card"))
    if source:
        return source
    own = str(data.get("source") or "")
    return "" if own in ("DataFrame", "pyarrow.Table", "Dask DataFrame") else own


def _from_records(conn: sqlite3.Connection, store_path: Path, found: dict[str, _Found]) -> None:
    entries: dict[str, tuple[str, dict[str, Any]]] = {}
    for created, subject, payload in conn.execute(
        "SELECT created, subject, payload FROM audit_trail WHERE kind = 'audit_record' ORDER BY seq"
    ):
        try:
            body = json.loads(payload)
        except ValueError:
            continue
        if isinstance(body, dict) and isinstance(body.get("path"), str):
            entries[subject] = (created, body)  # the latest entry of a record wins
    folder = store_path.resolve().parent
    for record_id, (created, body) in entries.items():
        manifest = _read_manifest(folder / body["path"])
        if manifest is None:
            continue
        at = str(manifest.get("started") or created)
        name = str(body.get("name") or manifest.get("name") or record_id)
        seen: set[str] = set()
        for path, value, parent in _strings(manifest):
            if not _HEX64.fullmatch(value) or value in seen:
                continue
            declared = any("fingerprint" in k.lower() for k in path)
            if not declared and value not in found:
                continue
            seen.add(value)
            f = found.setdefault(value, _Found())
            f.add(f.sources, _card_source(parent.get("card")) if isinstance(parent, dict) else "")
            if f.rows is None:
                f.rows, f.columns = _recorded_shape(manifest)
            role = ".".join(k for k in path if k not in ("recorded", "value")) or path[-1]
            f.users.append(DatasetUser("record", record_id, name, role, at))


def _read_manifest(folder: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None  # a record moved or removed: `audit verify` reports it, listing skips it
    return data if isinstance(data, dict) else None


def _strings(
    value: Any, path: tuple[str, ...] = (), parent: Any = None
) -> Iterator[tuple[tuple[str, ...], str, Any]]:
    """Every string in a manifest with the keys leading to it and the object holding it."""
    if isinstance(value, str):
        yield path, value, parent
    elif isinstance(value, dict):
        for k, v in value.items():
            if path or k not in _NOT_DATA:
                yield from _strings(v, (*path, str(k)), value)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v, path, parent)


def _recorded_shape(manifest: dict[str, Any]) -> tuple[int | None, int | None]:
    """Rows and columns a record recorded beside the fingerprint (the data audit template's)."""
    recorded = manifest.get("recorded") or {}

    def value(name: str) -> int | None:
        v = (recorded.get(name) or {}).get("value") if isinstance(recorded.get(name), dict) else None
        return v if isinstance(v, int) and not isinstance(v, bool) else None

    return value("rows"), value("columns")
