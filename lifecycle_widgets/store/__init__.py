"""The project's SQLite store: runs, the model registry, dataset versions, the feature catalog,
and the signed, hash-chained audit trail."""

from lifecycle_widgets.store.datasets import DatasetUser, DatasetVersion
from lifecycle_widgets.store.db import StoreError, connect, default_store_path
from lifecycle_widgets.store.features import FeatureDefinition, feature_definitions
from lifecycle_widgets.store.integrity import StoreCheck, check_store
from lifecycle_widgets.store.keys import Signer, TrustedKeys
from lifecycle_widgets.store.models import load_model, save_model
from lifecycle_widgets.store.runs import Run, RunRecord, Runs, RunStore

__all__ = [
    "DatasetUser",
    "DatasetVersion",
    "FeatureDefinition",
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
    "feature_definitions",
    "load_model",
    "save_model",
]
