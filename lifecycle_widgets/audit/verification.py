"""``verify``: recompute every hash of a record and of the audit trail, and name what changed."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from lifecycle_widgets.audit import manifest as mf
from lifecycle_widgets.store import StoreError, connect, trail


@dataclass(frozen=True)
class Verification:
    """The outcome of :func:`verify`: ``ok`` when nothing changed; otherwise ``problems`` names
    each file or trail entry that did."""

    record: str
    problems: tuple[str, ...]
    files_checked: int
    trail_entries_checked: int

    @property
    def ok(self) -> bool:
        return not self.problems

    def __str__(self) -> str:
        head = (
            f"{self.record}: {'OK' if self.ok else 'FAILED'} ({self.files_checked} files, "
            f"{self.trail_entries_checked} trail entries checked)"
        )
        return "\n".join([head, *(f"  - {p}" for p in self.problems)])


def verify(record: str | os.PathLike[str], *, store: str | os.PathLike[str] | None = None) -> Verification:
    """Check a record folder against its manifest, and the manifest against the audit trail.

    Examples
    --------
    >>> import lifecycle_widgets as lw
    >>> print(lw.audit.verify("audits/data_audit-20261127T101500Z"))  # doctest: +SKIP
    data_audit-20261127T101500Z: OK (3 files, 12 trail entries checked)
    """
    folder = Path(record)
    problems: list[str] = []
    manifest_path = folder / mf.MANIFEST
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        return Verification(folder.name, (f"{mf.MANIFEST}: unreadable ({err})",), 0, 0)
    listed = manifest.get("files", {})
    for rel, facts in listed.items():
        path = folder / rel
        if not path.is_file():
            problems.append(f"{rel}: missing")
            continue
        found = mf.sha256_file(path)
        if found != facts["sha256"]:
            problems.append(
                f"{rel}: content changed (SHA-256 {found[:16]}…, manifest says {facts['sha256'][:16]}…)"
            )
    present = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    for extra in sorted(present - set(listed) - {mf.MANIFEST}):
        problems.append(f"{extra}: not in the manifest (added after the run)")

    store_path = Path(store) if store is not None else Path(manifest.get("trail", {}).get("store", ""))
    checked = 0
    try:
        with connect(store_path, readonly=True) as conn:
            problems += trail.check_chain(conn)
            checked = conn.execute("SELECT count(*) FROM audit_trail").fetchone()[0]
            mine = trail.entries(conn, manifest.get("record_id"))
    except StoreError as err:
        problems.append(f"audit trail: {err}")
        mine = []
    except Exception as err:
        problems.append(f"audit trail {str(store_path)!r}: unreadable ({err})")
        mine = []
    if not mine and not any(p.startswith("audit trail") for p in problems):
        problems.append(f"audit trail: no entry for this record (record_id {manifest.get('record_id')})")
    for entry in mine:
        digest = mf.sha256_file(manifest_path)
        if entry.payload.get("manifest_sha256") != digest:
            problems.append(f"{mf.MANIFEST}: content changed since trail entry #{entry.seq} was made")
    return Verification(folder.name, tuple(problems), len(listed) + 1, checked)
