"""The HTML export's fast paths give what the slow ones gave: ``_to_plain`` by type, a figure read
straight from plotly's own data (no deep copy, no JSON round trip), float arrays rounded by numpy,
the beeswarm and SHAP dependence figures built from whole columns, and element ids derived from
the rendered body rather than from the result's JSON.

Each ``old_*`` function below is the implementation the fast path replaced, kept as the reference.
"""

from __future__ import annotations

import collections
import dataclasses
import json
import math
import re
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder

import lifecycle_widgets as lw
from lifecycle_widgets.core.result import _to_plain
from lifecycle_widgets.figures import explain as figs
from lifecycle_widgets.figures._common import finish, text
from lifecycle_widgets.panels import display
from lifecycle_widgets.panels import html as static

# --- the references ---------------------------------------------------------------------------


def old_to_plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: old_to_plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple | list):
        return [old_to_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): old_to_plain(v) for k, v in value.items()}
    return value


def old_compact_numbers(spec: Any) -> Any:
    if isinstance(spec, dict):
        return {k: old_compact_numbers(v) for k, v in spec.items()}
    if not isinstance(spec, list) or not spec:
        return spec
    if any(isinstance(v, float) for v in spec) and all(
        v is None or (isinstance(v, int | float) and not isinstance(v, bool)) for v in spec
    ):
        finite = [v for v in spec if isinstance(v, float) and math.isfinite(v)] + [
            v for v in spec if isinstance(v, int) and not isinstance(v, bool)
        ]
        if not finite:
            return spec
        scale = (max(finite) - min(finite)) or max(abs(v) for v in finite)
        if not scale:
            return spec
        digits = -math.floor(math.log10(scale * static.SPAN_RESOLUTION))
        return [round(v, digits) if isinstance(v, float) and math.isfinite(v) else v for v in spec]
    return [old_compact_numbers(v) for v in spec]


def old_plain_spec(fig: go.Figure) -> dict:
    raw = json.loads(pio.to_json(fig, validate=False, remove_uids=True))
    return old_compact_numbers(static.clip_figure_text(static.plain_arrays(raw)))


def old_beeswarm_figure(exp: Any) -> go.Figure:
    values = np.asarray(exp.shap_values)
    order = np.argsort(-np.abs(values).mean(0))
    rng = np.random.default_rng(0)
    xs, ys, colors, rows, hover = [], [], [], [], []
    for rank, j in enumerate(order):
        xs += values[:, j].tolist()
        ys += (rank + rng.uniform(-0.3, 0.3, len(values))).tolist()
        colors += [np.nan if r[j] is None else r[j] for r in exp.feature_scaled]
        rows += list(exp.rows)
        hover += [f"{text(exp.features[j])} = {text(r[j])}" for r in exp.feature_values]
    fig = go.Figure(
        go.Scattergl(
            x=np.asarray(xs, dtype=float),
            y=np.asarray(ys, dtype=float),
            mode="markers",
            customdata=np.asarray(rows),
            hovertext=np.asarray(hover, dtype=object),
            marker={
                "color": np.asarray(colors, dtype=float),
                "colorscale": [[0, figs.NEGATIVE], [1, figs.POSITIVE]],
                "cmin": 0,
                "cmax": 1,
                "size": 5,
                "opacity": 0.7,
                "colorbar": {
                    "title": {"text": "feature<br>value"},
                    "tickvals": [0, 1],
                    "ticktext": ["low", "high"],
                },
            },
            hovertemplate="row %{customdata}: %{hovertext}<br>SHAP %{x:.4f}<extra></extra>",
        )
    )
    return finish(
        fig,
        title="SHAP values of the explained rows",
        template=None,
        height=min(1200, 140 + 28 * len(order)),
        xaxis_title=f"SHAP value ({exp.output_space})",
        yaxis={
            "tickvals": list(range(len(order))),
            "ticktext": [text(exp.features[j]) for j in order],
            "autorange": "reversed",
            "title": {"text": "feature"},
        },
    )


def old_shap_dependence_figure(exp: Any, feature: str, color: str | None = "auto") -> go.Figure:
    j = exp.features.index(feature)
    values = [row[j] for row in exp.feature_values]
    shap = [row[j] for row in exp.shap_values]
    numbers = figs._numbers(values)
    partner = exp.strongest_interaction(feature) if color == "auto" else color
    marker: dict[str, Any] = {"size": 6, "opacity": 0.75, "color": figs.NEGATIVE}
    shap = [float(f"{v:.4g}") for v in shap]
    customdata: list[Any] = [[r] for r in exp.rows]
    hover = f"row %{{customdata[0]}}: {text(feature)} = %{{x}}"
    if partner is not None:
        k = exp.features.index(partner)
        scaled = [np.nan if row[k] is None else round(row[k], 4) for row in exp.feature_scaled]
        marker.update(
            color=np.asarray(scaled, dtype=float),
            colorscale=[[0, figs.NEGATIVE], [1, figs.POSITIVE]],
            cmin=0,
            cmax=1,
            colorbar={"title": {"text": text(partner)}, "tickvals": [0, 1], "ticktext": ["low", "high"]},
        )
        customdata = [[r, text(row[k])] for r, row in zip(exp.rows, exp.feature_values, strict=True)]
        hover += f"<br>{text(partner)} = %{{customdata[1]}}"
    x: list[Any] = numbers.tolist() if numbers is not None else [text(v) for v in values]
    fig = go.Figure(
        go.Scattergl(
            x=x,
            y=shap,
            mode="markers",
            marker=marker,
            customdata=customdata,
            hovertemplate=hover + "<br>SHAP %{y}<extra></extra>",
        )
    )
    colored = (
        f", coloured by {text(partner)}"
        if partner is not None
        else " (no feature modulates it)"
        if color == "auto"
        else ""
    )
    return finish(
        fig,
        title=f"SHAP dependence of {text(feature)}{colored}",
        template=None,
        xaxis={"title": {"text": text(feature)}, "type": "linear" if numbers is not None else "category"},
        yaxis_title=f"SHAP value of {text(feature)} ({exp.output_space})",
    )


def same(a: Any, b: Any) -> bool:
    """Equal as JSON text (so NaN equals NaN and 0.0 differs from -0.0), and equal types of numbers."""
    return json.dumps(a) == json.dumps(b) and _types(a) == _types(b)


def _types(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _types(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_types(v) for v in value]
    return type(value).__name__


# --- _to_plain ----------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Inner:
    kind: ClassVar[str] = "inner"
    values: tuple[float, ...]
    label: str | None = None


@dataclasses.dataclass(frozen=True)
class Outer:
    inner: Inner
    rows: tuple[tuple[float | None, ...], ...]
    extra: dict[Any, Any]
    many: tuple[Inner, ...] = ()


@dataclasses.dataclass
class Empty:
    pass


Pair = collections.namedtuple("Pair", "a b")


def test_to_plain_equals_the_old_on_nested_values() -> None:
    array = np.array([1.0, np.nan])
    value = Outer(
        Inner((1.0, float("nan"), float("inf"), -0.0, np.float64(2.5)), "a"),
        ((1.0, None), (np.float32(0.5), np.int64(3)), ()),
        {
            1: [Inner((), None), Empty()],
            "array": array,
            "scalar": np.int64(7),
            "pair": Pair(1, (2, 3)),
            "ordered": collections.OrderedDict([(2, "b")]),
            "class": Inner,
            "mixed": [1, "x", None, True, 2.0, [3, (4.0,)]],
        },
        (Inner((0.1,)), Inner((0.2,), "b")),
    )
    new, old = _to_plain(value), old_to_plain(value)
    assert repr(new) == repr(old)
    assert new["extra"]["array"] is array  # arrays pass through as they did
    assert new["extra"]["class"] is Inner and new["extra"]["1"][1] == {}
    assert [type(v) for v in new["inner"]["values"]] == [type(v) for v in old["inner"]["values"]]
    assert _to_plain([Inner, Empty, 3]) == [Inner, Empty, 3]  # classes are values, not dataclasses


@pytest.fixture(scope="module")
def small_exp() -> lw.Explanation:
    # missing values (feature_scaled holds None) and a category with markup in it (hover text
    # escapes it)
    df = lw.datasets.credit(500, seed=5)
    X = df[["age", "income", "utilization", "late_payments", "employment_type"]].copy()
    X["employment_type"] = X["employment_type"].astype(str).str.replace("e", " & <e>", n=1, regex=False)
    pre = ColumnTransformer(
        [
            ("num", SimpleImputer(strategy="median"), ["age", "income", "utilization", "late_payments"]),
            ("cat", OneHotEncoder(handle_unknown="ignore"), ["employment_type"]),
        ]
    )
    model = make_pipeline(pre, RandomForestClassifier(20, max_depth=4, random_state=0))
    return lw.explain(model.fit(X, df["defaulted"]), X, df["defaulted"], max_rows=80)


def test_to_dict_of_an_explanation_equals_the_old(small_exp) -> None:
    new, old = _to_plain(small_exp), old_to_plain(small_exp)
    assert json.dumps(new, sort_keys=False) == json.dumps(old, sort_keys=False)


# --- compact_numbers ----------------------------------------------------------------------------


def number_lists() -> list[list[Any]]:
    rng = np.random.default_rng(11)
    out: list[list[Any]] = []
    for scale in (1e-9, 1e-5, 1e-3, 0.37, 1.0, 7.5, 123.0, 1e5, 3e6, 1e9, 1e13):
        base = rng.normal(0, scale, 300)
        out.append(base.tolist())
        out.append((1e6 + base).tolist())  # a large offset beside a small spread
    # values at and near the half-way point of each rounding, ties included
    halves = [(k + 0.5) / 10**d for d in (2, 3, 5) for k in range(-40, 40)]
    out.append([*halves, 0.0, 1.0])
    out.append([v + 1e-12 for v in halves] + [v - 1e-12 for v in halves] + [0.0, 1.0])
    out.append([0.125, 0.375, 2.675, 1.005, -0.0, -0.004, 0.0045] * 20 + [0.0, 1.0])
    with_gaps = rng.normal(0, 2, 200).tolist()
    for i in range(0, 200, 7):
        with_gaps[i] = None
    with_gaps[3], with_gaps[5], with_gaps[8] = float("nan"), float("inf"), float("-inf")
    out.append(with_gaps)
    out.append([None] * 70 + [1.5])
    out.append([float("nan")] * 80)
    out.append([2.5] * 100)  # no spread: rounded to its magnitude
    out.append([0.0] * 100)  # all zero: left as it is
    out.append([1, 2.5, 3] * 30)  # integers beside floats
    out.append([True, 1.5] * 40)  # a bool: not a number array
    out.append([np.float64(1.25), 2.123456789] * 40)  # a float subclass
    out.append(["a", "b"] * 40)
    out.append([1, 2, None] * 40)
    out.append([[0.1234567, 1.0], {"x": [0.5, 0.123456789]}, "s"])
    out.append([2.0**45 + 0.5, 2.0**45 + 3.25] * 40)  # past the numpy path's range
    return out


def test_compact_numbers_equals_the_old() -> None:
    for values in number_lists():
        spec = {"data": [{"x": values, "name": "n"}], "layout": {"range": values[:3]}}
        new, old = static.compact_numbers(spec), old_compact_numbers(spec)
        assert same(new, old), values[:5]


def test_a_float_array_compacts_as_its_json_list() -> None:
    # plain_spec leaves a figure's 1-D float arrays as arrays; compact_numbers gives the list
    # plotly's JSON would have given (non-finite numbers as null), compacted
    for values in number_lists():
        try:
            array = np.array(values, dtype=float)
        except (TypeError, ValueError):
            continue
        if array.ndim != 1:
            continue
        plain = [v if math.isfinite(v) else None for v in array.tolist()]
        assert same(static.compact_numbers(array), old_compact_numbers(plain))
    single = np.array([0.1, np.nan, 0.123456789] * 30, dtype="f4")
    plain = [v if math.isfinite(v) else None for v in single.tolist()]
    assert same(static.compact_numbers(single), old_compact_numbers(plain))


# --- plain_spec ---------------------------------------------------------------------------------


def synthetic_figures() -> list[go.Figure]:
    rng = np.random.default_rng(2)
    z = rng.normal(size=(6, 5))
    z[1, 2] = np.nan
    scatter = go.Figure(
        [
            go.Scatter(
                x=rng.normal(size=100).astype("f4"),
                y=np.where(rng.random(100) < 0.1, np.nan, rng.normal(size=100)),
                customdata=np.arange(100, dtype="int64") * 10**10,  # past int32: plotly keeps a list
                text=np.array(["a", "b & <c>"] * 50),
                hovertext=np.array(["x", None, 1.5, float("nan")] * 25, dtype=object),
                marker={"color": np.arange(100, dtype="uint8"), "size": (3, 4) * 50},
                selectedpoints=np.array([1, 2], dtype="int16"),
                uid="will-go",
            ),
            go.Bar(x=["p", "q"], y=[np.float64(1.5), np.int64(2)], customdata=np.array([True, False])),
            go.Heatmap(z=z, x=np.array([0.5, 1.5, 2.5, 3.5, 4.5]), zmin=np.float32(-1.0)),
            go.Scatter(x=[float("inf"), 1.0, 2.0], y=np.array([], dtype=float), name="x" * 400),
        ]
    )
    scatter.update_layout(
        title="t", xaxis={"range": np.array([0.0, 1.0])}, annotations=[{"text": "a", "x": np.float64(0.25)}]
    )
    dated = go.Figure(go.Scatter(x=pd.date_range("2024-01-01", periods=5), y=[1, 2, 3, 4, 5]))
    framed = go.Figure(go.Scatter(x=[1, 2], y=[1, 2]), frames=[go.Frame(data=[go.Scatter(x=[1], y=[2])])])
    return [scatter, dated, framed]


@pytest.fixture(scope="module")
def result_figures(small_exp, credit) -> list[go.Figure]:
    profile = lw.profile(credit.head(800), target="defaulted")
    out = []
    for result in (small_exp, profile, small_exp.featured):
        out += list(display.figures_of(result).values())
    return out


def test_plain_spec_equals_plotlys_json_read_back(result_figures) -> None:
    figures = synthetic_figures() + result_figures
    read_directly = 0
    for fig in figures:
        assert same(static.plain_spec(fig), old_plain_spec(fig))
        read_directly += static._figure_plain(fig) is not None
    # the package's own figures take the direct reading; dates and frames take plotly's way
    assert read_directly == len(figures) - 2
    assert static._figure_plain(synthetic_figures()[1]) is None


def sorted_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: sorted_keys(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [sorted_keys(v) for v in value]
    return value


def figure_dict(fig: go.Figure) -> dict:
    """``fig`` as a figure dict holding what the figure holds (numpy arrays, tuples, numpy numbers)."""
    return {"data": [dict(t._props) for t in fig.data], "layout": dict(fig.layout._props)}


def test_a_figure_dict_reads_as_its_figure(result_figures, credit) -> None:
    # figure dicts (the profile's static view builds them) are read, clipped and compacted in one
    # walk: it gives what the three walks gave, and what plotly's JSON of the same figure gives
    from lifecycle_widgets.figures import profile as profile_figs

    figures = synthetic_figures()[:1] + result_figures
    for fig in figures:
        spec = figure_dict(fig)
        assert same(static.plain_spec(spec), old_plain_spec(fig))
    prof = lw.profile(credit.head(800), target="defaulted")
    built = [profile_figs.distribution_figure_dict(prof, c.name) for c in prof.columns]
    built += [profile_figs.correlation_figure_dict(prof), profile_figs.overview_figure_dict(prof)]
    for spec in built:  # plotly orders a figure's keys its own way
        assert same(sorted_keys(static.plain_spec(spec)), sorted_keys(old_plain_spec(go.Figure(spec))))
    # values only plotly's encoder knows (dates) take plotly's way
    dated = {"data": [{"type": "scatter", "x": pd.date_range("2024-01-01", periods=3), "y": [1, 2, 3]}]}
    assert static.plain_spec(dated)["data"][0]["x"][0].startswith("2024-01-01")


# --- the explanation's figures ------------------------------------------------------------------


def test_beeswarm_and_shap_dependence_equal_the_old(small_exp) -> None:
    assert any(
        "&amp;" in t for t in static.plain_spec(figs.beeswarm_figure(small_exp))["data"][0]["hovertext"]
    )
    assert same(
        static.plain_spec(figs.beeswarm_figure(small_exp)), old_plain_spec(old_beeswarm_figure(small_exp))
    )
    for feature in small_exp.features:
        for color in ("auto", None, "employment_type"):
            new = figs.shap_dependence_figure(small_exp, feature, color=color)
            assert same(
                static.plain_spec(new), old_plain_spec(old_shap_dependence_figure(small_exp, feature, color))
            )


# --- element ids --------------------------------------------------------------------------------


def ids(page: str) -> list[str]:
    return re.findall(r'<div id="([^"]+)" class="lw-figure">', page)


def test_ids_derive_from_the_body_deterministic_and_unique(small_exp) -> None:
    page = small_exp.to_html()
    assert page == small_exp.to_html()  # the same result, the same bytes
    found = ids(page)
    assert len(found) == len(set(found)) > 5
    prefixes = {re.match(r"(lw-[0-9a-f]{8})-\d+-\d+$", i).group(1) for i in found}
    assert len(prefixes) == 1 and static._ID_PLACEHOLDER not in page
    for i in found:  # each figure's data block and drawing script name its own div
        assert f'id="{i}-data"' in page and json.dumps(i) in page
    other = lw.explain(
        RandomForestClassifier(5, max_depth=2, random_state=1).fit(np.eye(4)[[0, 1, 2, 3] * 20], [0, 1] * 40),
        pd.DataFrame(np.eye(4)[[0, 1, 2, 3] * 20], columns=list("abcd")),
        np.array([0, 1] * 40),
        max_rows=20,
    )
    assert set(ids(other.to_html())).isdisjoint(found)  # another result, other ids
    twice = display.html_fragment(small_exp, include_plotlyjs=False) + display.html_fragment(
        small_exp, include_plotlyjs=False
    )
    assert len(set(ids(twice))) == len(ids(twice))  # shown twice on one page: still unique


def test_a_given_key_names_ids_as_before() -> None:
    sections = [static.Section("s", (static.FigureBlock("f", go.Figure(go.Bar(x=[1], y=[2]))),))]
    body = static.render_sections("t", sections, key="a key")
    assert ids(body) == [f"lw-{__import__('hashlib').sha256(b'a key').hexdigest()[:8]}-0-0"]
    assert static.render_sections("t", sections) == static.render_sections("t", sections)
    assert ids(static.render_sections("t", sections)) != ids(static.render_sections("u", sections))


def test_figure_text_is_still_clipped() -> None:
    long = "n" * 1000
    out = static.clip_figure_text({"x": ["a", long], "y": ["b"] * 3})
    assert out["y"] == ["b"] * 3 and out["x"][0] == "a"
    assert len(out["x"][1]) <= static.FIGURE_TEXT_LIMIT and "…#" in out["x"][1]


def test_a_placeholder_in_user_text_stays_text() -> None:
    fig = go.Figure(go.Bar(x=["<lw-id>"], y=[1], name="<lw-id>"))
    sections = [
        static.Section("<lw-id>", (static.FigureBlock("f", fig), static.HtmlBlock(static.esc("<lw-id>"))))
    ]
    body = static.render_sections("<lw-id>", sections)
    assert static._ID_PLACEHOLDER not in body and ids(body)[0].startswith("lw-")


def test_dates_still_export(tmp_path) -> None:
    frame = pd.DataFrame({"when": pd.date_range("2024-01-01", periods=50, freq="D"), "v": range(50)})
    html = lw.profile(frame).to_html(tmp_path / "p.html")
    assert "2024-01" in html and (tmp_path / "p.html").exists()
