"""What a run leaves in a records folder while it works, and what is left when it dies.

A run claims its record's name with ``.<name>.claim`` (holding the owner, ``HOST:PID:START``),
assembles the record in ``.<name>.partial-<id>/``, writes the signed manifest, appends the trail
entry, and renames the folder to ``<name>``. A process killed between the trail entry and the
rename leaves a complete, signed record under its temporary name: it is *recovered* (renamed into
place) the next time a run writes to that folder, or by :func:`collect_garbage`; so no trail entry
is left pointing at nothing. A process killed before the trail entry leaves nothing that counts:
:func:`collect_garbage` removes it.

Examples
--------
>>> from lifecycle_widgets.audit.housekeeping import leftovers
>>> leftovers("audits")  # doctest: +SKIP
[]
"""

from __future__ import annotations

import json
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from lifecycle_widgets.audit.manifest import MANIFEST
from lifecycle_widgets.exceptions import ParameterError
from lifecycle_widgets.store import StoreError, connect, trail
from lifecycle_widgets.store.processes import owner_alive

_PARTIAL = re.compile(r"\.(?P<name>.+)\.partial-(?P<id>[0-9a-f]{8})")
_CLAIM = re.compile(r"\.(?P<name>.+)\.claim")


def partial_path(out: Path, name: str, record_id: str) -> Path:
    """The hidden folder a record is assembled in."""
    return out / f".{name}.partial-{record_id[:8]}"


def claim_path(out: Path, name: str) -> Path:
    """The file that claims a record name while its run works."""
    return out / f".{name}.claim"


@dataclass(frozen=True)
class Leftover:
    """A temporary folder or a name claim in a records folder."""

    path: Path
    kind: Literal["partial", "claim"]
    name: str
    alive: bool

    def __str__(self) -> str:
        what = "temporary folder" if self.kind == "partial" else "name claim"
        if self.alive:
            return f"{self.path.name}: the {what} of a run in progress"
        return f"{self.path.name}: the {what} of a run that died (`lifecycle-widgets audit gc` cleans it up)"


def _owner(claim: Path) -> str | None:
    try:
        return claim.read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


def leftovers(folder: str | os.PathLike[str]) -> list[Leftover]:
    """Every temporary folder and name claim in ``folder``, and whether its run still runs (a
    run on another host counts as running)."""
    root = Path(folder)
    found = []
    for path in sorted(root.iterdir()) if root.is_dir() else []:
        if (m := _PARTIAL.fullmatch(path.name)) and path.is_dir():
            alive = owner_alive(_owner(claim_path(root, m["name"])))
            found.append(Leftover(path, "partial", m["name"], alive))
        elif (m := _CLAIM.fullmatch(path.name)) and path.is_file():
            found.append(Leftover(path, "claim", m["name"], owner_alive(_owner(path))))
    return sorted(found, key=lambda x: (x.name, x.kind != "partial"))  # a run's folder, then its claim


def _manifest(folder: Path) -> dict[str, Any] | None:
    try:
        value = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    return value if isinstance(value, dict) else None


def _entry_for(conn: Any, record_id: str, name: str) -> trail.TrailEntry | None:
    for entry in trail.entries(conn, record_id, kind="audit_record"):
        if entry.payload.get("name") == name:
            return entry
    return None


def _recoverable(conn: Any, item: Leftover) -> trail.TrailEntry | None:
    """The trail entry of a dead run's complete record, if one was written."""
    manifest = _manifest(item.path)
    if manifest is None or "signature" not in manifest:
        return None
    return _entry_for(conn, str(manifest.get("record_id")), item.name)


def recover(folder: str | os.PathLike[str], store: str | os.PathLike[str]) -> list[str]:
    """Rename into place every record whose run died after its trail entry was written; returns
    what was done, one line per record."""
    root = Path(folder)
    dead = [x for x in leftovers(root) if x.kind == "partial" and not x.alive]
    if not dead or not Path(store).is_file():
        return []
    done = []
    with connect(store, readonly=True) as conn:
        for item in dead:
            entry = _recoverable(conn, item)
            if entry is not None and not (root / item.name).exists():
                os.rename(item.path, root / item.name)
                claim_path(root, item.name).unlink(missing_ok=True)
                done.append(
                    f"recovered {item.name}: trail entry #{entry.seq} was written before its run died"
                )
    return done


def collect_garbage(
    folder: str | os.PathLike[str], *, store: str | os.PathLike[str], dry_run: bool = False
) -> list[str]:
    """Clean up after runs that died in ``folder``: recover the records they completed (see
    :func:`recover`), remove the temporary folders and name claims of the others. A run still in
    progress is left alone; so is a temporary folder whose manifest names another store than
    ``store`` (its trail entry may be there). Returns what was (or, with ``dry_run``, would be) done.

    Examples
    --------
    >>> from lifecycle_widgets.audit.housekeeping import collect_garbage
    >>> collect_garbage("audits", store="lifecycle.db")  # doctest: +SKIP
    ['removed .data_audit-20261127T101500Z.partial-1c2d3e4f: its run died before the record was complete']
    """
    root = Path(folder)
    if not root.is_dir():
        raise ParameterError(f"No such folder: {str(root)!r}.")
    store_path = Path(store)
    if not store_path.is_file():
        raise StoreError(
            f"No store at {str(store_path)!r}: give the store the records' trail is in (--store)."
        )
    verb = (lambda text: "would have " + text) if dry_run else (lambda text: text)
    done = []
    found = leftovers(root)
    with connect(store_path, readonly=True) as conn:
        for item in sorted(found, key=lambda x: x.kind != "partial"):  # claims last: they mark partials
            if item.alive:
                continue
            if item.kind == "claim":
                if not dry_run:
                    item.path.unlink(missing_ok=True)
                done.append(verb(f"removed {item.path.name}: its run died"))
                continue
            named = ((_manifest(item.path) or {}).get("trail") or {}).get("store")
            if named and Path(named).resolve() != store_path.resolve():
                done.append(
                    f"left {item.path.name}: its manifest names the store {named!r}; run gc with --store"
                )
                continue
            entry = _recoverable(conn, item)
            if entry is not None and (root / item.name).exists():
                done.append(
                    f"left {item.path.name}: trail entry #{entry.seq} names it, and {item.name} exists"
                )
            elif entry is not None:
                if not dry_run:
                    os.rename(item.path, root / item.name)
                done.append(
                    verb(f"recovered {item.name}: trail entry #{entry.seq} was written before its run died")
                )
            else:
                if not dry_run:
                    shutil.rmtree(item.path)
                done.append(verb(f"removed {item.path.name}: its run died before the record was complete"))
    return done
