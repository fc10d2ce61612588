"""The ``lifecycle-widgets`` command line: signing keys, audit records, the registry, the demo."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lifecycle_widgets.exceptions import LifecycleWidgetsError
from lifecycle_widgets.store.db import no_space


def _table(rows: list[Sequence[object]]) -> str:
    cells = [[str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(cells[0]))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells)


def _yaml(text: str, where: str) -> Any:
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise LifecycleWidgetsError(f"{where}: not valid YAML: {' '.join(str(err).split())}") from err


def _parameters(args: argparse.Namespace) -> tuple[dict[str, Any], frozenset[str]]:
    values: dict[str, Any] = {}
    for path in args.parameters_file or []:
        loaded = _yaml(Path(path).read_text(encoding="utf-8"), f"-f {path}") or {}
        if not isinstance(loaded, dict):
            raise LifecycleWidgetsError(f"{path}: expected a mapping of parameter names to values.")
        values.update(loaded)
    for raw in args.parameters_yaml or []:
        loaded = _yaml(raw, f"-y {raw!r}") or {}
        if not isinstance(loaded, dict):
            raise LifecycleWidgetsError(f"-y {raw!r}: expected a YAML mapping such as 'name: value'.")
        values.update(loaded)
    text = {}
    for name, value in args.parameter or []:
        text[name] = value
    values.update(text)
    return values, frozenset(text)


def _run(args: argparse.Namespace) -> int:
    from lifecycle_widgets.audit import run

    params, text_names = _parameters(args)
    rec = run(
        args.template,
        params,
        out=args.out,
        store=args.store,
        kernel_name=args.kernel,
        cell_timeout=args.timeout,
        text_parameters=text_names,
        signer=args.signer,
    )
    print(f"{rec.status}: {rec.path}")
    if rec.status != "succeeded":
        err = rec.manifest["error"] or {}
        print(f"cell {err.get('cell_index')}: {err.get('ename')}: {err.get('evalue')}", file=sys.stderr)
        return 1
    return 0


def _list(args: argparse.Namespace) -> int:
    from lifecycle_widgets.audit import scan_records

    listing = scan_records(args.folder)
    rows: list[Sequence[object]] = [("record", "status", "started", "seconds", "values")]
    rows += [
        (
            r.path.name,
            r.status,
            r.manifest["started"],
            r.manifest.get("duration_seconds", ""),
            len(r.manifest["recorded"]),
        )
        for r in listing.records
    ]
    print(_table(rows))
    for item in listing.leftovers:
        if item.alive:
            print(f"note: {item}")
    for problem in listing.problems:
        print(f"problem: {problem}", file=sys.stderr)
    return 1 if listing.problems else 0


def _heads(args: argparse.Namespace) -> list[Any]:
    from lifecycle_widgets.store.trail import Head, read_heads

    heads = [Head.parse(h) for h in args.head or []]
    for path in args.heads or []:
        heads += read_heads(path)
    return heads


def _verify(args: argparse.Namespace) -> int:
    from lifecycle_widgets.audit import verify

    result = verify(
        args.record,
        trusted_keys=args.trusted_keys,
        store=args.store,
        heads=_heads(args),
        records_root=args.records,
    )
    print(result)
    return 0 if result.ok else 1


def _head(args: argparse.Namespace) -> int:
    from lifecycle_widgets.store import connect, default_store_path, trail
    from lifecycle_widgets.store.keys import trusted_keys_from

    store = Path(args.store) if args.store else default_store_path()
    if not store.is_file():
        raise LifecycleWidgetsError(f"No store at {str(store)!r}.")
    try:
        trusted = trusted_keys_from(args.trusted_keys, caller="audit head")
    except LifecycleWidgetsError:
        if args.trusted_keys:
            raise
        trusted = None  # no keys configured: the head of an unchecked trail, said so below
    with connect(store, readonly=True) as conn:
        if trusted is not None:
            problems = trail.check_chain(conn, trusted)
            if problems:
                print("\n".join(["the trail does not verify; no head printed:", *problems]), file=sys.stderr)
                return 1
        head = trail.head(conn)
    if head is None:
        raise LifecycleWidgetsError(f"The trail in {str(store)!r} is empty: there is no head yet.")
    print(head)
    if trusted is None:
        print("note: the trail was not verified (no trusted keys given)", file=sys.stderr)
    return 0


def _reproduce(args: argparse.Namespace) -> int:
    from lifecycle_widgets.audit import reproduce

    result = reproduce(
        args.record,
        template=args.template,
        trusted_keys=args.trusted_keys,
        store=args.store,
        heads=_heads(args),
        out=args.out,
        signer=args.signer,
    )
    print(result.table())
    return 0 if result.ok else 1


def _diff(args: argparse.Namespace) -> int:
    from lifecycle_widgets.audit import diff_records

    result = diff_records(args.a, args.b)
    print(result.table())
    return 1 if result.differs else 0


def _gc(args: argparse.Namespace) -> int:
    from lifecycle_widgets.audit import collect_garbage
    from lifecycle_widgets.store import default_store_path

    done = collect_garbage(args.folder, store=args.store or default_store_path(), dry_run=args.dry_run)
    print("\n".join(done) if done else "nothing to clean up")
    return 0


def _keys_new(args: argparse.Namespace) -> int:
    from lifecycle_widgets.store.keys import new_key

    signer = new_key(args.name)
    print(f"{signer.name}: {signer.fingerprint}\nprivate key: {signer.path} (mode 0600; keep it to yourself)")
    print(f"public line for a trusted-keys file:\n{signer.public_line()}")
    return 0


def _keys_list(args: argparse.Namespace) -> int:
    from lifecycle_widgets.store.keys import keys_dir, list_keys

    found = list_keys()
    if not found:
        print(f"no keys in {keys_dir()}; make one with: lifecycle-widgets keys new NAME")
        return 0
    print(_table([("name", "fingerprint", "file"), *((k.name, k.fingerprint, k.path) for k in found)]))
    return 0


def _keys_export(args: argparse.Namespace) -> int:
    from lifecycle_widgets.store.keys import load_key

    print(load_key(args.name).public_line())
    return 0


def _registry_verify(args: argparse.Namespace) -> int:
    from lifecycle_widgets.store import check_store

    result = check_store(args.store, trusted_keys=args.trusted_keys, heads=_heads(args))
    print(result)
    return 0 if result.ok else 1


def _params(args: argparse.Namespace) -> int:
    from lifecycle_widgets.audit import template_parameters

    spec = template_parameters(args.template)
    if args.json:
        print(json.dumps({n: vars(p) for n, p in spec.items()}, indent=2))
    else:
        print(
            _table(
                [("parameter", "type", "default", "help")]
                + [(p.name, p.type, p.default, p.help) for p in spec.values()]
            )
        )
    return 0


def _demo_signer(out: Path) -> Any:
    """The user's signing key, else a demo key kept in ``out/.demo-keys`` (never the user's
    keys folder, where it would become their default key)."""
    from lifecycle_widgets.store.keys import default_signer, load_key, new_key

    signer = default_signer()
    if signer is not None:
        return signer
    folder = out / ".demo-keys"
    return (
        load_key("demo", folder=folder) if (folder / "demo.key").exists() else new_key("demo", folder=folder)
    )


def _demo(args: argparse.Namespace) -> int:
    from lifecycle_widgets.audit import run, verify
    from lifecycle_widgets.core.result import atomic_write_text
    from lifecycle_widgets.store.keys import TrustedKeys

    templates = sorted(Path(args.notebooks).glob("*.ipynb"))
    if not templates:
        print(f"No notebooks in {args.notebooks!r}.", file=sys.stderr)
        return 2
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    signer = _demo_signer(out)
    allowed = atomic_write_text(out / "allowed_signers", signer.public_line() + "\n")
    trusted = TrustedKeys.from_file(allowed)
    print(f"Signing with {signer.name} ({signer.fingerprint}); its public key is in {allowed}.")
    failed = 0
    for template in templates:
        print(f"Running {template} on the demo data ...", flush=True)
        rec = run(template, out=out, store=out / "lifecycle.db", signer=signer)
        html = next(rec.path.glob("*.html"), None)
        check = verify(rec.path, trusted_keys=trusted, store=out / "lifecycle.db")
        print(
            f"  {rec.status}: record {rec.path}\n  executed notebook: {rec.path / template.name}\n"
            f"  HTML (opens offline): {html}\n  {check}".rstrip(),
            flush=True,
        )
        failed += rec.status != "succeeded"
    return 1 if failed else 0


def _add_trust(p: argparse.ArgumentParser, *, heads: bool = True) -> None:
    p.add_argument(
        "--trusted-keys",
        metavar="FILE",
        help="the public keys you trust, one 'NAME KEY' per line (default: $LIFECYCLE_WIDGETS_TRUSTED_KEYS, "
        "else ~/.config/lifecycle_widgets/allowed_signers)",
    )
    p.add_argument(
        "--store",
        help="the store holding the audit trail (default: $LIFECYCLE_WIDGETS_STORE, else ./lifecycle.db; "
        "never the one a manifest names)",
    )
    if heads:
        p.add_argument(
            "--head",
            action="append",
            metavar="SEQ:HASH",
            help="a trail head you kept (`audit head`); repeatable",
        )
        p.add_argument(
            "--heads", action="append", metavar="FILE", help="a file of kept heads, one SEQ:HASH a line"
        )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lifecycle-widgets", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="run every template notebook on the demo data into audit records")
    demo.add_argument("--notebooks", default="notebooks", help="folder of template notebooks")
    demo.add_argument("--out", default="demo_output", help="folder for the records")
    demo.set_defaults(func=_demo)

    keys = sub.add_parser("keys", help="Ed25519 keys that sign records and trail entries").add_subparsers(
        dest="keys_command", required=True
    )
    p = keys.add_parser("new", help="make a key (private half in $LIFECYCLE_WIDGETS_KEYS or ~/.config)")
    p.add_argument("name")
    p.set_defaults(func=_keys_new)
    p = keys.add_parser("list", help="list your keys")
    p.set_defaults(func=_keys_list)
    p = keys.add_parser("export", help="print a key's public line for a trusted-keys file")
    p.add_argument("name")
    p.set_defaults(func=_keys_export)

    audit = sub.add_parser("audit", help="audit records of template notebooks").add_subparsers(
        dest="audit_command", required=True
    )
    p = audit.add_parser("run", help="execute a template into a new, signed audit record")
    p.add_argument("template")
    p.add_argument(
        "-p",
        "--parameter",
        nargs=2,
        action="append",
        metavar=("NAME", "VALUE"),
        help="a parameter, coerced to the type of its default",
    )
    p.add_argument("-f", "--parameters-file", action="append", metavar="FILE", help="YAML file of parameters")
    p.add_argument("-y", "--parameters-yaml", action="append", metavar="YAML", help="parameters as raw YAML")
    p.add_argument("--out", default="audits", help="folder that receives the record (default: audits)")
    p.add_argument(
        "--store",
        help="SQLite store for the audit trail (default: $LIFECYCLE_WIDGETS_STORE or ./lifecycle.db)",
    )
    p.add_argument("--kernel", help="kernel name (default: the notebook's)")
    p.add_argument("--timeout", type=int, default=600, help="seconds a cell may run (default 600)")
    p.add_argument(
        "--signer",
        metavar="NAME",
        help="the key that signs (default: $LIFECYCLE_WIDGETS_SIGNER, or your only key)",
    )
    p.set_defaults(func=_run)
    p = audit.add_parser("list", help="list the records in a folder, and what runs left behind")
    p.add_argument("folder")
    p.set_defaults(func=_list)
    p = audit.add_parser("verify", help="check a record's signature, hashes and the signed audit trail")
    p.add_argument("record")
    _add_trust(p)
    p.add_argument(
        "--records",
        metavar="FOLDER",
        help="the records folder to check against the trail (default: the record's)",
    )
    p.set_defaults(func=_verify)
    p = audit.add_parser("head", help="print the trail's head, SEQ:HASH, for you to keep")
    _add_trust(p, heads=False)
    p.set_defaults(func=_head)
    p = audit.add_parser("reproduce", help="re-run a verified record with the template you name and compare")
    p.add_argument("record")
    p.add_argument(
        "--template", required=True, help="the template to run; its SHA-256 must match the record's"
    )
    _add_trust(p)
    p.add_argument("--out", help="folder for the new record (default: beside the original)")
    p.add_argument("--signer", metavar="NAME", help="the key that signs the new record")
    p.set_defaults(func=_reproduce)
    p = audit.add_parser("diff", help="two records side by side: parameters, inputs, environment, values")
    p.add_argument("a")
    p.add_argument("b")
    p.set_defaults(func=_diff)
    p = audit.add_parser("gc", help="recover or remove what runs that died left in a records folder")
    p.add_argument("folder")
    p.add_argument("--store", help="the records' store (default: $LIFECYCLE_WIDGETS_STORE or ./lifecycle.db)")
    p.add_argument("--dry-run", action="store_true", help="say what would be done, do nothing")
    p.set_defaults(func=_gc)
    p = audit.add_parser("params", help="list a template's parameters")
    p.add_argument("template")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=_params)

    registry = sub.add_parser("registry", help="the model registry").add_subparsers(
        dest="registry_command", required=True
    )
    p = registry.add_parser(
        "verify", help="replay the signed trail and compare it with the registry and runs"
    )
    _add_trust(p)
    p.set_defaults(func=_registry_verify)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``lifecycle-widgets``; exit code 0 on success, 1 when a run, verification or
    reproduction failed, 2 on bad input."""
    # nbformat imports jsonschema, which imports rfc3987_syntax where it is installed (Jupyter
    # installs it): 2.5 s of building Lark grammars, at every start of this command, for the
    # "iri" formats that no notebook schema uses (python-jsonschema/jsonschema#1428)
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except LifecycleWidgetsError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except OSError as err:
        where = err.filename if err.filename is not None else "the disk"
        if no_space(err):
            print(f"error: no space left on {os.fspath(where)!r}", file=sys.stderr)
        else:
            print(f"error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
