"""Light live panels, measured in real JupyterLab and real Chromium.

A notebook builds a data profile and an explanation, then shows a ``ProfilePanel`` and an
``ExplanationPanel``, one cell each, run one at a time. Measured in the browser:

- bytes the kernel sends to draw the panel (first display) and per interaction: the widget
  messages (``comm_open`` and ``comm_msg``) read off the kernel's websocket, as frames arrive
  (the v1 websocket protocol, decoded with jupyter_server's own function); the static twin that
  the display publishes beside the panel (``display.live_outputs``; it carries plotly.js the
  first time in a kernel) is a ``display_data``, reported on its own row;
- time from the panel's element entering the page to its first figure drawn (a plot with a
  trace), and from the cell's start to the panel shown;
- redraw time of a pick, from the user's action to the new figure drawn: a column picked in the
  profile's Columns tab (the figure's title becomes the column), and a beeswarm point clicked in
  the explanation's Global tab (the Local tab's waterfall shows that row). Each is timed in the
  page (``performance.now()`` at the event, then every animation frame until the new figure is
  there), several times; the table gives the median and the slowest.

Targets (issue 15, item 3): first display <= 200 kB, an interaction <= 50 kB, first figure
drawn <= 2 s after the panel's display, each pick <= 300 ms.

    .venv/bin/python benchmarks/bench_browser.py [--rows 2000] [--explain-rows 100] [--picks 6]

Needs Debian's Chromium at /usr/bin/chromium (``bash .ci/system-deps.sh``) and playwright. The
JupyterLab server and the browser are those of the browser tests (``tests/browser/conftest.py``):
127.0.0.1, a token of their own, temporary settings, nothing from the network. The table is
printed and written to ``benchmarks/results/browser.md``; see ``README_browser.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
sys.path.insert(0, str(ROOT))

from tests.browser import conftest as browser_setup  # noqa: E402  (the browser tests' Lab and Chromium)
from tests.browser.lab_page import COUNT_PLOTLY  # noqa: E402  (counts plotly.js evaluations)

TARGETS = {"first display": 200_000, "interaction": 50_000, "first figure": 2.0, "pick": 0.300}
COMM_TYPES = {"comm_open", "comm_msg"}
CELL_TIMEOUT = int(
    os.environ.get("LW_BENCH_TIMEOUT_MS", 300_000)
)  # ms: building the explanation (SHAP on the rows) on a shared machine

SETUP = """\
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder

import lifecycle_widgets as lw

df = lw.datasets.credit(n_rows={rows})
prof = lw.profile(df, target="defaulted")
numeric = ["age", "income", "utilization", "n_accounts", "late_payments"]
X, y = df[[*numeric, "region"]], df["defaulted"]
columns = ColumnTransformer(
    [("num", "passthrough", numeric), ("cat", OneHotEncoder(handle_unknown="ignore"), ["region"])]
)
model = make_pipeline(columns, RandomForestClassifier(n_estimators=50, max_depth=6, random_state=0)).fit(X, y)
explainer = lw.Explainer(model)
exp = explainer.explain(X, y, max_rows={explain_rows})
print("lifecycle_widgets from", lw.__file__)
"""
PROFILE_CELL = "lw.ProfilePanel(prof)"
EXPLANATION_CELL = "lw.ExplanationPanel(exp, explainer=explainer)"


# --- what the kernel sends ---------------------------------------------------------------------


@dataclass
class Frame:
    at: float  # time.monotonic() when the frame arrived
    msg_type: str
    nbytes: int  # the whole websocket frame


@dataclass
class Traffic:
    frames: list[Frame] = field(default_factory=list)

    def on_frame(self, payload: Any) -> None:
        from jupyter_server.services.kernels.connection.base import deserialize_msg_from_ws_v1

        try:
            if isinstance(payload, str):
                msg_type = json.loads(payload).get("header", {}).get("msg_type", "?")
                size = len(payload.encode("utf-8"))
            else:
                _, parts = deserialize_msg_from_ws_v1(payload)
                msg_type = json.loads(parts[0]).get("msg_type", "?")
                size = len(payload)
        except (ValueError, IndexError, KeyError):
            msg_type, size = "?", len(payload)
        self.frames.append(Frame(time.monotonic(), msg_type, size))

    def mark(self) -> int:
        return len(self.frames)

    def since(self, mark: int, types: set[str]) -> tuple[int, int]:
        picked = [f for f in self.frames[mark:] if f.msg_type in types]
        return sum(f.nbytes for f in picked), len(picked)


# --- the page ------------------------------------------------------------------------------------

# In the page: when the panel's element first shows, and when its first figure is drawn.
WATCH = """([index]) => {
  const cell = window.jupyterapp.shell.currentWidget.content.widgets[index].node;
  window.__lw = {panel: null, figure: null, started: performance.now()};
  const drawn = (p) => (p._fullData || []).some((t) => ['x', 'y', 'z', 'values'].some(
      (k) => t[k] && (t[k].length || Object.keys(t[k]).length)));
  const check = () => {
    const now = performance.now();
    if (window.__lw.panel === null && cell.querySelector('.lw-panel')) window.__lw.panel = now;
    if (window.__lw.panel !== null && window.__lw.figure === null &&
        Array.from(cell.querySelectorAll('.lw-panel .js-plotly-plot')).some(drawn)) {
      window.__lw.figure = now;
      observer.disconnect();
    }
  };
  // a mutation observer runs right after each change to the page, so the times are those of
  // the panel's element and of the figure's SVG entering the page
  const observer = new MutationObserver(check);
  observer.observe(cell, {childList: true, subtree: true});
}"""

# In the page: pick ``label`` in the Columns tab's drop-down; resolves with the ms until the
# figure's title is that column.
PICK = """async ([index, label]) => {
  const cell = window.jupyterapp.shell.currentWidget.content.widgets[index].node;
  const tab = Array.from(cell.querySelectorAll('.widget-tab-contents > .widget-box'))
      .find((b) => !b.classList.contains('lm-mod-hidden'));
  const select = tab.querySelector('.widget-dropdown select');
  const option = Array.from(select.options).find((o) => o.text === label);
  const t0 = performance.now();
  select.value = option.value;
  select.dispatchEvent(new Event('change', {bubbles: true}));
  return await new Promise((resolve) => {
    const tick = () => {
      const title = tab.querySelector('.js-plotly-plot .gtitle');
      if (title && title.textContent === label) resolve(performance.now() - t0);
      else if (performance.now() - t0 > 20000) resolve(-1);
      else requestAnimationFrame(tick);
    };
    tick();
  });
}"""

# In the page: a beeswarm point at least 8 px from every other, of a row not in ``skip``
POINT = """(gd, skip) => {
  const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis, t = gd.data[0];
  const box = gd.querySelector('.main-svg').getBoundingClientRect();
  const rows = Array.from(t.customdata);
  const px = Array.from(t.x, (x, i) => [xa._offset + xa.l2p(x), ya._offset + ya.l2p(t.y[i])]);
  const cx = xa._offset + xa._length / 2, cy = ya._offset + ya._length / 2;
  let best = null;
  px.forEach(([x, y], i) => {
    if (skip.includes(rows[i])) return;
    let nearest = Infinity;
    px.forEach(([u, v], j) => { if (j !== i) nearest = Math.min(nearest, Math.hypot(u - x, v - y)); });
    const centre = Math.hypot(x - cx, y - cy);
    if (nearest >= 8 && (!best || centre < best.centre)) best = {row: rows[i], centre, x, y};
  });
  return best && {row: best.row, x: box.left + best.x, y: box.top + best.y};
}"""

# In the page: from the next pointer-down, the ms until the Local tab's waterfall is row ``row``'s.
ARM_CLICK = """([index, row]) => {
  const cell = window.jupyterapp.shell.currentWidget.content.widgets[index].node;
  window.__lwClick = new Promise((resolve) => {
    document.addEventListener('pointerdown', () => {
      const t0 = performance.now();
      window.__lwClickAt = Date.now();
      const tick = () => {
        const drawn = Array.from(cell.querySelectorAll('.js-plotly-plot .gtitle'))
            .some((t) => t.textContent.startsWith(`Row ${row}: SHAP`));
        if (drawn) resolve(performance.now() - t0);
        else if (performance.now() - t0 > 60000) resolve(-1);
        else requestAnimationFrame(tick);
      };
      tick();
    }, {once: true, capture: true});
  });
}"""


# In the page (``--trace``): every kernel message frame in and out of the page, with the kernel's
# and the page's clocks (both the machine's wall clock, in epoch ms), every Plotly.react with its
# start and duration, and the page's long tasks (over 50 ms); read back per click as a timeline.
TRACE = """
(() => {
  // the wall clock, as the kernel's message dates (performance.timeOrigin drifts from it)
  const now = () => Date.now();
  const log = (window.__lwTrace = []);
  const text = new TextDecoder();
  const parts = (data) => {
    if (typeof data === "string") { const m = JSON.parse(data); return [m.header, m.parent_header, m.content]; }
    const view = new DataView(data);
    const n = Number(view.getBigUint64(0, true));
    const offsets = Array.from({length: n}, (_, i) => Number(view.getBigUint64(8 * (i + 1), true)));
    const part = (i) => JSON.parse(text.decode(new Uint8Array(data, offsets[i], offsets[i + 1] - offsets[i])));
    return [part(1), part(2), part(4)];
  };
  const describe = (dir, data) => {
    try {
      const [header, parent, content] = parts(data);
      const d = (content && content.data) || {};
      const state = d.state ? Object.keys(d.state).join(",") : "";
      log.push({dir, at: now(), bytes: data.byteLength || data.length, type: header.msg_type,
                sent: Date.parse(header.date), id: header.msg_id, parent: parent && parent.msg_id,
                comm: content && content.comm_id, what: d.method ? d.method + " " + state
                  : (content && content.execution_state) || (d.content && d.content.type) || ""});
    } catch (err) { log.push({dir, at: now(), bytes: 0, type: "?", what: String(err)}); }
  };
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener("message", (e) => describe("in", e.data));
    }
    send(data) { describe("out", data); return super.send(data); }
  };
  new PerformanceObserver((list) => list.getEntries().forEach((e) =>
    log.push({dir: "page", at: Date.now() - performance.now() + e.startTime, type: "longtask",
              what: `${Math.round(e.duration)} ms`}))).observe({type: "longtask", buffered: true});
  const wrap = () => {
    const P = window.Plotly;
    if (!P || P.__lwTraced) return;
    const react = P.react;
    P.react = async function (gd, ...rest) {
      const layout = rest[1] || {};
      const title = (layout.title && (layout.title.text || layout.title)) || "";
      const start = now();
      const out = await react.call(this, gd, ...rest);
      log.push({dir: "page", at: start, type: "react", what: `${String(title).slice(0, 24)} ${Math.round(now() - start)} ms`});
      return out;
    };
    P.__lwTraced = true;
  };
  setInterval(wrap, 200);
})();
"""


def _timeline(trace: list[dict[str, Any]], start: float, end: float) -> str:
    """The trace's events from ``start`` to ``end`` (epoch ms), one a line, in ms from ``start``;
    a kernel message says when the kernel sent it (its header's date) and when it arrived."""
    lines = []
    for e in sorted(trace, key=lambda e: e["at"]):
        if not start - 50 <= e["at"] <= end:
            continue
        if e["type"] == "longtask" or e["type"] == "react":
            lines.append(f"  {e['at'] - start:7.0f}  page {e['type']} {e['what']}")
        elif e["type"] in ("comm_msg", "status", "comm_open", "display_data", "clear_output"):
            sent = f"sent {e['sent'] - start:7.0f}" if e.get("sent") else ""
            lines.append(
                f"  {e['at'] - start:7.0f}  {e['dir']:>3} {e['type']} {e['what']} {e['bytes']} B {sent}"
            )
    return "\n".join(lines)


def _run_cell(page: Any, index: int) -> None:
    page.evaluate(
        """(i) => { const nb = window.jupyterapp.shell.currentWidget.content; nb.activeCellIndex = i;
                    window.jupyterapp.commands.execute('notebook:run-cell'); }""",
        index,
    )


def _wait_idle(page: Any, timeout: float = CELL_TIMEOUT) -> None:
    idle = page.locator(".jp-StatusBar-TextItem", has_text=re.compile(r"\|\s*Idle"))
    page.wait_for_timeout(200)
    idle.wait_for(timeout=timeout)


def _settle(page: Any, traffic: Traffic, quiet: float = 0.5, limit: float = 30.0) -> None:
    """Wait until no frame has arrived for ``quiet`` seconds (the kernel's last updates in).
    Playwright hands over websocket frames only while it runs, so the wait is the page's own."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        page.wait_for_timeout(100)
        last = traffic.frames[-1].at if traffic.frames else 0.0
        if time.monotonic() - last >= quiet:
            return


@dataclass
class Row:
    what: str
    value: float | None
    unit: str  # "B", "s" or "n" (a count)
    target: float | None = None
    note: str = ""

    @property
    def verdict(self) -> str:
        if self.target is None or self.value is None:
            return ""
        return "PASS" if self.value <= self.target else "FAIL"

    def shown(self) -> str:
        if self.value is None:
            return "n/a"
        if self.unit == "n":
            return f"{self.value:,.0f}"
        return f"{self.value / 1000:,.1f} kB" if self.unit == "B" else f"{self.value * 1000:,.0f} ms"

    def target_shown(self) -> str:
        if self.target is None:
            return ""
        if self.unit == "n":
            return f"<= {self.target:,.0f}"
        return f"<= {self.target / 1000:,.0f} kB" if self.unit == "B" else f"<= {self.target * 1000:,.0f} ms"


def _display(page: Any, traffic: Traffic, index: int, name: str) -> list[Row]:
    """Run the panel's cell; the bytes and times of its first display."""
    page.evaluate(WATCH, [index])
    page.wait_for_timeout(100)
    mark = traffic.mark()
    _run_cell(page, index)
    print(f"{name}: cell started", flush=True)
    try:
        page.wait_for_function("() => window.__lw.figure !== null", timeout=CELL_TIMEOUT, polling=100)
    except Exception:
        shot = RESULTS / f"browser-{name}-stuck.png"
        page.screenshot(path=str(shot), full_page=True)
        raise RuntimeError(
            f"{name}: no figure drawn in the panel; page state {page.evaluate('() => window.__lw')}, see {shot}"
        ) from None
    _wait_idle(page)
    _settle(page, traffic)
    times = page.evaluate("() => window.__lw")
    # jupyterlab-plotly's own plotly.js (the Output widgets' figures), fetched the first time one
    # draws: when it arrived, relative to the panel's display
    chunk = page.evaluate(
        """() => performance.getEntriesByType('resource')
            .filter((e) => e.name.includes('/jupyterlab-plotly/static/') && e.encodedBodySize > 1e6)
            .map((e) => ({start: e.startTime, end: e.responseEnd, size: e.encodedBodySize}))"""
    )
    loaded = [c for c in chunk if c["start"] >= times["started"]]
    note = (
        f"jupyterlab-plotly fetched its plotly.js ({loaded[0]['size'] / 1e6:.1f} MB) "
        f"{(loaded[0]['start'] - times['panel']) / 1000:+.2f} s to {(loaded[0]['end'] - times['panel']) / 1000:+.2f} s "
        "from the panel's display"
        if loaded
        else ""
    )
    comm, n = traffic.since(mark, COMM_TYPES)
    twin, m = traffic.since(mark, {"display_data"})
    return [
        Row(f"{name}: first display, widget messages", comm, "B", TARGETS["first display"], f"{n} messages"),
        Row(f"{name}: static twin beside it (display_data)", twin, "B", None, f"{m} outputs"),
        Row(f"{name}: cell start to panel shown", (times["panel"] - times["started"]) / 1000, "s"),
        Row(
            f"{name}: panel shown to first figure drawn",
            (times["figure"] - times["panel"]) / 1000,
            "s",
            TARGETS["first figure"],
            note,
        ),
    ]


def _tab(page: Any, index: int, title: str) -> Any:
    cell = page.locator(".jp-Notebook .jp-Cell").nth(index)
    cell.locator(".widget-tab .lm-TabBar-tab", has_text=title).first.click()
    return cell.locator(".widget-tab-contents > .widget-box:not(.lm-mod-hidden)")


def _summary(name: str, values: list[float], unit: str, target: float | None, note: str) -> Row:
    if not values:
        return Row(name, None, unit, target, note)
    worst = max(values)
    median = statistics.median(values)
    shown = f"{median / 1000:,.1f} kB" if unit == "B" else f"{median * 1000:,.0f} ms"
    return Row(name, worst, unit, target, f"slowest of {len(values)}; median {shown}. {note}".strip())


def _profile_picks(page: Any, traffic: Traffic, index: int, picks: int) -> list[Row]:
    page.wait_for_timeout(100)
    mark = traffic.mark()
    shown = _tab(page, index, "Columns")
    select = shown.locator(".widget-dropdown select")
    select.wait_for(timeout=CELL_TIMEOUT)
    shown.locator(".js-plotly-plot .gtitle").first.wait_for(timeout=CELL_TIMEOUT)
    _wait_idle(page)
    _settle(page, traffic)
    opened, _ = traffic.since(mark, COMM_TYPES)
    options = select.locator("option").all_text_contents()
    current = select.evaluate("s => s.options[s.selectedIndex].text")
    chosen = [o for o in options if o != current][:picks]
    times, sizes = [], []
    for label in chosen:
        page.wait_for_timeout(100)
        page.wait_for_timeout(100)
        mark = traffic.mark()
        elapsed = page.evaluate(PICK, [index, label])
        _wait_idle(page)
        _settle(page, traffic)
        sizes.append(traffic.since(mark, COMM_TYPES)[0])
        if elapsed >= 0:
            times.append(elapsed / 1000)
        else:
            print(f"column {label!r}: no figure titled so within 20 s (a column without a distribution)")
    return [
        Row("profile: open the Columns tab, widget messages", opened, "B", TARGETS["interaction"]),
        _summary("profile: column pick, widget messages", sizes, "B", TARGETS["interaction"], ""),
        _summary("profile: column pick to figure redrawn", times, "s", TARGETS["pick"], ", ".join(chosen)),
    ]


def _beeswarm_clicks(page: Any, traffic: Traffic, index: int, clicks: int, trace: bool = False) -> list[Row]:
    cell = page.locator(".jp-Notebook .jp-Cell").nth(index)
    local = _tab(page, index, "Local")
    row_box = local.locator(".widget-inline-hbox", has_text="Row").locator("input").first
    row_box.wait_for(timeout=CELL_TIMEOUT)
    seen = [int(row_box.input_value())]
    times, sizes, rows = [], [], []
    for _ in range(clicks):
        shown = _tab(page, index, "Global")
        beeswarm = shown.locator(".js-plotly-plot").filter(has=page.locator("canvas.gl-canvas"))
        beeswarm.first.wait_for(timeout=CELL_TIMEOUT)
        beeswarm.first.scroll_into_view_if_needed()
        page.wait_for_timeout(300)
        target = beeswarm.first.evaluate(POINT, seen)
        if not target:
            break
        page.mouse.move(target["x"] - 20, target["y"] - 20)
        page.mouse.move(target["x"], target["y"], steps=5)
        page.wait_for_timeout(200)
        page.evaluate(ARM_CLICK, [index, target["row"]])
        page.wait_for_timeout(100)
        page.wait_for_timeout(100)
        mark = traffic.mark()
        page.mouse.click(target["x"], target["y"])
        elapsed = page.evaluate("() => window.__lwClick")
        if elapsed < 0:
            titles = page.evaluate(
                "(i) => Array.from(window.jupyterapp.shell.currentWidget.content.widgets[i].node"
                ".querySelectorAll('.js-plotly-plot .gtitle'), (t) => t.textContent)",
                index,
            )
            print(f"row {target['row']}: the Local tab did not show it within 60 s; figure titles {titles}")
            page.screenshot(path=str(RESULTS / "browser-click-stuck.png"))
        _wait_idle(page)
        _settle(page, traffic)
        sizes.append(traffic.since(mark, COMM_TYPES)[0])
        if trace:
            at = page.evaluate("window.__lwClickAt")
            events = page.evaluate("window.__lwTrace")
            print(f"row {target['row']}: {elapsed:.0f} ms, timeline (ms from pointerdown):")
            print(_timeline(events, at, at + max(elapsed, 0) + 1500), flush=True)
        seen.append(target["row"])
        rows.append(str(target["row"]))
        if elapsed >= 0:
            times.append(elapsed / 1000)
    del cell
    return [
        _summary("explanation: beeswarm click, widget messages", sizes, "B", TARGETS["interaction"], ""),
        _summary(
            "explanation: beeswarm click to Local tab redrawn",
            times,
            "s",
            TARGETS["pick"],
            "rows " + ", ".join(rows),
        ),
    ]


def measure(rows: int, explain_rows: int, picks: int, clicks: int, trace: bool = False) -> list[Row]:
    import nbformat
    from playwright.sync_api import sync_playwright

    with (
        tempfile.TemporaryDirectory(prefix="lw-bench-browser-") as tmp,
        browser_setup.start_lab(Path(tmp)) as lab,
    ):
        nb = nbformat.v4.new_notebook()
        nb.cells = [
            nbformat.v4.new_code_cell(SETUP.format(rows=rows, explain_rows=explain_rows)),
            nbformat.v4.new_code_cell(PROFILE_CELL),
            nbformat.v4.new_code_cell(EXPLANATION_CELL),
        ]
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nbformat.write(nb, lab.root / "bench.ipynb")
        traffic = Traffic()
        with sync_playwright() as pw:
            chromium = pw.chromium.launch(
                executable_path=browser_setup.CHROMIUM, args=browser_setup.CHROMIUM_ARGS, headless=True
            )
            try:
                context = chromium.new_context(
                    viewport={"width": 1400, "height": 1000}, service_workers="block"
                )
                context.set_default_timeout(60_000)
                context.add_init_script(COUNT_PLOTLY)
                if trace:
                    context.add_init_script(TRACE)
                page = context.new_page()
                page.on("websocket", lambda ws: ws.on("framereceived", traffic.on_frame))
                page.goto(lab.page_url("lab/workspaces/lw-bench/tree/bench.ipynb?reset"))
                page.locator(".jp-NotebookPanel .jp-Notebook").wait_for()
                _wait_idle(page, 120_000)
                t0 = time.monotonic()
                _run_cell(page, 0)
                _wait_idle(page)
                print(
                    f"set-up cell (data, profile, model, explanation): {time.monotonic() - t0:.1f} s",
                    flush=True,
                )
                print(page.locator(".jp-Notebook .jp-Cell").nth(0).locator(".jp-OutputArea").inner_text())
                out = _display(page, traffic, 1, "profile")
                out += _profile_picks(page, traffic, 1, picks)
                out += _display(page, traffic, 2, "explanation")
                out += _beeswarm_clicks(page, traffic, 2, clicks, trace)
                versions = page.evaluate("window.__lwPlotlySets")
                out.append(
                    Row(
                        "plotly.js evaluations on the page (both panels)",
                        len(versions),
                        "n",
                        1,
                        f"versions {', '.join(versions)}; the static twin's copy stays inert text",
                    )
                )
            finally:
                chromium.close()
    return out


def table(results: list[Row]) -> str:
    lines = [
        "| measured | value | target | verdict | note |",
        "|---|---:|---:|---|---|",
    ]
    for r in results:
        lines.append(f"| {r.what} | {r.shown()} | {r.target_shown()} | {r.verdict} | {r.note} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop Lab and its kernel on the way out
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=2000, help="rows of the credit demo data")
    parser.add_argument(
        "--explain-rows", type=int, default=100, help="rows explained (the beeswarm's points)"
    )
    parser.add_argument("--picks", type=int, default=6, help="columns picked in the profile")
    parser.add_argument("--clicks", type=int, default=3, help="beeswarm points clicked")
    parser.add_argument(
        "--trace", action="store_true", help="print each click's timeline: messages, Plotly.react, long tasks"
    )
    args = parser.parse_args(argv)
    started = time.monotonic()
    results = measure(args.rows, args.explain_rows, args.picks, args.clicks, args.trace)
    text = table(results)
    print(text)
    command = "python benchmarks/bench_browser.py" + (" " + " ".join(argv or sys.argv[1:])).rstrip()
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "browser.md").write_text(
        "# Light live panels in JupyterLab + Chromium\n\n"
        f"`{command}` ({args.rows} rows profiled, {args.explain_rows} rows explained; "
        f"{time.monotonic() - started:.0f} s in all; see README_browser.md)\n\n{text}\n",
        encoding="utf-8",
    )
    failed = [r.what for r in results if r.verdict == "FAIL"]
    print(
        f"\n{len(failed)} of {sum(1 for r in results if r.verdict)} targets missed"
        + (f": {failed}" if failed else "")
    )
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
