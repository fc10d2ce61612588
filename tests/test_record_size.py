"""Audit records carry plotly.js once and little else: real papermill runs of every template.

A record is the executed notebook, its HTML export and the manifest. The notebook keeps each
figure as plotly's mimetype (JupyterLab draws it with the plotly.js it bundles), the HTML embeds
plotly.js once and draws the same figures offline; beyond plotly.js a record holds at most 1 MB.
That test, on a real papermill run of every template, is in ``test_audit.py``: it reads the
record the audit test verifies and reproduces there, so each template runs once for both.
"""

from __future__ import annotations

import base64
import json
import math
import re
from pathlib import Path

import nbformat
import numpy as np
import pytest

import lifecycle_widgets as lw
from lifecycle_widgets.audit.export import RECORD_KERNEL_ENV, notebook_to_html, static_figures
from lifecycle_widgets.exceptions import ParameterError
from lifecycle_widgets.panels import display
from lifecycle_widgets.panels import html as static

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = sorted((ROOT / "notebooks").glob("*.ipynb"))
PLOTLY_MARKER = "* plotly.js v"  # the header comment of the plotly.js bundle


@pytest.fixture(autouse=True)
def keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A signing key of the test's own, trusted by the verifier, and a store of the test's own."""
    from lifecycle_widgets.store.keys import new_key

    monkeypatch.setenv("LIFECYCLE_WIDGETS_KEYS", str(tmp_path / "keys"))
    signer = new_key("tester")
    trusted = tmp_path / "allowed_signers"
    trusted.write_text(signer.public_line() + "\n")
    monkeypatch.setenv("LIFECYCLE_WIDGETS_TRUSTED_KEYS", str(trusted))
    monkeypatch.setenv("LIFECYCLE_WIDGETS_STORE", str(tmp_path / "lifecycle.db"))


def figure_outputs(nb) -> list[dict]:
    return [
        o for cell in nb.cells for o in cell.get("outputs", []) if display.PLOTLY_MIME in o.get("data", {})
    ]


def test_figure_outputs_round_trip_into_the_export(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``notebook_outputs`` -> notebook -> ``notebook_to_html``: every figure of the description
    (a picker with all its options) comes back in the page, plotly.js once."""
    prof = lw.profile(lw.datasets.credit(800, seed=3), target="defaulted")
    outputs = display.notebook_outputs(prof)
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("prof")
    cell.outputs = [nbformat.v4.new_output("display_data", data=d, metadata=m) for d, m in outputs]
    nb.cells = [cell]
    nbformat.write(nb, tmp_path / "p.ipynb")
    html = notebook_to_html(tmp_path / "p.ipynb", tmp_path / "p.html").read_text(encoding="utf-8")
    assert html.count(PLOTLY_MARKER) == 1
    blocks = [b for s in display.description_of(prof).sections(prof) for b in s.blocks]
    figure_blocks = [b for b in blocks if isinstance(b, static.FigureBlock | static.PickerBlock)]
    assert html.count('class="lw-figure"') == len(figure_blocks) == len(figure_outputs(nb))
    pickers = [b for b in figure_blocks if isinstance(b, static.PickerBlock)]
    for picker in pickers:
        assert html.count("<option ") >= len(picker.figures)

    # every figure payload in the page decodes to the figures of the description
    payloads = re.findall(r'<script[^>]*type="application/gzip\+base64"[^>]*>([^<]+)</script>', html)
    assert len(payloads) == len(figure_blocks)
    decoded = [static.unpack(p) for p in payloads]
    drawn = sum(len(d["figures"]) if "figures" in d else 1 for d in decoded)
    assert drawn == len(display.figures_of(prof))
    again = nbformat.read(tmp_path / "p.ipynb", as_version=4)
    static_figures(again)
    assert not figure_outputs(again)  # each became static HTML


def test_record_kernels_get_figures_as_the_mimetype() -> None:
    assert RECORD_KERNEL_ENV == {display.FIGURES_ENV: "mimetype"}


def test_a_bad_figures_mode_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(display.FIGURES_ENV, "svg")
    with pytest.raises(ParameterError, match=r"LIFECYCLE_WIDGETS_FIGURES.*'html', 'mimetype'.*'svg'"):
        display.figures_mode()


@pytest.mark.parametrize(
    "values",
    [
        list(np.random.default_rng(0).normal(0, 0.05, 500)),
        list(1.7e12 + np.random.default_rng(1).uniform(0, 3.6e6, 200)),  # epoch ms within an hour
        list(1e6 + np.random.default_rng(2).uniform(0, 1, 100)),
        [3.25] * 20,
    ],
    ids=["small", "timestamps", "offset", "constant"],
)
def test_compact_and_typed_numbers_stay_within_a_hundred_thousandth_of_their_span(values) -> None:
    values = [float(v) for v in values]
    span = (max(values) - min(values)) or abs(values[0])
    compact = static.compact_numbers({"x": values})["x"]
    assert max(abs(a - b) for a, b in zip(compact, values, strict=True)) <= span * static.SPAN_RESOLUTION
    typed = static.typed_arrays({"x": compact})["x"]
    if isinstance(typed, list):  # kept as text where that is shorter
        assert typed == compact and len(json.dumps(compact)) <= len(json.dumps(values))
        return
    decoded = np.frombuffer(base64.b64decode(typed["bdata"]), dtype=typed["dtype"]).astype(float)
    assert np.abs(decoded - np.asarray(values)).max() <= 2 * span * static.SPAN_RESOLUTION
    assert len(json.dumps(typed)) < len(json.dumps(values))


def test_integers_missing_values_and_text_keep_their_form() -> None:
    spec = {"x": list(range(40)), "y": [1.5, None] * 10, "text": ["a"] * 20, "n": math.pi}
    out = static.typed_arrays(static.compact_numbers(spec))
    assert out["x"]["dtype"] == "i1"
    assert out["y"] == [1.5, None] * 10 and out["text"] == ["a"] * 20 and out["n"] == math.pi
