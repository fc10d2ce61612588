"""The registry of bias metrics: each metric declared once, by ``@metric`` next to its function.

A declaration names the metric, its stage (``"pre"``: computed from labels, ``"post"``: from
predictions too), the value of no bias (``ideal``), how its band is judged (``"difference"``:
``|value - ideal|``; ``"ratio"``: the four-fifths rule) and a one-line description. The
decorated function computes only the number; the registry turns it into a :class:`BiasMetric`
and :func:`~lifecycle_widgets.core.explain.bias.bias_report` finds every metric here, so the list
of metrics, their order, stages, ideals and bands live in one place. The shape follows smclarify's
own ``registry.pretraining`` / ``registry.posttraining`` decorators, with loud lookups.
"""

from __future__ import annotations

import functools
import inspect
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import ParamSpec

from lifecycle_widgets.exceptions import ParameterError, UnknownNameError

__all__ = [
    "INPUTS",
    "POST_TRAINING",
    "PRE_TRAINING",
    "BiasMetric",
    "Measurement",
    "MetricSpec",
    "metric",
    "metric_names",
    "metric_spec",
    "metric_specs",
]

PRE_TRAINING = "pre_training"
POST_TRAINING = "post_training"
_STAGES = {"pre": PRE_TRAINING, "post": POST_TRAINING}
BANDS = ("difference", "ratio")
INPUTS = ("d", "y", "yhat", "group", "features")
"""The data a metric function may take, by parameter name: facet *d* membership, positive labels,
positive predictions, the conditioning group, the flip test's feature matrix."""

P = ParamSpec("P")


@dataclass(frozen=True)
class BiasMetric:
    """One bias metric: its value, or ``None`` with a ``note`` when it is undefined.

    ``ideal`` is the value of no bias: 0 for differences and divergences, 1 for DI. ``status`` is
    the judgement against the report's :class:`~lifecycle_widgets.core.explain.bias.BiasBands`:
    ``"pass"``, ``"warn"``, ``"fail"``, or ``"n/a"`` when the value is undefined; ``band`` states
    the band that passes.
    """

    name: str
    stage: str
    value: float | None
    description: str
    ideal: float
    note: str = ""
    status: str = "n/a"
    band: str = ""


@dataclass(frozen=True)
class Measurement:
    """What a metric function returns when a bare number is not enough: the value (``None``
    when undefined) and a note saying why, or how it differs from smclarify."""

    value: float | None
    note: str = ""


@dataclass(frozen=True)
class MetricSpec:
    """A registered bias metric.

    ``inputs`` are the function's positional parameters (names from :data:`INPUTS`), ``options``
    its keyword-only ones (such as ``convention``), ``aliases`` other names it answers to.
    """

    name: str
    stage: str
    ideal: float
    band: str
    description: str
    function: Callable[..., BiasMetric]
    inputs: tuple[str, ...]
    options: tuple[str, ...]
    aliases: tuple[str, ...] = ()

    def result(self, value: float | Measurement | None) -> BiasMetric:
        """The :class:`BiasMetric` of a computed value (a number, ``None``, or a Measurement)."""
        m = value if isinstance(value, Measurement) else Measurement(value)
        number, note = m.value, m.note
        if number is not None and not math.isfinite(number):  # never expected; keeps JSON strict
            number, note = None, note or "the value is not finite"
        return BiasMetric(
            self.name,
            self.stage,
            None if number is None else float(number),
            self.description,
            self.ideal,
            note,
        )


_REGISTRY: dict[str, MetricSpec] = {}


def _key(name: str) -> str:
    return name.upper()


def _lookup() -> dict[str, str]:
    keys = {}
    for spec in _REGISTRY.values():
        for n in (spec.name, *spec.aliases):
            keys[_key(n)] = spec.name
    return keys


def metric(
    name: str,
    *,
    stage: str,
    ideal: float,
    description: str,
    band: str = "difference",
    aliases: tuple[str, ...] = (),
) -> Callable[[Callable[P, float | Measurement | None]], Callable[P, BiasMetric]]:
    """Register a bias metric function under ``name``.

    The function takes its data as positional parameters named from :data:`INPUTS` and options as
    keyword-only parameters, and returns the value: a number, ``None``, or a :class:`Measurement`
    with a note. The decorated function returns a :class:`BiasMetric`. Metrics are reported in the
    order they are registered.

    Parameters
    ----------
    name : str
        The metric's name as Clarify spells it (``"DPL"``); lookups ignore case.
    stage : {"pre", "post"}
        Pre-training (labels only) or post-training (predictions too).
    ideal : float
        The value of no bias.
    description : str
        One line: what the metric measures, with its formula.
    band : {"difference", "ratio"}
        How :class:`~lifecycle_widgets.core.explain.bias.BiasBands` judges the value.
    aliases : tuple of str
        Other names the metric answers to.

    Raises
    ------
    ParameterError
        An unknown stage or band, a parameter outside :data:`INPUTS`, or a name taken already.

    Examples
    --------
    >>> spec = metric_spec("dpl")
    >>> spec.name, spec.stage, spec.ideal, spec.inputs
    ('DPL', 'pre_training', 0.0, ('d', 'y'))
    """
    if stage not in _STAGES:
        raise ParameterError.bad_value("stage", "metric", f"one of {sorted(_STAGES)}", stage)
    if band not in BANDS:
        raise ParameterError.bad_value("band", "metric", f"one of {list(BANDS)}", band)

    def register(function: Callable[P, float | Measurement | None]) -> Callable[P, BiasMetric]:
        taken = _lookup()
        clash = [n for n in (name, *aliases) if _key(n) in taken]
        if clash:
            raise ParameterError(f"The bias metric name {clash[0]!r} is registered already.")
        params = inspect.signature(function).parameters.values()
        inputs = tuple(p.name for p in params if p.kind is p.POSITIONAL_OR_KEYWORD)
        options = tuple(p.name for p in params if p.kind is p.KEYWORD_ONLY)
        strange = [p for p in inputs if p not in INPUTS]
        if strange:
            raise ParameterError(
                f"The bias metric {name!r} takes positional parameters {strange}; "
                f"data parameters must be named from {list(INPUTS)}."
            )
        spec: MetricSpec

        @functools.wraps(function)
        def computed(*args: P.args, **kwargs: P.kwargs) -> BiasMetric:
            return spec.result(function(*args, **kwargs))

        spec = MetricSpec(
            name, _STAGES[stage], float(ideal), band, description, computed, inputs, options, tuple(aliases)
        )
        _REGISTRY[name] = spec
        return computed

    return register


def metric_spec(name: str) -> MetricSpec:
    """The registered metric called ``name`` (case-insensitive, aliases included).

    Raises
    ------
    UnknownNameError
        No metric has that name; the message lists the names.

    Examples
    --------
    >>> metric_spec("DCA").name
    'DCAcc'
    >>> metric_spec("XYZ")
    Traceback (most recent call last):
    ...
    lifecycle_widgets.exceptions.UnknownNameError: No bias metric named 'XYZ'. Available: AD, CDDL, ...
    """
    found = _lookup().get(_key(name)) if isinstance(name, str) else None
    if found is None:
        raise UnknownNameError("bias metric", name, _REGISTRY)
    return _REGISTRY[found]


def metric_specs(stage: str | None = None) -> tuple[MetricSpec, ...]:
    """Every registered metric in report order, or those of one stage (``"pre"``/``"post"``,
    or ``"pre_training"``/``"post_training"``)."""
    if stage is None:
        return tuple(_REGISTRY.values())
    wanted = _STAGES.get(stage, stage)
    if wanted not in _STAGES.values():
        raise ParameterError.bad_value(
            "stage", "metric_specs", f"one of {[*_STAGES, *_STAGES.values()]}", stage
        )
    return tuple(s for s in _REGISTRY.values() if s.stage == wanted)


def metric_names(stage: str | None = None) -> tuple[str, ...]:
    """The names of :func:`metric_specs`, in report order.

    Examples
    --------
    >>> metric_names("pre")
    ('CI', 'DPL', 'KL', 'JS', 'LP', 'TVD', 'KS', 'CDDL')
    """
    return tuple(s.name for s in metric_specs(stage))
