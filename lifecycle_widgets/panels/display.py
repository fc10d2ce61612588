"""How every result shows itself: live panel, static HTML and figures, chosen per result kind.

Each result kind registers a :class:`DisplaySpec` (its figures, its static sections and its panel
class). ``Result`` methods reach this module lazily, so ``core`` never imports plotly or
ipywidgets.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import plotly.graph_objects as go

from lifecycle_widgets._config import resolved_display_mode
from lifecycle_widgets.core.result import Result
from lifecycle_widgets.exceptions import UnknownNameError
from lifecycle_widgets.panels import html as static

# plotly.js goes into the first static output of a kernel; later outputs in the same notebook
# find it on the page. A notebook export keeps the outputs in order, so it is there too.
_plotlyjs_sent = False


@dataclass(frozen=True)
class DisplaySpec:
    """What a result kind needs to display itself."""

    title: Callable[[Any], str]
    figures: Callable[[Any], dict[str, go.Figure]]
    sections: Callable[[Any], list[static.Section]]
    panel: Callable[[Any], Any]


_SPECS: dict[type, DisplaySpec] = {}


def register(result_type: type, spec: DisplaySpec) -> None:
    """Register how results of ``result_type`` display themselves."""
    _SPECS[result_type] = spec


def spec_of(result: Result) -> DisplaySpec:
    """The display spec of ``result``'s kind."""
    import lifecycle_widgets.panels  # noqa: F401  (registers every panel)

    for cls in type(result).__mro__:
        if cls in _SPECS:
            return _SPECS[cls]
    raise UnknownNameError("display for result type", type(result).__name__, [t.__name__ for t in _SPECS])


def figures_of(result: Result) -> dict[str, go.Figure]:
    return spec_of(result).figures(result)


def panel_of(result: Result) -> Any:
    return spec_of(result).panel(result)


def html_fragment(result: Result, *, include_plotlyjs: bool) -> str:
    """The static display of a result as an HTML fragment (for notebook output)."""
    spec = spec_of(result)
    body = static.render_sections(
        spec.title(result), spec.sections(result), key=result.to_json(indent=None), unique=True
    )
    style = f"<style>{static.CSS}</style>"
    return (static.plotlyjs_script() if include_plotlyjs else "") + style + body


def html_document(result: Result, *, title: str | None = None) -> str:
    """The static display of a result as one self-contained HTML page."""
    spec = spec_of(result)
    heading = title or spec.title(result)
    body = static.render_sections(heading, spec.sections(result), key=result.to_json(indent=None))
    return static.document(heading, body)


def mimebundle(result: Result) -> dict[str, Any]:
    """``text/plain`` always, static ``text/html`` always, the widget view in live mode.

    In static mode the first output of a kernel carries plotly.js, so the executed notebook
    shows its figures anywhere. In live mode the HTML fallback leaves plotly.js out (JupyterLab
    shows the widget, and a saved notebook stays small); ``notebook_to_html`` adds it back once.
    """
    global _plotlyjs_sent
    bundle: dict[str, Any] = {"text/plain": repr(result)}
    if resolved_display_mode() == "live":
        bundle["text/html"] = html_fragment(result, include_plotlyjs=False)
        widget_bundle = panel_of(result)._repr_mimebundle_()
        bundle.update({k: v for k, v in widget_bundle.items() if k != "text/plain"})
        return bundle
    bundle["text/html"] = html_fragment(result, include_plotlyjs=not _plotlyjs_sent)
    _plotlyjs_sent = True
    return bundle


def reset_plotlyjs() -> None:
    """Make the next static output carry plotly.js again (after clearing a notebook's outputs)."""
    global _plotlyjs_sent
    _plotlyjs_sent = False
