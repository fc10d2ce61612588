"""An audit record's files, each opened alone with nothing from the network, in real Chromium.

The record (``lw.audit.run`` of ``notebooks/data_audit.ipynb``) holds plotly.js once, in its HTML.

- its notebook, opened in real JupyterLab with no kernel (the page may start none: the
  sessions and kernels APIs are refused) and untrusted (the server never signed it): every
  figure is drawn, by JupyterLab's bundled plotly renderer from plotly's mimetype;
- its HTML, opened from disk with every request beyond the file refused: every figure is
  drawn from its gzipped payload, and the column picker switches the figure.
"""

from __future__ import annotations

import html
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest

import lifecycle_widgets as lw
from lifecycle_widgets.panels import display

from .lab_page import KERNEL_TIMEOUT, LOCAL
from .test_offline_html import DRAW_TIMEOUT, assert_figures_drew, open_offline, title_of

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

ROOT = Path(__file__).resolve().parents[2]
DATA_AUDIT = ROOT / "notebooks" / "data_audit.ipynb"
KERNEL_APIS = re.compile(r"/api/(sessions|kernels)\b")


@pytest.fixture(scope="module")
def record(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    from lifecycle_widgets.store.keys import new_key

    base = tmp_path_factory.mktemp("record")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LIFECYCLE_WIDGETS_KEYS", str(base / "keys"))
        mp.setenv("LIFECYCLE_WIDGETS_STORE", str(base / "lifecycle.db"))
        mp.delenv("LIFECYCLE_WIDGETS_DISPLAY", raising=False)
        new_key("tester")
        rec = lw.audit.run(
            DATA_AUDIT, {"demo_rows": 2000}, out=base / "audits", store=base / "lifecycle.db", progress=False
        )
    assert rec.status == "succeeded"
    yield rec.path


def _plain(title: str) -> str:
    """A figure title as its SVG text reads: markup out, entities resolved, spaces squeezed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", title)).split())


def _figure_outputs(nb) -> int:
    return sum(display.PLOTLY_MIME in o.get("data", {}) for cell in nb.cells for o in cell.get("outputs", []))


def test_the_notebook_draws_every_figure_without_a_kernel(record: Path, browser, lab, screenshot) -> None:
    notebook = next(record.glob("*.ipynb"))
    nb = nbformat.read(notebook, as_version=4)
    titles = {
        _plain(o["data"][display.PLOTLY_MIME]["layout"]["title"]["text"])
        for cell in nb.cells
        for o in cell.get("outputs", [])
        if display.PLOTLY_MIME in o.get("data", {})
    }
    assert len(titles) >= 5
    name = "record_offline.ipynb"
    shutil.copyfile(notebook, lab.root / name)
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, service_workers="block")
    context.set_default_timeout(30_000)
    refused, foreign, errors = [], [], []

    def route(r) -> None:
        url = r.request.url
        if KERNEL_APIS.search(url):
            refused.append(f"{r.request.method} {url.split('?')[0]}")
            r.abort()
        elif not LOCAL.match(url) and not url.startswith(("data:", "blob:")):
            foreign.append(url)
            r.abort()
        else:
            r.continue_()

    try:
        context.route("**/*", route)
        page = context.new_page()
        page.on("pageerror", lambda err: errors.append(str(err)))
        started = time.monotonic()
        page.goto(lab.page_url(f"lab/workspaces/lw-record-offline/tree/{name}?reset"))
        page.locator(".jp-NotebookPanel .jp-Notebook").wait_for()
        # every figure output drawn by jupyterlab-plotly, with traces; the notebook renders the
        # cells in view only, so it is scrolled through, and each drawn figure's title noted
        drawn_script = """() => Array.from(document.querySelectorAll(
            '.jp-RenderedPlotly.js-plotly-plot'))
            .filter(p => (p._fullData || []).some(t => ['x', 'y', 'z', 'values']
                .some(k => t[k] && (t[k].length || Object.keys(t[k]).length))))
            .map(p => (p.querySelector('.gtitle') || {}).textContent || '')"""
        scroller = page.locator(".jp-NotebookPanel .jp-WindowedPanel-outer")
        seen: set[str] = set()
        tables = 0
        deadline = time.monotonic() + KERNEL_TIMEOUT / 1000
        at_end = False
        while not (titles <= seen and at_end) and time.monotonic() < deadline:
            dialog = page.locator(".jp-Dialog .jp-Dialog-button")  # "Server connection error"
            if dialog.count():
                dialog.last.click()
            seen |= {_plain(t) for t in page.evaluate(drawn_script)}
            tables = max(tables, page.locator(".jp-OutputArea-output .lw-table").count())
            at_end = scroller.evaluate("s => s.scrollTop + s.clientHeight >= s.scrollHeight - 2")
            scroller.evaluate("s => s.scrollBy(0, 400)")
            page.wait_for_timeout(300)
        print(f"{len(seen & titles)} of {len(titles)} figures drawn in {time.monotonic() - started:.1f} s")
        print(f"refused: {sorted(set(refused))}")
        scroller.evaluate("s => s.scrollTo(0, 0)")
        page.wait_for_timeout(500)
        screenshot(page, "record-notebook")
        assert seen >= titles, f"figures never drawn: {sorted(titles - seen)}"
        assert tables > 0  # the tables show too
        sessions = [s for s in lab.api("sessions") if s.get("path", "").endswith(name)]
        assert not sessions, f"a kernel session was started for the record: {sessions}"
        assert not foreign, f"requests to hosts other than 127.0.0.1: {foreign}"
        # Lab's own complaints at the refused kernel APIs are expected; nothing else may fail
        refusal = re.compile(r"Failed to fetch|reading 'kernel'|api/(sessions|kernels)")
        assert not [e for e in errors if not refusal.search(e)], errors
    finally:
        context.close()


def test_the_html_draws_every_figure_offline(record: Path, context, screenshot) -> None:
    html = next(record.glob("*.html"))
    offline = open_offline(context, html)
    page = offline.page
    n = assert_figures_drew(page)
    assert n == _figure_outputs(nbformat.read(next(record.glob("*.ipynb")), as_version=4))
    select = page.locator(".lw select").first
    figure = page.locator(f"[id='{select.get_attribute('id').removesuffix('-pick')}']")
    before = title_of(figure)
    options = select.locator("option").all_text_contents()
    other = next(o for o in options if o not in (before, "customer_id"))
    select.select_option(label=other)
    page.wait_for_function(
        "([id, t]) => document.getElementById(id)?.querySelector('.gtitle')?.textContent === t",
        arg=[figure.get_attribute("id"), other],
        timeout=DRAW_TIMEOUT,
    )
    assert figure.locator(".main-svg").count() >= 1
    select.scroll_into_view_if_needed()
    screenshot(page, f"record-html-{other}")
    offline.check_clean()
