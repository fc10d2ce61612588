"""``lw.record``: values a template notebook records for its audit record.

A recorded value is displayed as an output with its own mimetype, so it lives in the executed
notebook itself; the audit runner reads it back into the record's manifest, and ``reproduce``
compares it, exactly or within the tolerance it was recorded with.
"""

from __future__ import annotations

import json
import math
from typing import Any

from lifecycle_widgets.exceptions import ParameterError

RECORD_MIME = "application/vnd.lifecycle-widgets.record+json"
_recorded: dict[str, dict[str, Any]] = {}


def _plain(name: str, value: Any) -> Any:
    try:
        import pandas as pd

        if isinstance(value, pd.DataFrame):
            return {"__frame__": json.loads(value.to_json(orient="split", date_format="iso"))}
        if isinstance(value, pd.Series):
            return {"__frame__": json.loads(value.to_frame().to_json(orient="split", date_format="iso"))}
    except ImportError:  # pragma: no cover - pandas is a dependency
        pass
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        raise ParameterError(f"lw.record({name!r}, ...): {value} cannot be recorded; record a finite number.")
    try:
        return json.loads(json.dumps(value, allow_nan=False))
    except (TypeError, ValueError) as err:
        raise ParameterError(
            f"lw.record({name!r}, ...) needs a JSON-serializable value or a DataFrame; "
            f"got {type(value).__name__}."
        ) from err


def record(name: str, value: Any, *, tolerance: float | None = None) -> None:
    """Record a named value in the running notebook's audit record.

    Parameters
    ----------
    name : str
        The value's name in the manifest; recording a name again replaces the value.
    value : JSON-serializable or pandas DataFrame/Series
    tolerance : float, optional
        Absolute tolerance that ``reproduce`` allows for numbers in this value.

    Examples
    --------
    >>> import lifecycle_widgets as lw
    >>> lw.record("rows", 20000)
    """
    if not isinstance(name, str) or not name:
        raise ParameterError.bad_value("name", "record", "a non-empty str", name)
    if tolerance is not None and (not isinstance(tolerance, int | float) or tolerance < 0):
        raise ParameterError.bad_value("tolerance", "record", "a number >= 0 or None", tolerance)
    entry = {"name": name, "value": _plain(name, value), "tolerance": tolerance}
    _recorded[name] = entry
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:
        return
    if get_ipython() is not None:
        text = f"recorded {name} = {json.dumps(entry['value'])[:200]}"
        display({RECORD_MIME: entry, "text/plain": text}, raw=True)


def recorded_in(notebook: Any) -> dict[str, dict[str, Any]]:
    """The values recorded in an executed notebook (the last recording of a name wins)."""
    found: dict[str, dict[str, Any]] = {}
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            entry = output.get("data", {}).get(RECORD_MIME)
            if entry:
                found[entry["name"]] = dict(entry)
    return found
