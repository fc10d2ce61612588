"""Conformal prediction and recalibration: lifecycle_widgets against MAPIE used by hand and
scikit-learn's ``CalibratedClassifierCV``, on data that ships with scikit-learn or the package.

Conformal (target 0.9): for each data set and each of ``--repeats`` random splits into train,
calibration and test rows, ``conformal(...)`` and ``SplitConformalRegressor`` /
``SplitConformalClassifier`` (``prefit=True``) by hand; the table gives mean coverage on the
test rows (with the spread over splits), mean interval width or set size, how many splits fell
inside the band split conformal promises, and the mean wall time of one call.

Calibration: the same splits; ``calibration(y_test, p_test, validation=(y_cal, p_cal))`` fits
its maps on the calibration rows and picks one, ``CalibratedClassifierCV(FrozenEstimator(model),
method=...)`` is fitted on the same rows; both are scored on the test rows (log loss, and ECE
over 10 equal-width bins of the positive class or the top class).

    .venv/bin/python benchmarks/bench_conformal.py               # 5 splits per data set
    .venv/bin/python benchmarks/bench_conformal.py --repeats 2   # a smoke check

Writes ``benchmarks/results/conformal.md`` (``--output`` to change).
"""

from __future__ import annotations

import argparse
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
CONFIDENCE = 0.9


@dataclass
class Task:
    name: str
    X: Any
    y: np.ndarray
    make_model: Callable[[], Any]
    classifier: bool


def tasks() -> list[Task]:
    from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits
    from sklearn.ensemble import (
        HistGradientBoostingClassifier,
        HistGradientBoostingRegressor,
        RandomForestClassifier,
    )
    from sklearn.linear_model import Ridge
    from sklearn.naive_bayes import GaussianNB

    import lifecycle_widgets as lw

    credit = lw.datasets.credit(6000, seed=0)
    features = ["age", "income", "utilization", "late_payments", "n_accounts"]
    Xc = credit[features].fillna(credit[features].median())
    debt = credit["debt_ratio"].to_numpy()
    finite = np.isfinite(debt)
    diabetes = load_diabetes(return_X_y=True)
    digits = load_digits(return_X_y=True)
    cancer = load_breast_cancer(return_X_y=True)
    return [
        Task("diabetes (442 x 10), ridge", *diabetes, lambda: Ridge(alpha=1.0), False),
        Task(
            "credit debt_ratio (5,9xx x 5), HGB",
            Xc[finite].to_numpy(),
            debt[finite],
            lambda: HistGradientBoostingRegressor(max_iter=100, random_state=0),
            False,
        ),
        Task("breast cancer (569 x 30), naive Bayes", *cancer, GaussianNB, True),
        Task(
            "credit defaulted (6,000 x 5), random forest",
            Xc.to_numpy(),
            credit["defaulted"].to_numpy(),
            lambda: RandomForestClassifier(100, max_depth=6, random_state=0, n_jobs=1),
            True,
        ),
        Task("digits (1,797 x 64), naive Bayes", *digits, GaussianNB, True),
        Task(
            "digits (1,797 x 64), HGB",
            *digits,
            lambda: HistGradientBoostingClassifier(max_iter=50, random_state=0),
            True,
        ),
    ]


def split(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Random train / calibration / test rows: 50% / 25% / 25%."""
    order = np.random.default_rng(seed).permutation(n)
    a, b = n // 2, n // 2 + n // 4
    return order[:a], order[a:b], order[b:]


def timed(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[Any, float]:
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - start


def ece(y: np.ndarray, proba: np.ndarray, classes: np.ndarray, bins: int = 10) -> float:
    """ECE over equal-width bins: of the positive class (two classes) or the top class."""
    if proba.shape[1] == 2:
        conf, hit = proba[:, 1], (y == classes[1]).astype(float)
    else:
        conf, hit = proba.max(axis=1), (classes[proba.argmax(axis=1)] == y).astype(float)
    ids = np.searchsorted(np.linspace(0, 1, bins + 1)[1:-1], conf)
    total = 0.0
    for b in range(bins):
        m = ids == b
        if m.any():
            total += m.sum() * abs(hit[m].mean() - conf[m].mean())
    return total / len(y)


def mapie_by_hand(model: Any, classifier: bool, Xc: Any, yc: Any, Xt: Any, yt: Any) -> tuple[float, float]:
    """Coverage and mean width or set size from MAPIE's own classes and metrics."""
    from mapie.classification import SplitConformalClassifier
    from mapie.metrics.classification import classification_coverage_score, classification_mean_width_score
    from mapie.metrics.regression import regression_coverage_score, regression_mean_width_score
    from mapie.regression import SplitConformalRegressor

    if classifier:
        m = SplitConformalClassifier(model, confidence_level=CONFIDENCE, prefit=True)
        _, sets = m.conformalize(Xc, yc).predict_set(Xt)
        codes = np.searchsorted(model.classes_, yt)  # MAPIE's metric takes column indices
        return float(classification_coverage_score(codes, sets)[0]), float(
            classification_mean_width_score(sets)[0]
        )
    m = SplitConformalRegressor(model, confidence_level=CONFIDENCE, prefit=True)
    _, iv = m.conformalize(Xc, yc).predict_interval(Xt)
    return float(regression_coverage_score(yt, iv)[0]), float(regression_mean_width_score(iv)[0])


def conformal_rows(task: Task, repeats: int) -> list[dict[str, Any]]:
    from lifecycle_widgets.core.explain.conformal import conformal

    out = []
    for seed in range(repeats):
        tr, ca, te = split(len(task.y), seed)
        model = task.make_model().fit(task.X[tr], task.y[tr])
        data = (task.X[ca], task.y[ca], task.X[te], task.y[te])
        ours, t_ours = timed(conformal, model, *data, confidence=CONFIDENCE)
        (cov, size), t_mapie = timed(mapie_by_hand, model, task.classifier, *data)
        out.append(
            {
                "ours_coverage": ours.coverage,
                "ours_size": ours.mean_set_size if task.classifier else ours.mean_width,
                "ours_in_band": ours.status == "met",
                "ours_s": t_ours,
                "mapie_coverage": cov,
                "mapie_size": size,
                "mapie_s": t_mapie,
            }
        )
    return out


def sklearn_calibrated(model: Any, method: str, X: Any, y: Any) -> Any:
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.frozen import FrozenEstimator

    return CalibratedClassifierCV(FrozenEstimator(model), method=method).fit(X, y)


def calibration_rows(task: Task, repeats: int) -> list[dict[str, Any]]:
    from sklearn.metrics import log_loss

    from lifecycle_widgets.core.explain.calibrate import calibration

    out = []
    for seed in range(repeats):
        tr, ca, te = split(len(task.y), seed)
        model = task.make_model().fit(task.X[tr], task.y[tr])
        classes = model.classes_
        p_cal, p_te = model.predict_proba(task.X[ca]), model.predict_proba(task.X[te])
        if len(classes) == 2:  # our calibration takes the positive class's column
            p_cal, p_te = p_cal[:, 1], p_te[:, 1]
        full = np.column_stack([1 - p_te, p_te]) if p_te.ndim == 1 else p_te
        row: dict[str, Any] = {
            "raw_log_loss": log_loss(task.y[te], full, labels=classes),
            "raw_ece": ece(task.y[te], full, classes),
        }
        res, row["ours_s"] = timed(
            calibration, task.y[te], p_te, validation=(task.y[ca], p_cal), classes=list(classes)
        )
        row["ours_method"] = res.method
        row["ours_log_loss"], row["ours_ece"] = res.after.log_loss, res.after.ece
        for method in ("sigmoid", "isotonic"):
            cal, row[f"{method}_s"] = timed(sklearn_calibrated, model, method, task.X[ca], task.y[ca])
            p = cal.predict_proba(task.X[te])
            row[f"{method}_log_loss"] = log_loss(task.y[te], p, labels=classes)
            row[f"{method}_ece"] = ece(task.y[te], p, classes)
        out.append(row)
    return out


def mean_sd(values: list[float], fmt: str = "{:.3f}") -> str:
    a = np.asarray(values, dtype=float)
    return f"{fmt.format(a.mean())} ± {fmt.format(a.std(ddof=1) if len(a) > 1 else 0.0)}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=5, help="random splits per data set (default 5)")
    ap.add_argument("--output", type=Path, default=ROOT / "benchmarks" / "results" / "conformal.md")
    args = ap.parse_args(argv)
    warnings.filterwarnings("ignore", category=UserWarning)  # scikit-learn's feature-name notices
    lines = [
        "# Conformal prediction and recalibration: lifecycle_widgets vs MAPIE by hand vs CalibratedClassifierCV",
        "",
        f"`.venv/bin/python benchmarks/bench_conformal.py --repeats {args.repeats}`: {args.repeats} random "
        "50/25/25 train/calibration/test splits per data set; mean ± sd over splits.",
        "",
        f"## Conformal prediction, target coverage {CONFIDENCE}",
        "",
        "| data, model | ours: coverage | MAPIE: coverage | ours: width / set size | MAPIE: width / set size "
        "| ours in promised band | ours: s | MAPIE: s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    all_tasks = tasks()
    for task in all_tasks:
        rows = conformal_rows(task, args.repeats)
        frame = pd.DataFrame(rows)
        same = bool((frame.ours_coverage == frame.mapie_coverage).all())
        lines.append(
            f"| {task.name} | {mean_sd(frame.ours_coverage)} | {mean_sd(frame.mapie_coverage)}"
            f"{'' if same else ' (differs)'} | {mean_sd(frame.ours_size)} | {mean_sd(frame.mapie_size)} | "
            f"{int(frame.ours_in_band.sum())} of {len(frame)} | {frame.ours_s.mean():.3f} | {frame.mapie_s.mean():.3f} |"
        )
        print(lines[-1], flush=True)
    lines += [
        "",
        "## Recalibration on the calibration rows, scored on the test rows",
        "",
        "| data, model | as given: log loss / ECE | ours (map chosen, times of N): log loss / ECE "
        "| sklearn sigmoid: log loss / ECE | sklearn isotonic: log loss / ECE | ours: s | sigmoid: s | isotonic: s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for task in all_tasks:
        if not task.classifier:
            continue
        frame = pd.DataFrame(calibration_rows(task, args.repeats))
        chosen = ", ".join(f"{m} {n}" for m, n in frame.ours_method.value_counts().items())
        lines.append(
            f"| {task.name} | {mean_sd(frame.raw_log_loss)} / {mean_sd(frame.raw_ece)} | "
            f"{mean_sd(frame.ours_log_loss)} / {mean_sd(frame.ours_ece)} ({chosen}) | "
            f"{mean_sd(frame.sigmoid_log_loss)} / {mean_sd(frame.sigmoid_ece)} | "
            f"{mean_sd(frame.isotonic_log_loss)} / {mean_sd(frame.isotonic_ece)} | "
            f"{frame.ours_s.mean():.3f} | {frame.sigmoid_s.mean():.3f} | {frame.isotonic_s.mean():.3f} |"
        )
        print(lines[-1], flush=True)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"written {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
