"""The profile's time-series mode: autocorrelation, seasonality, stationarity and gaps of a
time-indexed frame, its alerts, its display and its JSON round trip."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import lifecycle_widgets as lw
from lifecycle_widgets.core.ingest import collect
from lifecycle_widgets.core.profile_timeseries import (
    MAX_TIMESERIES_COLUMNS,
    acf,
    adf_test,
    check_time_column,
    timeseries_profile,
)
from lifecycle_widgets.core.profiling import DataProfile, finalize
from lifecycle_widgets.exceptions import ColumnError, ParameterError
from lifecycle_widgets.figures import acf_figure, decomposition_figure
from lifecycle_widgets.panels import display

DAYS = pd.date_range("2024-01-01", periods=365, freq="D")


def time_profile(data: object, *, time_column: str | None = None, sample_size: int = 50_000) -> DataProfile:
    """What ``lw.profile(data, time_column=...)`` gives: the frame itself reaches finalize when
    it is in memory, the row sample otherwise (streamed Parquet)."""
    _, part = collect(data, sample_size=sample_size)
    frame = data if isinstance(data, pd.DataFrame) else None
    return finalize(part, time_column=time_column, frame=frame)


def weekly(seed: int = 0, n: int = 365) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.sin(2 * np.pi * np.arange(n) / 7) + rng.normal(0, 0.5, n)


def alerts(prof: DataProfile, column: str) -> set[str]:
    return {a.type for a in prof.alerts_for(column)}


def daily_frame() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    return pd.DataFrame(
        {
            "ts": DAYS,
            "sales": weekly(1),
            "noise": rng.normal(size=365),
            "walk": np.cumsum(rng.normal(size=365)),
        }
    )


@pytest.fixture(scope="module")
def prof() -> DataProfile:
    return time_profile(daily_frame(), time_column="ts")


def test_weekly_period_on_daily_data(prof: DataProfile) -> None:
    s = prof.timeseries.series_for("sales")
    assert s.period == 7 and s.seasonal
    assert s.seasonal_strength > 0.5  # sine of variance 0.5 against noise of 0.25: 0.67 expected
    assert s.acf[6] > s.band  # lag 7
    assert len(s.cycle) == 7 and abs(sum(s.cycle)) < 1e-6
    (alert,) = [a for a in prof.alerts if a.type == "seasonal"]
    assert alert.column == "sales" and "period of 7 days" in alert.message


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_white_noise_has_no_season_and_stays_in_the_band(seed: int) -> None:
    df = pd.DataFrame({"x": np.random.default_rng(seed).normal(size=365)}, index=DAYS)
    s = time_profile(df).timeseries.series_for("x")
    assert s.period is None and not s.seasonal and s.seasonal_strength is None
    assert s.band == pytest.approx(1.96 / np.sqrt(365))
    outside = np.mean(np.abs(s.acf) > s.band)
    assert outside <= 0.1  # 5 % expected by chance
    assert s.stationary is True


def test_random_walk_is_non_stationary_and_noise_is_not(prof: DataProfile) -> None:
    assert "non_stationary" in alerts(prof, "walk")
    assert "non_stationary" not in alerts(prof, "noise")
    assert prof.timeseries.series_for("walk").adf_pvalue > 0.05
    assert prof.timeseries.series_for("noise").adf_pvalue < 0.01
    (alert,) = [a for a in prof.alerts if a.type == "non_stationary"]
    assert alert.column == "walk" and "Dickey-Fuller" in alert.message


def test_acf_against_the_definition() -> None:
    x = np.random.default_rng(3).normal(size=200).cumsum()
    d = x - x.mean()
    expected = [np.sum(d[k:] * d[: len(d) - k]) / np.sum(d * d) for k in range(11)]
    assert acf(x, 10) == pytest.approx(expected)


def test_dickey_fuller_without_lags_is_the_t_statistic_of_the_regression() -> None:
    x = np.random.default_rng(4).normal(size=300).cumsum()
    fit = stats.linregress(x[:-1], np.diff(x))  # delta x_t = a + gamma x_(t-1)
    tau, p, lags = adf_test(x, max_lag=0)
    assert lags == 0 and tau == pytest.approx(fit.slope / fit.stderr)
    # MacKinnon's 5 % critical value with a constant is -2.86 (asymptotic): p and tau agree
    assert (p < 0.05) == (tau < -2.86)


def test_gaps_and_irregular_steps_are_reported() -> None:
    keep = np.ones(200, dtype=bool)
    keep[50:60] = False  # 10 days
    keep[120:123] = False  # 3 days
    times = pd.date_range("2024-01-01", periods=200, freq="D")[keep]
    times = times.append(pd.DatetimeIndex(["2024-07-19 06:00"]))  # a quarter of a day off the grid
    df = pd.DataFrame({"x": np.random.default_rng(5).normal(size=len(times))}, index=times)
    prof = time_profile(df)
    idx = prof.timeseries.index
    assert idx.step_label == "1 day" and idx.exact
    assert idx.missing_periods == 13 and idx.gap_count == 2 and idx.irregular_steps == 1
    assert [g.missing for g in idx.gaps] == [10, 3]
    assert pd.Timestamp(idx.gaps[0].start, unit="s") == pd.Timestamp("2024-02-19")
    assert pd.Timestamp(idx.gaps[0].end, unit="s") == pd.Timestamp("2024-03-01")
    (gap,) = [a for a in prof.alerts if a.type == "time_gaps"]
    assert "13 periods" in gap.message and "2 gaps" in gap.message


def test_a_regular_index_has_no_gaps() -> None:
    df = pd.DataFrame({"x": weekly(2)}, index=DAYS)
    idx = time_profile(df).timeseries.index
    assert (idx.missing_periods, idx.gap_count, idx.irregular_steps, idx.gaps) == (0, 0, 0, ())
    assert "time_gaps" not in {a.type for a in time_profile(df).alerts}


@pytest.mark.parametrize(
    ("times", "label"),
    [
        (pd.date_range("2015-01-31", periods=120, freq="ME"), "1 month"),  # 28 to 31 days apart
        (pd.bdate_range("2024-01-01", periods=120), "1 business day"),  # weekends are no gaps
        (pd.date_range("2024-01-01", periods=120, freq="h"), "1 hour"),
    ],
)
def test_calendar_steps_are_not_gaps(times: pd.DatetimeIndex, label: str) -> None:
    df = pd.DataFrame({"x": np.random.default_rng(6).normal(size=len(times))}, index=times)
    idx = time_profile(df).timeseries.index
    assert idx.step_label == label and idx.missing_periods == 0 and idx.irregular_steps == 0


def test_monthly_data_with_a_yearly_season() -> None:
    months = pd.date_range("2010-01-31", periods=120, freq="ME")
    y = 10 * np.sin(2 * np.pi * np.arange(120) / 12) + np.random.default_rng(8).normal(0, 2, 120)
    ts = time_profile(pd.DataFrame({"y": y}, index=months)).timeseries
    s = ts.series_for("y")
    assert s.period == 12 and s.seasonal and ts.period_label(s.period) == "12 months"


def test_rows_out_of_order_and_sharing_a_timestamp() -> None:
    y = weekly(9, 200)
    df = pd.DataFrame({"ts": pd.date_range("2024-01-01", periods=200, freq="D"), "y": y})
    shuffled = df.sample(frac=1.0, random_state=0)
    doubled = pd.concat([df, df.assign(y=df["y"] + 1.0)])
    a = time_profile(df, time_column="ts").timeseries
    b = time_profile(shuffled, time_column="ts").timeseries
    c = time_profile(doubled, time_column="ts").timeseries
    assert a.index.ordered and not b.index.ordered
    assert a.series == b.series  # the statistics are of the time-ordered series
    assert c.index.duplicates == 200 and "averaged" in c.note
    assert c.series_for("y").acf == pytest.approx(a.series_for("y").acf, abs=1e-6)  # mean = y + 0.5


def test_streamed_parquet_uses_the_ordered_sample(tmp_path) -> None:
    n = 2_000
    df = pd.DataFrame({"ts": pd.date_range("2020-01-01", periods=n, freq="D"), "y": weekly(10, n)})
    path = tmp_path / "series.parquet"
    df.to_parquet(path, row_group_size=500)
    ts = time_profile(str(path), time_column="ts", sample_size=1_600).timeseries
    assert ts.from_sample and not ts.index.exact
    assert ts.index.missing_periods is None and ts.index.gaps == ()
    assert "row sample" in ts.note
    assert ts.series_for("y").period == 7
    whole = time_profile(str(path), time_column="ts").timeseries  # the sample holds every row
    assert not whole.from_sample and whole.index.missing_periods == 0


def test_columns_over_the_cap_are_named() -> None:
    rng = np.random.default_rng(11)
    df = pd.DataFrame({f"c{i:02d}": rng.normal(size=60) for i in range(25)}, index=DAYS[:60])
    ts = time_profile(df).timeseries
    assert [s.column for s in ts.series] == [f"c{i:02d}" for i in range(MAX_TIMESERIES_COLUMNS)]
    assert [c.column for c in ts.left_out] == [f"c{i:02d}" for i in range(20, 25)]
    assert all("cap of 20" in c.reason for c in ts.left_out)
    html = display.html_fragment(time_profile(df), include_plotlyjs=False)
    assert "Not in the time-series view" in html and "c24" in html


def test_no_time_series_without_a_time() -> None:
    df = pd.DataFrame({"x": np.arange(50.0)})
    prof = time_profile(df)
    assert prof.timeseries is None
    assert "Time series" not in prof.panel().tabs.titles
    with pytest.raises(ColumnError, match="no time-series view"):
        acf_figure(prof, "x")


@pytest.mark.parametrize(
    ("time_column", "match"),
    [
        ("when", r"Column 'when': the 'time_column' parameter of profile names no column"),
        ("x", r"Column 'x': the 'time_column' parameter of profile needs a datetime column; 'x' holds int64"),
    ],
)
def test_bad_time_column(tmp_path, time_column: str, match: str) -> None:
    df = pd.DataFrame({"ts": pd.date_range("2024-01-01", periods=30), "x": range(30)})
    with pytest.raises(ColumnError, match=match):
        check_time_column(df, time_column)
    for data in (df, str(tmp_path / "t.parquet")):  # in memory, and streamed (from the sample)
        df.to_parquet(tmp_path / "t.parquet")
        with pytest.raises(
            ColumnError, match=f"Column '{time_column}': the 'time_column' parameter of profile"
        ):
            time_profile(data, time_column=time_column)
    df.to_parquet(tmp_path / "t.parquet")
    for data in (str(tmp_path / "t.parquet"), tmp_path, __import__("pyarrow").Table.from_pandas(df)):
        with pytest.raises(ColumnError, match=f"Column '{time_column}'"):
            check_time_column(data, time_column)


def test_bad_arguments_of_timeseries_profile() -> None:
    df = pd.DataFrame({"x": np.arange(30.0)})
    with pytest.raises(
        ParameterError, match="'time_column' parameter of timeseries_profile must be a datetime"
    ):
        timeseries_profile(df)
    with pytest.raises(ParameterError, match="'time_column' parameter of profile must be a column name"):
        check_time_column(df, 3)  # type: ignore[arg-type]
    indexed = df.set_index(pd.date_range("2024-01-01", periods=30))
    with pytest.raises(ParameterError, match="'lags' parameter of timeseries_profile"):
        timeseries_profile(indexed, lags=0)
    with pytest.raises(ColumnError, match="Column 'y': not a column"):
        timeseries_profile(indexed, columns=["y"])


def test_json_round_trip_and_to_frame(prof: DataProfile) -> None:
    back = DataProfile.from_dict(json.loads(prof.to_json()))
    assert back == prof and back.timeseries == prof.timeseries
    without = lw.profile(daily_frame())  # no time column: no time-series view
    assert without.timeseries is None
    pd.testing.assert_frame_equal(prof.to_frame(), without.to_frame())


def test_display_escapes_names_and_the_headline_names_the_alerts() -> None:
    name = "<img src=x onerror=alert(1)>"
    rng = np.random.default_rng(12)
    drifting = np.cumsum(rng.normal(0.3, 1, 200))
    df = pd.DataFrame({name: drifting, "s": weekly(13, 200)}, index=DAYS[:200])
    prof = time_profile(df)
    html = prof.to_html()
    assert name not in html and "&lt;img src=x" in html
    for fig in (acf_figure(prof, name), decomposition_figure(prof, name)):
        assert "<img" not in json.dumps(fig.to_plotly_json()["layout"])
        assert fig.layout.title.text and fig.layout.xaxis.title.text and fig.layout.yaxis.title.text
    headline = " ".join(a.text for a in display.headline_of(prof))
    assert "non stationary" in headline and "seasonal (s)" in headline


def test_figures_show_the_band_the_period_and_the_decomposition(prof: DataProfile) -> None:
    s = prof.timeseries.series_for("sales")
    fig = acf_figure(prof, "sales")
    assert list(fig.data[0].y) == list(s.acf)
    assert fig.data[1].y == (s.band, s.band) and fig.data[2].y == (-s.band, -s.band)
    assert "period 7 days" in fig.layout.title.text
    assert any(shape.x0 == 7 for shape in fig.layout.shapes)
    dec = decomposition_figure(prof, "sales")
    assert [t.name for t in dec.data] == ["observed", "trend", "seasonal", "remainder"]
    assert list(dec.data[2].y) == list(s.cycle)
    walk = decomposition_figure(prof, "walk")
    assert [t.name for t in walk.data] == ["observed", "trend", "remainder"]  # no season
    # observed minus trend minus season is the remainder where all are defined
    ts = prof.timeseries
    i = next(
        k for k, (y, t) in enumerate(zip(s.observed, s.trend, strict=True)) if y is not None and t is not None
    )
    pos = ts.plot_positions[i]
    assert dec.data[3].y[i] == pytest.approx(s.observed[i] - s.trend[i] - s.cycle[pos % 7])


def test_panel_tab_and_static_section(prof: DataProfile) -> None:
    panel = prof.panel()
    titles = panel.tabs.titles
    assert "Time series" in titles
    panel.tabs.selected_index = titles.index("Time series")
    figs = prof.figures()
    assert {"acf:sales", "acf:walk", "decomposition:sales"} <= set(figs)
    html = display.html_fragment(prof, include_plotlyjs=False)
    assert "Time series (by ts)" in html and "Missing periods" in html


STATSMODELS_RUN = r"""
import json, sys
import numpy as np
from statsmodels.tsa.stattools import acf, adfuller

cases = json.load(open(sys.argv[1]))
out = {}
for name, x in cases.items():
    x = np.asarray(x)
    stat, p, lags, *_ = adfuller(x)  # constant, lags by AIC up to 12 (n / 100) ** 0.25
    out[name] = {"stat": stat, "p": p, "lags": lags, "acf": acf(x, nlags=40, fft=True).tolist()}
json.dump(out, open(sys.argv[2], "w"))
"""


@pytest.mark.peers
@pytest.mark.timeout(1200)
def test_acf_and_dickey_fuller_agree_with_statsmodels(tmp_path) -> None:
    import subprocess

    from tests.venvs import cached_venv

    # statsmodels 0.14.4 with the releases of its time (it fails to import under pandas 3)
    python = cached_venv(
        "statsmodels", ["statsmodels==0.14.4", "pandas==2.2.3", "numpy==2.1.3", "scipy==1.14.1"]
    )
    rng = np.random.default_rng(20)
    ar = np.zeros(500)
    for t in range(1, 500):
        ar[t] = 0.8 * ar[t - 1] + rng.normal()
    cases = {
        "noise": rng.normal(size=365),
        "walk": np.cumsum(rng.normal(size=365)),
        "ar": ar,
        "weekly": weekly(21, 700),
        "drift": np.cumsum(rng.normal(0.2, 1, 150)),
    }
    (tmp_path / "cases.json").write_text(json.dumps({k: v.tolist() for k, v in cases.items()}))
    done = subprocess.run(
        [str(python), "-c", STATSMODELS_RUN, str(tmp_path / "cases.json"), str(tmp_path / "out.json")],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    theirs = json.loads((tmp_path / "out.json").read_text())
    for name, x in cases.items():
        stat, p, lags = adf_test(x)
        assert lags == theirs[name]["lags"], name
        assert stat == pytest.approx(theirs[name]["stat"], rel=1e-6), name
        assert p == pytest.approx(theirs[name]["p"], rel=1e-6, abs=1e-12), name
        assert acf(x, 40) == pytest.approx(theirs[name]["acf"], abs=1e-10), name


def test_profile_takes_time_column_and_checks_it_first(monkeypatch) -> None:
    df = daily_frame()
    assert lw.profile(df, time_column="ts").timeseries == time_profile(df, time_column="ts").timeseries
    assert lw.profile(df.set_index("ts")).timeseries is not None
    from lifecycle_widgets.core import profiling

    monkeypatch.setattr(profiling, "collect", lambda *a, **k: pytest.fail("read rows first"))
    with pytest.raises(
        ColumnError, match="Column 'sales': the 'time_column' parameter of profile needs a datetime"
    ):
        lw.profile(df, time_column="sales")
