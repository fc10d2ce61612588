"""Benchmark drift detection end to end: two Parquet files in, a static HTML drift report out.

Jobs compared, each in a fresh child process (wall seconds of the job, peak RSS of the child):

- ``read``: ``pd.read_parquet`` of the reference and the current file, the baseline for the
  memory target (also run in the Evidently venv, which has its own pandas, for information);
- ``lifecycle_widgets``: ``Baseline.fit(reference.parquet)`` + ``baseline.check(current.parquet)``
  + ``report.to_html(out)`` (the Parquet files are streamed a row group at a time);
- ``evidently``: ``pd.read_parquet`` of both files + ``Report([DataDriftPreset()]).run(current,
  reference)`` + ``save_html(out)``, in its own venv ``benchmarks/.venv-evidently`` (created on
  first use: Evidently 0.7 imports a pandas internal that pandas 3 removed, so that venv pins
  ``pandas<3``). Evidently infers the column types itself, as in its documentation.

Data: reference = ``lifecycle_widgets.datasets.credit(n, seed=0)``, current =
``credit_batch(n, seed=1)`` (drift=True), both widened with the same 5 undrifted columns (3
numeric with different distributions, a low-cardinality string, a 5,000-level categorical),
so 20 columns, written once to zstd Parquet in ``benchmarks/results/`` (100,000 rows per row group).

Each tool's drifted columns are scored against the truth, ``datasets.DRIFTED_COLUMNS``:
lifecycle_widgets' ``report.flagged_features`` (any violation, so completeness too) and
Evidently's per-column drift results. ``customer_id``, ``signup_date`` and ``last_login`` (an
identifier and two datetimes that move by design) are left out of the scores; what each tool did
with them is printed. The table is printed and written to ``benchmarks/results/drift.md``.

    .venv/bin/python benchmarks/bench_drift.py                     # 100k and 1M rows, both tools
    .venv/bin/python benchmarks/bench_drift.py --quick             # 10k rows, a smoke check
    .venv/bin/python benchmarks/bench_drift.py --rows 100000 --skip-evidently

Seconds are the job only (after the tool's imports, which a notebook pays once per session); the
child's import RSS is included in its peak RSS, as the kernel would hold it too.

This file is also the child program, in either venv: it imports nothing but the standard library
at the top, and each child imports only what its job needs.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from _harness import cpu_seconds, log, maxrss_mb, mem_gib, peak_rss_mb, peer_python

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
EV_VENV = HERE / ".venv-evidently"
# evidently 0.7.23 does `from pandas.core.dtypes.common import infer_dtype_from_object`, which
# pandas 3 removed, and does not pin pandas < 3 itself: without the pin `import evidently` fails.
EV_PACKAGES = ["evidently", "pyarrow", "pandas<3"]
OURS = "lifecycle_widgets"
TOOLS = ["read", OURS, "read-evidently-venv", "evidently"]
EV_TOOLS = ("read-evidently-venv", "evidently")
LABELS = {
    "read": "read both files (pd.read_parquet)",
    OURS: "lifecycle_widgets fit + check + to_html",
    "read-evidently-venv": "read both files, Evidently venv",
    "evidently": "Evidently read + DataDriftPreset + save_html",
}
IGNORED = ("customer_id", "signup_date", "last_login")  # left out of both tools' scores
DATA_VERSION = 1  # bump when the data changes, so cached files are rebuilt
ROW_GROUP = 100_000
RESULT_PREFIX = "BENCH_RESULT "
SPEED_TARGET = 10.0  # lifecycle_widgets at least this many times faster than Evidently
MEMORY_TARGET = 1.5  # lifecycle_widgets' peak RSS at most this times the read-only peak


# --- the data (parent side, main venv) -----------------------------------------------------------


def extra_columns(n: int, seed: int):
    """5 undrifted columns, the same distributions for every seed (only the sample differs)."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng([seed, 20_260_601])
    levels = np.array([f"merchant_{i:04d}" for i in range(5000)])
    p = 1.0 / np.arange(1, 5001) ** 0.8  # a gentle Zipf: every level is seen at 100k rows
    channels = np.array(["web", "app", "branch", "phone", "partner", "email", "kiosk", "mail"])
    return pd.DataFrame(
        {
            "session_minutes": rng.normal(30.0, 8.0, n),  # symmetric
            "basket_value": np.round(rng.exponential(45.0, n), 2),  # skewed
            "items": rng.integers(1, 200, n),  # uniform integer
            "channel": channels[rng.choice(8, n, p=[0.3, 0.25, 0.15, 0.1, 0.08, 0.06, 0.04, 0.02])],
            "merchant": pd.Categorical(levels[rng.choice(5000, n, p=p / p.sum())], categories=levels),
        }
    )


def data_paths(rows: int) -> tuple[Path, Path]:
    stem = RESULTS / f"drift_v{DATA_VERSION}_{rows}rows"
    return Path(f"{stem}_reference.parquet"), Path(f"{stem}_current.parquet")


def ensure_data(rows: int) -> tuple[Path, Path]:
    """The reference and current Parquet files for ``rows`` rows, written on first use (in a
    child process, so that this one stays small: see ``_rss_mb``)."""
    ref_path, cur_path = data_paths(rows)
    if not (ref_path.exists() and cur_path.exists()):
        log(f"writing {rows:,}-row reference and current Parquet files ...")
        subprocess.run([sys.executable, str(Path(__file__).resolve()), "--make-data", str(rows)], check=True)
    return ref_path, cur_path


def write_data(rows: int) -> None:
    ref_path, cur_path = data_paths(rows)
    import pandas as pd

    from lifecycle_widgets import datasets

    RESULTS.mkdir(parents=True, exist_ok=True)
    for path, frame, seed in ((ref_path, datasets.credit, 0), (cur_path, datasets.credit_batch, 1)):
        df = pd.concat([frame(rows, seed=seed), extra_columns(rows, seed)], axis=1)
        tmp = path.with_suffix(".tmp")
        df.to_parquet(tmp, engine="pyarrow", compression="zstd", row_group_size=ROW_GROUP, index=False)
        tmp.replace(path)
        del df


def truth(reference: Path) -> tuple[list[str], list[str]]:
    """(drifted, undrifted) scored columns of the data, from ``datasets.DRIFTED_COLUMNS``."""
    import pyarrow.parquet as pq

    from lifecycle_widgets.datasets import DRIFTED_COLUMNS

    scored = [c for c in pq.read_schema(reference).names if c not in IGNORED]
    return [c for c in scored if c in DRIFTED_COLUMNS], [c for c in scored if c not in DRIFTED_COLUMNS]


# --- the child side: one job in this process, result printed as JSON ----------------------------


def _evidently_drifted(method: str, score: float, threshold: float) -> bool:
    """Evidently's own rule: p-value tests drift below the threshold, distances above it
    (``legacy/calculations/stattests/*.py``: ks ``<=``, chisquare and z ``<``, wasserstein and
    jensenshannon ``>=``, text content drift ``>``)."""
    if "p_value" in method:
        return score <= threshold if method.startswith("K-S") else score < threshold
    if "text content drift" in method:
        return score > threshold
    return score >= threshold


def run_child(tool: str, ref: str, cur: str, out: str) -> int:
    """Run one tool's job in this (fresh) process and print its time, peak RSS and flags."""
    extra: dict = {}
    if tool in ("read", "read-evidently-venv"):
        import pandas as pd
        import pyarrow

        version = f"pandas {pd.__version__}, pyarrow {pyarrow.__version__}"
        import_rss = peak_rss_mb()
        t0, cpu0 = time.perf_counter(), cpu_seconds()
        frames = (pd.read_parquet(ref), pd.read_parquet(cur))
        seconds = time.perf_counter() - t0
        assert all(len(f) >= 0 for f in frames)
        out = ""
    elif tool == OURS:
        import lifecycle_widgets as lw
        import lifecycle_widgets.panels  # plotly and the display layer, imported before the clock

        version = f"lifecycle_widgets {lw.__version__}"
        import_rss = peak_rss_mb()
        t0, cpu0 = time.perf_counter(), cpu_seconds()
        baseline = lw.Baseline.fit(ref, progress=False)
        report = baseline.check(cur, progress=False)
        report.to_html(out)
        seconds = time.perf_counter() - t0
        kinds = {f.name: f.kind for f in baseline.features}
        by_feature = {f.name: f for f in report.features}
        checks: dict[str, list[str]] = {}
        for v in report.violations:
            checks.setdefault(v.feature_name, []).append(v.constraint_check_type)
        columns = {}
        for name, kind in kinds.items():
            f = by_feature.get(name)
            columns[name] = {
                "kind": kind,
                "method": f.method if f else None,
                "score": f.distance if f else None,
                "threshold": f.threshold if f else None,
                "checks": checks.get(name, []),
            }
        extra = {
            "flagged": list(report.flagged_features),
            "drifted": list(report.drifted_features),
            "columns": columns,
        }
    elif tool == "evidently":
        import warnings

        warnings.filterwarnings("ignore")  # thousands of RuntimeWarnings from the infinities
        import evidently
        import pandas as pd
        from evidently import Report
        from evidently.presets import DataDriftPreset

        version = f"evidently {evidently.__version__}, pandas {pd.__version__}"
        import_rss = peak_rss_mb()
        t0, cpu0 = time.perf_counter(), cpu_seconds()
        reference, current = pd.read_parquet(ref), pd.read_parquet(cur)
        snapshot = Report([DataDriftPreset()]).run(current, reference)
        snapshot.save_html(out)
        seconds = time.perf_counter() - t0
        definition = getattr(getattr(snapshot, "_context", None), "data_definition", None)
        types = {}
        if definition is not None:
            for kind in ("numerical", "categorical", "text", "datetime", "unknown"):
                for name in getattr(definition, f"{kind}_columns", None) or []:
                    types[name] = kind
            if definition.id_column:
                types[definition.id_column] = "id"
            if definition.timestamp:
                types[definition.timestamp] = "timestamp"
        columns = {
            name: {
                "kind": types.get(name, "?"),
                "method": None,
                "score": None,
                "threshold": None,
                "checks": [],
            }
            for name in reference.columns
        }
        flagged = []
        for metric in snapshot.dict()["metrics"]:
            config = metric.get("config", {})
            if not config.get("type", "").endswith("ValueDrift"):
                continue
            name, method, threshold = config["column"], config["method"], config["threshold"]
            score = float(metric["value"])
            drifted = _evidently_drifted(method, score, threshold)
            columns.setdefault(name, {"kind": types.get(name, "?"), "checks": []})
            columns[name].update(
                method=method, score=score, threshold=threshold, checks=["drift"] if drifted else []
            )
            if drifted:
                flagged.append(name)
        order = list(reference.columns)
        extra = {"flagged": sorted(flagged, key=order.index), "columns": columns}
    else:
        raise SystemExit(f"unknown tool {tool!r}")
    result = {
        "seconds": seconds,
        "cpu_seconds": cpu_seconds() - cpu0,
        "peak_rss_mb": peak_rss_mb(),
        "ru_maxrss_mb": maxrss_mb(),
        "import_rss_mb": import_rss,
        "html_bytes": os.path.getsize(out) if out else 0,
        "version": version,
        **extra,
    }
    print(RESULT_PREFIX + json.dumps(result, allow_nan=True), flush=True)
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
    flagged: list[str] | None = None
    columns: dict = field(default_factory=dict)


def measure_once(
    tool: str, ref: Path, cur: Path, out: Path, evpython: Path | None, timeout: float, log_file: Path
) -> dict:
    """One fresh child for one job; its result dict, or {"status": ..., "note": ...}."""
    env = dict(os.environ, LIFECYCLE_WIDGETS_DISPLAY="static", MPLBACKEND="Agg", PYTHONHASHSEED="0")
    python = str(evpython) if tool in EV_TOOLS else sys.executable
    cmd = [
        python,
        str(Path(__file__).resolve()),
        "--child",
        tool,
        "--ref",
        str(ref),
        "--cur",
        str(cur),
        "--out",
        str(out),
    ]
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
    tool: str, rows: int, ref: Path, cur: Path, repeat: int, evpython: Path | None, timeout: float, step: str
) -> Measure:
    m = Measure(tool, rows)
    html_dir = RESULTS / "html"
    html_dir.mkdir(parents=True, exist_ok=True)
    out = html_dir / f"drift_{tool}_{rows}rows.html"
    log_file = RESULTS / "logs" / f"drift_{tool}_{rows}rows.log"
    log_file.parent.mkdir(parents=True, exist_ok=True)
    log_file.write_text("")
    peaks, imports, cpus = [], [], []
    for i in range(repeat):
        load = os.getloadavg()[0]
        m.load = max(m.load, load)
        log(f"{step} {LABELS[tool]}, {rows:,} rows, run {i + 1}/{repeat} (load {load:.2f}) ...")
        r = measure_once(tool, ref, cur, out, evpython, timeout, log_file)
        if r.get("status") in ("timeout", "failed"):
            m.status, m.note = r["status"], r["note"]
            if r["status"] == "timeout":
                m.seconds = r["seconds"]
            log(f"    {m.status}: {m.note}")
            return m
        m.runs.append(r["seconds"])
        peaks.append(r["peak_rss_mb"])
        imports.append(r["import_rss_mb"])
        cpus.append(r["cpu_seconds"])
        m.html_bytes, m.version = r["html_bytes"], r["version"]
        if "flagged" in r:
            m.flagged, m.columns = r["flagged"], r["columns"]
        log(
            f"    {r['seconds']:.2f} s, CPU {r['cpu_seconds']:.2f} s (process {r['process_seconds']:.1f} s), "
            f"peak {r['peak_rss_mb']:.0f} MB (ru_maxrss {r['ru_maxrss_mb']:.0f})"
            + (f", HTML {r['html_bytes'] / 1e6:.2f} MB" if r["html_bytes"] else "")
            + (f", flagged: {', '.join(r['flagged']) or 'none'}" if "flagged" in r else "")
        )
    # best of the runs: other processes on the machine only ever add time
    m.seconds = min(m.runs)
    m.cpu_seconds = min(cpus)
    m.peak_mb = statistics.median(peaks)
    m.import_mb = statistics.median(imports)
    return m


# --- scoring and reporting -----------------------------------------------------------------------


def score(m: Measure, drifted: list[str], undrifted: list[str]) -> tuple[list[str], list[str]] | None:
    """(missed drifted columns, falsely flagged undrifted columns), or None without a result."""
    if m.flagged is None:
        return None
    flagged = set(m.flagged)
    return [c for c in drifted if c not in flagged], [c for c in undrifted if c in flagged]


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


def _names(names: list[str]) -> str:
    return ", ".join(names) if names else "none"


def table(measures: list[Measure], drifted: list[str], undrifted: list[str]) -> str:
    head = (
        "| tool | rows | seconds: best (median, worst) | CPU s | peak RSS MB (after imports) "
        "| time vs lifecycle_widgets | memory vs read only | missed | false alarms | HTML |"
    )
    lines = [head, "|---|---:|---:|---:|---:|---:|---:|---|---|---:|"]
    by_key = {(m.tool, m.rows): m for m in measures}
    for m in measures:
        ours = by_key.get((OURS, m.rows))
        read = by_key.get(("read", m.rows))
        time_ratio = (
            ""
            if m.tool.startswith("read")
            else _ratio(m.seconds, ours.seconds if ours else None, m.status == "timeout")
        )
        mem_ratio = _ratio(m.peak_mb, read.peak_mb if read else None)
        peak = f"{m.peak_mb:,.0f} ({m.import_mb:,.0f})" if m.peak_mb is not None else m.status
        html = f"{m.html_bytes / 1e6:.2f} MB" if m.html_bytes else ("—" if m.tool.startswith("read") else "")
        note = f" ({m.note})" if m.note else ""
        cpu = f"{m.cpu_seconds:.2f}" if m.cpu_seconds is not None else ""
        s = score(m, drifted, undrifted)
        missed, false = (
            ("—", "—")
            if s is None and m.tool.startswith("read")
            else (("", "") if s is None else (_names(s[0]), _names(s[1])))
        )
        lines.append(
            f"| {LABELS[m.tool]}{note} | {m.rows:,} | {_fmt_seconds(m)} | {cpu} | {peak} "
            f"| {time_ratio} | {mem_ratio} | {missed} | {false} | {html} |"
        )
    return "\n".join(lines)


def _fmt_num(x: float | None) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "—" if x is None else str(x)
    return f"{x:.3g}"


def details(measures: list[Measure], rows: int) -> list[str]:
    """What each tool flagged at ``rows`` rows, and what it did with the unscored columns."""
    out = []
    for m in measures:
        if m.rows != rows or m.flagged is None:
            continue
        out.append(f"- {LABELS[m.tool]}: flagged {_names(m.flagged)}.")
        for name in IGNORED:
            c = m.columns.get(name)
            if c is None:
                out.append(f"  - `{name}` (not scored): not in its results.")
                continue
            if c.get("method"):
                did = (
                    f"compared as {c['kind']} with {c['method']}: score {_fmt_num(c.get('score'))}, "
                    f"threshold {_fmt_num(c.get('threshold'))}"
                )
            else:
                did = f"typed {c['kind']}, not compared"
            what = f"flagged ({', '.join(c['checks'])})" if c.get("checks") else "not flagged"
            out.append(f"  - `{name}` (not scored): {did}; {what}.")
    return out


def flag_reasons(measures: list[Measure], rows: int, names: set[str]) -> list[str]:
    """Scores of the columns a tool got wrong, so a reader can see how close it was."""
    out = []
    for m in measures:
        if m.rows != rows or m.flagged is None:
            continue
        for name in sorted(names, key=lambda n: list(m.columns).index(n) if n in m.columns else 99):
            c = m.columns.get(name)
            if c is None:
                continue
            out.append(
                f"  - {m.tool} `{name}` ({c['kind']}): "
                + (
                    f"{c['method']} {_fmt_num(c.get('score'))} vs threshold {_fmt_num(c.get('threshold'))}"
                    if c.get("method")
                    else "not compared"
                )
                + (f"; violations: {', '.join(c['checks'])}" if c.get("checks") else "; not flagged")
            )
    return out


def targets(measures: list[Measure], rows: int, drifted: list[str], undrifted: list[str]) -> list[str]:
    """PASS/FAIL lines for the targets at ``rows`` rows."""
    by = {m.tool: m for m in measures if m.rows == rows}
    ours, out = by.get(OURS), []
    if ours is None or ours.seconds is None or ours.status != "ok":
        return [f"- lifecycle_widgets has no result at {rows:,} rows: every target FAIL"]
    peer = by.get("evidently")
    if peer is None or peer.status in ("skipped", "failed") or peer.seconds is None:
        why = peer.note if peer is not None and peer.note else "not run"
        out.append(f"- speed vs Evidently: n/a (Evidently {why})")
    else:
        ratio = peer.seconds / ours.seconds
        bound = "≥ " if peer.status == "timeout" else ""
        ok = ratio >= SPEED_TARGET
        verdict = "PASS" if ok else ("UNKNOWN (Evidently timed out)" if peer.status == "timeout" else "FAIL")
        cpu = (
            f"; in CPU seconds {peer.cpu_seconds / ours.cpu_seconds:.1f}x"
            if peer.cpu_seconds and ours.cpu_seconds
            else ""
        )
        out.append(
            f"- speed vs Evidently: {peer.seconds:.2f} / {ours.seconds:.2f} s = {bound}{ratio:.1f}x "
            f"faster (target ≥ {SPEED_TARGET:g}x): {verdict}{cpu}"
        )
    read = by.get("read")
    if read is not None and read.peak_mb is not None and ours.peak_mb is not None:
        ratio = ours.peak_mb / read.peak_mb
        out.append(
            f"- peak memory vs reading both files into pandas: {ours.peak_mb:,.0f} / "
            f"{read.peak_mb:,.0f} MB = {ratio:.2f}x (target ≤ {MEMORY_TARGET:g}x): "
            f"{'PASS' if ratio <= MEMORY_TARGET else 'FAIL'}"
        )
    else:
        out.append("- peak memory vs reading alone: n/a (read not run)")
    s = score(ours, drifted, undrifted)
    if s is None:
        out += ["- no missed drifted columns: FAIL (no flags)", "- no false alarms: FAIL (no flags)"]
    else:
        out.append(f"- no missed drifted columns: missed {_names(s[0])}: {'PASS' if not s[0] else 'FAIL'}")
        out.append(f"- no false alarms: falsely flagged {_names(s[1])}: {'PASS' if not s[1] else 'FAIL'}")
    return out


def _load_note(measures: list[Measure]) -> str:
    load = max((m.load for m in measures), default=0.0)
    cores = os.cpu_count() or 1
    if load >= 0.5:
        return (
            f"Highest 1-minute load average seen before a run: {load:.2f} on {cores} cores: other "
            "processes were running, so the worst times are noisy; the best times and the CPU "
            "seconds are the ones to trust."
        )
    return f"Highest 1-minute load average seen before a run: {load:.2f} on {cores} cores."


def report(
    measures: list[Measure],
    args: argparse.Namespace,
    drifted: list[str],
    undrifted: list[str],
    ev_note: str,
    elapsed: float,
    command: str,
) -> str:
    versions = {LABELS[m.tool]: m.version for m in measures if m.version and m.tool != "read"}
    read_version = next((m.version for m in measures if m.tool == "read" and m.version), "")
    parts = [
        "# Drift detection benchmark",
        "",
        f"`{command}`",
        "",
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {os.cpu_count()} cores, "
        f"{mem_gib():.0f} GiB, {platform.platform()}, Python {platform.python_version()}.",
        f"Data: `credit(n, seed=0)` vs `credit_batch(n, seed=1)` plus 5 undrifted columns "
        f"(session_minutes, basket_value, items, channel, merchant with 5,000 levels), 20 columns, zstd "
        f"Parquet, {ROW_GROUP:,} rows per row group, the same rows on each side. Each run is a fresh "
        f"child process. Seconds: wall time of the job only (imports excluded), best of {args.repeat} "
        f"run(s) (Evidently: {args.evidently_repeat}), median and worst in brackets; the time ratios "
        "and targets use the best. CPU s: user + system time of all the child's threads in the job "
        "(best run). Peak RSS: the child's maximum RSS, imports included (RSS after the imports in "
        "brackets), median of the runs; it is the child's VmHWM (``ru_maxrss`` would carry the parent's "
        "peak over `exec`). Memory ratios are against `read both files` in the main venv.",
        f"Truth (`datasets.DRIFTED_COLUMNS`): drifted {_names(drifted)}; undrifted {_names(undrifted)}; "
        f"not scored: {', '.join(IGNORED)}. lifecycle_widgets' flags are `report.flagged_features` "
        "(any violation); Evidently's are its per-column drift results (`ValueDrift` score against "
        "its threshold).",
        _load_note(measures),
        f"Versions: main venv {read_version}; "
        + "; ".join(f"{k}: {v}" for k, v in versions.items() if not k.startswith("read"))
        + ".",
        "",
        table(measures, drifted, undrifted),
        "",
    ]
    for rows in args.rows:
        parts += [f"## {rows:,} rows", "", "Targets:", "", *targets(measures, rows, drifted, undrifted), ""]
        parts += ["Flags:", "", *details(measures, rows)]
        wrong = set()
        for m in measures:
            s = score(m, drifted, undrifted) if m.rows == rows else None
            if s:
                wrong |= set(s[0]) | set(s[1])
        if wrong:
            parts += [
                "- scores of the columns either tool got wrong (both tools shown):",
                *flag_reasons(measures, rows, wrong),
            ]
        parts.append("")
    if ev_note:
        parts += [f"Evidently: {ev_note}", ""]
    parts += [f"Benchmark wall time: {elapsed / 60:.1f} min.", ""]
    return "\n".join(parts)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--quick", action="store_true", help="10k rows only, one run each: a smoke check")
    ap.add_argument("--skip-evidently", action="store_true", help="leave Evidently out")
    ap.add_argument("--repeat", type=int, default=3, help="runs per job except Evidently (best kept)")
    ap.add_argument("--evidently-repeat", type=int, default=1, help="runs of the Evidently job")
    ap.add_argument(
        "--evidently-venv", type=Path, default=EV_VENV, help="venv for Evidently, created on first use"
    )
    ap.add_argument("--timeout", type=float, default=3600.0, help="seconds before a run is stopped")
    ap.add_argument("--output", type=Path, default=RESULTS / "drift.md")
    ap.add_argument("--child", choices=TOOLS, help=argparse.SUPPRESS)
    ap.add_argument("--make-data", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--ref", help=argparse.SUPPRESS)
    ap.add_argument("--cur", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        return run_child(args.child, args.ref, args.cur, args.out)
    if args.make_data is not None:
        write_data(args.make_data)
        return 0

    command = " ".join(
        [".venv/bin/python", "benchmarks/bench_drift.py", *(sys.argv[1:] if argv is None else argv)]
    )
    if args.quick:
        args.rows, args.repeat, args.evidently_repeat = [10_000], 1, 1
    args.rows = sorted(set(args.rows))
    tools = [t for t in TOOLS if not (args.skip_evidently and t in EV_TOOLS)]
    started = time.perf_counter()

    evpython, ev_note = None, ""
    if not args.skip_evidently:
        evpython, ev_note = peer_python(
            args.evidently_venv, EV_PACKAGES, "evidently, pyarrow", RESULTS / "evidently-install.log"
        )
        if evpython is None:
            log(f"Evidently is not available, going on without it: {ev_note}")
            print(f"Evidently is not available: {ev_note}", flush=True)
    else:
        ev_note = "skipped (--skip-evidently)"

    measures: list[Measure] = []
    plan = [(rows, tool) for rows in args.rows for tool in tools]
    for i, (rows, tool) in enumerate(plan, 1):
        ref, cur = ensure_data(rows)
        step = f"[{i}/{len(plan)}]"
        if tool in EV_TOOLS and evpython is None:
            measures.append(Measure(tool, rows, status="skipped", note="not installed"))
            continue
        repeat = args.evidently_repeat if tool == "evidently" else args.repeat
        measures.append(measure(tool, rows, ref, cur, repeat, evpython, args.timeout, step))

    drifted, undrifted = truth(ensure_data(args.rows[0])[0])
    text = report(measures, args, drifted, undrifted, ev_note, time.perf_counter() - started, command)
    print(text)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    log(f"written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
