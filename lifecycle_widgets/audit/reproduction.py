"""``reproduce``: run a verified record's template again, as the reviewer supplies it, with the
record's parameters, and compare the values and the inputs."""

from __future__ import annotations

import math
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lifecycle_widgets.audit import manifest as mf
from lifecycle_widgets.audit.runner import AuditRecord, run
from lifecycle_widgets.audit.verification import verify
from lifecycle_widgets.exceptions import ParameterError
from lifecycle_widgets.store.keys import Signer, TrustedKeys
from lifecycle_widgets.store.trail import Head


@dataclass(frozen=True)
class Comparison:
    """One recorded value in the original and the reproduced record."""

    name: str
    original: Any
    reproduced: Any
    tolerance: float | None
    equal: bool


@dataclass(frozen=True)
class InputChange:
    """An input whose SHA-256 differs between the original run and the reproduction (None: the
    input was not there)."""

    name: str
    original: str | None
    reproduced: str | None

    def __str__(self) -> str:
        if self.original is None:
            return f"input {self.name!r} is new (SHA-256 {str(self.reproduced)[:16]}…)"
        if self.reproduced is None:
            return f"input {self.name!r} is gone (it had SHA-256 {self.original[:16]}…)"
        return f"input {self.name!r} changed: SHA-256 {self.original[:16]}… then, {self.reproduced[:16]}… now"


@dataclass(frozen=True)
class Reproduction:
    """The new record, the value-by-value comparison, and the inputs whose content changed;
    ``ok`` when the run succeeded on the same inputs and every value matched."""

    original: AuditRecord
    reproduced: AuditRecord
    comparisons: tuple[Comparison, ...]
    inputs_changed: tuple[InputChange, ...] = ()

    @property
    def ok(self) -> bool:
        return (
            self.reproduced.status == "succeeded"
            and not self.inputs_changed
            and all(c.equal for c in self.comparisons)
        )

    def table(self) -> str:
        """A plain-text table of every value, equal or not, then the inputs that changed."""
        rows = [("value", "status", "original", "reproduced")]
        for c in self.comparisons:
            tol = f" (±{c.tolerance:g})" if c.tolerance else ""
            rows.append(
                (c.name, ("equal" if c.equal else "DIFFERS") + tol, _short(c.original), _short(c.reproduced))
            )
        widths = [max(len(r[i]) for r in rows) for i in range(4)]
        lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)) for r in rows]
        lines += [str(change) for change in self.inputs_changed]
        if self.reproduced.status != "succeeded":
            lines.append(f"the reproduction {self.reproduced.status}")
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


def changed_inputs(original: dict[str, Any], reproduced: dict[str, Any]) -> tuple[InputChange, ...]:
    """The inputs (a manifest's ``inputs``) whose SHA-256 differs, by parameter name.

    Examples
    --------
    >>> changed_inputs({"data_path": {"sha256": "a" * 64}}, {"data_path": {"sha256": "b" * 64}})[0].name
    'data_path'
    """
    out = []
    for name in sorted(set(original) | set(reproduced)):
        a = (original.get(name) or {}).get("sha256")
        b = (reproduced.get(name) or {}).get("sha256")
        if a != b:
            out.append(InputChange(name, a, b))
    return tuple(out)


def reproduce(
    record: str | os.PathLike[str],
    *,
    template: str | os.PathLike[str],
    trusted_keys: TrustedKeys | str | os.PathLike[str] | None = None,
    store: str | os.PathLike[str] | None = None,
    heads: Iterable[Head | str] = (),
    out: str | os.PathLike[str] | None = None,
    progress: bool = True,
    signer: Signer | str | None = None,
) -> Reproduction:
    """Re-run a record that verifies, with the template *you* name, into a new record beside it
    (or in ``out``), and compare every recorded value and every input's hash.

    Nothing runs unless the record verifies (see :func:`~lifecycle_widgets.audit.verify`, which
    takes ``trusted_keys``, ``store`` and ``heads``) and ``template``'s SHA-256 equals the one in
    the manifest: the notebook that runs is one the reviewer chose, never a path from the record.

    Examples
    --------
    >>> import lifecycle_widgets as lw
    >>> rep = lw.audit.reproduce("audits/data_audit-20261127T101500Z",
    ...                          template="notebooks/data_audit.ipynb",
    ...                          trusted_keys="allowed_signers")  # doctest: +SKIP
    >>> rep.ok  # doctest: +SKIP
    True
    """
    template_path = Path(template)
    if not template_path.is_file():
        raise ParameterError(f"No template notebook at {str(template_path)!r}.")
    checked = verify(record, trusted_keys=trusted_keys, store=store, heads=heads)
    if not checked.ok:
        raise ParameterError(
            f"{checked.record} does not verify, so it is not reproduced:\n"
            + "\n".join(f"  - {p}" for p in checked.problems)
        )
    original = AuditRecord.open(record)
    expected = original.manifest["template"]["sha256"]
    found = mf.sha256_file(template_path)
    if found != expected:
        raise ParameterError(
            f"The template {str(template_path)!r} is not the one {checked.record} ran: its SHA-256 is "
            f"{found[:16]}…, the record's is {expected[:16]}…. Name the template the record was made with."
        )
    new = run(
        template_path,
        original.manifest["parameters"]["given"],
        out=out or original.path.parent,
        store=store,
        progress=progress,
        signer=signer,
    )
    names = list(dict.fromkeys([*original.manifest["recorded"], *new.manifest["recorded"]]))
    comparisons = []
    for name in names:
        a = original.manifest["recorded"].get(name)
        b = new.manifest["recorded"].get(name)
        tolerance = (a or {}).get("tolerance")
        equal = a is not None and b is not None and values_equal(a["value"], b["value"], tolerance)
        comparisons.append(Comparison(name, a and a["value"], b and b["value"], tolerance, equal))
    return Reproduction(
        original,
        new,
        tuple(comparisons),
        changed_inputs(original.manifest.get("inputs") or {}, new.manifest.get("inputs") or {}),
    )
