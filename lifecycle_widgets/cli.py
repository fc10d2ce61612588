"""The ``lifecycle-widgets`` command line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path


def _demo(args: argparse.Namespace) -> int:
    from lifecycle_widgets.audit.execute import execute_notebook
    from lifecycle_widgets.audit.export import notebook_to_html

    templates = sorted(Path(args.notebooks).glob("*.ipynb"))
    if not templates:
        print(f"No notebooks in {args.notebooks!r}.", file=sys.stderr)
        return 2
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for template in templates:
        executed = out / template.name
        print(f"Running {template} ...", flush=True)
        execute_notebook(template, executed)
        html = notebook_to_html(executed, executed.with_suffix(".html"))
        print(f"  executed notebook: {executed}\n  HTML (opens offline): {html}", flush=True)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lifecycle-widgets", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="run every template notebook headless on the demo data")
    demo.add_argument("--notebooks", default="notebooks", help="folder of template notebooks")
    demo.add_argument("--out", default="demo_output", help="where executed notebooks and HTML go")
    demo.set_defaults(func=_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``lifecycle-widgets``."""
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
