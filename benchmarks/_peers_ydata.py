"""Child process for ``bench_profile.py``: one ydata-profiling run, from Parquet to an HTML file.

Runs inside ``benchmarks/.venv-ydata`` (ydata-profiling pins its own pandas and numpy), so it
imports nothing from this repository and nothing that venv lacks. It prints one line
``BENCH_RESULT {json}`` with the job's wall seconds and the process's peak RSS.

    benchmarks/.venv-ydata/bin/python benchmarks/_peers_ydata.py --mode minimal \
        --data benchmarks/results/bench_v1_100000rows_rg100000.parquet --out /tmp/ydata.html
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import warnings

from _harness import cpu_seconds, peak_rss_mb


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", choices=["minimal", "default"], required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    os.environ.setdefault("MPLBACKEND", "Agg")
    warnings.filterwarnings("ignore")
    import pandas as pd
    import ydata_profiling
    from ydata_profiling import ProfileReport

    import_rss = peak_rss_mb()
    t0, cpu0 = time.perf_counter(), cpu_seconds()
    df = pd.read_parquet(args.data)
    report = ProfileReport(
        df, minimal=args.mode == "minimal", progress_bar=False, title=f"ydata-profiling ({args.mode})"
    )
    report.to_file(args.out, silent=True)
    seconds, cpu = time.perf_counter() - t0, cpu_seconds() - cpu0
    result = {
        "seconds": seconds,
        "cpu_seconds": cpu,
        "peak_rss_mb": peak_rss_mb(),
        "import_rss_mb": import_rss,
        "html_bytes": os.path.getsize(args.out),
        "version": f"ydata-profiling {ydata_profiling.__version__}, pandas {pd.__version__}",
    }
    print("BENCH_RESULT " + json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
