"""Every error lifecycle_widgets raises, in one place.

Hierarchy::

    LifecycleWidgetsError                  base of everything below
    ├── ParameterError(ValueError, TypeError)   a bad argument: names it, says what was expected
    ├── ColumnError(ParameterError)             a bad or missing column: names the column
    ├── MergeError                              two partial statistics that cannot be merged
    ├── UnknownNameError(ParameterError, KeyError)  a failed registry lookup: lists the valid names
    └── MissingDependencyError(ImportError)     an optional dependency is absent: names the extra
"""

from __future__ import annotations

from collections.abc import Iterable


class LifecycleWidgetsError(Exception):
    """Base class of every lifecycle_widgets error."""


class ParameterError(LifecycleWidgetsError, ValueError, TypeError):
    """A parameter got a value of the wrong type or outside its allowed values."""

    @classmethod
    def bad_value(cls, name: str, caller: str, expected: str, got: object) -> ParameterError:
        """Build the standard message: which parameter, of what, expected what, got what."""
        return cls(f"The {name!r} parameter of {caller} must be {expected}. Got {got!r} instead.")


class ColumnError(ParameterError):
    """A column is missing, duplicated, or holds values of the wrong kind."""

    def __init__(self, column: object, message: str) -> None:
        super().__init__(f"Column {column!r}: {message}")
        self.column = column


class MergeError(LifecycleWidgetsError):
    """Two partial statistics describe different things and cannot be merged."""


class UnknownNameError(ParameterError, KeyError):
    """A name that is not in a registry; the message lists the valid names."""

    def __init__(self, kind: str, name: object, known: Iterable[str]) -> None:
        self.known = sorted(known)
        super().__init__(f"No {kind} named {name!r}. Available: {', '.join(self.known)}.")

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


class MissingDependencyError(LifecycleWidgetsError, ImportError):
    """An optional dependency is not installed; the message names the extra that brings it."""

    def __init__(self, package: str, extra: str, purpose: str) -> None:
        super().__init__(
            f"{purpose} needs {package!r}, which is not installed. "
            f'Install it with: pip install "lifecycle_widgets[{extra}]"'
        )
        self.package = package
        self.extra = extra
