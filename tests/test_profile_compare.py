"""Two profiles compared: distances against scipy, kinds that change, columns of one side,
JSON round trip and the display."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.spatial.distance import jensenshannon

import lifecycle_widgets as lw
from lifecycle_widgets.core.profile_compare import ProfileComparison
from lifecycle_widgets.panels import display

WORDS = ["north", "south", "river", "stone", "field", "light"]


@pytest.fixture(scope="module")
def pair() -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(11)
    n = 4000
    a = pd.DataFrame(
        {
            "x": rng.normal(size=n),
            "k": rng.integers(0, 20, n),
            "c": rng.choice(list("abcd"), n, p=[0.4, 0.3, 0.2, 0.1]),
            "t": [" ".join(rng.choice(WORDS, int(m))) for m in rng.integers(5, 15, n)],
            "gone": rng.normal(size=n),
        }
    )
    b = pd.DataFrame(
        {
            "x": rng.normal(0.5, 1.0, n),
            "k": rng.integers(0, 20, n).astype(str),  # integers turned into text
            "c": rng.choice(list("abce"), n, p=[0.1, 0.2, 0.3, 0.4]),
            "t": [" ".join(rng.choice(WORDS, int(m))) for m in rng.integers(5, 15, n)],
            "new": rng.normal(size=n),
        }
    )
    return a, b


@pytest.fixture(scope="module")
def comparison(pair) -> ProfileComparison:
    a, b = pair
    return lw.profile(a).compare(lw.profile(b), labels=("before", "after"))


def test_numeric_distance_is_kolmogorov_smirnov(pair, comparison) -> None:
    a, b = pair
    c = comparison.column("x")
    assert c.method == "kolmogorov_smirnov"
    truth = stats.ks_2samp(a["x"], b["x"]).statistic
    # from two histograms: exact at the bin edges, so within the largest bin's share of the truth
    widest = max(
        max(p.column("x").histogram.counts) / p.column("x").count for p in (comparison.left, comparison.right)
    )
    assert abs(c.distance - truth) <= widest
    assert c.distance > 0.15


def test_categorical_distance_is_jensen_shannon(pair, comparison) -> None:
    a, b = pair
    c = comparison.column("c")
    counts = pd.concat([a["c"].value_counts(), b["c"].value_counts()], axis=1).fillna(0)
    assert c.method == "jensen_shannon"
    assert c.distance == pytest.approx(jensenshannon(counts.iloc[:, 0], counts.iloc[:, 1], base=2))


def test_kind_changes_and_one_sided_columns(comparison) -> None:
    k = comparison.column("k")
    assert (k.left_kind, k.right_kind, k.distance) == ("integer", "categorical", None)
    assert k.note == "kind changed: integer to categorical"
    assert comparison.only_left == ("gone",) and comparison.only_right == ("new",)
    head = display.headline_of(comparison)
    assert head[0].severity == "high" and "k (integer to categorical)" in head[0].text
    assert any("shifted" in h.text and "c (" in h.text for h in head)
    assert any("only in before" in h.text for h in head)


def test_text_columns_compare_their_lengths(comparison) -> None:
    t = comparison.column("t")
    assert t.method == "length_kolmogorov_smirnov" and t.distance < 0.05  # the same length law


def test_same_data_no_shift() -> None:
    df = lw.datasets.credit(1500, seed=2)
    cmp = lw.profile(df).compare(lw.profile(df.sample(frac=1.0, random_state=1)))
    assert all(c.distance == 0.0 for c in cmp.columns if c.distance is not None)
    assert cmp.labels == ("left", "right") and cmp.shifted == ()
    assert display.headline_of(cmp)[0].severity == "ok"


def test_high_cardinality_top_values_are_not_a_shift() -> None:
    def draw(seed: int) -> pd.DataFrame:
        return pd.DataFrame({"e": [f"v{i}" for i in np.random.default_rng(seed).integers(0, 500, 5000)]})

    cmp = lw.profile(draw(1)).compare(lw.profile(draw(2)))
    assert cmp.column("e").distance < 0.1  # the same law; the top 20 differ by chance


def test_round_trip_and_errors(comparison) -> None:
    assert ProfileComparison.from_dict(comparison.to_dict()) == comparison
    with pytest.raises(
        lw.ParameterError, match=r"'other' parameter of DataProfile\.compare must be a DataProfile"
    ):
        comparison.left.compare(pd.DataFrame())
    with pytest.raises(lw.ParameterError, match="'labels'"):
        comparison.left.compare(comparison.right, labels=("one",))
    with pytest.raises(lw.ColumnError, match="'gone': not in both profiles"):
        comparison.column("gone")


def test_display_shows_both_sides_escaped(pair) -> None:
    a, b = pair
    evil = "<img src=x onerror=alert(1)>"
    cmp = lw.profile(a.rename(columns={"x": evil})).compare(
        lw.profile(b.rename(columns={"x": evil})), labels=(evil, "b")
    )
    figures = cmp.figures()
    assert set(figures) >= {"distances", f"distribution:{evil}"}
    fig = figures[f"distribution:{evil}"]
    assert [t.name for t in fig.data] == ["&lt;img src=x onerror=alert(1)&gt;", "b"]
    assert sum(fig.data[0].y) == pytest.approx(1.0, abs=0.01)  # shares of each side's values
    for f in figures.values():
        assert f.layout.title.text and f.layout.xaxis.title.text and f.layout.yaxis.title.text
        assert "<img" not in f.to_json()
    assert evil not in cmp.to_html()
