"""Benchmark audit records: their files, their size, plotly.js copies, beside papermill + nbconvert.

Issue 15, item 4: "Records: plotly.js at most once per record, and a record's size beyond
plotly.js at most 1 MB. Each of its files still opens alone, offline." The issue measured each
record carrying plotly.js twice (in the notebook and in the HTML), about 10 MB a record.

For each template in ``notebooks/*.ipynb``, with the demo parameters (``demo_rows``, default
5,000 as in README.md's ``lifecycle-widgets audit run notebooks/data_audit.ipynb -p demo_rows
5000 --out audits/``; the tests use 3,000), two ways of making a record, in turn:

- ``lifecycle_widgets``: ``lw.audit.run(template, params, out=tmp)``, what ``lifecycle-widgets
  audit run`` does: papermill in static display mode with figures as plotly's mimetype, the
  notebook written compact, the offline HTML export, the signed manifest, the trail entry;
- ``papermill + nbconvert`` (the peer, what a papermill user does by hand):
  ``papermill.execute_notebook(template, out, parameters=params)`` (same kernel, same venv, the
  kernel's environment left as it is), then nbconvert's ``HTMLExporter()`` with its default
  template (``jupyter nbconvert --to html``) of the executed notebook.

Reported per record: each file and its size, the total, the copies of plotly.js in the whole
record (the bundle's header comment ``* plotly.js v``, as ``tests/test_record_size.py`` counts
them), the size beyond plotly.js (the total less the bytes each copy takes as stored: verbatim in
HTML, JSON-escaped in a notebook), wall seconds and CPU seconds (this process and its children,
the kernel included), and whether the HTML opens alone offline (no ``<script src="http...">``,
no stylesheet from elsewhere). Ratios are ours / the peer's.

Nothing here touches the user's home: signing keys, trusted keys, the store, IPython's, Jupyter's
and matplotlib's folders are set to a temporary folder, removed at the end (``--keep`` keeps it).

    .venv/bin/python benchmarks/bench_records.py                          # every template, 5,000 demo rows
    .venv/bin/python benchmarks/bench_records.py --quick                  # data_audit at 2,000 rows: a smoke check
    .venv/bin/python benchmarks/bench_records.py --templates data_audit drift_monitoring --demo-rows 3000

Targets (issue 15), for every template's record of ours: plotly.js at most once, at most 1 MB
beyond plotly.js, the HTML opens offline. The table is printed and written to
``benchmarks/results/records.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from _harness import log, publish

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
NOTEBOOKS = ROOT / "notebooks"
PLOTLY_MARKER = "* plotly.js v"  # the header comment of the plotly.js bundle
BUDGET = 1_000_000  # bytes of a record beyond plotly.js (issue 15)
DEMO_ROWS = 5_000
QUICK_TEMPLATE, QUICK_ROWS = "data_audit", 2_000
OURS, PEER = "lifecycle_widgets", "papermill + nbconvert"
REMOTE_SCRIPT = re.compile(r"""<script[^>]+src\s*=\s*["']?(https?:)?//""", re.I)
REMOTE_LINK = re.compile(r"""<link[^>]+href\s*=\s*["']?(https?:)?//""", re.I)


@dataclass
class Record:
    template: str
    tool: str
    files: dict[str, int] = field(default_factory=dict)  # name -> bytes
    copies: int = 0  # plotly.js header markers in the whole record
    copies_by_file: dict[str, int] = field(default_factory=dict)
    plotlyjs_bytes: int = 0  # bytes the copies take as stored
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    remote: list[str] = field(default_factory=list)  # what the HTML loads from elsewhere
    status: str = "ok"
    note: str = ""
    runs: list[float] = field(default_factory=list)  # wall seconds of every run

    @property
    def total(self) -> int:
        return sum(self.files.values())

    @property
    def beyond(self) -> int:
        return self.total - self.plotlyjs_bytes


def isolate(root: Path) -> None:
    """Point every folder a run writes to (keys, store, IPython, Jupyter runtime, matplotlib) at
    ``root``, and make the one signing key there, trusted by the verifier."""
    from lifecycle_widgets.store.keys import new_key

    env = {
        "LIFECYCLE_WIDGETS_KEYS": root / "keys",
        "LIFECYCLE_WIDGETS_TRUSTED_KEYS": root / "allowed_signers",
        "LIFECYCLE_WIDGETS_STORE": root / "lifecycle.db",
        "XDG_CONFIG_HOME": root / "config",
        "IPYTHONDIR": root / "ipython",
        "JUPYTER_CONFIG_DIR": root / "jupyter-config",
        "JUPYTER_RUNTIME_DIR": root / "jupyter-runtime",
        "MPLCONFIGDIR": root / "matplotlib",
    }
    os.environ.update({k: str(v) for k, v in env.items()})
    for name in ("LIFECYCLE_WIDGETS_SIGNER", "LIFECYCLE_WIDGETS_DISPLAY", "LIFECYCLE_WIDGETS_FIGURES"):
        os.environ.pop(name, None)  # the peer's kernel sees a plain environment
    signer = new_key("bench")
    (root / "allowed_signers").write_text(signer.public_line() + "\n")


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)  # the kernels, once waited for
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def stored_plotlyjs(path: Path, plotlyjs: str) -> tuple[int, int]:
    """(copies of the plotly.js header in ``path``, bytes its copies of the bundle take there).

    In an HTML or JSON file a copy is the bundle verbatim. In a notebook written by nbformat it is
    a JSON string, escaped and split into lines: its bytes are the difference between the
    notebook written as nbformat writes it and the same notebook with the bundle removed (the
    rewritten notebook is checked to be the file byte for byte)."""
    text = path.read_text(encoding="utf-8", errors="replace")
    copies = text.count(PLOTLY_MARKER)
    if not copies:
        return 0, 0
    verbatim = text.count(plotlyjs)
    if verbatim == copies:
        return copies, verbatim * len(plotlyjs.encode("utf-8"))
    if path.suffix == ".ipynb":
        import nbformat

        nb = nbformat.reads(text, as_version=nbformat.NO_CONVERT)
        whole = nbformat.writes(nb)
        found = [0]

        def strip(node):
            if isinstance(node, str):
                found[0] += node.count(plotlyjs)
                return node.replace(plotlyjs, "")
            if isinstance(node, list):
                return [strip(v) for v in node]
            if isinstance(node, dict):
                return type(node)({k: strip(v) for k, v in node.items()})
            return node

        stripped = nbformat.writes(strip(nb))
        if found[0] == copies and len(whole.encode("utf-8")) == path.stat().st_size:
            return copies, len(whole.encode("utf-8")) - len(stripped.encode("utf-8"))
    # a copy not found verbatim (another version, or escaped another way): count it at its length
    return copies, copies * len(plotlyjs.encode("utf-8"))


def measure_folder(rec: Record, folder: Path, plotlyjs: str) -> None:
    for path in sorted(p for p in folder.iterdir() if p.is_file()):
        rec.files[path.name] = path.stat().st_size
        copies, stored = stored_plotlyjs(path, plotlyjs)
        rec.copies += copies
        rec.plotlyjs_bytes += stored
        if copies:
            rec.copies_by_file[path.name] = copies
        if path.suffix == ".html":
            outside = path.read_text(encoding="utf-8", errors="replace").replace(plotlyjs, "")
            for pattern in (REMOTE_SCRIPT, REMOTE_LINK):
                for m in pattern.finditer(outside):
                    tag = outside[m.start() : outside.find(">", m.start()) + 1]
                    rec.remote.append(f"{path.name}: {tag[:120]}")


def run_ours(template: Path, params: dict, work: Path, plotlyjs: str) -> Record:
    import lifecycle_widgets as lw

    rec = Record(template.stem, OURS)
    out = work / "ours"
    t0, cpu0 = time.perf_counter(), _cpu()
    record = lw.audit.run(template, params, out=out, progress=False)
    rec.seconds, rec.cpu_seconds = time.perf_counter() - t0, _cpu() - cpu0
    if record.status != "succeeded":
        rec.status, rec.note = record.status, str((record.manifest.get("error") or {}).get("ename", ""))
    measure_folder(rec, record.path, plotlyjs)
    return rec


def run_peer(template: Path, params: dict, work: Path, plotlyjs: str) -> Record:
    import papermill
    from nbconvert import HTMLExporter

    rec = Record(template.stem, PEER)
    out = work / "peer"
    out.mkdir(parents=True)
    notebook = out / template.name
    t0, cpu0 = time.perf_counter(), _cpu()
    try:
        papermill.execute_notebook(
            str(template), str(notebook), parameters=params, progress_bar=False, cwd=str(template.parent)
        )
    except Exception as err:  # a failed run still leaves its notebook, which nbconvert exports
        rec.status, rec.note = "failed", f"{type(err).__name__}: {str(err)[:200]}"
    body, _ = HTMLExporter().from_filename(str(notebook))
    notebook.with_suffix(".html").write_text(body, encoding="utf-8")
    rec.seconds, rec.cpu_seconds = time.perf_counter() - t0, _cpu() - cpu0
    measure_folder(rec, out, plotlyjs)
    return rec


# --- reporting -----------------------------------------------------------------------------------


def _mb(n: int) -> str:
    return f"{n / 1e6:.2f}"


def _files(rec: Record) -> str:
    return ", ".join(
        f"{name} {_mb(size)}"
        + (f" ({rec.copies_by_file[name]}x plotly.js)" if name in rec.copies_by_file else "")
        for name, size in rec.files.items()
    )


def _seconds(rec: Record) -> str:
    others = sorted(rec.runs)[1:]
    return f"{rec.seconds:.1f}" + (f" ({', '.join(f'{s:.1f}' for s in others)})" if others else "")


def table(records: list[Record]) -> str:
    lines = [
        "| template | tool | files (MB) | total MB | plotly.js copies | MB beyond plotly.js "
        "| seconds: best (other runs) | CPU s (best run) | HTML offline | size ratio (ours / peer) | beyond ratio | time ratio (CPU ratio) |",
        "|---|---|---|---:|---:|---:|---:|---:|---|---:|---:|---:|",
    ]
    by = {(r.template, r.tool): r for r in records}
    for r in records:
        peer = by.get((r.template, PEER))
        ratios = ["", "", ""]
        if r.tool == OURS and peer is not None:
            ratios = [
                f"{r.total / peer.total:.2f}x",
                f"{r.beyond / peer.beyond:.2f}x" if peer.beyond > 0 else "",
                f"{r.seconds / peer.seconds:.2f}x (CPU {r.cpu_seconds / peer.cpu_seconds:.2f}x)",
            ]
        offline = "yes" if not r.remote else f"no ({len(r.remote)} remote tags)"
        status = "" if r.status == "ok" else f" ({r.status}: {r.note})"
        lines.append(
            f"| {r.template} | {r.tool}{status} | {_files(r)} | {_mb(r.total)} | {r.copies} | {_mb(r.beyond)} "
            f"| {_seconds(r)} | {r.cpu_seconds:.1f} | {offline} | {' | '.join(ratios)} |"
        )
    return "\n".join(lines)


def targets(records: list[Record]) -> list[str]:
    out = []
    for r in records:
        if r.tool != OURS:
            continue
        ok = r.status == "ok"
        out.append(
            f"- {r.template}: plotly.js {r.copies}x in the record (target ≤ 1): "
            f"{'PASS' if ok and r.copies <= 1 else 'FAIL'}"
        )
        out.append(
            f"- {r.template}: {r.beyond:,} bytes beyond plotly.js (target ≤ {BUDGET:,}): "
            f"{'PASS' if ok and r.beyond <= BUDGET else 'FAIL'}"
        )
        html = [n for n in r.files if n.endswith(".html")]
        inline = r.copies_by_file.get(html[0], 0) if html else 0
        offline_ok = ok and not r.remote and inline == 1
        out.append(
            f"- {r.template}: the HTML loads nothing from the network ({len(r.remote)} remote "
            f"script/stylesheet tags) and holds plotly.js inline {inline}x (target: none, once): "
            f"{'PASS' if offline_ok else 'FAIL'}"
        )
    return out


def peer_notes(records: list[Record]) -> list[str]:
    out = []
    for r in records:
        if r.tool != PEER:
            continue
        where = ", ".join(f"{n} {c}x" for n, c in r.copies_by_file.items()) or "nowhere"
        out.append(f"- {r.template}: plotly.js in {where}.")
        for tag in sorted(set(r.remote))[:6]:
            out.append(f"  - loads `{tag}`")
    return out


def report(records: list[Record], command: str, params: dict, elapsed: float, load: tuple) -> str:
    import nbconvert
    import papermill
    import plotly

    import lifecycle_widgets as lw

    return "\n".join(
        [
            "# Audit records: size and plotly.js copies beside papermill + nbconvert",
            "",
            f"`{command}`",
            "",
            f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {os.cpu_count()} cores, {platform.platform()}, "
            f"Python {platform.python_version()}; lifecycle_widgets {lw.__version__}, papermill "
            f"{papermill.__version__}, nbconvert {nbconvert.__version__}, plotly {plotly.__version__}. "
            f"Parameters: {json.dumps(params)}. 1-minute load before the runs: {load[0]:.1f} to {load[1]:.1f}.",
            "",
            "MB are 10^6 bytes. Seconds: wall time of the whole job (kernel start included), the best "
            "of the runs (the two tools alternate who goes first); CPU s: this process and its "
            "children (the kernel) in that run; sizes are those of that run. Ratios: ours / the peer's.",
            "",
            table(records),
            "",
            "Targets (issue 15, item 4), our records:",
            "",
            *targets(records),
            "",
            "The peer:",
            "",
            *peer_notes(records),
            "",
            f"Benchmark wall time: {elapsed / 60:.1f} min.",
            "",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    names = sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb"))
    ap.add_argument(
        "--templates", nargs="+", choices=names, default=names, help="templates to run (default all)"
    )
    ap.add_argument("--demo-rows", type=int, default=None, help=f"demo_rows (default {DEMO_ROWS:,})")
    ap.add_argument(
        "--quick", action="store_true", help=f"{QUICK_TEMPLATE} at {QUICK_ROWS:,} rows: a smoke check"
    )
    ap.add_argument("--tools", nargs="+", choices=[OURS, "peer"], default=[OURS, "peer"])
    ap.add_argument("--repeat", type=int, default=1, help="runs of each tool per template (best kept)")
    ap.add_argument("--output", type=Path, default=RESULTS / "records.md")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder (its path is logged)")
    args = ap.parse_args(argv)
    templates = [QUICK_TEMPLATE] if args.quick else args.templates
    rows = args.demo_rows or (QUICK_ROWS if args.quick else DEMO_ROWS)
    command = " ".join(
        [".venv/bin/python", "benchmarks/bench_records.py", *(sys.argv[1:] if argv is None else argv)]
    )

    root = Path(tempfile.mkdtemp(prefix="bench_records_"))
    log(f"temporary folder {root}")
    isolate(root)
    # imports before any clock starts (a notebook session pays them once)
    import papermill  # noqa: F401
    from nbconvert import HTMLExporter  # noqa: F401
    from plotly.offline import get_plotlyjs

    import lifecycle_widgets as lw
    import lifecycle_widgets.audit.export

    plotlyjs = get_plotlyjs()
    records: list[Record] = []
    loads = []
    started = time.perf_counter()
    try:
        for name in templates:
            template = NOTEBOOKS / f"{name}.ipynb"
            spec = lw.audit.template_parameters(template)
            params = {"demo_rows": rows} if "demo_rows" in spec else {}
            best: dict[str, Record] = {}
            times: dict[str, list[float]] = {tool: [] for tool in args.tools}
            for i in range(args.repeat):
                # alternate who goes first: a machine whose speed drifts favours neither
                for tool in args.tools if i % 2 == 0 else args.tools[::-1]:
                    loads.append(os.getloadavg()[0])
                    label = OURS if tool == OURS else PEER
                    log(f"{name}: {label}, run {i + 1}/{args.repeat} (load {loads[-1]:.2f}) ...")
                    run = run_ours if tool == OURS else run_peer
                    rec = run(template, params, root / name / str(i), plotlyjs)
                    times[tool].append(rec.seconds)
                    if tool not in best or rec.seconds < best[tool].seconds:
                        best[tool] = rec
                    log(
                        f"    {rec.status}, {rec.seconds:.1f} s, CPU {rec.cpu_seconds:.1f} s, "
                        f"{_mb(rec.total)} MB, plotly.js {rec.copies}x, {_mb(rec.beyond)} MB beyond"
                    )
            for tool in args.tools:
                best[tool].runs = times[tool]
                records.append(best[tool])
    finally:
        if args.keep:
            log(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)
    text = report(
        records, command, {"demo_rows": rows}, time.perf_counter() - started, (min(loads), max(loads))
    )
    publish(text, args.output)
    ours = [r for r in records if r.tool == OURS]
    return (
        0
        if all(r.status == "ok" and r.copies <= 1 and r.beyond <= BUDGET and not r.remote for r in ours)
        else 1
    )


if __name__ == "__main__":
    sys.exit(main())
