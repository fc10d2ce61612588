"""The displays of performance estimates (CBPE, DLE) and multivariate drift: what left the
reference's range first, then one figure per metric or method and the numbers by chunk."""

from __future__ import annotations

from lifecycle_widgets.core.drift.multivariate import MultivariateDrift
from lifecycle_widgets.core.drift.performance_estimation import METRIC_LABELS, PerformanceEstimate
from lifecycle_widgets.core.formatting import fmt_number
from lifecycle_widgets.figures import estimation as figs
from lifecycle_widgets.panels import display
from lifecycle_widgets.panels import html as static

METHOD_NAMES = {
    "cbpe": "CBPE (confidence-based performance estimation)",
    "dle": "DLE (direct loss estimation)",
}
HIGHER_IS_WORSE = {"mae", "rmse"}


def _range(lower: float | None, upper: float | None) -> str:
    if lower is None and upper is None:
        return "no range"
    if lower == upper:
        return f"every reference chunk {fmt_number(lower)}"
    return f"{fmt_number(lower) if lower is not None else '−∞'} to {fmt_number(upper) if upper is not None else '∞'}"


def _chunks_named(labels: list[str], limit: int = 4) -> str:
    shown = ", ".join(repr(label) for label in labels[:limit])
    return shown + (f" and {len(labels) - limit} more" if len(labels) > limit else "")


# --- performance estimates ------------------------------------------------------------------
def estimate_headline(result: PerformanceEstimate) -> list[static.Attention]:
    """Metrics whose estimate left the reference's range (high), realized values outside the
    range or outside their estimate's band (medium), else that all is within range (ok)."""
    items = []
    chunks = result.analysis
    for m in result.metrics:
        label = METRIC_LABELS.get(m, m)
        t = result.thresholds[m]
        alerted = [c for c in chunks if c.values[m].alert]
        if alerted:
            last = alerted[-1]
            v = last.values[m]
            direction = (
                "above"
                if t.upper is not None and v.estimate is not None and v.estimate > t.upper
                else "below"
            )
            realized = f", realized {fmt_number(v.realized)}" if v.realized is not None else ""
            items.append(
                static.Attention(
                    "high",
                    f"Estimated {label} {direction} the reference's range ({_range(t.lower, t.upper)}) in "
                    f"{len(alerted)} of {len(chunks)} chunks: {_chunks_named([c.label for c in alerted])}; "
                    f"the latest, {last.label!r}, estimated {fmt_number(v.estimate)}{realized}",
                )
            )
        realized_out = [
            c
            for c in chunks
            if not c.values[m].alert and c.values[m].realized is not None and t.outside(c.values[m].realized)
        ]
        if realized_out:
            items.append(
                static.Attention(
                    "medium",
                    f"Realized {label} outside the reference's range in {_chunks_named([c.label for c in realized_out])}, "
                    "where the estimate stayed inside",
                )
            )
        off = [c for c in chunks if c.values[m].realized_in_band is False]
        if off:
            items.append(
                static.Attention(
                    "medium",
                    f"Realized {label} outside the estimate's ±3 SE band in {_chunks_named([c.label for c in off])}: "
                    "the relation of the target to the features may have changed (concept drift), which "
                    f"{result.method.upper()} cannot see",
                )
            )
    if not items:
        items.append(
            static.Attention(
                "ok", f"Estimated performance within the reference's range in all {len(chunks)} chunks"
            )
        )
    return items


def estimate_summary_html(result: PerformanceEstimate) -> str:
    calibration = ""
    if result.method == "cbpe":
        calibration = (
            f"isotonic, for class{'es' if len(result.calibrated) > 1 else ''} {', '.join(result.calibrated)}"
            if result.calibrated
            else "none needed (recalibration did not lower the calibration error)"
        )
    chunking = (
        f"{result.chunk_size:,} rows a chunk"
        if result.chunk_size
        else f"{result.chunk_number or 10} chunks of each frame (or one chunk per batch)"
    )
    rows = [
        ("Method", METHOD_NAMES[result.method]),
        ("Model", f"{result.model} ({result.problem_type})"),
        ("Target", result.target),
        ("Reference", f"{result.reference_rows:,} rows in {len(result.reference)} chunks"),
        ("Chunking", chunking),
    ]
    if result.classes:
        rows.append(("Classes", ", ".join(result.classes)))
    if calibration:
        rows.append(("Calibration", calibration))
    rows += [("Note", n) for n in result.notes]
    return static.table(rows)


def estimate_thresholds_html(result: PerformanceEstimate) -> str:
    rows = [
        (METRIC_LABELS.get(m, m), fmt_number(t.lower), fmt_number(t.upper))
        for m, t in result.thresholds.items()
    ]
    return static.table(rows, ["metric", "lower threshold", "upper threshold"], numeric=(1, 2))


def estimate_chunks_html(result: PerformanceEstimate) -> str:
    header = ["chunk", "rows", "labelled"]
    for m in result.metrics:
        label = METRIC_LABELS.get(m, m)
        header += [f"{label} estimated", f"{label} band", f"{label} realized"]
    rows, classes = [], []
    for c in result.analysis:
        row: list[object] = [c.label, f"{c.rows:,}", f"{c.labelled:,}"]
        for m in result.metrics:
            v = c.values[m]
            row += [
                fmt_number(v.estimate) + (" ⚠" if v.alert else ""),
                _range(v.lower, v.upper) if v.lower is not None else "",
                fmt_number(v.realized),
            ]
        rows.append(row)
        classes.append("high" if any(c.values[m].alert for m in result.metrics) else None)
    numeric = (1, 2, *(i for i in range(3, len(header)) if (i - 3) % 3 != 1))  # bands are ranges, not numbers
    return static.table(rows, header, numeric=numeric, classes=classes)


def estimate_sections(result: PerformanceEstimate) -> list[static.Section]:
    S, F, H = static.Section, static.FigureBlock, static.HtmlBlock
    return [
        S("Summary", (H(estimate_summary_html(result)),)),
        S("Metrics by chunk", tuple(F(m, figs.performance_figure(result, m)) for m in result.metrics)),
        S("Chunks", (H(estimate_chunks_html(result)),)),
        S(
            "Thresholds (realized metric on the reference's chunks, mean ± 3 sd)",
            (H(estimate_thresholds_html(result)),),
        ),
    ]


# --- multivariate drift ---------------------------------------------------------------------
def multivariate_headline(result: MultivariateDrift) -> list[static.Attention]:
    """Chunks that either method flags (high), else that none is flagged (ok)."""
    items = []
    chunks = result.analysis
    t = result.reconstruction_thresholds
    recon = [c for c in chunks if c.reconstruction_alert]
    if recon and t is not None:
        last = recon[-1]
        items.append(
            static.Attention(
                "high",
                f"Reconstruction error outside the reference's range ({_range(t.lower, t.upper)}) in {len(recon)} of "
                f"{len(chunks)} chunks: {_chunks_named([c.label for c in recon])}; latest {last.label!r} "
                f"{fmt_number(last.reconstruction_error)}",
            )
        )
    domain = [c for c in chunks if c.domain_alert]
    if domain and result.domain_threshold is not None:
        last = domain[-1]
        items.append(
            static.Attention(
                "high",
                f"A classifier tells {len(domain)} of {len(chunks)} chunks from the reference (ROC AUC above "
                f"{fmt_number(result.domain_threshold)}): {_chunks_named([c.label for c in domain])}; latest "
                f"{last.label!r} {fmt_number(last.domain_auc)}",
            )
        )
    if not items:
        items.append(static.Attention("ok", f"No multivariate drift in {len(chunks)} chunks"))
    return items


def multivariate_summary_html(result: MultivariateDrift) -> str:
    rows = [
        ("Features", ", ".join(result.features)),
        ("Categorical", ", ".join(result.categorical) or "none"),
        ("Reference", f"{result.reference_rows:,} rows"),
    ]
    if result.components is not None:
        rows.append(
            (
                "Principal components",
                f"{result.components} of {len(result.features)}, explaining "
                f"{fmt_number(100 * (result.explained_variance or 0.0), digits=3)} % of the reference's variance",
            )
        )
    if result.reconstruction_thresholds is not None:
        t = result.reconstruction_thresholds
        rows.append(
            ("Reconstruction error range", f"{_range(t.lower, t.upper)} (reference chunks, mean ± 3 sd)")
        )
    if result.domain_threshold is not None:
        rows.append(("Domain classifier threshold", f"ROC AUC above {fmt_number(result.domain_threshold)}"))
    rows += [("Note", n) for n in result.notes]
    return static.table(rows)


def multivariate_chunks_html(result: MultivariateDrift) -> str:
    rows = [
        (
            c.label,
            f"{c.rows:,}",
            fmt_number(c.reconstruction_error) + (" ⚠" if c.reconstruction_alert else ""),
            fmt_number(c.sampling_error),
            fmt_number(c.domain_auc) + (" ⚠" if c.domain_alert else ""),
        )
        for c in result.analysis
    ]
    return static.table(
        rows,
        ["chunk", "rows", "reconstruction error", "sampling error", "domain classifier ROC AUC"],
        numeric=(1, 2, 3, 4),
        classes=["high" if c.alert else None for c in result.analysis],
    )


def multivariate_sections(result: MultivariateDrift) -> list[static.Section]:
    S, F, H = static.Section, static.FigureBlock, static.HtmlBlock
    blocks: list[static.Block] = []
    if "reconstruction" in result.methods:
        blocks.append(F("reconstruction", figs.reconstruction_figure(result)))
    if "domain_classifier" in result.methods:
        blocks.append(F("domain classifier", figs.domain_classifier_figure(result)))
    return [
        S("Summary", (H(multivariate_summary_html(result)),)),
        S("By chunk", tuple(blocks)),
        S("Chunks", (H(multivariate_chunks_html(result)),)),
    ]


display.describe(
    PerformanceEstimate,
    display.Description(
        title=lambda r: f"Estimated performance ({r.method.upper()}, {r.problem_type})",
        sections=estimate_sections,
        headline=estimate_headline,
    ),
)
display.describe(
    MultivariateDrift,
    display.Description(
        title=lambda r: "Multivariate drift",
        sections=multivariate_sections,
        headline=multivariate_headline,
    ),
)
