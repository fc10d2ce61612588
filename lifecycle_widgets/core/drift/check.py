"""Checking a batch against a baseline: violations in Model Monitor's check types, and drift.

Nothing in a batch raises: missing or extra columns, changed dtypes, new categories, all values
missing, zero rows or only infinities each become a violation in the report.
"""

from __future__ import annotations

import itertools
import json
import math
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from lifecycle_widgets.core.drift.baseline import (
    DEFAULT_METHOD,
    Baseline,
    FeatureStatistics,
    category_counts,
    category_key,
)
from lifecycle_widgets.core.drift.constraints import (
    DEFAULT_EXTENSION,
    EXTENSION_KEY,
    RANGE_TOLERANCE,
    ConstraintsError,
)
from lifecycle_widgets.core.drift.datetime_text import (
    CALENDAR,
    CALENDAR_LABELS,
    CALENDAR_TITLES,
    DatetimeTextCounter,
    allowed_times,
    sample_lengths,
)
from lifecycle_widgets.core.drift.distances import GRID_PROBS, get_distance
from lifecycle_widgets.core.drift.model_drift import AttributionShift
from lifecycle_widgets.core.drift.quality import QualityCollector
from lifecycle_widgets.core.drift.significance import (
    adjust,
    binomial_tail,
    homogeneity_test,
    missing_share_test,
    p_value_text,
)
from lifecycle_widgets.core.formatting import fmt_number
from lifecycle_widgets.core.ingest import collect, fingerprint, sample_quantiles
from lifecycle_widgets.core.partial import ColumnPartial, TablePartial, dtype_family, numeric_values
from lifecycle_widgets.core.result import Result, atomic_write_text
from lifecycle_widgets.exceptions import ColumnError, ParameterError, UnknownNameError

OTHER_BIN = "(other values)"


@dataclass(frozen=True)
class Violation:
    """One violated constraint, as in Model Monitor's constraint_violations.json.

    ``constraint_check_type`` is a name of :data:`CHECKS`; ``severity`` is that check's.
    """

    feature_name: str
    constraint_check_type: str
    description: str
    severity: str

    def __post_init__(self) -> None:
        get_check(self.constraint_check_type)  # a misspelt check type is an error, not a new kind


@dataclass(frozen=True)
class FeatureDrift:
    """A feature's distribution in the baseline and the batch: their distance (the effect size),
    a test of the batch against the baseline at the batch's size, and the decision.

    ``drifted`` needs both: ``distance > threshold`` and ``p_adjusted < alpha``, where
    ``p_adjusted`` corrects ``p_value`` for the number of features tested in the batch (an
    ``alpha`` of 1 leaves the distance alone, as Model Monitor does). The completeness fields
    do the same for the share of missing values, which ``completeness_check`` judges.
    """

    name: str
    kind: str
    method: str | None
    distance: float | None
    threshold: float | None
    drifted: bool
    completeness_baseline: float
    completeness_current: float
    bins: tuple[str, ...] = ()
    baseline_shares: tuple[float, ...] = ()
    current_shares: tuple[float, ...] = ()
    test: str | None = None
    p_value: float | None = None
    p_adjusted: float | None = None
    alpha: float | None = None
    completeness_p_value: float | None = None
    completeness_p_adjusted: float | None = None

    @property
    def effect_exceeded(self) -> bool:
        """Whether the distance crossed its threshold (with or without evidence)."""
        return self.distance is not None and self.threshold is not None and self.distance > self.threshold

    @property
    def significant(self) -> bool:
        """Whether the test says the batch differs from the baseline beyond sampling noise."""
        if self.alpha is not None and self.alpha >= 1:
            return True
        return self.p_adjusted is not None and self.alpha is not None and self.p_adjusted < self.alpha


@dataclass(frozen=True)
class DriftReport(Result):
    """Violations and per-feature drift of one batch against a baseline.

    Examples
    --------
    >>> import lifecycle_widgets as lw
    >>> base = lw.Baseline.fit(lw.datasets.credit(2000))
    >>> report = base.check(lw.datasets.credit_batch(2000, drift=False))
    >>> report.drifted_features
    ()
    """

    kind: ClassVar[str] = "drift_report"

    source: str
    rows: int
    baseline_fingerprint: str
    batch_fingerprint: str
    features: tuple[FeatureDrift, ...]
    violations: tuple[Violation, ...]
    model_quality: dict[str, Any] | None = None
    baseline_model_quality: dict[str, Any] | None = None
    label: str = ""
    attribution: dict[str, float] | None = None
    attribution_ndcg: float | None = None
    bias: dict[str, float | None] | None = None
    #: the baseline's mean |SHAP| per feature, beside the batch's ``attribution``
    baseline_attribution: dict[str, float] | None = None
    #: each feature's share of the attribution and the total, against the baseline's
    attribution_shifts: tuple[AttributionShift, ...] = ()

    @property
    def drifted_features(self) -> tuple[str, ...]:
        """Features whose distribution distance crossed its threshold, beyond sampling noise."""
        return tuple(f.name for f in self.features if f.drifted)

    @property
    def flagged_features(self) -> tuple[str, ...]:
        """Features with any violation, in the order of the baseline."""
        names = {v.feature_name for v in self.violations}
        return tuple(f.name for f in self.features if f.name in names)

    def feature(self, name: str) -> FeatureDrift:
        for f in self.features:
            if f.name == name:
                return f
        raise ColumnError(
            name, f"not a feature of this report; features are {[f.name for f in self.features][:20]}"
        )

    def violations_json(self) -> dict[str, Any]:
        """The content of Model Monitor's constraint_violations.json."""
        return {
            "violations": [
                {
                    "feature_name": v.feature_name,
                    "constraint_check_type": v.constraint_check_type,
                    "description": v.description,
                }
                for v in self.violations
            ]
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per feature, in the baseline's order, then one per distribution derived from a
        datetime or text column (``signup_date (day of week)``, ``notes (length)``): name, kind,
        method, distance, threshold, test, p_value, p_adjusted, alpha, drifted, flagged (the
        feature has a violation) and the completeness in the baseline and in the batch. Missing
        numbers are NaN.

        Examples
        --------
        >>> import lifecycle_widgets as lw
        >>> base = lw.Baseline.fit(lw.datasets.credit(500))
        >>> frame = base.check(lw.datasets.credit_batch(500)).to_frame()
        >>> list(frame.columns[:5]), frame["name"][: len(base.features)].tolist() == [f.name for f in base.features]
        (['name', 'kind', 'method', 'distance', 'threshold'], True)
        >>> frame.loc[frame["kind"] == "text length", "name"].tolist()
        ['notes (length)']
        """
        flagged = set(self.flagged_features)

        def num(value: float | None) -> float:
            return np.nan if value is None else value

        return pd.DataFrame(
            [
                {
                    "name": f.name,
                    "kind": f.kind,
                    "method": f.method,
                    "distance": num(f.distance),
                    "threshold": num(f.threshold),
                    "test": f.test,
                    "p_value": num(f.p_value),
                    "p_adjusted": num(f.p_adjusted),
                    "alpha": num(f.alpha),
                    "drifted": f.drifted,
                    "flagged": f.name in flagged,
                    "completeness_baseline": f.completeness_baseline,
                    "completeness_current": f.completeness_current,
                }
                for f in self.features
            ],
            columns=[
                "name", "kind", "method", "distance", "threshold", "test", "p_value", "p_adjusted",
                "alpha", "drifted", "flagged", "completeness_baseline", "completeness_current",
            ],
        )  # fmt: skip

    def save(self, folder: str | os.PathLike[str]) -> Path:
        """Write ``constraint_violations.json`` (Model Monitor's) and ``drift_report.json`` (the
        whole report, which :meth:`load` reads back) into ``folder``; returns the folder."""
        out = Path(folder)
        atomic_write_text(
            out / "constraint_violations.json",
            json.dumps(self.violations_json(), indent=2, ensure_ascii=False) + "\n",
        )
        self.to_json(out / "drift_report.json")
        return out

    @classmethod
    def load(cls, folder: str | os.PathLike[str]) -> DriftReport:
        """Read a report written by :meth:`save`: ``DriftReport.load(report.save(folder)) == report``.

        Parameters
        ----------
        folder : str or path
            A folder written by :meth:`save`; its ``drift_report.json`` holds the whole report
            (``constraint_violations.json`` beside it is Model Monitor's summary, not read).

        Returns
        -------
        DriftReport

        Raises
        ------
        ParameterError
            When the file is missing or is not a drift report; the message names its path.

        Examples
        --------
        >>> import tempfile
        >>> import lifecycle_widgets as lw
        >>> report = lw.Baseline.fit(lw.datasets.credit(500)).check(lw.datasets.credit_batch(500))
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     DriftReport.load(report.save(folder)) == report
        True
        """
        path = Path(folder) / "drift_report.json"
        if not path.is_file():
            raise ParameterError(
                f"{str(path)!r} does not exist; expected a folder written by DriftReport.save."
            )
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(data, dict):
                raise ValueError(f"a JSON {type(data).__name__}, not an object")
            return cls.from_dict(data)
        except (ValueError, TypeError, KeyError, ParameterError) as err:
            raise ParameterError(f"{str(path)!r} is not a readable drift report: {err}") from err

    def __repr__(self) -> str:
        return (
            f"<DriftReport {self.source}: {self.rows:,} rows, {len(self.violations)} violations, "
            f"drifted: {', '.join(self.drifted_features) or 'none'}>"
        )


def _overrides(baseline: Baseline) -> dict[str, dict[str, Any]]:
    return {f["name"]: f for f in baseline.constraints["features"]}


def _mismatch_share(base: FeatureStatistics, part: ColumnPartial) -> float:
    """Share of the batch's present values whose type differs from the baseline's."""
    present = part.rows - part.missing - part.infinite
    if present <= 0:
        return 0.0
    fam = part.family
    if base.family in ("integer", "float"):
        if fam == "integer":
            return 0.0
        if fam == "float":
            return part.fractional / present if base.family == "integer" else 0.0
        if fam == "object" and part.type_counts:
            numeric = sum(
                v for k, v in part.type_counts.items() if k in ("integer", "floating", "int", "float")
            )
            return 1.0 - numeric / present
        return 1.0
    if base.family == "datetime":
        return 0.0 if fam == "datetime" else 1.0
    if base.family == "boolean":
        return 0.0 if fam in ("boolean", "object") else 1.0
    return 1.0 if fam in ("integer", "float", "datetime") and base.family not in ("integer", "float") else 0.0


@dataclass
class BinCounter:
    """Counts every chunk's values into the baseline's numeric bins, the values outside each
    learned range, and the hashes of identifier values (for duplicates): exact, whatever the
    size (identifiers cost 8 bytes a value)."""

    edges: dict[str, np.ndarray]
    counts: dict[str, np.ndarray]
    # discrete features whose batch may arrive as floats (0/1 turned float by a missing value):
    # their values counted by category key, for a batch column without frequent values
    discrete: tuple[str, ...] = ()
    categories: dict[str, dict[str, int]] = field(default_factory=dict)
    bounds: dict[str, tuple[float, float]] = field(default_factory=dict)
    outside: dict[str, int] = field(default_factory=dict)
    unique: tuple[str, ...] = ()
    hashes: dict[str, list[np.ndarray]] = field(default_factory=dict)

    @classmethod
    def for_baseline(cls, baseline: Baseline) -> BinCounter:
        edges = {f.name: np.asarray(f.edges) for f in baseline.features if f.numeric}
        discrete = tuple(
            f.name for f in baseline.features if not f.numeric and f.family in ("integer", "boolean", "float")
        )
        learned = baseline.constraints.get(EXTENSION_KEY, {}).get("features", {})
        bounds = {name: allowed_range(rules["range"]) for name, rules in learned.items() if "range" in rules}
        unique = tuple(name for name, rules in learned.items() if rules.get("unique"))
        return cls(
            edges,
            {n: np.zeros(len(e) + 1, dtype=np.int64) for n, e in edges.items()},
            discrete,
            bounds=bounds,
            unique=unique,
        )

    def fresh(self) -> BinCounter:
        """Zero counts over the same bins."""
        return BinCounter(
            self.edges,
            {n: np.zeros(len(e) + 1, dtype=np.int64) for n, e in self.edges.items()},
            self.discrete,
            bounds=self.bounds,
            unique=self.unique,
        )

    def merge(self, other: BinCounter) -> BinCounter:
        for name in self.counts:
            self.counts[name] = self.counts[name] + other.counts[name]
        for name, counted in other.categories.items():
            mine = self.categories.setdefault(name, {})
            for key, n in counted.items():
                mine[key] = mine.get(key, 0) + n
        for name, n in other.outside.items():
            self.outside[name] = self.outside.get(name, 0) + n
        for name, hashes in other.hashes.items():
            self.hashes.setdefault(name, []).extend(hashes)
        return self

    def duplicates(self, name: str) -> int:
        """How many present values of identifier ``name`` repeat an earlier one."""
        hashes = self.hashes.get(name, [])
        values = np.concatenate(hashes) if hashes else np.empty(0, dtype=np.uint64)
        return int(values.size - np.unique(values).size)

    def update(self, chunk: pd.DataFrame, offset: int) -> None:
        """Count one chunk's values."""
        for name in self.discrete:
            if name in chunk.columns and dtype_family(chunk[name].dtype) == "float":
                mine = self.categories.setdefault(name, {})
                for value, n in chunk[name].value_counts(dropna=True).items():
                    if np.isfinite(value):
                        key = category_key(value)
                        mine[key] = mine.get(key, 0) + int(n)
        for name in {*self.edges, *self.bounds}:
            if name not in chunk.columns:
                continue
            family = dtype_family(chunk[name].dtype)
            if family not in ("integer", "float", "boolean"):
                continue  # not numbers any more: data_type_check reports it
            x = numeric_values(chunk[name], family)
            x = x[np.isfinite(x)]
            if name in self.edges:
                edges = self.edges[name]
                self.counts[name] = self.counts[name] + np.bincount(
                    np.searchsorted(edges, x, side="left"), minlength=len(edges) + 1
                )
            if name in self.bounds:
                low, high = self.bounds[name]
                self.outside[name] = self.outside.get(name, 0) + int(np.count_nonzero((x < low) | (x > high)))
        for name in self.unique:
            if name in chunk.columns:
                present = chunk[name].dropna()
                hashed = pd.util.hash_pandas_object(present, index=False).to_numpy(dtype=np.uint64)
                self.hashes.setdefault(name, []).append(hashed)


def allowed_range(rule: dict[str, float]) -> tuple[float, float]:
    """The values a range constraint allows: ``[min, max]`` widened on each side by
    ``tolerance`` times ``max - min``.

    Examples
    --------
    >>> [round(v, 6) for v in allowed_range({"min": 18, "max": 79, "tolerance": 0.1})]
    [11.9, 85.1]
    """
    width = (rule["max"] - rule["min"]) * rule.get("tolerance", RANGE_TOLERANCE)
    return rule["min"] - width, rule["max"] + width


def _numeric_distribution(
    base: FeatureStatistics, current: np.ndarray
) -> tuple[list[str], np.ndarray, np.ndarray]:
    edges = list(base.edges)
    if edges:
        inner = [f"{fmt_number(lo)} to {fmt_number(hi)}" for lo, hi in itertools.pairwise(edges)]
        labels = [f"≤ {fmt_number(edges[0])}", *inner, f"> {fmt_number(edges[-1])}"]
    else:
        labels = [fmt_number(base.min)]
    return labels, np.asarray(base.counts, dtype=float), current.astype(float)


def _categorical_distribution(
    base: FeatureStatistics, part: ColumnPartial, counted: dict[str, int] | None = None
) -> tuple[list[str], np.ndarray, np.ndarray]:
    # a float batch of a discrete column keeps no frequent values: the BinCounter counted them
    current = category_counts(part) if part.frequent is not None else (counted or {})
    present = part.rows - part.missing - part.infinite
    labels = list(base.categories)
    b = list(base.category_counts)
    c = [current.get(v, 0) for v in base.categories]
    if not base.domain_complete or present > sum(c):
        labels.append(OTHER_BIN)
        b.append(max(0, base.num_present - sum(base.category_counts)))
        c.append(max(0, present - sum(c)))
    return labels, np.asarray(b, dtype=float), np.asarray(c, dtype=float)


def _drift(
    base: FeatureStatistics,
    part: ColumnPartial,
    override: dict[str, Any],
    config: dict[str, Any],
    completeness: float,
    bins: np.ndarray | None,
    sample: pd.DataFrame | None,
    categories: dict[str, int] | None = None,
) -> FeatureDrift:
    enabled = override.get("perform_comparison", config["perform_comparison"]) == "Enabled"
    method = (
        override.get("comparison_method")
        or override.get("comparion_method")
        or DEFAULT_METHOD.get(base.kind)
        or config.get("comparison_method")
        or config.get("comparion_method")
    )
    threshold = float(override.get("comparison_threshold", config["comparison_threshold"]))
    numeric = base.numeric
    if numeric and (bins is None or part.family not in ("integer", "float", "boolean")):
        # the batch's values are not numbers any more: data_type_check reports it
        return FeatureDrift(base.name, base.kind, None, None, None, False, base.completeness, completeness)
    if numeric:
        labels, b, c = _numeric_distribution(base, bins)
    else:
        labels, b, c = _categorical_distribution(base, part, categories)
    # distances compare the present values only: the missing share is judged once, by
    # completeness_check (a missing bin made an unchanged distribution with 25 % more missing
    # values score PSI 2.0)
    shares = lambda x: tuple(float(v) for v in (x / x.sum() if x.sum() else x))  # noqa: E731
    distance, evidence = None, None
    if enabled and method and c.sum() > 0 and b.sum() > 0:
        dist = get_distance(method)
        if dist.input == "quantile":
            if not numeric:
                raise ConstraintsError(
                    f"Feature {base.name!r}: {dist.name} compares numeric features; "
                    f"this one is {base.kind}. Use a binned distance such as jensen_shannon."
                )
            sq = sample_quantiles(part, sample)
            if sq is None or not sq.values.size:
                distance = 1.0
            else:
                grid = sq.quantiles(GRID_PROBS)
                grid[0], grid[-1] = part.moments.min, part.moments.max
                distance = dist.function(np.asarray(base.quantiles), grid, base.std_dev)
        else:
            distance = dist.function(b, c)
        method = dist.name
        if override.get("comparison_method", config.get("comparison_method")) == "Robust":
            n1, n2 = b.sum(), c.sum()  # allow for sampling error: the KS critical distance at 5 %
            threshold += 1.36 * math.sqrt((n1 + n2) / (n1 * n2)) if n1 and n2 else 0.0
        evidence = homogeneity_test(_measured_counts(base, b), c, ordered=numeric)
    return FeatureDrift(
        name=base.name,
        kind=base.kind,
        method=method if enabled else None,
        distance=None if distance is None else float(distance),
        threshold=threshold if enabled else None,
        drifted=False,  # decided in build_report, once every feature's p-value is known
        completeness_baseline=base.completeness,
        completeness_current=completeness,
        bins=tuple(labels),
        baseline_shares=shares(b),
        current_shares=shares(c),
        test=None if evidence is None else evidence.name,
        p_value=None if evidence is None else evidence.p_value,
    )


def _measured_counts(base: FeatureStatistics, counts: np.ndarray) -> np.ndarray:
    """The baseline's bin counts on the scale of the values they were measured on: counts
    scaled up from a 50,000-row sample of ten million rows carry the sample's noise, not the
    population's, and a test that took them as exact would flag every large batch."""
    if base.numeric and 0 < base.measured_size < base.num_present:
        return counts * (base.measured_size / base.num_present)
    return counts


def _labels_for(
    baseline: Baseline, part_columns: list[str], labels: Any
) -> tuple[str | None, np.ndarray | None]:
    if isinstance(labels, str):
        if labels not in part_columns:
            raise ColumnError(
                labels, f"the labels column is not in the batch; columns are {part_columns[:20]}"
            )
        return labels, None
    if labels is not None:
        return None, np.asarray(labels)
    if baseline.target and baseline.target in part_columns:
        return baseline.target, None
    return None, None


def check(
    baseline: Baseline,
    data: Any,
    *,
    labels: Any = None,
    predictions: Any = None,
    model: Any = None,
    chunk_rows: int = 1_000_000,
    progress: bool | None = None,
    label: str = "",
    as_of: Any = None,
) -> DriftReport:
    """See :meth:`Baseline.check`."""
    from lifecycle_widgets.core.distributed import is_dask
    from lifecycle_widgets.core.sources import open_source

    columns = (
        [str(c) for c in data.columns] if is_dask(data) else open_source(data, chunk_rows=chunk_rows).columns
    )
    label_column, label_values = _labels_for(baseline, columns, labels)
    collector = QualityCollector(
        label_column=label_column,
        labels=label_values,
        model=model,
        predictions=None if predictions is None else np.asarray(predictions),
    )
    counter = BinCounter.for_baseline(baseline)
    extra = DatetimeTextCounter.for_baseline(baseline, as_of)
    source, part = collect(
        data,
        chunk_rows=chunk_rows,
        progress=progress,
        desc="checking",
        accumulators=[counter, collector, extra],
    )
    if label_values is not None and len(label_values) != part.rows:
        raise ColumnError("labels", f"{len(label_values):,} labels for {part.rows:,} rows")
    return build_report(baseline, source, part, collector.metrics(), label, counter, model=model, extra=extra)


@dataclass(frozen=True)
class ModelDrift:
    """What the model said about a batch: attributions, their nDCG, bias metrics (each ``None``
    when the baseline has none or no model was given)."""

    attribution: dict[str, float] | None = None
    ndcg: float | None = None
    bias: dict[str, float | None] | None = None
    bias_error: str | None = None
    shifts: tuple[AttributionShift, ...] = ()


@dataclass(frozen=True)
class CheckContext:
    """Everything a check reads: the baseline and its constraints, the batch's merged partial
    statistics and bin counts, the drift of every feature, model quality and model drift."""

    baseline: Baseline
    part: TablePartial
    counter: BinCounter
    drifts: dict[str, FeatureDrift]
    quality: dict[str, Any] | None = None
    model: ModelDrift = ModelDrift()
    extra: DatetimeTextCounter | None = None

    @property
    def config(self) -> dict[str, Any]:
        """The constraints' ``monitoring_config``, defaults filled in."""
        return self.baseline.constraints["monitoring_config"]

    def rule(self, name: str) -> dict[str, Any]:
        """The constraints' ``features`` entry of ``name`` (empty when it has none)."""
        return next((f for f in self.baseline.constraints["features"] if f["name"] == name), {})

    def present(self) -> Iterator[tuple[FeatureStatistics, ColumnPartial]]:
        """The baseline's features that the batch has, with their partials; none without rows."""
        if self.part.rows:
            for base in self.baseline.features:
                if base.name in self.part.partials:
                    yield base, self.part.partials[base.name]


#: a check yields (feature name, description) for every violation it finds; "" names the batch
CheckFunction = Callable[[CheckContext], Iterator[tuple[str, str]]]


@dataclass(frozen=True)
class CheckType:
    """A constraint check of Model Monitor's kind, declared once: its name, severity, whether a
    violation in the latest batch recommends retraining, and the function that finds violations.

    Examples
    --------
    >>> from lifecycle_widgets.core.drift.check import get_check
    >>> get_check("missing_column_check").severity
    'high'
    """

    name: str
    severity: str  # "high", "medium" or "low"
    retrain: bool
    description: str
    function: CheckFunction

    def violation(self, feature: str, description: str) -> Violation:
        """A violation of this check."""
        return Violation(feature, self.name, description, self.severity)


def _missing_columns(ctx: CheckContext) -> Iterator[tuple[str, str]]:
    for base in ctx.baseline.features:
        # labels are optional: a batch without them is judged without model quality
        if base.name not in ctx.part.partials and base.name != ctx.baseline.target:
            yield base.name, f"Column {base.name!r} of the baseline is missing from the batch."


def _data_types(ctx: CheckContext) -> Iterator[tuple[str, str]]:
    limit = ctx.config["datatype_check_threshold"]
    for base, cp in ctx.present():
        mismatch = _mismatch_share(base, cp)
        if mismatch > limit:
            text = (
                f"{mismatch:.1%} of values are not of the baseline's type {base.inferred_type} "
                f"(the batch's dtype is {cp.dtype}; allowed: {limit:.0%})."
            )
            yield base.name, text


def _completeness(ctx: CheckContext) -> Iterator[tuple[str, str]]:
    """Completeness below the constraint by more than the tolerance, and a binomial test that
    says the batch's missing share is above the constraint's beyond sampling noise."""
    rows = ctx.part.rows
    if rows == 0:
        yield "", "The batch has no rows: nothing could be checked."
    tolerance = ctx.config["completeness_tolerance"]
    for base, cp in ctx.present():
        drift = ctx.drifts[base.name]
        completeness = (cp.rows - cp.missing - cp.infinite) / rows
        expected = float(ctx.rule(base.name).get("completeness", base.completeness))
        p = drift.completeness_p_adjusted
        alpha = drift.alpha if drift.alpha is not None else 0.0
        if completeness < expected - tolerance and (alpha >= 1 or (p is not None and p < alpha)):
            extra = f" ({cp.infinite:,} infinite)" if cp.infinite else ""
            text = (
                f"Completeness {completeness:.1%} is below the baseline's {expected:.1%} by more than "
                f"the tolerance {tolerance:.1%}, beyond sampling noise (binomial test p-value "
                f"{p_value_text(p)} after the {_correction(ctx)} correction, alpha {alpha:g}); "
                f"{cp.missing + cp.infinite:,} of {rows:,} values are missing{extra}."
            )
            yield base.name, text


def _correction(ctx: CheckContext) -> str:
    return significance_settings(ctx.baseline)["correction"]


def _beyond_noise(
    ctx: CheckContext, found: dict[str, tuple[int, int, int, int]]
) -> Iterator[tuple[str, int, int, str]]:
    """The features whose count of values breaking a constraint is beyond sampling noise.

    ``found`` maps a feature to ``(k, n, big_n, sides)``: k of the batch's n values break a
    constraint that all big_n values of the baseline kept. A value of the baseline's own
    distribution falls beyond one of the baseline's extremes with chance 1 / (big_n + 1) (the new
    value is as likely as each old one to be the most extreme), so k is judged by a one-sided
    binomial test against ``sides`` times that share, corrected for the features tested; yields
    (feature, k, n, evidence text).
    """
    settings = significance_settings(ctx.baseline)
    alpha, correction = float(settings["alpha"]), settings["correction"]
    names = list(found)
    raw = [binomial_tail(k, n, sides / (big_n + 1)) for k, n, big_n, sides in found.values()]
    for name, p in zip(names, adjust(raw, correction), strict=True):
        k, n, _, _ = found[name]
        if k and (alpha >= 1 or (p is not None and p < alpha)):
            yield (
                name,
                k,
                n,
                f"binomial test p-value {p_value_text(p)} after the {correction} correction, alpha {alpha:g}",
            )


def _non_negative(ctx: CheckContext) -> Iterator[tuple[str, str]]:
    found = {
        base.name: (cp.negatives, cp.moments.n, base.num_present, 1)
        for base, cp in ctx.present()
        if ctx.rule(base.name).get("num_constraints", {}).get("is_non_negative")
    }
    for name, k, n, evidence in _beyond_noise(ctx, found):
        text = (
            f"{k:,} of {n:,} values are negative; the baseline constraint says non-negative, and that many "
            f"is beyond sampling noise ({evidence})."
        )
        yield name, text


def _learned(ctx: CheckContext, key: str) -> dict[str, Any]:
    """The extension's constraint ``key`` of every feature that has one."""
    features = ctx.baseline.constraints.get(EXTENSION_KEY, {}).get("features", {})
    return {name: rules[key] for name, rules in features.items() if key in rules}


def _numeric(cp: ColumnPartial) -> bool:
    return cp.family in ("integer", "float", "boolean")


def _ranges(ctx: CheckContext) -> Iterator[tuple[str, str]]:
    rules = _learned(ctx, "range")
    found = {
        base.name: (ctx.counter.outside.get(base.name, 0), cp.moments.n, base.num_present, 2)
        for base, cp in ctx.present()
        if base.name in rules and _numeric(cp)
    }
    for name, k, n, evidence in _beyond_noise(ctx, found):
        rule, cp = rules[name], ctx.part.partials[name]
        low, high = allowed_range(rule)
        text = (
            f"{k:,} of {n:,} values lie outside {fmt_number(low)} to {fmt_number(high)} (the baseline's range "
            f"{fmt_number(rule['min'])} to {fmt_number(rule['max'])} widened by {rule['tolerance']:.0%} of its "
            f"width; the batch's values run from {fmt_number(cp.moments.min)} to {fmt_number(cp.moments.max)}), "
            f"beyond sampling noise ({evidence})."
        )
        yield name, text


def _integral(ctx: CheckContext) -> Iterator[tuple[str, str]]:
    rules = _learned(ctx, "integral")
    found = {
        base.name: (cp.fractional, cp.moments.n, base.num_present, 1)
        for base, cp in ctx.present()
        if rules.get(base.name) and _numeric(cp)
    }
    for name, k, n, evidence in _beyond_noise(ctx, found):
        text = (
            f"{k:,} of {n:,} values are not whole numbers; the baseline's were all whole, and that many is "
            f"beyond sampling noise ({evidence})."
        )
        yield name, text


def _uniqueness(ctx: CheckContext) -> Iterator[tuple[str, str]]:
    """Identifiers repeat no value: a repeat is never noise."""
    rules = _learned(ctx, "unique")
    for base, _cp in ctx.present():
        if rules.get(base.name):
            repeats = ctx.counter.duplicates(base.name)
            if repeats:
                text = (
                    f"{repeats:,} values repeat an earlier one; the baseline's values were all unique "
                    "(an identifier)."
                )
                yield base.name, text


def _times(ctx: CheckContext) -> dict[str, dict[str, Any]]:
    """The datetime rules of the batch's columns that the counter saw values of."""
    if ctx.extra is None or not ctx.part.rows:
        return {}
    return {
        n: r["datetime"]
        for n, r in ctx.extra.rules.items()
        if "datetime" in r and ctx.extra.present.get(n) and n in ctx.part.partials
    }


def _binomial_family(
    ctx: CheckContext, found: dict[str, tuple[int, int, float]]
) -> Iterator[tuple[str, int, int, str]]:
    """Features whose count k of n breaking a rule is beyond a share p0, after the correction:
    ``found`` maps a feature to ``(k, n, p0)``."""
    settings = significance_settings(ctx.baseline)
    alpha, correction = float(settings["alpha"]), settings["correction"]
    names = list(found)
    raw = [binomial_tail(k, n, p0) for k, n, p0 in found.values()]
    for name, p in zip(names, adjust(raw, correction), strict=True):
        k, n, p0 = found[name]
        if k > p0 * n and (alpha >= 1 or (p is not None and p < alpha)):
            yield (
                name,
                k,
                n,
                f"binomial test p-value {p_value_text(p)} after the {correction} correction, alpha {alpha:g}",
            )


def _future_timestamps(ctx: CheckContext) -> Iterator[tuple[str, str]]:
    """More timestamps later than the check's ``as_of`` than the baseline had later than its fit
    time, beyond sampling noise (a new value is later with chance (k0 + 1) / (N + 1))."""
    rules = _times(ctx)
    if not rules or ctx.extra is None:
        return
    found = {}
    for name, rule in rules.items():
        big_n = int(rule.get("present", rule.get("rows", 0)))
        k0 = round(float(rule.get("future_share", 0.0)) * big_n)
        found[name] = (ctx.extra.future.get(name, 0), ctx.extra.present[name], (k0 + 1) / (big_n + 1))
    moment = pd.Timestamp(ctx.extra.as_of, unit="s")
    for name, k, n, evidence in _binomial_family(ctx, found):
        base_share = float(rules[name].get("future_share", 0.0))
        text = (
            f"{k:,} of {n:,} timestamps ({k / n:.1%}) are later than {moment:%Y-%m-%d %H:%M} UTC, the time of the "
            f"check; the baseline had {base_share:.1%} later than its own, and that many is beyond sampling "
            f"noise ({evidence})."
        )
        yield name, text


def _timestamp_ranges(ctx: CheckContext) -> Iterator[tuple[str, str]]:
    """Timestamps before the baseline's earliest (or, where bounded, after its latest) by more
    than the tolerance, beyond sampling noise (as range_check judges numbers)."""
    rules = _times(ctx)
    if not rules or ctx.extra is None:
        return
    found = {}
    for name, rule in rules.items():
        big_n = int(rule.get("present", rule.get("rows", 0)))
        sides = 2 if rule.get("bound_latest") else 1
        found[name] = (ctx.extra.outside.get(name, 0), ctx.extra.present[name], sides / (big_n + 1))
    for name, k, n, evidence in _binomial_family(ctx, found):
        rule = rules[name]
        low, high = allowed_times(rule)
        first, last = (
            pd.Timestamp(ctx.extra.first[name], unit="s"),
            pd.Timestamp(ctx.extra.last[name], unit="s"),
        )
        allowed = f"from {pd.Timestamp(low, unit='s'):%Y-%m-%d %H:%M}" + (
            f" to {pd.Timestamp(high, unit='s'):%Y-%m-%d %H:%M}" if math.isfinite(high) else " on"
        )
        text = (
            f"{k:,} of {n:,} timestamps lie outside what the baseline allows ({allowed} UTC: its range "
            f"{rule['earliest'][:16]} to {rule['latest'][:16]} widened by {float(rule['tolerance']):.0%} of its span); "
            f"the batch's run from {first:%Y-%m-%d %H:%M} to {last:%Y-%m-%d %H:%M}, beyond sampling noise ({evidence})."
        )
        yield name, text


def _vocabulary(ctx: CheckContext) -> Iterator[tuple[str, str]]:
    """A text column's share of words outside the baseline's vocabulary, up by more than the
    tolerance and beyond sampling noise (a z test with the baseline's per-row spread)."""
    from scipy import stats

    if ctx.extra is None or not ctx.part.rows:
        return
    settings = significance_settings(ctx.baseline)
    alpha, correction = float(settings["alpha"]), settings["correction"]
    found = {}
    for name, rule in ctx.extra.rules.items():
        words = ctx.extra.words.get(name, 0)
        if "text" not in rule or not words:
            continue
        text_rule = rule["text"]
        share, expected = ctx.extra.unknown.get(name, 0) / words, float(text_rule["oov_share"])
        rows = ctx.extra.present[name]
        sd = float(text_rule["oov_row_sd"]) * math.sqrt(1 / rows + 1 / max(1, int(text_rule["rows"])))
        p = float(stats.norm.sf((share - expected) / sd)) if sd > 0 else (0.0 if share > expected else 1.0)
        found[name] = (share, expected, float(text_rule.get("tolerance", 0.05)), p, words)
    adjusted = adjust([v[3] for v in found.values()], correction)
    for (name, (share, expected, tolerance, _, words)), p_adj in zip(found.items(), adjusted, strict=True):
        if share - expected > tolerance and (alpha >= 1 or (p_adj is not None and p_adj < alpha)):
            text = (
                f"{share:.1%} of the batch's {words:,} words are outside the baseline's vocabulary "
                f"(expected {expected:.1%} of new text like the baseline's; allowed {tolerance:.0%} more), beyond "
                f"sampling noise (z test p-value {p_value_text(p_adj)} after the {correction} correction, alpha {alpha:g})."
            )
            yield name, text


def _categorical_values(ctx: CheckContext) -> Iterator[tuple[str, str]]:
    share = ctx.config["domain_content_threshold"]
    for base, cp in ctx.present():
        domain = ctx.rule(base.name).get("string_constraints", {}).get("domains")
        present = cp.rows - cp.missing - cp.infinite
        if domain is None or not present:
            continue
        counted = ctx.counter.categories.get(base.name, {})
        current = category_counts(cp) if cp.frequent is not None else counted
        known = set(map(category_key, domain))
        outside = {k: v for k, v in current.items() if k not in known}
        inside_share = 1 - sum(outside.values()) / present
        if inside_share < share:
            new = sorted(outside, key=lambda k: -outside[k])[:5]
            text = (
                f"{1 - inside_share:.1%} of values are outside the baseline's domain "
                f"(new values: {', '.join(map(repr, new))}); at most {1 - share:.1%} allowed."
            )
            yield base.name, text


def _baseline_drift(ctx: CheckContext) -> Iterator[tuple[str, str]]:
    """A distance above its threshold, and a test at the batch's size that says the batch's
    distribution differs from the baseline's beyond sampling noise."""
    tested = sum(d.p_value is not None for d in ctx.drifts.values())
    for drift in ctx.drifts.values():
        if drift.drifted:
            text = f"{drift.method} distance {drift.distance:.3f} exceeds the threshold {drift.threshold:.3f}"
            if drift.test:
                text += (
                    f", beyond sampling noise ({drift.test} test p-value {p_value_text(drift.p_adjusted)} "
                    f"after the {_correction(ctx)} correction for {tested} features, alpha {drift.alpha:g})"
                )
            yield drift.name, text + "."


def _extra_columns(ctx: CheckContext) -> Iterator[tuple[str, str]]:
    known = {f.name for f in ctx.baseline.features}
    for name in ctx.part.columns:
        if name not in known:
            yield name, f"Column {name!r} is not in the baseline."


def _model_quality(ctx: CheckContext) -> Iterator[tuple[str, str]]:
    """A metric worse than its constraint's threshold, and worse than the reference's value by
    more than sampling allows at the batch's number of labelled rows (bootstrap standard errors,
    one-sided, alpha split over the metrics tested)."""
    from lifecycle_widgets.core.drift.reference_quality import quality_bound

    if not ctx.quality:
        return
    reference = ctx.baseline.model_quality or {}
    sampling = ctx.baseline.constraints.get(EXTENSION_KEY, {}).get("model_quality")
    alpha = float(significance_settings(ctx.baseline)["alpha"])
    groups = ctx.baseline.constraints.get("model_quality_constraints", {}).values()
    tested = [(m, rule) for group in groups for m, rule in group.items() if ctx.quality.get(m) is not None]
    n = int(ctx.quality.get("rows") or 0)
    for metric, rule in tested:
        value = ctx.quality[metric]
        low = rule["comparison_operator"] == "LessThanThreshold"
        if not ((value < rule["threshold"]) if low else (value > rule["threshold"])):
            continue
        text = f"{metric} is {value:.4g}, {'below' if low else 'above'} the threshold {rule['threshold']:.4g}"
        ref = reference.get(metric)
        bound = None
        if alpha < 1 and isinstance(ref, int | float):
            bound = quality_bound(metric, ref, low, sampling, reference.get("rows"), n, alpha, len(tested))
        if bound is not None:
            if (value >= bound) if low else (value <= bound):
                continue  # within what chance gives at this batch's size
            text += (
                f", and {'below' if low else 'above'} {bound:.4g}, the bound sampling allows for {n:,} labelled "
                f"rows around the reference's {ref:.4g} (alpha {alpha:g} over {len(tested)} metrics)"
            )
        yield "", text + "."


def _attribution_drift(ctx: CheckContext) -> Iterator[tuple[str, str]]:
    """The ranking of the features by mean |SHAP| (nDCG below its threshold), and the magnitude:
    a feature's share of the attribution, or the total, changed by more than its threshold and
    beyond sampling noise."""
    from lifecycle_widgets.core.drift.model_drift import NDCG_THRESHOLD

    rule = ctx.baseline.constraints.get("attribution_constraints")
    score, attributions = ctx.model.ndcg, ctx.model.attribution
    if rule is None or score is None or not attributions:
        return
    threshold = float(rule.get("ndcg_threshold", NDCG_THRESHOLD))
    if score < threshold:
        top = sorted(attributions, key=lambda f: -attributions[f])[:3]
        text = (
            f"nDCG of the feature attribution ranking is {score:.3f}, below {threshold:.2f}; "
            f"the batch's top features are {top}."
        )
        yield "", text
    for shift in ctx.model.shifts:
        if not shift.violated:
            continue
        evidence = f"p-value {p_value_text(shift.p_adjusted)} after the {_correction(ctx)} correction"
        moved = "from nothing" if shift.change is None else f"{shift.change:+.0%}"
        if shift.measure == "mass":
            text = (
                f"The total mean |SHAP| moved from {shift.baseline:.4g} to {shift.batch:.4g} ({moved}, "
                f"more than ±{shift.threshold:.0%}), beyond sampling noise ({evidence})."
            )
        else:
            means = (ctx.baseline.attribution or {}).get(shift.name), attributions.get(shift.name)
            text = (
                f"Its share of the attribution moved from {shift.baseline:.1%} to {shift.batch:.1%} "
                f"({moved}, more than ±{shift.threshold:.0%}; mean |SHAP| "
                f"{fmt_number(means[0])} to {fmt_number(means[1])}), beyond sampling noise ({evidence})."
            )
        yield shift.name, text


def _bias_drift(ctx: CheckContext) -> Iterator[tuple[str, str]]:
    constraints = ctx.baseline.constraints.get("bias_constraints")
    if constraints is None:
        return
    facet = constraints["facet"]
    if ctx.model.bias_error is not None:
        yield facet, f"Bias metrics could not be computed: {ctx.model.bias_error}"
    for metric, bounds in constraints.get("metrics", {}).items():
        value = (ctx.model.bias or {}).get(metric)
        if value is None:
            continue
        lower, upper = bounds.get("lower", -np.inf), bounds.get("upper", np.inf)
        if not lower <= value <= upper:
            yield facet, f"{metric} is {value:.4g}, outside the baseline's range [{lower:.4g}, {upper:.4g}]."


#: every check type, in the order a report lists their violations
CHECKS: dict[str, CheckType] = {
    c.name: c
    for c in (
        CheckType("missing_column_check", "high", True, "a baseline column is missing", _missing_columns),
        CheckType("data_type_check", "high", True, "values not of the baseline's type", _data_types),
        CheckType(
            "completeness_check", "medium", True, "more missing values than the baseline", _completeness
        ),
        CheckType("non_negative_check", "medium", False, "negative values where none were", _non_negative),
        CheckType("range_check", "medium", True, "values outside the baseline's range", _ranges),
        CheckType(
            "future_timestamp_check", "medium", False, "timestamps later than the check", _future_timestamps
        ),
        CheckType(
            "timestamp_range_check",
            "medium",
            False,
            "timestamps outside the baseline's range",
            _timestamp_ranges,
        ),
        CheckType("integral_check", "medium", False, "fractions where all values were whole", _integral),
        CheckType("uniqueness_check", "medium", False, "an identifier repeats a value", _uniqueness),
        CheckType(
            "categorical_values_check",
            "medium",
            True,
            "values outside the baseline's domain",
            _categorical_values,
        ),
        CheckType("vocabulary_check", "medium", True, "words outside the baseline's vocabulary", _vocabulary),
        CheckType("baseline_drift_check", "medium", True, "a distribution moved", _baseline_drift),
        CheckType("extra_column_check", "low", False, "a column the baseline does not have", _extra_columns),
        CheckType(
            "model_quality_check", "high", True, "a model quality metric crossed its bound", _model_quality
        ),
        CheckType(
            "feature_attribution_drift_check",
            "medium",
            False,
            "the feature attribution ranking or magnitude changed",
            _attribution_drift,
        ),
        CheckType("bias_drift_check", "high", False, "a bias metric left its bounds", _bias_drift),
    )
}


def get_check(name: str) -> CheckType:
    """The check type registered as ``name``; the error lists every known name.

    Examples
    --------
    >>> get_check("completeness_check").retrain
    True
    >>> get_check("drift")
    Traceback (most recent call last):
    ...
    lifecycle_widgets.exceptions.UnknownNameError: No constraint check named 'drift'. Available: ...
    """
    if name not in CHECKS:
        raise UnknownNameError("constraint check", name, CHECKS)
    return CHECKS[name]


def build_report(
    baseline: Baseline,
    source: str,
    part: TablePartial,
    quality: dict[str, Any] | None,
    label: str,
    counter: BinCounter,
    model: Any = None,
    extra: DatetimeTextCounter | None = None,
) -> DriftReport:
    """The drift report of one batch from its merged partial statistics, quality metrics and bin
    counts; ``check`` builds them by reading the batch, ``monitor`` for every window in one pass.
    ``extra`` holds the batch's datetime and text counts (their calendar and length
    distributions join the features as ``name (day of week)``, ``name (length)``...)."""
    dist_cfg = baseline.constraints["monitoring_config"]["distribution_constraints"]
    overrides = _overrides(baseline)
    rows = part.rows
    drifts: dict[str, FeatureDrift] = {}
    for base in baseline.features:
        if base.name not in part.partials:
            continue
        cp = part.partials[base.name]
        completeness = (cp.rows - cp.missing - cp.infinite) / rows if rows else 0.0
        drifts[base.name] = (
            _drift(
                base,
                cp,
                overrides.get(base.name, {}).get("monitoringConfigOverrides", {}),
                dist_cfg,
                completeness,
                counter.counts.get(base.name),
                part.sample,
                counter.categories.get(base.name),
            )
            if rows
            else FeatureDrift(base.name, base.kind, None, None, None, False, base.completeness, 0.0)
        )
    derived = _derived_drifts(baseline, part, extra, dist_cfg) if rows and extra is not None else {}
    drifts = _decide(baseline, part, drifts, derived)
    ctx = CheckContext(baseline, part, counter, drifts, quality, _model_drift(baseline, part, model), extra)
    violations = tuple(
        check.violation(feature, description)
        for check in CHECKS.values()
        for feature, description in check.function(ctx)
    )
    return DriftReport(
        source=source,
        rows=rows,
        baseline_fingerprint=baseline.fingerprint,
        batch_fingerprint=fingerprint(part).sha256,
        features=tuple(drifts.values()),
        violations=violations,
        model_quality=quality,
        baseline_model_quality=baseline.model_quality,
        label=label,
        attribution=ctx.model.attribution,
        attribution_ndcg=ctx.model.ndcg,
        bias=ctx.model.bias,
        baseline_attribution=baseline.attribution if ctx.model.attribution else None,
        attribution_shifts=ctx.model.shifts,
    )


def significance_settings(baseline: Baseline) -> dict[str, Any]:
    """The baseline's ``alpha`` and ``correction`` (constraints.json's extension key, defaults
    filled in)."""
    found = baseline.constraints.get(EXTENSION_KEY, {}).get("significance", {})
    return {**DEFAULT_EXTENSION["significance"], **found}


def _decide(
    baseline: Baseline,
    part: TablePartial,
    drifts: dict[str, FeatureDrift],
    derived: dict[str, FeatureDrift] | None = None,
) -> dict[str, FeatureDrift]:
    """Correct every feature's p-values for the number of features tested in the batch (and the
    derived distributions of datetime and text columns, which join the same family), and decide
    drift: an effect above the threshold with a p-value below alpha."""
    derived = derived or {}
    if not part.rows:
        return drifts
    settings = significance_settings(baseline)
    alpha, correction = float(settings["alpha"]), settings["correction"]
    rules = _overrides(baseline)
    names = list(drifts)
    missing_p = []
    for name in names:
        cp = part.partials[name]
        expected = float(rules.get(name, {}).get("completeness", baseline.feature(name).completeness))
        missing_p.append(missing_share_test(cp.missing + cp.infinite, part.rows, expected))
    extra = list(derived)
    family = adjust([drifts[n].p_value for n in names] + [derived[n].p_value for n in extra], correction)
    drift_adjusted, derived_adjusted = family[: len(names)], family[len(names) :]
    missing_adjusted = adjust(missing_p, correction)
    out = {}
    for name, p_adj, m_p, m_adj in zip(names, drift_adjusted, missing_p, missing_adjusted, strict=True):
        d = replace(
            drifts[name],
            p_adjusted=p_adj,
            alpha=alpha,
            completeness_p_value=m_p,
            completeness_p_adjusted=m_adj,
        )
        out[name] = replace(d, drifted=d.effect_exceeded and d.significant)
    for name, p_adj in zip(extra, derived_adjusted, strict=True):
        d = replace(derived[name], p_adjusted=p_adj, alpha=alpha)
        out[name] = replace(d, drifted=d.effect_exceeded and d.significant)
    return out


def _derived_drifts(
    baseline: Baseline, part: TablePartial, extra: DatetimeTextCounter, config: dict[str, Any]
) -> dict[str, FeatureDrift]:
    """The calendar distributions of datetime columns (each part the batch spans a cycle of) and
    the length distributions of text columns, as features of their own."""
    threshold = float(config["comparison_threshold"])
    out: dict[str, FeatureDrift] = {}
    for name, rule in extra.rules.items():
        if name not in part.partials:
            continue
        cp = part.partials[name]
        completeness = (cp.rows - cp.missing - cp.infinite) / part.rows
        base_completeness = baseline.feature(name).completeness
        if "datetime" in rule and name in extra.calendar:
            learned = rule["datetime"]["calendar"]
            for part_name, _size, cycle in CALENDAR:
                base_counts = np.asarray(learned[part_name], dtype=float)
                counts = np.asarray(extra.calendar[name][part_name], dtype=float)
                if extra.span(name) < cycle or base_counts.sum() == 0:
                    continue  # a batch shorter than the cycle holds part of it by construction
                if np.count_nonzero(base_counts) <= 1 and np.count_nonzero(counts[base_counts == 0]) == 0:
                    continue  # one value in both (dates without a time of day): nothing to compare
                dist = get_distance("jensen_shannon")
                evidence = homogeneity_test(base_counts, counts, ordered=False)
                key = f"{name} ({CALENDAR_TITLES[part_name]})"
                out[key] = _derived(key, "calendar", dist.name, float(dist.function(base_counts, counts)), threshold,
                                    CALENDAR_LABELS[part_name], base_counts, counts, evidence,
                                    base_completeness, completeness)  # fmt: skip
        if "text" in rule and name in extra.lengths:
            lengths = rule["text"]["lengths"]
            base_counts = np.asarray(lengths["counts"], dtype=float)
            counts = np.asarray(extra.lengths[name], dtype=float)
            if not counts.sum():
                continue
            batch = sample_lengths(part.sample, name)
            dist = get_distance("winsorized_wasserstein")
            grid = np.quantile(batch, GRID_PROBS) if batch.size else None
            distance = (
                1.0
                if grid is None
                else float(dist.function(np.asarray(lengths["quantiles"]), grid, lengths["std"]))
            )
            edges = lengths["edges"]
            labels = [f"≤ {fmt_number(edges[0])}", *(f"{fmt_number(a)} to {fmt_number(b)}" for a, b in itertools.pairwise(edges)), f"> {fmt_number(edges[-1])}"] if edges else ["all"]  # fmt: skip
            evidence = homogeneity_test(base_counts, counts, ordered=True)
            key = f"{name} (length)"
            out[key] = _derived(key, "text length", dist.name, distance, threshold, labels, base_counts, counts,
                                evidence, base_completeness, completeness)  # fmt: skip
    return out


def _derived(
    name: str,
    kind: str,
    method: str,
    distance: float,
    threshold: float,
    labels: Any,
    base: np.ndarray,
    current: np.ndarray,
    evidence: Any,
    completeness_baseline: float,
    completeness_current: float,
) -> FeatureDrift:
    def shares(x: np.ndarray) -> tuple[float, ...]:
        return tuple(float(v) for v in (x / x.sum() if x.sum() else x))

    return FeatureDrift(
        name=name,
        kind=kind,
        method=method,
        distance=distance,
        threshold=threshold,
        drifted=False,
        completeness_baseline=completeness_baseline,
        completeness_current=completeness_current,
        bins=tuple(labels),
        baseline_shares=shares(base),
        current_shares=shares(current),
        test=evidence.name,
        p_value=evidence.p_value,
    )


def _model_drift(baseline: Baseline, part: TablePartial, model: Any) -> ModelDrift:
    """Feature attributions (and their nDCG against the baseline's) and bias metrics of the
    batch, when the baseline has them and a model is given."""
    from lifecycle_widgets.core.drift import model_drift

    if model is None or part.sample is None or part.rows == 0:
        return ModelDrift()
    attributions = score = bias = error = None
    shifts: tuple[AttributionShift, ...] = ()
    rule = baseline.constraints.get("attribution_constraints")
    if baseline.attribution and rule is not None:
        found = model_drift.attribution_rows(model, part.sample, baseline.target)
        if found is not None:
            names, rows = found
            attributions = {f: float(v) for f, v in zip(names, rows.mean(0), strict=True)}
            score = model_drift.ndcg(baseline.attribution, attributions)
            settings = significance_settings(baseline)
            errors = {
                "shares": rule.get("share_standard_errors", {}),
                "mass": rule.get("mass_standard_error", 0.0),
            }
            shifts = model_drift.magnitude_shifts(
                baseline.attribution,
                errors,
                names,
                rows,
                share_change=float(rule.get("share_change_threshold", model_drift.SHARE_CHANGE)),
                mass_change=float(rule.get("mass_change_threshold", model_drift.MASS_CHANGE)),
                min_share=float(rule.get("min_share", model_drift.MIN_SHARE)),
                alpha=float(settings["alpha"]),
                correction=settings["correction"],
            )
    constraints = baseline.constraints.get("bias_constraints")
    if baseline.bias and constraints is not None and constraints.get("facet") in part.columns:
        try:
            bias = model_drift.bias(
                model, part.sample, baseline.target, constraints["facet"], constraints.get("facet_values")
            )
        except (ValueError, TypeError) as err:  # one facet group in this batch, labels not binary...
            error = str(err)
    return ModelDrift(attributions, score, bias, error, shifts)
