"""constraints.json: suggested from a baseline, edited by people, validated strictly.

The layout follows SageMaker Model Monitor's ``constraints.json`` so that its users can bring
their files over; the keys this package adds are marked below, and settings Model Monitor has no
place for live under one top-level key, ``lifecycle_widgets``::

    "lifecycle_widgets": {
        "significance": {"alpha": 0.01, "correction": "holm"}
    }

A key that is not known, or a value out of its range, is an error naming the key and what is
allowed.
"""

from __future__ import annotations

import json
import math
from typing import Any

from lifecycle_widgets.core.drift.distances import ALIASES, DISTANCES
from lifecycle_widgets.core.drift.significance import ALPHA, CORRECTIONS
from lifecycle_widgets.exceptions import ParameterError

ENABLED = ("Enabled", "Disabled")
OPERATORS = ("LessThanThreshold", "GreaterThanThreshold")

DEFAULT_MONITORING_CONFIG: dict[str, Any] = {
    "evaluate_constraints": "Enabled",
    "emit_metrics": "Enabled",
    "datatype_check_threshold": 0.1,
    "domain_content_threshold": 0.99,
    "completeness_tolerance": 0.02,  # added: how far completeness may fall before a violation
    "distribution_constraints": {
        "perform_comparison": "Enabled",
        "comparison_threshold": 0.1,
        "comparison_method": "Simple",
    },
}


#: the top-level key of constraints.json under which this package keeps what Model Monitor's
#: layout has no place for; every other key keeps Model Monitor's meaning
EXTENSION_KEY = "lifecycle_widgets"
DEFAULT_EXTENSION: dict[str, Any] = {
    # a drift or completeness violation needs p < alpha (after the correction for the number of
    # features tested) as well as an effect above its threshold; alpha 1 leaves the effect alone
    "significance": {"alpha": ALPHA, "correction": "holm"},
}


def default_extension() -> dict[str, Any]:
    """A fresh copy of the extension's defaults."""
    return json.loads(json.dumps(DEFAULT_EXTENSION))


class ConstraintsError(ParameterError):
    """constraints.json holds an unknown key or a value out of range."""


def _keys(where: str, found: dict, allowed: dict[str, Any]) -> None:
    if not isinstance(found, dict):
        raise ConstraintsError(f"{where} must be an object, got {type(found).__name__}.")
    unknown = sorted(set(found) - set(allowed))
    if unknown:
        raise ConstraintsError(
            f"Unknown key {unknown[0]!r} in {where}; allowed keys: {', '.join(sorted(allowed))}."
        )


def _number(where: str, value: object, low: float = 0.0, high: float | None = None) -> None:
    ok = (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)  # Infinity or NaN would silently switch a check off
        and value >= low
        and (high is None or value <= high)
    )
    if not ok:
        rng = f"between {low} and {high}" if high is not None else f">= {low}"
        raise ConstraintsError(f"{where} must be a finite number {rng}; got {value!r}.")


def _choice(where: str, value: object, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ConstraintsError(f"{where} must be one of {', '.join(allowed)}; got {value!r}.")


def _extension(where: str, found: object) -> dict[str, Any]:
    """Validate the extension key; return it with defaults filled in."""
    if found is None:
        return default_extension()
    _keys(where, found, DEFAULT_EXTENSION)
    out = default_extension()
    sig = found.get("significance", {})
    _keys(f"{where}.significance", sig, DEFAULT_EXTENSION["significance"])
    if "alpha" in sig:
        _number(f"{where}.significance.alpha", sig["alpha"], 0, 1)
        if sig["alpha"] == 0:
            raise ConstraintsError(
                f"{where}.significance.alpha must be above 0 (0 would never flag); got {sig['alpha']!r}."
            )
    if "correction" in sig:
        _choice(f"{where}.significance.correction", sig["correction"], CORRECTIONS)
    out["significance"].update(sig)
    return out


def _distribution(where: str, cfg: dict) -> None:
    _keys(
        where,
        cfg,
        {"perform_comparison": 0, "comparison_threshold": 0, "comparison_method": 0, "comparion_method": 0},
    )  # Model Monitor's docs spell it both ways
    if "perform_comparison" in cfg:
        _choice(f"{where}.perform_comparison", cfg["perform_comparison"], ENABLED)
    if "comparison_threshold" in cfg:
        _number(f"{where}.comparison_threshold", cfg["comparison_threshold"])
    for key in ("comparison_method", "comparion_method"):
        if key in cfg:
            _choice(f"{where}.{key}", cfg[key], (*DISTANCES, *ALIASES))


def validate(constraints: dict[str, Any], feature_names: set[str]) -> dict[str, Any]:
    """Check a constraints document; return it with monitoring_config defaults filled in."""
    _keys(
        "constraints.json",
        constraints,
        {
            "version": 0,
            "features": 0,
            "monitoring_config": 0,
            "model_quality_constraints": 0,
            "attribution_constraints": 0,
            "bias_constraints": 0,
            EXTENSION_KEY: 0,
        },
    )
    extension = _extension(EXTENSION_KEY, constraints.get(EXTENSION_KEY))
    config = {**DEFAULT_MONITORING_CONFIG, **constraints.get("monitoring_config", {})}
    _keys("monitoring_config", config, DEFAULT_MONITORING_CONFIG)
    for key in ("evaluate_constraints", "emit_metrics"):
        _choice(f"monitoring_config.{key}", config[key], ENABLED)
    _number("monitoring_config.datatype_check_threshold", config["datatype_check_threshold"], 0, 1)
    _number("monitoring_config.domain_content_threshold", config["domain_content_threshold"], 0, 1)
    _number("monitoring_config.completeness_tolerance", config["completeness_tolerance"], 0, 1)
    dist = {**DEFAULT_MONITORING_CONFIG["distribution_constraints"], **config["distribution_constraints"]}
    _distribution("monitoring_config.distribution_constraints", dist)
    config["distribution_constraints"] = dist
    features = constraints.get("features", [])
    if not isinstance(features, list):
        raise ConstraintsError("constraints.json features must be a list.")
    seen = set()
    for i, feature in enumerate(features):
        where = f"features[{i}]"
        _keys(
            where,
            feature,
            {
                "name": 0,
                "inferred_type": 0,
                "completeness": 0,
                "num_constraints": 0,
                "string_constraints": 0,
                "monitoringConfigOverrides": 0,
            },
        )
        name = feature.get("name")
        if name not in feature_names:
            raise ConstraintsError(f"{where}.name {name!r} is not a feature of the baseline statistics.")
        seen.add(name)
        if "inferred_type" in feature:
            _choice(
                f"{where}.inferred_type",
                feature["inferred_type"],
                ("Integral", "Fractional", "String", "Unknown"),
            )
        if "completeness" in feature:
            _number(f"{where}.completeness", feature["completeness"], 0, 1)
        num = feature.get("num_constraints", {})
        _keys(f"{where}.num_constraints", num, {"is_non_negative": 0})
        if "is_non_negative" in num and not isinstance(num["is_non_negative"], bool):
            raise ConstraintsError(f"{where}.num_constraints.is_non_negative must be true or false.")
        strings = feature.get("string_constraints", {})
        _keys(f"{where}.string_constraints", strings, {"domains": 0})
        if "domains" in strings and not isinstance(strings["domains"], list):
            raise ConstraintsError(f"{where}.string_constraints.domains must be a list of values.")
        _distribution(f"{where}.monitoringConfigOverrides", feature.get("monitoringConfigOverrides", {}))
    quality = constraints.get("model_quality_constraints", {})
    _keys(
        "model_quality_constraints",
        quality,
        {
            "binary_classification_constraints": 0,
            "multiclass_classification_constraints": 0,
            "regression_constraints": 0,
        },
    )
    for group, metrics in quality.items():
        for metric, rule in metrics.items():
            where = f"model_quality_constraints.{group}.{metric}"
            _keys(where, rule, {"threshold": 0, "comparison_operator": 0})
            _choice(f"{where}.comparison_operator", rule.get("comparison_operator"), OPERATORS)
            if not isinstance(rule.get("threshold"), int | float):
                raise ConstraintsError(f"{where}.threshold must be a number; got {rule.get('threshold')!r}.")
    attribution = constraints.get("attribution_constraints")
    if attribution is not None:
        _keys("attribution_constraints", attribution, {"ndcg_threshold": 0})
        _number("attribution_constraints.ndcg_threshold", attribution.get("ndcg_threshold", 0.9), 0, 1)
    bias = constraints.get("bias_constraints")
    if bias is not None:
        _keys("bias_constraints", bias, {"facet": 0, "facet_values": 0, "metrics": 0})
        for metric, rule in bias.get("metrics", {}).items():
            where = f"bias_constraints.metrics.{metric}"
            _keys(where, rule, {"lower": 0, "upper": 0})
            for side in ("lower", "upper"):
                if side in rule and (not isinstance(rule[side], int | float) or isinstance(rule[side], bool)):
                    raise ConstraintsError(f"{where}.{side} must be a number; got {rule[side]!r}.")
    extra = {k: constraints[k] for k in ("attribution_constraints", "bias_constraints") if k in constraints}
    return {
        **extra,
        "version": constraints.get("version", 0),
        "features": features,
        "monitoring_config": config,
        "model_quality_constraints": quality,
        EXTENSION_KEY: extension,
    }
