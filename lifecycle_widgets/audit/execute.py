"""Run a template notebook headless with papermill, in static display mode."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from lifecycle_widgets._config import DISPLAY_ENV
from lifecycle_widgets.core.result import atomic_write_text
from lifecycle_widgets.exceptions import MissingDependencyError


@contextlib.contextmanager
def headless_environment(extra: dict[str, str] | None = None) -> Iterator[None]:
    """Kernels started inside see ``LIFECYCLE_WIDGETS_DISPLAY=static`` (results emit static HTML
    and create no widget, so nothing depends on a widget manager or a network), and ``extra``."""
    values = {DISPLAY_ENV: "static", **(extra or {})}
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in old.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def execute_notebook(
    template: str | os.PathLike[str],
    output: str | os.PathLike[str],
    parameters: dict[str, Any] | None = None,
    *,
    kernel_name: str | None = None,
    cell_timeout: int = 600,
    progress: bool = True,
    cwd: str | None = None,
    env: dict[str, str] | None = None,
) -> Any:
    """Execute ``template`` with papermill into ``output``; returns the executed notebook node.

    Widget state is removed from the executed notebook: since plotly 6 it would carry plotly.js
    per figure widget, and no exported page could show it offline anyway. (It is stripped after
    the run rather than not collected, because nbclient's ``store_widget_state=False`` crashes
    on Output widgets, which ``ipywidgets.interact`` uses.)

    Examples
    --------
    >>> from lifecycle_widgets.audit.execute import execute_notebook
    >>> nb = execute_notebook("notebooks/data_audit.ipynb", "/tmp/out.ipynb",
    ...                       {"demo_rows": 2000})  # doctest: +SKIP
    """
    try:
        import papermill
    except ImportError as err:
        raise MissingDependencyError("papermill", "audit", "Running template notebooks") from err
    try:
        with headless_environment(env):
            return papermill.execute_notebook(
                os.fspath(template),
                os.fspath(output),
                parameters=parameters or {},
                kernel_name=kernel_name,
                progress_bar=progress,
                execution_timeout=cell_timeout,
                cwd=cwd or str(Path(template).resolve().parent),
            )
    finally:
        _strip_widget_state(Path(output))


def _strip_widget_state(path: Path) -> None:
    import nbformat

    if not path.exists():
        return
    nb = nbformat.read(path, as_version=4)
    if nb.metadata.pop("widgets", None) is not None:
        atomic_write_text(path, nbformat.writes(nb))
