"""The same results from Dask, on a real LocalCluster with two worker processes; Parquet streamed
in bounded memory; audit batches in parallel."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import lifecycle_widgets as lw

dd = pytest.importorskip("dask.dataframe", reason="install lifecycle_widgets[dask]")
pytestmark = pytest.mark.timeout(900)


@pytest.fixture(scope="module")
def client():
    from distributed import Client, LocalCluster

    cluster = LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, memory_limit="3GiB"
    )
    with Client(cluster) as c:
        yield c
    cluster.close()


@pytest.fixture(scope="module")
def frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    return lw.datasets.credit(60_000, seed=0), lw.datasets.credit_batch(60_000, seed=1)


def test_profile_agrees_with_pandas(client, frames) -> None:
    train, _ = frames
    ddf = dd.from_pandas(train, npartitions=6)
    on_dask, local = lw.profile(ddf, target="defaulted"), lw.profile(train, target="defaulted")
    assert on_dask.source == "Dask DataFrame" and on_dask.n_rows == local.n_rows
    assert on_dask.fingerprint.sha256 == local.fingerprint.sha256
    assert on_dask.duplicate_rows == local.duplicate_rows
    for a, b in zip(on_dask.columns, local.columns, strict=True):
        assert (a.count, a.missing, a.infinite, a.zeros, a.negatives, a.min, a.max, a.kind) == (
            b.count,
            b.missing,
            b.infinite,
            b.zeros,
            b.negatives,
            b.min,
            b.max,
            b.kind,
        )
        if a.mean is not None:
            assert a.mean == pytest.approx(b.mean) and a.std == pytest.approx(b.std)
        if a.distinct_exact and b.distinct_exact:
            assert a.distinct == b.distinct
        else:
            assert abs(a.distinct - b.distinct) <= 0.05 * b.distinct
        # both come from uniform samples: each within its DKW bound of the truth
        for p in ("0.25", "0.5", "0.75"):
            if p in a.quantiles:
                truth = train[a.name]
                if pd.api.types.is_numeric_dtype(truth) and not pd.api.types.is_bool_dtype(truth):
                    x = truth.replace([np.inf, -np.inf], np.nan).dropna().to_numpy()
                    q, eps = a.quantiles[p], a.quantile_rank_error + 1 / len(x)
                    # for discrete values the rank jumps at q: P(X < q) <= p <= P(X <= q), up to eps
                    assert (x < q).mean() - eps <= float(p) <= (x <= q).mean() + eps


def test_baseline_and_check_agree_with_pandas(client, frames) -> None:
    train, batch = frames
    local_base = lw.Baseline.fit(train, target="defaulted")
    dask_base = lw.Baseline.fit(dd.from_pandas(train, npartitions=5), target="defaulted")
    for a, b in zip(dask_base.features, local_base.features, strict=True):
        assert (a.name, a.kind, a.num_present, a.num_missing) == (
            b.name,
            b.kind,
            b.num_present,
            b.num_missing,
        )
        if a.mean is not None:
            assert a.mean == pytest.approx(b.mean) and (a.min, a.max) == (b.min, b.max)
    local = local_base.check(batch)
    on_dask = local_base.check(dd.from_pandas(batch, npartitions=4))
    assert (
        on_dask.flagged_features
        == local.flagged_features
        == tuple(c for c in batch.columns if c in lw.datasets.DRIFTED_COLUMNS)
    )
    assert {(v.feature_name, v.constraint_check_type) for v in on_dask.violations} == {
        (v.feature_name, v.constraint_check_type) for v in local.violations
    }
    for a, b in zip(on_dask.features, local.features, strict=True):
        if a.method in ("jensen_shannon", "psi"):
            # category counts are exact up to 1,000 levels; beyond (employer), Misra-Gries
            # summaries merged in another order differ within their error bound
            assert a.distance == pytest.approx(b.distance, abs=0.005)
        elif a.distance is not None:
            assert a.distance == pytest.approx(b.distance, abs=0.02)  # quantiles from two samples


def test_monitor_windows_in_one_pass(client, frames) -> None:
    _, batch = frames
    base = lw.Baseline.fit(lw.datasets.credit(20_000, seed=3))
    data = batch.assign(ts=pd.Timestamp("2026-01-01") + pd.to_timedelta(np.arange(len(batch)) % 28, unit="D"))
    local = lw.monitor(base, data, time_column="ts", window="7D")
    on_dask = lw.monitor(base, dd.from_pandas(data, npartitions=6), time_column="ts", window="7D")
    assert on_dask.labels == local.labels and [r.rows for r in on_dask.reports] == [
        r.rows for r in local.reports
    ]
    assert [r.flagged_features for r in on_dask.reports] == [r.flagged_features for r in local.reports]


def test_monitor_chunks_in_one_pass(client) -> None:
    """chunk_size on a Dask DataFrame: the same chunks, rows and flags as on the pandas frame,
    with chunks that straddle partitions (1,700 rows in partitions of 2,000 and a short last one)."""
    base = lw.Baseline.fit(lw.datasets.credit(8_000, seed=3), target="defaulted")
    data = pd.concat(
        [lw.datasets.credit_batch(4_000, seed=4, drift=False), lw.datasets.credit_batch(3_000, seed=5)],
        ignore_index=True,
    )
    local = lw.monitor(base, data, chunk_size=1_700)
    on_dask = lw.monitor(base, dd.from_pandas(data, npartitions=4), chunk_size=1_700)
    assert (
        on_dask.labels
        == local.labels
        == tuple(f"rows {a:,} to {min(a + 1_699, 7_000):,}" for a in range(1, 7_001, 1_700))
    )
    assert [r.rows for r in on_dask.reports] == [r.rows for r in local.reports]
    assert [r.flagged_features for r in on_dask.reports] == [r.flagged_features for r in local.reports]
    assert "income" not in on_dask.reports[0].drifted_features  # rows 1 to 1,700: undrifted
    assert "income" in on_dask.reports[-1].drifted_features  # rows 6,801 to 7,000: drifted
    with pytest.raises(lw.ParameterError, match="sort it by the time column"):
        lw.monitor(base, dd.from_pandas(data.assign(ts=0), npartitions=2), chunk_size=100, time_column="ts")
    with pytest.raises(lw.ParameterError, match="chunk_size"):
        lw.monitor(base, dd.from_pandas(data, npartitions=2), chunk_size=0)


def test_explanations_on_the_cluster(client, frames) -> None:
    from sklearn.ensemble import RandomForestClassifier

    # every row's SHAP values are computed twice, on the cluster and here (about 1 ms a row each):
    # 12,000 rows in four partitions, 60 times the rows explained, are a population as 60,000 are
    train = frames[0].iloc[:12_000]
    cols = ["age", "utilization", "late_payments", "n_accounts"]
    model = RandomForestClassifier(30, max_depth=6, random_state=0).fit(train[cols], train["defaulted"])
    ddf = dd.from_pandas(train[[*cols, "defaulted"]], npartitions=4)
    exp = lw.explain(model, ddf, "defaulted", max_rows=200)
    assert exp.population_rows == len(train) and len(exp.rows) == 200
    import shap

    everything = np.abs(shap.TreeExplainer(model)(train[cols]).values[:, :, 1]).mean(0)
    np.testing.assert_allclose(exp.global_importance().loc[cols, "shap_mean_abs"], everything, rtol=1e-9)


def test_partitions_that_disagree_on_dtypes_are_an_error(client) -> None:
    a = pd.DataFrame({"x": [1.0, 2.0], "y": ["a", "b"]})
    b = pd.DataFrame({"x": ["one", "two"], "y": ["c", "d"]})
    from dask import delayed

    ddf = dd.from_delayed([delayed(a), delayed(b)], meta=a, verify_meta=False)
    with pytest.raises(lw.MergeError, match="Column 'x'"):
        lw.profile(ddf)


def test_empty_partitions(client) -> None:
    df = pd.DataFrame({"x": np.arange(10.0), "y": list("ababababab")})
    ddf = dd.from_pandas(df, npartitions=3)
    ddf = ddf[ddf["x"] > 6]  # leaves empty partitions
    prof = lw.profile(ddf)
    assert prof.n_rows == 3 and prof.column("x").min == 7.0


def test_parquet_is_streamed_in_bounded_memory(tmp_path: Path) -> None:
    """Profile Parquet files of 2 and of 20 row groups: ten times the rows take no more memory
    than a couple of row groups beyond the row hashes kept for duplicates (at most 16 MB)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    small, big = tmp_path / "small.parquet", tmp_path / "big.parquet"
    writers: dict[Path, pq.ParquetWriter] = {}
    for i in range(20):
        table = pa.Table.from_pandas(lw.datasets.credit(100_000, seed=i), preserve_index=False)
        for path in (small, big) if i < 2 else (big,):
            if path not in writers:
                writers[path] = pq.ParquetWriter(path, table.schema)
            writers[path].write_table(table)
    for writer in writers.values():
        writer.close()

    def growth_mb(path: Path) -> tuple[int, float]:
        code = f"""
import lifecycle_widgets as lw, re
before = int(re.search(r"VmHWM:\\s+(\\d+)", open("/proc/self/status").read()).group(1))
prof = lw.profile({str(path)!r}, progress=False, workers=1)
after = int(re.search(r"VmHWM:\\s+(\\d+)", open("/proc/self/status").read()).group(1))
print(prof.n_rows, before, after)
"""
        # freed memory goes back to the system at once (glibc maps large blocks, Arrow allocates
        # with malloc): the peak is then what the profile held, not what the allocators kept,
        # which varied by 50 MB between runs of the same code and failed CI at random
        env = {**os.environ, "MALLOC_MMAP_THRESHOLD_": "131072", "ARROW_DEFAULT_MEMORY_POOL": "system"}
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
        )
        rows, before_kb, after_kb = map(int, done.stdout.split())
        return rows, (after_kb - before_kb) / 1024

    rows_small, small_mb = growth_mb(small)
    rows_big, big_mb = growth_mb(big)
    assert (rows_small, rows_big) == (200_000, 2_000_000)
    one_group_mb = lw.datasets.credit(100_000).memory_usage(deep=True).sum() / 2**20
    # what a profile holds beyond a few chunks in flight is its 50,000-row sample, its
    # sketches and at most 2 million row hashes: the same for both files but the hashes; the
    # fixed part (lazy imports, the sample's finalize) cancels out
    # (a profile that held its rows would grow by 18 row groups, about 290 MB)
    assert big_mb - small_mb < 2 * one_group_mb + 16, (small_mb, big_mb, one_group_mb)


def _set_environment(values: dict[str, str]) -> None:
    import os

    os.environ.update(values)


def test_run_many_on_the_cluster(client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import nbformat

    from lifecycle_widgets.store.keys import new_key

    # records are signed: a key of the test's own, trusted by the verifier's configuration
    monkeypatch.setenv("LIFECYCLE_WIDGETS_KEYS", str(tmp_path / "keys"))
    trusted = tmp_path / "allowed_signers"
    trusted.write_text(new_key("tester").public_line() + "\n")
    monkeypatch.setenv("LIFECYCLE_WIDGETS_TRUSTED_KEYS", str(trusted))
    monkeypatch.setenv("LIFECYCLE_WIDGETS_STORE", str(tmp_path / "lifecycle.db"))
    # each worker process signs with a key of its own keys folder (never one shipped to it)
    client.run(_set_environment, {"LIFECYCLE_WIDGETS_KEYS": str(tmp_path / "keys")})

    template = tmp_path / "t.ipynb"
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("k: int = 1  # a number")
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [
        cell,
        nbformat.v4.new_code_cell(
            "import lifecycle_widgets as lw\nassert k != 3, 'k must not be 3'\nlw.record('square', k * k)"
        ),
    ]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, template)
    out, store = tmp_path / "audits", tmp_path / "lifecycle.db"
    summary = lw.audit.run_many(
        template, [{"k": k} for k in (1, 2, 3, 4)], out=out, store=store, client=client
    )
    frame = summary.to_frame().sort_values("param.k")
    assert frame["status"].tolist() == ["succeeded", "succeeded", "failed", "succeeded"], frame["error"].tolist()
    assert frame["square"].dropna().tolist() == [1, 4, 16]
    assert "k must not be 3" in frame["error"].iloc[2]
    records = sorted(p for p in out.iterdir() if not p.name.startswith("."))
    assert len(records) == 4 and len({p.name for p in records}) == 4
    assert all(lw.audit.verify(p).ok for p in records)
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no claim or partial left
    with pytest.raises(lw.ParameterError, match="Parameter set 1: Unknown parameter 'kk'"):
        lw.audit.run_many(template, [{"k": 1}, {"kk": 2}], out=out, store=store, client=client)
    json.dumps(summary.to_dict())


def test_unreachable_cluster(monkeypatch: pytest.MonkeyPatch) -> None:
    # nothing listens on port 9: Dask retries the refused connection until its timeout, 10 s by
    # default; the error is the same after one second
    monkeypatch.setattr(lw.audit.batch, "CONNECT_TIMEOUT", "1s")
    with pytest.raises(lw.ParameterError, match=r"Cannot reach the Dask cluster at 'tcp://127\.0\.0\.1:9'"):
        lw.audit.run_many("notebooks/data_audit.ipynb", [{"demo_rows": 500}], client="tcp://127.0.0.1:9")
