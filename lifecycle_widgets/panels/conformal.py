"""The display of conformal prediction results (:class:`Conformal`): whether the intervals or
sets covered as often as promised, first; then coverage per class or bin, and the sets or
intervals themselves."""

from __future__ import annotations

from lifecycle_widgets.core.explain.conformal import Conformal
from lifecycle_widgets.core.formatting import fmt_number
from lifecycle_widgets.figures import conformal as figs
from lifecycle_widgets.panels import display
from lifecycle_widgets.panels import html as static

_MAX_GROUP_LINES = 3


def _p(value: float | None) -> str:
    return fmt_number(value, digits=3)


def _ci(lo: float | None, hi: float | None, level: float) -> str:
    return f"{level:.0%} CI {_p(lo)} to {_p(hi)}"


def conformal_headline(res: Conformal) -> list[static.Attention]:
    """Overall coverage against the target first, then groups covered less than the target
    (empty prediction sets are a note of the summary)."""
    ci = _ci(*res.coverage_ci, res.ci_level)
    promised = f"split conformal gives {_p(res.expected_band[0])} to {_p(res.expected_band[1])} here"
    if res.status == "below":
        items = [
            static.Attention(
                "high", f"Coverage {_p(res.coverage)} below the {res.confidence:g} target ({ci}; {promised})"
            )
        ]
    elif res.status == "above":
        size = "sets" if res.is_classifier else "intervals"
        items = [
            static.Attention(
                "low",
                f"Coverage {_p(res.coverage)} above the {res.confidence:g} target: {size} wider than needed "
                f"({ci}; {promised})",
            )
        ]
    else:
        items = [
            static.Attention("ok", f"Coverage {_p(res.coverage)} meets the {res.confidence:g} target ({ci})")
        ]
    what = "Class" if res.is_classifier else "Predictions"
    short = [g for g in res.groups if g.upper is not None and g.upper < res.confidence]
    for g in sorted(short, key=lambda g: g.coverage or 0.0)[:_MAX_GROUP_LINES]:
        label = repr(g.label) if res.is_classifier else g.label
        items.append(
            static.Attention(
                "medium",
                f"{what} {label} covered {_p(g.coverage)} ({_ci(g.lower, g.upper, res.ci_level)}), "
                f"below the target: coverage is promised over all rows, not per group",
            )
        )
    if res.empty_sets:
        items.append(
            static.Attention(
                "low", f"{res.empty_sets:,} of {res.n_test:,} test rows got an empty prediction set"
            )
        )
    return items


def summary_html(res: Conformal) -> str:
    """Target, coverage with its interval, the promised band, and the size of sets or intervals."""
    size = (
        [("mean set size", f"{_p(res.mean_set_size)} of {len(res.classes)} classes")]
        if res.is_classifier
        else [
            ("mean interval width", fmt_number(res.mean_width)),
            ("median interval width", fmt_number(res.median_width)),
        ]
    )
    rows = [
        ("model", res.model),
        ("conformity score", res.method),
        ("target coverage", f"{res.confidence:g}"),
        ("coverage on test rows", f"{_p(res.coverage)} ({res.covered:,} of {res.n_test:,})"),
        (f"{res.ci_level:.0%} interval", f"{_p(res.coverage_ci[0])} to {_p(res.coverage_ci[1])}"),
        (
            "promised band",
            f"{_p(res.expected_band[0])} to {_p(res.expected_band[1])} (mean {_p(res.expected)})",
        ),
        ("calibration rows", f"{res.n_calib:,}"),
        *size,
    ]
    notes = "".join(f'<p class="lw-note">{static.esc(n)}</p>' for n in res.notes)
    return static.table(rows) + notes


def groups_html(res: Conformal) -> str:
    """Coverage per true class or per bin of the prediction."""
    size = "mean set size" if res.is_classifier else "mean width"
    rows = [
        (g.label, f"{g.count:,}", _p(g.coverage), f"{_p(g.lower)} to {_p(g.upper)}", fmt_number(g.mean_size))
        for g in res.groups
    ]
    classes = ["high" if g.upper is not None and g.upper < res.confidence else None for g in res.groups]
    header = ["true class" if res.is_classifier else "predicted value", "rows", "coverage", "interval", size]
    return static.table(rows, header, numeric=(1, 2, 4), classes=classes)


def conformal_sections(res: Conformal) -> list[static.Section]:
    """Summary; coverage per group; the set sizes or a sample of intervals."""
    detail = (
        static.FigureBlock("conformal_set_sizes", figs.conformal_set_sizes_figure(res))
        if res.is_classifier
        else static.FigureBlock("conformal_intervals", figs.conformal_intervals_figure(res))
    )
    return [
        static.Section("Coverage", (static.HtmlBlock(summary_html(res)), detail)),
        static.Section(
            "Coverage per class" if res.is_classifier else "Coverage per bin of the prediction",
            (
                static.HtmlBlock(groups_html(res)),
                static.FigureBlock("conformal_coverage", figs.conformal_coverage_figure(res)),
            ),
        ),
    ]


display.describe(
    Conformal,
    display.Description(
        title=lambda r: (
            f"Conformal {'prediction sets' if r.is_classifier else 'intervals'} at {r.confidence:g} "
            f"on {r.n_test:,} test rows"
        ),
        sections=conformal_sections,
        headline=conformal_headline,
    ),
)
