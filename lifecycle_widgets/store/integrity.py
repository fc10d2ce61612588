"""Replay the audit trail and compare it with the store's tables, so an edit made to a table
directly (an approval set by SQL, a run deleted, a model file's hash changed) is caught.

The trail is the record of every change of governance state: runs started and ended, datasets
and models logged, model versions registered, approved, rejected, aliased and linked, and the
champion/challenger comparisons stored as evidence (by their result's SHA-256). Replaying
its entries in order rebuilds what the tables must hold; every difference is a problem. The trail
itself is checked first: its chain, every signature against the verifier's trusted keys, and
every head the verifier kept.

Examples
--------
>>> import lifecycle_widgets as lw
>>> from lifecycle_widgets.store.integrity import check_store
>>> check_store("lifecycle.db", trusted_keys="allowed_signers").ok  # doctest: +SKIP
True
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lifecycle_widgets.store import trail
from lifecycle_widgets.store.db import StoreError, check_store_path, connect, default_store_path
from lifecycle_widgets.store.keys import TrustedKeys, trusted_keys_from

PENDING = "PendingManualApproval"
_STATUS_EVENTS = {"approved": "Approved", "rejected": "Rejected"}


@dataclass
class TrailState:
    """What the tables must hold, rebuilt from the trail's entries."""

    runs: dict[str, dict[str, Any]] = field(default_factory=dict)
    versions: dict[tuple[str, int], dict[str, Any]] = field(default_factory=dict)
    aliases: dict[tuple[str, str], int] = field(default_factory=dict)
    links: set[tuple[str, int, str, str]] = field(default_factory=set)
    comparisons: dict[int, dict[str, Any]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def _run(state: TrailState, entry: trail.TrailEntry) -> None:
    p = entry.payload
    event = p.get("event")
    if event in ("started", "imported"):
        state.runs[entry.subject] = {
            "name": p.get("name"),
            "status": p.get("status", "RUNNING"),
            "datasets": {},
            "models": {},
        }
        return
    run = state.runs.get(entry.subject)
    if run is None:
        state.problems.append(f"trail entry #{entry.seq}: {event} of run {entry.subject[:8]}, never started")
        return
    if event == "ended":
        run["status"] = p.get("status")
    elif event == "dataset":
        run["datasets"][p.get("name")] = p.get("fingerprint")
    elif event == "model":
        run["models"][p.get("name")] = p.get("sha256")
    else:
        state.problems.append(f"trail entry #{entry.seq}: unknown run event {event!r}")


def _registry(state: TrailState, entry: trail.TrailEntry) -> None:
    p = entry.payload
    name, _, number = entry.subject.rpartition(":")
    event = p.get("event")
    if not number.isdigit():
        state.problems.append(
            f"trail entry #{entry.seq}: registry subject {entry.subject!r} names no version"
        )
        return
    version = int(number)
    key = (name, version)
    if event == "compared":  # evidence about a version, not a change of its state
        state.comparisons[int(p.get("comparison") or 0)] = {
            "name": name,
            "champion": p.get("champion"),
            "challenger": version,
            "metric": p.get("metric"),
            "result_sha256": p.get("result_sha256"),
        }
        return
    if event == "registered":
        state.versions[key] = {
            "run_id": p.get("run_id"),
            "artifact_sha256": p.get("artifact_sha256"),
            "status": PENDING,
        }
        return
    if key not in state.versions:
        state.problems.append(f"trail entry #{entry.seq}: {event} of {name!r} v{version}, never registered")
        return
    if event in _STATUS_EVENTS:
        state.versions[key]["status"] = _STATUS_EVENTS[event]
        if event == "rejected":
            state.aliases = {k: v for k, v in state.aliases.items() if not (k[0] == name and v == version)}
    elif event == "alias":
        state.aliases[(name, str(p.get("alias")))] = version
    elif event == "link":
        for kind in ("audit_record", "baseline"):
            if kind in p:
                state.links.add((name, version, kind, str(p[kind])))
    else:
        state.problems.append(f"trail entry #{entry.seq}: unknown registry event {event!r}")


def replay(entries: Iterable[trail.TrailEntry]) -> TrailState:
    """Rebuild the governance tables' expected content from trail entries, in order.

    Examples
    --------
    >>> from lifecycle_widgets.store.trail import TrailEntry
    >>> e = [TrailEntry(1, "", "run", "r1", {"event": "started", "name": "a"}, "", ""),
    ...      TrailEntry(2, "", "run", "r1", {"event": "ended", "status": "FINISHED"}, "", "")]
    >>> replay(e).runs["r1"]["status"]
    'FINISHED'
    """
    state = TrailState()
    for entry in entries:
        if entry.kind == "run":
            _run(state, entry)
        elif entry.kind in ("registry", "comparison"):
            _registry(state, entry)
    return state


def _compare(label: str, table: dict[Any, Any], expected: dict[Any, Any], describe: Any) -> list[str]:
    problems = []
    for key in sorted(set(table) | set(expected), key=str):
        if key not in expected:
            problems.append(
                f"{describe(key)}: in the {label} table but not in the audit trail (written directly?)"
            )
        elif key not in table:
            problems.append(f"{describe(key)}: in the audit trail but not in the {label} table (deleted?)")
        elif table[key] != expected[key]:
            problems.append(
                f"{describe(key)}: the {label} table says {table[key]}, the audit trail says {expected[key]}"
            )
    return problems


def compare_tables(conn: sqlite3.Connection, state: TrailState) -> list[str]:
    """Every difference between the store's tables and the state the trail replays to."""
    names = dict(conn.execute("SELECT id, name FROM runs").fetchall())

    def run_label(key: Any) -> str:
        run_id = key[0] if isinstance(key, tuple) else key
        return f"run {names.get(run_id) or state.runs.get(run_id, {}).get('name')!r} ({run_id[:8]})" + (
            f" {key[1]!r}" if isinstance(key, tuple) else ""
        )

    problems = _compare(
        "runs",
        {r: f"status {s}" for r, s in conn.execute("SELECT id, status FROM runs")},
        {r: f"status {v['status']}" for r, v in state.runs.items()},
        run_label,
    )
    problems += _compare(
        "datasets",
        {
            (r, n): f"fingerprint {f[:16]}…"
            for r, n, f in conn.execute("SELECT run_id, name, fingerprint FROM datasets")
        },
        {
            (r, n): f"fingerprint {str(f)[:16]}…"
            for r, v in state.runs.items()
            for n, f in v["datasets"].items()
        },
        run_label,
    )
    problems += _compare(
        "artifacts",
        {
            (r, n): f"SHA-256 {h[:16]}…"
            for r, n, h in conn.execute("SELECT run_id, name, sha256 FROM artifacts")
        },
        {(r, n): f"SHA-256 {str(h)[:16]}…" for r, v in state.runs.items() for n, h in v["models"].items()},
        run_label,
    )
    problems += _compare(
        "model_versions",
        {
            (n, v): f"run {r[:8]}, SHA-256 {h[:16]}…, status {s}"
            for n, v, r, h, s in conn.execute(
                "SELECT name, version, run_id, artifact_sha256, status FROM model_versions"
            )
        },
        {
            k: f"run {str(e['run_id'])[:8]}, SHA-256 {str(e['artifact_sha256'])[:16]}…, status {e['status']}"
            for k, e in state.versions.items()
        },
        lambda k: f"model {k[0]!r} v{k[1]}",
    )
    problems += _compare(
        "model_aliases",
        {
            (n, a): f"version {v}"
            for n, a, v in conn.execute("SELECT name, alias, version FROM model_aliases")
        },
        {k: f"version {v}" for k, v in state.aliases.items()},
        lambda k: f"model {k[0]!r} alias {k[1]!r}",
    )
    problems += _compare(
        "model_links",
        {k: "linked" for k in conn.execute("SELECT name, version, kind, target FROM model_links")},
        {k: "linked" for k in state.links},
        lambda k: f"model {k[0]!r} v{k[1]} {k[2]} {k[3]!r}",
    )
    problems += _compare_comparisons(conn, state)
    return problems


def _compare_comparisons(conn: sqlite3.Connection, state: TrailState) -> list[str]:
    """Stored champion/challenger results against the trail (the results' SHA-256 where the
    trail holds it)."""
    exists = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'model_comparisons'")
    if exists.fetchone() is None:
        return []

    def describe(c: dict[str, Any], sha: str | None) -> str:
        text = f"v{c['champion']} vs v{c['challenger']} on {c['metric']}"
        return text + (f", result SHA-256 {sha[:16]}…" if sha else "")

    table, expected = {}, {}
    for row_id, name, champion, challenger, metric, result in conn.execute(
        "SELECT id, name, champion, challenger, metric, result FROM model_comparisons"
    ):
        wanted = state.comparisons.get(row_id)
        sha = (
            hashlib.sha256(str(result).encode("utf-8")).hexdigest()
            if (wanted or {}).get("result_sha256")
            else None
        )
        table[row_id] = (
            name,
            describe({"champion": champion, "challenger": challenger, "metric": metric}, sha),
        )
    for row_id, c in state.comparisons.items():
        expected[row_id] = (c["name"], describe(c, c.get("result_sha256")))
    return _compare(
        "model_comparisons",
        {k: v[1] for k, v in table.items()},
        {k: v[1] for k, v in expected.items()},
        lambda k: f"comparison #{k} of model {(table.get(k) or expected.get(k) or ('?',))[0]!r}",
    )


@dataclass(frozen=True)
class StoreCheck:
    """The outcome of :func:`check_store`: ``ok`` when the trail holds and the tables agree with it."""

    store: str
    problems: tuple[str, ...]
    entries_checked: int
    head: str | None

    @property
    def ok(self) -> bool:
        return not self.problems

    def __str__(self) -> str:
        line = (
            f"{self.store}: {'OK' if self.ok else 'FAILED'} ({self.entries_checked} trail entries replayed; "
            f"head {self.head or 'none: the trail is empty'})"
        )
        return "\n".join([line, *(f"  - {p}" for p in self.problems)])


def check_store(
    path: str | os.PathLike[str] | None = None,
    *,
    trusted_keys: TrustedKeys | str | os.PathLike[str] | None = None,
    heads: Iterable[trail.Head | str] = (),
) -> StoreCheck:
    """Check the store's trail (chain, signatures by ``trusted_keys``, the ``heads`` you kept) and
    compare the registry's and the runs' tables with the trail replayed. The store is only read.

    Examples
    --------
    >>> from lifecycle_widgets.store.integrity import check_store
    >>> print(check_store("lifecycle.db", trusted_keys="allowed_signers"))  # doctest: +SKIP
    lifecycle.db: OK (14 trail entries replayed; head 14:3f0c…)
    """
    trusted = trusted_keys_from(trusted_keys, caller="Checking a store")
    kept = [h if isinstance(h, trail.Head) else trail.Head.parse(h) for h in heads]
    target = check_store_path(path if path is not None else default_store_path())
    if not Path(target).exists():
        raise StoreError(f"No store at {str(target)!r}.")
    with connect(target, readonly=True) as conn:
        problems = trail.check_chain(conn, trusted)
        problems += trail.check_heads(conn, kept)
        last = trail.head(conn)
        try:
            found = trail.entries(conn)
        except ValueError as err:  # an entry whose payload is not JSON: check_chain named it
            return StoreCheck(str(target), (*problems, f"audit trail: cannot be replayed ({err})"), 0, None)
        state = replay(found)
        problems += state.problems + compare_tables(conn, state)
    return StoreCheck(str(target), tuple(problems), len(found), None if last is None else str(last))
