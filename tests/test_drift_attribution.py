"""Attribution drift on magnitude as well as rank (issue 11, item 10): a feature whose mean |SHAP|
falls from 0.30 to 0.07 with its rank unchanged is a violation; undrifted batches are not."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression

import lifecycle_widgets as lw
from lifecycle_widgets.core.drift import ConstraintsError
from lifecycle_widgets.core.drift.model_drift import magnitude_errors, magnitude_shifts, ndcg
from lifecycle_widgets.figures.drift import attribution_figure

# mean |SHAP| of a linear model is |w| * E|x - mean|, and E|N(0, 1)| = sqrt(2 / pi)
TARGET_SHAP = {"a": 0.30, "b": 0.06, "c": 0.03}
WEIGHTS = {k: v / np.sqrt(2 / np.pi) for k, v in TARGET_SHAP.items()}


def draw(n: int, seed: int, *, spread: dict[str, float] | None = None) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    cols = {k: rng.normal(size=n) * (spread or {}).get(k, 1.0) for k in WEIGHTS}
    frame = pd.DataFrame(cols)
    noise = rng.normal(scale=0.05, size=n)
    return frame.assign(y=sum(WEIGHTS[k] * frame[k] for k in WEIGHTS) + noise)


@pytest.fixture(scope="module")
def model() -> LinearRegression:
    train = draw(5000, 0)
    return LinearRegression().fit(train[list(WEIGHTS)], train["y"])


@pytest.fixture(scope="module")
def base(model) -> lw.Baseline:
    return lw.Baseline.fit(draw(2000, 1), target="y", model=model, reference_is_training=False)


def attribution_violations(report: lw.DriftReport) -> set[str]:
    return {
        v.feature_name
        for v in report.violations
        if v.constraint_check_type == "feature_attribution_drift_check"
    }


def test_baseline_keeps_magnitudes_and_their_errors(base) -> None:
    assert base.attribution == pytest.approx(TARGET_SHAP, rel=0.1)
    rule = base.constraints["attribution_constraints"]
    assert rule["share_change_threshold"] == 0.25 and rule["mass_change_threshold"] == 0.25
    assert set(rule["share_standard_errors"]) == set(WEIGHTS) and rule["mass_standard_error"] > 0


def test_a_feature_losing_its_weight_with_its_rank_unchanged_is_a_violation(base, model) -> None:
    # a's mean |SHAP| falls from 0.30 to 0.07: still above b's 0.06, so the ranking is the same
    batch = draw(1000, 2, spread={"a": 0.07 / 0.30})
    report = base.check(batch, model=model)
    assert report.attribution["a"] == pytest.approx(0.07, rel=0.15)
    assert sorted(report.attribution, key=lambda f: -report.attribution[f]) == ["a", "b", "c"]
    assert report.attribution_ndcg == pytest.approx(1.0)  # the rank check alone would miss it
    assert ndcg(base.attribution, report.attribution) >= 0.9
    flagged = attribution_violations(report)
    assert "a" in flagged and "" in flagged  # its share, and the total mass
    shifts = {(s.name, s.measure): s for s in report.attribution_shifts}
    assert shifts[("a", "share")].violated and shifts[("a", "share")].change < -0.25
    assert shifts[("", "mass")].change == pytest.approx(
        (report.attribution["a"] + 0.09 - 0.39) / 0.39, abs=0.05
    )
    text = next(
        v.description for v in report.violations if v.feature_name == "a" and "attribution" in v.description
    )
    assert "beyond sampling noise" in text and "to 0.07" in text
    # shown: both findings in the report's attribution section and figure
    page = report.to_html()
    assert "Feature attribution" in page and "total mean |SHAP|" in page and "nDCG 1.000" in page
    fig = attribution_figure(report)
    assert [t.y[0] for t in fig.data] == pytest.approx([base.attribution["a"], report.attribution["a"]])
    assert fig.layout.xaxis.title.text and fig.layout.yaxis.title.text


def test_all_features_shrinking_together_is_a_change_of_mass_only(base, model) -> None:
    batch = draw(1000, 3, spread={k: 0.4 for k in WEIGHTS})
    report = base.check(batch, model=model)
    assert attribution_violations(report) == {""}
    assert not any(s.violated for s in report.attribution_shifts if s.measure == "share")


@pytest.mark.parametrize("n", [200, 1000])
def test_undrifted_batches_raise_no_attribution_violation(base, model, n) -> None:
    flagged = [attribution_violations(base.check(draw(n, 100 + n + i), model=model)) for i in range(15)]
    assert sum(bool(f) for f in flagged) <= 1, flagged


def test_sampling_awareness_by_hand() -> None:
    rng = np.random.default_rng(0)
    features = ["a", "b", "c"]
    scale = np.array([TARGET_SHAP[f] for f in features]) / np.sqrt(2 / np.pi)
    before = np.abs(rng.normal(size=(500, 3))) * scale
    base = dict(zip(features, before.mean(0), strict=True))
    errors = magnitude_errors(before, features)
    # a bootstrap standard error of a mean is close to sd / sqrt(n)
    assert errors["mass"] == pytest.approx(before.sum(1).std() / np.sqrt(500), rel=0.25)
    # the same 30 % fall of a's share: beyond noise in 500 rows, not in 5
    after = before * [0.3, 1.0, 1.0]
    big = {(s.name, s.measure): s for s in magnitude_shifts(base, errors, features, after)}
    small = {(s.name, s.measure): s for s in magnitude_shifts(base, errors, features, after[:5])}
    assert big[("a", "share")].violated and big[("a", "share")].p_adjusted < 1e-6
    assert not small[("a", "share")].violated
    # tiny shares are not judged: their relative change is noise
    tiny = dict(base, d=1e-4)
    rows = np.column_stack([before, np.full(500, 3e-4)])
    shifts = magnitude_shifts(tiny, errors, [*features, "d"], rows)
    assert "d" not in {s.name for s in shifts}


def test_magnitude_constraints_survive_save_and_load_and_are_validated(base, model, tmp_path) -> None:
    base.save(tmp_path / "b")
    loaded = lw.Baseline.load(tmp_path / "b")
    assert loaded.constraints["attribution_constraints"] == base.constraints["attribution_constraints"]
    batch = draw(800, 9, spread={"a": 0.2})
    assert attribution_violations(loaded.check(batch, model=model)) == attribution_violations(
        base.check(batch, model=model)
    )
    path = tmp_path / "b" / "constraints.json"
    saved = path.read_text()
    for key, value, match in [
        (
            "share_change_threshold",
            -1,
            r"attribution_constraints\.share_change_threshold must be a finite number",
        ),
        ("min_share", 2, r"attribution_constraints\.min_share must be a finite number between 0 and 1"),
        ("share_standard_errors", {"zz": 0.1}, r"share_standard_errors\.zz: 'zz' is not a feature"),
        ("share_weight", 1, r"Unknown key 'share_weight' in attribution_constraints"),
    ]:
        cons = json.loads(saved)
        cons["attribution_constraints"][key] = value
        path.write_text(json.dumps(cons))
        with pytest.raises(ConstraintsError, match=match):
            lw.Baseline.load(tmp_path / "b")
