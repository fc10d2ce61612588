"""Clarify's bias metrics against hand computations on frames small enough to count by hand."""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pandas as pd
import pytest

import lifecycle_widgets as lw
from lifecycle_widgets.core.explain import bias
from lifecycle_widgets.core.explain import bias_registry as registry
from lifecycle_widgets.core.explain.bias import BiasReport, bias_report, flip_test_features
from lifecycle_widgets.exceptions import ColumnError, ParameterError, UnknownNameError

# Facet a (sex M, 12 rows): TP 5, FP 2, FN 3, TN 2.  Facet d (sex F, 8 rows): TP 2, FP 1, FN 1, TN 4.
# Departments: M  TP A A A B B | FP A B | FN A B B | TN A B
#              F  TP A B       | FP A   | FN B     | TN A A B B
_CELLS = {"TP": (1, 1), "FP": (0, 1), "FN": (1, 0), "TN": (0, 0)}
_ROWS = [
    ("M", "TP", "AAABB"),
    ("M", "FP", "AB"),
    ("M", "FN", "ABB"),
    ("M", "TN", "AB"),
    ("F", "TP", "AB"),
    ("F", "FP", "A"),
    ("F", "FN", "B"),
    ("F", "TN", "AABB"),
]


def hand_frame() -> pd.DataFrame:
    rows = [
        {"sex": sex, "dept": dept, "y": _CELLS[cell][0], "pred": _CELLS[cell][1]}
        for sex, cell, depts in _ROWS
        for dept in depts
    ]
    return pd.DataFrame(rows)


def test_hand_frame_counts() -> None:
    df = hand_frame()
    assert len(df) == 20
    assert (df.sex == "M").sum() == 12 and (df.sex == "F").sum() == 8


def test_pre_training_metrics_by_hand(frame_kind) -> None:
    df = frame_kind(hand_frame())
    r = bias_report(df, "y", facet="sex", facet_values="F")
    assert (r.n, r.n_a, r.n_d, r.facet, r.facet_values) == (20, 12, 8, ("sex",), ("F",))
    qa, qd = 8 / 12, 3 / 8  # positive labels: a TP+FN = 8 of 12, d 3 of 8
    assert r.metric("CI").value == pytest.approx((12 - 8) / 20)
    assert r.metric("DPL").value == pytest.approx(qa - qd)
    kl = qa * math.log(qa / qd) + (1 - qa) * math.log((1 - qa) / (1 - qd))
    assert r.metric("KL").value == pytest.approx(kl)
    m1, m0 = (qa + qd) / 2, (1 - qa + 1 - qd) / 2
    js = 0.5 * (
        qa * math.log(qa / m1)
        + (1 - qa) * math.log((1 - qa) / m0)
        + qd * math.log(qd / m1)
        + (1 - qd) * math.log((1 - qd) / m0)
    )
    assert r.metric("JS").value == pytest.approx(js)
    assert r.metric("LP").value == pytest.approx(math.sqrt((qa - qd) ** 2 + ((1 - qa) - (1 - qd)) ** 2))
    assert r.metric("TVD").value == pytest.approx(0.5 * (abs(qa - qd) + abs((1 - qa) - (1 - qd))))
    assert r.metric("KS").value == pytest.approx(abs(qa - qd))
    # no group: DD = n_d(0)/n(0) - n_d(1)/n(1); rejected labels a 4 + d 5, accepted a 8 + d 3
    assert r.metric("CDDL").value == pytest.approx(5 / 9 - 3 / 11)
    assert "unconditional" in r.metric("CDDL").note
    assert {m.stage for m in r.metrics} == {"pre_training"}
    assert [m.name for m in r.metrics] == ["CI", "DPL", "KL", "JS", "LP", "TVD", "KS", "CDDL"]


def test_post_training_metrics_by_hand(frame_kind) -> None:
    df = frame_kind(hand_frame())
    r = bias_report(df, "y", "pred", facet="sex", facet_values="F")
    v = {m.name: m.value for m in r.metrics}
    assert v["DPPL"] == pytest.approx(7 / 12 - 3 / 8)  # predicted positives: a 7 of 12, d 3 of 8
    assert v["DI"] == pytest.approx((3 / 8) / (7 / 12))
    assert v["DCAcc"] == pytest.approx(8 / 7 - 3 / 3)  # observed / predicted acceptances
    assert v["DCR"] == pytest.approx(5 / 5 - 4 / 5)  # observed / predicted rejections, d - a
    assert v["RD"] == pytest.approx(5 / (5 + 3) - 2 / (2 + 1))
    assert v["DAR"] == pytest.approx(5 / (5 + 2) - 2 / (2 + 1))
    assert v["DRR"] == pytest.approx(4 / (4 + 1) - 2 / (2 + 3))
    assert v["AD"] == pytest.approx((5 + 2) / 12 - (2 + 4) / 8)
    # smclarify's TE: FN/FP of d minus that of a; the docs page's: FP/FN of a minus that of d
    assert v["TE"] == pytest.approx(1 / 1 - 3 / 2)
    docs = bias_report(df, "y", "pred", facet="sex", facet_values="F", convention="docs")
    assert docs.metric("TE").value == pytest.approx(2 / 3 - 1 / 1)
    assert v["SD"] == pytest.approx(4 / (4 + 1) - 2 / (2 + 2))  # specificity of d minus that of a
    # predicted rejections: a 5 + d 5, predicted acceptances: a 7 + d 3
    assert v["CDDPL"] == pytest.approx(5 / 10 - 3 / 10)
    # benefits: TP and TN 13 rows get 1, FP 3 rows get 2, FN 4 rows get 0; mean 19/20
    mean = 19 / 20
    ge = (13 * ((1 / mean) ** 2 - 1) + 3 * ((2 / mean) ** 2 - 1) + 4 * (0 - 1)) / (20 * 2 * 1)
    assert v["GE"] == pytest.approx(ge)
    assert [m.name for m in r.metrics if m.stage == "post_training"] == [
        "DPPL",
        "DI",
        "DCAcc",
        "DCR",
        "RD",
        "SD",
        "DAR",
        "DRR",
        "AD",
        "TE",
        "CDDPL",
        "FT",
        "GE",
    ]
    assert r.metric("DI").ideal == 1.0 and r.metric("AD").ideal == 0.0


def test_conditional_demographic_disparity_by_hand() -> None:
    r = bias_report(hand_frame(), "y", "pred", facet="sex", facet_values="F", group="dept")
    # dept A: rejected M 2 + F 3, accepted M 4 + F 1 -> DD 3/5 - 1/5; dept B: 2/4 - 2/6; 10 rows each
    assert r.metric("CDDL").value == pytest.approx((10 * (3 / 5 - 1 / 5) + 10 * (2 / 4 - 2 / 6)) / 20)
    # predictions, dept A: rejected M 2 + F 2, accepted M 4 + F 2; dept B: rejected 3 + 3, accepted 3 + 1
    assert r.metric("CDDPL").value == pytest.approx((10 * (2 / 4 - 2 / 6) + 10 * (3 / 6 - 1 / 4)) / 20)
    assert r.group == "dept"


def test_cdd_takes_a_missing_share_as_zero_like_clarify() -> None:
    df = pd.DataFrame(
        {
            "sex": ["M", "F", "M", "F", "M", "F"],
            "dept": ["A", "A", "A", "B", "B", "B"],
            "y": [1, 1, 1, 0, 1, 0],  # dept A has no rejections
        }
    )
    m = bias_report(df, "y", facet="sex", facet_values="F", group="dept").metric("CDDL")
    # A: rejected share 0 (undefined, taken as 0), accepted share 1/3; B: rejected 2/2, accepted 0/1
    assert m.value == pytest.approx((3 * (0 - 1 / 3) + 3 * (1 - 0)) / 6)
    assert "A" in m.note and "as Clarify does" in m.note


def test_default_facet_value_is_the_least_frequent() -> None:
    r = bias_report(hand_frame(), "y", facet="sex")
    assert r.facet_values == ("F",) and r.n_d == 8


def test_flip_test_with_obvious_neighbours() -> None:
    # facet a: predicted positive near x = 0, negative near x = 10
    a = [(0.0, 1), (0.1, 1), (0.2, 1), (10.0, 0), (10.1, 0), (10.2, 0)]
    # facet d: x 0.05 and 0.12 are negative among positive neighbours (F+ = 2); 10.05 is positive among
    # negative neighbours (F- = 1); 0.15 and 10.15 agree with their neighbours
    d = [(0.05, 0), (0.12, 0), (0.15, 1), (10.05, 1), (10.15, 0)]
    df = pd.DataFrame(
        {
            "g": ["a"] * len(a) + ["d"] * len(d),
            "x": [x for x, _ in a + d],
            "pred": [p for _, p in a + d],
            "y": [1, 0] * 5 + [1],
        }
    )
    r = bias_report(df, "y", "pred", facet="g", facet_values="d", n_neighbors=3, convention="docs")
    ft = r.metric("FT")
    assert ft.value == pytest.approx((2 - 1) / 5)
    # smclarify's sign is the opposite: (F- - F+) / n_d
    default = bias_report(df, "y", "pred", facet="g", facet_values="d", n_neighbors=3).metric("FT")
    assert default.value == pytest.approx((1 - 2) / 5) and "F+ = 2, F- = 1" in default.note
    assert "F+ = 2, F- = 1" in ft.note
    # the label and prediction columns are not features: swapping the labels changes nothing
    r2 = bias_report(
        df.assign(y=1 - df.y), "y", "pred", facet="g", facet_values="d", n_neighbors=3, convention="docs"
    )
    assert r2.metric("FT").value == ft.value


def test_flip_test_uses_one_hot_categories() -> None:
    # x is the same everywhere: only the category c tells neighbours apart
    df = pd.DataFrame(
        {
            "g": ["a"] * 6 + ["d"] * 4,
            "c": ["u", "u", "u", "v", "v", "v", "u", "u", "v", "v"],
            "x": 1.0,
            "pred": [1, 1, 1, 0, 0, 0, 0, 0, 0, 1],
        }
    )
    r = bias_report(
        df, df.pred.to_numpy(), "pred", facet="g", facet_values="d", n_neighbors=3, convention="docs"
    )
    # d rows with c = u are predicted 0 while their neighbours get 1: F+ = 2; the last is F- = 1
    assert r.metric("FT").value == pytest.approx((2 - 1) / 4)


def test_flip_test_features() -> None:
    X = pd.DataFrame(
        {
            "x": [1.0, 3.0, np.nan],
            "b": [True, False, True],
            "c": ["u", None, "u"],
            "t": pd.to_datetime(["2020-01-01", "2020-01-03", None]),
        }
    )
    F = flip_test_features(X)
    x = (np.array([1.0, 3.0]) - 2.0) / 1.0
    b = (np.array([1, 0, 1]) - 2 / 3) / np.std([1, 0, 1])
    assert F[:, 0] == pytest.approx([x[0], x[1], 0.0])  # missing -> the mean, 0
    assert F[:, 1] == pytest.approx(b)
    assert F[:, 2:4].tolist() == [[1, 0], [0, 1], [1, 0]]  # None is a category of its own
    assert F[:, 4] == pytest.approx([-1.0, 1.0, 0.0])


def test_intersectional_facet() -> None:
    df = pd.DataFrame(
        {
            "sex": ["M", "M", "M", "M", "F", "F", "F", "F", "F", "M"],
            "age": ["old", "old", "young", "young", "old", "old", "old", "young", "young", "old"],
            "y": [1, 1, 1, 0, 1, 0, 0, 0, 1, 1],
        }
    )
    # combinations: M&old 3, M&young 2, F&old 3, F&young 2 -> ties broken by name: "F & young"
    r = bias_report(df, "y", facet=["sex", "age"])
    assert r.facet == ("sex", "age") and r.facet_values == ("F & young",) and r.n_d == 2
    assert r.metric("DPL").value == pytest.approx(5 / 8 - 1 / 2)
    r2 = bias_report(df, "y", facet=["sex", "age"], facet_values=[("F", "old"), ("F", "young")])
    assert r2.facet_values == ("F & old", "F & young") and r2.n_d == 5
    assert r2.metric("DPL").value == pytest.approx(4 / 5 - 2 / 5)
    r3 = bias_report(df, "y", facet=["sex", "age"], facet_values=("M", "young"))
    assert r3.n_d == 2 and r3.metric("DPL").value == pytest.approx(5 / 8 - 1 / 2)


def test_arrays_labels_and_facet_value_lists() -> None:
    df = hand_frame()
    r = bias_report(
        df.drop(columns=["y", "pred"]), df.y.to_numpy(), list(df.pred), facet="sex", facet_values=["F"]
    )
    assert r == bias_report(df, "y", "pred", facet="sex", facet_values="F")
    assert r.metric("DPPL").value == pytest.approx(7 / 12 - 3 / 8)
    # labels by position even when the Series index differs from X's
    shuffled = pd.Series(df.y.to_numpy(), index=np.arange(100, 120))
    assert bias_report(df, shuffled, facet="sex").metric("DPL").value == pytest.approx(8 / 12 - 3 / 8)


def test_string_labels_and_positive_label() -> None:
    df = hand_frame().assign(
        y=lambda f: np.where(f.y == 1, "yes", "no"), pred=lambda f: np.where(f.pred == 1, "yes", "no")
    )
    r = bias_report(df, "y", "pred", facet="sex", positive_label="yes")
    assert r.positive_label == "yes" and r.metric("DPL").value == pytest.approx(8 / 12 - 3 / 8)
    flipped = bias_report(df, "y", "pred", facet="sex", positive_label="no")
    assert flipped.metric("DPL").value == pytest.approx(-(8 / 12 - 3 / 8))


def test_undefined_metrics_are_none_with_a_note_and_serialize() -> None:
    df = pd.DataFrame({"g": ["a"] * 4 + ["d"] * 4, "y": [1, 1, 0, 0, 0, 0, 0, 0], "pred": [0] * 8})
    r = bias_report(df, "y", "pred", facet="g", facet_values="d")
    assert r.metric("KL").value is None and "never in facet d" in r.metric("KL").note
    assert r.metric("DI").value is None and "no predicted positives" in r.metric("DI").note
    assert r.metric("DAR").value is None and r.metric("DCAcc").value is None
    assert r.metric("RD").value is None and "facet d has no positive labels" in r.metric("RD").note
    # smclarify's TE divides by false positives, of which neither facet has any
    assert r.metric("TE").value is None and "no false positives" in r.metric("TE").note
    docs = bias_report(df, "y", "pred", facet="g", facet_values="d", convention="docs")
    assert docs.metric("TE").value is None and "no false negatives" in docs.metric("TE").note
    assert r.metric("JS").value == pytest.approx(
        0.5 * (0.5 * math.log(0.5 / 0.25) + 0.5 * math.log(0.5 / 0.75) + 1.0 * math.log(1.0 / 0.75))
    )
    text = r.to_json()  # allow_nan=False: would raise on NaN or infinity
    assert json.loads(text)["metrics"][2]["value"] is None
    assert BiasReport.from_dict(json.loads(text)) == r
    assert np.isnan(r.to_frame().set_index("name").loc["DI", "value"])


def test_ge_undefined_when_every_prediction_is_a_false_negative() -> None:
    m = bias.ge([1, 1, 1], [0, 0, 0])
    assert m.value is None and "false negative" in m.note


def test_json_round_trip() -> None:
    r = bias_report(hand_frame(), "y", "pred", facet="sex", group="dept")
    assert BiasReport.from_dict(r.to_dict()) == r
    assert BiasReport.from_dict(json.loads(r.to_json())) == r
    assert r.to_dict()["kind"] == "bias_report"


def test_metric_lookup_and_frame() -> None:
    r = bias_report(hand_frame(), "y", "pred", facet="sex")
    assert r.metric("dcacc") is r.metric("DCA") is r.metric("DCAcc")
    with pytest.raises(
        UnknownNameError, match=r"No bias metric in this report named 'XYZ'\. Available: .*DPL"
    ):
        r.metric("XYZ")
    with pytest.raises(UnknownNameError, match=r"No bias metric in this report named 'SD'"):
        bias_report(hand_frame(), "y", facet="sex").metric("SD")  # post-training, not in this report
    frame = r.to_frame()
    assert list(frame.columns) == ["name", "stage", "value", "ideal", "status", "band", "description", "note"]
    assert len(frame) == 21 and frame.value.dtype == float
    assert "DPL 0.292" in repr(r)


@pytest.mark.parametrize(
    ("change", "kwargs", "error", "match"),
    [
        (
            None,
            {"facet": "race"},
            ColumnError,
            r"Column 'race': the facet column is not in X; columns are \['sex'",
        ),
        (
            None,
            {"facet": ["sex", "dept", "y"]},
            ParameterError,
            r"'facet' parameter .* a list of two column names",
        ),
        (
            lambda f: f.assign(sex="M"),
            {},
            ColumnError,
            r"Column 'sex': the facet column holds a single value \(M\)",
        ),
        (
            lambda f: f.assign(sex=f.sex.where(f.index > 1)),
            {},
            ColumnError,
            r"Column 'sex': the facet column has 2 missing values",
        ),
        (
            lambda f: f.assign(y=f.index % 3),
            {},
            ParameterError,
            r"'y_true' parameter of bias_report must be binary.*positive_label \(= 1\) selects the positive class.*"
            r"3 distinct values: \[0, 1, 2\]",
        ),
        (
            lambda f: f.assign(pred=f.index % 3),
            {},
            ParameterError,
            r"'y_pred' parameter of bias_report must be binary.*\[0, 1, 2\]",
        ),
        (
            lambda f: f.assign(pred=np.linspace(0, 1, 20)),
            {},
            ParameterError,
            r"'y_pred'.*must be binary.*threshold them",
        ),
        (
            lambda f: f.assign(pred=np.where(f.pred == 1, "yes", "no")),
            {},
            ParameterError,
            r"together y_true and y_pred hold \[0, 1, 'no', 'yes'\]",
        ),
        (
            lambda f: f.assign(y=np.where(f.y == 1, "yes", "no"), pred=np.where(f.pred == 1, "yes", "no")),
            {},
            ParameterError,
            r"'positive_label' parameter of bias_report must be one of the label values \['no', 'yes'\]\. Got 1",
        ),
        (
            lambda f: f.assign(y=f.y.astype(float).where(f.index > 0)),
            {},
            ParameterError,
            r"'y_true'.*1 missing",
        ),
        (None, {"group": "region"}, ColumnError, r"Column 'region': the group column is not in X"),
        (
            lambda f: f.assign(dept=f.dept.where(f.index > 0)),
            {"group": "dept"},
            ColumnError,
            r"Column 'dept': the group column has 1 missing",
        ),
        (
            None,
            {"facet_values": "X"},
            ParameterError,
            r"'facet_values'.*Got 'X', which no row has; present: \['F', 'M'\]",
        ),
        (None, {"facet_values": ["F", "M"]}, ParameterError, r"'facet_values'.*selects every row"),
        (
            None,
            {"n_neighbors": 0},
            ParameterError,
            r"'n_neighbors' parameter of bias_report must be a positive integer",
        ),
    ],
)
def test_bad_inputs(change, kwargs, error, match, monkeypatch: pytest.MonkeyPatch) -> None:
    df = hand_frame() if change is None else change(hand_frame())

    def no_computation(*args, **kw):
        raise AssertionError("a metric was computed before the input was checked")

    monkeypatch.setattr(bias, "ci", no_computation)
    monkeypatch.setattr(bias, "flip_test_features", no_computation)
    for spec in registry.metric_specs():  # bias_report finds its metrics in the registry
        monkeypatch.setitem(registry._REGISTRY, spec.name, dataclasses.replace(spec, function=no_computation))
    with pytest.raises(error, match=match):
        bias_report(df, "y", "pred", **{"facet": "sex", **kwargs})


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (("not a frame", [1]), r"'X' parameter of bias_report must be a pandas DataFrame\. Got 'str'"),
        (
            (None, np.ones(19)),
            r"'y_true' parameter of bias_report must have one value per row of X \(20\)\. Got 19",
        ),
        ((None, "label"), r"Column 'label': the y_true column is not in X"),
        ((None, "y", np.ones((20, 2))), r"'y_pred' parameter of bias_report must be a 1-D array"),
    ],
)
def test_bad_outcomes(args, match) -> None:
    X = hand_frame() if args[0] is None else args[0]
    with pytest.raises(ParameterError, match=match):
        bias_report(X, *args[1:], facet="sex")


def test_metric_functions_check_their_inputs() -> None:
    with pytest.raises(ParameterError, match="must mark some rows as facet d and leave others in facet a"):
        bias.dpl([True, True], [1, 0])
    with pytest.raises(ParameterError, match="same length"):
        bias.dpl([True, False], [1, 0, 1])
    with pytest.raises(ParameterError, match=r"'y' parameter must be booleans \(or 0/1\)"):
        bias.dpl([True, False], [2, 0])


@pytest.mark.parametrize(
    ("name", "value", "bands", "status"),
    [
        ("DI", 0.59, {}, "fail"),  # the template's own record: four-fifths rule broken
        ("DI", 0.79, {}, "warn"),
        ("DI", 0.85, {}, "pass"),
        ("DI", 1.3, {}, "warn"),  # a ratio above 1/0.8 favours d as much
        ("DPL", 0.1, {}, "pass"),
        ("DPL", -0.15, {}, "warn"),
        ("DPL", 0.25, {}, "fail"),
        ("DPL", 0.07, {"difference": 0.05}, "warn"),
        ("DPL", 0.07, {"overrides": {"DPL": 0.2}}, "pass"),
        ("KL", None, {}, "n/a"),
    ],
)
def test_bias_bands_judge(name, value, bands, status) -> None:
    assert lw.BiasBands(**bands).judge(name, value) == status


def test_every_metric_carries_its_status_and_band() -> None:
    strict = bias_report(hand_frame(), "y", "pred", facet="sex", bands=lw.BiasBands(difference=0.01))
    loose = bias_report(hand_frame(), "y", "pred", facet="sex", bands=lw.BiasBands(difference=5, ratio=0.01))
    for s, lo in zip(strict.metrics, loose.metrics, strict=True):
        assert s.status == strict_status(s) and s.band
        assert lo.status in ("pass", "n/a")
    data = strict.to_dict()
    assert {m["status"] for m in data["metrics"]} <= {"pass", "warn", "fail", "n/a"}
    assert lw.BiasReport.from_dict(data) == strict
    html = strict.to_html()
    assert "passes when" in html and "lw-att-high" in html  # the headline flags the failures


def strict_status(m) -> str:
    return lw.BiasBands(difference=0.01).judge(m.name, m.value)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"difference": float("nan")}, "difference"),
        ({"ratio": 1.5}, "ratio"),
        ({"overrides": {"NOPE": 0.1}}, "NOPE"),
        ({"overrides": {"DPL": -1}}, "DPL"),
    ],
)
def test_bias_bands_refuse_bad_values(kwargs, match) -> None:
    with pytest.raises((ParameterError, UnknownNameError), match=match):
        lw.BiasBands(**kwargs)
