"""constraints.json: suggested from a baseline, edited by people, validated strictly.

The layout follows SageMaker Model Monitor's ``constraints.json`` so that its users can bring
their files over, and its keys keep their meaning (``Simple`` compares a distance with its
threshold; ``Robust`` widens the threshold by the Kolmogorov-Smirnov critical distance at 5 %).
Settings Model Monitor has no place for live under one top-level key, ``lifecycle_widgets``::

    "lifecycle_widgets": {
        "significance": {"alpha": 0.01, "correction": "holm"},
        "features": {
            "age": {"range": {"min": 18, "max": 79, "tolerance": 0.1}, "integral": true},
            "customer_id": {"unique": true}
        }
    }

``significance``: a drift, completeness, non-negative, range or integral violation needs a test
at the batch's size with p < ``alpha`` after the ``correction`` (``holm``, ``bonferroni``,
``none``) for the features tested; ``alpha`` 1 leaves the effect alone, as Model Monitor does.
``features``: learned constraints per feature: values within ``[min, max]`` widened on each side
by ``tolerance`` times ``max - min``; whole numbers only; no value twice.
``model_quality``: bootstrap standard errors of each quality metric on ``rows`` reference rows;
a batch of ``n`` labelled rows is flagged only where its metric also falls below the
reference's by more than chance allows at ``n`` rows (see
:mod:`~lifecycle_widgets.core.drift.reference_quality`).

Validation is strict: an unknown key, a value of the wrong type, a number that is not finite,
a value out of its range or nesting deeper than :data:`MAX_DEPTH` levels is a
:class:`ConstraintsError` naming the key path (``features[1].num_constraints.is_non_negative``).
"""

from __future__ import annotations

import json
import math
from typing import Any

from lifecycle_widgets.core.drift.distances import ALIASES, DISTANCES
from lifecycle_widgets.core.drift.quality import CLASSIFICATION_METRICS, REGRESSION_METRICS
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


#: deepest nesting a constraints document may have (Model Monitor's needs 5)
MAX_DEPTH = 16
#: what a learned range constraint allows beyond the baseline's values, on each side, as a
#: share of max - min
RANGE_TOLERANCE = 0.1
FEATURE_EXTENSION_KEYS = {"range": 0, "integral": 0, "unique": 0, "datetime": 0, "text": 0}
DATETIME_KEYS = {
    "earliest": 0, "latest": 0, "tolerance": 0, "bound_latest": 0, "future_share": 0, "present": 0, "rows": 0,
    "calendar": 0,
}  # fmt: skip
CALENDAR_SIZES = {"day_of_week": 7, "hour": 24, "month": 12}
TEXT_KEYS = {"lengths": 0, "vocabulary": 0, "oov_share": 0, "oov_row_sd": 0, "rows": 0, "tolerance": 0}
LENGTH_KEYS = {"edges": 0, "counts": 0, "quantiles": 0, "std": 0}
RANGE_KEYS = {"min": 0, "max": 0, "tolerance": 0}
INFERRED_TYPES = ("Integral", "Fractional", "String", "Unknown")
NUMERIC_KINDS = ("numeric", "integer")
QUALITY_GROUPS = (
    "binary_classification_constraints",
    "multiclass_classification_constraints",
    "regression_constraints",
)


def _path(where: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{where}[{key}]"
    return f"{where}.{key}" if where else key


def check_json(value: object, where: str = "", depth: int = 0) -> None:
    """Refuse what no constraint needs anywhere in the document: nesting deeper than
    :data:`MAX_DEPTH`, numbers that are not finite (Infinity or NaN would switch a check off
    silently), and values JSON cannot hold.

    Examples
    --------
    >>> check_json({"a": [1, {"b": float("nan")}]})
    Traceback (most recent call last):
    ...
    lifecycle_widgets.core.drift.constraints.ConstraintsError: a[1].b must be a finite number; got nan.
    """
    if depth > MAX_DEPTH:
        raise ConstraintsError(f"{where} nests deeper than {MAX_DEPTH} levels; no constraint needs that.")
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise ConstraintsError(
                    f"{where or 'constraints.json'} has a key that is not a string: {key!r}."
                )
            check_json(item, _path(where, key), depth + 1)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            check_json(item, _path(where, i), depth + 1)
    elif isinstance(value, float) and not math.isfinite(value):
        raise ConstraintsError(f"{where} must be a finite number; got {value!r}.")
    elif not isinstance(value, str | int | float | bool | type(None)):
        raise ConstraintsError(f"{where} holds a {type(value).__name__}, which JSON cannot hold.")


def _object(where: str, found: object) -> dict[str, Any]:
    if not isinstance(found, dict):
        raise ConstraintsError(f"{where} must be an object, got {type(found).__name__}.")
    return found


def _keys(where: str, found: object, allowed: dict[str, Any] | tuple[str, ...]) -> dict[str, Any]:
    found = _object(where, found)
    unknown = sorted(set(found) - set(allowed))
    if unknown:
        raise ConstraintsError(
            f"Unknown key {unknown[0]!r} in {where}; allowed keys: {', '.join(sorted(allowed))}."
        )
    return found


def _number(where: str, value: object, low: float = 0.0, high: float | None = None) -> float:
    ok = (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)  # Infinity or NaN would silently switch a check off
        and value >= low
        and (high is None or value <= high)
    )
    if not ok:
        rng = f"between {low} and {high}" if high is not None else f">= {low}"
        if low == -math.inf and high is None:
            rng = ""
        raise ConstraintsError(f"{where} must be a finite number{' ' + rng if rng else ''}; got {value!r}.")
    return float(value)  # type: ignore[arg-type]


def _real(where: str, value: object) -> float:
    """Any finite number; says "must be a number" for a value of another type."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise ConstraintsError(f"{where} must be a number; got {value!r}.")
    return _number(where, value, -math.inf)


def _flag(where: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise ConstraintsError(f"{where} must be true or false; got {value!r}.")
    return value


def _choice(where: str, value: object, allowed: tuple[str, ...]) -> None:
    if not isinstance(value, str) or value not in allowed:
        raise ConstraintsError(f"{where} must be one of {', '.join(allowed)}; got {value!r}.")


def _range(where: str, found: object) -> dict[str, float]:
    rule = _keys(where, found, RANGE_KEYS)
    for key in ("min", "max"):
        if key not in rule:
            raise ConstraintsError(f"{where} needs both min and max; {key} is missing.")
    low, high = _real(f"{where}.min", rule["min"]), _real(f"{where}.max", rule["max"])
    if low > high:
        raise ConstraintsError(f"{where}.min ({low:g}) is above {where}.max ({high:g}).")
    tolerance = _number(f"{where}.tolerance", rule.get("tolerance", RANGE_TOLERANCE), 0)
    return {"min": low, "max": high, "tolerance": tolerance}


def _whole(where: str, value: object, low: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ConstraintsError(f"{where} must be a whole number >= {low}; got {value!r}.")
    return value


def _numbers(where: str, value: object, *, size: int | None = None, whole: bool = False) -> list[float]:
    if not isinstance(value, list) or (size is not None and len(value) != size):
        wanted = f"a list of {size} numbers" if size is not None else "a list of numbers"
        raise ConstraintsError(f"{where} must be {wanted}; got {value!r}."[:300])
    return [(_whole if whole else _number)(f"{where}[{i}]", v) for i, v in enumerate(value)]


def _timestamp(where: str, value: object) -> str:
    import pandas as pd

    try:
        ok = isinstance(value, str) and not pd.isna(pd.Timestamp(value))
    except (ValueError, TypeError):
        ok = False
    if not ok:
        raise ConstraintsError(
            f"{where} must be an ISO timestamp such as '2026-01-01T00:00:00'; got {value!r}."
        )
    return value  # type: ignore[return-value]


def _datetime_rule(where: str, found: object) -> dict[str, Any]:
    """A datetime column's learned rule (see :mod:`~lifecycle_widgets.core.drift.datetime_text`)."""
    import pandas as pd

    rule = _keys(where, found, DATETIME_KEYS)
    for key in ("earliest", "latest", "calendar"):
        if key not in rule:
            raise ConstraintsError(f"{where} needs {key}.")
    _timestamp(f"{where}.earliest", rule["earliest"])
    _timestamp(f"{where}.latest", rule["latest"])
    if pd.Timestamp(rule["earliest"]) > pd.Timestamp(rule["latest"]):
        raise ConstraintsError(
            f"{where}.earliest ({rule['earliest']}) is after {where}.latest ({rule['latest']})."
        )
    _number(f"{where}.tolerance", rule.get("tolerance", 0.1), 0)
    _flag(f"{where}.bound_latest", rule.get("bound_latest", False))
    _number(f"{where}.future_share", rule.get("future_share", 0.0), 0, 1)
    for key in ("present", "rows"):
        if key in rule:
            _whole(f"{where}.{key}", rule[key], 1)
    calendar = _keys(f"{where}.calendar", rule["calendar"], CALENDAR_SIZES)
    for part, size in CALENDAR_SIZES.items():
        if part not in calendar:
            raise ConstraintsError(f"{where}.calendar needs {part}.")
        _numbers(f"{where}.calendar.{part}", calendar[part], size=size, whole=True)
    return rule


def _text_rule(where: str, found: object) -> dict[str, Any]:
    """A text column's learned rule (see :mod:`~lifecycle_widgets.core.drift.datetime_text`)."""
    rule = _keys(where, found, TEXT_KEYS)
    for key in ("lengths", "vocabulary", "oov_share", "oov_row_sd", "rows"):
        if key not in rule:
            raise ConstraintsError(f"{where} needs {key}.")
    lengths = _keys(f"{where}.lengths", rule["lengths"], LENGTH_KEYS)
    for key in LENGTH_KEYS:
        if key not in lengths:
            raise ConstraintsError(f"{where}.lengths needs {key}.")
    edges = _numbers(f"{where}.lengths.edges", lengths["edges"])
    if edges != sorted(edges):
        raise ConstraintsError(f"{where}.lengths.edges must be in increasing order.")
    _numbers(f"{where}.lengths.counts", lengths["counts"], size=len(edges) + 1, whole=True)
    _numbers(f"{where}.lengths.quantiles", lengths["quantiles"])
    _number(f"{where}.lengths.std", lengths["std"])
    words = rule["vocabulary"]
    if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
        raise ConstraintsError(f"{where}.vocabulary must be a list of words (strings).")
    _number(f"{where}.oov_share", rule["oov_share"], 0, 1)
    _number(f"{where}.oov_row_sd", rule["oov_row_sd"], 0)
    _whole(f"{where}.rows", rule["rows"], 1)
    _number(f"{where}.tolerance", rule.get("tolerance", 0.05), 0, 1)
    return rule


def _quality_sampling(where: str, found: object) -> dict[str, Any]:
    """The bootstrap standard errors that size a batch's model-quality threshold: ``rows`` (the
    resample size) and ``standard_errors`` (metric -> standard deviation at that size)."""
    rule = _keys(where, found, {"rows": 0, "standard_errors": 0})
    rows = rule.get("rows")
    if isinstance(rows, bool) or not isinstance(rows, int) or rows < 1:
        raise ConstraintsError(f"{where}.rows must be a positive whole number; got {rows!r}.")
    known = {**CLASSIFICATION_METRICS, **REGRESSION_METRICS}
    errors = _keys(f"{where}.standard_errors", rule.get("standard_errors", {}), tuple(known))
    return {
        "rows": rows,
        "standard_errors": {k: _number(f"{where}.standard_errors.{k}", v) for k, v in errors.items()},
    }


def _extension(where: str, found: object, features: dict[str, str]) -> dict[str, Any]:
    """Validate the extension key; return it with defaults filled in."""
    out = default_extension()
    if found is None:
        return out
    ext = _keys(where, found, {**DEFAULT_EXTENSION, "features": 0, "model_quality": 0})
    sig = _keys(f"{where}.significance", ext.get("significance", {}), DEFAULT_EXTENSION["significance"])
    if "alpha" in sig:
        _number(f"{where}.significance.alpha", sig["alpha"], 0, 1)
        if sig["alpha"] == 0:
            raise ConstraintsError(
                f"{where}.significance.alpha must be above 0 (0 would never flag); got {sig['alpha']!r}."
            )
    if "correction" in sig:
        _choice(f"{where}.significance.correction", sig["correction"], CORRECTIONS)
    out["significance"].update(sig)
    if "model_quality" in ext:
        out["model_quality"] = _quality_sampling(f"{where}.model_quality", ext["model_quality"])
    learned = {}
    for name, rules in _object(f"{where}.features", ext.get("features", {})).items():
        at = f"{where}.features.{name}"
        if name not in features:
            raise ConstraintsError(f"{at}: {name!r} is not a feature of the baseline statistics.")
        rules = _keys(at, rules, FEATURE_EXTENSION_KEYS)
        entry: dict[str, Any] = {}
        if "range" in rules:
            if features[name] not in NUMERIC_KINDS:
                raise ConstraintsError(f"{at}.range: {name!r} is {features[name]}, not numeric.")
            entry["range"] = _range(f"{at}.range", rules["range"])
        for key in ("integral", "unique"):
            if key in rules:
                entry[key] = _flag(f"{at}.{key}", rules[key])
        if "datetime" in rules:
            if features[name] not in ("datetime", "numeric"):  # "numeric": kinds unknown
                raise ConstraintsError(f"{at}.datetime: {name!r} is {features[name]}, not a datetime.")
            entry["datetime"] = _datetime_rule(f"{at}.datetime", rules["datetime"])
        if "text" in rules:
            if features[name] not in ("text", "numeric"):
                raise ConstraintsError(f"{at}.text: {name!r} is {features[name]}, not text.")
            entry["text"] = _text_rule(f"{at}.text", rules["text"])
        learned[name] = entry
    if learned:
        out["features"] = learned
    return out


def _distribution(where: str, cfg: object) -> dict[str, Any]:
    cfg = _keys(
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
    return cfg


def _feature(where: str, feature: object, features: dict[str, str], seen: set[str]) -> dict[str, Any]:
    feature = _keys(
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
    if not isinstance(name, str) or name not in features:
        raise ConstraintsError(f"{where}.name {name!r} is not a feature of the baseline statistics.")
    if name in seen:
        raise ConstraintsError(f"{where}.name {name!r} is listed twice in features.")
    seen.add(name)
    if "inferred_type" in feature:
        _choice(f"{where}.inferred_type", feature["inferred_type"], INFERRED_TYPES)
    if "completeness" in feature:
        _number(f"{where}.completeness", feature["completeness"], 0, 1)
    num = _keys(f"{where}.num_constraints", feature.get("num_constraints", {}), {"is_non_negative": 0})
    if "is_non_negative" in num:
        _flag(f"{where}.num_constraints.is_non_negative", num["is_non_negative"])
    strings = _keys(f"{where}.string_constraints", feature.get("string_constraints", {}), {"domains": 0})
    if "domains" in strings:
        if not isinstance(strings["domains"], list):
            raise ConstraintsError(f"{where}.string_constraints.domains must be a list of values.")
        for i, value in enumerate(strings["domains"]):
            if not isinstance(value, str | int | float | bool):
                raise ConstraintsError(
                    f"{where}.string_constraints.domains[{i}] must be a string or a number; got {value!r}."
                )
    overrides = _distribution(
        f"{where}.monitoringConfigOverrides", feature.get("monitoringConfigOverrides", {})
    )
    for key in ("comparison_method", "comparion_method"):
        method = overrides.get(key)
        if (
            method in DISTANCES
            and DISTANCES[method].input == "quantile"
            and features[name] not in NUMERIC_KINDS
        ):
            raise ConstraintsError(
                f"{where}.monitoringConfigOverrides.{key} {method!r} compares numbers, and {name!r} is "
                f"{features[name]}; use a binned distance such as jensen_shannon."
            )
    return feature


def _quality(found: object) -> dict[str, Any]:
    quality = _keys("model_quality_constraints", found, QUALITY_GROUPS)
    for group, metrics in quality.items():
        known = REGRESSION_METRICS if group == "regression_constraints" else CLASSIFICATION_METRICS
        for metric, rule in _keys(f"model_quality_constraints.{group}", metrics, tuple(known)).items():
            where = f"model_quality_constraints.{group}.{metric}"
            rule = _keys(where, rule, {"threshold": 0, "comparison_operator": 0})
            _choice(f"{where}.comparison_operator", rule.get("comparison_operator"), OPERATORS)
            _real(f"{where}.threshold", rule.get("threshold"))
    return quality


ATTRIBUTION_KEYS = {
    "ndcg_threshold": 0,
    "share_change_threshold": 0,
    "mass_change_threshold": 0,
    "min_share": 0,
    "share_standard_errors": 0,
    "mass_standard_error": 0,
}


def _attribution(found: object, features: dict[str, str]) -> dict[str, Any]:
    """Feature attribution drift: the nDCG of the ranking (``ndcg_threshold``), each feature's
    share of the mean |SHAP| and their total (relative change thresholds, the smallest share
    judged, and the baseline's bootstrap standard errors)."""
    where = "attribution_constraints"
    rule = _keys(where, found, ATTRIBUTION_KEYS)
    _number(f"{where}.ndcg_threshold", rule.get("ndcg_threshold", 0.9), 0, 1)
    for key in ("share_change_threshold", "mass_change_threshold"):
        if key in rule:
            _number(f"{where}.{key}", rule[key], 0)
    if "min_share" in rule:
        _number(f"{where}.min_share", rule["min_share"], 0, 1)
    if "mass_standard_error" in rule:
        _number(f"{where}.mass_standard_error", rule["mass_standard_error"], 0)
    for name, sd in _object(f"{where}.share_standard_errors", rule.get("share_standard_errors", {})).items():
        if name not in features:
            raise ConstraintsError(
                f"{where}.share_standard_errors.{name}: {name!r} is not a feature of the baseline statistics."
            )
        _number(f"{where}.share_standard_errors.{name}", sd, 0)
    return rule


def _bias(found: object) -> dict[str, Any]:
    bias = _keys("bias_constraints", found, {"facet": 0, "facet_values": 0, "metrics": 0})
    if not isinstance(bias.get("facet"), str):
        raise ConstraintsError(f"bias_constraints.facet must be a column name; got {bias.get('facet')!r}.")
    values = bias.get("facet_values")
    if values is not None and not (
        isinstance(values, list) and all(isinstance(v, str | int | float | bool) for v in values)
    ):
        raise ConstraintsError(
            f"bias_constraints.facet_values must be null or a list of values; got {values!r}."
        )
    for metric, rule in _object("bias_constraints.metrics", bias.get("metrics", {})).items():
        where = f"bias_constraints.metrics.{metric}"
        rule = _keys(where, rule, {"lower": 0, "upper": 0})
        bounds = {side: _real(f"{where}.{side}", rule[side]) for side in ("lower", "upper") if side in rule}
        if bounds.get("lower", -math.inf) > bounds.get("upper", math.inf):
            raise ConstraintsError(
                f"{where}.lower ({bounds['lower']:g}) is above {where}.upper ({bounds['upper']:g})."
            )
    return bias


def validate(constraints: object, features: dict[str, str] | set[str]) -> dict[str, Any]:
    """Check a constraints document; return it with defaults filled in.

    ``features`` maps the baseline's feature names to their kinds (a set of names is taken as
    kinds unknown: then a range constraint is not checked against the kind).

    Examples
    --------
    >>> validate({"features": [{"name": "age", "completness": 1.0}]}, {"age": "integer"})
    Traceback (most recent call last):
    ...
    lifecycle_widgets.core.drift.constraints.ConstraintsError: Unknown key 'completness' in features[0]; allowed keys: completeness, inferred_type, monitoringConfigOverrides, name, num_constraints, string_constraints.
    """
    kinds = features if isinstance(features, dict) else dict.fromkeys(features, "numeric")
    check_json(constraints)
    constraints = _keys(
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
    _number("version", constraints.get("version", 0), 0)
    extension = _extension(EXTENSION_KEY, constraints.get(EXTENSION_KEY), kinds)
    found = _keys("monitoring_config", constraints.get("monitoring_config", {}), DEFAULT_MONITORING_CONFIG)
    config = {**DEFAULT_MONITORING_CONFIG, **found}
    for key in ("evaluate_constraints", "emit_metrics"):
        _choice(f"monitoring_config.{key}", config[key], ENABLED)
    _number("monitoring_config.datatype_check_threshold", config["datatype_check_threshold"], 0, 1)
    _number("monitoring_config.domain_content_threshold", config["domain_content_threshold"], 0, 1)
    _number("monitoring_config.completeness_tolerance", config["completeness_tolerance"], 0, 1)
    given = _distribution("monitoring_config.distribution_constraints", config["distribution_constraints"])
    config["distribution_constraints"] = {**DEFAULT_MONITORING_CONFIG["distribution_constraints"], **given}
    listed = constraints.get("features", [])
    if not isinstance(listed, list):
        raise ConstraintsError(f"features must be a list; got {type(listed).__name__}.")
    seen: set[str] = set()
    rules = [_feature(f"features[{i}]", feature, kinds, seen) for i, feature in enumerate(listed)]
    quality = _quality(constraints.get("model_quality_constraints", {}))
    out: dict[str, Any] = {}
    if constraints.get("attribution_constraints") is not None:
        out["attribution_constraints"] = _attribution(constraints["attribution_constraints"], kinds)
    if constraints.get("bias_constraints") is not None:
        out["bias_constraints"] = _bias(constraints["bias_constraints"])
    return {
        **out,
        "version": constraints.get("version", 0),
        "features": rules,
        "monitoring_config": config,
        "model_quality_constraints": quality,
        EXTENSION_KEY: extension,
    }


def parse(text: str, source: str = "constraints.json") -> object:
    """The JSON document in ``text``; malformed or absurdly nested JSON is a ConstraintsError
    naming ``source`` and where it went wrong."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise ConstraintsError(
            f"{source} is not valid JSON: {err.msg} at line {err.lineno}, column {err.colno}."
        ) from err
    except RecursionError as err:
        raise ConstraintsError(
            f"{source} nests deeper than {MAX_DEPTH} levels; no constraint needs that."
        ) from err
