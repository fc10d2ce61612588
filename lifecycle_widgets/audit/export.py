"""Export an executed notebook to one self-contained HTML file that works offline."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from lifecycle_widgets.core.result import atomic_write_text
from lifecycle_widgets.exceptions import MissingDependencyError

TEMPLATES = Path(__file__).parent / "templates"
PLOTLYJS_MARKER = "* plotly.js v"  # the header comment of the plotly.js bundle
# What a record's kernel sees beside static display mode: figures go into the notebook as plotly's
# mimetype (``panels.display.FIGURES_ENV``), so the notebook carries no plotly.js and
# :func:`notebook_to_html` embeds it once in the page.
RECORD_KERNEL_ENV = {"LIFECYCLE_WIDGETS_FIGURES": "mimetype"}


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
    from lifecycle_widgets.panels.html import plotlyjs_script, templates_script

    nb = nbformat.read(os.fspath(notebook), as_version=4)
    nb.metadata.pop("widgets", None)  # widget state would need the CDN widget manager
    templates = static_figures(nb)
    exporter = HTMLExporter(template_name="lw_offline", extra_template_basedirs=[str(TEMPLATES)])
    body, _ = exporter.from_notebook_node(nb)
    head = templates_script(templates)
    if 'class="lw-figure"' in body and PLOTLYJS_MARKER not in body:
        # figures as plotly's mimetype (audit records) or outputs of a live session leave
        # plotly.js out of the notebook; the page needs it once, before them
        head = plotlyjs_script() + head
    if head:
        body = body.replace("</head>", head + "</head>", 1)
    return atomic_write_text(html_path, body)


def static_figures(nb: Any) -> dict[str, str]:
    """Turn this package's figure outputs of ``nb`` (plotly's mimetype, see
    ``display.notebook_outputs``) into static figures, in place: each becomes ``text/html`` that
    draws it (a picker again a drop-down over all its figures). Returns the figures' templates,
    each once, for the page to define (``html.templates_script``).

    Examples
    --------
    >>> import nbformat
    >>> nb = nbformat.v4.new_notebook()
    >>> static_figures(nb)
    {}
    """
    from lifecycle_widgets.panels import display
    from lifecycle_widgets.panels import html as static

    templates: dict[str, str] = {}
    count = 0
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data") or {}
            if display.PLOTLY_MIME not in data or display.FIGURE_META not in (output.get("metadata") or {}):
                continue
            div_id = f"lw-figure-{count}"
            count += 1
            spec = data[display.PLOTLY_MIME]
            picker = data.get(display.PICKER_MIME)
            if picker:
                packed = static.unpack(picker["packed"])
                specs = [
                    spec if other is None else display.picker_figure(other, packed["templates"])
                    for other in packed["figures"]
                ]
                payload = {"figures": [static.figure_payload(s, templates) for s in specs]}
                options = [str(o) for o in picker["options"]]
                markup = static.figure_html(
                    div_id,
                    payload,
                    picker=(str(picker["label"]), options, options[int(picker["default"])]),
                    compress=True,
                )
            else:
                markup = static.figure_html(div_id, static.figure_payload(spec, templates), compress=True)
            output["data"] = {
                "text/html": f'<div class="lw">{markup}</div>',
                "text/plain": data.get("text/plain", ""),
            }
    return templates
