"""The audit trail: an append-only table in the store where each entry holds the hash of the one
before, so that changing or removing any entry breaks the chain at a place ``verify`` names."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from lifecycle_widgets.store.db import connect

GENESIS = "0" * 64


@dataclass(frozen=True)
class TrailEntry:
    """One entry of the audit trail."""

    seq: int
    created: str
    kind: str
    subject: str
    payload: dict[str, Any]
    prev_hash: str
    entry_hash: str


def entry_hash(prev_hash: str, created: str, kind: str, subject: str, payload_json: str) -> str:
    """The hash that chains an entry to the one before it."""
    blob = json.dumps([prev_hash, created, kind, subject, payload_json], separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def _canonical(payload: dict[str, Any]) -> str:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def append(
    kind: str, subject: str, payload: dict[str, Any], *, store: str | os.PathLike[str] | None = None
) -> TrailEntry:
    """Append an entry in one transaction (concurrent writers are serialized by SQLite).

    Examples
    --------
    >>> from lifecycle_widgets.store import trail
    >>> e = trail.append("note", "doc", {"x": 1}, store="/tmp/doc-trail.db")
    >>> len(e.entry_hash)
    64
    """
    with connect(store) as conn:
        conn.execute("BEGIN IMMEDIATE")
        try:
            entry = append_in(conn, kind, subject, payload)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return entry


def append_in(conn: sqlite3.Connection, kind: str, subject: str, payload: dict[str, Any]) -> TrailEntry:
    """Append an entry inside the caller's open transaction (so it commits with the change it records)."""
    body = _canonical(payload)
    created = datetime.now(UTC).isoformat(timespec="microseconds")
    row = conn.execute("SELECT entry_hash FROM audit_trail ORDER BY seq DESC LIMIT 1").fetchone()
    prev = row[0] if row else GENESIS
    digest = entry_hash(prev, created, kind, subject, body)
    cur = conn.execute(
        "INSERT INTO audit_trail (created, kind, subject, payload, prev_hash, entry_hash) VALUES (?, ?, ?, ?, ?, ?)",
        (created, kind, subject, body, prev, digest),
    )
    return TrailEntry(int(cur.lastrowid or 0), created, kind, subject, payload, prev, digest)


def entries(conn: sqlite3.Connection, subject: str | None = None) -> list[TrailEntry]:
    """Entries in order, all or those about ``subject``."""
    query = "SELECT seq, created, kind, subject, payload, prev_hash, entry_hash FROM audit_trail"
    rows = conn.execute(
        query + (" WHERE subject = ?" if subject else "") + " ORDER BY seq", (subject,) if subject else ()
    ).fetchall()
    return [TrailEntry(r[0], r[1], r[2], r[3], json.loads(r[4]), r[5], r[6]) for r in rows]


def check_chain(conn: sqlite3.Connection) -> list[str]:
    """Every break in the chain, named by entry; empty when the trail is intact."""
    problems = []
    integrity = conn.execute("PRAGMA integrity_check").fetchall()
    if integrity != [("ok",)]:
        problems.append("store file is damaged: " + "; ".join(r[0] for r in integrity[:5]))
    prev = GENESIS
    rows = conn.execute(
        "SELECT seq, created, kind, subject, payload, prev_hash, entry_hash FROM audit_trail ORDER BY seq"
    ).fetchall()
    for seq, created, kind, subject, payload, prev_hash, digest in rows:
        if prev_hash != prev:
            problems.append(f"trail entry #{seq} ({subject}): does not follow the entry before it")
        if entry_hash(prev_hash, created, kind, subject, payload) != digest:
            problems.append(f"trail entry #{seq} ({subject}): its content no longer matches its hash")
        prev = digest
    return problems
