"""Honest reference quality (issue 11, item 5): the quality baseline comes from rows the model did
not train on, a baseline measured on training rows says so, and quality thresholds follow the
metric's sampling distribution at the batch's size."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression

import lifecycle_widgets as lw
from lifecycle_widgets.core.drift import ConstraintsError
from lifecycle_widgets.core.drift.reference_quality import BOOTSTRAP_ROWS, ReferenceQualityWarning
from lifecycle_widgets.panels.drift import quality_html, report_headline

FEATURES = ["a", "b", "c"]


def draw(n: int, seed: int, *, flip: float = 0.0) -> pd.DataFrame:
    """Rows of one fixed process: y from a logistic model of a, b, c; ``flip`` turns that share
    of the labels (a degraded model: the batch's truth moved away from what it learned)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3))
    y = (rng.random(n) < 1 / (1 + np.exp(-(1.5 * x[:, 0] - x[:, 1] + 0.5 * x[:, 2] - 0.5)))).astype(int)
    y = np.where(rng.random(n) < flip, 1 - y, y)
    return pd.DataFrame({"a": x[:, 0], "b": x[:, 1], "c": x[:, 2], "y": y})


@pytest.fixture(scope="module")
def model() -> LogisticRegression:
    train = draw(4000, 1)
    return LogisticRegression().fit(train[FEATURES], train["y"])


@pytest.fixture(scope="module")
def base(model) -> lw.Baseline:
    with warnings.catch_warnings():
        warnings.simplefilter("error", ReferenceQualityWarning)  # a validation set warns of nothing
        return lw.Baseline.fit(draw(4000, 1), target="y", model=model, validation=draw(3000, 2))


def quality_flags(report: lw.DriftReport) -> bool:
    return any(v.constraint_check_type == "model_quality_check" for v in report.violations)


def test_validation_set_gives_the_quality_baseline(base, model) -> None:
    valid = draw(3000, 2)
    proba = model.predict_proba(valid[FEATURES])[:, 1]
    q = base.model_quality
    assert (q["source"], q["rows"]) == ("validation", 3000)
    assert q["auc"] == pytest.approx(metrics.roc_auc_score(valid["y"], proba))
    assert q["accuracy"] == pytest.approx(metrics.accuracy_score(valid["y"], proba > 0.5))
    assert "did not train on" in q["note"]
    sampling = base.constraints["lifecycle_widgets"]["model_quality"]
    m = sampling["rows"]
    assert m == min(3000, BOOTSTRAP_ROWS) and set(sampling["standard_errors"]) >= {
        "accuracy",
        "auc",
        "log_loss",
    }
    # the bootstrap standard error of accuracy is close to the binomial one at m rows
    p = q["accuracy"]
    assert sampling["standard_errors"]["accuracy"] == pytest.approx(np.sqrt(p * (1 - p) / m), rel=0.3)


@pytest.mark.parametrize("n", [100, 400, 1600])
def test_undrifted_batches_get_no_quality_violation_in_95_percent_of_draws(base, model, n) -> None:
    draws = 100
    flagged = sum(quality_flags(base.check(draw(n, 1000 + n + i), model=model)) for i in range(draws))
    assert flagged <= 0.05 * draws, f"{flagged} of {draws} undrifted batches of {n} rows flagged"


@pytest.mark.parametrize("n", [400, 1600])
def test_a_degraded_batch_is_caught(base, model, n) -> None:
    caught = sum(quality_flags(base.check(draw(n, 5000 + i, flip=0.35), model=model)) for i in range(20))
    assert caught >= 19
    report = base.check(draw(n, 6000, flip=0.35), model=model)
    text = next(v.description for v in report.violations if v.constraint_check_type == "model_quality_check")
    assert "the bound sampling allows" in text and f"{n:,} labelled rows" in text


def test_a_small_batch_needs_a_larger_drop_than_a_large_one(base) -> None:
    from lifecycle_widgets.core.drift.reference_quality import quality_bound

    sampling = base.constraints["lifecycle_widgets"]["model_quality"]
    ref, rows = base.model_quality["accuracy"], base.model_quality["rows"]
    small = quality_bound("accuracy", ref, True, sampling, rows, 100, 0.01, 6)
    large = quality_bound("accuracy", ref, True, sampling, rows, 10_000, 0.01, 6)
    assert small < large < ref


def test_training_rows_are_detected_and_said_loudly(model) -> None:
    ref = draw(3000, 3)
    forest = RandomForestClassifier(60, min_samples_leaf=1, random_state=0).fit(ref[FEATURES], ref["y"])
    in_sample = metrics.roc_auc_score(ref["y"], forest.predict_proba(ref[FEATURES])[:, 1])
    with pytest.warns(ReferenceQualityWarning, match="looks like its training data"):
        base = lw.Baseline.fit(ref, target="y", model=forest)
    q = base.model_quality
    assert q["source"] == "out_of_fold" and "Detected" in q["note"]
    assert in_sample > 0.99 and q["auc"] < in_sample - 0.1  # the honest estimate is far lower
    # an undrifted batch is then judged against an honest baseline: no quality violation
    report = base.check(draw(1000, 4), model=forest)
    assert not quality_flags(report)
    # the note travels with every report, into its quality section
    assert report.baseline_model_quality["note"] == q["note"]
    assert "out_of_fold" in quality_html(report) and "Detected" in quality_html(report)
    # and with the saved baseline
    assert lw.Baseline.from_dict(base.to_dict()).model_quality["note"] == q["note"]


def test_a_model_that_did_not_train_on_the_reference_is_not_accused(model) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", ReferenceQualityWarning)
        base = lw.Baseline.fit(draw(3000, 7), target="y", model=model)
    assert base.model_quality["source"] == "reference"
    assert "read as rows it did not train on" in base.model_quality["note"]


def test_told_training_rows_measured_out_of_fold(model) -> None:
    ref = draw(2000, 8)
    base = lw.Baseline.fit(ref, target="y", model=model, reference_is_training=True)
    assert base.model_quality["source"] == "out_of_fold"
    told = lw.Baseline.fit(ref, target="y", model=model, reference_is_training=False)
    assert told.model_quality["source"] == "reference"
    proba = model.predict_proba(ref[FEATURES])[:, 1]
    assert told.model_quality["auc"] == pytest.approx(metrics.roc_auc_score(ref["y"], proba))


def test_training_rows_and_a_model_that_cannot_be_refitted(model) -> None:
    class Duck:  # predicts, but has no get_params: cannot be cloned and refitted
        classes_ = np.array([0, 1])

        def predict(self, X):
            return model.predict(X[FEATURES])

        def predict_proba(self, X):
            return model.predict_proba(X[FEATURES])

    with pytest.warns(ReferenceQualityWarning, match="cannot be refitted"):
        base = lw.Baseline.fit(draw(1500, 9), target="y", model=Duck(), reference_is_training=True)
    assert base.model_quality["source"] == "training"
    report = base.check(draw(500, 10), model=Duck())
    assert "In-sample quality baseline" in quality_html(report)
    assert any("training rows" in a.text for a in report_headline(report))
    unknown = lw.Baseline.fit(draw(1500, 9), target="y", model=Duck())  # no warning: nothing known
    assert (
        unknown.model_quality["source"] == "unknown" and "cannot be refitted" in unknown.model_quality["note"]
    )


def test_quality_sampling_survives_save_and_load_and_is_validated(base, tmp_path) -> None:
    base.save(tmp_path / "b")
    loaded = lw.Baseline.load(tmp_path / "b")
    assert loaded.model_quality == base.model_quality and loaded.constraints == base.constraints
    path = tmp_path / "b" / "constraints.json"
    cons = json.loads(path.read_text())
    cons["lifecycle_widgets"]["model_quality"]["standard_errors"]["accuracy"] = -0.1
    path.write_text(json.dumps(cons))
    with pytest.raises(
        ConstraintsError, match=r"lifecycle_widgets\.model_quality\.standard_errors\.accuracy"
    ):
        lw.Baseline.load(tmp_path / "b")
    cons["lifecycle_widgets"]["model_quality"] = {"rows": 0, "standard_errors": {}}
    path.write_text(json.dumps(cons))
    with pytest.raises(ConstraintsError, match=r"lifecycle_widgets\.model_quality\.rows must be a positive"):
        lw.Baseline.load(tmp_path / "b")


def test_bad_arguments_are_refused_before_any_work(model, monkeypatch) -> None:
    from lifecycle_widgets.core.drift import baseline as module

    def no_work(*args, **kwargs):
        raise AssertionError("the reference was read")

    monkeypatch.setattr(module, "collect", no_work)
    ref = draw(100, 11)
    cases = [
        (
            dict(validation=ref.to_numpy()),
            r"'validation' parameter of Baseline.fit must be a pandas DataFrame",
        ),
        (dict(validation=ref.drop(columns="y")), r"Column 'y': the validation set lacks the target"),
        (dict(validation=ref.drop(columns="b")), r"Column 'b'"),
        (dict(reference_is_training="yes"), r"'reference_is_training' parameter of Baseline.fit"),
    ]
    for kwargs, match in cases:
        with pytest.raises(lw.ParameterError, match=match):
            lw.Baseline.fit(ref, target="y", model=model, **kwargs)
    with pytest.raises(lw.ParameterError, match="pass target= and model= with it"):
        lw.Baseline.fit(ref, target="y", validation=ref)
