"""Facets independent of the model (a Series, array or list aligned with X), numeric facets split by
a threshold, labels with a set of positive values, and the errors for each, raised before any
metric is computed."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest

import lifecycle_widgets as lw
from lifecycle_widgets.core.explain import bias
from lifecycle_widgets.core.explain import bias_registry as registry
from lifecycle_widgets.exceptions import ColumnError, ParameterError, UnknownNameError
from tests.test_bias import hand_frame


def values(report: lw.BiasReport) -> dict[str, float | None]:
    return {m.name: m.value for m in report.metrics}


def aged_frame() -> pd.DataFrame:
    """hand_frame plus a numeric age and a three-valued grade; 20 rows."""
    df = hand_frame()
    df["age"] = [23, 31, 45, 52, 61, 70, 38, 40, 40, 29, 66, 71, 19, 44, 58, 35, 40, 62, 27, 49]
    df["grade"] = ["low", "mid", "high", "low", "high"] * 4
    df["x"] = np.linspace(0, 1, 20)
    return df


@pytest.mark.parametrize(
    "as_values",
    [
        lambda s: s,  # a Series
        lambda s: s.set_axis(np.arange(100, 120)),  # another index: aligned by position, not by label
        lambda s: s.to_numpy(),
        lambda s: list(s),
        lambda s: pd.Categorical(s),
        lambda s: s.to_frame(),
    ],
)
def test_a_facet_given_as_values_needs_no_column_of_X(as_values) -> None:
    df = aged_frame()
    by_column = lw.bias_report(df[["sex", "x"]], df.y, df.pred, facet="sex", facet_values="F")
    by_values = lw.bias_report(df[["x"]], df.y, df.pred, facet=as_values(df.sex), facet_values="F")
    assert values(by_values) == values(by_column)  # FT too: the features are x in both
    assert (by_values.n_d, by_values.facet_values) == (8, ("F",))
    assert by_values.facet == (
        ("sex",) if isinstance(as_values(df.sex), pd.Series | pd.DataFrame) else ("facet",)
    )


def test_a_facet_given_as_a_column_of_X_is_no_flip_test_feature() -> None:
    df = aged_frame()
    X = df[["age", "x"]]
    as_series = lw.bias_report(X, df.y, df.pred, facet=X.age, facet_threshold=40, metrics="FT")
    by_name = lw.bias_report(X, df.y, df.pred, facet="age", facet_threshold=40, metrics="FT")
    only_x = lw.bias_report(df[["x"]], df.y, df.pred, facet=df.age, facet_threshold=40, metrics="FT")
    assert as_series.metric("FT") == by_name.metric("FT") == only_x.metric("FT")
    # other values under the same name are not that column: age stays a feature
    other = lw.bias_report(
        X, df.y, df.pred, facet=(df.age + 1).rename("age"), facet_threshold=41, metrics="FT"
    )
    with_age = lw.bias_report(
        X.assign(a2=X.age), df.y, df.pred, facet="age", facet_threshold=40, metrics="FT"
    )
    assert other.metric("FT") == with_age.metric("FT")


def test_two_facet_columns_given_as_a_frame_are_an_intersection() -> None:
    df = aged_frame()
    df["old"] = np.where(df.age >= 45, "old", "young")
    by_columns = lw.bias_report(
        df[["sex", "old", "x"]], df.y, facet=["sex", "old"], facet_values=("F", "old")
    )
    by_frame = lw.bias_report(df[["x"]], df.y, facet=df[["sex", "old"]], facet_values=("F", "old"))
    assert values(by_frame) == values(by_columns) and by_frame.facet == ("sex", "old")
    assert by_frame.n_d == int(((df.sex == "F") & (df.old == "old")).sum())


def test_a_threshold_splits_a_numeric_facet_above_it_as_clarify_does() -> None:
    df = aged_frame()
    r = lw.bias_report(df[["x"]], df.y, df.pred, facet=df.age, facet_threshold=40)
    above = df.age > 40  # the three rows aged exactly 40 stay in facet a: Clarify's interval is (40, max]
    assert (r.n_d, r.n_a) == (int(above.sum()), int((~above).sum())) == (10, 10)
    assert r.facet == ("age",) and r.facet_values == ("> 40",) and r.facet_threshold == 40.0
    qa, qd = df.y[~above].mean(), df.y[above].mean()
    assert r.metric("DPL").value == pytest.approx(qa - qd)
    split = lw.bias_report(df[["x"]], df.y, df.pred, facet=above.rename("age"), facet_values=True)
    assert values(r) == values(split)
    assert lw.BiasReport.from_dict(json.loads(r.to_json())) == r


def test_a_set_of_positive_labels_collapses_a_multi_category_label() -> None:
    df = aged_frame()
    df["pred_grade"] = ["mid", "low", "low", "high", "high"] * 4
    r = lw.bias_report(
        df, "grade", "pred_grade", facet="sex", facet_values="F", positive_label=["mid", "high"]
    )
    collapsed = lw.bias_report(
        df.drop(columns=["grade", "pred_grade"]),
        df.grade.isin(["mid", "high"]).astype(int),
        df.pred_grade.isin(["mid", "high"]).astype(int),
        facet="sex",
        facet_values="F",
    )
    assert values(r) == values(collapsed)
    favourable = df.grade != "low"
    assert r.metric("DPL").value == pytest.approx(
        favourable[df.sex == "M"].mean() - favourable[df.sex == "F"].mean()
    )
    assert r.positive_label == "mid, high"
    as_set = lw.bias_report(df, "grade", facet="sex", positive_label={"mid", "high"})
    assert as_set.positive_label == "high, mid"  # a set has no order: sorted


def test_a_list_of_one_positive_label_allows_more_label_values() -> None:
    df = aged_frame()
    r = lw.bias_report(df, "grade", facet="sex", positive_label=["high"])
    assert r.metric("DPL").value == pytest.approx(
        (df.grade[df.sex == "M"] == "high").mean() - (df.grade[df.sex == "F"] == "high").mean()
    )


def test_a_numeric_facet_with_few_values_still_picks_its_rarest() -> None:
    df = aged_frame().assign(code=[0] * 15 + [1] * 5)
    assert lw.bias_report(df, "y", facet="code").facet_values == ("1",)


def test_the_group_can_be_values_outside_X() -> None:
    df = aged_frame()
    in_x = lw.bias_report(df, "y", "pred", facet="sex", group="dept", metrics=["CDDL", "CDDPL"])
    outside = lw.bias_report(
        df, "y", "pred", facet="sex", group=df.dept.to_numpy(), metrics=["CDDL", "CDDPL"]
    )
    assert values(in_x) == values(outside) and outside.group == "group" and in_x.group == "dept"


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (
            {"facet": pd.Series(["u"] * 20)},
            ParameterError,
            r"'facet' parameter of bias_report must hold at least two groups to compare\. Got a single value \(u\)",
        ),
        (
            {"facet": lambda f: f.sex.iloc[:19]},
            ParameterError,
            r"'facet' parameter of bias_report must have one value per row of X \(20\), aligned by position\. "
            r"Got 19 values",
        ),
        (
            {"facet": lambda f: f.sex.where(f.index > 0)},
            ParameterError,
            r"'facet' parameter of bias_report has 1 missing values",
        ),
        (
            {"facet": np.ones((20, 2))},
            ParameterError,
            r"'facet' parameter of bias_report must be a column name of X, a list of two column names, "
            r"or one value per row of X\. Got 'an array of shape \(20, 2\)'",
        ),
        (
            {"facet": {"sex": "F"}},
            ParameterError,
            r"'facet' parameter of bias_report must be a column name of X, a list of two column names, "
            r"or one value per row of X",
        ),
        (
            {"facet": "sex", "facet_values": "F", "facet_threshold": 40},
            ParameterError,
            r"Pass facet_values or facet_threshold to bias_report, not both.*Got facet_values='F' and facet_threshold=40",
        ),
        (
            {"facet": "sex", "facet_threshold": 40},
            ParameterError,
            r"'facet_threshold' parameter of bias_report needs a numeric facet\. Got 'sex' of dtype",
        ),
        (
            {"facet": "age", "facet_threshold": 71},
            ParameterError,
            r"'facet_threshold' parameter of bias_report must leave some rows above it .* Got 71; the largest "
            r"value of 'age' is 71",
        ),
        (
            {"facet": "age", "facet_threshold": 18.5},
            ParameterError,
            r"must leave some rows at or below it \(facet a\)\. Got 18\.5; the smallest value of 'age' is 19",
        ),
        (
            {"facet": "age", "facet_threshold": float("nan")},
            ParameterError,
            r"'facet_threshold' parameter of bias_report must be a finite number\. Got nan",
        ),
        (
            {"facet": "age", "facet_threshold": True},
            ParameterError,
            r"'facet_threshold' parameter of bias_report must be a finite number\. Got True",
        ),
        (
            {"facet": ["sex", "dept"], "facet_threshold": 1},
            ParameterError,
            r"'facet_threshold' parameter of bias_report splits one numeric facet\. Got a facet of 2 columns",
        ),
        (
            {"facet": "age"},
            ParameterError,
            r"'facet' parameter of bias_report is continuous \('age' has 18 distinct numbers\): pass facet_threshold",
        ),
        (
            {"facet": "sex", "positive_label": ["yes"]},
            ParameterError,
            r"'positive_label' parameter of bias_report must list label values\. Got \['yes'\], which neither "
            r"y_true nor y_pred holds; label values: \[0, 1\]",
        ),
        (
            {"facet": "sex", "positive_label": []},
            ParameterError,
            r"'positive_label' parameter of bias_report must be a value or a non-empty list of values",
        ),
        (
            {"facet": "sex", "positive_label": 7},
            ParameterError,
            r"'positive_label' parameter of bias_report must be one of the label values \[0, 1\]\. Got 7",
        ),
        (
            {"facet": "sex", "group": lambda f: f.dept.iloc[:5]},
            ParameterError,
            r"'group' parameter of bias_report must have one value per row of X \(20\), aligned by position\. Got 5",
        ),
        (
            {"facet": "sex", "standardize_features": "yes"},
            ParameterError,
            r"'standardize_features' parameter of bias_report must be True or False",
        ),
        ({"facet": "sex", "convention": "aws"}, UnknownNameError, r"No bias metric convention named 'aws'"),
    ],
)
def test_bad_facets_and_labels(
    kwargs: dict, error: type, match: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    df = aged_frame()

    def no_computation(*args: object, **kw: object) -> None:
        raise AssertionError("a metric was computed before the input was checked")

    monkeypatch.setattr(bias, "flip_test_features", no_computation)
    for spec in registry.metric_specs():
        monkeypatch.setitem(registry._REGISTRY, spec.name, dataclasses.replace(spec, function=no_computation))
    kwargs = {k: v(df) if callable(v) else v for k, v in kwargs.items()}
    with pytest.raises(error, match=match):
        lw.bias_report(df, "y", "pred", **kwargs)


def test_positive_labels_that_only_predictions_hold() -> None:
    df = aged_frame().assign(pred_grade=["mid", "top", "low", "top", "high"] * 4)
    r = lw.bias_report(df, "grade", "pred_grade", facet="sex", positive_label=["high", "top"])
    assert r.metric("DPPL").value == pytest.approx(
        df.pred_grade[df.sex == "M"].isin(["high", "top"]).mean()
        - df.pred_grade[df.sex == "F"].isin(["high", "top"]).mean()
    )
    with pytest.raises(
        ParameterError, match=r"'positive_label' parameter of bias_report must include a value of y_true"
    ):
        lw.bias_report(df, "grade", "pred_grade", facet="sex", positive_label=["top"])
    with pytest.raises(ParameterError, match=r"'y_pred' parameter of bias_report must use the label values"):
        lw.bias_report(df, "grade", ["yes", "no"] * 10, facet="sex", positive_label=["mid", "high", "yes"])


def test_a_single_valued_facet_column_is_a_column_error_naming_the_parameter() -> None:
    with pytest.raises(
        ColumnError, match=r"Column 'sex': .*single value \(M\); the 'facet' parameter of bias_report"
    ):
        lw.bias_report(aged_frame().assign(sex="M"), "y", facet="sex")
