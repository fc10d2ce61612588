"""Per-group metrics against Fairlearn's MetricFrame (in its own venv) and their bootstrap intervals
against a row-resampling bootstrap and the normal approximation."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from lifecycle_widgets.core.explain.bias_groups import GROUP_METRICS, group_metrics
from lifecycle_widgets.exceptions import ParameterError
from tests.venvs import cached_venv

FAIRLEARN = """
import functools, json, sys
import pandas as pd
from sklearn.metrics import accuracy_score, precision_score
from fairlearn.metrics import MetricFrame, selection_rate, true_positive_rate, false_positive_rate

out = {}
for name, case in json.load(open(sys.argv[1])).items():
    pos = case["pos_label"]
    metrics = {
        "selection_rate": functools.partial(selection_rate, pos_label=pos),
        "accuracy": accuracy_score,
        "true_positive_rate": functools.partial(true_positive_rate, pos_label=pos),
        "false_positive_rate": functools.partial(false_positive_rate, pos_label=pos),
        "precision": functools.partial(precision_score, pos_label=pos, zero_division=0),
    }
    frame = MetricFrame(
        metrics=metrics, y_true=case["y_true"], y_pred=case["y_pred"],
        sensitive_features=pd.DataFrame(case["sensitive"]),
    )
    by_group = frame.by_group.reset_index()
    out[name] = json.loads(by_group.to_json(orient="records"))
json.dump(out, open(sys.argv[2], "w"))
"""


def _case(seed: int, *, strings: bool = False, two: bool = False, empty_positive: bool = False) -> dict:
    rng = np.random.default_rng(seed)
    n = 500
    sex = rng.choice(["F", "M"], n, p=[0.4, 0.6])
    region = rng.choice(["north", "south", "east"], n, p=[0.5, 0.3, 0.2])
    y = (rng.random(n) < np.where(sex == "M", 0.55, 0.4)).astype(int)
    pred = np.where(rng.random(n) < 0.8, y, 1 - y)
    if empty_positive:
        y[region == "east"] = 0  # no positive label in one group: its TPR is 0/0
    sensitive = {"sex": sex.tolist(), "region": region.tolist()} if two else {"region": region.tolist()}
    if strings:
        return {
            "y_true": np.where(y == 1, "yes", "no").tolist(),
            "y_pred": np.where(pred == 1, "yes", "no").tolist(),
            "sensitive": sensitive,
            "pos_label": "yes",
        }
    return {"y_true": y.tolist(), "y_pred": pred.tolist(), "sensitive": sensitive, "pos_label": 1}


CASES = {
    "binary": _case(0),
    "two-features": _case(1, two=True),
    "strings": _case(2, strings=True),
    "no-positive-in-a-group": _case(3, empty_positive=True),
}


@pytest.fixture(scope="module")
def fairlearn_tables(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    python = cached_venv("fairlearn", ["fairlearn==0.15.0"])
    folder: Path = tmp_path_factory.mktemp("fairlearn")
    (folder / "cases.json").write_text(json.dumps(CASES))
    done = subprocess.run(
        [str(python), "-c", FAIRLEARN, str(folder / "cases.json"), str(folder / "out.json")],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads((folder / "out.json").read_text())


@pytest.mark.peers
@pytest.mark.timeout(1200)
@pytest.mark.parametrize("name", list(CASES))
def test_point_values_agree_with_fairlearn(name: str, fairlearn_tables: dict[str, Any]) -> None:
    case = CASES[name]
    ours = group_metrics(
        case["y_true"],
        case["y_pred"],
        sensitive_features=pd.DataFrame(case["sensitive"]),
        positive_label=case["pos_label"],
        n_bootstrap=50,
    )
    features = list(case["sensitive"])
    theirs = fairlearn_tables[name]
    assert len(theirs) == len(ours)
    undefined = 0
    for record in theirs:
        key = tuple(record[f] for f in features)
        row = ours.loc[key if len(key) > 1 else key[0]]
        size = sum(
            all(case["sensitive"][f][i] == k for f, k in zip(features, key, strict=True)) for i in range(500)
        )
        assert row["count"] == size
        for metric in GROUP_METRICS:
            if np.isnan(row[metric]):  # a rate over zero rows: Fairlearn and scikit-learn say 0
                undefined += 1
                assert record[metric] == 0
            else:
                assert row[metric] == pytest.approx(record[metric], abs=1e-9, rel=0), (key, metric)
    assert undefined == (1 if name == "no-positive-in-a-group" else 0)


def test_intervals_match_a_bootstrap_that_resamples_rows() -> None:
    case = CASES["binary"]
    region = np.array(case["sensitive"]["region"])
    y, pred = np.array(case["y_true"]), np.array(case["y_pred"])
    ours = group_metrics(y, pred, sensitive_features=region, n_bootstrap=4000, random_state=1)
    rng = np.random.default_rng(7)
    for group in ("north", "east"):
        yy, pp = y[region == group], pred[region == group]
        draws = {m: [] for m in GROUP_METRICS}
        for _ in range(4000):
            i = rng.integers(0, len(yy), len(yy))
            ty, tp = yy[i] == 1, pp[i] == 1
            draws["selection_rate"].append(tp.mean())
            draws["accuracy"].append((ty == tp).mean())
            draws["true_positive_rate"].append((ty & tp).sum() / ty.sum())
            draws["false_positive_rate"].append((~ty & tp).sum() / (~ty).sum())
            draws["precision"].append((ty & tp).sum() / tp.sum())
        for metric, values in draws.items():
            lower, upper = np.quantile(values, [0.025, 0.975])
            width = upper - lower
            # two Monte Carlo estimates of the same quantiles: within a tenth of the width
            assert ours.loc[group, f"{metric}_lower"] == pytest.approx(lower, abs=0.1 * width), (
                group,
                metric,
            )
            assert ours.loc[group, f"{metric}_upper"] == pytest.approx(upper, abs=0.1 * width), (
                group,
                metric,
            )
            assert (
                ours.loc[group, f"{metric}_lower"]
                <= ours.loc[group, metric]
                <= ours.loc[group, f"{metric}_upper"]
            )


def test_a_large_group_has_the_normal_approximation_interval() -> None:
    rng = np.random.default_rng(3)
    n = 6000
    pred = (rng.random(n) < 0.3).astype(int)
    table = group_metrics(pred, pred, sensitive_features=np.repeat(["g", "h"], n // 2), confidence=0.9)
    p = table.loc["g", "selection_rate"]
    half = 1.6449 * np.sqrt(p * (1 - p) / (n // 2))
    assert table.loc["g", "selection_rate_lower"] == pytest.approx(p - half, abs=0.1 * half)
    assert table.loc["g", "selection_rate_upper"] == pytest.approx(p + half, abs=0.1 * half)
    assert table.loc["g", "accuracy_lower"] == table.loc["g", "accuracy_upper"] == 1.0


def test_tables_reproduce_with_their_seed() -> None:
    case = CASES["binary"]
    args = (case["y_true"], case["y_pred"])
    kwargs = {"sensitive_features": case["sensitive"]["region"], "n_bootstrap": 300}
    first = group_metrics(*args, **kwargs, random_state=5)
    pd.testing.assert_frame_equal(first, group_metrics(*args, **kwargs, random_state=5))
    other = group_metrics(*args, **kwargs, random_state=6)
    assert not first.equals(other)
    assert (first[list(GROUP_METRICS)] == other[list(GROUP_METRICS)]).all().all()  # the values do not move


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (
            {"sensitive_features": ["a"] * 5},
            r"'sensitive_features' parameter of group_metrics must have one value per row of y_true \(6\)\. Got 5",
        ),
        (
            {"sensitive_features": ["a", None, "b", "b", "a", "a"]},
            r"'sensitive_features' parameter of group_metrics has 1 missing",
        ),
        (
            {"sensitive_features": {"g": 1}},
            r"'sensitive_features' parameter of group_metrics must be a Series, array, list or DataFrame",
        ),
        ({"n_bootstrap": 0}, r"'n_bootstrap' parameter of group_metrics must be a positive integer"),
        ({"confidence": 1.5}, r"'confidence' parameter of group_metrics must be a number between 0 and 1"),
        (
            {"positive_label": 7},
            r"'positive_label' parameter of group_metrics must be one of the label values \[0, 1\]",
        ),
        ({"y_pred": [0, 1, 2, 0, 1, 0]}, r"'y_pred' parameter of group_metrics must be binary"),
        ({"y_true": "y"}, r"must be arrays, not column names"),
    ],
)
def test_bad_inputs(kwargs: dict, match: str) -> None:
    args = {"y_true": [1, 0, 1, 0, 1, 0], "y_pred": [1, 1, 0, 0, 1, 0], "sensitive_features": list("aabbab")}
    args |= kwargs
    with pytest.raises(ParameterError, match=match):
        group_metrics(args.pop("y_true"), args.pop("y_pred"), **args)
