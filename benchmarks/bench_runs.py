"""Benchmark experiment tracking: lifecycle_widgets' ``RunStore`` against MLflow's client, on one
SQLite file each, with the same workload.

Jobs, each in a fresh child process (wall seconds of the job, CPU seconds, peak RSS of the child):

- ``log``: N runs (default 10,000) in one experiment, one after another in one process; each run
  logs 10 parameters, 5 metrics, and one metric ("loss") at 10 steps, one call per step:
  ``with store.start_run(experiment=...)`` + ``run.log_params`` + ``run.log_metrics`` for
  lifecycle_widgets; ``with mlflow.start_run()`` + ``mlflow.log_params`` + ``mlflow.log_metrics``
  for MLflow (tracking URI ``sqlite:///...``). Also, for lifecycle_widgets only, the same runs
  opened with ``store.create_run(..., capture_environment=False)`` + ``run.end()``, to separate
  the store's own cost from the environment capture that ``start_run`` does for every run.
  Reported: seconds, runs/s, the store's size on disk (database + WAL after the child exits);
- ``load``: every run back with its parameters and latest metrics, as objects
  (``store.runs(experiment=...)`` vs ``MlflowClient.search_runs`` in pages of 1,000) and as a
  DataFrame (``store.runs(...).to_frame()`` vs ``mlflow.search_runs(experiment_ids=[...],
  max_results=N)``), and one run's metric history (``store.metric_history`` vs
  ``MlflowClient.get_metric_history``), first call and median of 20. The loaded values are
  checked against the workload (so a tool that loses data fails instead of looking fast);
- ``compare`` (lifecycle_widgets only): ``lw.compare(runs)`` for all N runs, the bytes of the
  panel's initial widget state (``ipywidgets.embed.dependency_state``), and a few interactions
  (sort, filter, select three runs, open the other two tabs) with the state size after them.

MLflow pins an older pyarrow than this project, so it runs in its own venv,
``benchmarks/.venv-mlflow`` (git-ignored), created with ``pip install mlflow`` on first use (log:
``results/mlflow-install.log``). The children run with the project root as working directory, so
both tools find the git commit as a user's script in this repo would (lifecycle_widgets records it
with the environment of every run; MLflow tags the run with it).

    .venv/bin/python benchmarks/bench_runs.py                  # 10,000 runs, both tools
    .venv/bin/python benchmarks/bench_runs.py --quick          # 500 runs: a smoke check
    .venv/bin/python benchmarks/bench_runs.py --runs 2000 --skip-mlflow
    .venv/bin/python benchmarks/bench_runs.py --jobs 2         # both log jobs at once (noisier)

The log jobs run one after the other by default: on 2 cores shared with anything else, a second
logging process changes the other's wall time several-fold (see README_runs.md).

The table (ratios are MLflow / lifecycle_widgets) is printed and written to
``benchmarks/results/runs.md``; the raw results to ``results/runs.json``, the stores to
``results/runs_<N>/`` and each child's stderr to ``results/logs/``.

This file is also the child program, in either venv: it imports nothing but the standard library
at the top, and each child imports only what its job needs.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from _harness import cpu_seconds, log, maxrss_mb, mem_gib, peak_rss_mb, peer_python

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
ML_VENV = HERE / ".venv-mlflow"
ML_PACKAGES = ["mlflow"]
RESULT_PREFIX = "BENCH_RESULT "
EXPERIMENT = "bench-runs"
OURS, ML, OURS_NOENV = "lifecycle_widgets", "mlflow", "lifecycle_widgets-noenv"
HISTORY_CALLS = 20
PAGE = 1000  # MlflowClient.search_runs page size (its default max_results)


# --- the workload: the same values in both venvs (standard library only) -------------------------


def workload(i: int) -> tuple[dict, dict, list[float]]:
    """Run ``i``'s 10 parameters, 5 final metrics and 10 loss values (steps 0..9)."""
    rng = random.Random(i)
    params = {
        "trial": i,  # unique: lets the load check match every run to its logged values
        "model": ("random_forest", "gradient_boosting", "logistic_regression")[i % 3],
        "max_depth": 2 + i % 9,
        "n_estimators": (100, 200, 500)[(i // 3) % 3],
        "learning_rate": (0.01, 0.03, 0.1, 0.3)[i % 4],
        "subsample": (0.6, 0.8, 1.0)[(i // 9) % 3],
        "min_samples_leaf": (1, 5, 20)[(i // 27) % 3],
        "seed": i % 5,
        "features": "credit-v3",
        "cv_folds": 5,
    }
    auc = 0.7 + 0.25 * rng.random()
    metrics = {
        "auc": auc,
        "accuracy": 0.6 + 0.3 * rng.random(),
        "f1": 0.5 + 0.4 * rng.random(),
        "precision": 0.5 + 0.4 * rng.random(),
        "recall": 0.5 + 0.4 * rng.random(),
    }
    start = 0.7 + 0.2 * rng.random()
    losses = [start / (1 + 0.4 * s) + 0.01 * rng.random() for s in range(10)]
    return params, metrics, losses


def _param_text(v: object) -> str:
    return v if isinstance(v, str) else str(v)  # both tools store 100 as "100", 0.1 as "0.1"


def check_run(params: dict, metrics: dict) -> str:
    """'' if a loaded run's parameters and latest metrics are the ones logged, else what differs."""
    if "trial" not in params:
        return "no trial parameter"
    want_p, want_m, losses = workload(int(params["trial"]))
    want_p = {k: _param_text(v) for k, v in want_p.items()}
    got_p = {k: str(v) for k, v in params.items()}
    if got_p != want_p:
        return f"params {got_p} != {want_p}"
    want_m = {**want_m, "loss": losses[-1]}
    if set(metrics) != set(want_m) or any(abs(float(metrics[k]) - want_m[k]) > 1e-12 for k in want_m):
        return f"metrics {metrics} != {want_m}"
    return ""


# --- the child side: one job in this process, result printed as JSON ----------------------------


def _progress(i: int, n: int, t0: float) -> None:
    if n >= 10 and (i + 1) % (n // 10) == 0:
        el = time.perf_counter() - t0
        print(f"  {i + 1:,}/{n:,} runs, {el:.1f} s, {(i + 1) / el:.1f} runs/s", file=sys.stderr, flush=True)


def child_log(tool: str, db: Path, n: int) -> dict:
    if tool in (OURS, OURS_NOENV):
        import lifecycle_widgets as lw

        version = f"lifecycle_widgets {lw.__version__}"
        import_rss = peak_rss_mb()
        t0 = time.perf_counter()
        store = lw.RunStore(db)
        setup = time.perf_counter() - t0
        t0, cpu0 = time.perf_counter(), cpu_seconds()
        for i in range(n):
            params, metrics, losses = workload(i)
            if tool == OURS:
                with store.start_run(experiment=EXPERIMENT) as run:
                    run.log_params(params)
                    run.log_metrics(metrics)
                    for step, loss in enumerate(losses):
                        run.log_metrics({"loss": loss}, step=step)
            else:
                run = store.create_run(experiment=EXPERIMENT, capture_environment=False)
                run.log_params(params)
                run.log_metrics(metrics)
                for step, loss in enumerate(losses):
                    run.log_metrics({"loss": loss}, step=step)
                run.end()
            _progress(i, n, t0)
        seconds = time.perf_counter() - t0
        store.close()
    elif tool == ML:
        import logging

        import mlflow

        logging.getLogger("mlflow").setLevel(logging.WARNING)
        version = f"mlflow {mlflow.__version__}"
        import_rss = peak_rss_mb()
        t0 = time.perf_counter()
        mlflow.set_tracking_uri(f"sqlite:///{db}")
        exp_id = mlflow.create_experiment(EXPERIMENT, artifact_location=str(db.parent / "mlflow-artifacts"))
        mlflow.set_experiment(experiment_id=exp_id)
        setup = time.perf_counter() - t0  # creates the schema: about 10 s of migrations
        t0, cpu0 = time.perf_counter(), cpu_seconds()
        for i in range(n):
            params, metrics, losses = workload(i)
            with mlflow.start_run():
                mlflow.log_params(params)
                mlflow.log_metrics(metrics)
                for step, loss in enumerate(losses):
                    mlflow.log_metrics({"loss": loss}, step=step)
            _progress(i, n, t0)
        seconds = time.perf_counter() - t0
    else:
        raise SystemExit(f"unknown tool {tool!r}")
    return {
        "seconds": seconds,
        "cpu_seconds": cpu_seconds() - cpu0,
        "setup_seconds": setup,
        "import_rss_mb": import_rss,
        "version": version,
    }


def _median_call(fn) -> tuple[float, float]:
    """(first call, median of the next HISTORY_CALLS calls) in seconds."""
    t0 = time.perf_counter()
    fn()
    first = time.perf_counter() - t0
    times = []
    for _ in range(HISTORY_CALLS):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return first, statistics.median(times)


def child_load(tool: str, db: Path, n: int) -> dict:
    if tool == OURS:
        import pandas as pd

        import lifecycle_widgets as lw

        version = f"lifecycle_widgets {lw.__version__}, pandas {pd.__version__}"
        import_rss = peak_rss_mb()
        store = lw.RunStore(db)  # opened before the clock, as MLflow's engine is below
        t0, cpu0 = time.perf_counter(), cpu_seconds()
        runs = store.runs(experiment=EXPERIMENT)
        objects = time.perf_counter() - t0
        loaded = [(r.params, r.metrics) for r in runs.runs]
        t0 = time.perf_counter()
        frame = store.runs(experiment=EXPERIMENT).to_frame()
        as_frame = time.perf_counter() - t0
        frame_shape = list(frame.shape)
        middle = next(r.id for r in runs.runs if r.params.get("trial") == str(n // 2))
        history = store.metric_history(middle, "loss")
        first, median = _median_call(lambda: store.metric_history(middle, "loss"))
        history_values = [v for _, v in history]
    elif tool == ML:
        import logging

        import mlflow
        from mlflow.tracking import MlflowClient

        logging.getLogger("mlflow").setLevel(logging.WARNING)
        version = f"mlflow {mlflow.__version__}"
        import_rss = peak_rss_mb()
        mlflow.set_tracking_uri(f"sqlite:///{db}")
        client = MlflowClient()
        exp_id = client.get_experiment_by_name(EXPERIMENT).experiment_id  # engine made before the clock
        t0, cpu0 = time.perf_counter(), cpu_seconds()
        found, token = [], None
        while True:
            page = client.search_runs([exp_id], max_results=PAGE, page_token=token)
            found.extend(page)
            token = page.token
            if not token:
                break
        objects = time.perf_counter() - t0
        loaded = [(r.data.params, r.data.metrics) for r in found]
        t0 = time.perf_counter()
        frame = mlflow.search_runs(experiment_ids=[exp_id], max_results=n)
        as_frame = time.perf_counter() - t0
        frame_shape = list(frame.shape)
        middle = next(r.info.run_id for r in found if r.data.params.get("trial") == str(n // 2))
        history = client.get_metric_history(middle, "loss")
        first, median = _median_call(lambda: client.get_metric_history(middle, "loss"))
        history_values = [m.value for m in sorted(history, key=lambda m: (m.step, m.timestamp))]
    else:
        raise SystemExit(f"unknown tool {tool!r}")
    cpu = cpu_seconds() - cpu0
    problems = [p for p in (check_run(dict(p), dict(m)) for p, m in loaded) if p]
    trials = {int(p["trial"]) for p, _ in loaded if "trial" in p}
    if len(loaded) != n or trials != set(range(n)):
        problems.insert(0, f"loaded {len(loaded):,} runs ({len(trials):,} distinct trials), expected {n:,}")
    if history_values != workload(n // 2)[2]:
        problems.append(f"metric history {history_values} != {workload(n // 2)[2]}")
    return {
        "seconds": objects,
        "frame_seconds": as_frame,
        "frame_shape": frame_shape,
        "history_first_ms": first * 1e3,
        "history_median_ms": median * 1e3,
        "cpu_seconds": cpu,
        "import_rss_mb": import_rss,
        "version": version,
        "problems": problems[:5],
        "problem_count": len(problems),
    }


def _state_bytes(widget) -> tuple[int, int]:
    """Bytes and widget count of the JSON state of ``widget`` and every widget it refers to."""
    from ipywidgets.embed import dependency_state

    state = dependency_state(widget, drop_defaults=False)
    text = json.dumps(state, ensure_ascii=False, allow_nan=False, default=str)
    return len(text.encode("utf8")), len(state)


def child_compare(db: Path, n: int) -> dict:
    import ipywidgets
    import ipywidgets.embed
    import plotly

    import lifecycle_widgets as lw
    import lifecycle_widgets.panels

    version = f"lifecycle_widgets {lw.__version__}, ipywidgets {ipywidgets.__version__}, plotly {plotly.__version__}"
    runs = lw.RunStore(db).runs(experiment=EXPERIMENT)
    import_rss = peak_rss_mb()
    out: dict = {"version": version, "import_rss_mb": import_rss}
    t0, cpu0 = time.perf_counter(), cpu_seconds()
    panel = lw.compare(runs)
    out["seconds"] = time.perf_counter() - t0
    out["cpu_seconds"] = cpu_seconds() - cpu0
    t0 = time.perf_counter()
    out["state_bytes"], out["state_widgets"] = _state_bytes(panel)
    out["state_seconds"] = time.perf_counter() - t0
    out["picker_options"] = len(panel.picker.options)
    # the first FigureWidget of a kernel imports plotly's widget layer (anywidget): a one-time cost,
    # timed apart so that the tab's own time is what grows with the runs
    t0 = time.perf_counter()
    import plotly.basewidget

    out["figurewidget_import_seconds"] = time.perf_counter() - t0
    out["table_bytes"] = len(panel.table.value.encode("utf8"))
    steps = {
        "sort": lambda: setattr(panel.sort, "value", "metric.auc"),
        "filter": lambda: setattr(panel.filter, "value", "gradient"),
        "select": lambda: panel.select([r.id for r in runs.runs[:3]]),
        "tab_selected": lambda: setattr(panel.tabs, "selected_index", 1),
        "tab_parameter": lambda: setattr(panel.tabs, "selected_index", 2),
    }
    for name, step in steps.items():
        t0 = time.perf_counter()
        step()
        out[f"{name}_seconds"] = time.perf_counter() - t0
    out["state_after_bytes"], out["state_after_widgets"] = _state_bytes(panel)
    return out


def run_child(job: str, tool: str, db: Path, n: int) -> int:
    if job == "log":
        result = child_log(tool, db, n)
    elif job == "load":
        result = child_load(tool, db, n)
    elif job == "compare":
        result = child_compare(db, n)
    else:
        raise SystemExit(f"unknown job {job!r}")
    result.update(peak_rss_mb=peak_rss_mb(), ru_maxrss_mb=maxrss_mb())
    print(RESULT_PREFIX + json.dumps(result), flush=True)
    return 0


# --- the parent side ---------------------------------------------------------------------------


@dataclass
class Measure:
    job: str
    tool: str
    status: str = "ok"  # ok, failed, timeout, skipped
    note: str = ""
    results: list[dict] = field(default_factory=list)  # one per repeat
    db_bytes: int | None = None
    load: float = 0.0  # highest 1-minute load average seen just before a run

    def best(self, key: str = "seconds") -> float | None:
        vals = [r[key] for r in self.results if r.get(key) is not None]
        return min(vals) if vals else None

    def median(self, key: str) -> float | None:
        vals = [r[key] for r in self.results if r.get(key) is not None]
        return statistics.median(vals) if vals else None

    def first(self, key: str):
        return self.results[0].get(key) if self.results else None


def db_bytes(db: Path) -> int:
    """The store on disk: the database file and its WAL, if one is left."""
    return sum(p.stat().st_size for p in (db, Path(f"{db}-wal"), Path(f"{db}-journal")) if p.exists())


def run_once(job: str, tool: str, db: Path, n: int, python: Path, timeout: float, log_file: Path) -> dict:
    env = dict(
        os.environ,
        LIFECYCLE_WIDGETS_DISPLAY="static",
        PYTHONHASHSEED="0",
        MLFLOW_TRACKING_URI=f"sqlite:///{db}",
        GIT_PYTHON_REFRESH="quiet",
    )
    cmd = [
        str(python),
        str(Path(__file__).resolve()),
        "--child",
        job,
        "--tool",
        tool,
        "--db",
        str(db),
        "--runs",
        str(n),
    ]
    t0 = time.perf_counter()
    with log_file.open("a") as err:
        err.write(f"$ {' '.join(cmd)}\n")
        err.flush()
        try:
            proc = subprocess.run(
                cmd, stdout=subprocess.PIPE, stderr=err, text=True, timeout=timeout, cwd=ROOT, env=env
            )
        except subprocess.TimeoutExpired:
            return {
                "status": "timeout",
                "note": f"stopped after {timeout:.0f} s",
                "process_seconds": time.perf_counter() - t0,
            }
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith(RESULT_PREFIX)]
    if proc.returncode != 0 or not lines:
        tail = log_file.read_text().strip().splitlines()[-3:]
        return {"status": "failed", "note": f"exit code {proc.returncode}: " + " | ".join(tail)[-300:]}
    result = json.loads(lines[-1][len(RESULT_PREFIX) :])
    result["process_seconds"] = time.perf_counter() - t0
    return result


def measure(
    job: str, tool: str, db: Path, n: int, python: Path, repeat: int, timeout: float, step: str
) -> Measure:
    m = Measure(job, tool)
    log_file = RESULTS / "logs" / f"runs_{job}_{tool}_{n}.log"
    log_file.parent.mkdir(parents=True, exist_ok=True)
    log_file.write_text("")
    for i in range(repeat):
        load = os.getloadavg()[0]
        m.load = max(m.load, load)
        log(f"{step} {job} {tool}, {n:,} runs, run {i + 1}/{repeat} (load {load:.2f}) ...")
        r = run_once(job, tool, db, n, python, timeout, log_file)
        if r.get("status") in ("failed", "timeout"):
            m.status, m.note = r["status"], r["note"]
            log(f"    {m.status}: {m.note}")
            return m
        m.results.append(r)
        extra = f", {r['problem_count']} problems" if "problem_count" in r else ""
        log(f"    {r['seconds']:.2f} s, CPU {r['cpu_seconds']:.2f} s, peak {r['peak_rss_mb']:.0f} MB{extra}")
    if job == "log":
        m.db_bytes = db_bytes(db)
    return m


# --- the report ---------------------------------------------------------------------------------


def _s(x: float | None, fmt: str = "{:.2f}") -> str:
    return "—" if x is None else fmt.format(x)


def _ratio(ml: float | None, ours: float | None) -> str:
    if ml is None or ours is None or ours == 0:
        return ""
    r = ml / ours
    return f"{r:.2f}x" if r >= 0.01 else f"{r:.2g}x"


def _status(m: Measure | None) -> str:
    if m is None:
        return "not run"
    return m.status + (f" ({m.note})" if m.note else "")


def table(ms: dict[tuple[str, str], Measure], n: int) -> str:

    def val(job: str, tool: str, fn) -> float | None:
        m = ms.get((job, tool))
        return fn(m) if m is not None and m.status == "ok" and m.results else None

    def cell(job: str, tool: str, fn, fmt: str) -> str:
        m = ms.get((job, tool))
        if m is None:
            return "—"
        if m.status != "ok":
            return _status(m)
        return _s(fn(m), fmt)

    def add(
        label: str, job: str, fn, fmt: str = "{:.2f}", ours_tool: str = OURS, ml_tool: str | None = ML
    ) -> None:
        o = cell(job, ours_tool, fn, fmt)
        p = cell(job, ml_tool, fn, fmt) if ml_tool else "—"
        r = _ratio(val(job, ml_tool, fn), val(job, ours_tool, fn)) if ml_tool else ""
        lines.append(f"| {label} | {o} | {p} | {r} |")

    mb = 1024 * 1024
    lines = ["| measure | lifecycle_widgets | MLflow | MLflow / lifecycle_widgets |", "|---|---:|---:|---:|"]
    add(f"log {n:,} runs (`start_run`): seconds", "log", lambda m: m.best())
    add("log: runs per second", "log", lambda m: n / m.best(), "{:,.1f}")
    add("log: ms per run", "log", lambda m: m.best() / n * 1e3, "{:.1f}")
    add("log: CPU seconds", "log", lambda m: m.best("cpu_seconds"))
    add(
        "log: store size on disk, MB",
        "log",
        lambda m: m.db_bytes / mb if m.db_bytes is not None else None,
        "{:.1f}",
    )
    add("log: peak RSS MB", "log", lambda m: m.first("peak_rss_mb"), "{:.0f}")
    add(
        "create the empty store: seconds (not in the log time)",
        "log",
        lambda m: m.first("setup_seconds"),
        "{:.2f}",
    )
    add(
        f"log {n:,} runs, `create_run(capture_environment=False)`: seconds",
        "log",
        lambda m: m.best(),
        ours_tool=OURS_NOENV,
    )
    add("… runs per second", "log", lambda m: n / m.best(), "{:,.1f}", ours_tool=OURS_NOENV)
    add(
        "… store size on disk, MB",
        "log",
        lambda m: m.db_bytes / mb if m.db_bytes is not None else None,
        "{:.1f}",
        ours_tool=OURS_NOENV,
    )
    add(
        f"load all {n:,} runs as objects: seconds (`store.runs` / `MlflowClient.search_runs`, pages of {PAGE:,})",
        "load",
        lambda m: m.best(),
    )
    add(
        f"load all {n:,} runs as a DataFrame: seconds (`.to_frame()` / `mlflow.search_runs`)",
        "load",
        lambda m: m.best("frame_seconds"),
    )
    add(
        "one run's metric history (10 steps): ms, first call",
        "load",
        lambda m: m.best("history_first_ms"),
        "{:.2f}",
    )
    add(
        f"one run's metric history: ms, median of {HISTORY_CALLS} calls",
        "load",
        lambda m: m.best("history_median_ms"),
        "{:.2f}",
    )
    add("load: peak RSS MB", "load", lambda m: m.median("peak_rss_mb"), "{:.0f}")
    add(
        "load: runs back that match what was logged",
        "load",
        lambda m: n - (m.first("problem_count") or 0) if m.first("problem_count") is not None else None,
        "{:,.0f}",
    )
    add(f"`lw.compare(runs)` for {n:,} runs: seconds", "compare", lambda m: m.best(), ml_tool=None)
    add(
        "… initial widget state (`dependency_state`): kB",
        "compare",
        lambda m: m.first("state_bytes") / 1000,
        "{:,.1f}",
        ml_tool=None,
    )
    add("… widgets in that state", "compare", lambda m: m.first("state_widgets"), "{:.0f}", ml_tool=None)
    add("… sort by a metric: seconds", "compare", lambda m: m.best("sort_seconds"), ml_tool=None)
    add("… filter by text: seconds", "compare", lambda m: m.best("filter_seconds"), ml_tool=None)
    add("… select 3 runs: seconds", "compare", lambda m: m.best("select_seconds"), ml_tool=None)
    add(
        "… first import of plotly's FigureWidget (once per kernel): seconds",
        "compare",
        lambda m: m.best("figurewidget_import_seconds"),
        ml_tool=None,
    )
    add(
        "… open 'Compare selected' (step curves), after that import: seconds",
        "compare",
        lambda m: m.best("tab_selected_seconds"),
        ml_tool=None,
    )
    add(
        "… open 'By parameter' (3 charts of all runs): seconds",
        "compare",
        lambda m: m.best("tab_parameter_seconds"),
        ml_tool=None,
    )
    add(
        "… widget state after all that: kB",
        "compare",
        lambda m: m.first("state_after_bytes") / 1000,
        "{:,.1f}",
        ml_tool=None,
    )
    add("… peak RSS MB", "compare", lambda m: m.median("peak_rss_mb"), "{:.0f}", ml_tool=None)
    return "\n".join(lines)


def code_state() -> str:
    """The commit of the repository, and whether lifecycle_widgets/ has uncommitted changes."""
    try:
        head = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=20,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain", "--", "lifecycle_widgets"],
            capture_output=True,
            text=True,
            timeout=20,
        ).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return "commit unknown"
    if not head:
        return "commit unknown"
    return f"commit `{head}`" + (
        ", lifecycle_widgets/ with uncommitted changes" if dirty else ", lifecycle_widgets/ as committed"
    )


def report(
    ms: dict[tuple[str, str], Measure],
    args: argparse.Namespace,
    ml_note: str,
    elapsed: float,
    command: str,
    code: str = "",
) -> str:
    n = args.runs
    found = {r["version"] for m in ms.values() for r in m.results[:1] if r.get("version")}
    versions = sorted(v for v in found if not any(w != v and w.startswith(v) for w in found))
    load = max((m.load for m in ms.values()), default=0.0)
    problems = [
        f"- {m.tool} {m.job}: {m.first('problem_count')} runs differ, e.g. {m.first('problems')[:2]}"
        for m in ms.values()
        if m.results and m.first("problem_count")
    ]
    failed = [f"- {m.tool} {m.job}: {_status(m)}" for m in ms.values() if m.status != "ok"]
    parts = [
        "# Experiment tracking benchmark",
        "",
        f"`{command}`",
        "",
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {os.cpu_count()} cores, {mem_gib():.0f} GiB, "
        f"{platform.platform()}, Python {platform.python_version()}. Versions: {'; '.join(versions)}. "
        f"Code at the start: {code}.",
        f"Workload: {n:,} runs in one experiment, one process, one after another; each run 10 "
        "parameters (one call), 5 metrics (one call) and `loss` at steps 0–9 (10 calls). Each job "
        f"is a fresh child process; logging runs once (a fresh store), loading {args.repeat} time(s) "
        "(best kept). Seconds exclude imports and creating the empty store; peak RSS is the child's "
        "VmHWM, imports included. Ratios are MLflow / lifecycle_widgets: above 1 means MLflow takes "
        "longer (or more bytes); for runs per second, below 1 means MLflow logs fewer.",
        f"Highest 1-minute load average before a job: {load:.2f} on {os.cpu_count()} cores"
        + (" (other processes were running: read the CPU seconds too)." if load >= 0.5 else "."),
        *(
            [
                "The log jobs of the two tools ran at the same time (`--jobs 2`), one single-threaded child "
                "each on 2 cores; the loads and the panel ran alone."
            ]
            if args.jobs == 2
            else []
        ),
        "",
        table(ms, n),
        "",
    ]
    if problems or failed:
        parts += ["Problems:", "", *failed, *problems, ""]
    if ml_note:
        parts += [f"MLflow: {ml_note}", ""]
    parts += [f"Benchmark wall time: {elapsed / 60:.1f} min.", ""]
    return "\n".join(parts)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=10_000, help="runs to log (default 10,000)")
    ap.add_argument("--quick", action="store_true", help="500 runs, loads once: a smoke check")
    ap.add_argument("--skip-mlflow", action="store_true", help="leave MLflow out")
    ap.add_argument(
        "--skip-noenv",
        action="store_true",
        help="leave out the lifecycle_widgets run without environment capture",
    )
    ap.add_argument("--repeat", type=int, default=3, help="runs of each load and compare job (best kept)")
    ap.add_argument("--mlflow-venv", type=Path, default=ML_VENV, help="venv for MLflow, created on first use")
    ap.add_argument(
        "--jobs",
        type=int,
        choices=(1, 2),
        default=1,
        help="2: log with both tools at the same time (one single-threaded child each); "
        "loads and the panel always run alone",
    )
    ap.add_argument("--timeout", type=float, default=3 * 3600.0, help="seconds before a child is stopped")
    ap.add_argument("--output", type=Path, default=RESULTS / "runs.md")
    ap.add_argument("--child", choices=("log", "load", "compare"), help=argparse.SUPPRESS)
    ap.add_argument("--tool", help=argparse.SUPPRESS)
    ap.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        return run_child(args.child, args.tool, args.db, args.runs)

    command = " ".join(
        [".venv/bin/python", "benchmarks/bench_runs.py", *(sys.argv[1:] if argv is None else argv)]
    )
    if args.quick:
        args.runs, args.repeat = 500, 1
    n = args.runs
    started = time.perf_counter()
    code = code_state()
    work = RESULTS / f"runs_{n}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    dbs = {OURS: work / "lifecycle.db", OURS_NOENV: work / "lifecycle-noenv.db", ML: work / "mlflow.db"}

    mlpython, ml_note = None, ""
    if args.skip_mlflow:
        ml_note = "skipped (--skip-mlflow)"
    else:
        mlpython, ml_note = peer_python(
            args.mlflow_venv, ML_PACKAGES, "mlflow, sqlalchemy", RESULTS / "mlflow-install.log"
        )
        if mlpython is None:
            log(f"MLflow is not available, going on without it: {ml_note}")

    ours = Path(sys.executable)
    plan: list[tuple[str, str, Path, int]] = [("log", OURS, ours, 1)]
    if not args.skip_noenv:
        plan.append(("log", OURS_NOENV, ours, 1))
    if mlpython is not None:
        plan.append(("log", ML, mlpython, 1))
    plan.append(("load", OURS, ours, args.repeat))
    if mlpython is not None:
        plan.append(("load", ML, mlpython, args.repeat))
    plan.append(("compare", OURS, ours, args.repeat))

    ms: dict[tuple[str, str], Measure] = {}

    def do(i: int, job: str, tool: str, python: Path, repeat: int) -> None:
        if job != "log" and ms.get(("log", tool), Measure(job, tool)).status != "ok":
            ms[(job, tool)] = Measure(job, tool, status="skipped", note="its log job did not finish")
            return
        ms[(job, tool)] = measure(job, tool, dbs[tool], n, python, repeat, args.timeout, f"[{i}/{len(plan)}]")
        (RESULTS / "runs.json").write_text(json.dumps([asdict(m) for m in list(ms.values())], indent=1))

    numbered = list(enumerate(plan, 1))
    logs = [p for p in numbered if p[1][0] == "log"]
    if args.jobs == 2:
        from concurrent.futures import ThreadPoolExecutor

        lanes = [[p for p in logs if p[1][1] != ML], [p for p in logs if p[1][1] == ML]]
        with ThreadPoolExecutor(2) as pool:
            for future in [pool.submit(lambda lane=lane: [do(i, *p) for i, p in lane]) for lane in lanes]:
                future.result()
    else:
        for i, p in logs:
            do(i, *p)
    for i, p in numbered:
        if p[0] != "log":
            do(i, *p)
    if mlpython is None and not args.skip_mlflow:
        for job in ("log", "load"):
            ms[(job, ML)] = Measure(job, ML, status="skipped", note="not installed")

    text = report(ms, args, ml_note, time.perf_counter() - started, command, code)
    print(text)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    log(f"written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
