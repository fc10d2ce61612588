"""Multivariate drift: PCA reconstruction error and a domain classifier, one value per chunk.

The case they exist for: two columns whose correlation flips while each keeps its
distribution. The project's univariate checks cannot see it; both multivariate methods must,
and neither may flag a batch drawn like the reference. Reconstruction errors are checked
against scikit-learn's PCA applied by hand and against NannyML 0.13 itself.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.decomposition import PCA
from sklearn.preprocessing import StandardScaler

import lifecycle_widgets as lw
from lifecycle_widgets.core.drift.multivariate import MultivariateDrift, multivariate_drift
from lifecycle_widgets.panels import display
from tests.test_performance_estimation import NANNYML, run_nannyml
from tests.venvs import cached_venv


def correlated(n: int, rho: float, seed: int) -> pd.DataFrame:
    """Standard normal ``a`` and ``b`` with correlation ``rho``, an unrelated ``c`` and a category
    ``d``: every column has the same distribution whatever ``rho``."""
    rng = np.random.default_rng(seed)
    a = rng.normal(size=n)
    b = rho * a + np.sqrt(1 - rho**2) * rng.normal(size=n)
    return pd.DataFrame(
        {"a": a, "b": b, "c": rng.normal(size=n), "d": rng.choice(["x", "y", "z"], n, p=[0.5, 0.3, 0.2])}
    )


@pytest.fixture(scope="module")
def flip() -> dict[str, Any]:
    reference = correlated(4000, 0.8, 0)
    batches = {
        "flipped": correlated(400, -0.8, 1),
        **{f"same {i}": correlated(400, 0.8, 10 + i) for i in range(5)},
    }
    result = multivariate_drift(reference, batches, max_reference_rows=2000)  # 10 reference chunks of 400
    return {"reference": reference, "batches": batches, "result": result}


def test_a_flipped_correlation_is_caught_by_both_methods(flip: dict[str, Any]) -> None:
    result: MultivariateDrift = flip["result"]
    flipped = next(c for c in result.analysis if c.label == "flipped")
    assert (
        flipped.reconstruction_alert and flipped.reconstruction_error > result.reconstruction_thresholds.upper
    )
    assert flipped.domain_alert and flipped.domain_auc > 0.8
    assert result.drifted == ("flipped",)


def test_batches_drawn_like_the_reference_are_not_flagged(flip: dict[str, Any]) -> None:
    result: MultivariateDrift = flip["result"]
    same = [c for c in result.analysis if c.label.startswith("same")]
    assert len(same) == 5
    for c in same:
        assert not c.reconstruction_alert and not c.domain_alert, c
        assert abs(c.domain_auc - 0.5) < 0.1
    assert len(result.reference) == 10 and not any(c.reconstruction_alert for c in result.reference)


def test_the_univariate_checks_see_no_drift_in_the_flipped_columns(flip: dict[str, Any]) -> None:
    """What the multivariate methods are for: each column of the flipped batch keeps its
    distribution, so the baseline's per-feature checks flag none of them."""
    report = lw.Baseline.fit(flip["reference"]).check(flip["batches"]["flipped"])
    for name in ("a", "b"):
        assert not report.feature(name).drifted
    assert not {"a", "b"} & {v.feature_name for v in report.violations}
    assert report.drifted_features == ()


def test_reconstruction_error_is_pca_by_hand() -> None:
    """Numbers standardized, a missing value imputed with the reference's mean, a category
    replaced by its share of the reference (0 for one the reference never had)."""
    reference = correlated(1000, 0.6, 3)
    reference.loc[::7, "c"] = np.nan
    batch = correlated(300, 0.6, 4)
    batch.loc[:9, "d"] = "new"
    batch.loc[::5, "a"] = np.nan
    result = multivariate_drift(reference, batch, methods="reconstruction", chunk_size=100, variance=0.5)

    def encode(frame: pd.DataFrame) -> np.ndarray:
        shares = reference["d"].value_counts(normalize=True)
        out = frame[["a", "b", "c"]].fillna(reference[["a", "b", "c"]].mean())
        return np.column_stack([out.to_numpy(), frame["d"].map(shares).fillna(0.0).to_numpy()])

    scaler = StandardScaler().fit(encode(reference))
    pca = PCA(0.5).fit(scaler.transform(encode(reference)))
    assert result.components == pca.n_components_ == 2
    for c in result.chunks:
        rows = (reference if c.period == "reference" else batch).iloc[c.start : c.stop]
        X = scaler.transform(encode(rows))
        errors = np.linalg.norm(X - pca.inverse_transform(pca.transform(X)), axis=1)
        assert c.reconstruction_error == pytest.approx(errors.mean(), rel=1e-9)
        assert c.sampling_error == pytest.approx(errors.std(ddof=1) / np.sqrt(len(errors)), rel=1e-9)
    # thresholds: mean ± 3 sd over the reference's chunks, the sd never below the standard
    # error of a 100-row mean (here the ten chunks happen to spread less than that)
    values = [c.reconstruction_error for c in result.reference]
    X = scaler.transform(encode(reference))
    rows = np.linalg.norm(X - pca.inverse_transform(pca.transform(X)), axis=1)
    spread = max(np.std(values), rows.std(ddof=1) / np.sqrt(100))
    assert spread > np.std(values)
    assert result.reconstruction_thresholds.upper == pytest.approx(np.mean(values) + 3 * spread, rel=1e-9)


def test_the_domain_classifier_separates_what_differs() -> None:
    rng = np.random.default_rng(5)
    reference = pd.DataFrame({"x": rng.normal(size=1000), "kind": rng.choice(["p", "q"], 1000)})
    new_kind = reference[:200].assign(kind="r")  # a category the reference never had
    result = multivariate_drift(
        reference, {"copy": reference[200:400], "new kind": new_kind}, methods="domain_classifier"
    )
    copy, new = result.analysis
    assert new.domain_auc == pytest.approx(1.0) and new.domain_alert
    assert copy.domain_auc < 0.6 and not copy.domain_alert
    assert result.components is None and all(c.reconstruction_error is None for c in result.chunks)
    assert not result.reference


BAD = [
    (
        {"methods": ["pca"]},
        "No method of multivariate_drift named 'pca'. Available: domain_classifier, reconstruction",
    ),
    ({"methods": []}, "The 'methods' parameter of multivariate_drift must be a non-empty list"),
    (
        {"variance": 1.0},
        "The 'variance' parameter of multivariate_drift must be a number with 0.0 < value < 1.0",
    ),
    ({"domain_threshold": 0}, "The 'domain_threshold' parameter"),
    ({"cv_folds": 1}, "The 'cv_folds' parameter of multivariate_drift must be an integer of at least 2"),
    ({"chunk_size": -5}, "The 'chunk_size' parameter of multivariate_drift must be an integer of at least 1"),
    ({"features": ["a", "e"]}, "Column 'e': is a feature but not a column of reference"),
    ({"features": ["a", "when"]}, "Column 'when': holds dates or times"),
    ({"data": "small"}, "chunks \\['tiny'\\] have fewer rows than cv_folds=5"),
    ({"data": "no b"}, "Column 'b': is a feature but not a column of data 'x'"),
    ({"reference": "tiny"}, "give 1 full chunk"),
    ({"reference": None}, "The 'reference' parameter of multivariate_drift must be a pandas DataFrame"),
]


@pytest.mark.parametrize(("change", "match"), BAD)
def test_bad_arguments_are_refused_before_any_fit(
    change: dict[str, Any], match: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_fit(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a model was fitted before every argument was checked")

    monkeypatch.setattr(PCA, "fit", no_fit)
    monkeypatch.setattr("sklearn.ensemble.HistGradientBoostingClassifier.fit", no_fit)
    reference = correlated(300, 0.5, 0).assign(when=pd.Timestamp("2026-01-01"))
    frames = {
        "small": {"tiny": reference[:3]},
        "no b": {"x": reference.drop(columns="b")},
        "tiny": reference[:140],
    }
    args: dict[str, Any] = {"reference": reference, "data": reference[:100], "features": ["a", "b", "c", "d"]}
    args["chunk_size"] = 100
    for key, value in change.items():
        args[key] = frames.get(value, value) if isinstance(value, str) else value
    with pytest.raises(lw.LifecycleWidgetsError, match=match):
        multivariate_drift(args.pop("reference"), args.pop("data"), **args)


def test_results_round_trip_and_display(flip: dict[str, Any], tmp_path: Path) -> None:
    result: MultivariateDrift = flip["result"]
    text = result.to_json()
    assert "NaN" not in text and MultivariateDrift.from_dict(json.loads(text)) == result
    frame = result.to_frame()
    assert frame.loc[frame["chunk"] == "flipped", "domain_alert"].item()
    head = display.headline_of(result)
    assert [a.severity for a in head] == ["high", "high"]
    assert (
        "Reconstruction error outside the reference's range" in head[0].text and "'flipped'" in head[0].text
    )
    assert "A classifier tells 1 of 6 chunks from the reference" in head[1].text
    figures = result.figures()
    assert list(figures) == ["reconstruction", "domain classifier"]
    for fig in figures.values():
        assert (
            fig.layout.title.text and fig.layout.xaxis.title.text == "chunk" and fig.layout.yaxis.title.text
        )
    bars = figures["domain classifier"].data[0]
    assert list(bars.x) == [c.label for c in result.analysis]
    assert bars.marker.color[0] == "#c23b4f" and bars.marker.color[1] != "#c23b4f"
    assert result.to_html(tmp_path / "mv.html").count("* plotly.js v") == 1
    calm = multivariate_drift(
        flip["reference"], {"same": flip["batches"]["same 0"]}, methods="reconstruction"
    )
    assert [a.severity for a in display.headline_of(calm)] == ["ok"]


def test_the_demo_data_with_missing_values_infinities_and_categories() -> None:
    reference = lw.datasets.credit(3000)
    columns = ["age", "income", "debt_ratio", "utilization", "region", "employment_type", "has_mortgage"]
    batches = {
        "calm": lw.datasets.credit_batch(1000, seed=3, drift=False),
        "drifted": lw.datasets.credit_batch(1000),
    }
    result = multivariate_drift(reference, batches, features=columns, chunk_size=500)
    assert result.categorical == ("region", "employment_type", "has_mortgage")
    assert result.drifted == ("drifted",)


NANNYML_MULTIVARIATE = r"""
import json, sys, warnings
warnings.filterwarnings("ignore")
import pandas as pd
import nannyml as nml
from nannyml.drift.multivariate.domain_classifier.calculator import DEFAULT_LGBM_HYPERPARAMS

out = {}
for case in json.load(open(sys.argv[1])):
    ref, ana = pd.read_csv(case["reference"]), pd.read_csv(case["analysis"])
    recon = nml.DataReconstructionDriftCalculator(column_names=case["features"], chunk_size=case["chunk_size"]).fit(ref)
    # NannyML's LightGBM settings on one thread (its default, all cores, only adds contention)
    params = {**DEFAULT_LGBM_HYPERPARAMS, "n_jobs": 1}
    dc = nml.DomainClassifierCalculator(
        feature_column_names=case["features"], chunk_size=case["chunk_size"], hyperparameters=params
    ).fit(ref)
    r, d = recon.calculate(ana).filter(period="analysis").to_df(), dc.calculate(ana).filter(period="analysis").to_df()
    out[case["name"]] = {
        "reconstruction": r[("reconstruction_error", "value")].tolist(),
        "sampling_error": r[("reconstruction_error", "sampling_error")].tolist(),
        "upper_threshold": float(r[("reconstruction_error", "upper_threshold")].iloc[0]),
        "domain_auc": d[("domain_classifier_auroc", "value")].tolist(),
        "components": int(recon._pca.n_components_),
    }
print(json.dumps(out))
"""


@pytest.mark.peers
@pytest.mark.timeout(1200)
def test_reconstruction_and_domain_classifier_agree_with_nannyml(tmp_path: Path) -> None:
    """Same reconstruction errors and thresholds to 1e-9 (the same imputation, encoding and PCA);
    domain-classifier AUCs within 0.05 (HistGradientBoosting here, LightGBM there)."""
    python = cached_venv("nannyml", NANNYML)
    reference = correlated(1500, 0.8, 0)
    reference.loc[::9, "c"] = np.nan
    analysis = pd.concat([correlated(600, 0.8, 1), correlated(300, -0.8, 2)], ignore_index=True)
    analysis.loc[5:20, "d"] = "w"  # a category the reference never had
    features = ["a", "b", "c", "d"]
    reference.to_csv(tmp_path / "reference.csv", index=False)
    analysis.to_csv(tmp_path / "analysis.csv", index=False)
    case = {
        "name": "flip",
        "reference": str(tmp_path / "reference.csv"),
        "analysis": str(tmp_path / "analysis.csv"),
    }
    theirs = run_nannyml(
        python, NANNYML_MULTIVARIATE, [{**case, "features": features, "chunk_size": 300}], tmp_path
    )
    theirs = theirs["flip"]
    ours = multivariate_drift(reference, analysis, features=features, chunk_size=300)
    assert ours.components == theirs["components"]
    assert [c.reconstruction_error for c in ours.analysis] == pytest.approx(
        theirs["reconstruction"], rel=1e-9
    )
    assert [c.sampling_error for c in ours.analysis] == pytest.approx(theirs["sampling_error"], rel=1e-9)
    assert ours.reconstruction_thresholds.upper == pytest.approx(theirs["upper_threshold"], rel=1e-9)
    assert [c.domain_auc for c in ours.analysis] == pytest.approx(theirs["domain_auc"], abs=0.05)
    # the first chunk holds 16 rows of a category the reference never had
    assert [c.reconstruction_alert for c in ours.analysis] == [True, False, True]
    assert [c.domain_alert for c in ours.analysis] == [False, False, True]
