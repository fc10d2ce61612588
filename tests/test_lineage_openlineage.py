"""OpenLineage export: START, COMPLETE and FAIL events sent through openlineage-python's HTTP
transport to a receiver on 127.0.0.1, and every event rebuilt with the official client's classes.

The rebuild is generic (attrs fields and type hints of openlineage-python's generated classes), so
it shares nothing with the package's own conversion: a field the spec does not have, a wrong type,
a bad run id or time, or a schema URL other than the client's own fails it.
"""

from __future__ import annotations

import gzip
import importlib.metadata
import json
import sys
import threading
import types
import typing
import uuid
from collections.abc import Iterator
from enum import Enum
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.decomposition import PCA
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

import lifecycle_widgets as lw
from lifecycle_widgets.core import openlineage as ol

try:
    import attr
    from openlineage.client import event_v2
    from openlineage.client.generated import (
        column_lineage_dataset,
        error_message_run,
        job_type_job,
        processing_engine_run,
        schema_dataset,
        tags_job,
        tags_run,
    )
    from openlineage.client.generated.base import BaseFacet, JobFacet, RunFacet
    from openlineage.client.naming.dataset import Postgres
    from openlineage.client.serde import Serde
except ImportError as err:  # a failure, not a skip: the export is only proven against the client
    raise ImportError(
        "tests/test_lineage_openlineage.py validates events with openlineage-python, which is not "
        'installed. Install the extra: pip install "lifecycle_widgets[openlineage]"'
    ) from err

FACETS = {  # the facet keys the spec's own integrations use
    "schema": schema_dataset.SchemaDatasetFacet,
    "columnLineage": column_lineage_dataset.ColumnLineageDatasetFacet,
    "errorMessage": error_message_run.ErrorMessageRunFacet,
    "processing_engine": processing_engine_run.ProcessingEngineRunFacet,
    "jobType": job_type_job.JobTypeJobFacet,
}
TAGS = {RunFacet: tags_run.TagsRunFacet, JobFacet: tags_job.TagsJobFacet}  # the client adds its own tags


def rebuild(tp: Any, data: Any, where: str = "event") -> Any:
    """Build ``data`` as openlineage-python's class ``tp``, following its attrs fields and type
    hints; unknown keys, missing required fields and failed validators raise."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        (inner,) = [a for a in typing.get_args(tp) if a is not type(None)]
        return rebuild(inner, data, where)
    if origin is list:
        (item,) = typing.get_args(tp)
        return [rebuild(item, v, f"{where}[{i}]") for i, v in enumerate(data)]
    if origin is dict:
        _, value_type = typing.get_args(tp)
        if isinstance(value_type, type) and issubclass(value_type, BaseFacet):
            known = {**FACETS, **({"tags": TAGS[value_type]} if value_type in TAGS else {})}
            assert set(data) <= set(known), f"{where}: facets {set(data) - set(known)} are not known"
            return {k: rebuild(known[k], v, f"{where}.{k}") for k, v in data.items()}
        return {k: rebuild(value_type, v, f"{where}.{k}") for k, v in data.items()}
    if isinstance(tp, type) and issubclass(tp, Enum):
        return tp(data)
    if isinstance(tp, type) and attr.has(tp):
        assert isinstance(data, dict), f"{where}: {tp.__name__} expects an object"
        hints = typing.get_type_hints(tp)
        fields = {a.name: a for a in attr.fields(tp)}
        unknown = set(data) - set(fields)
        assert not unknown, f"{where}: {tp.__name__} has no fields {sorted(unknown)}"
        obj = tp(
            **{
                fields[k].alias: rebuild(hints[k], v, f"{where}.{k}")
                for k, v in data.items()
                if fields[k].init
            }
        )
        for k, v in data.items():
            if not fields[k].init:  # schema URLs: the client's own for this class
                assert getattr(obj, k) == v, f"{where}.{k}: {v!r}, the client says {getattr(obj, k)!r}"
        return obj
    return data


def _without_empty(value: Any) -> Any:
    if isinstance(value, dict):
        kept = {k: _without_empty(v) for k, v in value.items()}
        return {k: v for k, v in kept.items() if v not in ([], {}, None)}
    if isinstance(value, list):
        return [_without_empty(v) for v in value]
    return value


def validated(event: dict[str, Any]) -> event_v2.RunEvent:
    """The event as the client's RunEvent; the client writes it back unchanged."""
    built = rebuild(event_v2.RunEvent, event)
    assert _without_empty(Serde.to_dict(built)) == _without_empty(event)
    return built


@pytest.fixture
def receiver(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """An OpenLineage HTTP endpoint on 127.0.0.1 that records what is posted to it."""
    monkeypatch.setenv(
        "NO_PROXY", "127.0.0.1,localhost"
    )  # never through a proxy: no network beyond this host
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    received: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            if self.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            received.append({"path": self.path, "headers": dict(self.headers), "event": json.loads(body)})
            self.send_response(201)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", received
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture(scope="module")
def data() -> tuple[pd.DataFrame, pd.Series]:
    df = lw.datasets.credit(400, seed=3)
    X = df[["age", "income", "n_accounts", "region"]]
    return X, df["defaulted"]


def _pipeline() -> Any:
    return make_pipeline(
        ColumnTransformer(
            [
                (
                    "num",
                    make_pipeline(SimpleImputer(add_indicator=True), StandardScaler()),
                    ["age", "income"],
                ),
                ("cat", OneHotEncoder(handle_unknown="ignore"), ["region"]),
            ],
            remainder="passthrough",
        ),
        LogisticRegression(max_iter=1000),
    )


SOURCE = ol.DataSource("postgres://db.example.com:5432", "risk.public.credit")


def _transformation(event: dict[str, Any], feature: str) -> dict[str, Any]:
    (field,) = event["outputs"][0]["facets"]["columnLineage"]["fields"][feature]["inputFields"]
    (transformation,) = field["transformations"]
    return {**field, **transformation}


def test_a_run_sends_start_then_complete_to_the_http_endpoint(receiver, data) -> None:
    url, received = receiver
    X, y = data
    emitter = ol.OpenLineageEmitter(url, namespace="credit-team")
    with emitter.run("train-credit-model", source=SOURCE, data=X) as run:
        model = _pipeline().fit(X, y)
        run.record(lw.lineage(model, X))
    assert [r["path"] for r in received] == ["/api/v1/lineage"] * 2
    start, complete = (r["event"] for r in received)
    for event in (start, complete):
        validated(event)
    assert [start["eventType"], complete["eventType"]] == ["START", "COMPLETE"]
    assert start["run"]["runId"] == complete["run"]["runId"] == run.run_id
    assert uuid.UUID(run.run_id).version == 7
    assert start["job"] == complete["job"] and start["job"]["name"] == "train-credit-model"
    assert complete["job"]["namespace"] == "credit-team"
    # the input is the caller's table, with its fields and their types
    (source,) = complete["inputs"]
    assert (source["namespace"], source["name"]) == ("postgres://db.example.com:5432", "risk.public.credit")
    types_in = {f["name"]: f.get("type") for f in source["facets"]["schema"]["fields"]}
    assert types_in == {c: str(t) for c, t in X.dtypes.items()}
    assert types_in["region"] == "category" and types_in["age"] == "int64"
    assert {f["name"]: f.get("type") for f in start["inputs"][0]["facets"]["schema"]["fields"]} == types_in
    assert start["outputs"] == []  # nothing is known of the features before fit
    # the output is the feature matrix, each feature with its inputs and how they enter it
    (features,) = complete["outputs"]
    names = list(model[:-1].get_feature_names_out())
    assert [f["name"] for f in features["facets"]["schema"]["fields"]] == names
    assert {f["type"] for f in features["facets"]["schema"]["fields"]} == {"float64"}
    assert set(features["facets"]["columnLineage"]["fields"]) == set(names)
    scaled = _transformation(complete, "num__income")
    assert (scaled["namespace"], scaled["name"], scaled["field"]) == (SOURCE.namespace, SOURCE.name, "income")
    assert (scaled["type"], scaled["subtype"], scaled["masking"]) == ("DIRECT", "TRANSFORMATION", False)
    assert "SimpleImputer" in scaled["description"] and "StandardScaler" in scaled["description"]
    flag = _transformation(complete, "num__missingindicator_income")
    assert flag["field"] == "income" and "missing indicator" in flag["description"]
    passed = _transformation(complete, "remainder__n_accounts")
    assert (passed["field"], passed["type"], passed["subtype"]) == ("n_accounts", "DIRECT", "IDENTITY")
    assert _transformation(complete, "cat__region_north")["field"] == "region"
    # what was posted is what the run built, give or take the empty defaults and tags the client adds
    posted = [_without_empty(r["event"]) for r in received]
    for event in posted:
        event["run"]["facets"].pop("tags", None)
    assert [_without_empty(e) for e in run.events] == posted


def test_a_failing_run_sends_fail_with_the_error(receiver, data) -> None:
    url, received = receiver
    X, _ = data
    emitter = ol.OpenLineageEmitter(url)
    with (
        pytest.raises(ValueError, match="labels have one class"),
        emitter.run("train-credit-model", source=SOURCE, data=X),
    ):
        raise ValueError("labels have one class")
    start, fail = (r["event"] for r in received)
    validated(fail)
    assert (start["eventType"], fail["eventType"]) == ("START", "FAIL")
    assert start["run"]["runId"] == fail["run"]["runId"]
    error = fail["run"]["facets"]["errorMessage"]
    assert error["message"] == "ValueError: labels have one class"
    assert error["programmingLanguage"] == "python"
    assert "Traceback" in error["stackTrace"] and "labels have one class" in error["stackTrace"]


def test_mixing_features_and_naming_objects(receiver, data) -> None:
    url, received = receiver
    X, y = data
    numeric = X[["age", "n_accounts"]]
    model = make_pipeline(StandardScaler(), PCA(2), LogisticRegression()).fit(numeric, y)
    table = Postgres(host="db.example.com", port="5432", database="risk", schema="public", table="credit")
    lin = lw.lineage(model, numeric, source=table)
    run_id = ol.OpenLineageEmitter(url, api_key="s3cret").emit_lineage(lin, job="pca-model")
    assert [r["event"]["eventType"] for r in received] == ["START", "COMPLETE"]
    assert all(r["headers"]["Authorization"] == "Bearer s3cret" for r in received)
    complete = received[1]["event"]
    validated(complete)
    assert complete["run"]["runId"] == run_id
    assert (complete["inputs"][0]["namespace"], complete["inputs"][0]["name"]) == (
        table.get_namespace(),
        table.get_name(),
    )
    for pc in ("pca0", "pca1"):
        inputs = complete["outputs"][0]["facets"]["columnLineage"]["fields"][pc]["inputFields"]
        assert [i["field"] for i in inputs] == ["age", "n_accounts"]
        for i in inputs:
            (t,) = i["transformations"]
            assert (t["type"], t["subtype"]) == ("DIRECT", "TRANSFORMATION")
            assert t["description"].startswith("mixing: ") and "PCA" in t["description"]


def test_events_built_without_sending_are_valid_too(data) -> None:
    X, y = data
    lin = lw.lineage(_pipeline().fit(X, y), X, source=("s3://risk-data", "credit/train.parquet"))
    run_id = ol.new_run_id()
    for kind in ("START", "COMPLETE"):
        event = json.loads(json.dumps(lin.openlineage(event_type=kind, run_id=run_id, job="train")))
        built = validated(event)
        assert built.eventType.value == kind and built.run.runId == run_id
        assert event["inputs"][0]["namespace"] == "s3://risk-data"
    fail = lin.openlineage(event_type="FAIL", job="train", error=RuntimeError("out of memory"))
    assert validated(fail).run.facets["errorMessage"].message == "RuntimeError: out of memory"
    event = ol.client_event(lin.openlineage(job="train"))  # the package's own conversion agrees
    assert isinstance(event, event_v2.RunEvent)


def test_schema_urls_are_the_clients_own() -> None:
    assert event_v2.RunEvent._get_schema() == ol.RUN_EVENT_SCHEMA
    assert schema_dataset.SchemaDatasetFacet._get_schema() == ol.SCHEMA_FACET
    assert column_lineage_dataset.ColumnLineageDatasetFacet._get_schema() == ol.COLUMN_LINEAGE_FACET
    assert error_message_run.ErrorMessageRunFacet._get_schema() == ol.ERROR_MESSAGE_FACET
    assert processing_engine_run.ProcessingEngineRunFacet._get_schema() == ol.PROCESSING_ENGINE_FACET
    assert job_type_job.JobTypeJobFacet._get_schema() == ol.JOB_TYPE_FACET


def test_the_producer_is_the_packages_url_declared_once(data) -> None:
    X, y = data
    meta = importlib.metadata.metadata("lifecycle_widgets")
    declared = [u.partition(",")[2].strip() for u in meta.get_all("Project-URL") or []]
    if declared:
        assert ol.PRODUCER in declared
    else:
        assert ((meta.get("Home-page") or "").strip() or ol.FALLBACK_URL) == ol.PRODUCER
    assert ol.PRODUCER.startswith("https://") and "OWNER" not in ol.PRODUCER
    event = lw.lineage(_pipeline().fit(X, y), X, source=SOURCE).openlineage(error=KeyError("x"))
    producers = {event["producer"]}

    def collect(value: Any) -> None:
        if isinstance(value, dict):
            if "_producer" in value:
                producers.add(value["_producer"])
            for v in value.values():
                collect(v)
        elif isinstance(value, list):
            for v in value:
                collect(v)

    collect(event)
    assert producers == {ol.PRODUCER}


def test_lineage_keeps_its_source_and_types_through_json(data) -> None:
    X, y = data
    lin = lw.lineage(_pipeline().fit(X, y), X, source="s3://risk-data/credit/train.parquet")
    assert lin.source == ol.DataSource("s3://risk-data", "credit/train.parquet")
    assert lin.raw_types["region"] == "category"
    assert set(lin.feature_types.values()) == {"float64"}
    again = lw.LineageGraph.from_dict(json.loads(lin.to_json()))
    assert (
        again == lin
        and again.openlineage(run_id=str(uuid.uuid4()))["inputs"][0]["name"] == "credit/train.parquet"
    )


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("s3://bucket/dir/file.parquet", ("s3://bucket", "dir/file.parquet")),
        ("gs://bucket/t.csv", ("gs://bucket", "t.csv")),
        ("hdfs://nn:8020/warehouse/t", ("hdfs://nn:8020", "/warehouse/t")),
        ("file:///data/credit.csv", ("file", "/data/credit.csv")),
        (("bigquery", "p.d.t"), ("bigquery", "p.d.t")),
    ],
)
def test_data_sources_follow_the_naming_spec(given, expected) -> None:
    src = ol.DataSource.of(given)
    assert (src.namespace, src.name) == expected


def test_a_local_path_is_named_absolutely(tmp_path) -> None:
    src = ol.DataSource.of(tmp_path / "train.csv")
    assert src.namespace == "file" and src.name == (tmp_path / "train.csv").resolve().as_posix()


def test_errors_name_the_parameter(data) -> None:
    X, y = data
    lin = lw.lineage(_pipeline().fit(X, y), X)
    with pytest.raises(lw.ParameterError, match="'source' parameter of run_event"):
        lin.openlineage()
    with pytest.raises(lw.ParameterError, match="'event_type' parameter of run_event"):
        lin.openlineage(event_type="DONE", source=SOURCE)
    with pytest.raises(lw.ParameterError, match="'run_id' parameter of run_event"):
        lin.openlineage(source=SOURCE, run_id="run-1")
    with pytest.raises(lw.ParameterError, match="'source' parameter of OpenLineage export"):
        lw.lineage(_pipeline().fit(X, y), X, source=42)
    with pytest.raises(lw.ParameterError, match="'name' parameter of DataSource"):
        ol.DataSource("file", "")
    with pytest.raises(lw.ParameterError, match="exactly one of 'url'"):
        ol.OpenLineageEmitter()
    with pytest.raises(lw.ParameterError, match="'url' parameter of OpenLineageEmitter"):
        ol.OpenLineageEmitter("localhost:5000")
    with pytest.raises(lw.ParameterError, match="facets"):
        ol.client_event(
            {**lin.openlineage(source=SOURCE), "run": {"runId": ol.new_run_id(), "facets": {"x": {}}}}
        )


def test_without_the_client_the_emitter_names_the_extra(monkeypatch) -> None:
    for name in [m for m in sys.modules if m == "openlineage" or m.startswith("openlineage.")]:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, "openlineage", None)
    with pytest.raises(lw.MissingDependencyError, match=r'pip install "lifecycle_widgets\[openlineage\]"'):
        ol.OpenLineageEmitter("http://127.0.0.1:5000")
    # building events needs no client
    assert ol.run_event("START", job="j", run_id=ol.new_run_id(), source=SOURCE)["eventType"] == "START"


def test_feature_types_follow_the_transformers_output(data) -> None:
    X, y = data
    ct = ColumnTransformer(
        [("cat", OneHotEncoder(sparse_output=False, dtype=np.int8), ["region"])], remainder="drop"
    ).set_output(transform="pandas")
    lin = lw.lineage(ct.fit(X), X)
    assert set(lin.feature_types.values()) == {"int8"}
    bare = lw.lineage(LogisticRegression().fit(X[["age", "n_accounts"]], y), X[["age", "n_accounts"]])
    assert bare.feature_types == {"age": "int64", "n_accounts": "int64"}
