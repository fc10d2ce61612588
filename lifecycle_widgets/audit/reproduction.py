"""``reproduce``: run a record's template again with its parameters and compare the values."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lifecycle_widgets.audit import manifest as mf
from lifecycle_widgets.audit.runner import AuditRecord, run


@dataclass(frozen=True)
class Comparison:
    """One recorded value in the original and the reproduced record."""

    name: str
    original: Any
    reproduced: Any
    tolerance: float | None
    equal: bool


@dataclass(frozen=True)
class Reproduction:
    """The new record and the value-by-value comparison; ``ok`` when everything matched."""

    original: AuditRecord
    reproduced: AuditRecord
    comparisons: tuple[Comparison, ...]
    template_changed: bool

    @property
    def ok(self) -> bool:
        return (
            self.reproduced.status == "succeeded"
            and not self.template_changed
            and all(c.equal for c in self.comparisons)
        )

    def table(self) -> str:
        """A plain-text table of every value, equal or not."""
        rows = [("value", "status", "original", "reproduced")]
        for c in self.comparisons:
            tol = f" (±{c.tolerance:g})" if c.tolerance else ""
            rows.append(
                (c.name, ("equal" if c.equal else "DIFFERS") + tol, _short(c.original), _short(c.reproduced))
            )
        widths = [max(len(r[i]) for r in rows) for i in range(4)]
        lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)) for r in rows]
        if self.template_changed:
            lines.append("the template changed since the original run (SHA-256 differs)")
        lines.append(f"{'REPRODUCED' if self.ok else 'NOT REPRODUCED'}: {self.reproduced.path}")
        return "\n".join(lines)


def _short(value: Any) -> str:
    text = "—" if value is None else str(value)
    return text if len(text) <= 40 else text[:37] + "..."


def values_equal(a: Any, b: Any, tolerance: float | None = None) -> bool:
    """Equal, with numbers compared within ``tolerance`` (absolute) at any depth."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        if tolerance:
            return math.isclose(a, b, rel_tol=0.0, abs_tol=tolerance)
        return a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(values_equal(a[k], b[k], tolerance) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(values_equal(x, y, tolerance) for x, y in zip(a, b, strict=True))
    return a == b


def reproduce(
    record: str | os.PathLike[str],
    *,
    out: str | os.PathLike[str] | None = None,
    store: str | os.PathLike[str] | None = None,
    progress: bool = True,
) -> Reproduction:
    """Re-run ``record``'s template with the same parameters into a new record beside it (or in
    ``out``) and compare every recorded value.

    Examples
    --------
    >>> import lifecycle_widgets as lw
    >>> rep = lw.audit.reproduce("audits/data_audit-20261127T101500Z")  # doctest: +SKIP
    >>> rep.ok  # doctest: +SKIP
    True
    """
    original = AuditRecord.open(record)
    template = Path(original.manifest["template"]["path"])
    changed = not template.is_file() or mf.sha256_file(template) != original.manifest["template"]["sha256"]
    store = store if store is not None else original.manifest.get("trail", {}).get("store")
    new = run(
        template,
        original.manifest["parameters"]["given"],
        out=out or original.path.parent,
        store=store,
        progress=progress,
    )
    names = list(dict.fromkeys([*original.manifest["recorded"], *new.manifest["recorded"]]))
    comparisons = []
    for name in names:
        a = original.manifest["recorded"].get(name)
        b = new.manifest["recorded"].get(name)
        tolerance = (a or {}).get("tolerance")
        equal = a is not None and b is not None and values_equal(a["value"], b["value"], tolerance)
        comparisons.append(Comparison(name, a and a["value"], b and b["value"], tolerance, equal))
    return Reproduction(original, new, tuple(comparisons), changed)
