"""``run``: execute a template into an audit record folder, and enter it in the audit trail.

A record is ``<template>-<UTC timestamp>/`` with the executed notebook, its offline HTML export
and ``manifest.json``, signed with the runner's key. It is assembled in a hidden temporary folder
and renamed into place after its trail entry is written, so a reader never sees half a record; a
failed run still leaves a whole record, with status ``failed`` and the failing cell. See
:mod:`lifecycle_widgets.audit.housekeeping` for what a run killed on the way leaves behind.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import lifecycle_widgets
from lifecycle_widgets.audit import manifest as mf
from lifecycle_widgets.audit.execute import execute_notebook
from lifecycle_widgets.audit.export import RECORD_KERNEL_ENV, notebook_to_html
from lifecycle_widgets.audit.housekeeping import Leftover, claim_path, leftovers, partial_path, recover
from lifecycle_widgets.audit.parameters import resolve_parameters, template_parameters
from lifecycle_widgets.audit.recording import recorded_in
from lifecycle_widgets.core import provenance
from lifecycle_widgets.core.result import atomic_write_text
from lifecycle_widgets.exceptions import ParameterError
from lifecycle_widgets.store import connect, default_store_path, trail
from lifecycle_widgets.store.db import STORE_ENV, check_store_path, no_space, write_error
from lifecycle_widgets.store.keys import KEYS_ENV, SIGNER_ENV, Signer, require_signer
from lifecycle_widgets.store.processes import owner_token


@dataclass(frozen=True)
class AuditRecord:
    """A record folder and its manifest."""

    path: Path
    manifest: dict[str, Any]

    @property
    def status(self) -> str:
        return str(self.manifest["status"])

    @property
    def values(self) -> dict[str, Any]:
        """The values the notebook recorded with ``lw.record``, by name."""
        return {k: v["value"] for k, v in self.manifest["recorded"].items()}

    @classmethod
    def open(cls, path: str | os.PathLike[str]) -> AuditRecord:
        """Read the record at ``path`` (this checks nothing: :func:`verify` does)."""
        folder = Path(path)
        manifest_path = folder / mf.MANIFEST
        if not manifest_path.is_file():
            raise ParameterError(f"{str(folder)!r} is not an audit record: it has no {mf.MANIFEST}.")
        try:
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
            raise ParameterError(f"{str(manifest_path)!r} cannot be read: {err}") from err
        missing = [k for k in ("record_id", "status", "recorded", "started") if k not in manifest]
        if not isinstance(manifest, dict) or missing:
            raise ParameterError(
                f"{str(manifest_path)!r} is not an audit manifest (no {', '.join(missing)})."
            )
        return cls(folder, manifest)

    def __repr__(self) -> str:
        return f"<AuditRecord {self.path.name}: {self.status}, {len(self.manifest['recorded'])} values>"


def _defaults(spec: dict) -> dict[str, Any]:
    out = {}
    for name, param in spec.items():
        try:
            out[name] = ast.literal_eval(param.default)
        except (ValueError, SyntaxError):
            out[name] = param.default  # an expression: keep its source
    return out


def _raise_if_full(folder: Path, room: int = 1 << 20) -> None:
    """Raise the OSError of a full file system if ``folder`` has no room for ``room`` more bytes."""
    probe = folder / ".space-probe"
    try:
        with open(probe, "wb") as f:
            f.write(b"\0" * room)
            f.flush()
            os.fsync(f.fileno())
    except OSError as err:
        if no_space(err):
            raise
    finally:
        probe.unlink(missing_ok=True)


def _check_out_folder(out: Path) -> None:
    """Refuse an output folder that is a file or cannot be written to; creates nothing."""
    if out.exists() and not out.is_dir():
        raise ParameterError(f"The output folder {str(out)!r} exists and is not a folder.")
    existing = next(p for p in (out, *out.parents) if p.exists())
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ParameterError(f"The output folder {str(out)!r} is not writable.")


def _claim_name(out: Path, stem: str, started: datetime) -> str:
    """A record name no other run has, claimed atomically (runs in parallel start in the same
    second): an exclusive claim file, holding this process's owner token, marks it until the
    record is renamed into place."""
    base = f"{stem}-{started.strftime('%Y%m%dT%H%M%SZ')}"
    n = 1
    while True:
        name = base if n == 1 else f"{base}-{n}"
        if not (out / name).exists():
            try:
                fd = os.open(claim_path(out, name), os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    fh.write(owner_token() + "\n")
                if not (out / name).exists():
                    return name
                claim_path(out, name).unlink()
            except FileExistsError:
                pass
        n += 1


def _check_store(store_path: Path) -> None:
    """Refuse a store that is a folder, or a SQLite file that is not a store, before anything is
    written; create (and migrate) it otherwise."""
    check_store_path(store_path)
    # connect() reads the store's mark before it changes anything, so a foreign SQLite file is
    # refused untouched. (A read-only look first raced with another process creating the store:
    # between its creation and its first migration the file is an empty SQLite database.)
    with connect(store_path):
        pass


def _trail_path(final: Path, store_path: Path) -> str:
    """Where the record is, relative to the store's folder: a record and its store moved together
    (to an archive, read-only media) still find each other."""
    return Path(os.path.relpath(final.resolve(), store_path.resolve().parent)).as_posix()


def _error_of(err: BaseException) -> dict[str, Any]:
    fields = ("cell_index", "exec_count", "ename", "evalue", "traceback")
    info: dict[str, Any] = {k: getattr(err, k) for k in fields if hasattr(err, k)}
    info.setdefault("ename", type(err).__name__)
    info.setdefault("evalue", str(err))
    if isinstance(info.get("traceback"), list):
        info["traceback"] = "\n".join(info["traceback"])
    return info


def _write_compact(path: Path, nb: Any) -> None:
    """Write the executed notebook as JSON without indentation: nbformat indents one value a
    line, so a figure's arrays (plotly's mimetype) took twice their size on disk. Any notebook
    reader opens it the same."""
    import nbformat

    nbformat.validate(nb)
    atomic_write_text(path, json.dumps(nb, ensure_ascii=False, separators=(",", ":"), sort_keys=True) + "\n")


def _failing_cell(nb_path: Path) -> int | None:
    import nbformat

    nb = nbformat.read(nb_path, as_version=4)
    for index, cell in enumerate(nb.cells):
        if any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
            return index
    return None


def run(
    template: str | os.PathLike[str],
    parameters: dict[str, Any] | None = None,
    *,
    out: str | os.PathLike[str] = "audits",
    store: str | os.PathLike[str] | None = None,
    kernel_name: str | None = None,
    cell_timeout: int = 600,
    progress: bool = True,
    text_parameters: frozenset[str] = frozenset(),
    signer: Signer | str | None = None,
) -> AuditRecord:
    """Execute ``template`` with ``parameters`` into a new audit record under ``out``.

    Everything that can be checked is checked before the kernel starts: the template and its
    ``parameters`` cell, unknown, mistyped or non-finite parameters, missing inputs, the signing
    key, the store and the output folder.

    Parameters
    ----------
    template : path-like
        The template notebook (its name may not start with a dot: those are temporary names).
    parameters : dict, optional
        Values for the template's parameters.
    out : path-like
        The records folder.
    store : path-like, optional
        The store holding the audit trail (default ``$LIFECYCLE_WIDGETS_STORE``, else ``./lifecycle.db``).
    signer : Signer or str, optional
        The key that signs the manifest and the trail entry (default: see
        :func:`~lifecycle_widgets.store.keys.default_signer`); a run without a key is refused.

    Examples
    --------
    >>> import lifecycle_widgets as lw
    >>> rec = lw.audit.run("notebooks/data_audit.ipynb", {"demo_rows": 2000},
    ...                    out="audits")  # doctest: +SKIP
    >>> rec.status  # doctest: +SKIP
    'succeeded'
    """
    template = Path(template)
    if template.name.startswith("."):
        raise ParameterError(
            f"Template names may not start with a dot ({template.name!r}): record folders are named "
            "after the template, and names starting with a dot are the runs' temporary folders."
        )
    spec = template_parameters(template)
    given = resolve_parameters(spec, dict(parameters or {}), from_text=text_parameters)
    if "as_of" in spec and not given.get("as_of"):
        # "today" is pinned in the record: a reproduction judges dates as of the same day
        given["as_of"] = datetime.now(UTC).date().isoformat()
    resolved = {**_defaults(spec), **given}
    inputs = mf.input_files(resolved)
    key = require_signer(signer)
    out_dir = Path(out)
    store_path = Path(store) if store is not None else default_store_path()
    _check_out_folder(out_dir)
    _check_store(store_path)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        recover(out_dir, store_path)  # records of runs killed after their trail entry
    except OSError as err:
        if no_space(err):
            raise write_error(out_dir, err) from err
        raise
    # templates log runs here; figures travel as plotly's mimetype (plotly.js once, in the HTML)
    kernel_env = {STORE_ENV: str(store_path.resolve()), SIGNER_ENV: key.name, **RECORD_KERNEL_ENV}
    if key.path is not None:
        kernel_env[KEYS_ENV] = str(key.path.parent)

    started = datetime.now(UTC)
    record_id = uuid.uuid4().hex
    name = _claim_name(out_dir, template.stem, started)
    work = partial_path(out_dir, name, record_id)
    entered = False
    try:
        work.mkdir()
        notebook = work / template.name
        t0 = time.perf_counter()
        status, error = "succeeded", None
        try:
            execute_notebook(
                template,
                notebook,
                given,
                kernel_name=kernel_name,
                cell_timeout=cell_timeout,
                progress=progress,
                cwd=os.getcwd(),
                env=kernel_env,
            )
        except Exception as err:
            if no_space(err):
                raise
            _raise_if_full(work)  # papermill writes a truncated notebook on a full disk, then fails to read it
            status, error = "failed", _error_of(err)
        duration = time.perf_counter() - t0
        recorded: dict[str, Any] = {}
        if notebook.exists():
            import nbformat

            executed = nbformat.read(notebook, as_version=4)
            recorded = recorded_in(executed)
            _write_compact(notebook, executed)
            if error is not None and error.get("cell_index") is None:
                error["cell_index"] = _failing_cell(notebook)
            notebook_to_html(notebook, notebook.with_suffix(".html"))
        manifest = {
            "record_id": record_id,
            "name": name,
            "status": status,
            "error": error,
            "template": {"path": str(template.resolve()), "sha256": mf.sha256_file(template)},
            "parameters": {"given": given, "resolved": resolved},
            "inputs": inputs,
            "seeds": mf.seeds(resolved),
            "environment": provenance.environment(),
            "code_version": provenance.code_version(template.resolve().parent),
            "lifecycle_widgets_version": lifecycle_widgets.__version__,
            "started": started.isoformat(timespec="seconds"),
            "finished": datetime.now(UTC).isoformat(timespec="seconds"),
            "duration_seconds": round(duration, 3),
            "recorded": recorded,
            "files": mf.file_hashes(work),
            "trail": {"store": str(store_path.resolve())},  # a hint only: verify never trusts it
        }
        manifest = mf.sign_manifest(manifest, key)
        text = json.dumps(manifest, indent=2, ensure_ascii=False, allow_nan=False)
        atomic_write_text(work / mf.MANIFEST, text + "\n")
        final = out_dir / name
        trail.append(
            "audit_record",
            record_id,
            {
                "name": name,
                "path": _trail_path(final, store_path),
                "status": status,
                "manifest_sha256": mf.sha256_file(work / mf.MANIFEST),
                "template_sha256": manifest["template"]["sha256"],
            },
            store=store_path,
            signer=key,
        )
        entered = True
        os.rename(work, final)
    except BaseException as err:
        if not entered:  # once the trail names it, the complete record stays for `recover`
            shutil.rmtree(work, ignore_errors=True)
        if no_space(err):
            raise write_error(getattr(err, "filename", None) or out_dir, err) from err
        raise
    finally:
        claim_path(out_dir, name).unlink(missing_ok=True)
    return AuditRecord(final, manifest)


@dataclass(frozen=True)
class RecordListing:
    """What a records folder holds: readable records (oldest first), folders whose manifest cannot
    be read (with why), and the leftovers of runs in progress or dead."""

    records: tuple[AuditRecord, ...]
    unreadable: tuple[tuple[Path, str], ...]
    leftovers: tuple[Leftover, ...]

    @property
    def problems(self) -> list[str]:
        """Everything that needs a person: unreadable manifests, leftovers of dead runs."""
        return [f"{p.name}: {why}" for p, why in self.unreadable] + [
            str(x) for x in self.leftovers if not x.alive
        ]


def scan_records(folder: str | os.PathLike[str]) -> RecordListing:
    """Every record in ``folder``; one that cannot be read is listed apart and hides no other.

    Examples
    --------
    >>> import lifecycle_widgets as lw
    >>> listing = lw.audit.scan_records("audits")  # doctest: +SKIP
    >>> [r.path.name for r in listing.records], listing.problems  # doctest: +SKIP
    (['data_audit-20261127T101500Z'], [])
    """
    root = Path(folder)
    if not root.is_dir():
        raise ParameterError(f"No such folder: {str(root)!r}.")
    found, unreadable = [], []
    for p in sorted(root.iterdir()):
        if p.is_dir() and not p.name.startswith(".") and (p / mf.MANIFEST).is_file():
            try:
                found.append(AuditRecord.open(p))
            except ParameterError as err:
                unreadable.append((p, str(err).replace(repr(str(p / mf.MANIFEST)), mf.MANIFEST)))
    found.sort(key=lambda r: (str(r.manifest["started"]), r.path.name))
    return RecordListing(tuple(found), tuple(unreadable), tuple(leftovers(root)))


def list_records(folder: str | os.PathLike[str]) -> list[AuditRecord]:
    """The readable records in ``folder``, oldest first (see :func:`scan_records` for the rest)."""
    return list(scan_records(folder).records)
