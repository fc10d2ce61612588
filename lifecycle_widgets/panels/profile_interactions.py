"""The interaction part of a data profile's display: the most correlated pairs in the static
view, and a live tab with two drop-downs that draw any pair."""

from __future__ import annotations

import ipywidgets as widgets

from lifecycle_widgets.core.profiling import DataProfile
from lifecycle_widgets.exceptions import ParameterError
from lifecycle_widgets.figures.profile_interactions import interaction_figure, interaction_figure_dict
from lifecycle_widgets.panels import html as static
from lifecycle_widgets.panels.widgets import html_widget, plotly_output, show_in

TOP_PAIRS = 3
STATIC_POINTS = 2_000  # points per pair in the static view (the live tab draws the whole sample)


def _pair_label(x: str, y: str) -> str:
    return f"{y} against {x}"


def left_out_html(prof: DataProfile) -> str:
    """The numeric columns over the interaction view's cap, if any."""
    view = prof.interactions
    if view is None or not view.left_out:
        return ""
    return '<p class="lw-note">Not in the interaction view:</p>' + static.table(
        [(c.column, c.reason) for c in view.left_out], ["column", "why"]
    )


def interaction_sections(prof: DataProfile) -> list[static.Section]:
    """The static "Interactions" section: the most correlated pairs (by |Pearson|) behind a
    picker; the live panel draws any pair."""
    view = prof.interactions
    if view is None:
        return []
    top = view.top_pairs(TOP_PAIRS) or ((view.columns[0], view.columns[1], 0.0),)
    figures = {
        _pair_label(x, y): interaction_figure_dict(prof, x, y, max_points=STATIC_POINTS) for x, y, _ in top
    }
    blocks: list[static.Block] = [
        static.HtmlBlock(
            f'<p class="lw-note">The {len(figures)} most correlated pairs of numeric columns; the live '
            "panel's Interactions tab draws any pair.</p>"
        ),
        static.PickerBlock("interaction", "Pair", figures),
    ]
    note = left_out_html(prof)
    if note:
        blocks.append(static.HtmlBlock(note))
    return [static.Section("Interactions", tuple(blocks))]


class InteractionPicker(widgets.VBox):
    """Two drop-downs (x and y) over the profile's numeric columns and the figure of the pair,
    redrawn when either changes; it starts on the most correlated pair.

    Examples
    --------
    >>> import numpy as np, pandas as pd, lifecycle_widgets as lw
    >>> x = np.arange(100.0)
    >>> picker = InteractionPicker(lw.profile(pd.DataFrame({"a": x, "b": x ** 2, "c": -x})))
    >>> picker.x.value, picker.y.value
    ('a', 'c')
    >>> picker.y.value = "b"
    >>> picker.figure.layout.yaxis.title.text
    'b'
    """

    def __init__(self, prof: DataProfile) -> None:
        view = prof.interactions
        if view is None:
            raise ParameterError.bad_value(
                "prof", "InteractionPicker", "a profile with an interaction view", prof
            )
        self.profile = prof
        top = view.top_pairs(1)
        x, y = (top[0][0], top[0][1]) if top else (view.columns[0], view.columns[1])
        options = [(static.cut(n, static.CELL_LIMIT), n) for n in view.columns]
        self.x = widgets.Dropdown(
            options=options, value=x, description="x", layout=widgets.Layout(width="22em")
        )
        self.y = widgets.Dropdown(
            options=options, value=y, description="y", layout=widgets.Layout(width="22em")
        )
        self.figure = interaction_figure(prof, x, y)
        self.out = plotly_output(self.figure)
        self.x.observe(self._redraw, names="value")
        self.y.observe(self._redraw, names="value")
        children: list[widgets.Widget] = [widgets.HBox([self.x, self.y]), self.out]
        note = left_out_html(prof)
        if note:
            children.append(html_widget(note))
        super().__init__(children)

    def _redraw(self, change: dict) -> None:
        self.figure = interaction_figure(self.profile, self.x.value, self.y.value)
        show_in(self.out, self.figure)


def interactions_tab(prof: DataProfile) -> widgets.Widget:
    """The live "Interactions" tab."""
    if prof.interactions is None:
        return html_widget('<p class="lw-note">Fewer than two numeric columns: no pairs to draw.</p>')
    return InteractionPicker(prof)
