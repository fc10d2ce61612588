"""Every alert type: a frame built to trigger it and one built not to, asserting on the alert's
type, columns and the statistic that fired it (against scipy or a hand computation)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import lifecycle_widgets as lw
from lifecycle_widgets.core.alerts import ALERT_TYPES

N = 2000


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(7)


def alerts_of(df: pd.DataFrame, type_: str, **kwargs) -> list[lw.Alert]:
    prof = lw.profile(df, **kwargs)
    return [a for a in prof.alerts if a.type == type_]


def only(df: pd.DataFrame, type_: str, **kwargs) -> lw.Alert:
    found = alerts_of(df, type_, **kwargs)
    assert len(found) == 1, found
    return found[0]


# --- pairs of columns ---------------------------------------------------------------------


def test_high_correlation_names_the_partner(rng) -> None:
    x = rng.normal(size=N)
    df = pd.DataFrame({"x": x, "x2": 2 * x + rng.normal(scale=0.1, size=N), "z": rng.normal(size=N)})
    alert = only(df, "high_correlation")
    assert (alert.column, alert.related, alert.columns) == ("x", ("x2",), ("x", "x2"))
    assert alert.value == pytest.approx(np.corrcoef(df["x"], df["x2"])[0, 1], abs=1e-3)
    assert "'x2'" in alert.message and alert.severity == "medium"
    assert lw.profile(df).alerts_for("x2") == (alert,)


def test_no_high_correlation_between_independent_columns(rng) -> None:
    df = pd.DataFrame({"x": rng.normal(size=N), "y": rng.normal(size=N), "c": rng.choice(list("abc"), N)})
    assert alerts_of(df, "high_correlation") == []


def test_high_correlation_of_categorical_and_mixed_pairs(rng) -> None:
    city = rng.choice(["paris", "lyon", "nice", "lille"], N)
    code = pd.Series(city).map({"paris": "75", "lyon": "69", "nice": "06", "lille": "59"}).to_numpy()
    noisy = np.where(rng.random(N) < 0.01, "75", code)  # a relabelling, 1 % off
    level = pd.Series(city).map({"paris": 10.0, "lyon": 20.0, "nice": 30.0, "lille": 40.0}).to_numpy()
    df = pd.DataFrame({"city": city, "code": noisy, "price": level + rng.normal(scale=0.5, size=N)})
    found = {frozenset(a.columns): a for a in alerts_of(df, "high_correlation")}
    assert set(found) == {
        frozenset({"city", "code"}),
        frozenset({"city", "price"}),
        frozenset({"code", "price"}),
    }
    assert "Cramér's V" in found[frozenset({"city", "code"})].message
    mixed = found[frozenset({"city", "price"})]
    assert mixed.column == "city" and mixed.related == ("price",)  # table order
    assert "correlation ratio" in mixed.message
    groups = [df.loc[df["city"] == c, "price"] for c in np.unique(city)]
    between = sum(len(g) * (g.mean() - df["price"].mean()) ** 2 for g in groups)
    eta = np.sqrt(between / ((df["price"] - df["price"].mean()) ** 2).sum())
    assert mixed.value == pytest.approx(eta)


def test_high_correlation_threshold_is_configurable(rng) -> None:
    x = rng.normal(size=N)
    df = pd.DataFrame({"x": x, "y": x + rng.normal(scale=0.75, size=N)})  # r about 0.8
    assert alerts_of(df, "high_correlation") == []
    loose = lw.AlertThresholds(high_correlation=0.7)
    assert only(df, "high_correlation", thresholds=loose).columns == ("x", "y")


def test_near_duplicate_columns(rng) -> None:
    a = rng.integers(0, 1000, N)
    b = a.astype(float)  # same values in another dtype
    changed = rng.random(N) < 0.02
    b[changed] = -1.0
    df = pd.DataFrame({"a": a, "b": b})
    alert = only(df, "near_duplicate_columns")
    assert alert.columns == ("a", "b")
    assert alert.value == pytest.approx((df["a"] == df["b"]).mean())
    # the stronger finding is reported once: no high correlation alert for the same pair
    assert alerts_of(df, "high_correlation") == []


def test_identical_copy_with_missing_values(rng) -> None:
    s = pd.Series(rng.choice(["x", "y", "z", None], N))
    alert = only(pd.DataFrame({"s": s, "copy": s.copy()}), "near_duplicate_columns")
    assert alert.value == 1.0 and "Identical" in alert.message


def test_columns_that_differ_often_are_not_near_duplicates(rng) -> None:
    a = rng.integers(0, 1000, N)
    b = np.where(rng.random(N) < 0.2, -1, a)
    assert alerts_of(pd.DataFrame({"a": a, "b": b}), "near_duplicate_columns") == []
    # two mostly empty columns are not duplicates of each other for their shared missing rows
    sparse = pd.DataFrame({"p": [1.0] + [np.nan] * 99, "q": [2.0] + [np.nan] * 99})
    assert alerts_of(sparse, "near_duplicate_columns") == []


# --- one column ------------------------------------------------------------------------------


def test_zeros(rng) -> None:
    mostly = np.where(rng.random(N) < 0.9, 0.0, rng.normal(size=N))
    alert = only(pd.DataFrame({"z": mostly}), "zeros")
    assert alert.column == "z" and alert.value == pytest.approx((mostly == 0).mean())
    some = np.where(rng.random(N) < 0.1, 0.0, rng.normal(size=N))
    assert alerts_of(pd.DataFrame({"z": some}), "zeros") == []
    flags = pd.DataFrame({"flag": rng.random(N) < 0.05})  # a boolean column's zeros are its False
    assert alerts_of(flags, "zeros") == []


def test_uniform_numeric_and_integer(rng) -> None:
    u = rng.uniform(0, 1, N)
    alert = only(pd.DataFrame({"u": u}), "uniform")
    expected = stats.kstest(u, "uniform", args=(u.min(), u.max() - u.min())).statistic
    assert alert.value == pytest.approx(expected)
    k = rng.integers(0, 100, 5 * N)
    assert only(pd.DataFrame({"k": k}), "uniform").column == "k"


def test_not_uniform(rng) -> None:
    df = pd.DataFrame(
        {"normal": rng.normal(size=N), "poisson": rng.poisson(4, N), "small": rng.uniform(size=N)}
    )
    assert alerts_of(df.iloc[:, :2], "uniform") == []
    assert alerts_of(df.iloc[:60], "uniform") == []  # too few values to say


def test_imbalance_of_a_categorical_feature(rng) -> None:
    c = np.where(rng.random(N) < 0.99, "a", "b")
    alert = only(pd.DataFrame({"c": c}), "imbalance")
    counts = pd.Series(c).value_counts().to_numpy()
    expected = 1 - stats.entropy(counts, base=2) / np.log2(len(counts))
    assert alert.column == "c" and alert.value == pytest.approx(expected)
    assert lw.profile(pd.DataFrame({"c": c})).column("c").imbalance == pytest.approx(expected)
    assert alert.severity == "medium"


def test_balanced_categorical_is_not_imbalanced(rng) -> None:
    df = pd.DataFrame({"c": rng.choice(["a", "b"], N, p=[0.6, 0.4]), "d": rng.choice(list("abcd"), N)})
    assert alerts_of(df, "imbalance") == []


def test_imbalance_of_the_target(rng) -> None:
    y = (rng.random(N) < 0.03).astype(int)
    alert = only(pd.DataFrame({"x": rng.normal(size=N), "y": y}), "imbalance", target="y")
    assert alert.column == "y" and alert.severity == "high"
    assert alert.value == pytest.approx(y.mean())
    balanced = (rng.random(N) < 0.4).astype(int)
    assert alerts_of(pd.DataFrame({"y": balanced}), "imbalance", target="y") == []


def test_constant_length(rng) -> None:
    codes = pd.Series([f"AB-{i:04d}" for i in rng.integers(0, 9999, N)])
    alert = only(pd.DataFrame({"code": codes}), "constant_length")
    assert alert.column == "code" and alert.value == 7.0 and "7 characters" in alert.message
    names = pd.Series(rng.choice(["ann", "bob", "carla", "dominique"], N))
    assert alerts_of(pd.DataFrame({"name": names}), "constant_length") == []


def test_unique(rng) -> None:
    ids = pd.Series([f"{v:x}" for v in rng.choice(2**40, N, replace=False)])
    big = rng.choice(10**12, N, replace=False)
    df = pd.DataFrame({"id": ids, "big": big})
    found = {a.column: a for a in alerts_of(df, "unique")}
    assert set(found) == {"id", "big"}
    assert "identifier" in found["id"].message


def test_not_unique(rng) -> None:
    # every float distinct is the rule, not a finding; thirty distinct labels can be chance
    df = pd.DataFrame({"repeats": rng.choice(["a", "b", "c"], N), "floats": rng.normal(size=N)})
    assert alerts_of(df, "unique") == []
    assert alerts_of(pd.DataFrame({"few": [f"v{i}" for i in range(30)]}), "unique") == []


def test_dates_out_of_range(rng) -> None:
    days = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 1000, N), unit="D")
    dates = pd.Series(days)
    dates[:37] = pd.Timestamp("1900-01-01")
    alert = only(pd.DataFrame({"d": dates}), "dates_out_of_range")
    assert alert.column == "d" and alert.value == pytest.approx(37 / N)
    assert "37 values" in alert.message and "1900-01-01" in alert.message
    far = pd.Series(days).astype("datetime64[s]")
    far[:5] = pd.Timestamp("9999-12-31")
    alert = only(
        pd.DataFrame({"d": far}), "dates_out_of_range", thresholds=lw.AlertThresholds(as_of="2030-01-01")
    )
    assert "5 values" in alert.message
    assert alerts_of(pd.DataFrame({"d": days}), "dates_out_of_range") == []


def test_future_dates(rng) -> None:
    days = pd.Series(pd.Timestamp("2023-06-01") + pd.to_timedelta(rng.integers(0, 365, N), unit="D"))
    as_of = lw.AlertThresholds(as_of="2024-01-01")
    alert = only(pd.DataFrame({"d": days}), "future_dates", thresholds=as_of)
    assert alert.value == pytest.approx((days > pd.Timestamp("2024-01-01")).mean())
    assert alerts_of(pd.DataFrame({"d": days}), "future_dates") == []  # as of now: all past
    aware = days.dt.tz_localize("Europe/Paris")
    assert only(pd.DataFrame({"d": aware}), "future_dates", thresholds=as_of).column == "d"


@pytest.mark.parametrize(
    ("frame", "type_", "column"),
    [
        (pd.DataFrame({"c": [7] * 60, "x": range(60)}), "constant", "c"),
        (pd.DataFrame({"m": [1.0, None, None, 4.0, 5.0]}), "high_missing", "m"),
        (pd.DataFrame({"m": pd.Series([1, "a"] * 30, dtype=object)}), "mixed_types", "m"),
        (pd.DataFrame({"x": [1.0, np.inf, 2.0]}), "infinite_values", "x"),
        (pd.DataFrame({"c": [f"v{i % 80}" for i in range(400)]}), "high_cardinality", "c"),
        (pd.DataFrame({"s": np.exp(np.random.default_rng(0).normal(0, 2, 500))}), "skewed", "s"),
        (pd.DataFrame({"a": [None, None], "b": [1, 2]}), "all_missing", "a"),
        (pd.DataFrame({"a": [1, 1, 2]}), "duplicate_rows", None),
        (pd.DataFrame({"a": pd.Series(dtype=float)}), "no_rows", None),
        (pd.DataFrame(index=range(3)), "no_columns", None),
    ],
)
def test_other_alerts_fire(frame: pd.DataFrame, type_: str, column: str | None) -> None:
    assert [a.column for a in alerts_of(frame, type_)] == [column]


@pytest.mark.parametrize(
    ("frame", "type_"),
    [
        (pd.DataFrame({"c": [7, 8] * 30}), "constant"),
        (pd.DataFrame({"m": [1.0, None, 3.0, 4.0, 5.0, 6.0]}), "high_missing"),
        (pd.DataFrame({"m": pd.Series(["a", "b"] * 30, dtype=object)}), "mixed_types"),
        (pd.DataFrame({"x": [1.0, np.nan, 2.0]}), "infinite_values"),
        (pd.DataFrame({"c": [f"v{i % 40}" for i in range(400)]}), "high_cardinality"),
        (pd.DataFrame({"s": np.random.default_rng(0).normal(0, 2, 500)}), "skewed"),
        (pd.DataFrame({"a": [None, 1], "b": [1, 2]}), "all_missing"),
        (pd.DataFrame({"a": [1, 2, 3]}), "duplicate_rows"),
        (pd.DataFrame({"a": [1.0]}), "no_rows"),
        (pd.DataFrame({"a": [1.0]}), "no_columns"),
    ],
)
def test_other_alerts_do_not_fire(frame: pd.DataFrame, type_: str) -> None:
    assert alerts_of(frame, type_) == []


# --- the set of alerts -------------------------------------------------------------------


def test_every_alert_type_is_defined_and_severities_are_known(rng) -> None:
    df = lw.datasets.credit(3000, seed=1)
    df["zeros"] = np.where(rng.random(len(df)) < 0.9, 0.0, 1.5)
    df["copy"] = df["age"]
    prof = lw.profile(df, target="defaulted")
    assert prof.alerts and all(a.type in ALERT_TYPES for a in prof.alerts)
    assert all(a.severity in ("high", "medium", "low") for a in prof.alerts)
    severities = [("high", "medium", "low").index(a.severity) for a in prof.alerts]
    assert severities == sorted(severities)


def test_alerts_do_not_depend_on_chunking(rng) -> None:
    df = lw.datasets.credit(3000, seed=2)
    df["twice"] = df["income"] * 2 + 1
    whole = lw.profile(df, target="defaulted")
    chunked = lw.profile(df, target="defaulted", chunk_rows=250)
    assert whole.alerts == chunked.alerts


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"high_correlation": 1.5}, "'high_correlation' parameter of AlertThresholds must be a number in"),
        ({"zeros": -0.1}, "'zeros'"),
        ({"earliest_date": "not a date"}, "'earliest_date' parameter of AlertThresholds"),
        ({"as_of": 2024}, "'as_of' parameter of AlertThresholds must be an ISO date"),
        ({"high_cardinality": -1}, "'high_cardinality'"),
    ],
)
def test_bad_thresholds(kwargs: dict, match: str) -> None:
    with pytest.raises(lw.ParameterError, match=match):
        lw.AlertThresholds(**kwargs)


def test_thresholds_must_be_alert_thresholds() -> None:
    with pytest.raises(lw.ParameterError, match="'thresholds' parameter of profile"):
        lw.profile(pd.DataFrame({"a": [1]}), thresholds={"zeros": 0.1})
