"""Which process owns a run or a claimed record name, and whether that process is still alive.

An owner is written ``HOST:PID:START``, where START is the process's start time in clock ticks
since boot (from ``/proc``, where there is one), so that a new process that got a dead one's pid
is not taken for it.

Examples
--------
>>> from lifecycle_widgets.store.processes import owner_token, owner_alive
>>> owner_alive(owner_token())
True
>>> owner_alive("elsewhere:1:1", assume_alive_elsewhere=False)
False
"""

from __future__ import annotations

import os
import socket
from pathlib import Path


def _stat(pid: int) -> list[str]:
    """Fields 3 onwards of ``/proc/PID/stat`` (state first), or [] without /proc."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return []
    # the command name (field 2) may hold spaces and parentheses: fields follow the last ")"
    return stat.rsplit(")", 1)[1].split()


def _start_time(pid: int) -> str:
    fields = _stat(pid)
    return fields[19] if len(fields) > 19 else ""


def owner_token(pid: int | None = None) -> str:
    """``HOST:PID:START`` of this process (or of ``pid``)."""
    pid = os.getpid() if pid is None else pid
    return f"{socket.gethostname()}:{pid}:{_start_time(pid)}"


def owner_alive(token: str | None, *, assume_alive_elsewhere: bool = True) -> bool:
    """Whether the process ``token`` names still runs. A process on another host cannot be
    checked: it counts as alive unless ``assume_alive_elsewhere=False``."""
    if not token:
        return False
    parts = token.rsplit(":", 2)
    if len(parts) != 3 or not parts[1].isdigit():
        return False
    host, pid_text, start = parts
    if host != socket.gethostname():
        return assume_alive_elsewhere
    pid = int(pid_text)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # it exists, owned by someone else
    fields = _stat(pid)
    if fields and fields[0] in ("Z", "X"):  # exited, not yet reaped by its parent
        return False
    return not start or (len(fields) > 19 and fields[19] == start)
