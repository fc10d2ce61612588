"""The result of a counterfactual search: ``k`` diverse counterfactuals for each row explained,
each with its validity, proximity and sparsity, and each row's set with its diversity.

Measures follow DiCE (Mothilal, Sharma and Tan, FAT* 2020, section 3.3), lower is closer:

- proximity: the mean ``|Δ| / MAD`` over the continuous features, and the share of categorical
  features changed (two numbers, as DiCE reports them);
- distance: the two proximity parts summed (DiCE's ``dist``), the quantity the search minimises;
- sparsity: the number of features changed, and that number as a share of the features;
- diversity: the mean pairwise distance of a row's counterfactuals, and count diversity, the mean
  share of features in which two of them differ.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pandas as pd

from lifecycle_widgets.core.explain.counterfactual_space import Value
from lifecycle_widgets.core.result import Result

__all__ = ["CounterfactualExample", "CounterfactualSet", "RowCounterfactuals"]


@dataclass(frozen=True)
class CounterfactualExample:
    """One counterfactual: the features it changes (name -> new value), the model's decision for
    it, whether that decision is the desired one (checked by calling the model), and how far it
    is from the row (see the module's docstring).

    ``output`` is the probability of the predicted class for a classifier, the prediction for a
    regressor.
    """

    changes: dict[str, Value]
    prediction: str
    output: float
    valid: bool
    distance: float
    proximity_continuous: float | None
    proximity_categorical: float | None
    changed_share: float

    @property
    def n_changed(self) -> int:
        """The number of features changed (sparsity)."""
        return len(self.changes)


@dataclass(frozen=True)
class RowCounterfactuals:
    """The counterfactuals of one row: the row (``position`` among the rows asked about, its
    index ``label``, its ``values`` in the order of the set's features), its decision, the
    outcome sought (``desired``, as text), the counterfactuals found, closest first, and their
    diversity."""

    position: int
    label: str
    values: tuple[Value, ...]
    prediction: str
    output: float
    desired: str
    counterfactuals: tuple[CounterfactualExample, ...]
    diversity: float | None
    diversity_continuous: float | None
    diversity_categorical: float | None
    count_diversity: float | None
    candidates: int
    seconds: float
    note: str = ""

    @property
    def n_valid(self) -> int:
        """How many of the counterfactuals the model gives the desired outcome."""
        return sum(cf.valid for cf in self.counterfactuals)


@dataclass(frozen=True)
class CounterfactualSet(Result):
    """Diverse counterfactuals for one or several rows (``counterfactuals(...)``'s result).

    Holds the search's settings (``k``, the features varied and kept, the permitted ranges as
    given), the MAD of each continuous feature (the unit of proximity), and one
    :class:`RowCounterfactuals` per row. Holds neither the model nor the data.

    Examples
    --------
    >>> import lifecycle_widgets as lw
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from lifecycle_widgets.core.explain.counterfactual import counterfactuals
    >>> df = lw.datasets.credit(400)
    >>> X = df[["age", "income", "utilization", "late_payments"]].fillna(0)
    >>> model = RandomForestClassifier(30, max_depth=5, random_state=0).fit(X, df["defaulted"])
    >>> cfs = counterfactuals(model, X, 0, k=3, immutable=["age"])
    >>> cfs.rows[0].n_valid, all("age" not in cf.changes for cf in cfs.rows[0].counterfactuals)
    (3, True)
    >>> CounterfactualSet.from_dict(cfs.to_dict()) == cfs
    True
    """

    kind: ClassVar[str] = "counterfactual_set"

    model: str
    task: str
    k: int
    features: tuple[str, ...]
    continuous: tuple[str, ...]
    categorical: tuple[str, ...]
    varied: tuple[str, ...]
    immutable: tuple[str, ...]
    permitted_range: dict[str, tuple[Value, ...]]
    mad: dict[str, float]
    rows: tuple[RowCounterfactuals, ...]
    seconds: float
    notes: tuple[str, ...] = ()

    # --- summaries ------------------------------------------------------------------------------
    @property
    def n_found(self) -> int:
        """Counterfactuals returned over all rows."""
        return sum(len(r.counterfactuals) for r in self.rows)

    @property
    def validity(self) -> float:
        """Valid counterfactuals as a share of the ``k`` asked for per row (DiCE's validity)."""
        return sum(r.n_valid for r in self.rows) / (self.k * len(self.rows)) if self.rows else 0.0

    @property
    def short_rows(self) -> tuple[RowCounterfactuals, ...]:
        """Rows with fewer than ``k`` valid counterfactuals."""
        return tuple(r for r in self.rows if r.n_valid < self.k)

    def summary(self) -> dict[str, float | None]:
        """The set's means over every counterfactual (and every row's diversity): validity,
        n_changed, changed_share, proximity_continuous, proximity_categorical, distance,
        diversity, count_diversity, seconds per row.

        Examples
        --------
        >>> empty = CounterfactualSet("m", "binary", 2, ("x",), ("x",), (), ("x",), (), {}, {"x": 1.0}, (), 0.0)
        >>> empty.summary()["validity"]
        0.0
        """
        cfs = [cf for r in self.rows for cf in r.counterfactuals]

        def mean(values: list[float | None]) -> float | None:
            present = [v for v in values if v is not None]
            return float(np.mean(present)) if present else None

        return {
            "validity": self.validity,
            "n_changed": mean([cf.n_changed for cf in cfs]),
            "changed_share": mean([cf.changed_share for cf in cfs]),
            "proximity_continuous": mean([cf.proximity_continuous for cf in cfs]),
            "proximity_categorical": mean([cf.proximity_categorical for cf in cfs]),
            "distance": mean([cf.distance for cf in cfs]),
            "diversity": mean([r.diversity for r in self.rows]),
            "count_diversity": mean([r.count_diversity for r in self.rows]),
            "seconds_per_row": self.seconds / len(self.rows) if self.rows else None,
        }

    # --- frames ---------------------------------------------------------------------------------
    def to_frame(self) -> pd.DataFrame:
        """One line per counterfactual: ``row`` (its position among the rows asked about),
        ``label`` (the row's index label), ``counterfactual`` (0 is the closest), every
        feature's value (the row's own where unchanged), then ``prediction``, ``output``,
        ``valid``, ``n_changed``, ``changed_share``, ``proximity_continuous``,
        ``proximity_categorical``, ``distance`` and ``changed`` (the changed features, comma
        separated)."""
        lines = []
        for r in self.rows:
            for i, cf in enumerate(r.counterfactuals):
                values = dict(zip(self.features, r.values, strict=True)) | cf.changes
                lines.append(
                    {
                        "row": r.position,
                        "label": r.label,
                        "counterfactual": i,
                        **values,
                        "prediction": cf.prediction,
                        "output": cf.output,
                        "valid": cf.valid,
                        "n_changed": cf.n_changed,
                        "changed_share": cf.changed_share,
                        "proximity_continuous": cf.proximity_continuous,
                        "proximity_categorical": cf.proximity_categorical,
                        "distance": cf.distance,
                        "changed": ", ".join(cf.changes),
                    }
                )
        columns = [
            "row",
            "label",
            "counterfactual",
            *self.features,
            "prediction",
            "output",
            "valid",
            "n_changed",
            "changed_share",
            "proximity_continuous",
            "proximity_categorical",
            "distance",
            "changed",
        ]
        return pd.DataFrame(lines, columns=columns)

    def query_frame(self) -> pd.DataFrame:
        """The rows asked about: ``row``, ``label``, every feature's value, ``prediction``,
        ``output``, ``desired``, ``found`` and ``valid`` (counts), ``diversity`` and
        ``count_diversity``."""
        lines = [
            {
                "row": r.position,
                "label": r.label,
                **dict(zip(self.features, r.values, strict=True)),
                "prediction": r.prediction,
                "output": r.output,
                "desired": r.desired,
                "found": len(r.counterfactuals),
                "valid": r.n_valid,
                "diversity": r.diversity,
                "count_diversity": r.count_diversity,
            }
            for r in self.rows
        ]
        columns = ["row", "label", *self.features, "prediction", "output", "desired", "found", "valid"]
        return pd.DataFrame(lines, columns=[*columns, "diversity", "count_diversity"])
