"""``Explainer``: the stateful side of explanations. It holds the model, the background rows and
the rows it explained; its methods return pure results (:class:`Explanation`,
:class:`LocalExplanation`, :class:`Stability`). ``explain`` is the one-call form."""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from lifecycle_widgets.core.explain import global_ as glob
from lifecycle_widgets.core.explain.attributions import Attributions, Attributor
from lifecycle_widgets.core.explain.bias import BiasReport
from lifecycle_widgets.core.explain.calibrate import Calibration
from lifecycle_widgets.core.explain.estimator import ModelTask, check_labels, model_task
from lifecycle_widgets.core.explain.explanation import Cohort, Contribution, Explanation, LocalExplanation
from lifecycle_widgets.core.explain.global_ import (
    AccumulatedEffects,
    Dependence,
    FeatureImportance,
    PairDependence,
    Surrogate,
)
from lifecycle_widgets.core.explain.lime_ import LimeExplainer
from lifecycle_widgets.core.explain.local import local_explanation, text
from lifecycle_widgets.core.explain.models import ModelView, check_fitted, explained_class_of, view_model
from lifecycle_widgets.core.explain.stability import Stability, measure_stability
from lifecycle_widgets.core.progress import progress_bar
from lifecycle_widgets.exceptions import ColumnError, ParameterError

BACKGROUND_ROWS = 100
PERMUTATION_ROWS = 2000  # rows of X that permutation importance shuffles
SURROGATE_ROWS = 5000  # rows of X the surrogate tree imitates
EXPLAIN_STEPS = 7  # the named steps of Explainer.explain, for its progress bar
ALE_ROWS = 1000  # rows whose local effects the ALE of each top numeric feature averages
PAIR_ROWS = 200  # rows averaged at each cell of the top pair's two-feature partial dependence


class Explainer:
    """Explains one fitted model: the global explanation of some rows, then the local explanation
    and its stability for any of those rows, on demand.

    The explainer is the only holder of the model and the data; what it returns holds neither.
    Local explanations are cached per row until the next call of :meth:`explain`.

    Parameters
    ----------
    model : fitted estimator or Pipeline
        Anything with ``predict``; a classifier also needs ``predict_proba`` and ``classes_``.
        Pipelines with a ColumnTransformer are explained at the raw-column level (one-hot
        contributions summed back to their source column), the transformed level kept too.
    background : DataFrame, optional
        Reference rows for SHAP and LIME (for example the training data); default: the rows
        given to :meth:`explain`. A sample of 100 rows is used.
    explained_class : optional
        The class whose probability is explained; default the positive (last) class of a binary
        classifier, the first class of a multiclass one.
    immutable : list of str
        Columns a counterfactual must not change.
    uncertainty : (X_train, y_train), optional
        Fit a bootstrap ensemble of ``n_bootstrap`` clones of the model (on the first call of
        :meth:`explain`) to measure how much each prediction would move with other training data.
    random_state : int
        Seed of every sample and of the model-agnostic estimators.

    Attributes
    ----------
    explanation_ : Explanation or None
        The result of the latest :meth:`explain`; :meth:`local` and :meth:`stability` take row
        positions in the rows it explained.

    Examples
    --------
    The methods' examples start from this explainer (the doctests make a fresh one for each:
    ``conftest.py``):

    >>> import lifecycle_widgets as lw
    >>> from sklearn.linear_model import LogisticRegression
    >>> df = lw.datasets.credit(300)
    >>> X, y = df[["age", "utilization"]], df["defaulted"]
    >>> explainer = lw.Explainer(LogisticRegression().fit(X, y))
    >>> exp = explainer.explain(X, y, max_rows=20)
    >>> local = explainer.local(17)
    >>> local.row, len(local.shap) == len(exp.features)
    (17, True)
    """

    def __init__(
        self,
        model: Any,
        background: pd.DataFrame | None = None,
        *,
        explained_class: Any = None,
        immutable: Sequence[str] = (),
        uncertainty: tuple[Any, Any] | None = None,
        n_bootstrap: int = 10,
        random_state: int = 0,
    ) -> None:
        check_fitted(model, "Explainer")
        self._task = model_task(model, "Explainer")
        explained_class_of(self._task, explained_class, "Explainer")
        if background is not None and not isinstance(background, pd.DataFrame):
            raise ParameterError.bad_value(
                "background", "Explainer", "a pandas DataFrame or None", type(background).__name__
            )
        if isinstance(immutable, str):
            immutable = [immutable]
        if isinstance(n_bootstrap, bool) or not isinstance(n_bootstrap, int) or n_bootstrap < 1:
            raise ParameterError.bad_value("n_bootstrap", "Explainer", "a positive int", n_bootstrap)
        if uncertainty is not None and (not isinstance(uncertainty, tuple | list) or len(uncertainty) != 2):
            raise ParameterError.bad_value(
                "uncertainty", "Explainer", "a pair (X_train, y_train) or None", type(uncertainty).__name__
            )
        if uncertainty is not None:
            from sklearn.base import clone

            try:
                clone(model)
            except (TypeError, AttributeError) as err:
                raise ParameterError(
                    f"The 'uncertainty' parameter of Explainer refits clones of the model, and "
                    f"scikit-learn cannot clone {type(model).__name__}: {err}"
                ) from err
        self.model = model
        self.background = background
        self.explained_class = explained_class
        self.immutable = tuple(immutable)
        self.uncertainty = uncertainty
        self.n_bootstrap = n_bootstrap
        self.random_state = random_state
        self.explanation_: Explanation | None = None
        self._ensemble: list[Any] | None = None
        # one local explanation at a time: a panel's background precompute and a click share the
        # LIME sampler, whose draws must not interleave (the same row gives the same weights)
        self._local_lock = threading.Lock()
        self._held_until = 0.0  # time.monotonic() until which precompute waits (see hold)
        self._reset()

    def _reset(self) -> None:
        self.explanation_ = None
        self._view: ModelView | None = None
        self._X: pd.DataFrame | None = None
        self._y: np.ndarray | None = None
        self._background: pd.DataFrame | None = None
        self._attributor: Attributor | None = None
        self._lime: LimeExplainer | None = None
        self._background_parts: tuple[ModelView, LimeExplainer] | None = None
        self._local: dict[int, LocalExplanation] = {}
        self._shap: dict[int, np.ndarray] = {}

    def __repr__(self) -> str:
        done = "no rows explained yet" if self._X is None else f"explained {len(self._X):,} rows"
        return f"<Explainer of {type(self.model).__name__}: {done}>"

    # --- the global explanation -----------------------------------------------------------------
    def explain(
        self,
        X: Any,
        y: Any = None,
        *,
        max_rows: int = 500,
        top_features: int = 6,
        n_repeats: int = 5,
        cohort: str | None = None,
        facet: str | list[str] | None = None,
        facet_values: Any = None,
        positive_label: Any = None,
        progress: bool | None = None,
    ) -> Explanation:
        """Explain the model on ``X`` (and ``y``): an :class:`Explanation`.

        Parameters
        ----------
        X : DataFrame (pandas or Dask)
            Rows to explain. With a Dask frame, the SHAP values of every row are computed per
            partition (their mean |SHAP| is the global importance), everything else on a uniform
            sample of ``max_rows`` rows; ``y`` must then name the label column.
        y : array-like or column name, optional
            Labels: they add permutation importance, model metrics, bias and calibration.
        max_rows : int
            Rows whose SHAP values are computed (a uniform sample); the beeswarm shows them.
        top_features : int
            Features with a partial dependence (the most important ones by mean |SHAP|).
        n_repeats : int
            Shuffles per feature of the permutation importance.
        cohort : str, optional
            A column whose values split the rows into cohorts (default: the predicted class).
        facet, facet_values, positive_label
            With ``y``: bias metrics for the facet (see :func:`bias_report`).
        progress : bool, optional
            Show a progress bar; default only for large inputs.

        Returns
        -------
        Explanation
        """
        _check_count("max_rows", max_rows)
        _check_count("top_features", top_features, minimum=0)
        _check_count("n_repeats", n_repeats)
        from lifecycle_widgets.core.distributed import is_dask

        kwargs = {
            "max_rows": max_rows,
            "top_features": top_features,
            "n_repeats": n_repeats,
            "cohort": cohort,
            "facet": facet,
            "facet_values": facet_values,
            "positive_label": positive_label,
            "progress": progress,
        }
        if is_dask(X):
            return self._explain_dask(X, y, **kwargs)
        return self._explain_frame(X, y, **kwargs)

    def _explain_frame(
        self,
        X: Any,
        y: Any,
        *,
        max_rows: int,
        top_features: int,
        n_repeats: int,
        cohort: str | None,
        facet: Any,
        facet_values: Any,
        positive_label: Any,
        progress: bool | None,
    ) -> Explanation:
        view = view_model(self.model, X, explained_class=self.explained_class, caller="Explainer.explain")
        X = X[list(view.features)].reset_index(drop=True)
        if len(X) == 0:
            raise ParameterError.bad_value("X", "Explainer.explain", "a frame with rows", "0 rows")
        y_arr = None
        if y is not None:
            y_arr = np.asarray(y)
            if len(y_arr) != len(X):
                raise ParameterError(
                    f"The 'y' parameter of Explainer.explain must have one label per row of X. "
                    f"Got {len(y_arr):,} labels for {len(X):,} rows."
                )
            check_labels(self._task, y_arr, "y", "Explainer.explain")
        for name in [*self.immutable, *([cohort] if cohort else [])]:
            if name not in X.columns:
                raise ColumnError(name, f"not a column of X; columns are {list(X.columns)[:20]}")
        if y_arr is None and facet is not None:
            raise ParameterError("Bias metrics need labels: pass y to explain.")
        background = self.background if self.background is not None else X
        missing = [c for c in view.features if c not in background.columns]
        if missing:
            raise ColumnError(missing[0], "the model expects it but the background lacks it")
        background = (
            background[list(view.features)]
            .sample(min(len(background), BACKGROUND_ROWS), random_state=self.random_state)
            .reset_index(drop=True)
        )
        self._reset()
        self._view, self._X, self._y, self._background = view, X, y_arr, background
        rng = np.random.default_rng(self.random_state)
        rows = np.sort(rng.choice(len(X), min(len(X), max_rows), replace=False))
        show = progress if progress is not None else len(X) * len(view.features) > 200_000
        steps = progress_bar(range(EXPLAIN_STEPS), total=EXPLAIN_STEPS, desc="explaining", enabled=show)

        def advance() -> None:
            next(steps, None)

        advance()
        self._attributor = Attributor(view, background, random_state=self.random_state)
        attributions = self._attributor(X.iloc[rows])
        advance()
        importance = importance_step(view, X, y_arr, attributions, n_repeats, self.random_state, rng)
        advance()
        dependence = dependence_step(view, X, attributions, top_features, self.random_state)
        ale = ale_step(view, X, dependence, self.random_state)
        advance()
        surrogate = surrogate_step(view, X, self.random_state)
        advance()
        metrics, bias, calibration = metrics_step(
            view, X, y_arr, facet, facet_values, positive_label, self.random_state
        )
        advance()
        ensemble = self._bootstrap()
        for _ in steps:  # let the bar finish
            pass
        sample = X.iloc[rows]
        predictions = view.output(sample)
        unc = None
        if ensemble:
            preds = np.array([view.with_model(m).output(sample) for m in ensemble])
            unc = tuple(float(v) for v in preds.std(0))
        for i, r in enumerate(rows):
            self._shap[int(r)] = attributions.values[i]
        exp = Explanation(
            model_name=view.name,
            problem_type=view.problem_type,
            classes=tuple(str(c) for c in view.classes),
            explained_class=None if view.explained_class is None else str(view.explained_class),
            algorithm=attributions.algorithm,
            output_space=attributions.output_space,
            features=view.features,
            transformed_features=view.transformed_features,
            feature_map=view.feature_map,
            n_rows=len(X),
            rows=tuple(int(r) for r in rows),
            base_value=attributions.base_value,
            shap_values=tuple(tuple(float(v) for v in r) for r in attributions.values),
            feature_values=tuple(tuple(text(v) for v in r) for r in sample.itertuples(index=False)),
            feature_scaled=tuple(
                zip(*[_scaled(sample[c].reset_index(drop=True)) for c in sample.columns], strict=True)
            ),
            predictions=tuple(float(p) for p in predictions),
            importance=importance,
            dependence=dependence,
            surrogate=surrogate,
            cohorts=cohorts_step(view, sample, attributions.values, cohort, predictions),
            metrics=metrics,
            labels=None if y_arr is None else tuple(str(v) for v in y_arr[rows]),
            uncertainty=unc,
            shap_transformed=None
            if attributions.transformed is None
            else tuple(tuple(float(v) for v in r) for r in attributions.transformed),
            bias=bias,
            calibration=calibration,
            class_importance=None
            if attributions.per_class is None
            else tuple(
                tuple(float(v) for v in column) for column in np.abs(attributions.per_class).mean(0).T
            ),
            ale=ale,
        )
        exp = replace(exp, pair_dependence=pair_step(view, X, exp, top_features, self.random_state))
        advance()
        self.explanation_ = exp
        featured = int(rows[int(np.argmax(predictions))])
        self.explanation_ = replace(exp, featured=self.local(featured))
        return self.explanation_

    def _explain_dask(self, ddf: Any, y: Any, *, max_rows: int, **kwargs: Any) -> Explanation:
        """Everything on a uniform sample of ``max_rows`` rows, then the mean |SHAP| of every row
        computed per partition on the cluster. ``y`` must name a column of the frame."""
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
        exp = self._explain_frame(X_local, y_local, max_rows=max_rows, **kwargs)
        attributor, features = self._attributor, list(exp.features)
        assert attributor is not None  # set by _explain_frame

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
        self.explanation_ = replace(exp, importance=importance, population_rows=int(count))
        return self.explanation_

    def _bootstrap(self) -> list[Any]:
        if self.uncertainty is None:
            return []
        if self._ensemble is None:
            from sklearn.base import clone

            X_train, y_train = self.uncertainty
            y_train = np.asarray(y_train)
            rng = np.random.default_rng(self.random_state)
            models = []
            for _ in range(self.n_bootstrap):
                idx = rng.integers(0, len(X_train), len(X_train))
                models.append(clone(self.model).fit(X_train.iloc[idx], y_train[idx]))
            self._ensemble = models
        return self._ensemble

    # --- one row ----------------------------------------------------------------------------------
    def _row(self, row: Any, caller: str) -> int:
        if self._X is None:
            raise ParameterError(
                f"This Explainer has explained no rows yet: call explain(X, y) before {caller}(row); "
                "row is a position in that X."
            )
        n = len(self._X)
        if isinstance(row, bool) or not isinstance(row, int | np.integer) or not 0 <= row < n:
            raise ParameterError.bad_value(
                "row", f"Explainer.{caller}", f"a row position from 0 to {n - 1}", row
            )
        return int(row)

    def _shap_row(self, row: int) -> np.ndarray:
        if row not in self._shap:
            assert self._attributor is not None and self._X is not None
            self._shap[row] = self._attributor(self._X.iloc[[row]]).values[0]
        return self._shap[row]

    def _lime_explainer(self) -> LimeExplainer:
        if self._lime is None:
            assert self._view is not None and self._background is not None
            self._lime = LimeExplainer(self._view, self._background)
        return self._lime

    def local(self, row: int) -> LocalExplanation:
        """The local explanation of row ``row`` (a position in the rows last explained): SHAP,
        LIME, a counterfactual, the row's ICE curves and its uncertainty. Cached per row.

        Returns
        -------
        LocalExplanation
        """
        row = self._row(row, "local")
        cached = self._local.get(row)  # no wait for the lock when it is ready
        return cached if cached is not None else self._compute_local(row, background=False)

    def _compute_local(self, row: int, *, background: bool) -> LocalExplanation:
        with self._local_lock:
            if row not in self._local:
                assert self._view is not None and self._X is not None and self.explanation_ is not None
                view, lime = self._background_view() if background else (self._view, self._lime_explainer())
                self._local[row] = local_explanation(
                    self.explanation_,
                    view,
                    self._X,
                    self._y,
                    row,
                    shap_values=self._shap_row(row),
                    lime=lime,
                    immutable=self.immutable,
                    ensemble=self._bootstrap(),
                    random_state=self.random_state,
                )
            return self._local[row]

    def _background_view(self) -> tuple[ModelView, LimeExplainer]:
        """The model view and LIME sampler of :meth:`precompute`: their model calls first wait
        while :meth:`hold` holds background work (the same model, so the same numbers)."""
        if self._background_parts is None:
            assert self._view is not None and self._background is not None
            view = self._view.with_model(_waiting_before_calls(self._view.model, self._wait_if_held))
            self._background_parts = view, LimeExplainer(view, self._background)
        return self._background_parts

    def hold(self, seconds: float = 0.5) -> None:
        """Hold :meth:`precompute` (in a background thread) at its next model call for
        ``seconds`` from now: a live panel calls it when a click arrives, so that the kernel's
        thread draws the click without sharing the interpreter with background work.

        Examples
        --------
        ``explainer`` as in the class example:

        >>> explainer.hold(0.05)  # precompute waits 50 ms at its first model call
        >>> explainer.precompute([1]), explainer.local(1).row
        (1, 1)
        """
        self._held_until = max(self._held_until, time.monotonic() + float(seconds))

    def release(self) -> None:
        """End any :meth:`hold` now: a panel releases its background work once the page has drawn
        what a click waited for.

        Examples
        --------
        ``explainer`` as in the class example:

        >>> explainer.hold(60)
        >>> explainer.release()
        >>> explainer.precompute([2])  # no wait
        1
        """
        self._held_until = 0.0

    def _wait_if_held(self) -> None:
        while (left := self._held_until - time.monotonic()) > 0:
            time.sleep(min(left, 0.05))

    def prepared(self, row: int) -> LocalExplanation | None:
        """Row ``row``'s local explanation if it is computed already (by :meth:`local` or
        :meth:`precompute`), else None: never computes."""
        return self._local.get(self._row(row, "prepared"))

    def shap_contributions(self, row: int) -> tuple[Contribution, ...]:
        """Row ``row``'s SHAP contributions, largest first: the part of :meth:`local` that needs
        no new model call for an explained row, so a panel can draw its waterfall at once.

        Examples
        --------
        ``explainer`` as in the class example:

        >>> [c.attribution for c in explainer.shap_contributions(3)] == [
        ...     c.attribution for c in explainer.local(3).shap]
        True
        """
        row = self._row(row, "shap_contributions")
        assert self._X is not None and self.explanation_ is not None
        values = [text(v) for v in self._X.iloc[row].tolist()]
        items = [
            Contribution(f, v, float(a))
            for f, v, a in zip(self.explanation_.features, values, self._shap_row(row), strict=True)
        ]
        return tuple(sorted(items, key=lambda c: -abs(c.attribution)))

    def precompute(self, rows: Iterable[int], *, stop: threading.Event | None = None) -> int:
        """Compute and cache the local explanations of ``rows`` in order, until ``stop`` is set;
        returns how many were computed. A live panel runs this in a background thread for the rows
        a click is likely to pick, so the click finds its explanation ready.

        Examples
        --------
        ``explainer`` as in the class example:

        >>> explainer.precompute([0, 1]), explainer.precompute([0, 1])  # the second finds them cached
        (2, 0)
        """
        done = 0
        for row in rows:
            if stop is not None and stop.is_set():
                break
            row = self._row(row, "precompute")
            if row not in self._local:
                self._compute_local(row, background=True)
                done += 1
        return done

    def stability(self, row: int, *, runs: int = 5, noise: float = 0.01) -> Stability:
        """Rank agreement of the row's SHAP and LIME explanations across ``runs`` seeds,
        background samples and perturbations (float features moved by ``noise`` standard
        deviations).

        Returns
        -------
        Stability
        """
        row = self._row(row, "stability")
        _check_count("runs", runs)
        if isinstance(noise, bool) or not isinstance(noise, int | float) or not 0 <= noise < np.inf:
            raise ParameterError.bad_value("noise", "Explainer.stability", "a finite number >= 0", noise)
        assert self._attributor is not None and self._X is not None
        return measure_stability(
            self._attributor,
            self._lime_explainer(),
            self._X,
            row,
            reference_shap=self._shap_row(row),
            runs=runs,
            noise=float(noise),
            random_state=self.random_state,
            background_rows=BACKGROUND_ROWS,
        )

    # --- more global views of the explained rows ------------------------------------------------
    def _explained(self, caller: str) -> tuple[ModelView, pd.DataFrame]:
        if self._view is None or self._X is None:
            raise ParameterError(
                f"This Explainer has explained no rows yet: call explain(X, y) before {caller}."
            )
        return self._view, self._X

    def partial_dependence_2d(
        self, feature_x: str, feature_y: str, *, grid_resolution: int = 15, max_rows: int = 300
    ) -> PairDependence:
        """Partial dependence of the output on two features at once, on the rows last explained,
        with the share of it the two one-feature effects do not explain (``interaction``).

        Examples
        --------
        ``explainer`` as in the class example:

        >>> pair = explainer.partial_dependence_2d("age", "utilization", grid_resolution=5)
        >>> pair.features, len(pair.average), 0 <= pair.interaction <= 1
        (('age', 'utilization'), 5, True)
        """
        view, X = self._explained("partial_dependence_2d")
        return glob.pair_dependence(
            view,
            X,
            (feature_x, feature_y),
            grid_resolution=grid_resolution,
            max_rows=max_rows,
            random_state=self.random_state,
            caller="Explainer.partial_dependence_2d",
        )

    def ale(self, feature: str, *, bins: int = 20, max_rows: int = 2000) -> AccumulatedEffects:
        """Accumulated local effects of a numeric ``feature`` on the rows last explained: the
        effect to read where features are correlated (partial dependence averages over
        combinations of values that do not occur there).

        Examples
        --------
        >>> import lifecycle_widgets as lw
        >>> from sklearn.linear_model import LinearRegression
        >>> df = lw.datasets.credit(400)
        >>> X = df[["age", "utilization"]]
        >>> explainer = lw.Explainer(LinearRegression().fit(X, 2 * X["age"]))
        >>> _ = explainer.explain(X, max_rows=40)
        >>> effects = explainer.ale("age", bins=8)
        >>> round((effects.effect[-1] - effects.effect[0]) / (effects.edges[-1] - effects.edges[0]), 6)
        2.0
        """
        view, X = self._explained("ale")
        return glob.accumulated_local_effects(
            view,
            X,
            feature,
            bins=bins,
            max_rows=max_rows,
            random_state=self.random_state,
            caller="Explainer.ale",
        )

    def surrogate(self, *, depth: int = 3) -> Surrogate:
        """A surrogate tree of another ``depth`` on the rows last explained (up to 5,000 of
        them): its rules in raw terms and its fidelity on held-out rows.

        Examples
        --------
        ``explainer`` as in the class example:

        >>> s = explainer.surrogate(depth=2)
        >>> s.depth, s.held_out_rows, s.leaves == len(s.leaf_rules)
        (2, 90, True)
        """
        view, X = self._explained("surrogate")
        sub = X.sample(min(len(X), SURROGATE_ROWS), random_state=self.random_state)
        return glob.surrogate_tree(
            view, sub, depth=depth, random_state=self.random_state, caller="Explainer.surrogate"
        )


def _waiting_before_calls(model: Any, wait: Callable[[], None]) -> Any:
    """A shallow copy of ``model`` whose ``predict``, ``predict_proba`` and ``decision_function``
    (those it has) call ``wait()`` first: the same class otherwise, so every check of the model
    reads it as the original. The model itself when its class cannot be swapped."""
    cls = type(model)

    def waiting(name: str) -> Callable[..., Any]:
        def method(self: Any, *args: Any, **kwargs: Any) -> Any:
            wait()
            return getattr(super(sub, self), name)(*args, **kwargs)

        method.__name__ = name
        return method

    names = [
        n for n in ("predict", "predict_proba", "decision_function") if callable(getattr(model, n, None))
    ]
    try:
        sub = type(cls.__name__, (cls,), {"__module__": cls.__module__, **{n: waiting(n) for n in names}})
        out = copy.copy(model)
        out.__class__ = sub
    except TypeError:  # a class that cannot be subclassed, or an object whose class is fixed
        return model
    return out


def _check_count(name: str, value: Any, *, minimum: int = 1) -> None:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        expected = "a positive int" if minimum == 1 else f"an int of at least {minimum}"
        raise ParameterError.bad_value(name, "Explainer.explain", expected, value)


def _scaled(col: pd.Series) -> list[float | None]:
    """Feature values in [0, 1] by rank (colours of the beeswarm); None where missing."""
    if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
        ranks = col.rank(pct=True)
    else:
        ranks = pd.Series(pd.factorize(col)[0], index=col.index).replace(-1, np.nan)
        ranks = ranks / max(1.0, float(ranks.max() or 1))
    return [None if pd.isna(v) else float(v) for v in ranks]


# --- the steps of Explainer.explain -----------------------------------------------------------------
def importance_step(
    view: ModelView,
    X: pd.DataFrame,
    y: np.ndarray | None,
    attributions: Attributions,
    n_repeats: int,
    random_state: int,
    rng: np.random.Generator,
) -> tuple[FeatureImportance, ...]:
    """Mean |SHAP| per feature, and with labels the permutation importance on up to 2,000 rows."""
    mean_abs = np.abs(attributions.values).mean(0)
    perm: dict[str, tuple[float, float]] = {}
    if y is not None:
        sub = np.sort(rng.choice(len(X), min(len(X), PERMUTATION_ROWS), replace=False))
        perm = glob.permutation(view, X.iloc[sub], y[sub], n_repeats=n_repeats, random_state=random_state)
    return tuple(
        FeatureImportance(f, float(m), *perm.get(f, (None, None)))
        for f, m in zip(view.features, mean_abs, strict=True)
    )


def dependence_step(
    view: ModelView, X: pd.DataFrame, attributions: Attributions, top_features: int, random_state: int
) -> tuple[Dependence, ...]:
    """Partial dependence and ICE curves of the ``top_features`` most important features."""
    order = np.argsort(-np.abs(attributions.values).mean(0))[:top_features]
    return tuple(glob.dependence(view, X, view.features[i], random_state=random_state) for i in order)


def surrogate_step(view: ModelView, X: pd.DataFrame, random_state: int) -> Surrogate | None:
    """A shallow tree imitating the model on up to 5,000 rows (none below 20 rows)."""
    sub = X.sample(min(len(X), SURROGATE_ROWS), random_state=random_state)
    return glob.surrogate(view, sub, random_state=random_state) if len(sub) >= 20 else None


def ale_step(
    view: ModelView, X: pd.DataFrame, dependence: tuple[Dependence, ...], random_state: int
) -> tuple[AccumulatedEffects, ...]:
    """ALE of the numeric features with a partial dependence, on up to 1,000 rows, to show beside it."""
    out = []
    for dep in dependence:
        if not dep.categorical and X[dep.feature].nunique() >= 2:
            out.append(
                glob.accumulated_local_effects(
                    view, X, dep.feature, max_rows=ALE_ROWS, random_state=random_state
                )
            )
    return tuple(out)


def pair_step(
    view: ModelView, X: pd.DataFrame, exp: Explanation, top_features: int, random_state: int
) -> PairDependence | None:
    """Two-feature partial dependence of the pair, among the ``top_features`` most important
    features, whose SHAP values modulate each other most (see
    :meth:`Explanation.interaction_scores`); the top two when none do. None with fewer than two
    features or ``top_features`` 0."""
    if len(exp.features) < 2 or top_features == 0:
        return None
    top = [str(f) for f in exp.global_importance().index[: max(2, min(top_features, 6))]]
    scores = {f: exp.interaction_scores(f) for f in top}
    pairs = [(a, b) for i, a in enumerate(top) for b in top[i + 1 :]]
    strength = {(a, b): float(scores[a][b] + scores[b][a]) for a, b in pairs}
    best = max(pairs, key=lambda p: strength[p])
    pair = best if strength[best] > 0 else (top[0], top[1])
    return glob.pair_dependence(view, X, pair, max_rows=PAIR_ROWS, random_state=random_state)


def metrics_step(
    view: ModelView,
    X: pd.DataFrame,
    y: np.ndarray | None,
    facet: Any,
    facet_values: Any,
    positive_label: Any,
    random_state: int,
) -> tuple[dict[str, Any], BiasReport | None, Calibration | None]:
    """Model metrics, bias for a facet and calibration, sharing one prediction over ``X``."""
    if y is None:
        return {}, None, None
    from lifecycle_widgets.core.drift.quality import quality_metrics

    task = ModelTask(view.problem_type, view.classes)
    pred = np.asarray(view.model.predict(X))
    proba = np.asarray(view.model.predict_proba(X), dtype=float) if task.is_classifier else None
    score = None if proba is None else proba[:, 1] if task.problem_type == "binary" else proba
    metrics = quality_metrics(y, pred, score, task=task)
    bias = calibration = None
    if facet is not None:
        from lifecycle_widgets.core.explain.bias import bias_report

        label = (
            positive_label if positive_label is not None else (view.explained_class if view.classes else 1)
        )
        bias = bias_report(X, y, pred, facet=facet, facet_values=facet_values, positive_label=label)
    if proba is not None:
        from lifecycle_widgets.core.explain.calibrate import calibration as calibrate

        calibration = calibrate(
            y,
            proba[:, 1] if task.problem_type == "binary" else proba,
            random_state=random_state,
            classes=task.classes,
        )
    return metrics, bias, calibration


def cohorts_step(
    view: ModelView, X: pd.DataFrame, values: np.ndarray, cohort: str | None, predictions: np.ndarray
) -> tuple[Cohort, ...]:
    """Mean |SHAP| per feature by ``cohort`` value, else by predicted class, else by prediction tercile."""
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
    X: Any,
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
    immutable: Sequence[str] = (),
    uncertainty: tuple[Any, Any] | None = None,
    n_bootstrap: int = 10,
    explained_class: Any = None,
    random_state: int = 0,
    progress: bool | None = None,
) -> Explanation:
    """Explain a fitted model on ``X`` (and ``y``) in one call: an :class:`Explanation`.

    The same as ``Explainer(model, background, ...).explain(X, y, ...)`` (see :class:`Explainer`
    for every parameter); keep the :class:`Explainer` instead when you will ask for the local
    explanation or the stability of other rows.

    Examples
    --------
    >>> import lifecycle_widgets as lw
    >>> from sklearn.linear_model import LinearRegression
    >>> df = lw.datasets.credit(500)
    >>> X = df[["age", "utilization"]]
    >>> exp = lw.explain(LinearRegression().fit(X, df["late_payments"]), X, max_rows=50)
    >>> exp.problem_type, exp.algorithm, exp.featured.row in exp.rows
    ('regression', 'linear', True)
    """
    explainer = Explainer(
        model,
        background,
        explained_class=explained_class,
        immutable=immutable,
        uncertainty=uncertainty,
        n_bootstrap=n_bootstrap,
        random_state=random_state,
    )
    return explainer.explain(
        X,
        y,
        max_rows=max_rows,
        top_features=top_features,
        n_repeats=n_repeats,
        cohort=cohort,
        facet=facet,
        facet_values=facet_values,
        positive_label=positive_label,
        progress=progress,
    )
