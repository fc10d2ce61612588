"""Audit records: papermill runs of template notebooks, signed, verifiable and reproducible.

Examples
--------
>>> import lifecycle_widgets as lw
>>> rec = lw.audit.run("notebooks/data_audit.ipynb", {"demo_rows": 2000})  # doctest: +SKIP
>>> lw.audit.verify(rec.path, trusted_keys="allowed_signers").ok  # doctest: +SKIP
True
"""

from lifecycle_widgets.audit.batch import run_many
from lifecycle_widgets.audit.differences import RecordDiff, diff_records
from lifecycle_widgets.audit.export import notebook_to_html
from lifecycle_widgets.audit.housekeeping import collect_garbage
from lifecycle_widgets.audit.parameters import TemplateParameter, template_parameters
from lifecycle_widgets.audit.reproduction import Reproduction, reproduce
from lifecycle_widgets.audit.runner import AuditRecord, RecordListing, list_records, run, scan_records
from lifecycle_widgets.audit.verification import Verification, verify

__all__ = [
    "AuditRecord",
    "RecordDiff",
    "RecordListing",
    "Reproduction",
    "TemplateParameter",
    "Verification",
    "collect_garbage",
    "diff_records",
    "list_records",
    "notebook_to_html",
    "reproduce",
    "run",
    "run_many",
    "scan_records",
    "template_parameters",
    "verify",
]
