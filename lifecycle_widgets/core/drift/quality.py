"""Model quality: metrics from labels and predictions, and the predictions of a model per chunk."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from lifecycle_widgets.core.explain.estimator import ModelTask, check_labels, model_task
from lifecycle_widgets.exceptions import ColumnError, ParameterError

#: metric -> True when larger is better
CLASSIFICATION_METRICS = {
    "accuracy": True,
    "precision": True,
    "recall": True,
    "f1": True,
    "auc": True,
    "log_loss": False,
}
REGRESSION_METRICS = {"mae": False, "rmse": False, "r2": True}


@dataclass
class QualityCollector:
    """Gathers labels, predictions and scores chunk by chunk (a model predicts each chunk).

    The task (classification or regression) and the classes come from the model, never from
    the labels: a regressor of an integer target has labels that look like classes. A model
    and labels given as an array are checked when the collector is made, before any row is
    read; labels read from a column are checked chunk by chunk, before the model predicts.
    """

    label_column: str | None = None
    labels: np.ndarray | None = None  # given as an array aligned with the rows
    model: Any = None
    predictions: np.ndarray | None = None
    y_true: list[np.ndarray] = field(default_factory=list)
    y_pred: list[np.ndarray] = field(default_factory=list)
    y_score: list[np.ndarray] = field(default_factory=list)
    caller: str = "Baseline"
    task: ModelTask | None = None

    def __post_init__(self) -> None:
        if self.model is not None and self.task is None:
            self.task = model_task(self.model, self.caller)
        if self.task is not None and self.labels is not None:
            check_labels(self.task, self.labels, "labels", self.caller)

    @property
    def active(self) -> bool:
        has_labels = self.label_column is not None or self.labels is not None
        return has_labels and (self.model is not None or self.predictions is not None)

    def features(self, chunk: pd.DataFrame) -> pd.DataFrame:
        names = getattr(self.model, "feature_names_in_", None)
        if names is not None:
            missing = [n for n in names if n not in chunk.columns]
            if missing:
                raise ColumnError(
                    missing[0], f"the model expects it but the data lacks it (missing: {missing[:10]})"
                )
            return chunk[list(names)]
        return chunk.drop(columns=[c for c in (self.label_column,) if c in chunk.columns])

    def fresh(self) -> QualityCollector:
        """An empty collector with the same settings (for another chunk or worker)."""
        return QualityCollector(
            self.label_column, self.labels, self.model, self.predictions, caller=self.caller, task=self.task
        )

    def merge(self, other: QualityCollector) -> QualityCollector:
        self.y_true += other.y_true
        self.y_pred += other.y_pred
        self.y_score += other.y_score
        return self

    def update(self, chunk: pd.DataFrame, offset: int) -> None:
        """Add one chunk whose first row is row ``offset``: its labels and predictions."""
        if not self.active or len(chunk) == 0:
            return
        rows = slice(offset, offset + len(chunk))
        truth = chunk[self.label_column].to_numpy() if self.label_column else self.labels[rows]
        if self.predictions is not None:
            pred = self.predictions[rows]
        else:
            assert self.task is not None  # set from the model
            if self.label_column:
                check_labels(self.task, truth, "target", self.caller)
            x = self.features(chunk)
            pred = np.asarray(self.model.predict(x))
            if self.task.is_classifier:
                proba = np.asarray(self.model.predict_proba(x), dtype=float)
                self.y_score.append(proba[:, 1] if self.task.problem_type == "binary" else proba)
        self.y_true.append(np.asarray(truth))
        self.y_pred.append(np.asarray(pred))

    def metrics(self) -> dict[str, Any] | None:
        if not self.active or not self.y_true:
            return None
        y = np.concatenate(self.y_true)
        p = np.concatenate(self.y_pred)
        keep = ~pd.isna(y)
        score = np.concatenate(self.y_score) if self.y_score else None
        return quality_metrics(y[keep], p[keep], None if score is None else score[keep], task=self.task)


def problem_type(y: np.ndarray, y_pred: np.ndarray | None = None) -> str:
    """``binary``, ``multiclass`` or ``regression`` when no model says which: regression when
    the predictions are continuous (a regressor's, whatever its labels look like), else as
    scikit-learn reads the labels."""
    from sklearn.utils.multiclass import type_of_target

    continuous = ("continuous", "continuous-multioutput")
    if (
        y_pred is not None
        and len(y_pred)
        and np.asarray(y_pred).dtype.kind == "f"
        and type_of_target(y_pred) in continuous
    ):
        return "regression"
    kind = type_of_target(y)
    if kind == "binary":
        return "binary"
    if kind == "multiclass":
        return "multiclass"
    if kind in ("continuous", "continuous-multioutput"):
        return "regression"
    raise ParameterError(
        f"Labels of type {kind!r} are not supported; expected binary, multiclass or continuous labels."
    )


def quality_metrics(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    y_score: np.ndarray | None = None,
    *,
    task: ModelTask | None = None,
) -> dict[str, Any]:
    """Classification or regression metrics (scikit-learn's definitions).

    Parameters
    ----------
    y_true, y_pred : arrays
        Labels and the model's predictions.
    y_score : array, optional
        A classifier's probabilities: of the positive class (binary) or one column per class.
    task : ModelTask, optional
        The model's task and classes (see :func:`~lifecycle_widgets.core.explain.estimator.model_task`).
        Without it the task is read from the predictions and labels (predictions only, no model).

    Examples
    --------
    >>> import numpy as np
    >>> from lifecycle_widgets.core.drift.quality import quality_metrics
    >>> quality_metrics(np.array([0, 1, 1, 0]), np.array([0, 1, 0, 0]))["accuracy"]
    0.75
    >>> from lifecycle_widgets.core.explain.estimator import ModelTask
    >>> quality_metrics(np.array([3, 5]), np.array([3.0, 6.0]), task=ModelTask("regression"))["mae"]
    0.5
    """
    from sklearn import metrics as m

    if len(y_true) == 0:
        return {"problem_type": "unknown" if task is None else task.problem_type, "rows": 0}
    if task is not None:
        kind = task.problem_type
    else:
        labels_seen = np.concatenate([y_true, y_pred]) if y_true.dtype.kind in "OUSb" else y_true
        kind = problem_type(labels_seen, y_pred)
    out: dict[str, Any] = {"problem_type": kind, "rows": len(y_true)}
    if kind == "regression":
        y_true, y_pred = np.asarray(y_true, dtype=float), np.asarray(y_pred, dtype=float)
        out["mae"] = float(m.mean_absolute_error(y_true, y_pred))
        out["rmse"] = float(np.sqrt(m.mean_squared_error(y_true, y_pred)))
        out["r2"] = float(m.r2_score(y_true, y_pred)) if len(y_true) > 1 else None
        return out
    if task is not None:
        labels = np.asarray(task.classes)
        y_true = _as_classes(y_true, labels)
        y_pred = _as_classes(y_pred, labels)
    else:
        labels = np.unique(np.concatenate([y_true, y_pred]))
    average = "binary" if kind == "binary" else "macro"
    pos = labels[-1] if kind == "binary" else None
    kw: dict[str, Any] = {"average": average, "zero_division": 0}
    if pos is not None:
        kw["pos_label"] = pos
    out["accuracy"] = float(m.accuracy_score(y_true, y_pred))
    # the one call behind precision_score, recall_score and f1_score: their numbers, with one
    # round of scikit-learn's input checks instead of three (most of a bootstrap draw's time)
    precision, recall, f1, _ = m.precision_recall_fscore_support(y_true, y_pred, **kw)
    out["precision"], out["recall"], out["f1"] = float(precision), float(recall), float(f1)
    out["confusion_matrix"] = {
        "labels": [str(v) for v in labels],
        "counts": m.confusion_matrix(y_true, y_pred, labels=labels).tolist(),
    }
    if y_score is not None and len(np.unique(y_true)) > 1:
        if kind == "binary":
            out["auc"] = float(m.roc_auc_score(y_true == pos, y_score))
            out["log_loss"] = float(
                m.log_loss(y_true == pos, np.clip(y_score, 1e-15, 1 - 1e-15), labels=[False, True])
            )
        elif y_score.ndim == 2 and y_score.shape[1] == len(labels):
            # float32 probabilities (xgboost, lightgbm) miss a row sum of 1 by rounding
            y_score = np.asarray(y_score, dtype=float)
            y_score = y_score / y_score.sum(axis=1, keepdims=True)
            # one-vs-rest macro AUC (scikit-learn's definition) over the classes the labels
            # hold: a batch may lack a class, which scikit-learn's multiclass AUC refuses
            present = set(np.unique(y_true).tolist())
            aucs = [
                m.roc_auc_score(y_true == c, y_score[:, i])
                for i, c in enumerate(labels.tolist())
                if c in present
            ]
            out["auc"] = float(np.mean(aucs))
            out["log_loss"] = float(m.log_loss(y_true, y_score, labels=labels))
    return out


def _as_classes(values: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """Labels in the classes' own dtype where they compare equal (1.0 -> 1), so that
    scikit-learn's metrics see one label type."""
    if values.dtype == classes.dtype or classes.dtype.kind not in "iufb" or values.dtype.kind not in "iufb":
        return values
    return values.astype(classes.dtype)


def suggest_quality_constraints(metrics: dict[str, Any], margin: float = 0.1) -> dict[str, Any]:
    """Thresholds ``margin`` (relative) worse than the baseline, in Model Monitor's layout."""
    kind = metrics.get("problem_type")
    table = REGRESSION_METRICS if kind == "regression" else CLASSIFICATION_METRICS
    key = {
        "binary": "binary_classification_constraints",
        "regression": "regression_constraints",
        "multiclass": "multiclass_classification_constraints",
    }.get(kind)
    if key is None:
        return {}
    out = {}
    for name, higher_is_better in table.items():
        value = metrics.get(name)
        if value is None:
            continue
        if higher_is_better:
            out[name] = {"threshold": value - margin * abs(value), "comparison_operator": "LessThanThreshold"}
        else:
            out[name] = {
                "threshold": value + margin * abs(value),
                "comparison_operator": "GreaterThanThreshold",
            }
    return {key: out}
