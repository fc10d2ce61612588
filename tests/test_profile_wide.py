"""Wide tables: the association matrices on a uniform subsample of the row sample (its size
rule, the note that states the standard error, the values against pandas on those rows), and
the finalize steps that were made faster giving the same numbers as the plain computations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import lifecycle_widgets as lw
from lifecycle_widgets.core import ingest, profiling
from lifecycle_widgets.core.ingest import collect, default_sample_size
from lifecycle_widgets.core.profile_alerts import _keys_of_columns, uniform_distance, value_keys
from lifecycle_widgets.core.sketches import SampleQuantiles, sorted_quantiles
from lifecycle_widgets.panels.profile import correlation_sample_text


def test_association_rows_rule() -> None:
    # all of the sample while rows x columns stay within 2 million cells, then fewer, not below 10,000
    assert profiling.association_rows(50_000, 20) == 50_000
    assert profiling.association_rows(50_000, 40) == 50_000
    assert profiling.association_rows(50_000, 41) == 2_000_000 // 41
    assert profiling.association_rows(50_000, 150) == 13_333
    assert profiling.association_rows(50_000, 10_000) == 10_000
    assert profiling.association_rows(8_000, 150) == 8_000  # never more rows than the sample
    assert profiling.association_rows(50_000, 0) == 50_000
    assert profiling.association_note(50_000, 50_000) == ""
    assert "1/sqrt(13,333) = 0.0087" in profiling.association_note(13_333, 50_000)


def _mixed(n: int, k: int) -> pd.DataFrame:
    rng = np.random.default_rng(5)
    base = rng.normal(size=n)
    cols = {f"x{i}": base * (i % 3) + rng.normal(size=n) for i in range(k)}
    cols["x1"][rng.random(n) < 0.1] = np.nan
    cols["c0"] = rng.choice(["a", "b", "c"], n)
    cols["c1"] = np.where(base > 0, "hi", "lo")
    return pd.DataFrame(cols)


def test_a_wide_table_is_correlated_on_the_first_rows_of_its_sample(monkeypatch: pytest.MonkeyPatch) -> None:
    df = _mixed(1_000, 8)
    monkeypatch.setattr(profiling, "ASSOCIATION_CELLS", 3_000)  # 10 columns: 300 rows
    monkeypatch.setattr(profiling, "MIN_ASSOCIATION_ROWS", 100)
    prof = lw.profile(df)
    assert prof.sample_rows == 1_000 and prof.association_rows == 300
    _, part = collect(df)
    first = part.sample.iloc[np.argsort(part.sample_keys, kind="stable")[:300]]
    pearson = next(m for m in prof.correlations if m.method == "pearson")
    expected = first[[f"x{i}" for i in range(8)]].corr(min_periods=3).to_numpy()
    np.testing.assert_allclose(np.array(pearson.values, dtype=float), expected, atol=1e-12)
    spearman = next(m for m in prof.correlations if m.method == "spearman")
    expected = first[[f"x{i}" for i in range(8)]].corr("spearman", min_periods=3).to_numpy()
    np.testing.assert_allclose(np.array(spearman.values, dtype=float), expected, atol=1e-12)
    for m in prof.correlations:
        assert "on 300 of the 1,000 sampled rows" in m.note and "1/sqrt(300) = 0.0577" in m.note
    assert (
        correlation_sample_text(prof)
        == "300 of the 1,000 sampled rows (standard error of a coefficient at most 0.058)"
    )
    assert "on 300 of the 1,000 sampled rows" in prof.to_html()
    # the quantiles still come from the whole sample
    assert prof.column("x0").quantile_rank_error == 0.0 and prof.column("x0").histogram is not None
    assert lw.DataProfile.from_dict(prof.to_dict()) == prof


def test_a_narrow_table_keeps_its_whole_sample() -> None:
    prof = lw.profile(_mixed(2_000, 8))
    assert prof.association_rows == prof.sample_rows == 2_000
    assert all("sampled rows" not in m.note for m in prof.correlations)
    assert correlation_sample_text(prof) == "2,000 rows"


def test_default_sample_size_rule() -> None:
    # 50,000 rows up to 400 columns, then 20 million cells, never below 20,000 rows
    assert default_sample_size(1) == default_sample_size(400) == 50_000
    assert default_sample_size(401) == 20_000_000 // 401
    assert default_sample_size(1_000) == default_sample_size(2_000) == 20_000
    assert default_sample_size(0) == 50_000


def test_a_wide_table_samples_fewer_rows_and_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    # a small cell budget stands in for a 1,000-column table: 30 columns x 400 rows
    monkeypatch.setattr(ingest, "SAMPLE_CELLS", 30 * 400)
    monkeypatch.setattr(ingest, "MIN_SAMPLE_ROWS", 300)
    df = _mixed(3_000, 28)
    assert df.shape[1] == 30
    _, small = collect(df, sample_size=None, workers=1)
    _, whole = collect(df, sample_size=3_000, workers=1)
    assert small.sample is not None and len(small.sample) == 400
    # the smaller sample is the first rows (smallest keys) of the larger one: the same uniform draw
    assert np.array_equal(small.sample_positions, whole.sample_positions[:400])
    prof = lw.profile(df)
    assert prof.sample_rows == 400
    x0 = prof.column("x0")
    assert x0.quantile_rank_error == pytest.approx(np.sqrt(np.log(200) / 800))
    assert lw.profile(df, sample_size=3_000).sample_rows == 3_000  # asked for: kept as asked
    assert lw.profile(df, sample_size=3_000).column("x0").quantile_rank_error == 0.0


def test_sorted_quantiles_are_numpys() -> None:
    rng = np.random.default_rng(3)
    probs = [0.0, 0.005, 0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99, 0.995, 1.0]
    for n in (1, 2, 3, 10, 999, 5_000):
        for v in (np.sort(rng.normal(size=n) * 1e6), np.sort(rng.integers(0, 4, n).astype(float))):
            assert (sorted_quantiles(v, probs) == np.quantile(v, probs)).all()


def test_uniform_distance_matches_a_search_of_every_point() -> None:
    rng = np.random.default_rng(4)
    for integer in (True, False):
        x = rng.integers(0, 50, 3_000).astype(float) if integer else rng.uniform(size=3_000)
        sq = SampleQuantiles.of(x, x.size)
        v, points = sq.values, np.unique(sq.values)
        below = np.searchsorted(v, points, side="left") / v.size
        upto = np.searchsorted(v, points, side="right") / v.size
        low, high = x.min(), x.max()
        if integer:
            f_below, f_upto = (points - low) / (high - low + 1), (points - low + 1) / (high - low + 1)
        else:
            f_below = f_upto = (points - low) / (high - low)
        expected = max(np.abs(upto - f_upto).max(), np.abs(below - f_below).max())
        assert uniform_distance(sq, low, high, integer=integer) == expected


def test_keys_of_columns_are_each_columns_value_keys() -> None:
    df = pd.DataFrame(
        {
            "i": [1, 2, 3, 4],
            "f": [1.0, np.nan, -0.0, 4.0],
            "b": [True, False, True, True],
            "n": pd.array([1, None, 3, 4], dtype="Int64"),
            "s": ["1", None, "y", "x"],
            "u": np.array([1, 2, 3, 4], dtype=np.uint8),
            "d": pd.to_datetime(["2020-01-01", None, "2020-01-02", "2020-01-03"]),
        }
    )
    keys, missing = _keys_of_columns(df, list(df.columns))
    for i, c in enumerate(df.columns):
        k, m = value_keys(df[c])
        assert (keys[:, i] == k).all() and (missing[:, i] == m).all(), c
