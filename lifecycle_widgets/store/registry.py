"""The model registry: named models, versions from runs, approvals with who, when and why,
aliases, links to audit records and baselines, and champion/challenger comparisons.

Every change is written with an entry in the store's hash-chained audit trail, in the same
transaction, so the trail and the registry never disagree. A version moves only forward:
PendingManualApproval to Approved or Rejected, Approved to Rejected; a rejected version stays
rejected. Aliases (champion, challenger, ...) point only at approved versions. With
``four_eyes=True`` the approver must be someone other than the registrant. Comparisons are
stored with the registry, so they are there when the store is opened again.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import numbers
from datetime import UTC, datetime
from typing import Any

from lifecycle_widgets.core.experiments import (
    ChampionChallenger,
    Event,
    ModelVersion,
    RegistryState,
    check_comparison_options,
    compare_models,
)
from lifecycle_widgets.exceptions import ParameterError
from lifecycle_widgets.store import trail
from lifecycle_widgets.store.runs import Run, RunStore

PENDING, APPROVED, REJECTED = "PendingManualApproval", "Approved", "Rejected"
#: The status changes a version may make; anything else is refused.
TRANSITIONS = {PENDING: (APPROVED, REJECTED), APPROVED: (REJECTED,), REJECTED: ()}



def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


class ModelRegistry:
    """Model versions, their approval and their comparisons in a :class:`RunStore`.

    Parameters
    ----------
    store : RunStore
        The store the runs were logged to; the registry keeps its tables there.
    four_eyes : bool
        When True, a version cannot be approved by the person who registered it, and
        ``register`` needs ``by=``.

    Examples
    --------
    >>> import lifecycle_widgets as lw
    >>> from sklearn.linear_model import LogisticRegression
    >>> store = lw.RunStore("/tmp/doc-registry.db")
    >>> with store.start_run(experiment="doc") as run:
    ...     run.log_model(LogisticRegression().fit([[0.0], [1.0]], [0, 1]))  # doctest: +ELLIPSIS
    '...'
    >>> reg = lw.ModelRegistry(store, four_eyes=True)
    >>> v = reg.register(run, name="doc-model", by="trainer")
    >>> reg.approve("doc-model", v.version, by="trainer")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    lifecycle_widgets.exceptions.ParameterError: Four-eyes policy: 'trainer' registered version ... of 'doc-model' and cannot also approve it; another person must.
    >>> reg.approve("doc-model", v.version, by="reviewer", note="looks fine").status
    'Approved'
    """

    def __init__(self, store: RunStore, *, four_eyes: bool = False) -> None:
        if not isinstance(store, RunStore):
            raise ParameterError.bad_value("store", "ModelRegistry", "a RunStore", type(store).__name__)
        if not isinstance(four_eyes, bool):
            raise ParameterError.bad_value("four_eyes", "ModelRegistry", "True or False", four_eyes)
        self.store = store
        self.four_eyes = four_eyes

    def _event(
        self,
        conn: Any,
        name: str,
        version: int | None,
        event: str,
        detail: dict[str, Any],
        by: str,
        *,
        kind: str = "registry",
    ) -> None:
        text = json.dumps(detail, sort_keys=True, default=str)
        conn.execute(
            "INSERT INTO model_events (name, version, event, detail, by, at) VALUES (?, ?, ?, ?, ?, ?)",
            (name, version, event, text, by, _now()),
        )
        trail.append_in(conn, kind, f"{name}:{version}", {"event": event, "by": by, **detail})

    def register(self, run: Run | str, *, name: str, artifact: str = "model", by: str = "") -> ModelVersion:
        """A new version of model ``name`` from a run's logged model; status PendingManualApproval.

        Parameters
        ----------
        run : Run or str
            The run (or its id) that logged the model.
        name : str
            The model's name in the registry.
        artifact : str
            The name the model was logged under (``run.log_model(model, name=...)``).
        by : str
            Who registers it; required under the four-eyes policy.

        Returns
        -------
        ModelVersion
            The new version.
        """
        run_id = run.id if isinstance(run, Run) else str(run)
        if not isinstance(name, str) or not name.strip():
            raise ParameterError.bad_value("name", "ModelRegistry.register", "a non-empty str", name)
        if self.four_eyes and not (isinstance(by, str) and by.strip()):
            raise ParameterError(
                "Say who registers the version: by= is required under the four-eyes policy "
                "(the approver must be someone else)."
            )
        _, sha = self.store.artifact(run_id, artifact)
        with self.store.transaction() as conn:
            if conn.execute("SELECT 1 FROM models WHERE name = ?", (name,)).fetchone() is None:
                conn.execute("INSERT INTO models (name, created) VALUES (?, ?)", (name, _now()))
            version = conn.execute(
                "SELECT coalesce(max(version), 0) + 1 FROM model_versions WHERE name = ?", (name,)
            ).fetchone()[0]
            conn.execute(
                "INSERT INTO model_versions (name, version, run_id, artifact_sha256, status, created) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (name, version, run_id, sha, PENDING, _now()),
            )
            self._event(conn, name, version, "registered", {"run_id": run_id, "artifact_sha256": sha}, by)
        return self.version(name, version)

    def _resolve(self, name: str, ref: int | str, conn: Any = None) -> int:
        conn = conn or self.store._conn_for_read()
        if isinstance(ref, str) and not ref.isdigit():
            row = conn.execute(
                "SELECT version FROM model_aliases WHERE name = ? AND alias = ?", (name, ref)
            ).fetchone()
            if row is None:
                aliases = [
                    a for (a,) in conn.execute("SELECT alias FROM model_aliases WHERE name = ?", (name,))
                ]
                raise ParameterError(f"Model {name!r} has no alias {ref!r}; its aliases are {aliases}.")
            return int(row[0])
        if isinstance(ref, bool) or not isinstance(ref, numbers.Integral | str):
            raise ParameterError.bad_value("version", "ModelRegistry", "a version number or an alias", ref)
        version = int(ref)
        if (
            conn.execute(
                "SELECT 1 FROM model_versions WHERE name = ? AND version = ?", (name, version)
            ).fetchone()
            is None
        ):
            known = [
                v
                for (v,) in conn.execute(
                    "SELECT version FROM model_versions WHERE name = ? ORDER BY version", (name,)
                )
            ]
            what = f"versions {known}" if known else "no versions (register one first)"
            raise ParameterError(f"Model {name!r} has no version {version}; it has {what}.")
        return version

    def _set_status(self, name: str, ref: int | str, status: str, by: str, note: str) -> ModelVersion:
        verb = "approves" if status == APPROVED else "rejects"
        if not isinstance(by, str) or not by.strip():
            raise ParameterError(f"Say who {verb}: by= is required.")
        # the checks read inside the write transaction, so two reviewers acting at once cannot
        # both pass them on the same old state
        with self.store.transaction() as conn:
            version = self._resolve(name, ref, conn)
            (current,) = conn.execute(
                "SELECT status FROM model_versions WHERE name = ? AND version = ?", (name, version)
            ).fetchone()
            if status not in TRANSITIONS[current]:
                why = (
                    "a rejected version stays rejected; register the model again for a new review"
                    if current == REJECTED
                    else f"it is already {current}"
                )
                raise ParameterError(f"Version {version} of {name!r} is {current}: {why}.")
            detail: dict[str, Any] = {"note": note}
            if status == APPROVED and self.four_eyes:
                registrant = conn.execute(
                    "SELECT by FROM model_events WHERE name = ? AND version = ? AND event = 'registered'",
                    (name, version),
                ).fetchone()
                registrant = registrant[0] if registrant else ""
                if not registrant:
                    raise ParameterError(
                        f"Four-eyes policy: nobody is recorded as registering version {version} of "
                        f"{name!r}, so the approver cannot be shown to be someone else."
                    )
                if registrant.strip() == by.strip():
                    raise ParameterError(
                        f"Four-eyes policy: {by!r} registered version {version} of {name!r} and "
                        "cannot also approve it; another person must."
                    )
                detail["four_eyes"] = {"registered_by": registrant}
            conn.execute(
                "UPDATE model_versions SET status = ? WHERE name = ? AND version = ?", (status, name, version)
            )
            if status == REJECTED:
                conn.execute("DELETE FROM model_aliases WHERE name = ? AND version = ?", (name, version))
            self._event(conn, name, version, status.lower(), detail, by)
        return self.version(name, version)

    def approve(self, name: str, version: int | str, *, by: str, note: str = "") -> ModelVersion:
        """Approve a pending version; who and why are recorded (and, under the four-eyes policy,
        ``by`` must differ from the registrant).

        Raises
        ------
        ParameterError
            The version is rejected or already approved, ``by`` is empty, or the four-eyes
            policy forbids ``by``.
        """
        return self._set_status(name, version, APPROVED, by, note)

    def reject(self, name: str, version: int | str, *, by: str, note: str = "") -> ModelVersion:
        """Reject a pending or approved version for good; its aliases are removed."""
        return self._set_status(name, version, REJECTED, by, note)

    def set_alias(self, name: str, alias: str, version: int | str, *, by: str = "") -> ModelVersion:
        """Point ``alias`` (champion, challenger, ...) at an approved version.

        Raises
        ------
        ParameterError
            ``alias`` is empty or a number, or the version is not Approved.
        """
        if not isinstance(alias, str) or not alias or alias.isdigit():
            raise ParameterError.bad_value(
                "alias", "ModelRegistry.set_alias", "a name that is not a number", alias
            )
        with self.store.transaction() as conn:
            number = self._resolve(name, version, conn)
            (status,) = conn.execute(
                "SELECT status FROM model_versions WHERE name = ? AND version = ?", (name, number)
            ).fetchone()
            if status != APPROVED:
                raise ParameterError(
                    f"Version {number} of {name!r} is {status}: an alias can point only at an "
                    "Approved version" + ("; approve it first." if status == PENDING else ".")
                )
            conn.execute(
                "INSERT OR REPLACE INTO model_aliases (name, alias, version) VALUES (?, ?, ?)",
                (name, alias, number),
            )
            self._event(conn, name, number, "alias", {"alias": alias}, by)
        return self.version(name, number)

    def link(
        self,
        name: str,
        version: int | str,
        *,
        audit_record: str | None = None,
        baseline: str | None = None,
        by: str = "",
    ) -> ModelVersion:
        """Link a version to an audit record folder and/or a drift baseline folder."""
        number = self._resolve(name, version)
        links = [(k, str(v)) for k, v in (("audit_record", audit_record), ("baseline", baseline)) if v]
        if not links:
            raise ParameterError("link needs audit_record= or baseline=.")
        with self.store.transaction() as conn:
            conn.executemany(
                "INSERT OR REPLACE INTO model_links (name, version, kind, target) VALUES (?, ?, ?, ?)",
                [(name, number, k, v) for k, v in links],
            )
            self._event(conn, name, number, "link", dict(links), by)
        return self.version(name, number)

    def version(self, name: str, ref: int | str) -> ModelVersion:
        """A version by number or alias."""
        number = self._resolve(name, ref)
        conn = self.store._conn_for_read()
        run_id, sha, status, created = conn.execute(
            "SELECT run_id, artifact_sha256, status, created FROM model_versions WHERE name = ? AND version = ?",
            (name, number),
        ).fetchone()
        aliases = tuple(
            a
            for (a,) in conn.execute(
                "SELECT alias FROM model_aliases WHERE name = ? AND version = ? ORDER BY alias",
                (name, number),
            )
        )
        links: dict[str, list[str]] = {}
        for kind, target in conn.execute(
            "SELECT kind, target FROM model_links WHERE name = ? AND version = ?", (name, number)
        ):
            links.setdefault(kind, []).append(target)
        history = tuple(
            Event(e, d, b, a)
            for e, d, b, a in conn.execute(
                "SELECT event, detail, by, at FROM model_events WHERE name = ? AND version = ? ORDER BY id",
                (name, number),
            )
        )
        return ModelVersion(
            name,
            number,
            run_id,
            sha,
            status,
            created,
            aliases,
            {k: tuple(v) for k, v in links.items()},
            history,
        )

    def versions(self, name: str | None = None) -> tuple[ModelVersion, ...]:
        """Every version (of ``name``), oldest first."""
        conn = self.store._conn_for_read()
        rows = conn.execute(
            "SELECT name, version FROM model_versions"
            + (" WHERE name = ?" if name else "")
            + " ORDER BY name, version",
            (name,) if name else (),
        ).fetchall()
        return tuple(self.version(n, v) for n, v in rows)

    def load_model(self, name: str, ref: int | str, *, trusted: bool | list[str] | None = None) -> Any:
        """Load a version's model file, after checking its SHA-256 against the registry's."""
        from lifecycle_widgets.store.models import load_model

        v = self.version(name, ref)
        path, _ = self.store.artifact(v.run_id)
        try:  # the bytes checked are the bytes loaded: nothing swapped in between is loaded
            return load_model(path, trusted=trusted, sha256=v.artifact_sha256)
        except ParameterError as err:
            if "is not the one recorded" not in str(err):
                raise
            raise ParameterError(
                f"The model file of {name!r} version {v.version} changed since it was registered: {err}"
            ) from err

    def compare(
        self,
        name: str,
        champion: int | str,
        challenger: int | str,
        X: Any,
        y: Any,
        *,
        metric: str | None = None,
        n_bootstrap: int = 1000,
        random_state: int = 0,
        trusted: bool | list[str] | None = None,
        by: str = "",
    ) -> ChampionChallenger:
        """Compare two versions on the same holdout rows (see :func:`compare_models` for the
        metrics and their tests), and store the result with the registry.

        The metric and the options are checked before any model is loaded. The comparison is
        written in one transaction with an event on the challenger's history and an entry in
        the audit trail; :meth:`comparisons` and :meth:`state` read it back, also after the
        store is opened again.

        Parameters
        ----------
        name : str
            The model.
        champion, challenger : int or str
            Version numbers or aliases.
        X, y : the holdout rows and their true values.
        metric : str, optional
            ``accuracy``, ``auc``, ``log_loss``, ``f1`` (classifiers), ``rmse``, ``mae``
            (regressors); default accuracy or RMSE, after the models' task.
        n_bootstrap, random_state : resampling of the interval (see :func:`compare_models`).
        trusted : types the model files may hold beyond skops' defaults (see ``load_model``).
        by : str
            Who ran the comparison, for the record.

        Returns
        -------
        ChampionChallenger
            With ``at`` and ``by`` set.
        """
        check_comparison_options(metric, n_bootstrap, random_state)
        a, b = self._resolve(name, champion), self._resolve(name, challenger)
        if a == b:
            raise ParameterError(
                f"champion and challenger are both version {a} of {name!r}: pick two versions."
            )
        model_a = self.load_model(name, a, trusted=trusted)
        model_b = self.load_model(name, b, trusted=trusted)
        result = compare_models(
            model_a,
            model_b,
            X,
            y,
            metric=metric,
            n_bootstrap=n_bootstrap,
            random_state=random_state,
            name=name,
            versions=(a, b),
        )
        result = dataclasses.replace(result, at=_now(), by=by)
        text = result.to_json(indent=None)
        with self.store.transaction() as conn:
            cur = conn.execute(
                "INSERT INTO model_comparisons (name, champion, challenger, metric, result, by, at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (name, a, b, result.metric, text, by, result.at),
            )
            # evidence, not a change of the version's governance state: its own trail kind, so a
            # replay of registry changes (store.integrity) does not read it as one
            self._event(
                conn,
                name,
                b,
                "compared",
                {
                    "comparison": cur.lastrowid,
                    "champion": a,
                    "metric": result.metric,
                    "champion_value": result.champion_value,
                    "challenger_value": result.challenger_value,
                    "p_value": result.p_value,
                    "rows": result.rows,
                    "result_sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
                },
                by,
                kind="comparison",
            )
        return result

    def comparisons(self, name: str | None = None) -> tuple[ChampionChallenger, ...]:
        """Every stored comparison (of model ``name``), oldest first."""
        conn = self.store._conn_for_read()
        exists = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'model_comparisons'"
        ).fetchone()
        if exists is None:
            return ()
        rows = conn.execute(
            "SELECT result FROM model_comparisons" + (" WHERE name = ?" if name else "") + " ORDER BY id",
            (name,) if name else (),
        ).fetchall()
        return tuple(ChampionChallenger.from_dict(json.loads(text)) for (text,) in rows)

    def state(self) -> RegistryState:
        """Every version and every stored comparison, for display."""
        return RegistryState(str(self.store.path), self.versions(), self.comparisons())

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        return self.state()._repr_mimebundle_()

    def __repr__(self) -> str:
        policy = ", four-eyes" if self.four_eyes else ""
        return f"<ModelRegistry {str(self.store.path)!r}: {len(self.versions())} versions{policy}>"
