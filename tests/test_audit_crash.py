"""Crash consistency and clear errors: a run killed at the worst moment leaves nothing the trail
cannot account for; bad input stops with ``error: ...`` (exit 2) before anything is written."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

import lifecycle_widgets as lw
from lifecycle_widgets.audit.housekeeping import recover
from lifecycle_widgets.cli import main as cli
from lifecycle_widgets.store import connect, trail
from lifecycle_widgets.store.keys import new_key
from lifecycle_widgets.store.processes import owner_token

pytestmark = pytest.mark.notebook

# Two runs in one process; the second is killed (SIGKILL) right after its trail entry is written,
# as it renames its temporary folder into place.
KILLED_AT_RENAME = """
import os, signal, sys
from pathlib import Path
import lifecycle_widgets as lw

template, out, store = sys.argv[1:4]
lw.audit.run(template, {"n": 1}, out=out, store=store, progress=False)
real_rename = os.rename

def rename(src, dst, *args, **kwargs):
    if ".partial-" in Path(src).name:
        os.kill(os.getpid(), signal.SIGKILL)
    return real_rename(src, dst, *args, **kwargs)

os.rename = rename
lw.audit.run(template, {"n": 2}, out=out, store=store, progress=False)
"""


def make_template(path: Path) -> Path:
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell("n: int = 3  # a number\nscale: float = 1.5  # a factor")
    params.metadata["tags"] = ["parameters"]
    nb.cells = [
        params,
        nbformat.v4.new_code_cell("import lifecycle_widgets as lw\nlw.record('total', n * scale)"),
    ]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A signing key and the verifier's configuration that trusts it."""
    for name in ("LIFECYCLE_WIDGETS_SIGNER", "LIFECYCLE_WIDGETS_STORE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LIFECYCLE_WIDGETS_KEYS", str(tmp_path / "keys"))
    allowed = tmp_path / "allowed_signers"
    allowed.write_text(new_key("runner").public_line() + "\n")
    monkeypatch.setenv("LIFECYCLE_WIDGETS_TRUSTED_KEYS", str(allowed))
    return tmp_path


def _dead_owner() -> str:
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    return f"{socket.gethostname()}:{done.stdout.strip()}:1"


def test_a_run_killed_between_trail_entry_and_rename_is_recovered(
    env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    template = make_template(tmp_path / "t.ipynb")
    out, store = tmp_path / "audits", tmp_path / "lifecycle.db"
    done = subprocess.run(
        [sys.executable, "-c", KILLED_AT_RENAME, str(template), str(out), str(store)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == -9, done.stderr[-2000:]
    first = lw.audit.list_records(out)[0].path
    [partial] = [p for p in out.iterdir() if ".partial-" in p.name]
    name = partial.name[1:].split(".partial-")[0]
    assert (out / f".{name}.claim").exists() and not (out / name).exists()
    with connect(store, readonly=True) as conn:
        assert [e.payload["name"] for e in trail.entries(conn, kind="audit_record")] == [first.name, name]

    # the entry without its folder, and what the dead run left, are reported
    problems = lw.audit.verify(first, store=store).problems
    assert problems == (
        f"trail entry #2: its record folder {name} is missing (deleted?)",
        f"{partial.name}: the temporary folder of a run that died (`lifecycle-widgets audit gc` cleans it up)",
        f".{name}.claim: the name claim of a run that died (`lifecycle-widgets audit gc` cleans it up)",
    )
    assert cli(["audit", "list", str(out)]) == 1
    captured = capsys.readouterr()
    assert first.name in captured.out and f"problem: {partial.name}: the temporary folder" in captured.err

    # recovery on the next run into the folder (the function run() calls first)
    copy = tmp_path / "copy"
    copy.mkdir()
    shutil.copytree(out, copy / "audits")
    shutil.copy(store, copy / "lifecycle.db")
    assert recover(copy / "audits", copy / "lifecycle.db") == [
        f"recovered {name}: trail entry #2 was written before its run died"
    ]
    assert lw.audit.verify(copy / "audits" / name, store=copy / "lifecycle.db").ok

    # or by `audit gc`; a dry run changes nothing
    assert cli(["audit", "gc", str(out), "--store", str(store), "--dry-run"]) == 0
    assert "would have recovered" in capsys.readouterr().out and partial.exists()
    assert cli(["audit", "gc", str(out), "--store", str(store)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"recovered {name}: trail entry #2 was written before its run died",
        f"removed .{name}.claim: its run died",
    ]
    assert sorted(p.name for p in out.iterdir()) == sorted([first.name, name])
    for rec in (first, out / name):
        assert lw.audit.verify(rec, store=store).ok
    assert lw.audit.list_records(out)[1].values == {"total": 3.0}

    # leftovers of a run that died before its trail entry are removed; those of a live run kept
    dead = out / f".t-20990101T000000Z.partial-{'a' * 8}"
    dead.mkdir()
    (dead / "t.ipynb").write_text("{}")
    (out / ".t-20990101T000000Z.claim").write_text(_dead_owner())
    (out / ".t-20990102T000000Z.claim").write_text(owner_token())
    assert cli(["audit", "list", str(out)]) == 1
    assert "note: .t-20990102T000000Z.claim: the name claim of a run in progress" in capsys.readouterr().out
    assert cli(["audit", "gc", str(out), "--store", str(store)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"removed {dead.name}: its run died before the record was complete",
        "removed .t-20990101T000000Z.claim: its run died",
    ]
    assert cli(["audit", "list", str(out)]) == 0
    assert lw.audit.verify(first, store=store).notes == (
        ".t-20990102T000000Z.claim: the name claim of a run in progress",
    )

    # one unreadable manifest does not hide the good records
    (out / name / "manifest.json").write_text('{"record_id": ')
    capsys.readouterr()
    assert cli(["audit", "list", str(out)]) == 1
    captured = capsys.readouterr()
    assert first.name in captured.out and name not in captured.out
    assert f"problem: {name}: manifest.json cannot be read" in captured.err


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (["-p", "scale", "nan"], "Parameter 'scale' must hold finite numbers only; got nan"),
        (["-y", "scale: .inf"], "Parameter 'scale' must hold finite numbers only; got inf"),
        (["-y", "n: [1, 2"], "error: -y 'n: [1, 2': not valid YAML: while parsing a flow sequence"),
        (["-f", "{bad_yaml}"], "error: -f {bad_yaml}: not valid YAML"),
        (["-f", "{missing}"], "error: [Errno 2] No such file or directory"),
        (["--store", "{foreign}"], "is a SQLite file but not a lifecycle_widgets store"),
        (["--store", "{folder}"], "is a folder; a store is one file"),
        (["--template", "{dotted}"], "Template names may not start with a dot ('.hidden.ipynb')"),
    ],
)
def test_bad_input_stops_before_anything_is_written(
    env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], match: str
) -> None:
    import sqlite3

    template = make_template(tmp_path / "t.ipynb")
    bad_yaml = tmp_path / "p.yaml"
    bad_yaml.write_text("n: 1\n  scale: [\n")
    foreign = tmp_path / "foreign.db"
    with sqlite3.connect(foreign) as conn:
        conn.execute("CREATE TABLE t (x)")
    conn.close()
    (tmp_path / "folder").mkdir()
    dotted = shutil.copy(template, tmp_path / ".hidden.ipynb")
    names = {
        "bad_yaml": bad_yaml,
        "missing": tmp_path / "missing.yaml",
        "foreign": foreign,
        "folder": tmp_path / "folder",
        "dotted": dotted,
    }
    args = [a.format(**names) for a in args]
    if args[0] == "--template":
        template, args = Path(args[1]), []
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}
    out, store = tmp_path / "audits", tmp_path / "lifecycle.db"
    argv = ["audit", "run", str(template), "--out", str(out), *args]
    if "--store" not in args:
        argv += ["--store", str(store)]
    assert cli(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and match.format(**names) in err, err
    assert not out.exists() and not store.exists()
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()} == before  # foreign.db too


def test_no_space_left_is_a_clear_error_and_leaves_nothing(
    env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "small"
    out.mkdir()
    if subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(out)], capture_output=True
    ).returncode:
        pytest.skip("cannot mount a small file system here")
    try:
        template = make_template(tmp_path / "t.ipynb")
        # an output larger than the file system (records are small now: no indentation, no
        # plotly.js in the notebook, a 2 kB stylesheet in the export)
        nb = nbformat.read(template, as_version=4)
        nb.cells.append(nbformat.v4.new_code_cell("print('x' * 200_000)"))
        nbformat.write(nb, template)
        store = tmp_path / "lifecycle.db"
        assert cli(["audit", "run", str(template), "--out", str(out), "--store", str(store)]) == 2
        err = capsys.readouterr().err
        assert f"error: no space left on '{out}" in err, err[-2000:]
        assert list(out.iterdir()) == []  # no temporary folder, no claim
        with connect(store, readonly=True) as conn:
            assert trail.entries(conn) == []
    finally:
        subprocess.run(["umount", str(out)], check=True)


def test_a_manifest_that_is_not_json_is_reported_not_raised(env: Path, tmp_path: Path) -> None:
    rec = tmp_path / "audits" / "x-20990101T000000Z"
    rec.mkdir(parents=True)
    (rec / "manifest.json").write_text(json.dumps(["not", "a", "manifest"]))
    result = lw.audit.verify(rec, store=tmp_path / "lifecycle.db")
    assert result.problems == ("manifest.json: unreadable (not a JSON object)",)
    listing = lw.audit.scan_records(tmp_path / "audits")
    assert listing.records == () and listing.problems == [
        f"{rec.name}: manifest.json is not an audit manifest (no record_id, status, recorded, started)."
    ]
    assert os.listdir(tmp_path / "audits") == [rec.name]
