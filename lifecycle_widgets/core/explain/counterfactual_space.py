"""The space a counterfactual search moves in: every row of a frame as one float vector.

Continuous features (numbers, not booleans) keep their values; categorical features (booleans,
categories, strings, objects) become integer codes into their levels, most frequent first; other
columns (datetimes, durations) are carried along unchanged. A whole batch of candidates is then
one numpy matrix, turned back into a frame of the original dtypes only to call the model.

Distances follow DiCE (Mothilal, Sharma and Tan, "Explaining machine learning classifiers through
diverse counterfactual explanations", FAT* 2020, section 3.3): a continuous change counts
``|Δ| / MAD`` (the feature's median absolute deviation in the reference data, 1 where that is
0, as dice-ml does), averaged over the continuous features; a categorical change counts 1,
averaged over the categorical features; the distance of two rows is the sum of both parts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from lifecycle_widgets.exceptions import ColumnError, ParameterError

__all__ = [
    "CATEGORICAL",
    "CONTINUOUS",
    "FIXED",
    "FeatureSpace",
    "check_constraints",
    "column_quantiles",
    "feature_kind",
    "is_free_text",
    "plain",
    "value_text",
]

CONTINUOUS, CATEGORICAL, FIXED = "continuous", "categorical", "fixed"
MAX_LEVELS = 50  # categories tried per feature (the most frequent; permitted_range may name others)
GRID_POINTS = 12  # quantiles of a continuous feature tried as single changes
SINGLE_ROWS = 2000  # ... fewer (down to 6) where many features would make more single changes
TEXT_SHARE = 0.5  # a string column with more distinct values than this share of rows is free text
PROTOTYPE_ROWS = 1000  # rows of the reference data kept as values to draw from and as prototypes

Value = float | int | str | bool | None


def feature_kind(col: pd.Series) -> str:
    """``continuous`` (numbers), ``categorical`` (booleans, categories, strings, objects) or
    ``fixed`` (anything else, such as datetimes: carried along, never changed).

    Examples
    --------
    >>> feature_kind(pd.Series([1.5, 2.0])), feature_kind(pd.Series([True])), feature_kind(pd.Series(["a"]))
    ('continuous', 'categorical', 'categorical')
    """
    dtype = col.dtype
    if pd.api.types.is_bool_dtype(dtype) or isinstance(dtype, pd.CategoricalDtype):
        return CATEGORICAL
    if pd.api.types.is_numeric_dtype(dtype):
        return CONTINUOUS
    if pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype):
        return CATEGORICAL
    return FIXED


def is_free_text(col: pd.Series) -> bool:
    """A string column whose values are mostly distinct (documents, identifiers): swapping one
    for another is no counterfactual anyone could act on, so it is not varied by default."""
    if (
        feature_kind(col) != CATEGORICAL
        or isinstance(col.dtype, pd.CategoricalDtype)
        or pd.api.types.is_bool_dtype(col.dtype)
    ):
        return False
    distinct = col.nunique(dropna=True)
    return distinct > MAX_LEVELS and distinct > TEXT_SHARE * col.notna().sum()


def plain(value: Any) -> Value:
    """A scalar as a JSON-plain value: numpy scalars as Python ones, missing as None, anything
    else (timestamps, intervals) as its text.

    Examples
    --------
    >>> plain(np.int64(3)), plain(np.float64("nan")), plain("a"), plain(pd.Timestamp("2024-01-02"))
    (3, None, 'a', '2024-01-02 00:00:00')
    """
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or (not isinstance(value, str) and bool(pd.isna(value))):
        return None
    if isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value
    return str(value)


def value_text(value: Any) -> str:
    """A value as the results show it: floats to 6 significant digits unless that would change
    the value (then in full), so the text always reads back as the same number.

    Examples
    --------
    >>> value_text(0.25), value_text(1234567.5), value_text(3), value_text(None)
    ('0.25', '1234567.5', '3', 'missing')
    """
    value = plain(value)
    if value is None:
        return "missing"
    if isinstance(value, float):
        short = f"{value:.6g}"
        return short if float(short) == value else repr(value)
    return str(value)


def _levels_of(col: pd.Series) -> list[Any]:
    if isinstance(col.dtype, pd.CategoricalDtype):
        return list(col.cat.categories)
    return list(col.value_counts(dropna=True).index)


def check_constraints(
    X: pd.DataFrame,
    *,
    features_to_vary: str | Sequence[str],
    immutable: Sequence[str],
    permitted_range: Mapping[str, Any] | None,
    caller: str,
) -> tuple[list[str] | None, list[str], dict[str, tuple[Value, ...]]]:
    """Validate the search's constraints against the columns of ``X`` (cheap checks only, before
    any work): the features to vary (None for "all"), the immutable ones, and the permitted
    ranges as ``(lo, hi)`` for a number or a tuple of categories.

    Examples
    --------
    >>> X = pd.DataFrame({"x": [1.0, 2.0], "c": ["a", "b"]})
    >>> check_constraints(X, features_to_vary="all", immutable=["c"], permitted_range={"x": (0, 5)},
    ...                   caller="example")
    (None, ['c'], {'x': (0.0, 5.0)})
    >>> check_constraints(X, features_to_vary=["z"], immutable=[], permitted_range=None, caller="example")
    Traceback (most recent call last):
    ...
    lifecycle_widgets.exceptions.ColumnError: Column 'z': the 'features_to_vary' parameter of example names it, but X has no such column (X has ['x', 'c'])
    """
    names = {str(c): c for c in X.columns}

    def known(name: Any, parameter: str) -> str:
        if not isinstance(name, str) or name not in names:
            raise ColumnError(
                name,
                f"the {parameter!r} parameter of {caller} names it, but X has no such column "
                f"(X has {list(names)[:20]})",
            )
        return name

    if isinstance(features_to_vary, str):
        if features_to_vary != "all":
            raise ParameterError.bad_value(
                "features_to_vary", caller, '"all" or a list of column names of X', features_to_vary
            )
        vary: list[str] | None = None
    elif isinstance(features_to_vary, Sequence | pd.Index):
        vary = [known(f, "features_to_vary") for f in features_to_vary]
        if not vary:
            raise ParameterError.bad_value(
                "features_to_vary", caller, '"all" or a non-empty list of column names of X', []
            )
    else:
        raise ParameterError.bad_value(
            "features_to_vary",
            caller,
            '"all" or a list of column names of X',
            type(features_to_vary).__name__,
        )
    if isinstance(immutable, str):
        immutable = [immutable]
    if not isinstance(immutable, Sequence | pd.Index):
        raise ParameterError.bad_value(
            "immutable", caller, "a list of column names of X", type(immutable).__name__
        )
    fixed = [known(f, "immutable") for f in immutable]
    if vary is not None:
        both = [f for f in vary if f in fixed]
        if both:
            raise ParameterError(
                f"The 'features_to_vary' and 'immutable' parameters of {caller} both name {both}: "
                "a feature is either varied or kept."
            )
        if not [f for f in vary if feature_kind(X[names[f]]) != FIXED]:
            raise ParameterError.bad_value(
                "features_to_vary", caller, "at least one numeric or categorical column", vary
            )
    if permitted_range is None:
        permitted_range = {}
    if not isinstance(permitted_range, Mapping):
        raise ParameterError.bad_value(
            "permitted_range",
            caller,
            "a dict of column -> (lo, hi) or a list of categories",
            type(permitted_range).__name__,
        )
    ranges: dict[str, tuple[Value, ...]] = {}
    for name, spec in permitted_range.items():
        col = X[names[known(name, "permitted_range")]]
        kind = feature_kind(col)
        if kind == CONTINUOUS:
            ok = (
                isinstance(spec, Sequence)
                and not isinstance(spec, str)
                and len(spec) == 2
                and all(isinstance(v, int | float | np.number) and not isinstance(v, bool) for v in spec)
                and all(np.isfinite(float(v)) for v in spec)
                and float(spec[0]) <= float(spec[1])
            )
            if not ok:
                raise ParameterError(
                    f"The 'permitted_range' parameter of {caller}: column {name!r} is numeric; "
                    f"expected a pair (lo, hi) of finite numbers with lo <= hi. Got {spec!r} instead."
                )
            ranges[name] = (float(spec[0]), float(spec[1]))
        elif kind == CATEGORICAL:
            if isinstance(spec, str) or not isinstance(spec, Sequence | set | frozenset) or not spec:
                raise ParameterError(
                    f"The 'permitted_range' parameter of {caller}: column {name!r} is categorical; "
                    f"expected a non-empty list of its categories. Got {spec!r} instead."
                )
            levels = _levels_of(col)
            unknown = [v for v in spec if v not in levels]
            if unknown:
                raise ParameterError(
                    f"The 'permitted_range' parameter of {caller}: column {name!r} has no categories "
                    f"{unknown[:10]}; it has {levels[:20]}."
                )
            ranges[name] = tuple(plain(v) for v in spec)
        else:
            raise ColumnError(
                name,
                f"the 'permitted_range' parameter of {caller} names it, but it is of type {col.dtype}; "
                "counterfactuals change numeric and categorical columns only",
            )
    return vary, fixed, ranges


def column_quantiles(values: np.ndarray, probs: Sequence[float] | np.ndarray) -> np.ndarray:
    """Quantiles ``probs`` of each column of ``values``, missing values left out, by numpy's
    default (linear) method: one sort of the whole matrix, where ``np.nanquantile`` goes column
    by column once any value is missing. NaN for a column without values.

    Examples
    --------
    >>> v = np.array([[1.0, np.nan], [2.0, 5.0], [4.0, np.nan], [np.nan, np.nan]])
    >>> column_quantiles(v, [0.5, 1.0]).tolist()
    [[2.0, 5.0], [4.0, 5.0]]
    """
    ordered = np.sort(values, axis=0)  # missing values sort last
    count = (~np.isnan(values)).sum(axis=0)
    last = np.maximum(count - 1, 0)
    at = np.asarray(probs, dtype=float)[:, None] * last
    below = np.floor(at).astype(int)
    above = np.minimum(below + 1, last)
    cols = np.arange(values.shape[1])
    low, high = ordered[below, cols], ordered[above, cols]
    out = low + (at - below) * (high - low)
    out[:, count == 0] = np.nan
    return out


def _decimals(values: np.ndarray) -> np.ndarray:
    """Per column, the fewest decimals (0 to 4) that every sampled value has, else -1 (such
    columns are rounded to 6 significant digits), as dice-ml rounds to the data's precision."""
    out = np.full(values.shape[1], -1)
    if values.size == 0:
        return out
    todo = np.ones(values.shape[1], dtype=bool)
    for p in range(5):
        scaled = values * 10.0**p
        fits = np.all(
            np.isnan(scaled) | (np.abs(scaled - np.round(scaled)) <= 1e-9 * np.maximum(1, np.abs(scaled))),
            axis=0,
        )
        hit = todo & fits
        out[hit] = p
        todo &= ~fits
    return out


@dataclass
class FeatureSpace:
    """Features of a model's input frame, their encodings, scales and the permitted changes.

    Build one with :meth:`build`; ``encode`` turns a frame into a matrix, ``decode`` a matrix
    into a frame of the original dtypes, ``distance`` and ``changed`` measure candidates against
    a row.
    """

    columns: tuple[Any, ...]
    names: tuple[str, ...]
    kinds: tuple[str, ...]
    dtypes: tuple[Any, ...]
    levels: tuple[np.ndarray | None, ...]  # categorical: object array of levels plus a trailing NaN
    integer: np.ndarray
    mad: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    allowed: tuple[np.ndarray, ...]  # categorical: permitted codes
    grid: tuple[np.ndarray, ...]  # continuous: single-change values within [lo, hi]
    decimals: np.ndarray
    mutable: np.ndarray
    pool: np.ndarray  # an encoded sample of the reference rows
    pool_frame: pd.DataFrame
    notes: tuple[str, ...] = ()
    change_cost: float = 0.0  # what :meth:`cost` adds per changed feature

    @property
    def continuous(self) -> np.ndarray:
        return np.array([k == CONTINUOUS for k in self.kinds], dtype=bool)

    @property
    def categorical(self) -> np.ndarray:
        return np.array([k == CATEGORICAL for k in self.kinds], dtype=bool)

    @classmethod
    def build(
        cls,
        X: pd.DataFrame,
        queries: pd.DataFrame,
        *,
        vary: list[str] | None,
        immutable: list[str],
        ranges: dict[str, tuple[Value, ...]],
        random_state: int = 0,
    ) -> FeatureSpace:
        """The space of ``X``'s columns (the reference data), with the categories of ``queries``
        (the rows to explain) added, ``vary``/``immutable``/``ranges`` as
        :func:`check_constraints` returns them."""
        columns = tuple(X.columns)
        names = tuple(str(c) for c in columns)
        kinds = tuple(feature_kind(X[c]) for c in columns)
        d = len(columns)
        notes: list[str] = []
        cont = np.array([k == CONTINUOUS for k in kinds], dtype=bool)
        values = np.full((len(X), d), np.nan)
        if cont.any():
            values[:, cont] = np.column_stack(
                [
                    X[c].to_numpy(dtype=float, na_value=np.nan)
                    for c, k in zip(columns, kinds, strict=True)
                    if k == CONTINUOUS
                ]
            )
        finite = np.where(np.isfinite(values), values, np.nan)  # ranges and scales from finite values
        integer = np.array(
            [
                k == CONTINUOUS and pd.api.types.is_integer_dtype(X[c].dtype)
                for c, k in zip(columns, kinds, strict=True)
            ]
        )
        lo, hi, mad = np.full(d, np.nan), np.full(d, np.nan), np.ones(d)
        if cont.any():
            some = cont & (np.isfinite(values).sum(axis=0) > 0)
            lo[some] = np.nanmin(finite[:, some], axis=0)
            hi[some] = np.nanmax(finite[:, some], axis=0)
            med = column_quantiles(finite[:, some], [0.5])[0]
            spread = column_quantiles(np.abs(finite[:, some] - med), [0.5])[0]
            mad[some] = np.where(spread > 0, spread, 1.0)
        for name, spec in ranges.items():
            j = names.index(name)
            if kinds[j] == CONTINUOUS:
                lo[j], hi[j] = float(spec[0]), float(spec[1])  # type: ignore[arg-type]
        rng = np.random.default_rng(random_state)
        sample = np.sort(rng.choice(len(X), size=min(PROTOTYPE_ROWS, len(X)), replace=False))
        decimals = _decimals(finite[sample][:, cont]) if cont.any() else np.zeros(0, dtype=int)
        dec = np.full(d, -1)
        dec[cont] = decimals
        dec[integer] = 0
        grids: list[np.ndarray] = []
        points = min(GRID_POINTS, max(6, SINGLE_ROWS // max(1, int(cont.sum()))))
        probs = np.linspace(0.02, 0.98, points)
        quant = np.full((points, d), np.nan)
        if cont.any():
            some = cont & np.isfinite(lo)
            quant[:, some] = column_quantiles(finite[:, some], probs)
        levels: list[np.ndarray | None] = []
        allowed: list[np.ndarray] = []
        codes = np.full((len(X), d), np.nan)
        mutable = np.zeros(d, dtype=bool)
        chosen = set(names) if vary is None else set(vary)
        for j, (c, kind) in enumerate(zip(columns, kinds, strict=True)):
            col = X[c]
            if kind == CONTINUOUS:
                g = quant[:, j][np.isfinite(quant[:, j])]
                g = np.clip(np.concatenate([g, [lo[j], hi[j]]]), lo[j], hi[j]) if np.isfinite(lo[j]) else g
                g = g[np.isfinite(g)]
                grids.append(np.unique(np.round(g)) if integer[j] else np.unique(g))
                levels.append(None)
                allowed.append(np.zeros(0, dtype=int))
                mutable[j] = names[j] in chosen and names[j] not in immutable and g.size > 0
                continue
            grids.append(np.zeros(0))
            if kind == FIXED:
                levels.append(None)
                allowed.append(np.zeros(0, dtype=int))
                continue
            found = _levels_of(col)
            seen = set(found)
            extra = [v for v in queries[c].dropna().unique().tolist() if v not in seen]
            if extra and isinstance(col.dtype, pd.CategoricalDtype):
                raise ColumnError(
                    c, f"the rows to explain hold categories {extra[:5]} that X's categories lack"
                )
            found += extra
            lev = np.empty(len(found) + 1, dtype=object)
            lev[: len(found)] = found
            lev[-1] = np.nan
            levels.append(lev)
            codes[:, j] = pd.Categorical(col, categories=found).codes
            if names[j] in ranges:
                ok = list(ranges[names[j]])
                allowed.append(np.array([i for i, v in enumerate(found) if plain(v) in ok], dtype=int))
            else:
                counts = col.value_counts(dropna=True)
                top = [v for v in counts.index[:MAX_LEVELS] if counts[v] > 0]
                index = {v: i for i, v in enumerate(found)}
                allowed.append(np.array(sorted(index[v] for v in top), dtype=int))
            text = vary is None and is_free_text(col)
            if text:
                notes.append(
                    f"Column {names[j]!r} looks like free text ({col.nunique():,} distinct values): "
                    "it is not varied (name it in features_to_vary to vary it)."
                )
            mutable[j] = (
                names[j] in chosen and names[j] not in immutable and not text and allowed[-1].size > 0
            )
        encoded = np.where(cont, values, codes)
        return cls(
            columns=columns,
            names=names,
            kinds=kinds,
            dtypes=tuple(X[c].dtype for c in columns),
            levels=tuple(levels),
            integer=integer,
            mad=mad,
            lo=lo,
            hi=hi,
            allowed=tuple(allowed),
            grid=tuple(grids),
            decimals=dec,
            mutable=mutable,
            pool=encoded[sample],
            pool_frame=X.iloc[sample],
            notes=tuple(notes),
        )

    # --- frames <-> matrices ------------------------------------------------------------------
    def encode(self, frame: pd.DataFrame) -> np.ndarray:
        """The rows of ``frame`` (with this space's columns) as a matrix."""
        out = np.full((len(frame), len(self.columns)), np.nan)
        for j, c in enumerate(self.columns):
            kind = self.kinds[j]
            if kind == CONTINUOUS:
                out[:, j] = frame[c].to_numpy(dtype=float, na_value=np.nan)
            elif kind == CATEGORICAL:
                lev = self.levels[j]
                assert lev is not None
                out[:, j] = pd.Categorical(frame[c], categories=list(lev[:-1])).codes
        return out

    def decode(self, Z: np.ndarray, base: pd.DataFrame) -> pd.DataFrame:
        """Matrix ``Z`` as a frame of the original columns and dtypes; columns that are never
        changed (datetimes and the like) come from the one-row frame ``base``."""
        n = len(Z)
        data: dict[Any, Any] = {}
        for j, c in enumerate(self.columns):
            kind, dtype = self.kinds[j], self.dtypes[j]
            if kind == FIXED:
                data[c] = base[c].iloc[np.zeros(n, dtype=int)].to_numpy()
                continue
            if kind == CONTINUOUS:
                v = Z[:, j]
                if self.integer[j]:
                    v = np.round(v)
                    if isinstance(dtype, np.dtype) and np.isnan(v).any():
                        data[c] = v
                    else:
                        data[c] = (
                            pd.array(v, dtype=dtype) if not isinstance(dtype, np.dtype) else v.astype(dtype)
                        )
                else:
                    data[c] = v.astype(dtype) if isinstance(dtype, np.dtype) else pd.array(v, dtype=dtype)
                continue
            codes = Z[:, j].astype(np.intp)
            if isinstance(dtype, pd.CategoricalDtype):
                data[c] = pd.Categorical.from_codes(codes, dtype=dtype)
                continue
            lev = self.levels[j]
            assert lev is not None
            values = lev[codes]  # code -1 picks the trailing NaN
            if isinstance(dtype, np.dtype):
                data[c] = values.astype(dtype) if dtype.kind == "b" and (codes >= 0).all() else values
            else:
                data[c] = pd.array(values, dtype=dtype)
        return pd.DataFrame(data, columns=list(self.columns))

    def value(self, j: int, code: float) -> Value:
        """The plain value of feature ``j`` at its encoded value."""
        if self.kinds[j] == CATEGORICAL:
            lev = self.levels[j]
            assert lev is not None
            return plain(lev[int(code)])
        if np.isnan(code):
            return None
        return int(np.rint(code)) if self.integer[j] else float(code)

    # --- measures -----------------------------------------------------------------------------
    def quantize(self, values: np.ndarray, j: np.ndarray) -> np.ndarray:
        """Continuous ``values`` of features ``j`` (arrays of one length) rounded to each
        feature's precision and kept within its permitted range."""
        out = values.copy()
        dec = self.decimals[j]
        fixed = dec >= 0
        if fixed.any():
            scale = 10.0 ** dec[fixed]
            out[fixed] = np.round(values[fixed] * scale) / scale
        sig = ~fixed & np.isfinite(values)
        if (
            sig.any()
        ):  # through text, so the value reads back as it prints (0.438026, not 0.43802599999999997)
            out[sig] = np.char.mod("%.6g", values[sig]).astype(float)
        return np.clip(out, self.lo[j], self.hi[j])

    def changed(self, Z: np.ndarray, z0: np.ndarray) -> np.ndarray:
        """Which features of each row of ``Z`` differ from row ``z0`` (missing equals missing)."""
        return ~(np.equal(Z, z0) | (np.isnan(Z) & np.isnan(z0)))

    def diffs(self, Z: np.ndarray, z0: np.ndarray) -> np.ndarray:
        """Per row of ``Z`` and feature, how much it differs from ``z0``: ``|Δ|/MAD`` for a
        continuous feature (1 for a change from or to a missing or infinite value), 1 for a
        changed category, 0 for an unchanged or fixed feature."""
        out = np.zeros(Z.shape)
        cont, cat = self.continuous, self.categorical
        if cont.any():
            a, b = Z[:, cont], z0[cont]
            odd = ~np.isfinite(a) | ~np.isfinite(b)
            same = np.equal(a, b) | (np.isnan(a) & np.isnan(b))
            with np.errstate(invalid="ignore"):
                diff = np.abs(a - b) / self.mad[cont]
            out[:, cont] = np.where(same, 0.0, np.where(odd, 1.0, diff))
        if cat.any():
            out[:, cat] = Z[:, cat] != z0[cat]
        return out

    def parts(self, Z: np.ndarray, z0: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
        """DiCE's two proximity parts of each row of ``Z`` from ``z0``: the mean |Δ|/MAD over the
        continuous features and the share of categorical features changed (see :meth:`diffs`);
        None for a part without features."""
        d = self.diffs(Z, z0)
        cont, cat = self.continuous, self.categorical
        return (
            d[:, cont].mean(axis=1) if cont.any() else None,
            d[:, cat].mean(axis=1) if cat.any() else None,
        )

    def distance(self, Z: np.ndarray, z0: np.ndarray) -> np.ndarray:
        """DiCE's distance of each row of ``Z`` from ``z0``: the two parts of :meth:`parts` summed."""
        a, b = self.parts(Z, z0)
        total = np.zeros(len(Z))
        if a is not None:
            total += a
        if b is not None:
            total += b
        return total

    def cost(self, Z: np.ndarray, z0: np.ndarray) -> np.ndarray:
        """What the search minimises: :meth:`diffs` summed over the features, so a change of one
        MAD costs as much as a changed category, however many features of each kind there are
        (DiCE's averages weigh one category against one over the number of numbers), plus
        ``change_cost`` per changed feature (sparsity)."""
        d = self.diffs(Z, z0)
        return d.sum(axis=1) + self.change_cost * (d > 0).sum(axis=1)

    def spread(self, Z: np.ndarray, z0: np.ndarray) -> np.ndarray:
        """How differently each row of ``Z`` changes things from ``z0``, the diversity the search
        rewards: :meth:`diffs` capped at 1 per feature and summed, so another feature changed
        counts more than the same feature moved further."""
        return np.minimum(self.diffs(Z, z0), 1.0).sum(axis=1)

    def pairwise(self, Z: np.ndarray) -> tuple[float | None, float | None, float | None, float | None]:
        """Diversity of a set of rows, DiCE's definitions: the mean pairwise distance (and its
        continuous and categorical parts), and count diversity, the mean share of features
        that differ between two rows. None below two rows."""
        n = len(Z)
        if n < 2:
            return None, None, None, None
        i, j = np.triu_indices(n, 1)
        cont_parts, cat_parts, counts = [], [], []
        for a, b in zip(i, j, strict=True):
            pa, pb = self.parts(Z[[a]], Z[b])
            cont_parts.append(None if pa is None else float(pa[0]))
            cat_parts.append(None if pb is None else float(pb[0]))
            varied = self.continuous | self.categorical
            counts.append(float(self.changed(Z[[a]], Z[b])[0][varied].mean()))
        cont = None if cont_parts[0] is None else float(np.mean(cont_parts))
        cat = None if cat_parts[0] is None else float(np.mean(cat_parts))
        total = (cont or 0.0) + (cat or 0.0)
        return total, cont, cat, float(np.mean(counts))
