"""What every benchmark script shares: its log line, the measures a child process reports about
itself (peak RSS, CPU seconds), the machine's memory, and the peer tool's venv, made on first use.

Standard library only: peers' children (run by a venv's own python) import it too.

    python, why_not = peer_python(Path("benchmarks/.venv-mlflow"), ["mlflow==3.1.1"], "mlflow",
                                  Path("benchmarks/results/mlflow-install.log"))
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from datetime import datetime
from pathlib import Path


def log(msg: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {msg}", file=sys.stderr, flush=True)


def publish(text: str, path: Path) -> None:
    """Print a benchmark's report and write it to ``path``."""
    print(text)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    log(f"written to {path}")


def maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def peak_rss_mb() -> float:
    """Peak RSS of this process: VmHWM of /proc/self/status, else ru_maxrss.

    On Linux ru_maxrss survives execve: a child started by subprocess (fork or vfork, then exec)
    reports at least the parent's peak RSS at the time of the fork, so a parent that held a big
    frame inflates every child's ru_maxrss. VmHWM belongs to the process's own address space.
    """
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    return maxrss_mb()


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)  # every thread of this process
    return usage.ru_utime + usage.ru_stime


def mem_gib() -> float:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError):
        return 0.0


def peer_python(venv: Path, packages: list[str], imports: str, log_file: Path) -> tuple[Path | None, str]:
    """The python of ``venv`` once ``import <imports>`` works in it, the venv (re)made and
    ``packages`` installed first when it does not; or ``None`` and why not. pip's output goes to
    ``log_file``."""
    python = venv / "bin" / "python"
    check = [str(python), "-c", f"import {imports}"]
    if python.exists() and subprocess.run(check, capture_output=True).returncode == 0:
        return python, ""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    log(f"creating {venv} and installing {' '.join(packages)} (log: {log_file}) ...")
    with log_file.open("w") as fh:
        steps = [
            [sys.executable, "-m", "venv", "--clear", str(venv)],
            [str(python), "-m", "pip", "install", "--upgrade", "pip"],
            [str(python), "-m", "pip", "install", *packages],
        ]
        for step in steps:
            fh.write(f"$ {' '.join(step)}\n")
            fh.flush()
            try:
                proc = subprocess.run(step, stdout=fh, stderr=subprocess.STDOUT)
            except OSError as exc:
                return None, f"`{' '.join(step[-3:])}` could not run: {exc}"
            if proc.returncode != 0:
                tail = log_file.read_text().strip().splitlines()[-5:]
                return None, (
                    f"`{' '.join(step[-3:])}` failed with exit code {proc.returncode}: " + " | ".join(tail)
                )
    ok = subprocess.run(check, capture_output=True, text=True)
    if ok.returncode != 0:
        return None, f"installed, but `import {imports}` fails: " + ok.stderr.strip()[-400:]
    return python, ""
