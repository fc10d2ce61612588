"""What a record's manifest says about its run: file hashes, inputs, environment, code version,
and the signature over all of it."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path, PurePosixPath
from typing import Any

from lifecycle_widgets.exceptions import ParameterError
from lifecycle_widgets.store.keys import Signer

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


def unsigned(manifest: dict[str, Any]) -> dict[str, Any]:
    """The manifest without its signature: what the signature covers."""
    return {k: v for k, v in manifest.items() if k != "signature"}


def sign_manifest(manifest: dict[str, Any], signer: Signer) -> dict[str, Any]:
    """``manifest`` as it will be read back from its JSON file, with ``signature``: an Ed25519
    signature by ``signer`` over its canonical JSON.

    Examples
    --------
    >>> import tempfile
    >>> from lifecycle_widgets.store.keys import TrustedKeys, new_key
    >>> signer = new_key("doc", folder=tempfile.mkdtemp())
    >>> m = sign_manifest({"name": "r", "duration_seconds": 1.5}, signer)
    >>> TrustedKeys.parse(signer.public_line()).check(m["signature"], unsigned(m)) is None
    True
    """
    plain = json.loads(json.dumps(unsigned(manifest), default=str, allow_nan=False))
    return {**plain, "signature": signer.sign_json(plain)}


def inside(folder: Path, rel: object) -> bool:
    """Whether ``rel``, a path a manifest lists, stays inside ``folder`` (no ``..``, not absolute,
    not through a symbolic link that leads out).

    Examples
    --------
    >>> from pathlib import Path
    >>> [inside(Path("/tmp/rec"), p) for p in ("a.html", "../../x", "/etc/hostname")]
    [True, False, False]
    """
    if not isinstance(rel, str) or not rel or "\\" in rel or "\0" in rel:
        return False
    pure = PurePosixPath(rel)
    if pure.is_absolute() or ".." in pure.parts:
        return False
    return (folder / rel).resolve().is_relative_to(folder.resolve())
