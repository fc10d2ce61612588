"""Benchmark how lifecycle_widgets scales with rows: 1M to 20M rows of 20 columns.

Three ways of running the same statistics, each measurement in a fresh child process:

- ``stream``: one process, Parquet streamed a row group at a time (no Dask):
  ``lw.profile(folder)`` and ``base.check(current_folder)``;
- ``dask``: a ``LocalCluster(n_workers=2, threads_per_worker=1, processes=True)`` started in the
  child: ``lw.profile(dd.read_parquet(folder))`` and ``base.check(dd.read_parquet(current))``;
- ``pandas``: ``pd.read_parquet(folder)`` of the whole folder, then ``lw.profile(frame)``; only up to
  ``--pandas-max-rows`` (default 10M) rows.

``base`` is ``Baseline.fit`` on the first 1M reference rows, done once in a child and saved with
``base.save()``; every check child loads it with ``Baseline.load``.

Data (written once, deterministically, by child processes, to ``benchmarks/results/scale/``):
a folder of Parquet files (zstd, 250,000 rows per row group), each of 1M rows:
``datasets.credit(1_000_000, seed=i)`` plus the 5 undrifted extra columns of ``bench_drift.py``
(``extra_columns(1_000_000, seed=i)``), 20 columns; ``customer_id`` is renumbered so that it stays
unique across files. The "current" folder is built the same way from ``credit_batch(seed=1000 + i)``
(drifted). A measurement at N rows reads the first N/1M files, through a folder of hard links
(``results/scale/views/``), so that ``lw.profile(folder)`` and ``dd.read_parquet(folder)`` see
exactly those files.

Seconds are the job's wall time only (imports and the cluster's start excluded; the start is
reported apart). Peak memory is each process's own ``VmHWM`` (from ``/proc/<pid>/status``), imports
included: the child (the "client" in the Dask runs) and, for Dask, every worker process, read with
``client.run`` after the job (the workers are fresh, so their peak belongs to this job).

    .venv/bin/python benchmarks/bench_scale.py                    # 1M, 5M, 10M, 20M rows
    .venv/bin/python benchmarks/bench_scale.py --quick            # 1M and 2M rows: a smoke check
    .venv/bin/python benchmarks/bench_scale.py --max-rows 10000000

The table is printed and written to ``benchmarks/results/scale.md``; each child's stderr goes to
``benchmarks/results/logs/scale_*.log``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

from _harness import log, publish

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
SCALE = RESULTS / "scale"
LOGS = RESULTS / "logs"
FILE_ROWS = 1_000_000
ROW_GROUP = 250_000
DATA_VERSION = 1  # bump when the data changes, so cached files are rebuilt
CURRENT_SEED0 = 1000
RESULT_PREFIX = "BENCH_RESULT "
WORKERS: int | None = None  # --workers: threads of the streamed jobs (None: one per core)
TARGET_ROWS, TARGET_SECONDS = 20_000_000, 35.0  # issue 15: 20M rows streamed in at most 35 s on 2 cores
SIZES = [1_000_000, 5_000_000, 10_000_000, 20_000_000]
QUICK_SIZES = [1_000_000, 2_000_000]
JOBS = {
    "stream-profile": "stream: lw.profile(folder)",
    "stream-check": "stream: base.check(folder)",
    "dask-profile": "dask: lw.profile(dd.read_parquet(folder))",
    "dask-check": "dask: base.check(dd.read_parquet(folder))",
    "pandas-profile": "pandas: pd.read_parquet + lw.profile(frame)",
    "duckdb-summarize": "DuckDB: SUMMARIZE of the folder (the peer)",
}


# --- the data ------------------------------------------------------------------------------------


def data_dir(kind: str) -> Path:
    return SCALE / f"v{DATA_VERSION}_{kind}"


def file_path(kind: str, i: int) -> Path:
    return data_dir(kind) / f"part-{i:03d}.parquet"


def write_file(kind: str, i: int) -> None:
    """One 1M-row file (run in a child process)."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    sys.path.insert(0, str(HERE))
    from bench_drift import extra_columns

    from lifecycle_widgets import datasets

    if kind == "reference":
        df, seed = datasets.credit(FILE_ROWS, seed=i), i
    else:
        df, seed = datasets.credit_batch(FILE_ROWS, seed=CURRENT_SEED0 + i), CURRENT_SEED0 + i
    # unique across files: the same ids in every file would make a 1M-level categorical at 20M rows
    start = (i if kind == "reference" else CURRENT_SEED0 + i) * FILE_ROWS
    df["customer_id"] = pd.Series(
        np.char.add("C", np.arange(start, start + FILE_ROWS).astype(str)), dtype="str"
    )
    df = pd.concat([df, extra_columns(FILE_ROWS, seed)], axis=1)
    table = pa.Table.from_pandas(df, preserve_index=False)
    path = file_path(kind, i)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    pq.write_table(table, tmp, compression="zstd", row_group_size=ROW_GROUP)
    tmp.replace(path)


def ensure_data(kind: str, n_files: int, parallel: int = 2) -> None:
    missing = [i for i in range(n_files) if not file_path(kind, i).exists()]
    if not missing:
        return
    log(f"writing {len(missing)} {kind} file(s) of {FILE_ROWS:,} rows to {data_dir(kind)} ...")
    t0 = time.perf_counter()

    def one(i: int) -> None:
        subprocess.run(
            [sys.executable, str(Path(__file__).resolve()), "--make-file", kind, str(i)], check=True
        )

    with ThreadPoolExecutor(parallel) as pool:
        list(pool.map(one, missing))
    log(f"    done in {time.perf_counter() - t0:.0f} s")


def view(kind: str, rows: int) -> Path:
    """A folder holding (hard links to) the first rows / 1M files of ``kind``."""
    n = rows // FILE_ROWS
    folder = SCALE / "views" / f"v{DATA_VERSION}_{kind}_{n:03d}M"
    folder.mkdir(parents=True, exist_ok=True)
    wanted = {f"part-{i:03d}.parquet" for i in range(n)}
    for p in folder.iterdir():
        if p.name not in wanted:
            p.unlink()
    for i in range(n):
        link = folder / f"part-{i:03d}.parquet"
        if not link.exists():
            try:
                os.link(file_path(kind, i), link)
            except OSError:
                link.symlink_to(file_path(kind, i))
    return folder


# --- the child side ------------------------------------------------------------------------------


def vmhwm_mb(pid: int | str = "self") -> float:
    """Peak RSS of a process: VmHWM of /proc/<pid>/status (not ru_maxrss, inherited over exec)."""
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _worker_peak() -> dict:
    import os as _os

    t = _os.times()
    return {"pid": _os.getpid(), "peak_mb": vmhwm_mb(), "cpu": t.user + t.system}


def _cpu() -> float:
    t = os.times()
    return t.user + t.system


def run_child(job: str, folder: str, baseline: str, workers: int | None = None) -> int:
    import lifecycle_widgets as lw
    from lifecycle_widgets.core import ingest

    ingest.WORKERS = workers  # None: one thread per core

    out: dict = {"job": job}
    if job == "fit":
        import_mb = vmhwm_mb()
        t0 = time.perf_counter()
        base = lw.Baseline.fit(folder, progress=False)
        base.save(baseline)
        out.update(seconds=time.perf_counter() - t0, rows=base.item_count)
    elif job.startswith("stream"):
        import_mb = vmhwm_mb()
        t0, c0 = time.perf_counter(), _cpu()
        if job == "stream-profile":
            prof = lw.profile(folder, progress=False)
            out["rows"] = prof.n_rows
        else:
            base = lw.Baseline.load(baseline)
            report = base.check(folder, progress=False)
            out["drifted"] = list(report.drifted_features)
        out.update(seconds=time.perf_counter() - t0, cpu_seconds=_cpu() - c0)
    elif job == "duckdb-summarize":
        import duckdb

        import_mb = vmhwm_mb()
        t0, c0 = time.perf_counter(), _cpu()
        glob = str(Path(folder) / "**" / "*.parquet").replace("'", "''")
        summary = duckdb.sql(f"SUMMARIZE SELECT * FROM read_parquet('{glob}')").df()
        out.update(seconds=time.perf_counter() - t0, cpu_seconds=_cpu() - c0)
        out["rows"] = int(summary["count"].iloc[0])
    elif job == "pandas-profile":
        import pandas as pd

        import_mb = vmhwm_mb()
        t0, c0 = time.perf_counter(), _cpu()
        frame = pd.read_parquet(folder)
        out["read_seconds"] = time.perf_counter() - t0
        out["read_peak_mb"] = vmhwm_mb()
        prof = lw.profile(frame, progress=False)
        out.update(seconds=time.perf_counter() - t0, cpu_seconds=_cpu() - c0, rows=prof.n_rows)
    elif job.startswith("dask"):
        import dask.dataframe as dd
        from distributed import Client, LocalCluster

        import_mb = vmhwm_mb()
        t0 = time.perf_counter()
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
        client = Client(cluster)
        out["cluster_start_seconds"] = time.perf_counter() - t0
        before = client.run(_worker_peak)
        out["workers_after_start_mb"] = sorted(r["peak_mb"] for r in before.values())
        t0, c0 = time.perf_counter(), _cpu()
        ddf = dd.read_parquet(folder)
        out["partitions"] = ddf.npartitions
        if job == "dask-profile":
            prof = lw.profile(ddf, progress=False)
            out["rows"] = prof.n_rows
        else:
            base = lw.Baseline.load(baseline)
            report = base.check(ddf, progress=False)
            out["drifted"] = list(report.drifted_features)
        out.update(seconds=time.perf_counter() - t0, cpu_seconds=_cpu() - c0)
        after = client.run(_worker_peak)
        out["workers_mb"] = sorted(r["peak_mb"] for r in after.values())
        # a worker that died and came back would have another address: its CPU is not comparable
        out["workers_cpu_seconds"] = sum(after[a]["cpu"] - before[a]["cpu"] for a in after if a in before)
        out["workers_restarted"] = len(set(after) - set(before))
        client.close()
        cluster.close()
    else:
        raise SystemExit(f"unknown job {job!r}")
    out.update(peak_mb=vmhwm_mb(), import_mb=import_mb, version=f"lifecycle_widgets {lw.__version__}")
    print(RESULT_PREFIX + json.dumps(out), flush=True)
    return 0


# --- the parent side -----------------------------------------------------------------------------


def run_one(job: str, rows: int, folder: Path, baseline: Path, timeout: float) -> dict:
    LOGS.mkdir(parents=True, exist_ok=True)
    log_file = LOGS / f"scale_{job}_{rows // FILE_ROWS}M.log"
    env = dict(os.environ, PYTHONHASHSEED="0", LIFECYCLE_WIDGETS_DISPLAY="static")
    cmd = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        job,
        "--folder",
        str(folder),
        "--baseline",
        str(baseline),
        *(["--workers", str(WORKERS)] if WORKERS else []),
    ]
    load = os.getloadavg()[0]
    log(f"{JOBS.get(job, job)}, {rows:,} rows (load {load:.2f}) ...")
    t0 = time.perf_counter()
    with log_file.open("w") as err:
        err.write(f"$ {' '.join(cmd)}\n")
        err.flush()
        try:
            proc = subprocess.run(
                cmd, stdout=subprocess.PIPE, stderr=err, text=True, timeout=timeout, env=env, cwd=HERE
            )
        except subprocess.TimeoutExpired:
            log(f"    timeout after {timeout:.0f} s")
            return {"job": job, "rows": rows, "status": f"timeout (> {timeout:.0f} s)", "load": load}
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith(RESULT_PREFIX)]
    if proc.returncode != 0 or not lines:
        tail = " | ".join(log_file.read_text(errors="replace").strip().splitlines()[-3:])[-300:]
        log(f"    failed (exit {proc.returncode}): {tail}")
        return {
            "job": job,
            "rows": rows,
            "status": f"failed (exit {proc.returncode})",
            "note": tail,
            "load": load,
        }
    r = json.loads(lines[-1][len(RESULT_PREFIX) :])
    r.update(status="ok", load=load, process_seconds=time.perf_counter() - t0, data_rows=rows)
    workers = f", workers {' / '.join(f'{w:,.0f}' for w in r['workers_mb'])} MB" if "workers_mb" in r else ""
    log(
        f"    {r['seconds']:.1f} s (CPU {r.get('cpu_seconds', 0):.1f} s), peak {r['peak_mb']:,.0f} MB{workers}"
    )
    r["rows"] = rows
    return r


def _mb(x: float | None) -> str:
    return "" if x is None else f"{x:,.0f}"


def table(results: list[dict]) -> str:
    lines = [
        "| job | rows | seconds | s per 1M rows | CPU s: process (+ workers) | peak MB: process (after imports) "
        "| peak MB: Dask workers | notes |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in results:
        label = JOBS[r["job"]]
        if r["status"] != "ok":
            lines.append(f"| {label} | {r['rows']:,} | {r['status']} | | | | | {r.get('note', '')} |")
            continue
        notes = []
        if "read_seconds" in r:
            notes.append(f"read {r['read_seconds']:.1f} s, peak after read {_mb(r['read_peak_mb'])} MB")
        if "cluster_start_seconds" in r:
            notes.append(
                f"{r['partitions']} partitions; cluster start {r['cluster_start_seconds']:.1f} s "
                f"(not counted); workers after start {' / '.join(_mb(w) for w in r['workers_after_start_mb'])} MB"
            )
        if r.get("load", 0) >= 2.5:
            notes.append(f"load {r['load']:.1f} before the run")
        workers = " / ".join(_mb(w) for w in r.get("workers_mb", [])) or "—"
        cpu = f"{r['cpu_seconds']:.1f}" if "cpu_seconds" in r else ""
        if "workers_cpu_seconds" in r:
            cpu += f" (+ {r['workers_cpu_seconds']:.1f})"
        if r.get("workers_restarted"):
            notes.append(f"{r['workers_restarted']} worker(s) restarted during the job")
        lines.append(
            f"| {label} | {r['rows']:,} | {r['seconds']:.1f} | {r['seconds'] / (r['rows'] / 1e6):.2f} | {cpu} "
            f"| {_mb(r['peak_mb'])} ({_mb(r['import_mb'])}) | {workers} | {'; '.join(notes)} |"
        )
    return "\n".join(lines)


def _total_cpu(r: dict) -> float:
    return r.get("cpu_seconds", 0.0) + r.get("workers_cpu_seconds", 0.0)


def growth(results: list[dict]) -> list[str]:
    """Per job: time per 1M rows and peak memory at the smallest and the largest size."""
    out = []
    for job in JOBS:
        ok = [r for r in results if r["job"] == job and r["status"] == "ok"]
        if len(ok) < 2:
            continue
        a, b = ok[0], ok[-1]
        sa, sb = a["seconds"] / (a["rows"] / 1e6), b["seconds"] / (b["rows"] / 1e6)
        ca, cb = (_total_cpu(r) / (r["rows"] / 1e6) for r in (a, b))
        line = (
            f"- {JOBS[job]}: {a['rows'] / 1e6:g}M → {b['rows'] / 1e6:g}M rows ({b['rows'] / a['rows']:g}x): "
            f"time {b['seconds'] / a['seconds']:.1f}x ({sa:.2f} → {sb:.2f} s per 1M rows, "
            f"{sb / sa:.2f}x); CPU (process + workers) {ca:.2f} → {cb:.2f} s per 1M rows ({cb / ca:.2f}x); "
            f"process peak {_mb(a['peak_mb'])} → {_mb(b['peak_mb'])} MB ({b['peak_mb'] / a['peak_mb']:.2f}x)"
        )
        if a.get("workers_mb") and b.get("workers_mb"):
            line += f"; worker peak (max) {_mb(max(a['workers_mb']))} → {_mb(max(b['workers_mb']))} MB"
        out.append(line)
    return out


def targets(results: list[dict]) -> list[str]:
    """PASS/FAIL of the streamed profile: 20M rows in at most 35 s, linear in rows (seconds per
    1M rows at the largest size within 1.25x of those at 5M, past the fixed costs of the smallest
    size), and both cores busy (CPU seconds over wall seconds)."""
    ok = [r for r in results if r["job"] == "stream-profile" and r["status"] == "ok"]
    if not ok:
        return ["- stream: lw.profile(folder) has no result: FAIL"]
    out = []
    big = ok[-1]
    if big["rows"] == TARGET_ROWS:
        out.append(
            f"- {TARGET_ROWS / 1e6:g}M rows streamed in {big['seconds']:.1f} s (target ≤ {TARGET_SECONDS:g} s): "
            f"{'PASS' if big['seconds'] <= TARGET_SECONDS else 'FAIL'}; CPU {big['cpu_seconds']:.1f} s"
        )
    else:
        out.append(f"- {TARGET_ROWS / 1e6:g}M rows: not measured (largest size {big['rows'] / 1e6:g}M)")
    ref = next((r for r in ok if r["rows"] >= 5_000_000), None)
    if ref is not None and ref is not big:
        a, b = ref["seconds"] / (ref["rows"] / 1e6), big["seconds"] / (big["rows"] / 1e6)
        ca, cb = ref["cpu_seconds"] / (ref["rows"] / 1e6), big["cpu_seconds"] / (big["rows"] / 1e6)
        out.append(
            f"- linear in rows: {a:.2f} s per 1M rows at {ref['rows'] / 1e6:g}M, {b:.2f} at "
            f"{big['rows'] / 1e6:g}M ({b / a:.2f}x; target ≤ 1.25x): {'PASS' if b / a <= 1.25 else 'FAIL'}; "
            f"CPU {ca:.2f} → {cb:.2f} s per 1M rows ({cb / ca:.2f}x)"
        )
    peer = next(
        (r for r in results if r["job"] == "duckdb-summarize" and r["status"] == "ok" and r["rows"] == big["rows"]),
        None,
    )
    if peer is not None:
        out.append(
            f"- vs DuckDB SUMMARIZE of the same {big['rows'] / 1e6:g}M rows: {big['seconds']:.1f} s / "
            f"{peer['seconds']:.1f} s = {big['seconds'] / peer['seconds']:.2f}x its time; CPU "
            f"{big['cpu_seconds'] / peer['cpu_seconds']:.2f}x"
        )
    cores = big["cpu_seconds"] / big["seconds"] if big["seconds"] else 0.0
    out.append(
        f"- both cores: {cores:.2f} CPU seconds per wall second at {big['rows'] / 1e6:g}M rows "
        f"(target ≥ 1.5 on 2 cores): {'PASS' if cores >= 1.5 else 'FAIL'}"
        + (" (the machine was busy: other processes took CPU)" if big.get("load", 0) >= 1.5 else "")
    )
    return out


def report(
    results: list[dict], args: argparse.Namespace, command: str, elapsed: float, fit: dict, cur_files: int
) -> str:
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    import dask
    import distributed
    import pandas as pd
    import pyarrow

    loads = [r.get("load", 0.0) for r in results]
    if fit.get("status") == "not run":
        fit_line = "No check job: no baseline fitted."
    elif fit.get("status") == "ok":
        fit_line = (
            f"`base = Baseline.fit(first 1M reference rows)`: {fit['seconds']:.1f} s, "
            f"peak {_mb(fit['peak_mb'])} MB, saved with `base.save()`, loaded in each check child."
        )
    else:
        fit_line = f"Baseline.fit failed: {fit.get('note', '')}"
    parts = [
        "# Scale benchmark: 1M to 20M rows",
        "",
        f"`{command}`",
        "",
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {os.cpu_count()} cores, {mem:.0f} GiB, "
        f"{platform.platform()}, Python {platform.python_version()}; "
        f"{results[0].get('version', '') if results else ''}, pandas {pd.__version__}, pyarrow {pyarrow.__version__}, "
        f"dask {dask.__version__}, distributed {distributed.__version__}.",
        "",
        f"Data: folders of 1M-row zstd Parquet files ({ROW_GROUP:,} rows per row group), 20 columns: "
        "`credit(1M, seed=i)` + the 5 extra columns of `bench_drift.py`, `customer_id` unique across files; "
        f"the check reads `credit_batch(1M, seed={CURRENT_SEED0}+i)` files (drifted), up to {cur_files} of them. "
        "A size of N rows is the first N/1M files. One run per cell, each in a fresh child process. "
        "Seconds: the job's wall time (imports and the Dask cluster's start excluded). Peak MB: the "
        "process's own VmHWM, imports included (VmHWM after the imports in brackets); for Dask the "
        "process is the client, and each worker's VmHWM is read with `client.run` after the job "
        "(fresh workers, so that peak is this job's). CPU s is the child's own CPU time only "
        "(the workers' CPU time during the job in brackets, from `client.run`): with other processes "
        "on the machine, wall seconds are noisy and CPU seconds are the steadier measure of work.",
        f"1-minute load average before the runs: {min(loads, default=0):.1f} to {max(loads, default=0):.1f} "
        f"on {os.cpu_count()} cores{' (other processes were running: times are noisy)' if max(loads, default=0) >= 1.5 else ''}.",
        fit_line,
        "",
        table(results),
        "",
        "Growth (smallest to largest size measured):",
        "",
        *growth(results),
        "",
        "Targets (issue 15) for the streamed profile:",
        "",
        *targets(results),
        "",
        f"Benchmark wall time: {elapsed / 60:.1f} min (data writing excluded).",
        "",
    ]
    return "\n".join(parts)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--max-rows", type=int, default=max(SIZES), help="largest size measured (default 20M)")
    ap.add_argument("--quick", action="store_true", help="1M and 2M rows only: a smoke check")
    ap.add_argument(
        "--check-max-rows",
        type=int,
        default=5_000_000,
        help="largest current batch for the drift check (default 5M)",
    )
    ap.add_argument(
        "--pandas-max-rows",
        type=int,
        default=10_000_000,
        help="largest size read whole into pandas (default 10M)",
    )
    ap.add_argument("--jobs", nargs="+", choices=list(JOBS), default=list(JOBS), help="a subset of the jobs")
    ap.add_argument("--timeout", type=float, default=900.0, help="seconds before a child is stopped")
    ap.add_argument("--output", type=Path, default=RESULTS / "scale.md")
    ap.add_argument(
        "--workers", type=int, default=None, help="threads of the streamed jobs (default: per core)"
    )
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--folder", help=argparse.SUPPRESS)
    ap.add_argument("--baseline", help=argparse.SUPPRESS)
    ap.add_argument("--make-file", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        return run_child(args.child, args.folder, args.baseline, args.workers)
    global WORKERS
    WORKERS = args.workers
    if args.make_file:
        write_file(args.make_file[0], int(args.make_file[1]))
        return 0

    command = " ".join(
        [".venv/bin/python", "benchmarks/bench_scale.py", *(sys.argv[1:] if argv is None else argv)]
    )
    sizes = QUICK_SIZES if args.quick else [s for s in SIZES if s <= args.max_rows]
    if not sizes:
        ap.error(f"--max-rows {args.max_rows} is below the smallest size, {SIZES[0]:,}")
    check_sizes = [s for s in sizes if s <= args.check_max_rows]
    pandas_sizes = [s for s in sizes if s <= args.pandas_max_rows]
    ensure_data("reference", max(sizes) // FILE_ROWS)
    cur_files = max(check_sizes, default=0) // FILE_ROWS if any(j.endswith("check") for j in args.jobs) else 0
    ensure_data("current", cur_files)

    started = time.perf_counter()
    baseline = SCALE / f"v{DATA_VERSION}_baseline_1M"
    fit = {"status": "not run"}
    if any(j.endswith("check") for j in args.jobs):
        fit = run_one("fit", FILE_ROWS, view("reference", FILE_ROWS), baseline, args.timeout)

    # size by size, every job at one size before the next size: jobs compared at a size meet the
    # same spells of a machine whose speed drifts
    plan = []
    for rows in sizes:
        for job in args.jobs:
            job_sizes = (
                check_sizes if job.endswith("check") else pandas_sizes if job.startswith("pandas") else sizes
            )
            kind = "current" if job.endswith("check") else "reference"
            if rows in job_sizes:
                plan.append((job, rows, kind))
    results = []
    for job, rows, kind in plan:
        results.append(run_one(job, rows, view(kind, rows), baseline, args.timeout))

    text = report(results, args, command, time.perf_counter() - started, fit, cur_files)
    publish(text, args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
