"""Records nobody can forge: signed manifests and trail entries, trust from the verifier only,
kept heads, the records folder checked against the trail, safe reproduction, archives.

The forger in these tests has everything but the private key: write access to the record
folders and to the SQLite file (triggers and all), this package, and keys of their own. Two real
records are made once per module; each test works on a copy of them.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import sqlite3
import stat
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest

import lifecycle_widgets as lw
from lifecycle_widgets.audit.manifest import file_hashes, sha256_file
from lifecycle_widgets.cli import main as cli
from lifecycle_widgets.store import StoreError, connect, trail
from lifecycle_widgets.store.keys import Signer, TrustedKeys, canonical_json, load_key, new_key

pytestmark = pytest.mark.notebook
TEMPLATE = "checked.ipynb"
ALICE = "alice"


def make_template(path: Path) -> Path:
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell('n: int = 3  # a number\ndata_path: str = ""  # optional input file')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [
        params,
        nbformat.v4.new_code_cell(
            "from pathlib import Path\nimport lifecycle_widgets as lw\n"
            "lw.record('total', n * 2)\n"
            "lw.record('rows', len(Path(data_path).read_text().splitlines()) if data_path else 0)"
        ),
    ]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two records signed by alice (n=2; n=5 reading input.csv), then one more trail entry."""
    base = tmp_path_factory.mktemp("pristine")
    (base / "input.csv").write_text("a\n1\n2\n")
    template = make_template(base / TEMPLATE)
    alice = new_key(ALICE, folder=base / "keys")
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(base)
        for params in ({"n": 2}, {"n": 5, "data_path": "input.csv"}):
            lw.audit.run(
                template,
                params,
                out=base / "audits",
                store=base / "lifecycle.db",
                progress=False,
                signer=alice,
            )
    trail.append(
        "note", "after", {"why": "an entry after the records"}, store=base / "lifecycle.db", signer=alice
    )
    (base / "allowed_signers").write_text(f"# the verifier's own list\n{alice.public_line()}\n")
    assert not (base / "lifecycle.db-wal").exists()  # the last writer folded its log in
    return base


@pytest.fixture
def w(pristine: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the pristine records and store; no verifier configuration but what tests pass."""
    work = tmp_path / "w"
    shutil.copytree(pristine, work)
    for name in list(os.environ):
        if name.startswith("LIFECYCLE_WIDGETS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("LIFECYCLE_WIDGETS_KEYS", str(work / "keys"))
    monkeypatch.chdir(work)
    return work


def record(w: Path, n: int) -> Path:
    return next(
        r.path for r in lw.audit.list_records(w / "audits") if r.manifest["parameters"]["given"]["n"] == n
    )


def check(w: Path, rec: Path, **kw: Any) -> lw.audit.Verification:
    return lw.audit.verify(rec, trusted_keys=w / "allowed_signers", store=w / "lifecycle.db", **kw)


def trust_args(w: Path) -> list[str]:
    return ["--trusted-keys", str(w / "allowed_signers"), "--store", str(w / "lifecycle.db")]


def forge_manifest(
    rec: Path,
    edit: Callable[[dict[str, Any]], None],
    *,
    sign_with: Signer | None = None,
    keep_signature: bool = False,
    rehash_files: bool = True,
) -> str:
    """Edit a manifest as a forger: recompute its file hashes, sign (or not), write; its SHA-256."""
    path = rec / "manifest.json"
    manifest = json.loads(path.read_text())
    old = manifest.pop("signature")
    edit(manifest)
    if rehash_files:
        manifest["files"] = file_hashes(rec)
    if sign_with is not None:
        manifest["signature"] = {**sign_with.sign_json(manifest), "signer": ALICE}
    elif keep_signature:
        manifest["signature"] = old
    path.write_text(json.dumps(manifest, indent=2))
    return sha256_file(path)


_COLUMNS = (
    "seq, created, kind, subject, payload, prev_hash, entry_hash, format, signer, signer_name, signature"
)


def rechain(
    store: Path,
    change: Callable[[list[dict[str, Any]]], list[dict[str, Any]]],
    *,
    sign_with: Signer | None = None,
    keep_signatures: bool = False,
) -> None:
    """As a forger with the SQLite file: drop the triggers, change the rows, recompute every
    entry's hash and the whole chain, sign with the forger's key (or keep the old signatures, or
    none), and put the triggers back."""
    conn = sqlite3.connect(store, isolation_level=None)
    triggers = [
        sql
        for (sql,) in conn.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_trail'"
        )
    ]
    assert len(triggers) == 2
    conn.execute("DROP TRIGGER audit_trail_no_update")
    conn.execute("DROP TRIGGER audit_trail_no_delete")
    names = [c.strip() for c in _COLUMNS.split(",")]
    rows = change(
        [
            dict(zip(names, r, strict=True))
            for r in conn.execute(f"SELECT {_COLUMNS} FROM audit_trail ORDER BY seq")
        ]
    )
    conn.execute("DELETE FROM audit_trail")
    prev = trail.GENESIS
    for seq, row in enumerate(rows, 1):
        who = {"key": sign_with.fingerprint, "name": ALICE} if sign_with else None
        if keep_signatures:
            who = {"key": row["signer"], "name": row["signer_name"]}
        body = {
            "format": 2,
            "seq": seq,
            "created": row["created"],
            "kind": row["kind"],
            "subject": row["subject"],
            "payload": json.loads(row["payload"]),
            "prev_hash": prev,
            "signer": who,
        }
        message = canonical_json(body)
        digest = hashlib.sha256(message).hexdigest()
        signature = (
            sign_with.sign(message)["value"] if sign_with else row["signature"] if keep_signatures else None
        )
        conn.execute(
            f"INSERT INTO audit_trail ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                seq,
                row["created"],
                row["kind"],
                row["subject"],
                row["payload"],
                prev,
                digest,
                2,
                (who or {}).get("key"),
                (who or {}).get("name"),
                signature,
            ),
        )
        prev = digest
    for sql in triggers:
        conn.execute(sql)
    conn.close()


def chain_alone(store: Path) -> list[str]:
    """What the hash chain alone says, without any key: what an unsigned trail could check."""
    with connect(store, readonly=True) as conn:
        return trail.check_chain(conn)


def test_pristine_records_verify_with_the_verifiers_keys(w: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a = record(w, 2)
    result = check(w, a)
    assert result.ok, result.problems
    alice = load_key(ALICE)
    assert result.signer == f"{ALICE} ({alice.fingerprint})" and result.head.startswith("3:")
    manifest = json.loads((a / "manifest.json").read_text())
    assert (
        manifest["signature"]["key"] == alice.fingerprint and manifest["signature"]["algorithm"] == "ed25519"
    )
    with connect(w / "lifecycle.db", readonly=True) as conn:
        entries = trail.entries(conn)
    assert [(e.kind, e.signer, e.signer_name) for e in entries] == [
        ("audit_record", alice.fingerprint, ALICE),
        ("audit_record", alice.fingerprint, ALICE),
        ("note", alice.fingerprint, ALICE),
    ]
    assert entries[0].payload["path"] == f"audits/{a.name}"  # relative: record and store move together
    assert cli(["audit", "verify", str(a), *trust_args(w)]) == 0
    assert "OK" in capsys.readouterr().out
    # no private key material in any record file
    secret = (w / "keys" / f"{ALICE}.key").read_bytes()
    for f in (w / "audits").rglob("*"):
        if f.is_file():
            assert b"PRIVATE KEY" not in f.read_bytes() and secret not in f.read_bytes()


@pytest.mark.parametrize(
    ("how", "caught_by"),
    [
        ("keeps alice's signatures", "signature does not match the content"),
        ("signs with a key of its own named alice", "signed by a key you do not trust"),
        ("signs nothing", "not signed"),
    ],
)
def test_a_forger_who_rewrites_a_record_and_the_whole_trail_is_caught(
    w: Path, how: str, caught_by: str
) -> None:
    a = record(w, 2)
    forger = new_key(ALICE, folder=w / "forger-keys")
    sign = forger if "own" in how else None
    keep = "keeps" in how
    record_id = json.loads((a / "manifest.json").read_text())["record_id"]
    new_sha = forge_manifest(
        a, lambda m: m["recorded"]["total"].update(value=40), sign_with=sign, keep_signature=keep
    )

    def change(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for row in rows:
            if row["subject"] == record_id:
                payload = json.loads(row["payload"])
                payload["manifest_sha256"] = new_sha
                row["payload"] = canonical_json(payload).decode()
        return rows

    rechain(w / "lifecycle.db", change, sign_with=sign, keep_signatures=keep)
    assert chain_alone(w / "lifecycle.db") == []  # every hash agrees: only a signature can tell
    result = check(w, a)
    assert not result.ok
    assert any(p.startswith(f"manifest.json: {caught_by}") for p in result.problems), result.problems
    assert any(p.startswith("trail entry #1 (audit_record") and caught_by in p for p in result.problems)
    assert cli(["audit", "verify", str(a), *trust_args(w)]) == 1


@pytest.mark.parametrize("sign", [True, False], ids=["forger's key", "unsigned"])
def test_a_forger_with_a_fresh_store_is_caught(w: Path, sign: bool) -> None:
    a, b = record(w, 2), record(w, 5)
    forger = new_key(ALICE, folder=w / "forger-keys") if sign else None
    (w / "lifecycle.db").unlink()
    for rec in (a, b):
        manifest = json.loads((rec / "manifest.json").read_text())
        trail.append(
            "audit_record",
            manifest["record_id"],
            {
                "name": rec.name,
                "path": f"audits/{rec.name}",
                "status": manifest["status"],
                "manifest_sha256": sha256_file(rec / "manifest.json"),
                "template_sha256": manifest["template"]["sha256"],
            },
            store=w / "lifecycle.db",
            signer=forger,
        )
    assert chain_alone(w / "lifecycle.db") == []
    result = check(w, a)
    why = "signed by a key you do not trust" if sign else "not signed"
    assert [p for p in result.problems if why not in p] == [], (
        result.problems
    )  # the manifest itself is alice's
    assert len(result.problems) == 2


@pytest.mark.parametrize("sign", [True, False], ids=["forger's key", "unsigned"])
def test_a_forger_who_appends_a_made_up_record_is_caught(w: Path, sign: bool) -> None:
    a = record(w, 2)
    forger = new_key(ALICE, folder=w / "forger-keys") if sign else None
    fake = w / "audits" / "checked-20990101T000000Z"
    shutil.copytree(a, fake)
    fake_id = "f" * 32

    def edit(m: dict[str, Any]) -> None:
        m.update(record_id=fake_id, name=fake.name)
        m["recorded"]["total"]["value"] = 1000

    sha = forge_manifest(fake, edit, sign_with=forger)
    entry = trail.append(
        "audit_record",
        fake_id,
        {"name": fake.name, "path": f"audits/{fake.name}", "status": "succeeded", "manifest_sha256": sha},
        store=w / "lifecycle.db",
        signer=forger,
    )
    assert entry.seq == 4 and chain_alone(w / "lifecycle.db") == []
    why = "signed by a key you do not trust" if sign else "not signed"
    fake_result = check(w, fake)
    assert f"manifest.json: {why}" in "\n".join(fake_result.problems)
    assert any(p.startswith("trail entry #4 (audit_record") and why in p for p in fake_result.problems)
    # the genuine record's verification names the made-up entry too: the trail is checked whole
    assert [p for p in check(w, a).problems if "#4" not in p] == []


def test_a_kept_head_catches_a_trail_cut_short(w: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a = record(w, 2)
    assert cli(["audit", "head", *trust_args(w)]) == 0
    kept = capsys.readouterr().out.strip()
    with connect(w / "lifecycle.db", readonly=True) as conn:
        assert kept == f"3:{trail.entries(conn)[-1].entry_hash}"
    (w / "heads").write_text(f"# kept by the reviewer\n{kept}\n")
    assert check(w, a, heads=[kept]).ok
    with sqlite3.connect(w / "lifecycle.db") as conn:
        conn.execute("DROP TRIGGER audit_trail_no_delete")
        conn.execute("DELETE FROM audit_trail WHERE seq = 3")
    assert check(w, a).ok  # what is left is as well signed as before: no signature can see this
    result = check(w, a, heads=[kept])
    assert result.problems == (f"audit trail: cut short: the head you kept, {kept}, is gone (it ends at #2)",)
    assert cli(["audit", "verify", str(a), *trust_args(w), "--heads", str(w / "heads")]) == 1
    assert "cut short" in capsys.readouterr().out


def test_a_kept_head_catches_a_rewrite_even_by_the_key_holder(
    w: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a = record(w, 2)
    assert cli(["audit", "head", "--store", str(w / "lifecycle.db")]) == 0
    kept = capsys.readouterr().out.strip()

    def change(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        rows[2]["payload"] = canonical_json({"why": "history, rewritten"}).decode()
        return rows

    rechain(w / "lifecycle.db", change, sign_with=load_key(ALICE))
    assert check(w, a).ok  # alice's key signed the rewrite
    problems = check(w, a, heads=[kept]).problems
    assert len(problems) == 1 and problems[0].startswith("audit trail: rewritten: entry #3 has hash")
    assert cli(["audit", "verify", str(a), *trust_args(w), "--head", "3:" + "0" * 64]) == 1
    assert cli(["audit", "verify", str(a), *trust_args(w), "--head", "three"]) == 2
    assert "SEQ:HASH" in capsys.readouterr().err


def test_trust_comes_from_the_verifier_never_from_the_record(
    w: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    a = record(w, 2)
    assert cli(["audit", "verify", str(a), "--store", str(w / "lifecycle.db")]) == 2
    assert "error: verify needs the keys you trust" in capsys.readouterr().err
    bob = new_key("bob", folder=tmp_path / "bob")
    (tmp_path / "bob.allowed").write_text(bob.public_line() + "\n")
    result = lw.audit.verify(a, trusted_keys=tmp_path / "bob.allowed", store=w / "lifecycle.db")
    assert result.problems[0].startswith("manifest.json: signed by a key you do not trust")
    # the store the manifest mentions is never opened: without --store, the verifier's default
    monkeypatch.chdir(tmp_path)
    result = lw.audit.verify(a, trusted_keys=w / "allowed_signers")
    assert result.problems == (
        "audit trail: no store at 'lifecycle.db' (the manifest mentions "
        f"{json.loads((a / 'manifest.json').read_text())['trail']['store']!r}: pass it with --store if it is the "
        "one you trust)",
    )
    # the verifier's own configuration: $XDG_CONFIG_HOME/lifecycle_widgets/allowed_signers, $LIFECYCLE_WIDGETS_STORE
    config = tmp_path / "config" / "lifecycle_widgets"
    config.mkdir(parents=True)
    shutil.copy(w / "allowed_signers", config / "allowed_signers")
    monkeypatch.setenv("LIFECYCLE_WIDGETS_STORE", str(w / "lifecycle.db"))
    assert lw.audit.verify(a).ok


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("alice", r"line 1: expected 'NAME ED25519-PUBLIC-KEY-BASE64'"),
        ("# ok\nalice notbase64!", r"line 2: 'notbase64!' is not a base64 Ed25519 public key"),
        ("alice QUJD", r"is not a base64 Ed25519 public key \(32 bytes\)"),
    ],
)
def test_bad_trusted_keys_files(tmp_path: Path, text: str, match: str) -> None:
    path = tmp_path / "allowed"
    path.write_text(text)
    with pytest.raises(lw.ParameterError, match=match):
        TrustedKeys.from_file(path)


def test_the_records_folder_and_the_trail_agree(w: Path, pristine: Path) -> None:
    a, b = record(w, 2), record(w, 5)
    shutil.rmtree(b)
    assert check(w, a).problems == (f"trail entry #2: its record folder {b.name} is missing (deleted?)",)
    shutil.copytree(pristine / "audits" / b.name, b)
    copy = w / "audits" / "checked-copy"
    shutil.copytree(a, copy)
    assert check(w, a).problems == ("checked-copy: its trail entry was made for another folder (a copy?)",)
    assert check(w, copy).problems == (
        f"trail entry #1 was made for {str(a.resolve())!r}, not this folder (a copy?)",
    )
    shutil.rmtree(copy)
    stray = w / "audits" / "checked-stray"
    stray.mkdir()
    (stray / "manifest.json").write_text(json.dumps({"record_id": "e" * 32}))
    assert check(w, a).problems == (
        "checked-stray: a record folder with no trail entry (made or copied by hand?)",
    )
    (stray / "manifest.json").write_text("{not json")
    assert check(w, a).problems[0].startswith("checked-stray/manifest.json: unreadable")


@pytest.mark.parametrize("path", ["../../x", "/etc/hostname", "sub/../../../y", ""])
def test_manifest_paths_outside_the_record_are_refused(w: Path, path: str) -> None:
    a = record(w, 2)
    forge_manifest(
        a,
        lambda m: m["files"].update({path: {"sha256": "0" * 64, "bytes": 1}}),
        sign_with=load_key(ALICE),
        rehash_files=False,
    )
    problems = check(w, a).problems
    assert f"{path!r}: a path outside the record folder (refused, not read)" in problems


def test_symbolic_links_in_a_record_are_reported(w: Path) -> None:
    a = record(w, 2)
    html = a / "checked.html"
    html.rename(a / "elsewhere.html")
    html.symlink_to(a / "elsewhere.html")
    problems = check(w, a).problems
    assert "checked.html: a symbolic link, where the record had a file" in problems


def test_diff_shows_two_records_side_by_side(w: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a, b = record(w, 2), record(w, 5)
    diff = lw.audit.diff_records(a, b)
    differs = {(r.section, r.key): (r.a, r.b) for r in diff.rows if r.differs}
    assert differs[("parameters", "n")] == (2, 5)
    assert differs[("values", "total")] == (4, 10) and differs[("values", "rows")] == (0, 3)
    assert differs[("inputs", "data_path")] == (None, sha256_file(w / "input.csv"))
    assert ("record", "template SHA-256") not in differs and ("environment", "python") not in differs
    assert diff.differs and not lw.audit.diff_records(a, a).differs
    assert cli(["audit", "diff", str(a), str(b)]) == 1
    out = capsys.readouterr().out
    line = next(row for row in out.splitlines() if " n " in row)
    assert line.startswith("*") and line.split()[-2:] == ["2", "5"]
    assert "installed packages have the same version in both" in out
    assert cli(["audit", "diff", str(a), str(a)]) == 0


def test_reproduce_refuses_what_does_not_verify_and_names_changed_inputs(
    w: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = record(w, 2), record(w, 5)
    template = w / TEMPLATE
    other = w / "other.ipynb"
    nb = nbformat.read(template, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("print('a different notebook')"))
    nbformat.write(nb, other)
    before = sorted(p.name for p in (w / "audits").iterdir())
    with pytest.raises(lw.ParameterError, match=r"is not the one checked-.* ran: its SHA-256 is"):
        lw.audit.reproduce(b, template=other, trusted_keys=w / "allowed_signers", store=w / "lifecycle.db")
    html = a / "checked.html"
    html.write_text(html.read_text() + "<!-- edited -->")
    assert cli(["audit", "reproduce", str(a), "--template", str(template), *trust_args(w)]) == 2
    err = capsys.readouterr().err
    assert "does not verify, so it is not reproduced" in err and "checked.html: content changed" in err
    assert sorted(p.name for p in (w / "audits").iterdir()) == before  # nothing ran
    html.write_text(html.read_text().replace("<!-- edited -->", ""))

    (w / "input.csv").write_text("a\n1\n2\n3\n")
    rep = lw.audit.reproduce(
        b, template=template, trusted_keys=w / "allowed_signers", store=w / "lifecycle.db", progress=False
    )
    assert not rep.ok and rep.reproduced.status == "succeeded"
    assert [c.name for c in rep.comparisons if not c.equal] == ["rows"]
    was = json.loads((b / "manifest.json").read_text())["inputs"]["data_path"]["sha256"]
    assert [(c.name, c.original, c.reproduced) for c in rep.inputs_changed] == [
        ("data_path", was, sha256_file(w / "input.csv"))
    ]
    assert was != sha256_file(w / "input.csv")
    assert "input 'data_path' changed: SHA-256" in rep.table() and "NOT REPRODUCED" in rep.table()
    assert check(w, rep.reproduced.path).ok


@contextlib.contextmanager
def read_only(path: Path) -> Iterator[None]:
    mounted = (
        subprocess.run(["mount", "--bind", "-o", "ro", str(path), str(path)], capture_output=True).returncode
        == 0
    )
    if not mounted:
        if os.geteuid() == 0:
            pytest.skip("cannot mount read-only here, and permissions do not bind root")
        for p in [path, *path.rglob("*")]:
            p.chmod(p.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    try:
        yield
    finally:
        if mounted:
            subprocess.run(["umount", str(path)], check=True)
        else:
            for p in [path, *path.rglob("*")]:
                p.chmod(p.stat().st_mode | stat.S_IWUSR)


def test_an_archive_on_read_only_media_verifies(w: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a = record(w, 2)
    before = sorted(p.name for p in w.iterdir())
    with read_only(w):
        with pytest.raises(OSError):
            (w / "probe").write_text("x")
        result = check(w, a)
        assert result.ok, result.problems
        assert cli(["audit", "head", *trust_args(w)]) == 0
        assert capsys.readouterr().out.startswith("3:")
        assert cli(["registry", "verify", *trust_args(w)]) == 0
        store = lw.RunStore(w / "lifecycle.db", read_only=True)
        assert len(store.runs()) == 0
        with pytest.raises(StoreError, match="opened read-only"):
            store.create_run(experiment="x")
        store.close()
    assert sorted(p.name for p in w.iterdir()) == before  # not even a -shm file


def test_an_archived_store_with_writes_still_in_its_log_says_so(w: Path) -> None:
    conn = sqlite3.connect(w / "lifecycle.db")
    conn.execute("PRAGMA wal_autocheckpoint = 0")
    conn.execute("CREATE TABLE scratch (x)")  # leaves the change in lifecycle.db-wal while conn is open
    shutil.copy(w / "lifecycle.db-wal", w / "kept-wal")
    conn.close()
    shutil.copy(w / "kept-wal", w / "lifecycle.db-wal")
    (w / "lifecycle.db-shm").unlink(missing_ok=True)
    with read_only(w), pytest.raises(StoreError, match=r"writes still in its log 'lifecycle\.db-wal'"):
        lw.RunStore(w / "lifecycle.db", read_only=True)


def test_keys_new_list_export(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("LIFECYCLE_WIDGETS_KEYS", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert cli(["keys", "new", "ci-bot"]) == 0
    key = tmp_path / "xdg" / "lifecycle_widgets" / "keys" / "ci-bot.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600 and stat.S_IMODE(key.parent.stat().st_mode) == 0o700
    assert b"PRIVATE KEY" in key.read_bytes()
    capsys.readouterr()
    assert cli(["keys", "new", "ci-bot"]) == 2
    assert "already exists" in capsys.readouterr().err
    assert cli(["keys", "export", "ci-bot"]) == 0
    line = capsys.readouterr().out.strip()
    trusted = TrustedKeys.parse(line)
    assert trusted.names() == ["ci-bot"]
    assert cli(["keys", "list"]) == 0
    assert next(iter(trusted.keys)) in capsys.readouterr().out
    monkeypatch.setenv("LIFECYCLE_WIDGETS_KEYS", str(tmp_path / "elsewhere"))
    assert cli(["keys", "new", "second"]) == 0 and (tmp_path / "elsewhere" / "second.key").is_file()
    assert cli(["keys", "new", "../escape"]) == 2 and cli(["keys", "new", ".hidden"]) == 2
    assert not list(tmp_path.rglob("*escape*")) and not list(tmp_path.rglob(".hidden*"))
    (tmp_path / "elsewhere" / "second.key").chmod(0o644)
    capsys.readouterr()
    assert cli(["keys", "export", "second"]) == 2
    assert "can be read by others (mode 0o644); run: chmod 600" in capsys.readouterr().err


def test_a_run_without_a_signing_key_is_refused_before_anything_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LIFECYCLE_WIDGETS_KEYS", str(tmp_path / "no-keys"))
    monkeypatch.delenv("LIFECYCLE_WIDGETS_SIGNER", raising=False)
    template = make_template(tmp_path / TEMPLATE)
    out, store = tmp_path / "audits", tmp_path / "lifecycle.db"
    assert cli(["audit", "run", str(template), "--out", str(out), "--store", str(store)]) == 2
    assert "error: Audit records are signed, and there is no signing key" in capsys.readouterr().err
    assert not out.exists() and not store.exists()
    new_key("one", folder=tmp_path / "no-keys")
    new_key("two", folder=tmp_path / "no-keys")
    assert cli(["audit", "run", str(template), "--out", str(out), "--store", str(store)]) == 2
    assert "2 keys in" in capsys.readouterr().err and not out.exists()
