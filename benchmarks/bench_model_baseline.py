"""Time ``Baseline.fit(model=LogisticRegression)`` on scikit-learn's bundled ``load_digits``
(1,797 x 64, ten classes): the feature-attribution baseline of a model without a tree explainer.
It runs in a fresh process, so imports are counted the same way each time; ``--before REV``
runs the same on ``git archive REV`` (first on ``PYTHONPATH``) and prints the ratio.

    .venv/bin/python benchmarks/bench_model_baseline.py
    .venv/bin/python benchmarks/bench_model_baseline.py --before 936ca58
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import json, sys, time
import numpy as np, pandas as pd
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
import lifecycle_widgets as lw

out = {}
X, y = load_digits(return_X_y=True, as_frame=True)
model = LogisticRegression(max_iter=2000).fit(X, y)
start = time.perf_counter()
lw.Baseline.fit(X.assign(target=y), target="target", model=model)
out["baseline_digits_s"] = time.perf_counter() - start
print(json.dumps(out))
"""


def run(pythonpath: Path | None) -> dict[str, float]:
    env = dict(os.environ)
    if pythonpath is not None:
        env["PYTHONPATH"] = f"{pythonpath}{os.pathsep}{env.get('PYTHONPATH', '')}"
    done = subprocess.run(
        [sys.executable, "-c", CHILD], capture_output=True, text=True, env=env, cwd=tempfile.gettempdir()
    )
    if done.returncode != 0:
        raise SystemExit(done.stderr[-3000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--before", help="a git revision to measure too, from `git archive`")
    args = ap.parse_args(argv)
    now = run(None)
    print(f"Baseline.fit(LogisticRegression) on load_digits: {now['baseline_digits_s']:.2f} s (this checkout)")
    if args.before:
        with tempfile.TemporaryDirectory() as tmp:
            archive = Path(tmp) / "src.tar"
            subprocess.run(["git", "-C", str(ROOT), "archive", "-o", str(archive), args.before], check=True)
            with tarfile.open(archive) as tar:
                tar.extractall(Path(tmp) / "src", filter="data")
            before = run(Path(tmp) / "src")
        ratio = before["baseline_digits_s"] / now["baseline_digits_s"]
        print(f"  at {args.before}: {before['baseline_digits_s']:.2f} s; {ratio:.1f}x faster now")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
