"""The package stylesheet reaches live panels beyond JupyterLab, and each static twin hides while
its panel shows, by its own token rule (``display.twin_style``), in every front end.

- Notebook 7 (``jupyter notebook``): a notebook with a live profile and a live drift panel is run
  from the page; the panels are styled by ``lw.css`` (the headline's attention colours, from
  Notebook 7's own theme variables), every shown figure has drawn traces, and the twins are
  hidden; the same in the dark theme. Then the notebook is saved, its kernel shut down and the
  page reloaded: the twins show, with drawn figures, and no "model not found" is visible.
- Voila (``voila --no-browser``): the same notebook served as an app; styled panels, drawn
  figures, hidden twins.
- VS Code cannot run here. Its notebook webview puts every output in a container of its own in
  one document (``#container > .cell_container > .output_container > .output``), inserts
  ``text/html`` with ``innerHTML`` and re-creates its scripts, and sets ``vscode-light`` or
  ``vscode-dark`` on ``body`` with ``--vscode-*`` variables. The test builds such a page from
  the real outputs of ``display.live_outputs`` and a stand-in for the widget view carrying the
  real panel's classes and HTML children.

Screenshots of each (``LW_SCREENSHOT_DIR`` keeps them).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pytest

from .conftest import kernel_stacks, start_lab, start_voila
from .lab_page import js_errors

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

KERNEL_TIMEOUT = 90_000  # ms: kernel start and the notebook's own work, on a loaded machine
# Voila runs the whole notebook before its page shows a widget: 30 s alone, over 90 s in CI beside
# the two every-panel tests' JupyterLabs on 2 cores; a Voila that never draws still fails
VOILA_TIMEOUT = 240_000
NOTEBOOK = "frontends.ipynb"
CELLS = [
    "import lifecycle_widgets as lw\n"
    "df = lw.datasets.credit(1500, seed=3)\n"
    "base = lw.Baseline.fit(df)\n"
    "batch = lw.datasets.credit_batch(800, seed=5)",
    "lw.profile(df, target='defaulted')",
    "base.check(batch)",
]
PANELS = len(CELLS) - 1
LOCAL = re.compile(r"^(https?|wss?)://127\.0\.0\.1:\d+/|^(data|blob|about):")
# Notebook 7.6's own start-up error (its shortcuts plugin reads the schema of a plugin it has not
# loaded; it is raised on opening any notebook, before a cell runs)
NOTEBOOK7_OWN_ERROR = re.compile(r"^Cannot read properties of undefined \(reading 'schema'\)")
# Voila's lab template links Font Awesome from a CDN; the tests abort every request not to 127.0.0.1
VOILA_TEMPLATE_CDN = re.compile(r"^https://cdn\.jsdelivr\.net/npm/@fortawesome/fontawesome-free@")


def _write_notebook(path: Path) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(code) for code in CELLS]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


def _attention_rules() -> dict[str, tuple[str, str]]:
    """What lw.css says an attention item of each severity looks like: the theme variable of its
    left border and its background."""
    from lifecycle_widgets.panels.html import CSS

    found = re.findall(
        r"\.lw \.lw-att-(\w+)\{border-color:var\((--jp-[\w-]+),[^;]*;background:(rgba\([^)]*\))\}", CSS
    )
    assert {sev for sev, _, _ in found} >= {"high", "medium", "low"}, found
    return {sev: (var, bg) for sev, var, bg in found}


def _rgb(color: str) -> tuple[int, ...]:
    """A CSS colour (``#rrggbb``, ``#rgb``, ``rgb()`` or ``rgba()``) as integers, alpha x 100."""
    color = color.strip()
    if color.startswith("#"):
        digits = color[1:]
        if len(digits) in (3, 4):
            digits = "".join(c * 2 for c in digits)
        return tuple(int(digits[i : i + 2], 16) for i in range(0, 6, 2))
    values = [float(v) for v in re.findall(r"[\d.]+", color)]
    rgb = tuple(int(v) for v in values[:3])
    return rgb + ((round(values[3] * 100),) if len(values) > 3 and values[3] < 1 else ())


# the live panels, their tokens and their twins, as the page shows them
_STATE = """() => Array.from(document.querySelectorAll('.lw-panel')).map(panel => {
    const live = Array.from(panel.classList).find(c => c.startsWith('lw-live-'));
    const token = live ? live.slice('lw-live-'.length) : null;
    const twin = token ? document.querySelector(`[data-lw-twin="${token}"]`) : null;
    return {token, twin: !!twin, twinDisplay: twin ? getComputedStyle(twin).display : null,
            twinShown: !!(twin && twin.getClientRects().length)};
})"""

# the attention items of the live panels' headlines: severity and computed look
_ATTENTION = """() => Array.from(document.querySelectorAll('.lw-panel .lw-att')).map(a => ({
    severity: (a.className.match(/lw-att-(\\w+)/) || [])[1],
    border: getComputedStyle(a).borderLeftColor, width: getComputedStyle(a).borderLeftWidth,
    background: getComputedStyle(a).backgroundColor,
    badge: getComputedStyle(a.querySelector('.lw-badge')).textTransform}))"""

# shown plotly figures under `scope` that have no trace with data (WebGL draws on a canvas, so
# plotly's own data of each figure is read)
_UNDRAWN = """scope => Array.from(document.querySelectorAll(scope + ' .js-plotly-plot'))
    .filter(p => p.getClientRects().length)
    .filter(p => !(p._fullData || []).some(t => ['x', 'y', 'z', 'values', 'cells', 'dimensions', 'link']
        .some(k => t[k] && (t[k].length || (t[k].values && t[k].values.length) || Object.keys(t[k]).length))))
    .map(p => (p.querySelector('.gtitle') || {}).textContent || '(untitled)')"""
_FIGURE_SPANS = """() => Array.from(document.querySelectorAll('.lw-panel .widget-tab-contents .js-plotly-plot'))
    .filter(p => p.getClientRects().length)
    .map(p => p.getBoundingClientRect().width / p.closest('.widget-tab-contents').getBoundingClientRect().width)"""
_SHOWN_FIGURES = """scope => Array.from(document.querySelectorAll(scope + ' .js-plotly-plot'))
    .filter(p => p.getClientRects().length).length"""


def _undrawn(page, scope: str, timeout: float = 60.0) -> list[str]:
    """Shown figures under ``scope`` without drawn traces, waited for up to ``timeout`` s."""
    deadline = time.monotonic() + timeout
    undrawn = page.evaluate(_UNDRAWN, scope)
    while undrawn and time.monotonic() < deadline:
        page.wait_for_timeout(300)
        undrawn = page.evaluate(_UNDRAWN, scope)
    return undrawn


def _wait_twin_figures_drawn(page, timeout: float = 60_000) -> None:
    """Wait until every shown static figure of the twins is drawn (a twin draws its figures only
    once it shows, and a front end may lay out only what is near the viewport: each twin is
    scrolled into view first); at least one must be."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    twins = page.locator("[data-lw-twin]")
    for i in range(twins.count()):
        twins.nth(i).scroll_into_view_if_needed()
        page.wait_for_timeout(200)
    try:
        page.wait_for_function(
            "() => { const f = Array.from(document.querySelectorAll('[data-lw-twin] .lw-figure'))"
            ".filter(e => e.getClientRects().length);"
            " return f.length > 0 && f.every(e => e.classList.contains('js-plotly-plot')); }",
            timeout=timeout,
        )
    except PlaywrightTimeout:
        state = page.evaluate(
            "() => ({plotly: typeof window.Plotly, loader: typeof window.__lwPlotlyjs,"
            " figures: Array.from(document.querySelectorAll('[data-lw-twin] .lw-figure')).map(e =>"
            " [e.id, e.getClientRects().length, e.classList.contains('js-plotly-plot')])})"
        )
        raise AssertionError(f"twin figures not drawn in {timeout / 1000:.0f} s: {state}") from None


def _theme_variable(page, name: str) -> str:
    return page.evaluate(f"() => getComputedStyle(document.body).getPropertyValue({name!r})")


def assert_live_panels_styled_drawn_twins_hidden(page, panels: int) -> None:
    """``panels`` live panels, each with its token class and a twin of that token, hidden; the
    headlines look as lw.css says, in the page's own theme colours; every shown figure drawn."""
    state = page.evaluate(_STATE)
    assert len(state) == panels, state
    assert all(p["token"] and p["twin"] for p in state), f"a panel without its token or twin: {state}"
    assert len({p["token"] for p in state}) == panels, state
    assert [p["twinDisplay"] for p in state] == ["none"] * panels, state
    assert not any(p["twinShown"] for p in state), state

    rules = _attention_rules()
    items = page.evaluate(_ATTENTION)
    assert items, "no headline in the live panels"
    for item in items:
        variable, background = rules[item["severity"]]
        assert item["width"] == "4px" and item["badge"] == "uppercase", item
        assert _rgb(item["background"]) == _rgb(background), (item, background)
        assert _rgb(item["border"]) == _rgb(_theme_variable(page, variable)), (item, variable)

    assert page.evaluate(_SHOWN_FIGURES, ".lw-panel") > 0, "no live figure shown"
    undrawn = _undrawn(page, ".lw-panel")
    assert not undrawn, f"live figures without traces: {undrawn}"
    # a tab's figure spans its tab (not plotly's default 700 px in a shrunken box)
    spans = page.evaluate(_FIGURE_SPANS)
    assert spans and max(spans) > 0.8, f"shown figures span {spans} of their tab's width"


@dataclass
class Opened:
    """A page of a front end, with what it raised and asked for."""

    page: object
    server: object
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)  # every request (Notebook 7)
    foreign: list[str] = field(default_factory=list)  # requests aborted: not to 127.0.0.1 (Voila)


def _screenshot_panels(opened: Opened, screenshot, name: str, selector: str) -> None:
    """The whole page, then each element matching ``selector``."""
    page = opened.page
    screenshot(page, name)
    items = page.locator(selector)
    for i in range(items.count()):
        items.nth(i).scroll_into_view_if_needed()
        screenshot(items.nth(i), f"{name}-{i + 1}")


# ---------------------------------------------------------------------------------------- Notebook 7


def _kernel_idle(page) -> None:
    page.wait_for_function(
        "() => { const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;"
        " const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;"
        " return !!k && k.status === 'idle'; }",
        timeout=KERNEL_TIMEOUT,
    )


@pytest.fixture(scope="module")
def notebook7(tmp_path_factory: pytest.TempPathFactory, browser) -> Iterator[object]:
    """Notebook 7's page of the notebook, all cells run, with its server and its error log."""
    with start_lab(tmp_path_factory.mktemp("notebook7"), app="notebook") as server:
        _write_notebook(server.root / NOTEBOOK)
        context = browser.new_context(viewport={"width": 1400, "height": 1000}, service_workers="block")
        context.set_default_timeout(30_000)
        try:
            page = context.new_page()
            opened = Opened(page, server)
            page.on("pageerror", lambda err: opened.errors.append(str(err)))
            context.on("request", lambda req: opened.requests.append(req.url))
            page.goto(server.page_url(f"notebooks/{NOTEBOOK}"))
            page.locator(".jp-NotebookPanel .jp-Notebook").wait_for()
            assert page.evaluate("() => document.body.dataset.notebook") == "notebooks", "not Notebook 7"
            _kernel_idle(page)
            page.evaluate("window.jupyterapp.commands.execute('runmenu:run-all')")
            page.wait_for_function(
                "n => document.querySelectorAll('.lw-panel').length === n"
                " && Array.from(document.querySelectorAll('.jp-CodeCell .jp-InputPrompt'))"
                ".every(p => /\\[\\d+\\]/.test(p.textContent))",
                arg=PANELS,
                timeout=KERNEL_TIMEOUT,
            )
            _kernel_idle(page)
            yield opened
        finally:
            context.close()


NOTEBOOK7_PANEL = ".jp-OutputArea-output:has(.lw-panel)"


def test_notebook7_live_panels_are_styled_drawn_and_their_twins_hidden(notebook7, screenshot) -> None:
    page = notebook7.page
    assert page.evaluate("() => document.body.dataset.jpThemeLight") == "true"
    assert_live_panels_styled_drawn_twins_hidden(page, PANELS)
    _screenshot_panels(notebook7, screenshot, "notebook7-light", NOTEBOOK7_PANEL)


def test_notebook7_dark_theme(notebook7, screenshot) -> None:
    page = notebook7.page
    light_warn = _theme_variable(page, "--jp-warn-color1")
    page.evaluate("window.jupyterapp.commands.execute('apputils:change-theme', {theme: 'JupyterLab Dark'})")
    page.wait_for_function("() => document.body.dataset.jpThemeLight === 'false'", timeout=30_000)
    page.wait_for_timeout(500)  # the theme's stylesheet applied
    try:
        assert _theme_variable(page, "--jp-warn-color1") != light_warn  # a theme of its own colours
        assert_live_panels_styled_drawn_twins_hidden(page, PANELS)
        cell = page.evaluate(
            "() => getComputedStyle(document.querySelector('.lw-panel .lw table.lw-table td')).color"
        )
        assert sum(_rgb(cell)[:3]) / 3 > 128, f"table text is dark on the dark theme: {cell}"
        figure_filter = page.evaluate(
            "() => getComputedStyle(document.querySelector('.lw-panel .js-plotly-plot')).filter"
        )
        assert "invert" in figure_filter, f"figures stay white slabs on the dark theme: {figure_filter}"
        _screenshot_panels(notebook7, screenshot, "notebook7-dark", NOTEBOOK7_PANEL)
    finally:
        page.evaluate(
            "window.jupyterapp.commands.execute('apputils:change-theme', {theme: 'JupyterLab Light'})"
        )
        page.wait_for_function("() => document.body.dataset.jpThemeLight === 'true'", timeout=30_000)


def test_notebook7_reopened_without_its_kernel_shows_the_twins(notebook7, screenshot) -> None:
    """Saved, kernel shut down, page reloaded: no panel can be drawn (its widget models died with
    the kernel), so each twin shows with its figures, and no "model not found"."""
    page, server = notebook7.page, notebook7.server
    page.evaluate("window.jupyterapp.commands.execute('docmanager:save')")
    page.wait_for_function(
        "() => { const w = window.jupyterapp.shell.currentWidget;"
        " return !!w && !!w.context && w.context.model.dirty === false; }",
        timeout=30_000,
    )
    saved = nbformat.read(server.root / NOTEBOOK, as_version=4)
    twins_saved = [
        o
        for cell in saved.cells
        for o in cell.get("outputs", [])
        if 'data-lw-twin="' in str(o.get("data", {}).get("text/html", ""))
    ]
    assert len(twins_saved) == PANELS, "the saved notebook lacks the twins"
    for kernel in server.api("kernels"):  # type: ignore[union-attr]
        server.api(f"kernels/{kernel['id']}", method="DELETE", timeout=30)
    page.reload()
    page.locator(".jp-NotebookPanel .jp-Notebook").wait_for()
    page.wait_for_function(
        "n => Array.from(document.querySelectorAll('[data-lw-twin]'))"
        ".filter(e => e.getClientRects().length).length === n",
        arg=PANELS,
        timeout=KERNEL_TIMEOUT,
    )
    assert page.locator(".lw-panel").count() == 0, "a panel came back to life"
    page.wait_for_timeout(1_000)  # the widget manager has had its chance to say "model not found"
    visible_errors = page.evaluate(
        "() => Array.from(document.querySelectorAll('.jp-OutputArea-output'))"
        ".filter(e => e.getClientRects().length && /model not found|Error displaying widget/i.test(e.innerText))"
        ".map(e => e.innerText.slice(0, 120))"
    )
    assert not visible_errors, f"outputs that say the widget is gone: {visible_errors}"
    _wait_twin_figures_drawn(page)
    undrawn = _undrawn(page, "[data-lw-twin]")
    assert not undrawn, f"reopened: twin figures without traces: {undrawn}"
    _screenshot_panels(notebook7, screenshot, "notebook7-reopened", ".jp-OutputArea-output:has([data-lw-twin])")

    errors = [e for e in js_errors(notebook7.errors) if not NOTEBOOK7_OWN_ERROR.match(e)]
    assert not errors, f"JavaScript errors in the Notebook 7 page: {errors}"
    foreign = [u for u in notebook7.requests if not LOCAL.match(u)]
    assert not foreign, f"requests to hosts other than 127.0.0.1: {foreign}"


# --------------------------------------------------------------------------------------------- Voila


@pytest.fixture(scope="module")
def voila_page(tmp_path_factory: pytest.TempPathFactory, browser) -> Iterator[object]:
    """Voila's page of the notebook, rendered; requests not to 127.0.0.1 are aborted and kept."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    base = tmp_path_factory.mktemp("voila")
    notebook = _write_notebook(base / NOTEBOOK)
    with start_voila(base / "server", notebook) as server:
        context = browser.new_context(viewport={"width": 1400, "height": 1000}, service_workers="block")
        context.set_default_timeout(30_000)
        try:
            page = context.new_page()
            opened = Opened(page, server)

            def abort_foreign(route) -> None:
                opened.foreign.append(route.request.url)
                route.abort()

            context.route(lambda url: not LOCAL.match(url), abort_foreign)
            page.on("pageerror", lambda err: opened.errors.append(str(err)))
            page.goto(server.page_url(""), timeout=VOILA_TIMEOUT)
            try:
                page.wait_for_function(
                    "n => document.querySelectorAll('.lw-panel').length === n", arg=PANELS, timeout=VOILA_TIMEOUT
                )
            except PlaywrightTimeout:  # once in CI, with no error anywhere: say where the kernel was
                shown = page.locator(".lw-panel").count()
                pytest.fail(
                    f"Voila showed {shown} of {PANELS} panels in {VOILA_TIMEOUT / 1000:.0f} s.\n"
                    f"Page text: {page.inner_text('body')[:1500]!r}\nServer log:\n{server.log_tail()}\n"
                    f"Kernel stacks:\n{kernel_stacks(server)}",
                    pytrace=False,
                )
            yield opened
        finally:
            context.close()


def test_voila_live_panels_are_styled_drawn_and_their_twins_hidden(voila_page, screenshot) -> None:
    page = voila_page.page
    assert page.evaluate("() => document.body.dataset.voila") == "voila", "not a Voila page"
    assert_live_panels_styled_drawn_twins_hidden(page, PANELS)
    _screenshot_panels(voila_page, screenshot, "voila", ".jp-OutputArea-output:has(.lw-panel)")
    assert not js_errors(voila_page.errors), f"JavaScript errors in the Voila page: {voila_page.errors}"
    # nothing of this package asks for the network; Voila's own template links a font from a CDN
    assert all(VOILA_TEMPLATE_CDN.match(u) for u in voila_page.foreign), voila_page.foreign


# ------------------------------------------------------------------------------------------- VS Code

# VS Code's notebook webview, reduced to what decides the twin's fate: one document, each output in
# a container of its own, text/html inserted with innerHTML and its scripts re-created (as its
# built-in renderer's ``renderHTML`` and ``domEval`` do), the theme as a body class and variables
_VSCODE_PAGE = """<!DOCTYPE html><html style="{variables}"><head><meta charset="utf-8"></head>
<body class="{theme}" data-vscode-theme-kind="{theme}"><div id="container"></div></body></html>"""
_VSCODE_VARIABLES = {
    "vscode-light": "--vscode-font-family:sans-serif;--vscode-editor-foreground:#3b3b3b;"
    "--vscode-editor-background:#ffffff;--vscode-errorForeground:#f85149;"
    "--vscode-editorWarning-foreground:#bf8803;--vscode-panel-border:#e5e5e5;"
    "--vscode-descriptionForeground:#717171;--vscode-editorWidget-background:#f8f8f8;background:#ffffff",
    "vscode-dark": "--vscode-font-family:sans-serif;--vscode-editor-foreground:#cccccc;"
    "--vscode-editor-background:#1f1f1f;--vscode-errorForeground:#f85149;"
    "--vscode-editorWarning-foreground:#cca700;--vscode-panel-border:#2b2b2b;"
    "--vscode-descriptionForeground:#9d9d9d;--vscode-editorWidget-background:#202020;background:#1f1f1f",
}
_VSCODE_ADD_OUTPUT = """([cell, kind, content]) => {
    let cellNode = document.getElementById(cell);
    if (!cellNode) {
        cellNode = document.createElement('div');
        cellNode.id = cell; cellNode.className = 'cell_container';
        document.getElementById('container').appendChild(cellNode);
    }
    const container = document.createElement('div');
    container.className = 'output_container';
    const output = document.createElement('div');
    output.className = 'output'; output.id = cell + '-' + cellNode.children.length;
    container.appendChild(output); cellNode.appendChild(container);
    const element = document.createElement('div');
    if (kind === 'html') {
        element.innerHTML = content;
        output.appendChild(element);
        for (const old of Array.from(element.getElementsByTagName('script'))) {
            const fresh = document.createElement('script');
            fresh.text = old.innerText;
            for (const key of ['type', 'src', 'nonce', 'noModule', 'async']) {  // all it keeps
                const value = old[key] || old.getAttribute(key);
                if (value) fresh.setAttribute(key, value);
            }
            element.appendChild(fresh).parentNode.removeChild(fresh);
        }
    } else {  // the widget renderer's view: a stand-in built from the real panel
        element.innerHTML = content;
        output.appendChild(element.firstElementChild);
    }
    return output.id;
}"""


def _panel_stand_in(panel) -> str:
    """The widget view of ``panel`` as ipywidgets draws it: its root ``div`` with the model's
    classes, and the panel's top-level HTML widgets (stylesheet, title, headline) as HTML widgets."""
    import ipywidgets

    frame = ["lm-Widget", "jupyter-widgets", "widget-container", "widget-box", "widget-vbox"]
    classes = " ".join([*frame, *panel.get_state()["_dom_classes"]])
    children = "".join(
        f'<div class="lm-Widget jupyter-widgets widget-inline-hbox widget-html">'
        f'<div class="widget-html-content">{child.value}</div></div>'
        for child in panel.children
        if isinstance(child, ipywidgets.HTML)
    )
    return f'<div class="{classes}">{children}</div>'


@pytest.mark.parametrize("theme", ["vscode-light", "vscode-dark"])
def test_vscode_like_webview_hides_the_twin_while_its_panel_shows(
    browser, screenshot, credit_profile, theme
) -> None:
    import lifecycle_widgets as lw
    from lifecycle_widgets.panels import display

    display.reset_plotlyjs()  # the first twin of a kernel carries plotly.js, as in a fresh notebook
    try:
        with lw.config_context(display="live"):
            panel = credit_profile.panel()
            twin, view = display.live_outputs(credit_profile, panel=panel)
    finally:
        display.reset_plotlyjs()
    assert "application/vnd.jupyter.widget-view+json" in view
    token = next(c for c in panel._dom_classes if c.startswith("lw-live-")).removeprefix("lw-live-")

    page = browser.new_page(viewport={"width": 1200, "height": 900})
    try:
        errors: list[str] = []
        page.on("pageerror", lambda err: errors.append(str(err)))
        page.set_content(_VSCODE_PAGE.format(theme=theme, variables=_VSCODE_VARIABLES[theme]))
        assert page.locator("[class*='jp-']").count() == 0  # nothing of JupyterLab's DOM
        # the kernel is gone (a reopened notebook): the twin alone, drawn
        twin_output = page.evaluate(_VSCODE_ADD_OUTPUT, ["cell-1", "html", twin["text/html"]])
        twin_node = page.locator(f'[data-lw-twin="{token}"]')
        assert twin_node.is_visible()
        _wait_twin_figures_drawn(page)
        undrawn = _undrawn(page, "[data-lw-twin]", timeout=30)
        assert not undrawn, f"twin figures without traces: {undrawn}"
        figure_filter = page.evaluate(
            "() => getComputedStyle(document.querySelector('[data-lw-twin] .js-plotly-plot')).filter"
        )
        assert ("invert" in figure_filter) == (theme == "vscode-dark"), figure_filter
        screenshot(page, f"{theme}-twin")

        # the live panel arrives in an output of its own: the twin hides, and takes no room
        page.evaluate(_VSCODE_ADD_OUTPUT, ["cell-1", "widget", _panel_stand_in(panel)])
        assert page.locator(f".lw-panel.lw-live-{token}").is_visible()
        assert twin_node.evaluate("e => getComputedStyle(e).display") == "none"
        assert not twin_node.is_visible()
        assert page.evaluate(f"() => document.getElementById({twin_output!r}).offsetHeight") == 0
        # the package stylesheet styles the panel in VS Code's colours
        foreground = _VSCODE_VARIABLES[theme].split("--vscode-editor-foreground:")[1].split(";")[0]
        color = page.evaluate("() => getComputedStyle(document.querySelector('.lw-panel .lw')).color")
        assert _rgb(color) == _rgb(foreground), (color, foreground)
        rules = _attention_rules()
        for item in page.evaluate(_ATTENTION):
            assert _rgb(item["background"]) == _rgb(rules[item["severity"]][1]), item
            assert item["width"] == "4px" and item["badge"] == "uppercase", item
        screenshot(page, f"{theme}-panel")

        # the output cleared (a restarted kernel): the twin shows again
        page.evaluate("() => document.querySelector('.lw-panel').remove()")
        assert twin_node.is_visible()
        assert not js_errors(errors), f"JavaScript errors: {errors}"
    finally:
        page.close()
