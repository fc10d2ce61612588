"""The live ExplanationPanel in real JupyterLab, in real Chromium.

One page per module: it opens ``explanation_panel.ipynb`` (this folder) in Lab and runs all cells (a
random forest pipeline on 1,500 credit rows, 100 rows explained); the tests then check what a user
sees, in file order: the panel and its tabs, the Global tab's importance figure and SHAP beeswarm
(the panel's one FigureWidget), the Local tab and its row box, a click on a beeswarm point (a WebGL
``scattergl`` trace: clicked at the pixel position of one of its points), the Stability and
Calibration tabs, and, last, that the page talked to 127.0.0.1 only and raised no JavaScript error.

Two tests guard bugs these tests found: NaN in the beeswarm's colours (not JSON; now a typed
array) and the Local tab's side-by-side figures overflowing (now flex items that may shrink).

The page helpers come from ``lab_page.py``.
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

FIXTURE = Path(__file__).resolve().parent / "explanation_panel.ipynb"
TAB_TITLES = [
    "Global",
    "Local",
    "Effects",
    "Interactions",
    "Surrogate",
    "Stability",
    "Calibration",
]  # no bias facet given
WATERFALL_TITLE = re.compile(r"^Row (\d+): SHAP contributions \(")
LIME_TITLE = re.compile(r"^Row (\d+): LIME \(")


@pytest.fixture(scope="module")
def lab_page(browser, lab) -> Iterator[LabPage]:  # browser first: no Chromium, no Lab started
    yield from open_and_run(browser, lab, FIXTURE)


def _beeswarm(shown):
    """The beeswarm: the one plotly figure of the Global tab drawn by the FigureWidget (a WebGL
    scatter, so it has a ``.gl-canvas``); the importance figure is an Output widget's SVG bars."""
    return shown.locator(".js-plotly-plot").filter(has=shown.page.locator("canvas.gl-canvas"))


def _title_row(plot, pattern: re.Pattern[str]) -> int:
    title = plot.locator(".gtitle").text_content() or ""
    match = pattern.match(title)
    assert match, f"unexpected figure title {title!r}"
    return int(match.group(1))


def _local_figures(shown):
    """The Local tab's waterfall and LIME figures (plotly mimetype in Output widgets)."""
    waterfall = shown.locator(".js-plotly-plot").filter(
        has_text=re.compile(r"Row \d+: SHAP contributions \(")
    )
    lime = shown.locator(".js-plotly-plot").filter(has_text=re.compile(r"Row \d+: LIME \("))
    return waterfall, lime


def _drawn_width(plot) -> tuple[int, int]:
    """The width plotly drew ``plot`` at and the width of its box: equal once the figure fits
    (plotly draws at 700 px where its box has no width yet, as in a view drawn before the page
    laid it out; the view then resizes it)."""
    return tuple(plot.evaluate("gd => [Math.round(gd._fullLayout.width), gd.clientWidth]"))


def _row_box(shown):
    return shown.locator(".widget-inline-hbox", has_text="Row").locator("input").first


def test_panel_shows_title_and_tabs(lab_page, screenshot) -> None:
    from playwright.sync_api import expect

    output = lab_page.output
    expect(output.locator("h2").first).to_have_text(re.compile(r"^Explanation of "))
    expect(output.locator(".widget-tab .lm-TabBar-tabLabel")).to_have_text(TAB_TITLES)
    expect(output.locator(".widget-tab .lm-TabBar-tab.lm-mod-current")).to_have_text("Global")
    shown = lab_page.shown()
    expect(shown).to_have_count(1)
    expect(shown.locator(".lw-table").first).to_contain_text("SHAP algorithm")


def test_notebook_wrote_nothing_to_stderr(lab_page) -> None:
    errors = lab_page.page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
    assert errors.count() == 0, f"the notebook wrote to stderr: {errors.all_text_contents()}"


def test_global_tab_shows_importance_and_beeswarm(lab_page, screenshot) -> None:
    from playwright.sync_api import expect

    page = lab_page.page
    shown = lab_page.shown()
    # The importance figure: bars, through plotly's mimetype in an Output widget.
    importance = shown.locator(".js-plotly-plot").filter(has=page.locator(".trace.bars")).first
    expect(importance.locator(".trace.bars .point path").first).to_be_attached(timeout=FIGURE_TIMEOUT)
    # The beeswarm: the FigureWidget, a scattergl trace drawn on a canvas.
    beeswarm = _beeswarm(shown)
    expect(beeswarm).to_have_count(1, timeout=FIGURE_TIMEOUT)
    expect(beeswarm.locator(".g-xtitle")).to_have_text(re.compile(r"^SHAP value"))
    page.wait_for_timeout(500)  # let the resize settle
    trace = beeswarm.evaluate(
        "gd => ({type: gd.data[0].type, n: gd.data[0].x.length, rows: gd.data[0].customdata.length,"
        " drawn: gd._fullData[0].visible, ticks: gd._fullLayout.yaxis.ticktext})"
    )
    print(f"beeswarm trace: {trace}")
    assert trace["type"] == "scattergl" and trace["drawn"] is True, trace
    assert trace["n"] == trace["rows"] == 100 * len(trace["ticks"]), trace  # 100 rows x features
    assert "region" in trace["ticks"], trace
    for name, plot in (("importance", importance), ("beeswarm", beeswarm)):
        width, height = plot_size(plot)
        assert width > 300 and height >= 200, f"{name} figure is {width:.0f} x {height:.0f} px"
    drawn, box = _drawn_width(beeswarm)
    assert drawn == box, f"the beeswarm is drawn {drawn} px wide in a box of {box} px"
    beeswarm.scroll_into_view_if_needed()
    screenshot(page, "global")
    screenshot(beeswarm, "beeswarm")


def test_local_tab_row_box_redraws_the_figures(lab_page, screenshot) -> None:
    from playwright.sync_api import expect

    page = lab_page.page
    shown = lab_page.tab("Local")  # built on first selection
    row_box = _row_box(shown)
    expect(row_box).to_be_visible(timeout=KERNEL_TIMEOUT)
    waterfall, lime = _local_figures(shown)
    expect(waterfall).to_have_count(1, timeout=FIGURE_TIMEOUT)
    expect(lime).to_have_count(1, timeout=FIGURE_TIMEOUT)
    first = lab_page.first_row = _title_row(waterfall, WATERFALL_TITLE)
    assert _title_row(lime, LIME_TITLE) == first
    assert row_box.input_value() == str(first)
    expect(shown.locator(".lw-table").first).to_contain_text(re.compile(rf"Row\s*{first}\s*Prediction"))
    page.wait_for_timeout(500)  # let the resize settle
    print(f"Local tab figures: waterfall {waterfall.bounding_box()}, LIME {lime.bounding_box()}")
    drawn, box = _drawn_width(waterfall)
    assert drawn == box, f"the first waterfall is drawn {drawn} px wide in a box of {box} px"
    # its view carries no template of its own: it draws with the beeswarm's (plotly_white)
    font = waterfall.evaluate("gd => gd._fullLayout.font.color")
    assert font == "#2a3f5f", f"the waterfall's text is {font}, not plotly_white's (plotly's own: #444)"
    waterfall.scroll_into_view_if_needed()
    screenshot(page, f"local-row-{first}")

    # Another row, typed in the box; Enter commits it (the box does not update while typing).
    other = 7 if first != 7 else 8
    row_box.fill(str(other))
    row_box.press("Enter")
    expect(
        shown.locator(".js-plotly-plot .gtitle", has_text=f"Row {other}: SHAP contributions (")
    ).to_have_count(1, timeout=KERNEL_TIMEOUT)
    expect(shown.locator(".js-plotly-plot .gtitle", has_text=f"Row {other}: LIME (")).to_have_count(
        1, timeout=KERNEL_TIMEOUT
    )
    assert _title_row(waterfall, WATERFALL_TITLE) == other
    assert _title_row(lime, LIME_TITLE) == other
    # the third figure, the ICE curve of the row ("Row N: utilization (now ...)"), follows too
    titles = shown.locator(".js-plotly-plot .gtitle")
    expect(titles.filter(has_text=re.compile(rf"^Row {other}: "))).to_have_count(3)
    expect(titles.filter(has_text=re.compile(rf"^Row {first}: "))).to_have_count(0)
    expect(shown.locator(".lw-table").first).to_contain_text(re.compile(rf"Row\s*{other}\s*Prediction"))
    expect(waterfall.locator(".trace.bars .point path, .trace.waterfall .point path").first).to_be_attached()
    assert row_box.input_value() == str(other)
    page.wait_for_timeout(500)
    print(f"Local tab figures: waterfall {waterfall.bounding_box()}, LIME {lime.bounding_box()}")
    waterfall.scroll_into_view_if_needed()
    screenshot(page, f"local-row-{other}")


def test_clicking_a_beeswarm_point_explains_its_row(lab_page, screenshot) -> None:
    from playwright.sync_api import expect

    page = lab_page.page
    current = int(_row_box(lab_page.tab("Local")).input_value())
    shown = lab_page.tab("Global")
    beeswarm = _beeswarm(shown)
    expect(beeswarm).to_have_count(1)
    beeswarm.scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    # A point to click, at its page position from the axes' linear-to-pixel maps: inside the swarm
    # (the one nearest the plot area's centre) yet at least 8 px from every other point, so the
    # click is not ambiguous; of a row that the Local tab has not shown (neither the row typed in
    # the previous test nor the default one).
    target = beeswarm.evaluate(
        """(gd, shownRows) => {
            const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis, t = gd.data[0];
            const box = gd.querySelector('.main-svg').getBoundingClientRect();
            const px = Array.from(t.x, (x, i) => [xa._offset + xa.l2p(x), ya._offset + ya.l2p(t.y[i])]);
            const cx = xa._offset + xa._length / 2, cy = ya._offset + ya._length / 2;
            let best = null;
            px.forEach(([x, y], i) => {
                if (shownRows.includes(t.customdata[i])) return;
                let nearest = Infinity;
                px.forEach(([u, v], j) => { if (j !== i) nearest = Math.min(nearest, Math.hypot(u - x, v - y)); });
                const centre = Math.hypot(x - cx, y - cy);
                if (nearest >= 8 && (!best || centre < best.centre)) best = {i, nearest, centre, x, y};
            });
            return best && {index: best.i, row: t.customdata[best.i], nearest: best.nearest,
                            x: box.left + best.x, y: box.top + best.y};
        }""",
        [current, lab_page.first_row],
    )
    assert target, "no beeswarm point at least 8 px from the others"
    print(f"clicking beeswarm point {target}")
    page.mouse.move(target["x"] - 20, target["y"] - 20)
    page.mouse.move(target["x"], target["y"], steps=5)  # hover first, as a user does
    expect(beeswarm.locator(".hoverlayer .hovertext")).to_contain_text(f"row {target['row']}:")
    screenshot(page, "beeswarm-hover")
    page.mouse.click(target["x"], target["y"])

    # The kernel picks the row and selects the Local tab.
    shown = lab_page.expect_tab("Local", timeout=KERNEL_TIMEOUT)
    row_box = _row_box(shown)
    expect(row_box).to_have_value(str(target["row"]), timeout=KERNEL_TIMEOUT)
    waterfall, lime = _local_figures(shown)
    expect(
        shown.locator(".js-plotly-plot .gtitle", has_text=f"Row {target['row']}: SHAP contributions (")
    ).to_have_count(1, timeout=KERNEL_TIMEOUT)
    expect(shown.locator(".js-plotly-plot .gtitle", has_text=f"Row {target['row']}: LIME (")).to_have_count(
        1, timeout=KERNEL_TIMEOUT
    )
    assert _title_row(waterfall, WATERFALL_TITLE) == target["row"]
    expect(shown.locator(".lw-table").first).to_contain_text(
        re.compile(rf"Row\s*{target['row']}\s*Prediction")
    )
    page.wait_for_timeout(500)
    print(f"Local tab figures: waterfall {waterfall.bounding_box()}, LIME {lime.bounding_box()}")
    waterfall.scroll_into_view_if_needed()
    screenshot(page, f"local-after-click-row-{target['row']}")


def test_local_figures_fit_in_the_tab(lab_page, screenshot) -> None:
    """After the click above, the waterfall and LIME figures were drawn while the Local tab was
    hidden; once it shows, both must lie inside it, side by side, neither cut off."""
    from playwright.sync_api import expect

    page = lab_page.page
    shown = lab_page.expect_tab("Local")
    waterfall, lime = _local_figures(shown)
    expect(waterfall).to_have_count(1)
    expect(lime).to_have_count(1)
    page.wait_for_timeout(500)  # let jupyterlab-plotly's resize settle
    tab = shown.bounding_box()
    boxes = {"waterfall": waterfall.bounding_box(), "LIME": lime.bounding_box()}
    print(f"Local tab {tab}; figures {boxes}")
    lime.scroll_into_view_if_needed()
    screenshot(page, "local-figures")
    for name, box in boxes.items():
        assert box["width"] >= 250, f"the {name} figure is {box['width']:.0f} px wide"
        assert tab["x"] <= box["x"] and box["x"] + box["width"] <= tab["x"] + tab["width"] + 1, (
            f"the {name} figure ({box['x']:.0f} to {box['x'] + box['width']:.0f} px) is cut off by the "
            f"Local tab ({tab['x']:.0f} to {tab['x'] + tab['width']:.0f} px)"
        )


def test_other_tabs_build_when_selected(lab_page, screenshot) -> None:
    from playwright.sync_api import expect

    shown = lab_page.tab("Stability")
    expect(shown.locator("button", has_text="Measure for this row")).to_be_visible(timeout=KERNEL_TIMEOUT)
    shown = lab_page.tab("Calibration")
    expect(shown.locator(".lw-table").first).to_contain_text("ECE", timeout=KERNEL_TIMEOUT)
    plot = shown.locator(".js-plotly-plot >> visible=true")  # not a nested panel's hidden nudge
    expect(plot.locator(".scatterlayer .trace").first).to_be_attached(timeout=FIGURE_TIMEOUT)
    lab_page.page.wait_for_timeout(300)
    width, height = plot_size(plot.first)
    assert width > 300 and height >= 200, f"calibration figure is {width:.0f} x {height:.0f} px"
    plot.first.scroll_into_view_if_needed()
    screenshot(lab_page.page, "calibration")


def test_page_talked_to_127_0_0_1_only(lab_page) -> None:
    """Runs last in this module: covers every request of the tests above."""
    assert_local_only(lab_page)
