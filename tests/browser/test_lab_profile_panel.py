"""The live ProfilePanel in real JupyterLab, in real Chromium.

One page per module: it opens ``profile_panel.ipynb`` (this folder) in Lab and runs all cells; the
tests then check what a user sees, in file order: the panel and its tabs, the Overview figure, the
Columns tab's FigureWidget and its column picker, the other tabs, and, last, that the page talked
to 127.0.0.1 only.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from .lab_page import (
    COUNT_PLOTLY,
    FIGURE_TIMEOUT,
    KERNEL_TIMEOUT,
    TWIN_EVALUATED,
    LabPage,
    assert_local_only,
    open_and_run,
    plot_size,
)

pytestmark = [pytest.mark.browser, pytest.mark.timeout(240)]

FIXTURE = Path(__file__).resolve().parent / "profile_panel.ipynb"
TAB_TITLES = ["Overview", "Columns", "Missing values", "Correlations", "Interactions", "Alerts", "Data card"]


@pytest.fixture(scope="module")
def lab_page(browser, lab) -> Iterator[LabPage]:  # browser first: no Chromium, no Lab started
    yield from open_and_run(browser, lab, FIXTURE, init_script=COUNT_PLOTLY)


def _figure_identity(plot) -> dict[str, object]:
    """What tells one distribution figure from another: title, x-axis title and tick labels."""
    return {
        "title": plot.locator(".gtitle").text_content(),  # SVG text: text_content, not inner_text
        "xtitle": plot.locator(".g-xtitle").text_content(),
        "xticks": plot.locator(".xtick text").all_text_contents(),
        "bars": plot.locator(".trace.bars .point path").count(),
    }


def test_panel_shows_title_tabs_and_overview(lab_page, screenshot) -> None:
    from playwright.sync_api import expect

    page, output = lab_page.page, lab_page.output
    errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
    expect(errors).to_have_count(0)  # tracebacks and warnings
    expect(output.locator("h2").first).to_have_text(
        re.compile(r"Data profile: .*\(2,000 rows x 15 columns\)")
    )
    expect(output.locator(".widget-tab .lm-TabBar-tabLabel")).to_have_text(TAB_TITLES)
    shown = lab_page.shown()
    expect(shown).to_have_count(1)
    expect(shown.locator(".lw-table")).to_contain_text("Fingerprint (SHA-256)")
    # The Overview figure: plotly's mimetype in an Output widget, drawn by jupyterlab-plotly.
    expect(shown.locator(".js-plotly-plot .trace.bars .point path").first).to_be_attached(
        timeout=FIGURE_TIMEOUT
    )
    screenshot(page, "overview")


def test_overview_figure_is_visible(lab_page, screenshot) -> None:
    shown = lab_page.shown()
    plot = shown.locator(".js-plotly-plot").first
    plot.locator(".main-svg").first.wait_for(state="attached", timeout=FIGURE_TIMEOUT)
    lab_page.page.wait_for_timeout(500)  # let jupyterlab-plotly's resize settle
    width, height = plot_size(plot)
    if height < 200:
        screenshot(lab_page.page, "overview-figure-collapsed")
    assert width > 300 and height >= 200, f"Overview figure is {width:.0f} x {height:.0f} px"


def test_columns_tab_picker_updates_the_figure(lab_page, screenshot) -> None:
    from playwright.sync_api import expect

    page = lab_page.page
    shown = lab_page.tab("Columns")  # built on first selection; holds the panel's FigureWidget
    picker = shown.locator(".widget-dropdown select")
    expect(picker).to_be_visible(timeout=KERNEL_TIMEOUT)
    options = picker.locator("option").all_text_contents()
    assert len(options) == 15 and options[0] == "customer_id", options
    # the first column that has a distribution to show is picked (customer_id is an identifier)
    selected = picker.evaluate("s => s.options[s.selectedIndex].text")
    assert selected == "age", selected
    figure = shown.locator(".js-plotly-plot")
    expect(figure).to_have_count(1, timeout=FIGURE_TIMEOUT)
    expect(figure.locator(".gtitle")).to_have_text(selected, timeout=FIGURE_TIMEOUT)
    expect(figure.locator(".trace.bars .point path").first).to_be_visible()
    expect(shown.locator(".widget-html .lw-table")).to_contain_text("integer")
    width, height = plot_size(figure)
    assert width > 300 and height >= 200, (width, height)
    first = _figure_identity(figure)
    screenshot(page, "columns-age")

    # Another column: the kernel updates the same FigureWidget in place.
    picked = "region"
    assert picked in options
    picker.select_option(label=picked)
    expect(figure.locator(".gtitle")).to_have_text(picked, timeout=FIGURE_TIMEOUT)
    expect(figure.locator(".g-xtitle")).to_have_text(picked)
    expect(shown.locator(".widget-html .lw-table")).to_contain_text("categorical")
    expect(figure.locator(".trace.bars .point path").first).to_be_visible()
    expect(shown.locator(".js-plotly-plot")).to_have_count(1)  # updated, not replaced
    second = _figure_identity(figure)
    screenshot(page, f"columns-{picked}")
    print(f"figure before: {first}\nfigure after: {second}")
    assert second["title"] != first["title"]
    assert second["xticks"] != first["xticks"], (first, second)
    assert {"north", "south"} <= set(second["xticks"]), second
    assert second["bars"] >= 5, second  # one bar per region


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Missing values", "figure"),
        ("Correlations", "figure"),
        ("Alerts", ".lw-table"),
        ("Data card", ".lw-note"),
    ],
)
def test_other_tabs_build_when_selected(lab_page, title, expected, screenshot) -> None:
    from playwright.sync_api import expect

    shown = lab_page.tab(title)
    if expected == "figure":
        plot = shown.locator(".js-plotly-plot").first
        expect(plot.locator(".trace .point path, .trace.heatmap, .hm").first).to_be_attached(
            timeout=FIGURE_TIMEOUT
        )
        lab_page.page.wait_for_timeout(300)
        width, height = plot_size(plot)
        assert width > 300 and height >= 100, f"{title} figure is {width:.0f} x {height:.0f} px"
        screenshot(lab_page.output, title.lower().replace(" ", "-"))  # the panel only
    else:
        expect(shown.locator(expected).first).to_be_visible(timeout=KERNEL_TIMEOUT)


def test_plotlyjs_evaluated_once(lab_page) -> None:
    """The panel's hidden empty figure made JupyterLab's plotly extension evaluate its plotly.js,
    which every figure drew with; the static twin's copy stayed text (``widgets.page_widget``)."""
    page = lab_page.page
    assert page.locator(".lw-panel .js-plotly-plot .trace").count() > 0  # the Columns tab drew
    sets = page.evaluate("window.__lwPlotlySets")
    assert len(sets) == 1 and sets[0].startswith("4."), sets
    assert page.evaluate(TWIN_EVALUATED) == 0
    assert page.evaluate("document.querySelectorAll('script[data-lw-plotlyjs]').length") == 1


def test_page_talked_to_127_0_0_1_only(lab_page) -> None:
    """Runs last in this module: covers every request of the tests above."""
    assert_local_only(lab_page)
