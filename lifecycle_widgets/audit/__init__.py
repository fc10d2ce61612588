"""Audit records: papermill runs of template notebooks, exported to offline HTML."""

from lifecycle_widgets.audit.export import notebook_to_html

__all__ = ["notebook_to_html"]
