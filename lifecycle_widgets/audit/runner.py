"""``run``: execute a template into an audit record folder, and enter it in the audit trail.

A record is ``<template>-<UTC timestamp>/`` with the executed notebook, its offline HTML export
and ``manifest.json``. It is assembled in a hidden temporary folder and renamed into place, so a
reader never sees half a record; a failed run still leaves a whole record, with status
``failed`` and the failing cell.
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
from lifecycle_widgets.audit.export import notebook_to_html
from lifecycle_widgets.audit.parameters import resolve_parameters, template_parameters
from lifecycle_widgets.audit.recording import recorded_in
from lifecycle_widgets.core import provenance
from lifecycle_widgets.core.result import atomic_write_text
from lifecycle_widgets.exceptions import ParameterError
from lifecycle_widgets.store import default_store_path, trail
from lifecycle_widgets.store.db import STORE_ENV


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
        """Read the record at ``path``."""
        folder = Path(path)
        manifest_path = folder / mf.MANIFEST
        if not manifest_path.is_file():
            raise ParameterError(f"{str(folder)!r} is not an audit record: it has no {mf.MANIFEST}.")
        return cls(folder, json.loads(manifest_path.read_text(encoding="utf-8")))

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


def _check_out_folder(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise ParameterError(f"The output folder {str(out)!r} exists and is not a folder.")
    out.mkdir(parents=True, exist_ok=True)
    if not os.access(out, os.W_OK | os.X_OK):
        raise ParameterError(f"The output folder {str(out)!r} is not writable.")


def _claim_name(out: Path, stem: str, started: datetime) -> str:
    """A record name no other run has, claimed atomically (runs in parallel start in the same
    second): an exclusive claim file marks it until the record is renamed into place."""
    base = f"{stem}-{started.strftime('%Y%m%dT%H%M%SZ')}"
    n = 1
    while True:
        name = base if n == 1 else f"{base}-{n}"
        if not (out / name).exists():
            try:
                fd = os.open(out / f".{name}.claim", os.O_CREAT | os.O_EXCL | os.O_WRONLY)
                os.close(fd)
                if not (out / name).exists():
                    return name
                (out / f".{name}.claim").unlink()
            except FileExistsError:
                pass
        n += 1


def _error_of(err: BaseException) -> dict[str, Any]:
    fields = ("cell_index", "exec_count", "ename", "evalue", "traceback")
    info: dict[str, Any] = {k: getattr(err, k) for k in fields if hasattr(err, k)}
    info.setdefault("ename", type(err).__name__)
    info.setdefault("evalue", str(err))
    if isinstance(info.get("traceback"), list):
        info["traceback"] = "\n".join(info["traceback"])
    return info


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
) -> AuditRecord:
    """Execute ``template`` with ``parameters`` into a new audit record under ``out``.

    Everything that can be checked is checked before the kernel starts: the template and its
    ``parameters`` cell, unknown or mistyped parameters, missing inputs, the output folder.

    Examples
    --------
    >>> import lifecycle_widgets as lw
    >>> rec = lw.audit.run("notebooks/data_audit.ipynb", {"demo_rows": 2000},
    ...                    out="audits")  # doctest: +SKIP
    >>> rec.status  # doctest: +SKIP
    'succeeded'
    """
    template = Path(template)
    spec = template_parameters(template)
    given = resolve_parameters(spec, dict(parameters or {}), from_text=text_parameters)
    resolved = {**_defaults(spec), **given}
    inputs = mf.input_files(resolved)
    out_dir = Path(out)
    _check_out_folder(out_dir)
    store_path = Path(store) if store is not None else default_store_path()

    started = datetime.now(UTC)
    record_id = uuid.uuid4().hex
    name = _claim_name(out_dir, template.stem, started)
    work = out_dir / f".{name}.partial-{record_id[:8]}"
    work.mkdir()
    try:
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
                env={STORE_ENV: str(store_path.resolve())},  # templates log runs where the trail is
            )
        except Exception as err:
            status, error = "failed", _error_of(err)
        duration = time.perf_counter() - t0
        recorded: dict[str, Any] = {}
        if notebook.exists():
            import nbformat

            recorded = recorded_in(nbformat.read(notebook, as_version=4))
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
            "trail": {"store": str(store_path.resolve())},
        }
        text = json.dumps(manifest, indent=2, ensure_ascii=False, allow_nan=False, default=str)
        atomic_write_text(work / mf.MANIFEST, text + "\n")
        final = out_dir / name
        trail.append(
            "audit_record",
            record_id,
            {
                "name": name,
                "path": str(final.resolve()),
                "status": status,
                "manifest_sha256": mf.sha256_file(work / mf.MANIFEST),
                "template_sha256": manifest["template"]["sha256"],
            },
            store=store_path,
        )
        os.rename(work, final)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    finally:
        (out_dir / f".{name}.claim").unlink(missing_ok=True)
    return AuditRecord(final, manifest)


def list_records(folder: str | os.PathLike[str]) -> list[AuditRecord]:
    """The records in ``folder``, oldest first (temporary folders of runs in progress are skipped)."""
    root = Path(folder)
    if not root.is_dir():
        raise ParameterError(f"No such folder: {str(root)!r}.")
    found = [
        AuditRecord.open(p)
        for p in root.iterdir()
        if p.is_dir() and not p.name.startswith(".") and (p / mf.MANIFEST).is_file()
    ]
    return sorted(found, key=lambda r: (r.manifest["started"], r.path.name))
