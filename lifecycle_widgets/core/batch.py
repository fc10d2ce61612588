"""The summary of many audit runs of one template (``lw.audit.run_many``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from lifecycle_widgets.core.result import Result


@dataclass(frozen=True)
class BatchRun:
    """One parameter set of a batch: its record and status, or the error that stopped it."""

    parameters: dict[str, Any]
    status: str
    record: str | None = None
    error: str | None = None
    values: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class BatchSummary(Result):
    """Statuses and recorded values of every run of a batch.

    Examples
    --------
    >>> from lifecycle_widgets.core.batch import BatchRun, BatchSummary
    >>> s = BatchSummary("t.ipynb", (BatchRun({"x": 1}, "succeeded", "audits/t-1", values={"auc": 0.9}),))
    >>> s.to_frame()["status"].tolist()
    ['succeeded']
    """

    kind: ClassVar[str] = "audit_batch"

    template: str
    runs: tuple[BatchRun, ...]

    @property
    def failed(self) -> tuple[BatchRun, ...]:
        return tuple(r for r in self.runs if r.status != "succeeded")

    def to_frame(self) -> Any:
        """One row per run: parameters, status, record, error, then each recorded scalar value."""
        import pandas as pd

        rows = []
        for r in self.runs:
            row: dict[str, Any] = {f"param.{k}": v for k, v in r.parameters.items()}
            row.update(status=r.status, record=r.record, error=r.error)
            row.update({k: v for k, v in r.values.items() if isinstance(v, int | float | str | bool)})
            rows.append(row)
        return pd.DataFrame(rows)

    def __repr__(self) -> str:
        return f"<BatchSummary {self.template}: {len(self.runs)} runs, {len(self.failed)} failed>"
