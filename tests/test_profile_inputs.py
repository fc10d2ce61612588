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
