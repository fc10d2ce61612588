"""The static display of a batch of audit runs (``lw.audit.run_many``)."""

from __future__ import annotations

from lifecycle_widgets.core.batch import BatchSummary
from lifecycle_widgets.panels import display
from lifecycle_widgets.panels import html as static


def batch_sections(summary: BatchSummary) -> list[static.Section]:
    frame = summary.to_frame()
    rows = [[("" if v is None else v) for v in row] for row in frame.itertuples(index=False)]
    status_class = ["high" if r.status != "succeeded" else None for r in summary.runs]
    return [
        static.Section(
            "Runs", (static.HtmlBlock(static.table(rows, list(frame.columns), classes=status_class)),)
        )
    ]


def batch_headline(summary: BatchSummary) -> list[static.Attention]:
    if summary.failed:
        return [static.Attention("high", f"{len(summary.failed)} of {len(summary.runs)} runs failed")]
    return [static.Attention("ok", f"All {len(summary.runs)} runs succeeded")]


display.describe(
    BatchSummary,
    display.Description(
        title=lambda s: f"Audit batch of {s.template}", sections=batch_sections, headline=batch_headline
    ),
)
