"""``verify``: check a record against its signed manifest and the signed audit trail, with trust
taken from the verifier alone, and name everything that does not hold.

What is checked, and against what:

- the manifest's signature, against the keys *the verifier* trusts (``trusted_keys``): a record
  that is unsigned, or signed by a key the verifier does not list, fails;
- every file's SHA-256 against the manifest, no file missing or added, every path inside the
  record folder (a manifest listing ``../../x`` or ``/etc/hostname`` fails, nothing is read);
- the trail in the store *the verifier* names (``store``, else ``$LIFECYCLE_WIDGETS_STORE``,
  else ``./lifecycle.db``; never the path the manifest mentions): its chain, every entry's
  signature against the trusted keys, and every head the verifier kept (``heads``), which
  catches a trail cut short or replaced whole;
- the record's own trail entry: it exists, covers this manifest's bytes, and was made for this
  folder;
- the records folder: every record folder in it has a trail entry, every trail entry for it has
  its folder, and no run died there leaving a temporary folder or name claim behind.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lifecycle_widgets.audit import manifest as mf
from lifecycle_widgets.audit.housekeeping import leftovers
from lifecycle_widgets.exceptions import ParameterError
from lifecycle_widgets.store import StoreError, connect, default_store_path, trail
from lifecycle_widgets.store.db import check_store_path
from lifecycle_widgets.store.keys import TrustedKeys, trusted_keys_from


@dataclass(frozen=True)
class Verification:
    """The outcome of :func:`verify`: ``ok`` when everything holds; otherwise ``problems`` names
    each file, signature or trail entry that does not. ``signer`` is the verifier's name for the
    key that signed the manifest; ``head`` the trail's ``SEQ:HASH`` as found."""

    record: str
    problems: tuple[str, ...]
    files_checked: int
    trail_entries_checked: int
    signer: str | None = None
    head: str | None = None
    notes: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems

    def __str__(self) -> str:
        facts = [f"{self.files_checked} files, {self.trail_entries_checked} trail entries checked"]
        if self.signer:
            facts.append(f"signed by {self.signer}")
        if self.head:
            facts.append(f"trail head {self.head}")
        head = f"{self.record}: {'OK' if self.ok else 'FAILED'} ({'; '.join(facts)})"
        return "\n".join([head, *(f"  - {p}" for p in self.problems), *(f"  note: {n}" for n in self.notes)])


def _location(store_path: Path, recorded: object) -> Path | None:
    """A trail entry's record folder: its path is relative to the store's folder (older entries
    hold an absolute path, which the join leaves as it is)."""
    if not isinstance(recorded, str) or not recorded:
        return None
    return Path(os.path.normpath(store_path.resolve().parent / recorded))


def _record_id(folder: Path) -> tuple[str | None, str | None]:
    try:
        manifest = json.loads((folder / mf.MANIFEST).read_text(encoding="utf-8"))
        return str(manifest["record_id"]), None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError) as err:
        return None, f"{folder.name}/{mf.MANIFEST}: unreadable ({err})"


def check_files(folder: Path, listed: Any) -> tuple[list[str], int]:
    """Every file ``listed`` (a manifest's ``files``) against the folder; returns problems and how
    many files were checked. Paths leading out of the folder are refused without being read."""
    if not isinstance(listed, dict):
        return [f"{mf.MANIFEST}: its file list is not a mapping of paths to hashes"], 0
    problems = []
    for rel, facts in listed.items():
        if not mf.inside(folder, rel):
            problems.append(f"{rel!r}: a path outside the record folder (refused, not read)")
            continue
        path = folder / rel
        if path.is_symlink():
            problems.append(f"{rel}: a symbolic link, where the record had a file")
        elif not path.is_file():
            problems.append(f"{rel}: missing")
        else:
            found = mf.sha256_file(path)
            expected = str((facts or {}).get("sha256")) if isinstance(facts, dict) else ""
            if found != expected:
                problems.append(
                    f"{rel}: content changed (SHA-256 {found[:16]}…, manifest says {expected[:16]}…)"
                )
    present = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file() or p.is_symlink()}
    for extra in sorted(present - set(listed) - {mf.MANIFEST}):
        problems.append(f"{extra}: not in the manifest (added after the run)")
    return problems, len(listed)


def _check_folder_against_trail(
    conn: Any, store_path: Path, root: Path, folder: Path, manifest_sha: str, record_id: str
) -> tuple[list[str], list[str]]:
    """The record's own entry, then the records folder against the trail; returns problems, notes."""
    problems: list[str] = []
    everything = trail.entries(conn, kind="audit_record")
    by_id: dict[str, list[trail.TrailEntry]] = {}
    for entry in everything:
        by_id.setdefault(entry.subject, []).append(entry)
    mine = by_id.get(record_id, [])
    if not mine:
        problems.append(f"audit trail: no entry for this record (record_id {record_id})")
    for entry in mine:
        if entry.payload.get("manifest_sha256") != manifest_sha:
            problems.append(f"{mf.MANIFEST}: content changed since trail entry #{entry.seq} was made")
        where = _location(store_path, entry.payload.get("path"))
        if where != folder.resolve():
            problems.append(
                f"trail entry #{entry.seq} was made for {str(where)!r}, not this folder (a copy?)"
            )
    root = root.resolve()
    for entry in everything:
        where = _location(store_path, entry.payload.get("path"))
        if where is not None and where.parent == root and not where.is_dir():
            problems.append(f"trail entry #{entry.seq}: its record folder {where.name} is missing (deleted?)")
    for other in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        if not (other / mf.MANIFEST).exists() or other.resolve() == folder.resolve():
            continue
        other_id, unreadable = _record_id(other)
        if unreadable:
            problems.append(unreadable)
            continue
        places = [_location(store_path, e.payload.get("path")) for e in by_id.get(str(other_id), [])]
        if not places:
            problems.append(f"{other.name}: a record folder with no trail entry (made or copied by hand?)")
        elif other.resolve() not in places:
            problems.append(f"{other.name}: its trail entry was made for another folder (a copy?)")
    notes = []
    for item in leftovers(root):
        (notes if item.alive else problems).append(str(item))
    return problems, notes


def verify(
    record: str | os.PathLike[str],
    *,
    trusted_keys: TrustedKeys | str | os.PathLike[str] | None = None,
    store: str | os.PathLike[str] | None = None,
    heads: Iterable[trail.Head | str] = (),
    records_root: str | os.PathLike[str] | None = None,
) -> Verification:
    """Check a record folder against its signed manifest, and the manifest against the signed
    audit trail, trusting only what the verifier supplies.

    Parameters
    ----------
    record : path-like
        The record folder.
    trusted_keys : TrustedKeys or path-like, optional
        The keys you trust (an allowed-signers file); default ``$LIFECYCLE_WIDGETS_TRUSTED_KEYS``,
        else ``~/.config/lifecycle_widgets/allowed_signers``. Required: there is no trust without it.
    store : path-like, optional
        The store holding the trail; default ``$LIFECYCLE_WIDGETS_STORE``, else ``./lifecycle.db``.
        The store the manifest names is never used.
    heads : iterable of Head or "SEQ:HASH"
        Trail heads you kept earlier (``lifecycle-widgets audit head``); each must still be there.
    records_root : path-like, optional
        The records folder checked against the trail (default: the record's parent folder).

    Examples
    --------
    >>> import lifecycle_widgets as lw
    >>> print(lw.audit.verify("audits/data_audit-20261127T101500Z",
    ...                       trusted_keys="allowed_signers"))  # doctest: +SKIP
    data_audit-20261127T101500Z: OK (3 files, 12 trail entries checked; signed by alice; trail head 12:…)
    """
    trusted = trusted_keys_from(trusted_keys, caller="verify")
    kept = [h if isinstance(h, trail.Head) else trail.Head.parse(h) for h in heads]
    folder = Path(record)
    if not folder.is_dir():
        raise ParameterError(f"No record folder at {str(folder)!r}.")
    manifest_path = folder / mf.MANIFEST
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        if not isinstance(manifest, dict):
            raise ValueError("not a JSON object")
    except (OSError, UnicodeDecodeError, ValueError) as err:
        return Verification(folder.name, (f"{mf.MANIFEST}: unreadable ({err})",), 0, 0)

    problems: list[str] = []
    block = manifest.get("signature")
    why = trusted.check(block, mf.unsigned(manifest))
    signer = None
    if why:
        problems.append(f"{mf.MANIFEST}: {why}")
    else:
        signer = f"{trusted.name_of(block['key'])} ({block['key']})"
    file_problems, files = check_files(folder, manifest.get("files", {}))
    problems += file_problems

    store_path = check_store_path(store if store is not None else default_store_path())
    checked, head, notes = 0, None, []
    if not store_path.is_file():
        hint = (manifest.get("trail") or {}).get("store")
        problems.append(
            f"audit trail: no store at {str(store_path)!r}"
            + (
                f" (the manifest mentions {hint!r}: pass it with --store if it is the one you trust)"
                if hint
                else ""
            )
        )
    else:
        try:
            with connect(store_path, readonly=True) as conn:
                problems += trail.check_chain(conn, trusted)
                problems += trail.check_heads(conn, kept)
                checked = conn.execute("SELECT count(*) FROM audit_trail").fetchone()[0]
                last = trail.head(conn)
                head = None if last is None else str(last)
                more, notes = _check_folder_against_trail(
                    conn,
                    store_path,
                    Path(records_root) if records_root is not None else folder.parent,
                    folder,
                    mf.sha256_file(manifest_path),
                    str(manifest.get("record_id")),
                )
                problems += more
        except StoreError as err:
            problems.append(f"audit trail: {err}")
        except (sqlite3.DatabaseError, ValueError) as err:  # a damaged file, a mangled entry
            problems.append(f"audit trail {str(store_path)!r}: unreadable ({err})")
    return Verification(folder.name, tuple(problems), files + 1, checked, signer, head, tuple(notes))
