"""The display of a dataset diff: what changed first (rows removed, columns whose type changed),
then the rows, the schema and each column's statistics before and after."""

from __future__ import annotations

from lifecycle_widgets.core.dataset_diff import DatasetDiff, schema_change_text
from lifecycle_widgets.core.formatting import fmt_number
from lifecycle_widgets.figures import dataset_diff as figs
from lifecycle_widgets.panels import display
from lifecycle_widgets.panels import html as static

MISSING_JUMP = 0.05  # a column's missing share moving by more than this is named in the headline


def _share(value: float | None) -> str:
    return "" if value is None else f"{value:.1%}"


def dataset_diff_headline(diff: DatasetDiff) -> list[static.Attention]:
    """The summary line first (removed rows and schema changes need attention), then columns
    whose missing share moved by more than 5 points."""
    if diff.identical:
        return [static.Attention("ok", diff.summary())]
    severity = (
        "high"
        if any(c.change == "removed" for c in diff.columns)
        else "medium"
        if diff.rows_removed or any(c.change == "type" for c in diff.columns)
        else "low"
    )
    items = [static.Attention(severity, diff.summary())]
    for c in diff.columns:
        if (
            c.missing_before is not None
            and c.missing_after is not None
            and abs(c.missing_after - c.missing_before) > MISSING_JUMP
        ):
            items.append(
                static.Attention(
                    "medium",
                    f"column `{c.column}`: missing share {_share(c.missing_before)} → "
                    f"{_share(c.missing_after)}",
                )
            )
    return items


def _rows_html(diff: DatasetDiff) -> str:
    rows = [
        ("rows", f"{diff.old.rows:,}", f"{diff.new.rows:,}"),
        ("columns", f"{diff.old.columns:,}", f"{diff.new.columns:,}"),
        ("fingerprint", diff.old.fingerprint[:16], diff.new.fingerprint[:16]),
    ]
    out = static.table(rows, ["", "old", "new"], numeric=(1, 2))
    counts = [
        ("removed", f"{diff.rows_removed:,}", ", ".join(diff.removed_keys)),
        ("added", f"{diff.rows_added:,}", ", ".join(diff.added_keys)),
        ("changed", f"{diff.rows_changed:,}", ""),
        ("unchanged", f"{diff.rows_unchanged:,}", ""),
    ]
    key = ", ".join(static.esc(k) for k in diff.key)
    return (
        out
        + f"<p>Rows matched by <code>{key}</code>:</p>"
        + static.table(counts, ["rows", "count", "keys (examples)"], numeric=(1,))
    )


def _schema_html(diff: DatasetDiff) -> str:
    changes = diff.schema_changes
    if not changes:
        return "<p>Same columns, same types.</p>"
    rows = [
        (c.column, c.change if c.change != "type" else "type changed", c.old_dtype or "", c.new_dtype or "")
        for c in changes
    ]
    lines = "".join(f"<li>{static.short(schema_change_text(c), 300)}</li>" for c in changes)
    return f"<ul>{lines}</ul>" + static.table(rows, ["column", "change", "old type", "new type"])


def _columns_html(diff: DatasetDiff) -> str:
    rows = [
        (
            c.column,
            {"added": "added", "removed": "removed", "type": "type changed", "": ""}[c.change],
            "" if c.changed_rows is None else f"{c.changed_rows:,}",
            fmt_number(c.mean_before),
            fmt_number(c.mean_after),
            _share(c.missing_before),
            _share(c.missing_after),
            fmt_number(c.distinct_before),
            fmt_number(c.distinct_after),
        )
        for c in diff.columns
    ]
    header = [
        "column",
        "schema",
        "rows changed",
        "mean before",
        "mean after",
        "missing before",
        "missing after",
        "distinct before",
        "distinct after",
    ]
    return static.table(rows, header, numeric=tuple(range(2, 9)))


def dataset_diff_sections(diff: DatasetDiff) -> list[static.Section]:
    """Rows, schema, and columns (a table, changed rows per column, statistics before and after)."""
    rows = static.Section(
        "Rows",
        (static.HtmlBlock(_rows_html(diff)), static.FigureBlock("rows", figs.dataset_diff_rows_figure(diff))),
    )
    schema = static.Section("Schema", (static.HtmlBlock(_schema_html(diff)),))
    blocks: list[static.HtmlBlock | static.FigureBlock | static.PickerBlock] = [
        static.HtmlBlock(_columns_html(diff))
    ]
    if any(c.changed_rows for c in diff.columns):
        blocks.append(static.FigureBlock("changed_columns", figs.dataset_diff_columns_figure(diff)))
    blocks.append(
        static.PickerBlock(
            "statistics",
            "statistic",
            {name: figs.dataset_diff_stats_figure(diff, statistic=name) for name in figs.STATISTICS},
        )
    )
    return [rows, schema, static.Section("Columns", tuple(blocks))]


def dataset_diff_title(diff: DatasetDiff) -> str:
    """``Dataset diff by id: 10,000 → 9,120 rows``."""
    return f"Dataset diff by {', '.join(diff.key)}: {diff.old.rows:,} → {diff.new.rows:,} rows"


display.describe(
    DatasetDiff,
    display.Description(
        title=dataset_diff_title, sections=dataset_diff_sections, headline=dataset_diff_headline
    ),
)
