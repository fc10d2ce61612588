"""The audit trail: an append-only table in the store where each entry is signed and holds the hash
of the one before.

An entry's body is ``{format, seq, created, kind, subject, payload, prev_hash, signer}``; its hash
is the SHA-256 of the body's canonical JSON, and its signature is an Ed25519 signature of the same
bytes by the key ``signer`` names. So changing, removing or inserting an entry breaks the chain at a
place :func:`check_chain` names, and rewriting the chain needs a private key the verifier trusts.

What a signature cannot show is a trail cut short, or swapped whole for an older copy: the last
entry of the shorter trail is as well signed as it was. For that a reviewer keeps the trail's
*head*, ``SEQ:HASH`` of its last entry (:func:`head`), somewhere the store's writers cannot reach,
and verification checks that the trail still holds every kept head (:func:`check_heads`).

Entries written before signing existed (format 1) chain the same way and verify as unsigned.

Examples
--------
>>> import tempfile
>>> from lifecycle_widgets.store import trail
>>> from lifecycle_widgets.store.keys import TrustedKeys, new_key
>>> signer = new_key("doc", folder=tempfile.mkdtemp())
>>> store = tempfile.mkdtemp() + "/lifecycle.db"
>>> e = trail.append("note", "doc", {"x": 1}, store=store, signer=signer)
>>> from lifecycle_widgets.store.db import connect
>>> with connect(store, readonly=True) as conn:
...     trail.check_chain(conn, TrustedKeys.parse(signer.public_line())), str(trail.head(conn)) == f"1:{e.entry_hash}"
([], True)
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import json
import os
import re
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lifecycle_widgets.exceptions import ParameterError
from lifecycle_widgets.store.db import connect, write_error
from lifecycle_widgets.store.keys import ALGORITHM, Signer, TrustedKeys, canonical_json

GENESIS = "0" * 64
FORMAT = 2
_HEAD = re.compile(r"\s*(\d+):([0-9a-f]{64})\s*")
_COLUMNS = (
    "seq, created, kind, subject, payload, prev_hash, entry_hash, format, signer, signer_name, signature"
)
_current_signer: contextvars.ContextVar[Signer | None] = contextvars.ContextVar("trail_signer", default=None)
_MAX_ALIKE = 20  # problems of one kind listed one by one; beyond that, counted


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
    format: int = 1
    signer: str | None = None
    signer_name: str | None = None
    signature: str | None = None

    def body(self) -> dict[str, Any]:
        """What the entry's hash and signature cover (format 2)."""
        return _body(
            self.seq, self.created, self.kind, self.subject, self.payload, self.prev_hash, self.signer_block()
        )

    def signer_block(self) -> dict[str, str] | None:
        return None if self.signer is None else {"key": self.signer, "name": self.signer_name or ""}

    def signature_block(self) -> dict[str, str] | None:
        """The signature in the form :meth:`TrustedKeys.check` takes."""
        if not self.signature:
            return None
        return {
            "algorithm": ALGORITHM,
            "key": self.signer or "",
            "signer": self.signer_name or "",
            "value": self.signature,
        }


@dataclass(frozen=True)
class Head:
    """A trail's head: the sequence number and hash of its last entry, written ``SEQ:HASH``.

    Examples
    --------
    >>> h = Head.parse("12:" + "ab" * 32)
    >>> h.seq, str(h) == "12:" + "ab" * 32
    (12, True)
    """

    seq: int
    entry_hash: str

    @classmethod
    def parse(cls, text: str) -> Head:
        """Read ``SEQ:HASH``; an error naming the text otherwise."""
        match = _HEAD.fullmatch(str(text))
        if match is None:
            raise ParameterError(
                f"A trail head is written SEQ:HASH (a number, a colon, 64 hex digits), as "
                f"`lifecycle-widgets audit head` prints it; got {text!r}."
            )
        return cls(int(match.group(1)), match.group(2))

    def __str__(self) -> str:
        return f"{self.seq}:{self.entry_hash}"


def _body(
    seq: int,
    created: str,
    kind: str,
    subject: str,
    payload: dict[str, Any],
    prev_hash: str,
    signer: dict[str, str] | None,
) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "seq": seq,
        "created": created,
        "kind": kind,
        "subject": subject,
        "payload": payload,
        "prev_hash": prev_hash,
        "signer": signer,
    }


def entry_hash(prev_hash: str, created: str, kind: str, subject: str, payload_json: str) -> str:
    """The hash that chained a format-1 (unsigned) entry to the one before it."""
    blob = json.dumps([prev_hash, created, kind, subject, payload_json], separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


@contextlib.contextmanager
def signing(signer: Signer | None) -> Iterator[None]:
    """Inside the block, :func:`append_in` signs with ``signer`` unless told otherwise (the run
    store sets this around its transactions, so the registry's entries are signed too)."""
    token = _current_signer.set(signer)
    try:
        yield
    finally:
        _current_signer.reset(token)


def append(
    kind: str,
    subject: str,
    payload: dict[str, Any],
    *,
    store: str | os.PathLike[str] | None = None,
    signer: Signer | None = None,
) -> TrailEntry:
    """Append a signed entry in one transaction (concurrent writers are serialized by SQLite).

    Examples
    --------
    >>> from lifecycle_widgets.store import trail
    >>> e = trail.append("note", "doc", {"x": 1}, store="/tmp/doc-trail.db")
    >>> len(e.entry_hash), e.signature is None  # no signer: an unsigned entry
    (64, True)
    """
    with connect(store) as conn:
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                entry = append_in(conn, kind, subject, payload, signer=signer)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        except sqlite3.OperationalError as err:
            raise write_error(store if store is not None else "the store", err) from err
    return entry


def append_in(
    conn: sqlite3.Connection,
    kind: str,
    subject: str,
    payload: dict[str, Any],
    *,
    signer: Signer | None = None,
) -> TrailEntry:
    """Append an entry inside the caller's open transaction (so it commits with the change it
    records), signed by ``signer``, else by the one :func:`signing` set, else unsigned."""
    signer = signer or _current_signer.get()
    body_payload = json.loads(canonical_json(payload))  # what is stored is exactly what is signed
    created = datetime.now(UTC).isoformat(timespec="microseconds")
    row = conn.execute("SELECT seq, entry_hash FROM audit_trail ORDER BY seq DESC LIMIT 1").fetchone()
    seq, prev = (int(row[0]) + 1, row[1]) if row else (1, GENESIS)
    who = None if signer is None else {"key": signer.fingerprint, "name": signer.name}
    message = canonical_json(_body(seq, created, kind, subject, body_payload, prev, who))
    digest = hashlib.sha256(message).hexdigest()
    signature = None if signer is None else signer.sign(message)["value"]
    conn.execute(
        f"INSERT INTO audit_trail ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            seq,
            created,
            kind,
            subject,
            canonical_json(body_payload).decode("utf-8"),
            prev,
            digest,
            FORMAT,
            None if who is None else who["key"],
            None if who is None else who["name"],
            signature,
        ),
    )
    return TrailEntry(
        seq,
        created,
        kind,
        subject,
        body_payload,
        prev,
        digest,
        FORMAT,
        None if who is None else who["key"],
        None if who is None else who["name"],
        signature,
    )


def _entry(row: tuple[Any, ...]) -> TrailEntry:
    return TrailEntry(
        row[0], row[1], row[2], row[3], json.loads(row[4]), row[5], row[6], row[7], row[8], row[9], row[10]
    )


def entries(
    conn: sqlite3.Connection, subject: str | None = None, *, kind: str | None = None
) -> list[TrailEntry]:
    """Entries in order: all, or those about ``subject`` and/or of ``kind``."""
    where, args = [], []
    if subject:
        where.append("subject = ?")
        args.append(subject)
    if kind:
        where.append("kind = ?")
        args.append(kind)
    sql = (
        f"SELECT {_COLUMNS} FROM audit_trail"
        + (" WHERE " + " AND ".join(where) if where else "")
        + " ORDER BY seq"
    )
    return [_entry(r) for r in conn.execute(sql, args).fetchall()]


def head(conn: sqlite3.Connection) -> Head | None:
    """The trail's head (its last entry's ``SEQ:HASH``), or None for an empty trail."""
    row = conn.execute("SELECT seq, entry_hash FROM audit_trail ORDER BY seq DESC LIMIT 1").fetchone()
    return None if row is None else Head(int(row[0]), row[1])


def read_heads(path: str | os.PathLike[str]) -> list[Head]:
    """The heads kept in a file, one ``SEQ:HASH`` per line (blank lines and ``#`` comments skipped)."""
    target = Path(path)
    try:
        lines = target.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as err:
        raise ParameterError(f"The heads file {str(target)!r} cannot be read: {err}") from err
    heads = []
    for number, line in enumerate(lines, 1):
        text = line.split("#", 1)[0].strip()
        if text:
            try:
                heads.append(Head.parse(text))
            except ParameterError as err:
                raise ParameterError(f"{target} line {number}: {err}") from err
    return heads


def check_heads(conn: sqlite3.Connection, heads: Iterable[Head]) -> list[str]:
    """What the trail lost or changed since each head a reviewer kept was taken.

    Examples
    --------
    >>> import tempfile
    >>> from lifecycle_widgets.store import trail
    >>> from lifecycle_widgets.store.db import connect
    >>> store = tempfile.mkdtemp() + "/lifecycle.db"
    >>> _ = trail.append("note", "doc", {"x": 1}, store=store)
    >>> with connect(store, readonly=True) as conn:
    ...     kept = trail.head(conn)
    ...     trail.check_heads(conn, [kept]), trail.check_heads(conn, [Head(2, kept.entry_hash)])  # doctest: +ELLIPSIS
    ([], ['audit trail: cut short: the head you kept, 2:..., is gone (it ends at #1)'])
    """
    problems = []
    last = head(conn)
    for kept in heads:
        row = conn.execute("SELECT entry_hash FROM audit_trail WHERE seq = ?", (kept.seq,)).fetchone()
        if row is None:
            ends = f"it ends at #{last.seq}" if last else "it is empty"
            problems.append(f"audit trail: cut short: the head you kept, {kept}, is gone ({ends})")
        elif row[0] != kept.entry_hash:
            problems.append(
                f"audit trail: rewritten: entry #{kept.seq} has hash {row[0][:16]}…, "
                f"the head you kept says {kept.entry_hash[:16]}…"
            )
    return problems


class _Problems:
    """Problems in order, with long runs of one kind counted rather than listed."""

    def __init__(self) -> None:
        self.items: list[str] = []
        self.counts: dict[str, int] = {}

    def add(self, category: str, text: str) -> None:
        self.counts[category] = self.counts.get(category, 0) + 1
        if self.counts[category] <= _MAX_ALIKE:
            self.items.append(text)

    def done(self) -> list[str]:
        more = [
            f"audit trail: {n - _MAX_ALIKE} more entries {category}"
            for category, n in self.counts.items()
            if n > _MAX_ALIKE
        ]
        return self.items + more


def check_entry(entry: TrailEntry, trusted: TrustedKeys) -> str | None:
    """Why ``entry``'s signature does not hold for ``trusted``, or None when it does."""
    if entry.format < FORMAT:
        return "not signed (written before trail entries were signed)"
    if not entry.signature:
        return "not signed (no signing key was set up when it was written)"
    return trusted.check(entry.signature_block(), message=canonical_json(entry.body()))


def check_chain(conn: sqlite3.Connection, trusted: TrustedKeys | None = None) -> list[str]:
    """Every break in the chain, named by entry, and with ``trusted`` every entry not signed by a
    key in it; empty when the trail is intact."""
    problems = _Problems()
    integrity = conn.execute("PRAGMA integrity_check").fetchall()
    if integrity != [("ok",)]:
        problems.add("damaged", "store file is damaged: " + "; ".join(r[0] for r in integrity[:5]))
    prev, prev_seq = GENESIS, 0
    for row in conn.execute(f"SELECT {_COLUMNS} FROM audit_trail ORDER BY seq"):
        try:
            entry = _entry(row)
        except (json.JSONDecodeError, TypeError) as err:
            problems.add("unreadable", f"trail entry #{row[0]}: unreadable ({err})")
            continue
        name = f"trail entry #{entry.seq} ({entry.kind} {entry.subject})"
        if entry.seq != prev_seq + 1:
            gap = f"#{prev_seq + 1}" + (f"-#{entry.seq - 1}" if entry.seq - 1 > prev_seq + 1 else "")
            problems.add("missing", f"audit trail: entries {gap} are missing")
        if entry.prev_hash != prev:
            problems.add("unchained", f"{name}: does not follow the entry before it")
        if entry.format >= FORMAT:
            digest = hashlib.sha256(canonical_json(entry.body())).hexdigest()
        else:
            digest = entry_hash(entry.prev_hash, entry.created, entry.kind, entry.subject, row[4])
        if digest != entry.entry_hash:
            problems.add("changed", f"{name}: its content no longer matches its hash")
        elif trusted is not None:
            why = check_entry(entry, trusted)
            if why:
                problems.add(why.split(" (")[0], f"{name}: {why}")
        prev, prev_seq = entry.entry_hash, entry.seq
    return problems.done()
