"""The project's SQLite store: runs, the model registry, and the signed, hash-chained audit trail."""

from lifecycle_widgets.store.db import StoreError, connect, default_store_path
from lifecycle_widgets.store.integrity import StoreCheck, check_store
from lifecycle_widgets.store.keys import Signer, TrustedKeys
from lifecycle_widgets.store.models import load_model, save_model
from lifecycle_widgets.store.runs import Run, RunRecord, Runs, RunStore

__all__ = [
    "Run",
    "RunRecord",
    "RunStore",
    "Runs",
    "Signer",
    "StoreCheck",
    "StoreError",
    "TrustedKeys",
    "check_store",
    "connect",
    "default_store_path",
    "load_model",
    "save_model",
]
