"""Benchmark ``lw.explain`` on a wide frame: 5,000 rows x 270 columns.

Two models on the same deterministic frame (see ``make_frame``): a scikit-learn Pipeline of a
ColumnTransformer (median imputer on the 250 numeric columns, one-hot encoder on the 20
categorical ones) ending in ``HistGradientBoostingClassifier(max_iter=100)``, and the same
preprocessing (plus a StandardScaler) ending in ``LogisticRegression``. Each job runs in a fresh
child process, which builds the frame and fits the model before its clock starts:

- ``lifecycle_widgets``: ``lw.explain(model, X, y, max_rows=N)`` (N = ``--max-rows``: its default
  500, or 5000 for every row), then ``exp.to_html()``; each step timed inside the call (the child wraps the steps, the
  package is not changed);
- ``SHAP + sklearn by hand``: the same steps with the same sizes and exactness, written as a user
  would: ``shap.TreeExplainer`` / ``shap.LinearExplainer`` on the same N rows, transformed,
  summed back to raw columns; ``sklearn.inspection.permutation_importance`` (2,000 rows, 5 repeats,
  ROC AUC); ``partial_dependence(kind="both")`` of the top 6 features (1,000 rows, 20 grid
  points) and of one pair (200 rows, 15 x 15); a depth-3 surrogate tree on the model's
  predictions; metrics and a calibration curve; a counterfactual of the top row (one-feature
  changes over each feature's grid, one batched predict); the figures written to one HTML file.

    .venv/bin/python benchmarks/bench_explain_wide.py            # both models, both tools, N = 500
    .venv/bin/python benchmarks/bench_explain_wide.py --max-rows 5000 --models hgb \
        --output benchmarks/results/explain_wide_n5000.md        # every row explained
    .venv/bin/python benchmarks/bench_explain_wide.py --models hgb --tools lw   # one job
    .venv/bin/python benchmarks/bench_explain_wide.py --profile hgb   # cProfile of lw.explain

Results are printed and written to ``benchmarks/results/explain_wide.md`` (raw numbers to
``explain_wide.json``). See README_explain.md, section "Wide frame".
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
RESULT_PREFIX = "BENCH_RESULT "
ROWS, SEED = 5000, 0
N_NUMERIC_EXTRA, N_CATEGORICAL_EXTRA = 233, 18  # + credit's 6 + 11 numeric, 3 + ... categorical
TOP, PERM_ROWS, PERM_REPEATS, PDP_ROWS, PDP_GRID = 6, 2000, 5, 1000, 20
PAIR_ROWS, PAIR_GRID, SURROGATE_ROWS = 200, 15, 5000
LIMIT_SECONDS, LIMIT_RATIO = 60.0, 3.0
TOOLS = {"lw": "lifecycle_widgets lw.explain + to_html", "hand": "SHAP + sklearn by hand"}
MODELS = {"hgb": "HistGradientBoostingClassifier(100)", "logreg": "LogisticRegression"}


# --- data and models ----------------------------------------------------------------------------


def make_frame(rows: int = ROWS, seed: int = SEED):
    """270 feature columns + the target: bench_explain's 20 (credit()'s 9 and 11 seeded numeric
    columns), 233 more seeded numeric columns (a fifth with 3% missing, a third integer, some
    tied to ``late_payments`` or ``utilization``) and 17 seeded categorical ones (strings with 3
    to 8 levels, two of them tied to the target's drivers)."""
    import numpy as np

    sys.path.insert(0, str(HERE))
    from bench_explain import TARGET
    from bench_explain import make_frame as base_frame

    df = base_frame(rows, seed)
    y = df.pop(TARGET).to_numpy()
    rng = np.random.default_rng(seed + 2000)
    late = df["late_payments"].to_numpy(dtype=float)
    util = df["utilization"].to_numpy(dtype=float)
    cols = {}
    for j in range(N_NUMERIC_EXTRA):
        kind = j % 3
        if kind == 0:
            v = rng.integers(0, 10 + j, rows)
        elif kind == 1:
            v = rng.normal(0, 1, rows) + (0.3 * late if j % 7 == 1 else 0) + (util if j % 11 == 4 else 0)
        else:
            v = rng.lognormal(0, 1, rows)
        if j % 5 == 0:
            v = v.astype(float)
            v[rng.random(rows) < 0.03] = np.nan
        cols[f"num_{j:03d}"] = v
    for j in range(N_CATEGORICAL_EXTRA - 1):
        levels = 3 + j % 6
        codes = rng.integers(0, levels, rows)
        if j < 2:  # tied to late payments
            codes = np.minimum(codes + (late > 1), levels - 1)
        cols[f"cat_{j:02d}"] = np.array([f"level_{k}" for k in range(levels)], dtype=object)[codes]
    import pandas as pd

    X = pd.concat([df, pd.DataFrame(cols)], axis=1)
    assert X.shape == (rows, 270), X.shape
    return X, y


def categorical_columns(X) -> list[str]:
    import pandas as pd

    return [
        c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c]) or pd.api.types.is_bool_dtype(X[c])
    ]


def make_model(name: str, X, y):
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline, make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    cat = categorical_columns(X)
    num = [c for c in X.columns if c not in cat]
    numeric = SimpleImputer(strategy="median")
    if name == "logreg":
        numeric = make_pipeline(SimpleImputer(strategy="median"), StandardScaler())
    pre = ColumnTransformer(
        [("num", numeric, num), ("cat", OneHotEncoder(handle_unknown="ignore", sparse_output=False), cat)]
    )
    est = (
        HistGradientBoostingClassifier(max_iter=100, random_state=SEED)
        if name == "hgb"
        else LogisticRegression(max_iter=2000)
    )
    return Pipeline([("pre", pre), ("model", est)]).fit(X, y)


# --- timing -------------------------------------------------------------------------------------


def cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


class Steps:
    """Wall and CPU seconds per named step (summed when a step runs more than once)."""

    def __init__(self) -> None:
        self.wall: dict[str, float] = {}
        self.cpu: dict[str, float] = {}
        self._depth = 0

    @contextmanager
    def step(self, name: str):
        self._depth += 1
        w, c = time.perf_counter(), cpu()
        try:
            yield
        finally:
            self._depth -= 1
            self.wall[name] = self.wall.get(name, 0.0) + time.perf_counter() - w
            self.cpu[name] = self.cpu.get(name, 0.0) + cpu() - c
            print(
                f"  step {name}: {time.perf_counter() - w:.2f} s, {cpu() - c:.2f} CPU s",
                file=sys.stderr,
                flush=True,
            )

    def wrap(self, module, attr: str, name: str) -> None:
        fn = getattr(module, attr)
        steps = self

        def wrapper(*a, **kw):
            if steps._depth > 1:  # nested inside another step of the call: counted there
                return fn(*a, **kw)
            with steps.step(name):
                return fn(*a, **kw)

        setattr(module, attr, wrapper)


def job_lw(model, X, y, steps: Steps, n: int) -> dict:
    import lifecycle_widgets as lw
    from lifecycle_widgets.core.explain import attributions, explainer

    steps.wrap(attributions.Attributor, "__call__", "SHAP")
    for attr, name in [
        ("importance_step", "permutation importance"),
        ("dependence_step", "PDP + ICE"),
        ("ale_step", "ALE"),
        ("surrogate_step", "surrogate"),
        ("metrics_step", "metrics + calibration"),
        ("pair_step", "2-D PDP"),
    ]:
        steps.wrap(explainer, attr, name)
    steps.wrap(explainer.Explainer, "local", "counterfactual + local of the top row")
    with steps.step("total explain"):
        exp = lw.explain(model, X, y, max_rows=n, progress=False)
    with steps.step("export to HTML"):
        html = exp.to_html()
    imp = exp.global_importance()
    return {
        "rows_explained": len(exp.rows),
        "top": [str(f) for f in imp.index[:TOP]],
        "html_bytes": len(html),
        "algorithm": exp.algorithm,
    }


def job_hand(model, X, y, steps: Steps, n: int) -> dict:
    import numpy as np
    import pandas as pd
    import plotly.graph_objects as go
    import plotly.io as pio
    import shap
    from sklearn.calibration import calibration_curve
    from sklearn.inspection import partial_dependence, permutation_importance
    from sklearn.metrics import accuracy_score, brier_score_loss, f1_score, log_loss, roc_auc_score
    from sklearn.tree import DecisionTreeRegressor

    pre, est = model[:-1], model[-1]
    raw = list(X.columns)
    rng = np.random.default_rng(SEED)
    explained = np.sort(rng.choice(len(X), min(n, len(X)), replace=False))  # the rows lw.explain draws
    with steps.step("total explain"):
        with steps.step("SHAP"):
            xt = pre.transform(X.iloc[explained])
            if type(est).__name__ == "LogisticRegression":
                background = X.sample(100, random_state=SEED)
                explainer = shap.LinearExplainer(est, pre.transform(background))
            else:
                explainer = shap.TreeExplainer(est)
            sv = np.asarray(explainer(xt).values, dtype=float)
            if sv.ndim == 3:
                sv = sv[:, :, 1]
            # sum one-hot columns back to the raw column they encode
            names = pre.get_feature_names_out()
            col_of = []
            for n in names:
                rest = n.split("__", 1)[1]
                col_of.append(next(c for c in raw if rest == c or rest.startswith(f"{c}_")))
            index = np.array([raw.index(c) for c in col_of])
            shap_raw = np.zeros((len(explained), len(raw)))
            np.add.at(shap_raw, (slice(None), index), sv)
            mean_abs = np.abs(shap_raw).mean(0)
            top = [raw[i] for i in np.argsort(-mean_abs)[:TOP]]
        with steps.step("permutation importance"):
            sub = np.sort(rng.choice(len(X), PERM_ROWS, replace=False))
            perm = permutation_importance(
                model, X.iloc[sub], y[sub], n_repeats=PERM_REPEATS, random_state=SEED, scoring="roc_auc"
            )
        with steps.step("PDP + ICE"):
            rows = np.sort(np.random.default_rng(SEED).choice(len(X), PDP_ROWS, replace=False))
            Xp = X.iloc[rows].copy()
            for c in top:  # partial_dependence refuses integer columns
                if Xp[c].dtype.kind in "iu":
                    Xp[c] = Xp[c].astype(float)
            pdps = {c: partial_dependence(model, Xp, [c], kind="both", grid_resolution=PDP_GRID) for c in top}
        with steps.step("2-D PDP"):
            rows = np.sort(np.random.default_rng(SEED).choice(len(X), PAIR_ROWS, replace=False))
            Xp2 = X.iloc[rows].copy()
            for c in top[:2]:
                if Xp2[c].dtype.kind in "iu":
                    Xp2[c] = Xp2[c].astype(float)
            pair = partial_dependence(model, Xp2, list(top[:2]), kind="average", grid_resolution=PAIR_GRID)
        with steps.step("surrogate"):
            Xs = X.sample(min(len(X), SURROGATE_ROWS), random_state=SEED)
            target = model.predict_proba(Xs)[:, 1]
            xs = pre.transform(Xs)
            half = len(Xs) * 4 // 5
            tree = DecisionTreeRegressor(max_depth=3, random_state=SEED).fit(xs[:half], target[:half])
            fidelity = float(np.corrcoef(tree.predict(xs[half:]), target[half:])[0, 1] ** 2)
        with steps.step("metrics + calibration"):
            proba = model.predict_proba(X)[:, 1]
            pred = model.predict(X)
            metrics = {
                "accuracy": accuracy_score(y, pred),
                "f1": f1_score(y, pred),
                "roc_auc": roc_auc_score(y, proba),
                "log_loss": log_loss(y, proba),
                "brier": brier_score_loss(y, proba),
            }
            frac, mean_pred = calibration_curve(y, proba, n_bins=10, strategy="quantile")
        with steps.step("counterfactual + local of the top row"):
            row = int(explained[np.argmax(proba[explained])])  # lw's featured row
            blocks, changes = [], []
            for c in raw:  # each feature moved alone over its grid, the others kept
                vals = X[c].dropna().unique()
                if len(vals) > PDP_GRID:
                    vals = np.quantile(X[c].dropna().to_numpy(dtype=float), np.linspace(0.05, 0.95, PDP_GRID))
                    if X[c].dtype.kind in "iu":
                        vals = np.unique(np.round(vals)).astype(X[c].dtype)
                block = X.iloc[np.repeat(row, len(vals))].copy()
                block[c] = pd.Series(vals, index=block.index).astype(X[c].dtype)
                blocks.append(block)
                changes += [c] * len(vals)
            trial = pd.concat(blocks, ignore_index=True)
            flipped = np.flatnonzero(model.predict_proba(trial)[:, 1] < 0.5)
            counterfactual = changes[int(flipped[0])] if len(flipped) else None
            local_shap = shap_raw[int(np.argmax(proba[explained]))]  # that row's SHAP values
    with steps.step("export to HTML"):
        figs = [
            go.Figure(
                go.Bar(
                    x=mean_abs[np.argsort(-mean_abs)[:20]],
                    y=[raw[i] for i in np.argsort(-mean_abs)[:20]],
                    orientation="h",
                )
            ).update_layout(title="mean |SHAP|"),
            go.Figure(
                go.Bar(
                    x=perm.importances_mean[np.argsort(-perm.importances_mean)[:20]],
                    y=[raw[i] for i in np.argsort(-perm.importances_mean)[:20]],
                    orientation="h",
                )
            ).update_layout(title="permutation importance"),
            go.Figure(
                go.Scattergl(x=shap_raw[:, raw.index(top[0])], y=X[top[0]].iloc[explained], mode="markers")
            ).update_layout(title=f"SHAP of {top[0]}"),
            go.Figure(go.Scatter(x=mean_pred, y=frac)).update_layout(title="calibration"),
            go.Figure(go.Heatmap(z=pair["average"][0])).update_layout(title="2-D PDP"),
            go.Figure(go.Bar(x=local_shap, y=raw)).update_layout(title=f"row {row}"),
        ]
        for c, pd_ in pdps.items():
            fig = go.Figure()
            for curve in pd_["individual"][0][:50]:
                fig.add_scatter(x=pd_["grid_values"][0], y=curve, mode="lines", opacity=0.2)
            fig.add_scatter(x=pd_["grid_values"][0], y=pd_["average"][0], mode="lines")
            figs.append(fig.update_layout(title=f"PDP {c}"))
        html = "".join(pio.to_html(f, include_plotlyjs=i == 0, full_html=False) for i, f in enumerate(figs))
        html = f"<html><body>{html}<p>{metrics}</p><p>fidelity {fidelity:.3f}</p></body></html>"
    return {
        "rows_explained": len(explained),
        "top": top,
        "html_bytes": len(html),
        "counterfactual": counterfactual,
    }


def run_child(model_name: str, tool: str, n: int, profile: bool = False) -> int:
    import warnings

    warnings.filterwarnings("ignore")
    X, y = make_frame()
    model = make_model(model_name, X, y)
    import plotly.graph_objects  # noqa: F401
    import shap  # noqa: F401
    import sklearn.inspection  # noqa: F401

    import lifecycle_widgets.panels  # noqa: F401  (imports are not timed)

    steps = Steps()
    job = job_lw if tool == "lw" else job_hand
    if profile:
        import cProfile
        import pstats

        prof = cProfile.Profile()
        prof.enable()
        info = job(model, X, y, steps, n)
        prof.disable()
        out = RESULTS / f"explain_wide_{model_name}_{tool}.prof"
        prof.dump_stats(out)
        pstats.Stats(prof).sort_stats("cumulative").print_stats(45)
    else:
        info = job(model, X, y, steps, n)
    info.update({"wall": steps.wall, "cpu": steps.cpu, "peak_rss_mb": peak_rss_mb()})
    print(RESULT_PREFIX + json.dumps(info), flush=True)
    return 0


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- the parent ---------------------------------------------------------------------------------


def run_job(model_name: str, tool: str, n: int) -> dict:
    cmd = [sys.executable, __file__, "--child", model_name, tool, "--max-rows", str(n)]
    t = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=3600)
    RESULTS.joinpath("logs").mkdir(parents=True, exist_ok=True)
    RESULTS.joinpath("logs", f"explain_wide_{model_name}_{tool}_n{n}.log").write_text(proc.stderr)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith(RESULT_PREFIX)]
    if proc.returncode or not lines:
        return {"error": proc.stderr.strip().splitlines()[-1:] or [f"exit {proc.returncode}"]}
    out = json.loads(lines[-1][len(RESULT_PREFIX) :])
    out["child_seconds"] = time.perf_counter() - t
    return out


STEP_ORDER = [
    "SHAP",
    "permutation importance",
    "PDP + ICE",
    "ALE",
    "2-D PDP",
    "surrogate",
    "metrics + calibration",
    "counterfactual + local of the top row",
    "export to HTML",
]


def total(r: dict, kind: str) -> float:
    return r[kind]["total explain"] + r[kind].get("export to HTML", 0.0)


def report(results: dict, load: tuple[float, ...], started: str, n: int, argv) -> str:
    lines = [
        f"# lw.explain on 5,000 rows x 270 columns, {n:,} rows explained",
        "",
        f"{started}, {os.cpu_count()} cores, Python {platform.python_version()}; load average at the start "
        f"{load[0]:.1f} (1 min), at the end {os.getloadavg()[0]:.1f}. Command: "
        f"`.venv/bin/python benchmarks/bench_explain_wide.py {' '.join(sys.argv[1:] if argv is None else argv)}`.",
        "",
        f"Verdicts: total (explain + HTML) at most {LIMIT_SECONDS:.0f} s, and at least {LIMIT_RATIO:.0f}x "
        "faster than by hand; wall seconds, and CPU seconds (user + system, all threads) which "
        "are the fairer comparison when other processes share the cores.",
        "",
    ]
    for m, label in MODELS.items():
        if m not in results:
            continue
        ours, hand = results[m].get("lw", {}), results[m].get("hand", {})
        lines += [f"## {label}", ""]
        if "error" in ours or "error" in hand:
            lines += [f"error: lw {ours.get('error')}, by hand {hand.get('error')}", ""]
            continue
        lines += [
            "| step | lw s (CPU s) | by hand s (CPU s) | by hand / lw (wall, CPU) |",
            "|---|---:|---:|---:|",
        ]
        for s in STEP_ORDER:
            a, b = ours.get("wall", {}).get(s), hand.get("wall", {}).get(s)
            ac, bc = ours.get("cpu", {}).get(s), hand.get("cpu", {}).get(s)
            fa = "-" if a is None else f"{a:.2f} ({ac:.2f})"
            fb = "-" if b is None else f"{b:.2f} ({bc:.2f})"
            ratio = "-" if a is None or b is None else f"{b / max(a, 1e-9):.1f}x, {bc / max(ac, 1e-9):.1f}x"
            lines.append(f"| {s} | {fa} | {fb} | {ratio} |")
        if not (ours.get("wall") and hand.get("wall")):  # one tool run (--tools): no ratio
            one, name = (ours, "lw") if ours.get("wall") else (hand, "by hand")
            lines += [
                f"| **total** ({name}) | **{total(one, 'wall'):.2f} ({total(one, 'cpu'):.2f})** | | |",
                "",
                f"- {name}: {one['rows_explained']:,} rows explained; peak RSS {one['peak_rss_mb']:.0f} MB; "
                f"HTML {one['html_bytes']:,} bytes",
                "",
            ]
            continue
        tw, tc = total(ours, "wall"), total(ours, "cpu")
        hw, hc = total(hand, "wall"), total(hand, "cpu")
        lines.append(
            f"| **total** | **{tw:.2f} ({tc:.2f})** | **{hw:.2f} ({hc:.2f})** | **{hw / tw:.1f}x, {hc / tc:.1f}x** |"
        )
        ok_time = "PASS" if tw <= LIMIT_SECONDS else ("PASS on CPU s" if tc <= LIMIT_SECONDS else "FAIL")
        ok_ratio = (
            "PASS" if hw / tw >= LIMIT_RATIO else ("PASS on CPU s" if hc / tc >= LIMIT_RATIO else "FAIL")
        )
        lines += [
            "",
            f"- at most {LIMIT_SECONDS:.0f} s: **{ok_time}** ({tw:.1f} s wall, {tc:.1f} s CPU)",
            f"- at least {LIMIT_RATIO:.0f}x faster than by hand: **{ok_ratio}** ({hw / tw:.1f}x wall, {hc / tc:.1f}x CPU)",
            f"- rows explained: lw {ours['rows_explained']:,}, by hand {hand['rows_explained']:,}; "
            f"top {TOP} by mean |SHAP|: lw {ours['top']}, by hand {hand['top']}",
            f"- peak RSS MB: lw {ours['peak_rss_mb']:.0f}, by hand {hand['peak_rss_mb']:.0f}; HTML bytes: "
            f"lw {ours['html_bytes']:,}, by hand {hand['html_bytes']:,}",
            "",
        ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--child", nargs=2, metavar=("MODEL", "TOOL"))
    parser.add_argument("--max-rows", type=int, default=500, help="rows explained (lw.explain's default 500)")
    parser.add_argument("--profile", metavar="MODEL", help="cProfile lw.explain in this process")
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS))
    parser.add_argument("--tools", nargs="+", default=list(TOOLS), choices=list(TOOLS))
    parser.add_argument("--output", default=str(RESULTS / "explain_wide.md"))
    args = parser.parse_args(argv)
    if args.child:
        return run_child(*args.child, args.max_rows)
    if args.profile:
        return run_child(args.profile, "lw", args.max_rows, profile=True)
    started = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    load = os.getloadavg()
    results: dict = {}
    for m in args.models:
        for t in args.tools:
            print(f"{m} / {t} ...", file=sys.stderr, flush=True)
            results.setdefault(m, {})[t] = run_job(m, t, args.max_rows)
            r = results[m][t]
            if "error" in r:
                print(f"  error: {r['error']}", file=sys.stderr)
            else:
                print(f"  {total(r, 'wall'):.1f} s ({total(r, 'cpu'):.1f} CPU s)", file=sys.stderr)
    text = report(results, load, started, args.max_rows, argv)
    print(text)
    if set(args.tools) == set(TOOLS):
        Path(args.output).write_text(text + "\n")
        Path(args.output).with_suffix(".json").write_text(json.dumps(results, indent=1))
    failed = any("FAIL" in line for line in text.splitlines() if line.startswith("- at "))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
