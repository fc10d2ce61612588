"""The ``lifecycle-widgets`` command line: audit records and the demo."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lifecycle_widgets.exceptions import LifecycleWidgetsError


def _table(rows: list[Sequence[object]]) -> str:
    cells = [[str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(cells[0]))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells)


def _parameters(args: argparse.Namespace) -> tuple[dict[str, Any], frozenset[str]]:
    import yaml

    values: dict[str, Any] = {}
    for path in args.parameters_file or []:
        loaded = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        if not isinstance(loaded, dict):
            raise LifecycleWidgetsError(f"{path}: expected a mapping of parameter names to values.")
        values.update(loaded)
    for raw in args.parameters_yaml or []:
        loaded = yaml.safe_load(raw) or {}
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
    )
    print(f"{rec.status}: {rec.path}")
    if rec.status != "succeeded":
        err = rec.manifest["error"] or {}
        print(f"cell {err.get('cell_index')}: {err.get('ename')}: {err.get('evalue')}", file=sys.stderr)
        return 1
    return 0


def _list(args: argparse.Namespace) -> int:
    from lifecycle_widgets.audit import list_records

    records = list_records(args.folder)
    rows: list[Sequence[object]] = [("record", "status", "started", "seconds", "values")]
    rows += [
        (
            r.path.name,
            r.status,
            r.manifest["started"],
            r.manifest["duration_seconds"],
            len(r.manifest["recorded"]),
        )
        for r in records
    ]
    print(_table(rows))
    return 0


def _verify(args: argparse.Namespace) -> int:
    from lifecycle_widgets.audit import verify

    result = verify(args.record, store=args.store)
    print(result)
    return 0 if result.ok else 1


def _reproduce(args: argparse.Namespace) -> int:
    from lifecycle_widgets.audit import reproduce

    result = reproduce(args.record, out=args.out, store=args.store)
    print(result.table())
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


def _demo(args: argparse.Namespace) -> int:
    from lifecycle_widgets.audit import run, verify

    templates = sorted(Path(args.notebooks).glob("*.ipynb"))
    if not templates:
        print(f"No notebooks in {args.notebooks!r}.", file=sys.stderr)
        return 2
    out = Path(args.out)
    failed = 0
    for template in templates:
        print(f"Running {template} on the demo data ...", flush=True)
        rec = run(template, out=out, store=out / "lifecycle.db")
        html = next(rec.path.glob("*.html"), None)
        print(
            f"  {rec.status}: record {rec.path}\n  executed notebook: {rec.path / template.name}\n"
            f"  HTML (opens offline): {html}\n  {verify(rec.path)}".rstrip(),
            flush=True,
        )
        failed += rec.status != "succeeded"
    return 1 if failed else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lifecycle-widgets", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="run every template notebook on the demo data into audit records")
    demo.add_argument("--notebooks", default="notebooks", help="folder of template notebooks")
    demo.add_argument("--out", default="demo_output", help="folder for the records")
    demo.set_defaults(func=_demo)

    audit = sub.add_parser("audit", help="audit records of template notebooks").add_subparsers(
        dest="audit_command", required=True
    )
    p = audit.add_parser("run", help="execute a template into a new audit record")
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
    p.set_defaults(func=_run)
    p = audit.add_parser("list", help="list the records in a folder")
    p.add_argument("folder")
    p.set_defaults(func=_list)
    p = audit.add_parser("verify", help="recompute a record's hashes and check the audit trail")
    p.add_argument("record")
    p.add_argument("--store", help="audit trail store (default: the one the manifest names)")
    p.set_defaults(func=_verify)
    p = audit.add_parser("reproduce", help="re-run a record and compare its recorded values")
    p.add_argument("record")
    p.add_argument("--out", help="folder for the new record (default: beside the original)")
    p.add_argument("--store", help="audit trail store (default: the one the manifest names)")
    p.set_defaults(func=_reproduce)
    p = audit.add_parser("params", help="list a template's parameters")
    p.add_argument("template")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=_params)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``lifecycle-widgets``; exit code 0 on success, 1 when a run, verification or
    reproduction failed, 2 on bad input."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except (LifecycleWidgetsError, FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
