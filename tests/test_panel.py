"""The profile panel without a browser: laziness, one FigureWidget, updates in place."""

from __future__ import annotations

import ipywidgets
import numpy as np
import pandas as pd
import plotly.graph_objects as go

import lifecycle_widgets as lw
from lifecycle_widgets.panels.plotly_view import PlotlyView


def figure_widgets(widget) -> list[PlotlyView | go.FigureWidget]:
    """The interactive figures of a widget tree (a plotly FigureWidget would count too)."""
    found = [widget] if isinstance(widget, PlotlyView | go.FigureWidget) else []
    for child in getattr(widget, "children", ()):
        found += figure_widgets(child)
    return found


def test_tabs_are_built_when_first_opened(credit_profile: lw.DataProfile) -> None:
    panel = lw.ProfilePanel(credit_profile)
    assert panel.tabs.titles == (
        "Overview",
        "Columns",
        "Missing values",
        "Correlations",
        "Interactions",
        "Alerts",
        "Data card",
    )
    built = [bool(holder.children) for holder in panel.tabs.children]
    assert built == [True, False, False, False, False, False, False]
    assert figure_widgets(panel) == []  # no interactive figure until the Columns tab is opened
    panel.tabs.selected_index = 1
    assert len(figure_widgets(panel)) == 1


def test_picking_a_column_updates_the_same_figure(credit_profile: lw.DataProfile) -> None:
    panel = lw.ProfilePanel(credit_profile)
    panel.tabs.selected_index = 1
    fig = panel.figure
    panel.column_picker.value = "age"  # a histogram: bars with explicit widths
    assert fig.data[0].width is not None
    panel.column_picker.value = "region"
    assert panel.figure is fig
    assert list(fig.data[0].x) == ["north", "south", "east", "west", "centre"]
    assert fig.data[0].width is None  # nothing leaks from the previous figure
    assert "categorical" in panel.column_stats.value
    panel.column_picker.value = "income"
    assert fig.layout.xaxis.type == "linear"
    assert (
        sum(fig.data[0].y) + credit_profile.column("income").histogram.above
        == credit_profile.column("income").count
    )
    for index in range(len(panel.tabs.children)):
        panel.tabs.selected_index = index
    assert len(figure_widgets(panel)) == 1  # every tab open: still one interactive figure


def test_filter_narrows_the_column_list(credit_profile: lw.DataProfile) -> None:
    panel = lw.ProfilePanel(credit_profile)
    panel.tabs.selected_index = 1
    panel.column_filter.value = "DATE"
    assert panel.column_picker.options == ("signup_date",)


def test_from_frame_and_card_tab() -> None:
    panel = lw.ProfilePanel.from_frame(
        lw.datasets.credit(300), target="defaulted", card=lw.DataCard(owner="risk team")
    )
    card_tab = panel.tabs.titles.index("Data card")
    panel.tabs.selected_index = card_tab
    card_html = panel.tabs.children[card_tab].children[0].value
    assert "risk team" in card_html


def test_five_hundred_columns_stay_lazy() -> None:
    rng = np.random.default_rng(0)
    df = pd.DataFrame(rng.normal(size=(200, 500)), columns=[f"c{i}" for i in range(500)])
    prof = lw.profile(df)
    panel = lw.ProfilePanel(prof)
    panel.tabs.selected_index = 1
    assert len(panel.column_picker.options) == 500
    panel.column_picker.value = "c499"
    assert panel.figure.layout.title.text == "c499"
    # correlations are capped at a stated number; the rest are named
    assert max(len(m.columns) for m in prof.correlations) == 100
    assert len(prof.correlations_left_out) == 400


def test_zero_columns_panel() -> None:
    panel = lw.ProfilePanel(lw.profile(pd.DataFrame(index=range(3))))
    panel.tabs.selected_index = 1
    assert "no columns" in panel.tabs.children[1].children[0].value


def test_panel_is_a_vbox(credit_profile: lw.DataProfile) -> None:
    assert isinstance(credit_profile.panel(), ipywidgets.VBox)
