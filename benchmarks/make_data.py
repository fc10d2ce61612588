"""Deterministic benchmark data: N rows x 20 mixed columns, written to Parquet with pyarrow.

Every value comes from a seeded numpy generator, so the same arguments give the same table on
every machine. The columns cover what a data profiler has to cope with:

- floats with heavy tails (lognormal, Pareto, Student t with 1.5 degrees of freedom), missing
  values and a few +/- infinities;
- integers (small counts, a wide range, a nullable column);
- low-cardinality (5 and 60 levels) and high-cardinality (near-unique) strings, one with nulls;
- a timestamp (UTC), a boolean and a binary target (about 12% positive).

Run as a script to write the files the benchmark uses (cached: existing files are kept)::

    python benchmarks/make_data.py --rows 1000 100000 1000000
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

DATA_VERSION = 1  # bump when the generator changes, so cached files are rebuilt
RESULTS = Path(__file__).resolve().parent / "results"
DEFAULT_ROW_GROUP = 100_000
_REGIONS = np.array(["north", "south", "east", "west", "centre"])
_PRODUCTS = np.array([f"product_{i:02d}" for i in range(60)])
_CHANNELS = np.array(["web", "app", "branch", "phone", "partner", "email", "kiosk", "mail"])


def _with_nan(x: np.ndarray, rng: np.random.Generator, share: float) -> np.ndarray:
    x = x.astype(np.float64, copy=True)
    x[rng.random(x.size) < share] = np.nan
    return x


def _with_inf(x: np.ndarray, rng: np.random.Generator, share: float) -> np.ndarray:
    u = rng.random(x.size)
    x[u < share / 2] = np.inf
    x[(u >= share / 2) & (u < share)] = -np.inf
    return x


def generate(n_rows: int, seed: int = 0) -> pa.Table:
    """The benchmark table: ``n_rows`` rows, 20 columns, the same for the same ``seed``."""
    rng = np.random.default_rng(seed)
    n = n_rows
    # --- floats: heavy tails, missing values, infinities
    amount = _with_nan(np.round(rng.lognormal(4.0, 1.4, n), 2), rng, 0.04)
    income = _with_nan(np.round(rng.pareto(1.6, n) * 20_000 + 12_000, 2), rng, 0.12)
    returns = _with_nan(rng.standard_t(1.5, n) * 0.02, rng, 0.01)
    ratio = _with_inf(_with_nan(rng.gamma(2.0, 0.3, n), rng, 0.02), rng, 0.002)
    score = rng.normal(600, 90, n)
    latency_ms = _with_nan(np.exp(rng.normal(3.0, 1.0, n)) + rng.exponential(5.0, n), rng, 0.3)
    share = rng.beta(0.6, 3.0, n)
    # --- integers
    age = rng.integers(18, 95, n, dtype=np.int64)
    n_orders = rng.negative_binomial(1, 0.3, n).astype(np.int64)
    account_no = rng.integers(0, 10**12, n, dtype=np.int64)
    tenure_days = rng.integers(0, 4000, n, dtype=np.int64)
    tenure_mask = rng.random(n) < 0.08  # nullable integer column
    # --- strings
    region = _REGIONS[rng.choice(5, n, p=[0.35, 0.25, 0.2, 0.15, 0.05])]
    zipf = rng.zipf(1.4, n)
    product = _PRODUCTS[np.minimum(zipf, 60) - 1]
    channel = _CHANNELS[rng.integers(0, len(_CHANNELS), n)]
    channel_mask = rng.random(n) < 0.1
    user_id = np.char.add("u", rng.integers(0, 50 * max(n, 1), n).astype(str))
    session = np.char.add("s-", rng.integers(0, 2**62, n, dtype=np.int64).astype(str))
    # --- datetime, boolean, target
    start = np.datetime64("2024-01-01T00:00:00", "s").astype(np.int64)
    event_time = (start + rng.integers(0, 2 * 365 * 24 * 3600, n)).astype("datetime64[s]")
    is_member = rng.random(n) < 0.4
    logit = (
        -2.6
        + 0.8 * (np.nan_to_num(amount, nan=50.0) > 200)
        + 0.9 * is_member
        - 0.004 * (score - 600)
        + 0.15 * np.minimum(n_orders, 5)
    )
    target = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(np.int64)
    columns = {
        "amount": pa.array(amount, from_pandas=True),
        "income": pa.array(income, from_pandas=True),
        "returns": pa.array(returns, from_pandas=True),
        "ratio": pa.array(ratio, from_pandas=True),
        "score": pa.array(score),
        "latency_ms": pa.array(latency_ms, from_pandas=True),
        "share": pa.array(share),
        "age": pa.array(age),
        "n_orders": pa.array(n_orders),
        "account_no": pa.array(account_no),
        "tenure_days": pa.array(tenure_days, mask=tenure_mask),
        "region": pa.array(region, pa.string()),
        "product": pa.array(product, pa.string()),
        "channel": pa.array(channel, pa.string(), mask=channel_mask),
        "user_id": pa.array(user_id, pa.string()),
        "session": pa.array(session, pa.string()),
        "event_time": pa.array(event_time, pa.timestamp("us", tz="UTC")),
        "is_member": pa.array(is_member),
        "promo_code": pa.array(np.where(rng.random(n) < 0.97, None, "SPRING"), pa.string()),
        "target": pa.array(target),
    }
    return pa.table(columns)


def data_path(n_rows: int, row_group: int = DEFAULT_ROW_GROUP, folder: Path = RESULTS) -> Path:
    return folder / f"bench_v{DATA_VERSION}_{n_rows}rows_rg{row_group}.parquet"


def ensure(n_rows: int, row_group: int = DEFAULT_ROW_GROUP, folder: Path = RESULTS, seed: int = 0) -> Path:
    """The Parquet file of ``n_rows`` rows, written (zstd, ``row_group`` rows per group) if absent."""
    path = data_path(n_rows, row_group, folder)
    if path.exists():
        return path
    folder.mkdir(parents=True, exist_ok=True)
    table = generate(n_rows, seed)
    tmp = path.with_suffix(".tmp")
    pq.write_table(table, tmp, row_group_size=row_group, compression="zstd")
    tmp.replace(path)
    return path


WIDE_VERSION = 1
_LEVELS = np.array(["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"])


def generate_wide(n_rows: int, n_columns: int, seed: int = 0) -> pa.Table:
    """A wide table: ``n_columns`` columns cycling through five kinds (a float with 5% missing
    values, a lognormal float, a small integer, an 8-level string and a boolean), the same for
    the same arguments. Used by ``bench_wide.py``."""
    rng = np.random.default_rng(seed)
    n = n_rows
    columns: dict[str, pa.Array] = {}
    for j in range(n_columns):
        kind = j % 5
        if kind == 0:
            columns[f"f{j:04d}"] = pa.array(
                _with_nan(rng.normal(j % 17, 1 + j % 7, n), rng, 0.05), from_pandas=True
            )
        elif kind == 1:
            columns[f"g{j:04d}"] = pa.array(rng.lognormal(0.0, 1.0, n))
        elif kind == 2:
            columns[f"i{j:04d}"] = pa.array(rng.integers(0, 1000, n, dtype=np.int64))
        elif kind == 3:
            columns[f"s{j:04d}"] = pa.array(_LEVELS[rng.integers(0, len(_LEVELS), n)], pa.string())
        else:
            columns[f"b{j:04d}"] = pa.array(rng.random(n) < 0.3)
    return pa.table(columns)


def ensure_wide(n_rows: int, n_columns: int, folder: Path = RESULTS, seed: int = 0) -> Path:
    """The wide Parquet file (zstd, one row group), written if absent."""
    path = folder / f"wide_v{WIDE_VERSION}_{n_rows}rows_{n_columns}cols.parquet"
    if path.exists():
        return path
    folder.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    pq.write_table(
        generate_wide(n_rows, n_columns, seed), tmp, row_group_size=max(n_rows, 1), compression="zstd"
    )
    tmp.replace(path)
    return path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, nargs="+", default=[1000, 100_000, 1_000_000])
    ap.add_argument("--row-group", type=int, default=DEFAULT_ROW_GROUP)
    args = ap.parse_args(argv)
    for n in args.rows:
        path = ensure(n, args.row_group)
        print(f"{path} ({path.stat().st_size / 2**20:.1f} MiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
