"""The diff of two dataset versions: rows added, removed and changed by key, schema and
statistics changes, checked against independent pandas computations; bad input; display."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import lifecycle_widgets as lw
from lifecycle_widgets.core import ingest
from lifecycle_widgets.core.dataset_diff import DatasetDiff, dataset_diff
from lifecycle_widgets.panels import dataset_diff as diff_panel  # noqa: F401  (describes DatasetDiff)
from lifecycle_widgets.panels import display


def _versions(seed: int = 3) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``old`` and a ``new`` with known removed, added and edited rows, a column whose dtype
    changes from int64 to float64 (values kept except where edited), a dropped and an added column."""
    rng = np.random.default_rng(seed)
    n = 2000
    old = pd.DataFrame(
        {
            "id": np.arange(n),
            "count": rng.integers(0, 50, n),
            "score": rng.normal(size=n),
            "city": rng.choice(["north", "south", "east"], n),
            "legacy": rng.integers(0, 3, n),
        }
    )
    new = old.drop(columns="legacy")
    new = new[~new["id"].isin(np.arange(0, n, 10))]  # 200 removed
    new["count"] = new["count"].astype("float64")  # dtype change, same values
    edit_count = new["id"].isin([3, 5, 7, 11])
    new.loc[edit_count, "count"] += 1
    edit_city = new["id"].isin([5, 13, 17])
    new.loc[edit_city, "city"] = "west"
    new.loc[new["id"].isin([21, 23]), "score"] = np.nan
    added = pd.DataFrame(
        {
            "id": np.arange(n, n + 75),
            "count": rng.integers(0, 50, 75).astype("float64"),
            "score": rng.normal(size=75),
            "city": "west",
        }
    )
    new = pd.concat([new, added], ignore_index=True).assign(channel="web")
    return old, new.sample(frac=1.0, random_state=1)  # row order must not matter


def test_known_added_removed_changed_rows_and_dtype_change() -> None:
    old, new = _versions()
    d = dataset_diff(old, new, key="id")
    # independent: set arithmetic on the keys, a merge for the edits
    removed = sorted(set(old.id) - set(new.id))
    added = sorted(set(new.id) - set(old.id))
    assert (d.rows_removed, d.rows_added) == (len(removed), len(added)) == (200, 75)
    assert d.removed_keys == tuple(str(k) for k in removed[:20])
    assert d.added_keys == tuple(str(k) for k in added[:20])
    both = old.merge(new, on="id", suffixes=("_o", "_n"))
    changed = {
        c: int(
            (~((both[f"{c}_o"] == both[f"{c}_n"]) | (both[f"{c}_o"].isna() & both[f"{c}_n"].isna()))).sum()
        )
        for c in ("count", "score", "city")
    }
    assert {c: d.column(c).changed_rows for c in changed} == changed
    assert changed["count"] == 4 and changed["city"] == 3 and changed["score"] == 2  # as edited
    any_changed = ~np.logical_and.reduce(
        [
            (both[f"{c}_o"] == both[f"{c}_n"]) | (both[f"{c}_o"].isna() & both[f"{c}_n"].isna())
            for c in changed
        ]
    )
    assert d.rows_changed == int(any_changed.sum())
    assert d.rows_unchanged == len(both) - d.rows_changed
    schema = {c.column: (c.change, c.old_dtype, c.new_dtype) for c in d.schema_changes}
    assert schema == {
        "count": ("type", "int64", "float64"),
        "legacy": ("removed", "int64", None),
        "channel": ("added", None, str(new["channel"].dtype)),
    }
    assert d.column("legacy").changed_rows is None and d.column("channel").changed_rows is None
    assert d.column("score").change == ""


def test_statistics_before_and_after_match_pandas() -> None:
    old, new = _versions()
    d = dataset_diff(old, new, key="id")
    for c in ("count", "score"):
        col = d.column(c)
        assert col.mean_before == pytest.approx(old[c].mean())
        assert col.mean_after == pytest.approx(new[c].mean())
    col = d.column("score")
    assert col.missing_before == 0.0 and col.missing_after == pytest.approx(new["score"].isna().mean())
    city = d.column("city")
    assert (city.distinct_before, city.distinct_after) == (old.city.nunique(), new.city.nunique())
    assert city.mean_before is None  # text has no mean
    assert d.column("legacy").mean_after is None and d.column("channel").mean_before is None
    frame = d.to_frame().set_index("column")
    assert frame.loc["count", "distinct_before"] == old["count"].nunique()
    assert list(frame.index) == ["id", "count", "score", "city", "legacy", "channel"]


def test_fingerprints_are_those_the_store_logs(tmp_path: Path) -> None:
    old, new = _versions()
    d = dataset_diff(old, new, key="id")
    store = lw.RunStore(tmp_path / "lifecycle.db")
    with store.start_run() as run:
        assert run.log_dataset("v1", old) == d.old.fingerprint
        assert run.log_dataset("v2", new) == d.new.fingerprint
    assert (d.old.rows, d.new.rows, d.old.columns, d.new.columns) == (len(old), len(new), 5, 5)


def test_same_values_in_a_wider_type_are_no_change_of_values() -> None:
    old = pd.DataFrame({"id": [1, 2, 3], "x": [1, 2, 3], "flag": [True, False, True]})
    new = pd.DataFrame({"id": [3, 2, 1], "x": pd.array([3, 2, 1], dtype="Int64"), "flag": [1.0, 0.0, 1.0]})
    d = dataset_diff(old, new, key="id")
    assert d.rows_changed == 0 and d.rows_unchanged == 3
    assert [c.column for c in d.schema_changes] == ["x", "flag"]
    assert (
        d.summary()
        == "Same rows and values; column `x` changed type int64 → Int64; column `flag` changed type bool → float64"
    )
    same = dataset_diff(old, old.copy(), key="id")
    assert same.identical and same.summary().startswith("No differences")


def test_a_composite_key_and_a_type_changed_to_text() -> None:
    old = pd.DataFrame({"shop": ["a", "a", "b"], "day": [1, 2, 1], "sold": [5, 6, 7]})
    new = pd.DataFrame({"shop": ["a", "b", "b"], "day": [2, 1, 2], "sold": ["6", "8", "1"]})
    d = dataset_diff(old, new, key=["shop", "day"])
    assert (d.rows_removed, d.rows_added, d.rows_changed) == (1, 1, 1)
    assert d.removed_keys == ("('a', 1)",) and d.added_keys == ("('b', 2)",)
    assert d.column("sold").changed_rows == 1  # 6 and "6" are one value; 7 and "8" are not


def test_paths_read_like_frames(tmp_path: Path) -> None:
    old, new = _versions()
    old.to_parquet(tmp_path / "old.parquet")
    new.to_csv(tmp_path / "new.csv", index=False)
    from_paths = dataset_diff(tmp_path / "old.parquet", str(tmp_path / "new.csv"), key="id")
    from_frames = dataset_diff(old, pd.read_csv(tmp_path / "new.csv"), key="id")
    assert from_paths == from_frames
    assert from_paths.rows_removed == 200


def test_the_callers_frames_are_not_changed() -> None:
    old = pd.DataFrame({"id": [1, 2], 0: [1.0, 2.0]})
    new = pd.DataFrame({"id": [1, 2], 0: [1.0, 3.0]})
    d = dataset_diff(old, new, key="id")
    assert d.column("0").changed_rows == 1
    assert list(old.columns) == ["id", 0] and list(new.columns) == ["id", 0]


BAD = [
    (
        {"key": "user"},
        lw.ColumnError,
        r"Column 'user': the key is not a column of old; its columns are \['id', 'x'\]",
    ),
    ({"key": 3}, lw.ParameterError, r"The 'key' parameter of dataset_diff must be a column name"),
    ({"key": []}, lw.ParameterError, r"'key' parameter of dataset_diff"),
    ({"key": ["id", "id"]}, lw.ParameterError, r"'key' parameter of dataset_diff"),
]


@pytest.mark.parametrize(("kwargs", "error", "message"), BAD)
def test_bad_keys_name_the_parameter(kwargs, error, message) -> None:
    old = pd.DataFrame({"id": [1, 2], "x": [1, 2]})
    with pytest.raises(error, match=message):
        dataset_diff(old, old, **kwargs)


@pytest.mark.parametrize(
    ("new", "message"),
    [
        (pd.DataFrame({"x": [1, 2]}), r"Column 'id': the key is not a column of new"),
        (
            pd.DataFrame({"id": [1, 1, 2], "x": [1, 2, 3]}),
            r"Column 'id': the key repeats in new: 1 row repeats a key \(e.g. 1\)",
        ),
        (pd.DataFrame({"id": [1.0, None], "x": [1, 2]}), r"Column 'id': the key has 1 missing values in new"),
        (
            pd.DataFrame({"id": ["1", "2"], "x": [1, 2]}),
            r"Column 'id': the key is int64 in old and .* in new",
        ),
        (pd.DataFrame([[1, 2, 3]], columns=["id", "x", "x"]), r"Column 'x': appears more than once in new"),
    ],
)
def test_bad_frames_name_the_key_or_column_before_any_work(monkeypatch, new, message) -> None:
    def no_work(*args, **kwargs):
        raise AssertionError("statistics were computed before the input was checked")

    monkeypatch.setattr(ingest, "collect", no_work)
    old = pd.DataFrame({"id": [1, 2], "x": [1, 2]})
    with pytest.raises(lw.ColumnError, match=message):
        dataset_diff(old, new, key="id")


def test_bad_versions_name_the_parameter(tmp_path: Path) -> None:
    frame = pd.DataFrame({"id": [1]})
    with pytest.raises(
        lw.ParameterError, match=r"The 'old' parameter of dataset_diff must be a pandas DataFrame"
    ):
        dataset_diff([1, 2], frame)
    with pytest.raises(
        lw.ParameterError, match=r"The 'new' parameter of dataset_diff names no file or folder"
    ):
        dataset_diff(frame, tmp_path / "missing.parquet")


def test_json_round_trip_and_frame() -> None:
    d = dataset_diff(*_versions(), key="id")
    again = DatasetDiff.from_dict(json.loads(d.to_json()))
    assert again == d
    assert d.to_frame().shape == (6, 11)


def test_display_puts_removals_and_type_changes_first_and_escapes_column_names() -> None:
    old, new = _versions()
    evil = "<img src=x onerror=alert(1)>"
    old, new = old.rename(columns={"score": evil}), new.rename(columns={"score": evil})
    new.loc[new["id"] > 1000, evil] = np.nan  # a missing share jump the headline names
    d = dataset_diff(old, new, key="id")
    head = display.headline_of(d)
    assert head[0].text.startswith("200 rows removed, 75 rows added")
    assert "column `count` changed type int64 → float64" in head[0].text
    assert head[0].severity == "high"  # a column was removed
    assert any(evil in a.text and "missing share" in a.text for a in head)
    html = d.to_html()
    assert evil not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    figures = d.figures()
    assert set(figures) == {
        "rows",
        "changed_columns",
        "statistics:missing share",
        "statistics:distinct values",
        "statistics:mean",
    }
    for name, fig in figures.items():
        assert fig.layout.title.text, name
        assert fig.layout.xaxis.title.text and fig.layout.yaxis.title.text, name
        labels = [str(v) for t in fig.data for v in (t.y or ())]
        assert evil not in labels, name  # plotly labels get the text, not the markup
    rows = figures["rows"].data[0]
    assert dict(zip(rows.y, rows.x, strict=True)) == {
        "removed": 200,
        "added": 75,
        "changed": d.rows_changed,
        "unchanged": d.rows_unchanged,
    }
    assert display.description_of(d).title(d) == f"Dataset diff by id: 2,000 → {len(new):,} rows"


def test_row_order_does_not_change_the_diff() -> None:
    old, new = _versions()
    d = dataset_diff(old, new, key="id")
    shuffled = dataset_diff(
        old.sample(frac=1.0, random_state=9), new.sample(frac=1.0, random_state=4), key="id"
    )
    assert shuffled == d
    assert d.removed_keys == tuple(str(k) for k in range(0, 200, 10))  # the smallest, in order


def test_values_of_every_kind_compare_with_missing_equal_to_missing() -> None:
    old = pd.DataFrame(
        {
            "id": [1, 2, 3],
            "cat": pd.Categorical(["a", "b", "c"]),
            "obj": pd.Series([1, "x", None], dtype=object),
            "when": pd.to_datetime(["2020-01-01", None, "2021-01-01"]),
            "text": pd.array(["a", None, "c"], dtype="string"),
        }
    )
    new = pd.DataFrame(
        {
            "id": [1, 2, 3],
            "cat": pd.Categorical(["a", "b", "d"]),  # other categories: compared by value
            "obj": pd.Series([1, "y", None], dtype=object),
            "when": pd.to_datetime(["2020-01-01", None, "2021-01-02"]),
            "text": pd.array(["a", None, "d"], dtype="string"),
        }
    )
    d = dataset_diff(old, new, key="id")
    assert {c.column: c.changed_rows for c in d.columns if c.column != "id"} == {
        "cat": 1,
        "obj": 1,
        "when": 1,
        "text": 1,
    }
    assert (d.rows_changed, d.rows_unchanged) == (2, 1)  # row 1 is the same in every column
