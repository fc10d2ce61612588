"""Feature lineage: raw columns, through each transformation, to the model's features.

``lineage(model, X)`` reads a fitted scikit-learn estimator: a Pipeline, a ColumnTransformer, a
FeatureUnion, any transformer, or a bare model. Pandas steps the user marks with
:class:`LineageRecorder` come before it. Each output feature maps to exactly the raw columns it is
computed from, through the transformers' fitted attributes
(:mod:`lifecycle_widgets.core.lineage_sklearn`), with how each column enters it (identity,
transformation, mixing). The graph exports as OpenLineage run events with the column-lineage facet.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import pandas as pd

from lifecycle_widgets.core.lineage_sklearn import FeatureOrigin, FieldUse, compose, step_parts
from lifecycle_widgets.core.openlineage import (
    DEFAULT_NAMESPACE,
    DataSource,
    field_types,
    new_run_id,
    run_event,
)
from lifecycle_widgets.core.result import Result
from lifecycle_widgets.exceptions import ParameterError


@dataclass(frozen=True)
class Node:
    """A column, a step or the model. ``layer`` orders the graph from left (raw) to right (model).

    ``inputs`` of a column or feature: the step that made it and exactly the nodes it is computed
    from (a step's other inputs are not among them), so a feature's path is exact.
    """

    id: str
    label: str
    kind: str  # "raw", "step", "feature", "model", "column"
    layer: int
    detail: str = ""
    fingerprint: str | None = None
    inputs: tuple[str, ...] = ()


@dataclass(frozen=True)
class Edge:
    source: str
    target: str


@dataclass(frozen=True)
class LineageGraph(Result):
    """Nodes and edges from raw columns to the model, and each feature's raw sources.

    Examples
    --------
    >>> import lifecycle_widgets as lw
    >>> from sklearn.compose import ColumnTransformer
    >>> from sklearn.preprocessing import OneHotEncoder, StandardScaler
    >>> df = lw.datasets.credit(200)
    >>> ct = ColumnTransformer([("num", StandardScaler(), ["age"]), ("cat", OneHotEncoder(), ["region"])])
    >>> lin = lw.lineage(ct.fit(df), df)
    >>> lin.sources("cat__region_north")
    ('region',)
    """

    kind: ClassVar[str] = "lineage"

    name: str
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    features: tuple[str, ...]
    feature_sources: dict[str, tuple[str, ...]]
    raw_columns: tuple[str, ...]
    input_fingerprint: str | None = None
    feature_fields: dict[str, tuple[FieldUse, ...]] = field(default_factory=dict)
    raw_types: dict[str, str] = field(default_factory=dict)
    feature_types: dict[str, str] = field(default_factory=dict)
    source: DataSource | None = None

    def sources(self, feature: str) -> tuple[str, ...]:
        """The raw columns a model feature comes from, in the raw data's column order.

        Examples
        --------
        >>> import lifecycle_widgets as lw
        >>> from sklearn.preprocessing import PolynomialFeatures
        >>> df = lw.datasets.credit(50)[["age", "n_accounts"]]
        >>> lw.lineage(PolynomialFeatures(2).fit(df), df).sources("age n_accounts")
        ('age', 'n_accounts')
        """
        self._check_feature(feature)
        return self.feature_sources[feature]

    def fields(self, feature: str) -> tuple[FieldUse, ...]:
        """How each raw column enters ``feature``: ``identity``, ``transformation`` or ``mixing``,
        with the chain of steps that made it.

        Examples
        --------
        >>> import lifecycle_widgets as lw
        >>> from sklearn.decomposition import PCA
        >>> df = lw.datasets.credit(50)[["age", "n_accounts"]]
        >>> [(u.field, u.how) for u in lw.lineage(PCA(1).fit(df), df).fields("pca0")]
        [('age', 'mixing'), ('n_accounts', 'mixing')]
        """
        self._check_feature(feature)
        if feature in self.feature_fields:
            return self.feature_fields[feature]
        # a graph stored before fields were recorded: the sources, manner unknown
        return tuple(FieldUse(c, "mixing", "") for c in self.feature_sources[feature])

    def to_frame(self) -> pd.DataFrame:
        """One row per model feature and raw column it comes from, in the features' order:
        feature, source, how (``identity``, ``transformation`` or ``mixing``, as :meth:`fields`
        gives it) and description (what the steps do to it).

        Examples
        --------
        >>> import lifecycle_widgets as lw
        >>> from sklearn.decomposition import PCA
        >>> df = lw.datasets.credit(50)[["age", "n_accounts"]]
        >>> lw.lineage(PCA(1).fit(df), df).to_frame()[["feature", "source", "how"]]
          feature      source     how
        0    pca0         age  mixing
        1    pca0  n_accounts  mixing
        """
        return pd.DataFrame(
            [
                {"feature": feature, "source": use.field, "how": use.how, "description": use.description}
                for feature in self.features
                for use in self.fields(feature)
            ],
            columns=["feature", "source", "how", "description"],
        )

    def _check_feature(self, feature: str) -> None:
        if feature not in self.feature_sources:
            raise ParameterError(
                f"{feature!r} is not a feature of this lineage; features are {list(self.features)[:20]}."
            )

    def path(self, node_id: str) -> tuple[str, ...]:
        """Every node upstream of ``node_id`` (itself included): for a feature, exactly the
        columns it is computed from and the steps that made them.

        Examples
        --------
        >>> import lifecycle_widgets as lw
        >>> from sklearn.compose import ColumnTransformer
        >>> from sklearn.preprocessing import PolynomialFeatures
        >>> df = lw.datasets.credit(50)
        >>> ct = ColumnTransformer([("poly", PolynomialFeatures(2), ["age", "n_accounts", "late_payments"])]).fit(df)
        >>> sorted(n for n in lw.lineage(ct, df).path("feature:poly__age^2") if n.startswith("raw:"))
        ['raw:age']
        """
        parents: dict[str, list[str]] = {}
        for e in self.edges:
            parents.setdefault(e.target, []).append(e.source)
        by_id = {n.id: n for n in self.nodes}
        seen: list[str] = []
        todo = [(node_id, True)]
        while todo:
            n, expand = todo.pop()
            if n in seen:
                continue
            seen.append(n)
            node = by_id.get(n)
            if not expand:
                continue
            if node is not None and node.inputs:
                # the step that made it, not expanded: its other inputs did not feed this node
                todo += [(p, p not in by_id or by_id[p].kind != "step") for p in node.inputs]
            else:
                todo += [(p, True) for p in parents.get(n, [])]
        return tuple(seen)

    def openlineage(
        self,
        *,
        event_type: str = "COMPLETE",
        source: Any = None,
        output: Any = None,
        job: str | None = None,
        namespace: str = DEFAULT_NAMESPACE,
        run_id: str | None = None,
        event_time: str | None = None,
        error: BaseException | None = None,
    ) -> dict[str, Any]:
        """An OpenLineage run event: the raw data as the input dataset (named by ``source``,
        with field types), the feature matrix as the output dataset with the column-lineage
        facet (each input field with its transformation type). See
        :func:`lifecycle_widgets.core.openlineage.run_event` for every parameter; ``source``
        defaults to the one given to :func:`lineage`, ``job`` to the graph's name.

        Examples
        --------
        >>> import lifecycle_widgets as lw
        >>> from sklearn.preprocessing import OneHotEncoder
        >>> df = lw.datasets.credit(100)[["region"]]
        >>> lin = lw.lineage(OneHotEncoder().fit(df), df, source=("s3://risk", "credit/train.parquet"))
        >>> event = lin.openlineage(job="encode-regions")
        >>> field = event["outputs"][0]["facets"]["columnLineage"]["fields"]["region_north"]["inputFields"][0]
        >>> field["namespace"], field["name"], field["field"], field["transformations"][0]["type"]
        ('s3://risk', 'credit/train.parquet', 'region', 'DIRECT')
        """
        return run_event(
            event_type,
            job=job or self.name,
            run_id=run_id or new_run_id(),
            lineage=self,
            source=source,
            output=output,
            namespace=namespace,
            error=error,
            event_time=event_time,
        )

    def __repr__(self) -> str:
        return f"<LineageGraph {self.name}: {len(self.raw_columns)} raw columns -> {len(self.features)} features>"


# --- pandas steps the user marks ----------------------------------------------------------------


@dataclass(frozen=True)
class StepRecord:
    """What one marked pandas step did to the columns."""

    name: str
    input_fingerprint: str
    output_fingerprint: str
    added: tuple[str, ...]
    removed: tuple[str, ...]
    changed: tuple[str, ...]
    uses: dict[str, tuple[str, ...]]
    input_columns: tuple[str, ...] = ()
    input_types: dict[str, str] = field(default_factory=dict)


def _column_hashes(df: pd.DataFrame) -> dict[str, int]:
    return {str(c): int(pd.util.hash_pandas_object(df[c], index=False).sum()) for c in df.columns}


def _frame_sha256(df: pd.DataFrame) -> str:
    from lifecycle_widgets.core.ingest import collect, fingerprint

    return fingerprint(collect(df, sample_size=0, progress=False)[1]).sha256


@dataclass
class LineageRecorder:
    """Records pandas steps: input and output fingerprints, and the columns each step added,
    removed or changed. Mark a function with :meth:`step`.

    Examples
    --------
    >>> import lifecycle_widgets as lw
    >>> rec = lw.LineageRecorder()
    >>> @rec.step("debt per account", uses={"debt_per_account": ["debt_ratio", "n_accounts"]})
    ... def add_ratio(df):
    ...     return df.assign(debt_per_account=df["debt_ratio"] / (df["n_accounts"] + 1))
    >>> out = add_ratio(lw.datasets.credit(100))
    >>> rec.steps[0].added
    ('debt_per_account',)
    """

    steps: list[StepRecord] = field(default_factory=list)

    def step(self, name: str, *, uses: dict[str, list[str]] | None = None) -> Callable[[Callable], Callable]:
        """Decorate a function ``DataFrame -> DataFrame``; ``uses`` says which input columns each
        added or changed column is computed from (default: every input column)."""

        def decorate(fn: Callable[..., pd.DataFrame]) -> Callable[..., pd.DataFrame]:
            @functools.wraps(fn)
            def wrapper(df: pd.DataFrame, *args: Any, **kwargs: Any) -> pd.DataFrame:
                out = fn(df, *args, **kwargs)
                self.record(name, df, out, uses=uses)
                return out

            return wrapper

        return decorate

    def record(
        self,
        name: str,
        before: pd.DataFrame,
        after: pd.DataFrame,
        *,
        uses: dict[str, list[str]] | None = None,
    ) -> StepRecord:
        """Record a step from its input and output frames."""
        if not isinstance(after, pd.DataFrame):
            raise ParameterError(
                f"Lineage step {name!r} must return a DataFrame; it returned {type(after).__name__}."
            )
        hb, ha = _column_hashes(before), _column_hashes(after)
        added = tuple(c for c in ha if c not in hb)
        removed = tuple(c for c in hb if c not in ha)
        changed = tuple(c for c in ha if c in hb and ha[c] != hb[c])
        given = {k: tuple(v) for k, v in (uses or {}).items()}
        for col, src in given.items():
            missing = [s for s in src if s not in hb]
            if missing:
                raise ParameterError(
                    f"Lineage step {name!r}: {col!r} is said to use {missing}, which the input lacks."
                )
        deps = {c: given.get(c, tuple(hb)) for c in (*added, *changed)}
        rec = StepRecord(
            name,
            _frame_sha256(before),
            _frame_sha256(after),
            added,
            removed,
            changed,
            deps,
            tuple(hb),
            field_types(before),
        )
        self.steps.append(rec)
        return rec


# --- scikit-learn --------------------------------------------------------------------------------


def _fitted_model(model: Any) -> Any:
    """The estimator to read: a search's refitted best estimator, checked to be fitted."""
    from sklearn.exceptions import NotFittedError
    from sklearn.utils.validation import check_is_fitted

    model = getattr(model, "best_estimator_", model)
    if not (hasattr(model, "fit") and hasattr(model, "get_params")):
        raise ParameterError.bad_value(
            "model", "lineage", "a fitted scikit-learn estimator", type(model).__name__
        )
    try:
        check_is_fitted(model)
    except NotFittedError as err:
        raise ParameterError(
            f"The 'model' parameter of lineage must be fitted; this {type(model).__name__} is not. Call fit first."
        ) from err
    return model


def _model_inputs(model: Any, columns: list[str]) -> tuple[str, ...]:
    """The columns the model reads: ``feature_names_in_``, else all of X when the count matches."""
    names = getattr(model, "feature_names_in_", None)
    if names is not None:
        return tuple(str(c) for c in names)
    n = getattr(model, "n_features_in_", None)
    if n is not None and n != len(columns):
        raise ParameterError(
            f"The model was fitted on {n} unnamed features, but X has {len(columns)} columns; "
            "pass the frame it was fitted on."
        )
    return tuple(columns)


def _is_predictor(step: Any) -> bool:
    return hasattr(step, "predict") or not hasattr(step, "transform")


def lineage(
    model: Any,
    X: pd.DataFrame,
    *,
    steps: LineageRecorder | None = None,
    name: str | None = None,
    source: Any = None,
) -> LineageGraph:
    """The lineage of a fitted scikit-learn estimator on ``X``, after recorded pandas ``steps``.

    Every output feature maps exactly to the raw columns it is computed from: one-hot outputs to
    their column (``drop``, infrequent categories), imputed values and missing indicators to
    their own column, polynomial terms to their factors (``powers_``), selectors keep what
    ``get_support()`` keeps, PCA and TruncatedSVD outputs mix every input, FunctionTransformer
    maps as its ``feature_names_out`` declares; Pipeline, ColumnTransformer (``remainder``,
    ``verbose_feature_names_out=False``) and FeatureUnion nest to any depth. A bare model's
    features are its ``feature_names_in_``. See :mod:`lifecycle_widgets.core.lineage_sklearn`.

    Parameters
    ----------
    model : fitted scikit-learn estimator
        A Pipeline, a transformer (ColumnTransformer, FeatureUnion, ...) or a model; a fitted
        search (``GridSearchCV``) stands for its ``best_estimator_``.
    X : pandas.DataFrame
        The data the model reads (after the recorded pandas steps).
    steps : LineageRecorder, optional
        Pandas steps that made ``X`` from the raw data; raw columns are then the first step's
        input columns, else ``X``'s.
    name : str, optional
        The graph's name (default: the final estimator's class name).
    source : DataSource, (namespace, name), path or URI, optional
        Where the raw data lives, as OpenLineage names datasets
        (:class:`~lifecycle_widgets.core.openlineage.DataSource`); the OpenLineage export names
        its input dataset after it.

    Returns
    -------
    LineageGraph

    Examples
    --------
    >>> import lifecycle_widgets as lw
    >>> from sklearn.impute import SimpleImputer
    >>> df = lw.datasets.credit(200)[["age", "income"]].assign(income=lambda d: d.income.where(d.age > 30))
    >>> lin = lw.lineage(SimpleImputer(add_indicator=True).fit(df), df)
    >>> lin.features, lin.sources("missingindicator_income")
    (('age', 'income', 'missingindicator_income'), ('income',))
    """
    if not isinstance(X, pd.DataFrame):
        raise ParameterError.bad_value("X", "lineage", "a pandas DataFrame", type(X).__name__)
    if steps is not None and not isinstance(steps, LineageRecorder):
        raise ParameterError.bad_value("steps", "lineage", "a LineageRecorder or None", type(steps).__name__)
    model = _fitted_model(model)
    data_source = DataSource.of(source) if source is not None else None
    columns = [str(c) for c in X.columns]
    nodes: list[Node] = []
    edges: list[Edge] = []
    current: dict[str, str] = {}  # column -> node id carrying it now
    origins: dict[str, FeatureOrigin] = {}  # node id -> the raw fields it comes from
    records = steps.steps if steps is not None else []
    raw = list(records[0].input_columns) if records else list(columns)
    for c in raw:
        current[c] = f"raw:{c}"
        nodes.append(Node(current[c], c, "raw", 0))
        origins[current[c]] = FeatureOrigin(c, (FieldUse(c, "identity", ""),))

    def through(made: Sequence[FeatureOrigin], read: dict[str, str]) -> tuple[FeatureOrigin, ...]:
        """``made`` (origins over the names in ``read``) in terms of raw columns."""
        return compose([FeatureOrigin(n, origins[i].inputs) for n, i in read.items()], made)

    layer = 1
    for r in records:
        step_id = f"step:{r.name}"
        nodes.append(
            Node(
                step_id,
                r.name,
                "step",
                layer,
                f"added {list(r.added)}, changed {list(r.changed)}, removed {list(r.removed)}",
                r.output_fingerprint,
            )
        )
        for col, deps in r.uses.items():
            read = {d: current[d] for d in deps if d in current}
            edges += [Edge(i, step_id) for i in read.values()]
            col_id = f"col:{r.name}:{col}"
            nodes.append(
                Node(
                    col_id, col, "column", layer + 1, f"from step {r.name}", inputs=(step_id, *read.values())
                )
            )
            edges.append(Edge(step_id, col_id))
            made = FeatureOrigin(
                col, tuple(FieldUse(d, "transformation", f"pandas step {r.name}") for d in read)
            )
            origins[col_id] = through([made], read)[0]
            current[col] = col_id
        for col in r.removed:
            current.pop(col, None)
        layer += 2

    # scikit-learn part: each transforming step is a layer of boxes, its outputs the next layer
    from sklearn.pipeline import Pipeline

    chain = (
        [(n, s) for n, s in model.steps if s is not None and not (isinstance(s, str) and s == "passthrough")]
        if isinstance(model, Pipeline)
        else [(None, model)]
    )
    final = chain[-1][1]
    transformers = chain[:-1] if _is_predictor(final) else chain
    inputs = _model_inputs(model, columns)
    unknown = [c for c in inputs if c not in current]
    if unknown:
        raise ParameterError(
            f"The model reads columns {unknown[:20]}, which {'the recorded steps do not make' if records else 'X lacks'}; "
            f"columns are {list(current)[:20]}."
        )
    read = {c: current[c] for c in inputs}
    for i, (step_name, step) in enumerate(transformers):
        last = i == len(transformers) - 1
        parts = step_parts(step, step_name or type(step).__name__, tuple(read))
        made: dict[str, str] = {}
        for part in parts:
            branch = len(parts) > 1 or part.name != (step_name or type(step).__name__)
            path = "/".join(p for p in (step_name, part.name if branch else None) if p) or part.name
            part_id = f"transform:{path}"
            label = f"{path}: {part.label}" if path != part.label else part.label
            nodes.append(
                Node(part_id, label, "step", layer, f"{len(part.reads)} columns in, {len(part.origins)} out")
            )
            edges += [Edge(read[c], part_id) for c in part.reads]
            for o, raw_o in zip(part.origins, through(part.origins, read), strict=True):
                out_id = f"feature:{o.feature}" if last else f"col:{path}:{o.feature}"
                detail = "from " + (", ".join(o.sources) or "no input (a constant)")
                nodes.append(
                    Node(
                        out_id,
                        o.feature,
                        "feature" if last else "column",
                        layer + 1,
                        detail,
                        inputs=(part_id, *(read[u.field] for u in o.inputs)),
                    )
                )
                edges.append(Edge(part_id, out_id))
                origins[out_id] = raw_o
                made[o.feature] = out_id
        read = made
        layer += 2
    if not transformers:  # a bare model: its features are the columns it reads
        for c in inputs:
            nodes.append(Node(f"feature:{c}", c, "feature", layer, inputs=(read[c],)))
            edges.append(Edge(read[c], f"feature:{c}"))
            origins[f"feature:{c}"] = origins[read[c]]
        read = {c: f"feature:{c}" for c in inputs}
        layer += 1
    features = list(read)
    if _is_predictor(final):
        nodes.append(Node("model", type(final).__name__, "model", layer))
        edges += [Edge(read[f], "model") for f in features]
    position = {c: k for k, c in enumerate(raw)}
    fields = {
        f: tuple(sorted(origins[read[f]].inputs, key=lambda u: position.get(u.field, len(position))))
        for f in features
    }
    raw_types = records[0].input_types if records else field_types(X)
    return LineageGraph(
        name or type(final).__name__,
        tuple(nodes),
        tuple(edges),
        tuple(features),
        {f: tuple(u.field for u in fields[f]) for f in features},
        tuple(raw),
        _frame_sha256(X) if len(X) <= 5_000_000 else None,
        fields,
        {c: raw_types[c] for c in raw if c in raw_types},
        _feature_types(model if transformers == chain else model[:-1], X, features)
        if transformers
        else field_types(X[features]),
        data_source,
    )


def _feature_types(transformer: Any, X: pd.DataFrame, features: list[str]) -> dict[str, str]:
    """Each feature's dtype, read from transforming two rows; empty when they cannot be transformed."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = transformer.transform(X.head(2))
    except Exception:  # types only describe the features: a step that refuses two rows leaves them unknown
        return {}
    if isinstance(out, pd.DataFrame):
        types = [str(t) for t in out.dtypes]
    else:
        types = [str(out.dtype)] * (out.shape[1] if len(getattr(out, "shape", ())) == 2 else 0)
    return dict(zip(features, types, strict=True)) if len(types) == len(features) else {}
