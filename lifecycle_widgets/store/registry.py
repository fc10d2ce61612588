"""The model registry: named models, versions from runs, approvals with who, when and why,
aliases, links to audit records and baselines, and champion/challenger comparisons.

Every change is written with an entry in the store's hash-chained audit trail, in the same
transaction, so the trail and the registry never disagree.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from lifecycle_widgets.core.experiments import (
    ChampionChallenger,
    Event,
    ModelVersion,
    RegistryState,
    compare_models,
)
from lifecycle_widgets.exceptions import ParameterError
from lifecycle_widgets.store import trail
from lifecycle_widgets.store.runs import Run, RunStore

PENDING, APPROVED, REJECTED = "PendingManualApproval", "Approved", "Rejected"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


class ModelRegistry:
    """Model versions and their approval in a :class:`RunStore`.

    Examples
    --------
    >>> import lifecycle_widgets as lw
    >>> from sklearn.linear_model import LogisticRegression
    >>> store = lw.RunStore("/tmp/doc-registry.db")
    >>> with store.start_run(experiment="doc") as run:
    ...     run.log_model(LogisticRegression().fit([[0.0], [1.0]], [0, 1]))  # doctest: +ELLIPSIS
    '...'
    >>> reg = lw.ModelRegistry(store)
    >>> v = reg.register(run, name="doc-model")
    >>> reg.approve("doc-model", v.version, by="reviewer", note="looks fine").status
    'Approved'
    """

    def __init__(self, store: RunStore) -> None:
        if not isinstance(store, RunStore):
            raise ParameterError.bad_value("store", "ModelRegistry", "a RunStore", type(store).__name__)
        self.store = store
        self._comparisons: list[ChampionChallenger] = []

    def _event(
        self, conn: Any, name: str, version: int | None, event: str, detail: dict[str, Any], by: str
    ) -> None:
        text = json.dumps(detail, sort_keys=True, default=str)
        conn.execute(
            "INSERT INTO model_events (name, version, event, detail, by, at) VALUES (?, ?, ?, ?, ?, ?)",
            (name, version, event, text, by, _now()),
        )
        trail.append_in(conn, "registry", f"{name}:{version}", {"event": event, "by": by, **detail})

    def register(self, run: Run | str, *, name: str, artifact: str = "model", by: str = "") -> ModelVersion:
        """A new version of model ``name`` from a run's logged model; status PendingManualApproval."""
        run_id = run.id if isinstance(run, Run) else str(run)
        if not isinstance(name, str) or not name.strip():
            raise ParameterError.bad_value("name", "ModelRegistry.register", "a non-empty str", name)
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

    def _resolve(self, name: str, ref: int | str) -> int:
        conn = self.store._conn_for_read()
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
        if not by:
            raise ParameterError(
                f"Say who {'approves' if status == APPROVED else 'rejects'}: by= is required."
            )
        version = self._resolve(name, ref)
        with self.store.transaction() as conn:
            conn.execute(
                "UPDATE model_versions SET status = ? WHERE name = ? AND version = ?", (status, name, version)
            )
            if status == REJECTED:
                conn.execute("DELETE FROM model_aliases WHERE name = ? AND version = ?", (name, version))
            self._event(conn, name, version, status.lower(), {"note": note}, by)
        return self.version(name, version)

    def approve(self, name: str, version: int | str, *, by: str, note: str = "") -> ModelVersion:
        """Approve a version (who and why are recorded)."""
        return self._set_status(name, version, APPROVED, by, note)

    def reject(self, name: str, version: int | str, *, by: str, note: str = "") -> ModelVersion:
        """Reject a version; its aliases are removed."""
        return self._set_status(name, version, REJECTED, by, note)

    def set_alias(self, name: str, alias: str, version: int | str, *, by: str = "") -> ModelVersion:
        """Point ``alias`` (champion, challenger, ...) at a version that is not rejected."""
        if not isinstance(alias, str) or not alias or alias.isdigit():
            raise ParameterError.bad_value(
                "alias", "ModelRegistry.set_alias", "a name that is not a number", alias
            )
        number = self._resolve(name, version)
        current = self.version(name, number)
        if current.status == REJECTED:
            raise ParameterError(f"Version {number} of {name!r} is rejected: an alias cannot point at it.")
        with self.store.transaction() as conn:
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
        import hashlib
        from pathlib import Path

        from lifecycle_widgets.store.models import load_model

        v = self.version(name, ref)
        path, _ = self.store.artifact(v.run_id)
        digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
        if digest != v.artifact_sha256:
            raise ParameterError(
                f"The model file of {name!r} version {v.version} changed since it was registered "
                f"(SHA-256 {digest[:16]}…, registered {v.artifact_sha256[:16]}…)."
            )
        return load_model(path, trusted=trusted)

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
    ) -> ChampionChallenger:
        """Compare two versions on the same holdout rows (see :func:`compare_models`)."""
        a, b = self._resolve(name, champion), self._resolve(name, challenger)
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
        self._comparisons.append(result)
        return result

    def state(self) -> RegistryState:
        """Every version, for display."""
        return RegistryState(str(self.store.path), self.versions(), tuple(self._comparisons))

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        return self.state()._repr_mimebundle_()

    def __repr__(self) -> str:
        return f"<ModelRegistry {str(self.store.path)!r}: {len(self.versions())} versions>"
