"""Profile statistics against independent computations (pandas, numpy, scipy, by hand)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from scipy.stats.contingency import association

import lifecycle_widgets as lw
from lifecycle_widgets.core.correlations import codes_of, correlation_ratio, cramers_v
from tests.conftest import mixed_frame


def test_numeric_statistics_match_pandas(frame_kind) -> None:
    df = frame_kind(mixed_frame())
    prof = lw.profile(df)
    x = mixed_frame()["x"]
    finite = x[np.isfinite(x)]
    col = prof.column("x")
    assert col.missing == int(x.isna().sum())
    assert col.infinite == 3
    assert col.count == int(x.notna().sum())
    assert col.mean == pytest.approx(finite.mean())
    assert col.std == pytest.approx(finite.std())
    assert col.skewness == pytest.approx(finite.skew())
    assert col.kurtosis == pytest.approx(finite.kurt())
    assert (col.min, col.max) == (finite.min(), finite.max())
    assert col.zeros == int((finite == 0).sum())
    assert col.negatives == int((finite < 0).sum())


def test_chunked_profile_equals_whole(credit: pd.DataFrame) -> None:
    whole = lw.profile(credit, target="defaulted")
    chunked = lw.profile(credit, target="defaulted", chunk_rows=333)
    assert chunked.fingerprint == whole.fingerprint
    assert chunked.duplicate_rows == whole.duplicate_rows
    for a, b in zip(whole.columns, chunked.columns, strict=True):
        assert (a.count, a.missing, a.min, a.max, a.zeros, a.negatives, a.infinite, a.kind) == (
            b.count,
            b.missing,
            b.min,
            b.max,
            b.zeros,
            b.negatives,
            b.infinite,
            b.kind,
        )
        if a.mean is not None:
            assert b.mean == pytest.approx(a.mean)
            assert (b.std is None and a.std is None) or b.std == pytest.approx(a.std)
            if a.kurtosis is not None:
                assert b.skewness == pytest.approx(a.skewness)
                assert b.kurtosis == pytest.approx(a.kurtosis)
        if a.distinct_exact and b.distinct_exact:
            assert a.distinct == b.distinct
    # the content-keyed sample is the same however the rows were chunked
    assert chunked.correlations == whole.correlations


def test_parquet_row_groups_stream_to_the_same_profile(credit: pd.DataFrame, tmp_path) -> None:
    path = tmp_path / "credit.parquet"
    pq.write_table(pa.Table.from_pandas(credit, preserve_index=False), path, row_group_size=500)
    assert pq.ParquetFile(path).num_row_groups == 8
    from_file = lw.profile(path, target="defaulted")
    from_frame = lw.profile(credit, target="defaulted")
    assert from_file.fingerprint == from_frame.fingerprint
    assert from_file.source == "credit.parquet"
    assert [c.missing for c in from_file.columns] == [c.missing for c in from_frame.columns]
    table = lw.profile(pa.Table.from_pandas(credit, preserve_index=False), chunk_rows=700)
    assert table.fingerprint == from_frame.fingerprint


def test_parquet_folder(credit: pd.DataFrame, tmp_path) -> None:
    (tmp_path / "parts").mkdir()
    credit.iloc[:1500].to_parquet(tmp_path / "parts" / "a.parquet")
    credit.iloc[1500:].to_parquet(tmp_path / "parts" / "b.parquet")
    prof = lw.profile(tmp_path / "parts")
    assert prof.n_rows == len(credit)
    assert prof.column("income").missing == int(credit["income"].isna().sum())


def test_fingerprint_changes_with_content_only(credit: pd.DataFrame) -> None:
    base = lw.profile(credit).fingerprint
    assert lw.profile(credit.sample(frac=1.0, random_state=0)).fingerprint.sha256 == base.sha256
    changed = credit.copy()
    changed.loc[17, "age"] += 1
    assert lw.profile(changed).fingerprint.sha256 != base.sha256
    renamed = credit.rename(columns={"age": "age_years"})
    assert lw.profile(renamed).fingerprint.sha256 != base.sha256


def test_duplicate_rows_counted() -> None:
    df = pd.DataFrame({"a": [1, 1, 2, 2, 2, 3], "b": ["x", "x", "y", "y", "z", "z"]})
    prof = lw.profile(df, chunk_rows=2)
    assert prof.duplicate_rows == int(df.duplicated().sum()) == 2
    assert prof.duplicate_rows_exact
    assert any(a.type == "duplicate_rows" for a in prof.alerts)


def test_histogram_counts_add_up(credit_profile: lw.DataProfile, credit: pd.DataFrame) -> None:
    for name in ("age", "income", "utilization", "last_login"):
        col = credit_profile.column(name)
        hist = col.histogram
        assert hist is not None
        assert sum(hist.counts) + hist.below + hist.above == pytest.approx(col.count - col.infinite, abs=2)
    age = credit_profile.column("age").histogram
    assert list(age.counts) == np.histogram(credit["age"], age.edges)[0].tolist()


def test_quantiles_close_to_numpy(credit_profile: lw.DataProfile, credit: pd.DataFrame) -> None:
    col = credit_profile.column("income")
    x = credit["income"].dropna().to_numpy()
    for p in ("0.25", "0.5", "0.75"):
        rank = (x <= col.quantiles[p]).mean()
        assert abs(rank - float(p)) <= col.quantile_rank_error + 1 / x.size


def test_kinds_of_demo_columns(credit_profile: lw.DataProfile) -> None:
    kinds = {c.name: c.kind for c in credit_profile.columns}
    assert kinds == {
        "customer_id": "identifier",
        "age": "integer",
        "income": "numeric",
        "debt_ratio": "numeric",
        "utilization": "numeric",
        "n_accounts": "integer",
        "late_payments": "integer",
        "region": "categorical",
        "employment_type": "categorical",
        "employer": "categorical",
        "signup_date": "datetime",
        "last_login": "datetime",
        "has_mortgage": "boolean",
        "notes": "text",
        "defaulted": "boolean",
    }
    assert credit_profile.column("signup_date").timezone == "UTC"


def test_top_values_match_value_counts(credit_profile: lw.DataProfile, credit: pd.DataFrame) -> None:
    col = credit_profile.column("employment_type")
    expected = credit["employment_type"].value_counts()
    assert dict(col.top_values) == {k: int(v) for k, v in expected.items()}
    assert col.distinct == credit["employment_type"].nunique()


def test_correlations_match_pandas(credit_profile: lw.DataProfile, credit: pd.DataFrame) -> None:
    # the sample holds every row here (4,000 < sample_size), so the matrices are exact
    assert credit_profile.sample_rows == len(credit)
    for matrix in credit_profile.correlations:
        if matrix.method in ("pearson", "spearman"):
            cols = list(matrix.columns)
            numeric = credit[cols].replace([np.inf, -np.inf], np.nan)
            expected = numeric.corr(method=matrix.method)
            got = pd.DataFrame(matrix.values, index=cols, columns=cols).astype(float)
            pd.testing.assert_frame_equal(got, expected, check_names=False, atol=1e-9)


def test_cramers_v_matches_scipy() -> None:
    rng = np.random.default_rng(5)
    a = rng.choice(["x", "y", "z"], 2000)
    b = np.where(rng.random(2000) < 0.6, a, rng.choice(["x", "y", "z"], 2000))
    table = pd.crosstab(a, b).to_numpy()
    expected = association(table, method="cramer")
    got = cramers_v(codes_of(pd.Series(a)), codes_of(pd.Series(b)), bias_corrected=False)
    assert got == pytest.approx(expected)


def test_cramers_v_bias_correction_by_hand() -> None:
    a = np.array([0, 0, 1, 1, 0, 1, 0, 1, 1, 1])
    b = np.array([0, 0, 1, 1, 1, 1, 0, 0, 1, 1])
    table = pd.crosstab(a, b).to_numpy()
    n, (r, c) = table.sum(), table.shape
    chi2 = n * (np.linalg.det(table) ** 2) / (table.sum(0).prod() * table.sum(1).prod())
    phi2 = max(0.0, chi2 / n - (r - 1) * (c - 1) / (n - 1))
    rc, cc = r - (r - 1) ** 2 / (n - 1), c - (c - 1) ** 2 / (n - 1)
    assert cramers_v(a, b) == pytest.approx(np.sqrt(phi2 / min(rc - 1, cc - 1)))


def test_correlation_ratio_by_hand() -> None:
    codes = np.array([0, 0, 1, 1, 2, 2])
    x = np.array([1.0, 3.0, 5.0, 7.0, 2.0, 2.0])
    means = np.array([2.0, 6.0, 2.0])
    between = (2 * (means - x.mean()) ** 2).sum()
    total = ((x - x.mean()) ** 2).sum()
    assert correlation_ratio(codes, x) == pytest.approx(np.sqrt(between / total))


def test_target_association(credit_profile: lw.DataProfile, credit: pd.DataFrame) -> None:
    assoc = {a.column: a for a in credit_profile.target_association}
    assert "defaulted" not in assoc and "customer_id" not in assoc
    assert assoc["utilization"].method == "correlation_ratio"
    assert assoc["region"].method == "cramers_v"
    expected = correlation_ratio(codes_of(credit["defaulted"]), credit["utilization"].to_numpy())
    assert assoc["utilization"].value == pytest.approx(expected)
    values = [a.value for a in credit_profile.target_association]
    assert values == sorted(values, reverse=True)


def test_json_round_trip(credit_profile: lw.DataProfile, tmp_path) -> None:
    carded = credit_profile.with_card(owner="risk", source="<b>core</b>", license="CC0-1.0")
    again = lw.DataProfile.from_dict(carded.to_dict())
    assert again == carded
    path = tmp_path / "profile.json"
    carded.to_json(path)
    assert lw.DataProfile.read_json(path) == carded
    assert again.card.owner == "risk"


def test_from_dict_rejects_other_kinds_and_unknown_keys(credit_profile: lw.DataProfile) -> None:
    data = credit_profile.to_dict()
    with pytest.raises(lw.ParameterError, match="unknown keys"):
        lw.DataProfile.from_dict({**data, "surprise": 1})
    with pytest.raises(lw.ParameterError, match="newer lifecycle_widgets"):
        lw.DataProfile.from_dict({**data, "schema_version": 99})
    with pytest.raises(lw.ParameterError, match="Cannot read a 'drift_report'"):
        lw.DataProfile.from_dict({**data, "kind": "drift_report"})


def test_datasets_are_deterministic() -> None:
    pd.testing.assert_frame_equal(lw.datasets.credit(300, seed=4), lw.datasets.credit(300, seed=4))
    assert not lw.datasets.credit(300, seed=4).equals(lw.datasets.credit(300, seed=5))
    batch = lw.datasets.credit_batch(3000)
    train = lw.datasets.credit(3000)
    assert batch["income"].mean() > 1.15 * train["income"].mean()
    assert batch["notes"].isna().mean() > 0.6 > train["notes"].isna().mean()
    assert "gig" in set(batch["employment_type"]) - set(train["employment_type"])


def test_fingerprint_is_the_same_for_every_dtype_backend(credit: pd.DataFrame, frame_kind) -> None:
    assert lw.profile(frame_kind(credit)).fingerprint.sha256 == lw.profile(credit).fingerprint.sha256


def test_duplicates_are_estimated_in_bounded_memory(monkeypatch) -> None:
    from lifecycle_widgets.core import partial

    rng = np.random.default_rng(4)
    base = pd.DataFrame({"a": rng.integers(0, 10**9, 200_000), "b": rng.normal(size=200_000)})
    df = pd.concat([base, base.iloc[:20_000]], ignore_index=True)  # 20,000 duplicate rows
    exact = lw.profile(df, chunk_rows=50_000)
    assert (exact.duplicate_rows, exact.duplicate_rows_exact) == (20_000, True)
    monkeypatch.setattr(partial, "MAX_ROW_HASHES", 30_000)  # keep at most 30,000 row hashes
    sampled = lw.profile(df, chunk_rows=50_000)
    assert not sampled.duplicate_rows_exact
    # about 1/8 of the hash space is kept: ~2,500 duplicates seen, so a few percent of error
    assert abs(sampled.duplicate_rows - 20_000) < 0.15 * 20_000


def test_integer_histogram_bins_are_unit_aligned_and_even() -> None:
    """A uniform integer column (age 18 to 79: 62 values) gets bins of a whole number of values
    each, so no bin is taller for holding one value more (edge bins were 1.6 times too tall)."""
    rng = np.random.default_rng(0)
    ages = pd.DataFrame({"age": rng.integers(18, 80, 200_000)})
    hist = lw.profile(ages).column("age").histogram
    edges = np.asarray(hist.edges)
    widths = np.diff(edges)
    assert np.allclose(widths, widths[0]) and widths[0] == round(widths[0])
    assert np.allclose(edges % 1, 0.5)  # every edge halfway between two integers
    assert hist.below == hist.above == 0 and sum(hist.counts) == 200_000
    full = np.asarray(hist.counts[:-1], dtype=float)  # the last bin may hold fewer values
    assert full.max() / full.min() < 1.05


@pytest.mark.parametrize("loader", ["load_iris", "load_wine", "load_breast_cancer", "load_diabetes", "load_digits"])
@pytest.mark.parametrize("chunk_rows", [None, 37])
def test_bundled_datasets_match_pandas(loader: str, chunk_rows: int | None) -> None:
    """scikit-learn's bundled datasets (not made by this project), whole and in chunks of 37
    rows: every column's moments, range, distinct and missing counts, and the duplicate rows,
    as pandas computes them."""
    from sklearn import datasets

    df = getattr(datasets, loader)(as_frame=True).frame
    prof = lw.profile(df, progress=False, **({} if chunk_rows is None else {"chunk_rows": chunk_rows}))
    assert prof.n_rows == len(df) and prof.duplicate_rows == int(df.duplicated().sum())
    for name in df.columns:
        s, col = df[name], prof.column(str(name))
        assert (col.missing, col.distinct) == (int(s.isna().sum()), s.nunique()), name
        assert (col.min, col.max) == (s.min(), s.max()), name
        expected = [s.mean(), s.std(), s.skew(), s.kurt()]
        got = [col.mean, col.std, col.skewness, col.kurtosis]
        np.testing.assert_allclose(np.array(got, dtype=float), expected, rtol=1e-9, atol=1e-12, err_msg=str(name))
