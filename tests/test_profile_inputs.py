"""Awkward and bad inputs: a result with the right alert, or an error that names the problem."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

import lifecycle_widgets as lw


def alert_types(prof: lw.DataProfile, column: str | None = None) -> set[str]:
    return {a.type for a in prof.alerts if column is None or a.column == column}


def test_empty_frame() -> None:
    prof = lw.profile(pd.DataFrame({"a": pd.Series(dtype=float), "b": pd.Series(dtype="str")}))
    assert prof.n_rows == 0 and prof.n_columns == 2
    assert "no_rows" in alert_types(prof)
    assert prof.column("a").kind == "empty"
    assert prof.to_html()  # still displays


def test_zero_columns() -> None:
    prof = lw.profile(pd.DataFrame(index=range(5)))
    assert prof.n_columns == 0 and "no_columns" in alert_types(prof)
    assert prof.to_html()


def test_one_row() -> None:
    prof = lw.profile(pd.DataFrame({"a": [1.5], "b": ["x"]}))
    assert prof.column("a").std is None and prof.column("a").mean == 1.5
    assert prof.column("b").kind == "constant"


def test_all_missing_column() -> None:
    prof = lw.profile(pd.DataFrame({"a": [None, None, None], "b": [1, 2, 3]}))
    assert "all_missing" in alert_types(prof, "a")
    assert prof.column("a").kind == "empty"


def test_constant_and_high_missing() -> None:
    df = pd.DataFrame({"c": [7] * 10, "m": [1.0, None, None, None, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]})
    prof = lw.profile(df)
    assert "constant" in alert_types(prof, "c")
    assert "high_missing" in alert_types(prof, "m")


def test_duplicate_column_names_are_an_error() -> None:
    df = pd.DataFrame([[1, 2]], columns=["a", "a"])
    with pytest.raises(lw.ColumnError, match=r"'a'.*duplicate column name"):
        lw.profile(df)
    with pytest.raises(lw.ColumnError, match="duplicate"):
        lw.profile(pd.DataFrame([[1, 2]], columns=[1, "1"]))


def test_non_string_column_names() -> None:
    prof = lw.profile(pd.DataFrame({0: [1, 2, 3], ("a", "b"): ["x", "y", "z"]}))
    assert prof.column_names == ("0", "('a', 'b')")


def test_mixed_types_in_object_column() -> None:
    df = pd.DataFrame({"m": pd.Series([1, "two", 3.0, None, "four"] * 20, dtype=object)})
    prof = lw.profile(df)
    assert "mixed_types" in alert_types(prof, "m")
    assert set(prof.column("m").value_types) == {"int", "str", "float"}


def test_unhashable_objects_do_not_crash() -> None:
    prof = lw.profile(pd.DataFrame({"l": [[1, 2], [1, 2], [3], None]}))
    assert prof.column("l").distinct == 2


def test_infinities() -> None:
    prof = lw.profile(pd.DataFrame({"x": [1.0, np.inf, -np.inf, 2.0, np.nan]}))
    col = prof.column("x")
    assert (col.infinite, col.missing, col.min, col.max) == (2, 1, 1.0, 2.0)
    assert "infinite_values" in alert_types(prof, "x")
    only_inf = lw.profile(pd.DataFrame({"x": [np.inf, -np.inf]})).column("x")
    assert only_inf.infinite == 2 and only_inf.mean is None


def test_timezone_aware_datetimes() -> None:
    s = pd.Series(pd.date_range("2024-03-30 22:00", periods=48, freq="h", tz="Europe/Paris"))
    col = lw.profile(pd.DataFrame({"t": s})).column("t")
    assert col.kind == "datetime" and col.timezone == "Europe/Paris"
    assert col.min == s.min().timestamp() and col.max == s.max().timestamp()


def test_nullable_and_pyarrow_dtypes_agree(frame_kind) -> None:
    df = pd.DataFrame(
        {
            "i": [1, 2, None, 4] * 50,
            "s": ["a", None, "b", "a"] * 50,
            "f": [0.5, None, 1.5, 2.5] * 50,
            "b": [True, False, None, True] * 50,
        }
    )
    prof = lw.profile(frame_kind(df))
    assert [prof.column(c).missing for c in "isfb"] == [50, 50, 50, 50]
    assert prof.column("s").distinct == 2
    assert prof.column("f").mean == pytest.approx(1.5)
    assert prof.column("b").kind == "boolean"


def test_categorical_dtype_ignores_unused_categories() -> None:
    s = pd.Series(pd.Categorical(["a", "b", "a"], categories=["a", "b", "never"]))
    col = lw.profile(pd.DataFrame({"c": s})).column("c")
    assert dict(col.top_values) == {"a": 2, "b": 1} and col.distinct == 2


def test_a_million_distinct_strings() -> None:
    n = 1_000_000
    df = pd.DataFrame({"id": pd.Series(np.char.add("u", np.arange(n).astype(str)), dtype="str")})
    col = lw.profile(df).column("id")
    assert not col.distinct_exact
    assert abs(col.distinct - n) / n < 0.05
    assert col.kind == "identifier"


def test_dates_as_python_objects_are_categorical_not_a_crash() -> None:
    df = pd.DataFrame({"d": [dt.date(2024, 1, i) for i in range(1, 11)]})
    assert lw.profile(df).column("d").distinct == 10


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"target": "nope"}, lw.ColumnError, "'nope': not a column of the data; columns are"),
        ({"target": 3}, lw.ParameterError, "'target' parameter of profile must be a column name"),
        ({"sample_size": -1}, lw.ParameterError, "'sample_size' parameter of profile must be an int >= 0"),
        ({"bins": 0}, lw.ParameterError, "'bins'"),
        ({"chunk_rows": 0}, lw.ParameterError, "'chunk_rows'"),
        ({"card": {"owner": "me"}}, lw.ParameterError, "'card' parameter of profile must be a DataCard"),
    ],
)
def test_bad_parameters(kwargs: dict, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        lw.profile(pd.DataFrame({"a": [1, 2]}), **kwargs)


@pytest.mark.parametrize(
    ("data", "match"),
    [
        ([1, 2, 3], "'data' parameter of profile must be a pandas DataFrame"),
        ("/no/such/file.parquet", "No such file"),
    ],
)
def test_bad_data(data: object, match: str) -> None:
    with pytest.raises(lw.ParameterError, match=match):
        lw.profile(data)


def test_parameter_errors_are_value_and_type_errors() -> None:
    with pytest.raises(ValueError):
        lw.profile(pd.DataFrame({"a": [1]}), bins=0)
    with pytest.raises(TypeError):
        lw.profile(pd.DataFrame({"a": [1]}), bins=0)


# --- columns that never break the profile -------------------------------------------------


def test_bytes_are_profiled_by_length_never_decoded() -> None:
    values = [b"\xff\xfe", b"abc", None, b"\x00" * 5]
    prof = lw.profile(pd.DataFrame({"b": values * 30}))
    col = prof.column("b")
    assert col.kind == "binary"
    lengths = [len(v) for v in values if v is not None]
    assert (col.min_length, col.max_length) == (min(lengths), max(lengths))
    assert col.mean_length == pytest.approx(np.mean(lengths))
    assert col.text.unit == "bytes" and col.text.top_words == ()
    assert sum(col.text.lengths.counts) == col.count == 90
    assert dict(col.top_values)[repr(b"\xff\xfe")] == 30  # shown by repr, not decoded
    assert "binary" in prof.to_html()


def test_arrow_binary_columns() -> None:
    import pyarrow as pa

    table = pa.table({"bin": pa.array([b"\xff\x00", b"ab", None, b"xyz"] * 20, type=pa.binary())})
    for data in (table, table.to_pandas(types_mapper=pd.ArrowDtype)):
        col = lw.profile(data).column("bin")
        assert (col.kind, col.min_length, col.max_length, col.count) == ("binary", 2, 3, 60)


def test_mixed_bytes_and_text() -> None:
    s = pd.Series([b"\xff", "café", None, "xy"] * 30, dtype=object)
    prof = lw.profile(pd.DataFrame({"m": s}))
    col = prof.column("m")
    assert col.value_types == {"bytes": 30, "str": 60}
    assert "mixed_types" in alert_types(prof, "m")
    assert (col.min_length, col.max_length) == (1, 4)  # 1 byte; "café" is 4 characters
    assert col.text.unit == "characters" and col.text.values == 60  # the text values only


def test_ten_megabyte_cells() -> None:
    big = "word " * 2_000_000  # 10 MB
    df = pd.DataFrame({"big": [big, "short", "other"] * 2, "n": range(6)})
    prof = lw.profile(df)
    col = prof.column("big")
    assert col.max_length == len(big) == 10_000_000
    labels = dict(col.top_values)
    assert any(k.endswith("(10,000,000 characters in all)") for k in labels)
    assert max(len(k) for k in labels) < 300
    assert len(prof.to_json()) < 200_000
    html = prof.to_html()
    assert big[:10_000] not in html and len(html) < 8_000_000  # plotly.js is 4.6 MB of it
    assert col.text.top_words[0] == ("word", 2 * 100_000 // 5)  # counted in the first 100,000 characters


def test_lone_surrogates_do_not_crash() -> None:
    s = pd.Series(["\ud800abc", "ok"] * 30, dtype=object)
    prof = lw.profile(pd.DataFrame({"s": s}))
    assert prof.column("s").distinct == 2
    assert "\ud800" not in prof.to_json() and prof.to_html()


def test_markup_in_text_views_is_escaped() -> None:
    evil = "<img src=x onerror=alert(1)>"
    df = pd.DataFrame(
        {
            "t": [f"{evil} x<b>y and more words {i}" for i in range(80)],
            evil: ["AB<tag1>"] * 40 + ["CD<tag2>"] * 40,
        }
    )
    prof = lw.profile(df)
    assert ("x<b>y", 80) in prof.column("t").text.top_words
    assert ("AA<aaa9>", 80) in prof.column(evil).text.patterns
    html = prof.to_html()
    for markup in (evil, "<tag1>", "<aaa9>", "x<b>y"):
        assert markup not in html
    for fig in prof.figures().values():
        assert "<img" not in fig.to_json()
