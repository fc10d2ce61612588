"""``explain``: global and local explanations of a fitted model, their stability, and (with labels)
its bias and calibration, gathered in one :class:`Explanation`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from lifecycle_widgets.core.explain import global_ as glob
from lifecycle_widgets.core.explain.attributions import Attributor
from lifecycle_widgets.core.explain.bias import BiasReport
from lifecycle_widgets.core.explain.calibrate import Calibration
from lifecycle_widgets.core.explain.counterfactual import Counterfactual, counterfactual
from lifecycle_widgets.core.explain.global_ import Dependence, FeatureImportance, Surrogate
from lifecycle_widgets.core.explain.models import ModelView, view_model
from lifecycle_widgets.core.explain.stability import StabilityScore, rank_agreement
from lifecycle_widgets.core.progress import progress_bar
from lifecycle_widgets.core.result import Result
from lifecycle_widgets.exceptions import ColumnError, ParameterError

BACKGROUND_ROWS = 100


@dataclass(frozen=True)
class Cohort:
    """Mean |SHAP| per feature within one group of rows."""

    name: str
    size: int
    mean_abs_shap: tuple[float, ...]


@dataclass(frozen=True)
class Contribution:
    """One feature's value in a row and its attribution."""

    feature: str
    value: str
    attribution: float


@dataclass(frozen=True)
class RowDependence:
    """How the output for one row changes as one feature moves over its grid (the row's ICE)."""

    feature: str
    grid: tuple[str | float, ...]
    curve: tuple[float, ...]
    current: str


@dataclass(frozen=True)
class Uncertainty:
    """Spread of the row's prediction over a bootstrap ensemble of the model."""

    mean: float
    std: float
    low: float
    high: float
    models: int


@dataclass(frozen=True)
class LocalExplanation(Result):
    """Why the model predicts what it does for one row."""

    kind: ClassVar[str] = "local_explanation"

    row: int
    prediction: float
    decision: str
    label: str | None
    base_value: float
    output_space: str
    shap: tuple[Contribution, ...]
    lime: tuple[Contribution, ...]
    lime_intercept: float
    lime_score: float
    counterfactual: Counterfactual
    ice: tuple[RowDependence, ...]
    uncertainty: Uncertainty | None = None


@dataclass(frozen=True)
class Stability(Result):
    """Agreement of a row's explanations across seeds, backgrounds and small perturbations."""

    kind: ClassVar[str] = "explanation_stability"

    row: int
    scores: tuple[StabilityScore, ...]
    noise: float

    def score(self, method: str) -> float:
        """Mean Kendall tau of ``method`` ("shap" or "lime") over every variation."""
        return float(np.mean([s.kendall_tau for s in self.scores if s.method == method]))


@dataclass(frozen=True)
class Explanation(Result):
    """Global explanation of a model on some data, with local ones on demand.

    Examples
    --------
    >>> import lifecycle_widgets as lw
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> df = lw.datasets.credit(1000)
    >>> X, y = df[["age", "income", "utilization", "late_payments"]], df["defaulted"]
    >>> model = RandomForestClassifier(50, random_state=0).fit(X, y)
    >>> exp = lw.explain(model, X, y, max_rows=200)
    >>> exp.algorithm, exp.global_importance().index[0] in X.columns
    ('tree', True)
    """

    kind: ClassVar[str] = "explanation"

    model_name: str
    problem_type: str
    classes: tuple[str, ...]
    explained_class: str | None
    algorithm: str
    output_space: str
    features: tuple[str, ...]
    transformed_features: tuple[str, ...]
    feature_map: tuple[int, ...]
    n_rows: int
    rows: tuple[int, ...]
    base_value: float
    shap_values: tuple[tuple[float, ...], ...]
    feature_values: tuple[tuple[str, ...], ...]
    feature_scaled: tuple[tuple[float | None, ...], ...]
    predictions: tuple[float, ...]
    importance: tuple[FeatureImportance, ...]
    dependence: tuple[Dependence, ...]
    surrogate: Surrogate | None
    cohorts: tuple[Cohort, ...]
    metrics: dict[str, Any] = field(default_factory=dict)
    labels: tuple[str, ...] | None = None
    uncertainty: tuple[float, ...] | None = None
    shap_transformed: tuple[tuple[float, ...], ...] | None = None
    bias: BiasReport | None = None
    calibration: Calibration | None = None
    population_rows: int | None = None  # with a Dask frame: rows whose SHAP values the importance averages

    # --- what a user asks for ------------------------------------------------------------------
    def global_importance(self) -> pd.DataFrame:
        """Mean |SHAP| and permutation importance (mean, std) per feature, most important first."""
        frame = pd.DataFrame([vars(i) for i in self.importance]).set_index("feature")
        return frame.sort_values("shap_mean_abs", ascending=False)

    def shap_frame(self, *, transformed: bool = False) -> pd.DataFrame:
        """SHAP values of the explained rows (index: row positions in X)."""
        if transformed:
            if self.shap_transformed is None:
                raise ParameterError(
                    "No transformed-level SHAP values: the model was explained at the raw level."
                )
            return pd.DataFrame(
                self.shap_transformed, index=list(self.rows), columns=list(self.transformed_features)
            )
        return pd.DataFrame(self.shap_values, index=list(self.rows), columns=list(self.features))

    def _context(self) -> _Context:
        ctx = getattr(self, "_ctx", None)
        if ctx is None:
            raise ParameterError(
                "This Explanation was read back from JSON and holds no model: local "
                "explanations and stability need lw.explain(model, X, ...) again."
            )
        return ctx

    def local(self, row: int) -> LocalExplanation:
        """The local explanation of row ``row`` (a position in X): SHAP, LIME, a counterfactual,
        the row's ICE curves and its uncertainty. Computed once, then cached."""
        ctx = self._context()
        row = _check_row(row, self.n_rows)
        if row not in ctx.local_cache:
            ctx.local_cache[row] = _local(self, ctx, row)
        return ctx.local_cache[row]

    def stability(self, row: int, *, runs: int = 5, noise: float = 0.01) -> Stability:
        """Rank agreement of the row's SHAP and LIME explanations across ``runs`` seeds, background
        samples and perturbations (numeric features moved by ``noise`` standard deviations)."""
        ctx = self._context()
        row = _check_row(row, self.n_rows)
        return _stability(self, ctx, row, runs=runs, noise=noise)

    def __repr__(self) -> str:
        top = ", ".join(self.global_importance().index[:3])
        return (
            f"<Explanation of {self.model_name} ({self.algorithm} SHAP) on {self.n_rows:,} rows; top: {top}>"
        )


@dataclass
class _Context:
    """What local explanations need at run time; not serialized."""

    view: ModelView
    X: pd.DataFrame
    y: np.ndarray | None
    background: pd.DataFrame
    attributor: Attributor
    immutable: tuple[str, ...]
    ensemble: list[Any]
    random_state: int
    lime: Any = None
    local_cache: dict[int, LocalExplanation] = field(default_factory=dict)
    shap_cache: dict[int, np.ndarray] = field(default_factory=dict)


def _check_row(row: Any, n: int) -> int:
    if isinstance(row, bool) or not isinstance(row, int | np.integer) or not 0 <= row < n:
        raise ParameterError.bad_value("row", "Explanation.local", f"a row position from 0 to {n - 1}", row)
    return int(row)


def _text(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.6g}"
    return str(v)


def _scaled(col: pd.Series) -> list[float | None]:
    """Feature values in [0, 1] by rank (colours of the beeswarm); None where missing."""
    if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
        ranks = col.rank(pct=True)
    else:
        ranks = pd.Series(pd.factorize(col)[0], index=col.index).replace(-1, np.nan)
        ranks = ranks / max(1.0, float(ranks.max() or 1))
    return [None if pd.isna(v) else float(v) for v in ranks]


def _shap_row(exp: Explanation, ctx: _Context, row: int) -> np.ndarray:
    if row in exp.rows:
        return np.asarray(exp.shap_values[exp.rows.index(row)])
    if row not in ctx.shap_cache:
        ctx.shap_cache[row] = ctx.attributor(ctx.X.iloc[[row]]).values[0]
    return ctx.shap_cache[row]


def _lime(ctx: _Context) -> Any:
    if ctx.lime is None:
        from lifecycle_widgets.core.explain.lime_ import LimeExplainer

        ctx.lime = LimeExplainer(ctx.view, ctx.background)
    return ctx.lime


def _row_ice(exp: Explanation, ctx: _Context, one: pd.DataFrame) -> tuple[RowDependence, ...]:
    """The row's ICE curve for every feature with a partial dependence, in one model call."""
    frames = []
    for dep in exp.dependence:
        frame = pd.concat([one] * len(dep.grid), ignore_index=True)
        values = list(dep.grid)
        if not dep.categorical:
            frame[dep.feature] = (
                np.asarray(values, dtype=float).astype(ctx.X[dep.feature].dtype, copy=False)
                if pd.api.types.is_integer_dtype(ctx.X[dep.feature])
                else values
            )
        else:
            lookup = {str(v): v for v in ctx.X[dep.feature].dropna().unique()}
            frame[dep.feature] = [lookup.get(v, v) for v in values]
        frames.append(frame)
    if not frames:
        return ()
    curves = np.split(
        ctx.view.output(pd.concat(frames, ignore_index=True)), np.cumsum([len(f) for f in frames])[:-1]
    )
    return tuple(
        RowDependence(dep.feature, dep.grid, tuple(float(v) for v in curve), _text(one[dep.feature].iloc[0]))
        for dep, curve in zip(exp.dependence, curves, strict=True)
    )


def _local(exp: Explanation, ctx: _Context, row: int) -> LocalExplanation:
    one = ctx.X.iloc[[row]]
    shap_values = _shap_row(exp, ctx, row)
    weights, intercept, score = _lime(ctx).weights(one, seed=ctx.random_state)
    values = [_text(v) for v in one.iloc[0].tolist()]
    order = [exp.features[i] for i in np.argsort(-np.abs(shap_values))]
    prediction = float(ctx.view.output(one)[0])
    raw_decision = ctx.view.model.predict(one)[0]
    decision = str(raw_decision)
    cf = counterfactual(ctx.view, ctx.X, one, order=order, immutable=ctx.immutable, before=raw_decision)
    unc = None
    if ctx.ensemble:
        preds = np.array([_replace(ctx.view, m).output(one)[0] for m in ctx.ensemble])
        unc = Uncertainty(
            float(preds.mean()),
            float(preds.std()),
            float(np.quantile(preds, 0.05)),
            float(np.quantile(preds, 0.95)),
            len(preds),
        )

    def contributions(attr: np.ndarray) -> tuple[Contribution, ...]:
        items = [Contribution(f, v, float(a)) for f, v, a in zip(exp.features, values, attr, strict=True)]
        return tuple(sorted(items, key=lambda c: -abs(c.attribution)))

    return LocalExplanation(
        row=row,
        prediction=prediction,
        decision=decision,
        label=None if ctx.y is None else str(ctx.y[row]),
        base_value=exp.base_value,
        output_space=exp.output_space,
        shap=contributions(shap_values),
        lime=contributions(weights),
        lime_intercept=intercept,
        lime_score=score,
        counterfactual=cf,
        ice=_row_ice(exp, ctx, one),
        uncertainty=unc,
    )


def _replace(view: ModelView, model: Any) -> ModelView:
    from dataclasses import replace

    return replace(view, model=model)


def _perturb(one: pd.DataFrame, X: pd.DataFrame, noise: float, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    out = one.copy()
    for c in X.columns:
        col = X[c]
        if pd.api.types.is_float_dtype(col) and np.isfinite(out[c].iloc[0]):
            out[c] = out[c] + rng.normal(0, noise * float(col[np.isfinite(col)].std() or 1.0))
    return out


def _stability(exp: Explanation, ctx: _Context, row: int, *, runs: int, noise: float) -> Stability:
    import shap

    one = ctx.X.iloc[[row]]
    ref_shap = _shap_row(exp, ctx, row)
    lime = _lime(ctx)
    ref_lime = lime.weights(one, seed=ctx.random_state)[0]
    seeds = [ctx.random_state + 1 + i for i in range(runs)]
    backgrounds = [ctx.X.sample(min(len(ctx.X), BACKGROUND_ROWS), random_state=s) for s in seeds]
    perturbed = [_perturb(one, ctx.X, noise, s) for s in seeds]
    view = ctx.view

    def shap_with(background: pd.DataFrame) -> np.ndarray:
        if exp.algorithm == "tree":
            data = view.transform(background) if view.preprocessor is not None else background.to_numpy(float)
            explainer = shap.TreeExplainer(view.estimator, data=data, feature_perturbation="interventional")
            xt = view.transform(one) if view.preprocessor is not None else one.to_numpy(float)
            values = np.asarray(explainer(xt, check_additivity=False).values)
            if values.ndim == 3:
                values = values[:, :, view.class_index]
            from lifecycle_widgets.core.explain.attributions import to_raw

            return (to_raw(view, values) if view.preprocessor is not None else values)[0]
        return Attributor(view, background, random_state=ctx.random_state, algorithm=exp.algorithm)(
            one
        ).values[0]

    shap_runs = {
        "seeds": [
            Attributor(view, ctx.background, random_state=s, algorithm=exp.algorithm)(one).values[0]
            for s in seeds
        ]
        if exp.algorithm == "permutation"
        else [ref_shap] * runs,
        "backgrounds": [shap_with(b) for b in backgrounds],
        "perturbations": [ctx.attributor(p).values[0] for p in perturbed],
    }
    from lifecycle_widgets.core.explain.lime_ import LimeExplainer

    lime_runs = {
        "seeds": [lime.weights(one, seed=s)[0] for s in seeds],
        "backgrounds": [LimeExplainer(view, b).weights(one, seed=ctx.random_state)[0] for b in backgrounds],
        "perturbations": [lime.weights(p, seed=ctx.random_state)[0] for p in perturbed],
    }
    scores = []
    for method, ref, table in (("shap", ref_shap, shap_runs), ("lime", ref_lime, lime_runs)):
        for variation, variants in table.items():
            tau, overlap, change = rank_agreement(ref, variants)
            scores.append(StabilityScore(method, variation, tau, overlap, change, len(variants)))
    return Stability(row, tuple(scores), noise)


def _cohorts(
    view: ModelView, X: pd.DataFrame, values: np.ndarray, cohort: str | None, predictions: np.ndarray
) -> tuple[Cohort, ...]:
    if cohort is not None:
        keys = X[cohort].astype(str).to_numpy()
        label = f"{cohort} = "
    elif view.classes:
        keys = np.asarray(view.model.predict(X)).astype(str)
        label = "predicted "
    else:
        cuts = np.quantile(predictions, [1 / 3, 2 / 3])
        keys = np.array(["low", "middle", "high"])[np.searchsorted(cuts, predictions)]
        label = "prediction "
    out = []
    for key in pd.unique(keys):
        mask = keys == key
        out.append(
            Cohort(f"{label}{key}", int(mask.sum()), tuple(float(v) for v in np.abs(values[mask]).mean(0)))
        )
    return tuple(sorted(out, key=lambda c: c.name))


def explain(
    model: Any,
    X: pd.DataFrame,
    y: Any = None,
    *,
    background: pd.DataFrame | None = None,
    max_rows: int = 500,
    top_features: int = 6,
    n_repeats: int = 5,
    cohort: str | None = None,
    facet: str | list[str] | None = None,
    facet_values: Any = None,
    positive_label: Any = None,
    immutable: tuple[str, ...] | list[str] = (),
    uncertainty: tuple[Any, Any] | None = None,
    n_bootstrap: int = 10,
    explained_class: Any = None,
    random_state: int = 0,
    progress: bool | None = None,
) -> Explanation:
    """Explain a fitted scikit-learn estimator or Pipeline on ``X`` (and ``y``).

    Parameters
    ----------
    model : fitted estimator or Pipeline
        Pipelines with a ColumnTransformer are explained at the raw-column level (one-hot
        contributions summed back to their source column), the transformed level kept too.
    X, y : DataFrame and labels
        Rows to explain; ``y`` adds permutation importance, model metrics, bias and calibration.
    background : DataFrame, optional
        Reference rows for SHAP and LIME (for example the training data); default ``X``.
    max_rows : int
        Rows whose SHAP values are computed (a uniform sample); the beeswarm shows them.
    facet, facet_values, positive_label
        With ``y``: bias metrics for the facet (see :func:`bias_report`).
    immutable : list of str
        Columns a counterfactual must not change.
    uncertainty : (X_train, y_train), optional
        Fit a bootstrap ensemble of ``n_bootstrap`` clones of the model to measure how much
        each prediction would move with other training data.
    """
    if not isinstance(max_rows, int) or max_rows < 1:
        raise ParameterError.bad_value("max_rows", "explain", "a positive int", max_rows)
    from lifecycle_widgets.core.distributed import is_dask

    if is_dask(X):
        return _explain_dask(
            model,
            X,
            y,
            max_rows=max_rows,
            background=background,
            random_state=random_state,
            top_features=top_features,
            n_repeats=n_repeats,
            cohort=cohort,
            facet=facet,
            facet_values=facet_values,
            positive_label=positive_label,
            immutable=immutable,
            explained_class=explained_class,
            progress=progress,
        )
    view = view_model(model, X, explained_class=explained_class)
    X = X[list(view.features)].reset_index(drop=True)
    if len(X) == 0:
        raise ParameterError("X has no rows to explain.")
    y_arr = None
    if y is not None:
        y_arr = np.asarray(y)
        if len(y_arr) != len(X):
            raise ParameterError(f"y has {len(y_arr):,} labels for {len(X):,} rows of X.")
    for name in [*immutable, *([cohort] if cohort else [])]:
        if name not in X.columns:
            raise ColumnError(name, f"not a column of X; columns are {list(X.columns)[:20]}")
    rng = np.random.default_rng(random_state)
    rows = np.sort(rng.choice(len(X), min(len(X), max_rows), replace=False))
    bg = background if background is not None else X
    if isinstance(bg, pd.DataFrame):
        bg = bg[list(view.features)]
    bg = bg.sample(min(len(bg), BACKGROUND_ROWS), random_state=random_state).reset_index(drop=True)

    steps = ["SHAP", "importance", "dependence", "surrogate", "metrics", "uncertainty"]
    show = progress if progress is not None else len(X) * len(view.features) > 200_000
    state: dict[str, Any] = {}
    for step in progress_bar(steps, total=len(steps), desc="explaining", enabled=show):
        if step == "SHAP":
            attributor = Attributor(view, bg, random_state=random_state)
            state["attr"] = attributor(X.iloc[rows])
            state["attributor"] = attributor
        elif step == "importance":
            mean_abs = np.abs(state["attr"].values).mean(0)
            perm = {}
            if y_arr is not None:
                sub = np.sort(rng.choice(len(X), min(len(X), 2000), replace=False))
                perm = glob.permutation(
                    view, X.iloc[sub], y_arr[sub], n_repeats=n_repeats, random_state=random_state
                )
            state["importance"] = tuple(
                FeatureImportance(f, float(m), *perm.get(f, (None, None)))
                for f, m in zip(view.features, mean_abs, strict=True)
            )
        elif step == "dependence":
            order = np.argsort(-np.abs(state["attr"].values).mean(0))[:top_features]
            state["dependence"] = tuple(
                glob.dependence(view, X, view.features[i], random_state=random_state) for i in order
            )
        elif step == "surrogate":
            sub = X.sample(min(len(X), 5000), random_state=random_state)
            state["surrogate"] = (
                glob.surrogate(view, sub, random_state=random_state) if len(sub) >= 20 else None
            )
        elif step == "metrics":
            state["metrics"], state["bias"], state["calibration"] = _metrics(
                view, X, y_arr, facet, facet_values, positive_label, random_state
            )
        elif step == "uncertainty":
            state["ensemble"] = _bootstrap(model, uncertainty, n_bootstrap, random_state)
    attr = state["attr"]
    sample = X.iloc[rows]
    predictions = view.output(sample)
    unc = None
    if state["ensemble"]:
        preds = np.array([_replace(view, m).output(sample) for m in state["ensemble"]])
        unc = tuple(float(v) for v in preds.std(0))
    exp = Explanation(
        model_name=view.name,
        problem_type=view.problem_type,
        classes=tuple(str(c) for c in view.classes),
        explained_class=None if view.explained_class is None else str(view.explained_class),
        algorithm=attr.algorithm,
        output_space=attr.output_space,
        features=view.features,
        transformed_features=view.transformed_features,
        feature_map=view.feature_map,
        n_rows=len(X),
        rows=tuple(int(r) for r in rows),
        base_value=attr.base_value,
        shap_values=tuple(tuple(float(v) for v in r) for r in attr.values),
        feature_values=tuple(tuple(_text(v) for v in r) for r in sample.itertuples(index=False)),
        feature_scaled=tuple(
            zip(*[_scaled(sample[c].reset_index(drop=True)) for c in sample.columns], strict=True)
        ),
        predictions=tuple(float(p) for p in predictions),
        importance=state["importance"],
        dependence=state["dependence"],
        surrogate=state["surrogate"],
        cohorts=_cohorts(view, sample, attr.values, cohort, predictions),
        metrics=state["metrics"],
        labels=None if y_arr is None else tuple(str(v) for v in y_arr[rows]),
        uncertainty=unc,
        shap_transformed=None
        if attr.transformed is None
        else tuple(tuple(float(v) for v in r) for r in attr.transformed),
        bias=state["bias"],
        calibration=state["calibration"],
    )
    object.__setattr__(
        exp,
        "_ctx",
        _Context(view, X, y_arr, bg, state["attributor"], tuple(immutable), state["ensemble"], random_state),
    )
    return exp


def _metrics(
    view: ModelView,
    X: pd.DataFrame,
    y: np.ndarray | None,
    facet: Any,
    facet_values: Any,
    positive_label: Any,
    random_state: int,
) -> tuple[dict[str, Any], Any, Any]:
    if y is None:
        if facet is not None:
            raise ParameterError("Bias metrics need labels: pass y to explain.")
        return {}, None, None
    from lifecycle_widgets.core.drift.quality import quality_metrics

    pred = np.asarray(view.model.predict(X))
    proba = np.asarray(view.model.predict_proba(X), dtype=float) if view.classes else None
    score = proba[:, view.class_index] if view.problem_type == "binary" else proba
    metrics = quality_metrics(y, pred, score)
    bias = calibration = None
    if facet is not None:
        from lifecycle_widgets.core.explain.bias import bias_report

        label = (
            positive_label if positive_label is not None else (view.explained_class if view.classes else 1)
        )
        bias = bias_report(X, y, pred, facet=facet, facet_values=facet_values, positive_label=label)
    if view.classes:
        from lifecycle_widgets.core.explain.calibrate import calibration as calibrate

        calibration = calibrate(
            y, proba[:, 1] if view.problem_type == "binary" else proba, random_state=random_state
        )
    return metrics, bias, calibration


def _bootstrap(model: Any, data: tuple[Any, Any] | None, n: int, random_state: int) -> list[Any]:
    if data is None:
        return []
    from sklearn.base import clone

    X_train, y_train = data
    y_train = np.asarray(y_train)
    rng = np.random.default_rng(random_state)
    models = []
    for _ in range(n):
        idx = rng.integers(0, len(X_train), len(X_train))
        models.append(clone(model).fit(X_train.iloc[idx], y_train[idx]))
    return models


def _explain_dask(
    model: Any, ddf: Any, y: Any, *, max_rows: int, background: Any, random_state: int, **kwargs: Any
) -> Explanation:
    """A Dask frame: SHAP values of every row computed per partition on the cluster (their mean
    |SHAP| is the global importance); everything else, and the beeswarm, on a uniform sample of
    ``max_rows`` rows drawn in the same kind of pass. ``y`` must name a column of the frame."""
    from dataclasses import replace

    from lifecycle_widgets.core.distributed import collect_dask, fold_partitions
    from lifecycle_widgets.core.sources import unique_names

    if y is not None and not isinstance(y, str):
        raise ParameterError(
            "With a Dask frame, y must name its label column (labels cannot be aligned "
            "with partitions otherwise)."
        )
    names = unique_names(list(ddf.columns))
    if y is not None and y not in names:
        raise ColumnError(y, f"not a column of X; columns are {names[:20]}")
    part = collect_dask(ddf, names, sample_size=max(max_rows, BACKGROUND_ROWS), accumulators=())[0]
    sample = part.sample if part.sample is not None else ddf.head(max_rows)
    X_local = sample.drop(columns=[y]) if y is not None else sample
    y_local = sample[y] if y is not None else None
    exp = explain(
        model, X_local, y_local, max_rows=max_rows, background=background, random_state=random_state, **kwargs
    )
    ctx = exp._context()
    attributor, features = ctx.attributor, list(exp.features)

    def work(chunk: Any, offset: int) -> tuple[np.ndarray, int]:
        chunk = chunk.set_axis(names, axis=1)[features]
        if len(chunk) == 0:
            return np.zeros(len(features)), 0
        return np.abs(attributor(chunk).values).sum(0), len(chunk)

    sums, count = fold_partitions(ddf, work, lambda a, b: (a[0] + b[0], a[1] + b[1]))
    mean_abs = sums / max(count, 1)
    importance = tuple(
        replace(imp, shap_mean_abs=float(m)) for imp, m in zip(exp.importance, mean_abs, strict=True)
    )
    full = replace(exp, importance=importance, population_rows=int(count))
    object.__setattr__(full, "_ctx", ctx)
    return full
