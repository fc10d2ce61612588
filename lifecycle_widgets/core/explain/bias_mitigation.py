"""Bias mitigation with its effect measured: bias metrics and model quality before and after.

Two mitigations, one of each kind:

- pre-processing, ``"reweighing"``: Kamiran and Calders' sample weights ``P(g) P(y) / P(g, y)``
  make the training label independent of the group; the model is refitted with them
  (:mod:`~lifecycle_widgets.core.explain.bias_mitigation_weights`);
- post-processing, ``"threshold_optimizer"``: one decision threshold per group, chosen by
  Fairlearn's ThresholdOptimizer under a fairness constraint
  (:mod:`~lifecycle_widgets.core.explain.bias_mitigation_thresholds`).

:func:`mitigate` applies one and returns the mitigated model with a :class:`MitigationReport`;
:func:`compare_mitigation` measures any two models (or two sets of predictions) on held-out data.
The report holds Clarify's post-training bias metrics
(:func:`~lifecycle_widgets.core.explain.bias.bias_report`), per-group rates
(:func:`~lifecycle_widgets.core.explain.bias_groups.group_metrics`) and accuracy, balanced
accuracy and AUC before and after, so the trade-off is visible; it logs itself to a run, and adds
itself to the run's lineage graph as a step (:meth:`MitigationReport.log_to`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, NamedTuple

import numpy as np
import pandas as pd

from lifecycle_widgets.core.explain.bias import BiasBands, BiasReport, bias_report
from lifecycle_widgets.core.explain.bias_groups import group_metrics
from lifecycle_widgets.core.explain.bias_inputs import facet_of, is_sequence, outcomes_of
from lifecycle_widgets.core.explain.bias_mitigation_thresholds import (
    CONSTRAINTS,
    GroupThreshold,
    GroupThresholdClassifier,
    check_constraints,
    require_fairlearn,
)
from lifecycle_widgets.core.explain.bias_mitigation_weights import (
    fit_weighted,
    reweighing_table,
    reweighing_weights,
    sample_weight_key,
    sensitive_groups,
)
from lifecycle_widgets.core.explain.bias_registry import BiasMetric, metric_names, metric_spec
from lifecycle_widgets.core.lineage import Edge, LineageGraph, Node
from lifecycle_widgets.core.result import Result
from lifecycle_widgets.exceptions import ParameterError, UnknownNameError

__all__ = [
    "CONSTRAINTS",
    "METHODS",
    "GroupChange",
    "GroupThreshold",
    "GroupThresholdClassifier",
    "Mitigation",
    "MitigationReport",
    "QualityChange",
    "WeightCell",
    "compare_mitigation",
    "deviation",
    "fit_weighted",
    "mitigate",
    "reweighing_table",
    "reweighing_weights",
    "sample_weight_key",
]

QUALITY = {
    "accuracy": True,
    "balanced_accuracy": True,
    "auc": True,
    "selection_rate": None,
}
"""Model quality measured before and after, each with whether higher is better (``None``:
neither, the selection rate is context)."""


# --- the result -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class QualityChange:
    """One quality measure before and after; ``None`` where undefined (AUC without scores),
    with a ``note`` saying why."""

    name: str
    before: float | None
    after: float | None
    higher_is_better: bool | None
    note: str = ""


@dataclass(frozen=True)
class GroupChange:
    """One group's rates before and after: the columns of
    :func:`~lifecycle_widgets.core.explain.bias_groups.group_metrics` (values and bootstrap
    bounds), ``None`` where a rate is over zero rows."""

    group: str
    count: int
    before: dict[str, float | None]
    after: dict[str, float | None]


@dataclass(frozen=True)
class WeightCell:
    """One reweighing cell: its group, label, row count, the count under independence, and the
    weight (expected over count)."""

    group: str
    label: str
    count: int
    expected: float
    weight: float


def deviation(m: BiasMetric) -> float | None:
    """How far a metric is from no bias: ``|value - ideal|``, or for a ratio (DI)
    ``1 - min(value, 1 / value)``; ``None`` when undefined.

    Examples
    --------
    >>> from lifecycle_widgets.core.explain.bias_registry import BiasMetric
    >>> deviation(BiasMetric("DI", "post_training", 0.8, "", 1.0))
    0.2
    """
    if m.value is None or not math.isfinite(m.value):
        return None
    if metric_spec(m.name).band == "ratio":
        return 1.0 if m.value <= 0 else round(1 - min(m.value, 1 / m.value), 15)
    return abs(m.value - m.ideal)


@dataclass(frozen=True)
class MitigationReport(Result):
    """Bias metrics, per-group rates and model quality before and after a mitigation.

    ``before`` and ``after`` are the bias reports of the two models' predictions on the same
    held-out rows; ``quality`` holds accuracy, balanced accuracy, AUC and selection rate of
    each; ``groups`` each group's rates. ``method`` names the mitigation and ``settings`` its
    parameters; ``weights`` (reweighing) and ``thresholds`` (threshold optimizer) say exactly
    what it did, and for reweighing ``training_dpl`` is the training labels' DPL unweighted and
    weighted. ``data_fingerprint`` is the SHA-256 of the evaluation rows.

    Examples
    --------
    >>> import pandas as pd
    >>> X = pd.DataFrame({"sex": list("FFFFMMMM")})
    >>> y = [1, 0, 0, 0, 1, 1, 1, 0]
    >>> r = compare_mitigation(X, y, before=[0, 0, 0, 0, 1, 1, 1, 1], after=[1, 0, 1, 0, 1, 1, 0, 0],
    ...                        facet="sex", facet_values="F", metrics=["DPPL", "DI"], n_bootstrap=50)
    >>> r.change("DPPL"), [m.name for m in r.outside_band()]
    ((1.0, 0.0), [])
    """

    kind: ClassVar[str] = "bias_mitigation"

    method: str
    settings: dict[str, str]
    facet: tuple[str, ...]
    facet_values: tuple[str, ...]
    positive_label: str
    n: int
    before: BiasReport
    after: BiasReport
    quality: tuple[QualityChange, ...]
    groups: tuple[GroupChange, ...]
    weights: tuple[WeightCell, ...] = ()
    thresholds: tuple[GroupThreshold, ...] = ()
    training_dpl: tuple[float, float] | None = None
    notes: tuple[str, ...] = ()
    data_fingerprint: str | None = None

    def change(self, name: str) -> tuple[float | None, float | None]:
        """The value of bias metric or quality measure ``name`` before and after.

        Raises
        ------
        UnknownNameError
            Neither a metric of the report nor a quality measure; the message lists the names.
        """
        for q in self.quality:
            if q.name == name:
                return q.before, q.after
        try:
            return self.before.metric(name).value, self.after.metric(name).value
        except UnknownNameError:
            known = [m.name for m in self.after.metrics] + [q.name for q in self.quality]
            raise UnknownNameError("metric in this mitigation report", name, known) from None

    def outside_band(self) -> tuple[BiasMetric, ...]:
        """The metrics that still fail or warn after mitigation, failures first."""
        order = {"fail": 0, "warn": 1}
        bad = [m for m in self.after.metrics if m.status in order]
        return tuple(sorted(bad, key=lambda m: order[m.status]))

    def worse(self) -> tuple[str, ...]:
        """The metrics further from no bias after mitigation than before (by more than 1e-9)."""
        out = []
        for b, a in zip(self.before.metrics, self.after.metrics, strict=True):
            db, da = deviation(b), deviation(a)
            if db is not None and da is not None and da > db + 1e-9:
                out.append(a.name)
        return tuple(out)

    def to_frame(self) -> pd.DataFrame:
        """One row per bias metric, then per quality measure: name, kind, before, after, change,
        status before and after (bias metrics), band."""
        rows = [
            {
                "name": a.name,
                "kind": "bias",
                "before": np.nan if b.value is None else b.value,
                "after": np.nan if a.value is None else a.value,
                "status_before": b.status,
                "status_after": a.status,
                "band": a.band,
            }
            for b, a in zip(self.before.metrics, self.after.metrics, strict=True)
        ]
        rows += [
            {
                "name": q.name,
                "kind": "quality",
                "before": np.nan if q.before is None else q.before,
                "after": np.nan if q.after is None else q.after,
                "status_before": "",
                "status_after": "",
                "band": "",
            }
            for q in self.quality
        ]
        frame = pd.DataFrame(rows)
        frame.insert(4, "change", frame["after"] - frame["before"])
        return frame

    def sha256(self) -> str:
        """SHA-256 of the report's compact JSON: what a run or a lineage step records of it."""
        return hashlib.sha256(self.to_json(indent=None).encode("utf-8")).hexdigest()

    # --- traceability ------------------------------------------------------------------------
    def lineage_step(self, graph: LineageGraph) -> LineageGraph:
        """``graph`` with this mitigation as a step, and the report's SHA-256 as its fingerprint.

        Reweighing is a step between the facet's raw column and the model (it changes how the
        model is fitted); a threshold optimizer is a step after the model (it changes its
        decisions). A step of the same method already in the graph is replaced.

        Examples
        --------
        >>> import lifecycle_widgets as lw, pandas as pd
        >>> from sklearn.linear_model import LogisticRegression
        >>> X = pd.DataFrame({"x": [0.0, 1, 2, 3, 4, 5], "sex": list("FMFMFM")})
        >>> graph = lw.lineage(LogisticRegression().fit(X[["x"]], [0, 0, 0, 1, 1, 1]), X[["x"]])
        >>> r = compare_mitigation(X, [0, 0, 0, 1, 1, 1], before=[0, 0, 0, 1, 1, 1],
        ...                        after=[0, 0, 1, 1, 1, 1], facet="sex", method="reweighing",
        ...                        metrics=["DPPL"], n_bootstrap=20)
        >>> step = r.lineage_step(graph).path("model")
        >>> "mitigation:reweighing" in step
        True
        """
        if not isinstance(graph, LineageGraph):
            raise ParameterError.bad_value(
                "graph", "MitigationReport.lineage_step", "a LineageGraph", type(graph).__name__
            )
        step_id = f"mitigation:{self.method}"
        earlier = next((n for n in graph.nodes if n.id == step_id), None)
        nodes = [n for n in graph.nodes if n.id != step_id]
        edges = [e for e in graph.edges if step_id not in (e.source, e.target)]
        present = {n.id for n in nodes}
        # a facet that is no model input is still a column of the data: it enters as a raw node
        nodes += [
            Node(f"raw:{c}", c, "raw", 0, "sensitive feature (facet), not a model input")
            for c in self.facet
            if f"raw:{c}" not in present
        ]
        raw = [f"raw:{c}" for c in self.facet]
        model = next((n for n in nodes if n.id == "model"), None)
        top = max((n.layer for n in nodes), default=0)
        summary = "; ".join(self._summary())
        label = {"reweighing": "reweighing (sample weights)", "threshold_optimizer": "per-group thresholds"}
        if earlier is not None:  # replacing the step: it keeps its place, the model stays where it is
            layer = earlier.layer
        elif self.method == "reweighing":
            layer = model.layer if model is not None else top + 1
            if model is not None:  # the weights feed the model's fit: the model moves one layer right
                nodes = [dataclasses.replace(n, layer=n.layer + 1) if n.id == "model" else n for n in nodes]
        else:
            layer = top + 1
        if self.method == "reweighing":
            inputs = tuple(raw)
            edges += [Edge(r, step_id) for r in raw] + ([Edge(step_id, "model")] if model is not None else [])
        else:
            inputs = (*(("model",) if model is not None else ()), *raw)
            edges += [Edge(i, step_id) for i in inputs]
        detail = f"{self.method} on {' & '.join(self.facet)}: {summary}"
        nodes.append(
            Node(step_id, label.get(self.method, self.method), "step", layer, detail, self.sha256(), inputs)
        )
        return dataclasses.replace(graph, nodes=tuple(nodes), edges=tuple(edges))

    def _summary(self) -> list[str]:
        parts = []
        for b, a in zip(self.before.metrics, self.after.metrics, strict=True):
            if b.value is not None and a.value is not None and a.name in ("DPPL", "DI", "DCAcc", "AD"):
                parts.append(f"{a.name} {b.value:.3g} -> {a.value:.3g}")
        for q in self.quality:
            if q.name in ("accuracy", "auc") and q.before is not None and q.after is not None:
                parts.append(f"{q.name} {q.before:.3g} -> {q.after:.3g}")
        return parts

    def log_to(
        self, run: Any, *, lineage: LineageGraph | None = None, prefix: str = "mitigation"
    ) -> LineageGraph | None:
        """Log the mitigation to a run of :class:`~lifecycle_widgets.RunStore`, and add it to the
        run's lineage as a step.

        Parameters go in as ``<prefix>.method``, ``<prefix>.facet``, ``<prefix>.<setting>`` and
        ``<prefix>.report_sha256``; each defined metric as ``<prefix>.before.<name>`` and
        ``<prefix>.after.<name>``, and ``<prefix>.after.outside_band`` counts the metrics still
        outside their band. The lineage step (:meth:`lineage_step`) goes into ``lineage`` if
        given, else into the graph the run logged already; without either, none is logged.

        Returns
        -------
        LineageGraph or None
            The graph logged with the step.

        Examples
        --------
        >>> import lifecycle_widgets as lw, pandas as pd, tempfile, pathlib
        >>> X = pd.DataFrame({"sex": list("FFFFMMMM")})
        >>> r = compare_mitigation(X, [1, 0, 0, 0, 1, 1, 1, 0], before=[0, 0, 0, 0, 1, 1, 1, 1],
        ...                        after=[1, 0, 1, 0, 1, 1, 0, 0], facet="sex", metrics=["DPPL"],
        ...                        n_bootstrap=20)
        >>> store = lw.RunStore(pathlib.Path(tempfile.mkdtemp()) / "lifecycle.db")
        >>> with store.start_run(experiment="fair") as run:
        ...     _ = r.log_to(run)
        >>> frame = store.runs(experiment="fair").to_frame()
        >>> frame[["metric.mitigation.before.DPPL", "metric.mitigation.after.DPPL"]].iloc[0].tolist()
        [1.0, 0.0]
        """
        caller = "MitigationReport.log_to"
        for method in ("log_params", "log_metrics"):
            if not callable(getattr(run, method, None)):
                raise ParameterError.bad_value("run", caller, "a run with log_params and log_metrics", run)
        if not isinstance(prefix, str) or not prefix:
            raise ParameterError.bad_value("prefix", caller, "a non-empty string", prefix)
        if lineage is not None and not isinstance(lineage, LineageGraph):
            raise ParameterError.bad_value(
                "lineage", caller, "a LineageGraph or None", type(lineage).__name__
            )
        params = {
            f"{prefix}.method": self.method,
            f"{prefix}.facet": " & ".join(self.facet),
            f"{prefix}.facet_values": ", ".join(self.facet_values),
            f"{prefix}.positive_label": self.positive_label,
            **{f"{prefix}.{k}": v for k, v in self.settings.items()},
            f"{prefix}.report_sha256": self.sha256(),
        }
        metrics: dict[str, float] = {}
        for when, report in (("before", self.before), ("after", self.after)):
            metrics |= {f"{prefix}.{when}.{m.name}": m.value for m in report.metrics if m.value is not None}
        for q in self.quality:
            for when, value in (("before", q.before), ("after", q.after)):
                if value is not None:
                    metrics[f"{prefix}.{when}.{q.name}"] = value
        metrics[f"{prefix}.after.outside_band"] = len(self.outside_band())
        run.log_params(params)
        run.log_metrics(metrics)
        graph = lineage
        if graph is None and hasattr(run, "store") and hasattr(run, "id"):
            try:
                graph = run.store.lineage(run.id)
            except ParameterError:  # the run has no lineage yet: nothing to add a step to
                graph = None
        if graph is None or not callable(getattr(run, "log_lineage", None)):
            return None
        stepped = self.lineage_step(graph)
        run.log_lineage(stepped)
        return stepped

    def __repr__(self) -> str:
        shown = ", ".join(
            f"{a.name} {'n/a' if b.value is None else format(b.value, '.3g')}->{'n/a' if a.value is None else format(a.value, '.3g')}"
            for b, a in zip(self.before.metrics, self.after.metrics, strict=True)
            if a.name in ("DPPL", "DI")
        )
        acc = next((q for q in self.quality if q.name == "accuracy"), None)
        quality = "" if acc is None or acc.before is None else f", accuracy {acc.before:.3g}->{acc.after:.3g}"
        return (
            f"<MitigationReport {self.method} on {' & '.join(self.facet)}: {shown}{quality}; "
            f"{len(self.outside_band())} metrics outside their band after>"
        )


# --- measuring before and after ------------------------------------------------------------------
def _plain(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(float(value)) else float(value)


def _model_columns(
    model: Any, X: pd.DataFrame, features: Sequence[str] | None, facet_columns: Sequence[str]
) -> list[str]:
    if features is not None:
        return list(features)
    named = getattr(model, "feature_names_in_", None)
    if named is not None:
        return [str(c) for c in named]
    return [c for c in X.columns if c not in set(facet_columns)]


def _is_predictor(value: Any) -> bool:
    return callable(getattr(value, "predict", None))


def _predictions(
    model: Any,
    X: pd.DataFrame,
    *,
    features: Sequence[str] | None,
    facet_columns: Sequence[str],
    groups: np.ndarray,
    positives: list[Any],
    scores: Any,
    which: str,
) -> tuple[np.ndarray, np.ndarray | None, str]:
    """Predicted labels, the positive class's scores (or None) and a note about them."""
    if not _is_predictor(model):
        pred = np.asarray(model.to_numpy() if isinstance(model, pd.Series) else model)
        if scores is None:
            return pred, None, f"no scores were given for the {which} predictions, so no AUC"
        return pred, np.asarray(scores, dtype=float), ""
    if isinstance(model, GroupThresholdClassifier):
        given = None if model.facet is not None else pd.Series(groups)
        note = "per-group thresholds give labels, not scores, so no AUC"
        return np.asarray(model.predict(X, sensitive_features=given)), None, note
    inputs = X[_model_columns(model, X, features, facet_columns)]
    pred = np.asarray(model.predict(inputs))
    if not callable(getattr(model, "predict_proba", None)):
        return pred, None, f"the {which} model has no predict_proba, so no AUC"
    proba = np.asarray(model.predict_proba(inputs))
    classes = list(getattr(model, "classes_", range(proba.shape[1])))
    columns = [i for i, c in enumerate(classes) if c in positives]
    if not columns:
        return pred, None, f"the {which} model's classes {classes} hold no positive label, so no AUC"
    return pred, proba[:, columns].sum(axis=1), ""


def _quality(y: np.ndarray, yhat: np.ndarray, scores: np.ndarray | None) -> dict[str, float | None]:
    from sklearn.metrics import roc_auc_score

    tpr = float(yhat[y].mean()) if y.any() else math.nan
    tnr = float((~yhat[~y]).mean()) if (~y).any() else math.nan
    auc = None
    if scores is not None and y.any() and (~y).any() and np.all(np.isfinite(scores)):
        auc = float(roc_auc_score(y, scores))
    return {
        "accuracy": float((y == yhat).mean()),
        "balanced_accuracy": _plain((tpr + tnr) / 2),
        "auc": auc,
        "selection_rate": float(yhat.mean()),
    }


def _group_rows(
    y_true: Any,
    before: np.ndarray,
    after: np.ndarray,
    groups: np.ndarray,
    positive_label: Any,
    n_bootstrap: int,
    seed: int | None,
) -> tuple[GroupChange, ...]:
    tables = [
        group_metrics(
            y_true,
            pred,
            sensitive_features=pd.Series(groups, name="group"),
            positive_label=positive_label,
            n_bootstrap=n_bootstrap,
            random_state=seed,
        )
        for pred in (before, after)
    ]
    out = []
    for g in tables[0].index:
        rows = [t.loc[g] for t in tables]
        values = [
            {c: _plain(r[c]) for c in t.columns if c != "count"} for r, t in zip(rows, tables, strict=True)
        ]
        out.append(GroupChange(str(g), int(rows[0]["count"]), values[0], values[1]))
    return tuple(out)


def _check_positive_int(value: Any, name: str, caller: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ParameterError.bad_value(name, caller, "a positive integer", value)


def _fingerprint(X: pd.DataFrame) -> str | None:
    from lifecycle_widgets.core.ingest import collect, fingerprint

    if len(X) > 5_000_000:
        return None
    return fingerprint(collect(X, sample_size=0, progress=False)[1]).sha256


def compare_mitigation(
    X: pd.DataFrame,
    y_true: Any,
    *,
    before: Any,
    after: Any,
    facet: Any,
    facet_values: Any = None,
    facet_threshold: float | None = None,
    positive_label: Any = 1,
    features: Sequence[str] | None = None,
    scores_before: Any = None,
    scores_after: Any = None,
    method: str = "unspecified",
    settings: dict[str, str] | None = None,
    metrics: str | Sequence[str] | None = None,
    bands: BiasBands | None = None,
    n_bootstrap: int = 200,
    random_state: int | None = 0,
) -> MitigationReport:
    """Bias metrics, per-group rates and model quality of two models on the same held-out rows.

    Parameters
    ----------
    X : pandas.DataFrame
        The evaluation rows, with the facet column(s) if ``facet`` names them. Data the models
        were not fitted on, or the trade-off shown is the training data's.
    y_true : array-like
        Observed labels, one per row.
    before, after : fitted predictor or array-like
        The model before and after mitigation (anything with ``predict``; a
        :class:`GroupThresholdClassifier` gets the groups it needs), or their predicted labels.
        A predictor reads ``features`` of ``X``; its ``predict_proba`` gives the AUC.
    facet, facet_values, facet_threshold, positive_label
        The facet and favourable outcome, as for
        :func:`~lifecycle_widgets.core.explain.bias.bias_report`. The per-group rates are
        computed for every value of the facet (for a threshold split: the two sides).
    features : list of str, optional
        The columns of ``X`` the models read. Default: a model's ``feature_names_in_``, else every
        column but the facet's.
    scores_before, scores_after : array-like, optional
        Scores of the positive class where ``before`` / ``after`` are predictions: the AUC.
    method : str, default "unspecified"
        The mitigation's name, as recorded.
    settings : dict of str to str, optional
        Its parameters, as recorded.
    metrics : str or list of str, optional
        Bias metrics to compute. Default: every post-training metric (the pre-training ones
        describe the labels, which mitigation does not change).
    bands : BiasBands, optional
        When a metric passes, warns or fails.
    n_bootstrap : int, default 200
        Resamples for the per-group intervals.
    random_state : int, optional
        Seed of those resamples.

    Returns
    -------
    MitigationReport

    Raises
    ------
    ParameterError, ColumnError
        Bad rows, labels, facet (a single group among them), predictions of the wrong length,
        or options; every check runs before any prediction is made.
    UnknownNameError
        ``metrics`` names an unknown metric.

    Examples
    --------
    >>> import pandas as pd
    >>> X = pd.DataFrame({"group": list("aaaabbbb")})
    >>> r = compare_mitigation(X, [1, 1, 0, 0, 1, 1, 0, 0], before=[1, 1, 1, 1, 1, 0, 0, 0],
    ...                        after=[1, 1, 0, 0, 1, 1, 0, 0], facet="group", facet_values="b",
    ...                        metrics=["DPPL"], n_bootstrap=20)
    >>> r.change("DPPL"), r.change("accuracy")
    ((0.75, 0.0), (0.625, 1.0))
    """
    caller = "compare_mitigation"
    if not isinstance(X, pd.DataFrame):
        raise ParameterError.bad_value("X", caller, "a pandas DataFrame", type(X).__name__)
    if len(X) == 0:
        raise ParameterError(f"The 'X' parameter of {caller} must have rows. Got an empty frame.")
    if isinstance(y_true, str):
        raise ParameterError.bad_value("y_true", caller, "an array of labels, not a column name", y_true)
    for name, value in (("before", before), ("after", after)):
        if isinstance(value, str) or value is None:
            raise ParameterError.bad_value(
                name, caller, "a fitted predictor or an array of predicted labels", value
            )
        if not _is_predictor(value) and len(np.asarray(value)) != len(X):
            raise ParameterError(
                f"The {name!r} parameter of {caller} must predict one label per row of X ({len(X):,}). "
                f"Got {len(np.asarray(value)):,} values instead."
            )
    for name, value in (("scores_before", scores_before), ("scores_after", scores_after)):
        if value is not None and len(np.asarray(value, dtype=float)) != len(X):
            raise ParameterError(
                f"The {name!r} parameter of {caller} must hold one score per row of X ({len(X):,})."
            )
    _check_positive_int(n_bootstrap, "n_bootstrap", caller)
    if settings is not None and not (
        isinstance(settings, dict) and all(isinstance(k, str) for k in settings)
    ):
        raise ParameterError.bad_value("settings", caller, "a dict of names to text", settings)
    if features is not None:
        absent = [c for c in features if c not in X.columns]
        if isinstance(features, str) or absent:
            raise ParameterError.bad_value("features", caller, "a list of columns of X", features)
    chosen = facet_of(X, facet, facet_values, facet_threshold, caller=caller)
    outcomes = outcomes_of(X, y_true, None, positive_label, caller=caller)
    positives = list(positive_label) if is_sequence(positive_label) else [positive_label]
    if chosen.threshold is not None:
        groups = np.where(chosen.d, chosen.values[0], f"<= {chosen.threshold:.12g}").astype(str)
    else:
        groups, _ = sensitive_groups(facet, len(X), caller=caller, X=X, parameter="facet")
    wanted = metric_names("post") if metrics is None else metrics
    facet_columns = [c for c in chosen.names if c in X.columns]

    preds, scores, notes = {}, {}, []
    for which, model, given in (("before", before, scores_before), ("after", after, scores_after)):
        pred, score, note = _predictions(
            model,
            X,
            features=features,
            facet_columns=facet_columns,
            groups=groups,
            positives=positives,
            scores=given,
            which=which,
        )
        preds[which], scores[which] = pred, score
        if note:
            notes.append(f"{which}: {note}")
    reports = {
        which: bias_report(
            X,
            y_true,
            preds[which],
            facet=facet,
            facet_values=facet_values,
            facet_threshold=facet_threshold,
            positive_label=positive_label,
            metrics=wanted,
            bands=bands,
        )
        for which in ("before", "after")
    }
    y = outcomes.y
    measured = {
        which: _quality(
            y, outcomes_of(X, y_true, preds[which], positive_label, caller=caller).yhat, scores[which]
        )
        for which in ("before", "after")
    }
    quality = tuple(
        QualityChange(
            name,
            measured["before"][name],
            measured["after"][name],
            better,
            "; ".join(notes) if name == "auc" else "",
        )
        for name, better in QUALITY.items()
    )
    return MitigationReport(
        method=str(method),
        settings=dict(settings or {}),
        facet=reports["after"].facet,
        facet_values=reports["after"].facet_values,
        positive_label=reports["after"].positive_label,
        n=len(X),
        before=reports["before"],
        after=reports["after"],
        quality=quality,
        groups=_group_rows(
            y_true, preds["before"], preds["after"], groups, positive_label, n_bootstrap, random_state
        ),
        notes=tuple(notes),
        data_fingerprint=_fingerprint(X),
    )


# --- applying a mitigation -----------------------------------------------------------------------
class Mitigation(NamedTuple):
    """What :func:`mitigate` returns: the mitigated ``model``, the ``baseline`` it is compared
    with (the given model, fitted if it was not), and the ``report``."""

    model: Any
    baseline: Any
    report: MitigationReport


@dataclass(frozen=True)
class _Plan:
    """What :func:`mitigate` checked before any fitting: the columns, groups and options."""

    features: list[str]
    facet_columns: list[str]
    groups: np.ndarray
    options: dict[str, Any]


def _reweigh(model: Any, baseline: Any, X: pd.DataFrame, y: Any, plan: _Plan) -> tuple[Any, dict[str, Any]]:
    from sklearn.base import clone

    weights = reweighing_weights(y, sensitive_features=plan.groups)
    fitted = fit_weighted(clone(model), X[plan.features], y, weights)
    table = reweighing_table(y, sensitive_features=plan.groups).reset_index()
    cells = tuple(
        WeightCell(str(r.group), str(r.label), int(r.count), float(r.expected), float(r.weight))
        for r in table.itertuples(index=False)
    )
    d = plan.options["d_train"]
    positive = outcomes_of(X, y, None, plan.options["positive_label"], caller="mitigate").y

    def dpl(w: np.ndarray) -> float:
        return float(np.average(positive[~d], weights=w[~d]) - np.average(positive[d], weights=w[d]))

    settings = {
        "groups": ", ".join(sorted(set(plan.groups))),
        "weights": f"{len(cells)} cells, {min(c.weight for c in cells):.3g} to {max(c.weight for c in cells):.3g}",
        "fitted on": f"{len(X):,} rows",
    }
    extra = {
        "weights": cells,
        "training_dpl": (dpl(np.ones(len(X))), dpl(weights)),
        "settings": settings,
    }
    return fitted, extra


def _thresholds(
    model: Any, baseline: Any, X: pd.DataFrame, y: Any, plan: _Plan
) -> tuple[Any, dict[str, Any]]:
    o = plan.options
    fair = GroupThresholdClassifier(
        baseline,
        facet=plan.facet_columns if o["by_column"] else None,
        constraints=o["constraints"],
        objective=o["objective"],
        positive_label=o["positive_label"],
        features=plan.features,
        prefit=True,
        random_state=o["random_state"] if o["random_state"] is not None else 0,
    )
    fair.fit(X, y, sensitive_features=None if o["by_column"] else plan.groups)
    settings = {
        "constraints": o["constraints"],
        "objective": o["objective"],
        "groups": ", ".join(fair.groups_),
        "fitted on": f"{len(X):,} rows",
    }
    return fair, {"thresholds": fair.thresholds_, "settings": settings}


METHODS: dict[str, Callable[[Any, Any, pd.DataFrame, Any, _Plan], tuple[Any, dict[str, Any]]]] = {
    "reweighing": _reweigh,
    "threshold_optimizer": _thresholds,
}
"""The mitigations :func:`mitigate` applies, by name."""


def mitigate(
    model: Any,
    X_train: pd.DataFrame,
    y_train: Any,
    X_test: pd.DataFrame,
    y_test: Any,
    *,
    facet: str | list[str],
    method: str = "reweighing",
    constraints: str = "demographic_parity",
    objective: str = "accuracy_score",
    facet_values: Any = None,
    facet_threshold: float | None = None,
    positive_label: Any = 1,
    features: Sequence[str] | None = None,
    metrics: str | Sequence[str] | None = None,
    bands: BiasBands | None = None,
    n_bootstrap: int = 200,
    random_state: int | None = 0,
) -> Mitigation:
    """Mitigate a model's bias on a facet, and measure bias and quality before and after.

    ``"reweighing"`` refits a clone of ``model`` with Kamiran and Calders' weights computed on the
    training rows (groups: every value of the facet, or the two sides of ``facet_threshold``).
    ``"threshold_optimizer"`` keeps the fitted model and chooses one threshold per group on the
    training rows (:class:`GroupThresholdClassifier`); pass a fitted model and a validation split
    as ``X_train``, ``y_train`` so the thresholds are not fitted to the model's own training scores.

    Parameters
    ----------
    model : estimator
        The model to mitigate, fitted or not (then it is fitted on the training rows to be the
        baseline). For reweighing its final ``fit`` must take ``sample_weight``.
    X_train, y_train : DataFrame, array-like
        Rows to fit the mitigation (and an unfitted model) on.
    X_test, y_test : DataFrame, array-like
        Held-out rows to measure before and after on.
    facet : str or list of str
        The column(s) of both frames holding the sensitive feature. It is not a model input
        unless ``features`` lists it.
    method : {"reweighing", "threshold_optimizer"}
        A name of :data:`METHODS`.
    constraints, objective : str
        For ``"threshold_optimizer"``: names of
        :data:`~lifecycle_widgets.core.explain.bias_mitigation_thresholds.CONSTRAINTS` and
        ``OBJECTIVES``.
    facet_values, facet_threshold, positive_label
        Facet *d* and the favourable outcome, as for
        :func:`~lifecycle_widgets.core.explain.bias.bias_report`.
    features : list of str, optional
        The model's input columns. Default: every column but the facet's.
    metrics, bands, n_bootstrap, random_state
        As for :func:`compare_mitigation`; ``random_state`` also seeds the threshold optimizer's
        random choices.

    Returns
    -------
    Mitigation
        ``(model, baseline, report)``.

    Raises
    ------
    UnknownNameError
        An unknown method, constraint or objective; the message lists the names.
    ParameterError, ColumnError
        A facet that is not a column of both frames or that has a single group, a model whose
        fit takes no ``sample_weight`` (reweighing), labels or frames that do not fit together.
        Every check runs before any fitting.
    MissingDependencyError
        ``"threshold_optimizer"`` without Fairlearn (extra ``fairness``).

    Examples
    --------
    >>> import lifecycle_widgets as lw
    >>> from sklearn.linear_model import LogisticRegression
    >>> df = lw.datasets.credit(1200, seed=2).assign(older=lambda d: d.age >= 60)
    >>> cols = ["income", "utilization", "late_payments", "older"]
    >>> train, test = df[cols].fillna(0)[:800], df[cols].fillna(0)[800:]
    >>> m = lw.core.explain.bias_mitigation.mitigate(
    ...     LogisticRegression(max_iter=500), train, df.defaulted[:800], test, df.defaulted[800:],
    ...     facet="older", method="reweighing", metrics=["DPPL", "DI"], n_bootstrap=20)
    >>> m.report.method, [c.group for c in m.report.groups]
    ('reweighing', ['False', 'True'])
    """
    caller = "mitigate"
    if not isinstance(method, str) or method not in METHODS:
        raise UnknownNameError("mitigation method", method, METHODS)
    for name, frame in (("X_train", X_train), ("X_test", X_test)):
        if not isinstance(frame, pd.DataFrame):
            raise ParameterError.bad_value(name, caller, "a pandas DataFrame", type(frame).__name__)
        if len(frame) == 0:
            raise ParameterError(f"The {name!r} parameter of {caller} must have rows. Got an empty frame.")
    if not (
        isinstance(facet, str)
        or (isinstance(facet, list | tuple) and facet and all(isinstance(c, str) for c in facet))
    ):
        raise ParameterError.bad_value(
            "facet", caller, "a column name (or a list of them) of X_train and X_test", facet
        )
    facet_columns = [facet] if isinstance(facet, str) else list(facet)
    for name, frame in (("X_train", X_train), ("X_test", X_test)):
        absent = [c for c in facet_columns if c not in frame.columns]
        if absent:
            raise ParameterError(
                f"The 'facet' parameter of {caller} must name columns of X_train and X_test; "
                f"{name} lacks {absent}. Its columns are {list(frame.columns)[:30]}."
            )
    if features is None:
        features = [c for c in X_train.columns if c not in facet_columns]
    elif isinstance(features, str) or not all(c in X_train.columns and c in X_test.columns for c in features):
        raise ParameterError.bad_value(
            "features", caller, "a list of columns of X_train and X_test", features
        )
    features = list(features)
    if not features:
        raise ParameterError(f"The 'features' parameter of {caller} is empty: X_train holds only the facet.")
    _check_positive_int(n_bootstrap, "n_bootstrap", caller)
    for name, labels, frame in (("y_train", y_train, X_train), ("y_test", y_test, X_test)):
        if isinstance(labels, str) or len(np.asarray(labels, dtype=object)) != len(frame):
            raise ParameterError(
                f"The {name!r} parameter of {caller} must hold one label per row of "
                f"{'X_train' if name == 'y_train' else 'X_test'} ({len(frame):,})."
            )
    d_train = facet_of(X_train, facet, facet_values, facet_threshold, caller=caller)
    facet_of(X_test, facet, facet_values, facet_threshold, caller=caller)
    outcomes_of(X_train, y_train, None, positive_label, caller=caller)
    outcomes_of(X_test, y_test, None, positive_label, caller=caller)
    if d_train.threshold is not None:
        groups = np.where(d_train.d, d_train.values[0], f"<= {d_train.threshold:.12g}").astype(str)
    else:
        groups, _ = sensitive_groups(facet, len(X_train), caller=caller, X=X_train, parameter="facet")
    if method == "reweighing":
        sample_weight_key(model, caller=caller)
    else:
        check_constraints(constraints, objective, caller=caller)
        if is_sequence(positive_label):
            raise ParameterError.bad_value(
                "positive_label", caller, "one label value for per-group thresholds", positive_label
            )
        require_fairlearn("Per-group thresholds (method='threshold_optimizer')")
    plan = _Plan(
        features,
        facet_columns,
        groups,
        {
            "d_train": d_train.d,
            "positive_label": positive_label,
            "constraints": constraints,
            "objective": objective,
            "random_state": random_state,
            "by_column": d_train.threshold is None,
        },
    )

    from sklearn.base import clone
    from sklearn.exceptions import NotFittedError
    from sklearn.utils.validation import check_is_fitted

    try:
        check_is_fitted(model)
        baseline = model
    except (NotFittedError, TypeError):
        baseline = clone(model).fit(X_train[features], y_train)
    mitigated, extra = METHODS[method](model, baseline, X_train, y_train, plan)
    report = compare_mitigation(
        X_test,
        y_test,
        before=baseline,
        after=mitigated,
        facet=facet,
        facet_values=facet_values,
        facet_threshold=facet_threshold,
        positive_label=positive_label,
        features=features,
        method=method,
        settings=extra.pop("settings"),
        metrics=metrics,
        bands=bands,
        n_bootstrap=n_bootstrap,
        random_state=random_state,
    )
    return Mitigation(mitigated, baseline, dataclasses.replace(report, **extra))
