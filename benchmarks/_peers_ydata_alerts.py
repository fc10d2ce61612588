"""Child process for ``bench_profile_alerts.py``: ydata-profiling's alerts on each frame.

Runs inside ``benchmarks/.venv-ydata`` (ydata-profiling pins its own pandas and numpy), so it
imports nothing from this repository. For every Parquet (or JSON records) file given it builds a default
``ProfileReport`` (the minimal mode computes no correlations, so it cannot raise
HIGH_CORRELATION) and prints one line ``BENCH_RESULT {json}``: per file, the alerts as
``[type, column]`` pairs, or the error that stopped the report.

    benchmarks/.venv-ydata/bin/python benchmarks/_peers_ydata_alerts.py results/alerts/*.parquet
"""

from __future__ import annotations

import json
import os
import sys
import warnings
from pathlib import Path


def alerts_of(path: Path) -> dict:
    import pandas as pd
    from ydata_profiling import ProfileReport

    df = (
        pd.read_json(path, orient="records", dtype=False) if path.suffix == ".json" else pd.read_parquet(path)
    )
    try:
        report = ProfileReport(df, progress_bar=False, title=path.stem)
        alerts = report.get_description().alerts
    except Exception as exc:  # a peer's failure is a result to report, not a crash of the run
        return {"error": f"{type(exc).__name__}: {exc}"[:300]}
    return {"alerts": [[a.alert_type.name, a.column_name] for a in alerts]}


def main() -> int:
    os.environ.setdefault("MPLBACKEND", "Agg")
    warnings.filterwarnings("ignore")
    import ydata_profiling

    out = {"version": ydata_profiling.__version__, "frames": {}}
    for arg in sys.argv[1:]:
        path = Path(arg)
        out["frames"][path.stem] = alerts_of(path)
    print("BENCH_RESULT " + json.dumps(out), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
