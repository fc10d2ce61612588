"""Integrated gradients for differentiable scikit-learn models: logistic and linear models and
multi-layer perceptrons, optionally behind a StandardScaler. Gradients are exact (back-propagated
through the fitted weights), so attributions add up to f(x) - f(baseline) up to the Riemann sum's
error."""

from __future__ import annotations

from typing import Any

import numpy as np

from lifecycle_widgets.exceptions import ParameterError

_ACT = {
    "relu": (lambda z: np.maximum(z, 0), lambda z, a: (z > 0).astype(float)),
    "tanh": (np.tanh, lambda z, a: 1 - a**2),
    "logistic": (lambda z: 1 / (1 + np.exp(-z)), lambda z, a: a * (1 - a)),
    "identity": (lambda z: z, lambda z, a: np.ones_like(z)),
}


def _unwrap(model: Any) -> tuple[Any, np.ndarray | None, np.ndarray | None]:
    steps = getattr(model, "steps", None)
    if not steps:
        return model, None, None
    if len(steps) == 2 and type(steps[0][1]).__name__ == "StandardScaler":
        sc = steps[0][1]
        return steps[1][1], sc.mean_ if sc.with_mean else np.zeros_like(sc.scale_), sc.scale_
    raise ParameterError(
        "Integrated gradients need the model alone or behind one StandardScaler; "
        f"got a pipeline of {[type(s).__name__ for _, s in steps]}."
    )


def _output_and_grad(est: Any, x: np.ndarray, target: int) -> tuple[np.ndarray, np.ndarray]:
    """Model output for class ``target`` (probability, or prediction) and its input gradient."""
    name = type(est).__name__
    if name in ("LogisticRegression",):
        w, b = est.coef_, est.intercept_
        if w.shape[0] == 1:  # binary: probability of classes_[1]
            p = 1 / (1 + np.exp(-(x @ w[0] + b[0])))
            sign = 1.0 if target == 1 else -1.0
            out = p if target == 1 else 1 - p
            return out, sign * (p * (1 - p))[:, None] * w[0]
        z = x @ w.T + b
        s = np.exp(z - z.max(1, keepdims=True))
        s /= s.sum(1, keepdims=True)
        grad = s[:, [target]] * (w[target] - s @ w)
        return s[:, target], grad
    if name in ("LinearRegression", "Ridge", "Lasso", "ElasticNet"):
        w = np.atleast_2d(est.coef_)[0]
        return x @ w + np.atleast_1d(est.intercept_)[0], np.tile(w, (len(x), 1))
    if name in ("MLPClassifier", "MLPRegressor"):
        act, dact = _ACT[est.activation]
        zs, acts = [], [x]
        a = x
        for i, (w, b) in enumerate(zip(est.coefs_, est.intercepts_, strict=True)):
            z = a @ w + b
            last = i == len(est.coefs_) - 1
            a = z if last else act(z)
            zs.append(z)
            acts.append(a)
        z_out = zs[-1]
        if name == "MLPRegressor":
            out, d = z_out[:, 0], np.zeros_like(z_out)
            d[:, 0] = 1.0
        elif z_out.shape[1] == 1:  # binary classifier: logistic output for classes_[1]
            p = 1 / (1 + np.exp(-z_out[:, 0]))
            out = p if target == 1 else 1 - p
            d = ((1 if target == 1 else -1) * p * (1 - p))[:, None]
        else:
            s = np.exp(z_out - z_out.max(1, keepdims=True))
            s /= s.sum(1, keepdims=True)
            out = s[:, target]
            d = -s * s[:, [target]]
            d[:, target] += s[:, target]
        for i in range(len(est.coefs_) - 1, -1, -1):
            d = d @ est.coefs_[i].T
            if i > 0:
                d = d * dact(zs[i - 1], acts[i])
        return out, d
    raise ParameterError(
        f"Integrated gradients need a differentiable model (LogisticRegression, a linear "
        f"regressor, MLPClassifier or MLPRegressor); got {name}."
    )


def integrated_gradients(
    model: Any, X: Any, *, baseline: Any = None, steps: int = 64, target: Any = None
) -> np.ndarray:
    """Integrated gradients (Sundararajan et al., 2017) of each row of ``X``.

    Parameters
    ----------
    model : fitted LogisticRegression, linear regressor, MLPClassifier or MLPRegressor,
        alone or in a Pipeline behind a StandardScaler.
    X : array-like of shape (n_rows, n_features), numeric
    baseline : array-like of shape (n_features,), optional
        The reference input; zeros by default (black pixels for images).
    steps : int
        Points of the Riemann sum along the path.
    target : class label, optional
        Which class probability to explain (default: the predicted class of each row).

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.neural_network import MLPClassifier
    >>> import lifecycle_widgets as lw
    >>> X, y = load_digits(return_X_y=True)
    >>> mlp = MLPClassifier(hidden_layer_sizes=(32,), max_iter=300, random_state=0).fit(X / 16, y)
    >>> attributions = lw.integrated_gradients(mlp, X[:2] / 16)
    >>> attributions.shape
    (2, 64)
    """
    est, mean, scale = _unwrap(model)
    x = np.asarray(X, dtype=float)
    if x.ndim != 2:
        raise ParameterError.bad_value("X", "integrated_gradients", "a 2-D numeric array", x.shape)
    base = np.zeros(x.shape[1]) if baseline is None else np.asarray(baseline, dtype=float)
    if base.shape != (x.shape[1],):
        raise ParameterError(
            f"baseline must have {x.shape[1]} values, one per feature; got shape {base.shape}."
        )
    classes = list(getattr(est, "classes_", []))
    if classes and target is None:
        # one call on X as given: a model fitted on a DataFrame keeps its column names
        predicted = np.argmax(np.asarray(model.predict_proba(X)), axis=1)
    elif classes:
        if target not in classes:
            raise ParameterError.bad_value(
                "target", "integrated_gradients", f"one of the classes {classes}", target
            )
        predicted = np.full(len(x), classes.index(target))
    else:
        predicted = np.zeros(len(x), dtype=int)
    out = np.zeros_like(x)
    for i, row in enumerate(x):
        k = int(predicted[i])
        alphas = (np.arange(steps) + 0.5) / steps
        path = base + alphas[:, None] * (row - base)
        z = path if scale is None else (path - mean) / scale
        _, grad = _output_and_grad(est, z, k)
        if scale is not None:
            grad = grad / scale
        out[i] = (row - base) * grad.mean(0)
    return out
