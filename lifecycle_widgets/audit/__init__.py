"""Audit records: papermill runs of template notebooks that can be verified and reproduced.

Examples
--------
>>> import lifecycle_widgets as lw
>>> rec = lw.audit.run("notebooks/data_audit.ipynb", {"demo_rows": 2000})  # doctest: +SKIP
>>> lw.audit.verify(rec.path).ok  # doctest: +SKIP
True
"""

from lifecycle_widgets.audit.batch import run_many
from lifecycle_widgets.audit.export import notebook_to_html
from lifecycle_widgets.audit.parameters import TemplateParameter, template_parameters
from lifecycle_widgets.audit.reproduction import Reproduction, reproduce
from lifecycle_widgets.audit.runner import AuditRecord, list_records, run
from lifecycle_widgets.audit.verification import Verification, verify

__all__ = [
    "AuditRecord",
    "Reproduction",
    "TemplateParameter",
    "Verification",
    "list_records",
    "notebook_to_html",
    "reproduce",
    "run",
    "run_many",
    "template_parameters",
    "verify",
]
