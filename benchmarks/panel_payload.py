"""Bytes a ``ProfilePanel`` sends to the browser, measured without a browser.

A recording comm replaces the kernel's comm (as ipywidgets' own tests do with their DummyComm),
so every comm-open message (a widget's full state) and every update message the kernel would
send is captured. Sizes are those of the messages' ``data`` as jupyter_client packs it (JSON,
UTF-8, ``ensure_ascii=False``) plus their binary buffers; the Jupyter envelope of each message
(header, parent header, metadata: a few hundred bytes) is not counted, so the message count is
given too.

Measured for a profile of ``lw.datasets.credit(20000)`` and of a 500-column frame:

1. first display: every widget the panel creates when built (the Overview tab is built at once);
   also the size of the panel's embeddable state (``ipywidgets.embed.dependency_state``, the
   widget state a saved notebook keeps for the widgets reachable from the panel);
2. opening the Columns tab, as the browser does (a ``selected_index`` update from the
   front end): builds the panel's one ``FigureWidget``;
3. picking another column in the drop-down, again as a front-end update: the kernel's echo and
   the in-place figure and statistics updates, over every column (median and max);
4. the rest of the tabs opened, so that everything the panel can show has been sent;
5. the naive design for comparison: one ``go.FigureWidget`` per figure (overview, distribution,
   missing values, correlations), each carrying plotly.js in its state since plotly 6.

Also measured: the static twin that a ``DataProfile``'s own display publishes before the panel in
a live kernel (the row says whether it carries plotly.js: the first of a kernel does).

    .venv/bin/python benchmarks/panel_payload.py

The table is printed and written to ``benchmarks/results/panel_payload.md``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import comm
import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"


# --- the recording comm ------------------------------------------------------------------------


def _packed_size(data: Any, buffers: Any) -> int:
    """Bytes of a message's data as jupyter_client packs it, plus its binary buffers."""
    text = json.dumps(data, ensure_ascii=False, allow_nan=False, default=str)
    size = len(text.encode("utf8", errors="surrogateescape"))
    for buf in buffers or ():
        size += memoryview(buf).nbytes
    return size


@dataclass
class Message:
    kind: str  # "open" or "update"
    comm_id: str
    model: str
    nbytes: int
    keys: tuple[str, ...]


@dataclass
class Recorder:
    messages: list[Message] = field(default_factory=list)

    def mark(self) -> int:
        return len(self.messages)

    def since(self, mark: int) -> list[Message]:
        return self.messages[mark:]


RECORDER = Recorder()


class RecordingComm:
    """Stands in for ``comm.create_comm``'s comm: records what would be sent, sends nothing."""

    kernel = "recording"  # ipywidgets sends only when a comm has a kernel

    def __init__(
        self,
        target_name: str = "",
        data: Any = None,
        metadata: Any = None,
        buffers: Any = None,
        comm_id: str | None = None,
        **kwargs: Any,
    ) -> None:
        self.comm_id = comm_id or uuid.uuid4().hex
        self.target_name = target_name
        state = (data or {}).get("state", {})
        self.model = str(state.get("_model_name", "?"))
        RECORDER.messages.append(
            Message("open", self.comm_id, self.model, _packed_size(data, buffers), tuple(state))
        )

    def send(self, data: Any = None, metadata: Any = None, buffers: Any = None) -> None:
        state = (data or {}).get("state", {})
        RECORDER.messages.append(
            Message("update", self.comm_id, self.model, _packed_size(data, buffers), tuple(state))
        )

    def open(self, *args: Any, **kwargs: Any) -> None:
        pass

    def on_msg(self, callback: Any) -> None:
        pass

    def on_close(self, callback: Any) -> None:
        pass

    def close(self, *args: Any, **kwargs: Any) -> None:
        pass


def install_recording_comm() -> None:
    comm.create_comm = RecordingComm


# --- measuring ---------------------------------------------------------------------------------


@dataclass
class Traffic:
    opens: int = 0
    updates: int = 0
    nbytes: int = 0
    figure_widgets: int = 0
    biggest: str = ""

    @classmethod
    def of(cls, messages: list[Message]) -> Traffic:
        t = cls(
            opens=sum(m.kind == "open" for m in messages),
            updates=sum(m.kind == "update" for m in messages),
            nbytes=sum(m.nbytes for m in messages),
            figure_widgets=sum(m.kind == "open" and m.model == "AnyModel" for m in messages),
        )
        if messages:
            big = max(messages, key=lambda m: m.nbytes)
            t.biggest = f"{big.model} {big.kind} {_mb(big.nbytes)}"
        return t

    def describe(self) -> str:
        parts = [
            f"{self.opens} widget opens" if self.opens else "",
            f"{self.updates} updates" if self.updates else "",
        ]
        return ", ".join(p for p in parts if p) or "no message"


def _mb(n: float) -> str:
    if n >= 1e6:
        return f"{n / 1e6:.2f} MB"
    if n >= 1e3:
        return f"{n / 1e3:.1f} kB"
    return f"{n:.0f} B"


def embed_state_bytes(widget: Any) -> tuple[int, int]:
    """Bytes and widget count of the JSON state of ``widget`` and every widget it refers to."""
    from ipywidgets.embed import dependency_state

    state = dependency_state(widget, drop_defaults=False)
    text = json.dumps(state, ensure_ascii=False, allow_nan=False, default=str)
    return len(text.encode("utf8")), len(state)


def from_frontend(widget: Any, **state: Any) -> None:
    """Deliver an update from the browser to ``widget``, as the kernel's comm would."""
    widget._handle_msg(
        {"content": {"data": {"method": "update", "state": state, "buffer_paths": []}}, "buffers": []}
    )


@dataclass
class Row:
    step: str
    nbytes: int
    detail: str


def measure_panel(name: str, prof: Any, picks: int | None) -> list[Row]:
    import lifecycle_widgets as lw

    rows: list[Row] = []
    mark = RECORDER.mark()
    panel = lw.ProfilePanel(prof)
    first = Traffic.of(RECORDER.since(mark))
    rows.append(
        Row(
            "first display: widget opens (Overview tab built)",
            first.nbytes,
            f"{first.describe()}; largest: {first.biggest}",
        )
    )
    size, count = embed_state_bytes(panel)
    rows.append(
        Row("first display: embeddable state of the panel's widget tree", size, f"{count} widgets reachable")
    )

    mark = RECORDER.mark()
    from_frontend(panel.tabs, selected_index=1)
    columns = Traffic.of(RECORDER.since(mark))
    rows.append(
        Row(
            "open the Columns tab",
            columns.nbytes,
            f"{columns.describe()}, {columns.figure_widgets} interactive figure; largest: {columns.biggest}",
        )
    )
    size, count = embed_state_bytes(panel)
    rows.append(Row("embeddable state after opening Columns", size, f"{count} widgets reachable"))

    names = list(prof.column_names)
    order = names[1:] + names[:1]  # every other column, then back to the first
    if picks is not None:
        order = order[:picks]
    per_pick, counts, figure_bytes = [], [], []
    picker = panel.column_picker
    for col in order:
        mark = RECORDER.mark()
        from_frontend(picker, index=list(picker.options).index(col))
        msgs = RECORDER.since(mark)
        assert picker.value == col, (picker.value, col)
        per_pick.append(sum(m.nbytes for m in msgs))
        counts.append(len(msgs))
        figure_bytes.append(sum(m.nbytes for m in msgs if m.model == "AnyModel"))
    rows.append(
        Row(
            f"pick a column (median of {len(per_pick)} picks)",
            int(statistics.median(per_pick)),
            f"max {_mb(max(per_pick))}; {statistics.median(counts):.0f} messages per pick; "
            f"figure update median {_mb(statistics.median(figure_bytes))}",
        )
    )

    mark = RECORDER.mark()
    for index in range(2, len(panel.tabs.children)):
        from_frontend(panel.tabs, selected_index=index)
    rest = Traffic.of(RECORDER.since(mark))
    rows.append(Row("open every other tab", rest.nbytes, f"{rest.describe()}; largest: {rest.biggest}"))

    # the whole session so far: everything this design sends to show every tab once
    total_ours = first.nbytes + columns.nbytes + rest.nbytes
    rows.append(
        Row(
            "total to show every tab once (this design)",
            total_ours,
            "panel + 1 PlotlyView (figure JSON, no plotly.js) + Output widgets",
        )
    )

    import plotly.graph_objects as go

    from lifecycle_widgets.figures import profile as figs

    naive_figs = {
        "overview": figs.overview_figure(prof),
        "distribution": figs.distribution_figure(prof, names[0]),
        "missing": figs.missing_figure(prof),
    }
    if prof.correlations:
        naive_figs["correlations"] = figs.correlation_figure(prof)
    mark = RECORDER.mark()
    widgets_ = [go.FigureWidget(f) for f in naive_figs.values()]
    naive = Traffic.of(RECORDER.since(mark))
    esm = len(widgets_[0]._esm.encode("utf8")) if widgets_ else 0
    rows.append(
        Row(
            f"naive: one FigureWidget per figure ({len(widgets_)} figures)",
            naive.nbytes,
            f"{naive.describe()}; plotly.js bundle in each: {_mb(esm)}",
        )
    )
    rows.append(
        Row(
            "naive / this design (every tab shown)",
            0,
            f"{naive.nbytes / total_ours:.1f}x the bytes, without the panel's other widgets",
        )
    )
    for w in widgets_:
        w.close()
    panel.close()
    return rows


def mimebundle_rows(prof: Any) -> list[Row]:
    """What a DataProfile's own display publishes in a live kernel: its static twin (kept for a
    notebook reopened without its kernel; plotly.js in the first one of a kernel) and the panel."""
    from lifecycle_widgets.panels import display

    display.reset_plotlyjs()
    out = []
    for label in ("first output in the kernel", "a later output"):
        mark = RECORDER.mark()
        twin, _panel = display.live_outputs(prof)
        text = twin.get("text/html", "")
        html = len(text.encode("utf8"))
        plotlyjs = "with" if "window.PlotlyConfig" in text else "without"
        widget_bytes = sum(m.nbytes for m in RECORDER.since(mark))
        out.append(
            Row(
                f"`display(prof)` live: static twin, {label}",
                html,
                f"{plotlyjs} plotly.js; plus {_mb(widget_bytes)} of widget opens for the panel",
            )
        )
    display.reset_plotlyjs()
    return out


def wide_frame(n_rows: int, n_cols: int, seed: int = 0) -> pd.DataFrame:
    """A deterministic frame of ``n_cols`` columns: floats, integers and low-cardinality strings."""
    rng = np.random.default_rng(seed)
    data: dict[str, Any] = {}
    levels = np.array([f"level_{i}" for i in range(12)])
    for i in range(n_cols):
        kind = i % 5
        if kind in (0, 1):
            x = rng.lognormal(0, 1 + (i % 3) * 0.5, n_rows)
            x[rng.random(n_rows) < 0.02 * (i % 7)] = np.nan
            data[f"num_{i:03d}"] = x
        elif kind == 2:
            data[f"int_{i:03d}"] = rng.poisson(1 + i % 20, n_rows)
        elif kind == 3:
            data[f"cat_{i:03d}"] = levels[rng.integers(0, 3 + i % 10, n_rows)]
        else:
            data[f"val_{i:03d}"] = rng.normal(i, 1 + i % 4, n_rows)
    return pd.DataFrame(data)


def render(sections: list[tuple[str, list[Row]]], header: str) -> str:
    out = [header, ""]
    for title, rows in sections:
        out += [f"### {title}", "", "| step | bytes | detail |", "|---|---:|---|"]
        out += [f"| {r.step} | {_mb(r.nbytes) if r.nbytes else ''} | {r.detail} |" for r in rows]
        out.append("")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=20_000, help="rows of the credit data set")
    ap.add_argument("--wide-columns", type=int, default=500)
    ap.add_argument("--wide-rows", type=int, default=5_000)
    ap.add_argument("--wide-picks", type=int, default=50, help="column picks measured on the wide frame")
    ap.add_argument("--output", type=Path, default=RESULTS / "panel_payload.md")
    args = ap.parse_args(argv)

    install_recording_comm()
    import ipywidgets
    import plotly

    import lifecycle_widgets as lw

    print(f"profiling credit({args.rows}) ...", file=sys.stderr)
    credit = lw.profile(lw.datasets.credit(args.rows), target="defaulted", progress=False)
    print(f"profiling a {args.wide_rows} x {args.wide_columns} frame ...", file=sys.stderr)
    wide = lw.profile(wide_frame(args.wide_rows, args.wide_columns), progress=False)
    sections = []
    for title, prof, picks in (
        (f"credit({args.rows:,}), target 'defaulted': {prof_shape(credit)}", credit, None),
        (f"wide frame: {prof_shape(wide)}", wide, args.wide_picks),
    ):
        print(f"measuring {title} ...", file=sys.stderr)
        sections.append((title, measure_panel(title, prof, picks) + mimebundle_rows(prof)))
    header = (
        f"# ProfilePanel payload\n\nlifecycle_widgets {lw.__version__}, ipywidgets "
        f"{ipywidgets.__version__}, plotly {plotly.__version__}. Bytes of the comm messages "
        "the kernel sends (JSON data + buffers; the Jupyter envelope of a few hundred bytes "
        "per message is not counted). Front-end actions are simulated as the update "
        "messages the browser sends."
    )
    text = render(sections, header)
    print(text)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    print(f"written to {args.output}", file=sys.stderr)
    return 0


def prof_shape(prof: Any) -> str:
    return f"{prof.n_rows:,} rows x {prof.n_columns} columns"


if __name__ == "__main__":
    sys.exit(main())
