"""Experiments as plain results: runs side by side, model versions, and champion/challenger
comparisons. The store writes and reads them (:mod:`lifecycle_widgets.store`); this module only
holds and computes, so the panels can show them without touching a database."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from lifecycle_widgets.core.result import Result
from lifecycle_widgets.exceptions import ParameterError


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


@dataclass(frozen=True)
class ChampionChallenger(Result):
    """Two versions on the same holdout: metric difference with a bootstrap interval, a paired
    significance test, and a plain recommendation."""

    kind: ClassVar[str] = "champion_challenger"

    name: str
    champion: int
    challenger: int
    metric: str
    champion_value: float
    challenger_value: float
    difference: float
    ci_low: float
    ci_high: float
    test: str
    statistic: float
    p_value: float
    rows: int
    recommendation: str


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
    """Champion against challenger on the same rows.

    Classifiers: accuracy difference (challenger minus champion) with a bootstrap 95 % interval,
    and McNemar's test on the rows one gets right and the other wrong (exact binomial below 25
    discordant rows). Regressors: RMSE difference (champion minus challenger: positive means the
    challenger is better) with a bootstrap interval, and the Wilcoxon signed-rank test on the
    absolute errors.
    """
    from scipy import stats
    from sklearn.base import is_classifier

    y = np.asarray(y)
    pa, pb = np.asarray(champion.predict(X)), np.asarray(challenger.predict(X))
    n = len(y)
    if n < 10:
        raise ParameterError(f"A comparison needs at least 10 holdout rows; got {n}.")
    rng = np.random.default_rng(random_state)
    idx = rng.integers(0, n, (n_bootstrap, n))
    if is_classifier(champion):
        metric = metric or "accuracy"
        ca, cb = pa == y, pb == y
        va, vb = float(ca.mean()), float(cb.mean())
        diffs = cb[idx].mean(1) - ca[idx].mean(1)
        b_, c_ = int((ca & ~cb).sum()), int((~ca & cb).sum())
        if b_ + c_ == 0:
            statistic, p = 0.0, 1.0
        elif b_ + c_ < 25:
            statistic, p = float(min(b_, c_)), float(stats.binomtest(min(b_, c_), b_ + c_, 0.5).pvalue)
        else:
            statistic = (abs(b_ - c_) - 1) ** 2 / (b_ + c_)
            p = float(stats.chi2.sf(statistic, 1))
        test, better = "McNemar", vb - va
    else:
        metric = metric or "rmse"
        ea, eb = (pa - y) ** 2, (pb - y) ** 2
        va, vb = float(np.sqrt(ea.mean())), float(np.sqrt(eb.mean()))
        diffs = np.sqrt(ea[idx].mean(1)) - np.sqrt(eb[idx].mean(1))
        res = stats.wilcoxon(np.abs(pa - y), np.abs(pb - y)) if np.any(pa != pb) else None
        statistic, p = (float(res.statistic), float(res.pvalue)) if res is not None else (0.0, 1.0)
        test, better = "Wilcoxon signed-rank", va - vb
    low, high = (float(q) for q in np.quantile(diffs, [0.025, 0.975]))
    if low > 0 and p < 0.05:
        advice = f"Promote the challenger (version {versions[1]}): it is better, and the difference is significant."
    elif high < 0 and p < 0.05:
        advice = f"Keep the champion (version {versions[0]}): the challenger is significantly worse."
    else:
        advice = (
            f"Keep the champion (version {versions[0]}): the difference is not significant "
            f"(p = {p:.3f}); collect more holdout rows to decide."
        )
    return ChampionChallenger(
        name,
        versions[0],
        versions[1],
        metric,
        va,
        vb,
        float(better),
        low,
        high,
        test,
        float(statistic),
        p,
        n,
        advice,
    )
