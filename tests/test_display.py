"""The three displays: text, static HTML (offline, plotly.js once) and the live widget."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

import lifecycle_widgets as lw
from lifecycle_widgets.panels import display

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
PLOTLY_MARKER = "* plotly.js v"  # the header comment of the plotly.js bundle


@pytest.fixture(autouse=True)
def fresh_plotlyjs_state():
    display.reset_plotlyjs()
    yield
    display.reset_plotlyjs()


def test_static_mode_bundle_has_no_widget(credit_profile: lw.DataProfile) -> None:
    with lw.config_context(display="static"):
        bundle = credit_profile._repr_mimebundle_()
    assert set(bundle) == {"text/plain", "text/html"}
    assert bundle["text/plain"].startswith("<DataProfile DataFrame: 4,000 rows x 15 columns")


def test_live_mode_bundle_adds_the_widget_view(credit_profile: lw.DataProfile) -> None:
    with lw.config_context(display="live"):
        bundle = credit_profile._repr_mimebundle_()
    assert {"text/plain", "text/html", WIDGET_MIME} <= set(bundle)
    assert bundle[WIDGET_MIME]["model_id"]
    # the fallback has the figures but not plotly.js: a saved live notebook stays small
    assert 'class="lw-figure"' in bundle["text/html"] and PLOTLY_MARKER not in bundle["text/html"]


def test_environment_variable_selects_static(monkeypatch, credit_profile) -> None:
    monkeypatch.setenv("LIFECYCLE_WIDGETS_DISPLAY", "static")
    assert WIDGET_MIME not in credit_profile._repr_mimebundle_()
    monkeypatch.setenv("LIFECYCLE_WIDGETS_DISPLAY", "live")
    assert WIDGET_MIME in credit_profile._repr_mimebundle_()
    monkeypatch.setenv("LIFECYCLE_WIDGETS_DISPLAY", "sometimes")
    with pytest.raises(lw.ParameterError, match="LIFECYCLE_WIDGETS_DISPLAY"):
        credit_profile._repr_mimebundle_()


def test_set_config_rejects_unknown_mode() -> None:
    with pytest.raises(lw.ParameterError, match=r"'display' parameter of set_config must be one of"):
        lw.set_config(display="fancy")


def test_plotlyjs_once_per_kernel(credit_profile: lw.DataProfile) -> None:
    with lw.config_context(display="static"):
        first = credit_profile._repr_mimebundle_()["text/html"]
        second = credit_profile._repr_mimebundle_()["text/html"]
    assert first.count(PLOTLY_MARKER) == 1
    assert second.count(PLOTLY_MARKER) == 0
    assert 'class="lw-figure"' in second
    # the same result shown twice in one notebook gets distinct element ids
    ids = lambda h: set(re.findall(r'id="(lw-[^"]+)"', h))  # noqa: E731
    assert ids(first).isdisjoint(ids(second))


def test_to_html_is_self_contained_and_deterministic(credit_profile, tmp_path) -> None:
    path = tmp_path / "profile.html"
    html = credit_profile.to_html(path)
    assert path.read_text(encoding="utf-8") == html
    assert html.count(PLOTLY_MARKER) == 1
    assert not re.search(r"<script[^>]+src=", html)
    assert not re.search(r"<link[^>]+href=", html)
    assert credit_profile.to_html() == html  # same result, same bytes
    # overview, picker, missing, missing matrix, nullity, correlations, target, interactions
    assert html.count('class="lw-figure"') == 8


def test_static_figures_embed_aggregates_only(credit_profile: lw.DataProfile) -> None:
    html = credit_profile.to_html()
    payloads = re.findall(r'<script type="application/json" id="[^"]+-data">(.*?)</script>', html)
    assert len(payloads) == 8
    pickers = [json.loads(p)["figures"] for p in payloads if p.startswith('{"figures"')]
    assert [len(f) for f in pickers] == [credit_profile.n_columns, 3]  # distributions, top pairs
    figures = pickers[0]
    # a distribution is a bar of at most bins (+1 for "other") values, whatever the rows
    assert all(len(f["data"][0]["y"]) <= 31 for f in figures)


def test_html_size_does_not_grow_with_rows() -> None:
    small = lw.profile(lw.datasets.credit(1000)).to_html()
    large = lw.profile(lw.datasets.credit(100_000)).to_html()
    assert len(large) <= 1.2 * len(small)


def test_figures_by_name(credit_profile: lw.DataProfile) -> None:
    figs = credit_profile.figures()
    assert {n for n in figs if ":" not in n} == {
        "overview",
        "missing",
        "missing_matrix",
        "nullity",
        "correlations",
        "target",
    }
    assert {n.split(":", 1)[1] for n in figs if n.startswith("distribution:")} == {
        c.name for c in credit_profile.columns
    }
    assert figs["missing"].data[0].y[0] == "notes"  # the column with most missing values first


def test_to_html_without_path_writes_nothing(credit_profile, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    credit_profile.to_html()
    assert list(tmp_path.iterdir()) == []


class _Kernel:
    def __init__(self, metadata: dict) -> None:
        self.metadata = metadata

    def get_parent(self, channel: str = "shell") -> dict:
        return {"header": {}, "metadata": self.metadata}


class _Shell:
    def __init__(self, metadata: dict) -> None:
        self.kernel = _Kernel(metadata)


@pytest.mark.parametrize(
    ("metadata", "mode"),
    [({"cellId": "abc", "deletedCells": []}, "live"), ({}, "static")],  # JupyterLab; nbclient
)
def test_auto_mode_is_live_only_for_a_notebook_front_end(monkeypatch, metadata, mode) -> None:
    import IPython

    from lifecycle_widgets._config import resolved_display_mode

    monkeypatch.delenv("LIFECYCLE_WIDGETS_DISPLAY", raising=False)
    monkeypatch.setattr("lifecycle_widgets._config._front_end_seen", False)
    monkeypatch.setattr(IPython, "get_ipython", lambda: _Shell(metadata))
    assert resolved_display_mode() == mode
    # a widget callback runs from a comm message, with no cellId: live once a front end was seen
    monkeypatch.setattr(IPython, "get_ipython", lambda: _Shell({}))
    assert resolved_display_mode() == mode


def test_auto_mode_is_live_in_a_voila_kernel(monkeypatch) -> None:
    import IPython

    from lifecycle_widgets._config import resolved_display_mode

    monkeypatch.delenv("LIFECYCLE_WIDGETS_DISPLAY", raising=False)
    monkeypatch.setattr("lifecycle_widgets._config._front_end_seen", False)
    monkeypatch.setattr(IPython, "get_ipython", lambda: _Shell({}))  # Voila sends no cellId
    for name in ("VOILA_SERVER_URL", "VOILA_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    assert resolved_display_mode() == "static"
    monkeypatch.setenv("VOILA_SERVER_URL", "/")
    assert resolved_display_mode() == "live"


def test_ipython_publishes_the_static_twin_then_the_panel(credit_profile: lw.DataProfile) -> None:
    # JupyterLab ranks the widget view above text/html in one bundle, so a notebook reopened
    # without its kernel would show "model not found": the twin must be an output of its own
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.display import display as ipy_display
    from IPython.utils.capture import capture_output

    InteractiveShell.instance()
    try:
        with lw.config_context(display="live"), capture_output() as captured:
            ipy_display(credit_profile)
    finally:  # no shell left behind for later tests of this process (lw.record displays in one)
        InteractiveShell.clear_instance()
    twin, panel = (out.data for out in captured.outputs)
    assert WIDGET_MIME not in twin and 'class="lw-fallback"' in twin["text/html"]
    assert twin["text/html"].count(PLOTLY_MARKER) == 1  # reopened, the twin draws its own figures
    assert set(panel) == {"text/plain", WIDGET_MIME} and panel["text/plain"] == ""

    InteractiveShell.instance()
    try:
        with lw.config_context(display="static"), capture_output() as captured:
            ipy_display(credit_profile)
    finally:
        InteractiveShell.clear_instance()
    (only,) = (out.data for out in captured.outputs)
    assert WIDGET_MIME not in only and 'class="lw-fallback"' not in only["text/html"]


def test_the_stylesheet_hides_the_dead_widget_output() -> None:
    from lifecycle_widgets.panels.html import CSS

    rules = re.findall(r"^(\.jp-OutputArea-child[^{]+)\{display:none\}", CSS, flags=re.M)
    # where no panel could be drawn, JupyterLab's dead widget output after the twin; the twin
    # itself hides by its own rule while its panel shows (tests/test_display_twin.py)
    assert any(":not(:has(.lw-panel))" in r for r in rules)


def test_a_wide_profile_twin_is_the_light_view(credit_profile: lw.DataProfile) -> None:
    """A live profile's twin (seen only when the notebook is reopened without its kernel) is the
    full static view, but for a wide profile the headline, overview, alerts and columns table
    only, not a figure per column, so building the seldom-seen view does not cost seconds."""
    from lifecycle_widgets.panels import display
    from lifecycle_widgets.panels.profile import LIGHT_TWIN_COLUMNS

    narrow = display.html_fragment(credit_profile, include_plotlyjs=False, fallback=True)
    assert "<select" in narrow  # the full view: the column picker is there
    rng = np.random.default_rng(0)
    wide = lw.profile(pd.DataFrame(rng.normal(size=(200, LIGHT_TWIN_COLUMNS + 1))).add_prefix("c"))
    twin = display.html_fragment(wide, include_plotlyjs=False, fallback=True)
    full = display.html_fragment(wide, include_plotlyjs=False)
    assert "<h3>Columns</h3>" in twin and "<h3>Alerts</h3>" in twin
    assert "<select" not in twin and "<select" in full  # no per-column picker in the twin
    assert len(twin) < len(full) / 2
