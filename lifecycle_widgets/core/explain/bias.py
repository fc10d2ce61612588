"""Bias metrics as SageMaker Clarify computes them: pre-training (labels) and post-training (predictions).

Every metric compares two groups of rows chosen by a *facet*: facet *d* holds the facet value(s)
of interest (by default the least frequent one), or for a numeric facet the values above a
threshold; facet *a* holds every other row. The facet need not be a model input: a column of
``X`` or values aligned with it. Outcomes are collapsed to favourable or not: ``positive_label``
is the favourable value, or a list of them for a multi-category label.

Each metric is one function in :mod:`~lifecycle_widgets.core.explain.bias_metrics`, declared with
its name, stage, ideal value and band by the registry in
:mod:`~lifecycle_widgets.core.explain.bias_registry`. By default the values agree with smclarify
0.5, the code SageMaker Clarify's jobs run (a test compares them on the same data); where the
documentation pages say otherwise (TE, FT), ``convention="docs"`` follows them, and where
smclarify's number is not the metric's value (a rate over zero rows, an infinite KL, label values
absent from a facet) the metric says so in its ``note``. Results never hold NaN or infinities, so
they serialize to strict JSON.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from lifecycle_widgets.core.explain.bias_inputs import facet_of, group_of, outcomes_of
from lifecycle_widgets.core.explain.bias_metrics import (
    CONVENTIONS,
    ad,
    cddl,
    cddpl,
    check_convention,
    ci,
    dar,
    dcacc,
    dcr,
    di,
    dpl,
    dppl,
    drr,
    flip_test_features,
    ft,
    ge,
    js,
    kl,
    ks,
    lp,
    rd,
    sd,
    te,
    tvd,
)
from lifecycle_widgets.core.explain.bias_registry import (
    POST_TRAINING,
    PRE_TRAINING,
    BiasMetric,
    MetricSpec,
    metric_names,
    metric_spec,
    metric_specs,
)
from lifecycle_widgets.core.result import Result
from lifecycle_widgets.exceptions import ParameterError, UnknownNameError

__all__ = [
    "CONVENTIONS",
    "POST_TRAINING",
    "PRE_TRAINING",
    "BiasBands",
    "BiasMetric",
    "BiasReport",
    "ad",
    "bias_report",
    "cddl",
    "cddpl",
    "ci",
    "dar",
    "dcacc",
    "dcr",
    "di",
    "dpl",
    "dppl",
    "drr",
    "flip_test_features",
    "ft",
    "ge",
    "js",
    "kl",
    "ks",
    "lp",
    "metric_names",
    "metric_spec",
    "rd",
    "sd",
    "te",
    "tvd",
]

_CALLER = "bias_report"


@dataclass(frozen=True)
class BiasBands:
    """When a bias metric passes, warns or fails.

    A ratio (DI) passes inside ``[ratio, 1 / ratio]`` (the four-fifths rule at 0.8); every other
    metric passes when ``|value - ideal| <= difference``. A value outside its band but within
    ``warn_factor`` times it (the squared ratio for DI) warns; beyond that it fails.
    ``overrides`` sets the ``difference`` (or for DI the ``ratio``) of single metrics by name.
    Which metrics are ratios, and each metric's ideal, come from the metric registry.

    Examples
    --------
    >>> BiasBands().judge("DI", 0.59)
    'fail'
    >>> BiasBands(difference=0.05).judge("DPL", 0.07)
    'warn'
    """

    difference: float = 0.1
    ratio: float = 0.8
    warn_factor: float = 2.0
    overrides: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("difference", "ratio", "warn_factor"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                raise ParameterError.bad_value(name, "BiasBands", "a finite number", value)
        if self.difference <= 0 or not 0 < self.ratio < 1 or self.warn_factor < 1:
            raise ParameterError(
                "BiasBands needs difference > 0, 0 < ratio < 1 and warn_factor >= 1. "
                f"Got difference={self.difference!r}, ratio={self.ratio!r}, warn_factor={self.warn_factor!r}."
            )
        for name, value in self.overrides.items():
            spec = metric_spec(name)
            if spec.name != name:
                raise ParameterError(
                    f"The 'overrides' of BiasBands name metrics as registered: {spec.name!r}, not {name!r}."
                )
            if spec.band == "ratio" and not (isinstance(value, int | float) and 0 < value < 1):
                raise ParameterError.bad_value(
                    f"overrides[{name!r}]", "BiasBands", "a ratio between 0 and 1", value
                )
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not math.isfinite(value)
                or value <= 0
            ):
                raise ParameterError.bad_value(
                    f"overrides[{name!r}]", "BiasBands", "a positive finite number", value
                )

    def band(self, name: str) -> str:
        """The passing band of metric ``name``, as text."""
        spec = metric_spec(name)
        if spec.band == "ratio":
            r = self.overrides.get(spec.name, self.ratio)
            return f"{r:.3g} to {1 / r:.3g}"
        return f"|value - {spec.ideal:g}| <= {self.overrides.get(spec.name, self.difference):.3g}"

    def judge(self, name: str, value: float | None) -> str:
        """``"pass"``, ``"warn"``, ``"fail"``, or ``"n/a"`` for an undefined value."""
        spec = metric_spec(name)
        if value is None or not math.isfinite(value):
            return "n/a"
        if spec.band == "ratio":
            r = self.overrides.get(spec.name, self.ratio)
            if value <= 0:
                return "fail"
            worst = min(value, 1 / value)
            return "pass" if worst >= r else "warn" if worst >= r**self.warn_factor else "fail"
        deviation = abs(value - spec.ideal)
        limit = self.overrides.get(spec.name, self.difference)
        return "pass" if deviation <= limit else "warn" if deviation <= limit * self.warn_factor else "fail"


@dataclass(frozen=True)
class BiasReport(Result):
    """Clarify's bias metrics of one facet, before training (labels) and after (predictions).

    ``facet`` names the facet (columns of X, or the name of the values given), ``facet_values``
    the value(s) of facet *d* as text (``"> 40"`` for a threshold split, whose number is
    ``facet_threshold``), ``positive_label`` the favourable value(s) as text. ``convention``
    records whether TE and FT follow smclarify's code or Clarify's documentation pages.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"sex": list("MMMMMMMMFFFF"), "y": [1, 1, 1, 1, 1, 1, 0, 0, 1, 0, 0, 0]})
    >>> report = bias_report(df, "y", facet="sex")
    >>> report.facet_values, report.metric("DPL").value
    (('F',), 0.5)
    """

    kind: ClassVar[str] = "bias_report"

    facet: tuple[str, ...]
    facet_values: tuple[str, ...]
    positive_label: str
    n: int
    n_a: int
    n_d: int
    group: str | None
    metrics: tuple[BiasMetric, ...]
    facet_threshold: float | None = None
    # reports written before the conventions were recorded followed the docs pages
    convention: str = "docs"

    def metric(self, name: str) -> BiasMetric:
        """The metric called ``name`` (case-insensitive; ``DCA`` is an alias of ``DCAcc``)."""
        try:
            key = metric_spec(name).name
        except UnknownNameError:
            key = None
        for m in self.metrics:
            if m.name == key:
                return m
        raise UnknownNameError("bias metric in this report", name, [m.name for m in self.metrics])

    def to_frame(self) -> pd.DataFrame:
        """One row per metric: name, stage, value (NaN when undefined), ideal, status, band,
        description, note."""
        return pd.DataFrame(
            {
                "name": [m.name for m in self.metrics],
                "stage": [m.stage for m in self.metrics],
                "value": [np.nan if m.value is None else m.value for m in self.metrics],
                "ideal": [m.ideal for m in self.metrics],
                "status": [m.status for m in self.metrics],
                "band": [m.band for m in self.metrics],
                "description": [m.description for m in self.metrics],
                "note": [m.note for m in self.metrics],
            }
        )

    def __repr__(self) -> str:
        values = ", ".join(
            f"{m.name} {'n/a' if m.value is None else format(m.value, '.3g')}" for m in self.metrics
        )
        return (
            f"<BiasReport {' & '.join(self.facet)} = {' | '.join(self.facet_values)} "
            f"(n_d {self.n_d:,}, n_a {self.n_a:,}): {values}>"
        )


def _selected(metrics: str | Sequence[str] | None, with_predictions: bool) -> tuple[MetricSpec, ...]:
    if metrics is None:
        return metric_specs("pre") + (metric_specs("post") if with_predictions else ())
    names = [metrics] if isinstance(metrics, str) else metrics
    if not isinstance(names, Sequence) or not names:
        raise ParameterError.bad_value("metrics", _CALLER, "a metric name or a list of metric names", metrics)
    wanted = {metric_spec(n).name for n in names}
    chosen = tuple(s for s in metric_specs() if s.name in wanted)
    post = [s.name for s in chosen if s.stage == POST_TRAINING]
    if post and not with_predictions:
        raise ParameterError(
            f"The 'metrics' parameter of {_CALLER} asks for post-training metrics {post}, which need "
            "y_pred. Pass the predictions, or ask for pre-training metrics only."
        )
    return chosen


def bias_report(
    X: pd.DataFrame,
    y_true: Any,
    y_pred: Any = None,
    *,
    facet: Any,
    facet_values: Any = None,
    facet_threshold: float | None = None,
    positive_label: Any = 1,
    group: Any = None,
    metrics: str | Sequence[str] | None = None,
    convention: str = "smclarify",
    n_neighbors: int | None = None,
    standardize_features: bool = False,
    bands: BiasBands | None = None,
) -> BiasReport:
    """Clarify's pre-training bias metrics, and with ``y_pred`` its post-training ones, for a facet.

    Pre-training: CI, DPL, KL, JS, LP, TVD, KS, CDDL. Post-training: DPPL, DI, DCAcc, DCR, RD, SD,
    DAR, DRR, AD, TE, CDDPL, FT, GE. Each metric's function in
    :mod:`~lifecycle_widgets.core.explain.bias_metrics` documents its formula, the Clarify page and
    the smclarify function it follows.

    Parameters
    ----------
    X : pandas.DataFrame
        The rows. Its columns other than the facet, label and prediction columns are the features
        of the flip test (FT), see :func:`flip_test_features`.
    y_true : array-like or str
        Observed labels, by row position, or the name of a column of ``X``.
    y_pred : array-like or str, optional
        Predicted labels (not scores), like ``y_true``; enables the post-training metrics.
    facet : str, list of str, array-like or DataFrame
        The facet: a column of ``X``; two columns whose combination of values is the facet (an
        intersection, such as sex & age group); or values aligned with ``X`` by row position (a
        Series, array or list, or a frame of one or two columns), like Fairlearn's
        ``sensitive_features``. It need not be a model input.
    facet_values : optional
        The value(s) of the facet that make up facet *d*: one value or a list of values; for two
        columns a pair ``("F", "young")`` or a list of pairs. Default: the least frequent value
        (or combination). Every other row is facet *a*.
    facet_threshold : float, optional
        For a numeric facet: rows whose value is above it form facet *d*, as Clarify splits a
        continuous facet. Not together with ``facet_values``.
    positive_label : value or list of values, default 1
        The favourable outcome in ``y_true`` and ``y_pred``. One value: outcomes must be binary.
        A list: every listed value is favourable and every other value is not, so a
        multi-category label collapses into two outcomes, as Clarify does.
    group : str or array-like, optional
        A column of ``X``, or values aligned with it, to condition the demographic disparities
        (CDDL, CDDPL) on. Without it they are the unconditional disparity DD.
    metrics : str or list of str, optional
        Compute only these metrics (names as registered, case-insensitive). Default: every
        pre-training metric, and with ``y_pred`` every post-training one.
    convention : {"smclarify", "docs"}, default "smclarify"
        ``"smclarify"``: TE and FT as smclarify computes them (Clarify's jobs); ``"docs"``: as
        Clarify's documentation pages write them (see :func:`te`, :func:`ft`).
    n_neighbors : int, optional
        Neighbours in facet *a* per member of facet *d* for the flip test. Default: smclarify's
        rule, 5, or 1 when facet *a* has at most 9 rows.
    standardize_features : bool, default False
        Scale the flip test's numeric features to mean 0 and standard deviation 1. smclarify
        measures distances on the raw values (so a large-valued column dominates).
    bands : BiasBands, optional
        When each metric passes, warns or fails; default ``BiasBands()`` (four-fifths rule for
        DI, ``|value| <= 0.1`` for the others).

    Returns
    -------
    BiasReport

    Raises
    ------
    ColumnError
        A facet, label or group column is missing from ``X`` or has missing values, or the facet
        column has one value.
    ParameterError
        Labels or predictions are not binary for a single ``positive_label``, a positive label
        never occurs, lengths differ, the facet has one group, ``facet_values`` are absent or
        select every row, both ``facet_values`` and ``facet_threshold`` are given, or the threshold
        leaves a group empty. Every check runs before any metric is computed.
    UnknownNameError
        ``metrics`` or ``convention`` names something unknown; the message lists the names.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"sex": list("MMMMMMFFFF"), "y": [1, 1, 1, 0, 1, 0, 1, 0, 0, 0],
    ...                    "pred": [1, 1, 1, 1, 1, 0, 0, 0, 0, 1]})
    >>> r = bias_report(df, "y", "pred", facet="sex", facet_values="F")
    >>> r.metric("CI").value, r.metric("DPPL").value
    (0.2, 0.5833333333333334)

    A facet that is not a column of ``X``, split by a threshold, and a label with two favourable
    values out of three:

    >>> X = pd.DataFrame({"income": [20, 35, 50, 65, 80, 95]})
    >>> age = pd.Series([23, 31, 45, 52, 61, 70], name="age")
    >>> grade = ["low", "mid", "high", "low", "high", "low"]
    >>> r = bias_report(X, grade, facet=age, facet_threshold=50, positive_label=["mid", "high"])
    >>> r.facet, r.facet_values, r.positive_label, round(r.metric("DPL").value, 6)  # 2/3 - 1/3
    (('age',), ('> 50',), 'mid, high', 0.333333)
    """
    if not isinstance(X, pd.DataFrame):
        raise ParameterError.bad_value("X", _CALLER, "a pandas DataFrame", type(X).__name__)
    if len(X) == 0:
        raise ParameterError("The 'X' parameter of bias_report must have rows. Got an empty frame.")
    if n_neighbors is not None and (
        isinstance(n_neighbors, bool) or not isinstance(n_neighbors, int | np.integer) or n_neighbors < 1
    ):
        raise ParameterError.bad_value("n_neighbors", _CALLER, "a positive integer", n_neighbors)
    if bands is None:
        bands = BiasBands()
    elif not isinstance(bands, BiasBands):
        raise ParameterError.bad_value("bands", _CALLER, "a BiasBands", type(bands).__name__)
    if not isinstance(standardize_features, bool):
        raise ParameterError.bad_value("standardize_features", _CALLER, "True or False", standardize_features)
    check_convention(convention)
    specs = _selected(metrics, y_pred is not None)
    chosen = facet_of(X, facet, facet_values, facet_threshold, caller=_CALLER)
    outcomes = outcomes_of(X, y_true, y_pred, positive_label, caller=_CALLER)
    groups, group_name = group_of(X, group, caller=_CALLER)

    inputs: dict[str, Any] = {"d": chosen.d, "y": outcomes.y, "yhat": outcomes.yhat, "group": groups}
    if any("features" in s.inputs for s in specs):
        exclude = set(chosen.columns) | set(outcomes.columns)
        inputs["features"] = flip_test_features(
            X[[c for c in X.columns if c not in exclude]], standardize=standardize_features
        )
    options = {"convention": convention, "n_neighbors": n_neighbors}
    computed = [
        s.function(*(inputs[p] for p in s.inputs), **{o: options[o] for o in s.options if o in options})
        for s in specs
    ]
    return BiasReport(
        facet=chosen.names,
        facet_values=chosen.values,
        positive_label=outcomes.positive,
        n=len(X),
        n_a=int((~chosen.d).sum()),
        n_d=int(chosen.d.sum()),
        group=group_name,
        metrics=tuple(
            replace(m, status=bands.judge(m.name, m.value), band=bands.band(m.name)) for m in computed
        ),
        facet_threshold=chosen.threshold,
        convention=convention,
    )
