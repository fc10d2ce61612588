"""Real JupyterLab and real Chromium for the browser tests.

- ``lab``: one JupyterLab server per session, on 127.0.0.1 with a free port, its own random token,
  a temporary root directory and temporary settings/workspaces/runtime directories; kernels it
  starts show the live panel (``LIFECYCLE_WIDGETS_DISPLAY=live``). Nothing it needs comes from the
  network (news and update checks are off).
- ``start_lab(base, app="notebook")`` starts Notebook 7 the same way, and ``start_voila(base, notebook)``
  serves one notebook with Voila (``voila --no-browser``), with a token from its config file.
- ``browser``: Debian's Chromium (``/usr/bin/chromium``) driven by Playwright, headless, with a fresh
  temporary profile. ``playwright install`` is never needed. A missing Chromium FAILS the tests: CI
  installs it, so a silent skip would hide a broken setup.
- ``screenshot_dir``: ``$LW_SCREENSHOT_DIR`` or a temporary folder; every saved screenshot is listed
  in the terminal summary.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
LAB_START_TIMEOUT = 90.0
HERE = Path(__file__).resolve().parent
_SCREENSHOTS: list[Path] = []


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every test in this folder drives a real browser: mark it ``browser``."""
    for item in items:
        if HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.browser)


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    if _SCREENSHOTS:
        terminalreporter.section("browser screenshots")
        for path in _SCREENSHOTS:
            terminalreporter.write_line(str(path))


# --------------------------------------------------------------------------------------- JupyterLab


@dataclass
class Lab:
    """A running Jupyter server: JupyterLab, Notebook 7 or Voila."""

    url: str  # http://127.0.0.1:PORT
    token: str
    root: Path
    process: subprocess.Popen
    log: Path
    runtime: Path  # kernel connection files: a kernel's command line names this folder

    def page_url(self, path: str) -> str:
        """``path`` (e.g. ``lab/tree/x.ipynb``) on this server, with the token."""
        sep = "&" if "?" in path else "?"
        return f"{self.url}/{path.lstrip('/')}{sep}token={self.token}"

    def api(self, path: str, method: str = "GET", timeout: float = 5.0) -> object:
        req = urllib.request.Request(
            f"{self.url}/api/{path.lstrip('/')}",
            method=method,
            headers={"Authorization": f"token {self.token}"},
        )
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            body = resp.read()
        return json.loads(body) if body else None

    def log_tail(self, n: int = 40) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-n:])
        return "(no log)"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_until_up(lab: Lab, timeout: float, *, any_answer: bool = False) -> None:
    """Poll the server's status until it answers; with ``any_answer``, any HTTP answer will do
    (Voila has no ``/api/status``, and its notebook page would start a kernel)."""
    deadline = time.monotonic() + timeout
    status_url = f"{lab.url}/api/status?token={lab.token}"
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        if lab.process.poll() is not None:
            raise RuntimeError(f"The server exited with code {lab.process.returncode}:\n{lab.log_tail()}")
        try:
            with urllib.request.urlopen(status_url, timeout=2) as resp:
                if resp.status == 200:
                    json.loads(resp.read())
                    return
        except urllib.error.HTTPError as err:
            if any_answer:
                return
            last_error = err
        except (OSError, ValueError) as err:
            last_error = err
        time.sleep(0.25)
    raise RuntimeError(
        f"The server did not answer {lab.url}/api/status within {timeout:.0f} s "
        f"(last error: {last_error!r}):\n{lab.log_tail()}"
    )


def _kernel_pids(lab: Lab) -> list[int]:
    """Processes whose command line names this server's runtime folder: its kernels (Linux)."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        with contextlib.suppress(OSError, ValueError):
            if str(lab.runtime) in cmdline.read_bytes().decode(errors="replace"):
                found.append(int(cmdline.parent.name))
    return found


def kernel_stacks(lab: Lab) -> str:
    """The Python stacks of this server's kernels (``py-spy dump``), for a test whose kernel
    never answered: where it hangs, or what it is busy with."""
    spy = Path(sys.executable).parent / "py-spy"
    if not spy.exists():
        return "(py-spy is not installed)"
    dumps = []
    for pid in _kernel_pids(lab):
        try:
            done = subprocess.run(
                [str(spy), "dump", "--pid", str(pid)], capture_output=True, text=True, timeout=60, check=False
            )
            dumps.append(f"kernel {pid}:\n{done.stdout}{done.stderr}")
        except subprocess.TimeoutExpired:
            dumps.append(f"kernel {pid}: py-spy did not answer in 60 s")
    return "\n".join(dumps) or "(no kernel process)"


def _stop(lab: Lab) -> None:
    """Shut the kernels down through the API, stop the server (SIGTERM, then SIGKILL), then kill
    any kernel process of this server still alive."""
    proc = lab.process
    if proc.poll() is None:
        with contextlib.suppress(Exception):
            for kernel in lab.api("kernels"):  # type: ignore[union-attr]
                with contextlib.suppress(Exception):
                    lab.api(f"kernels/{kernel['id']}", method="DELETE", timeout=10)
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)
    for pid in _kernel_pids(lab):  # a kernel the server could not shut down
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)


@pytest.fixture(scope="session")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    with start_lab(tmp_path_factory.mktemp("jupyterlab")) as server:
        yield server


@contextlib.contextmanager
def start_lab(base: Path, *, app: str = "lab") -> Iterator[Lab]:
    """A JupyterLab server on 127.0.0.1 in live display mode, with its own config, settings and
    runtime folders under ``base``; stopped (kernels too) on exit. The browser benchmark uses it.

    ``app="notebook"`` starts Notebook 7 (``jupyter notebook``) the same way instead."""
    if app not in ("lab", "notebook"):
        raise ValueError(f"app is 'lab' or 'notebook', not {app!r}")
    root, config, settings, workspaces, runtime, ipython = (
        base / name for name in ("root", "config", "settings", "workspaces", "runtime", "ipython")
    )
    for d in (root, config, settings, workspaces, runtime, ipython):
        d.mkdir()
    # No "Would you like to get notified about official Jupyter news?" toast over the notebook.
    notification = settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    notification.parent.mkdir(parents=True)
    notification.write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}))

    token = secrets.token_hex(24)
    env = _server_env(
        config,
        runtime,
        ipython,
        JUPYTER_TOKEN=token,  # not on the command line, so not in the process list
        LIFECYCLE_WIDGETS_DISPLAY="live",
        JUPYTERLAB_SETTINGS_DIR=str(settings),
        JUPYTERLAB_WORKSPACES_DIR=str(workspaces),
    )

    def command(port: int) -> list[str]:
        return [
            sys.executable,
            "-m",
            "jupyter",
            app,
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={port}",
            "--ServerApp.port_retries=0",
            f"--ServerApp.root_dir={root}",
            "--ServerApp.allow_root=True",
            "--ServerApp.terminals_enabled=False",
            "--LabApp.news_url=None",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            "--LabApp.expose_app_in_browser=True",  # window.jupyterapp, to run commands
            *(["--JupyterNotebookApp.expose_app_in_browser=True"] if app == "notebook" else []),
        ]

    with _serve(command, f"jupyter{app}", base=base, root=root, env=env, token=token, runtime=runtime) as server:
        yield server


@contextlib.contextmanager
def start_voila(base: Path, notebook: Path) -> Iterator[Lab]:
    """Voila serving ``notebook`` (copied into ``base/root``) on 127.0.0.1, in the default display
    mode (auto, which Voila's kernels resolve to live),
    with a random token (from its config file, not the command line) and its own config,
    runtime and kernel connection folders under ``base``; stopped (kernels too) on exit. Its page
    is ``server.page_url("")``: each load runs the notebook in a new kernel."""
    root, config, runtime, ipython, connections = (
        base / name for name in ("root", "config", "runtime", "ipython", "connections")
    )
    for d in (root, config, runtime, ipython, connections):
        d.mkdir(parents=True)
    shutil.copyfile(notebook, root / notebook.name)
    token = secrets.token_hex(24)
    (config / "voila.json").write_text(json.dumps({"Voila": {"token": token}}))
    env = _server_env(config, runtime, ipython)
    env.pop("LIFECYCLE_WIDGETS_DISPLAY", None)  # the default, auto, must show panels live in Voila

    def command(port: int) -> list[str]:
        return [
            sys.executable,
            "-m",
            "voila",
            notebook.name,
            "--no-browser",
            f"--port={port}",
            "--Voila.ip=127.0.0.1",
            "--Voila.port_retries=0",
            # the kernels' connection files, so that a kernel left behind is found by its command line
            f"--Voila.connection_dir_root={connections}",
        ]

    with _serve(
        command, "voila", base=base, root=root, env=env, token=token, runtime=connections, any_answer=True
    ) as server:
        yield server


def _server_env(config: Path, runtime: Path, ipython: Path, **extra: str) -> dict[str, str]:
    """The environment of a test server: its own config, runtime and IPython folders, this venv's
    interpreter first on PATH (a kernel spec whose argv says "python" must find it), plus ``extra``."""
    env = dict(os.environ)
    env.pop("JUPYTER_PLATFORM_DIRS", None)
    env.update(
        {
            "JUPYTER_CONFIG_DIR": str(config),
            "JUPYTER_RUNTIME_DIR": str(runtime),
            "IPYTHONDIR": str(ipython),
            "PATH": os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")]),
            "PYTHONUNBUFFERED": "1",
            **extra,
        }
    )
    return env


@contextlib.contextmanager
def _serve(
    command: Callable[[int], list[str]],
    name: str,
    *,
    base: Path,
    root: Path,
    env: dict[str, str],
    token: str,
    runtime: Path,
    any_answer: bool = False,
) -> Iterator[Lab]:
    """Start ``command(port)`` on a free port, logged to ``base/<name>-<attempt>.log``, and wait
    until it answers; stopped (kernels too) on exit. Another process may take the free port
    before the server does: then it tries again, three times in all."""
    for attempt in range(1, 4):
        port = _free_port()
        log = base / f"{name}-{attempt}.log"
        with log.open("wb") as log_file:
            proc = subprocess.Popen(
                command(port),
                cwd=root,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        server = Lab(
            url=f"http://127.0.0.1:{port}", token=token, root=root, process=proc, log=log, runtime=runtime
        )
        try:
            _wait_until_up(server, LAB_START_TIMEOUT, any_answer=any_answer)
        except RuntimeError:
            _stop(server)
            if proc.returncode is not None and attempt < 3 and "in use" in server.log_tail():
                continue
            raise
        break
    try:
        yield server
    finally:
        _stop(server)


# ------------------------------------------------------------------------------------------ Chromium


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        pytest.fail(
            f"The browser tests need Debian's Chromium at {CHROMIUM} (apt-get install chromium); "
            "it is missing. They never use `playwright install` browsers.",
            pytrace=False,
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as err:
        pytest.fail(f"The browser tests need playwright (pip install playwright): {err}", pytrace=False)
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def context(browser) -> Iterator[object]:
    """A fresh browser context (own cookies and storage) per test."""
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000}, service_workers="block")
    ctx.set_default_timeout(30_000)
    try:
        yield ctx
    finally:
        ctx.close()


@pytest.fixture
def screenshot_dir(tmp_path: Path) -> Path:
    env = os.environ.get("LW_SCREENSHOT_DIR")
    folder = Path(env) if env else tmp_path / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def screenshot(screenshot_dir: Path, request: pytest.FixtureRequest):
    """``screenshot(page_or_locator, "name")`` saves ``<dir>/<test>-<name>.png``, prints its path."""
    test_name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name).strip("_")

    def take(target, name: str, **kwargs) -> Path:
        path = screenshot_dir / f"{test_name}-{name}.png"
        target.screenshot(path=str(path), **kwargs)
        print(f"screenshot: {path}")
        _SCREENSHOTS.append(path)
        return path

    return take
