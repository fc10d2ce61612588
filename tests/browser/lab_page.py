"""The Lab page every browser test module drives: open a fixture notebook in JupyterLab, run all
its cells, wait for the panel, and check at the end that the page talked to 127.0.0.1 only.

Each ``test_lab_*`` module makes one page with ``open_and_run`` in a module-scoped fixture and ends
with ``assert_local_only``.
"""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

RUN_ALL = "runmenu:run-all"  # Run > Run All Cells in JupyterLab 4.6
KERNEL_TIMEOUT = 60_000  # ms: kernel start, and the fixture's own work (training, profiling, logging)
FIGURE_TIMEOUT = 60_000  # ms: a FigureWidget carries plotly.js (~5 MB) in its state
LOCAL = re.compile(r"^(https?|wss?)://127\.0\.0\.1:\d+/")

# An ``init_script`` for ``open_and_run`` that counts the evaluations of plotly.js in the page: each
# ends with ``window.Plotly = Plotly``, recorded (its version) in ``window.__lwPlotlySets``.
COUNT_PLOTLY = """
(() => {
  let current;
  window.__lwPlotlySets = [];
  Object.defineProperty(window, "Plotly", {
    configurable: true,
    get() { return current; },
    set(value) { window.__lwPlotlySets.push(String(value && value.version)); current = value; },
  });
})();
"""
# scripts a static twin's loader added to the page's head to evaluate its inert copy of plotly.js
TWIN_EVALUATED = "[...document.head.querySelectorAll('script')].filter(s => s.textContent.length > 1e6).length"
# anywidget (0.9 to 0.11) rejects a model's ``ready`` when its module has not loaded 2 s after the
# model was made, and says so as an uncaught error; the module still loads and the view draws (the
# model's later messages from the kernel are dropped: its ``_handle_comm_msg`` awaits ``ready``).
# A page drawing many figures on a starved CI machine can miss that deadline (once in a dozen CI
# runs, in the every-panel test). What a page shows is checked on its own; this error alone is
# anywidget's timing, not a fault of the page.
ANYWIDGET_DEADLINE = "[anywidget] Failed to initialize model."


def js_errors(errors: list[str]) -> list[str]:
    """The page's JavaScript errors, less anywidget's load deadline (``ANYWIDGET_DEADLINE``)."""
    missed = sum(e == ANYWIDGET_DEADLINE for e in errors)
    if missed:
        print(f"anywidget's 2 s load deadline missed {missed} time(s): the figures are checked apart")
    return [e for e in errors if e != ANYWIDGET_DEADLINE]


@dataclass
class LabPage:
    page: object
    output: object  # the output area that holds the panel
    started: float
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    first_row: int | None = None  # explanation panel: the row the Local tab showed first

    def tab(self, title: str):
        """Select tab ``title``; return the locator of the shown tab's contents."""
        self.output.locator(".widget-tab .lm-TabBar-tab", has_text=title).click()
        return self.expect_tab(title)

    def expect_tab(self, title: str, timeout: float = 5_000):
        """Wait until tab ``title`` is the selected one; return the shown tab's contents."""
        from playwright.sync_api import expect

        current = self.output.locator(".widget-tab .lm-TabBar-tab.lm-mod-current")
        expect(current).to_have_text(title, timeout=timeout)
        return self.shown()

    def shown(self):
        return self.output.locator(".widget-tab-contents > .widget-box:not(.lm-mod-hidden)")


def open_and_run(browser, lab, fixture: Path, *, init_script: str | None = None) -> Iterator[LabPage]:
    """Open ``fixture`` in Lab, run all its cells and wait for the panel (a ``.widget-tab``) to
    show; yield the page with its request and error logs. ``init_script`` runs in the page before
    JupyterLab's own scripts."""
    from playwright.sync_api import expect

    shutil.copyfile(fixture, lab.root / fixture.name)
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, service_workers="block")
    context.set_default_timeout(30_000)
    if init_script:
        context.add_init_script(init_script)
    try:
        page = context.new_page()
        result = LabPage(page=page, output=None, started=time.monotonic())
        context.on("request", lambda req: result.requests.append(req.url))
        page.on("websocket", lambda ws: result.requests.append(ws.url))
        page.on("pageerror", lambda err: result.errors.append(str(err)))

        # A workspace of this module's own, reset: Lab restores no notebook another module opened
        # (the default workspace lives on the server, shared by every page of the session).
        workspace = f"lw-{fixture.stem.replace('_', '-')}"
        page.goto(lab.page_url(f"lab/workspaces/{workspace}/tree/{fixture.name}?reset"))
        page.locator(".jp-NotebookPanel .jp-Notebook").wait_for()
        idle = page.locator(".jp-StatusBar-TextItem", has_text=re.compile(r"\|\s*Idle"))
        idle.wait_for(timeout=KERNEL_TIMEOUT)
        commands = page.evaluate("window.jupyterapp.commands.listCommands()")
        assert RUN_ALL in commands, (
            f"JupyterLab has no command {RUN_ALL!r}; its run-all commands: "
            f"{[c for c in commands if 'run-all' in c]}"
        )

        page.evaluate(f"window.jupyterapp.commands.execute({RUN_ALL!r})")
        result.output = page.locator(".jp-OutputArea-output").filter(has=page.locator(".widget-tab"))
        expect(result.output).to_have_count(1, timeout=KERNEL_TIMEOUT)
        expect(page.locator(".jp-CodeCell .jp-InputPrompt").last).to_have_text(re.compile(r"\[\d+\]"))
        idle.wait_for(timeout=KERNEL_TIMEOUT)
        print(f"panel shown {time.monotonic() - result.started:.1f} s after opening the notebook")
        yield result
    finally:
        context.close()


def assert_local_only(lab_page: LabPage) -> None:
    """Every request of the page went to 127.0.0.1 and no JavaScript error was raised."""
    requests = lab_page.requests
    assert requests, "no request recorded: the request listener is broken"
    foreign = [
        u
        for u in requests
        if not LOCAL.match(u)
        and not u.startswith(("data:", "about:"))
        and not re.match(r"^blob:http://127\.0\.0\.1:\d+/", u)
    ]
    assert not foreign, f"requests to hosts other than 127.0.0.1: {foreign}"
    assert not js_errors(lab_page.errors), f"JavaScript errors in the Lab page: {lab_page.errors}"
    print(
        f"{len(requests)} requests, all to 127.0.0.1; "
        f"{time.monotonic() - lab_page.started:.1f} s since the notebook was opened"
    )


def plot_size(plot) -> tuple[float, float]:
    """The rendered width and height of ``plot`` in pixels, (0, 0) when it has no box."""
    box = plot.bounding_box()
    return (box["width"], box["height"]) if box else (0.0, 0.0)
