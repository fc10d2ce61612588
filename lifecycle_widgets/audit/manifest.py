"""What a record's manifest says about its run: file hashes, inputs, environment, code version."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

from lifecycle_widgets.exceptions import ParameterError

MANIFEST = "manifest.json"
_PATH_SUFFIXES = ("_path", "_file", "_dir", "_folder")


def sha256_file(path: str | os.PathLike[str]) -> str:
    """SHA-256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def file_hashes(folder: Path) -> dict[str, dict[str, Any]]:
    """SHA-256 and size of every file in ``folder`` (recursively) but the manifest."""
    out = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        rel = path.relative_to(folder).as_posix()
        if rel != MANIFEST:
            out[rel] = {"sha256": sha256_file(path), "bytes": path.stat().st_size}
    return out


def input_files(parameters: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Hash every input a parameter names: a value of a ``*_path``/``*_file``/``*_dir`` parameter,
    or any text value that is an existing file. A folder hashes as its files in order."""
    found = {}
    for name, value in parameters.items():
        if not isinstance(value, str) or not value:
            continue
        path = Path(value)
        named_as_path = name.endswith(_PATH_SUFFIXES)
        if not path.exists():
            if named_as_path:
                raise ParameterError(f"Parameter {name!r} names an input that does not exist: {value!r}.")
            continue
        if path.is_file():
            found[name] = {
                "path": str(path.resolve()),
                "sha256": sha256_file(path),
                "bytes": path.stat().st_size,
            }
        elif path.is_dir() and named_as_path:
            files = sorted(p for p in path.rglob("*") if p.is_file())
            digest = hashlib.sha256()
            for f in files:
                digest.update(f"{f.relative_to(path).as_posix()}\0{sha256_file(f)}\n".encode())
            found[name] = {
                "path": str(path.resolve()),
                "sha256": digest.hexdigest(),
                "bytes": sum(f.stat().st_size for f in files),
                "files": len(files),
            }
    return found


def seeds(parameters: dict[str, Any]) -> dict[str, Any]:
    """The parameters that seed randomness (``seed`` or ``*_seed``)."""
    return {k: v for k, v in parameters.items() if k == "seed" or k.endswith("_seed")}
