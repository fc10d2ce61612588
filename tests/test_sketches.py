"""The sketches against exact answers, within their documented bounds."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lifecycle_widgets.core.sketches import (
    DistinctSketch,
    FrequentValues,
    SampleQuantiles,
    dkw_bound,
    sorted_unique,
)


def _sample_of(x: np.ndarray, m: int, seed: int = 0) -> SampleQuantiles:
    rng = np.random.default_rng(seed)
    return SampleQuantiles.of(rng.choice(x, m, replace=False), x.size)


def test_sample_quantiles_within_the_dkw_bound() -> None:
    x = np.random.default_rng(0).lognormal(0, 1.5, 400_000)
    sq = _sample_of(x, 50_000)
    assert not sq.exact and sq.rank_error == pytest.approx(np.sqrt(np.log(200) / 100_000))
    probs = [0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99]
    for p, q in zip(probs, sq.quantiles(probs), strict=True):
        assert abs((x <= q).mean() - p) <= sq.rank_error


def test_sample_histogram_within_the_dkw_bound() -> None:
    x = np.random.default_rng(1).normal(size=200_000)
    sq = _sample_of(x, 50_000, seed=3)
    edges = np.linspace(-3, 3, 31)
    approx = sq.counts(edges)
    exact = np.bincount(np.searchsorted(edges, x, side="right"), minlength=32)
    # a bin's share is the difference of two ranks, each within rank_error
    assert np.all(np.abs(approx - exact) <= 2 * sq.rank_error * x.size + 1)


def test_sample_quantiles_are_exact_when_the_sample_holds_every_row() -> None:
    x = np.random.default_rng(2).normal(size=5000)
    sq = SampleQuantiles.of(np.append(x, [np.nan, np.inf]), 5000)
    assert sq.exact and sq.rank_error == 0.0
    assert list(sq.quantiles([0.1, 0.5, 0.9])) == list(np.quantile(x, [0.1, 0.5, 0.9]))
    edges = np.array([-1.0, 0.0, 1.0])
    assert list(sq.counts(edges, right=True)) == list(np.bincount(np.searchsorted(edges, x), minlength=4))


def test_dkw_bound() -> None:
    assert dkw_bound(0) == 1.0 and dkw_bound(50_000) < 0.0075


def test_distinct_exact_below_k_and_close_above() -> None:
    rng = np.random.default_rng(2)
    small = DistinctSketch()
    small.update(pd.util.hash_array(rng.integers(0, 1000, 50_000)))
    assert small.exact and small.estimate() == 1000
    big = DistinctSketch()
    for chunk in range(5):
        part = DistinctSketch()
        part.update(pd.util.hash_array(np.arange(chunk * 100_000, (chunk + 1) * 100_000)))
        big.merge(part)
    assert not big.exact
    assert abs(big.estimate() - 500_000) / 500_000 < 3 / np.sqrt(big.k - 2)


def test_distinct_with_few_values_and_many_repeats() -> None:
    sk = DistinctSketch(k=64)
    sk.update(pd.util.hash_array(np.repeat(np.arange(50), 1000)))  # 50 values, 50,000 hashes
    assert sk.exact and sk.estimate() == 50


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 40), min_size=1, max_size=400), st.integers(1, 8), st.integers(1, 5))
def test_frequent_values_error_bound(values: list[int], capacity: int, n_chunks: int) -> None:
    s = pd.Series(values)
    fv = FrequentValues(capacity=capacity)
    for idx in np.array_split(np.arange(len(s)), n_chunks):
        chunk = s.iloc[idx]
        part = FrequentValues(capacity=capacity)
        part.update(chunk.value_counts())
        fv.merge(part)
    truth = s.value_counts()
    assert fv.error <= len(s) / (capacity + 1)
    for value, count in fv.counts.items():
        assert truth[value] - fv.error <= count <= truth[value]
    # any value more frequent than the error bound is kept
    for value, count in truth.items():
        if count > fv.error:
            assert value in fv.counts.index


def test_frequent_values_exact_when_few() -> None:
    fv = FrequentValues(capacity=10)
    fv.update(pd.Series(list("aabbbc")).value_counts())
    fv.update(pd.Series(list("ccd")).value_counts())
    assert fv.error == 0
    assert fv.counts.sort_index().to_dict() == {"a": 2, "b": 3, "c": 3, "d": 1}


@pytest.mark.parametrize("values", [[], [3], [3, 3, 1, 2, 2, 9]])
def test_sorted_unique_matches_numpy(values: list[int]) -> None:
    arr = np.array(values, dtype=np.uint64)
    assert sorted_unique(arr).tolist() == np.unique(arr).tolist()
