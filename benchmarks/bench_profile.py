"""Benchmark the data profile end to end: Parquet file in, static HTML report out.

Tools compared, each in a fresh child process (wall seconds of the job, peak RSS of the child):

- ``read``: ``pd.read_parquet`` alone, the baseline for the memory target;
- ``lifecycle_widgets``: ``lw.profile(path).to_html(out)`` (Parquet streamed a row group at a time);
- ``pandas``: ``pd.read_parquet`` + ``df.describe(include="all")`` + ``to_html`` of the result;
- ``duckdb``: ``SUMMARIZE SELECT * FROM read_parquet(...)`` fetched as a frame, written as HTML;
- ``ydata-minimal`` / ``ydata-default``: ``ProfileReport(df, minimal=...).to_file(html)``, run in
  their own venv ``benchmarks/.venv-ydata`` (created on first use; ydata-profiling pins pandas < 3).

The data (20 mixed columns, see ``make_data.py``) is generated once and cached in
``benchmarks/results/``. The table is printed and written to ``benchmarks/results/profile.md``.

    .venv/bin/python benchmarks/bench_profile.py                 # 100k and 1M rows, every tool
    .venv/bin/python benchmarks/bench_profile.py --quick         # 10k rows, a smoke check
    .venv/bin/python benchmarks/bench_profile.py --rows 100000 --skip-ydata

Targets at 1M rows (issue 15): no slower than DuckDB ``SUMMARIZE``, at least 20x faster than
ydata-profiling minimal, peak memory at most 1.5x that of pandas reading the file; the earlier
targets (20x ydata default, 2x pandas describe) are printed too.

Seconds are the job only (after the tool's imports, which a notebook pays once per session), the
best of ``--repeat`` runs (other processes only ever add time); the child's import RSS is included
in its peak RSS, as the kernel would hold it too. See README.md for the details.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from _harness import cpu_seconds, log, mem_gib, peak_rss_mb, peer_python, publish

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
YDATA_VENV = HERE / ".venv-ydata"
YDATA_PACKAGES = ["ydata-profiling", "pyarrow", "setuptools"]
OURS = "lifecycle_widgets"
TOOLS = ["read", OURS, "pandas", "duckdb", "ydata-minimal", "ydata-default"]
YDATA_TOOLS = ("ydata-minimal", "ydata-default")
LABELS = {
    "read": "read only (pd.read_parquet)",
    OURS: "lifecycle_widgets profile + to_html",
    "pandas": "pandas read + describe + to_html",
    "duckdb": "DuckDB SUMMARIZE + to_html",
    "ydata-minimal": "ydata-profiling minimal",
    "ydata-default": "ydata-profiling default",
}
TARGET_ROWS = 1_000_000
SMALL_ROWS = 1_000  # the run our HTML size at the largest size is compared with
RESULT_PREFIX = "BENCH_RESULT "
WORKERS: int | None = None  # --workers: lw.profile's threads (None: one per core)


# --- the child side: one job in this process, result printed as JSON -----------------------------


def run_child(tool: str, data: str, out: str, workers: int | None = None) -> int:
    """Run one tool's job in this (fresh) process and print its time and peak RSS."""
    if tool == "read":
        import pandas as pd
        import pyarrow

        version = f"pandas {pd.__version__}, pyarrow {pyarrow.__version__}"
        import_rss = peak_rss_mb()
        t0, cpu0 = time.perf_counter(), cpu_seconds()
        df = pd.read_parquet(data)
        seconds = time.perf_counter() - t0
        assert len(df) >= 0
        out = ""
    elif tool == OURS:
        import lifecycle_widgets as lw
        import lifecycle_widgets.panels  # plotly and the display layer, before the clock starts
        from lifecycle_widgets.core import ingest

        ingest.WORKERS = workers  # None: one thread per core
        version = f"lifecycle_widgets {lw.__version__}, {ingest.resolve_workers(None)} worker thread(s)"
        import_rss = peak_rss_mb()
        t0, cpu0 = time.perf_counter(), cpu_seconds()
        lw.profile(data, progress=False).to_html(out)
        seconds = time.perf_counter() - t0
    elif tool == "pandas":
        import pandas as pd

        version = f"pandas {pd.__version__}"
        import_rss = peak_rss_mb()
        t0, cpu0 = time.perf_counter(), cpu_seconds()
        df = pd.read_parquet(data)
        df.describe(include="all").to_html(out)
        seconds = time.perf_counter() - t0
    elif tool == "duckdb":
        import duckdb
        import pandas as pd  # .df() needs it: import it before the clock starts

        version = f"duckdb {duckdb.__version__}"
        import_rss = peak_rss_mb()
        t0, cpu0 = time.perf_counter(), cpu_seconds()
        con = duckdb.connect()
        escaped = data.replace("'", "''")
        summary = con.sql(f"SUMMARIZE SELECT * FROM read_parquet('{escaped}')").df()
        summary.to_html(out)
        con.close()
        seconds = time.perf_counter() - t0
    else:
        raise SystemExit(f"unknown tool {tool!r}")
    result = {
        "seconds": seconds,
        "cpu_seconds": cpu_seconds() - cpu0,
        "peak_rss_mb": peak_rss_mb(),
        "import_rss_mb": import_rss,
        "html_bytes": os.path.getsize(out) if out else 0,
        "version": version,
    }
    print(RESULT_PREFIX + json.dumps(result), flush=True)
    return 0


# --- the parent side ---------------------------------------------------------------------------


@dataclass
class Measure:
    tool: str
    rows: int
    seconds: float | None = None
    peak_mb: float | None = None
    import_mb: float | None = None
    html_bytes: int | None = None
    runs: list[float] = field(default_factory=list)
    cpu_seconds: float | None = None
    load: float = 0.0  # highest 1-minute load average seen just before a run
    version: str = ""
    status: str = "ok"  # ok, timeout, failed, skipped
    note: str = ""


def _command(tool: str, data: Path, out: Path, ypython: Path | None) -> list[str]:
    if tool in YDATA_TOOLS:
        assert ypython is not None
        return [
            str(ypython),
            str(HERE / "_peers_ydata.py"),
            "--mode",
            tool.split("-")[1],
            "--data",
            str(data),
            "--out",
            str(out),
        ]
    return [
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        tool,
        "--data",
        str(data),
        "--out",
        str(out),
        *(["--workers", str(WORKERS)] if WORKERS else []),
    ]


def measure_once(
    tool: str, data: Path, out: Path, ypython: Path | None, timeout: float, log_file: Path
) -> dict:
    """One fresh child for one job; its result dict, or {"status": ..., "note": ...}."""
    env = dict(os.environ, LIFECYCLE_WIDGETS_DISPLAY="static", MPLBACKEND="Agg", PYTHONHASHSEED="0")
    cmd = _command(tool, data, out, ypython)
    t0 = time.perf_counter()
    with log_file.open("a") as err:
        err.write(f"\n$ {' '.join(cmd)}\n")
        err.flush()
        try:
            proc = subprocess.run(
                cmd, stdout=subprocess.PIPE, stderr=err, text=True, timeout=timeout, env=env, cwd=HERE
            )
        except subprocess.TimeoutExpired:
            return {"status": "timeout", "note": f"stopped after {timeout:.0f} s", "seconds": timeout}
    wall = time.perf_counter() - t0
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith(RESULT_PREFIX)]
    if proc.returncode != 0 or not lines:
        tail = log_file.read_text(errors="replace").strip().splitlines()[-3:]
        return {"status": "failed", "note": f"exit {proc.returncode}: " + " | ".join(tail)[-300:]}
    result = json.loads(lines[-1][len(RESULT_PREFIX) :])
    result["process_seconds"] = wall
    return result


def measure(
    tools: list[str], rows: int, data: Path, repeats: dict[str, int], ypython: Path | None,
    timeout: float, step: str,
) -> list[Measure]:
    """Every tool's runs at ``rows``, interleaved: round ``i`` runs each tool that has an
    ``i``-th run, in turn. This machine's speed drifts by 2x within minutes (other virtual
    machines on its host), so runs of one tool back to back could all fall in a slow spell
    that another tool's runs missed; interleaved, every tool meets the same spells."""
    html_dir = RESULTS / "html"
    html_dir.mkdir(parents=True, exist_ok=True)
    measures = {tool: Measure(tool, rows) for tool in tools}
    collected: dict[str, tuple[list[float], list[float], list[float]]] = {t: ([], [], []) for t in tools}
    for tool in tools:
        (RESULTS / "logs").mkdir(parents=True, exist_ok=True)
        (RESULTS / "logs" / f"{tool}_{rows}rows.log").write_text("")
    for i in range(max(repeats.values(), default=0)):
        for tool in tools:
            m = measures[tool]
            if i >= repeats[tool] or m.status != "ok":
                continue
            load = os.getloadavg()[0]
            m.load = max(m.load, load)
            log(f"{step} {LABELS[tool]}, {rows:,} rows, run {i + 1}/{repeats[tool]} (load {load:.2f}) ...")
            out = html_dir / f"{tool}_{rows}rows.html"
            r = measure_once(tool, data, out, ypython, timeout, RESULTS / "logs" / f"{tool}_{rows}rows.log")
            if r.get("status") in ("timeout", "failed"):
                m.status, m.note = r["status"], r["note"]
                if r["status"] == "timeout":
                    m.seconds = r["seconds"]
                log(f"    {m.status}: {m.note}")
                continue
            m.runs.append(r["seconds"])
            peaks, imports, cpus = collected[tool]
            peaks.append(r["peak_rss_mb"])
            imports.append(r["import_rss_mb"])
            cpus.append(r["cpu_seconds"])
            m.html_bytes, m.version = r["html_bytes"], r["version"]
            log(
                f"    {r['seconds']:.2f} s, CPU {r['cpu_seconds']:.2f} s (process {r['process_seconds']:.1f} s), "
                f"peak {r['peak_rss_mb']:.0f} MB, HTML {r['html_bytes'] / 1e6:.2f} MB"
            )
    for tool, m in measures.items():
        peaks, imports, cpus = collected[tool]
        if m.status == "ok" and m.runs:
            # best of the runs: other processes on the machine only ever add time
            m.seconds = min(m.runs)
            m.cpu_seconds = min(cpus)
            m.peak_mb = statistics.median(peaks)
            m.import_mb = statistics.median(imports)
    return list(measures.values())


# --- reporting -----------------------------------------------------------------------------------


def _fmt_seconds(m: Measure) -> str:
    if m.status == "timeout":
        return f"> {m.seconds:.0f}"
    if m.seconds is None:
        return m.status
    spread = f" ({statistics.median(m.runs):.2f}, {max(m.runs):.2f})" if len(m.runs) > 1 else ""
    return f"{m.seconds:.2f}{spread}"


def _ratio(a: float | None, b: float | None, lower_bound: bool = False) -> str:
    if a is None or b is None or b == 0:
        return ""
    return f"{'≥ ' if lower_bound else ''}{a / b:.2f}x"


def table(measures: list[Measure]) -> str:
    head = (
        "| tool | rows | seconds: best (median, worst) | CPU s | peak RSS MB (after imports) "
        "| time ratio vs lifecycle_widgets | memory ratio vs read only | HTML size |"
    )
    lines = [head, "|---|---:|---:|---:|---:|---:|---:|---:|"]
    by_key = {(m.tool, m.rows): m for m in measures}
    for m in measures:
        ours = by_key.get((OURS, m.rows))
        read = by_key.get(("read", m.rows))
        time_ratio = _ratio(m.seconds, ours.seconds if ours else None, m.status == "timeout")
        mem_ratio = _ratio(m.peak_mb, read.peak_mb if read else None)
        peak = f"{m.peak_mb:,.0f} ({m.import_mb:,.0f})" if m.peak_mb is not None else m.status
        html = f"{m.html_bytes / 1e6:.2f} MB" if m.html_bytes else ("—" if m.tool == "read" else "")
        note = f" ({m.note})" if m.note else ""
        cpu = f"{m.cpu_seconds:.2f}" if m.cpu_seconds is not None else ""
        lines.append(
            f"| {LABELS[m.tool]}{note} | {m.rows:,} | {_fmt_seconds(m)} | {cpu} | {peak} "
            f"| {time_ratio} | {mem_ratio} | {html} |"
        )
    return "\n".join(lines)


def targets(measures: list[Measure], rows: int) -> list[str]:
    """PASS/FAIL lines for the performance targets at ``rows`` rows."""
    by = {m.tool: m for m in measures if m.rows == rows}
    ours, out = by.get(OURS), []
    if ours is None or ours.seconds is None or ours.status != "ok":
        return [f"- lifecycle_widgets has no result at {rows:,} rows: every target FAIL"]

    def speed(tool: str, factor: float, label: str) -> None:
        peer = by.get(tool)
        if peer is None or peer.status in ("skipped", "failed") or peer.seconds is None:
            why = peer.note if peer is not None and peer.note else "not run"
            out.append(f"- {label}: n/a ({LABELS[tool]} {why})")
            return
        ratio = peer.seconds / ours.seconds
        bound = "≥ " if peer.status == "timeout" else ""
        ok = ratio >= factor
        verdict = "PASS" if ok else ("UNKNOWN (peer timed out)" if peer.status == "timeout" else "FAIL")
        cpu = (
            f"; in CPU seconds {peer.cpu_seconds / ours.cpu_seconds:.1f}x"
            if peer.cpu_seconds and ours.cpu_seconds
            else ""
        )
        out.append(f"- {label}: {bound}{ratio:.1f}x faster (target ≥ {factor:g}x): {verdict}{cpu}")

    duck = by.get("duckdb")
    if duck is not None and duck.seconds is not None and duck.status == "ok":
        ratio = ours.seconds / duck.seconds
        cpu = (
            f"; in CPU seconds {ours.cpu_seconds / duck.cpu_seconds:.2f}x"
            if duck.cpu_seconds and ours.cpu_seconds
            else ""
        )
        out.append(
            f"- vs DuckDB SUMMARIZE: {ratio:.2f}x its time (target ≤ 1x, no slower): "
            f"{'PASS' if ratio <= 1 else 'FAIL'}{cpu}"
        )
    else:
        out.append("- vs DuckDB SUMMARIZE: n/a (DuckDB not run)")
    speed("ydata-minimal", 20, "vs ydata-profiling minimal")
    speed("ydata-default", 20, "vs ydata-profiling default (earlier target)")
    pandas = by.get("pandas")
    if pandas is not None and pandas.seconds is not None and pandas.status == "ok":
        ratio = ours.seconds / pandas.seconds
        cpu = (
            f"; in CPU seconds {ours.cpu_seconds / pandas.cpu_seconds:.2f}x"
            if pandas.cpu_seconds and ours.cpu_seconds
            else ""
        )
        out.append(
            f"- vs pandas read + describe (earlier target): {ratio:.2f}x its time (target ≤ 2x): "
            f"{'PASS' if ratio <= 2 else 'FAIL'}{cpu}"
        )
    else:
        out.append("- vs pandas read + describe: n/a (pandas not run)")
    read = by.get("read")
    if read is not None and read.peak_mb is not None and ours.peak_mb is not None:
        ratio = ours.peak_mb / read.peak_mb
        out.append(
            f"- peak memory vs reading the file into pandas: {ours.peak_mb:,.0f} / "
            f"{read.peak_mb:,.0f} MB = {ratio:.2f}x (target ≤ 1.5x): "
            f"{'PASS' if ratio <= 1.5 else 'FAIL'}"
        )
    else:
        out.append("- peak memory vs reading alone: n/a (read not run)")
    return out


def report(
    measures: list[Measure],
    html_ratio: tuple[Measure, Measure] | None,
    args: argparse.Namespace,
    row_group: int,
    ydata_note: str,
    elapsed: float,
) -> str:
    largest = max(args.rows)
    versions = {LABELS[m.tool].split(" (")[0]: m.version for m in measures if m.version}
    parts = [
        "# Data profile benchmark",
        "",
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {os.cpu_count()} cores, "
        f"{mem_gib():.0f} GiB, {platform.platform()}, Python {platform.python_version()}.",
        f"Data: `make_data.py` v{_data_version()}, 20 columns, zstd Parquet, {row_group:,} rows per "
        f"row group. Each run is a fresh child process. Seconds: wall time of the job only (imports "
        f"excluded), best of {args.repeat} run(s) (ydata-profiling: {args.ydata_repeat}), median and "
        "worst in brackets; the time ratios and targets use the best. CPU s: user + system time of "
        "all the child's threads in the job (best run). Peak RSS: the child's maximum RSS, imports "
        "included (RSS after the imports in brackets), median of the runs.",
        _load_note(measures),
        "Versions: " + "; ".join(f"{k}: {v}" for k, v in versions.items()) + ".",
        "",
        table(measures),
        "",
    ]
    if html_ratio is not None:
        big, small = html_ratio
        r = big.html_bytes / small.html_bytes
        parts += [
            f"Our HTML at {big.rows:,} rows vs {small.rows:,} rows: {big.html_bytes:,} / "
            f"{small.html_bytes:,} bytes = {r:.3f}x (target ≤ 1.2x): "
            f"{'PASS' if r <= 1.2 else 'FAIL'}",
            "",
        ]
    title_rows = f"{largest:,} rows" + (
        "" if largest == TARGET_ROWS else f" (the targets are defined at {TARGET_ROWS:,} rows)"
    )
    parts += [f"Targets at {title_rows}:", "", *targets(measures, largest), ""]
    if ydata_note:
        parts += [f"ydata-profiling: {ydata_note}", ""]
    parts += [f"Benchmark wall time: {elapsed / 60:.1f} min.", ""]
    return "\n".join(parts)


def _load_note(measures: list[Measure]) -> str:
    load = max((m.load for m in measures), default=0.0)
    cores = os.cpu_count() or 1
    if load >= 0.5:
        return (
            f"Highest 1-minute load average seen before a run: {load:.2f} on {cores} cores: other "
            "processes were running, so the worst times are noisy; the best times are the ones "
            "to trust."
        )
    return f"Highest 1-minute load average seen before a run: {load:.2f} on {cores} cores."


def _data_version() -> int:
    sys.path.insert(0, str(HERE))
    from make_data import DATA_VERSION

    return DATA_VERSION


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--quick", action="store_true", help="10k rows only, one run each: a smoke check")
    ap.add_argument("--skip-ydata", action="store_true", help="leave ydata-profiling out")
    ap.add_argument("--tools", nargs="+", choices=TOOLS, default=TOOLS, help="run only these tools")
    ap.add_argument("--repeat", type=int, default=3, help="runs per tool except ydata (best kept)")
    ap.add_argument("--ydata-repeat", type=int, default=1, help="runs per ydata-profiling mode")
    ap.add_argument(
        "--ydata-venv", type=Path, default=YDATA_VENV, help="venv for ydata-profiling, created on first use"
    )
    ap.add_argument("--timeout", type=float, default=3600.0, help="seconds before a run is stopped")
    ap.add_argument("--row-group", type=int, default=None, help="Parquet rows per row group")
    ap.add_argument("--output", type=Path, default=RESULTS / "profile.md")
    ap.add_argument("--workers", type=int, default=None, help="lw.profile threads (default: one per core)")
    ap.add_argument("--child", choices=[t for t in TOOLS if t not in YDATA_TOOLS], help=argparse.SUPPRESS)
    ap.add_argument("--data", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        return run_child(args.child, args.data, args.out, args.workers)
    global WORKERS
    WORKERS = args.workers

    sys.path.insert(0, str(HERE))
    import make_data

    row_group = args.row_group or make_data.DEFAULT_ROW_GROUP
    if args.quick:
        args.rows, args.repeat, args.ydata_repeat = [10_000], 1, 1
    args.rows = sorted(set(args.rows))
    tools = [t for t in TOOLS if t in args.tools and not (args.skip_ydata and t in YDATA_TOOLS)]
    started = time.perf_counter()

    ypython, ydata_note = None, ""
    if any(t in YDATA_TOOLS for t in tools):
        ypython, ydata_note = peer_python(
            args.ydata_venv, YDATA_PACKAGES, "ydata_profiling, pyarrow", RESULTS / "ydata-install.log"
        )
        if ypython is None:
            log(f"ydata-profiling is not available, going on without it: {ydata_note}")
    elif args.skip_ydata:
        ydata_note = "skipped (--skip-ydata)"

    measures: list[Measure] = []
    for n, rows in enumerate(args.rows, 1):
        data = make_data.ensure(rows, row_group)
        runnable = []
        for tool in tools:
            if tool in YDATA_TOOLS and ypython is None:
                measures.append(Measure(tool, rows, status="skipped", note="not installed"))
            else:
                runnable.append(tool)
        repeats = {t: args.ydata_repeat if t in YDATA_TOOLS else args.repeat for t in runnable}
        measures += measure(runnable, rows, data, repeats, ypython, args.timeout, f"[{n}/{len(args.rows)}]")
    measures.sort(key=lambda m: (args.rows.index(m.rows), tools.index(m.tool)))

    html_ratio = None
    largest = max(args.rows)
    big = next((m for m in measures if m.tool == OURS and m.rows == largest and m.html_bytes), None)
    if big is not None:
        small_data = make_data.ensure(SMALL_ROWS, row_group)
        (small,) = measure([OURS], SMALL_ROWS, small_data, {OURS: 1}, None, args.timeout, "[html size]")
        if small.html_bytes:
            html_ratio = (big, small)

    text = report(measures, html_ratio, args, row_group, ydata_note, time.perf_counter() - started)
    publish(text, args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
