"""Static, self-contained HTML: figures, pickers and tables that need no kernel and no network.

plotly.js is embedded inline, once per document (and once per kernel in notebook output). Each
figure's JSON sits in a ``<script type="application/json">`` block, escaped so that no text in
it can close the block; a small bootstrap draws it when plotly.js is ready.
"""

from __future__ import annotations

import base64
import functools
import gzip
import hashlib
import html
import itertools
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
from plotly.offline import get_plotlyjs, get_plotlyjs_version

from lifecycle_widgets.figures._common import defaults, is_unstyled, template_json

CSS = (Path(__file__).parent / "lw.css").read_text(encoding="utf-8")
_ids = itertools.count()


Figure = go.Figure | dict  # a go.Figure, or a figure dict built as plotly JSON (see ``plain_spec``)


@dataclass(frozen=True)
class FigureBlock:
    """A plotly figure, under the name ``figures()`` gives it (as a ``go.Figure``). It may be a
    figure dict (plotly JSON, ``figures._common.finished_layout``): the static HTML writes such a
    figure as it is, without plotly's validation."""

    name: str
    figure: Figure


@dataclass(frozen=True)
class PickerBlock:
    """A drop-down that switches one figure between several; all are embedded (aggregates only).
    ``default`` is the option shown first (the first one when None); ``figures()`` names each
    ``"name:option"``."""

    name: str
    label: str
    figures: dict[str, Figure]
    default: str | None = None


@dataclass(frozen=True)
class HtmlBlock:
    """Markup built by this package (every user string in it already escaped)."""

    html: str


Block = FigureBlock | PickerBlock | HtmlBlock


@dataclass(frozen=True)
class Section:
    """A titled part of a result's static display."""

    title: str
    blocks: tuple[Block, ...]


def table_and_figure(title: str, markup: str, name: str, figure: Figure) -> list[Section]:
    """The display of a result that is one table and one figure: a single section."""
    return [Section(title, (HtmlBlock(markup), FigureBlock(name, figure)))]


SEVERITY_ORDER = ("high", "medium", "low", "ok")


@dataclass(frozen=True)
class Attention:
    """One line of a headline: what needs attention, with a severity in ``SEVERITY_ORDER``."""

    severity: str
    text: str

    def __post_init__(self) -> None:
        if self.severity not in SEVERITY_ORDER:
            raise ValueError(f"severity must be one of {SEVERITY_ORDER}; got {self.severity!r}")


def headline_html(items: Sequence[Attention]) -> str:
    """The headline: one coloured line per item (text escaped)."""
    lines = "".join(
        f'<li class="lw-att lw-att-{a.severity}"><span class="lw-badge">{esc(a.severity)}</span> {short(a.text, 300)}</li>'
        for a in items
    )
    return f'<ul class="lw-headline">{lines}</ul>'


def esc(value: object) -> str:
    """Escape any user-supplied value for HTML text or attributes."""
    return html.escape(str(value), quote=True)


CELL_LIMIT = 100  # characters of a table cell or headline line before it is shortened
HOVER_LIMIT = 1_000  # characters of the full text kept for the hover


def short(value: object, limit: int = CELL_LIMIT) -> str:
    """``value`` escaped, and cut to ``limit`` characters with the full text on hover.

    A column name of 10 MB is shown as its first characters; the hover holds the first
    ``HOVER_LIMIT`` characters and the full length, so no page copies it whole.

    Examples
    --------
    >>> short("income")
    'income'
    >>> short("monthly_income_after_tax", limit=10)
    '<span title="monthly_income_after_tax">monthly_i…</span>'
    """
    text = str(value)
    if len(text) <= limit:
        return esc(text)
    hover = text if len(text) <= HOVER_LIMIT else f"{cut(text, HOVER_LIMIT)}({len(text):,} characters)"
    return f'<span title="{esc(hover)}">{esc(cut(text, limit))}</span>'


FIGURE_TEXT_LIMIT = 300  # characters of any one string in a figure's JSON


def cut(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, the last one an ellipsis (plain text, not escaped)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def clip_figure_text(spec: Any) -> Any:
    """A plotly figure spec (JSON-plain) whose strings are at most ``FIGURE_TEXT_LIMIT`` long.

    Names reach figures as titles, categories and hover text; a 10 MB column name would
    otherwise be copied into every figure. A cut string ends with a hash of the whole, so two
    long names that share a beginning stay two categories.
    """
    if isinstance(spec, str):
        if len(spec) <= FIGURE_TEXT_LIMIT:
            return spec
        digest = hashlib.sha256(spec.encode("utf-8", "surrogatepass")).hexdigest()[:8]
        return f"{spec[: FIGURE_TEXT_LIMIT - 11]}…#{digest}"
    if isinstance(spec, dict):
        return {k: clip_figure_text(v) for k, v in spec.items()}
    if isinstance(spec, list):
        if (
            spec
            and not isinstance(spec[0], str | dict | list)
            and not isinstance(spec[-1], str | dict | list)
        ):
            return spec  # an array of numbers: nothing to clip
        if set(map(type, spec)) == {str} and max(map(len, spec)) <= FIGURE_TEXT_LIMIT:
            return list(spec)  # short strings (a beeswarm's hover texts): nothing to clip
        return [clip_figure_text(v) for v in spec]
    return spec


def table(
    rows: Iterable[Sequence[object]],
    header: Sequence[str] | None = None,
    numeric: Sequence[int] = (),
    classes: Sequence[str | None] | None = None,
) -> str:
    """An HTML table; every cell is escaped, and cut with the full text on hover where long
    (:func:`short`). ``numeric`` lists right-aligned column positions."""
    out = ['<table class="lw-table">']
    if header:
        out.append("<tr>" + "".join(f"<th>{short(h)}</th>" for h in header) + "</tr>")
    for i, row in enumerate(rows):
        cls = f' class="lw-{esc(classes[i])}"' if classes and classes[i] else ""
        cells = "".join(
            f'<td class="lw-num">{short(v)}</td>' if j in numeric else f"<td>{short(v)}</td>"
            for j, v in enumerate(row)
        )
        out.append(f"<tr{cls}>{cells}</tr>")
    out.append("</table>")
    return "".join(out)


def _json_for_script(value: object) -> str:
    # Nothing inside may close the <script> block or open a comment: escape "<", ">" and "&".
    text = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


SPAN_RESOLUTION = 1e-5  # a figure's numbers keep this share of their array's span (a pixel is ~1e-3)


def compact_numbers(spec: Any) -> Any:
    """A JSON-plain figure spec whose arrays of floats are rounded to ``SPAN_RESOLUTION`` of
    their span (or of their magnitude, where all are equal); integers, strings and lone numbers
    stay as they are.

    Python writes a float with up to 17 digits; a figure can show at most a few thousand
    distinct positions on an axis, so most of those digits are noise that a record stores twice.
    Rounding to a share of the array's own span (never to a fixed number of digits) keeps values
    such as timestamps or large identifiers, whose spread is small beside their size, apart.

    Examples
    --------
    >>> compact_numbers({"x": [0.12345678901, 0.5, 1.0], "name": "a"})
    {'x': [0.123457, 0.5, 1.0], 'name': 'a'}
    >>> compact_numbers({"x": [1_000_000.123456789, 1_000_000.5]})
    {'x': [1000000.123457, 1000000.5]}
    """
    if isinstance(spec, dict):
        return {k: compact_numbers(v) for k, v in spec.items()}
    if isinstance(spec, np.ndarray) and spec.ndim == 1 and spec.dtype.kind == "f":
        return _compact_array(spec)  # left as an array by plain_spec's reading of a figure
    if not isinstance(spec, list) or not spec:
        return spec
    types = set(map(type, spec))
    if float in types and types <= {float, type(None)} and len(spec) >= _VECTOR_MIN:
        return _compact_floats(spec)
    if not any(issubclass(t, float | dict | list) for t in types):
        return list(spec)  # strings, integers, None: nothing to round, nothing inside
    if any(isinstance(v, float) for v in spec) and all(
        v is None or (isinstance(v, int | float) and not isinstance(v, bool)) for v in spec
    ):
        finite = [v for v in spec if isinstance(v, float) and math.isfinite(v)] + [
            v for v in spec if isinstance(v, int) and not isinstance(v, bool)
        ]
        if not finite:
            return spec
        scale = (max(finite) - min(finite)) or max(abs(v) for v in finite)
        if not scale:
            return spec
        digits = -math.floor(math.log10(scale * SPAN_RESOLUTION))
        return [round(v, digits) if isinstance(v, float) and math.isfinite(v) else v for v in spec]
    return [compact_numbers(v) for v in spec]


_VECTOR_MIN = 64  # float arrays at least this long are rounded by numpy (the same numbers)


def _round_to_span(kept: np.ndarray) -> np.ndarray | None:
    """The finite floats ``kept`` rounded as :func:`compact_numbers` rounds them (None where it
    leaves them: none at all, or all zero), by numpy where that gives Python's ``round`` to the
    bit, and by ``round`` itself elsewhere.

    ``round(v, d)`` is the double nearest to ``v`` correctly rounded to ``d`` decimals, ``k / 10**d``.
    For ``0 <= d <= 22`` (``10**d`` exact) and ``|v * 10**d| < 2**40`` the product is off by at
    most 2**-13, so ``rint`` finds the same ``k`` unless the product lies within 1e-3 of a
    half-integer, and IEEE division gives the double nearest to ``k / 10**d``. Values near a
    half-integer, and the other cases, go through ``round``.
    """
    if not kept.size:
        return None
    scale = float(kept.max() - kept.min()) or float(np.abs(kept).max())
    if not scale:
        return None
    digits = -math.floor(math.log10(scale * SPAN_RESOLUTION))
    if not 0 <= digits <= 22:
        return np.array([round(v, digits) for v in kept.tolist()], dtype=float)
    power = 10.0**digits
    product = kept * power
    rounded = np.rint(product) / power
    fraction = product - np.floor(product)
    risky = (np.abs(product) >= 2.0**40) | (np.abs(fraction - 0.5) <= 1e-3)
    if risky.any():
        rounded[risky] = [round(v, digits) for v in kept[risky].tolist()]
    return rounded


def _compact_floats(spec: list) -> list:
    """:func:`compact_numbers` of a list of floats and None, by numpy (the same numbers)."""
    values = np.array(spec, dtype=float)  # None -> nan
    finite = np.isfinite(values)
    rounded = _round_to_span(values[finite])
    if rounded is None:
        return spec
    if finite.all():
        return rounded.tolist()
    out = np.array(spec, dtype=object)
    out[finite] = rounded.tolist()
    return out.tolist()


def _compact_array(values: np.ndarray) -> list:
    """:func:`compact_numbers` of a 1-D float array as plotly's JSON writes it (non-finite
    numbers as None), without making that list first."""
    values = values.astype(float, copy=False)
    finite = np.isfinite(values)
    rounded = _round_to_span(values[finite])
    if rounded is None:
        rounded = values[finite]
    if finite.all():
        return rounded.tolist()
    out = np.full(len(values), None, dtype=object)
    out[finite] = rounded.tolist()
    return out.tolist()


TYPED_MIN = 16  # arrays at least this long travel as plotly typed arrays (see ``typed_arrays``)


def typed_arrays(spec: Any) -> Any:
    """``spec`` with its long arrays of plain numbers as plotly typed arrays
    (``{"dtype": "f4", "bdata": <base64>}``), which plotly.js draws as it draws lists.

    A notebook stores JSON indented, one number a line; a typed array is one string. Floats are
    single precision where that keeps them within ``SPAN_RESOLUTION`` of their span (and typed
    only where that is shorter than their text), integers take the narrowest type that holds
    them; arrays with missing values stay lists.

    Examples
    --------
    >>> typed_arrays({"x": list(range(20))})["x"]["dtype"]
    'i1'
    >>> typed_arrays({"x": [1, 2]})
    {'x': [1, 2]}
    """
    if isinstance(spec, dict):
        return {k: typed_arrays(v) for k, v in spec.items()}
    if not isinstance(spec, list):
        return spec
    if len(spec) >= TYPED_MIN and all(isinstance(v, int | float) and not isinstance(v, bool) for v in spec):
        import numpy as np

        values = np.asarray(spec, dtype=float)
        if np.isfinite(values).all():
            if all(isinstance(v, int) for v in spec):
                low, high = int(values.min()), int(values.max())
                dtype = next(
                    (t for t in ("i1", "i2", "i4") if np.iinfo(t).min <= low and high <= np.iinfo(t).max),
                    None,
                )
                if dtype is not None:
                    data = values.astype(dtype).tobytes()
                    return {"dtype": dtype, "bdata": base64.b64encode(data).decode("ascii")}
            else:
                span = float(values.max() - values.min()) or float(np.abs(values).max())
                single = values.astype("f4")
                close = np.abs(single.astype(float) - values).max() <= span * SPAN_RESOLUTION
                arr = single if close else values.astype("f8")
                bdata = base64.b64encode(arr.tobytes()).decode("ascii")
                if len(bdata) < len(json.dumps(spec, separators=(",", ":"))):
                    return {"dtype": "f4" if close else "f8", "bdata": bdata}
        return spec
    return [typed_arrays(v) for v in spec]


def plain_arrays(spec: Any) -> Any:
    """``spec`` with plotly's typed arrays (``{"dtype", "bdata"}``, which plotly writes for numpy
    arrays) as plain lists, non-finite numbers as null: a live page reads ``gd.data[i].x`` as a
    list, as clicks and hover callbacks do.

    Examples
    --------
    >>> import numpy as np, plotly.io as pio, plotly.graph_objects as go
    >>> raw = json.loads(pio.to_json(go.Figure(go.Scatter(x=np.array([1.5, np.nan]), y=[1, 2]))))
    >>> plain_arrays(raw)["data"][0]["x"]
    [1.5, None]
    """
    if isinstance(spec, dict):
        if "bdata" in spec and "dtype" in spec:
            values = np.frombuffer(base64.b64decode(spec["bdata"]), dtype=np.dtype(spec["dtype"]))
            if "shape" in spec:
                values = values.reshape([int(n) for n in str(spec["shape"]).split(",")])
            if values.dtype.kind == "f" and not np.isfinite(values).all():
                return np.where(np.isfinite(values), values, None).tolist()
            return values.tolist()
        return {k: plain_arrays(v) for k, v in spec.items()}
    if isinstance(spec, list):
        return [plain_arrays(v) for v in spec]
    return spec


def plain_spec(fig: Figure) -> dict:
    """``fig`` as JSON-plain data: typed arrays as lists (:func:`plain_arrays`), long strings
    clipped (:func:`clip_figure_text`), number arrays compacted (:func:`compact_numbers`), no
    trace uids. A figure dict (plotly JSON built without plotly) is read as it is.

    >>> plain_spec(go.Figure(go.Scatter(x=np.array([1.5, np.nan]), y=(1, 2))))["data"]
    [{'x': [1.5, None], 'y': [1, 2], 'type': 'scatter'}]
    >>> plain_spec({"data": [{"type": "bar", "y": [1.0, float("nan")]}], "layout": {}})["data"]
    [{'type': 'bar', 'y': [1.0, None]}]
    """
    if isinstance(fig, dict):
        spec = _dict_plain(fig)
        if spec is not None:
            return spec
        fig = go.Figure(fig)  # a value the direct reading does not know: plotly's way
    raw = _figure_plain(fig)
    if raw is None:  # a value the direct reading does not know: plotly's own JSON, read back
        raw = plain_arrays(json.loads(pio.to_json(fig, validate=False, remove_uids=True)))
    return compact_numbers(clip_figure_text(raw))


class _Unknown(Exception):
    """A value :func:`_plain_value` leaves to plotly's JSON encoder."""


_SCALARS = (str, int, float, bool, type(None))


def _plain_value(value: Any) -> Any:
    # what plotly's JSON and plain_arrays make of a figure's value, read straight from the figure:
    # arrays as lists, non-finite numbers as None (plotly writes them as null), numpy scalars as
    # Python numbers; anything else raises _Unknown
    tp = type(value)
    if tp is str or tp is int or tp is bool or value is None:
        return value
    if tp is float:
        return value if math.isfinite(value) else None
    if tp is dict:
        if "bdata" in value and "dtype" in value:
            raise _Unknown  # a typed array given as such: plain_arrays decodes it
        out = {}
        for k, v in value.items():
            if type(k) is not str:
                raise _Unknown
            if type(v) is np.ndarray and v.ndim == 1 and v.dtype.kind == "f":
                out[k] = v  # for compact_numbers, which rounds it without making a list first
            else:
                out[k] = _plain_value(v)
        return out
    if tp is list or tp is tuple:
        types = set(map(type, value))
        if types <= {str, int, bool, type(None)}:
            return list(value)
        if types <= {float, int, type(None)}:
            return [v if type(v) is not float or math.isfinite(v) else None for v in value]
        return [_plain_value(v) for v in value]
    if isinstance(value, np.ndarray):
        if not value.ndim:
            raise _Unknown  # plotly writes a 0-d array as an array of one
        kind = value.dtype.kind
        if kind in "iub" or kind == "U":
            return value.tolist()
        if kind == "f":
            finite = np.isfinite(value)
            if finite.all():
                return value.tolist()
            return np.where(finite, value, None).tolist()
        if kind == "O" and value.ndim:
            return _plain_value(value.tolist())  # a list of its items (of lists, for 2-D)
        raise _Unknown
    if isinstance(value, np.generic) and value.dtype.kind in "iubf":
        return _plain_value(value.item())
    raise _Unknown


def _figure_plain(fig: go.Figure) -> dict | None:
    """``fig`` as :func:`plain_spec` reads it before clipping and compacting: what
    ``plain_arrays(json.loads(pio.to_json(fig, validate=False, remove_uids=True)))`` gives, read
    from the figure's own data without plotly's deep copy and JSON round trip (seconds for a
    beeswarm of a million points), except that 1-D float arrays stay arrays, which
    :func:`compact_numbers` turns into the same lists; None where the figure holds a value this
    does not know (dates, frames), for the caller to take plotly's way."""
    data, layout = getattr(fig, "_data", None), getattr(fig, "_layout", None)
    if not isinstance(data, list) or not isinstance(layout, dict) or getattr(fig, "_frame_objs", None):
        return None
    try:
        traces = [_plain_value({k: v for k, v in trace.items() if k != "uid"}) for trace in data]
        return {"data": traces, "layout": _plain_value(layout)}
    except _Unknown:
        return None


def _dict_plain(spec: dict) -> dict | None:
    """A figure dict as :func:`plain_spec` gives a figure: read, clipped and compacted in one walk
    (:func:`_plain_compact`); None where it holds a value that only plotly's JSON encoder knows."""
    try:
        traces = [
            _plain_compact({k: v for k, v in trace.items() if k != "uid"}) for trace in spec.get("data") or []
        ]
        return {"data": traces, "layout": _plain_compact(spec.get("layout") or {})}
    except _Unknown:
        return None


_NUMBER_TYPES = {float, int, type(None)}


def _plain_compact(value: Any) -> Any:
    """``compact_numbers(clip_figure_text(_plain_value(value)))`` in one walk instead of three
    (a page of 2,000 distribution figures walked them 6,000 times)."""
    tp = type(value)
    if tp is str:
        return value if len(value) <= FIGURE_TEXT_LIMIT else clip_figure_text(value)
    if tp is int or tp is bool or value is None:
        return value
    if tp is float:
        return value if math.isfinite(value) else None
    if tp is dict:
        out = {}
        for k, v in value.items():
            if type(k) is not str:
                raise _Unknown
            out[k] = _plain_compact(v)
        return out
    if tp is list or tp is tuple:
        types = set(map(type, value))
        if types <= _NUMBER_TYPES:
            if float not in types:
                return list(value)  # integers and None: nothing to round
            return compact_numbers([v if type(v) is not float or math.isfinite(v) else None for v in value])
        if types == {str}:
            return clip_figure_text(list(value))
        out = [_plain_compact(v) for v in value]
        return compact_numbers(out) if set(map(type, out)) <= _NUMBER_TYPES else out
    return compact_numbers(clip_figure_text(_plain_value(value)))  # arrays, numpy numbers


def template_key(template: dict, templates: dict[str, str]) -> str:
    """Store ``template`` once in ``templates`` (key -> JSON text) and return its key."""
    raw = json.dumps(template, separators=(",", ":"), sort_keys=True)
    key = hashlib.sha256(raw.encode()).hexdigest()[:12]
    templates[key] = raw
    return key


def figure_payload(spec: dict, templates: dict[str, str]) -> dict:
    """The payload of a static figure: ``spec``'s data and layout, its template (the default where
    it has none) moved into ``templates`` and named by key, so a page holds each template once."""
    spec = dict(spec)
    layout = dict(spec.get("layout") or {})
    template = layout.pop("template", None)
    out = {"data": spec.get("data") or [], "layout": layout}
    if is_unstyled(template):
        key, text = _default_template()  # most figures: read, written and hashed once a process
        templates[key] = text
        out["template"] = key
    elif template is not None:
        out["template"] = template_key(template, templates)
    return out


def _default_template() -> tuple[str, str]:
    """The key and JSON text of the default template (``figures.defaults.template``)."""
    return _template_entry(defaults.template)


@functools.lru_cache(maxsize=8)
def _template_entry(name: str) -> tuple[str, str]:
    found: dict[str, str] = {}
    key = template_key(template_json(name), found)
    return key, found[key]


def _split_template(fig: Figure, templates: dict[str, str]) -> dict:
    return figure_payload(plain_spec(fig), templates)


def templates_script(templates: dict[str, str]) -> str:
    """The script that defines ``templates`` for the figures of a page (empty without any)."""
    tpl = "".join(
        f"window.LW_TEMPLATES[{json.dumps(k)}]={_json_for_script(v)};" for k, v in sorted(templates.items())
    )
    return f"<script>window.LW_TEMPLATES=window.LW_TEMPLATES||{{}};{tpl}</script>" if tpl else ""


# Draws one static figure. A live panel's static twin (inside FALLBACK_CLASS) draws only once it
# shows, which it does where its panel cannot (a notebook reopened without its kernel): while the
# panel shows, the twin is hidden and neither evaluates plotly.js nor draws. Each figure draws in
# a task of its own, so a reopened notebook of many twins never holds the page for long.
_BOOT = """<script>(function(){var id=%s;function load(box){var t=box.textContent;
if(box.type!=="application/gzip+base64"){return Promise.resolve(JSON.parse(t));}
var b=Uint8Array.from(atob(t),function(c){return c.charCodeAt(0);});
return new Response(new Blob([b]).stream().pipeThrough(new DecompressionStream("gzip"))).text().then(JSON.parse);}
function draw(){if(!window.Plotly&&window.__lwPlotlyjs){window.__lwPlotlyjs();}if(!window.Plotly){return setTimeout(draw,50);}
var box=document.getElementById(id+"-data");if(!box){return;}load(box).then(function(d){
var T=window.LW_TEMPLATES||{};function show(s){var L=s.layout||{};if(s.template){L.template=T[s.template];}
return Plotly.react(id,s.data,L,{responsive:true,displaylogo:false});}
if(d.figures){var p=document.getElementById(id+"-pick");show(d.figures[p.value]);
p.addEventListener("change",function(){show(d.figures[p.value]);});}else{show(d);}});}
var el=document.getElementById(id),twin=el&&el.closest(".lw-fallback");if(!twin||!window.ResizeObserver){return draw();}
setTimeout(function(){var seen=new ResizeObserver(function(){if(el.getClientRects().length){seen.disconnect();setTimeout(draw,0);}});
seen.observe(twin);},1000);})();</script>"""


def pack(value: Any) -> str:
    """``value`` as compact JSON, gzipped (no time stamp: same value, same bytes) and base64-encoded.

    Examples
    --------
    >>> unpack(pack({"x": [1, 2]}))
    {'x': [1, 2]}
    """
    raw = json.dumps(value, separators=(",", ":"), sort_keys=True).encode("utf-8")
    return base64.b64encode(gzip.compress(raw, 9, mtime=0)).decode("ascii")


def unpack(text: str) -> Any:
    """The value :func:`pack` packed."""
    return json.loads(gzip.decompress(base64.b64decode(text)).decode("utf-8"))


def figure_html(
    div_id: str,
    payload: dict,
    picker: tuple[str, list[str], str | None] | None = None,
    *,
    compress: bool = False,
) -> str:
    """A static figure: its ``<div>``, its payload (:func:`figure_payload`, or ``{"figures": [...]}``
    for a picker given as ``(label, options, default)``) and the script that draws it.

    With ``compress``, the payload is gzipped and base64-encoded, and the page inflates it with
    the browser's ``DecompressionStream`` (every current browser has it): figure JSON shrinks
    about four times, which matters where a page is archived (audit records). The bytes are the
    same run to run (no time stamp in the gzip header).
    """
    parts = []
    if picker is not None:
        label, options, default = picker
        opts = "".join(
            f'<option value="{i}"{" selected" if o == default else ""}>{esc(cut(o, CELL_LIMIT))}</option>'
            for i, o in enumerate(options)
        )
        select = f'<select id="{div_id}-pick">{opts}</select>'
        parts.append(f'<label class="lw-note">{esc(label)} {select}</label>')
    parts.append(f'<div id="{div_id}" class="lw-figure"></div>')
    if compress:
        text = pack(payload)
        parts.append(f'<script type="application/gzip+base64" id="{div_id}-data">{text}</script>')
    else:
        parts.append(
            f'<script type="application/json" id="{div_id}-data">{_json_for_script(payload)}</script>'
        )
    parts.append(_BOOT % json.dumps(div_id))
    return "".join(parts)


# Stands for the element-id prefix while a body is rendered without a key. It holds "<", which no
# escaped text, no figure JSON (``_json_for_script`` writes it as \u003c) and no option label has.
_ID_PLACEHOLDER = "<lw-id>"


def render_sections(
    title: str, sections: Sequence[Section], *, key: str | None = None, unique: bool = False
) -> str:
    """The body of a static display: a ``<div class="lw">`` with every section.

    Element ids derive from ``key`` or, without one, from the rendered body itself (a hash of it
    with a placeholder for the ids), so the same result renders to the same bytes. With
    ``unique``, a per-process counter is added, for notebook outputs where the same result may be
    shown twice on one page; a re-run still numbers them the same way.

    >>> body = render_sections("T", [Section("S", (HtmlBlock("<p>x</p>"),))])
    >>> body == render_sections("T", [Section("S", (HtmlBlock("<p>x</p>"),))])
    True
    """
    templates: dict[str, str] = {}
    body: list[str] = []
    with_ids: list[int] = []  # the parts that hold element ids
    for s_index, section in enumerate(sections):
        if section.title:
            body.append(f"<h3>{short(section.title, 200)}</h3>")
        for b_index, block in enumerate(section.blocks):
            div_id = f"{_ID_PLACEHOLDER}-{s_index}-{b_index}"
            if isinstance(block, HtmlBlock):
                body.append(block.html)
                continue
            if isinstance(block, FigureBlock):
                body.append(figure_html(div_id, _split_template(block.figure, templates)))
            else:
                specs = [_split_template(f, templates) for f in block.figures.values()]
                body.append(
                    figure_html(
                        div_id, {"figures": specs}, picker=(block.label, list(block.figures), block.default)
                    )
                )
            with_ids.append(len(body) - 1)
    head = f'<div class="lw"><h2>{short(title, 200)}</h2>{templates_script(templates)}'
    if key is None:
        digest = hashlib.sha256(head.encode("utf-8", "surrogatepass"))
        for part in body:
            digest.update(part.encode("utf-8", "surrogatepass"))
    else:
        digest = hashlib.sha256(key.encode())
    prefix = f"lw-{digest.hexdigest()[:8]}"
    if unique:
        prefix += f"-{next(_ids)}"
    for i in with_ids:
        body[i] = body[i].replace(_ID_PLACEHOLDER, prefix)
    return f"{head}{''.join(body)}</div>"


def plotlyjs_script() -> str:
    """plotly.js inline, inert until a figure needs it, and then only where the page has none.

    The code travels as a ``text/x-plotlyjs`` block; ``window.__lwPlotlyjs()``, which every static
    figure calls before drawing, evaluates it unless the page already has ``window.Plotly`` of the
    same major version (a JupyterLab page has it once its plotly extension has drawn a figure, as
    a live panel's own figures make it do): so a page evaluates plotly.js once, whoever brought it.
    Evaluated, it sets ``window.Plotly`` even where an AMD loader (require.js) is present.
    """
    major = get_plotlyjs_version().split(".")[0]
    return (
        f'<script type="text/x-plotlyjs" data-lw-plotlyjs>{get_plotlyjs()}</script>'
        "<script>window.__lwPlotlyjs=window.__lwPlotlyjs||function(){"
        f"if(window.Plotly&&String(window.Plotly.version).split('.')[0]==='{major}')return;"
        "var src=document.querySelector('script[data-lw-plotlyjs]');if(!src)return;"
        "window.PlotlyConfig={MathJaxConfig:'local'};var amd=window.define;window.define=undefined;"
        "var run=document.createElement('script');run.textContent=src.textContent;"
        "try{document.head.appendChild(run);}finally{window.define=amd;}};</script>"
    )


def document(title: str, body: str) -> str:
    """A complete HTML page: CSS and plotly.js inline, no external resource."""
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title[:200])}</title><style>{CSS}</style>{plotlyjs_script()}</head>"
        f"<body>{body}</body></html>\n"
    )
