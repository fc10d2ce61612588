"""The feature catalog: every feature a logged lineage defines, and the features that two
pipelines define differently.

A feature's **definition** is what makes its values: its raw source columns (with how each enters,
as :meth:`~lifecycle_widgets.LineageGraph.fields` gives it) and its *transform fingerprint*, a
SHA-256 over the chain of transformers on its path from the raw columns, in order, each by class
name and parameters. Names of pipeline steps and branches are not part of it (renaming a step does
not change a feature), and neither is anything learned from data (an encoder's categories, a
scaler's means): two pipelines with the same parameters define the same feature.

A lineage logged with its model (``run.log_lineage(lineage, model=model)``) gives *exact*
definitions, parameters included. Without the model, the definition is read from the graph alone:
the class names and what the feature map says of each step (an imputer's strategy, a selector's
choice, a function's name), so parameters the graph does not show are not compared. Two
definitions of one name **conflict** when their graph definitions differ, or when both are exact
and their parameters differ; an exact definition and a graph-only one that agree on the graph do
not conflict.

Examples
--------
>>> import lifecycle_widgets as lw
>>> from sklearn.impute import SimpleImputer
>>> df = lw.datasets.credit(200)[["age", "income"]]
>>> imp = SimpleImputer(strategy="median").fit(df)
>>> [d.feature for d in feature_definitions(lw.lineage(imp, df), imp)]
['age', 'income']
"""

from __future__ import annotations

import hashlib
import json
import math
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from lifecycle_widgets.exceptions import ParameterError

# parameters that change how a transformer runs, never what it computes
_RUNTIME_PARAMS = {"n_jobs", "verbose", "memory", "copy"}
_TEXT_LIMIT = 300
FEATURE_COLUMNS = [
    "feature",
    "definition",
    "sources",
    "transform",
    "exact",
    "runs",
    "models",
    "first_defined",
    "conflict",
]


@dataclass(frozen=True)
class FeatureDefinition:
    """One feature as one lineage defines it.

    Parameters
    ----------
    feature : str
        The feature's name (a model input).
    definition : str
        SHA-256 of its sources and its transformer chain, parameters included when ``exact``.
    graph_definition : str
        SHA-256 of what the lineage graph alone shows (sources, class names, the feature maps'
        descriptions); equal for the same pipeline logged with or without its model.
    sources : tuple of (column, how)
        The raw columns it is computed from and how each enters.
    steps : tuple of str
        The transformers on its path, in order: their repr (non-default parameters) when exact,
        else their class names.
    exact : bool
        Whether the model was at hand, so that parameters are part of ``definition``.
    """

    feature: str
    definition: str
    graph_definition: str
    sources: tuple[tuple[str, str], ...]
    steps: tuple[str, ...]
    exact: bool


def feature_definitions(lineage: Any, model: Any = None) -> tuple[FeatureDefinition, ...]:
    """The definition of every feature of a lineage graph, exact when ``model`` (the fitted
    estimator the graph was read from) is given.

    Parameters
    ----------
    lineage : LineageGraph
        From :func:`lifecycle_widgets.lineage`.
    model : fitted scikit-learn estimator, optional
        The estimator given to ``lineage``; its steps' parameters enter the definitions.

    Returns
    -------
    tuple of FeatureDefinition
        In the graph's feature order.

    Raises
    ------
    ParameterError
        ``lineage`` is not a lineage graph, or ``model`` lacks a step the graph shows.

    Examples
    --------
    >>> import lifecycle_widgets as lw
    >>> from sklearn.impute import SimpleImputer
    >>> df = lw.datasets.credit(200)[["age", "income"]]
    >>> a = feature_definitions(lw.lineage(SimpleImputer(strategy="mean").fit(df), df))
    >>> b = feature_definitions(lw.lineage(SimpleImputer(strategy="median").fit(df), df))
    >>> a[0].definition == b[0].definition, a[0].sources
    (False, (('age', 'transformation'),))
    """
    from lifecycle_widgets.core.lineage import LineageGraph

    if not isinstance(lineage, LineageGraph):
        raise ParameterError.bad_value(
            "lineage", "feature_definitions", "a LineageGraph", type(lineage).__name__
        )
    graph = lineage
    by_id = {n.id: n for n in graph.nodes}
    resolved: dict[str, tuple[str, Any]] = {}  # step node id -> (repr text, canonical params)
    out = []
    for feature in graph.features:
        path = graph.path(f"feature:{feature}")
        step_nodes = sorted(
            (by_id[n] for n in path if n in by_id and by_id[n].kind == "step"), key=lambda n: (n.layer, n.id)
        )
        labels = [_part_label(n) for n in step_nodes]
        uses = graph.fields(feature)
        graph_body = {
            "sources": [[u.field, u.how, u.description] for u in uses],
            "steps": labels,
        }
        graph_hash = _digest(graph_body)
        steps: list[str] = labels
        definition = graph_hash
        if model is not None:
            for n in step_nodes:
                if n.id not in resolved:
                    resolved[n.id] = _describe_step(model, n)
            steps = [resolved[n.id][0] for n in step_nodes]
            definition = _digest({**graph_body, "params": [resolved[n.id][1] for n in step_nodes]})
        out.append(
            FeatureDefinition(
                feature,
                definition,
                graph_hash,
                tuple((u.field, u.how) for u in uses),
                tuple(steps),
                model is not None,
            )
        )
    return tuple(out)


def record_definitions(
    conn: sqlite3.Connection, run_id: str, definitions: Sequence[FeatureDefinition]
) -> None:
    """Replace the feature definitions of run ``run_id`` (inside the caller's transaction).

    A lineage logged again without its model (a mitigation step added to the graph, say) keeps
    the exact definitions of the features whose graph definition did not change."""
    exact = {
        feature: row
        for feature, *row in conn.execute(
            "SELECT feature, definition, graph_definition, sources, steps FROM feature_definitions "
            "WHERE run_id = ? AND exact = 1",
            (run_id,),
        )
    }
    definitions = [
        FeatureDefinition(
            d.feature,
            exact[d.feature][0],
            d.graph_definition,
            d.sources,
            tuple(json.loads(exact[d.feature][3])),
            True,
        )
        if not d.exact and d.feature in exact and exact[d.feature][1] == d.graph_definition
        else d
        for d in definitions
    ]
    conn.execute("DELETE FROM feature_definitions WHERE run_id = ?", (run_id,))
    conn.executemany(
        "INSERT INTO feature_definitions (run_id, feature, definition, graph_definition, sources, steps, exact) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            (
                run_id,
                d.feature,
                d.definition,
                d.graph_definition,
                json.dumps([list(s) for s in d.sources]),
                json.dumps(list(d.steps)),
                int(d.exact),
            )
            for d in definitions
        ],
    )


def catalog(conn: sqlite3.Connection) -> pd.DataFrame:
    """One row per feature name and definition: feature, definition, sources, transform (the
    steps joined by ``" > "``), exact, the runs and model versions (``name:version``) that define
    it, when it was first defined, and whether another definition of the name conflicts with it.

    Lineages logged before the catalog existed contribute graph-only definitions, read now."""
    runs: dict[str, str] = dict(conn.execute("SELECT id, started FROM runs").fetchall())
    models: dict[str, list[str]] = {}
    for name, version, run_id in conn.execute(
        "SELECT name, version, run_id FROM model_versions ORDER BY name, version"
    ):
        models.setdefault(run_id, []).append(f"{name}:{version}")
    rows: list[tuple[str, FeatureDefinition]] = []
    for run_id, feature, definition, graph_definition, sources, steps, exact in conn.execute(
        "SELECT run_id, feature, definition, graph_definition, sources, steps, exact FROM feature_definitions"
    ):
        d = FeatureDefinition(
            feature,
            definition,
            graph_definition,
            tuple((str(a), str(b)) for a, b in json.loads(sources)),
            tuple(json.loads(steps)),
            bool(exact),
        )
        rows.append((run_id, d))
    listed = {run_id for run_id, _ in rows}
    from lifecycle_widgets.core.lineage import LineageGraph

    for run_id, graph in conn.execute("SELECT run_id, graph FROM lineage"):
        if run_id not in listed:
            rows += [(run_id, d) for d in feature_definitions(LineageGraph.from_dict(json.loads(graph)))]
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    for run_id, d in sorted(rows, key=lambda r: (runs.get(r[0], ""), r[0], r[1].feature)):
        g = groups.setdefault(
            (d.feature, d.definition), {"d": d, "runs": [], "models": [], "first": runs.get(run_id)}
        )
        g["runs"].append(run_id)
        g["models"] += models.get(run_id, [])
    conflicting = _conflicts([g["d"] for g in groups.values()])
    frame = pd.DataFrame(
        [
            [
                d.feature,
                d.definition,
                tuple(s for s, _ in d.sources),
                " > ".join(d.steps) or "(none: the raw column)",
                d.exact,
                tuple(g["runs"]),
                tuple(g["models"]),
                g["first"],
                (d.feature, d.definition) in conflicting,
            ]
            for g in groups.values()
            for d in [g["d"]]
        ],
        columns=FEATURE_COLUMNS,
    )
    return frame.sort_values(["feature", "first_defined"], kind="stable").reset_index(drop=True)


def _conflicts(definitions: list[FeatureDefinition]) -> set[tuple[str, str]]:
    """(feature, definition) of every definition that another definition of its name contradicts."""
    by_name: dict[str, list[FeatureDefinition]] = {}
    for d in definitions:
        by_name.setdefault(d.feature, []).append(d)
    out: set[tuple[str, str]] = set()
    for same in by_name.values():
        for i, a in enumerate(same):
            for b in same[i + 1 :]:
                if a.graph_definition != b.graph_definition or (
                    a.exact and b.exact and a.definition != b.definition
                ):
                    out |= {(a.feature, a.definition), (b.feature, b.definition)}
    return out


def _digest(body: Any) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()


def _part_label(node: Any) -> str:
    """A step's label without the pipeline step and branch names the graph prefixes it with."""
    if node.id.startswith("step:"):
        return f"pandas step {node.label}"
    prefix = node.id.split(":", 1)[1] + ": " if node.id.startswith("transform:") else ""
    return node.label[len(prefix) :] if prefix and node.label.startswith(prefix) else node.label


def _describe_step(model: Any, node: Any) -> tuple[str, Any]:
    """The text and the canonical parameters of the transformer a step node of the graph drew."""
    if not node.id.startswith("transform:"):  # a pandas step (or another): its name is all that is known
        return _part_label(node), None
    step = _resolve(getattr(model, "best_estimator_", model), node.id.split(":", 1)[1])
    if isinstance(step, str) or step is None:
        return str(step or "passthrough"), str(step or "passthrough")
    text = " ".join(repr(step).split())
    text = text if len(text) <= _TEXT_LIMIT else text[: _TEXT_LIMIT - 1] + "…"
    return text, _params(step)


def _resolve(model: Any, path: str) -> Any:
    """The estimator at ``path`` (``step/branch``, as :func:`~lifecycle_widgets.lineage` names
    its boxes) of ``model``."""
    from sklearn.pipeline import Pipeline

    if isinstance(model, Pipeline):
        steps = dict(model.steps)
        head, _, rest = path.partition("/")
        if head not in steps:
            raise ParameterError(
                f"The model does not match the lineage: it has no step {head!r} (its steps are "
                f"{list(steps)}); pass the estimator the lineage was read from."
            )
        step = steps[head]
    else:
        step, rest = model, path if _branches(model) is not None else ""
    if not rest:
        return step
    branches = _branches(step)
    if branches is None or rest not in branches:
        raise ParameterError(
            f"The model does not match the lineage: {type(step).__name__} has no branch {rest!r}; "
            "pass the estimator the lineage was read from."
        )
    return branches[rest]


def _branches(est: Any) -> dict[str, Any] | None:
    """The named branches of a ColumnTransformer (fitted) or FeatureUnion; None for others."""
    if hasattr(est, "named_transformers_"):
        return dict(est.named_transformers_)
    if hasattr(est, "transformer_list"):
        return dict(est.transformer_list)
    return None


def _params(est: Any) -> dict[str, Any]:
    params = est.get_params(deep=True)
    return {k: _plain(v) for k, v in sorted(params.items()) if k.rsplit("__", 1)[-1] not in _RUNTIME_PARAMS}


def _plain(value: Any, depth: int = 0) -> Any:
    """A parameter value as stable JSON: estimators by class (their own parameters are listed
    beside them), functions by qualified name, never a memory address."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)
    if isinstance(value, np.generic):
        return _plain(value.item(), depth)
    if isinstance(value, np.ndarray):
        return [_plain(v, depth) for v in value.tolist()]
    if isinstance(value, list | tuple):
        return [_plain(v, depth) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v, depth) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, type):
        return f"{value.__module__}.{value.__qualname__}"
    name = f"{type(value).__module__}.{type(value).__qualname__}"
    if hasattr(value, "get_params"):
        return {"class": name}
    if callable(value) and hasattr(value, "__qualname__"):
        return f"{getattr(value, '__module__', '')}.{value.__qualname__}"
    if hasattr(value, "__dict__") and depth < 3:
        return {"class": name, **{str(k): _plain(v, depth + 1) for k, v in sorted(vars(value).items())}}
    return name
