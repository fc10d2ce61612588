"""Conformal prediction: coverage on held-out rows within the band the construction promises,
agreement with MAPIE used by hand, widths against the noise the data were made with, coverage
per group, the display, and bad input refused before any work."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest
from scipy.stats import binom, norm
from sklearn.linear_model import LinearRegression, LogisticRegression

pytest.importorskip("mapie")

from lifecycle_widgets.core.explain.conformal import Conformal, binomial_interval, conformal, expected_band
from lifecycle_widgets.exceptions import MissingDependencyError, ParameterError, UnknownNameError
from lifecycle_widgets.panels import conformal as conformal_panel  # noqa: F401  (describes Conformal)
from lifecycle_widgets.panels import display

N_CAL, N_TEST = 10_000, 2_000  # many calibration rows: the test draw dominates the spread


def regression_data(n: int, seed: int, noise: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    return X, X @ [1.0, -2.0, 0.5] + rng.normal(0.0, noise, n)


def classification_data(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Three classes whose log-odds are linear in X: a logistic regression is the true model."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    logits = np.column_stack([X @ [2.0, 0.0], X @ [-1.0, 1.7], X @ [-1.0, -1.7]])
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    y = (rng.random(n)[:, None] > np.cumsum(p, axis=1)).sum(axis=1)
    return X, np.array(["a", "b", "c"])[y]


@pytest.fixture(scope="module")
def regression() -> tuple[LinearRegression, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    X, y = regression_data(2000 + N_CAL + N_TEST, seed=0)
    model = LinearRegression().fit(X[:2000], y[:2000])
    cal, test = slice(2000, 2000 + N_CAL), slice(2000 + N_CAL, None)
    return model, X[cal], y[cal], X[test], y[test]


@pytest.fixture(scope="module")
def classification() -> tuple[LogisticRegression, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    X, y = classification_data(2000 + N_CAL + N_TEST, seed=1)
    model = LogisticRegression().fit(X[:2000], y[:2000])
    cal, test = slice(2000, 2000 + N_CAL), slice(2000 + N_CAL, None)
    return model, X[cal], y[cal], X[test], y[test]


def binomial_band(target: float, n: int, level: float = 0.99) -> tuple[float, float]:
    """Where the share of ``n`` rows covered falls with chance ``level`` if each is covered with
    chance ``target``."""
    lo, hi = binom.ppf([(1 - level) / 2, (1 + level) / 2], n, target)
    return lo / n, hi / n


@pytest.mark.parametrize("confidence", [0.8, 0.9, 0.95])
def test_regression_coverage_is_within_the_binomial_band_of_the_target(regression, confidence: float) -> None:
    model, Xc, yc, Xt, yt = regression
    r = conformal(model, Xc, yc, Xt, yt, confidence=confidence)
    lo, hi = binomial_band(confidence, N_TEST)
    assert lo <= r.coverage <= hi
    assert r.status == "met" and r.expected_band[0] <= r.coverage <= r.expected_band[1]
    # the coverage is counted independently of the result
    y_pred = model.predict(Xt)
    assert r.covered == int(np.sum(np.abs(yt - y_pred) <= r.mean_width / 2 + 1e-9))
    # absolute scores of a near-true linear model: half-width is the noise's quantile
    assert r.mean_width / 2 == pytest.approx(norm.ppf(0.5 + confidence / 2), rel=0.05)
    assert r.median_width == pytest.approx(r.mean_width)  # one width for every row
    assert (r.problem_type, r.method, r.n_calib, r.n_test) == ("regression", "absolute", N_CAL, N_TEST)


@pytest.mark.parametrize("method", ["lac", "aps"])
def test_classification_coverage_is_within_the_band(classification, method: str) -> None:
    model, Xc, yc, Xt, yt = classification
    r = conformal(model, Xc, yc, Xt, yt, confidence=0.9, method=method)
    assert r.classes == ("a", "b", "c") and r.group_by == "class" and r.problem_type == "multiclass"
    assert sum(g.count for g in r.groups) == N_TEST and sum(g.covered for g in r.groups) == r.covered
    assert sum(s.count for s in r.set_sizes) == N_TEST
    assert r.mean_set_size == pytest.approx(sum(s.size * s.count for s in r.set_sizes) / N_TEST)
    if method == "lac":
        lo, hi = binomial_band(0.9, N_TEST)
        assert lo <= r.coverage <= hi and r.status == "met"
    else:
        # MAPIE's aps keeps the class that crosses the threshold: it covers at least the target
        assert r.coverage >= binomial_band(0.9, N_TEST)[0]


def test_agrees_with_mapie_used_directly(regression, classification) -> None:
    from mapie.classification import SplitConformalClassifier
    from mapie.metrics.classification import classification_coverage_score, classification_mean_width_score
    from mapie.metrics.regression import regression_coverage_score, regression_mean_width_score
    from mapie.regression import SplitConformalRegressor

    model, Xc, yc, Xt, yt = regression
    ours = conformal(model, Xc, yc, Xt, yt, confidence=0.85)
    theirs = SplitConformalRegressor(model, confidence_level=0.85, prefit=True).conformalize(Xc, yc)
    _, intervals = theirs.predict_interval(Xt)
    assert ours.coverage == regression_coverage_score(yt, intervals)[0]
    assert ours.mean_width == pytest.approx(regression_mean_width_score(intervals)[0])

    model, Xc, yc, Xt, yt = classification
    for method in ("lac", "aps"):
        ours = conformal(model, Xc, yc, Xt, yt, confidence=0.85, method=method)
        clf = SplitConformalClassifier(
            model, confidence_level=0.85, conformity_score=method, prefit=True, random_state=0
        )
        _, sets = clf.conformalize(Xc, yc).predict_set(Xt)
        codes = np.searchsorted(model.classes_, yt)  # MAPIE's metric takes column indices
        assert ours.coverage == classification_coverage_score(codes, sets)[0]
        assert ours.mean_set_size == pytest.approx(classification_mean_width_score(sets)[0])


def test_shifted_test_rows_are_flagged_below_target() -> None:
    """Calibrated where the noise has sd 1, tested where it has sd 2: intervals sized for sd 1
    cover 2 * Phi(1.645 / 2) - 1 = 0.59 of the new rows."""
    X, y = regression_data(3000, seed=2)
    Xt, yt = regression_data(2000, seed=3, noise=2.0)
    model = LinearRegression().fit(X[:1000], y[:1000])
    r = conformal(model, X[1000:], y[1000:], Xt, yt, confidence=0.9)
    assert r.status == "below" and r.coverage_ci[1] < 0.9
    assert r.coverage == pytest.approx(2 * norm.cdf(norm.ppf(0.95) / 2) - 1, abs=0.04)
    head = display.headline_of(r)
    assert head[0].severity == "high" and head[0].text.startswith(f"Coverage {r.coverage:.2f}")
    assert "below the 0.9 target" in head[0].text


def test_coverage_per_bin_finds_the_noisy_end() -> None:
    """Noise sd 0.2 where the prediction is negative, 2 where it is positive: one width for all
    rows over-covers the quiet end and under-covers the noisy one, though marginal coverage holds."""
    rng = np.random.default_rng(4)
    x = rng.normal(size=(8000, 1))
    y = x[:, 0] + rng.normal(size=8000) * np.where(x[:, 0] > 0, 2.0, 0.2)
    model = LinearRegression().fit(x[:2000], y[:2000])
    r = conformal(model, x[2000:5000], y[2000:5000], x[5000:], y[5000:], confidence=0.9, n_bins=4)
    assert r.status == "met"
    first, last = r.groups[0], r.groups[-1]
    assert first.high <= 0 and first.lower > 0.9  # quiet end: covered more than asked
    assert last.low >= 0 and last.upper < 0.9  # noisy end: covered less
    assert [g.low for g in r.groups[1:]] == [g.high for g in r.groups[:-1]]
    texts = [a.text for a in display.headline_of(r) if a.severity == "medium"]
    assert texts and last.label in texts[0]


def test_binary_string_labels_and_a_duck_typed_model() -> None:
    X, y = classification_data(6000, seed=5)
    y = np.where(y == "a", "yes", "no")
    fitted = LogisticRegression().fit(X[:2000], y[:2000])

    class Duck:  # predict and predict_proba only: no scikit-learn base class
        classes_ = fitted.classes_

        def predict(self, X):
            return fitted.predict(X)

        def predict_proba(self, X):
            return fitted.predict_proba(X)

    with pytest.raises(UnknownNameError, match=r"binary classification named 'aps'\. Available: lac"):
        conformal(fitted, X[2000:4000], y[2000:4000], X[4000:], y[4000:], method="aps")
    ours = conformal(Duck(), X[2000:4000], y[2000:4000], X[4000:], y[4000:])
    direct = conformal(fitted, X[2000:4000], y[2000:4000], X[4000:], y[4000:])
    assert ours.problem_type == "binary" and ours.classes == ("no", "yes")
    assert ours.coverage == direct.coverage and ours.model == "Duck"


def test_expected_band_and_binomial_interval_by_hand() -> None:
    from scipy.stats import beta

    # Clopper-Pearson: beta quantiles
    lo, hi = binomial_interval(37, 50, 0.9)
    assert lo == pytest.approx(beta.ppf(0.05, 37, 14)) and hi == pytest.approx(beta.ppf(0.95, 38, 13))
    # one test row: covered with chance k / (n + 1), so the band is {0, 1}
    assert expected_band(99, 1, 0.9) == (0.0, 1.0)
    # simulate split conformal with uniform scores: the share covered falls in the band ~95% of the time
    rng = np.random.default_rng(6)
    n, m, inside = 200, 100, 0
    lo, hi = expected_band(n, m, 0.9)
    for _ in range(400):
        cal, test = rng.random(n), rng.random(m)
        q = np.sort(cal)[int(np.ceil((n + 1) * 0.9)) - 1]
        inside += lo <= np.mean(test <= q) <= hi
    assert inside / 400 == pytest.approx(0.95, abs=0.04)


def test_json_round_trip_frame_and_display(regression, classification, tmp_path) -> None:
    for model, Xc, yc, Xt, yt in (regression, classification):
        r = conformal(model, Xc[:2000], yc[:2000], Xt, yt, confidence=0.9)
        assert Conformal.from_dict(json.loads(r.to_json())) == r
        assert json.loads(r.to_json())["kind"] == "conformal"
        frame = r.to_frame()
        assert len(frame) == len(r.groups) and frame["count"].sum() == r.n_test
        assert frame.columns[0] == r.group_by
        figures = r.figures()
        assert set(figures) == (
            {"conformal_coverage", "conformal_set_sizes"}
            if r.is_classifier
            else {"conformal_coverage", "conformal_intervals"}
        )
        for fig in figures.values():
            assert fig.layout.title.text and fig.layout.xaxis.title.text and fig.layout.yaxis.title.text
        coverage = figures["conformal_coverage"]
        assert coverage.data[0].x[0] == "all rows" and coverage.data[0].y[0] == r.coverage
        html = r.to_html(tmp_path / "conformal.html")
        assert html.index("lw-headline") < html.index("Coverage per")
        first = display.headline_of(r)[0]
        assert first.text.startswith("Coverage") and first.text in html  # coverage is the first line
    sample = conformal(*regression, confidence=0.9).sample
    assert len(sample) == 200 and [s.y_pred for s in sample] == sorted(s.y_pred for s in sample)


def test_user_labels_reach_html_escaped() -> None:
    X, y = classification_data(3000, seed=7)
    y = np.where(y == "a", "<b>bold</b>", "plain")
    model = LogisticRegression().fit(X[:1000], y[:1000])
    html = conformal(model, X[1000:2000], y[1000:2000], X[2000:], y[2000:]).to_html()
    assert "<b>bold</b>" not in html and "&lt;b&gt;bold&lt;/b&gt;" in html


class CountingModel:
    """A regressor that counts its predictions: validation must fail before any."""

    def __init__(self) -> None:
        self.calls = 0

    def fit(self, X, y):
        return self

    def predict(self, X):
        self.calls += 1
        return np.zeros(len(X))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (
            {"confidence": 0.0},
            r"'confidence' parameter of conformal must be a number strictly between 0 and 1\. Got 0\.0",
        ),
        ({"confidence": 1.0}, r"'confidence'.*strictly between 0 and 1\. Got 1\.0"),
        ({"confidence": 1.5}, r"'confidence'.*Got 1\.5"),
        ({"confidence": True}, r"'confidence'.*Got True"),
        ({"ci_level": 95}, r"'ci_level'.*strictly between 0 and 1\. Got 95"),
        ({"n_bins": 0}, r"'n_bins' parameter of conformal must be a positive integer\. Got 0"),
        (
            {"y_calib": np.zeros(5)},
            r"'y_calib' parameter of conformal must have one value per row of 'X_calib'\. Got 5 values for 50 rows",
        ),
        ({"y_test": np.zeros(7)}, r"'y_test'.*one value per row of 'X_test'\. Got 7 values for 40 rows"),
        (
            {"y_test": np.array(["x"] * 40)},
            r"'y_test' parameter of conformal must hold numbers: the model is a regressor",
        ),
        ({"y_calib": np.r_[np.zeros(49), np.nan]}, r"'y_calib' parameter of conformal has 1 missing values"),
        ({"method": "lac"}, r"No conformity score for regression named 'lac'\. Available: absolute, gamma"),
        ({"method": "gamma"}, r"'gamma' needs strictly positive targets"),
        (
            {"X_calib": np.zeros((5, 2)), "y_calib": np.zeros(5)},
            r"'X_calib' parameter of conformal has 5 rows; a 0\.9 target needs at least 9",
        ),
        ({"X_test": np.zeros((0, 2)), "y_test": np.zeros(0)}, r"'X_test' parameter of conformal has no rows"),
    ],
)
def test_bad_input_is_refused_before_any_prediction(kwargs, match) -> None:
    model = CountingModel()
    args = {
        "X_calib": np.zeros((50, 2)),
        "y_calib": np.zeros(50),
        "X_test": np.zeros((40, 2)),
        "y_test": np.zeros(40),
    }
    args.update(kwargs)
    options = {k: args.pop(k) for k in ("confidence", "ci_level", "n_bins", "method") if k in args}
    with pytest.raises(ParameterError, match=match):
        conformal(model, args["X_calib"], args["y_calib"], args["X_test"], args["y_test"], **options)
    assert model.calls == 0


def test_labels_outside_classes_are_refused(classification) -> None:
    model, Xc, yc, Xt, yt = classification
    bad = yt.copy()
    bad[3] = "z"
    with pytest.raises(
        ParameterError, match=r"'y_test' parameter of conformal holds labels the model does not know: \['z'\]"
    ):
        conformal(model, Xc[:500], yc[:500], Xt, bad)
    with pytest.raises(
        UnknownNameError,
        match=r"No conformity score for classification named 'absolute'\. Available: aps, lac",
    ):
        conformal(model, Xc[:500], yc[:500], Xt, yt, method="absolute")


def test_without_mapie_the_error_names_the_extra(monkeypatch, regression) -> None:
    model, Xc, yc, Xt, yt = regression
    monkeypatch.setitem(sys.modules, "mapie.regression", None)  # import of it raises ImportError
    with pytest.raises(
        MissingDependencyError, match=r'needs \'mapie\'.*pip install "lifecycle_widgets\[uncertainty\]"'
    ):
        conformal(model, Xc[:500], yc[:500], Xt, yt)
