"""The display of calibration results: how far the probabilities are off, which recalibration
map the held-out rows chose, every map's scores, and (several classes) each class's reliability."""

from __future__ import annotations

from lifecycle_widgets.core.explain.calibrate import Calibration
from lifecycle_widgets.core.formatting import fmt_number
from lifecycle_widgets.figures import calibration as figs
from lifecycle_widgets.panels import display
from lifecycle_widgets.panels import html as static

_METRICS = (("ece", "ECE"), ("mce", "MCE"), ("brier", "Brier"), ("log_loss", "log loss"))


def _after_label(cal: Calibration) -> str:
    return "after (no map chosen)" if cal.method == "none" else f"after {cal.method}"


def calibration_html(cal: Calibration) -> str:
    """The before/after table, the fit and evaluation rows and the rule that chose the map."""
    rows = [
        (label, fmt_number(getattr(cal.before, name)), fmt_number(getattr(cal.after, name)))
        for name, label in _METRICS
    ]
    if cal.multiclass and cal.before.classwise_ece is not None:
        rows.append(
            ("classwise ECE", fmt_number(cal.before.classwise_ece), fmt_number(cal.after.classwise_ece))
        )
    how = (
        "chosen by held-out log loss (a simpler map within one standard error of the best is preferred)"
        if cal.selection == "auto"
        else "named by the caller"
    )
    head = (
        f"<p>Maps fitted on {cal.n_fit:,} rows, measured on {cal.n_eval:,} other rows; "
        f"<b>{static.esc(cal.method)}</b> {how}. Fitted temperature {fmt_number(cal.temperature)}.</p>"
        if cal.methods
        else f"<p>Temperature fitted on {cal.n_fit:,} validation rows: <b>{fmt_number(cal.temperature)}</b>; "
        f"measured on {cal.n_eval:,} other rows.</p>"
    )
    notes = "".join(f'<p class="lw-note">{static.esc(n)}</p>' for n in cal.notes)
    return static.table(rows, ["metric", "before", _after_label(cal)], numeric=(1, 2)) + head + notes


def methods_html(cal: Calibration) -> str:
    """One row per recalibration map: its held-out scores and its drop in log loss."""
    rows = [
        (
            f"{m.name} (chosen)" if m.name == cal.method else m.name,
            fmt_number(m.metrics.ece),
            fmt_number(m.metrics.brier),
            fmt_number(m.metrics.log_loss),
            f"{fmt_number(m.improvement)} ± {fmt_number(m.improvement_se)}",
            ", ".join(f"{k} {fmt_number(v)}" for k, v in list(m.parameters.items())[:6])
            + (" …" if len(m.parameters) > 6 else ""),
        )
        for m in cal.methods
    ]
    classes = ["ok" if m.name == cal.method else None for m in cal.methods]
    return static.table(
        rows,
        ["map", "ECE", "Brier", "log loss", "log loss drop ± se", "fitted"],
        numeric=(1, 2, 3, 4),
        classes=classes,
    )


def classes_html(cal: Calibration) -> str:
    """Each class's one-vs-rest ECE, before and after."""
    rows = [
        (c.label, fmt_number(c.ece), fmt_number(a.ece))
        for c, a in zip(cal.before.per_class, cal.after.per_class, strict=True)
    ]
    return static.table(rows, ["class", "ECE before", f"ECE {_after_label(cal)}"], numeric=(1, 2))


def calibration_headline(cal: Calibration) -> list[static.Attention]:
    """How far off the probabilities are (ECE as given), then what the chosen map does."""
    ece = cal.before.ece
    if ece is None:
        return []
    fix = (
        f"; {cal.method} lowers it to {fmt_number(cal.after.ece)} on held-out rows"
        if cal.method != "none" and cal.methods
        else ""
    )
    if ece > 0.1:
        items = [static.Attention("high", f"Poorly calibrated: ECE {fmt_number(ece)} (above 0.1){fix}")]
    elif ece > 0.05:
        items = [static.Attention("medium", f"Calibration error ECE {fmt_number(ece)} (above 0.05){fix}")]
    else:
        items = [static.Attention("ok", f"Well calibrated: ECE {fmt_number(ece)}{fix}")]
    if cal.multiclass and cal.before.per_class:
        worst = max(cal.before.per_class, key=lambda c: c.ece)
        if worst.ece > 0.1 and ece <= 0.1:
            items.append(
                static.Attention(
                    "medium",
                    f"Class {worst.label!r} is poorly calibrated: one-vs-rest ECE {fmt_number(worst.ece)}",
                )
            )
    return items


def calibration_sections(cal: Calibration) -> list[static.Section]:
    """The calibration section (table and reliability diagram), the maps compared, and the
    per-class reliability of a multiclass problem."""
    sections = static.table_and_figure(
        "Calibration", calibration_html(cal), "calibration", figs.calibration_figure(cal)
    )
    if cal.methods:
        sections.append(
            static.Section(
                "Recalibration maps",
                (
                    static.HtmlBlock(methods_html(cal)),
                    static.FigureBlock("calibration_methods", figs.calibration_methods_figure(cal)),
                ),
            )
        )
    if cal.multiclass and cal.before.per_class:
        sections.append(
            static.Section(
                "Reliability per class",
                (
                    static.HtmlBlock(classes_html(cal)),
                    static.PickerBlock(
                        "calibration_classes",
                        "Probabilities",
                        {
                            "before": figs.calibration_classes_figure(cal, stage="before"),
                            "after": figs.calibration_classes_figure(cal, stage="after"),
                        },
                    ),
                ),
            )
        )
    return sections


display.describe(
    Calibration,
    display.Description(
        title=lambda c: f"Calibration of {c.n:,} predictions",
        sections=calibration_sections,
        headline=calibration_headline,
    ),
)
