"""The live DriftPanel in real JupyterLab, in real Chromium.

One page per module: it opens ``drift_panel.ipynb`` (this folder) in Lab and runs all cells (a
baseline fitted on 3,000 credit rows, checked against a drifted batch of 3,000); the tests then
check what a user sees, in file order: the panel, its violations table, the Distributions tab's
FigureWidget and its feature list, the Drift by feature tab, and, last, that the page talked to
127.0.0.1 only and raised no JavaScript error. The page helpers come from ``lab_page.py``.
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

FIXTURE = Path(__file__).resolve().parent / "drift_panel.ipynb"
TAB_TITLES = ["Violations", "Distributions", "Drift by feature"]  # no model: no quality tab
DRIFTED = ["income", "utilization", "region", "employment_type"]  # the batch's drifted features
REGIONS = {"north", "south", "east", "west", "centre"}


@pytest.fixture(scope="module")
def lab_page(browser, lab) -> Iterator[LabPage]:  # browser first: no Chromium, no Lab started
    yield from open_and_run(browser, lab, FIXTURE)


def _figure_identity(plot) -> dict[str, object]:
    return {
        "title": plot.locator(".gtitle").text_content(),  # SVG text: text_content, not inner_text
        "xticks": plot.locator(".xtick text").all_text_contents(),
        "bars": plot.locator(".trace.bars .point path").count(),
        "legend": plot.locator(".legendtext").all_text_contents(),
    }


def test_panel_shows_title_tabs_and_violations(lab_page, screenshot) -> None:
    from playwright.sync_api import expect

    page, output = lab_page.page, lab_page.output
    errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
    assert errors.count() == 0, f"the notebook wrote to stderr: {errors.all_text_contents()}"
    expect(output.locator("h2").first).to_have_text(
        re.compile(r"^Drift report: .*\(3,000 rows, 6 violations\)")
    )
    summary = output.locator(".lw-table").first
    expect(summary).to_contain_text(re.compile(r"Drifted features\s*" + r",\s*".join(DRIFTED)))
    expect(output.locator(".widget-tab .lm-TabBar-tabLabel")).to_have_text(TAB_TITLES)
    shown = lab_page.shown()
    expect(shown).to_have_count(1)
    table = shown.locator(".lw-table")
    expect(table).to_have_count(1)
    expect(table.locator("th")).to_have_text(["severity", "feature", "check", "description"])
    rows = table.locator("tr:has(td)")
    expect(rows).to_have_count(6)
    features = rows.locator("td:nth-child(2)").all_text_contents()
    checks = rows.locator("td:nth-child(3)").all_text_contents()
    drift_rows = {f for f, c in zip(features, checks, strict=True) if c == "baseline_drift_check"}
    assert drift_rows == set(DRIFTED), (features, checks)
    expect(table).to_contain_text("new values: 'gig'")
    screenshot(page, "violations")


def test_distributions_tab_picker_updates_the_figure(lab_page, screenshot) -> None:
    from playwright.sync_api import expect

    page = lab_page.page
    shown = lab_page.tab("Distributions")  # built on first selection; holds the FigureWidget
    picker = shown.locator(".widget-select select")
    expect(picker).to_be_visible(timeout=KERNEL_TIMEOUT)
    options = picker.locator("option").all_text_contents()
    assert options[:4] == ["utilization", "income", "region", "employment_type"], (
        options
    )  # most drifted first
    assert "region" in options
    selected = picker.evaluate("s => s.selectedIndex >= 0 ? s.options[s.selectedIndex].text : null")
    assert selected == options[0], (selected, options)
    figure = shown.locator(".js-plotly-plot")
    expect(figure).to_have_count(1, timeout=FIGURE_TIMEOUT)
    expect(figure.locator(".gtitle")).to_have_text(
        re.compile(rf"^{options[0]} — winsorized_wasserstein "), timeout=FIGURE_TIMEOUT
    )
    expect(figure.locator(".trace.bars .point path").first).to_be_visible()
    page.wait_for_timeout(500)  # let the resize settle
    width, height = plot_size(figure)
    assert width > 300 and height >= 200, f"Distributions figure is {width:.0f} x {height:.0f} px"
    first = _figure_identity(figure)
    screenshot(page, f"distributions-{options[0]}")

    # Another feature: the kernel updates the same FigureWidget in place.
    picker.select_option(label="region")
    expect(figure.locator(".gtitle")).to_have_text(
        re.compile(r"^region — jensen_shannon "), timeout=FIGURE_TIMEOUT
    )
    expect(figure.locator(".trace.bars .point path").first).to_be_visible()
    expect(shown.locator(".js-plotly-plot")).to_have_count(1)  # updated, not replaced
    page.wait_for_timeout(300)
    second = _figure_identity(figure)
    screenshot(page, "distributions-region")
    print(f"figure before: {first}\nfigure after: {second}")
    assert second["title"] != first["title"]
    assert set(second["xticks"]) >= REGIONS, second  # a category axis: one tick per region
    assert second["bars"] >= 2 * len(REGIONS), second  # baseline and batch bars of each region
    drawn = figure.evaluate("gd => gd._fullData.map(t => ({type: t.type, name: t.name, x: Array.from(t.x)}))")
    assert len(drawn) == 2 and all(t["type"] == "bar" for t in drawn), drawn
    for trace in drawn:
        assert set(trace["x"]) >= REGIONS, drawn


def test_drift_by_feature_tab(lab_page, screenshot) -> None:
    from playwright.sync_api import expect

    shown = lab_page.tab("Drift by feature")
    plot = shown.locator(".js-plotly-plot")
    expect(plot.locator(".trace.bars .point path").first).to_be_attached(timeout=FIGURE_TIMEOUT)
    expect(shown.locator(".lw-table")).to_contain_text("jensen_shannon")
    lab_page.page.wait_for_timeout(300)
    width, height = plot_size(plot.first)
    assert width > 300 and height >= 100, f"drift figure is {width:.0f} x {height:.0f} px"
    plot.first.scroll_into_view_if_needed()
    screenshot(lab_page.page, "drift-by-feature")


def test_page_talked_to_127_0_0_1_only(lab_page) -> None:
    """Runs last in this module: covers every request of the tests above."""
    assert_local_only(lab_page)
