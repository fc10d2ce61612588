"""Template notebooks executed for real with papermill and a kernel, and their HTML exports."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import nbformat
import pytest

import lifecycle_widgets as lw
from lifecycle_widgets.audit.execute import execute_notebook
from lifecycle_widgets.audit.export import notebook_to_html

pytestmark = pytest.mark.notebook
ROOT = Path(__file__).resolve().parents[1]
DATA_AUDIT = ROOT / "notebooks" / "data_audit.ipynb"
PLOTLY_MARKER = "* plotly.js v"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"


def outputs(nb) -> list[dict]:
    return [o for cell in nb.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]


def html_outputs(nb) -> list[str]:
    return [o["data"]["text/html"] for o in outputs(nb) if "text/html" in o.get("data", {})]


@pytest.fixture(scope="module")
def executed(tmp_path_factory) -> tuple[Path, Path]:
    out = tmp_path_factory.mktemp("nb") / "data_audit.ipynb"
    execute_notebook(DATA_AUDIT, out, {"demo_rows": 3000}, progress=False)
    html = notebook_to_html(out, out.with_suffix(".html"))
    return out, html


def test_template_has_typed_documented_parameters() -> None:
    import papermill

    params = papermill.inspect_notebook(str(DATA_AUDIT))
    assert {"data_path", "target", "sample_seed", "demo_rows"} <= set(params)
    for name, spec in params.items():
        assert spec["inferred_type_name"] in {"str", "int", "float", "bool"}, name
        assert spec["help"], f"parameter {name} has no comment"


def test_executed_notebook_shows_every_figure_without_widget_state(executed) -> None:
    path, _ = executed
    nb = nbformat.read(path, as_version=4)
    assert not [o for o in outputs(nb) if o.get("output_type") == "error"]
    assert "widgets" not in nb.metadata
    assert not [o for o in outputs(nb) if WIDGET_MIME in o.get("data", {})]
    profile_html = next(h for h in html_outputs(nb) if 'class="lw"' in h)
    assert profile_html.count('class="lw-figure"') == 8
    assert sum(h.count(PLOTLY_MARKER) for h in html_outputs(nb)) == 1
    assert path.stat().st_size < 6 * 2**20  # plotly.js (~4.7 MB) once, figures from aggregates


def test_html_export_is_offline(executed) -> None:
    _, html_path = executed
    html = html_path.read_text(encoding="utf-8")
    assert not re.search(r"<script[^>]+src=", html)
    assert not re.search(r"<link[^>]+href=[\"']https?:", html)
    assert "@import url(" not in html
    assert html.count(PLOTLY_MARKER) == 1
    assert html.count('class="lw-figure"') == 8
    assert "credit-risk team" in html  # the data card


def test_parameters_reach_the_notebook(tmp_path) -> None:
    data = lw.datasets.credit(1500, seed=9)
    data.to_parquet(tmp_path / "input.parquet")
    out = tmp_path / "run.ipynb"
    execute_notebook(
        DATA_AUDIT,
        out,
        {"data_path": str(tmp_path / "input.parquet"), "target": "", "card_owner": "<b>ops</b>"},
        progress=False,
    )
    nb = nbformat.read(out, as_version=4)
    text = json.dumps(outputs(nb))
    assert lw.profile(data).fingerprint.sha256 in text  # the fingerprint cell printed it
    profile_html = next(h for h in html_outputs(nb) if 'class="lw"' in h)
    assert "Association with the target" not in profile_html
    assert "&lt;b&gt;ops&lt;/b&gt;" in profile_html and "<b>ops</b>" not in profile_html


def test_live_mode_export_falls_back_to_static_html(tmp_path, monkeypatch) -> None:
    """Run as JupyterLab would (live widgets, widget state stored): the export still draws."""
    import papermill

    monkeypatch.setenv("LIFECYCLE_WIDGETS_DISPLAY", "live")
    out = tmp_path / "live.ipynb"
    papermill.execute_notebook(
        str(DATA_AUDIT), str(out), parameters={"demo_rows": 1500}, progress_bar=False, cwd=str(tmp_path)
    )
    nb = nbformat.read(out, as_version=4)
    assert [o for o in outputs(nb) if WIDGET_MIME in o.get("data", {})]
    # no FigureWidget (5 MB of plotly.js each): plotly.js is in the notebook once, in the first
    # static twin, so the notebook reopened without its kernel still draws
    assert os.path.getsize(out) < 6 * 2**20
    assert out.read_text(encoding="utf-8").count(PLOTLY_MARKER) == 1
    html = notebook_to_html(out, tmp_path / "live.html").read_text(encoding="utf-8")
    assert html.count('class="lw-figure"') == 8
    assert html.count(PLOTLY_MARKER) == 1  # once in the export too
    assert not re.search(r"<script[^>]+src=", html)


def test_plain_papermill_and_plain_nbconvert_draw_every_figure(tmp_path, monkeypatch) -> None:
    """No environment variable and no widget state: a notebook run by papermill itself and
    exported by nbconvert itself shows the static view of every result, plotly.js included."""
    import papermill
    from nbconvert import HTMLExporter

    monkeypatch.delenv("LIFECYCLE_WIDGETS_DISPLAY", raising=False)
    src = tmp_path / "plain.ipynb"
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("import lifecycle_widgets as lw\ndf = lw.datasets.credit(800)"),
        nbformat.v4.new_code_cell("lw.profile(df, target='defaulted')"),
        nbformat.v4.new_code_cell("base = lw.Baseline.fit(df)\nbase.check(lw.datasets.credit_batch(400))"),
    ]
    nbformat.write(nb, src)
    out = tmp_path / "out.ipynb"
    papermill.execute_notebook(str(src), str(out), kernel_name="python3", progress_bar=False)
    executed = nbformat.read(out, as_version=4)
    assert not any(WIDGET_MIME in o.get("data", {}) for o in outputs(executed))
    html, _ = HTMLExporter().from_notebook_node(executed)
    assert html.count(PLOTLY_MARKER) == 1  # plotly.js once, in the first static output
    assert "Data profile:" in html and "Drift report:" in html
    # nbconvert re-serializes the markup (attributes sorted); every figure payload of the two
    # results (the same deterministic data, rendered here) is in the export
    df = lw.datasets.credit(800)
    shown = [lw.profile(df, target="defaulted"), lw.Baseline.fit(df).check(lw.datasets.credit_batch(400))]
    with lw.config_context(display="static"):
        expected = sum(len(re.findall(r'id="lw-[^"]+-data"', r.to_html())) for r in shown)
    assert expected >= 6
    assert len(re.findall(r'<script id="lw-[^"]+-data" type="application/json">', html)) == expected
