"""Bias metrics as SageMaker Clarify defines them: pre-training (labels) and post-training (predictions).

Every metric compares two groups of rows chosen by a *facet*: facet *d* holds the facet value(s)
of interest (by default the least frequent one), facet *a* holds every other row. Outcomes are
binary: ``positive_label`` is the favourable outcome, the other value the unfavourable one.
Signs follow Clarify's documentation (the ``clarify-data-bias-metric-*`` and
``clarify-post-training-bias-metric-*`` pages of the SageMaker developer guide): for the
differences, a positive value is a disadvantage of facet *d*, except where a metric's docstring
says otherwise (DCR, DRR).

Where the documented formula and Clarify's open-source implementation (``smclarify``,
``src/smclarify/bias/metrics/{pretraining,posttraining,common}.py``) disagree, the documentation
wins and the docstring says what smclarify does instead (TE, FT, and the zero-probability
handling of KL/LP/TVD/KS). A metric whose formula divides by zero is ``None`` with a ``note``
saying why; results never hold NaN or infinities, so they serialize to strict JSON.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from lifecycle_widgets.core.result import Result
from lifecycle_widgets.exceptions import ColumnError, ParameterError, UnknownNameError

__all__ = [
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
    "rd",
    "te",
    "tvd",
]

PRE_TRAINING = "pre_training"
POST_TRAINING = "post_training"
_CALLER = "bias_report"

# name -> (stage, description, ideal value)
_INFO: dict[str, tuple[str, str, float]] = {
    "CI": (PRE_TRAINING, "Class imbalance: (n_a - n_d) / (n_a + n_d)", 0.0),
    "DPL": (PRE_TRAINING, "Difference in proportions of labels: q_a - q_d (positive label rates)", 0.0),
    "KL": (PRE_TRAINING, "Kullback-Leibler divergence of the label distributions, KL(P_a || P_d)", 0.0),
    "JS": (PRE_TRAINING, "Jensen-Shannon divergence of the label distributions of a and d", 0.0),
    "LP": (PRE_TRAINING, "L2 norm of the difference of the label distributions of a and d", 0.0),
    "TVD": (PRE_TRAINING, "Total variation distance: half the L1 norm of P_a - P_d", 0.0),
    "KS": (PRE_TRAINING, "Kolmogorov-Smirnov: the largest |P_a(y) - P_d(y)| over label values", 0.0),
    "CDDL": (
        PRE_TRAINING,
        "Conditional demographic disparity in labels: d's share of rejections minus its share "
        "of acceptances, averaged over the groups weighted by size",
        0.0,
    ),
    "DPPL": (POST_TRAINING, "Difference in positive proportions in predicted labels: q'_a - q'_d", 0.0),
    "DI": (POST_TRAINING, "Disparate impact: q'_d / q'_a (predicted positive rates)", 1.0),
    "DCAcc": (
        POST_TRAINING,
        "Difference in conditional acceptance: n_a(1)/n'_a(1) - n_d(1)/n'_d(1) (observed over predicted acceptances)",
        0.0,
    ),
    "DCR": (
        POST_TRAINING,
        "Difference in conditional rejection: n_d(0)/n'_d(0) - n_a(0)/n'_a(0) (observed over predicted rejections)",
        0.0,
    ),
    "RD": (POST_TRAINING, "Recall difference: TP/(TP + FN) of a minus that of d", 0.0),
    "DAR": (
        POST_TRAINING,
        "Difference in acceptance rates (precision): TP/(TP + FP) of a minus that of d",
        0.0,
    ),
    "DRR": (POST_TRAINING, "Difference in rejection rates: TN/(TN + FN) of d minus that of a", 0.0),
    "AD": (POST_TRAINING, "Accuracy difference: accuracy of a minus accuracy of d", 0.0),
    "TE": (POST_TRAINING, "Treatment equality: FP/FN of a minus FP/FN of d", 0.0),
    "CDDPL": (
        POST_TRAINING,
        "Conditional demographic disparity in predicted labels: CDDL computed on the predictions",
        0.0,
    ),
    "FT": (
        POST_TRAINING,
        "Counterfactual flip test: (F+ - F-) / n_d, comparing each member of d with its nearest neighbours in a",
        0.0,
    ),
    "GE": (POST_TRAINING, "Generalized entropy index (alpha = 2) of the benefits b = y' - y + 1", 0.0),
}
_ALIASES = {"DCA": "DCAcc"}


@dataclass(frozen=True)
class BiasMetric:
    """One bias metric: its value, or ``None`` with a ``note`` when it is undefined.

    ``ideal`` is the value of no bias: 0 for differences and divergences, 1 for DI. ``status`` is
    the judgement against the report's :class:`BiasBands`: ``"pass"``, ``"warn"``, ``"fail"``, or
    ``"n/a"`` when the value is undefined; ``band`` states the band that passes.
    """

    name: str
    stage: str
    value: float | None
    description: str
    ideal: float
    note: str = ""
    status: str = "n/a"
    band: str = ""


@dataclass(frozen=True)
class BiasBands:
    """When a bias metric passes, warns or fails.

    A ratio (DI) passes inside ``[ratio, 1 / ratio]`` (the four-fifths rule at 0.8); every other
    metric passes when ``|value - ideal| <= difference``. A value outside its band but within
    ``warn_factor`` times it (the squared ratio for DI) warns; beyond that it fails.
    ``overrides`` sets the ``difference`` (or for DI the ``ratio``) of single metrics by name.

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
            if name not in _INFO:
                raise UnknownNameError("bias metric", name, list(_INFO))
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
        if name in _RATIOS:
            r = self.overrides.get(name, self.ratio)
            return f"{r:.3g} to {1 / r:.3g}"
        ideal = _INFO[name][2]
        return f"|value - {ideal:g}| <= {self.overrides.get(name, self.difference):.3g}"

    def judge(self, name: str, value: float | None) -> str:
        """``"pass"``, ``"warn"``, ``"fail"``, or ``"n/a"`` for an undefined value."""
        if value is None or not math.isfinite(value):
            return "n/a"
        if name in _RATIOS:
            r = self.overrides.get(name, self.ratio)
            if value <= 0:
                return "fail"
            worst = min(value, 1 / value)
            return "pass" if worst >= r else "warn" if worst >= r**self.warn_factor else "fail"
        deviation = abs(value - _INFO[name][2])
        limit = self.overrides.get(name, self.difference)
        return "pass" if deviation <= limit else "warn" if deviation <= limit * self.warn_factor else "fail"


_RATIOS = frozenset({"DI"})


@dataclass(frozen=True)
class BiasReport(Result):
    """Clarify's bias metrics of one facet, before training (labels) and after (predictions).

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

    def metric(self, name: str) -> BiasMetric:
        """The metric called ``name`` (case-insensitive; ``DCA`` is an alias of ``DCAcc``)."""
        key = _ALIASES.get(name.upper(), name).upper()
        for m in self.metrics:
            if m.name.upper() == key:
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


# --- helpers --------------------------------------------------------------------------------------
def _metric(name: str, value: float | None, note: str = "") -> BiasMetric:
    stage, description, ideal = _INFO[name]
    if value is not None and not math.isfinite(value):  # never expected; keeps JSON strict
        value, note = None, note or "the value is not finite"
    return BiasMetric(name, stage, None if value is None else float(value), description, ideal, note)


def _bool(name: str, values: Any) -> np.ndarray:
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise ParameterError(
            f"The {name!r} parameter must be 1-D. Got an array of shape {arr.shape} instead."
        )
    if arr.dtype != bool:
        uniques = set(pd.unique(arr).tolist())
        if not uniques <= {0, 1}:
            raise ParameterError(
                f"The {name!r} parameter must be booleans (or 0/1). Got values {sorted(map(str, uniques))[:10]}."
            )
        arr = arr.astype(bool)
    return arr


def _same_length(**arrays: np.ndarray) -> None:
    lengths = {k: len(v) for k, v in arrays.items()}
    if len(set(lengths.values())) > 1:
        raise ParameterError(f"The arrays must have the same length. Got lengths {lengths}.")


def _facet_arrays(d: Any, *others: tuple[str, Any]) -> tuple[np.ndarray, ...]:
    """Booleans for facet ``d`` and the outcomes, checked to be aligned and ``d`` two-sided."""
    arrays = {"d": _bool("d", d), **{k: _bool(k, v) for k, v in others}}
    _same_length(**arrays)
    dd = arrays["d"]
    if dd.all() or not dd.any():
        raise ParameterError(
            "The 'd' parameter must mark some rows as facet d and leave others in facet a. "
            f"Got {int(dd.sum())} of {len(dd)} rows in d instead."
        )
    return tuple(arrays.values())


def _ratio(num: float, den: float) -> float | None:
    return None if den == 0 else num / den


def _undefined(why: str) -> str:
    return f"undefined: {why}"


def _label_distributions(d: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    qa, qd = y[~d].mean(), y[d].mean()
    return np.array([1.0 - qa, qa]), np.array([1.0 - qd, qd])


def _confusion(d: np.ndarray, y: np.ndarray, yhat: np.ndarray, facet: bool) -> dict[str, int]:
    m = d if facet else ~d
    return {
        "TP": int((m & y & yhat).sum()),
        "FP": int((m & ~y & yhat).sum()),
        "FN": int((m & y & ~yhat).sum()),
        "TN": int((m & ~y & ~yhat).sum()),
    }


def _rate_gap(
    name: str, d: Any, y: Any, yhat: Any, num: str, den: str, missing: str, *, d_minus_a: bool = False
) -> BiasMetric:
    """``rate_a - rate_d`` (``rate_d - rate_a`` with ``d_minus_a``), each facet's rate the sum of
    the confusion counts named in ``num`` over those in ``den`` (e.g. ``"TP"`` over ``"TP FN"``);
    undefined, with the facet named, when a denominator is 0 (``missing``: what the facet lacks)."""
    dd, yy, pp = _facet_arrays(d, ("y", y), ("yhat", yhat))
    rates = []
    for facet in (False, True):
        counts = _confusion(dd, yy, pp, facet)
        rates.append(_ratio(sum(counts[k] for k in num.split()), sum(counts[k] for k in den.split())))
    ra, rd_ = rates
    if ra is None or rd_ is None:
        return _metric(name, None, _undefined(f"facet {'a' if ra is None else 'd'} has {missing}"))
    return _metric(name, rd_ - ra if d_minus_a else ra - rd_)


# --- pre-training metrics -------------------------------------------------------------------------
def ci(d: Any) -> BiasMetric:
    """Class Imbalance (CI): ``(n_a - n_d) / (n_a + n_d)``.

    Clarify doc: *Class Imbalance (CI)* (``clarify-bias-metric-class-imbalance``); smclarify
    ``pretraining.CI``. Positive when facet *d* has fewer rows than facet *a*; range [-1, 1].

    Parameters
    ----------
    d : array-like of bool
        True for the rows of facet *d*, False for facet *a*.

    Examples
    --------
    >>> ci([True, False, False, False]).value
    0.5
    """
    (dd,) = _facet_arrays(d)
    n_d, n_a = int(dd.sum()), int((~dd).sum())
    return _metric("CI", (n_a - n_d) / (n_a + n_d))


def dpl(d: Any, y: Any) -> BiasMetric:
    """Difference in Proportions of Labels (DPL): ``q_a - q_d``.

    Clarify doc: *Difference in Proportions of Labels (DPL)*
    (``clarify-data-bias-metric-true-label-imbalance``); smclarify ``common.DPL``. ``q_x`` is the
    share of positive labels in facet *x*; positive values mean facet *a* gets more positives.

    Examples
    --------
    >>> dpl([False, False, True, True], [1, 1, 1, 0]).value
    0.5
    """
    dd, yy = _facet_arrays(d, ("y", y))
    return _metric("DPL", yy[~dd].mean() - yy[dd].mean())


def kl(d: Any, y: Any) -> BiasMetric:
    """Kullback-Leibler divergence (KL): ``sum_y P_a(y) ln(P_a(y) / P_d(y))``, in nats.

    Clarify doc: *Kullback-Leibler divergence (KL)* (``clarify-data-bias-metric-kl-divergence``).
    ``P_a`` and ``P_d`` are the distributions of the (binary) labels in each facet; terms with
    ``P_a(y) = 0`` contribute 0. When ``P_d(y) = 0 < P_a(y)`` the divergence is infinite and the
    metric is ``None``; smclarify instead drops such label values from both distributions
    (``pdfs_aligned_nonzero``) and reports the divergence of what is left.

    Examples
    --------
    >>> round(kl([False, False, True, True], [1, 0, 1, 0]).value, 12)
    0.0
    """
    dd, yy = _facet_arrays(d, ("y", y))
    pa, pd_ = _label_distributions(dd, yy)
    if ((pa > 0) & (pd_ == 0)).any():
        return _metric(
            "KL", None, _undefined("a label value occurs in facet a but never in facet d (infinite)")
        )
    keep = pa > 0
    return _metric("KL", float(np.sum(pa[keep] * np.log(pa[keep] / pd_[keep]))))


def js(d: Any, y: Any) -> BiasMetric:
    """Jensen-Shannon divergence (JS): ``(KL(P_a || P) + KL(P_d || P)) / 2`` with ``P = (P_a + P_d) / 2``.

    Clarify doc: *Jensen-Shannon Divergence (JS)*
    (``clarify-data-bias-metric-jensen-shannon-divergence``). Natural logarithms, so the range is
    [0, ln 2]; terms with zero probability contribute 0, so JS is always defined.

    Examples
    --------
    >>> round(js([False, True], [1, 0]).value, 6)  # disjoint label distributions: ln 2
    0.693147
    """
    dd, yy = _facet_arrays(d, ("y", y))
    pa, pd_ = _label_distributions(dd, yy)
    p = (pa + pd_) / 2

    def part(q: np.ndarray) -> float:
        keep = q > 0
        return float(np.sum(q[keep] * np.log(q[keep] / p[keep])))

    return _metric("JS", 0.5 * (part(pa) + part(pd_)))


def lp(d: Any, y: Any) -> BiasMetric:
    """Lp-norm (LP) with p = 2: ``sqrt(sum_y (P_a(y) - P_d(y))^2)``.

    Clarify doc: *Lp-norm (LP)* (``clarify-data-bias-metric-lp-norm``); Clarify reports the
    2-norm. The sum runs over both label values, so for binary labels LP = sqrt(2)·|q_a - q_d|;
    smclarify drops label values absent from either facet before taking the norm.

    Examples
    --------
    >>> round(lp([False, False, True, True], [1, 1, 1, 0]).value, 6)  # sqrt(2) * 0.5
    0.707107
    """
    dd, yy = _facet_arrays(d, ("y", y))
    pa, pd_ = _label_distributions(dd, yy)
    return _metric("LP", float(np.linalg.norm(pa - pd_, 2)))


def tvd(d: Any, y: Any) -> BiasMetric:
    """Total Variation Distance (TVD): ``sum_y |P_a(y) - P_d(y)| / 2``.

    Clarify doc: *Total Variation Distance (TVD)*
    (``clarify-data-bias-metric-total-variation-distance``). For binary labels TVD = |q_a - q_d|.

    Examples
    --------
    >>> tvd([False, False, True, True], [1, 1, 1, 0]).value
    0.5
    """
    dd, yy = _facet_arrays(d, ("y", y))
    pa, pd_ = _label_distributions(dd, yy)
    return _metric("TVD", 0.5 * float(np.abs(pa - pd_).sum()))


def ks(d: Any, y: Any) -> BiasMetric:
    """Kolmogorov-Smirnov (KS): ``max_y |P_a(y) - P_d(y)|``.

    Clarify doc: *Kolmogorov-Smirnov (KS)* (``clarify-data-bias-metric-kolmogorov-smirnov``).
    For binary labels KS = |q_a - q_d|.

    Examples
    --------
    >>> ks([False, False, True, True], [1, 1, 1, 0]).value
    0.5
    """
    dd, yy = _facet_arrays(d, ("y", y))
    pa, pd_ = _label_distributions(dd, yy)
    return _metric("KS", float(np.abs(pa - pd_).max()))


def _cdd(name: str, d: np.ndarray, outcome: np.ndarray, group: Any, what: str) -> BiasMetric:
    """Conditional demographic disparity of ``outcome`` (labels or predictions) over ``group``."""
    if not outcome.any() or outcome.all():
        missing = "positive" if not outcome.any() else "negative"
        return _metric(name, None, _undefined(f"there are no {missing} {what}, so a share of them is 0/0"))
    if group is None:
        groups, labels = np.zeros(len(d), dtype=int), ["(all rows)"]
        notes = ["no group given: the unconditional demographic disparity DD"]
    else:
        groups, labels = pd.factorize(pd.Series(np.asarray(group, dtype=object)))
        notes = []
    total, skipped = 0.0, []
    for code, label in enumerate(labels):
        g = groups == code
        n_rej, n_acc = int((g & ~outcome).sum()), int((g & outcome).sum())
        # smclarify (common.CDD) takes a share with a zero denominator as 0
        rejected_share = (g & ~outcome & d).sum() / n_rej if n_rej else 0.0
        accepted_share = (g & outcome & d).sum() / n_acc if n_acc else 0.0
        if not (n_rej and n_acc):
            skipped.append(str(label))
        total += g.sum() * (rejected_share - accepted_share)
    if skipped:
        notes.append(
            f"groups with only one outcome ({', '.join(skipped[:10])}) count the missing share as 0, as Clarify does"
        )
    return _metric(name, total / len(d), "; ".join(notes))


def cddl(d: Any, y: Any, group: Any = None) -> BiasMetric:
    """Conditional Demographic Disparity in Labels (CDDL): ``(1/n) sum_i n_i DD_i``.

    Clarify doc: *Conditional Demographic Disparity (CDD)* (``clarify-data-bias-metric-cddl``);
    smclarify ``common.CDD``. In group *i*, ``DD_i = n_d(0)/n(0) - n_d(1)/n(1)``: facet *d*'s share
    of the rejected rows minus its share of the accepted rows. Without ``group`` it is the
    unconditional DD. As in smclarify, a share whose group has no rejections (or no acceptances)
    counts as 0; the note lists such groups.

    Parameters
    ----------
    d, y : array-like of bool
        Facet *d* membership and positive labels.
    group : array-like, optional
        The stratifying attribute, one value per row.

    Examples
    --------
    >>> cddl([True, True, False, False], [0, 1, 1, 1]).value  # 1/1 - 1/3
    0.6666666666666667
    """
    dd, yy = _facet_arrays(d, ("y", y))
    if group is not None and len(group) != len(dd):
        raise ParameterError(
            f"The 'group' parameter must have one value per row ({len(dd)}). Got {len(group)}."
        )
    return _cdd("CDDL", dd, yy, group, "labels")


# --- post-training metrics ------------------------------------------------------------------------
def dppl(d: Any, yhat: Any) -> BiasMetric:
    """Difference in Positive Proportions in Predicted Labels (DPPL): ``q'_a - q'_d``.

    Clarify doc: *Difference in Positive Proportions in Predicted Labels (DPPL)*
    (``clarify-post-training-bias-metric-dppl``); smclarify ``posttraining.DPPL``.

    Examples
    --------
    >>> dppl([False, False, True, True], [1, 1, 0, 1]).value
    0.5
    """
    dd, pp = _facet_arrays(d, ("yhat", yhat))
    return _metric("DPPL", pp[~dd].mean() - pp[dd].mean())


def di(d: Any, yhat: Any) -> BiasMetric:
    """Disparate Impact (DI): ``q'_d / q'_a``, the ratio of predicted positive rates.

    Clarify doc: *Disparate Impact (DI)* (``clarify-post-training-bias-metric-di``); smclarify
    ``posttraining.DI``. 1 is parity, below 1 favours facet *a*. ``None`` when facet *a* has no
    predicted positives (smclarify reports infinity, or 0 when both rates are 0).

    Examples
    --------
    >>> di([False, False, True, True], [1, 1, 0, 1]).value
    0.5
    """
    dd, pp = _facet_arrays(d, ("yhat", yhat))
    value = _ratio(pp[dd].mean(), pp[~dd].mean())
    return _metric("DI", value, "" if value is not None else _undefined("facet a has no predicted positives"))


def dcacc(d: Any, y: Any, yhat: Any) -> BiasMetric:
    """Difference in Conditional Acceptance (DCAcc): ``n_a(1)/n'_a(1) - n_d(1)/n'_d(1)``.

    Clarify doc: *Difference in Conditional Acceptance (DCAcc)*
    (``clarify-post-training-bias-metric-dca``); smclarify ``posttraining.DCA`` (``common.DCO``).
    Observed acceptances over predicted acceptances, facet *a* minus facet *d*.

    Examples
    --------
    >>> dcacc([False, False, True, True], [1, 1, 1, 0], [1, 0, 1, 1]).value  # 2/1 - 1/2
    1.5
    """
    return _rate_gap("DCAcc", d, y, yhat, "TP FN", "TP FP", "no predicted positives")


def dcr(d: Any, y: Any, yhat: Any) -> BiasMetric:
    """Difference in Conditional Rejection (DCR): ``n_d(0)/n'_d(0) - n_a(0)/n'_a(0)``.

    Clarify doc: *Difference in Conditional Rejection (DCR)*
    (``clarify-post-training-bias-metric-dcr``); smclarify ``posttraining.DCR``. Observed
    rejections over predicted rejections, facet *d* minus facet *a*: positive values mean facet *d*
    is rejected less than its labels suggest, relative to facet *a*.

    Examples
    --------
    >>> dcr([False, False, True, True], [0, 0, 0, 1], [0, 1, 0, 0]).value  # 1/2 - 2/1
    -1.5
    """
    return _rate_gap("DCR", d, y, yhat, "TN FP", "TN FN", "no predicted negatives", d_minus_a=True)


def rd(d: Any, y: Any, yhat: Any) -> BiasMetric:
    """Recall Difference (RD): ``TP_a/(TP_a + FN_a) - TP_d/(TP_d + FN_d)``.

    Clarify doc: *Recall Difference (RD)* (``clarify-post-training-bias-metric-rd``); smclarify
    ``posttraining.RD`` (``common.DLA``).

    Examples
    --------
    >>> rd([False, False, True, True], [1, 1, 1, 1], [1, 1, 1, 0]).value
    0.5
    """
    return _rate_gap("RD", d, y, yhat, "TP", "TP FN", "no positive labels")


def dar(d: Any, y: Any, yhat: Any) -> BiasMetric:
    """Difference in Acceptance Rates (DAR): ``TP_a/(TP_a + FP_a) - TP_d/(TP_d + FP_d)``.

    Clarify doc: *Difference in Acceptance Rates (DAR)* (``clarify-post-training-bias-metric-dar``);
    smclarify ``posttraining.DAR`` (``common.DLR``). The difference in precision.

    Examples
    --------
    >>> dar([False, False, True, True], [1, 1, 1, 0], [1, 1, 1, 1]).value
    0.5
    """
    return _rate_gap("DAR", d, y, yhat, "TP", "TP FP", "no predicted positives")


def drr(d: Any, y: Any, yhat: Any) -> BiasMetric:
    """Difference in Rejection Rates (DRR): ``TN_d/(TN_d + FN_d) - TN_a/(TN_a + FN_a)``.

    Clarify doc: *Difference in Rejection Rates (DRR)* (``clarify-post-training-bias-metric-drr``);
    smclarify ``posttraining.DRR`` (``common.DLR``). Note the order: facet *d* minus facet *a*.

    Examples
    --------
    >>> drr([False, False, True, True], [0, 1, 0, 0], [0, 0, 0, 0]).value
    0.5
    """
    return _rate_gap("DRR", d, y, yhat, "TN", "TN FN", "no predicted negatives", d_minus_a=True)


def ad(d: Any, y: Any, yhat: Any) -> BiasMetric:
    """Accuracy Difference (AD): ``ACC_a - ACC_d``.

    Clarify doc: *Accuracy Difference (AD)* (``clarify-post-training-bias-metric-ad``); smclarify
    ``posttraining.AD``.

    Examples
    --------
    >>> ad([False, False, True, True], [1, 0, 1, 0], [1, 0, 1, 1]).value
    0.5
    """
    dd, yy, pp = _facet_arrays(d, ("y", y), ("yhat", yhat))
    correct = yy == pp
    return _metric("AD", correct[~dd].mean() - correct[dd].mean())


def te(d: Any, y: Any, yhat: Any) -> BiasMetric:
    """Treatment Equality (TE): ``FP_a/FN_a - FP_d/FN_d``.

    Clarify doc: *Treatment Equality (TE)* (``clarify-post-training-bias-metric-te``). ``None``
    when a facet has no false negatives. smclarify's ``posttraining.TE`` computes the inverted
    ratios in the other order, ``FN_d/FP_d - FN_a/FP_a``; this follows the documentation.

    Examples
    --------
    >>> # a: 2 FP, 1 FN; d: 1 FP, 1 FN
    >>> te([False] * 3 + [True] * 2, [0, 0, 1, 0, 1], [1, 1, 0, 1, 0]).value
    1.0
    """
    return _rate_gap("TE", d, y, yhat, "FP", "FN", "no false negatives")


def cddpl(d: Any, yhat: Any, group: Any = None) -> BiasMetric:
    """Conditional Demographic Disparity in Predicted Labels (CDDPL).

    Clarify doc: *Conditional Demographic Disparity in Predicted Labels (CDDPL)*
    (``clarify-post-training-bias-metric-cddpl``); smclarify ``posttraining.CDDPL``. The same
    formula as :func:`cddl`, on the predicted labels.

    Examples
    --------
    >>> cddpl([True, True, False, False], [0, 1, 1, 1]).value
    0.6666666666666667
    """
    dd, pp = _facet_arrays(d, ("yhat", yhat))
    if group is not None and len(group) != len(dd):
        raise ParameterError(
            f"The 'group' parameter must have one value per row ({len(dd)}). Got {len(group)}."
        )
    return _cdd("CDDPL", dd, pp, group, "predicted labels")


def flip_test_features(X: pd.DataFrame) -> np.ndarray:
    """The feature matrix the flip test measures distances in.

    Numeric and boolean columns are standardized (mean 0, standard deviation 1 over all rows;
    a constant column becomes 0; missing values become 0, the mean). Datetimes count as numbers.
    Every other column is one-hot encoded, one 0/1 column per category, missing values being a
    category of their own.

    Examples
    --------
    >>> import pandas as pd
    >>> flip_test_features(pd.DataFrame({"x": [1.0, 3.0], "c": ["u", "v"]})).tolist()
    [[-1.0, 1.0, 0.0], [1.0, 0.0, 1.0]]
    """
    blocks: list[np.ndarray] = []
    for name in X.columns:
        col = X[name]
        if pd.api.types.is_datetime64_any_dtype(col):
            values = ((col - col.min()) / pd.Timedelta(seconds=1)).to_numpy(dtype=float, na_value=np.nan)
        elif pd.api.types.is_timedelta64_dtype(col):
            values = (col / pd.Timedelta(seconds=1)).to_numpy(dtype=float, na_value=np.nan)
        elif pd.api.types.is_bool_dtype(col) or pd.api.types.is_numeric_dtype(col):
            values = col.astype("Float64").to_numpy(dtype=float, na_value=np.nan)
        else:
            codes, _ = pd.factorize(col.astype(object), use_na_sentinel=False)
            blocks.append(np.eye(codes.max() + 1)[codes])
            continue
        values = np.where(np.isfinite(values), values, np.nan)
        if np.isnan(values).all():
            continue
        mean, std = np.nanmean(values), np.nanstd(values)
        scaled = (values - mean) / std if std > 0 else np.zeros_like(values)
        blocks.append(np.nan_to_num(scaled, nan=0.0)[:, None])
    return np.hstack(blocks) if blocks else np.empty((len(X), 0))


def ft(d: Any, yhat: Any, features: Any, *, n_neighbors: int = 5) -> BiasMetric:
    """Counterfactual Fliptest (FT): ``(F+ - F-) / n_d``.

    Clarify doc: *Counterfactual Fliptest (FT)* (``clarify-post-training-bias-metric-ft``). For each
    member of facet *d*, its ``k = min(n_neighbors, n_a)`` nearest neighbours in facet *a*
    (Euclidean distance in ``features``, found with scikit-learn's ``NearestNeighbors``) vote with
    their predicted labels; the majority is the outcome "had it been in facet *a*", and a tie is no
    flip. ``F+`` counts members of *d* predicted negative whose neighbours are predicted positive,
    ``F-`` the reverse. Positive values mean facet *d* is treated worse than similar members of *a*.

    smclarify's ``posttraining.FT`` fits a 5-NN classifier (1-NN when facet *a* has at most 9 rows)
    and returns the opposite sign, ``(#[d positive, neighbours negative] - #[d negative, neighbours
    positive]) / n_d``; this follows the documentation's sign.

    Parameters
    ----------
    d, yhat : array-like of bool
        Facet *d* membership and positive predictions.
    features : array-like of shape (n_rows, n_features)
        Numeric features, already scaled (see :func:`flip_test_features`).
    n_neighbors : int
        Neighbours per member of facet *d*.

    Examples
    --------
    >>> ft([False, False, True, True], [1, 0, 0, 0], [[0.0], [5.0], [0.1], [5.1]], n_neighbors=1).value
    0.5
    """
    from sklearn.neighbors import NearestNeighbors

    dd, pp = _facet_arrays(d, ("yhat", yhat))
    F = np.asarray(features, dtype=float)
    if F.ndim != 2 or len(F) != len(dd):
        raise ParameterError(
            f"The 'features' parameter must be a matrix with one row per row of d ({len(dd)}). "
            f"Got shape {F.shape} instead."
        )
    if not np.isfinite(F).all():
        raise ParameterError("The 'features' parameter must hold finite numbers. Got NaN or infinite values.")
    if isinstance(n_neighbors, bool) or not isinstance(n_neighbors, int | np.integer) or n_neighbors < 1:
        raise ParameterError.bad_value("n_neighbors", "ft", "a positive integer", n_neighbors)
    if F.shape[1] == 0:
        return _metric("FT", None, _undefined("there are no features to find neighbours with"))
    k = min(int(n_neighbors), int((~dd).sum()))
    nn = NearestNeighbors(n_neighbors=k).fit(F[~dd])
    neighbours = nn.kneighbors(F[dd], return_distance=False)
    votes = pp[~dd][neighbours].mean(axis=1)
    mine = pp[dd]
    f_plus = int((~mine & (votes > 0.5)).sum())
    f_minus = int((mine & (votes < 0.5)).sum())
    note = f"k = {k} nearest neighbours in facet a; F+ = {f_plus}, F- = {f_minus}"
    return _metric("FT", (f_plus - f_minus) / int(dd.sum()), note)


def ge(y: Any, yhat: Any, *, alpha: float = 2.0) -> BiasMetric:
    """Generalized Entropy (GE) index of the benefits ``b = y' - y + 1``, with ``alpha = 2``.

    Clarify doc: *Generalized entropy (GE)* (``clarify-post-training-bias-metric-ge``); smclarify
    ``posttraining.GE`` / ``common.GE``:
    ``GE = 1 / (n alpha (alpha - 1)) * sum_i ((b_i / mean(b))^alpha - 1)``. It does not depend on
    the facet. ``None`` when every prediction is a false negative (mean benefit 0).

    Examples
    --------
    >>> round(ge([1, 0], [1, 1]).value, 6)  # benefits 1 and 2, mean 1.5: (4/9 + 16/9 - 2) / 4
    0.055556
    """
    yy, pp = _bool("y", y), _bool("yhat", yhat)
    _same_length(y=yy, yhat=pp)
    if alpha in (0, 1):
        raise ParameterError.bad_value("alpha", "ge", "a number other than 0 and 1", alpha)
    if len(yy) == 0:
        raise ParameterError("The 'y' parameter must not be empty.")
    benefit = pp.astype(float) - yy.astype(float) + 1.0
    mean = benefit.mean()
    if mean == 0:
        return _metric("GE", None, _undefined("every prediction is a false negative (mean benefit 0)"))
    value = float(((benefit / mean) ** alpha - 1).sum() / (len(benefit) * alpha * (alpha - 1)))
    return _metric("GE", value)


# --- the report -----------------------------------------------------------------------------------
def _is_seq(value: Any) -> bool:
    return isinstance(value, list | tuple | set | frozenset | np.ndarray | pd.Series | pd.Index)


def _outcomes(X: pd.DataFrame, values: Any, name: str) -> tuple[pd.Series, str | None]:
    """The outcome column (labels or predictions) as a Series with X's row positions."""
    column = None
    if isinstance(values, str):
        if values not in X.columns:
            raise ColumnError(
                values, f"the {name} column is not in X; columns are {list(map(str, X.columns))[:30]}"
            )
        column, series = values, X[values].reset_index(drop=True)
    else:
        arr = values.to_numpy() if isinstance(values, pd.Series | pd.Index) else np.asarray(values)
        if arr.ndim != 1:
            raise ParameterError.bad_value(
                name, _CALLER, "a 1-D array or a column name of X", f"shape {arr.shape}"
            )
        if len(arr) != len(X):
            raise ParameterError(
                f"The {name!r} parameter of {_CALLER} must have one value per row of X ({len(X):,}). "
                f"Got {len(arr):,} values instead."
            )
        series = pd.Series(arr)
    missing = int(series.isna().sum())
    if missing:
        raise ParameterError(
            f"The {name!r} parameter of {_CALLER} has {missing:,} missing values; drop or fill them first."
        )
    return series, column


def _values_text(values: Sequence[Any]) -> str:
    shown = sorted(values, key=str)[:10]
    more = f" and {len(values) - 10} more" if len(values) > 10 else ""
    return f"{[v.item() if isinstance(v, np.generic) else v for v in shown]}{more}"


def _binary_check(series: pd.Series, name: str, positive_label: Any) -> list[Any]:
    values = list(pd.unique(series))
    if len(values) > 2:
        hint = ""
        if name == "y_pred" and pd.api.types.is_float_dtype(series):
            hint = " They look like scores: threshold them into labels first (e.g. proba >= 0.5)."
        raise ParameterError(
            f"The {name!r} parameter of {_CALLER} must be binary: bias metrics compare a positive and a "
            f"negative outcome, and positive_label (= {positive_label!r}) selects the positive class. "
            f"Got {len(values)} distinct values: {_values_text(values)}.{hint}"
        )
    return values


def _facet_columns(X: pd.DataFrame, facet: Any) -> tuple[str, ...]:
    cols = (facet,) if isinstance(facet, str) else tuple(facet) if _is_seq(facet) else None
    if not cols or len(cols) > 2 or not all(isinstance(c, str) for c in cols):
        raise ParameterError.bad_value("facet", _CALLER, "a column name or a list of two column names", facet)
    for c in cols:
        if c not in X.columns:
            raise ColumnError(
                c, f"the facet column is not in X; columns are {list(map(str, X.columns))[:30]}"
            )
    if len(set(cols)) != len(cols):
        raise ParameterError.bad_value("facet", _CALLER, "two different columns", facet)
    for c in cols:
        missing = int(X[c].isna().sum())
        if missing:
            raise ColumnError(
                c,
                f"the facet column has {missing:,} missing values; every row needs a facet value (fill or drop them)",
            )
    return cols


def _combination_text(key: Any) -> str:
    return " & ".join(map(str, key)) if isinstance(key, tuple) else str(key)


def _match(col: pd.Series, value: Any) -> np.ndarray:
    mask = (col == value).fillna(False).to_numpy(dtype=bool)
    if not mask.any():  # "30" for 30, or 1 for "1"
        mask = (col.astype(str) == str(value)).to_numpy(dtype=bool)
    return mask


def _facet_d(X: pd.DataFrame, cols: tuple[str, ...], facet_values: Any) -> tuple[np.ndarray, tuple[str, ...]]:
    frame = X[list(cols)].reset_index(drop=True)
    counts = frame.value_counts(dropna=False, sort=False)
    if len(counts) < 2:
        what = "column holds" if len(cols) == 1 else "columns hold"
        raise ColumnError(
            cols[0] if len(cols) == 1 else list(cols),
            f"the facet {what} a single value ({_combination_text(counts.index[0])}); "
            "bias metrics compare two groups",
        )
    keys = [k[0] if len(cols) == 1 and isinstance(k, tuple) else k for k in counts.index]
    if facet_values is None:
        order = sorted(range(len(keys)), key=lambda i: (counts.iloc[i], _combination_text(keys[i])))
        chosen = [keys[order[0]]]
    elif len(cols) == 1:
        chosen = list(facet_values) if _is_seq(facet_values) else [facet_values]
    else:
        is_combo = lambda v: _is_seq(v) and len(v) == 2 and not any(_is_seq(x) for x in v)  # noqa: E731
        if is_combo(facet_values):
            chosen = [tuple(facet_values)]
        elif _is_seq(facet_values) and facet_values and all(is_combo(v) for v in facet_values):
            chosen = [tuple(v) for v in facet_values]
        else:
            raise ParameterError.bad_value(
                "facet_values",
                _CALLER,
                f"a pair of values of {list(cols)} or a list of such pairs",
                facet_values,
            )
    if not chosen:
        raise ParameterError.bad_value("facet_values", _CALLER, "at least one facet value", facet_values)
    d = np.zeros(len(frame), dtype=bool)
    for value in chosen:
        parts = value if len(cols) == 2 else (value,)
        mask = np.ones(len(frame), dtype=bool)
        for c, v in zip(cols, parts, strict=True):
            mask &= _match(frame[c], v)
        if not mask.any():
            raise ParameterError(
                f"The 'facet_values' parameter of {_CALLER} must name values present in {list(cols)}. "
                f"Got {value!r}, which no row has; present: {_values_text([_combination_text(k) for k in keys])}."
            )
        d |= mask
    if d.all():
        raise ParameterError(
            f"The 'facet_values' parameter of {_CALLER} selects every row ({_values_text(chosen)}): "
            "facet a, the rest, would be empty. Leave at least one facet value out."
        )
    return d, tuple(_combination_text(v) for v in chosen)


def bias_report(
    X: pd.DataFrame,
    y_true: Any,
    y_pred: Any = None,
    *,
    facet: str | list[str],
    facet_values: Any = None,
    positive_label: Any = 1,
    group: str | None = None,
    n_neighbors: int = 5,
    bands: BiasBands | None = None,
) -> BiasReport:
    """Clarify's pre-training bias metrics, and with ``y_pred`` its post-training ones, for a facet.

    Pre-training: CI, DPL, KL, JS, LP, TVD, KS, CDDL. Post-training: DPPL, DI, DCAcc, DCR, RD,
    DAR, DRR, AD, TE, CDDPL, FT, GE. Each metric's function in this module documents its
    formula and the Clarify page it follows.

    Parameters
    ----------
    X : pandas.DataFrame
        The rows, with the facet column(s); the other columns (except the label, prediction and
        facet columns) are the features of the flip test (FT), see :func:`flip_test_features`.
    y_true : array-like or str
        Observed labels, by row position, or the name of a column of ``X``. Binary.
    y_pred : array-like or str, optional
        Predicted labels (not scores), like ``y_true``; enables the post-training metrics.
    facet : str or list of str
        The facet column, or two columns whose combination of values is the facet (an
        intersection, such as sex & age group).
    facet_values : optional
        The value(s) of the facet that make up group *d*: one value or a list of values; for two
        columns a pair ``("F", "young")`` or a list of pairs. Default: the least frequent value
        (or combination). Every other row is facet *a*.
    positive_label : default 1
        The favourable outcome in ``y_true`` and ``y_pred``; the other value is the unfavourable.
    group : str, optional
        A column of ``X`` to condition the demographic disparities (CDDL, CDDPL) on. Without it
        they are the unconditional disparity DD.
    n_neighbors : int, default 5
        Neighbours in facet *a* per member of facet *d* for the flip test.
    bands : BiasBands, optional
        When each metric passes, warns or fails; default ``BiasBands()`` (four-fifths rule for
        DI, ``|value| <= 0.1`` for the others).

    Returns
    -------
    BiasReport

    Raises
    ------
    ColumnError
        A facet or group column is missing or has missing values, or the facet has one value.
    ParameterError
        Labels or predictions are not binary, ``positive_label`` is not among the labels, lengths
        differ, or ``facet_values`` are absent or select every row.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"sex": list("MMMMMMFFFF"), "y": [1, 1, 1, 0, 1, 0, 1, 0, 0, 0],
    ...                    "pred": [1, 1, 1, 1, 1, 0, 0, 0, 0, 1]})
    >>> r = bias_report(df, "y", "pred", facet="sex", facet_values="F")
    >>> r.metric("CI").value, r.metric("DPPL").value
    (0.2, 0.5833333333333334)
    """
    if not isinstance(X, pd.DataFrame):
        raise ParameterError.bad_value("X", _CALLER, "a pandas DataFrame", type(X).__name__)
    if len(X) == 0:
        raise ParameterError("The 'X' parameter of bias_report must have rows. Got an empty frame.")
    if isinstance(n_neighbors, bool) or not isinstance(n_neighbors, int | np.integer) or n_neighbors < 1:
        raise ParameterError.bad_value("n_neighbors", _CALLER, "a positive integer", n_neighbors)
    if bands is None:
        bands = BiasBands()
    elif not isinstance(bands, BiasBands):
        raise ParameterError.bad_value("bands", _CALLER, "a BiasBands", type(bands).__name__)
    cols = _facet_columns(X, facet)
    labels, label_column = _outcomes(X, y_true, "y_true")
    preds, pred_column = (None, None) if y_pred is None else _outcomes(X, y_pred, "y_pred")
    groups = None
    if group is not None:
        if not isinstance(group, str) or group not in X.columns:
            raise ColumnError(
                group, f"the group column is not in X; columns are {list(map(str, X.columns))[:30]}"
            )
        missing = int(X[group].isna().sum())
        if missing:
            raise ColumnError(
                group, f"the group column has {missing:,} missing values; fill or drop them first"
            )
        groups = X[group].to_numpy(dtype=object)
    label_values = _binary_check(labels, "y_true", positive_label)
    y = (labels == positive_label).to_numpy(dtype=bool)
    if not y.any():
        raise ParameterError(
            f"The 'positive_label' parameter of {_CALLER} must be one of the label values "
            f"{_values_text(label_values)}. Got {positive_label!r} instead."
        )
    yhat = None
    if preds is not None:
        pred_values = _binary_check(preds, "y_pred", positive_label)
        union = list(pd.unique(pd.Series([*label_values, *pred_values], dtype=object)))
        if len(union) > 2:
            raise ParameterError(
                f"The 'y_pred' parameter of {_CALLER} must use the label values {_values_text(label_values)}: "
                f"together y_true and y_pred hold {_values_text(union)}, more than the two outcomes of a binary "
                f"problem (positive_label = {positive_label!r} selects the positive class)."
            )
        yhat = (preds == positive_label).to_numpy(dtype=bool)
    d, chosen = _facet_d(X, cols, facet_values)

    metrics = [
        ci(d),
        dpl(d, y),
        kl(d, y),
        js(d, y),
        lp(d, y),
        tvd(d, y),
        ks(d, y),
        cddl(d, y, groups),
    ]
    if yhat is not None:
        exclude = set(cols) | {c for c in (label_column, pred_column) if c is not None}
        features = flip_test_features(X[[c for c in X.columns if c not in exclude]])
        metrics += [
            dppl(d, yhat),
            di(d, yhat),
            dcacc(d, y, yhat),
            dcr(d, y, yhat),
            rd(d, y, yhat),
            dar(d, y, yhat),
            drr(d, y, yhat),
            ad(d, y, yhat),
            te(d, y, yhat),
            cddpl(d, yhat, groups),
            ft(d, yhat, features, n_neighbors=n_neighbors),
            ge(y, yhat),
        ]
    return BiasReport(
        facet=cols,
        facet_values=chosen,
        positive_label=str(positive_label),
        n=len(X),
        n_a=int((~d).sum()),
        n_d=int(d.sum()),
        group=group,
        metrics=tuple(
            replace(m, status=bands.judge(m.name, m.value), band=bands.band(m.name)) for m in metrics
        ),
    )
