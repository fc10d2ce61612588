"""Time what the profile's interaction and time-series views add to ``finalize``: the credit demo
(100,000 rows, 7 numeric columns: 2-D histograms of 21 pairs) with and without the interaction
view, and a million minutes of 20 columns with and without the time-series view. Best of three
(one for the million rows); wall-clock on whatever the machine is doing, so compare the pairs.

    .venv/bin/python benchmarks/bench_profile_views.py
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import pandas as pd

import lifecycle_widgets as lw
from lifecycle_widgets.core import profiling
from lifecycle_widgets.core.ingest import collect
from lifecycle_widgets.core.profiling import finalize


def best(run: Callable[[], object], repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    _, part = collect(lw.datasets.credit(100_000))
    with_view = best(lambda: finalize(part))
    keep = profiling.interactions
    profiling.interactions = lambda *args, **kwargs: None  # the profile as it was before the view
    try:
        without = best(lambda: finalize(part))
    finally:
        profiling.interactions = keep
    print(
        f"credit, 100,000 rows: finalize {with_view:.3f} s with the interaction view, {without:.3f} s without"
    )

    n = 1_000_000
    rng = np.random.default_rng(0)
    daily = np.sin(2 * np.pi * np.arange(n) / 1440)
    frame = pd.DataFrame(
        {f"c{i}": daily + rng.normal(size=n) for i in range(20)},
        index=pd.date_range("2020-01-01", periods=n, freq="min"),
    )
    _, part = collect(frame)
    with_ts = best(lambda: finalize(part, frame=frame), 1)
    without_ts = best(lambda: finalize(part), 1)
    ts = finalize(part, frame=frame).timeseries
    print(
        f"1,000,000 minutes x 20 columns: finalize {with_ts:.2f} s with the time series, "
        f"{without_ts:.2f} s without (grid {ts.grid_step}, period of c0: "
        f"{ts.period_label(ts.series_for('c0').period or 0)})"
    )


if __name__ == "__main__":
    main()
