"""Exact feature maps of fitted scikit-learn transformers: which inputs each output feature reads, and how.

:func:`feature_origins` reads a fitted transformer (a Pipeline, ColumnTransformer and FeatureUnion
included, nested to any depth) and returns, for every name of its ``get_feature_names_out``, the
input features it is computed from, each with how it enters (:data:`HOW`):

- ``identity``: the value is copied (passthrough, a feature a selector keeps, a degree-1 term);
- ``transformation``: computed from this one input (scaling, imputing, encoding, a missing-value
  indicator, a polynomial term's factors);
- ``mixing``: every output blends many inputs (PCA, TruncatedSVD, Normalizer, KNN imputation, a
  function whose output names are declared but whose inputs are not).

The maps come from each transformer's fitted attributes (``powers_``, ``get_support()``,
``categories_``, ``indicator_.features_``, ``components_``, ``output_indices_``), never from
parsing feature names. A transformer without a registered map counts every input as a source of
every output and says so in the description; :func:`register_feature_mapper` adds a map for a
transformer of your own.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from lifecycle_widgets.exceptions import ParameterError

HOW = ("identity", "transformation", "mixing")
"""How an input enters an output, from weakest to strongest; a chain takes the strongest of its links."""


@dataclass(frozen=True)
class FieldUse:
    """One input field entering one output feature.

    Parameters
    ----------
    field : str
        The input's name.
    how : str
        One of :data:`HOW`.
    description : str
        What the step does to it, e.g. ``"StandardScaler"`` or ``"PolynomialFeatures: age income"``.

    Examples
    --------
    >>> FieldUse("age", "identity").how
    'identity'
    """

    field: str
    how: str
    description: str = ""


@dataclass(frozen=True)
class FeatureOrigin:
    """An output feature and the input fields it is computed from (none for a constant).

    Examples
    --------
    >>> FeatureOrigin("x", (FieldUse("a", "transformation"), FieldUse("b", "mixing"))).sources
    ('a', 'b')
    """

    feature: str
    inputs: tuple[FieldUse, ...]

    @property
    def sources(self) -> tuple[str, ...]:
        """The input names, in input order."""
        return tuple(u.field for u in self.inputs)


@dataclass(frozen=True)
class StepPart:
    """One box of the lineage graph: a transformer (or a branch of a ColumnTransformer or
    FeatureUnion), the inputs it reads and the origins of its outputs."""

    name: str
    label: str
    reads: tuple[str, ...]
    origins: tuple[FeatureOrigin, ...]


Mapper = Callable[[Any, tuple[str, ...]], tuple[FeatureOrigin, ...]]
_MAPPERS: dict[type, Mapper] = {}
_BUILTINS_LOADED = False


def register_feature_mapper(cls: type) -> Callable[[Mapper], Mapper]:
    """Register the feature map of a transformer class (and its subclasses).

    The mapper receives the fitted transformer and its input feature names, and returns one
    :class:`FeatureOrigin` per output, in the order of ``get_feature_names_out``.

    Examples
    --------
    >>> from sklearn.base import BaseEstimator, TransformerMixin
    >>> class Ratio(TransformerMixin, BaseEstimator):
    ...     def fit(self, X, y=None):
    ...         return self
    ...     def transform(self, X):
    ...         return X[:, :1] / X[:, 1:2]
    ...     def get_feature_names_out(self, input_features=None):
    ...         return np.array(["ratio"], dtype=object)
    >>> @register_feature_mapper(Ratio)
    ... def _ratio(est, inputs):
    ...     return (FeatureOrigin("ratio", tuple(FieldUse(i, "transformation", "ratio") for i in inputs[:2])),)
    >>> feature_origins(Ratio().fit(np.ones((2, 2))), ("a", "b"))[0].sources
    ('a', 'b')
    """
    if not isinstance(cls, type):
        raise ParameterError.bad_value("cls", "register_feature_mapper", "a class", cls)

    def decorate(fn: Mapper) -> Mapper:
        _MAPPERS[cls] = fn
        return fn

    return decorate


# --- the engine ----------------------------------------------------------------------------------


def feature_origins(transformer: Any, input_features: Sequence[str]) -> tuple[FeatureOrigin, ...]:
    """Every output feature of a fitted transformer and the inputs it is computed from.

    Parameters
    ----------
    transformer : fitted scikit-learn transformer
        Anything with ``get_feature_names_out``; Pipeline, ColumnTransformer and FeatureUnion
        are followed inside, to any depth.
    input_features : sequence of str
        The names of the columns the transformer receives.

    Returns
    -------
    tuple of FeatureOrigin
        One per output feature, in the order of ``get_feature_names_out``.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn.preprocessing import PolynomialFeatures
    >>> X = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [0.0, 1.0, 5.0]})
    >>> [(o.feature, o.sources) for o in feature_origins(PolynomialFeatures(2).fit(X), ["a", "b"])]
    [('1', ()), ('a', ('a',)), ('b', ('b',)), ('a^2', ('a',)), ('a b', ('a', 'b')), ('b^2', ('b',))]
    """
    inputs = tuple(str(c) for c in input_features)
    if transformer is None or (isinstance(transformer, str) and transformer == "passthrough"):
        return tuple(FeatureOrigin(c, (FieldUse(c, "identity", "passthrough"),)) for c in inputs)
    origins = _mapper_for(transformer)(transformer, inputs)
    return tuple(origins)


def step_parts(step: Any, name: str, input_features: Sequence[str]) -> tuple[StepPart, ...]:
    """The boxes a pipeline step draws as: one per branch of a ColumnTransformer or FeatureUnion,
    else one for the step (a nested pipeline is one box labelled with its steps).

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn.compose import ColumnTransformer
    >>> from sklearn.preprocessing import StandardScaler
    >>> X = pd.DataFrame({"a": [1.0, 2.0], "b": [3.0, 5.0]})
    >>> ct = ColumnTransformer([("num", StandardScaler(), ["a"])], remainder="passthrough").fit(X)
    >>> [(p.name, p.reads, [o.feature for o in p.origins]) for p in step_parts(ct, "pre", ["a", "b"])]
    [('num', ('a',), ['num__a']), ('remainder', ('b',), ['remainder__b'])]
    """
    inputs = tuple(str(c) for c in input_features)
    if _is_column_transformer(step):
        return _column_transformer_parts(step, inputs)
    if _is_feature_union(step):
        return _feature_union_parts(step, inputs)
    return (StepPart(name, label_of(step), inputs, feature_origins(step, inputs)),)


def compose(first: Sequence[FeatureOrigin], then: Sequence[FeatureOrigin]) -> tuple[FeatureOrigin, ...]:
    """Origins of ``then`` (whose inputs are ``first``'s outputs) in terms of ``first``'s inputs.

    Each path takes the strongest ``how`` of its links; several paths to one input merge.

    Examples
    --------
    >>> a = (FeatureOrigin("s", (FieldUse("x", "transformation", "scale"),)),)
    >>> b = (FeatureOrigin("k", (FieldUse("s", "identity", "keep"),)),)
    >>> compose(a, b)[0].inputs
    (FieldUse(field='x', how='transformation', description='scale > keep'),)
    """
    by_name = {o.feature: o for o in first}
    order: dict[str, int] = {}
    for u in (u for o in first for u in o.inputs):
        order.setdefault(u.field, len(order))
    out = []
    for o in then:
        uses: list[FieldUse] = []
        for u in o.inputs:
            if u.field not in by_name:
                raise ParameterError(
                    f"Feature {o.feature!r} reads {u.field!r}, which the step before does not make; "
                    f"it makes {list(by_name)[:20]}."
                )
            uses += [
                FieldUse(v.field, strongest(v.how, u.how), _chain(v.description, u.description))
                for v in by_name[u.field].inputs
            ]
        out.append(FeatureOrigin(o.feature, merge_uses(uses, order)))
    return tuple(out)


def strongest(*hows: str) -> str:
    """The strongest of several :data:`HOW` values.

    Examples
    --------
    >>> strongest("identity", "mixing", "transformation")
    'mixing'
    """
    return max(hows, key=HOW.index)


def merge_uses(uses: Sequence[FieldUse], order: dict[str, int] | None = None) -> tuple[FieldUse, ...]:
    """One use per field: the strongest ``how``, the distinct descriptions joined by ``"; "``.

    Examples
    --------
    >>> merge_uses([FieldUse("a", "identity", "x"), FieldUse("a", "mixing", "y")])
    (FieldUse(field='a', how='mixing', description='x; y'),)
    """
    merged: dict[str, FieldUse] = {}
    for u in uses:
        if u.field in merged:
            m = merged[u.field]
            parts = m.description.split("; ") if m.description else []
            if u.description and u.description not in parts:
                parts.append(u.description)
            merged[u.field] = FieldUse(u.field, strongest(m.how, u.how), "; ".join(parts))
        else:
            merged[u.field] = u
    keys = sorted(merged, key=lambda f: (order or {}).get(f, len(order or {})))
    return tuple(merged[k] for k in keys)


def label_of(step: Any) -> str:
    """A short label: the class name, or the steps of a pipeline joined by ``" > "``."""
    if isinstance(step, str):
        return step
    steps = getattr(step, "steps", None)
    if isinstance(steps, list):
        return " > ".join(label_of(s) for _, s in steps if s is not None and s != "passthrough")
    return type(step).__name__


def _chain(*descriptions: str) -> str:
    return " > ".join(d for d in descriptions if d)


def _mapper_for(est: Any) -> Mapper:
    _load_builtins()
    for cls in type(est).__mro__:
        if cls in _MAPPERS:
            return _MAPPERS[cls]
    from sklearn.base import ClassNamePrefixFeaturesOutMixin, OneToOneFeatureMixin
    from sklearn.feature_selection import SelectorMixin

    if isinstance(est, SelectorMixin):
        return _selector
    if isinstance(est, OneToOneFeatureMixin):
        return _one_to_one  # the class declares one output per input, in order
    if isinstance(est, ClassNamePrefixFeaturesOutMixin):
        return _every_input  # "pca0, pca1, ...": each output is built from the whole row
    if not hasattr(est, "get_feature_names_out"):
        raise ParameterError(
            f"{type(est).__name__} has no get_feature_names_out, so lineage cannot tell which features it "
            "makes. Use a transformer that has one, or register a map with register_feature_mapper."
        )
    return _unknown


def names_out(est: Any, inputs: tuple[str, ...]) -> list[str]:
    """``est.get_feature_names_out(inputs)`` as strings, with errors that say what went wrong.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn.preprocessing import StandardScaler
    >>> names_out(StandardScaler().fit(pd.DataFrame({"a": [1.0, 2.0]})), ("a",))
    ['a']
    """
    fitted_on = getattr(est, "feature_names_in_", None)
    if fitted_on is not None and [str(c) for c in fitted_on] != list(inputs):
        raise ParameterError(
            f"{type(est).__name__} was fitted on the columns {[str(c) for c in fitted_on][:20]}, but lineage "
            f"reaches it with {list(inputs)[:20]}."
        )
    try:
        names = est.get_feature_names_out(np.asarray(inputs, dtype=object))
    except AttributeError as err:
        hint = (
            " Give FunctionTransformer feature_names_out='one-to-one' or a callable."
            if type(est).__name__ == "FunctionTransformer"
            else ""
        )
        raise ParameterError(
            f"{type(est).__name__} cannot name its output features ({err}), so lineage cannot map them.{hint}"
        ) from err
    return [str(n) for n in names]


def _check_width(est: Any, names: Sequence[str], expected: int, what: str) -> None:
    if len(names) != expected:
        raise ParameterError(
            f"{type(est).__name__} names {len(names)} output features but its {what} account for "
            f"{expected}; lineage cannot map it exactly."
        )


# --- the maps --------------------------------------------------------------------------------------


def _one_to_one(est: Any, inputs: tuple[str, ...], how: str = "transformation") -> tuple[FeatureOrigin, ...]:
    names = names_out(est, inputs)
    _check_width(est, names, len(inputs), "inputs (one output each)")
    label = type(est).__name__
    return tuple(FeatureOrigin(o, (FieldUse(i, how, label),)) for o, i in zip(names, inputs, strict=True))


def _blocks(est: Any, inputs: tuple[str, ...], widths: Sequence[int], what: str) -> tuple[FeatureOrigin, ...]:
    """Outputs in contiguous blocks, ``widths[j]`` of them computed from input ``j`` alone."""
    names = names_out(est, inputs)
    _check_width(est, names, int(sum(widths)), what)
    label = type(est).__name__
    out, start = [], 0
    for col, width in zip(inputs, widths, strict=True):
        out += [
            FeatureOrigin(o, (FieldUse(col, "transformation", f"{label}: {o}"),))
            for o in names[start : start + width]
        ]
        start += int(width)
    return tuple(out)


def _every_input(est: Any, inputs: tuple[str, ...], note: str = "") -> tuple[FeatureOrigin, ...]:
    names = names_out(est, inputs)
    label = type(est).__name__
    return tuple(
        FeatureOrigin(
            o,
            tuple(
                FieldUse(i, "mixing", f"{label}: {o} combines all {len(inputs)} inputs{note}") for i in inputs
            ),
        )
        for o in names
    )


def _unknown(est: Any, inputs: tuple[str, ...]) -> tuple[FeatureOrigin, ...]:
    return _every_input(est, inputs, " (no feature map is known for this class, so every input counts)")


def _selector(est: Any, inputs: tuple[str, ...]) -> tuple[FeatureOrigin, ...]:
    support = np.asarray(est.get_support(), dtype=bool)
    _check_width(est, inputs, support.size, "support mask")
    kept = [c for c, keep in zip(inputs, support, strict=True) if keep]
    names = names_out(est, inputs)
    _check_width(est, names, len(kept), "kept features (get_support)")
    label = type(est).__name__
    return tuple(
        FeatureOrigin(o, (FieldUse(c, "identity", f"{label}: kept"),))
        for o, c in zip(names, kept, strict=True)
    )


def _imputer(est: Any, inputs: tuple[str, ...], *, mixing: bool = False) -> tuple[FeatureOrigin, ...]:
    """Imputed values keep their column's name (all-missing columns may be dropped); the missing
    indicators follow, one per column of ``indicator_.features_``."""
    names = names_out(est, inputs)
    indicator = getattr(est, "indicator_", None)
    flagged = [int(k) for k in indicator.features_] if indicator is not None else []
    values, flags = names[: len(names) - len(flagged)], names[len(names) - len(flagged) :]
    label = type(est).__name__
    strategy = getattr(est, "strategy", None)
    what = f"{label}({strategy})" if isinstance(strategy, str) else label
    out = []
    for o in values:
        if o not in inputs:
            raise ParameterError(
                f"{label} names an imputed feature {o!r} that is not one of its inputs {list(inputs)[:20]}."
            )
        own = FieldUse(o, "transformation", f"{what}: imputes {o}")
        others = (
            tuple(FieldUse(i, "mixing", f"{what}: used to impute {o}") for i in inputs if i != o)
            if mixing
            else ()
        )
        out.append(FeatureOrigin(o, merge_uses((own, *others), {c: k for k, c in enumerate(inputs)})))
    out += [
        FeatureOrigin(
            o, (FieldUse(inputs[k], "transformation", f"{label}: missing indicator of {inputs[k]}"),)
        )
        for o, k in zip(flags, flagged, strict=True)
    ]
    return tuple(out)


def _missing_indicator(est: Any, inputs: tuple[str, ...]) -> tuple[FeatureOrigin, ...]:
    flagged = [int(k) for k in est.features_]
    names = names_out(est, inputs)
    _check_width(est, names, len(flagged), "flagged columns (features_)")
    return tuple(
        FeatureOrigin(
            o, (FieldUse(inputs[k], "transformation", f"MissingIndicator: missing indicator of {inputs[k]}"),)
        )
        for o, k in zip(names, flagged, strict=True)
    )


def _one_hot(est: Any, inputs: tuple[str, ...]) -> tuple[FeatureOrigin, ...]:
    """Per input: its categories, the infrequent ones grouped into one output, minus the dropped one."""
    infrequent = getattr(est, "infrequent_categories_", None) or [None] * len(est.categories_)
    drop = getattr(est, "drop_idx_", None)
    widths = []
    for j, cats in enumerate(est.categories_):
        width = len(cats)
        if infrequent[j] is not None:
            width -= len(infrequent[j]) - 1
        if drop is not None and drop[j] is not None:
            width -= 1
        widths.append(width)
    return _blocks(est, inputs, widths, "categories (categories_, infrequent_categories_, drop_idx_)")


def _target_encoder(est: Any, inputs: tuple[str, ...]) -> tuple[FeatureOrigin, ...]:
    per = len(est.classes_) if getattr(est, "target_type_", "") == "multiclass" else 1
    return _blocks(est, inputs, [per] * len(inputs), "inputs times classes")


def _kbins(est: Any, inputs: tuple[str, ...]) -> tuple[FeatureOrigin, ...]:
    if est.encode == "ordinal":
        return _one_to_one(est, inputs)
    return _blocks(est, inputs, [int(n) for n in est.n_bins_], "bins (n_bins_)")


def _spline(est: Any, inputs: tuple[str, ...]) -> tuple[FeatureOrigin, ...]:
    per, rest = divmod(int(est.n_features_out_), max(len(inputs), 1))
    if rest:
        raise ParameterError(
            f"SplineTransformer makes {est.n_features_out_} features from {len(inputs)} inputs."
        )
    return _blocks(est, inputs, [per] * len(inputs), "splines (n_features_out_)")


def _polynomial(est: Any, inputs: tuple[str, ...]) -> tuple[FeatureOrigin, ...]:
    """Each term reads the inputs with a positive power in its row of ``powers_``."""
    powers = np.asarray(est.powers_)
    names = names_out(est, inputs)
    _check_width(est, names, powers.shape[0], "terms (powers_)")
    out = []
    for o, row in zip(names, powers, strict=True):
        factors = [(inputs[i], int(p)) for i, p in enumerate(row) if p > 0]
        how = "identity" if len(factors) == 1 and factors[0][1] == 1 else "transformation"
        out.append(FeatureOrigin(o, tuple(FieldUse(c, how, f"PolynomialFeatures: {o}") for c, _ in factors)))
    return tuple(out)


def _projection(est: Any, inputs: tuple[str, ...]) -> tuple[FeatureOrigin, ...]:
    """Linear maps ``X @ components_.T``: a component reads the inputs where its loading is non-zero."""
    comps = est.components_
    comps = np.asarray(comps.toarray() if hasattr(comps, "toarray") else comps)
    names = names_out(est, inputs)
    _check_width(est, names, comps.shape[0], "components (components_)")
    label = type(est).__name__
    out = []
    for o, row in zip(names, comps, strict=True):
        used = [c for c, w in zip(inputs, row, strict=True) if w != 0]
        how = "mixing" if len(used) > 1 else "transformation"
        out.append(
            FeatureOrigin(
                o, tuple(FieldUse(c, how, f"{label}: {o} combines {len(used)} inputs") for c in used)
            )
        )
    return tuple(out)


def _row_wise(est: Any, inputs: tuple[str, ...]) -> tuple[FeatureOrigin, ...]:
    """One output per input, each divided by a norm of the whole row: every input enters every output."""
    names = names_out(est, inputs)
    _check_width(est, names, len(inputs), "inputs (one output each)")
    label = type(est).__name__
    return tuple(
        FeatureOrigin(
            o, tuple(FieldUse(i, "mixing", f"{label}: {o} scaled by the row's norm") for i in inputs)
        )
        for o in names
    )


def _tfidf(est: Any, inputs: tuple[str, ...]) -> tuple[FeatureOrigin, ...]:
    return _one_to_one(est, inputs) if est.norm is None else _row_wise(est, inputs)


def _function(est: Any, inputs: tuple[str, ...]) -> tuple[FeatureOrigin, ...]:
    """As declared: ``"one-to-one"`` maps output j to input j; a callable names the outputs but
    not what they read, so every input counts."""
    declared = est.feature_names_out
    func = getattr(est.func, "__name__", repr(est.func))
    if isinstance(declared, str) and declared == "one-to-one":
        if est.func is None:
            names = names_out(est, inputs)
            _check_width(est, names, len(inputs), "inputs (one-to-one)")
            return tuple(
                FeatureOrigin(o, (FieldUse(i, "identity", "passthrough"),))
                for o, i in zip(names, inputs, strict=True)
            )
        names = names_out(est, inputs)
        _check_width(est, names, len(inputs), "inputs (one-to-one)")
        return tuple(
            FeatureOrigin(o, (FieldUse(i, "transformation", f"FunctionTransformer({func})"),))
            for o, i in zip(names, inputs, strict=True)
        )
    names = names_out(est, inputs)
    return tuple(
        FeatureOrigin(
            o,
            tuple(
                FieldUse(
                    i,
                    "mixing",
                    f"FunctionTransformer({func}): declares {o} but not its inputs, so every input counts",
                )
                for i in inputs
            ),
        )
        for o in names
    )


def _pipeline(est: Any, inputs: tuple[str, ...]) -> tuple[FeatureOrigin, ...]:
    origins = tuple(FeatureOrigin(c, (FieldUse(c, "identity", ""),)) for c in inputs)
    for name, step in est.steps:
        if step is None or (isinstance(step, str) and step == "passthrough"):
            continue
        if not hasattr(step, "transform"):
            raise ParameterError(
                f"Pipeline step {name!r} ({type(step).__name__}) does not transform, so no features come out of it."
            )
        origins = compose(origins, feature_origins(step, tuple(o.feature for o in origins)))
    return origins


def _parts_origins(est: Any, inputs: tuple[str, ...]) -> tuple[FeatureOrigin, ...]:
    return tuple(o for p in step_parts(est, type(est).__name__, inputs) for o in p.origins)


def _selected(spec: Any, inputs: tuple[str, ...]) -> tuple[str, ...]:
    """The column names a ColumnTransformer column specification selects, as scikit-learn reads it
    (``transformers_`` holds callables already resolved)."""
    if isinstance(spec, str):
        return (spec,)
    if isinstance(spec, int | np.integer):
        return (inputs[int(spec)],)
    if isinstance(spec, slice):
        if isinstance(spec.start, str) or isinstance(spec.stop, str):  # label slices include their end
            start = inputs.index(spec.start) if spec.start is not None else 0
            stop = inputs.index(spec.stop) + 1 if spec.stop is not None else len(inputs)
            return inputs[start : stop : spec.step]
        return inputs[spec]
    values = list(np.asarray(spec, dtype=object).ravel()) if not isinstance(spec, list) else list(spec)
    if values and all(isinstance(v, bool | np.bool_) for v in values):
        return tuple(c for c, keep in zip(inputs, values, strict=True) if keep)
    return tuple(inputs[int(v)] if isinstance(v, int | np.integer) else str(v) for v in values)


def _weighted(origins: tuple[FeatureOrigin, ...], weight: float | None) -> tuple[FeatureOrigin, ...]:
    if weight is None or weight == 1:
        return origins
    return tuple(
        FeatureOrigin(
            o.feature,
            tuple(
                FieldUse(
                    u.field, strongest(u.how, "transformation"), _chain(u.description, f"weight {weight:g}")
                )
                for u in o.inputs
            ),
        )
        for o in origins
    )


def _rename(
    origins: tuple[FeatureOrigin, ...], names: Sequence[str], est: Any, branch: str
) -> tuple[FeatureOrigin, ...]:
    if len(origins) != len(names):
        raise ParameterError(
            f"{type(est).__name__} branch {branch!r} makes {len(origins)} features, but its output names "
            f"{len(names)}; lineage cannot map it exactly."
        )
    return tuple(FeatureOrigin(n, o.inputs) for n, o in zip(names, origins, strict=True))


def _column_transformer_parts(ct: Any, inputs: tuple[str, ...]) -> tuple[StepPart, ...]:
    names = names_out(ct, inputs)
    weights = ct.transformer_weights or {}
    parts = []
    for branch, trans, spec in ct.transformers_:
        if isinstance(trans, str) and trans == "drop":
            continue
        cols = _selected(spec, inputs)
        missing = [c for c in cols if c not in inputs]
        if missing:
            raise ParameterError(
                f"ColumnTransformer branch {branch!r} reads {missing}, which are not among its inputs {list(inputs)[:20]}."
            )
        out = names[ct.output_indices_[branch]]
        if not cols:
            continue
        origins = _rename(_weighted(feature_origins(trans, cols), weights.get(branch)), out, ct, branch)
        parts.append(
            StepPart(str(branch), "passthrough" if _is_passthrough(trans) else label_of(trans), cols, origins)
        )
    return tuple(parts)


def _feature_union_parts(fu: Any, inputs: tuple[str, ...]) -> tuple[StepPart, ...]:
    names = names_out(fu, inputs)
    weights = fu.transformer_weights or {}
    parts, start = [], 0
    for branch, trans in fu.transformer_list:
        if trans is None or (isinstance(trans, str) and trans == "drop"):
            continue
        origins = _weighted(feature_origins(trans, inputs), weights.get(branch))
        origins = _rename(origins, names[start : start + len(origins)], fu, branch)
        start += len(origins)
        parts.append(
            StepPart(
                str(branch), "passthrough" if _is_passthrough(trans) else label_of(trans), inputs, origins
            )
        )
    _check_width(fu, names, start, "branches")
    return tuple(parts)


def _is_passthrough(trans: Any) -> bool:
    from sklearn.preprocessing import FunctionTransformer

    if isinstance(trans, str):
        return trans == "passthrough"
    return (
        isinstance(trans, FunctionTransformer)
        and trans.func is None
        and trans.feature_names_out == "one-to-one"
    )


def _is_column_transformer(est: Any) -> bool:
    from sklearn.compose import ColumnTransformer

    return isinstance(est, ColumnTransformer)


def _is_feature_union(est: Any) -> bool:
    from sklearn.pipeline import FeatureUnion

    return isinstance(est, FeatureUnion)


def _load_builtins() -> None:
    global _BUILTINS_LOADED
    if _BUILTINS_LOADED:
        return
    from sklearn import decomposition, impute, preprocessing, random_projection
    from sklearn.compose import ColumnTransformer
    from sklearn.feature_extraction.text import TfidfTransformer
    from sklearn.pipeline import FeatureUnion, Pipeline

    builtin: dict[type, Mapper] = {
        Pipeline: _pipeline,
        ColumnTransformer: _parts_origins,
        FeatureUnion: _parts_origins,
        preprocessing.FunctionTransformer: _function,
        preprocessing.OneHotEncoder: _one_hot,
        preprocessing.TargetEncoder: _target_encoder,
        preprocessing.KBinsDiscretizer: _kbins,
        preprocessing.SplineTransformer: _spline,
        preprocessing.PolynomialFeatures: _polynomial,
        preprocessing.Normalizer: _row_wise,
        TfidfTransformer: _tfidf,
        impute.SimpleImputer: _imputer,
        impute.KNNImputer: lambda est, inputs: _imputer(est, inputs, mixing=True),
        impute.MissingIndicator: _missing_indicator,
        decomposition.PCA: _projection,
        decomposition.IncrementalPCA: _projection,
        decomposition.TruncatedSVD: _projection,
        decomposition.FastICA: _projection,
        random_projection.GaussianRandomProjection: _projection,
        random_projection.SparseRandomProjection: _projection,
    }
    try:  # experimental in scikit-learn: importable without the enabling import
        from sklearn.impute._iterative import IterativeImputer

        builtin[IterativeImputer] = lambda est, inputs: _imputer(est, inputs, mixing=True)
    except ImportError:  # pragma: no cover - older or newer layouts
        pass
    for cls, fn in builtin.items():
        _MAPPERS.setdefault(cls, fn)  # a user's registration wins
    _BUILTINS_LOADED = True
