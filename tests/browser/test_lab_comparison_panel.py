"""The live ComparisonPanel (``lw.compare``) in real JupyterLab, in real Chromium.

One page per module: it opens ``comparison_panel.ipynb`` (this folder), which logs 12 runs (depth
2/4/6 x seed 0-3, a constant ``lr``, a final ``auc`` and a ``loss`` at steps 0-4) to a fresh store
and shows the panel. The tests then check what a user sees, in file order: the tabs and the runs
table, sorting it by a metric, two runs compared (the parameters that differ, their step curves),
the "By parameter" bar figure, and, last, that the page talked to 127.0.0.1 only.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from .lab_page import (
    FIGURE_TIMEOUT,
    KERNEL_TIMEOUT,
    LabPage,
    assert_local_only,
    open_and_run,
    plot_size,
)

pytestmark = [pytest.mark.browser, pytest.mark.timeout(240)]

FIXTURE = Path(__file__).resolve().parent / "comparison_panel.ipynb"
TAB_TITLES = ["Runs", "Compare selected", "By parameter"]
N_RUNS = 12  # depth (2, 4, 6) x seed (0, 1, 2, 3), named run-1 ... run-12 in that order
BEST_RUN = "run-6"  # depth 4, seed 1: the highest auc (0.804), neither the first run nor the last
PAIR = ("run-1", "run-6")  # depth 2 / seed 0 and depth 4 / seed 1: same lr
DEPTHS = ["2", "4", "6"]


@pytest.fixture(scope="module")
def lab_page(browser, lab) -> Iterator[LabPage]:  # browser first: no Chromium, no Lab started
    yield from open_and_run(browser, lab, FIXTURE)


def _rows(table) -> list[list[str]]:
    """The body rows of an ``.lw-table`` (rows with ``td`` cells), as lists of cell texts."""
    return table.evaluate(
        "t => [...t.querySelectorAll('tr')].filter(r => r.querySelector('td'))"
        ".map(r => [...r.querySelectorAll('td')].map(c => c.textContent.trim()))"
    )


def _texts(options) -> list[str]:
    """Option labels as a user reads them: ipywidgets draws their spaces as no-break spaces."""
    return [t.replace("\xa0", " ") for t in options.all_text_contents()]


def _header(table) -> list[str]:
    return table.locator("th").all_text_contents()


def test_panel_shows_tabs_and_the_runs_table(lab_page, screenshot) -> None:
    from playwright.sync_api import expect

    page, output = lab_page.page, lab_page.output
    errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
    expect(errors).to_have_count(0)  # tracebacks and warnings
    expect(output.locator("h2").first).to_have_text(f"{N_RUNS} runs")
    expect(output.locator(".widget-tab .lm-TabBar-tabLabel")).to_have_text(TAB_TITLES)
    shown = lab_page.shown()
    expect(shown).to_have_count(1)
    table = shown.locator(".widget-html .lw-table")
    expect(table).to_be_visible()
    expect(table.locator("tr:has(td)")).to_have_count(N_RUNS)
    # run, status, the metrics, then only the parameters that vary (lr is the same for all runs)
    assert _header(table) == ["run", "status", "auc", "loss", "depth", "seed"], _header(table)
    rows = _rows(table)
    assert [r[0] for r in rows] == [f"run-{i}" for i in range(1, N_RUNS + 1)], rows  # started order
    assert {r[1] for r in rows} == {"FINISHED"}, rows
    assert [(r[4], r[5]) for r in rows] == [(d, s) for d in DEPTHS for s in "0123"], rows
    screenshot(page, "runs")


def test_sorting_by_auc_puts_the_best_run_first(lab_page, screenshot) -> None:
    from playwright.sync_api import expect

    shown = lab_page.tab("Runs")
    sort = shown.locator(".widget-dropdown select")
    expect(sort).to_be_visible()
    options = _texts(sort.locator("option"))
    assert options == [
        "(started)",
        "metric: auc",
        "metric: loss",
        "param: depth",
        "param: lr",
        "param: seed",
    ], options
    table = shown.locator(".widget-html .lw-table")
    first_run = table.locator("tr:has(td)").first.locator("td").first
    expect(first_run).to_have_text("run-1")

    sort.select_option(index=options.index("metric: auc"))  # descending is checked by default
    expect(first_run).to_have_text(BEST_RUN, timeout=KERNEL_TIMEOUT)  # the kernel redraws the table
    rows = _rows(table)
    aucs = [float(r[2]) for r in rows]
    assert len(rows) == N_RUNS and aucs[0] == pytest.approx(0.804), rows
    assert aucs == sorted(aucs, reverse=True), aucs
    screenshot(lab_page.output, "sorted-by-auc")

    # Ascending: the same runs, lowest auc first.
    descending = shown.locator(".widget-checkbox input[type=checkbox]")
    expect(descending).to_be_checked()
    descending.uncheck()
    expect(first_run).not_to_have_text(BEST_RUN, timeout=KERNEL_TIMEOUT)
    aucs = [float(r[2]) for r in _rows(table)]
    assert aucs == sorted(aucs) and len(aucs) == N_RUNS, aucs
    descending.check()
    expect(first_run).to_have_text(BEST_RUN, timeout=KERNEL_TIMEOUT)


def test_compare_two_runs_shows_what_differs_and_their_curves(lab_page, screenshot) -> None:
    from playwright.sync_api import expect

    page = lab_page.page
    shown = lab_page.tab("Compare selected")  # built on first selection; holds the FigureWidget
    picker = shown.locator(".widget-select-multiple select")
    expect(picker).to_be_visible(timeout=KERNEL_TIMEOUT)
    labels = _texts(picker.locator("option"))
    assert len(labels) == N_RUNS, labels
    # each run is labelled with its first metric: "run-6 (auc 0.804)"
    chosen = [next(label for label in labels if label.startswith(f"{name} (")) for name in PAIR]
    assert chosen[1] == f"{BEST_RUN} (auc 0.804)", chosen
    raw = picker.locator("option").all_text_contents()  # the labels as the page has them
    diff = shown.locator(".widget-html").filter(has_text=re.compile("Select two runs|parameter"))
    expect(diff).to_contain_text("Select two runs or more")  # nothing selected yet

    picker.select_option(label=[raw[labels.index(label)] for label in chosen])  # two labels
    table = diff.locator(".lw-table")
    expect(table).to_be_visible(timeout=KERNEL_TIMEOUT)
    assert _header(table) == ["parameter", *PAIR], _header(table)
    rows = _rows(table)
    assert rows == [["depth", "2", "4"], ["seed", "0", "1"]], rows  # only what differs: no lr
    assert "lr" not in [r[0] for r in rows]

    figure = shown.locator(".js-plotly-plot")
    expect(figure).to_have_count(1, timeout=FIGURE_TIMEOUT)
    traces = figure.locator(".scatterlayer .trace")
    expect(traces).to_have_count(2, timeout=FIGURE_TIMEOUT)
    legend = figure.locator(".legend .traces .legendtext")
    expect(legend).to_have_text(list(PAIR))
    expect(figure.locator(".g-xtitle")).to_have_text("step")
    page.wait_for_timeout(300)  # let the FigureWidget's resize settle
    width, height = plot_size(figure)
    assert width > 300 and height >= 200, f"step-curves figure is {width:.0f} x {height:.0f} px"
    screenshot(lab_page.output, "compare-selected")


def test_by_parameter_shows_one_bar_per_depth(lab_page, screenshot) -> None:
    from playwright.sync_api import expect

    shown = lab_page.tab("By parameter")
    selects = shown.locator(".widget-dropdown select")
    expect(selects).to_have_count(2, timeout=KERNEL_TIMEOUT)
    metric, param = selects.nth(0), selects.nth(1)
    assert metric.evaluate("s => s.options[s.selectedIndex].text") == "auc"
    # the parameters that vary, depth first
    assert _texts(param.locator("option")) == ["depth", "seed"]
    assert param.evaluate("s => s.options[s.selectedIndex].text") == "depth"

    bars = shown.locator(".js-plotly-plot").filter(has=lab_page.page.locator(".trace.bars"))
    expect(bars).to_have_count(1, timeout=FIGURE_TIMEOUT)
    expect(bars.locator(".gtitle")).to_have_text("auc by depth", timeout=FIGURE_TIMEOUT)
    expect(bars.locator(".trace.bars .point path")).to_have_count(len(DEPTHS))
    assert bars.locator(".xtick text").all_text_contents() == DEPTHS
    lab_page.page.wait_for_timeout(300)
    width, height = plot_size(bars)
    assert width > 300 and height >= 200, f"bar figure is {width:.0f} x {height:.0f} px"
    screenshot(bars, "by-parameter-bars")  # the figure only: the whole tab is taller than the page


def test_picking_a_metric_redraws_the_step_curves(lab_page, screenshot) -> None:
    """The curves show ``auc`` (the first metric, one value per run) until the user picks
    ``loss``, logged at steps 0-4: then two lines of five points each."""
    from playwright.sync_api import expect

    shown = lab_page.tab("By parameter")
    metric = shown.locator(".widget-dropdown select").first
    metric.select_option(label="loss")
    bars = shown.locator(".js-plotly-plot").filter(has=lab_page.page.locator(".trace.bars"))
    expect(bars.locator(".gtitle")).to_have_text("loss by depth", timeout=KERNEL_TIMEOUT)  # kernel done

    shown = lab_page.tab("Compare selected")
    figure = shown.locator(".js-plotly-plot")
    try:
        expect(figure.locator(".gtitle")).to_have_text("loss by step", timeout=3_000)
    finally:
        screenshot(lab_page.output, "compare-selected-loss")
    expect(figure.locator(".g-ytitle")).to_have_text("loss")
    expect(figure.locator(".scatterlayer .trace")).to_have_count(2)
    expect(figure.locator(".scatterlayer .trace .points path")).to_have_count(2 * 5)


def test_page_talked_to_127_0_0_1_only(lab_page) -> None:
    """Runs last in this module: covers every request of the tests above."""
    assert_local_only(lab_page)
