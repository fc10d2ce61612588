"""Baselines: statistics and suggested constraints learned from training data.

``Baseline.fit`` reads the data with the profile engine (mergeable, streaming), keeps per
feature what later batches are compared with, and suggests constraints. ``save`` writes
``statistics.json`` and ``constraints.json`` in SageMaker Model Monitor's layout.
"""

from __future__ import annotations

import json
import math
import numbers
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from lifecycle_widgets.core.drift.constraints import (
    DEFAULT_MONITORING_CONFIG,
    EXTENSION_KEY,
    RANGE_TOLERANCE,
    default_extension,
    parse,
    validate,
)
from lifecycle_widgets.core.drift.distances import GRID_PROBS
from lifecycle_widgets.core.drift.quality import QualityCollector, suggest_quality_constraints
from lifecycle_widgets.core.ingest import collect, sample_quantiles
from lifecycle_widgets.core.partial import ColumnPartial
from lifecycle_widgets.core.profiling import finalize
from lifecycle_widgets.core.result import Result, atomic_write_text
from lifecycle_widgets.core.sketches import SampleQuantiles
from lifecycle_widgets.exceptions import ColumnError, ParameterError

TOP_CATEGORIES = 30  # categorical bins: the most frequent values, then "other", then missing
DOMAIN_LEVELS = 50  # a categorical domain is kept (for categorical_values_check) up to this size
DECILES = [i / 10 for i in range(1, 10)]
DEFAULT_METHOD = {
    "numeric": "winsorized_wasserstein",  # a few extreme values cannot decide (see distances)
    "integer": "winsorized_wasserstein",
    "categorical": "jensen_shannon",
    "boolean": "jensen_shannon",
}
NOT_COMPARED = ("datetime", "identifier", "text", "constant", "empty")  # why: see _suggest


@dataclass(frozen=True)
class FeatureStatistics:
    """What a baseline keeps about one feature. Numeric bins split at the baseline's deciles
    (right-closed); ``quantiles`` is the quantile function at ``GRID_PROBS``; ``sample_size``
    is how many values the bin counts were measured on (the row sample's, scaled up to
    ``num_present`` in ``counts``): what a test of a batch against them may count on. 0 means
    ``num_present`` (files written before it was kept)."""

    name: str
    inferred_type: str
    kind: str
    family: str
    num_present: int
    num_missing: int
    mean: float | None = None
    sum: float | None = None
    std_dev: float | None = None
    min: float | None = None
    max: float | None = None
    edges: tuple[float, ...] = ()
    counts: tuple[int, ...] = ()
    quantiles: tuple[float, ...] = ()
    rank_error: float = 0.0
    categories: tuple[str, ...] = ()
    category_counts: tuple[int, ...] = ()
    distinct_count: int = 0
    domain_complete: bool = False
    sample_size: int = 0

    @property
    def completeness(self) -> float:
        total = self.num_present + self.num_missing
        return self.num_present / total if total else 0.0

    @property
    def numeric(self) -> bool:
        return bool(self.quantiles)

    @property
    def measured_size(self) -> int:
        """How many values the bin counts were measured on: ``sample_size``, or for files that
        did not keep it, the sample size that the DKW ``rank_error`` at 99 % implies."""
        if self.sample_size:
            return self.sample_size
        if self.rank_error > 0:
            return min(self.num_present, round(math.log(2 / 0.01) / (2 * self.rank_error**2)))
        return self.num_present


def inferred_type(family: str) -> str:
    """Model Monitor's type names."""
    return {"integer": "Integral", "float": "Fractional", "datetime": "Unknown"}.get(family, "String")


def _exact_integers(part: ColumnPartial) -> bool:
    """Whether an integer column's value counts are exact (then so are its bin counts)."""
    return part.frequent is not None and part.frequent.error == 0 and part.family == "integer"


def numeric_bin_counts(part: ColumnPartial, sq: SampleQuantiles | None, edges: np.ndarray) -> np.ndarray:
    """Counts of finite values in the bins (-inf, e1], (e1, e2], ..., (ek, inf): exact for
    integer columns with exact value counts, else scaled from the row sample."""
    freq = part.frequent
    if _exact_integers(part):
        values = freq.counts.index.to_numpy(dtype=np.float64)
        return np.bincount(
            np.searchsorted(edges, values, side="left"),
            weights=freq.counts.to_numpy(),
            minlength=len(edges) + 1,
        ).astype(np.int64)
    if sq is None:
        return np.zeros(len(edges) + 1, dtype=np.int64)
    return sq.counts(edges, right=True)


def category_key(value: Any) -> str:
    """The text a category value is compared by, the same across dtypes: ``1``, ``1.0``,
    ``np.int8(1)``, ``np.float32(1.0)`` and ``"1"`` are all ``"1"`` (an integer column that gains a
    missing value and turns float is the same column); other floats by their shortest repr;
    booleans as ``"True"``/``"False"``; everything else as ``str(value)``.

    Examples
    --------
    >>> [category_key(v) for v in (1, 1.0, np.float32(2.0), "1", 0.5, True, "north")]
    ['1', '1', '2', '1', '0.5', 'True', 'north']
    """
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        x = float(value)
        return str(int(x)) if x.is_integer() and abs(x) < 2**63 else repr(x)
    return str(value)


def category_counts(part: ColumnPartial) -> dict[str, int]:
    """Counts of a discrete column's values, keyed by :func:`category_key`."""
    if part.frequent is None:
        return {}
    out: dict[str, int] = {}
    for value, count in part.frequent.counts.items():
        key = category_key(value)
        out[key] = out.get(key, 0) + int(count)
    return out


def _feature(part: ColumnPartial, kind: str, sq: SampleQuantiles | None) -> FeatureStatistics:
    present = part.rows - part.missing - part.infinite
    stats = FeatureStatistics(
        name=part.name,
        inferred_type=inferred_type(part.family),
        kind=kind,
        family=part.family,
        num_present=present,
        num_missing=part.missing + part.infinite,
    )
    if kind in ("numeric", "integer") and sq is not None and sq.values.size:
        m = part.moments
        edges = np.unique(sq.quantiles(DECILES))
        grid = sq.quantiles(GRID_PROBS)
        grid[0], grid[-1] = m.min, m.max
        stats = replace(
            stats,
            mean=m.mean,
            sum=m.mean * m.n,
            std_dev=m.std(),
            min=m.min,
            max=m.max,
            edges=tuple(float(e) for e in edges),
            counts=tuple(int(c) for c in numeric_bin_counts(part, sq, edges)),
            quantiles=tuple(float(q) for q in grid),
            rank_error=sq.rank_error,
            sample_size=present if _exact_integers(part) else int(sq.values.size),
        )
    if kind in ("categorical", "boolean") or part.frequent is not None:
        counts = category_counts(part)
        top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_CATEGORIES]
        exact = part.frequent is not None and part.frequent.error == 0
        stats = replace(
            stats,
            categories=tuple(k for k, _ in top),
            category_counts=tuple(v for _, v in top),
            distinct_count=len(counts) if exact else part.distinct.estimate(),
            domain_complete=exact and len(counts) <= TOP_CATEGORIES,
        )
    return stats


def _learned(f: FeatureStatistics, integral: bool) -> dict[str, Any]:
    """The extension's constraints of one feature: its range (numbers), whether its values are
    whole numbers, whether every value is unique (identifiers)."""
    entry: dict[str, Any] = {}
    if f.kind in ("numeric", "integer") and f.min is not None and f.max is not None:
        entry["range"] = {"min": f.min, "max": f.max, "tolerance": RANGE_TOLERANCE}
        if integral:
            entry["integral"] = True
    if f.kind == "identifier":
        entry["unique"] = True
    return entry


def _suggest(
    features: tuple[FeatureStatistics, ...],
    domains: dict[str, list[str]],
    quality: dict[str, Any] | None,
    integral: set[str] | frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """Suggested constraints. Datetimes, identifiers and free text get no distribution
    comparison: time columns move by design, and unique values have no distribution to compare.
    ``integral`` names the numeric features whose every value is a whole number."""
    out = []
    learned = {f.name: rules for f in features if (rules := _learned(f, f.name in integral))}
    for f in features:
        entry: dict[str, Any] = {
            "name": f.name,
            "inferred_type": f.inferred_type,
            "completeness": round(f.completeness, 6),
        }
        if f.family in ("integer", "float") and f.min is not None:
            entry["num_constraints"] = {"is_non_negative": bool(f.min >= 0)}
        if f.name in domains:
            entry["string_constraints"] = {"domains": domains[f.name]}
        method = DEFAULT_METHOD.get(f.kind)
        if method is None or f.kind in NOT_COMPARED:
            entry["monitoringConfigOverrides"] = {"perform_comparison": "Disabled"}
        else:
            entry["monitoringConfigOverrides"] = {"comparison_method": method, "comparison_threshold": 0.1}
        out.append(entry)
    constraints: dict[str, Any] = {
        "version": 0,
        "features": out,
        "monitoring_config": json.loads(json.dumps(DEFAULT_MONITORING_CONFIG)),
        EXTENSION_KEY: {**default_extension(), "features": learned},
    }
    if quality:
        constraints["model_quality_constraints"] = suggest_quality_constraints(quality)
    return constraints


@dataclass(frozen=True)
class Baseline(Result):
    """Statistics and constraints learned from reference data; ``check`` compares a batch.

    Examples
    --------
    >>> import lifecycle_widgets as lw
    >>> base = lw.Baseline.fit(lw.datasets.credit(2000), target="defaulted")
    >>> report = base.check(lw.datasets.credit_batch(2000))
    >>> "income" in report.drifted_features
    True
    """

    kind: ClassVar[str] = "baseline"

    item_count: int
    fingerprint: str
    source: str
    features: tuple[FeatureStatistics, ...]
    constraints: dict[str, Any]
    target: str | None = None
    model_quality: dict[str, Any] | None = None
    attribution: dict[str, float] | None = None
    bias: dict[str, float | None] | None = None

    def feature(self, name: str) -> FeatureStatistics:
        for f in self.features:
            if f.name == name:
                return f
        raise ParameterError(
            f"{name!r} is not a feature of this baseline; features are "
            f"{[f.name for f in self.features][:20]}."
        )

    def to_frame(self) -> pd.DataFrame:
        """One row per feature, in the data's order: name, kind, type (Model Monitor's
        ``inferred_type``), family, count (present values), missing, completeness, distinct,
        mean, std, min, max and sum. Statistics a feature's kind has none of are NaN.

        Examples
        --------
        >>> import lifecycle_widgets as lw
        >>> frame = lw.Baseline.fit(lw.datasets.credit(300)).to_frame()
        >>> row = frame.set_index("name").loc["age"]
        >>> row["kind"], int(row["count"])
        ('integer', 300)
        """

        def num(value: float | None) -> float:
            return np.nan if value is None else value

        return pd.DataFrame(
            [
                {
                    "name": f.name,
                    "kind": f.kind,
                    "type": f.inferred_type,
                    "family": f.family,
                    "count": f.num_present,
                    "missing": f.num_missing,
                    "completeness": f.completeness,
                    "distinct": f.distinct_count,
                    "mean": num(f.mean),
                    "std": num(f.std_dev),
                    "min": num(f.min),
                    "max": num(f.max),
                    "sum": num(f.sum),
                }
                for f in self.features
            ],
            columns=[
                "name", "kind", "type", "family", "count", "missing", "completeness", "distinct",
                "mean", "std", "min", "max", "sum",
            ],
        )  # fmt: skip

    @classmethod
    def fit(
        cls,
        data: Any,
        *,
        target: str | None = None,
        model: Any = None,
        predictions: Any = None,
        validation: Any = None,
        reference_is_training: bool | None = None,
        facet: str | None = None,
        facet_values: Any = None,
        chunk_rows: int = 1_000_000,
        progress: bool | None = None,
    ) -> Baseline:
        """Learn statistics and suggest constraints from ``data`` (frame, Table or Parquet path).

        With ``target`` and a fitted ``model`` (or ``predictions``), model quality is measured
        too and gets constraints (a baseline holds no model: pass it to :meth:`check`). With a
        model, the mean |SHAP| of the features is kept for ``feature_attribution_drift_check``;
        with a ``facet`` column too, the model's post-training bias metrics for
        ``bias_drift_check``.

        Model quality must come from rows the model did not train on (see
        :mod:`~lifecycle_widgets.core.drift.reference_quality`): ``validation``, a DataFrame
        with the ``target`` column, gives them; else ``reference_is_training=False`` says
        ``data`` is such rows; else (``True``, or ``None`` when the model scores markedly better
        on ``data`` than out of fold) quality is measured out of fold, by clones of the model
        refitted on five folds of up to 10,000 rows of ``data``, and a warning says so.
        ``model_quality["source"]`` and ``["note"]`` say where it came from.

        Examples
        --------
        >>> import lifecycle_widgets as lw
        >>> from sklearn.linear_model import LogisticRegression
        >>> train, holdout = lw.datasets.credit(2000, seed=1), lw.datasets.credit(1000, seed=2)
        >>> cols = ["age", "utilization", "late_payments"]
        >>> model = LogisticRegression().fit(train[cols], train["defaulted"])
        >>> base = lw.Baseline.fit(train, target="defaulted", model=model, validation=holdout)
        >>> base.model_quality["source"], base.model_quality["rows"]
        ('validation', 1000)
        """
        if reference_is_training not in (None, True, False):
            raise ParameterError.bad_value(
                "reference_is_training", "Baseline.fit", "True, False or None", reference_is_training
            )
        collector = QualityCollector(
            label_column=target,
            model=model,
            predictions=None if predictions is None else np.asarray(predictions),
        )
        if validation is not None:
            _check_validation(validation, target, model, collector)
        source, part = collect(
            data,
            required=[c for c in (target, facet) if c],  # checked before any row is read
            chunk_rows=chunk_rows,
            progress=progress,
            desc="baseline",
            accumulators=[collector],
        )
        prof = finalize(part, source=source)
        kinds = {c.name: c.kind for c in prof.columns}
        features = tuple(
            _feature(part.partials[n], kinds[n], sample_quantiles(part.partials[n], part.sample))
            for n in part.columns
        )
        domains = {}
        for f in features:
            counts = category_counts(part.partials[f.name])
            exact = part.partials[f.name].frequent is not None and part.partials[f.name].frequent.error == 0
            if f.kind in ("categorical", "boolean") and exact and len(counts) <= DOMAIN_LEVELS:
                domains[f.name] = sorted(counts)
        from lifecycle_widgets.core.drift import model_drift
        from lifecycle_widgets.core.drift.reference_quality import reference_quality

        honest = reference_quality(
            model=model,
            collector=collector,
            sample=part.sample,
            validation=validation,
            reference_is_training=reference_is_training,
        )
        quality = honest.metrics

        found = model_drift.attribution_rows(model, part.sample, target)
        attributions = None
        if found is not None:
            names, rows = found
            attributions = {f: float(v) for f, v in zip(names, rows.mean(0), strict=True)}
        bias = model_drift.bias(model, part.sample, target, facet, facet_values)
        integral = {
            n
            for n, p in part.partials.items()
            if p.family == "integer" or (p.family == "float" and p.fractional == 0 and p.moments.n > 0)
        }
        constraints = _suggest(features, domains, quality, integral)
        from lifecycle_widgets.core.drift.datetime_text import learn

        learned = constraints[EXTENSION_KEY].setdefault("features", {})
        for name, rules in learn(features, part.sample).items():
            learned.setdefault(name, {}).update(rules)
        if quality and honest.sampling:
            constraints[EXTENSION_KEY]["model_quality"] = honest.sampling
        if found is not None:
            errors = model_drift.magnitude_errors(rows, names)
            constraints["attribution_constraints"] = {
                "ndcg_threshold": model_drift.NDCG_THRESHOLD,
                "share_change_threshold": model_drift.SHARE_CHANGE,
                "mass_change_threshold": model_drift.MASS_CHANGE,
                "min_share": model_drift.MIN_SHARE,
                "share_standard_errors": errors["shares"],
                "mass_standard_error": errors["mass"],
            }
        if bias is not None:
            tolerances = model_drift.bias_tolerances(model, part.sample, target, facet, facet_values)
            constraints["bias_constraints"] = model_drift.suggest_bias_constraints(
                facet, facet_values, bias, tolerances
            )
        base = cls(
            item_count=part.rows,
            fingerprint=prof.fingerprint.sha256,
            source=source,
            features=features,
            constraints=constraints,
            target=target,
            model_quality=quality,
            attribution=attributions,
            bias=bias,
        )
        return base

    def with_constraints(self, constraints: dict[str, Any]) -> Baseline:
        """A copy with other (validated) constraints."""
        checked = validate(constraints, {f.name: f.kind for f in self.features})
        return replace(self, constraints=checked)

    # --- files in Model Monitor's layout ----------------------------------------------------
    def statistics_json(self) -> dict[str, Any]:
        """The baseline statistics in the layout of Model Monitor's statistics.json."""
        features = []
        for f in self.features:
            common = {"num_present": f.num_present, "num_missing": f.num_missing}
            entry: dict[str, Any] = {
                "name": f.name,
                "inferred_type": f.inferred_type,
                "kind": f.kind,
                "family": f.family,
            }
            if f.numeric:
                bounds = [f.min, *f.edges, f.max]
                # Model Monitor's layout keeps buckets under "kll"; here they come from the
                # deterministic row sample (exact for integer columns), and no sketch is stored.
                entry["numerical_statistics"] = {
                    "common": common,
                    "mean": f.mean,
                    "sum": f.sum,
                    "std_dev": f.std_dev,
                    "min": f.min,
                    "max": f.max,
                    "distribution": {
                        "kll": {
                            "buckets": [
                                {"lower_bound": lo, "upper_bound": hi, "count": c}
                                for lo, hi, c in zip(bounds[:-1], bounds[1:], f.counts, strict=True)
                            ]
                        },
                        "quantiles": {
                            "probabilities": [round(p, 3) for p in GRID_PROBS],
                            "values": list(f.quantiles),
                            "rank_error": f.rank_error,
                            "sample_size": f.sample_size,
                        },
                    },
                }
            if f.categories or f.family in ("string", "object", "categorical", "boolean"):
                entry["string_statistics"] = {
                    "common": common,
                    "distinct_count": f.distinct_count,
                    "distribution": {
                        "categorical": {
                            "buckets": [
                                {"value": v, "count": c}
                                for v, c in zip(f.categories, f.category_counts, strict=True)
                            ],
                            "complete": f.domain_complete,
                        }
                    },
                }
            if "numerical_statistics" not in entry and "string_statistics" not in entry:
                entry["common"] = common
            features.append(entry)
        return {
            "version": 0,
            "dataset": {
                "item_count": self.item_count,
                "fingerprint": self.fingerprint,
                "source": self.source,
            },
            "target": self.target,
            "model_quality": self.model_quality,
            "attribution": self.attribution,
            "bias": self.bias,
            "features": features,
        }

    def save(self, folder: str | os.PathLike[str]) -> Path:
        """Write ``statistics.json`` and ``constraints.json`` into ``folder``."""
        out = Path(folder)
        if out.exists() and not out.is_dir():
            raise ParameterError(f"{str(out)!r} exists and is not a folder.")
        stats = json.dumps(self.statistics_json(), indent=2, allow_nan=False, ensure_ascii=False)
        cons = json.dumps(self.constraints, indent=2, allow_nan=False, ensure_ascii=False)
        atomic_write_text(out / "statistics.json", stats + "\n")
        atomic_write_text(out / "constraints.json", cons + "\n")
        return out

    @classmethod
    def load(cls, folder: str | os.PathLike[str]) -> Baseline:
        """Read a baseline saved by :meth:`save`; a hand-edited constraints.json is validated."""
        src = Path(folder)
        for name in ("statistics.json", "constraints.json"):
            if not (src / name).is_file():
                raise ParameterError(
                    f"{str(src)!r} holds no {name}; expected a folder written by Baseline.save."
                )
        stats = json.loads((src / "statistics.json").read_text(encoding="utf-8"))
        constraints = parse(
            (src / "constraints.json").read_text(encoding="utf-8"), str(src / "constraints.json")
        )
        features = tuple(_feature_from_json(f) for f in stats["features"])
        base = cls(
            item_count=stats["dataset"]["item_count"],
            fingerprint=stats["dataset"]["fingerprint"],
            source=stats["dataset"].get("source", ""),
            features=features,
            constraints=validate(constraints, {f.name: f.kind for f in features}),
            target=stats.get("target"),
            model_quality=stats.get("model_quality"),
            attribution=stats.get("attribution"),
            bias=stats.get("bias"),
        )
        return base

    def check(
        self,
        data: Any,
        *,
        labels: Any = None,
        predictions: Any = None,
        model: Any = None,
        chunk_rows: int = 1_000_000,
        progress: bool | None = None,
        as_of: Any = None,
    ) -> Any:
        """Compare a batch with this baseline: a :class:`DriftReport` of violations and drift.

        ``labels``: a column of the batch, or values aligned with its rows (default: the
        baseline's target column when the batch has it). Predictions come from ``predictions``,
        else from ``model``: a baseline holds no model (it is a plain result that round-trips
        through its files), so the model-based checks run only where one of them is given.
        ``as_of``: the time timestamps count as future after (default: now, in UTC); pass it
        for a check that gives the same answer on any day.
        """
        from lifecycle_widgets.core.drift.check import check

        return check(
            self,
            data,
            labels=labels,
            predictions=predictions,
            model=model,
            chunk_rows=chunk_rows,
            progress=progress,
            as_of=as_of,
        )

    def __repr__(self) -> str:
        compared = sum(
            f.get("monitoringConfigOverrides", {}).get("perform_comparison") != "Disabled"
            for f in self.constraints["features"]
        )
        return (
            f"<Baseline {self.source}: {self.item_count:,} rows, {len(self.features)} features "
            f"({compared} compared for drift), fingerprint {self.fingerprint[:12]}>"
        )


def _check_validation(validation: Any, target: str | None, model: Any, collector: QualityCollector) -> None:
    """A validation set is a DataFrame with the target column and the model's features, and needs
    a model to predict it: checked before any row of the reference is read."""
    if not isinstance(validation, pd.DataFrame):
        raise ParameterError.bad_value(
            "validation", "Baseline.fit", "a pandas DataFrame of rows the model did not train on",
            type(validation).__name__,
        )  # fmt: skip
    if target is None or model is None:
        raise ParameterError(
            "Baseline.fit: validation= measures the model's quality; pass target= and model= with it."
        )
    if target not in validation.columns:
        raise ColumnError(
            target, f"the validation set lacks the target; its columns are {list(validation.columns)[:20]}"
        )
    collector.features(validation.head(0))  # the model's features are all there


def _feature_from_json(entry: dict[str, Any]) -> FeatureStatistics:
    num = entry.get("numerical_statistics")
    strs = entry.get("string_statistics")
    common = (num or strs or entry)["common"]
    f = FeatureStatistics(
        name=entry["name"],
        inferred_type=entry["inferred_type"],
        kind=entry["kind"],
        family=entry["family"],
        num_present=common["num_present"],
        num_missing=common["num_missing"],
    )
    if num:
        buckets = num["distribution"]["kll"]["buckets"]
        quantiles = num["distribution"]["quantiles"]
        f = replace(
            f,
            mean=num["mean"],
            sum=num["sum"],
            std_dev=num["std_dev"],
            min=num["min"],
            max=num["max"],
            edges=tuple(b["upper_bound"] for b in buckets[:-1]),
            counts=tuple(b["count"] for b in buckets),
            quantiles=tuple(quantiles["values"]),
            rank_error=quantiles.get("rank_error", 0.0),
            sample_size=quantiles.get("sample_size", 0),
        )
    if strs:
        cat = strs["distribution"]["categorical"]
        f = replace(
            f,
            categories=tuple(b["value"] for b in cat["buckets"]),
            category_counts=tuple(b["count"] for b in cat["buckets"]),
            distinct_count=strs["distinct_count"],
            domain_complete=cat.get("complete", False),
        )
    return f
