"""plotly.js is evaluated once per JupyterLab page, whoever brought it.

JupyterLab's plotly extension carries its own plotly.js, evaluated (and set as ``window.Plotly``)
when it first draws a plotly mimetype output. The static twin of a live panel carries plotly.js
too, for exports and reopened notebooks, but inert: its loader evaluates it only where the page
has no plotly.js 4 yet. The page counts every assignment of ``window.Plotly``: one per evaluation.

Here a plotly figure of the user's own is drawn before a live profile: the extension's copy
draws both, and the twin's stays text. A page with a live panel alone, whose hidden empty figure
(``widgets.page_widget``) makes the extension evaluate its copy, is checked in
``test_lab_profile_panel.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest

from .lab_page import COUNT_PLOTLY, FIGURE_TIMEOUT, TWIN_EVALUATED, LabPage, assert_local_only, open_and_run

pytestmark = [pytest.mark.browser, pytest.mark.timeout(240)]

USER_FIGURE = """\
import plotly.graph_objects as go
from IPython.display import display

fig = go.Figure(go.Bar(x=["a", "b"], y=[1, 2]), layout={"title": {"text": "my own figure"}})
display({"application/vnd.plotly.v1+json": fig.to_plotly_json(), "text/plain": "my figure"}, raw=True)
"""

PROFILE = """\
import lifecycle_widgets as lw

lw.profile(lw.datasets.credit(n_rows=1500), target="defaulted")
"""


def _notebook(path: Path, *sources: str) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in sources]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


def _live_figure_drawn(lab_page: LabPage) -> None:
    """Open the profile's Columns tab and wait until its live figure has traces."""
    shown = lab_page.tab("Columns")
    shown.locator(".js-plotly-plot .trace").first.wait_for(timeout=FIGURE_TIMEOUT)


@pytest.fixture(scope="module")
def user_figure_first(browser, lab, tmp_path_factory) -> Iterator[LabPage]:
    fixture = _notebook(tmp_path_factory.mktemp("once") / "plotly_then_panel.ipynb", USER_FIGURE, PROFILE)
    yield from open_and_run(browser, lab, fixture, init_script=COUNT_PLOTLY)


def test_the_plotly_extension_copy_serves_the_live_panel(user_figure_first) -> None:
    page = user_figure_first.page
    assert page.locator(".jp-RenderedPlotly .gtitle", has_text="my own figure").count() == 1
    _live_figure_drawn(user_figure_first)
    sets = page.evaluate("window.__lwPlotlySets")
    # one evaluation, the extension's; the twin's copy stayed inert (two would mean it ran too)
    assert len(sets) == 1 and sets[0].startswith("4."), sets
    assert page.evaluate(TWIN_EVALUATED) == 0
    assert_local_only(user_figure_first)
