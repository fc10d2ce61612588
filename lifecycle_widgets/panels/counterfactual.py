"""The display of counterfactual sets: per row, a table of its counterfactuals with the changed
cells highlighted and their measures, and a figure of what each one changes."""

from __future__ import annotations

from lifecycle_widgets.core.explain.counterfactual_result import CounterfactualSet, RowCounterfactuals
from lifecycle_widgets.core.formatting import fmt_number
from lifecycle_widgets.figures import counterfactual as figs
from lifecycle_widgets.panels import display
from lifecycle_widgets.panels import html as static

MAX_ROWS = 10  # rows shown one by one (the rest are counted in the summary)


def _measure(value: float | None) -> str:
    return "–" if value is None else fmt_number(value, digits=3)


def summary_html(cfs: CounterfactualSet) -> str:
    """The search's settings and the set's mean measures, as a key-value table."""
    s = cfs.summary()
    ranges = "; ".join(
        f"{name}: {figs.value_label(spec[0])} to {figs.value_label(spec[1])}"
        if name in cfs.mad
        else f"{name}: {', '.join(figs.value_label(v) for v in spec)}"
        for name, spec in cfs.permitted_range.items()
    )
    rows = [
        ("Model", f"{cfs.model} ({cfs.task})"),
        ("Rows", f"{len(cfs.rows):,}"),
        ("Counterfactuals asked per row (k)", cfs.k),
        ("Features varied", f"{len(cfs.varied)} of {len(cfs.features)}"),
        ("Immutable", ", ".join(cfs.immutable) or "none"),
        ("Permitted ranges", ranges or "as observed in the reference data"),
        ("Validity (valid / asked)", f"{s['validity']:.0%}"),
        ("Features changed (mean)", _measure(s["n_changed"])),
        ("Proximity, continuous (mean |Δ|/MAD)", _measure(s["proximity_continuous"])),
        ("Proximity, categorical (share changed)", _measure(s["proximity_categorical"])),
        ("Diversity (mean pairwise distance)", _measure(s["diversity"])),
        ("Seconds per row", _measure(s["seconds_per_row"])),
    ]
    notes = "".join(f'<p class="lw-note">{static.esc(n)}</p>' for n in cfs.notes)
    return static.table(rows) + notes


def row_html(cfs: CounterfactualSet, r: RowCounterfactuals) -> str:
    """The row and its counterfactuals, one line each: the prediction, every feature any of them
    changes (changed cells highlighted, the old value on hover) and the measures."""
    head = (
        f"<p>Now <b>{static.short(r.prediction)}</b>; wanted: <b>{static.short(r.desired)}</b>. "
        f"{len(r.counterfactuals)} counterfactual{'s' if len(r.counterfactuals) != 1 else ''}, "
        f"{r.n_valid} valid; diversity {_measure(r.diversity)}; {r.candidates:,} candidates scored "
        f"in {r.seconds:.2f} s.</p>"
    )
    note = f'<p class="lw-note">{static.esc(r.note)}</p>' if r.note else ""
    if not r.counterfactuals:
        return head + note
    features = figs.changed_features(r)
    values = dict(zip(cfs.features, r.values, strict=True))
    header = ["", "prediction", *features, "valid", "changed", "distance"]
    out = ['<table class="lw-table"><tr>' + "".join(f"<th>{static.short(h)}</th>" for h in header) + "</tr>"]
    cells = "".join(f'<td class="lw-num">{static.short(figs.value_label(values[f]))}</td>' for f in features)
    out.append(
        f"<tr><td>this row</td><td>{static.short(r.prediction)}</td>{cells}<td></td><td></td><td></td></tr>"
    )
    for i, cf in enumerate(r.counterfactuals):
        line = [f"<td>#{i + 1}</td>", f"<td>{static.short(cf.prediction)}</td>"]
        for f in features:
            if f in cf.changes:
                was = static.esc(f"was {figs.value_label(values[f])}")
                line.append(
                    f'<td class="lw-num lw-medium" title="{was}"><b>{static.short(figs.value_label(cf.changes[f]))}</b></td>'
                )
            else:
                line.append('<td class="lw-num lw-low">·</td>')
        valid = '<td class="lw-ok">yes</td>' if cf.valid else '<td class="lw-high">no</td>'
        line += [
            valid,
            f'<td class="lw-num">{cf.n_changed}</td>',
            f'<td class="lw-num">{_measure(cf.distance)}</td>',
        ]
        out.append("<tr>" + "".join(line) + "</tr>")
    out.append("</table>")
    more = len({f for cf in r.counterfactuals for f in cf.changes}) - len(features)
    extra = f'<p class="lw-note">{more} more changed features are not shown.</p>' if more > 0 else ""
    return head + note + "".join(out) + extra


def counterfactual_headline(cfs: CounterfactualSet) -> list[static.Attention]:
    """First: the rows with fewer than ``k`` valid counterfactuals; else that every row has k."""
    items = []
    short = [r for r in cfs.short_rows if "already has the desired outcome" not in r.note]
    if short:
        worst = min(r.n_valid for r in short)
        named = ", ".join(f"{r.label} ({r.n_valid})" for r in short[:5])
        severity = "high" if worst == 0 else "medium"
        items.append(
            static.Attention(
                severity,
                f"Fewer than {cfs.k} valid counterfactuals for {len(short)} of {len(cfs.rows)} rows "
                f"(row (valid found): {named}{', …' if len(short) > 5 else ''})",
            )
        )
    done = [r for r in cfs.rows if "already has the desired outcome" in r.note]
    if done:
        items.append(
            static.Attention("low", f"{len(done)} of {len(cfs.rows)} rows already have the desired outcome")
        )
    if not items:
        items.append(
            static.Attention(
                "ok",
                f"{cfs.k} valid counterfactuals for each of the {len(cfs.rows)} rows "
                f"({_measure(cfs.summary()['n_changed'])} features changed on average)",
            )
        )
    return items


def counterfactual_sections(cfs: CounterfactualSet) -> list[static.Section]:
    sections = [static.Section("Counterfactuals", (static.HtmlBlock(summary_html(cfs)),))]
    shown = cfs.rows[:MAX_ROWS]
    for r in shown:
        sections.append(static.Section(f"Row {r.label}", (static.HtmlBlock(row_html(cfs, r)),)))
    if len(cfs.rows) > MAX_ROWS:
        sections.append(
            static.Section(
                "",
                (
                    static.HtmlBlock(
                        f'<p class="lw-note">{len(cfs.rows) - MAX_ROWS} more rows are in to_frame().</p>'
                    ),
                ),
            )
        )
    with_cfs = [i for i, r in enumerate(shown) if r.counterfactuals]
    if len(with_cfs) == 1:
        sections.append(
            static.Section(
                "What changes", (static.FigureBlock("changes", figs.counterfactual_figure(cfs, with_cfs[0])),)
            )
        )
    elif with_cfs:
        options = {f"row {cfs.rows[i].label}": figs.counterfactual_figure(cfs, i) for i in with_cfs}
        sections.append(static.Section("What changes", (static.PickerBlock("changes", "Row", options),)))
    return sections


display.describe(
    CounterfactualSet,
    display.Description(
        title=lambda c: (
            f"Counterfactuals for {len(c.rows):,} row{'s' if len(c.rows) != 1 else ''} ({c.model})"
        ),
        sections=counterfactual_sections,
        headline=counterfactual_headline,
    ),
)
