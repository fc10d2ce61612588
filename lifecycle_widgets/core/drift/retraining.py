"""When to retrain: a signal that is sustained over batches and says why.

One drifted batch is weak evidence (each check keeps its false-alarm rate per batch, and a
timeline of many batches meets a few by chance); a model that keeps seeing data unlike its
training data, or keeps scoring worse, is strong evidence. The signal is therefore raised when at
least ``k`` of the last ``n`` batches give a reason (default 2 of 3), and it lists every reason:
which check, on which feature, in which batch.

A reason is a violation of a check registered with ``retrain=True`` (drift, completeness,
schema, domain, range, model quality) or an alert of the estimated performance. An unlabeled batch
gets no model-quality violation, and a batch with no drift gets no drift violation, so
unlabeled batches with no drift never raise it.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from lifecycle_widgets.exceptions import ParameterError

ESTIMATED = "estimated_performance"  # the "check" of a reason that comes from a performance estimate


def _int(value: Any) -> Any:
    """numpy integers as int (so the policy round-trips through JSON); anything else as is."""
    return int(value) if isinstance(value, numbers.Integral) else value


@dataclass(frozen=True)
class RetrainingPolicy:
    """Raise the retraining signal when at least ``k`` of the last ``n`` batches give a reason.

    Parameters
    ----------
    k : int
        Batches with a reason needed (1 to ``n``); default 2.
    n : int
        How many of the latest batches are looked at; default 3. With fewer batches than ``n``
        all of them are looked at, and ``k`` of them are still needed.

    Examples
    --------
    >>> RetrainingPolicy(2, 3).raised([True, False, True])
    True
    >>> RetrainingPolicy(2, 3).raised([True, True, False, False])  # the last 3 hold one reason
    False
    >>> RetrainingPolicy(3, 2)
    Traceback (most recent call last):
    ...
    lifecycle_widgets.exceptions.ParameterError: The 'k' parameter of RetrainingPolicy must be an integer from 1 to n (2). Got 3 instead.
    """

    k: int = 2
    n: int = 3

    def __post_init__(self) -> None:
        object.__setattr__(self, "k", self.k if isinstance(self.k, bool) else _int(self.k))
        object.__setattr__(self, "n", self.n if isinstance(self.n, bool) else _int(self.n))
        if isinstance(self.n, bool) or not isinstance(self.n, numbers.Integral) or self.n < 1:
            raise ParameterError.bad_value("n", "RetrainingPolicy", "a positive integer", self.n)
        if isinstance(self.k, bool) or not isinstance(self.k, numbers.Integral) or not 1 <= self.k <= self.n:
            raise ParameterError.bad_value(
                "k", "RetrainingPolicy", f"an integer from 1 to n ({self.n})", self.k
            )

    @classmethod
    def of(cls, value: Any, caller: str = "monitor") -> RetrainingPolicy:
        """A policy from ``value``: a policy, or a pair ``(k, n)``."""
        if isinstance(value, RetrainingPolicy):
            return value
        if isinstance(value, tuple | list) and len(value) == 2:
            return cls(*value)
        raise ParameterError.bad_value(
            "retrain_after", caller, "a pair (k, n): k of the last n batches, or a RetrainingPolicy", value
        )

    def raised(self, has_reason: Sequence[bool]) -> bool:
        """Whether at least ``k`` of the last ``n`` of these batches have a reason."""
        return sum(bool(x) for x in list(has_reason)[-self.n :]) >= self.k


@dataclass(frozen=True)
class RetrainReason:
    """One reason for retraining: a check (or ``estimated_performance``) that fired on a feature
    (``""``: the batch as a whole, or a metric's name for an estimate) in a batch."""

    batch: str
    check: str
    feature: str
    description: str


@dataclass(frozen=True)
class RetrainingSignal:
    """The retraining decision of a timeline: raised or not, under which policy, and why.

    ``reasons`` holds every reason in the batches looked at (the last ``n``); ``batches`` names
    those batches that have one.
    """

    raised: bool
    policy: RetrainingPolicy
    batches: tuple[str, ...]
    looked_at: tuple[str, ...]
    reasons: tuple[RetrainReason, ...]

    @property
    def summary(self) -> str:
        """One sentence: raised or not, and in how many of the batches looked at."""
        seen = len(self.looked_at)
        count = f"{len(self.batches)} of the last {seen} batch{'es' if seen != 1 else ''}"
        rule = f"(the rule: {self.policy.k} of the last {self.policy.n})"
        if self.raised:
            return f"Retraining recommended: {count} give a reason {rule}."
        if self.batches:
            return f"No retraining signal: {count} give a reason, fewer than the rule needs {rule}."
        return f"No retraining signal: none of the last {seen} batches gives a reason {rule}."
