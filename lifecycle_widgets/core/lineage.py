"""Feature lineage: raw columns, through each transformation, to the model's features.

``lineage(pipeline, X)`` reads a fitted scikit-learn Pipeline or ColumnTransformer; pandas steps
the user marks with :class:`LineageRecorder` come before it. The graph exports as OpenLineage run
events with the column-lineage facet.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from lifecycle_widgets.core.result import Result
from lifecycle_widgets.exceptions import ParameterError

PRODUCER = "https://github.com/OWNER/lifecycle_widgets"
OPENLINEAGE_SCHEMA = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"
COLUMN_LINEAGE_SCHEMA = (
    "https://openlineage.io/spec/facets/1-2-0/ColumnLineageDatasetFacet.json#/$defs/ColumnLineageDatasetFacet"
)
SCHEMA_FACET = "https://openlineage.io/spec/facets/1-1-1/SchemaDatasetFacet.json#/$defs/SchemaDatasetFacet"


@dataclass(frozen=True)
class Node:
    """A column, a step or the model. ``layer`` orders the graph from left (raw) to right (model)."""

    id: str
    label: str
    kind: str  # "raw", "step", "feature", "model", "column"
    layer: int
    detail: str = ""
    fingerprint: str | None = None


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

    def sources(self, feature: str) -> tuple[str, ...]:
        """The raw columns a model feature comes from."""
        if feature not in self.feature_sources:
            raise ParameterError(
                f"{feature!r} is not a feature of this lineage; features are {list(self.features)[:20]}."
            )
        return self.feature_sources[feature]

    def path(self, node_id: str) -> tuple[str, ...]:
        """Every node upstream of ``node_id`` (itself included)."""
        parents: dict[str, list[str]] = {}
        for e in self.edges:
            parents.setdefault(e.target, []).append(e.source)
        seen, todo = [], [node_id]
        while todo:
            n = todo.pop()
            if n not in seen:
                seen.append(n)
                todo += parents.get(n, [])
        return tuple(seen)

    def openlineage(
        self,
        *,
        namespace: str = "lifecycle_widgets",
        run_id: str | None = None,
        event_time: str | None = None,
    ) -> dict[str, Any]:
        """An OpenLineage ``COMPLETE`` run event: the raw data as input, the model's feature
        matrix as output, with the column-lineage facet mapping each feature to raw columns."""
        now = event_time or datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        facet_base = {"_producer": PRODUCER}
        fields = {
            feature: {
                "inputFields": [
                    {"namespace": namespace, "name": f"{self.name}.input", "field": raw}
                    for raw in self.feature_sources[feature]
                ]
            }
            for feature in self.features
        }
        return {
            "eventType": "COMPLETE",
            "eventTime": now,
            "run": {"runId": run_id or str(uuid.uuid4())},
            "job": {"namespace": namespace, "name": self.name},
            "inputs": [
                {
                    "namespace": namespace,
                    "name": f"{self.name}.input",
                    "facets": {
                        "schema": {
                            **facet_base,
                            "_schemaURL": SCHEMA_FACET,
                            "fields": [{"name": c} for c in self.raw_columns],
                        }
                    },
                }
            ],
            "outputs": [
                {
                    "namespace": namespace,
                    "name": f"{self.name}.features",
                    "facets": {
                        "schema": {
                            **facet_base,
                            "_schemaURL": SCHEMA_FACET,
                            "fields": [{"name": f} for f in self.features],
                        },
                        "columnLineage": {
                            **facet_base,
                            "_schemaURL": COLUMN_LINEAGE_SCHEMA,
                            "fields": fields,
                        },
                    },
                }
            ],
            "producer": PRODUCER,
            "schemaURL": OPENLINEAGE_SCHEMA,
        }

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
            name, _frame_sha256(before), _frame_sha256(after), added, removed, changed, deps, tuple(hb)
        )
        self.steps.append(rec)
        return rec


# --- scikit-learn --------------------------------------------------------------------------------


def _column_transformer_map(ct: Any, columns: list[str]) -> list[tuple[str, str, list[str], list[str]]]:
    """(transformer name, transformer class, input columns, output feature names) per transformer."""
    out = []
    names = [str(n) for n in ct.get_feature_names_out()]
    position = 0
    for name, trans, cols in ct.transformers_:
        if trans == "drop":
            continue
        cols = [columns[c] if isinstance(c, int | np.integer) else str(c) for c in np.atleast_1d(cols)]
        if not cols:
            continue
        if trans == "passthrough":
            width = len(cols)
            label = "passthrough"
        else:
            width = len(trans.get_feature_names_out(cols))
            steps = getattr(trans, "steps", None)
            label = " > ".join(type(s).__name__ for _, s in steps) if steps else type(trans).__name__
        out.append((name, label, cols, names[position : position + width]))
        position += width
    return out


def _sources_for(trans: Any, cols: list[str], outputs: list[str]) -> dict[str, tuple[str, ...]]:
    if len(cols) == 1:
        return {o: (cols[0],) for o in outputs}
    if len(cols) == len(outputs):
        return {o: (c,) for o, c in zip(outputs, cols, strict=True)}
    last = trans.steps[-1][1] if hasattr(trans, "steps") else trans
    categories = getattr(last, "categories_", None)
    if categories is not None:
        drop = getattr(last, "drop_idx_", None)
        out, i = {}, 0
        for j, (col, cats) in enumerate(zip(cols, categories, strict=True)):
            n = len(cats) - (0 if drop is None or drop[j] is None else 1)
            for o in outputs[i : i + n]:
                out[o] = (col,)
            i += n
        if i == len(outputs):
            return out
    return {o: tuple(cols) for o in outputs}  # mixes its inputs: every input is a source


def lineage(
    model: Any, X: pd.DataFrame, *, steps: LineageRecorder | None = None, name: str | None = None
) -> LineageGraph:
    """The lineage of a fitted Pipeline / ColumnTransformer on ``X``, after recorded pandas ``steps``.

    Raw columns are those of the data before the first recorded step (or ``X``).
    """
    if not isinstance(X, pd.DataFrame):
        raise ParameterError.bad_value("X", "lineage", "a pandas DataFrame", type(X).__name__)
    columns = [str(c) for c in X.columns]
    nodes: list[Node] = []
    edges: list[Edge] = []
    # pandas steps first
    current: dict[str, str] = {}  # column -> node id carrying it now
    records = steps.steps if steps is not None else []
    raw = list(records[0].input_columns) if records else list(columns)
    for c in raw:
        nodes.append(Node(f"raw:{c}", c, "raw", 0))
        current[c] = f"raw:{c}"
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
            for d in deps:
                if d in current:
                    edges.append(Edge(current[d], step_id))
            col_id = f"col:{r.name}:{col}"
            nodes.append(Node(col_id, col, "column", layer + 1, f"from step {r.name}"))
            edges.append(Edge(step_id, col_id))
            current[col] = col_id
        for col in r.removed:
            current.pop(col, None)
        layer += 2
    # scikit-learn part
    steps_list = getattr(model, "steps", None)
    final = steps_list[-1][1] if steps_list else model
    head = steps_list[0][1] if steps_list else model
    is_estimator = hasattr(final, "predict")
    ct = head if hasattr(head, "transformers_") else None
    features: list[str] = []
    sources: dict[str, tuple[str, ...]] = {}

    def raw_of(col: str) -> tuple[str, ...]:
        node = current.get(col)
        if node is None:
            return (col,)
        found = [n[4:] for n in _upstream(edges, node) if n.startswith("raw:")]
        return tuple(sorted(set(found))) or (col,)

    if ct is not None:
        for tname, label, cols, outs in _column_transformer_map(ct, columns):
            t_id = f"transform:{tname}"
            nodes.append(
                Node(t_id, f"{tname}: {label}", "step", layer, f"{len(cols)} columns in, {len(outs)} out")
            )
            for c in cols:
                if c not in current:
                    raise ParameterError(
                        f"The pipeline uses column {c!r}, which the data lacks; columns are {columns[:20]}."
                    )
                edges.append(Edge(current[c], t_id))
            trans = dict((n, t) for n, t, _ in ct.transformers_)[tname]
            direct = (
                _sources_for(trans, cols, outs)
                if trans != "passthrough"
                else {o: (c,) for o, c in zip(outs, cols, strict=True)}
            )
            for o in outs:
                nodes.append(Node(f"feature:{o}", o, "feature", layer + 1, f"from {', '.join(direct[o])}"))
                edges.append(Edge(t_id, f"feature:{o}"))
                features.append(o)
                sources[o] = tuple(sorted({r for c in direct[o] for r in raw_of(c)}))
        layer += 2
    else:
        names = getattr(final, "feature_names_in_", None)
        names = columns if names is None else list(names)
        for o in map(str, names):
            nodes.append(Node(f"feature:{o}", o, "feature", layer))
            edges.append(Edge(current.get(o, f"raw:{o}"), f"feature:{o}"))
            features.append(o)
            sources[o] = raw_of(o)
        layer += 1
    if is_estimator:
        model_name = (
            " > ".join(type(s).__name__ for _, s in steps_list[1:])
            if steps_list and ct is not None
            else type(final).__name__
        )
        nodes.append(Node("model", model_name, "model", layer))
        edges += [Edge(f"feature:{f}", "model") for f in features]
    return LineageGraph(
        name or type(final).__name__,
        tuple(nodes),
        tuple(edges),
        tuple(features),
        sources,
        tuple(raw),
        _frame_sha256(X) if len(X) <= 5_000_000 else None,
    )


def _upstream(edges: list[Edge], node: str) -> list[str]:
    parents: dict[str, list[str]] = {}
    for e in edges:
        parents.setdefault(e.target, []).append(e.source)
    seen, todo = [], [node]
    while todo:
        n = todo.pop()
        if n not in seen:
            seen.append(n)
            todo += parents.get(n, [])
    return seen
