"""Counterfactuals beside dice-ml: validity, sparsity, proximity, diversity and time, on the same
rows of the same model.

Data: ``lifecycle_widgets.datasets.credit(ROWS)``'s six numeric and three categorical columns
(missing values filled with the column median, ``inf`` debt ratios as missing first, categories
as strings) plus seeded normal columns up to ``--width`` (default 270) columns; the label mixes
``defaulted`` with the first eight extra columns, so the model leans on many features. Model:
a scikit-learn Pipeline (ColumnTransformer: median imputer for the numbers, OneHotEncoder for the
categories) ending in ``RandomForestClassifier(100, min_samples_leaf=3, random_state=0,
n_jobs=1)``. The data is written once to Parquet; every tool runs in a fresh child process that
refits the model from it (same data, same seed, same scikit-learn version: the children report
a hash of the model's probabilities on the data, which must match the parent's).

Jobs, each on the same ``--queries`` rows (seeded), ``k`` = 4 counterfactuals of the opposite class:

- ``lifecycle_widgets``: ``counterfactuals(model, X, row, k=4)`` per row; and the counterfactual
  step of a local explanation (``core.explain.counterfactual.counterfactual``, k = 1, every
  feature varied), which ``Explainer.local`` runs on the rows it explains;
- ``dice-ml`` (its own venv ``benchmarks/.venv-dice``, made on first use):
  ``Dice(Data(...), Model(model, backend="sklearn"), method=m).generate_counterfactuals(row,
  total_CFs=4, desired_class="opposite", random_seed=0)`` for ``m`` in ``random`` and
  ``genetic`` (``--genetic-queries`` rows, default 3: the genetic method takes minutes per row
  at this width). dice-ml's ``kdtree`` method is left out: on the quick data (1,000 x 40) it
  ran for over ten minutes on its first row.

Every tool's counterfactuals are scored here by the same code (the package's DiCE-style
measures): validity (a counterfactual is valid when the model's ``predict`` gives the opposite
class; the share of the ``k`` asked for), sparsity (features changed), proximity (mean
``|Δ|/MAD`` over the continuous features; share of categorical features changed), distance (the
two summed) and diversity (mean pairwise distance of a row's valid counterfactuals). Seconds are
wall seconds per row, the model fitted (untimed) first.

    .venv/bin/python benchmarks/bench_counterfactual.py                 # 5,000 x 270, 10 rows
    .venv/bin/python benchmarks/bench_counterfactual.py --quick         # 1,000 x 40, 4 rows
    .venv/bin/python benchmarks/bench_counterfactual.py --skip-dice     # lifecycle_widgets only

Results are printed and written to ``benchmarks/results/counterfactual.md`` (every
counterfactual of every tool to ``benchmarks/results/counterfactual/*.json``). See
README_counterfactual.md.

This file is also the child program: it imports nothing but the standard library at the top.
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
from datetime import UTC, datetime
from pathlib import Path

from _harness import log, peer_python

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
WORK = RESULTS / "counterfactual"
DICE_VENV = HERE / ".venv-dice"
DICE_PACKAGES = ["dice-ml", "scikit-learn", "pyarrow"]
RESULT_PREFIX = "BENCH_RESULT "
SEED = 0
K = 4
NUMERIC = ["age", "income", "debt_ratio", "utilization", "n_accounts", "late_payments"]
CATEGORICAL = ["region", "employment_type", "has_mortgage"]
TARGET = "y"


# --- the data and the model (both sides) ---------------------------------------------------------
def make_frame(rows: int, width: int, seed: int = SEED):
    """The benchmark's frame: features and the label ``y`` (see the module's docstring)."""
    import numpy as np
    import pandas as pd

    import lifecycle_widgets as lw

    df = lw.datasets.credit(rows, seed=seed)
    X = df[NUMERIC + CATEGORICAL].copy()
    X["debt_ratio"] = X["debt_ratio"].replace([np.inf, -np.inf], np.nan)
    for c in NUMERIC:
        X[c] = X[c].fillna(X[c].median())
    for c in CATEGORICAL:
        X[c] = X[c].astype(str)
    rng = np.random.default_rng(seed)
    extra = width - X.shape[1]
    M = rng.normal(size=(rows, extra)).round(3)
    wide = pd.DataFrame(M, columns=[f"x{i:03d}" for i in range(extra)], index=X.index)
    X = pd.concat([X, wide], axis=1)
    logit = (df["defaulted"].to_numpy() * 2 - 1) + M[:, :8] @ np.linspace(1.0, 0.3, 8)
    X[TARGET] = (logit + rng.normal(0, 0.5, rows) > 0).astype(int)
    return X.reset_index(drop=True)


def make_model(frame):
    """The pipeline, fitted on ``frame`` (deterministic for a given scikit-learn version)."""
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder

    features = [c for c in frame.columns if c != TARGET]
    numeric = [c for c in features if c not in CATEGORICAL]
    pre = ColumnTransformer(
        [
            ("num", SimpleImputer(strategy="median"), numeric),
            ("cat", OneHotEncoder(handle_unknown="ignore"), CATEGORICAL),
        ]
    )
    model = Pipeline(
        [("pre", pre), ("rf", RandomForestClassifier(100, min_samples_leaf=3, random_state=SEED, n_jobs=1))]
    )
    return model.fit(frame[features], frame[TARGET])


def model_hash(model, X) -> str:
    import hashlib

    import numpy as np

    proba = np.round(model.predict_proba(X.iloc[:500]), 12)
    return hashlib.sha256(proba.tobytes()).hexdigest()[:16]


def records(frame) -> list[dict]:
    """JSON-plain records of a frame (numpy scalars as Python ones)."""
    out = []
    for rec in frame.to_dict(orient="records"):
        out.append({k: (v.item() if hasattr(v, "item") else v) for k, v in rec.items()})
    return out


# --- children -----------------------------------------------------------------------------------
def child_ours(data: Path, rows: list[int]) -> dict:
    import pandas as pd

    from lifecycle_widgets.core.explain.counterfactual import counterfactual, counterfactuals
    from lifecycle_widgets.core.explain.models import view_model

    frame = pd.read_parquet(data)
    X = frame.drop(columns=[TARGET])
    model = make_model(frame)
    out: dict = {
        "hash": model_hash(model, X),
        "rows": {},
        "seconds": {},
        "local_seconds": {},
        "local_found": {},
    }
    view = view_model(model, X)
    for r in rows:
        start = time.perf_counter()
        cfs = counterfactuals(model, X, r, k=K, random_state=SEED)
        out["seconds"][r] = time.perf_counter() - start
        frame_cf = cfs.to_frame()
        out["rows"][r] = records(frame_cf[list(X.columns)])
        start = time.perf_counter()
        one = counterfactual(view, X, X.iloc[[r]], order=list(X.columns))
        out["local_seconds"][r] = time.perf_counter() - start
        out["local_found"][r] = one.found
    return out


def child_dice(data: Path, rows: list[int], method: str) -> dict:
    import dice_ml
    import numpy as np
    import pandas as pd

    frame = pd.read_parquet(data)
    X = frame.drop(columns=[TARGET])
    model = make_model(frame)
    numeric = [c for c in X.columns if c not in CATEGORICAL]
    d = dice_ml.Data(dataframe=frame, continuous_features=numeric, outcome_name=TARGET)
    m = dice_ml.Model(model=model, backend="sklearn")
    explainer = dice_ml.Dice(d, m, method=method)
    out: dict = {"hash": model_hash(model, X), "rows": {}, "seconds": {}, "errors": {}}
    for r in rows:
        start = time.perf_counter()
        try:
            np.random.seed(SEED)  # genetic and kdtree draw from numpy's global generator
            seed = {"random_seed": SEED} if method == "random" else {}  # only "random" takes one
            res = explainer.generate_counterfactuals(
                X.iloc[[r]], total_CFs=K, desired_class="opposite", verbose=False, **seed
            )
            cfs = res.cf_examples_list[0].final_cfs_df
            out["rows"][r] = [] if cfs is None else records(cfs[list(X.columns)])
        except Exception as exc:  # a tool's failure on a row is a result to report
            out["rows"][r] = []
            out["errors"][r] = f"{type(exc).__name__}: {str(exc)[:300]}"
        out["seconds"][r] = time.perf_counter() - start
    return out


def child_main(argv: list[str]) -> None:
    job, data, rows = argv[0], Path(argv[1]), [int(r) for r in argv[2].split(",")]
    result = child_ours(data, rows) if job == "ours" else child_dice(data, rows, job.split(":", 1)[1])
    print(RESULT_PREFIX + json.dumps(result, default=str), flush=True)


# --- the parent ---------------------------------------------------------------------------------
def run_child(python: Path, job: str, data: Path, rows: list[int], timeout: float) -> tuple[dict | None, str]:
    cmd = [str(python), str(Path(__file__).resolve()), "--child", job, str(data), ",".join(map(str, rows))]
    log(f"{job}: {len(rows)} rows ...")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1", "PYTHONHASHSEED": "0"}
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env, cwd=HERE)
    except subprocess.TimeoutExpired:
        return None, f"timed out after {timeout:.0f} s"
    for line in proc.stdout.splitlines():
        if line.startswith(RESULT_PREFIX):
            return json.loads(line[len(RESULT_PREFIX) :]), ""
    return None, f"exit {proc.returncode}: {proc.stderr.strip()[-600:]}"


def score(space, model, X, row: int, cf_records: list[dict]) -> dict:
    """The package's DiCE-style measures of one row's counterfactuals, whoever found them."""
    import numpy as np
    import pandas as pd

    query = X.iloc[[row]]
    current = model.predict(query)[0]
    if not cf_records:
        return {
            "asked": K,
            "returned": 0,
            "valid": 0,
            "changed": [],
            "prox_cont": [],
            "prox_cat": [],
            "dist": [],
            "div": None,
        }
    cfs = pd.DataFrame(cf_records)[list(X.columns)]
    cfs = cfs.astype({c: X[c].dtype for c in X.columns})
    valid = model.predict(cfs) != current
    Z, z0 = space.encode(cfs), space.encode(query)[0]
    changed = space.changed(Z, z0).sum(axis=1)
    cont, cat = space.parts(Z, z0)
    dist = space.distance(Z, z0)
    div = space.pairwise(Z[valid])[0] if valid.sum() >= 2 else None
    return {
        "asked": K,
        "returned": len(cfs),
        "valid": int(valid.sum()),
        "changed": changed[valid].tolist(),
        "prox_cont": (cont[valid] if cont is not None else np.zeros(0)).tolist(),
        "prox_cat": (cat[valid] if cat is not None else np.zeros(0)).tolist(),
        "dist": dist[valid].tolist(),
        "div": div,
    }


def summarize(scores: list[dict], seconds: list[float]) -> dict:
    def mean(values: list[float]) -> float | None:
        return float(statistics.fmean(values)) if values else None

    flat = lambda key: [v for s in scores for v in s[key]]  # noqa: E731
    return {
        "rows": len(scores),
        "validity": sum(s["valid"] for s in scores) / sum(s["asked"] for s in scores),
        "changed": mean(flat("changed")),
        "prox_cont": mean(flat("prox_cont")),
        "prox_cat": mean(flat("prox_cat")),
        "dist": mean(flat("dist")),
        "div": mean([s["div"] for s in scores if s["div"] is not None]),
        "median_s": statistics.median(seconds) if seconds else None,
        "max_s": max(seconds) if seconds else None,
    }


def fmt(v: float | None, digits: int = 3) -> str:
    if v is None:
        return "–"
    return f"{v:.{digits}g}" if abs(v) < 1000 else f"{v:,.0f}"


def ratio(a: float | None, b: float | None) -> str:
    if a is None or b is None or b == 0:
        return "–"
    return f"{a / b:.2g}x"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--width", type=int, default=270)
    parser.add_argument("--queries", type=int, default=10)
    parser.add_argument("--genetic-queries", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="1,000 x 40, 4 rows (a smoke check)")
    parser.add_argument("--skip-dice", action="store_true")
    parser.add_argument("--timeout", type=float, default=3600)
    parser.add_argument("--output", type=Path, default=RESULTS / "counterfactual.md")
    args = parser.parse_args()
    if args.quick:
        args.rows, args.width, args.queries, args.genetic_queries = 1000, 40, 4, 2

    import numpy as np

    from lifecycle_widgets.core.explain.counterfactual_space import FeatureSpace

    WORK.mkdir(parents=True, exist_ok=True)
    frame = make_frame(args.rows, args.width)
    data = WORK / f"data_{args.rows}x{args.width}.parquet"
    frame.to_parquet(data)
    X = frame.drop(columns=[TARGET])
    log(f"data: {X.shape[0]:,} x {X.shape[1]} -> {data}; fitting the model ...")
    model = make_model(frame)
    ours_hash = model_hash(model, X)
    rows = sorted(np.random.default_rng(SEED).choice(len(X), size=args.queries, replace=False).tolist())
    space = FeatureSpace.build(X, X.iloc[rows], vary=None, immutable=[], ranges={}, random_state=SEED)

    jobs: list[tuple[str, str, Path, list[int]]] = [("lifecycle_widgets", "ours", Path(sys.executable), rows)]
    notes: list[str] = []
    if not args.skip_dice:
        python, why = peer_python(DICE_VENV, DICE_PACKAGES, "dice_ml", RESULTS / "dice-install.log")
        if python is None:
            notes.append(f"dice-ml left out: {why}")
        else:
            version = subprocess.run(
                [
                    str(python),
                    "-c",
                    "import importlib.metadata as m; print(m.version('dice-ml'), m.version('scikit-learn'))",
                ],
                capture_output=True,
                text=True,
            ).stdout.split()
            notes.append(f"dice-ml {version[0]} (scikit-learn {version[1]} in its venv)")
            jobs += [
                ("dice-ml random", "dice:random", python, rows),
                ("dice-ml genetic", "dice:genetic", python, rows[: args.genetic_queries]),
            ]

    table: dict[str, dict] = {}
    local: dict = {}
    for label, job, python, job_rows in jobs:
        result, why = run_child(python, job, data, job_rows, args.timeout)
        if result is None:
            notes.append(f"{label}: {why}")
            log(f"{label}: {why}")
            continue
        if result["hash"] != ours_hash:
            notes.append(
                f"{label}: its refitted model differs from the parent's (hash {result['hash']} vs {ours_hash})"
            )
        (WORK / f"{job.replace(':', '_')}.json").write_text(json.dumps(result, indent=1, default=str))
        scores = [score(space, model, X, r, result["rows"][str(r)]) for r in job_rows]
        table[label] = summarize(scores, [result["seconds"][str(r)] for r in job_rows])
        for r, err in result.get("errors", {}).items():
            notes.append(f"{label}, row {r}: {err}")
        if job == "ours":
            local = {
                "median_s": statistics.median(result["local_seconds"].values()),
                "max_s": max(result["local_seconds"].values()),
                "found": sum(result["local_found"].values()),
                "rows": len(job_rows),
            }
        log(f"{label}: {table[label]}")

    ours = table.get("lifecycle_widgets")
    header = (
        "| tool | rows | validity | features changed | proximity (cont., MADs) | proximity (cat. share) "
        "| distance | diversity | diversity / distance | s per row (median) | s per row (max) | time vs ours |"
    )
    lines = [
        f"# Counterfactuals beside dice-ml ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC)",
        "",
        f"{X.shape[0]:,} rows x {X.shape[1]} columns ({len(CATEGORICAL)} categorical), RandomForest(100) pipeline, "
        f"k = {K}, desired class: the opposite one. Machine: {platform.machine()}, Python {platform.python_version()}.",
        "",
        "Lower is closer for proximity and distance; higher is more varied for diversity (DiCE's mean pairwise "
        "distance, which grows with the distance from the row: diversity / distance says how spread a set is for how "
        "far it goes). Ratios are the tool's value over ours.",
        "",
        header,
        "|" + "---|" * 12,
    ]
    for label, s in table.items():
        lines.append(
            f"| {label} | {s['rows']} | {s['validity']:.0%} | {fmt(s['changed'])} | {fmt(s['prox_cont'])} | {fmt(s['prox_cat'])} "
            f"| {fmt(s['dist'])} | {fmt(s['div'])} | {fmt(s['div'] / s['dist'] if s['div'] and s['dist'] else None)} "
            f"| {fmt(s['median_s'])} | {fmt(s['max_s'])} | "
            f"{ratio(s['median_s'], ours['median_s']) if ours else '–'} |"
        )
    if ours and len(table) > 1:
        lines += [
            "",
            "Ratios to lifecycle_widgets (tool / ours):",
            "",
            "| tool | features changed | proximity (cont.) | distance | diversity | time |",
            "|---|---|---|---|---|---|",
        ]
        for label, s in table.items():
            if label == "lifecycle_widgets":
                continue
            lines.append(
                f"| {label} | {ratio(s['changed'], ours['changed'])} | {ratio(s['prox_cont'], ours['prox_cont'])} "
                f"| {ratio(s['dist'], ours['dist'])} | {ratio(s['div'], ours['div'])} | {ratio(s['median_s'], ours['median_s'])} |"
            )
    if local:
        lines += [
            "",
            f"Counterfactual step of a local explanation (k = 1, every feature varied) on {X.shape[0]:,} x {X.shape[1]}: "
            f"median {local['median_s']:.2f} s, max {local['max_s']:.2f} s per row; found for {local['found']} of {local['rows']} rows.",
        ]
    lines += ["", "Notes:", ""] + [f"- {n}" for n in notes] if notes else []
    text = "\n".join(lines) + "\n"
    print(text)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    log(f"written to {args.output}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child_main(sys.argv[2:])
    else:
        main()
