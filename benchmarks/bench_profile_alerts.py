"""Which data quality alerts fire: one frame built to trigger each alert, profiled by
lifecycle_widgets and by ydata-profiling, and a table of what each raised.

Each frame holds the column(s) built to trigger one alert next to an ordinary normal column, so
an alert raised on the ordinary column is a false alarm. ydata-profiling runs in its own venv
(``benchmarks/.venv-ydata``, made on first use as ``bench_profile.py`` does) in default mode:
its minimal mode computes no correlations. The frames are written to
``benchmarks/results/alerts/`` as Parquet (ydata's pandas reads them; the mixed-types frame as
JSON, which keeps ints and strs in one column), the table to
``benchmarks/results/profile_alerts.md``.

    .venv/bin/python benchmarks/bench_profile_alerts.py
    .venv/bin/python benchmarks/bench_profile_alerts.py --skip-ydata
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from _harness import log, peer_python

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
FRAMES = RESULTS / "alerts"
YDATA_VENV = HERE / ".venv-ydata"
YDATA_PACKAGES = ["ydata-profiling", "pyarrow", "setuptools"]
RESULT_PREFIX = "BENCH_RESULT "
N = 2000

# our alert type -> ydata-profiling's AlertType that means the same, when it has one
YDATA_NAME = {
    "high_correlation": "HIGH_CORRELATION",
    "zeros": "ZEROS",
    "uniform": "UNIFORM",
    "imbalance": "IMBALANCE",
    "constant_length": "CONSTANT_LENGTH",
    "unique": "UNIQUE",
    "dates_out_of_range": None,
    "future_dates": None,
    "near_duplicate_columns": None,  # ydata's NEAR_DUPLICATES is about rows
    "constant": "CONSTANT",
    "high_missing": "MISSING",
    "mixed_types": "UNSUPPORTED",
    "infinite_values": "INFINITE",
    "high_cardinality": "HIGH_CARDINALITY",
    "skewed": "SKEWED",
    "duplicate_rows": "DUPLICATES",
}


def _rng() -> np.random.Generator:
    return np.random.default_rng(2024)


def _with_noise(columns: dict) -> pd.DataFrame:
    # its own seed: drawn from the frames' generator it would repeat their draws
    return pd.DataFrame({**columns, "ordinary": np.random.default_rng(7).normal(size=N) + 10})


def frames() -> dict[str, tuple[pd.DataFrame, tuple[str, ...]]]:
    """Each alert type's frame and the columns the alert should name."""
    r = _rng()
    x = r.normal(size=N)
    days = pd.Timestamp("2020-01-01") + pd.to_timedelta(r.integers(0, 1000, N), unit="D")
    placeholders = pd.Series(days)
    placeholders[:40] = pd.Timestamp("1900-01-01")
    future = pd.Series(pd.Timestamp("2028-01-01") + pd.to_timedelta(r.integers(0, 365, N), unit="D"))
    future[: N // 2] = pd.Series(days[: N // 2])
    copy = r.poisson(50, N)
    builders: dict[str, Callable[[], tuple[dict, tuple[str, ...]]]] = {
        "high_correlation": lambda: ({"x": x, "x2": 2 * x + r.normal(scale=0.1, size=N)}, ("x", "x2")),
        "zeros": lambda: ({"z": np.where(r.random(N) < 0.9, 0.0, r.normal(size=N))}, ("z",)),
        "uniform": lambda: ({"u": r.uniform(0, 1, N)}, ("u",)),
        "imbalance": lambda: ({"c": np.where(r.random(N) < 0.99, "a", "b")}, ("c",)),
        "constant_length": lambda: (
            {"code": [f"AB-{v:04d}" for v in r.integers(0, 200, N)]},
            ("code",),
        ),
        "unique": lambda: ({"id": [f"{v:x}" for v in r.choice(2**40, N, replace=False)]}, ("id",)),
        "dates_out_of_range": lambda: ({"d": placeholders}, ("d",)),
        "future_dates": lambda: ({"d": future}, ("d",)),
        "near_duplicate_columns": lambda: (
            {"a": copy, "b": np.where(r.random(N) < 0.02, -1, copy)},
            ("a", "b"),
        ),
        "constant": lambda: ({"k": ["same"] * N}, ("k",)),
        "high_missing": lambda: ({"m": np.where(r.random(N) < 0.4, np.nan, r.normal(size=N))}, ("m",)),
        "mixed_types": lambda: (
            {"mix": pd.Series([1, "two", 3.0, "four"] * (N // 4), dtype=object)},
            ("mix",),
        ),
        "infinite_values": lambda: (
            {"inf": np.where(r.random(N) < 0.05, np.inf, r.normal(size=N))},
            ("inf",),
        ),
        "high_cardinality": lambda: ({"city": [f"city{v}" for v in r.integers(0, 300, N)]}, ("city",)),
        "skewed": lambda: ({"s": np.exp(r.normal(0, 2, N))}, ("s",)),
        "duplicate_rows": lambda: ({"g": np.repeat(r.normal(size=N // 4), 4)}, ()),
    }
    out = {}
    for name, build in builders.items():
        columns, named = build()
        df = _with_noise(columns)
        if name == "duplicate_rows":
            df["ordinary"] = np.repeat(df["ordinary"].to_numpy()[: N // 4], 4)
        out[name] = (df, named)
    return out


def ours(
    data: dict[str, tuple[pd.DataFrame, tuple[str, ...]]],
) -> dict[str, list[tuple[str, tuple[str, ...]]]]:
    import lifecycle_widgets as lw

    result = {}
    for name, (df, _) in data.items():
        prof = lw.profile(df, thresholds=lw.AlertThresholds(as_of="2026-01-01"))
        result[name] = [(a.type, a.columns) for a in prof.alerts]
    return result


def ydata(paths: list[Path], venv: Path) -> tuple[dict | None, str]:
    python, why = peer_python(venv, YDATA_PACKAGES, "ydata_profiling", RESULTS / "ydata-install.log")
    if python is None:
        return None, why
    log(f"ydata-profiling on {len(paths)} frames ...")
    done = subprocess.run(
        [str(python), str(HERE / "_peers_ydata_alerts.py"), *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=3600,
    )
    for line in done.stdout.splitlines():
        if line.startswith(RESULT_PREFIX):
            return json.loads(line[len(RESULT_PREFIX) :]), ""
    return None, f"exit code {done.returncode}: {done.stderr.strip()[-400:]}"


def _cell(hit: bool, columns: str, extras: list[str]) -> str:
    mark = f"yes ({columns})" if hit else "**no**"
    return mark + (f"; also {', '.join(extras)}" if extras else "")


def table(
    data: dict[str, tuple[pd.DataFrame, tuple[str, ...]]],
    mine: dict[str, list[tuple[str, tuple[str, ...]]]],
    peer: dict | None,
    peer_note: str,
) -> str:
    version = f"ydata-profiling {peer['version']}" if peer else "ydata-profiling"
    lines = [
        f"| frame built to trigger | lifecycle_widgets raises it | {version} raises its counterpart |",
        "|---|---|---|",
    ]
    for name, (_, named) in data.items():
        found = mine[name]
        hits = [cols for t, cols in found if t == name]
        extras = sorted({f"{t} ({', '.join(c) or 'dataset'})" for t, c in found if t != name})
        our_cell = _cell(bool(hits), "; ".join(", ".join(c) or "dataset" for c in hits), extras)
        counterpart = YDATA_NAME.get(name)
        if peer is None:
            peer_cell = "not run"
        elif "error" in peer["frames"].get(name, {}):
            peer_cell = "error: " + peer["frames"][name]["error"]
        else:
            got = peer["frames"][name]["alerts"]
            if counterpart is None:
                peer_cell = "(no such alert)"
                others = sorted({f"{t} ({c or 'dataset'})" for t, c in got})
                peer_cell += f"; raises {', '.join(others)}" if others else ""
            else:
                cols = [c for t, c in got if t == counterpart]
                others = sorted({f"{t} ({c or 'dataset'})" for t, c in got if t != counterpart})
                peer_cell = _cell(
                    bool(cols), f"{counterpart}: {', '.join(str(c) for c in cols if c) or 'dataset'}", others
                )
        lines.append(f"| {name} (on {', '.join(named) or 'the rows'}) | {our_cell} | {peer_cell} |")
    if peer_note:
        lines += ["", f"ydata-profiling: {peer_note}"]
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--skip-ydata", action="store_true", help="leave ydata-profiling out")
    ap.add_argument("--ydata-venv", type=Path, default=YDATA_VENV, help="where ydata-profiling's venv is")
    args = ap.parse_args()
    data = frames()
    FRAMES.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, (df, _) in data.items():
        if name == "mixed_types":  # Parquet cannot hold ints and strs in one column; JSON can
            path = FRAMES / f"{name}.json"
            df.to_json(path, orient="records")
        else:
            path = FRAMES / f"{name}.parquet"
            df.to_parquet(path, index=False)
        paths.append(path)
    log("lifecycle_widgets on every frame ...")
    mine = ours(data)
    peer, note = (None, "skipped (--skip-ydata)") if args.skip_ydata else ydata(paths, args.ydata_venv)
    text = table(data, mine, peer, note)
    print(text)
    (RESULTS / "profile_alerts.md").write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
