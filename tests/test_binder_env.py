"""The Binder environment, rebuilt for real: a fresh venv gets ``binder/requirements.txt``, then
``binder/postBuild`` runs in a copy of the repository (as repo2docker runs it: from the repository
root, after the requirements), and every notebook in ``notebooks/`` is executed with papermill on a
kernel of that venv.

Nothing is mocked. The first run downloads the pinned wheels (pip's cache makes later runs faster);
the venv is cached by the hash of requirements.txt (``tests/venvs.py``), and postBuild runs anew each time.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.venvs import cached_venv

REPO = Path(__file__).resolve().parents[1]
BINDER = REPO / "binder"
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
#: What a small run passes to a notebook that has a size parameter.
SMALL_PARAMETERS = {"demo_rows": 2000}
#: What lifecycle_widgets' static display puts in a notebook's text/html outputs.
STATIC_HTML_MARK = 'class="lw"'
#: What to copy when git cannot list the files (all that a build of the repository needs).
_FALLBACK_PATHS = ("pyproject.toml", "README.md", "lifecycle_widgets", "notebooks", "binder")

pytestmark = [pytest.mark.binder, pytest.mark.timeout(1200)]


def _pins() -> dict[str, Requirement]:
    pins = {}
    for line in (BINDER / "requirements.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            req = Requirement(line)
            pins[canonicalize_name(req.name)] = req
    return pins


def _run(
    cmd: list[str | os.PathLike[str]], *, env: dict[str, str], cwd: Path | None = None, timeout: float = 900
) -> subprocess.CompletedProcess[str]:
    """Run ``cmd``; on failure, fail the test with the command's output tail."""
    proc = subprocess.run(
        [str(c) for c in cmd], env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
    )
    if proc.returncode != 0:
        pytest.fail(
            f"command failed with exit code {proc.returncode}: {' '.join(map(str, cmd))}\n"
            f"--- stdout (tail) ---\n{proc.stdout[-6000:]}\n"
            f"--- stderr (tail) ---\n{proc.stderr[-6000:]}",
            pytrace=False,
        )
    return proc


def _repo_files() -> list[str]:
    """The files a repo2docker build of the current work would see: tracked plus new, not ignored."""
    try:
        out = subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
            cwd=REPO,
            capture_output=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        files = []
        for name in _FALLBACK_PATHS:
            path = REPO / name
            if path.is_file():
                files.append(name)
            elif path.is_dir():
                files += [
                    str(p.relative_to(REPO))
                    for p in path.rglob("*")
                    if p.is_file() and "__pycache__" not in p.parts
                ]
        return files
    return [f for f in out.decode().split("\0") if f and (REPO / f).is_file()]


def _copy_repo(dest: Path) -> None:
    for rel in _repo_files():
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / rel, target)  # copy2 keeps the executable bit of binder/postBuild


@dataclass(frozen=True)
class BinderEnv:
    venv: Path
    python: Path
    repo: Path
    out: Path
    env: dict[str, str]


def _isolated_env(venv: Path, home: Path) -> dict[str, str]:
    """This process's environment with the fresh venv first on PATH and Jupyter's and IPython's
    search paths confined to it, so that no kernel, config or package from elsewhere is used."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("JUPYTER_", "PYTHON", "CONDA_", "LIFECYCLE_WIDGETS_"))
        and k not in {"VIRTUAL_ENV", "IPYTHONDIR", "PIP_USER", "PIP_REQUIRE_VIRTUALENV"}
    }
    dev_bin = str(Path(sys.prefix) / "bin")
    path = [p for p in env.get("PATH", "").split(os.pathsep) if p and p != dev_bin]
    env["PATH"] = os.pathsep.join([str(venv / "bin"), *path])
    env["VIRTUAL_ENV"] = str(venv)
    env["PYTHONNOUSERSITE"] = "1"
    env["JUPYTER_PATH"] = str(venv / "share" / "jupyter")
    env["JUPYTER_DATA_DIR"] = str(home / "jupyter-data")
    env["JUPYTER_CONFIG_DIR"] = str(home / "jupyter-config")
    env["JUPYTER_RUNTIME_DIR"] = str(home / "jupyter-runtime")
    env["IPYTHONDIR"] = str(home / "ipython")
    env["MPLBACKEND"] = "Agg"
    return env


@pytest.fixture(scope="module")
def binder_env(tmp_path_factory: pytest.TempPathFactory) -> BinderEnv:
    root = tmp_path_factory.mktemp("binder")
    repo, out, home = root / "repo", root / "out", root / "home"
    out.mkdir()
    home.mkdir()
    # The interpreter of the dev venv is the same CPython; ``venv`` builds from its base install.
    # The venv with the pins is cached by the hash of requirements.txt; postBuild runs every time.
    requirements = BINDER / "requirements.txt"
    python = cached_venv("binder", ["-r", str(requirements)], files=[requirements])
    venv = python.parent.parent
    env = _isolated_env(venv, home)
    _copy_repo(repo)
    assert os.access(repo / "binder" / "postBuild", os.X_OK), "binder/postBuild must be executable"
    # repo2docker runs ``./binder/postBuild`` with the repository root as working directory.
    _run(["./binder/postBuild"], env=env, cwd=repo)
    _run([python, "-m", "ipykernel", "install", "--prefix", venv, "--name", "python3"], env=env)
    return BinderEnv(venv=venv, python=python, repo=repo, out=out, env=env)


def _execute(be: BinderEnv, notebook: Path, parameters: dict[str, object]) -> nbformat.NotebookNode:
    """Execute ``notebook`` with papermill from the fresh venv, as JupyterLab would run it: kernel
    ``python3``, working directory the notebook's folder."""
    out = be.out / notebook.name
    args: list[str | os.PathLike[str]] = [
        be.python,
        "-m",
        "papermill",
        notebook,
        out,
        "-k",
        "python3",
        "--cwd",
        notebook.parent,
        "--no-progress-bar",
        "--start-timeout",
        "120",
    ]
    for name, value in parameters.items():
        args += ["-p", name, str(value)]
    _run(args, env=be.env, timeout=900)
    return nbformat.read(out, as_version=4)


def _error_outputs(nb: nbformat.NotebookNode) -> list[str]:
    return [
        f"cell {i}: {o.get('ename')}: {o.get('evalue')}"
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code"
        for o in cell.get("outputs", [])
        if o.get("output_type") == "error"
    ]


def _html_outputs(nb: nbformat.NotebookNode) -> list[str]:
    html = []
    for cell in nb.cells:
        for o in cell.get("outputs", []) if cell.cell_type == "code" else []:
            value = o.get("data", {}).get("text/html")
            if value is not None:
                html.append("".join(value) if isinstance(value, list) else value)
    return html


# --- what the files say ---------------------------------------------------------------------------


def test_requirements_pin_every_runtime_dependency() -> None:
    """Every dependency of the package and of its [audit], [lab] and [explain] extras is pinned with ``==``
    to a version the package's own specifier allows."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    needed = [
        Requirement(r)
        for r in [*project["dependencies"], *extras["audit"], *extras["lab"], *extras["explain"]]
    ]
    pins = _pins()
    for req in needed:
        pin = pins.get(canonicalize_name(req.name))
        assert pin is not None, f"{req.name} is not in binder/requirements.txt"
        (spec,) = pin.specifier
        assert spec.operator == "==", f"{pin} is not pinned with =="
        assert req.specifier.contains(spec.version, prereleases=True), f"{pin} does not satisfy {req}"
    for pin in pins.values():
        assert len(pin.specifier) == 1 and next(iter(pin.specifier)).operator == "==", f"{pin} unpinned"
    assert "jupyterlab-widgets" in pins, "the JupyterLab widget manager must be pinned too"


def test_runtime_and_postbuild_files() -> None:
    assert (BINDER / "runtime.txt").read_text().strip() == "python-3.11"
    post = BINDER / "postBuild"
    assert os.access(post, os.X_OK)
    text = post.read_text()
    assert text.startswith("#!/usr/bin/env bash\n") or text.startswith("#!/bin/bash\n")
    assert "set -euo pipefail" in text
    install = re.search(r"pip install\b.*--no-deps\b.*\s\.\s*$", text, re.M)
    assert install, "postBuild must run pip install --no-deps ."


def test_there_are_notebooks() -> None:
    assert NOTEBOOKS, "notebooks/ has no template notebook"


# --- the environment, built for real --------------------------------------------------------------


def test_pins_install_together(binder_env: BinderEnv) -> None:
    _run([binder_env.python, "-m", "pip", "check"], env=binder_env.env)
    frozen = _run([binder_env.python, "-m", "pip", "list", "--format", "json"], env=binder_env.env).stdout
    installed = {canonicalize_name(p["name"]): p["version"] for p in json.loads(frozen)}
    for name, pin in _pins().items():
        (spec,) = pin.specifier
        assert installed.get(name) == spec.version, f"{name}: installed {installed.get(name)}, pinned {pin}"
    assert (
        installed.get("lifecycle-widgets")
        == tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
    )


def test_kernel_is_the_fresh_venv(binder_env: BinderEnv) -> None:
    """The ``python3`` kernel papermill starts is the fresh venv's Python, and the package it
    imports is the one postBuild installed (not the source tree, not the dev venv)."""
    spec = json.loads((binder_env.venv / "share/jupyter/kernels/python3/kernel.json").read_text())
    assert Path(spec["argv"][0]).parent.resolve() == (binder_env.venv / "bin").resolve()
    probe = nbformat.v4.new_notebook(
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}
    )
    probe.cells.append(
        nbformat.v4.new_code_cell(
            "import json, sys, lifecycle_widgets\n"
            "print(json.dumps({'prefix': sys.prefix, 'executable': sys.executable,\n"
            "                  'package': lifecycle_widgets.__file__}))"
        )
    )
    probe_dir = binder_env.repo / "notebooks"  # same working directory as the real notebooks
    probe_path = binder_env.out / "probe_in" / "kernel_probe.ipynb"
    probe_path.parent.mkdir(exist_ok=True)
    nbformat.write(probe, probe_path)
    out = binder_env.out / "kernel_probe.ipynb"
    _run(
        [
            binder_env.python,
            "-m",
            "papermill",
            probe_path,
            out,
            "-k",
            "python3",
            "--cwd",
            probe_dir,
            "--no-progress-bar",
        ],
        env=binder_env.env,
    )
    nb = nbformat.read(out, as_version=4)
    assert not _error_outputs(nb)
    text = "".join(o.get("text", "") for o in nb.cells[0].outputs if o.get("output_type") == "stream")
    seen = json.loads(text.strip().splitlines()[-1])
    venv = binder_env.venv.resolve()
    assert Path(seen["prefix"]).resolve() == venv, seen
    assert Path(seen["executable"]).parent.resolve() == (venv / "bin").resolve(), seen
    package = Path(seen["package"]).resolve()
    assert package.is_relative_to(venv) and "site-packages" in package.parts, seen
    assert nb.metadata["kernelspec"]["name"] == "python3"


def test_lab_has_the_widget_front_ends(binder_env: BinderEnv) -> None:
    """JupyterLab in the image can show the live panels: the widget manager, anywidget and plotly
    front-ends are installed and enabled."""
    proc = _run([binder_env.python, "-m", "jupyter", "labextension", "list"], env=binder_env.env)
    listing = re.sub(r"\x1b\[[0-9;]*m", "", proc.stdout + proc.stderr)
    for extension in ("@jupyter-widgets/jupyterlab-manager", "anywidget", "jupyterlab-plotly"):
        assert re.search(rf"^\s*{re.escape(extension)} v\S+ enabled OK", listing, re.M), listing


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_in_binder_env(binder_env: BinderEnv, notebook: Path) -> None:
    import papermill

    copy = binder_env.repo / notebook.relative_to(REPO)
    declared = papermill.inspect_notebook(str(copy))
    parameters = {k: v for k, v in SMALL_PARAMETERS.items() if k in declared}
    nb = _execute(binder_env, copy, parameters)
    assert not _error_outputs(nb), _error_outputs(nb)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    assert nb.metadata["papermill"]["parameters"] == parameters
    html = _html_outputs(nb)
    assert any(STATIC_HTML_MARK in h for h in html), (
        f"{notebook.name}: no output carries lifecycle_widgets' static HTML ({STATIC_HTML_MARK})"
    )
