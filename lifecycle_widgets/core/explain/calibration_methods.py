"""Recalibration maps fitted on held-out rows: none, temperature, Platt (sigmoid) and isotonic.

Every map takes probabilities (1-D: the positive class of a binary problem; 2-D: one column per
class) and returns recalibrated probabilities of the same shape.

- ``temperature``: ``sigmoid(logit(p) / T)`` or ``softmax(log p / T)``, one ``T > 0`` minimizing
  the negative log-likelihood (Guo et al., "On Calibration of Modern Neural Networks", ICML 2017).
- ``platt``: a logistic regression on the logit, ``sigmoid(a logit(p) + b)`` (Platt, "Probabilistic
  outputs for support vector machines", 1999), fitted with scikit-learn's ``LogisticRegression``
  without penalty on Platt's smoothed targets ``(N+ + 1) / (N+ + 2)`` and ``1 / (N- + 2)`` (each
  row enters twice, once per label, weighted by its target), as
  ``sklearn.calibration._SigmoidCalibration`` does, so a separable fit stays finite.
- ``isotonic``: scikit-learn's ``IsotonicRegression`` of the label on ``p`` (Zadrozny and Elkan,
  KDD 2002), bounded to ``[1 / (2 n), 1 - 1 / (2 n)]`` for ``n`` fit rows: a block of fit rows
  that are all negative says the rate is below about one in ``n``, not that it is zero, and one
  positive row there would otherwise cost a log loss of 36.

Several classes: Platt and isotonic fit one map per class, one-vs-rest, and divide each row by
its sum (a row whose maps all give 0 becomes uniform), as ``CalibratedClassifierCV`` does;
temperature scales the softmax as a whole.

The choice between them (:func:`choose_method`) is the lowest held-out log loss under the
one-standard-error rule (Breiman et al., "Classification and Regression Trees", 1984): a simpler
map wins when its log loss is within one standard error of the paired per-row difference from
the best, so noise does not pick a more flexible map.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from lifecycle_widgets.exceptions import UnknownNameError

__all__ = [
    "METHODS",
    "FittedMap",
    "choose_method",
    "fit_map",
    "logits",
    "row_log_loss",
    "scaled",
    "temperature_fit",
]

METHODS = ("none", "temperature", "platt", "isotonic")  # simplest first: ties go to the left
T_BOUNDS = (1e-2, 1e2)
LOG_FLOOR = 1e-12  # probabilities are clipped to [1e-12, 1 - 1e-12] before taking logits


@dataclass(frozen=True)
class FittedMap:
    """A recalibration map: its name, its fitted parameters (plain numbers) and the map itself."""

    name: str
    parameters: dict[str, float]
    apply: Callable[[np.ndarray], np.ndarray]
    at_bound: bool = False


def logits(proba: np.ndarray) -> np.ndarray:
    """``logit(p)`` of 1-D probabilities, ``log p`` of 2-D ones, after clipping to [1e-12, 1 - 1e-12].

    Examples
    --------
    >>> logits(np.array([0.5, 0.9])).round(3).tolist()
    [0.0, 2.197]
    """
    p = np.clip(proba, LOG_FLOOR, 1 - LOG_FLOOR)
    return np.log(p / (1 - p)) if p.ndim == 1 else np.log(p)


def scaled(z: np.ndarray, temperature: float) -> np.ndarray:
    """``sigmoid(z / T)`` (1-D) or ``softmax(z / T)`` row by row (2-D).

    Examples
    --------
    >>> scaled(np.array([0.0, 2.0]), 2.0).round(4).tolist()
    [0.5, 0.7311]
    """
    from scipy.special import expit, softmax

    z = z / temperature
    return expit(z) if z.ndim == 1 else softmax(z, axis=1)


def _nll(z: np.ndarray, target: np.ndarray, temperature: float) -> float:
    """Mean negative log-likelihood of the scaled logits (``target``: 0/1, or class indices)."""
    from scipy.special import logsumexp

    z = z / temperature
    if z.ndim == 1:
        return float(np.mean(np.logaddexp(0.0, -(2 * target - 1) * z)))
    return float(np.mean(logsumexp(z, axis=1) - z[np.arange(len(z)), target]))


def temperature_fit(z: np.ndarray, target: np.ndarray) -> tuple[float, bool]:
    """The temperature in [0.01, 100] minimizing the negative log-likelihood of logits ``z``,
    and whether it sits at the edge of that range. The likelihood is unimodal in ``log T``;
    ``scipy.optimize.minimize_scalar`` (bounded) searches it.

    Examples
    --------
    >>> z = np.array([-4.0, -2.0, 2.0, 4.0] * 50)
    >>> t, _ = temperature_fit(z, (np.arange(200) % 4 >= 2).astype(int))
    >>> t < 0.1  # separable: sharpen as far as allowed
    True
    """
    from scipy.optimize import minimize_scalar

    lo, hi = np.log(T_BOUNDS[0]), np.log(T_BOUNDS[1])
    res = minimize_scalar(
        lambda t: _nll(z, target, float(np.exp(t))),
        bounds=(lo, hi),
        method="bounded",
        options={"xatol": 1e-6},
    )
    at_bound = min(res.x - lo, hi - res.x) < 1e-3
    return float(np.exp(res.x)), bool(at_bound)


def _onehot(target: np.ndarray, k: int) -> np.ndarray:
    out = np.zeros((len(target), k))
    out[np.arange(len(target)), target] = 1.0
    return out


def _renormalized(columns: np.ndarray) -> np.ndarray:
    total = columns.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = columns / total
    out[total[:, 0] == 0] = 1.0 / columns.shape[1]
    return out


def _platt_one(score: np.ndarray, hit: np.ndarray) -> tuple[float, float]:
    """Slope and intercept of ``sigmoid(a z + b)`` fitted on logits ``score`` to 0/1 ``hit``."""
    from sklearn.linear_model import LogisticRegression

    n_pos = float(hit.sum())
    n_neg = float(len(hit) - n_pos)
    t = np.where(hit == 1, (n_pos + 1) / (n_pos + 2), 1 / (n_neg + 2))
    x = np.concatenate([score, score])[:, None]
    y = np.concatenate([np.ones(len(score)), np.zeros(len(score))])
    lr = LogisticRegression(C=np.inf, max_iter=1000).fit(x, y, sample_weight=np.concatenate([t, 1 - t]))
    return float(lr.coef_[0, 0]), float(lr.intercept_[0])


def _fit_none(target: np.ndarray, probs: np.ndarray) -> FittedMap:
    return FittedMap("none", {}, lambda p: p)


def _fit_temperature(target: np.ndarray, probs: np.ndarray) -> FittedMap:
    t, at_bound = temperature_fit(logits(probs), target)
    return FittedMap("temperature", {"temperature": t}, lambda p: scaled(logits(p), t), at_bound)


def _fit_platt(target: np.ndarray, probs: np.ndarray) -> FittedMap:
    from threadpoolctl import threadpool_limits  # a dependency of scikit-learn

    # one thread: two parameters gain nothing from OpenMP, and on a busy machine its waiting
    # threads made each fit five times slower
    with threadpool_limits(1):
        return _platt_map(target, probs)


def _platt_map(target: np.ndarray, probs: np.ndarray) -> FittedMap:
    from scipy.special import expit

    if probs.ndim == 1:
        a, b = _platt_one(logits(probs), target)
        return FittedMap("platt", {"slope": a, "intercept": b}, lambda p: expit(a * logits(p) + b))
    hits = _onehot(target, probs.shape[1])
    fits = [_platt_one(logits(probs[:, c]), hits[:, c]) for c in range(probs.shape[1])]

    def apply(p: np.ndarray) -> np.ndarray:
        return _renormalized(
            np.column_stack([expit(a * logits(p[:, c]) + b) for c, (a, b) in enumerate(fits)])
        )

    params = {
        f"{name}[{c}]": v for c, (a, b) in enumerate(fits) for name, v in (("slope", a), ("intercept", b))
    }
    return FittedMap("platt", params, apply)


def _fit_isotonic(target: np.ndarray, probs: np.ndarray) -> FittedMap:
    from sklearn.isotonic import IsotonicRegression

    floor = 0.5 / len(target)

    def one(score: np.ndarray, hit: np.ndarray) -> IsotonicRegression:
        return IsotonicRegression(y_min=floor, y_max=1 - floor, out_of_bounds="clip").fit(score, hit)

    if probs.ndim == 1:
        iso = one(probs, target.astype(float))
        return FittedMap("isotonic", {"steps": float(len(iso.X_thresholds_))}, lambda p: iso.predict(p))
    hits = _onehot(target, probs.shape[1])
    fits = [one(probs[:, c], hits[:, c]) for c in range(probs.shape[1])]

    def apply(p: np.ndarray) -> np.ndarray:
        return _renormalized(np.column_stack([iso.predict(p[:, c]) for c, iso in enumerate(fits)]))

    return FittedMap(
        "isotonic", {f"steps[{c}]": float(len(iso.X_thresholds_)) for c, iso in enumerate(fits)}, apply
    )


_FITTERS: dict[str, Callable[[np.ndarray, np.ndarray], FittedMap]] = {
    "none": _fit_none,
    "temperature": _fit_temperature,
    "platt": _fit_platt,
    "isotonic": _fit_isotonic,
}


def fit_map(name: str, target: np.ndarray, probs: np.ndarray) -> FittedMap:
    """Fit the recalibration map ``name`` (one of :data:`METHODS`) to ``target`` (0/1 for 1-D
    ``probs``, class indices for 2-D ones).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> z = rng.normal(0, 2, 5000)
    >>> y = (rng.random(5000) < 1 / (1 + np.exp(-z))).astype(int)
    >>> fitted = fit_map("platt", y, 1 / (1 + np.exp(-(2 * z + 1))))  # logits doubled and shifted
    >>> round(fitted.parameters["slope"], 1), round(fitted.parameters["intercept"], 1)
    (0.5, -0.5)
    """
    fitter = _FITTERS.get(name)
    if fitter is None:
        raise UnknownNameError("calibration method", name, METHODS)
    return fitter(target, probs)


def row_log_loss(target: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """Each row's log loss, probabilities clipped to machine epsilon as scikit-learn does.

    Examples
    --------
    >>> row_log_loss(np.array([1, 0]), np.array([0.5, 0.5])).round(4).tolist()
    [0.6931, 0.6931]
    """
    eps = np.finfo(float).eps
    if probs.ndim == 1:
        p_true = np.where(target == 1, probs, 1 - probs)
    else:
        p_true = probs[np.arange(len(probs)), target]
    return -np.log(np.clip(p_true, eps, 1 - eps))


def choose_method(losses: dict[str, np.ndarray]) -> str:
    """The method of lowest mean log loss, or the simplest one (order of :data:`METHODS`) whose
    mean is within one standard error of the paired per-row difference from it.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> base = rng.exponential(0.5, 1000)
    >>> choose_method({"none": base, "platt": base - 0.001 + rng.normal(0, 0.05, 1000)})  # noise
    'none'
    >>> choose_method({"none": base, "platt": base - 0.05})  # a clear gain
    'platt'
    """
    best = min(losses, key=lambda m: float(np.mean(losses[m])))
    for name in sorted(losses, key=METHODS.index):
        diff = losses[name] - losses[best]
        se = float(np.std(diff, ddof=1) / np.sqrt(len(diff))) if len(diff) > 1 else 0.0
        if float(np.mean(diff)) <= se:
            return name
    return best
