"""The static display of calibration results."""

from __future__ import annotations

from lifecycle_widgets.core.explain.calibrate import Calibration
from lifecycle_widgets.core.formatting import fmt_number
from lifecycle_widgets.figures import calibration as figs
from lifecycle_widgets.panels import display
from lifecycle_widgets.panels import html as static


def calibration_html(cal: Calibration) -> str:
    rows = [
        (
            label,
            fmt_number(getattr(cal.before, name)),
            fmt_number(getattr(cal.after, name)) if cal.after else "",
        )
        for name, label in (("ece", "ECE"), ("mce", "MCE"), ("brier", "Brier"), ("log_loss", "log loss"))
    ]
    head = (
        f"<p>Temperature fitted on {cal.n_fit:,} validation rows: <b>{fmt_number(cal.temperature)}</b>; "
        f"measured on {cal.n_eval:,} other rows.</p>"
        if cal.temperature is not None
        else ""
    )
    notes = "".join(f'<p class="lw-note">{static.esc(n)}</p>' for n in cal.notes)
    return (
        head + static.table(rows, ["metric", "before", "after temperature scaling"], numeric=(1, 2)) + notes
    )


def calibration_headline(cal: Calibration) -> list[static.Attention]:
    ece = cal.before.ece
    if ece is None:
        return []
    if ece > 0.1:
        return [static.Attention("high", f"Poorly calibrated: ECE {fmt_number(ece)} (above 0.1)")]
    if ece > 0.05:
        return [static.Attention("medium", f"Calibration error ECE {fmt_number(ece)} (above 0.05)")]
    return [static.Attention("ok", f"Well calibrated: ECE {fmt_number(ece)}")]


def calibration_sections(cal: Calibration) -> list[static.Section]:
    return static.table_and_figure(
        "Calibration", calibration_html(cal), "calibration", figs.calibration_figure(cal)
    )


display.describe(
    Calibration,
    display.Description(
        title=lambda c: f"Calibration of {c.n:,} predictions",
        sections=calibration_sections,
        headline=calibration_headline,
    ),
)
