"""``diff_records``: two records side by side: template, parameters, inputs, environment and
recorded values, with what differs marked."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any

from lifecycle_widgets.audit.runner import AuditRecord

SECTIONS = ("record", "parameters", "inputs", "environment", "values")
_WIDTH = 48
_IDENTITY = {("record", "name"), ("record", "started")}


@dataclass(frozen=True)
class DiffRow:
    """One fact of both records; ``None`` where a record does not have it."""

    section: str
    key: str
    a: Any
    b: Any

    @property
    def differs(self) -> bool:
        return self.a != self.b


@dataclass(frozen=True)
class RecordDiff:
    """Two records side by side. Every parameter, input and value is a row; of the installed
    packages, only those whose versions differ (``same_packages`` counts the others)."""

    a: str
    b: str
    rows: tuple[DiffRow, ...]
    same_packages: int

    @property
    def differs(self) -> bool:
        """Whether anything but the records' names and start times differs."""
        return any(r.differs for r in self.rows if (r.section, r.key) not in _IDENTITY)

    def table(self) -> str:
        """A plain-text table, ``*`` marking the rows that differ."""
        rows = [("", "section", "", self.a, self.b)]
        rows += [("*" if r.differs else " ", r.section, r.key, _text(r.a), _text(r.b)) for r in self.rows]
        widths = [max(len(r[i]) for r in rows) for i in range(5)]
        lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
        lines.append(f"  ({self.same_packages} installed packages have the same version in both)")
        return "\n".join(lines)


def _text(value: Any) -> str:
    if value is None:
        return "—"
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= _WIDTH else text[: _WIDTH - 1] + "…"


def _rows(section: str, a: dict[str, Any], b: dict[str, Any]) -> list[DiffRow]:
    return [DiffRow(section, k, a.get(k), b.get(k)) for k in sorted(set(a) | set(b))]


def diff_records(
    a: str | os.PathLike[str] | AuditRecord, b: str | os.PathLike[str] | AuditRecord
) -> RecordDiff:
    """Compare two records' manifests (as they are: :func:`verify` each one to trust them).

    Examples
    --------
    >>> import lifecycle_widgets as lw
    >>> d = lw.audit.diff_records("audits/data_audit-20261127T101500Z",
    ...                           "audits/data_audit-20261128T090000Z")  # doctest: +SKIP
    >>> [(r.key, r.a, r.b) for r in d.rows if r.differs and r.section == "parameters"]  # doctest: +SKIP
    [('demo_rows', 5000, 20000)]
    """
    ra = a if isinstance(a, AuditRecord) else AuditRecord.open(a)
    rb = b if isinstance(b, AuditRecord) else AuditRecord.open(b)
    ma, mb = ra.manifest, rb.manifest

    def facts(m: dict[str, Any]) -> dict[str, Any]:
        code = m.get("code_version") or {}
        return {
            "name": m.get("name"),
            "status": m.get("status"),
            "started": m.get("started"),
            "template SHA-256": (m.get("template") or {}).get("sha256"),
            "git commit": code.get("git_commit"),
            "uncommitted changes": code.get("dirty"),
            "lifecycle_widgets": m.get("lifecycle_widgets_version"),
            "signed by": (m.get("signature") or {}).get("key"),
        }

    def env(m: dict[str, Any]) -> dict[str, Any]:
        e = m.get("environment") or {}
        return {k: v for k, v in e.items() if k != "packages"}

    pa = (ma.get("environment") or {}).get("packages") or {}
    pb = (mb.get("environment") or {}).get("packages") or {}
    packages = {k: (pa.get(k), pb.get(k)) for k in sorted(set(pa) | set(pb))}
    rows = _rows("record", facts(ma), facts(mb))
    rows += _rows(
        "parameters",
        (ma.get("parameters") or {}).get("resolved") or {},
        (mb.get("parameters") or {}).get("resolved") or {},
    )
    rows += _rows(
        "inputs",
        {k: (v or {}).get("sha256") for k, v in (ma.get("inputs") or {}).items()},
        {k: (v or {}).get("sha256") for k, v in (mb.get("inputs") or {}).items()},
    )
    rows += _rows("environment", env(ma), env(mb))
    rows += [DiffRow("environment", f"package {k}", va, vb) for k, (va, vb) in packages.items() if va != vb]
    rows += _rows(
        "values",
        {k: (v or {}).get("value") for k, v in (ma.get("recorded") or {}).items()},
        {k: (v or {}).get("value") for k, v in (mb.get("recorded") or {}).items()},
    )
    same = sum(va == vb for va, vb in packages.values())
    return RecordDiff(ra.path.name, rb.path.name, tuple(rows), same)
