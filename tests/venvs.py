"""Throwaway venvs for tests that need another environment (Binder's pins, MLflow), cached by a
hash of what goes into them, so a second run of the suite reuses them instead of reinstalling.

A venv is complete once its ``.complete`` marker exists; a half-built one (a killed run) is
removed and built again. A file lock keeps two pytest-xdist workers from building the same one.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

CACHE = Path(
    os.environ.get("LW_TEST_VENV_CACHE", Path.home() / ".cache" / "lifecycle_widgets" / "test-venvs")
)


def cached_venv(
    name: str,
    requirements: Sequence[str],
    *,
    files: Sequence[Path] = (),
    env: Mapping[str, str] | None = None,
) -> Path:
    """The python of a venv holding ``requirements`` (pip arguments), built on first use.

    The cache key covers the interpreter, the arguments and the content of ``files`` (for
    example the requirements file that ``-r`` names).
    """
    parts = [sys.version, *requirements, *(f.read_text(encoding="utf-8") for f in files)]
    key = hashlib.sha256("\n".join(parts).encode()).hexdigest()[:12]
    venv = CACHE / f"{name}-{key}"
    python = venv / "bin" / "python"
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE / f"{name}-{key}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (venv / ".complete").exists() and python.exists():
            return python
        shutil.rmtree(venv, ignore_errors=True)
        run_env = dict(env if env is not None else os.environ)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, env=run_env)
        done = subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", *requirements],
            capture_output=True,
            text=True,
            env=run_env,
        )
        if done.returncode != 0:
            shutil.rmtree(venv, ignore_errors=True)
            raise RuntimeError(f"pip install {' '.join(requirements)} failed:\n{done.stderr[-3000:]}")
        (venv / ".complete").touch()
    return python
