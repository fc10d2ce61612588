"""Experiments as plain results: runs side by side, model versions, and champion/challenger
comparisons. The store writes and reads them (:mod:`lifecycle_widgets.store`); this module only
holds and computes, so the panels can show them without touching a database."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from lifecycle_widgets.core.result import Result
from lifecycle_widgets.exceptions import ParameterError, UnknownNameError


@dataclass(frozen=True)
class RunRecord:
    """One run as stored: its parameters, latest metrics, tags, datasets and artifacts."""

    id: str
    experiment: str
    name: str
    status: str
    started: str
    ended: str | None
    seed: int | None
    params: dict[str, str]
    metrics: dict[str, float]
    tags: dict[str, str]
    datasets: dict[str, str] = field(default_factory=dict)  # name -> fingerprint
    artifacts: dict[str, str] = field(default_factory=dict)  # name -> sha256
    source: str = "lifecycle_widgets"


@dataclass(frozen=True)
class Runs(Result):
    """A set of runs, as ``RunStore.runs`` returns; ``lw.compare(runs)`` opens them side by side.

    Examples
    --------
    >>> import lifecycle_widgets as lw
    >>> store = lw.RunStore("/tmp/doc-runs.db")
    >>> with store.start_run(experiment="doc") as run:
    ...     run.log_metrics({"auc": 0.9})
    >>> len(store.runs(experiment="doc")) >= 1
    True
    """

    kind: ClassVar[str] = "runs"

    runs: tuple[RunRecord, ...]
    store: str = ""

    def __len__(self) -> int:
        return len(self.runs)

    def to_frame(self) -> Any:
        """One row per run: identity columns, then ``param.*`` and ``metric.*`` columns."""
        import pandas as pd

        rows = []
        for r in self.runs:
            row = {
                "id": r.id,
                "experiment": r.experiment,
                "name": r.name,
                "status": r.status,
                "started": r.started,
                "seed": r.seed,
            }
            row.update({f"param.{k}": v for k, v in r.params.items()})
            row.update({f"metric.{k}": v for k, v in r.metrics.items()})
            rows.append(row)
        return pd.DataFrame(rows)

    def differing_params(self, ids: list[str] | None = None) -> list[str]:
        """Parameters whose values differ among the runs ``ids`` (default: all)."""
        chosen = [r for r in self.runs if ids is None or r.id in ids]
        keys = sorted({k for r in chosen for k in r.params})
        return [k for k in keys if len({r.params.get(k) for r in chosen}) > 1]

    def __repr__(self) -> str:
        return f"<Runs: {len(self.runs)} runs from {self.store or 'a store'}>"


@dataclass(frozen=True)
class Event:
    """One change to a model version: what, who, when and why."""

    event: str
    detail: str
    by: str
    at: str


@dataclass(frozen=True)
class ModelVersion:
    """A registered version of a model."""

    name: str
    version: int
    run_id: str
    artifact_sha256: str
    status: str
    created: str
    aliases: tuple[str, ...]
    links: dict[str, tuple[str, ...]]
    history: tuple[Event, ...]


@dataclass(frozen=True)
class RegistryState(Result):
    """Every registered model and version, as the registry panel shows them."""

    kind: ClassVar[str] = "model_registry"

    store: str
    versions: tuple[ModelVersion, ...]
    comparisons: tuple[ChampionChallenger, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(v.name for v in self.versions))

    def to_frame(self) -> Any:
        """One row per model version, as the registry holds them: name, version, status,
        aliases (comma-separated), run_id, artifact_sha256, registered_by and registered_at.

        Examples
        --------
        >>> v = ModelVersion("credit", 1, "r1", "ab", "Approved", "2024-01-01T00:00:00Z",
        ...                  ("champion",), {}, (Event("registered", "", "ana", "2024-01-01T00:00:00Z"),))
        >>> RegistryState("lifecycle.db", (v,)).to_frame()[["name", "version", "aliases", "registered_by"]]
             name  version   aliases registered_by
        0  credit        1  champion           ana
        """
        import pandas as pd

        def registered_by(v: ModelVersion) -> str:
            return next((e.by for e in v.history if e.event == "registered"), "")

        return pd.DataFrame(
            [
                {
                    "name": v.name,
                    "version": v.version,
                    "status": v.status,
                    "aliases": ", ".join(v.aliases),
                    "run_id": v.run_id,
                    "artifact_sha256": v.artifact_sha256,
                    "registered_by": registered_by(v),
                    "registered_at": v.created,
                }
                for v in self.versions
            ],
            columns=[
                "name", "version", "status", "aliases", "run_id", "artifact_sha256",
                "registered_by", "registered_at",
            ],
        )  # fmt: skip


# --- champion/challenger --------------------------------------------------------------------------

CLASSIFICATION, REGRESSION = "classification", "regression"
ALPHA = 0.05  # significance level of the recommendation
_BOOTSTRAP_CELLS = 2_000_000  # resampled values held in memory at once (16 MB)


@dataclass(frozen=True)
class ComparisonMetric:
    """A metric champion and challenger can be compared on: the task it applies to, the model
    output it reads, its direction, and the paired test and interval used for it."""

    name: str
    task: str  # CLASSIFICATION or REGRESSION
    output: str  # "label", "proba" (every class) or "score" (the positive class)
    higher_is_better: bool
    test: str
    description: str


COMPARISON_METRICS: dict[str, ComparisonMetric] = {
    m.name: m
    for m in (
        ComparisonMetric(
            "accuracy", CLASSIFICATION, "label", True, "McNemar", "share of rows predicted right"
        ),
        ComparisonMetric(
            "auc", CLASSIFICATION, "score", True, "DeLong", "area under the ROC curve (binary targets)"
        ),
        ComparisonMetric(
            "log_loss",
            CLASSIFICATION,
            "proba",
            False,
            "paired t-test on per-row log loss",
            "mean negative log-likelihood of the true class",
        ),
        ComparisonMetric(
            "f1",
            CLASSIFICATION,
            "label",
            True,
            "paired permutation test",
            "F1 of the positive class (classes_[1]); macro average over classes when there are more than two",
        ),
        ComparisonMetric(
            "rmse",
            REGRESSION,
            "label",
            False,
            "paired t-test on per-row squared error",
            "root mean squared error",
        ),
        ComparisonMetric(
            "mae",
            REGRESSION,
            "label",
            False,
            "paired t-test on per-row absolute error",
            "mean absolute error",
        ),
    )
}
DEFAULT_METRIC = {CLASSIFICATION: "accuracy", REGRESSION: "rmse"}


def comparison_metric(name: str) -> ComparisonMetric:
    """The comparison metric registered as ``name``; the error lists every known name.

    Examples
    --------
    >>> from lifecycle_widgets.core.experiments import comparison_metric
    >>> comparison_metric("auc").test
    'DeLong'
    >>> comparison_metric("nonsense")
    Traceback (most recent call last):
    ...
    lifecycle_widgets.exceptions.UnknownNameError: No comparison metric named 'nonsense'. Available: accuracy, auc, f1, log_loss, mae, rmse.
    """
    if not isinstance(name, str) or name not in COMPARISON_METRICS:
        raise UnknownNameError("comparison metric", name, COMPARISON_METRICS)
    return COMPARISON_METRICS[name]


@dataclass(frozen=True)
class DeLongTest:
    """DeLong's test of two correlated ROC AUCs measured on the same rows."""

    auc_a: float
    auc_b: float
    difference: float  # auc_b - auc_a
    variance: float  # of the difference
    statistic: float | None  # z; None when the variance is zero
    p_value: float | None  # two-sided; None when the variance is zero and the AUCs differ

    def interval(self, level: float = 0.95) -> tuple[float, float]:
        """The normal-approximation interval of ``auc_b - auc_a`` at ``level``."""
        from scipy import stats

        half = float(stats.norm.ppf(0.5 + level / 2)) * self.variance**0.5
        return self.difference - half, self.difference + half


def delong_test(y_true: Any, score_a: Any, score_b: Any, *, positive: Any = None) -> DeLongTest:
    """DeLong's test (DeLong, DeLong & Clarke-Pearson 1988) of two ROC AUCs on the same rows,
    computed with Sun & Xu's fast algorithm (IEEE Signal Processing Letters 21(11), 2014): the
    structural components come from midranks, in O(n log n) instead of O(m n) pairs.

    Parameters
    ----------
    y_true : array-like of shape (n,)
        Binary labels.
    score_a, score_b : array-like of shape (n,)
        Scores of the two models (higher means more likely positive).
    positive : label, optional
        The positive class; by default the larger of the two labels.

    Returns
    -------
    DeLongTest
        Both AUCs, their difference (b minus a), its variance, the z statistic and the
        two-sided p-value.

    Examples
    --------
    >>> from lifecycle_widgets.core.experiments import delong_test
    >>> t = delong_test([0, 0, 1, 1, 0, 1], [0.1, 0.4, 0.35, 0.8, 0.2, 0.9], [0.2, 0.3, 0.6, 0.7, 0.1, 0.8])
    >>> round(t.auc_a, 4), round(t.auc_b, 4), round(t.p_value, 3)
    (0.8889, 1.0, 0.48)
    """
    from scipy import stats

    y = np.asarray(y_true)
    scores = np.vstack([np.asarray(score_a, dtype=float).ravel(), np.asarray(score_b, dtype=float).ravel()])
    if y.ndim != 1 or scores.shape[1] != len(y):
        raise ParameterError(
            f"y_true, score_a and score_b must be 1-D and of one length; got {y.shape}, "
            f"{np.shape(score_a)} and {np.shape(score_b)}."
        )
    if not np.isfinite(scores).all():
        raise ParameterError("The scores must be finite numbers; they hold NaN or infinity.")
    labels = np.unique(y)
    if positive is None:
        if len(labels) != 2:
            raise ParameterError(f"DeLong's test needs a binary target; y_true holds {len(labels)} classes.")
        positive = labels[1]
    is_pos = y == positive
    m, n = int(is_pos.sum()), int((~is_pos).sum())
    if m < 2 or n < 2:
        raise ParameterError(
            f"DeLong's test needs at least two positive and two negative rows; got {m} and {n}."
        )
    x, z = scores[:, is_pos], scores[:, ~is_pos]
    tx = stats.rankdata(x, axis=1)  # midranks within the positives
    tz = stats.rankdata(z, axis=1)  # within the negatives
    t_all = stats.rankdata(np.hstack([x, z]), axis=1)  # within both
    aucs = (t_all[:, :m].sum(axis=1) / m - (m + 1) / 2) / n
    v10 = (t_all[:, :m] - tx) / n  # share of negatives each positive outranks
    v01 = 1 - (t_all[:, m:] - tz) / m  # share of positives that outrank each negative
    cov = np.cov(v10) / m + np.cov(v01) / n
    variance = max(float(cov[0, 0] + cov[1, 1] - 2 * cov[0, 1]), 0.0)
    difference = float(aucs[1] - aucs[0])
    if variance > 0:
        statistic: float | None = difference / variance**0.5
        p: float | None = float(2 * stats.norm.sf(abs(statistic)))
    else:  # both models order every positive-negative pair alike
        statistic, p = (0.0, 1.0) if difference == 0 else (None, None)
    return DeLongTest(float(aucs[0]), float(aucs[1]), difference, variance, statistic, p)


@dataclass(frozen=True)
class ChampionChallenger(Result):
    """Two versions on the same holdout rows: each one's metric, the difference (challenger
    minus champion) with a 95 % interval, a paired significance test, and a plain
    recommendation. ``at`` and ``by`` say when and by whom the registry ran it.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from lifecycle_widgets.core.experiments import compare_models
    >>> import lifecycle_widgets as lw
    >>> df = lw.datasets.credit(600, seed=1)
    >>> X, y = df[["age", "utilization", "late_payments"]].fillna(0), df["defaulted"]
    >>> a = DecisionTreeClassifier(max_depth=2, random_state=0).fit(X[:400], y[:400])
    >>> b = LogisticRegression(max_iter=500).fit(X[:400], y[:400])
    >>> c = compare_models(a, b, X[400:], y[400:], metric="auc")
    >>> c.metric, c.test, c.ci_low <= c.difference <= c.ci_high
    ('auc', 'DeLong', True)
    """

    kind: ClassVar[str] = "champion_challenger"

    name: str
    champion: int
    challenger: int
    metric: str
    champion_value: float
    challenger_value: float
    difference: float  # challenger_value - champion_value
    ci_low: float
    ci_high: float
    test: str
    statistic: float | None
    p_value: float | None
    rows: int
    recommendation: str
    higher_is_better: bool = True
    task: str = CLASSIFICATION
    interval: str = ""
    at: str = ""
    by: str = ""

    def to_frame(self) -> Any:
        """One row per model, champion then challenger: role, name, version, metric and the
        model's value, then the comparison's numbers (the same on both rows): difference
        (challenger minus champion), ci_low, ci_high, test, statistic, p_value, rows and
        recommendation. A statistic or p-value the test did not give is NaN.

        Examples
        --------
        >>> c = ChampionChallenger("credit", 1, 2, "auc", 0.70, 0.74, 0.04, 0.01, 0.07, "DeLong",
        ...                        2.5, 0.012, 400, "Promote the challenger.")
        >>> c.to_frame()[["role", "version", "value", "p_value"]]
                 role  version  value  p_value
        0    champion        1   0.70    0.012
        1  challenger        2   0.74    0.012
        """
        import pandas as pd

        shared = {
            "metric": self.metric,
            "difference": self.difference,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "test": self.test,
            "statistic": np.nan if self.statistic is None else self.statistic,
            "p_value": np.nan if self.p_value is None else self.p_value,
            "rows": self.rows,
            "recommendation": self.recommendation,
        }
        models = (
            ("champion", self.champion, self.champion_value),
            ("challenger", self.challenger, self.challenger_value),
        )
        return pd.DataFrame(
            [
                {"role": role, "name": self.name, "version": version, "value": value, **shared}
                for role, version, value in models
            ],
            columns=["role", "name", "version", "metric", "value", *list(shared)[1:]],
        )

    @property
    def improvement(self) -> float:
        """How much better the challenger is, in the metric's units (negative: worse)."""
        return self.difference if self.higher_is_better else -self.difference

    @property
    def challenger_wins(self) -> bool:
        """True when the challenger is better and the difference is significant."""
        low = self.ci_low if self.higher_is_better else -self.ci_high
        return low > 0 and self.p_value is not None and self.p_value < ALPHA

    @property
    def challenger_loses(self) -> bool:
        """True when the challenger is worse and the difference is significant."""
        high = self.ci_high if self.higher_is_better else -self.ci_low
        return high < 0 and self.p_value is not None and self.p_value < ALPHA


def _task(model: Any, which: str) -> str:
    # the task is read from the estimator (duck-typed models too), never from the labels
    from lifecycle_widgets.core.explain.estimator import predicts_classes

    if not callable(getattr(model, "predict", None)):
        raise ParameterError.bad_value(
            which, "compare_models", "a fitted model with a predict method", type(model).__name__
        )
    return CLASSIFICATION if predicts_classes(model) else REGRESSION


def _outputs(model: Any, X: Any, spec: ComparisonMetric, which: str) -> np.ndarray:
    if spec.output == "label":
        out = np.asarray(model.predict(X))
    elif hasattr(model, "predict_proba"):
        out = np.asarray(model.predict_proba(X), dtype=float)
        if spec.output == "score":
            out = out[:, 1]
    elif spec.output == "score" and hasattr(model, "decision_function"):
        out = np.asarray(model.decision_function(X), dtype=float)
    else:
        raise ParameterError(
            f"metric={spec.name!r} needs predicted probabilities, and the {which} "
            f"({type(model).__name__}) has no predict_proba."
        )
    if spec.output != "proba" and out.ndim != 1:
        raise ParameterError(
            f"The {which} predicts {out.shape[1:]} values per row; metric={spec.name!r} needs one."
        )
    return out


def _contributions(spec: ComparisonMetric, y: np.ndarray, out: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """Per-row additive parts of the metric, shape (rows, k): the metric is ``_finish`` of their sums."""
    if spec.name == "accuracy":
        return (out == y).astype(float)[:, None]
    if spec.name == "log_loss":
        index = np.searchsorted(classes, y)
        p = out[np.arange(len(y)), index]
        return -np.log(np.clip(p, np.finfo(float).eps, 1.0))[:, None]
    if spec.name == "f1":
        chosen = classes[1:] if len(classes) == 2 else classes
        parts = []
        for c in chosen:
            truth, said = y == c, out == c
            parts += [truth & said, ~truth & said, truth & ~said]  # tp, fp, fn
        return np.column_stack(parts).astype(float)
    error = out.astype(float) - y.astype(float)
    return (error**2 if spec.name == "rmse" else np.abs(error))[:, None]


def _finish(spec: ComparisonMetric, sums: np.ndarray, n: int) -> np.ndarray:
    """The metric from summed contributions ``sums`` (..., k) over ``n`` rows."""
    if spec.name == "f1":
        tp, fp, fn = sums[..., 0::3], sums[..., 1::3], sums[..., 2::3]
        denominator = 2 * tp + fp + fn
        f1 = np.divide(2 * tp, denominator, out=np.zeros_like(tp), where=denominator > 0)
        return f1.mean(axis=-1)
    mean = sums[..., 0] / n
    return np.sqrt(mean) if spec.name == "rmse" else mean


def _bootstrap_differences(
    spec: ComparisonMetric, ca: np.ndarray, cb: np.ndarray, n_bootstrap: int, rng: np.random.Generator
) -> np.ndarray:
    """Challenger minus champion on ``n_bootstrap`` paired resamples of the rows."""
    n, k = ca.shape
    both = np.hstack([ca, cb])
    chunk = max(1, _BOOTSTRAP_CELLS // (n * 2 * k))
    out = []
    for start in range(0, n_bootstrap, chunk):
        idx = rng.integers(0, n, (min(chunk, n_bootstrap - start), n))
        sums = both[idx].sum(axis=1)
        out.append(_finish(spec, sums[:, k:], n) - _finish(spec, sums[:, :k], n))
    return np.concatenate(out)


def _permutation_p(
    spec: ComparisonMetric,
    ca: np.ndarray,
    cb: np.ndarray,
    observed: float,
    n_resamples: int,
    rng: np.random.Generator,
) -> float:
    """Two-sided p of the paired permutation test: each row's two predictions swapped at random."""
    n = len(ca)
    sa, delta = ca.sum(axis=0), cb - ca
    chunk = max(1, _BOOTSTRAP_CELLS // n)
    extreme = 0
    for start in range(0, n_resamples, chunk):
        swap = rng.integers(0, 2, (min(chunk, n_resamples - start), n)).astype(float)
        moved = swap @ delta  # what the swapped rows move from one model to the other
        a, b = sa + moved, (sa + delta.sum(axis=0)) - moved
        stat = _finish(spec, b, n) - _finish(spec, a, n)
        extreme += int((np.abs(stat) >= abs(observed) - 1e-12).sum())
    return (extreme + 1) / (n_resamples + 1)


def _mcnemar(right_a: np.ndarray, right_b: np.ndarray) -> tuple[float, float]:
    from scipy import stats

    only_a, only_b = int((right_a & ~right_b).sum()), int((~right_a & right_b).sum())
    if only_a + only_b == 0:
        return 0.0, 1.0
    if only_a + only_b < 25:  # exact binomial where the chi-squared approximation is poor
        low = min(only_a, only_b)
        return float(low), float(stats.binomtest(low, only_a + only_b, 0.5).pvalue)
    statistic = (abs(only_a - only_b) - 1) ** 2 / (only_a + only_b)
    return float(statistic), float(stats.chi2.sf(statistic, 1))


def _recommend(
    spec: ComparisonMetric,
    improvement: float,
    low: float,
    high: float,
    p: float | None,
    versions: tuple[int, int],
) -> str:
    better_low, better_high = (low, high) if spec.higher_is_better else (-high, -low)
    if p is None:
        return f"Keep the champion (version {versions[0]}): the test is undefined on these rows."
    if better_low > 0 and p < ALPHA:
        return (
            f"Promote the challenger (version {versions[1]}): its {spec.name} is better by "
            f"{abs(improvement):.4g}, and the difference is significant (p = {p:.3g})."
        )
    if better_high < 0 and p < ALPHA:
        return (
            f"Keep the champion (version {versions[0]}): the challenger's {spec.name} is "
            f"significantly worse (p = {p:.3g})."
        )
    return (
        f"Keep the champion (version {versions[0]}): the difference in {spec.name} is not "
        f"significant (p = {p:.3g}); collect more holdout rows to decide."
    )


def check_comparison_options(
    metric: str | None, n_bootstrap: int, random_state: int
) -> ComparisonMetric | None:
    """Validate the options of a comparison before any model is loaded or called.

    Returns the metric's registry entry (None: the task's default, chosen once the models are
    known).

    Examples
    --------
    >>> from lifecycle_widgets.core.experiments import check_comparison_options
    >>> check_comparison_options("f1", 1000, 0).higher_is_better
    True
    """
    spec = None if metric is None else comparison_metric(metric)
    if isinstance(n_bootstrap, bool) or not isinstance(n_bootstrap, int | np.integer) or n_bootstrap < 20:
        raise ParameterError.bad_value("n_bootstrap", "compare_models", "an int of 20 or more", n_bootstrap)
    if isinstance(random_state, bool) or not isinstance(random_state, int | np.integer):
        raise ParameterError.bad_value("random_state", "compare_models", "an int", random_state)
    return spec


def compare_models(
    champion: Any,
    challenger: Any,
    X: Any,
    y: Any,
    *,
    metric: str | None = None,
    n_bootstrap: int = 1000,
    random_state: int = 0,
    name: str = "",
    versions: tuple[int, int] = (1, 2),
) -> ChampionChallenger:
    """Champion against challenger on the same holdout rows, on the metric asked for.

    The task (classification or regression) is read from the estimators, never guessed from
    ``y``. Each metric comes with a paired test that fits it:

    ========  =====================================================================
    accuracy  McNemar's test on the rows one model gets right and the other wrong
              (exact binomial below 25 such rows); bootstrap interval
    auc       DeLong's test (Sun & Xu's fast algorithm) and DeLong's normal interval;
              binary targets, scores from ``predict_proba`` (else ``decision_function``)
    log_loss  paired t-test on the per-row log loss; bootstrap interval
    f1        paired permutation test (each row's two predictions swapped at random,
              ``n_bootstrap`` times); bootstrap interval
    rmse      paired t-test on the per-row squared error; bootstrap interval
    mae       paired t-test on the per-row absolute error; bootstrap interval
    ========  =====================================================================

    Parameters
    ----------
    champion, challenger : fitted scikit-learn estimators
        Both classifiers or both regressors.
    X, y : the holdout rows and their true values (at least 10 rows).
    metric : str, optional
        One of ``COMPARISON_METRICS``; default ``accuracy`` for classifiers, ``rmse`` for
        regressors. An unknown name raises :class:`UnknownNameError` before any model is called.
    n_bootstrap : int
        Paired resamples for the interval (and permutations for F1's test), 20 or more.
    random_state : int
        Seed of the resampling: the same inputs give the same result.
    name, versions : the model's registry name and the two version numbers, for the record.

    Returns
    -------
    ChampionChallenger
        ``difference`` is challenger minus champion; ``higher_is_better`` says which sign is
        an improvement.

    Examples
    --------
    >>> from sklearn.linear_model import LinearRegression, Ridge
    >>> from lifecycle_widgets.core.experiments import compare_models
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(300, 3)); y = X @ [1.0, 2.0, 0.5] + rng.normal(size=300)
    >>> c = compare_models(LinearRegression().fit(X[:200], y[:200]), Ridge(50).fit(X[:200], y[:200]),
    ...                    X[200:], y[200:], metric="mae")
    >>> c.task, c.metric, c.higher_is_better
    ('regression', 'mae', False)
    """
    from scipy import stats

    spec = check_comparison_options(metric, n_bootstrap, random_state)
    task = _task(champion, "champion")
    if _task(challenger, "challenger") != task:
        raise ParameterError(
            f"The champion is a {task} model and the challenger is not: compare models of one task."
        )
    spec = spec or COMPARISON_METRICS[DEFAULT_METRIC[task]]
    if spec.task != task:
        fitting = sorted(k for k, m in COMPARISON_METRICS.items() if m.task == task)
        raise ParameterError(
            f"metric={spec.name!r} is a {spec.task} metric, and these models are {task} models; "
            f"use one of {fitting}."
        )
    y = np.asarray(y)
    n = len(y)
    if y.ndim != 1:
        raise ParameterError.bad_value("y", "compare_models", "one value per row (1-D)", f"shape {y.shape}")
    if n < 10:
        raise ParameterError(f"A comparison needs at least 10 holdout rows; got {n}.")
    if len(X) != n:
        raise ParameterError(f"X has {len(X)} rows and y has {n}: they must be the same rows.")
    classes = np.asarray([])
    if task == CLASSIFICATION and spec.name != "accuracy":
        ca_, cb_ = getattr(champion, "classes_", None), getattr(challenger, "classes_", None)
        if ca_ is None or cb_ is None or not np.array_equal(ca_, cb_):
            raise ParameterError(
                f"metric={spec.name!r} needs both models to know the same classes; "
                f"champion {ca_!r}, challenger {cb_!r}."
            )
        classes = np.asarray(ca_)
        unknown = set(np.unique(y).tolist()) - set(classes.tolist())
        if unknown:
            raise ParameterError(f"y holds classes the models never saw: {sorted(map(str, unknown))}.")
        if spec.name == "auc" and len(classes) != 2:
            raise ParameterError(
                f"metric='auc' needs a binary target; the models know {len(classes)} classes."
            )
    elif task == REGRESSION:
        y = y.astype(float)
        if not np.isfinite(y).all():
            raise ParameterError("y holds missing or infinite values; drop those rows first.")
    out_a = _outputs(champion, X, spec, "champion")
    out_b = _outputs(challenger, X, spec, "challenger")
    rng = np.random.default_rng(random_state)
    if spec.name == "auc":
        dl = delong_test(y, out_a, out_b, positive=classes[1])
        va, vb, statistic, p = dl.auc_a, dl.auc_b, dl.statistic, dl.p_value
        low, high = dl.interval()
        interval = "DeLong 95% interval"
    else:
        ca, cb = _contributions(spec, y, out_a, classes), _contributions(spec, y, out_b, classes)
        va = float(_finish(spec, ca.sum(axis=0), n))
        vb = float(_finish(spec, cb.sum(axis=0), n))
        diffs = _bootstrap_differences(spec, ca, cb, n_bootstrap, rng)
        low, high = (float(q) for q in np.quantile(diffs, [0.025, 0.975]))
        interval = f"bootstrap 95% interval ({n_bootstrap:,} resamples)"
        if spec.name == "accuracy":
            statistic, p = _mcnemar(ca[:, 0] > 0, cb[:, 0] > 0)
        elif spec.name == "f1":
            statistic = vb - va
            p = _permutation_p(spec, ca, cb, statistic, n_bootstrap, rng)
        elif np.array_equal(ca, cb):
            statistic, p = 0.0, 1.0
        else:
            res = stats.ttest_rel(cb[:, 0], ca[:, 0])
            statistic, p = float(res.statistic), float(res.pvalue)
    difference = float(vb - va)
    return ChampionChallenger(
        name,
        versions[0],
        versions[1],
        spec.name,
        float(va),
        float(vb),
        difference,
        float(low),
        float(high),
        spec.test,
        None if statistic is None else float(statistic),
        None if p is None else float(p),
        n,
        _recommend(spec, difference if spec.higher_is_better else -difference, low, high, p, versions),
        spec.higher_is_better,
        task,
        interval,
    )
