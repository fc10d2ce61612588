"""Model quality: metrics from labels and predictions, and the predictions of a model per chunk."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

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
    """Gathers labels, predictions and scores chunk by chunk (a model predicts each chunk)."""

    label_column: str | None = None
    labels: np.ndarray | None = None  # given as an array aligned with the rows
    model: Any = None
    predictions: np.ndarray | None = None
    y_true: list[np.ndarray] = field(default_factory=list)
    y_pred: list[np.ndarray] = field(default_factory=list)
    y_score: list[np.ndarray] = field(default_factory=list)

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
        return QualityCollector(self.label_column, self.labels, self.model, self.predictions)

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
            x = self.features(chunk)
            pred = np.asarray(self.model.predict(x))
            if hasattr(self.model, "predict_proba"):
                proba = np.asarray(self.model.predict_proba(x))
                self.y_score.append(proba[:, 1] if proba.shape[1] == 2 else proba)
        self.y_true.append(np.asarray(truth))
        self.y_pred.append(np.asarray(pred))

    def metrics(self) -> dict[str, Any] | None:
        if not self.active or not self.y_true:
            return None
        y = np.concatenate(self.y_true)
        p = np.concatenate(self.y_pred)
        keep = ~pd.isna(y)
        score = np.concatenate(self.y_score) if self.y_score else None
        return quality_metrics(y[keep], p[keep], None if score is None else score[keep])


def problem_type(y: np.ndarray) -> str:
    """``binary``, ``multiclass`` or ``regression``, as scikit-learn reads the labels."""
    from sklearn.utils.multiclass import type_of_target

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
    y_true: np.ndarray, y_pred: np.ndarray, y_score: np.ndarray | None = None
) -> dict[str, Any]:
    """Classification or regression metrics (scikit-learn's definitions).

    Examples
    --------
    >>> import numpy as np
    >>> from lifecycle_widgets.core.drift.quality import quality_metrics
    >>> quality_metrics(np.array([0, 1, 1, 0]), np.array([0, 1, 0, 0]))["accuracy"]
    0.75
    """
    from sklearn import metrics as m

    if len(y_true) == 0:
        return {"problem_type": "unknown", "rows": 0}
    kind = problem_type(np.concatenate([y_true, y_pred]) if y_true.dtype.kind in "OUSb" else y_true)
    out: dict[str, Any] = {"problem_type": kind, "rows": len(y_true)}
    if kind == "regression":
        out["mae"] = float(m.mean_absolute_error(y_true, y_pred))
        out["rmse"] = float(np.sqrt(m.mean_squared_error(y_true, y_pred)))
        out["r2"] = float(m.r2_score(y_true, y_pred)) if len(y_true) > 1 else None
        return out
    average = "binary" if kind == "binary" else "macro"
    labels = np.unique(np.concatenate([y_true, y_pred]))
    pos = labels[-1] if kind == "binary" else None
    kw = {"average": average, "zero_division": 0}
    if pos is not None:
        kw["pos_label"] = pos
    out["accuracy"] = float(m.accuracy_score(y_true, y_pred))
    out["precision"] = float(m.precision_score(y_true, y_pred, **kw))
    out["recall"] = float(m.recall_score(y_true, y_pred, **kw))
    out["f1"] = float(m.f1_score(y_true, y_pred, **kw))
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
        else:
            out["auc"] = float(m.roc_auc_score(y_true, y_score, multi_class="ovr", labels=labels))
            out["log_loss"] = float(m.log_loss(y_true, y_score, labels=labels))
    return out


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
