"""SageMaker Clarify's bias metrics, one registered function each, agreeing with smclarify.

Every metric compares facet *d* (the rows of interest, marked True in ``d``) with facet *a* (every
other row). ``y`` marks the rows with a positive (favourable) label, ``yhat`` those with a
positive prediction. Each function is declared once with :func:`~.bias_registry.metric`: its name,
stage, ideal value and band sit next to its formula.

By default every value agrees with smclarify 0.5 (``src/smclarify/bias/metrics/{pretraining,
posttraining,common}.py``), the library SageMaker Clarify's processing jobs run, including its
conventions where they differ from Clarify's documentation pages (the ``clarify-data-bias-metric-*``
and ``clarify-post-training-bias-metric-*`` pages of the SageMaker developer guide): Treatment
Equality (TE) and the Counterfactual Fliptest (FT) take ``convention="docs"`` for the documented
formula. Where smclarify's number is not the metric's value, the result says so instead of
copying it:

- a rate whose denominator is 0 (smclarify takes 0/0 as 0 and x/0 as infinity) is ``None``, and
  the note gives what smclarify reports;
- KL is ``None`` when a label value occurs in facet *a* but never in facet *d* (the divergence is
  infinite; smclarify drops that value and may report a negative number);
- JS, LP, TVD and KS keep every label value, so they are right when a value is absent from one
  facet; smclarify drops it from both distributions, and the note gives its number.

Results never hold NaN or infinities, so they serialize to strict JSON.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from lifecycle_widgets.core.explain.bias_registry import Measurement, metric
from lifecycle_widgets.exceptions import ParameterError, UnknownNameError

__all__ = [
    "CONVENTIONS",
    "ad",
    "cddl",
    "cddpl",
    "check_convention",
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
    "sd",
    "te",
    "tvd",
]

CONVENTIONS = ("smclarify", "docs")
"""``"smclarify"``: the formulas of smclarify's code, as Clarify's jobs compute them (default);
``"docs"``: the formulas of Clarify's documentation pages, where the two differ (TE, FT)."""


def check_convention(convention: Any) -> str:
    """``convention`` if it is one of :data:`CONVENTIONS`; otherwise an UnknownNameError."""
    if convention not in CONVENTIONS:
        raise UnknownNameError("bias metric convention", convention, CONVENTIONS)
    return convention


# --- inputs ---------------------------------------------------------------------------------------
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


def _undefined(why: str) -> str:
    return f"undefined: {why}"


def _clarify_divide(num: float, den: float) -> float:
    """smclarify's ``common.divide``: 0 for 0/0, infinity for x/0."""
    if den == 0:
        return 0.0 if num == 0 else math.inf if num > 0 else -math.inf
    return num / den


def _clarify_says(value: float | None) -> str:
    """What smclarify reports, as its JSON writes it (``Infinity``) or fails."""
    if value is None:
        return "smclarify fails with an error"
    if math.isinf(value):
        return f"smclarify reports {'-' if value < 0 else ''}Infinity"
    return f"smclarify reports {value:.10g}"


# --- pre-training metrics -------------------------------------------------------------------------
@metric("CI", stage="pre", ideal=0.0, description="Class imbalance: (n_a - n_d) / (n_a + n_d)")
def ci(d: Any) -> float:
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
    return (n_a - n_d) / (n_a + n_d)


@metric(
    "DPL",
    stage="pre",
    ideal=0.0,
    description="Difference in proportions of labels: q_a - q_d (positive label rates)",
)
def dpl(d: Any, y: Any) -> float:
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
    return int((yy & ~dd).sum()) / int((~dd).sum()) - int((yy & dd).sum()) / int(dd.sum())


def _label_distributions(d: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """P_a and P_d over the label values (negative, positive), from counts as smclarify's ``pdf``."""
    out = []
    for facet in (~d, d):
        n = int(facet.sum())
        out.append(np.array([int((facet & ~y).sum()), int((facet & y).sum())]) / n)
    return out[0], out[1]


def _kl_sum(p: np.ndarray, q: np.ndarray) -> float:
    keep = p > 0
    return float(np.sum(p[keep] * np.log(p[keep] / q[keep])))


def _js(pa: np.ndarray, pd_: np.ndarray) -> float:
    p = (pa + pd_) / 2
    return 0.5 * (_kl_sum(pa, p) + _kl_sum(pd_, p))


def _distance(d: Any, y: Any, formula: Callable[[np.ndarray, np.ndarray], float]) -> float | Measurement:
    """A distance of the label distributions over every label value, with a note giving
    smclarify's number when it drops a value absent from one facet (``pdfs_aligned_nonzero``)."""
    dd, yy = _facet_arrays(d, ("y", y))
    pa, pd_ = _label_distributions(dd, yy)
    value = formula(pa, pd_)
    if ((pa > 0) != (pd_ > 0)).any():
        keep = (pa > 0) & (pd_ > 0)
        clarify = formula(pa[keep], pd_[keep]) if keep.any() else None
        return Measurement(
            value,
            "a label value occurs in only one facet; this keeps it (probability 0), while smclarify "
            f"drops it from both distributions: {_clarify_says(clarify)}",
        )
    return value


@metric(
    "KL",
    stage="pre",
    ideal=0.0,
    description="Kullback-Leibler divergence of the label distributions, KL(P_a || P_d)",
)
def kl(d: Any, y: Any) -> float | Measurement:
    """Kullback-Leibler divergence (KL): ``sum_y P_a(y) ln(P_a(y) / P_d(y))``, in nats.

    Clarify doc: *Kullback-Leibler divergence (KL)* (``clarify-data-bias-metric-kl-divergence``);
    smclarify ``pretraining.KL``. ``P_a`` and ``P_d`` are the distributions of the labels (positive
    or not) in each facet; terms with ``P_a(y) = 0`` contribute 0, as in smclarify. When
    ``P_d(y) = 0 < P_a(y)`` the divergence is infinite and the metric is ``None``: smclarify drops
    such label values from both distributions (``pdfs_aligned_nonzero``) and reports the sum of
    what is left, which can be negative; the note gives its number.

    Examples
    --------
    >>> round(kl([False, False, True, True], [1, 0, 1, 0]).value, 12)
    0.0
    >>> kl([False, False, True, True], [1, 0, 0, 0]).note
    'undefined: a label value occurs in facet a but never in facet d (infinite); smclarify reports -0.3465735903'
    """
    dd, yy = _facet_arrays(d, ("y", y))
    pa, pd_ = _label_distributions(dd, yy)
    if ((pa > 0) & (pd_ == 0)).any():
        keep = (pa > 0) & (pd_ > 0)
        clarify = _kl_sum(pa[keep], pd_[keep]) if keep.any() else None
        return Measurement(
            None,
            _undefined(
                f"a label value occurs in facet a but never in facet d (infinite); {_clarify_says(clarify)}"
            ),
        )
    return _kl_sum(pa, pd_)


@metric(
    "JS",
    stage="pre",
    ideal=0.0,
    description="Jensen-Shannon divergence of the label distributions of a and d",
)
def js(d: Any, y: Any) -> float | Measurement:
    """Jensen-Shannon divergence (JS): ``(KL(P_a || P) + KL(P_d || P)) / 2`` with ``P = (P_a + P_d) / 2``.

    Clarify doc: *Jensen-Shannon Divergence (JS)*
    (``clarify-data-bias-metric-jensen-shannon-divergence``); smclarify ``pretraining.JS``. Natural
    logarithms, so the range is [0, ln 2]; terms with zero probability contribute 0, so JS is always
    defined. smclarify drops a label value absent from one facet; the note then gives its number.

    Examples
    --------
    >>> round(js([False, True], [1, 0]).value, 6)  # disjoint label distributions: ln 2
    0.693147
    """
    return _distance(d, y, _js)


@metric(
    "LP",
    stage="pre",
    ideal=0.0,
    description="L2 norm of the difference of the label distributions of a and d",
)
def lp(d: Any, y: Any) -> float | Measurement:
    """Lp-norm (LP) with p = 2: ``sqrt(sum_y (P_a(y) - P_d(y))^2)``.

    Clarify doc: *Lp-norm (LP)* (``clarify-data-bias-metric-lp-norm``); smclarify
    ``pretraining.LP``, the 2-norm. The sum runs over both label values, so LP = sqrt(2)·|q_a - q_d|;
    smclarify drops label values absent from either facet before taking the norm (see the note).

    Examples
    --------
    >>> round(lp([False, False, True, True], [1, 1, 1, 0]).value, 6)  # sqrt(2) * 0.5
    0.707107
    """
    return _distance(d, y, lambda pa, pd_: float(np.linalg.norm(pa - pd_, 2)))


@metric(
    "TVD",
    stage="pre",
    ideal=0.0,
    description="Total variation distance: half the L1 norm of P_a - P_d",
)
def tvd(d: Any, y: Any) -> float | Measurement:
    """Total Variation Distance (TVD): ``sum_y |P_a(y) - P_d(y)| / 2``.

    Clarify doc: *Total Variation Distance (TVD)*
    (``clarify-data-bias-metric-total-variation-distance``); smclarify ``pretraining.TVD``. For
    binary outcomes TVD = |q_a - q_d|.

    Examples
    --------
    >>> tvd([False, False, True, True], [1, 1, 1, 0]).value
    0.5
    """
    return _distance(d, y, lambda pa, pd_: 0.5 * float(np.linalg.norm(pa - pd_, 1)))


@metric(
    "KS",
    stage="pre",
    ideal=0.0,
    description="Kolmogorov-Smirnov: the largest |P_a(y) - P_d(y)| over label values",
)
def ks(d: Any, y: Any) -> float | Measurement:
    """Kolmogorov-Smirnov (KS): ``max_y |P_a(y) - P_d(y)|``.

    Clarify doc: *Kolmogorov-Smirnov (KS)* (``clarify-data-bias-metric-kolmogorov-smirnov``);
    smclarify ``pretraining.KS``. For binary outcomes KS = |q_a - q_d|.

    Examples
    --------
    >>> ks([False, False, True, True], [1, 1, 1, 0]).value
    0.5
    """
    return _distance(d, y, lambda pa, pd_: float(np.linalg.norm(pa - pd_, np.inf)))


def _group_codes(group: Any, n: int) -> tuple[np.ndarray, list[str], list[str]]:
    if group is None:
        return (
            np.zeros(n, dtype=int),
            ["(all rows)"],
            ["no group given: the unconditional demographic disparity DD"],
        )
    if len(group) != n:
        raise ParameterError(f"The 'group' parameter must have one value per row ({n}). Got {len(group)}.")
    codes, labels = pd.factorize(pd.Series(np.asarray(group, dtype=object)))
    return codes, [str(v) for v in labels], []


def _cdd(d: np.ndarray, outcome: np.ndarray, group: Any, what: str) -> float | Measurement:
    """Conditional demographic disparity of ``outcome`` (labels or predictions) over ``group``."""
    codes, labels, notes = _group_codes(group, len(d))
    if not outcome.any() or outcome.all():
        missing = "positive" if not outcome.any() else "negative"
        return Measurement(
            None,
            _undefined(f"there are no {missing} {what}, so a share of them is 0/0; {_clarify_says(None)}"),
        )
    total, skipped = 0.0, []
    for code, label in enumerate(labels):
        g = codes == code
        n_rej, n_acc = int((g & ~outcome).sum()), int((g & outcome).sum())
        # smclarify (common.CDD) takes a share with a zero denominator as 0
        rejected_share = int((g & ~outcome & d).sum()) / n_rej if n_rej else 0.0
        accepted_share = int((g & outcome & d).sum()) / n_acc if n_acc else 0.0
        if not (n_rej and n_acc):
            skipped.append(label)
        total += int(g.sum()) * (rejected_share - accepted_share)
    if skipped:
        notes.append(
            f"groups with only one outcome ({', '.join(skipped[:10])}) count the missing share as 0, as Clarify does"
        )
    return Measurement(total / len(d), "; ".join(notes))


@metric(
    "CDDL",
    stage="pre",
    ideal=0.0,
    description="Conditional demographic disparity in labels: d's share of rejections minus its share "
    "of acceptances, averaged over the groups weighted by size",
)
def cddl(d: Any, y: Any, group: Any = None) -> float | Measurement:
    """Conditional Demographic Disparity in Labels (CDDL): ``(1/n) sum_i n_i DD_i``.

    Clarify doc: *Conditional Demographic Disparity (CDD)* (``clarify-data-bias-metric-cddl``);
    smclarify ``common.CDD``. In group *i*, ``DD_i = n_d(0)/n(0) - n_d(1)/n(1)``: facet *d*'s share
    of the rejected rows minus its share of the accepted rows. Without ``group`` it is the
    unconditional DD (smclarify needs a group; one group of every row gives the same). As in
    smclarify, a share whose group has no rejections (or no acceptances) counts as 0; the note
    lists such groups.

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
    return _cdd(dd, yy, group, "labels")


# --- post-training metrics ------------------------------------------------------------------------
def _confusion(d: np.ndarray, y: np.ndarray, yhat: np.ndarray, facet: bool) -> dict[str, int]:
    m = d if facet else ~d
    return {
        "TP": int((m & y & yhat).sum()),
        "FP": int((m & ~y & yhat).sum()),
        "FN": int((m & y & ~yhat).sum()),
        "TN": int((m & ~y & ~yhat).sum()),
    }


def _rate_gap(
    d: Any,
    y: Any,
    yhat: Any,
    num: str,
    den: str,
    missing: str,
    *,
    d_minus_a: bool = False,
    clarify: bool = True,
) -> float | Measurement:
    """``rate_a - rate_d`` (``rate_d - rate_a`` with ``d_minus_a``), each facet's rate the sum of
    the confusion counts named in ``num`` over those in ``den`` (e.g. ``"TP"`` over ``"TP FN"``);
    undefined, with the facet named, when a denominator is 0 (``missing``: what the facet lacks).
    With ``clarify``, the formula is smclarify's and the note gives smclarify's number."""
    dd, yy, pp = _facet_arrays(d, ("y", y), ("yhat", yhat))
    parts = []
    for facet in (False, True):
        counts = _confusion(dd, yy, pp, facet)
        parts.append((sum(counts[k] for k in num.split()), sum(counts[k] for k in den.split())))
    (num_a, den_a), (num_d, den_d) = parts
    if den_a and den_d:
        ra, rd_ = num_a / den_a, num_d / den_d
        return rd_ - ra if d_minus_a else ra - rd_
    who = "facets a and d have" if not (den_a or den_d) else f"facet {'a' if not den_a else 'd'} has"
    note = _undefined(f"{who} {missing}")
    if clarify:
        ca, cd = _clarify_divide(num_a, den_a), _clarify_divide(num_d, den_d)
        # smclarify reports 0 when both rates are infinite
        value = 0.0 if ca == cd == math.inf else cd - ca if d_minus_a else ca - cd
        note += f"; {_clarify_says(value)} (it takes 0/0 as 0 and x/0 as infinity)"
    return Measurement(None, note)


@metric(
    "DPPL",
    stage="post",
    ideal=0.0,
    description="Difference in positive proportions in predicted labels: q'_a - q'_d",
)
def dppl(d: Any, yhat: Any) -> float:
    """Difference in Positive Proportions in Predicted Labels (DPPL): ``q'_a - q'_d``.

    Clarify doc: *Difference in Positive Proportions in Predicted Labels (DPPL)*
    (``clarify-post-training-bias-metric-dppl``); smclarify ``posttraining.DPPL``.

    Examples
    --------
    >>> dppl([False, False, True, True], [1, 1, 0, 1]).value
    0.5
    """
    dd, pp = _facet_arrays(d, ("yhat", yhat))
    return int((pp & ~dd).sum()) / int((~dd).sum()) - int((pp & dd).sum()) / int(dd.sum())


@metric(
    "DI",
    stage="post",
    ideal=1.0,
    band="ratio",
    description="Disparate impact: q'_d / q'_a (predicted positive rates)",
)
def di(d: Any, yhat: Any) -> float | Measurement:
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
    qa = int((pp & ~dd).sum()) / int((~dd).sum())
    qd = int((pp & dd).sum()) / int(dd.sum())
    if qa == 0:
        return Measurement(
            None, _undefined(f"facet a has no predicted positives; {_clarify_says(_clarify_divide(qd, qa))}")
        )
    return qd / qa


@metric(
    "DCAcc",
    stage="post",
    ideal=0.0,
    aliases=("DCA",),
    description="Difference in conditional acceptance: n_a(1)/n'_a(1) - n_d(1)/n'_d(1) (observed over predicted acceptances)",
)
def dcacc(d: Any, y: Any, yhat: Any) -> float | Measurement:
    """Difference in Conditional Acceptance (DCAcc): ``n_a(1)/n'_a(1) - n_d(1)/n'_d(1)``.

    Clarify doc: *Difference in Conditional Acceptance (DCAcc)*
    (``clarify-post-training-bias-metric-dca``); smclarify ``posttraining.DCA`` (``common.DCO``).
    Observed acceptances over predicted acceptances, facet *a* minus facet *d*.

    Examples
    --------
    >>> dcacc([False, False, True, True], [1, 1, 1, 0], [1, 0, 1, 1]).value  # 2/1 - 1/2
    1.5
    """
    return _rate_gap(d, y, yhat, "TP FN", "TP FP", "no predicted positives")


@metric(
    "DCR",
    stage="post",
    ideal=0.0,
    description="Difference in conditional rejection: n_d(0)/n'_d(0) - n_a(0)/n'_a(0) (observed over predicted rejections)",
)
def dcr(d: Any, y: Any, yhat: Any) -> float | Measurement:
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
    return _rate_gap(d, y, yhat, "TN FP", "TN FN", "no predicted negatives", d_minus_a=True)


@metric("RD", stage="post", ideal=0.0, description="Recall difference: TP/(TP + FN) of a minus that of d")
def rd(d: Any, y: Any, yhat: Any) -> float | Measurement:
    """Recall Difference (RD): ``TP_a/(TP_a + FN_a) - TP_d/(TP_d + FN_d)``.

    Clarify doc: *Recall Difference (RD)* (``clarify-post-training-bias-metric-rd``); smclarify
    ``posttraining.RD`` (``common.DLA``).

    Examples
    --------
    >>> rd([False, False, True, True], [1, 1, 1, 1], [1, 1, 1, 0]).value
    0.5
    """
    return _rate_gap(d, y, yhat, "TP", "TP FN", "no positive labels")


@metric(
    "SD",
    stage="post",
    ideal=0.0,
    description="Specificity difference: TN/(TN + FP) of d minus that of a",
)
def sd(d: Any, y: Any, yhat: Any) -> float | Measurement:
    """Specificity Difference (SD): ``TN_d/(TN_d + FP_d) - TN_a/(TN_a + FP_a)``.

    Clarify doc: *Specificity difference (SD)* (``clarify-post-training-bias-metric-sd``);
    smclarify ``posttraining.SD`` (``common.DLA``). Facet *d* minus facet *a*, the documented
    order: positive values mean the model avoids false positives better in facet *d*.

    Examples
    --------
    >>> sd([False, False, True, True], [0, 0, 0, 0], [0, 1, 0, 0]).value  # 2/2 - 1/2
    0.5
    """
    return _rate_gap(d, y, yhat, "TN", "TN FP", "no negative labels", d_minus_a=True)


@metric(
    "DAR",
    stage="post",
    ideal=0.0,
    description="Difference in acceptance rates (precision): TP/(TP + FP) of a minus that of d",
)
def dar(d: Any, y: Any, yhat: Any) -> float | Measurement:
    """Difference in Acceptance Rates (DAR): ``TP_a/(TP_a + FP_a) - TP_d/(TP_d + FP_d)``.

    Clarify doc: *Difference in Acceptance Rates (DAR)* (``clarify-post-training-bias-metric-dar``);
    smclarify ``posttraining.DAR`` (``common.DLR``). The difference in precision.

    Examples
    --------
    >>> dar([False, False, True, True], [1, 1, 1, 0], [1, 1, 1, 1]).value
    0.5
    """
    return _rate_gap(d, y, yhat, "TP", "TP FP", "no predicted positives")


@metric(
    "DRR",
    stage="post",
    ideal=0.0,
    description="Difference in rejection rates: TN/(TN + FN) of d minus that of a",
)
def drr(d: Any, y: Any, yhat: Any) -> float | Measurement:
    """Difference in Rejection Rates (DRR): ``TN_d/(TN_d + FN_d) - TN_a/(TN_a + FN_a)``.

    Clarify doc: *Difference in Rejection Rates (DRR)* (``clarify-post-training-bias-metric-drr``);
    smclarify ``posttraining.DRR`` (``common.DLR``). Note the order: facet *d* minus facet *a*.

    Examples
    --------
    >>> drr([False, False, True, True], [0, 1, 0, 0], [0, 0, 0, 0]).value
    0.5
    """
    return _rate_gap(d, y, yhat, "TN", "TN FN", "no predicted negatives", d_minus_a=True)


@metric("AD", stage="post", ideal=0.0, description="Accuracy difference: accuracy of a minus accuracy of d")
def ad(d: Any, y: Any, yhat: Any) -> float:
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
    return int((correct & ~dd).sum()) / int((~dd).sum()) - int((correct & dd).sum()) / int(dd.sum())


@metric(
    "TE",
    stage="post",
    ideal=0.0,
    description="Treatment equality: FN/FP of d minus FN/FP of a (smclarify; the docs page: FP/FN of a minus that of d)",
)
def te(d: Any, y: Any, yhat: Any, *, convention: str = "smclarify") -> float | Measurement:
    """Treatment Equality (TE): ``FN_d/FP_d - FN_a/FP_a``, as smclarify computes it.

    smclarify ``posttraining.TE`` divides false negatives by false positives, facet *d* minus facet
    *a*. Clarify's page *Treatment Equality (TE)* (``clarify-post-training-bias-metric-te``)
    documents ``FP_a/FN_a - FP_d/FN_d`` instead: ``convention="docs"`` computes that. ``None`` when
    a divisor is 0; smclarify then reports 0 (for 0/0) or infinity, which the note gives.

    Parameters
    ----------
    d, y, yhat : array-like of bool
        Facet *d* membership, positive labels and positive predictions.
    convention : {"smclarify", "docs"}
        smclarify's formula (default) or the documentation's.

    Examples
    --------
    >>> # a: 2 FP, 1 FN; d: 1 FP, 1 FN
    >>> args = [False] * 3 + [True] * 2, [0, 0, 1, 0, 1], [1, 1, 0, 1, 0]
    >>> te(*args).value, te(*args, convention="docs").value  # 1/1 - 1/2, 2/1 - 1/1
    (0.5, 1.0)
    """
    if check_convention(convention) == "smclarify":
        return _rate_gap(d, y, yhat, "FN", "FP", "no false positives", d_minus_a=True)
    return _rate_gap(d, y, yhat, "FP", "FN", "no false negatives", clarify=False)


@metric(
    "CDDPL",
    stage="post",
    ideal=0.0,
    description="Conditional demographic disparity in predicted labels: CDDL computed on the predictions",
)
def cddpl(d: Any, yhat: Any, group: Any = None) -> float | Measurement:
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
    return _cdd(dd, pp, group, "predicted labels")


def flip_test_features(X: pd.DataFrame, *, standardize: bool = True) -> np.ndarray:
    """The feature matrix the flip test measures distances in.

    Numeric and boolean columns are numbers (datetimes: seconds since the column's first value;
    timedeltas: seconds); with ``standardize`` each is scaled to mean 0 and standard deviation 1
    over all rows (a constant column becomes 0). Missing values become the column's mean. Every
    other column is one-hot encoded, one 0/1 column per category, missing values being a category of
    their own. smclarify takes the numeric columns as they are (``standardize=False``) and refuses
    any other column.

    Parameters
    ----------
    X : pandas.DataFrame
        The feature columns.
    standardize : bool, default True
        Scale the numeric columns to mean 0 and standard deviation 1.

    Examples
    --------
    >>> import pandas as pd
    >>> flip_test_features(pd.DataFrame({"x": [1.0, 3.0], "c": ["u", "v"]})).tolist()
    [[-1.0, 1.0, 0.0], [1.0, 0.0, 1.0]]
    >>> flip_test_features(pd.DataFrame({"x": [1.0, 3.0]}), standardize=False).tolist()
    [[1.0], [3.0]]
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
        mean = np.nanmean(values)
        if standardize:
            std = np.nanstd(values)
            values, mean = ((values - mean) / std if std > 0 else np.zeros_like(values)), 0.0
        blocks.append(np.where(np.isnan(values), mean, values)[:, None])
    return np.hstack(blocks) if blocks else np.empty((len(X), 0))


# smclarify's FlipTest: 5 neighbours, or 1 when facet a has at most 9 rows
_FT_NEIGHBOURS, _FT_FEW_NEIGHBOURS, _FT_FEW_ROWS = 5, 1, 9


@metric(
    "FT",
    stage="post",
    ideal=0.0,
    description="Counterfactual flip test: (F- - F+) / n_d (smclarify; the docs page: (F+ - F-) / n_d), "
    "comparing each member of d with its nearest neighbours in a",
)
def ft(
    d: Any, yhat: Any, features: Any, *, n_neighbors: int | None = None, convention: str = "smclarify"
) -> float | Measurement:
    """Counterfactual Fliptest (FT), with smclarify's sign: ``(F- - F+) / n_d``.

    For each member of facet *d*, its ``k`` nearest neighbours in facet *a* (Euclidean distance in
    ``features``, found with scikit-learn's ``NearestNeighbors``) vote with their predicted labels;
    the majority is the outcome "had it been in facet *a*", and a tie is no flip. ``F+`` counts
    members of *d* predicted negative whose neighbours are predicted positive, ``F-`` the reverse.

    smclarify's ``posttraining.FT`` (a ``KNeighborsClassifier`` on facet *a*) returns
    ``(F- - F+) / n_d``, so a positive value means facet *d* gets positive predictions its
    neighbours in *a* do not. Clarify's page *Counterfactual Fliptest (FT)*
    (``clarify-post-training-bias-metric-ft``) documents ``(F+ - F-) / n_d``, positive when facet
    *d* is treated worse: ``convention="docs"`` computes that.

    Parameters
    ----------
    d, yhat : array-like of bool
        Facet *d* membership and positive predictions.
    features : array-like of shape (n_rows, n_features)
        Numeric features (see :func:`flip_test_features`).
    n_neighbors : int, optional
        Neighbours per member of facet *d* (at most the size of facet *a*). Default: smclarify's
        rule, 5, or 1 when facet *a* has at most 9 rows.
    convention : {"smclarify", "docs"}
        smclarify's sign (default) or the documentation's.

    Examples
    --------
    >>> args = [False, False, True, True], [1, 0, 0, 0], [[0.0], [5.0], [0.1], [5.1]]
    >>> ft(*args).value, ft(*args, convention="docs").value  # F+ = 1 (x = 0.1), F- = 0
    (-0.5, 0.5)
    """
    from sklearn.neighbors import NearestNeighbors

    dd, pp = _facet_arrays(d, ("yhat", yhat))
    convention = check_convention(convention)
    F = np.asarray(features, dtype=float)
    if F.ndim != 2 or len(F) != len(dd):
        raise ParameterError(
            f"The 'features' parameter must be a matrix with one row per row of d ({len(dd)}). "
            f"Got shape {F.shape} instead."
        )
    if not np.isfinite(F).all():
        raise ParameterError("The 'features' parameter must hold finite numbers. Got NaN or infinite values.")
    if n_neighbors is not None and (
        isinstance(n_neighbors, bool) or not isinstance(n_neighbors, int | np.integer) or n_neighbors < 1
    ):
        raise ParameterError.bad_value("n_neighbors", "ft", "a positive integer or None", n_neighbors)
    if F.shape[1] == 0:
        return Measurement(
            None, _undefined(f"there are no features to find neighbours with; {_clarify_says(None)}")
        )
    n_a = int((~dd).sum())
    if n_neighbors is None:
        n_neighbors = _FT_NEIGHBOURS if n_a > _FT_FEW_ROWS else _FT_FEW_NEIGHBOURS
    k = min(int(n_neighbors), n_a)
    nn = NearestNeighbors(n_neighbors=k).fit(F[~dd])
    neighbours = nn.kneighbors(F[dd], return_distance=False)
    votes = pp[~dd][neighbours].mean(axis=1)
    mine = pp[dd]
    f_plus = int((~mine & (votes > 0.5)).sum())
    f_minus = int((mine & (votes < 0.5)).sum())
    n_d = int(dd.sum())
    note = (
        f"k = {k} nearest neighbours in facet a; F+ = {f_plus}, F- = {f_minus} "
        "(F+: members of d predicted negative whose neighbours are predicted positive)"
    )
    if convention == "smclarify":
        return Measurement((f_minus - f_plus) / n_d, note + "; smclarify's sign, (F- - F+) / n_d")
    return Measurement((f_plus - f_minus) / n_d, note + "; the docs page's sign, (F+ - F-) / n_d")


@metric(
    "GE",
    stage="post",
    ideal=0.0,
    description="Generalized entropy index (alpha = 2) of the benefits b = y' - y + 1",
)
def ge(y: Any, yhat: Any, *, alpha: float = 2.0) -> float | Measurement:
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
        return Measurement(
            None,
            _undefined(f"every prediction is a false negative (mean benefit 0); {_clarify_says(None)}"),
        )
    return float(((benefit / mean) ** alpha - 1).sum() / (len(benefit) * alpha * (alpha - 1)))
