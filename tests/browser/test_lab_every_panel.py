"""Every panel in one notebook, in real JupyterLab and Chromium: run from a fresh kernel several
times, every live figure draws its traces each time (figures once went blank at random); then
the same panels in the dark theme, where tables and headlines follow Lab's theme variables.
Last, the notebook is saved and reopened without its kernel: every panel shows its static twin
with its figures, never "Error displaying widget". Screenshots of every panel, light and dark,
and reopened, are saved (``LW_SCREENSHOT_DIR`` keeps them).

The panels are split in two halves, each a notebook of its own checked in full (runs, themes,
reopening) by a test class of its own: pytest-xdist's ``loadscope`` sends a class to one worker,
so the two workers share the work instead of one of them drawing fifteen panels five minutes long."""

from __future__ import annotations

import re
import time
from pathlib import Path

import nbformat
import pytest

from .lab_page import KERNEL_TIMEOUT, RUN_ALL, js_errors

pytestmark = [pytest.mark.browser, pytest.mark.timeout(600)]

# Each panel runs once from a fresh kernel in a fresh page, then again after "Restart Kernel and
# Clear": figures went blank at random, so every run checks every figure, and the count of drawn
# figures must be the same in both runs. Two runs keep both kinds of run (a fresh page, and a
# re-run where the page still holds the old views); a third re-run cost each half 30 to 40 s of a
# worker's time, and the suite (866 s in CI on 2026-12-03) must stay under 15 minutes.
RUNS = 2
SETUP = """\
import numpy as np
from sklearn.ensemble import RandomForestClassifier
import lifecycle_widgets as lw
df = lw.datasets.credit(1500, seed=3)
features = ["age", "income", "utilization", "late_payments"]
X, y = df[features].fillna(0), df["defaulted"]
model = RandomForestClassifier(30, max_depth=5, random_state=0).fit(X[:1000], y[:1000])
X_test, y_test = X[1000:], y[1000:]
base = lw.Baseline.fit(df)
batch = lw.datasets.credit_batch(800, seed=5)
store = lw.RunStore("STORE")
for depth in (3, 5, 7):
    with store.start_run(experiment="every-panel") as run:
        run.log_params({"depth": depth}); run.log_metrics({"auc": 0.7 + depth / 100})
group = lambda frame: frame.assign(g=np.where(frame.age >= 60, "old", "young"))
later = batch[features].fillna(0)
"""
PANELS = {
    "profile": "lw.profile(df, target='defaulted')",
    "drift": "base.check(batch)",
    "timeline": "lw.monitor(base, {'w1': lw.datasets.credit_batch(800, seed=6, drift=False), 'w2': batch})",
    "explanation": "lw.explain(model, X_test, y_test, max_rows=80)",
    "bias": (
        "lw.bias_report(X_test.assign(g=np.where(X_test.age >= 60, 'old', 'young')), y_test.to_numpy(),"
        " model.predict(X_test), facet='g', facet_values='old')"
    ),
    "calibration": "lw.calibration(y_test.to_numpy(), model.predict_proba(X_test)[:, 1])",
    "lineage": "lw.lineage(model, X_test)",
    "runs": "lw.compare(store.runs(experiment='every-panel'))",
    "estimate": (
        "lw.PerformanceEstimator.fit(model, X_test.assign(defaulted=y_test), target='defaulted',"
        " chunk_size=100).estimate(later)"
    ),
    "multivariate": "lw.multivariate_drift(X_test, later, features=features, chunk_size=200)",
    "mitigation": (
        "lw.mitigate(model, group(X[:1000]), y[:1000], group(X_test), y_test, facet='g',"
        " facet_values='old', features=features).report"
    ),
    "profile comparison": "lw.profile(df).compare(lw.profile(batch))",
    "counterfactuals": "lw.counterfactuals(model, X_test, [0, 1], k=3)",
    "conformal": "lw.conformal(model, X_test[:250], y_test[:250], X_test[250:], y_test[250:])",
    "dataset diff": (
        "lw.dataset_diff(df.iloc[:1200], df.iloc[100:].assign(age=lambda d: d.age.astype(float)),"
        " key='customer_id')"
    ),
}


# two halves of about equal weight (every other panel: the profile and the explanation, the
# heaviest to draw, fall in different halves), each drawn, themed and reopened in full
HALVES = (
    {k: v for i, (k, v) in enumerate(PANELS.items()) if i % 2 == 0},
    {k: v for i, (k, v) in enumerate(PANELS.items()) if i % 2 == 1},
)


def _notebook(path: Path, panels: dict[str, str]) -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(SETUP.replace("STORE", f"{path.stem}.db"))] + [
        nbformat.v4.new_code_cell(code) for code in panels.values()
    ]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)


def _run_all(page) -> None:
    idle = page.locator(".jp-StatusBar-TextItem", has_text=re.compile(r"\|\s*Idle"))
    idle.wait_for(timeout=KERNEL_TIMEOUT)
    page.evaluate(f"window.jupyterapp.commands.execute({RUN_ALL!r})")
    prompts = page.locator(".jp-CodeCell .jp-InputPrompt")
    page.wait_for_function(
        "n => Array.from(document.querySelectorAll('.jp-CodeCell .jp-InputPrompt'))"
        ".filter(p => /\\[\\d+\\]/.test(p.textContent)).length === n",
        arg=prompts.count(),
        timeout=KERNEL_TIMEOUT * 3,
    )
    idle.wait_for(timeout=KERNEL_TIMEOUT)


def _panel_outputs(page):
    return page.locator(".jp-OutputArea-output").filter(has=page.locator(".lw-panel"))


def _twins(page):
    """The static twins of the live panels (display.live_outputs)."""
    return page.locator(".jp-OutputArea-output").filter(has=page.locator(".lw-fallback"))


def _blank_figures(page) -> list[str]:
    """Visible plotly figures of the panels that have no drawn trace, waited for up to 120 s: a
    figure that draws late on a loaded machine is not blank, one that never draws still is."""
    # a blank figure has no trace with data (the symptom was empty axes, -1..6 by -1..4); WebGL
    # traces draw on a canvas, so the check reads plotly's own data of each figure
    script = """() => Array.from(document.querySelectorAll('.jp-OutputArea-output .js-plotly-plot'))
        .filter(p => p.offsetParent !== null)
        .filter(p => !(p._fullData || []).some(t => ['x', 'y', 'z', 'values', 'cells', 'dimensions', 'link']
            .some(k => t[k] && (t[k].length || (t[k].values && t[k].values.length) || Object.keys(t[k]).length))))
        .map(p => {
            // where it is: the panel (its first line of text) or a static twin, and its size, so
            // that a failure names the figure even when it has no title
            const title = (p.querySelector('.gtitle') || {}).textContent || '(untitled)';
            const host = p.closest('.lw-panel, .lw-fallback');
            const where = host ? `${host.classList.contains('lw-fallback') ? 'twin' : 'panel'} `
                + `"${(host.innerText || '').trim().split('\\n')[0].slice(0, 60)}"` : 'outside any panel';
            return `${title} (${where}, ${p.offsetWidth}x${p.offsetHeight} px)`;
        })"""
    deadline = time.monotonic() + 120
    blank = page.evaluate(script)
    while blank and time.monotonic() < deadline:
        page.wait_for_timeout(500)
        blank = page.evaluate(script)
    return blank


def _reopen_without_the_kernel(page, lab, screenshot, panels: dict[str, str]) -> None:
    """Save, shut the kernel down and reopen: no panel can be drawn (its widget models died with
    the kernel), so each shows its static twin with its figures, and no "model not found"."""
    page.evaluate("window.jupyterapp.commands.execute('docmanager:save')")
    page.wait_for_function(
        "() => !document.querySelector('.jp-NotebookPanel .jp-mod-dirty, .lm-TabBar-tab.jp-mod-dirty')",
        timeout=30_000,
    )
    for kernel in lab.api("kernels"):
        lab.api(f"kernels/{kernel['id']}", method="DELETE", timeout=30)
    page.reload()
    page.locator(".jp-NotebookPanel .jp-Notebook").wait_for()
    twins = _twins(page)
    page.wait_for_function(
        "n => Array.from(document.querySelectorAll('.jp-OutputArea-output .lw-fallback'))"
        ".filter(e => e.offsetParent !== null).length === n",
        arg=len(panels),
        timeout=KERNEL_TIMEOUT,
    )
    assert page.locator(".jp-OutputArea-output .lw-panel").count() == 0, "a panel came back to life"
    visible_errors = page.evaluate(
        "() => Array.from(document.querySelectorAll('.jp-OutputArea-output'))"
        ".filter(e => e.offsetParent !== null && /Error displaying widget/.test(e.textContent)).length"
    )
    assert visible_errors == 0, f"{visible_errors} outputs say 'Error displaying widget'"
    # a twin draws its figures a second after it shows, once plotly.js is evaluated: wait for one
    # (with fewer twins on the page the check above can come sooner than that)
    drawn = page.locator(".jp-OutputArea-output .lw-fallback .js-plotly-plot")
    drawn.first.wait_for(state="attached", timeout=KERNEL_TIMEOUT)
    assert drawn.count() > 0
    blank = _blank_figures(page)
    assert not blank, f"reopened: figures without traces: {blank}"
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    # screenshots for a person to look at, not assertions (those are above): on a busy machine a
    # page drawing many twins may not answer in time, and then a screenshot is skipped, said
    for i, key in enumerate(panels):
        twin = twins.nth(i)
        try:
            twin.scroll_into_view_if_needed(timeout=30_000)
            twin.evaluate(  # a twin's figures draw once it shows, one task each
                """(el) => new Promise((done) => { const t0 = Date.now(); (function wait() {
                    const figs = [...el.querySelectorAll('.lw-figure')];
                    if (figs.every((f) => (f._fullData || []).length) || Date.now() - t0 > 30000) return done();
                    setTimeout(wait, 100); })(); })""",
                timeout=30_000,
            )
            screenshot(twin, f"reopened-{key}", timeout=30_000)
        except PlaywrightTimeout:
            print(f"reopened-{key}: no screenshot, the page did not answer within 30 s")


def _every_panel_draws_every_run_and_in_both_themes(browser, lab, screenshot, half: int) -> None:
    panels = HALVES[half]
    name = f"every_panel_{half + 1}.ipynb"
    _notebook(lab.root / name, panels)
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, service_workers="block")
    context.set_default_timeout(30_000)
    errors: list[str] = []
    try:
        page = context.new_page()
        page.on("pageerror", lambda err: errors.append(str(err)))
        page.goto(lab.page_url(f"lab/workspaces/lw-every-panel-{half + 1}/tree/{name}?reset"))
        page.locator(".jp-NotebookPanel .jp-Notebook").wait_for()
        drawn_counts = []
        for run in range(RUNS):
            if run:
                # not awaited: the command's promise waits for the confirmation dialog
                page.evaluate("() => { window.jupyterapp.commands.execute('kernelmenu:restart-and-clear'); }")
                page.locator(".jp-Dialog .jp-Dialog-button.jp-mod-accept").first.click()
                page.wait_for_function(
                    "() => document.querySelectorAll('.jp-OutputArea-output .lw-panel').length === 0",
                    timeout=30_000,
                )
            _run_all(page)
            outputs = _panel_outputs(page)
            assert outputs.count() == len(panels), f"run {run + 1}: {outputs.count()} panels shown"
            # live panels, not the static fallback: each output is a widget, and each static twin
            # (kept for a reopened notebook) is hidden while its panel shows
            assert page.locator(".jp-OutputArea-output .jupyter-widgets .lw").count() >= len(panels)
            assert _twins(page).count() == len(panels)
            assert not any(_twins(page).nth(i).is_visible() for i in range(len(panels)))
            blank = _blank_figures(page)
            assert not blank, f"run {run + 1}: figures without traces: {blank}"
            drawn_counts.append(page.locator(".jp-OutputArea-output .js-plotly-plot").count())
        assert min(drawn_counts) > 0 and len(set(drawn_counts)) == 1, drawn_counts
        # the stylesheet reached the page, and the headline is styled
        assert page.evaluate(
            "() => Array.from(document.styleSheets).some(s => { try { return Array.from(s.cssRules)"
            ".some(r => (r.selectorText || '').includes('.lw-att-high')); } catch (e) { return false; } })"
        )
        for theme in ("light", "dark"):
            if theme == "dark":
                page.evaluate(
                    "window.jupyterapp.commands.execute('apputils:change-theme', {theme: 'JupyterLab Dark'})"
                )
                page.wait_for_function("() => document.body.dataset.jpThemeLight === 'false'", timeout=30_000)
                page.wait_for_timeout(500)
                color = page.evaluate(
                    "() => getComputedStyle(document.querySelector('.jp-OutputArea-output .lw table.lw-table td')).color"
                )
                rgb = [int(v) for v in re.findall(r"\d+", color)[:3]]
                assert sum(rgb) / 3 > 128, f"table text is dark on the dark theme: {color}"
                figure_filter = page.evaluate(
                    "() => { const f = document.querySelector('.lw-panel .js-plotly-plot');"
                    " return f ? getComputedStyle(f).filter : 'panels: ' + document.querySelectorAll('.lw-panel').length"
                    " + ', plots: ' + document.querySelectorAll('.js-plotly-plot').length; }"
                )
                assert "invert" in figure_filter, (
                    f"figures stay white slabs on the dark theme: {figure_filter}"
                )
            for i, key in enumerate(panels):
                output = _panel_outputs(page).nth(i)
                output.scroll_into_view_if_needed()
                screenshot(output, f"{theme}-{key}")
        _reopen_without_the_kernel(page, lab, screenshot, panels)
        assert not js_errors(errors), f"JavaScript errors: {errors}"
    finally:
        context.close()


class TestFirstHalf:
    """The profile, timeline, bias, lineage, estimate, mitigation, counterfactual and diff panels."""

    def test_every_panel_draws_every_run_and_in_both_themes(self, browser, lab, screenshot) -> None:
        _every_panel_draws_every_run_and_in_both_themes(browser, lab, screenshot, 0)


class TestSecondHalf:
    """The drift, explanation, calibration, runs, multivariate, comparison and conformal panels."""

    def test_every_panel_draws_every_run_and_in_both_themes(self, browser, lab, screenshot) -> None:
        _every_panel_draws_every_run_and_in_both_themes(browser, lab, screenshot, 1)
