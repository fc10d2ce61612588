"""Time of a keyed diff of two dataset versions, lifecycle_widgets beside datacompy, on the same
Parquet files, and whether their counts agree.

Two versions of ``--rows`` rows (default 1,000,000; ``--rows`` may be given several times) with an
integer key, an integer column that turns float (values kept), a float column with 5 % missing,
and a 4-level text column. The new version drops 10 % of the rows, adds 1 %, and edits values in
about 5 % of the rows. Both tools read the same files and are timed on the comparison alone
(reading excluded), best of ``--repeat`` runs, each in its own process:

- ``lifecycle_widgets``: ``dataset_diff(old, new, key="id")``, which also computes both
  fingerprints and the mean, missing share and distinct count of every column before and after;
- ``datacompy``: ``PandasCompare(old, new, join_columns="id")`` (rows only in either, unequal
  values per column), in its venv ``benchmarks/.venv-datacompy``.

    .venv/bin/python benchmarks/bench_dataset_diff.py                # 1,000,000 rows
    .venv/bin/python benchmarks/bench_dataset_diff.py --rows 100000 --rows 1000000

Results are printed and written to ``benchmarks/results/dataset_diff.md``. This file is also the
child program: it imports nothing but the standard library at the top.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _harness import log, peak_rss_mb, peer_python

HERE = Path(__file__).parent
RESULTS = HERE / "results"
DATACOMPY = ["datacompy==1.1.0", "pyarrow"]


def make(rows: int, folder: Path) -> tuple[Path, Path]:
    import numpy as np
    import pandas as pd

    old_path, new_path = folder / f"diff_old_{rows}.parquet", folder / f"diff_new_{rows}.parquet"
    if old_path.exists() and new_path.exists():
        return old_path, new_path
    rng = np.random.default_rng(rows)
    old = pd.DataFrame(
        {
            "id": rng.permutation(rows * 2)[:rows],
            "amount": rng.integers(0, 10_000, rows),
            "rate": rng.normal(size=rows).round(4),
            "city": rng.choice(["north", "south", "east", "west"], rows),
        }
    )
    old.loc[rng.random(rows) < 0.05, "rate"] = np.nan
    new = old.sample(frac=0.9, random_state=1).reset_index(drop=True)
    new["amount"] = new["amount"].astype("float64")
    edit = rng.random(len(new))
    new.loc[edit < 0.02, "amount"] += 1
    new.loc[edit > 0.98, "city"] = "centre"
    new.loc[(edit > 0.5) & (edit < 0.51), "rate"] = np.nan
    extra = rows // 100
    fresh = pd.DataFrame(
        {
            "id": np.arange(rows * 2, rows * 2 + extra),
            "amount": rng.integers(0, 10_000, extra).astype("float64"),
            "rate": rng.normal(size=extra).round(4),
            "city": "north",
        }
    )
    new = pd.concat([new, fresh], ignore_index=True)
    folder.mkdir(parents=True, exist_ok=True)
    old.to_parquet(old_path)
    new.to_parquet(new_path)
    return old_path, new_path


def child(tool: str, old_path: str, new_path: str, repeat: int) -> None:
    """Run in a child process: read both files, time the comparison, print one JSON line."""
    import pandas as pd

    old, new = pd.read_parquet(old_path), pd.read_parquet(new_path)
    best, out = float("inf"), {}
    for _ in range(repeat):
        t0 = time.perf_counter()
        if tool == "lifecycle_widgets":
            from lifecycle_widgets.core.dataset_diff import dataset_diff

            d = dataset_diff(old, new, key="id")
            seconds = time.perf_counter() - t0
            out = {
                "removed": d.rows_removed,
                "added": d.rows_added,
                "both": d.rows_changed + d.rows_unchanged,
                "changed_rows": d.rows_changed,
                "unequal": {c.column: c.changed_rows for c in d.columns if c.changed_rows is not None},
            }
        else:
            import datacompy

            cmp = datacompy.PandasCompare(old, new, join_columns="id")
            stats = {s["column"]: int(s["unequal_cnt"]) for s in cmp.column_stats if s["column"] != "id"}
            seconds = time.perf_counter() - t0
            matches = [c for c in cmp.intersect_rows.columns if c.endswith("_match")]
            out = {
                "removed": len(cmp.df1_unq_rows),
                "added": len(cmp.df2_unq_rows),
                "both": len(cmp.intersect_rows),
                "changed_rows": int((~cmp.intersect_rows[matches].all(axis=1)).sum()),
                "unequal": stats,
            }
        best = min(best, seconds)
    print(json.dumps({"seconds": best, "peak_rss_mb": peak_rss_mb(), **out}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, action="append")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child", nargs=3, metavar=("TOOL", "OLD", "NEW"))
    args = parser.parse_args()
    if args.child:
        child(*args.child, repeat=args.repeat)
        return
    peer, why = peer_python(
        HERE / ".venv-datacompy", DATACOMPY, "datacompy", RESULTS / "datacompy-install.log"
    )
    lines = [
        "# Keyed dataset diff: lifecycle_widgets and datacompy",
        "",
        f"Command: `.venv/bin/python benchmarks/bench_dataset_diff.py {' '.join(sys.argv[1:])}`".rstrip(),
        "",
        f"| rows | tool | seconds (best of {args.repeat}) | peak RSS (MB) | removed | added | changed rows "
        "| counts agree |",
        "|---:|---|---:|---:|---:|---:|---:|---|",
    ]
    for rows in args.rows or [1_000_000]:
        old_path, new_path = make(rows, RESULTS / "dataset_diff")
        found = {}
        tools = [("lifecycle_widgets", Path(sys.executable))] + ([("datacompy", peer)] if peer else [])
        for tool, python in tools:
            log(f"{tool}: {rows:,} rows ...")
            done = subprocess.run(
                [
                    str(python),
                    __file__,
                    "--child",
                    tool,
                    str(old_path),
                    str(new_path),
                    "--repeat",
                    str(args.repeat),
                ],
                capture_output=True,
                text=True,
                check=True,
            )
            found[tool] = json.loads(done.stdout.strip().splitlines()[-1])
        ours = found["lifecycle_widgets"]
        keys = ("removed", "added", "both", "changed_rows", "unequal")
        for tool, r in found.items():
            agree = "" if tool == "lifecycle_widgets" else str(all(r[k] == ours[k] for k in keys))
            lines.append(
                f"| {rows:,} | {tool} | {r['seconds']:.2f} | {r['peak_rss_mb']:.0f} | {r['removed']:,} | "
                f"{r['added']:,} | {r['changed_rows']:,} | {agree} |"
            )
    if not peer:
        lines += ["", f"datacompy was not run: {why}"]
    text = "\n".join(lines) + "\n"
    print(text)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "dataset_diff.md").write_text(text)


if __name__ == "__main__":
    main()
