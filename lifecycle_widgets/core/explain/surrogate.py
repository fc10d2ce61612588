"""A global surrogate: a shallow decision tree that imitates the model, read as rules in the raw
columns' own terms, with its fidelity on rows it was not fitted on.

Categories reach the tree as codes ranked by the model's mean output in each category, so a
split ``code <= 2.5`` is the set of the three lowest categories and reads
``employment_type in {gig, self-employed}``. For a regression or a binary output, ordering the
categories by their mean response and splitting that order finds the best of all
``2**(k-1) - 1`` two-way partitions of the categories (Fisher 1958; Breiman et al. 1984,
*Classification and Regression Trees*, section 9.4), so ranking costs the tree nothing there.
A number's threshold is written with the fewest digits that still fall between the two
neighbouring values seen in fitting, so ``age <= 42.5`` rather than ``age <= 42.500``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from lifecycle_widgets.core.explain.models import ModelView
from lifecycle_widgets.core.formatting import fmt_number
from lifecycle_widgets.exceptions import ParameterError

MISSING = "(missing)"
HOLD_OUT = 0.3  # share of rows kept out of fitting to measure fidelity


@dataclass(frozen=True)
class SurrogateRule:
    """One leaf of the surrogate tree: the path to it in raw terms and what it predicts.

    ``share`` is the leaf's share of the rows the tree was fitted on. ``purity`` (classifiers) is
    the share of those rows whose model prediction is the leaf's class; ``std`` (regressors) the
    spread of the model's predictions in the leaf.
    """

    conditions: tuple[str, ...]
    prediction: str
    value: float
    share: float
    rows: int
    purity: float | None = None
    std: float | None = None

    @property
    def text(self) -> str:
        """``IF a and b THEN prediction``, the rule as one line.

        Examples
        --------
        >>> SurrogateRule(("age <= 42.5", "job in {gig}"), "1", 0.9, 0.2, 40, purity=0.9).text
        'IF age <= 42.5 and job in {gig} THEN 1'
        """
        path = " and ".join(self.conditions) or "(all rows)"
        return f"IF {path} THEN {self.prediction}"


@dataclass(frozen=True)
class Surrogate:
    """A shallow decision tree that imitates the model, how faithfully, and its rules.

    ``fidelity`` compares the tree with the model on ``held_out_rows`` rows neither was fitted
    on (``agreement`` of predicted classes for a classifier, ``R2`` of predictions for a
    regressor). ``rules`` is the text of ``leaf_rules``, one line per leaf.
    """

    depth: int
    fidelity: float
    fidelity_metric: str
    rules: str
    leaves: int
    leaf_rules: tuple[SurrogateRule, ...] = ()
    held_out_rows: int = 0
    fit_rows: int = 0

    def to_frame(self) -> pd.DataFrame:
        """One row per leaf: its conditions (joined by ``and``), prediction, share of rows,
        purity (classifiers) or spread (regressors), largest share first.

        Examples
        --------
        >>> rule = SurrogateRule(("age <= 40",), "yes", 0.8, 0.6, 60, purity=0.8)
        >>> Surrogate(1, 0.9, "agreement", rule.text, 1, (rule,)).to_frame()[["rule", "share"]]
                rule  share
        0  age <= 40    0.6
        """
        return pd.DataFrame(
            [
                {
                    "rule": " and ".join(r.conditions) or "(all rows)",
                    "prediction": r.prediction,
                    "share": r.share,
                    "rows": r.rows,
                    "purity": r.purity,
                    "std": r.std,
                }
                for r in self.leaf_rules
            ],
            columns=["rule", "prediction", "share", "rows", "purity", "std"],
        )


def is_categorical(series: pd.Series) -> bool:
    """Columns the explanations treat as categories: anything not numeric, and booleans.

    Examples
    --------
    >>> is_categorical(pd.Series(["a", "b"])), is_categorical(pd.Series([True])), is_categorical(pd.Series([1.5]))
    (True, True, False)
    """
    return not pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series)


class RankedCategories:
    """Category columns as codes ranked by the model's mean output in each category (missing as
    a category of its own); numbers pass through as floats.

    Examples
    --------
    >>> X = pd.DataFrame({"job": ["gig", "salaried", "gig", None], "age": [30, 40, 50, 60]})
    >>> codec = RankedCategories(X, np.array([0.9, 0.1, 0.7, 0.5]))
    >>> codec.order["job"], codec.encode(X)[:, 0].tolist()
    (['salaried', '(missing)', 'gig'], [2.0, 0.0, 2.0, 1.0])
    """

    def __init__(self, X: pd.DataFrame, output: np.ndarray) -> None:
        self.columns = list(X.columns)
        self.order: dict[str, list[str]] = {}
        for c in self.columns:
            if is_categorical(X[c]):
                keys = self._keys(X[c])
                means = pd.Series(output, index=keys.index).groupby(keys.to_numpy()).mean()
                # ties in the mean keep the categories' names in order, so the codes are reproducible
                self.order[c] = sorted(means.index, key=lambda k: (means[k], k))

    @staticmethod
    def _keys(col: pd.Series) -> pd.Series:
        return col.astype(object).where(col.notna(), MISSING).astype(str)

    def encode(self, X: pd.DataFrame) -> np.ndarray:
        out = np.empty((len(X), len(self.columns)))
        for j, c in enumerate(self.columns):
            if c in self.order:
                rank = {k: i for i, k in enumerate(self.order[c])}
                # a category the tree never saw goes where the lowest-ranked one goes
                out[:, j] = [rank.get(k, -1) for k in self._keys(X[c])]
            else:
                out[:, j] = X[c].to_numpy(dtype=float, na_value=np.nan)
        return out


def _threshold_text(t: float, below: float, above: float) -> str:
    """The shortest decimal form of ``t`` that still splits ``below`` from ``above`` (the
    neighbouring values seen in fitting: ``x <= candidate`` keeps ``below`` and not ``above``),
    at least three significant digits. The tree compares in float32, so its threshold can sit a
    hair above a value it means to include (1.58000004 for 1.58).

    Examples
    --------
    >>> _threshold_text(42.5, 42.0, 43.0), _threshold_text(float(np.float32(1.58)), 1.58, 1.59)
    ('42.5', '1.58')
    """
    for digits in range(3, 17):
        candidate = float(f"{t:.{digits}g}")
        if below <= candidate < above:
            return np.format_float_positional(candidate, trim="-")
    return np.format_float_positional(t, trim="-")


def _set_text(values: list[str]) -> str:
    return "{" + ", ".join(sorted(values)) + "}"


class _PathReader:
    """Rules of a fitted tree in raw terms: per leaf, the interval of each number and the set of
    each category that its path allows."""

    def __init__(
        self, tree: Any, codec: RankedCategories, encoded: np.ndarray, has_missing: list[bool]
    ) -> None:
        self.tree, self.codec, self.has_missing = tree.tree_, codec, has_missing
        self.neighbours: dict[tuple[int, float], tuple[float, float]] = {}
        self.sorted = [np.unique(col[~np.isnan(col)]) for col in encoded.T]

    def _around(self, j: int, t: float) -> tuple[float, float]:
        values = self.sorted[j]
        i = int(np.searchsorted(values, t, side="right"))
        below = values[i - 1] if i > 0 else -np.inf
        above = values[i] if i < len(values) else np.inf
        return float(below), float(above)

    def conditions(self, bounds: dict[int, list[Any]]) -> tuple[str, ...]:
        out = []
        for j in sorted(bounds):
            lo, hi, missing_ok = bounds[j]
            name = self.codec.columns[j]
            if name in self.codec.order:
                cats = self.codec.order[name]
                allowed = [
                    c for i, c in enumerate(cats) if (lo is None or i > lo) and (hi is None or i <= hi)
                ]
                if len(allowed) == len(cats):
                    continue
                rest = [c for c in cats if c not in allowed]
                text = (
                    f"{name} in {_set_text(allowed)}"
                    if len(allowed) <= len(rest)
                    else f"{name} not in {_set_text(rest)}"
                )
            else:
                lo_text = None if lo is None else _threshold_text(lo, *self._around(j, lo))
                hi_text = None if hi is None else _threshold_text(hi, *self._around(j, hi))
                if lo_text is not None and hi_text is not None:
                    text = f"{lo_text} < {name} <= {hi_text}"
                elif hi_text is not None:
                    text = f"{name} <= {hi_text}"
                elif lo_text is not None:
                    text = f"{name} > {lo_text}"
                else:
                    text = ""
                if text and self.has_missing[j] and missing_ok:
                    text = f"({text} or missing)"
                elif not text and self.has_missing[j] and not missing_ok:
                    text = f"{name} is not missing"
            if text:
                out.append(text)
        return tuple(out)

    def leaves(self) -> list[tuple[int, tuple[str, ...]]]:
        t = self.tree
        missing_left = getattr(t, "missing_go_to_left", None)
        found: list[tuple[int, tuple[str, ...]]] = []
        stack: list[tuple[int, dict[int, list[Any]]]] = [(0, {})]
        while stack:
            node, bounds = stack.pop()
            left, right = int(t.children_left[node]), int(t.children_right[node])
            if left == -1:
                found.append((node, self.conditions(bounds)))
                continue
            j, thr = int(t.feature[node]), float(t.threshold[node])
            goes_left = bool(missing_left[node]) if missing_left is not None else False
            for child, side in ((right, "right"), (left, "left")):
                lo, hi, missing_ok = bounds.get(j, [None, None, True])
                if side == "left":
                    hi = thr if hi is None else min(hi, thr)
                else:
                    lo = thr if lo is None else max(lo, thr)
                stack.append((child, {**bounds, j: [lo, hi, missing_ok and goes_left == (side == "left")]}))
        return sorted(found, key=lambda leaf: leaf[0])


def surrogate_tree(
    view: ModelView, X: pd.DataFrame, *, depth: int = 3, random_state: int = 0, caller: str = "surrogate"
) -> Surrogate:
    """A decision tree of at most ``depth`` levels fitted to the model's predictions on 70 % of
    ``X``; its fidelity is measured on the other 30 %, and its leaves read as rules in raw terms.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from lifecycle_widgets.core.explain.models import view_model
    >>> X = pd.DataFrame({"job": ["gig", "salaried", "self-employed", "retired"] * 50,
    ...                   "age": list(range(20, 70)) * 4})
    >>> class Rule:  # a classifier on the raw columns
    ...     classes_ = np.array([False, True])
    ...     def predict_proba(self, X):
    ...         p = (X["job"].isin(["gig", "self-employed"]) & (X["age"] < 50)).to_numpy(float)
    ...         return np.c_[1 - p, p]
    ...     def predict(self, X): return self.predict_proba(X)[:, 1] > 0.5
    >>> s = surrogate_tree(view_model(Rule(), X), X, depth=2)
    >>> s.fidelity, [r.text for r in s.leaf_rules if r.prediction == "True"]
    (1.0, ['IF job in {gig, self-employed} and age <= 49 THEN True'])
    """
    if isinstance(depth, bool) or not isinstance(depth, int | np.integer) or depth < 1:
        raise ParameterError.bad_value("depth", caller, "a positive int", depth)
    if len(X) < 20:
        raise ParameterError.bad_value("X", caller, "at least 20 rows (30 % are held out)", f"{len(X)} rows")
    from sklearn.metrics import accuracy_score, r2_score
    from sklearn.model_selection import train_test_split
    from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

    X = X.reset_index(drop=True)
    classifier = bool(view.classes)
    target = np.asarray(view.model.predict(X))
    target = target.astype(str) if classifier else target.astype(float)
    stratify = target if classifier and pd.Series(target).value_counts().min() > 1 else None
    fit_idx, hold_idx = train_test_split(
        np.arange(len(X)), test_size=HOLD_OUT, random_state=random_state, stratify=stratify
    )
    x_fit, x_hold = X.iloc[fit_idx], X.iloc[hold_idx]
    codec = RankedCategories(x_fit, view.output(x_fit))
    e_fit, e_hold = codec.encode(x_fit), codec.encode(x_hold)
    tree = (DecisionTreeClassifier if classifier else DecisionTreeRegressor)(
        max_depth=int(depth), random_state=random_state
    )
    tree.fit(e_fit, target[fit_idx])
    predicted = tree.predict(e_hold)
    if classifier:
        fidelity, metric = float(accuracy_score(target[hold_idx], predicted)), "agreement"
    else:
        fidelity, metric = float(r2_score(target[hold_idx], predicted)), "R2"
    has_missing = [bool(np.isnan(e_fit[:, j]).any()) for j in range(e_fit.shape[1])]
    reader = _PathReader(tree, codec, e_fit, has_missing)
    leaf_of = tree.apply(e_fit)
    rules = []
    for node, conditions in reader.leaves():
        members = target[fit_idx][leaf_of == node]
        n = len(members)
        if classifier:
            counts = tree.tree_.value[node][0]
            label = str(tree.classes_[int(np.argmax(counts))])
            purity = float(np.mean(members == label)) if n else 0.0
            rules.append(SurrogateRule(conditions, label, purity, n / len(fit_idx), n, purity=purity))
        else:
            mean = float(tree.tree_.value[node][0][0])
            std = float(np.std(members)) if n else 0.0
            rules.append(SurrogateRule(conditions, fmt_number(mean), mean, n / len(fit_idx), n, std=std))
    rules.sort(key=lambda r: -r.share)
    return Surrogate(
        depth=int(depth),
        fidelity=fidelity,
        fidelity_metric=metric,
        rules="\n".join(r.text for r in rules),
        leaves=int(tree.get_n_leaves()),
        leaf_rules=tuple(rules),
        held_out_rows=len(hold_idx),
        fit_rows=len(fit_idx),
    )
