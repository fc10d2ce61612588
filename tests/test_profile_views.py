"""The profile's views against independent computations: text statistics (Python's own string
methods), patterns, the missing-value matrix and nullity correlation (pandas), correlations of
every pair up to the cap, and target association by target type (scipy, by hand)."""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import lifecycle_widgets as lw
from lifecycle_widgets.core import profiling
from lifecycle_widgets.core.correlations import codes_of, correlation_ratio, cramers_v, spearman_matrix
from lifecycle_widgets.figures.profile import missing_matrix_figure, nullity_figure, text_figure

WORDS = ["alpha", "Beta", "gamma,", "delta!", "(epsilon)", "42", "x_y", "$5", "a-b"]


@pytest.fixture(scope="module", params=["ascii", "unicode"])
def texts(request: pytest.FixtureRequest) -> pd.Series:
    """Text with punctuation, symbols, digits and odd whitespace; ASCII only (counted from the
    bytes) or not (counted by regular expressions)."""
    rng = np.random.default_rng(3)
    n = 600
    words = WORDS + (["épsilon", "«ζήτα»", "☃"] if request.param == "unicode" else [])
    out = [" ".join(rng.choice(words, rng.integers(4, 14))) for _ in range(n)]
    out[:5] = ["", "  spaced   out  ", "UPPER lower 123 ~ |", "tab\tand\nnewline\x01", "x" * 40]
    return pd.Series(out + [None] * 20)


def _category(ch: str) -> str:
    cat = unicodedata.category(ch)
    if cat == "Lu":
        return "uppercase letters"
    if cat == "Ll":
        return "lowercase letters"
    if cat in ("Lt", "Lm", "Lo"):
        return "other letters"
    if cat.startswith("N"):
        return "digits"
    if ch.isspace():
        return "whitespace"
    if cat.startswith("P"):
        return "punctuation"
    if cat.startswith("S"):
        return "symbols"
    return "other"


def test_text_statistics_match_python(texts: pd.Series) -> None:
    col = lw.profile(pd.DataFrame({"t": texts})).column("t")
    present = texts.dropna().tolist()
    summary = col.text
    assert col.kind == "text" and summary.exact and summary.values == len(present) == summary.counted_values
    lengths = np.array([len(v) for v in present])
    assert (col.min_length, col.max_length) == (lengths.min(), lengths.max())
    assert col.mean_length == pytest.approx(lengths.mean())
    hist = summary.lengths
    assert list(hist.counts) == np.histogram(lengths, hist.edges)[0].tolist()
    words = [re.sub(r"^\W+|\W+$", "", w.lower()) for v in present for w in v.split()]
    words = [w for w in words if w]
    per_value = [sum(1 for w in v.split() if re.sub(r"^\W+|\W+$", "", w)) for v in present]
    assert summary.words_total == len(words) == sum(per_value)
    assert summary.words_max == max(per_value)
    assert summary.words_mean == pytest.approx(np.mean(per_value))
    counts = pd.Series(words).value_counts()
    assert summary.distinct_words == len(counts)
    assert dict(summary.top_words) == {w: int(counts[w]) for w, _ in summary.top_words}
    assert [n for _, n in summary.top_words] == counts.sort_values(ascending=False).head(20).tolist()
    by_class = pd.Series([_category(ch) for v in present for ch in v]).value_counts()
    assert dict(summary.character_classes) == by_class.to_dict()
    assert summary.characters_total == lengths.sum()


def test_patterns_of_codes() -> None:
    codes = pd.Series(["AB-1234", "CD-9876", "ab-12", "Zz 9", "AB-1234"] * 20)
    summary = lw.profile(pd.DataFrame({"code": codes})).column("code").text
    shape = codes.str.replace(r"[a-z]", "a", regex=True).str.replace(r"[A-Z]", "A", regex=True)
    shape = shape.str.replace(r"[0-9]", "9", regex=True).value_counts()
    assert dict(summary.patterns) == shape.to_dict()
    assert summary.patterns[0] == ("AA-9999", 60) and summary.distinct_patterns == 3


def test_text_statistics_from_a_sample_are_scaled_and_marked() -> None:
    rng = np.random.default_rng(0)
    texts = pd.Series([" ".join(rng.choice(WORDS, 40)) for _ in range(3000)])
    col = lw.profile(pd.DataFrame({"t": texts}), sample_size=1000).column("t")
    assert not col.text.exact and col.text.values == 1000
    assert sum(col.text.lengths.counts) == pytest.approx(3000, abs=len(col.text.lengths.counts))
    assert (
        "sample of 1,000 values"
        in text_figure(lw.profile(pd.DataFrame({"t": texts}), sample_size=1000), "t").layout.title.text
    )


def test_text_budget_bounds_the_work(monkeypatch) -> None:
    from lifecycle_widgets.core import profile_text

    monkeypatch.setattr(profile_text, "CHARACTER_BUDGET", 1000)
    texts = pd.Series([f"word{i % 7} filler" for i in range(5000)])
    summary = lw.profile(pd.DataFrame({"t": texts})).column("t").text
    assert summary.values == 5000 and 50 <= summary.counted_values <= 100
    assert summary.words_total == 2 * summary.counted_values


def test_text_figure_shows_the_summary(texts: pd.Series) -> None:
    prof = lw.profile(pd.DataFrame({"t": texts, "id": [f"K{i:05d}" for i in range(len(texts))]}))
    fig = text_figure(prof, "t")
    summary = prof.column("t").text
    assert list(fig.data[0].y) == list(summary.lengths.counts)
    assert list(fig.data[1].x)[::-1] == [n for _, n in summary.top_words]
    assert list(fig.data[2].x) == [c for c, _ in summary.character_classes]
    for axis in ("xaxis", "yaxis", "xaxis2", "yaxis2", "xaxis3", "yaxis3"):
        assert fig.layout[axis].title.text
    ident = text_figure(prof, "id")
    assert ident.data[1].name == "patterns" and list(ident.data[1].y) == ["A99999"]
    assert lw.figures.distribution_figure(prof, "t").data[1].name == "words"  # not an "(other ...)" bar
    with pytest.raises(lw.ColumnError, match="'x'"):
        text_figure(lw.profile(pd.DataFrame({"x": [1.0, 2.0]})), "x")


def test_missing_matrix_matches_pandas() -> None:
    rng = np.random.default_rng(1)
    n = 1000
    df = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n), "c": rng.normal(size=n)})
    df.loc[:299, "a"] = np.nan  # missing at the start of the table
    df.loc[rng.random(n) < 0.3, "b"] = np.nan
    df.loc[df["b"].isna() & (rng.random(n) < 0.8), "c"] = np.nan  # c goes missing with b
    prof = lw.profile(df, chunk_rows=137)
    m = prof.missing_matrix
    assert m.columns == ("a", "b", "c") and m.sample_rows == n and len(m.shares) == 50
    blocks = np.array_split(np.arange(n), 50)
    expected = [[round(float(df[c].iloc[idx].isna().mean()), 4) for c in "abc"] for idx in blocks]
    assert [list(r) for r in m.shares] == expected
    nullity = prof.nullity_correlation
    pandas = df.isna().astype(float).corr()
    for x in "abc":
        for y in "abc":
            assert nullity.value(x, y) == pytest.approx(pandas.loc[x, y], abs=1e-6)
    fig = missing_matrix_figure(prof)
    assert [list(r) for r in fig.data[0].z] == expected
    assert nullity_figure(prof).data[0].z[1][2] == pytest.approx(pandas.loc["b", "c"], abs=1e-6)


def test_no_missing_values_no_matrix() -> None:
    prof = lw.profile(pd.DataFrame({"a": [1, 2, 3]}))
    assert prof.missing_matrix is None and prof.nullity_correlation is None
    assert "missing_matrix" not in prof.figures()


def test_correlations_cover_every_pair_up_to_the_cap(monkeypatch) -> None:
    rng = np.random.default_rng(2)
    df = pd.DataFrame(rng.normal(size=(300, 70)), columns=[f"x{i}" for i in range(70)])
    prof = lw.profile(df)
    pearson = next(m for m in prof.correlations if m.method == "pearson")
    assert len(pearson.columns) == 70 and prof.correlations_left_out == ()
    monkeypatch.setattr(profiling, "MAX_NUMERIC_CORRELATION_COLUMNS", 10)
    capped = lw.profile(df.assign(y=rng.normal(size=300)), target="y")
    pearson = next(m for m in capped.correlations if m.method == "pearson")
    assert pearson.columns == ("x0", "x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "y")  # the target kept
    left = {c.column: c.reason for c in capped.correlations_left_out}
    assert set(left) == {f"x{i}" for i in range(9, 70)}
    assert left["x9"] == "over the cap of 10 numeric columns"
    html = capped.to_html()
    assert "over the cap of 10 numeric columns" in html and "Not in the correlations" in html


def test_association_matrix_covers_mixed_pairs(credit_profile: lw.DataProfile, credit: pd.DataFrame) -> None:
    assoc = next(m for m in credit_profile.correlations if m.method == "association")
    spearman = next(m for m in credit_profile.correlations if m.method == "spearman")
    v = next(m for m in credit_profile.correlations if m.method == "cramers_v")
    assert assoc.value("age", "income") == pytest.approx(abs(spearman.value("age", "income")))
    assert assoc.value("region", "employment_type") == pytest.approx(v.value("region", "employment_type"))
    expected = correlation_ratio(codes_of(credit["region"]), credit["utilization"].to_numpy(dtype=float))
    assert assoc.value("region", "utilization") == pytest.approx(expected)
    assert assoc.value("utilization", "region") == pytest.approx(expected)
    left = {c.column: c.reason for c in credit_profile.correlations_left_out}
    assert left == {
        "customer_id": "an identifier (every value distinct)",
        "employer": "more than 50 categories",
        "signup_date": "a date column",
        "last_login": "a date column",
        "notes": "free text",
    }


def test_spearman_with_missing_values_matches_pandas() -> None:
    rng = np.random.default_rng(4)
    X = rng.normal(size=(3000, 8))
    X[:, 2] = np.round(X[:, 2])  # ties
    X[rng.random(X.shape) < 0.15] = np.nan
    rho, approximate = spearman_matrix(X)
    expected = pd.DataFrame(X).corr("spearman", min_periods=3).to_numpy()
    assert approximate == 0
    np.testing.assert_allclose(rho, expected, atol=1e-12)
    cheap, approximate = spearman_matrix(X, rerank_budget=3000 * 5)
    assert approximate == 28 - 5  # pairs beyond the budget keep the columns' own ranks
    np.testing.assert_allclose(cheap, expected, atol=0.02)


def test_binary_target_association(credit_profile: lw.DataProfile, credit: pd.DataFrame) -> None:
    assert credit_profile.target_type == "binary"
    assoc = {a.column: a for a in credit_profile.target_association}
    assert assoc["age"].method == "correlation_ratio"
    # for two classes eta is |point-biserial r|
    r = stats.pointbiserialr(credit["defaulted"], credit["age"]).statistic
    assert assoc["age"].value == pytest.approx(abs(r))


def test_multiclass_integer_target_is_not_ordinal() -> None:
    rng = np.random.default_rng(5)
    y = rng.integers(0, 3, 3000)
    # the middle class has the largest x: no monotone relation, a strong association
    x = np.where(y == 1, 5.0, 0.0) + rng.normal(size=3000)
    c = np.where(y == 2, "two", rng.choice(["a", "b"], 3000))
    df = pd.DataFrame({"x": x, "c": c, "y": y})
    prof = lw.profile(df, target="y")
    assert prof.target_type == "multiclass"
    assoc = {a.column: a for a in prof.target_association}
    assert assoc["x"].method == "correlation_ratio"
    assert assoc["x"].value == pytest.approx(correlation_ratio(y, x)) and assoc["x"].value > 0.8
    assert abs(stats.spearmanr(x, y).statistic) < 0.2  # what ordinal Spearman would have said
    assert assoc["c"].method == "cramers_v"
    assert assoc["c"].value == pytest.approx(cramers_v(codes_of(df["c"]), y))


def test_regression_target_association() -> None:
    rng = np.random.default_rng(6)
    x = rng.normal(size=2000)
    g = rng.choice(["a", "b", "c"], 2000)
    y = np.exp(x) + (g == "c") * 2 + rng.normal(scale=0.1, size=2000)
    df = pd.DataFrame({"x": x, "g": g, "y": y})
    prof = lw.profile(df, target="y")
    assert prof.target_type == "regression"
    assoc = {a.column: a for a in prof.target_association}
    assert assoc["x"].method == "spearman"
    assert assoc["x"].value == pytest.approx(abs(stats.spearmanr(x, y).statistic))
    assert assoc["g"].method == "correlation_ratio"
    assert assoc["g"].value == pytest.approx(correlation_ratio(codes_of(df["g"]), y))
    many = lw.profile(df.assign(y=(y * 100).round().astype(int)), target="y")
    assert many.target_type == "regression"  # whole numbers, but many of them


def test_target_type_can_be_given() -> None:
    df = pd.DataFrame({"x": np.arange(100.0), "y": np.arange(100) % 5})
    assert lw.profile(df, target="y").target_type == "multiclass"
    given = lw.profile(df, target="y", target_type="regression")
    assert given.target_type == "regression" and given.target_association[0].method == "spearman"
    with pytest.raises(lw.ParameterError, match="'target_type' parameter of profile must be one of"):
        lw.profile(df, target="y", target_type="ordinal")
    with pytest.raises(lw.ParameterError, match="'target_type' parameter of profile must be None"):
        lw.profile(df, target_type="binary")


def test_every_profile_figure_has_titles(credit_profile: lw.DataProfile) -> None:
    for name, fig in credit_profile.figures().items():
        assert fig.layout.title.text, name
        if fig.data and fig.data[0].type != "table":
            for axis in ("xaxis", "yaxis"):
                assert fig.layout[axis].title.text, (name, axis)


def test_views_do_not_depend_on_chunking(credit: pd.DataFrame, tmp_path) -> None:
    whole = lw.profile(credit, target="defaulted")
    credit.to_parquet(tmp_path / "c.parquet", row_group_size=700)
    for other in (
        lw.profile(credit, target="defaulted", chunk_rows=333),
        lw.profile(tmp_path / "c.parquet", target="defaulted"),
    ):
        assert [c.text for c in other.columns] == [c.text for c in whole.columns]
        assert other.missing_matrix == whole.missing_matrix
        assert other.nullity_correlation == whole.nullity_correlation
        assert other.correlations == whole.correlations
        assert other.target_association == whole.target_association
