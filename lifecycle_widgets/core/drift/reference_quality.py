"""Honest reference quality: a model-quality baseline from rows the model did not train on, and
how far a batch's quality may fall by chance at its size.

A model scores better on its training rows than on any later batch (a random forest's in-sample
AUC is near 1), so a quality baseline measured there makes every batch look degraded. The
baseline's quality therefore comes from, in order of preference:

1. ``validation``: rows the model did not train on, given by the caller (source ``validation``);
2. the reference itself, when the caller says the model did not train on it
   (``reference_is_training=False``; source ``reference``);
3. out-of-fold predictions: a clone of the model refitted on four fifths of the reference
   predicts the other fifth, five times (source ``out_of_fold``), when the reference is the
   training data (``reference_is_training=True``) or looks like it (``None``, the default: the
   model's per-row loss on the reference is at least :data:`TRAINING_GAP` below the out-of-fold
   loss, beyond sampling noise). Then a warning says so, and the note travels with the baseline
   into every report.

A model that cannot be refitted (no ``get_params``, or its fit fails) is measured on the
reference, with a warning when the caller said it trained there, and a note otherwise.

The quality threshold of a batch of ``n`` labelled rows comes from the metric's sampling
distribution: each metric's bootstrap standard error on ``m`` reference rows, scaled to ``n``
rows (``sd * sqrt(m / n)``), combined with the reference's own error; a batch is flagged only
where its metric is worse than the constraint's threshold *and* below the reference's value by
more than ``z`` of those standard errors (one-sided, ``alpha`` split over the metrics).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from lifecycle_widgets.core.drift.quality import (
    CLASSIFICATION_METRICS,
    REGRESSION_METRICS,
    QualityCollector,
    quality_metrics,
)
from lifecycle_widgets.core.explain.estimator import ModelTask

OOF_ROWS = 10_000  # reference rows refitted on for out-of-fold predictions
FOLDS = 5
TRAINING_GAP = 0.1  # in-sample loss this much (relative) below out-of-fold loss: training rows
TRAINING_Z = 3.09  # and beyond noise: one-sided p < 0.001 of the paired loss difference
BOOTSTRAP_ROWS = 1_000
BOOTSTRAP_RESAMPLES = 80


class ReferenceQualityWarning(UserWarning):
    """The model-quality baseline was measured on (or looks like) the model's training rows."""


@dataclass(frozen=True)
class QualityRows:
    """Labels, predictions and scores of the rows a quality baseline was measured on."""

    y: np.ndarray
    pred: np.ndarray
    score: np.ndarray | None

    @classmethod
    def of(cls, collector: QualityCollector) -> QualityRows | None:
        if not collector.y_true:
            return None
        y, pred = np.concatenate(collector.y_true), np.concatenate(collector.y_pred)
        score = np.concatenate(collector.y_score) if collector.y_score else None
        keep = ~pd.isna(y)
        return cls(y[keep], pred[keep], None if score is None else score[keep])


@dataclass(frozen=True)
class ReferenceQuality:
    """The quality baseline: its metrics (with ``source`` and ``note``), the bootstrap standard
    errors that size a batch's threshold, and the warning given (None when none was)."""

    metrics: dict[str, Any] | None
    sampling: dict[str, Any] | None
    warning: str | None = None


def per_row_loss(task: ModelTask | None, rows: QualityRows) -> np.ndarray:
    """Each row's loss: log loss of the true class for a classifier with scores, else 0/1 error;
    squared error for a regressor.

    Examples
    --------
    >>> rows = QualityRows(np.array([0, 1]), np.array([0, 0]), np.array([0.2, 0.5]))
    >>> per_row_loss(ModelTask("binary", (0, 1)), rows).round(3).tolist()
    [0.223, 0.693]
    """
    if task is not None and not task.is_classifier:
        return (np.asarray(rows.y, dtype=float) - np.asarray(rows.pred, dtype=float)) ** 2
    if rows.score is not None and task is not None:
        classes = [str(c) for c in task.classes]
        index = pd.Index(classes).get_indexer([str(v) for v in rows.y])
        score = np.asarray(rows.score, dtype=float)
        if score.ndim == 1:
            p_true = np.where(index == len(classes) - 1, score, 1 - score)
        else:
            p_true = score[np.arange(len(score)), np.clip(index, 0, None)]
        p_true = np.where(index < 0, 0.0, p_true)
        return -np.log(np.clip(p_true, 1e-15, 1.0))
    return (np.asarray(rows.y).astype(str) != np.asarray(rows.pred).astype(str)).astype(float)


def out_of_fold(model: Any, X: pd.DataFrame, y: np.ndarray, task: ModelTask) -> QualityRows | str:
    """Out-of-fold predictions of clones of ``model`` on ``X``, or the reason there are none."""
    from sklearn.base import clone
    from sklearn.model_selection import KFold, StratifiedKFold, cross_val_predict
    from threadpoolctl import threadpool_limits

    try:
        template = clone(model)
    except (TypeError, RuntimeError) as err:
        return f"the model cannot be refitted ({err})"
    if task.is_classifier:
        _, counts = np.unique(np.asarray(y).astype(str), return_counts=True)
        cv: Any = (
            StratifiedKFold(FOLDS, shuffle=True, random_state=0)
            if counts.min() >= FOLDS
            else KFold(FOLDS, shuffle=True, random_state=0)
        )
    else:
        cv = KFold(FOLDS, shuffle=True, random_state=0)
    try:
        # BLAS on one thread: the clones are small fits, and two BLAS threads spinning on a busy
        # 2-core machine made a LogisticRegression on digits 30x slower (6.2 s against 0.2 s)
        with warnings.catch_warnings(), threadpool_limits(1, user_api="blas"):
            warnings.simplefilter("ignore")  # convergence warnings of the clones are not the user's
            if task.is_classifier:
                proba = cross_val_predict(template, X, y, cv=cv, method="predict_proba")
                proba = np.asarray(proba, dtype=float)
                pred = np.asarray(task.classes, dtype=object)[proba.argmax(axis=1)]
                classes = np.asarray(task.classes)
                pred = pred.astype(classes.dtype) if classes.dtype.kind in "iufb" else pred
                score = proba[:, 1] if task.problem_type == "binary" else proba
                return QualityRows(np.asarray(y), pred, score)
            pred = np.asarray(cross_val_predict(template, X, y, cv=cv), dtype=float)
            return QualityRows(np.asarray(y), pred, None)
    except (ValueError, TypeError, AttributeError, IndexError) as err:
        return f"refitting the model on folds of the reference failed ({type(err).__name__}: {err})"


def standard_errors(
    rows: QualityRows, task: ModelTask | None, *, random_state: int = 0
) -> dict[str, Any] | None:
    """Bootstrap standard errors of every metric on up to :data:`BOOTSTRAP_ROWS` of ``rows``:
    ``{"rows": m, "standard_errors": {metric: sd}}`` (a metric's error at ``n`` rows is
    ``sd * sqrt(m / n)``)."""
    n = len(rows.y)
    if n < 20:
        return None
    rng = np.random.default_rng(random_state)
    m = min(n, BOOTSTRAP_ROWS)
    table = REGRESSION_METRICS if task is not None and not task.is_classifier else CLASSIFICATION_METRICS
    draws: dict[str, list[float]] = {k: [] for k in table}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(BOOTSTRAP_RESAMPLES):
            i = rng.integers(0, n, m)
            score = None if rows.score is None else rows.score[i]
            try:
                got = quality_metrics(rows.y[i], rows.pred[i], score, task=task)
            except ValueError:
                continue
            for k in table:
                if isinstance(got.get(k), int | float):
                    draws[k].append(float(got[k]))
    errors = {k: float(np.std(v, ddof=1)) for k, v in draws.items() if len(v) > 10}
    return {"rows": int(m), "standard_errors": errors} if errors else None


def quality_bound(
    metric: str,
    reference: float,
    higher_is_better: bool,
    sampling: dict[str, Any] | None,
    reference_rows: int | None,
    batch_rows: int,
    alpha: float,
    metrics_tested: int,
) -> float | None:
    """How low (or high, for a loss) a batch of ``batch_rows`` labelled rows may score by chance:
    the reference's value minus ``z`` combined standard errors (the batch's and the reference's
    own), ``z`` the one-sided normal quantile at ``alpha / metrics_tested``. None when the
    baseline kept no standard error for ``metric``.

    Examples
    --------
    >>> sampling = {"rows": 1000, "standard_errors": {"accuracy": 0.0126}}
    >>> round(quality_bound("accuracy", 0.8, True, sampling, 1000, 250, 0.01, 1), 3)
    0.734
    """
    sd = (sampling or {}).get("standard_errors", {}).get(metric)
    m = (sampling or {}).get("rows")
    if sd is None or not m or batch_rows < 1:
        return None
    batch_sd = sd * math.sqrt(m / batch_rows)
    ref_sd = sd * math.sqrt(m / reference_rows) if reference_rows else 0.0
    z = float(stats.norm.isf(alpha / max(1, metrics_tested)))
    spread = z * math.hypot(batch_sd, ref_sd)
    return reference - spread if higher_is_better else reference + spread


def _notes(source: str, rows: int, detail: str = "") -> str:
    base = {
        "validation": f"Measured on the validation set ({rows:,} rows), which the model did not train on.",
        "reference": f"Measured on the reference's {rows:,} rows, which the model did not train on.",
        "out_of_fold": (
            f"Measured out of fold on {rows:,} reference rows: clones of the model refitted on four "
            "fifths of them predicted the other fifth, because the reference is the model's training data."
        ),
        "training": (
            f"Measured on the model's own training rows ({rows:,}): in-sample quality is better than any "
            "later batch will show, so model_quality_check will fire on undrifted batches. Pass "
            "validation= (rows the model did not train on)."
        ),
        "checked": f"Measured on the reference's {rows:,} rows.",
        "unknown": (
            f"Measured on the reference's {rows:,} rows; nothing showed whether the model trained on them "
            "(pass validation= or reference_is_training=)."
        ),
    }[source]
    return f"{base} {detail}".strip()


def reference_quality(
    *,
    model: Any,
    collector: QualityCollector,
    sample: pd.DataFrame | None,
    validation: pd.DataFrame | None,
    reference_is_training: bool | None,
    caller: str = "Baseline.fit",
) -> ReferenceQuality:
    """The quality baseline of a model (or of predictions) on a reference (see the module)."""
    task = collector.task
    if validation is not None:
        qc = collector.fresh()
        qc.labels = None
        qc.predictions = None
        qc.update(validation, 0)
        return _finish(QualityRows.of(qc), task, "validation", "", None)
    rows = QualityRows.of(collector)
    if rows is None:
        return ReferenceQuality(None, None)
    if reference_is_training is False:
        return _finish(rows, task, "reference", "", None)
    if model is None or sample is None or collector.label_column is None or task is None:
        if reference_is_training:
            message = (
                f"{caller}: model quality is measured on the model's training rows "
                "(reference_is_training=True) and cannot be measured out of fold without a model to "
                "refit; pass validation= (rows the model did not train on)."
            )
            return _finish(rows, task, "training", "", message)
        return _finish(rows, task, "unknown", "", None)
    frame = sample[sample[collector.label_column].notna()].head(OOF_ROWS)
    X, y = collector.features(frame), frame[collector.label_column].to_numpy()
    oof = out_of_fold(model, X, y, task)
    if isinstance(oof, str):
        if reference_is_training:
            message = (
                f"{caller}: model quality is measured on the model's training rows "
                f"(reference_is_training=True), and {oof}; pass validation= (rows the model did not "
                "train on)."
            )
            return _finish(rows, task, "training", "", message)
        return _finish(rows, task, "unknown", f"Out-of-fold check skipped: {oof}.", None)
    inside = QualityCollector(label_column=collector.label_column, model=model, task=task, caller=caller)
    inside.update(frame, 0)
    in_rows = QualityRows.of(inside)
    assert in_rows is not None
    loss_in, loss_oof = per_row_loss(task, in_rows), per_row_loss(task, oof)
    diff = loss_oof - loss_in
    se = float(np.std(diff, ddof=1) / math.sqrt(len(diff))) if len(diff) > 1 else 0.0
    mean_in, mean_oof = float(loss_in.mean()), float(loss_oof.mean())
    name = (
        "squared error" if not task.is_classifier else ("log loss" if oof.score is not None else "error rate")
    )
    compared = f"mean {name} {mean_in:.4g} on the reference against {mean_oof:.4g} out of fold"
    looks_trained = mean_in < (1 - TRAINING_GAP) * mean_oof and (se == 0 or diff.mean() / se > TRAINING_Z)
    if reference_is_training:
        return _finish(oof, task, "out_of_fold", f"({compared}.)", None)
    if looks_trained:
        message = (
            f"{caller}: the model scores markedly better on the reference than clones of it that did not "
            f"see those rows ({compared}): the reference looks like its training data. Model quality is "
            "measured out of fold instead; pass validation= (rows the model did not train on) for a "
            "quality baseline of this model, or reference_is_training=False if it did not train on them."
        )
        return _finish(oof, task, "out_of_fold", f"Detected: {compared}.", message)
    detail = (
        f"The model scores about as well on them as clones that did not see them ({compared}), so they "
        "read as rows it did not train on."
    )
    return _finish(rows, task, "checked", detail, None)


def _finish(
    rows: QualityRows | None, task: ModelTask | None, source: str, detail: str, message: str | None
) -> ReferenceQuality:
    if rows is None or len(rows.y) == 0:
        return ReferenceQuality(None, None, message)
    metrics = quality_metrics(rows.y, rows.pred, rows.score, task=task)
    metrics["source"] = "reference" if source == "checked" else source
    metrics["note"] = _notes(source, len(rows.y), detail)
    if message is not None:
        warnings.warn(message, ReferenceQualityWarning, stacklevel=4)
    return ReferenceQuality(metrics, standard_errors(rows, task), message)
