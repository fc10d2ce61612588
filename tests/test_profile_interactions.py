"""The profile's interaction view: any pair of numeric columns from the row sample, as a scatter
or a 2-D histogram, with the pair's correlation; its live picker, static section and JSON."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import lifecycle_widgets as lw
from lifecycle_widgets.core.profile_interactions import MAX_INTERACTION_COLUMNS, SCATTER_ROWS, interactions
from lifecycle_widgets.core.profiling import DataProfile
from lifecycle_widgets.exceptions import ColumnError
from lifecycle_widgets.figures import interaction_figure
from lifecycle_widgets.panels import display
from lifecycle_widgets.panels.profile_interactions import InteractionPicker


def pairs_frame(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    a = rng.normal(size=n)
    b = 2 * a + rng.normal(size=n)
    c = rng.uniform(0, 10, size=n)
    c[rng.random(n) < 0.1] = np.nan  # missing on other rows than b
    return pd.DataFrame({"a": a, "b": b, "c": c, "region": rng.choice(["n", "s"], size=n)})


@pytest.fixture(scope="module")
def small() -> tuple[pd.DataFrame, DataProfile]:
    df = pairs_frame(1_000)
    return df, lw.profile(df)


def test_scatter_of_a_chosen_pair_uses_its_columns(small) -> None:
    df, prof = small
    view = prof.interactions
    assert view.mode == "scatter" and view.columns == ("a", "b", "c") and view.sample_rows == 1_000
    fig = interaction_figure(prof, "a", "c")
    trace = fig.data[0]
    assert trace.type == "scatter" and len(trace.x) == 1_000
    got = sorted((x, y if y is not None else np.inf) for x, y in zip(trace.x, trace.y, strict=True))
    want = sorted(
        (float(f"{x:.6g}"), float(f"{y:.6g}") if np.isfinite(y) else np.inf)
        for x, y in zip(df.a, df.c, strict=True)
    )
    assert got == want  # the rows' own pairs, not two columns shuffled apart
    assert (fig.layout.xaxis.title.text, fig.layout.yaxis.title.text) == ("a", "c")


@pytest.mark.parametrize(("x", "y"), [("a", "b"), ("a", "c"), ("c", "b")])
def test_the_title_gives_the_pairs_correlation(small, x: str, y: str) -> None:
    df, prof = small
    r = df[x].corr(df[y])  # pandas: pairwise complete
    assert prof.interactions.correlation(x, y) == pytest.approx(r, abs=1e-6)
    rho = df[x].corr(df[y], method="spearman")
    title = interaction_figure(prof, x, y).layout.title.text
    assert f"Pearson r = {r:.2f}" in title and f"Spearman ρ = {rho:.2f}" in title
    assert title.startswith(f"{y} against {x}")


def test_a_large_sample_is_a_2d_histogram() -> None:
    df = pairs_frame(3 * SCATTER_ROWS, seed=1)
    prof = lw.profile(df)
    view = prof.interactions
    assert view.mode == "density" and view.points == ()
    fig = interaction_figure(prof, "a", "b")
    trace = fig.data[0]
    assert trace.type == "heatmap"
    assert np.sum(trace.z) == len(df)  # a and b are never missing
    assert np.sum(view.counts("a", "c")) == df.c.notna().sum()
    np.testing.assert_array_equal(np.array(view.counts("b", "a")), np.array(view.counts("a", "b")).T)
    # counts in bins agree with numpy's 2-D histogram on the same edges
    ex, ey = np.array(view.edges[0]), np.array(view.edges[1])
    expected, _, _ = np.histogram2d(df.a, df.b, bins=[ex, ey])
    np.testing.assert_array_equal(np.array(view.counts("a", "b")), expected.T.astype(int))
    assert f"Pearson r = {df.a.corr(df.b):.2f}" in fig.layout.title.text
    assert len(json.dumps(view.densities[0].counts)) < 5_000  # bins, not rows


def test_heavy_tails_are_clipped_into_the_edge_bins() -> None:
    rng = np.random.default_rng(2)
    x = rng.normal(size=20_000)
    x[:5] = 1e6  # five far outliers would squash every other row into one bin
    view = interactions(pd.DataFrame({"x": x, "y": rng.normal(size=20_000)}), ["x", "y"])
    assert view.clipped == ("x",) and view.edges[0][-1] < 10
    assert np.sum(view.counts("x", "y")) == 20_000


def test_columns_over_the_cap_and_the_target_first() -> None:
    rng = np.random.default_rng(3)
    df = pd.DataFrame({f"c{i:02d}": rng.normal(size=100) for i in range(15)})
    prof = lw.profile(df, target="c14")
    view = prof.interactions
    assert len(view.columns) == MAX_INTERACTION_COLUMNS and "c14" in view.columns
    assert [c.column for c in view.left_out] == ["c11", "c12", "c13"]
    with pytest.raises(ColumnError, match=r"Column 'c12': not in the interaction view \(over the cap"):
        interaction_figure(prof, "c12", "c00")
    assert "Not in the interaction view" in display.html_fragment(prof, include_plotlyjs=False)


def test_non_numeric_columns_are_not_pairs(small) -> None:
    _, prof = small
    with pytest.raises(ColumnError, match="Column 'region': not in the interaction view"):
        interaction_figure(prof, "a", "region")


def test_no_view_with_fewer_than_two_numeric_columns() -> None:
    prof = lw.profile(pd.DataFrame({"a": np.arange(10.0), "s": list("abcdefghij")}))
    assert prof.interactions is None
    assert "Interactions" not in prof.panel().tabs.titles
    with pytest.raises(ColumnError, match="no interaction view"):
        interaction_figure(prof, "a", "a")


def test_live_picker_draws_the_chosen_pair(small) -> None:
    _, prof = small
    picker = InteractionPicker(prof)
    assert (picker.x.value, picker.y.value) == ("a", "b")  # the most correlated pair first
    picker.x.value = "c"
    picker.y.value = "a"
    fig = picker.figure
    assert (fig.layout.xaxis.title.text, fig.layout.yaxis.title.text) == ("c", "a")
    shown = picker.out.outputs[0]["data"]["application/vnd.plotly.v1+json"]
    assert shown["layout"]["title"]["text"] == fig.layout.title.text
    panel = prof.panel()
    panel.tabs.selected_index = panel.tabs.titles.index("Interactions")


def test_static_view_shows_the_top_pairs(small) -> None:
    _, prof = small
    figs = prof.figures()
    names = [k for k in figs if k.startswith("interaction:")]
    assert names[0] == "interaction:b against a"  # |r| of a and b is by far the largest
    assert len(names) == 3


def test_json_round_trip_and_escaped_names() -> None:
    name = "<script>alert(1)</script>"
    df = pairs_frame(8_000, seed=4).rename(columns={"a": name})
    prof = lw.profile(df)
    back = DataProfile.from_dict(json.loads(prof.to_json()))
    assert back == prof and back.interactions.mode == "density"
    small = lw.profile(pairs_frame(300, seed=5))
    assert DataProfile.from_dict(json.loads(small.to_json())) == small
    fig = interaction_figure(prof, name, "b")
    assert "<script>" not in fig.layout.title.text and "&lt;script&gt;" in fig.layout.xaxis.title.text
    assert name not in prof.to_html()
