"""A live ExplanationPanel prepares the local explanations a click most likely asks for, in a
background thread, so the click only redraws; the prepared explanations equal those computed on
demand."""

from __future__ import annotations

import threading

import pytest
from sklearn.ensemble import RandomForestClassifier

import lifecycle_widgets as lw
from lifecycle_widgets.panels.explain import likely_clicks


@pytest.fixture(autouse=True)
def _no_running_loop():
    """These tests draw outside an event loop unless they run one (``asyncio.run``). Playwright's
    sync API, used by the browser tests in the same process, leaves its loop set as this thread's
    running loop: a panel would then schedule its figures on a loop that never runs."""
    import asyncio

    leaked = asyncio._get_running_loop()
    asyncio._set_running_loop(None)
    yield
    asyncio._set_running_loop(leaked)


@pytest.fixture(scope="module")
def fitted():
    df = lw.datasets.credit(900, seed=3)
    features = ["age", "income", "utilization", "late_payments"]
    X, y = df[features].fillna(0), df["defaulted"]
    model = RandomForestClassifier(20, max_depth=4, random_state=0).fit(X[:600], y[:600])
    return model, X[600:], y[600:]


def _live_panel(model, X, y) -> tuple[lw.Explainer, object, lw.ExplanationPanel]:
    """A fresh explainer, its explanation of 40 rows, and a live panel of both."""
    explainer = lw.Explainer(model)
    exp = explainer.explain(X, y, max_rows=40)
    with lw.config_context(display="live"):
        return explainer, exp, lw.ExplanationPanel(exp, explainer=explainer)


def _precompute_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "lw-precompute-local"]


def test_live_panel_prepares_the_likely_clicks(fitted) -> None:
    model, X, y = fitted
    explainer, exp, panel = _live_panel(model, X, y)
    for thread in _precompute_threads():
        thread.join(timeout=300)
    rows = likely_clicks(exp)
    assert len(rows) == min(40, len(exp.rows)) and rows[0] == exp.featured.row
    assert explainer.precompute(rows) == 0  # every likely row is ready
    # prepared in the background, equal to what a fresh explainer computes on demand
    fresh = lw.Explainer(model)
    fresh.explain(X, y, max_rows=40)
    for row in rows[1:4]:
        assert explainer.local(row) == fresh.local(row)
    panel.close()


def test_static_panels_and_closed_panels_prepare_nothing(fitted) -> None:
    model, X, y = fitted
    explainer = lw.Explainer(model)
    exp = explainer.explain(X, y, max_rows=40)
    with lw.config_context(display="static"):
        lw.ExplanationPanel(exp, explainer=explainer)
    assert not _precompute_threads()
    stop = threading.Event()
    stop.set()
    assert explainer.precompute(likely_clicks(exp), stop=stop) == 0


def test_an_unprepared_row_draws_the_same_waterfall_first(fitted) -> None:
    """A click on a row not prepared yet draws its waterfall from the SHAP values at once; it is
    the waterfall the full local explanation draws."""
    from types import SimpleNamespace

    from lifecycle_widgets.figures import explain as figs

    model, X, y = fitted
    explainer = lw.Explainer(model)
    exp = explainer.explain(X, y, max_rows=40)
    row = next(r for r in exp.rows if explainer.prepared(r) is None)
    quick = SimpleNamespace(
        row=row,
        shap=explainer.shap_contributions(row),
        base_value=exp.base_value,
        output_space=exp.output_space,
    )
    assert explainer.prepared(row) is None  # drawing it computed nothing
    assert figs.waterfall_figure(quick).to_json() == figs.waterfall_figure(explainer.local(row)).to_json()
    assert explainer.prepared(row) is not None


def test_a_live_panel_draws_a_row_not_prepared_at_once_then_fills_it_in(fitted) -> None:
    """show_row never waits for a local explanation in a live panel: it draws the waterfall and
    leaves the rest to the background thread, which draws it if the row is still the one shown."""
    model, X, y = fitted
    explainer, exp, panel = _live_panel(model, X, y)
    panel.tabs.selected_index = 1
    first, second = [r for r in range(exp.n_rows) if r not in exp.rows][:2]  # not likely clicks
    panel.show_row(first)
    panel.show_row(second)  # before the first is ready: the first is not drawn when it is
    shown = panel.waterfall.spec
    assert shown["layout"]["title"]["text"].startswith(f"Row {second}")
    for thread in _precompute_threads():
        thread.join(timeout=300)
    assert panel.current == explainer.local(second)
    assert "computing" not in panel.local_info.value and panel.counterfactual.value
    lime = panel.lime.outputs[0]["data"]["application/vnd.plotly.v1+json"]
    assert lime["layout"]["title"]["text"].startswith(f"Row {second}: LIME")
    panel.close()


def test_a_rows_explanation_does_not_depend_on_what_was_explained_before(fitted) -> None:
    """Clicks change the order rows are prepared in: a row's LIME weights (its sampler restarts
    from the seed) and the whole local explanation are the same in any order, on demand or in
    the background (whose model calls can be held)."""
    model, X, y = fitted
    on_demand, background = lw.Explainer(model), lw.Explainer(model)
    exp = on_demand.explain(X, y, max_rows=40)
    background.explain(X, y, max_rows=40)
    first, second = exp.rows[1], exp.rows[2]
    on_demand.local(first)
    background.hold(0.05)
    assert background.precompute([second]) == 1
    assert background.local(second) == on_demand.local(second)


def test_a_pick_in_a_kernel_draws_its_waterfall_alone_then_the_rest(fitted) -> None:
    """Inside a running event loop (a kernel handling a click) a live panel sends a prepared row's
    waterfall alone; LIME, the counterfactual and ICE follow when the page reports that waterfall
    drawn, or after REST_WAIT without a report. A later pick drops the earlier row's rest."""
    import asyncio

    from lifecycle_widgets.panels.explain import REST_WAIT

    model, X, y = fitted
    explainer = lw.Explainer(model)
    exp = explainer.explain(X, y, max_rows=40)
    first, second = [r for r in range(exp.n_rows) if r not in exp.rows][:2]
    explainer.local(first), explainer.local(second)
    with lw.config_context(display="live"):
        panel = lw.ExplanationPanel(exp, explainer=explainer)
    panel.tabs.selected_index = 1  # no event loop here: the default row is drawn whole at once
    view = panel.waterfall

    def lime_row() -> int | None:
        if not panel.lime.outputs:
            return None
        title = panel.lime.outputs[0]["data"]["application/vnd.plotly.v1+json"]["layout"]["title"]["text"]
        return int(title.split(":")[0].removeprefix("Row "))

    def drawn(revision: int) -> None:  # the page's report, as the view's front end sends it
        view._on_message(view, {"type": "drawn", "revision": revision}, [])

    assert lime_row() == panel.row_picker.value

    async def picks() -> None:
        panel.show_row(first)
        assert view.spec["layout"]["title"]["text"].startswith(f"Row {first}: SHAP")
        assert view.spec["revision"] == view.revision
        assert lime_row() is None and panel.counterfactual.value == ""  # no other row's figures
        panel.show_row(second)  # before the first's waterfall is drawn
        drawn(view.revision - 1)  # the first's report comes late: nothing is drawn for it
        assert lime_row() is None and panel.current.row == second
        drawn(view.revision)
        assert lime_row() == second and panel.counterfactual.value
        drawn(view.revision)  # a second page reporting the same figure: drawn once
        panel.show_row(first)
        await asyncio.sleep(REST_WAIT + 0.3)  # no page reports: the rest follows anyway
        assert lime_row() == first and panel.current.row == first

        class Points:  # a beeswarm click on another row, from the Global tab
            point_inds = (list(panel.beeswarm.data[0].customdata).index(exp.rows[0]),)

        panel.tabs.selected_index = 0
        panel._clicked(panel.beeswarm.data[0], Points(), None)  # stale figures cleared, tab shown
        assert panel.tabs.selected_index == 1 and lime_row() is None

    asyncio.run(picks())
    panel.close()


def test_a_click_sends_the_tab_switch_and_its_ready_waterfall_first(fitted, monkeypatch) -> None:
    """A beeswarm click's first two messages are what the reviewer waits for: the Local tab shown,
    then the row's waterfall (built in the background, no model call, no plotly validation); the
    row box and the row's note follow. Leaving the Local tab empties its LIME, counterfactual and
    ICE (the page would redraw them as the tab shows again, before the waterfall); showing the
    tab without a click draws them again."""
    import ipywidgets

    model, X, y = fitted
    _, exp, panel = _live_panel(model, X, y)
    for thread in _precompute_threads():
        thread.join(timeout=300)
    assert set(panel._waterfalls) == set(exp.rows)  # every point's waterfall is ready
    panel.tabs.selected_index = 1
    assert panel.lime.outputs and panel.counterfactual.value
    panel.tabs.selected_index = 0
    assert not panel.lime.outputs and not panel.ice.outputs and panel.counterfactual.value == ""
    panel.tabs.selected_index = 1  # shown again without a click: drawn again
    assert panel.lime.outputs and panel.counterfactual.value
    panel.tabs.selected_index = 0

    sent: list[tuple[str, list[str]]] = []
    monkeypatch.setattr(
        ipywidgets.Widget,
        "_send",
        lambda self, msg, buffers=None: sent.append((type(self).__name__, sorted(msg.get("state", {})))),
    )
    row = next(r for r in exp.rows if r != panel.row_picker.value)

    class Points:
        point_inds = (list(panel.beeswarm.data[0].customdata).index(row),)

    panel._clicked(panel.beeswarm.data[0], Points(), None)
    assert sent[:2] == [("Tab", ["selected_index"]), ("PlotlyView", ["spec"])]
    assert panel.waterfall.spec["layout"]["title"]["text"].startswith(f"Row {row}: SHAP")
    assert panel.waterfall.spec == panel.waterfall._spec(panel._waterfalls[row]) | {
        "revision": panel.waterfall.revision
    }
    assert ("BoundedIntText", ["value"]) in sent[2:] and panel.row_picker.value == row
    panel.close()


def test_a_hover_over_the_beeswarm_holds_the_background_work(fitted) -> None:
    """The pointer over the beeswarm's points holds the background preparation (a click may
    follow): the click then finds the interpreter and the processor free."""
    import time

    model, X, y = fitted
    explainer, exp, panel = _live_panel(model, X, y)
    assert panel.beeswarm.hover_events
    before = time.monotonic()
    panel.beeswarm._on_message(panel.beeswarm, {"type": "hover"}, [])
    assert explainer._held_until >= before + 1.9  # HOVER_HOLD_SECONDS
    panel.close()
    with lw.config_context(display="static"):
        assert not lw.ExplanationPanel(exp, explainer=explainer).beeswarm.hover_events


def test_the_page_drawing_a_clicks_waterfall_releases_the_background_work(fitted) -> None:
    """A click holds the background preparation until the page reports its waterfall drawn: the
    row's own local explanation is then computed at once, not after the hold runs out."""
    model, X, y = fitted
    explainer, exp, panel = _live_panel(model, X, y)
    panel.tabs.selected_index = 1
    panel.tabs.selected_index = 0
    row = next(r for r in exp.rows if r != panel.row_picker.value)

    class Points:
        point_inds = (list(panel.beeswarm.data[0].customdata).index(row),)

    panel._clicked(panel.beeswarm.data[0], Points(), None)
    assert explainer._held_until > 0
    view = panel.waterfall
    view._on_message(view, {"type": "drawn", "revision": view.revision - 1}, [])  # an older one
    assert explainer._held_until > 0
    view._on_message(view, {"type": "drawn", "revision": view.revision}, [])
    assert explainer._held_until == 0
    panel.close()
