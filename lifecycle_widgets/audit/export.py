"""Export an executed notebook to one self-contained HTML file that works offline."""

from __future__ import annotations

import os
from pathlib import Path

from lifecycle_widgets.core.result import atomic_write_text
from lifecycle_widgets.exceptions import MissingDependencyError

TEMPLATES = Path(__file__).parent / "templates"
PLOTLYJS_MARKER = "* plotly.js v"  # the header comment of the plotly.js bundle


def notebook_to_html(notebook: str | os.PathLike[str], html_path: str | os.PathLike[str]) -> Path:
    """Write ``notebook`` as HTML to ``html_path`` with no external script, stylesheet or font.

    Uses nbconvert's JupyterLab template minus its CDN parts (require.js, MathJax, mermaid,
    the widget manager); widget outputs show their static HTML fallback instead.

    Examples
    --------
    >>> from lifecycle_widgets.audit.export import notebook_to_html
    >>> notebook_to_html("executed.ipynb", "executed.html")  # doctest: +SKIP
    PosixPath('executed.html')
    """
    try:
        import nbformat
        from nbconvert import HTMLExporter
    except ImportError as err:
        raise MissingDependencyError("nbconvert", "audit", "Exporting notebooks to HTML") from err
    nb = nbformat.read(os.fspath(notebook), as_version=4)
    nb.metadata.pop("widgets", None)  # widget state would need the CDN widget manager
    exporter = HTMLExporter(template_name="lw_offline", extra_template_basedirs=[str(TEMPLATES)])
    body, _ = exporter.from_notebook_node(nb)
    if 'class="lw-figure"' in body and PLOTLYJS_MARKER not in body:
        # outputs of a live session leave plotly.js out; the page needs it once, before them
        from lifecycle_widgets.panels.html import plotlyjs_script

        body = body.replace("</head>", plotlyjs_script() + "</head>", 1)
    return atomic_write_text(html_path, body)
