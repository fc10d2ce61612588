"""The profile engine: threads give the same bytes as one thread, merged partials agree with one
pass, text hashes agree across their two code paths, and wide frames profile column by column."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import lifecycle_widgets as lw
from lifecycle_widgets.core import ingest
from lifecycle_widgets.core.ingest import collect, fingerprint
from lifecycle_widgets.core.partial import (
    _buffers,
    _byte_hashes,
    sample_key_limit,
    string_hashes,
    table_partial,
)
from lifecycle_widgets.core.sketches import FrequentValues
from lifecycle_widgets.exceptions import ParameterError
from lifecycle_widgets.panels import display


def _frame(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.lognormal(1.0, 1.2, n)
    x[rng.random(n) < 0.1] = np.nan
    return pd.DataFrame(
        {
            "x": x,
            "k": rng.integers(0, 40, n),
            "city": pd.Series(
                np.array(["Zürich", "Oslo", "Lyon", "東京"])[rng.integers(0, 4, n)], dtype="str"
            ),
            "code": pd.Series([f"id-{v}" for v in rng.integers(0, n // 2, n)], dtype="str"),
            "flag": rng.random(n) < 0.3,
            "t": pd.to_datetime(rng.integers(0, 10**9, n), unit="s", utc=True),
            "y": (rng.random(n) < 0.2).astype(np.int64),
        }
    )


def _profile_bytes(
    data: object, workers: int, monkeypatch: pytest.MonkeyPatch, **kwargs: object
) -> tuple[str, str]:
    monkeypatch.setattr(ingest, "WORKERS", workers)
    prof = lw.profile(data, progress=False, **kwargs)
    return prof.to_json(), display.html_document(prof)


def test_threads_give_the_same_bytes_as_one_thread(tmp_path, monkeypatch) -> None:
    df = _frame(12_000)
    path = tmp_path / "data.parquet"
    pq.write_table(pa.Table.from_pandas(df, preserve_index=False), path, row_group_size=1_000)
    assert pq.ParquetFile(path).num_row_groups == 12
    one = _profile_bytes(path, 1, monkeypatch, target="y", sample_size=5_000)
    two = _profile_bytes(path, 2, monkeypatch, target="y", sample_size=5_000)
    four = _profile_bytes(path, 4, monkeypatch, target="y", sample_size=5_000)
    again = _profile_bytes(path, 2, monkeypatch, target="y", sample_size=5_000)
    assert one[0] == two[0] == four[0] == again[0]  # the profile's JSON
    assert one[1] == two[1] == four[1] == again[1]  # the static HTML page


def test_one_chunk_with_columns_on_threads_gives_the_same_bytes(monkeypatch) -> None:
    df = _frame(5_000, seed=3)
    assert _profile_bytes(df, 1, monkeypatch) == _profile_bytes(df, 3, monkeypatch)


def test_merged_partials_agree_with_one_pass() -> None:
    df = _frame(9_000, seed=1)
    whole = table_partial(df, sample_size=2_000)
    merged = None
    for start in range(0, len(df), 1_250):
        part = table_partial(df.iloc[start : start + 1_250], sample_size=2_000, offset=start)
        merged = part if merged is None else merged.merge(part)
    assert merged is not None
    assert fingerprint(merged) == fingerprint(whole)
    assert merged.duplicate_rows() == whole.duplicate_rows()
    # the sample is bottom-k by a key of content and position: the same rows however chunked
    assert np.array_equal(merged.sample_keys, whole.sample_keys)
    assert np.array_equal(merged.sample_positions, whole.sample_positions)
    pd.testing.assert_frame_equal(merged.sample, whole.sample)
    for name in df.columns:
        a, b = whole.partials[name], merged.partials[name]
        assert (a.rows, a.missing, a.infinite, a.zeros, a.negatives) == (
            b.rows,
            b.missing,
            b.infinite,
            b.zeros,
            b.negatives,
        ), name
        assert a.lengths == b.lengths, name
        assert np.array_equal(a.distinct.mins, b.distinct.mins), name
        assert (
            a.moments.n == b.moments.n and a.moments.min == b.moments.min and a.moments.max == b.moments.max
        )
        assert b.moments.mean == pytest.approx(a.moments.mean, rel=1e-12, abs=1e-9)
        assert b.moments.m2 == pytest.approx(a.moments.m2, rel=1e-9)
        if a.frequent is not None and a.frequent.error == 0:
            assert b.frequent is not None and b.frequent.error == 0
            assert a.frequent.counts.sort_index().to_dict() == b.frequent.counts.sort_index().to_dict(), name


def test_text_counted_in_arrow_matches_python() -> None:
    df = _frame(4_000, seed=2)
    part = table_partial(df, sample_size=0)
    city = part.partials["city"]
    expected = df["city"].value_counts()
    assert city.frequent is not None
    assert city.frequent.counts.sort_index().to_dict() == expected.sort_index().to_dict()
    assert city.lengths.total == int(df["city"].str.len().sum())
    assert city.lengths.min == 2 and city.lengths.max == 6  # 東京, Zürich
    code = part.partials["code"]
    assert code.distinct.estimate() == pytest.approx(df["code"].nunique(), rel=0.05)


@pytest.mark.parametrize("alphabet", ["ascii", "unicode"])
def test_string_hashes_agree_between_word_matrix_and_bytes(alphabet: str) -> None:
    rng = np.random.default_rng(4)
    letters = "abcdefghij -_" if alphabet == "ascii" else "aé東 ß😀"
    values = ["".join(rng.choice(list(letters), size=rng.integers(0, 90))) for _ in range(3_000)]
    values += ["", " ", "a", "a ", "abcdefgh", "abcdefgh "]
    arr = pa.array(values)
    data, offsets = _buffers(arr)
    with np.errstate(over="ignore"):
        by_bytes = _byte_hashes(data, offsets)
    hashes = string_hashes(arr)
    assert np.array_equal(hashes, by_bytes)
    assert np.array_equal(string_hashes(pa.array(values, pa.large_string())), hashes)
    assert np.array_equal(string_hashes(arr.slice(100, 50)), hashes[100:150])
    # distinct values, distinct hashes ("a" and "a " differ by their length)
    assert len(set(hashes.tolist())) == len(set(values))


def test_text_hashes_alike_in_every_dtype() -> None:
    values = ["north", "south", None, "Zürich", "north"]
    forms = [
        pd.Series(values, dtype=object),
        pd.Series(values, dtype="str"),
        pd.Series(values, dtype="category"),
    ]
    # the fingerprint also holds the logical type (object, string, categorical): compare content
    parts = [table_partial(s.to_frame("c"), sample_size=0) for s in forms]
    assert len({p.content_sums for p in parts}) == 1
    assert len({tuple(p.partials["c"].distinct.mins.tolist()) for p in parts}) == 1


def test_update_counts_equals_update_of_the_pairs() -> None:
    rng = np.random.default_rng(5)
    values = np.array([f"v{i}" for i in range(3_000)], dtype=object)
    counts = rng.integers(0, 50, values.size)
    a, b = FrequentValues(capacity=100), FrequentValues(capacity=100)
    a.update(pd.Series(counts, index=pd.Index(values)))
    b.update_counts(pa.array(values.tolist()), counts)
    assert a.error == b.error > 0
    assert a.counts.sort_index().to_dict() == b.counts.sort_index().to_dict()


def test_wide_frame_profiles_every_column(monkeypatch) -> None:
    rng = np.random.default_rng(6)
    n, k = 400, 600
    data = {f"n{j}": rng.normal(j, 1.0, n) for j in range(k // 2)}
    data |= {f"c{j}": rng.choice(["a", "b", "c"], n) for j in range(k // 2)}
    df = pd.DataFrame(data)
    monkeypatch.setattr(ingest, "WORKERS", 2)
    prof = lw.profile(df, progress=False)
    assert prof.n_columns == k and prof.column_names == tuple(df.columns)
    assert prof.column("n7").mean == pytest.approx(df["n7"].mean())
    assert prof.column("c5").distinct == df["c5"].nunique()
    numeric = next(m for m in prof.correlations if m.method == "pearson")
    assert len(numeric.columns) == 100  # the cap; the others are named as left out
    assert sum("cap" in x.reason for x in prof.correlations_left_out) >= k // 2 - 100


def test_workers_must_be_a_positive_int() -> None:
    df = _frame(100)
    with pytest.raises(ParameterError, match="workers"):
        collect(df, workers=0)
    with pytest.raises(ParameterError, match="workers"):
        collect(df, workers=1.5)  # type: ignore[arg-type]


def test_key_limit_keeps_the_same_sample() -> None:
    df = _frame(30_000, seed=7)
    whole = table_partial(df, sample_size=1_000)
    limit = sample_key_limit(len(df), 1_000)
    assert limit is not None
    merged = None
    for start in range(0, len(df), 4_000):
        part = table_partial(df.iloc[start : start + 4_000], sample_size=1_000, offset=start, key_limit=limit)
        assert part.sample is not None and len(part.sample) < 1_000  # only rows below the limit
        merged = part if merged is None else merged.merge(part)
    assert merged is not None
    assert np.array_equal(merged.sample_positions, whole.sample_positions)
    pd.testing.assert_frame_equal(merged.sample, whole.sample)


@pytest.mark.parametrize(("levels", "null_share"), [(10**9, 0.0), (30_000, 0.3), (1_500, 0.1)])
def test_mostly_distinct_text_counts_as_its_dictionary_does(monkeypatch, levels, null_share) -> None:
    # a column of mostly distinct values is counted from its hashes, without a dictionary: every
    # statistic, the frequent values' order (ties follow it) and each row's hash stay the same
    from lifecycle_widgets.core import partial

    rng = np.random.default_rng(levels)
    n = 40_000
    words = [f"é{v}" if v % 7 == 0 else ("" if v % 11 == 0 else f"id-{v}") for v in rng.integers(0, levels, n)]
    text = pa.array(words, mask=rng.random(n) < null_share, type=pa.large_string())
    assert partial._mostly_unique(text)
    (fast, fast_hashes), *_ = partial.arrow_text_partials([("c", "str", text)])
    monkeypatch.setattr(partial, "_mostly_unique", lambda _text: False)
    (slow, slow_hashes), *_ = partial.arrow_text_partials([("c", "str", text)])
    assert np.array_equal(fast_hashes, slow_hashes)
    assert (fast.missing, fast.lengths) == (slow.missing, slow.lengths) and fast.missing == text.null_count
    assert np.array_equal(fast.distinct.mins, slow.distinct.mins)
    assert fast.frequent.counts.index.tolist() == slow.frequent.counts.index.tolist()
    assert fast.frequent.counts.tolist() == slow.frequent.counts.tolist()
    assert fast.frequent.error == slow.frequent.error
