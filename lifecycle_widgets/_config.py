"""Process-wide settings, in the manner of scikit-learn's ``set_config``.

Only one setting so far: the display mode of result objects.

- ``"live"``: the interactive ipywidgets panel (plus the static HTML fallback);
- ``"static"``: self-contained HTML only, no widget is created;
- ``"auto"`` (default): ``static`` when the environment variable
  ``LIFECYCLE_WIDGETS_DISPLAY=static`` is set (headless runs set it), ``live`` inside a
  Jupyter kernel, ``static`` elsewhere.
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


def _in_kernel() -> bool:
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    shell = ipython.get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def resolved_display_mode() -> str:
    """The display mode in force now: ``"live"`` or ``"static"``."""
    mode = _config["display"]
    if mode == "auto":
        env = os.environ.get(DISPLAY_ENV, "auto").strip().lower()
        mode = _check_mode(env, DISPLAY_ENV, "the environment")
    if mode == "auto":
        mode = "live" if _in_kernel() else "static"
    return mode
