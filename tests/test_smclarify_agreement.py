"""Every bias metric against smclarify 0.5, the code SageMaker Clarify's processing jobs run, on the
same data. smclarify lives in its own venv: it was released for pandas 2.0 and numpy 1.24 (April
2023) and this project runs newer ones.

Where both give a number they agree to 1e-9. Where smclarify's number is not the metric's value
(a rate over zero rows, which smclarify takes as 0 or infinity; an infinite KL; label values
absent from one facet, which smclarify drops) the project gives None or the exact value, and its
note states smclarify's number, which is checked too. Which cases those are is decided here from
the data, not from the project's code.
"""

from __future__ import annotations

import json
import math
import re
import subprocess
from typing import Any

import numpy as np
import pandas as pd
import pytest

import lifecycle_widgets as lw
from lifecycle_widgets.core.explain.bias_registry import metric_names
from tests.venvs import cached_venv

pytestmark = [pytest.mark.peers, pytest.mark.timeout(1200)]

# smclarify 0.5 pins nothing; these are the releases of its time (April 2023) that it was tested with
SMCLARIFY = [
    "smclarify==0.5",
    "pandas==2.0.3",
    "numpy==1.24.4",
    "scikit-learn==1.2.2",
    "scipy==1.10.1",
    "pyarrow==12.0.1",
    "pyfunctional==1.4.3",
]

RUN = r"""
import json, sys
import pandas as pd
from smclarify.bias import report

out = {}
for case in json.load(open(sys.argv[1])):
    df = pd.read_csv(case["csv"])
    values = [case["threshold"]] if case["threshold"] is not None else case["facet_values"]
    facet = report.FacetColumn(case["facet"], values)
    label = report.LabelColumn(case["label"], df[case["label"]], case["positives"])
    pred = report.LabelColumn(case["pred"], df[case["pred"]])
    group = df[case["group"]] if case["group"] else pd.Series(["all"] * len(df))
    data = df[case["features"] + [case["facet"], case["label"], case["pred"]]]
    found = {}
    for stage, more in (
        (report.StageType.PRE_TRAINING, {}),
        (report.StageType.POST_TRAINING, {"predicted_label_column": pred}),
    ):
        (facet_report,) = report.bias_report(data, facet, label, stage, group_variable=group, **more)
        for m in facet_report["metrics"]:
            found[m["name"]] = {"value": m["value"], "error": m.get("error")}
    out[case["name"]] = found
json.dump(out, open(sys.argv[2], "w"))
"""


def _binary(rng: np.random.Generator, logit: np.ndarray) -> np.ndarray:
    return (rng.random(len(logit)) < 1 / (1 + np.exp(-logit))).astype(int)


def _frame(kind: str, seed: int) -> tuple[pd.DataFrame, dict[str, Any]]:
    """A deterministic data set and how to read it (facet, positive labels, group)."""
    rng = np.random.default_rng(seed)
    n = 60 if kind == "small-a" else 400
    x1 = rng.normal(0, 1, n)
    x2 = rng.normal(50, 20, n)  # a larger scale than x1: raw distances differ from standardized ones
    dept = rng.choice(["A", "B", "C"], n, p=[0.5, 0.3, 0.2])
    df = pd.DataFrame({"x1": x1.round(4), "x2": x2.round(3), "dept": dept})
    spec: dict[str, Any] = {
        "facet": "sex",
        "facet_values": ["F"],
        "threshold": None,
        "label": "y",
        "positives": [1],
        "pred": "pred",
        "group": "dept",
        "features": ["x1", "x2"],
        "facet_by_name": True,  # a column of X; otherwise a Series that X does not hold
        "positive_label": 1,
    }
    if kind in ("categorical", "zero-in-d", "zero-in-a", "small-a"):
        share = 52 / 60 if kind == "small-a" else 0.35  # small-a: facet a (M) has 8 rows
        sex = np.where(rng.random(n) < share, "F", "M")
        if kind == "small-a":
            sex[:52], sex[52:] = "F", "M"
        df["sex"] = sex
        y = _binary(rng, 0.8 * x1 + 0.6 * (sex == "M") + 0.3 * (dept == "A") - 0.2)
        if kind == "zero-in-d":
            y[sex == "F"] = 0  # the positive label never occurs in facet d
        if kind == "zero-in-a":
            y[sex == "M"] = 1  # the negative label never occurs in facet a
        df["y"] = y
        df["pred"] = _binary(rng, 1.2 * x1 + 0.02 * (x2 - 50) + 0.5 * (sex == "M"))
    elif kind == "multi":
        race = rng.choice(["a", "b", "c"], n, p=[0.5, 0.3, 0.2])
        latent = x1 + 0.7 * (race == "a") + rng.normal(0, 0.5, n)
        grades = np.array(["low", "mid", "high"])
        df["race"] = race
        df["grade"] = grades[np.digitize(latent, [-0.3, 0.8])]
        df["pred_grade"] = grades[np.digitize(x1 + 0.01 * (x2 - 50) + 0.4 * (race == "a"), [-0.2, 0.9])]
        spec |= {
            "facet": "race",
            "facet_values": ["b", "c"],
            "label": "grade",
            "positives": ["mid", "high"],
            "pred": "pred_grade",
            "group": None,
            "facet_by_name": False,
            "positive_label": ["mid", "high"],
        }
    elif kind == "threshold":
        age = rng.uniform(18, 80, n).round(1)
        df["age"] = age
        df["y"] = _binary(rng, 0.9 * x1 - 0.03 * (age - 45))
        df["pred"] = _binary(rng, 1.1 * x1 + 0.01 * (x2 - 50) - 0.02 * (age - 45))
        spec |= {
            "facet": "age",
            "facet_values": None,
            "threshold": 40.0,
            "facet_by_name": False,
            "positive_label": [1],
        }
    return df, spec


CASES = [
    ("categorical", 0),
    ("categorical", 1),
    ("multi", 2),
    ("multi", 3),
    ("threshold", 4),
    ("threshold", 5),
    ("zero-in-d", 6),
    ("zero-in-a", 7),
    ("small-a", 8),
]


@pytest.fixture(scope="module")
def agreement(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """For each case: the data, how to read it, smclarify's values and the project's report."""
    python = cached_venv("smclarify", SMCLARIFY)
    folder = tmp_path_factory.mktemp("smclarify")
    cases, frames = [], {}
    for kind, seed in CASES:
        df, spec = _frame(kind, seed)
        name = f"{kind}-{seed}"
        df.to_csv(folder / f"{name}.csv", index=False)
        frames[name] = (pd.read_csv(folder / f"{name}.csv"), spec)
        cases.append({"name": name, "csv": str(folder / f"{name}.csv"), **spec})
    (folder / "cases.json").write_text(json.dumps(cases))
    done = subprocess.run(
        [str(python), "-c", RUN, str(folder / "cases.json"), str(folder / "out.json")],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    theirs = json.loads((folder / "out.json").read_text())
    out = {}
    for name, (df, spec) in frames.items():
        features = df[spec["features"] + ([spec["facet"]] if spec["facet_by_name"] else [])]
        facet = spec["facet"] if spec["facet_by_name"] else df[spec["facet"]]
        ours = lw.bias_report(
            features,
            df[spec["label"]],
            df[spec["pred"]],
            facet=facet,
            facet_values=spec["facet_values"],
            facet_threshold=spec["threshold"],
            positive_label=spec["positive_label"],
            group=df[spec["group"]] if spec["group"] else None,
        )
        out[name] = {"data": df, "spec": spec, "theirs": theirs[name], "ours": ours}
    return out


def _arrays(df: pd.DataFrame, spec: dict[str, Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    facet = df[spec["facet"]]
    d = (facet > spec["threshold"]) if spec["threshold"] is not None else facet.isin(spec["facet_values"])
    return (
        d.to_numpy(),
        df[spec["label"]].isin(spec["positives"]).to_numpy(),
        df[spec["pred"]].isin(spec["positives"]).to_numpy(),
    )


# per facet, the counts a metric divides by; the metric is undefined where one is 0
DIVISORS = {
    "DCA": ("TP", "FP"),
    "DAR": ("TP", "FP"),
    "DCR": ("TN", "FN"),
    "DRR": ("TN", "FN"),
    "RD": ("TP", "FN"),
    "SD": ("TN", "FP"),
    "TE": ("FP",),
}
DISTANCES = {
    "JS": lambda pa, pd_: (
        0.5 * sum(p * math.log(p / m) for q in (pa, pd_) for p, m in zip(q, (pa + pd_) / 2, strict=True) if p)
    ),
    "LP": lambda pa, pd_: math.sqrt(sum((a - b) ** 2 for a, b in zip(pa, pd_, strict=True))),
    "TVD": lambda pa, pd_: 0.5 * sum(abs(a - b) for a, b in zip(pa, pd_, strict=True)),
    "KS": lambda pa, pd_: max(abs(a - b) for a, b in zip(pa, pd_, strict=True)),
}


def _expectation(name: str, d: np.ndarray, y: np.ndarray, yhat: np.ndarray) -> str:
    """ "number" (agree with smclarify), "none" (undefined) or "exact" (smclarify drops a value)."""
    pa = np.array([(~y[~d]).mean(), y[~d].mean()])
    pd_ = np.array([(~y[d]).mean(), y[d].mean()])
    if name == "KL" and ((pa > 0) & (pd_ == 0)).any():
        return "none"
    if name in DISTANCES and ((pa > 0) != (pd_ > 0)).any():
        return "exact"
    if name == "DI" and not yhat[~d].any():
        return "none"
    if name in DIVISORS:
        cells = {"TP": y & yhat, "FP": ~y & yhat, "FN": y & ~yhat, "TN": ~y & ~yhat}
        for facet in (d, ~d):
            if sum(int((cells[c] & facet).sum()) for c in DIVISORS[name]) == 0:
                return "none"
    return "number"


def _number(text: Any) -> float:
    """A number as smclarify's JSON writes it: infinities as "Infinity"."""
    return {"Infinity": math.inf, "-Infinity": -math.inf}[text] if isinstance(text, str) else text


def _clarify_number(note: str) -> float:
    found = re.search(r"smclarify reports (-?Infinity|[-+.\deE]+)", note)
    assert found, note
    return _number(found.group(1)) if "Infinity" in found.group(1) else float(found.group(1))


def _value(theirs: dict[str, Any]) -> float | None:
    return None if theirs["error"] is not None else _number(theirs["value"])


def test_the_project_has_every_metric_smclarify_has(agreement: dict[str, Any]) -> None:
    for case in agreement.values():
        theirs = set(case["theirs"])
        assert len(theirs) == 21
        assert {case["ours"].metric(name).name for name in theirs} == set(metric_names())


def test_every_metric_agrees_with_smclarify(agreement: dict[str, Any]) -> None:
    worst: dict[str, float] = {}
    seen = {"number": set(), "none": set(), "exact": set()}
    for case_name, case in agreement.items():
        d, y, yhat = _arrays(case["data"], case["spec"])
        report = case["ours"]
        assert (report.n_d, report.n_a) == (int(d.sum()), int((~d).sum()))
        for name, theirs in case["theirs"].items():
            ours = report.metric(name)
            expected = _expectation(name, d, y, yhat)
            seen[expected].add(name)
            where = f"{case_name} {name}: ours {ours.value} ({ours.note}), smclarify {theirs}"
            clarify = _value(theirs)
            if expected == "number":
                assert ours.value is not None and clarify is not None, where
                worst[name] = max(worst.get(name, 0.0), abs(ours.value - clarify))
                assert ours.value == pytest.approx(clarify, abs=1e-9, rel=0), where
            elif expected == "none":
                assert ours.value is None and "undefined" in ours.note, where
                if clarify is None:
                    assert "smclarify fails" in ours.note, where
                else:
                    assert _clarify_number(ours.note) == pytest.approx(clarify, rel=1e-9, abs=1e-12), where
            else:  # a label value absent from one facet: the exact distance, smclarify's in the note
                pa = [(~y[~d]).mean(), y[~d].mean()]
                pd_ = [(~y[d]).mean(), y[d].mean()]
                assert ours.value == pytest.approx(DISTANCES[name](np.array(pa), np.array(pd_)), abs=1e-12), (
                    where
                )
                assert _clarify_number(ours.note) == pytest.approx(clarify, rel=1e-9, abs=1e-12), where
    print("\nlargest |project - smclarify| per metric:", {k: f"{v:.1e}" for k, v in sorted(worst.items())})
    assert set(worst) == set(agreement["categorical-0"]["theirs"])  # every metric compared as a number
    # the data sets reach each kind of disagreement the module documents
    assert {"KL", "RD", "SD", "TE"} <= seen["none"] and set(DISTANCES) <= seen["exact"]


def test_the_documented_conventions_differ_where_the_docs_say(agreement: dict[str, Any]) -> None:
    case = agreement["categorical-0"]
    df, spec = case["data"], case["spec"]
    d, y, yhat = _arrays(df, spec)
    docs = lw.bias_report(
        df[["x1", "x2", "sex"]],
        df.y,
        df.pred,
        facet="sex",
        facet_values=["F"],
        group=df.dept,
        convention="docs",
    )
    fp = {f: int((~y & yhat & m).sum()) for f, m in (("a", ~d), ("d", d))}
    fn = {f: int((y & ~yhat & m).sum()) for f, m in (("a", ~d), ("d", d))}
    assert docs.metric("TE").value == pytest.approx(fp["a"] / fn["a"] - fp["d"] / fn["d"])
    assert case["ours"].metric("TE").value == pytest.approx(fn["d"] / fp["d"] - fn["a"] / fp["a"])
    assert docs.metric("FT").value == pytest.approx(-case["ours"].metric("FT").value)
    assert docs.convention == "docs" and case["ours"].convention == "smclarify"
