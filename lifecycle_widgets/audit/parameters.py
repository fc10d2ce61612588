"""A template's parameters, read from its cell tagged ``parameters``, and strict checking of the
values a run is given: an unknown name or a value of the wrong type is an error, not a warning."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Any

from lifecycle_widgets.exceptions import MissingDependencyError, ParameterError

_TYPES: dict[str, type] = {"str": str, "int": int, "float": float, "bool": bool, "list": list, "dict": dict}


@dataclass(frozen=True)
class TemplateParameter:
    """One parameter of a template: name, type of its default, default (as source) and help."""

    name: str
    type: str
    default: str
    help: str


def template_parameters(template: str | os.PathLike[str]) -> dict[str, TemplateParameter]:
    """The parameters of ``template``; an error when it has no cell tagged ``parameters``.

    Examples
    --------
    >>> from lifecycle_widgets.audit import template_parameters
    >>> params = template_parameters("notebooks/data_audit.ipynb")  # doctest: +SKIP
    >>> params["demo_rows"].type  # doctest: +SKIP
    'int'
    """
    try:
        import nbformat
        import papermill
    except ImportError as err:
        raise MissingDependencyError("papermill", "audit", "Reading template parameters") from err
    path = os.fspath(template)
    if not os.path.isfile(path):
        raise ParameterError(f"No template notebook at {path!r}.")
    nb = nbformat.read(path, as_version=4)
    if not any("parameters" in c.metadata.get("tags", []) for c in nb.cells):
        raise ParameterError(
            f"Template {path!r} has no cell tagged 'parameters'; tag the cell that holds the "
            "parameters' defaults (View > Cell Toolbar > Tags in Jupyter)."
        )
    found = papermill.inspect_notebook(path)
    return {
        name: TemplateParameter(name, spec["inferred_type_name"] or "None", spec["default"], spec["help"])
        for name, spec in found.items()
    }


def _coerce_text(name: str, text: str, expected: str) -> Any:
    """A ``-p name value`` string as the parameter's type (papermill coerces, then we check)."""
    if expected == "str":
        return text
    if expected == "bool":
        if text in ("True", "true", "1", "yes"):
            return True
        if text in ("False", "false", "0", "no"):
            return False
    else:
        try:
            if expected == "int":
                return int(text)
            if expected == "float":
                return float(text)
        except ValueError:
            pass
    if expected in ("list", "dict", "None"):
        import yaml

        return yaml.safe_load(text)
    raise ParameterError(f"Parameter {name!r} expects {expected}; got {text!r}, which is not one.")


def finite(value: Any) -> bool:
    """True when ``value`` holds no NaN or infinity at any depth (lists, dicts): a notebook
    receives parameters as source text, where ``nan`` and ``inf`` are not even names.

    Examples
    --------
    >>> from lifecycle_widgets.audit.parameters import finite
    >>> finite({"a": [1.0, 2]}), finite({"a": [1.0, float("nan")]})
    (True, False)
    """
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(finite(v) for v in value.values())
    if isinstance(value, list | tuple):
        return all(finite(v) for v in value)
    return True


def resolve_parameters(
    spec: dict[str, TemplateParameter], given: dict[str, Any], *, from_text: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """Check ``given`` against ``spec`` and return the values to inject.

    Names in ``from_text`` came from the command line as text and are coerced to the type of the
    default first; every other value must already have the right type (an int is accepted where
    a float is expected). NaN and infinity are refused, at any depth.
    """
    unknown = sorted(set(given) - set(spec))
    if unknown:
        raise ParameterError(
            f"Unknown parameter{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))}. "
            f"The template's parameters are: {', '.join(sorted(spec))}."
        )
    resolved = {}
    for name, value in given.items():
        expected = spec[name].type
        if name in from_text and isinstance(value, str):
            value = _coerce_text(name, value, expected)
        py_type = _TYPES.get(expected)
        ok = (
            py_type is None
            or isinstance(value, py_type)
            or (py_type is float and isinstance(value, int) and not isinstance(value, bool))
        )
        if py_type is int and isinstance(value, bool):
            ok = False
        if not ok:
            raise ParameterError(
                f"Parameter {name!r} expects {expected} (its default is {spec[name].default}); "
                f"got {type(value).__name__} {value!r}."
            )
        if not finite(value):
            raise ParameterError(
                f"Parameter {name!r} must hold finite numbers only; got {value!r} (NaN and infinity "
                "cannot be passed to a notebook)."
            )
        resolved[name] = float(value) if py_type is float else value
    return resolved
