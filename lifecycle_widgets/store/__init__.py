"""The project's SQLite store: the audit trail now; runs and the model registry to come."""

from lifecycle_widgets.store.db import StoreError, connect, default_store_path

__all__ = ["StoreError", "connect", "default_store_path"]
