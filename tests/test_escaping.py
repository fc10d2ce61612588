"""User text that reaches HTML or a widget shows as text, never as markup."""

from __future__ import annotations

import json

import pandas as pd
import pytest

import lifecycle_widgets as lw
from lifecycle_widgets.panels.widgets import PLOTLY_MIME

EVIL = "<img src=x onerror=alert(1)>"
CLOSE = "</script><script>alert(2)</script>"


@pytest.fixture(scope="module")
def evil_profile() -> lw.DataProfile:
    df = pd.DataFrame(
        {
            EVIL: [1.0, 2.0, None, 4.0] * 30,
            "cat": [EVIL, CLOSE, "ok", "ok"] * 30,
            CLOSE: ["a", "b", "a", "b"] * 30,
        }
    )
    return lw.profile(df, target=CLOSE).with_card(owner=EVIL, description=CLOSE)


def test_static_html_escapes_names_values_and_card(evil_profile: lw.DataProfile) -> None:
    html = evil_profile.to_html()
    assert EVIL not in html and CLOSE not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html  # shown as text in the tables


def test_figures_show_markup_as_text(evil_profile: lw.DataProfile) -> None:
    for fig in [
        *evil_profile.figures().values(),
        *(lw.figures.distribution_figure(evil_profile, c) for c in evil_profile.column_names),
    ]:
        assert "<img" not in fig.to_json()
        assert "<script" not in fig.to_json()


def _widgets(widget):
    yield widget
    for child in getattr(widget, "children", ()):
        yield from _widgets(child)


def test_panel_widgets_escape_markup(evil_profile: lw.DataProfile) -> None:
    import ipywidgets

    panel = lw.ProfilePanel(evil_profile)
    for index in range(len(panel.tabs.children)):  # build every lazy tab
        panel.tabs.selected_index = index
    panel.column_picker.value = "cat"
    html_values = [w.value for w in _widgets(panel) if isinstance(w, ipywidgets.HTML)]
    assert html_values and any("&lt;img src=x" in v for v in html_values)
    assert all(EVIL not in v and CLOSE not in v for v in html_values)
    # a Dropdown renders its labels as text, so the raw name is right there
    assert EVIL in panel.column_picker.options
    assert "<img" not in panel.figure.to_json()
    outputs = [o for w in panel.tabs.children for o in _plotly_outputs(w)]
    assert outputs and all("<img" not in json.dumps(o) for o in outputs)


def _plotly_outputs(widget):
    import ipywidgets

    if isinstance(widget, ipywidgets.Output):
        yield from (o["data"][PLOTLY_MIME] for o in widget.outputs)
    for child in getattr(widget, "children", ()):
        yield from _plotly_outputs(child)


def test_a_huge_name_is_cut_everywhere_with_the_full_length_on_hover() -> None:
    import numpy as np

    from lifecycle_widgets.panels.html import FIGURE_TEXT_LIMIT, HOVER_LIMIT

    huge = "Ω" * 1_000_000  # a 2 MB column name
    rng = np.random.default_rng(0)
    frame = lambda name: pd.DataFrame({name: rng.normal(size=300), "b": rng.normal(size=300)})  # noqa: E731
    html = lw.profile(frame(huge)).to_html()
    plain = lw.profile(frame("a")).to_html()
    # no copy of the name: each mention is at most a hover's worth, whatever the name's length
    assert "Ω" * (HOVER_LIMIT + 1) not in html
    assert "\\u03a9" * (FIGURE_TEXT_LIMIT + 1) not in html
    assert len(html) - len(plain) < 60 * HOVER_LIMIT
    assert "(1,000,000 characters)" in html  # the hover says how long the name is
    # two long names that share their beginning stay two columns in the figures
    twins = lw.profile(pd.DataFrame({huge + "1": rng.normal(size=50), huge + "2": rng.normal(size=50)}))
    heatmap = next(f for k, f in twins.figures().items() if "correlation" in k)
    from lifecycle_widgets.panels.html import clip_figure_text

    names = clip_figure_text(heatmap.to_plotly_json()["data"][0]["x"])
    assert len(set(names)) == 2 and all(len(n) <= FIGURE_TEXT_LIMIT for n in names)
