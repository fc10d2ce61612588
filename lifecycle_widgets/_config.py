"""Process-wide settings, in the manner of scikit-learn's ``set_config``.

Only one setting so far: the display mode of result objects.

- ``"live"``: the interactive ipywidgets panel (plus the static HTML fallback);
- ``"static"``: self-contained HTML only, no widget is created;
- ``"auto"`` (default): the environment variable ``LIFECYCLE_WIDGETS_DISPLAY`` when it is set;
  otherwise ``live`` when a notebook front end (JupyterLab, Notebook 7, VS Code) sent the cell
  being run, and ``static`` elsewhere: in plain ``papermill``/``nbclient`` runs, consoles and
  scripts. Front ends that run the notebook server-side first (Voila) get the static view unless
  ``LIFECYCLE_WIDGETS_DISPLAY=live`` is set.

A front end is recognised by the ``cellId`` that notebook front ends put in the metadata of each
execute request (nbclient sends none). So plain papermill plus plain nbconvert stores, and shows,
every figure, with no widget state and no variable to remember.

``LIFECYCLE_WIDGETS_FIGURES`` (``html`` by default, or ``mimetype``) says how static notebook
outputs carry figures: inside the HTML with plotly.js, or each as plotly's own mimetype, which
JupyterLab draws with its bundled plotly.js. Audit runs set ``mimetype``, so a record holds
plotly.js once (in its HTML export).
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from typing import Literal

from lifecycle_widgets.exceptions import ParameterError

DisplayMode = Literal["auto", "live", "static"]
DISPLAY_ENV = "LIFECYCLE_WIDGETS_DISPLAY"
_MODES = ("auto", "live", "static")
_config: dict[str, str] = {"display": "auto"}


def _check_mode(value: object, name: str, caller: str) -> str:
    if value not in _MODES:
        raise ParameterError.bad_value(name, caller, f"one of {_MODES}", value)
    return str(value)


def set_config(*, display: DisplayMode | None = None) -> None:
    """Change process-wide settings.

    Examples
    --------
    >>> import lifecycle_widgets as lw
    >>> lw.set_config(display="static")
    >>> lw.get_config()["display"]
    'static'
    >>> lw.set_config(display="auto")
    """
    if display is not None:
        _config["display"] = _check_mode(display, "display", "set_config")


def get_config() -> dict[str, str]:
    """Return a copy of the current settings."""
    return dict(_config)


@contextlib.contextmanager
def config_context(*, display: DisplayMode | None = None) -> Iterator[None]:
    """Change settings inside a ``with`` block only.

    Examples
    --------
    >>> import lifecycle_widgets as lw
    >>> with lw.config_context(display="static"):
    ...     lw.get_config()["display"]
    'static'
    """
    old = get_config()
    set_config(display=display)
    try:
        yield
    finally:
        _config.update(old)


def resolved_display_mode() -> str:
    """The display mode in force now: ``"live"`` or ``"static"``."""
    mode = _config["display"]
    if mode == "auto":
        env = os.environ.get(DISPLAY_ENV, "auto").strip().lower()
        mode = _check_mode(env, DISPLAY_ENV, "the environment")
    if mode == "auto":
        mode = "live" if _front_end_sent_this_cell() or _in_voila() else "static"
    return mode


# Voila runs a notebook in a kernel of its own and draws its widgets, but its cells carry no
# ``cellId``; it starts its kernels with these variables (voila/handler.py, voila_kernel_manager.py)
VOILA_ENV = ("VOILA_SERVER_URL", "VOILA_BASE_URL")


def _in_voila() -> bool:
    """True in a kernel Voila started (it draws widgets, so panels show live there)."""
    return any(name in os.environ for name in VOILA_ENV)


_front_end_seen = False


def _front_end_sent_this_cell() -> bool:
    """True when the code running now came from a notebook front end that draws widgets, or one
    such front end has sent a cell to this kernel before: code run from a widget callback (a comm
    message, with no ``cellId``) then still shows live panels."""
    global _front_end_seen
    if _front_end_seen:
        return True
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    kernel = getattr(shell, "kernel", None)
    if kernel is None:
        return False
    try:
        parent = kernel.get_parent("shell")
    except TypeError:  # ipykernel before 6.18 took no channel
        parent = kernel.get_parent()
    except Exception:
        return False
    metadata = (parent or {}).get("metadata") or {}
    _front_end_seen = "cellId" in metadata
    return _front_end_seen
