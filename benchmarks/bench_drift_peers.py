"""False alarms, power and time of per-column drift decisions, beside Evidently and NannyML, on the
same batches.

One reference (``--reference-rows``, default 50,000) and, for each batch size (150, 1,000 and
10,000 rows), ``--batches`` batches of three scenarios, all written once to Parquet in
``benchmarks/results/drift_peers/`` and read by every tool:

- ``same``: drawn from the reference's own distribution. Every flagged (column, batch) pair is a
  false alarm; the table gives their share.
- ``shift``: ``normal`` moved by half its standard deviation. Power: the share of batches in
  which ``normal`` is flagged.
X
  the share of batches in which ``region`` is flagged.

The five columns: ``normal`` (N(50, 10)), ``amount`` (lognormal, sigma 1.3, skewness about 16,
5 % missing), ``visits`` (Poisson(3) counts), ``region`` (6 levels, shares 35 % to 3 %) and
``flag`` (0/1, 30 % ones).

Tools, each in a fresh child process with its own defaults and its own type inference:

- ``lifecycle_widgets``: ``Baseline.fit(reference)``, then ``baseline.check(batch)`` for each
  batch; a column is flagged when it has any violation (``report.flagged_features``: drift,
  completeness, domain, ...), a stricter count than the peers', which judge drift only.
- ``evidently``: ``Report([DataDriftPreset()]).run(batch, reference)`` for each batch, flags by
  Evidently's own rule on each ``ValueDrift`` (p-value tests below their threshold, distances at
  or above it). Its venv ``benchmarks/.venv-evidently`` pins ``pandas<3`` (see bench_drift.py).
  Evidently picks its method from the reference's size: above 1,000 rows Wasserstein distance
  (normed) for numbers and Jensen-Shannon for categories, both at 0.1, at every batch size; up
  to 1,000 rows K-S, chi-square or Z-test p-values below 0.05, with no correction.
- ``nannyml``: ``UnivariateDriftCalculator(column_names=..., chunk_size=n).fit(reference)`` then
  one ``calculate`` over the scenario's batches concatenated (one chunk per batch, as NannyML is
  meant to be used), flags from the ``alert`` column of its default method (Jensen-Shannon for
  both kinds) with its default threshold (mean + 3 standard deviations of the method's values
  on the reference's own chunks of the same size, each compared with the whole reference it is
  part of: with few reference chunks, as at 10,000-row batches of a 50,000-row reference, that
  threshold rests on a handful of values, and with one chunk or none it flags everything). Its venv ``benchmarks/.venv-nannyml`` pins
  ``pandas<3`` too, and installs statsmodels, which nannyml 0.13.1 imports without requiring it;
  usage logging is switched off (``NML_DISABLE_USAGE_LOGGING=1``).

Seconds are per batch (the scenario's total over its batches, best of ``--repeat`` runs), after
the fit; the fit is reported once. Results are printed and written to
``benchmarks/results/drift_peers.md`` (every flag of every batch to ``drift_peers.json``).

    .venv/bin/python benchmarks/bench_drift_peers.py             # 40 batches per cell, three tools
    .venv/bin/python benchmarks/bench_drift_peers.py --quick     # 8 batches per cell, a smoke check
    .venv/bin/python benchmarks/bench_drift_peers.py --skip nannyml
    .venv/bin/python benchmarks/bench_drift_peers.py --before cbb24c7   # and the package before
    .venv/bin/python benchmarks/bench_drift_peers.py --reference-rows 1000 \
        --output benchmarks/results/drift_peers_ref1000.md             # Evidently's small-reference tests

This file is also the child program, in every venv: it imports nothing but the standard library
at the top, and each child imports only what its job needs.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from _harness import cpu_seconds, log, mem_gib, peak_rss_mb, peer_python

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
DATA = RESULTS / "drift_peers"
OURS = "lifecycle_widgets"
PEERS = {
    "evidently": (HERE / ".venv-evidently", ["evidently", "pyarrow", "pandas<3"], "evidently, pyarrow"),
    # nannyml 0.13.1 imports statsmodels (plots/components/joy_plot.py) without requiring it
    "nannyml": (
        HERE / ".venv-nannyml",
        ["nannyml", "statsmodels", "pyarrow", "pandas<3"],
        "nannyml, pyarrow",
    ),
}
TOOLS = (OURS, "evidently", "nannyml")
COLUMNS = ("normal", "amount", "visits", "region", "flag")
SIZES = (150, 1_000, 10_000)
#: scenario -> the column that moved (None: nothing moved)
SCENARIOS = {"same": None, "shift": "normal", "category": "region"}
LEVELS = ("north", "south", "east", "west", "centre", "islands")
SHARES = (0.35, 0.25, 0.18, 0.12, 0.07, 0.03)
RESULT_PREFIX = "BENCH_RESULT "
DATA_VERSION = 2


# --- the data (parent side, main venv) -----------------------------------------------------------


def frame(n: int, seed: int, scenario: str = "same"):
    """``n`` rows of the five columns; ``scenario`` moves one of them (see the module doc)."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng([seed, 20_260_602])
    amount = rng.lognormal(3.0, 1.3, n)
    amount[rng.random(n) < 0.05] = np.nan
    out = pd.DataFrame(
        {
            "normal": rng.normal(50.0, 10.0, n),
            "amount": amount,
            "visits": rng.poisson(3.0, n),
            "region": np.asarray(LEVELS)[rng.choice(6, n, p=SHARES)],
            "flag": (rng.random(n) < 0.3).astype(np.int64),
        }
    )
    if scenario == "shift":
        out["normal"] += 5.0  # half a standard deviation
    elif scenario == "category":
        out.loc[rng.random(n) < 0.25, "region"] = "north"
    return out


def ensure_data(reference_rows: int, batches: int) -> Path:
    """Write the reference and every (scenario, size) file once; return their folder."""
    import pandas as pd

    folder = DATA / f"v{DATA_VERSION}_ref{reference_rows}_b{batches}"
    done = folder / "done"
    if done.exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    log(f"writing the reference ({reference_rows:,} rows) and {len(SCENARIOS) * len(SIZES)} batch files ...")
    frame(reference_rows, 0).to_parquet(folder / "reference.parquet", index=False)
    for s_index, scenario in enumerate(SCENARIOS):
        for n in SIZES:
            parts = [
                frame(n, 1_000_000 * (s_index + 1) + 1_000 * n + b, scenario).assign(batch=b)
                for b in range(batches)
            ]
            pd.concat(parts, ignore_index=True).to_parquet(folder / f"{scenario}_{n}.parquet", index=False)
    done.write_text("")
    return folder


# --- the child side: one tool over every file, result printed as JSON ----------------------------


def _evidently_flags(snapshot) -> tuple[list[str], dict[str, str]]:
    """Columns Evidently calls drifted, by its own rule (see bench_drift.py), and its methods."""
    flagged, methods = [], {}
    for metric in snapshot.dict()["metrics"]:
        config = metric.get("config", {})
        if not config.get("type", "").endswith("ValueDrift"):
            continue
        name, method, threshold = config["column"], config["method"], config["threshold"]
        score = float(metric["value"])
        methods[name] = method
        if "p_value" in method:
            drifted = score <= threshold if method.startswith("K-S") else score < threshold
        else:
            drifted = score >= threshold
        if drifted:
            flagged.append(name)
    return flagged, methods


def run_child(tool: str, folder: Path, repeat: int) -> int:
    import warnings

    import pandas as pd

    warnings.filterwarnings("ignore")
    reference = pd.read_parquet(folder / "reference.parquet")
    files = {(s, n): pd.read_parquet(folder / f"{s}_{n}.parquet") for s in SCENARIOS for n in SIZES}
    cells: dict[str, dict] = {}
    described: dict[str, str] = {}
    if tool == OURS:
        import lifecycle_widgets as lw

        version = f"lifecycle_widgets {lw.__version__}"
        t0 = time.perf_counter()
        base = lw.Baseline.fit(reference, progress=False)
        fit = time.perf_counter() - t0
        significance = base.constraints.get("lifecycle_widgets", {}).get("significance")
        evidence = (
            f" and chi-squared p < {significance['alpha']} ({significance['correction']})"
            if significance
            else ""
        )
        for rule in base.constraints["features"]:
            cfg = rule.get("monitoringConfigOverrides", {})
            method = cfg.get("comparison_method", "not compared")
            kind = base.feature(rule["name"]).kind
            described[rule["name"]] = f"{kind}: {method} > {cfg.get('comparison_threshold')}{evidence}"

        def decide(batches: list[pd.DataFrame]) -> list[list[str]]:
            return [list(base.check(b, progress=False).flagged_features) for b in batches]

    elif tool == "evidently":
        import evidently
        from evidently import Report
        from evidently.presets import DataDriftPreset

        version = f"evidently {evidently.__version__}, pandas {pd.__version__}"
        fit = 0.0  # Evidently has no fit: each report reads the reference again

        def decide(batches: list[pd.DataFrame]) -> list[list[str]]:
            out = []
            for b in batches:
                flagged, methods = _evidently_flags(Report([DataDriftPreset()]).run(b, reference))
                described.update({k: v for k, v in methods.items() if k not in described})
                out.append(flagged)
            return out

    elif tool == "nannyml":
        import nannyml as nml

        version = f"nannyml {nml.__version__}, pandas {pd.__version__}"
        calculators: dict[int, object] = {}
        t0 = time.perf_counter()
        for n in SIZES:
            calculators[n] = nml.UnivariateDriftCalculator(column_names=list(COLUMNS), chunk_size=n).fit(
                reference
            )
        fit = time.perf_counter() - t0
        calc = calculators[SIZES[0]]
        described = {
            **{
                c: f"continuous: {', '.join(calc.continuous_method_names)}"
                for c in calc.continuous_column_names
            },
            **{
                c: f"categorical: {', '.join(calc.categorical_method_names)}"
                for c in calc.categorical_column_names
            },
        }

        def decide_n(whole: pd.DataFrame, n: int) -> list[list[str]]:
            result = calculators[n].calculate(whole).filter(period="analysis").to_df()
            out = []
            for _, row in result.iterrows():
                out.append([c for c in COLUMNS if any(bool(row[(c, m, "alert")]) for m in _methods(calc, c))])
            return out

    else:
        raise SystemExit(f"unknown tool {tool!r}")
    for (scenario, n), data in files.items():
        batches = [
            g.drop(columns="batch").reset_index(drop=True) for _, g in data.groupby("batch", sort=True)
        ]
        best, flags = float("inf"), []
        for _ in range(repeat):
            t0, c0 = time.perf_counter(), cpu_seconds()
            if tool == "nannyml":
                flags = decide_n(data.drop(columns="batch").reset_index(drop=True), n)
            else:
                flags = decide(batches)
            seconds, cpu = time.perf_counter() - t0, cpu_seconds() - c0
            best = min(best, seconds)
        cells[f"{scenario}_{n}"] = {
            "seconds": best,
            "cpu_seconds": cpu,
            "batches": len(batches),
            "flags": flags,
        }
    result = {
        "version": version,
        "fit_seconds": fit,
        "peak_rss_mb": peak_rss_mb(),
        "described": described,
        "cells": cells,
    }
    print(RESULT_PREFIX + json.dumps(result), flush=True)
    return 0


def _methods(calc, column: str) -> list[str]:
    """NannyML's method names for a column of its kind."""
    if column in calc.continuous_column_names:
        return list(calc.continuous_method_names)
    return list(calc.categorical_method_names)


# --- the parent side ---------------------------------------------------------------------------


def before(rev: str) -> Path:
    """A copy of the package as it was at git revision ``rev`` (``git archive``), for PYTHONPATH."""
    target = DATA / f"before-{rev}"
    if not (target / "lifecycle_widgets" / "__init__.py").exists():
        target.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(
            ["git", "archive", rev, "lifecycle_widgets"], cwd=HERE.parent, capture_output=True, check=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    return target


def measure(
    tool: str,
    python: Path,
    folder: Path,
    repeat: int,
    timeout: float,
    *,
    label: str = "",
    path: Path | None = None,
) -> dict:
    """One fresh child for one tool; its result dict, or {"status": ..., "note": ...}. ``path``
    goes first on PYTHONPATH (an older copy of the package)."""
    env = dict(
        os.environ, NML_DISABLE_USAGE_LOGGING="1", PYTHONHASHSEED="0", LIFECYCLE_WIDGETS_DISPLAY="static"
    )
    if path is not None:
        env["PYTHONPATH"] = str(path)
    cmd = [
        str(python),
        str(Path(__file__).resolve()),
        "--child",
        tool,
        "--data",
        str(folder),
        "--repeat",
        str(repeat),
    ]
    log_file = RESULTS / "logs" / f"drift_peers_{(label or tool).replace(' ', '_')}.log"
    log_file.parent.mkdir(parents=True, exist_ok=True)
    log(f"{tool}: running (log: {log_file}) ...")
    with log_file.open("w") as err:
        err.write(f"$ {' '.join(cmd)}\n")
        err.flush()
        try:
            proc = subprocess.run(
                cmd, stdout=subprocess.PIPE, stderr=err, text=True, timeout=timeout, env=env, cwd=HERE
            )
        except subprocess.TimeoutExpired:
            return {"status": "timeout", "note": f"stopped after {timeout:.0f} s"}
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith(RESULT_PREFIX)]
    if proc.returncode != 0 or not lines:
        tail = log_file.read_text(errors="replace").strip().splitlines()[-3:]
        return {"status": "failed", "note": f"exit {proc.returncode}: " + " | ".join(tail)[-300:]}
    return {"status": "ok", **json.loads(lines[-1][len(RESULT_PREFIX) :])}


def rates(result: dict, scenario: str, n: int) -> tuple[float, float | None, float]:
    """(share of flagged (column, batch) pairs among the unmoved columns, share of batches with
    the moved column flagged or None, seconds per batch)."""
    cell = result["cells"][f"{scenario}_{n}"]
    moved = SCENARIOS[scenario]
    still = [c for c in COLUMNS if c != moved]
    flags = cell["flags"]
    false = sum(len(set(f) & set(still)) for f in flags) / (len(flags) * len(still))
    power = None if moved is None else sum(moved in f for f in flags) / len(flags)
    return false, power, cell["seconds"] / cell["batches"]


def _pct(x: float | None) -> str:
    return "" if x is None else f"{100 * x:.1f} %"


def table(results: dict[str, dict]) -> str:
    head = (
        "| tool | batch rows | false alarms, same distribution | false alarms, other columns of the "
        "moved batches | power: normal +0.5 sd | power: region 25 % to north | ms per batch | time vs "
        "lifecycle_widgets |"
    )
    lines = [head, "|---|---:|---:|---:|---:|---:|---:|---:|"]
    ours = results.get(OURS, {})
    for tool, r in results.items():
        if r["status"] != "ok":
            lines.append(f"| {tool} | | {r['status']}: {r.get('note', '')} | | | | | |")
            continue
        for n in SIZES:
            same, _, t_same = rates(r, "same", n)
            f_shift, p_shift, t_shift = rates(r, "shift", n)
            f_cat, p_cat, t_cat = rates(r, "category", n)
            per_batch = (t_same + t_shift + t_cat) / 3
            ratio = ""
            if ours.get("status") == "ok":
                mine = sum(rates(ours, s, n)[2] for s in SCENARIOS) / 3
                ratio = f"{per_batch / mine:.1f}x"
            lines.append(
                f"| {tool} | {n:,} | {_pct(same)} | {_pct((f_shift + f_cat) / 2)} | {_pct(p_shift)} "
                f"| {_pct(p_cat)} | {1000 * per_batch:.1f} | {ratio} |"
            )
    return "\n".join(lines)


def report(results: dict[str, dict], args: argparse.Namespace, command: str, elapsed: float) -> str:
    load = os.getloadavg()[0]
    parts = [
        "# Drift decisions beside Evidently and NannyML: false alarms, power, time",
        "",
        f"`{command}`",
        "",
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {os.cpu_count()} cores, {mem_gib():.0f} GiB, "
        f"{platform.platform()}, Python {platform.python_version()}; 1-minute load at the end {load:.2f}.",
        f"Reference: {args.reference_rows:,} rows; {args.batches} batches per (scenario, size); the same "
        "Parquet files for every tool. False alarms: the share of flagged (column, batch) pairs among "
        "columns that did not move. Power: the share of batches in which the moved column is flagged. "
        f"Time: wall seconds per batch after the fit, best of {args.repeat} run(s), mean of the three scenarios.",
        "",
        table(results),
        "",
        "Fit (once per reference), versions and what each tool did with each column:",
        "",
    ]
    for tool, r in results.items():
        if r["status"] != "ok":
            continue
        parts.append(
            f"- {tool} ({r['version']}): fit {r['fit_seconds']:.2f} s, peak RSS {r['peak_rss_mb']:,.0f} MB"
        )
        for column in COLUMNS:
            parts.append(f"  - `{column}`: {r['described'].get(column, '?')}")
    parts += ["", f"Benchmark wall time: {elapsed / 60:.1f} min.", ""]
    return "\n".join(parts)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reference-rows", type=int, default=50_000)
    ap.add_argument("--batches", type=int, default=40, help="batches per (scenario, size)")
    ap.add_argument("--repeat", type=int, default=1, help="runs of each tool over the files (best kept)")
    ap.add_argument("--quick", action="store_true", help="8 batches per cell: a smoke check")
    ap.add_argument("--skip", nargs="*", default=[], choices=["evidently", "nannyml"])
    ap.add_argument("--timeout", type=float, default=7200.0)
    ap.add_argument(
        "--before",
        metavar="REV",
        help="also run lifecycle_widgets as it was at git revision REV (git archive)",
    )
    ap.add_argument("--output", type=Path, default=RESULTS / "drift_peers.md")
    ap.add_argument("--child", choices=TOOLS, help=argparse.SUPPRESS)
    ap.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        return run_child(args.child, args.data, args.repeat)
    command = " ".join(
        [".venv/bin/python", "benchmarks/bench_drift_peers.py", *(sys.argv[1:] if argv is None else argv)]
    )
    if args.quick:
        args.batches = 8
    started = time.perf_counter()
    folder = ensure_data(args.reference_rows, args.batches)
    results: dict[str, dict] = {OURS: measure(OURS, Path(sys.executable), folder, args.repeat, args.timeout)}
    if args.before:
        label = f"{OURS} at {args.before}"
        results[label] = measure(
            OURS,
            Path(sys.executable),
            folder,
            args.repeat,
            args.timeout,
            label=label,
            path=before(args.before),
        )
    for tool, (venv, packages, imports) in PEERS.items():
        if tool in args.skip:
            results[tool] = {"status": "skipped", "note": "--skip"}
            continue
        python, why = peer_python(venv, packages, imports, RESULTS / f"{tool}-install.log")
        if python is None:
            log(f"{tool} is not available, going on without it: {why}")
            results[tool] = {"status": "not installed", "note": why}
            continue
        results[tool] = measure(tool, python, folder, args.repeat, args.timeout)
    text = report(results, args, command, time.perf_counter() - started)
    print(text)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    args.output.with_suffix(".json").write_text(json.dumps(results, indent=1))  # every flag, per batch
    log(f"written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
