"""How every result shows itself, from one description per result kind.

Each result kind is described once, by a :class:`Description`: its title, what needs attention
(the headline), and its sections of blocks (key-value tables and tables as markup, named
figures, picker-driven figures). Everything else is derived from that description:

- the static HTML (:func:`html_fragment` for notebook output, :func:`html_document` for files);
- ``figures()``: every named figure block;
- the live panel: the description's own panel class where one adds behaviour (click handlers,
  pickers), otherwise :func:`~lifecycle_widgets.panels.widgets.sections_panel`; either way the
  headline comes first.

``Result`` methods reach this module lazily, so ``core`` never imports plotly or ipywidgets.
Registration is explicit and loud: describing a kind twice is an error, and a test checks that
every result class of the package is described.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import plotly.graph_objects as go

from lifecycle_widgets._config import resolved_display_mode
from lifecycle_widgets.core.result import Result
from lifecycle_widgets.exceptions import LifecycleWidgetsError, ParameterError, UnknownNameError
from lifecycle_widgets.figures._common import as_figure, is_unstyled, template_json
from lifecycle_widgets.panels import html as static

# plotly.js goes into the first static output of a kernel; later outputs in the same notebook
# find it on the page. A notebook export keeps the outputs in order, so it is there too.
_plotlyjs_sent = False
FALLBACK_CLASS = "lw-fallback"  # the static twin of a live panel (see ``live_outputs``)
LIVE_CLASS_PREFIX = "lw-live-"  # + a token: the class of a live panel whose twin says data-lw-twin="<token>"
TWIN_ATTRIBUTE = "data-lw-twin"

# How static notebook outputs carry their figures (see ``notebook_outputs``):
# "html": inside the text/html, drawn by scripts with plotly.js carried once per kernel;
# "mimetype": as plotly's own mimetype outputs, no plotly.js in the notebook (audit records).
FIGURES_ENV = "LIFECYCLE_WIDGETS_FIGURES"
FIGURE_MODES = ("html", "mimetype")
PLOTLY_MIME = "application/vnd.plotly.v1+json"
# a picker's other figures, beside the default one shown through PLOTLY_MIME
PICKER_MIME = "application/vnd.lifecycle-widgets.picker+json"
FIGURE_META = "lifecycle_widgets"  # output metadata key that marks a figure output of this package


@dataclass(frozen=True)
class Description:
    """The one description of how a result kind displays itself.

    ``sections`` gives the static sections (every figure block named); ``headline`` gives what
    needs attention first, as ``static.Attention`` items; ``panel`` builds a live panel with
    behaviour of its own, and defaults to a panel derived from the sections. ``fallback`` gives
    the sections of a live panel's static twin, where the full view is costly and seldom seen
    (the twin shows only in a notebook reopened without its kernel); by default, ``sections``.
    """

    title: Callable[[Any], str]
    sections: Callable[[Any], list[static.Section]]
    headline: Callable[[Any], list[static.Attention]] | None = None
    panel: Callable[[Any], Any] | None = None
    fallback: Callable[[Any], list[static.Section]] | None = None


_DESCRIPTIONS: dict[type, Description] = {}
_TWIN_KEY = uuid.uuid4().hex  # this process's twins: ids unique across kernels of one notebook


def describe(result_type: type, description: Description) -> None:
    """Register the description of ``result_type``; describing a kind twice is an error."""
    if result_type in _DESCRIPTIONS:
        raise LifecycleWidgetsError(f"{result_type.__name__} is already described; a kind is described once.")
    _DESCRIPTIONS[result_type] = description


def described_types() -> tuple[type, ...]:
    """Every result type that has a description."""
    import lifecycle_widgets.panels  # noqa: F401  (describes every kind)

    return tuple(_DESCRIPTIONS)


def description_of(result: Result) -> Description:
    """The description of ``result``'s kind."""
    import lifecycle_widgets.panels  # noqa: F401  (describes every kind)

    described = _DESCRIPTIONS.get(type(result))
    if described is None:
        raise UnknownNameError(
            "display for result type", type(result).__name__, [t.__name__ for t in _DESCRIPTIONS]
        )
    return described


def headline_of(result: Result) -> list[static.Attention]:
    """What needs attention in ``result``, most severe first."""
    described = description_of(result)
    items = described.headline(result) if described.headline else []
    return sorted(items, key=lambda a: static.SEVERITY_ORDER.index(a.severity))


def sections_of(result: Result, *, fallback: bool = False) -> list[static.Section]:
    """The sections of ``result``'s display, the headline first; with ``fallback``, those of the
    static twin of its live panel."""
    described = description_of(result)
    head = headline_of(result)
    lead = [static.Section("", (static.HtmlBlock(static.headline_html(head)),))] if head else []
    build = described.fallback if fallback and described.fallback is not None else described.sections
    return lead + build(result)


def figures_of(result: Result) -> dict[str, go.Figure]:
    """Every named figure of ``result``'s description (picker figures as ``"name:option"``), each a
    ``go.Figure`` (a description may build figure dicts, for the static HTML's speed)."""
    out: dict[str, go.Figure] = {}
    for section in description_of(result).sections(result):
        for block in section.blocks:
            if isinstance(block, static.FigureBlock):
                out[block.name] = as_figure(block.figure)
            elif isinstance(block, static.PickerBlock):
                out.update({f"{block.name}:{k}": as_figure(f) for k, f in block.figures.items()})
    return out


def panel_of(result: Result) -> Any:
    """The live panel of ``result``: the kind's own panel, or one derived from its sections."""
    from lifecycle_widgets.panels.widgets import sections_panel

    described = description_of(result)
    return (described.panel or sections_panel(described.sections))(result)


def html_fragment(
    result: Result, *, include_plotlyjs: bool, fallback: bool = False, token: str | None = None
) -> str:
    """The static display of a result as an HTML fragment (for notebook output).

    With ``fallback``, the fragment is the static twin of a live panel, shown where the panel
    cannot be (a notebook reopened without the kernel that made it). With a ``token`` too, the
    twin carries its own rule (:func:`twin_style`) that hides it while a panel of class
    ``lw-live-<token>`` is on the page, whatever the front end's DOM.

    >>> import lifecycle_widgets as lw
    >>> twin = html_fragment(lw.profile(lw.datasets.credit(200)), include_plotlyjs=False,
    ...                      fallback=True, token="0123abcd")
    >>> 'data-lw-twin="0123abcd"' in twin and "body:has(.lw-live-0123abcd)" in twin
    True
    """
    body = static.render_sections(
        description_of(result).title(result),
        sections_of(result, fallback=fallback),
        # a twin's ids need only be unique on the page (serializing a 2,000-column profile for
        # them took a second); the static view keys on its rendered body (None), so the same
        # result renders to the same bytes without serializing it (10 s for 5,000 x 270 SHAP values)
        key=_TWIN_KEY if fallback else None,
        unique=True,
    )
    style = f"<style>{static.CSS}</style>"
    if fallback:
        if token is None:
            body = f'<div class="{FALLBACK_CLASS}">{body}</div>'
        else:
            token = _checked_token(token)
            style += f"<style>{twin_style(token)}</style>"
            body = f'<div class="{FALLBACK_CLASS}" {TWIN_ATTRIBUTE}="{token}">{body}</div>'
    return (static.plotlyjs_script() if include_plotlyjs else "") + style + body


def twin_style(token: str) -> str:
    """The rule that hides the static twin ``token`` while its live panel is on the page.

    The panel's root element has class ``lw-live-<token>`` (:func:`live_outputs`); ``body:has``
    finds it wherever the front end puts its outputs (JupyterLab, Notebook 7 and Voila each in
    their output areas, VS Code in containers of one webview document), and needs no script,
    so it works in an untrusted notebook too. JupyterLab's output child of the twin (its prompt
    and padding) goes with it.

    >>> twin_style("0123abcd")
    'body:has(.lw-live-0123abcd) :is([data-lw-twin="0123abcd"],.jp-OutputArea-child:has([data-lw-twin="0123abcd"])){display:none}'
    """
    token = _checked_token(token)
    twin = f'[{TWIN_ATTRIBUTE}="{token}"]'
    return (
        f"body:has(.{LIVE_CLASS_PREFIX}{token}) "
        f":is({twin},.jp-OutputArea-child:has({twin})){{display:none}}"
    )


def _checked_token(token: str) -> str:
    # the token goes into a class name, a selector and an attribute: letters, digits, - and _ only
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", token):
        raise ParameterError(f"A twin token is 1 to 64 letters, digits, '-' or '_'; got {token!r}.")
    return token


def panel_token(panel: Any) -> str:
    """The token of ``panel``'s live displays: read from its ``lw-live-<token>`` class, or made
    and added as that class (``add_class``) the first time it is displayed. A panel shown twice
    keeps one token, so each of its twins hides while any of its views shows.

    >>> import ipywidgets
    >>> box = ipywidgets.VBox()
    >>> token = panel_token(box)
    >>> box._dom_classes == (f"lw-live-{token}",) and panel_token(box) == token
    True
    """
    for name in getattr(panel, "_dom_classes", ()):
        if name.startswith(LIVE_CLASS_PREFIX):
            return name[len(LIVE_CLASS_PREFIX) :]
    token = uuid.uuid4().hex[:16]
    panel.add_class(LIVE_CLASS_PREFIX + token)
    return token


def html_document(result: Result, *, title: str | None = None) -> str:
    """The static display of a result as one self-contained HTML page."""
    heading = title or description_of(result).title(result)
    body = static.render_sections(heading, sections_of(result), key=None)  # ids from the body
    return static.document(heading, body)


def mimebundle(result: Result, *, panel: Any = None) -> dict[str, Any]:
    """One bundle for any consumer of ``_repr_mimebundle_``: ``text/plain`` always; the static
    ``text/html``; and in live mode the widget view too.

    In static mode the first output of a kernel carries plotly.js, so the executed notebook
    shows its figures anywhere. In live mode the HTML is a light fallback without plotly.js.
    IPython itself does not use this bundle: it calls ``_ipython_display_``, which publishes
    the live panel and its static twin as two outputs (see :func:`show`).
    """
    global _plotlyjs_sent
    bundle: dict[str, Any] = {"text/plain": repr(result)}
    if resolved_display_mode() == "live":
        bundle["text/html"] = html_fragment(result, include_plotlyjs=False)
        bundle.update(_widget_view(panel if panel is not None else panel_of(result)))
        return bundle
    bundle["text/html"] = html_fragment(result, include_plotlyjs=not _plotlyjs_sent)
    _plotlyjs_sent = True
    return bundle


def live_outputs(result: Result, *, panel: Any = None) -> list[dict[str, Any]]:
    """The two bundles a live display publishes: the static twin, then the panel.

    A front end draws the first renderer it knows from a bundle, and JupyterLab ranks the widget
    view above ``text/html``; so a notebook saved with a live panel and reopened without its
    kernel would show "Error displaying widget: model not found" in place of a fallback in the
    same bundle. As two outputs, the stylesheet decides. The panel's root widget gets the class
    ``lw-live-<token>`` (:func:`panel_token`) and the twin ``data-lw-twin="<token>"`` with its
    own rule (:func:`twin_style`): while the panel is drawn, in any front end, the twin is
    hidden; where no panel could be drawn, the twin shows (and in JupyterLab and Notebook 7,
    ``lw.css`` hides the dead widget output). The twin carries plotly.js the first time in a
    kernel, as static outputs do.
    """
    global _plotlyjs_sent
    panel = panel if panel is not None else panel_of(result)
    token = panel_token(panel)
    twin = html_fragment(result, include_plotlyjs=not _plotlyjs_sent, fallback=True, token=token)
    _plotlyjs_sent = True
    view = _widget_view(panel)
    # no text for the panel: where the widget view cannot show, its static twin says it all
    return [{"text/plain": repr(result), "text/html": twin}, {"text/plain": "", **view}]


def figures_mode() -> str:
    """How static notebook outputs carry figures: ``$LIFECYCLE_WIDGETS_FIGURES``, ``"html"`` unless
    set (see :func:`notebook_outputs`)."""
    value = os.environ.get(FIGURES_ENV, "html") or "html"
    if value not in FIGURE_MODES:
        raise ParameterError(
            f"The environment variable {FIGURES_ENV} must be one of {FIGURE_MODES}; got {value!r}."
        )
    return value


# template parts only traces of these types use (a figure of bars needs no 3-D scene's styling)
_SUBPLOTS = {
    "geo": {"scattergeo", "choropleth"},
    "polar": {"scatterpolar", "scatterpolargl", "barpolar"},
    "scene": {"scatter3d", "surface", "mesh3d", "cone", "streamtube", "isosurface", "volume"},
    "ternary": {"scatterternary"},
    "mapbox": {"scattermapbox", "choroplethmapbox", "densitymapbox"},
    "map": {"scattermap", "choroplethmap", "densitymap"},
}


def mimetype_spec(fig: static.Figure) -> dict[str, Any]:
    """``fig`` as plotly's mimetype data, drawn by JupyterLab's bundled plotly renderer (no kernel,
    no plotly.js in the notebook): compact JSON, long number arrays typed (``html.typed_arrays``:
    a notebook indents JSON one number a line), the default template where the figure has none,
    pruned to the trace types the figure uses."""
    spec = static.plain_spec(fig)
    layout = spec.setdefault("layout", {})
    if is_unstyled(layout.get("template")):
        template = template_json()
        used = {trace.get("type", "scatter") for trace in spec.get("data") or []}
        layout["template"] = {
            "layout": {
                k: v
                for k, v in (template.get("layout") or {}).items()
                if k not in _SUBPLOTS or _SUBPLOTS[k] & used or k in layout
            },
            "data": {k: v for k, v in (template.get("data") or {}).items() if k in used},
        }
    spec["config"] = {"displaylogo": False}
    return static.typed_arrays(spec)


def _share_template(spec: dict[str, Any], shared: dict[str, Any]) -> dict[str, Any]:
    # a picker's figures name their template by key: each distinct one is stored once
    template = spec.get("layout", {}).get("template")
    if isinstance(template, dict):
        key = static.template_key(template, {})
        shared[key] = template
        spec["layout"]["template"] = key
    return spec


def picker_figure(spec: dict[str, Any], templates: dict[str, Any]) -> dict[str, Any]:
    """A figure of a picker output (``PICKER_MIME``) with its shared template put back in place."""
    key = (spec.get("layout") or {}).get("template")
    if isinstance(key, str) and key in templates:
        spec = {**spec, "layout": {**spec["layout"], "template": templates[key]}}
    return spec


def _figure_title(spec: dict[str, Any]) -> str:
    title = (spec.get("layout") or {}).get("title")
    text = title.get("text") if isinstance(title, dict) else title
    return str(text or "figure")


def notebook_outputs(result: Result) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """The static display of ``result`` as notebook outputs, ``(data, metadata)`` pairs, with its
    figures as plotly's mimetype.

    The markup between figures is ``text/html``; each figure is an output of its own whose
    ``application/vnd.plotly.v1+json`` JupyterLab, Notebook 7 and VS Code draw with the plotly.js
    they bundle, with no kernel and in an untrusted notebook (scripts in ``text/html`` run in
    neither). A picker shows its default figure, the others ride along packed under ``PICKER_MIME``, and
    :func:`lifecycle_widgets.audit.export.notebook_to_html` turns each figure output back into
    the static picker, with plotly.js once per page. So the notebook carries no plotly.js at all,
    and each figure's data once.
    """
    title = description_of(result).title(result)
    chunks: list[str] = [f"<style>{static.CSS}</style>", f"<h2>{static.short(title, 200)}</h2>"]
    outputs: list[tuple[dict[str, Any], dict[str, Any]]] = []

    def flush() -> None:
        if chunks:
            text = repr(result) if not outputs else ""
            outputs.append(
                ({"text/plain": text, "text/html": f'<div class="lw">{"".join(chunks)}</div>'}, {})
            )
            chunks.clear()

    for section in sections_of(result):
        if section.title:
            chunks.append(f"<h3>{static.short(section.title, 200)}</h3>")
        for block in section.blocks:
            if isinstance(block, static.HtmlBlock):
                chunks.append(block.html)
                continue
            flush()
            if isinstance(block, static.FigureBlock):
                spec = mimetype_spec(block.figure)
                data: dict[str, Any] = {PLOTLY_MIME: spec}
                meta = {"figure": block.name}
            else:
                names = list(block.figures)
                default = names.index(block.default) if block.default in names else 0
                spec = mimetype_spec(block.figures[names[default]])
                shared: dict[str, Any] = {}
                others = [
                    None if i == default else _share_template(mimetype_spec(f), shared)
                    for i, f in enumerate(block.figures.values())
                ]
                data = {
                    PLOTLY_MIME: spec,
                    # the figures JupyterLab does not show travel packed (gzip, base64): only
                    # the record's HTML export reads them
                    PICKER_MIME: {
                        "label": block.label,
                        "options": names,
                        "default": default,
                        "packed": static.pack({"figures": others, "templates": shared}),
                    },
                }
                meta = {"figure": block.name, "picker": len(names)}
            label = _figure_title(spec)
            note = (
                f"{static.esc(block.label)}: {static.short(names[default])} "
                f"(the record's HTML export picks among {len(names)})"
                if isinstance(block, static.PickerBlock)
                else ""
            )
            data["text/html"] = (
                f'<p class="lw-note">Figure: {static.short(label, 200)}{" · " + note if note else ""}</p>'
            )
            data["text/plain"] = f"<figure: {static.cut(label, 200)}>"
            outputs.append((data, {FIGURE_META: meta}))
    flush()
    return outputs


def show(result: Result, *, panel: Any = None) -> None:
    """Publish ``result`` in the running IPython: the static view, or in live mode the static
    twin followed by the live panel (:func:`live_outputs`). With ``$LIFECYCLE_WIDGETS_FIGURES``
    ``=mimetype`` (audit records) the static view is :func:`notebook_outputs`."""
    from IPython.display import display as publish
    from IPython.display import publish_display_data

    if resolved_display_mode() == "live":
        for bundle in live_outputs(result, panel=panel):
            publish(bundle, raw=True)
    elif figures_mode() == "mimetype":
        for data, metadata in notebook_outputs(result):
            publish_display_data(data, metadata)
    else:
        publish(mimebundle(result), raw=True)


def _widget_view(panel: Any) -> dict[str, Any]:
    import ipywidgets

    bundle = ipywidgets.Widget._repr_mimebundle_(panel) or {}
    return {k: v for k, v in bundle.items() if k != "text/plain"}


def reset_plotlyjs() -> None:
    """Make the next static output carry plotly.js again (after clearing a notebook's outputs)."""
    global _plotlyjs_sent
    _plotlyjs_sent = False
