"""The base of every result object: frozen dataclasses that serialize and display themselves.

Compute functions return subclasses of :class:`Result`. A result holds plain values only, so it
round-trips through JSON (``to_dict`` / ``from_dict``). Display lives in the ``panels`` layer and
is reached lazily from ``_repr_mimebundle_``, ``panel``, ``figures`` and ``to_html``: the one
upward reference in the package, so that ``core`` imports neither plotly nor ipywidgets.
"""

from __future__ import annotations

import dataclasses
import json
import os
import tempfile
import types
import typing
from pathlib import Path
from typing import Any, ClassVar, Self

from lifecycle_widgets.exceptions import ParameterError

SCHEMA_VERSION = 1


# What _to_plain does with a value of each type, found once per type: a dataclass's field names,
# or one of these (a result of 5,000 x 270 SHAP values holds millions of floats, and asking
# ``dataclasses.is_dataclass`` of each took seconds)
_LEAF, _SEQUENCE, _MAPPING = "leaf", "sequence", "mapping"
_KINDS: dict[type, Any] = {}


def _kind(tp: type) -> Any:
    kind = _KINDS.get(tp)
    if kind is None:
        if dataclasses.is_dataclass(tp) and not issubclass(tp, type):
            kind = tuple(f.name for f in dataclasses.fields(tp))
        elif issubclass(tp, tuple | list):
            kind = _SEQUENCE
        elif issubclass(tp, dict):
            kind = _MAPPING
        else:
            kind = _LEAF
        _KINDS[tp] = kind
    return kind


def _to_plain(value: Any) -> Any:
    """``value`` with dataclasses as dicts of their fields, tuples as lists and dict keys as
    strings; anything else (numbers, strings, None, arrays) as it is.

    >>> import dataclasses
    >>> @dataclasses.dataclass
    ... class Point:
    ...     xy: tuple[float, float]
    ...     tags: dict
    >>> _to_plain([Point((1.0, 2.0), {1: ("a",)})])
    [{'xy': [1.0, 2.0], 'tags': {'1': ['a']}}]
    """
    kind = _kind(type(value))
    if kind is _LEAF:
        return value
    if kind is _SEQUENCE:
        # a flat run of numbers or strings (a row of SHAP values) is copied as it is
        if all(_kind(tp) is _LEAF for tp in set(map(type, value))):
            return list(value)
        return [_to_plain(v) for v in value]
    if kind is _MAPPING:
        return {str(k): _to_plain(v) for k, v in value.items()}
    return {name: _to_plain(getattr(value, name)) for name in kind}


def _from_plain(tp: Any, value: Any) -> Any:
    """Rebuild a value of type ``tp`` from JSON-plain data, following the type hints."""
    if value is None:
        return None
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(tp) if a is not type(None)]
        return _from_plain(options[0], value) if len(options) == 1 else value
    if dataclasses.is_dataclass(tp):
        hints = typing.get_type_hints(tp)
        known = {f.name for f in dataclasses.fields(tp) if f.init}
        unknown = set(value) - known
        if unknown:
            raise ParameterError(
                f"Cannot build {tp.__name__}: unknown keys {sorted(unknown)}; known keys are {sorted(known)}."
            )
        return tp(**{k: _from_plain(hints[k], v) for k, v in value.items()})
    if origin is tuple:
        args = typing.get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_from_plain(args[0], v) for v in value)
        return tuple(_from_plain(a, v) for a, v in zip(args, value, strict=True))
    if origin is dict:
        _, value_type = typing.get_args(tp)
        return {k: _from_plain(value_type, v) for k, v in value.items()}
    if tp is float and isinstance(value, int):
        return float(value)
    return value


def atomic_write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` to ``path`` through a temporary file in the same folder and a rename.

    Readers never see a half-written file: the rename is atomic on POSIX file systems.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the file the usual mode
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


@dataclasses.dataclass(frozen=True)
class Result:
    """Base class of result objects: JSON round trip plus the three displays.

    Subclasses are frozen dataclasses of plain values and set ``kind``, the name under
    which their serialized form is tagged.
    """

    kind: ClassVar[str] = "result"

    # --- serialization -------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Plain, JSON-serializable data, tagged with the result kind and schema version."""
        data = _to_plain(self)
        return {"kind": self.kind, "schema_version": SCHEMA_VERSION, **data}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        """Rebuild a result from :meth:`to_dict` output."""
        data = dict(data)
        kind = data.pop("kind", cls.kind)
        version = data.pop("schema_version", SCHEMA_VERSION)
        if kind != cls.kind:
            raise ParameterError(f"Cannot read a {kind!r} result as {cls.__name__} ({cls.kind!r}).")
        if version > SCHEMA_VERSION:
            raise ParameterError(
                f"This result was written by a newer lifecycle_widgets (schema {version}); "
                f"this version reads schema {SCHEMA_VERSION} and older."
            )
        return _from_plain(cls, data)

    def to_json(self, path: str | os.PathLike[str] | None = None, *, indent: int | None = 2) -> str:
        """Serialize to JSON; with ``path``, also write it there atomically."""
        text = json.dumps(self.to_dict(), indent=indent, allow_nan=False, ensure_ascii=False)
        if path is not None:
            atomic_write_text(path, text)
        return text

    @classmethod
    def read_json(cls, path: str | os.PathLike[str]) -> Self:
        """Read a result written by :meth:`to_json`."""
        return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))

    # --- display (lazy: the display layer is imported only when asked for) ----------------
    def figures(self) -> dict[str, Any]:
        """The result's plotly figures by name."""
        from lifecycle_widgets.panels import display

        return display.figures_of(self)

    def panel(self) -> Any:
        """The interactive ipywidgets panel for this result."""
        from lifecycle_widgets.panels import display

        return display.panel_of(self)

    def to_html(self, path: str | os.PathLike[str] | None = None, *, title: str | None = None) -> str:
        """One self-contained HTML document (plotly.js embedded once, no network needed).

        Returns the HTML; with ``path``, also writes it there atomically.
        """
        from lifecycle_widgets.panels import display

        html = display.html_document(self, title=title)
        if path is not None:
            atomic_write_text(path, html)
        return html

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        from lifecycle_widgets.panels import display

        return display.mimebundle(self)

    def _ipython_display_(self) -> None:
        from lifecycle_widgets.panels import display

        display.show(self)
