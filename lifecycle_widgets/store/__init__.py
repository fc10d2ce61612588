"""The project's SQLite store: the audit trail now; runs and the model registry to come."""

from lifecycle_widgets.store.db import StoreError, connect, default_store_path
from lifecycle_widgets.store.models import load_model, save_model
from lifecycle_widgets.store.runs import Run, RunRecord, Runs, RunStore

__all__ = [
    "Run",
    "RunRecord",
    "RunStore",
    "Runs",
    "StoreError",
    "connect",
    "default_store_path",
    "load_model",
    "save_model",
]
