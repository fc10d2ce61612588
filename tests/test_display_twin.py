"""The token twin: a live display's static twin hides while its own panel is on the page, by a
rule that names the panel's class and needs no host-specific DOM and no script.

The browser tests (tests/browser/test_frontends.py) check the rule in JupyterLab's DOM, Notebook 7,
Voila and a VS Code-like webview; these tests check the markup that makes it work."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
import tinycss2

import lifecycle_widgets as lw
from lifecycle_widgets.panels import display

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"


@pytest.fixture(autouse=True)
def fresh_plotlyjs_state():
    display.reset_plotlyjs()
    yield
    display.reset_plotlyjs()


class _Twin(HTMLParser):
    """The elements with a ``data-lw-twin`` attribute and the text of every ``<style>``."""

    def __init__(self) -> None:
        super().__init__()
        self.marked: list[dict[str, str | None]] = []
        self.styles: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if "data-lw-twin" in attributes:
            self.marked.append({"tag": tag, **attributes})
        self._in_style = tag == "style"
        if self._in_style:
            self.styles.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.styles[-1] += data


def _parse(html: str) -> _Twin:
    parser = _Twin()
    parser.feed(html)
    return parser


def _model_classes(view: dict) -> tuple[str, ...]:
    """The ``_dom_classes`` of the widget a view bundle shows, as the front end receives them."""
    from ipywidgets.widgets.widget import _instances  # the live widgets by model id

    model = _instances[view[WIDGET_MIME]["model_id"]]
    return tuple(model.get_state()["_dom_classes"])


def test_the_twin_and_its_panel_share_one_token(credit_profile: lw.DataProfile) -> None:
    with lw.config_context(display="live"):
        twin, view = display.live_outputs(credit_profile)
    live = [c for c in _model_classes(view) if c.startswith("lw-live-")]
    assert len(live) == 1, _model_classes(view)
    assert "lw-panel" in _model_classes(view)
    token = live[0].removeprefix("lw-live-")
    assert re.fullmatch(r"[0-9a-f]{16}", token)

    parsed = _parse(twin["text/html"])
    # one element carries the token: the twin's root, which holds the whole static view
    assert [(m["tag"], m["class"], m["data-lw-twin"]) for m in parsed.marked] == [("div", "lw-fallback", token)]
    assert WIDGET_MIME not in twin
    # its rule hides it while the panel's class is anywhere in the document, and nothing else
    rules = [s for s in parsed.styles if token in s]
    assert rules == [display.twin_style(token)]
    assert rules[0].startswith(f"body:has(.lw-live-{token}) ")
    assert rules[0].endswith("{display:none}")


def test_the_rule_is_one_valid_css_rule_naming_only_its_token() -> None:
    rule = display.twin_style("abc123")
    (parsed,) = [n for n in tinycss2.parse_stylesheet(rule, skip_whitespace=True, skip_comments=True)]
    assert parsed.type == "qualified-rule", parsed
    selector = tinycss2.serialize(parsed.prelude).strip()
    assert "lw-live-abc123" in selector and selector.count('[data-lw-twin="abc123"]') == 2
    # nothing host-specific is needed to hide the twin itself: body and the twin's own mark
    first = selector.split(":is(", 1)[1].split(",", 1)[0]
    assert first == '[data-lw-twin="abc123"]'
    declarations = tinycss2.parse_blocks_contents(parsed.content, skip_whitespace=True)
    assert [(d.lower_name, tinycss2.serialize(d.value).strip()) for d in declarations] == [("display", "none")]


def test_two_panels_get_two_tokens_and_a_panel_shown_twice_keeps_one(credit_profile: lw.DataProfile) -> None:
    with lw.config_context(display="live"):
        panel = credit_profile.panel()
        first, _ = display.live_outputs(credit_profile, panel=panel)
        again, _ = display.live_outputs(credit_profile, panel=panel)
        other, _ = display.live_outputs(credit_profile)
    tokens = [_parse(t["text/html"]).marked[0]["data-lw-twin"] for t in (first, again, other)]
    assert tokens[0] == tokens[1] != tokens[2]
    assert [c for c in panel._dom_classes if c.startswith("lw-live-")] == [f"lw-live-{tokens[0]}"]


def test_ipython_publishes_the_twin_before_the_panel_of_its_token(credit_profile: lw.DataProfile) -> None:
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.display import display as ipy_display
    from IPython.utils.capture import capture_output

    InteractiveShell.instance()
    try:
        with lw.config_context(display="live"), capture_output() as captured:
            ipy_display(credit_profile.panel())
    finally:
        InteractiveShell.clear_instance()
    twin, view = (out.data for out in captured.outputs)
    token = _parse(twin["text/html"]).marked[0]["data-lw-twin"]
    assert f"lw-live-{token}" in _model_classes(view)


def test_static_outputs_carry_no_twin_mark(credit_profile: lw.DataProfile) -> None:
    with lw.config_context(display="static"):
        html = credit_profile._repr_mimebundle_()["text/html"]
    assert not _parse(html).marked and "lw-live-" not in html
    # a twin without a token (a caller of html_fragment) has no rule of its own either
    plain = display.html_fragment(credit_profile, include_plotlyjs=False, fallback=True)
    assert 'class="lw-fallback"' in plain and not _parse(plain).marked


@pytest.mark.parametrize("token", ["", "a b", 'x"]{}', "x" * 65, "é"])
def test_a_token_that_could_break_the_selector_is_refused(credit_profile: lw.DataProfile, token: str) -> None:
    with pytest.raises(lw.ParameterError, match="twin token"):
        display.twin_style(token)
    with pytest.raises(lw.ParameterError, match="twin token"):
        display.html_fragment(credit_profile, include_plotlyjs=False, fallback=True, token=token)


def test_the_package_stylesheet_keeps_only_the_dead_output_rule_of_jupyterlab() -> None:
    """The twin hides by its own rule; lw.css still hides JupyterLab's dead widget output after
    a twin ("model not found"), where no panel could be drawn."""
    from lifecycle_widgets.panels.html import CSS

    rules = re.findall(r"^([^{}\n]*\.jp-OutputArea-child[^{]*)\{display:none\}", CSS, flags=re.M)
    assert rules == [".jp-OutputArea-child:has(.lw-fallback) + .jp-OutputArea-child:not(:has(.lw-panel))"]
