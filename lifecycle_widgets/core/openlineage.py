"""OpenLineage run events for a lineage graph, and an emitter that sends them.

:func:`run_event` builds a spec-conformant ``RunEvent`` (OpenLineage 2-0-2) as plain JSON data:
the raw data as the input dataset, with its fields and types (``SchemaDatasetFacet``); the model's
feature matrix as the output dataset, with each feature's input fields and how they enter it
(``ColumnLineageDatasetFacet`` 1-2-0: ``DIRECT``/``IDENTITY`` for a copy, ``DIRECT``/
``TRANSFORMATION`` otherwise, the description naming the steps and whether the feature mixes
several columns); ``ErrorMessageRunFacet`` on a ``FAIL``. Datasets are named as the caller's data
source is (:class:`DataSource`, or any of openlineage-python's ``naming`` classes), so Marquez
links the model to the job that wrote its training table.

:class:`OpenLineageEmitter` sends events through openlineage-python (the ``openlineage`` extra):
its HTTP transport to a URL such as Marquez's, or any client you configured. ``with
emitter.run(...)`` sends ``START`` on entry, then ``COMPLETE`` with the column lineage, or ``FAIL``
with the error if the block raises.
"""

from __future__ import annotations

import importlib.metadata
import os
import secrets
import time
import traceback
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from lifecycle_widgets.exceptions import MissingDependencyError, ParameterError

if TYPE_CHECKING:
    import pandas as pd

    from lifecycle_widgets.core.lineage import LineageGraph

FALLBACK_URL = "https://pypi.org/project/lifecycle-widgets/"
"""The producer when the installed package's metadata names no URL."""

_URL_LABELS = ("source", "source code", "repository", "homepage", "home")


def package_url() -> str:
    """The package's URL from its installed metadata (``[project.urls]``: Source, Repository or
    Homepage first; then ``Home-page``), else :data:`FALLBACK_URL`.

    Examples
    --------
    >>> package_url().startswith("https://")
    True
    """
    try:
        meta = importlib.metadata.metadata("lifecycle_widgets")
    except importlib.metadata.PackageNotFoundError:
        return FALLBACK_URL
    urls = {}
    for entry in meta.get_all("Project-URL") or []:
        label, _, url = entry.partition(",")
        if url.strip():
            urls[label.strip().lower()] = url.strip()
    for label in _URL_LABELS:
        if label in urls:
            return urls[label]
    if urls:
        return next(iter(urls.values()))
    return (meta.get("Home-page") or "").strip() or FALLBACK_URL


def _package_version() -> str:
    try:
        return importlib.metadata.version("lifecycle_widgets")
    except importlib.metadata.PackageNotFoundError:
        return "0+unknown"


PRODUCER = package_url()
"""The ``producer`` and ``_producer`` of every event and facet: the package's URL, declared once."""

RUN_EVENT_SCHEMA = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"
SCHEMA_FACET = "https://openlineage.io/spec/facets/1-2-0/SchemaDatasetFacet.json#/$defs/SchemaDatasetFacet"
COLUMN_LINEAGE_FACET = (
    "https://openlineage.io/spec/facets/1-2-0/ColumnLineageDatasetFacet.json#/$defs/ColumnLineageDatasetFacet"
)
ERROR_MESSAGE_FACET = (
    "https://openlineage.io/spec/facets/1-0-1/ErrorMessageRunFacet.json#/$defs/ErrorMessageRunFacet"
)
PROCESSING_ENGINE_FACET = (
    "https://openlineage.io/spec/facets/1-1-1/ProcessingEngineRunFacet.json#/$defs/ProcessingEngineRunFacet"
)
JOB_TYPE_FACET = "https://openlineage.io/spec/facets/2-0-4/JobTypeJobFacet.json#/$defs/JobTypeJobFacet"

EVENT_TYPES = ("START", "RUNNING", "COMPLETE", "ABORT", "FAIL", "OTHER")
DEFAULT_NAMESPACE = "lifecycle_widgets"

# how a column enters a feature -> (type, subtype) of OpenLineage's column-lineage transformation
TRANSFORMATION_TYPES = {
    "identity": ("DIRECT", "IDENTITY"),
    "transformation": ("DIRECT", "TRANSFORMATION"),
    "mixing": ("DIRECT", "TRANSFORMATION"),
}

_OBJECT_STORES = ("s3", "s3a", "s3n", "gs", "gcs", "abfss", "wasbs", "az")


@dataclass(frozen=True)
class DataSource:
    """Where a dataset lives, named as OpenLineage names datasets: a ``namespace`` for the data
    source (``postgres://db.example.com:5432``, ``s3://bucket``, ``file``) and a ``name`` within
    it (``analytics.public.credit``, ``credit/train.parquet``, an absolute path).

    Examples
    --------
    >>> DataSource.from_path("s3://risk-data/credit/train.parquet")
    DataSource(namespace='s3://risk-data', name='credit/train.parquet')
    >>> DataSource("postgres://db.example.com:5432", "analytics.public.credit").name
    'analytics.public.credit'
    """

    namespace: str
    name: str

    def __post_init__(self) -> None:
        for attr in ("namespace", "name"):
            value = getattr(self, attr)
            if not isinstance(value, str) or not value.strip():
                raise ParameterError.bad_value(attr, "DataSource", "a non-empty string", value)

    @classmethod
    def from_path(cls, path: str | os.PathLike[str]) -> DataSource:
        """The dataset at a path or URI: ``scheme://authority/path`` gives the namespace
        ``scheme://authority`` (object keys without their leading slash); a local path gives the
        namespace ``file`` and the absolute path.

        Examples
        --------
        >>> DataSource.from_path("hdfs://namenode:8020/warehouse/credit")
        DataSource(namespace='hdfs://namenode:8020', name='/warehouse/credit')
        """
        if not isinstance(path, str | os.PathLike):
            raise ParameterError.bad_value("path", "DataSource.from_path", "a path or a URI string", path)
        text = os.fspath(path)
        scheme, sep, rest = text.partition("://")
        if sep and scheme != "file":
            authority, slash, key = rest.partition("/")
            name = key if scheme in _OBJECT_STORES else slash + key
            return cls(f"{scheme}://{authority}", name or "/")
        return cls("file", Path(rest if sep else text).resolve().as_posix())

    @classmethod
    def of(cls, value: Any, *, parameter: str = "source") -> DataSource:
        """A DataSource from a DataSource, a ``(namespace, name)`` pair, a path or URI, or an
        object with ``get_namespace()`` and ``get_name()`` (openlineage-python's ``naming``
        classes, such as ``Postgres`` or ``Snowflake``).

        Examples
        --------
        >>> DataSource.of(("bigquery", "project.dataset.credit"))
        DataSource(namespace='bigquery', name='project.dataset.credit')
        """
        if isinstance(value, DataSource):
            return value
        if isinstance(value, tuple) and len(value) == 2:
            return cls(*value)
        if isinstance(value, str | os.PathLike):
            return cls.from_path(value)
        if callable(getattr(value, "get_namespace", None)) and callable(getattr(value, "get_name", None)):
            return cls(value.get_namespace(), value.get_name())
        raise ParameterError.bad_value(
            parameter,
            "OpenLineage export",
            "a DataSource, a (namespace, name) pair, a path or URI, or an openlineage naming object",
            value,
        )


def field_types(frame: pd.DataFrame) -> dict[str, str]:
    """Each column's dtype, as the schema facet's field type.

    Examples
    --------
    >>> import pandas as pd
    >>> field_types(pd.DataFrame({"a": [1], "b": ["x"]}).astype({"b": "category"}))
    {'a': 'int64', 'b': 'category'}
    """
    return {str(c): str(t) for c, t in frame.dtypes.items()}


def new_run_id() -> str:
    """A UUIDv7 run id (time-ordered, as OpenLineage recommends).

    Examples
    --------
    >>> uuid.UUID(new_run_id()).version
    7
    """
    ms = time.time_ns() // 1_000_000
    value = (
        (ms & ((1 << 48) - 1)) << 80
        | 0x7 << 76
        | secrets.randbits(12) << 64
        | 0b10 << 62
        | secrets.randbits(62)
    )
    return str(uuid.UUID(int=value))


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _facet(schema: str, **fields: Any) -> dict[str, Any]:
    return {"_producer": PRODUCER, "_schemaURL": schema, **fields}


def _schema_facet(
    names: Any, types: dict[str, str], descriptions: dict[str, str] | None = None
) -> dict[str, Any]:
    fields = []
    for n in names:
        item = {"name": n}
        if n in types:
            item["type"] = types[n]
        if descriptions and descriptions.get(n):
            item["description"] = descriptions[n]
        fields.append(item)
    return _facet(SCHEMA_FACET, fields=fields)


def column_lineage_facet(lineage: LineageGraph, source: DataSource) -> dict[str, Any]:
    """The ``columnLineage`` facet: each feature's input fields in ``source``, each with its
    transformation (type, subtype, description, masking).

    Examples
    --------
    >>> import lifecycle_widgets as lw
    >>> from sklearn.preprocessing import StandardScaler
    >>> df = lw.datasets.credit(50)[["age"]]
    >>> facet = column_lineage_facet(lw.lineage(StandardScaler().fit(df), df), DataSource("file", "/d.csv"))
    >>> facet["fields"]["age"]["inputFields"][0]["transformations"][0]["subtype"]
    'TRANSFORMATION'
    """
    fields = {}
    for feature in lineage.features:
        inputs = []
        for use in lineage.fields(feature):
            kind, subtype = TRANSFORMATION_TYPES[use.how]
            description = f"{use.how}: {use.description}" if use.description else use.how
            inputs.append(
                {
                    "namespace": source.namespace,
                    "name": source.name,
                    "field": use.field,
                    "transformations": [
                        {"type": kind, "subtype": subtype, "description": description, "masking": False}
                    ],
                }
            )
        fields[feature] = {"inputFields": inputs}
    return _facet(COLUMN_LINEAGE_FACET, fields=fields)


def run_event(
    event_type: str,
    *,
    job: str,
    run_id: str,
    lineage: LineageGraph | None = None,
    source: Any = None,
    output: Any = None,
    namespace: str = DEFAULT_NAMESPACE,
    input_types: dict[str, str] | None = None,
    error: BaseException | None = None,
    event_time: str | None = None,
) -> dict[str, Any]:
    """One OpenLineage ``RunEvent`` as plain JSON data.

    Parameters
    ----------
    event_type : str
        ``START``, ``COMPLETE`` or ``FAIL`` (or another of :data:`EVENT_TYPES`).
    job : str
        The job's name within ``namespace``, e.g. ``"train-credit-model"``.
    run_id : str
        A UUID shared by the events of one run (:func:`new_run_id`).
    lineage : LineageGraph, optional
        Gives the input's fields and the output dataset with its column lineage.
    source : DataSource, (namespace, name), path, or naming object, optional
        Where the raw data lives (default: ``lineage.source``); without one, the event has no
        input dataset, and with a lineage that is an error.
    output : same kinds as ``source``, optional
        Where the feature matrix lives (default: ``namespace`` / ``"{job}.features"``).
    namespace : str
        The job's namespace.
    input_types : dict, optional
        Field types of the input when there is no lineage yet (a ``START``).
    error : BaseException, optional
        For ``FAIL``: its message and stack trace go into the ``errorMessage`` facet.
    event_time : str, optional
        ISO 8601 time (default: now, UTC).

    Examples
    --------
    >>> import lifecycle_widgets as lw
    >>> from sklearn.preprocessing import OneHotEncoder
    >>> df = lw.datasets.credit(50)[["region"]]
    >>> lin = lw.lineage(OneHotEncoder().fit(df), df)
    >>> event = run_event("COMPLETE", job="encode", run_id=new_run_id(), lineage=lin,
    ...                   source=DataSource("postgres://db:5432", "risk.public.credit"))
    >>> event["inputs"][0]["name"], event["outputs"][0]["name"]
    ('risk.public.credit', 'encode.features')
    """
    if event_type not in EVENT_TYPES:
        raise ParameterError.bad_value("event_type", "run_event", f"one of {list(EVENT_TYPES)}", event_type)
    for value, what in ((job, "job"), (namespace, "namespace")):
        if not isinstance(value, str) or not value.strip():
            raise ParameterError.bad_value(what, "run_event", "a non-empty string", value)
    try:
        uuid.UUID(str(run_id))
    except ValueError as err:
        raise ParameterError.bad_value("run_id", "run_event", "a UUID string", run_id) from err
    if error is not None and not isinstance(error, BaseException):
        raise ParameterError.bad_value("error", "run_event", "an exception or None", error)
    if source is None and lineage is not None:
        source = lineage.source
    if source is None and lineage is not None:
        raise ParameterError(
            "The 'source' parameter of run_event is needed to name the input dataset: pass "
            "DataSource(namespace, name), a path or URI, or lw.lineage(..., source=...). "
            "OpenLineage consumers such as Marquez join jobs on these names."
        )
    src = DataSource.of(source) if source is not None else None
    run: dict[str, Any] = {
        "runId": str(run_id),
        "facets": {
            "processing_engine": _facet(
                PROCESSING_ENGINE_FACET, version=_package_version(), name="lifecycle_widgets"
            )
        },
    }
    if error is not None:
        run["facets"]["errorMessage"] = _facet(
            ERROR_MESSAGE_FACET,
            message=f"{type(error).__name__}: {error}",
            programmingLanguage="python",
            stackTrace="".join(traceback.format_exception(error)),
        )
    inputs, outputs = [], []
    if src is not None:
        dataset: dict[str, Any] = {"namespace": src.namespace, "name": src.name, "facets": {}}
        if lineage is not None:
            dataset["facets"]["schema"] = _schema_facet(lineage.raw_columns, lineage.raw_types)
        elif input_types:
            dataset["facets"]["schema"] = _schema_facet(list(input_types), input_types)
        inputs.append(dataset)
    if lineage is not None and src is not None:
        out = (
            DataSource.of(output, parameter="output")
            if output is not None
            else DataSource(namespace, f"{job}.features")
        )
        described = {
            f: "from " + (", ".join(lineage.sources(f)) or "no column (a constant)") for f in lineage.features
        }
        outputs.append(
            {
                "namespace": out.namespace,
                "name": out.name,
                "facets": {
                    "schema": _schema_facet(lineage.features, lineage.feature_types, described),
                    "columnLineage": column_lineage_facet(lineage, src),
                },
            }
        )
    return {
        "eventType": event_type,
        "eventTime": event_time or _now(),
        "run": run,
        "job": {
            "namespace": namespace,
            "name": job,
            "facets": {
                "jobType": _facet(JOB_TYPE_FACET, processingType="BATCH", integration="LIFECYCLE_WIDGETS")
            },
        },
        "inputs": inputs,
        "outputs": outputs,
        "producer": PRODUCER,
        "schemaURL": RUN_EVENT_SCHEMA,
    }


# --- sending through openlineage-python ----------------------------------------------------------


def _require_client() -> None:
    try:
        import openlineage.client  # noqa: F401
    except ImportError as err:
        raise MissingDependencyError(
            "openlineage-python", "openlineage", "Sending OpenLineage events"
        ) from err


def _plain(value: Any) -> Any:
    """JSON data without empty lists and dicts, which the client adds as defaults, and without
    schema URLs, which name the client's own spec version."""
    if isinstance(value, dict):
        kept = {k: _plain(v) for k, v in value.items() if k not in ("schemaURL", "_schemaURL")}
        return {k: v for k, v in kept.items() if v not in ([], {}, None)}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def client_event(event: dict[str, Any]) -> Any:
    """``event`` as openlineage-python's ``RunEvent``: building it runs the client's validation
    (required fields, UUID, times, URLs), and a field the client would drop is an error.

    Examples
    --------
    >>> e = run_event("START", job="train", run_id=new_run_id(), source=DataSource("file", "/data/credit.csv"))
    >>> type(client_event(e)).__name__
    'RunEvent'
    """
    _require_client()
    from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
    from openlineage.client.generated import column_lineage_dataset as cl
    from openlineage.client.generated import error_message_run, job_type_job, processing_engine_run
    from openlineage.client.generated import schema_dataset as sd
    from openlineage.client.serde import Serde

    def schema(f: dict[str, Any]) -> Any:
        fields = [sd.SchemaDatasetFacetFields(**x) for x in f["fields"]]
        return sd.SchemaDatasetFacet(fields=fields, producer=f["_producer"])

    def column_lineage(f: dict[str, Any]) -> Any:
        fields = {
            name: cl.Fields(
                inputFields=[
                    cl.InputField(
                        namespace=i["namespace"],
                        name=i["name"],
                        field=i["field"],
                        transformations=[cl.Transformation(**t) for t in i.get("transformations", [])],
                    )
                    for i in spec["inputFields"]
                ]
            )
            for name, spec in f["fields"].items()
        }
        return cl.ColumnLineageDatasetFacet(fields=fields, producer=f["_producer"])

    def plain_facet(cls: Any) -> Any:
        return lambda f: cls(**{k: v for k, v in f.items() if not k.startswith("_")}, producer=f["_producer"])

    builders = {
        "schema": schema,
        "columnLineage": column_lineage,
        "errorMessage": plain_facet(error_message_run.ErrorMessageRunFacet),
        "processing_engine": plain_facet(processing_engine_run.ProcessingEngineRunFacet),
        "jobType": plain_facet(job_type_job.JobTypeJobFacet),
    }

    def facets(given: dict[str, Any]) -> dict[str, Any]:
        unknown = set(given) - set(builders)
        if unknown:
            raise ParameterError(f"Unknown OpenLineage facets {sorted(unknown)}; known: {sorted(builders)}.")
        return {k: builders[k](v) for k, v in given.items()}

    try:
        built = RunEvent(
            eventType=RunState(event["eventType"]),
            eventTime=event["eventTime"],
            run=Run(runId=event["run"]["runId"], facets=facets(event["run"].get("facets", {}))),
            job=Job(
                namespace=event["job"]["namespace"],
                name=event["job"]["name"],
                facets=facets(event["job"].get("facets", {})),
            ),
            inputs=[
                InputDataset(namespace=d["namespace"], name=d["name"], facets=facets(d.get("facets", {})))
                for d in event.get("inputs", [])
            ],
            outputs=[
                OutputDataset(namespace=d["namespace"], name=d["name"], facets=facets(d.get("facets", {})))
                for d in event.get("outputs", [])
            ],
            producer=event["producer"],
        )
    except (KeyError, TypeError, ValueError) as err:
        raise ParameterError(f"Not a valid OpenLineage run event: {type(err).__name__}: {err}") from err
    if _plain(Serde.to_dict(built)) != _plain(event):
        raise ParameterError(
            "openlineage-python reads this event differently from how it was written: a field "
            "does not match the client's version of the spec."
        )
    return built


class OpenLineageEmitter:
    """Sends run events through openlineage-python: its HTTP transport to ``url`` (Marquez
    listens on ``http://localhost:5000``), or any ``client`` you configured (Kafka, file,
    console, ...).

    Parameters
    ----------
    url : str, optional
        The OpenLineage HTTP endpoint's base URL.
    client : openlineage.client.OpenLineageClient, optional
        A configured client, instead of ``url``.
    namespace : str
        The namespace of the jobs this emitter reports.
    endpoint : str
        The HTTP path, ``api/v1/lineage`` for Marquez.
    api_key : str, optional
        Sent as a bearer token.
    timeout : float
        Seconds to wait for the server.

    Examples
    --------
    >>> import lifecycle_widgets as lw
    >>> from openlineage.client import OpenLineageClient
    >>> from openlineage.client.transport.noop import NoopConfig, NoopTransport
    >>> from sklearn.preprocessing import StandardScaler
    >>> emitter = OpenLineageEmitter(client=OpenLineageClient(transport=NoopTransport(NoopConfig())))
    >>> df = lw.datasets.credit(50)[["age"]]
    >>> with emitter.run("scale", source=DataSource("file", "/data/credit.csv"), data=df) as run:
    ...     run.record(lw.lineage(StandardScaler().fit(df), df))
    >>> [e["eventType"] for e in run.events]
    ['START', 'COMPLETE']
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        client: Any = None,
        namespace: str = DEFAULT_NAMESPACE,
        endpoint: str = "api/v1/lineage",
        api_key: str | None = None,
        timeout: float = 5.0,
    ) -> None:
        _require_client()
        if (url is None) == (client is None):
            raise ParameterError(
                "OpenLineageEmitter needs exactly one of 'url' (an HTTP endpoint) and 'client' "
                f"(a configured OpenLineageClient). Got url={url!r}, client={client!r}."
            )
        if not isinstance(namespace, str) or not namespace.strip():
            raise ParameterError.bad_value("namespace", "OpenLineageEmitter", "a non-empty string", namespace)
        if client is None:
            if not isinstance(url, str) or not url.startswith(("http://", "https://")):
                raise ParameterError.bad_value("url", "OpenLineageEmitter", "an http(s) URL", url)
            if not isinstance(timeout, int | float) or timeout <= 0:
                raise ParameterError.bad_value(
                    "timeout", "OpenLineageEmitter", "a positive number of seconds", timeout
                )
            from openlineage.client import OpenLineageClient
            from openlineage.client.transport.http import HttpConfig, HttpTransport

            auth = {"type": "api_key", "apiKey": api_key} if api_key else {}
            config = HttpConfig.from_dict(
                {"url": url, "endpoint": endpoint, "timeout": float(timeout), "auth": auth}
            )
            client = OpenLineageClient(transport=HttpTransport(config))
        self.client = client
        self.namespace = namespace

    def emit(self, event: dict[str, Any]) -> None:
        """Validate ``event`` with the client's classes and send it."""
        self.client.emit(client_event(event))

    def run(
        self, job: str, *, source: Any, data: pd.DataFrame | None = None, output: Any = None
    ) -> OpenLineageRun:
        """A run of ``job`` reading ``source``: a context manager that sends ``START`` on entry,
        then ``COMPLETE`` (with the lineage given to :meth:`OpenLineageRun.record`) or ``FAIL``."""
        return OpenLineageRun(self, job, DataSource.of(source), data=data, output=output)

    def emit_lineage(
        self, lineage: LineageGraph, *, job: str | None = None, source: Any = None, output: Any = None
    ) -> str:
        """Report a run that already happened: ``START`` then ``COMPLETE``, one run id (returned)."""
        run_id, name = new_run_id(), job or lineage.name
        for kind in ("START", "COMPLETE"):
            self.emit(
                run_event(
                    kind,
                    job=name,
                    run_id=run_id,
                    lineage=lineage,
                    source=source,
                    output=output,
                    namespace=self.namespace,
                )
            )
        return run_id


class OpenLineageRun:
    """One run of a job, made by :meth:`OpenLineageEmitter.run`; ``events`` keeps what was sent."""

    def __init__(
        self,
        emitter: OpenLineageEmitter,
        job: str,
        source: DataSource,
        *,
        data: pd.DataFrame | None,
        output: Any,
    ) -> None:
        if not isinstance(job, str) or not job.strip():
            raise ParameterError.bad_value("job", "OpenLineageEmitter.run", "a non-empty string", job)
        self.emitter, self.job, self.source, self.output = emitter, job, source, output
        self.input_types = field_types(data) if data is not None else None
        self.run_id = new_run_id()
        self.lineage: LineageGraph | None = None
        self.events: list[dict[str, Any]] = []

    def record(self, lineage: LineageGraph) -> None:
        """The lineage the ``COMPLETE`` event carries."""
        from lifecycle_widgets.core.lineage import LineageGraph

        if not isinstance(lineage, LineageGraph):
            raise ParameterError.bad_value(
                "lineage", "OpenLineageRun.record", "a LineageGraph", type(lineage).__name__
            )
        self.lineage = lineage

    def _send(self, event_type: str, error: BaseException | None = None) -> None:
        event = run_event(
            event_type,
            job=self.job,
            run_id=self.run_id,
            lineage=self.lineage,
            source=self.source,
            output=self.output,
            namespace=self.emitter.namespace,
            input_types=self.input_types,
            error=error,
        )
        self.emitter.emit(event)
        self.events.append(event)

    def __enter__(self) -> OpenLineageRun:
        self._send("START")
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._send("COMPLETE" if error is None else "FAIL", error)
