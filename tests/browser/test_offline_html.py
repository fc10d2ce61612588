"""Static HTML opened from disk in real Chromium with every network request refused.

- ``DataProfile.to_html``: every figure draws, the column picker switches the figure;
- a notebook executed headless with papermill and exported with ``notebook_to_html``: the same;
- markup in column names and values shows as text: no element, no script, no dialog.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import lifecycle_widgets as lw

pytestmark = [pytest.mark.browser, pytest.mark.timeout(240)]

ROOT = Path(__file__).resolve().parents[2]
DATA_AUDIT = ROOT / "notebooks" / "data_audit.ipynb"
IMG = "<img src=x onerror=alert(1)>"
SCRIPT = "</script><script>alert(2)</script>"
DRAW_TIMEOUT = 30_000  # ms: parsing ~5 MB of inline plotly.js, then drawing


@dataclass
class OfflinePage:
    """A page that may load only its own file; everything else is aborted and recorded."""

    page: object
    url: str
    requests: list[str] = field(default_factory=list)
    aborted: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def check_clean(self) -> None:
        assert not self.aborted, f"the page asked for resources beyond its own file: {self.aborted}"
        assert not self.dialogs, f"the page opened dialogs: {self.dialogs}"
        assert not self.errors, f"JavaScript errors: {self.errors}"
        assert self.requests == [self.url], self.requests


def open_offline(context, path: Path) -> OfflinePage:
    url = path.resolve().as_uri()
    page = context.new_page()
    result = OfflinePage(page=page, url=url)

    def route(r) -> None:
        result.requests.append(r.request.url)
        if r.request.url == url:
            r.continue_()
        else:
            result.aborted.append(r.request.url)
            r.abort()

    def dialog(d) -> None:
        result.dialogs.append(f"{d.type}: {d.message}")
        d.dismiss()

    context.route("**/*", route)
    page.on("dialog", dialog)
    page.on("pageerror", lambda err: result.errors.append(str(err)))
    page.goto(url, wait_until="load")
    return result


def assert_figures_drew(page) -> int:
    """Every ``.lw-figure`` became a plotly plot with an SVG of real size; returns their number."""
    figures = page.locator(".lw-figure")
    n = figures.count()
    assert n > 0, "no .lw-figure in the page"
    page.wait_for_function(
        "() => Array.from(document.querySelectorAll('.lw-figure')).every("
        "f => f.classList.contains('js-plotly-plot') && f.querySelector('.main-svg'))",
        timeout=DRAW_TIMEOUT,
    )
    assert page.locator(".js-plotly-plot").count() == n
    for i in range(n):
        box = figures.nth(i).bounding_box()
        assert box and box["width"] > 200 and box["height"] > 100, (i, box)
        assert figures.nth(i).locator(".main-svg").count() >= 1
    return n


def title_of(figure) -> str:
    return figure.locator(".gtitle").text_content() or ""


def check_picker(page, pick_label: str) -> tuple[str, str]:
    """The column picker (the page's first) redraws its figure: returns the titles before and after."""
    select = page.locator(".lw select").first
    figure_id = select.get_attribute("id").removesuffix("-pick")
    figure = page.locator(f"[id='{figure_id}']")
    assert figure.count() == 1
    before = title_of(figure)
    # the figure shows the selected option (the first column with a distribution to show)
    assert before == select.evaluate("s => s.options[s.selectedIndex].text")
    ticks_before = figure.locator(".xtick text").all_text_contents()
    select.select_option(label=pick_label)
    page.wait_for_function(
        "([id, t]) => document.getElementById(id)?.querySelector('.gtitle')?.textContent === t",
        arg=[figure_id, pick_label],
        timeout=DRAW_TIMEOUT,
    )
    after = title_of(figure)
    assert after == pick_label != before
    assert figure.locator(".trace.bars .point path").count() > 0
    assert figure.locator(".xtick text").all_text_contents() != ticks_before
    return before, after


def test_profile_to_html_works_offline(context, tmp_path, screenshot) -> None:
    prof = lw.profile(lw.datasets.credit(n_rows=2000), target="defaulted")
    path = tmp_path / "profile.html"
    prof.to_html(path)
    started = time.monotonic()
    offline = open_offline(context, path)
    page = offline.page
    n = assert_figures_drew(page)
    before, after = check_picker(page, "region")
    xticks = (
        page.locator(".lw-figure")
        .filter(has=page.locator(".gtitle", has_text="region"))
        .locator(".xtick text")
        .all_text_contents()
    )
    assert {"north", "south"} <= set(xticks), xticks
    page.locator(".lw select").first.scroll_into_view_if_needed()
    screenshot(page, "picker-region")
    print(f"{n} figures drew offline in {time.monotonic() - started:.1f} s; picker {before} -> {after}")
    offline.check_clean()


def test_executed_notebook_export_works_offline(context, tmp_path, monkeypatch, screenshot) -> None:
    import papermill

    monkeypatch.setenv("LIFECYCLE_WIDGETS_DISPLAY", "static")  # the kernel inherits it
    executed = tmp_path / "data_audit.ipynb"
    started = time.monotonic()
    papermill.execute_notebook(
        str(DATA_AUDIT),
        str(executed),
        parameters={"demo_rows": 3000},
        kernel_name="python3",
        progress_bar=False,
        cwd=str(tmp_path),
    )
    from lifecycle_widgets.audit.export import notebook_to_html

    html = notebook_to_html(executed, tmp_path / "data_audit.html")
    print(f"papermill + export in {time.monotonic() - started:.1f} s: {html}")
    offline = open_offline(context, html)
    page = offline.page
    n = assert_figures_drew(page)
    assert n >= 5, n  # overview, column picker, missing values, correlations, target
    assert page.locator("[data-mime-type='application/vnd.jupyter.stderr']").count() == 0  # errors
    stdout = page.locator(".jp-RenderedText pre", has_text="rows x 15 columns").inner_text()
    fingerprint = re.search(r"\b[0-9a-f]{64}\b", stdout)  # the last cell ran, with the parameters
    assert fingerprint and "3,000 rows x 15 columns" in stdout, stdout
    assert page.locator(".lw-table td", has_text=fingerprint.group()).count() == 1
    check_picker(page, "income")
    page.locator(".lw select").first.scroll_into_view_if_needed()
    screenshot(page, "picker-income")
    offline.check_clean()


def test_markup_in_names_and_values_shows_as_text(context, tmp_path, screenshot) -> None:
    rng = np.random.default_rng(0)
    n = 300
    frame = pd.DataFrame(
        {
            IMG: rng.choice([IMG, SCRIPT, "plain"], n),
            SCRIPT: rng.normal(size=n),
            "amount": rng.gamma(2.0, 10.0, n),
        }
    )
    prof = lw.profile(frame)
    path = tmp_path / "markup.html"
    prof.to_html(path)
    offline = open_offline(context, path)
    page = offline.page
    assert_figures_drew(page)

    assert page.locator(".lw img").count() == 0
    assert page.locator("img").count() == 0
    # User strings sit only in JSON blocks (escaped so they cannot close them), never in code.
    code = page.eval_on_selector_all(
        ".lw script:not([type='application/json'])", "els => els.map(e => e.textContent)"
    )
    assert code and not [c for c in code if "alert(" in c], "a user string reached a script"
    # The literal strings are on the page, as text: in the tables and in the picker.
    text = page.locator(".lw").inner_text()
    assert IMG in text and SCRIPT in text
    assert page.locator(".lw-table td", has_text=IMG).count() >= 1
    assert page.locator(".lw select").first.locator("option").all_text_contents()[:2] == [IMG, SCRIPT]
    # ... and in the figures: the first column's distribution has it as title and as bar labels.
    picker_figure = page.locator(".lw select").first.get_attribute("id").removesuffix("-pick")
    figure = page.locator(f"[id='{picker_figure}']")
    assert title_of(figure) == IMG
    assert {IMG, SCRIPT} <= set(figure.locator(".xtick text").all_text_contents())
    check_picker(page, SCRIPT)
    page.wait_for_timeout(200)  # give any stray handler (onerror) a moment to fire
    screenshot(page, "markup")
    offline.check_clean()


def test_vs_code_dark_theme_restyles_tables_and_figures(context, tmp_path) -> None:
    """VS Code defines no --jp-* variables but its own --vscode-* ones and a body class: the
    stylesheet falls back to them, so text is readable and figures follow the dark theme."""
    prof = lw.profile(lw.datasets.credit(n_rows=300))
    path = tmp_path / "vscode.html"
    prof.to_html(path)
    offline = open_offline(context, path)
    page = offline.page
    light_color = page.locator(".lw").first.evaluate("e => getComputedStyle(e).color")
    page.evaluate(
        "() => { document.body.classList.add('vscode-dark');"
        " document.body.style.setProperty('--vscode-editor-foreground', 'rgb(204, 204, 204)'); }"
    )
    assert page.locator(".lw").first.evaluate("e => getComputedStyle(e).color") == "rgb(204, 204, 204)"
    assert light_color != "rgb(204, 204, 204)"
    assert_figures_drew(page)
    filters = page.evaluate(
        "() => Array.from(document.querySelectorAll('.lw .js-plotly-plot')).map(p => getComputedStyle(p).filter)"
    )
    assert filters and all(f.startswith("invert(") for f in filters), filters
    offline.check_clean()
