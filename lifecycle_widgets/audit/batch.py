"""``run_many``: one template, many parameter sets, run in parallel, one record each."""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from lifecycle_widgets.core.batch import BatchRun, BatchSummary
from lifecycle_widgets.exceptions import MissingDependencyError, ParameterError

CONNECT_TIMEOUT = "10s"  # how long run_many tries to reach a cluster given by its address


def _one(
    template: str,
    parameters: dict[str, Any],
    out: str,
    store: str | None,
    cell_timeout: int,
    signer: str | None = None,
) -> BatchRun:
    """Run one parameter set; any failure becomes a failed entry, never an exception."""
    from lifecycle_widgets.audit.runner import run

    try:
        rec = run(
            template,
            parameters,
            out=out,
            store=store,
            cell_timeout=cell_timeout,
            progress=False,
            signer=signer,
        )
    except Exception as err:
        return BatchRun(parameters, "error", error=f"{type(err).__name__}: {err}")
    err = rec.manifest.get("error") or {}
    return BatchRun(
        parameters,
        rec.status,
        str(rec.path),
        None if rec.status == "succeeded" else f"{err.get('ename')}: {err.get('evalue')}",
        rec.values,
    )


def _client(client: Any) -> Any:
    try:
        from distributed import Client
    except ImportError as err:
        raise MissingDependencyError("distributed", "dask", "Running audits on a Dask cluster") from err
    if isinstance(client, str):
        try:
            return Client(client, timeout=CONNECT_TIMEOUT)
        except (OSError, TimeoutError) as err:
            raise ParameterError(f"Cannot reach the Dask cluster at {client!r}: {err}") from err
    return client


def run_many(
    template: str | os.PathLike[str],
    parameter_sets: Sequence[dict[str, Any]],
    *,
    out: str | os.PathLike[str] = "audits",
    store: str | os.PathLike[str] | None = None,
    client: Any = None,
    max_workers: int | None = None,
    cell_timeout: int = 600,
    signer: str | None = None,
) -> BatchSummary:
    """Run ``template`` once per parameter set, in parallel, each into its own audit record.

    With ``client`` (a ``distributed.Client`` or a scheduler address) the runs go to the Dask
    cluster's workers, retried once if a worker dies; otherwise to a local pool of
    ``max_workers`` processes. Parameters are checked for every set before anything runs; a run
    that fails afterwards does not stop the others. Each record is signed with the key named
    ``signer`` (default: see :func:`~lifecycle_widgets.store.keys.default_signer`), which must be
    in every worker's keys folder.

    Examples
    --------
    >>> import lifecycle_widgets as lw
    >>> summary = lw.audit.run_many("notebooks/data_audit.ipynb",
    ...                             [{"sample_seed": s, "demo_rows": 2000} for s in range(3)])  # doctest: +SKIP
    >>> summary.to_frame()[["param.sample_seed", "status"]]  # doctest: +SKIP
    """
    from lifecycle_widgets.audit.parameters import resolve_parameters, template_parameters
    from lifecycle_widgets.store.keys import require_signer

    sets = [dict(p) for p in parameter_sets]
    if not sets:
        raise ParameterError("run_many needs at least one parameter set.")
    spec = template_parameters(template)
    for i, params in enumerate(sets):
        try:
            resolve_parameters(spec, params)
        except ParameterError as err:
            raise ParameterError(f"Parameter set {i}: {err}") from err
    if client is None:
        signer = require_signer(signer).name  # workers on a cluster have keys of their own
    Path(out).mkdir(parents=True, exist_ok=True)
    args = [
        (str(template), p, str(out), None if store is None else str(store), cell_timeout, signer)
        for p in sets
    ]
    if client is not None:
        cluster = _client(client)
        futures = cluster.map(_one, *zip(*args, strict=True), pure=False, retries=1)
        results = cluster.gather(futures)
    else:
        with ProcessPoolExecutor(
            max_workers=max_workers or min(len(sets), os.cpu_count() or 1), mp_context=get_context("spawn")
        ) as pool:
            results = list(pool.map(_one, *zip(*args, strict=True)))
    return BatchSummary(str(template), tuple(results))
