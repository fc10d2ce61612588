"""Counterfactuals: small changes to a row that give it the outcome one wants, several and
diverse, as DiCE finds them (Mothilal, Sharma and Tan, "Explaining machine learning classifiers
through diverse counterfactual explanations", FAT* 2020).

:func:`counterfactuals` is the public search: ``k`` diverse counterfactuals per row, towards a
desired class (or, for a regressor, a desired range of the prediction), changing only the
features allowed, within permitted ranges. It works with any model with ``predict`` (and
``predict_proba`` and ``classes_`` for a classifier), pipelines with categorical columns
included, and scores its candidates in batches: a few model calls per row, not one per
candidate (see :mod:`~lifecycle_widgets.core.explain.counterfactual_search`).

:func:`counterfactual` gives a local explanation its one counterfactual (the closest found).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from lifecycle_widgets.core.explain.counterfactual_result import (
    CounterfactualExample,
    CounterfactualSet,
    RowCounterfactuals,
)
from lifecycle_widgets.core.explain.counterfactual_search import Goal, Scorer, search_row
from lifecycle_widgets.core.explain.counterfactual_space import (
    CATEGORICAL,
    CONTINUOUS,
    FIXED,
    FeatureSpace,
    check_constraints,
    feature_kind,
    is_free_text,
    plain,
    value_text,
)
from lifecycle_widgets.core.explain.estimator import ModelTask, model_task
from lifecycle_widgets.core.explain.models import ModelView, check_fitted
from lifecycle_widgets.exceptions import ColumnError, ParameterError

__all__ = ["Change", "Counterfactual", "counterfactual", "counterfactuals"]

CALLER = "counterfactuals"


@dataclass(frozen=True)
class Change:
    """One feature of a counterfactual: its value before and after."""

    feature: str
    before: str
    after: str


@dataclass(frozen=True)
class Counterfactual:
    """A change to a row that flips the decision, or why none was found."""

    found: bool
    changes: tuple[Change, ...] = ()
    prediction_before: str = ""
    prediction_after: str = ""
    distance: float | None = None
    note: str = ""


def _count(value: Any, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise ParameterError.bad_value(name, CALLER, f"an int >= {minimum}", value)
    return int(value)


def _model_frame(model: Any, X: Any) -> pd.DataFrame:
    """``X`` as the model reads it: its ``feature_names_in_`` columns in their order, if it names them."""
    if not isinstance(X, pd.DataFrame):
        raise ParameterError.bad_value("X", CALLER, "a pandas DataFrame with named columns", type(X).__name__)
    if len(X) == 0:
        raise ParameterError.bad_value("X", CALLER, "a DataFrame with at least one row", "an empty DataFrame")
    if X.columns.duplicated().any():
        raise ColumnError(
            X.columns[X.columns.duplicated()][0], "appears twice in X; column names must be unique"
        )
    expected = getattr(model, "feature_names_in_", None)
    if expected is None:
        return X
    missing = [c for c in expected if c not in X.columns]
    if missing:
        raise ColumnError(missing[0], f"the model expects it but X lacks it (missing: {list(missing)[:10]})")
    return X[list(expected)]


def _queries(X: pd.DataFrame, row: Any) -> tuple[pd.DataFrame, list[int], list[str]]:
    """The rows to explain, their positions and their index labels as text."""
    if isinstance(row, pd.DataFrame):
        missing = [c for c in X.columns if c not in row.columns]
        if missing:
            raise ColumnError(
                missing[0], f"the 'row' frame lacks it; it needs every column of X ({len(X.columns)})"
            )
        if len(row) == 0:
            raise ParameterError.bad_value("row", CALLER, "a frame with at least one row", "an empty frame")
        return row[list(X.columns)], list(range(len(row))), [str(v) for v in row.index]
    positions = [row] if isinstance(row, int | np.integer) and not isinstance(row, bool) else row
    if (
        isinstance(positions, str)
        or not isinstance(positions, Sequence | np.ndarray | pd.Index)
        or len(positions) == 0
        or not all(isinstance(p, int | np.integer) and not isinstance(p, bool) for p in positions)
    ):
        raise ParameterError.bad_value(
            "row", CALLER, "a row position in X, a list of positions, or a DataFrame of rows", row
        )
    bad = [int(p) for p in positions if not -len(X) <= p < len(X)]
    if bad:
        raise ParameterError.bad_value("row", CALLER, f"positions within X's {len(X):,} rows", bad[:5])
    positions = [int(p) % len(X) for p in positions]
    return X.iloc[positions], positions, [str(X.index[p]) for p in positions]


def _desired(
    task: ModelTask, desired_class: Any, desired_range: Any
) -> tuple[Any, tuple[float, float] | None]:
    if not task.is_classifier:
        if desired_class is not None:
            raise ParameterError.bad_value(
                "desired_class", CALLER, "None for a regressor (give desired_range instead)", desired_class
            )
        ok = (
            isinstance(desired_range, Sequence)
            and not isinstance(desired_range, str)
            and len(desired_range) == 2
            and all(
                v is None or (isinstance(v, int | float | np.number) and not isinstance(v, bool))
                for v in desired_range
            )
        )
        if not ok:
            raise ParameterError.bad_value(
                "desired_range",
                CALLER,
                "a pair (lo, hi) of numbers (None for an open end) for a regressor",
                desired_range,
            )
        lo = -np.inf if desired_range[0] is None else float(desired_range[0])
        hi = np.inf if desired_range[1] is None else float(desired_range[1])
        if np.isnan(lo) or np.isnan(hi) or lo > hi:
            raise ParameterError.bad_value(
                "desired_range", CALLER, "a pair (lo, hi) with lo <= hi", desired_range
            )
        return None, (lo, hi)
    if desired_range is not None:
        raise ParameterError.bad_value(
            "desired_range", CALLER, "None for a classifier (give desired_class instead)", desired_range
        )
    if desired_class is None:
        return None, None
    opposite = (
        isinstance(desired_class, str) and desired_class == "opposite" and "opposite" not in task.classes
    )
    if opposite and task.problem_type == "binary":
        return None, None
    if opposite or desired_class not in task.classes:
        raise ParameterError.bad_value(
            "desired_class",
            CALLER,
            f"None, 'opposite' (binary models) or one of the model's classes {list(task.classes)[:20]}",
            desired_class,
        )
    return desired_class, None


def _check_number(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.number) or not 0 <= value < np.inf:
        raise ParameterError.bad_value(name, CALLER, "a finite number >= 0", value)
    return float(value)


def counterfactuals(
    model: Any,
    X: pd.DataFrame,
    row: int | Sequence[int] | pd.DataFrame,
    *,
    k: int = 4,
    desired_class: Any = None,
    desired_range: tuple[float | None, float | None] | None = None,
    features_to_vary: str | Sequence[str] = "all",
    permitted_range: Mapping[str, Any] | None = None,
    immutable: Sequence[str] = (),
    diversity_weight: float = 1.0,
    sparsity_weight: float = 1.0,
    batch_rows: int = 50_000,
    random_state: int = 0,
) -> CounterfactualSet:
    """``k`` diverse counterfactuals for one or several rows: changes to the row that give it
    the desired outcome, as close to it and as sparse as the search finds, and different from
    each other.

    Parameters
    ----------
    model : fitted model
        Anything with ``predict``; a classifier also needs ``predict_proba`` and ``classes_``.
        Pipelines take the raw columns (categories as strings or ``category`` dtype).
    X : DataFrame
        Reference rows (for example the training data): the values and categories a feature may
        take, the MAD that scales its changes, and rows the model already gives the desired
        outcome to start from. Columns are the model's inputs (``feature_names_in_`` when the
        model names them).
    row : int, list of int, or DataFrame
        The row(s) to explain: positions in ``X``, or a frame with ``X``'s columns.
    k : int
        Counterfactuals wanted per row.
    desired_class : None, "opposite" or a class label
        For a classifier: the class wanted. ``None`` and ``"opposite"`` mean the other class of
        a binary model; ``None`` means any class but the current one for a multiclass model.
    desired_range : (lo, hi)
        For a regressor (required): the range the prediction should fall in (``None`` for an
        open end).
    features_to_vary : "all" or list of str
        The features that may change (free-text columns are left out of "all").
    permitted_range : dict
        Column -> ``(lo, hi)`` for a number or a list of categories, the values a change may
        take; by default a number stays within the range seen in ``X`` and a category is one of
        the 50 most frequent in ``X``.
    immutable : list of str
        Features that never change.
    diversity_weight : float
        How much the pick of each next counterfactual values its distance from those already
        picked against its distance from the row (0: only closeness).
    sparsity_weight : float
        What each changed feature costs in the search, in MADs of a number (a changed category
        costs 1): higher values prefer fewer changes over smaller ones.
    batch_rows : int
        The most rows scored in one model call.
    random_state : int
        Seed of the random candidates: the same seed gives the same result.

    Returns
    -------
    CounterfactualSet
        Per row: the counterfactuals (closest first), each checked by calling the model, with
        proximity, sparsity and the set's diversity; fewer than ``k`` where the search found
        fewer, said in the row's note.

    Examples
    --------
    >>> import lifecycle_widgets as lw
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> df = lw.datasets.credit(600)
    >>> X = df[["age", "income", "utilization", "late_payments", "region"]]
    >>> X = X.assign(region=X["region"].cat.codes)
    >>> model = RandomForestClassifier(50, max_depth=5, random_state=0).fit(X, df["defaulted"])
    >>> cfs = counterfactuals(model, X, [0, 1], k=2, immutable=["age"],
    ...                       permitted_range={"utilization": (0.0, 0.8)})
    >>> [r.n_valid for r in cfs.rows]
    [2, 2]
    >>> all(0 <= cf.changes.get("utilization", 0.0) <= 0.8 for r in cfs.rows for cf in r.counterfactuals)
    True
    """
    check_fitted(model, CALLER)
    task = model_task(model, CALLER)
    Xm = _model_frame(model, X)
    queries, positions, labels = _queries(Xm, row)
    k = _count(k, "k", 1)
    batch_rows = _count(batch_rows, "batch_rows", 1)
    if isinstance(random_state, bool) or not isinstance(random_state, int | np.integer):
        raise ParameterError.bad_value("random_state", CALLER, "an int", random_state)
    diversity_weight = _check_number(diversity_weight, "diversity_weight")
    sparsity_weight = _check_number(sparsity_weight, "sparsity_weight")
    wanted, wanted_range = _desired(task, desired_class, desired_range)
    vary, fixed, ranges = check_constraints(
        Xm,
        features_to_vary=features_to_vary,
        immutable=immutable,
        permitted_range=permitted_range,
        caller=CALLER,
    )

    start = time.perf_counter()
    space = FeatureSpace.build(
        Xm, queries, vary=vary, immutable=fixed, ranges=ranges, random_state=int(random_state)
    )
    space.change_cost = sparsity_weight
    notes = list(space.notes)
    if not space.mutable.any():
        raise ParameterError(
            f"The 'features_to_vary' and 'immutable' parameters of {CALLER} leave no feature that can change "
            "(free-text columns, columns without values and datetimes are never varied)."
        )
    classes = [plain(c) for c in task.classes]

    def outputs(frame: pd.DataFrame) -> np.ndarray:
        if task.is_classifier:
            return np.asarray(model.predict_proba(frame), dtype=float)
        return np.asarray(model.predict(frame), dtype=float)

    Z0 = space.encode(queries)
    query_pred = np.asarray(model.predict(queries))
    if (queries.dtypes == space.pool_frame.dtypes).all():  # one call for the rows and the reference sample
        out = outputs(pd.concat([queries, space.pool_frame], ignore_index=True))
        query_out, pool_out = out[: len(queries)], out[len(queries) :]
    else:
        query_out, pool_out = outputs(queries), outputs(space.pool_frame)
    rows = []
    for i, (pos, label) in enumerate(zip(positions, labels, strict=True)):
        row_start = time.perf_counter()
        base = queries.iloc[[i]]
        current = plain(query_pred[i])
        if task.is_classifier:
            mask = (
                np.array([c == plain(wanted) for c in classes])
                if wanted is not None
                else np.array([c != current for c in classes])
            )
            goal = Goal(classes=mask)
            desired = (
                f"class {value_text(wanted)}"
                if wanted is not None
                else (
                    f"class {value_text(classes[int(np.flatnonzero(mask)[0])])}"
                    if mask.sum() == 1
                    else f"any class but {value_text(current)}"
                )
            )
            output = (
                float(query_out[i, classes.index(current)])
                if current in classes
                else float(query_out[i].max())
            )
            prediction = value_text(current)
        else:
            assert wanted_range is not None
            goal = Goal(low=wanted_range[0], high=wanted_range[1])
            desired = f"prediction in [{value_text(wanted_range[0])}, {value_text(wanted_range[1])}]"
            output = float(query_out[i])
            prediction = value_text(output)
        score = Scorer(space, outputs, base, goal, batch_rows)
        already = bool(goal.valid(goal.margin(query_out[[i]]))[0])
        if already:
            found = np.zeros((0, len(space.names)))
            note = f"The row already has the desired outcome ({desired}): nothing to change."
        else:
            rng = np.random.default_rng([int(random_state), int(pos)])
            outcome = search_row(
                space,
                score,
                Z0[i],
                k=k,
                rng=rng,
                diversity_weight=diversity_weight,
                pool_margin=goal.margin(pool_out),
            )
            found = outcome.Z
            note = ""
        examples = _checked(model, task, space, classes, goal, base, Z0[i], found)
        examples.sort(key=lambda e: (not e[0].valid, e[0].distance))
        n_valid = sum(e[0].valid for e in examples)
        if not already and n_valid < k:
            note = (
                f"Found {n_valid} valid counterfactual{'s' if n_valid != 1 else ''} of the {k} asked for "
                f"after scoring {score.count:,} candidates."
            )
        valid_rows = (
            np.asarray([z for e, z in examples if e.valid]) if n_valid else np.zeros((0, len(space.names)))
        )
        total, cont, cat, count = space.pairwise(valid_rows)
        rows.append(
            RowCounterfactuals(
                position=pos,
                label=label,
                values=tuple(plain(v) for v in base.iloc[0].tolist()),
                prediction=prediction,
                output=output,
                desired=desired,
                counterfactuals=tuple(e for e, _ in examples),
                diversity=total,
                diversity_continuous=cont,
                diversity_categorical=cat,
                count_diversity=count,
                candidates=score.count,
                seconds=time.perf_counter() - row_start,
                note=note,
            )
        )
    cont_names = tuple(n for n, kind in zip(space.names, space.kinds, strict=True) if kind == CONTINUOUS)
    return CounterfactualSet(
        model=_model_name(model),
        task=task.problem_type,
        k=k,
        features=space.names,
        continuous=cont_names,
        categorical=tuple(n for n, kind in zip(space.names, space.kinds, strict=True) if kind == CATEGORICAL),
        varied=tuple(n for n, m in zip(space.names, space.mutable, strict=True) if m),
        immutable=tuple(fixed),
        permitted_range=ranges,
        mad={n: float(space.mad[space.names.index(n)]) for n in cont_names},
        rows=tuple(rows),
        seconds=time.perf_counter() - start,
        notes=tuple(notes),
    )


def _model_name(model: Any) -> str:
    steps = getattr(model, "steps", None)
    if steps:
        return " > ".join(type(s).__name__ for _, s in steps)
    return type(model).__name__


def _checked(
    model: Any,
    task: ModelTask,
    space: FeatureSpace,
    classes: list[Any],
    goal: Goal,
    base: pd.DataFrame,
    z0: np.ndarray,
    Z: np.ndarray,
) -> list[tuple[CounterfactualExample, np.ndarray]]:
    """The counterfactuals ``Z`` of row ``z0`` as results, their validity read from the model's
    own ``predict`` (one call for all of them)."""
    if len(Z) == 0:
        return []
    frame = space.decode(Z, base)
    predicted = np.asarray(model.predict(frame))
    if task.is_classifier:
        proba = np.asarray(model.predict_proba(frame), dtype=float)
    changed = space.changed(Z, z0)
    cont_part, cat_part = space.parts(Z, z0)
    distance = space.distance(Z, z0)
    varied = int((space.continuous | space.categorical).sum())
    out = []
    for i in range(len(Z)):
        label = plain(predicted[i])
        if task.is_classifier:
            valid = bool(label in classes and goal.classes[classes.index(label)])  # type: ignore[index]
            output = float(proba[i, classes.index(label)]) if label in classes else float(proba[i].max())
            prediction = value_text(label)
        else:
            value = float(predicted[i])
            valid = bool(goal.low <= value <= goal.high)
            output, prediction = value, value_text(value)
        changes = {space.names[j]: space.value(j, Z[i, j]) for j in np.flatnonzero(changed[i])}
        example = CounterfactualExample(
            changes=changes,
            prediction=prediction,
            output=output,
            valid=valid,
            distance=float(distance[i]),
            proximity_continuous=None if cont_part is None else float(cont_part[i]),
            proximity_categorical=None if cat_part is None else float(cat_part[i]),
            changed_share=len(changes) / varied if varied else 0.0,
        )
        out.append((example, Z[i]))
    return out


def counterfactual(
    view: ModelView,
    X: pd.DataFrame,
    row: pd.DataFrame,
    *,
    order: Sequence[str],
    immutable: Sequence[str] = (),
    threshold: float | None = None,
    before: Any = None,
    batch_rows: int = 50_000,
    random_state: int = 0,
) -> Counterfactual:
    """The closest counterfactual :func:`counterfactuals` finds for ``row`` (a one-row frame),
    changing only the features in ``order`` (never free text or dates), as a local explanation
    shows it.

    A classifier's counterfactual gets any class but the row's decision (``before``, if the
    caller knows it already); a regressor's crosses ``threshold`` (default: the median
    prediction on ``X``). ``distance`` is the change in MADs summed over the changed continuous
    features, plus 1 per changed categorical feature.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from lifecycle_widgets.core.explain.models import view_model
    >>> X = pd.DataFrame({"income": [10, 20, 30, 40, 50, 60], "age": [30, 40, 50, 30, 40, 50]})
    >>> model = DecisionTreeClassifier(random_state=0).fit(X, [0, 0, 0, 1, 1, 1])
    >>> cf = counterfactual(view_model(model, X), X, X.iloc[[1]], order=["income", "age"], immutable=["age"])
    >>> cf.found, [(c.feature, c.before, c.after) for c in cf.changes], cf.prediction_after
    (True, [('income', '20', '36')], '1')
    """
    desired_range = None
    if not view.classes:
        if threshold is None:
            threshold = float(np.median(np.asarray(view.model.predict(X), dtype=float)))
        now = float(np.asarray(view.model.predict(row), dtype=float)[0]) if before is None else float(before)
        desired_range = (
            (float(np.nextafter(threshold, np.inf)), None) if now <= threshold else (None, threshold)
        )
    columns = {str(c): c for c in X.columns}
    mutable = [
        f
        for f in order
        if f not in set(immutable)
        and f in columns
        and feature_kind(X[columns[f]]) != FIXED
        and not is_free_text(X[columns[f]])  # swapping one document for another explains nothing
    ]
    if not mutable:
        return Counterfactual(
            False,
            prediction_before=str(before),
            note="No feature may change: the others are immutable, free text or dates.",
        )
    result = counterfactuals(
        view.model,
        X,
        row,
        k=1,
        desired_range=desired_range,
        features_to_vary=mutable,
        batch_rows=batch_rows,
        random_state=random_state,
    )
    found = result.rows[0]
    prediction_before = str(before) if before is not None else found.prediction
    valid = [cf for cf in found.counterfactuals if cf.valid]
    if not valid:
        return Counterfactual(
            False,
            prediction_before=prediction_before,
            note=found.note
            or "No change of the mutable features within the observed ranges changes the decision.",
        )
    cf = valid[0]
    values = dict(zip(result.features, found.values, strict=True))
    distance = sum(
        (1.0 if values[f] is None else abs(float(v) - float(values[f])) / result.mad[f])
        if f in result.mad
        else 1.0  # type: ignore[arg-type]
        for f, v in cf.changes.items()
    )
    return Counterfactual(
        True,
        tuple(Change(f, value_text(values[f]), value_text(v)) for f, v in cf.changes.items()),
        prediction_before,
        cf.prediction,
        float(distance),
    )
