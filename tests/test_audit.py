"""Audit records: real papermill runs of fixture notebooks and of every template."""

from __future__ import annotations

import contextlib
import json
import re
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import nbformat
import pytest
from plotly.offline import get_plotlyjs

import lifecycle_widgets as lw
from lifecycle_widgets.audit.manifest import sha256_file
from lifecycle_widgets.cli import main as cli
from lifecycle_widgets.panels import display
from lifecycle_widgets.store import StoreError, connect, trail
from tests.test_record_size import PLOTLY_MARKER, figure_outputs

pytestmark = pytest.mark.notebook
ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = sorted((ROOT / "notebooks").glob("*.ipynb"))
EVIL = "<img src=x onerror=alert(1)>"
BUDGET = 1_000_000  # bytes of a record beyond one plotly.js


def make_notebook(path: Path, parameters: str | None, *cells: str) -> Path:
    nb = nbformat.v4.new_notebook()
    if parameters is not None:
        cell = nbformat.v4.new_code_cell(parameters)
        cell.metadata["tags"] = ["parameters"]
        nb.cells.append(cell)
    nb.cells += [nbformat.v4.new_code_cell(c) for c in cells]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


@pytest.fixture
def good(tmp_path: Path) -> Path:
    return make_notebook(
        tmp_path / "good.ipynb",
        'n: int = 3  # how many\nlabel: str = "x"  # a label\nscale: float = 1.5  # a factor\n'
        'data_path: str = ""  # optional input file\nseed: int = 7  # random seed',
        "import lifecycle_widgets as lw\nimport numpy as np\nimport pandas as pd",
        "rng = np.random.default_rng(seed)\nlw.record('total', n * scale)\nlw.record('label', label)\n"
        "lw.record('noise', float(rng.normal()), tolerance=1e-9)\n"
        "lw.record('table', pd.DataFrame({'a': [1, 2], 'b': ['u', 'v']}))",
        "print(label)",
    )


@pytest.fixture
def out(tmp_path: Path) -> Path:
    return tmp_path / "audits"


@pytest.fixture
def store(tmp_path: Path) -> Path:
    return tmp_path / "lifecycle.db"


@pytest.fixture(autouse=True)
def keys(tmp_path: Path, store: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A signing key of the test's own, trusted by the verifier's configuration, and the store as
    the verifier's default: records here are signed, and verify as they are made."""
    from lifecycle_widgets.store.keys import new_key

    monkeypatch.setenv("LIFECYCLE_WIDGETS_KEYS", str(tmp_path / "keys"))
    signer = new_key("tester")
    trusted = tmp_path / "allowed_signers"
    trusted.write_text(signer.public_line() + "\n")
    monkeypatch.setenv("LIFECYCLE_WIDGETS_TRUSTED_KEYS", str(trusted))
    monkeypatch.setenv("LIFECYCLE_WIDGETS_STORE", str(store))
    return trusted


def run(template: Path, params: dict | None, out: Path, store: Path, **kw) -> lw.audit.AuditRecord:
    return lw.audit.run(template, params, out=out, store=store, progress=False, **kw)


def test_template_parameters(good: Path) -> None:
    spec = lw.audit.template_parameters(good)
    assert [(p.name, p.type, p.help) for p in spec.values()][:3] == [
        ("n", "int", "how many"),
        ("label", "str", "a label"),
        ("scale", "float", "a factor"),
    ]


def test_good_run_writes_a_complete_record(good: Path, out: Path, store: Path, tmp_path: Path) -> None:
    data = tmp_path / "input.csv"
    data.write_text("a,b\n1,2\n")
    rec = run(good, {"n": 4, "label": "hello", "data_path": str(data)}, out, store)
    assert rec.status == "succeeded"
    assert rec.path.name.startswith("good-") and rec.path.name.endswith("Z")
    assert sorted(p.name for p in rec.path.iterdir()) == ["good.html", "good.ipynb", "manifest.json"]
    m = json.loads((rec.path / "manifest.json").read_text())
    assert m["template"]["sha256"] == sha256_file(good)
    assert m["parameters"]["given"] == {"n": 4, "label": "hello", "data_path": str(data)}
    assert m["parameters"]["resolved"]["scale"] == 1.5 and m["seeds"] == {"seed": 7}
    assert m["inputs"]["data_path"] == {"path": str(data.resolve()), "sha256": sha256_file(data), "bytes": 8}
    assert m["environment"]["packages"]["pandas"] and m["environment"]["python"].startswith("3.")
    assert set(m["files"]) == {"good.html", "good.ipynb"}
    for name, facts in m["files"].items():
        assert facts["sha256"] == sha256_file(rec.path / name)
    assert rec.values["total"] == 6.0 and rec.values["label"] == "hello"
    assert rec.values["table"]["__frame__"]["columns"] == ["a", "b"]
    assert m["started"] <= m["finished"] and m["error"] is None
    assert lw.audit.verify(rec.path).ok
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temporary folder left


def test_code_version_is_recorded_in_a_git_checkout(out: Path, store: Path) -> None:
    template = TEMPLATES[0]
    rec = run(template, {"demo_rows": 500}, out, store)
    head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True)
    if head.returncode == 0:
        assert rec.manifest["code_version"]["git_commit"] == head.stdout.strip()
        assert isinstance(rec.manifest["code_version"]["dirty"], bool)


def test_failed_run_leaves_a_failed_record(tmp_path: Path, out: Path, store: Path) -> None:
    broken = make_notebook(
        tmp_path / "broken.ipynb",
        "x: int = 1  # x",
        "y = x + 1",
        "raise ValueError('bad data in column <b>')",
        "print('never')",
    )
    rec = run(broken, None, out, store)
    assert rec.status == "failed"
    err = rec.manifest["error"]
    assert (err["cell_index"], err["ename"]) == (2, "ValueError")
    assert "bad data in column" in err["evalue"] and "ValueError" in err["traceback"]
    nb = nbformat.read(rec.path / "broken.ipynb", as_version=4)
    # the partial notebook is kept: the failing cell holds the error, the next never ran
    code = {c.source: c for c in nb.cells if c.cell_type == "code"}
    assert [o["output_type"] for o in code["raise ValueError('bad data in column <b>')"].outputs] == ["error"]
    assert code["y = x + 1"].execution_count and code["print('never')"].execution_count is None
    assert lw.audit.verify(rec.path).ok
    assert cli(["audit", "run", str(broken), "--out", str(out), "--store", str(store)]) == 1


def test_slow_cell_times_out(tmp_path: Path, out: Path, store: Path) -> None:
    slow = make_notebook(
        tmp_path / "slow.ipynb", "seconds: int = 60  # how long", "import time", "time.sleep(seconds)"
    )
    rec = run(slow, None, out, store, cell_timeout=3)
    assert rec.status == "failed" and "Timeout" in rec.manifest["error"]["ename"]


def test_dead_kernel(tmp_path: Path, out: Path, store: Path) -> None:
    dies = make_notebook(tmp_path / "dies.ipynb", "code: int = 3  # exit code", "import os", "os._exit(code)")
    rec = run(dies, None, out, store)
    assert rec.status == "failed" and "Dead" in rec.manifest["error"]["ename"]


def test_interactive_widgets_do_not_hang(tmp_path: Path, out: Path, store: Path) -> None:
    nb = make_notebook(
        tmp_path / "widgets.ipynb",
        "start: int = 2  # initial value",
        "import ipywidgets as w\nfrom ipywidgets import interact\n"
        "interact(lambda x: x * 2, x=w.IntSlider(value=start))",
        "import lifecycle_widgets as lw\nlw.record('done', True)",
    )
    rec = run(nb, None, out, store, cell_timeout=60)
    assert rec.status == "succeeded" and rec.values == {"done": True}


@pytest.mark.parametrize(
    ("params", "match"),
    [
        (
            {"nn": 3},
            r"Unknown parameter 'nn'\. The template's parameters are: "
            r"data_path, label, n, scale, seed",
        ),
        ({"n": "3"}, r"Parameter 'n' expects int \(its default is 3\); got str '3'"),
        ({"n": True}, r"Parameter 'n' expects int"),
        ({"label": 5}, r"Parameter 'label' expects str"),
        ({"data_path": "/no/such/input.parquet"}, r"'data_path' names an input that does not exist"),
        ({"scale": float("nan")}, r"Parameter 'scale' must hold finite numbers only; got nan"),
        ({"scale": float("-inf")}, r"Parameter 'scale' must hold finite numbers only; got -inf"),
    ],
)
def test_bad_parameters_fail_before_anything_is_written(good, out, store, params, match) -> None:
    with pytest.raises(lw.ParameterError, match=match):
        run(good, params, out, store)
    assert not out.exists() or not list(out.iterdir())
    assert not store.exists()


def test_int_is_accepted_for_float(good: Path, out: Path, store: Path) -> None:
    assert run(good, {"scale": 2}, out, store).values["total"] == 6.0


def test_cli_parameters_are_coerced_and_checked(good, out, store, tmp_path, capsys) -> None:
    yml = tmp_path / "p.yaml"
    yml.write_text("label: from-file\nscale: 0.5\n")
    code = cli(
        [
            "audit",
            "run",
            str(good),
            "-p",
            "n",
            "10",
            "-f",
            str(yml),
            "-y",
            "seed: 1",
            "--out",
            str(out),
            "--store",
            str(store),
        ]
    )
    assert code == 0
    rec = lw.audit.list_records(out)[-1]
    assert rec.manifest["parameters"]["given"] == {"label": "from-file", "scale": 0.5, "seed": 1, "n": 10}
    assert cli(["audit", "run", str(good), "-p", "n", "ten", "--out", str(out)]) == 2
    assert "Parameter 'n' expects int; got 'ten'" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("setup", "match"),
    [
        ("missing", "No template notebook"),
        ("no_parameters", "has no cell tagged 'parameters'"),
        ("out_is_file", "exists and is not a folder"),
    ],
)
def test_bad_templates_and_folders(tmp_path, store, setup, match) -> None:
    template = tmp_path / "t.ipynb"
    out = tmp_path / "audits"
    if setup == "no_parameters":
        make_notebook(template, None, "print(1)")
    elif setup == "out_is_file":
        make_notebook(template, "a: int = 1  # a", "print(a)")
        out.write_text("not a folder")
    with pytest.raises(lw.ParameterError, match=match):
        lw.audit.run(template, None, out=out, store=store, progress=False)


@contextlib.contextmanager
def read_only_folder(path: Path):
    path.mkdir()
    mounted = (
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "ro", "tmpfs", str(path)], capture_output=True
        ).returncode
        == 0
    )
    if not mounted:  # not root: permissions are enough
        path.chmod(0o555)
    try:
        yield path
    finally:
        if mounted:
            subprocess.run(["umount", str(path)], check=True)
        else:
            path.chmod(0o755)


def test_read_only_output_folder(good: Path, tmp_path: Path, store: Path) -> None:
    with read_only_folder(tmp_path / "ro") as ro, pytest.raises(lw.ParameterError, match="not writable"):
        run(good, None, ro, store)


def test_markup_in_parameters_is_escaped_in_html(out: Path, store: Path) -> None:
    params = {"demo_rows": 500, "card_owner": EVIL, "as_of": "2000-01-01"}
    rec = run(ROOT / "notebooks" / "data_audit.ipynb", params, out, store)
    html = (rec.path / "data_audit.html").read_text(encoding="utf-8")
    assert EVIL not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    # the demo's dates are all after 2000: as of then, they are in the future
    assert rec.manifest["parameters"]["given"]["as_of"] == "2000-01-01" and ">future_dates<" in html


def test_today_is_pinned_in_the_record(out: Path, store: Path) -> None:
    """A template's empty as_of means the day the record is made, written into the manifest, so
    that reproducing the record later judges dates as of that same day."""
    rec = run(ROOT / "notebooks" / "data_audit.ipynb", {"demo_rows": 300}, out, store)
    today = datetime.now(UTC).date().isoformat()
    assert rec.manifest["parameters"]["given"]["as_of"] == today
    assert ">future_dates<" not in (rec.path / "data_audit.html").read_text(encoding="utf-8")


def _flip(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def test_verify_names_every_changed_file(good: Path, out: Path, store: Path) -> None:
    rec = run(good, None, out, store)
    for name in ("good.ipynb", "good.html", "manifest.json"):
        path = rec.path / name
        original = path.read_bytes()
        _flip(path, len(original) // 2)
        result = lw.audit.verify(rec.path)
        assert not result.ok
        assert any(p.startswith(f"{name}:") for p in result.problems), result.problems
        path.write_bytes(original)
    assert lw.audit.verify(rec.path).ok
    (rec.path / "extra.txt").write_text("x")
    assert lw.audit.verify(rec.path).problems == ("extra.txt: not in the manifest (added after the run)",)
    (rec.path / "extra.txt").unlink()
    (rec.path / "good.html").unlink()
    assert lw.audit.verify(rec.path).problems == ("good.html: missing",)


def test_verify_catches_a_changed_trail(good: Path, out: Path, store: Path) -> None:
    first = run(good, None, out, store)
    second = run(good, {"n": 5}, out, store)
    with sqlite3.connect(store) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    raw = store.read_bytes()
    # flip one byte inside the first entry's stored manifest hash
    with connect(store, readonly=True) as conn:
        entry = trail.entries(conn, first.manifest["record_id"])[0]
    offset = raw.find(entry.payload["manifest_sha256"].encode())
    assert offset > 0
    _flip(store, offset + 10)
    result = lw.audit.verify(second.path)
    assert any("trail entry #1" in p and "no longer matches its hash" in p for p in result.problems), (
        result.problems
    )
    # and a byte in the file header: the store no longer opens as a lifecycle store
    store.write_bytes(raw)
    assert lw.audit.verify(second.path).ok
    _flip(store, 70)  # inside the application_id field of the SQLite header
    assert any("audit trail" in p for p in lw.audit.verify(second.path).problems)


def test_trail_is_append_only(good: Path, out: Path, store: Path) -> None:
    run(good, None, out, store)
    with sqlite3.connect(store) as conn, pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("UPDATE audit_trail SET subject = 'x'")
    with sqlite3.connect(store) as conn, pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("DELETE FROM audit_trail")


def test_store_that_is_not_a_lifecycle_store(tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE t (x)")
    with pytest.raises(StoreError, match="not a lifecycle_widgets store"), connect(other):
        pass
    newer = tmp_path / "newer.db"
    with connect(newer):
        pass
    with sqlite3.connect(newer) as conn:
        conn.execute("PRAGMA user_version = 99")
    with pytest.raises(StoreError, match="newer than this lifecycle_widgets"), connect(newer):
        pass


def test_reproduce_compares_values(good: Path, out: Path, store: Path, tmp_path: Path) -> None:
    rec = run(good, {"n": 2}, out, store)
    rep = lw.audit.reproduce(rec.path, template=good, progress=False)
    assert rep.ok and {c.name for c in rep.comparisons} == {"total", "label", "noise", "table"}
    assert rep.reproduced.path != rec.path and lw.audit.verify(rep.reproduced.path).ok
    unseeded = make_notebook(
        tmp_path / "unseeded.ipynb",
        "k: int = 1  # k",
        "import random, lifecycle_widgets as lw\nlw.record('r', random.random())",
    )
    rec2 = run(unseeded, None, out, store)
    rep2 = lw.audit.reproduce(rec2.path, template=unseeded, progress=False)
    assert not rep2.ok and "DIFFERS" in rep2.table()
    assert cli(["audit", "reproduce", str(rec2.path), "--template", str(unseeded)]) == 1


@dataclass(frozen=True)
class TemplateRecord:
    """A template's record, with the environment it was made in: its signing keys, the keys
    trusted to verify it and its store (``use`` sets them for a test)."""

    template: Path
    record: lw.audit.AuditRecord
    env: dict[str, str]

    def use(self, monkeypatch: pytest.MonkeyPatch) -> lw.audit.AuditRecord:
        for name, value in self.env.items():
            monkeypatch.setenv(name, value)
        return self.record


@pytest.fixture(scope="module", params=TEMPLATES, ids=lambda p: p.stem)
def template_record(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> TemplateRecord:
    """Each template run once at 2,000 demo rows for the two tests that read its record (a
    model_validation run takes half a minute): signed by a key of its own, in a store of its own."""
    from lifecycle_widgets.store.keys import new_key

    template: Path = request.param
    base = tmp_path_factory.mktemp(f"record-{template.stem}")
    env = {
        "LIFECYCLE_WIDGETS_KEYS": str(base / "keys"),
        "LIFECYCLE_WIDGETS_TRUSTED_KEYS": str(base / "allowed_signers"),
        "LIFECYCLE_WIDGETS_STORE": str(base / "lifecycle.db"),
    }
    with pytest.MonkeyPatch.context() as mp:
        for name, value in env.items():
            mp.setenv(name, value)
        (base / "allowed_signers").write_text(new_key("tester").public_line() + "\n")
        spec = lw.audit.template_parameters(template)
        small = {"demo_rows": 2000} if "demo_rows" in spec else {}
        rec = run(template, small, base / "audits", base / "lifecycle.db")
    return TemplateRecord(template, rec, env)


def test_every_template_records_verifies_and_reproduces(
    template_record: TemplateRecord, monkeypatch: pytest.MonkeyPatch
) -> None:
    rec = template_record.use(monkeypatch)
    assert rec.status == "succeeded" and rec.values
    assert lw.audit.verify(rec.path).ok
    rep = lw.audit.reproduce(rec.path, template=template_record.template, progress=False)
    assert rep.ok, rep.table()
    html = next(rec.path.glob("*.html")).read_text(encoding="utf-8")
    assert html.count("* plotly.js v") == 1 and 'class="lw-figure"' in html


def test_a_record_holds_plotlyjs_once_and_at_most_1_mb_besides(
    template_record: TemplateRecord, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A record carries plotly.js once and little else (see ``test_record_size.py``)."""
    rec = template_record.use(monkeypatch)
    assert rec.status == "succeeded"
    assert lw.audit.verify(rec.path).ok
    files = sorted(p for p in rec.path.iterdir() if p.is_file())
    texts = {p.suffix: p.read_text(encoding="utf-8") for p in files}
    assert set(texts) == {".ipynb", ".html", ".json"}

    # plotly.js once in the whole record: in the HTML, not in the notebook
    plotlyjs = get_plotlyjs()
    assert sum(t.count(PLOTLY_MARKER) for t in texts.values()) == 1
    assert texts[".html"].count(plotlyjs) == 1 and plotlyjs[:4000] not in texts[".ipynb"]
    beyond = sum(p.stat().st_size for p in files) - len(plotlyjs.encode("utf-8"))
    sizes = {p.name: p.stat().st_size for p in files}
    assert beyond <= BUDGET, f"{beyond:,} bytes beyond plotly.js: {sizes}"

    # the notebook draws its figures without a kernel: plotly's mimetype, with data
    nb = nbformat.reads(texts[".ipynb"], as_version=4)
    nbformat.validate(nb)
    figures = figure_outputs(nb)
    assert figures, "no figure output in the notebook"
    for output in figures:
        figure = output["data"][display.PLOTLY_MIME]
        assert figure["data"] and figure["layout"]["title"]["text"]
        assert figure["layout"]["template"]["layout"], "a figure without its template draws unstyled"
        assert "<script" not in output["data"]["text/html"]

    # the HTML draws each of them, and asks for nothing beyond itself
    html = texts[".html"]
    assert html.count('class="lw-figure"') == len(figures)
    outside = html.replace(plotlyjs, "")
    assert not re.search(r"<script[^>]+src=", outside)
    assert not re.search(r"""<link[^>]+href=["']?(https?:)?//""", outside)
    # nothing loaded from elsewhere (hyperlinks, such as scikit-learn's to its documentation in
    # an estimator's display, load nothing)
    assert not re.search(r"""\b(src|srcset|data)\s*=\s*["']?(https?:)?//""", outside)
    assert "@import" not in outside and not re.search(r"url\(\s*[\"']?(https?:)?//", outside)


def test_cli_list_verify_params(good: Path, out: Path, store: Path, capsys) -> None:
    rec = run(good, None, out, store)
    assert cli(["audit", "list", str(out)]) == 0
    assert rec.path.name in capsys.readouterr().out
    assert cli(["audit", "verify", str(rec.path)]) == 0
    assert "OK" in capsys.readouterr().out
    assert cli(["audit", "params", str(good), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["n"]["type"] == "int"


def test_cli_entry_point_is_installed(good: Path, out: Path, store: Path) -> None:
    exe = Path(sys.executable).parent / "lifecycle-widgets"
    done = subprocess.run([str(exe), "audit", "params", str(good)], capture_output=True, text=True)
    assert done.returncode == 0 and "how many" in done.stdout
