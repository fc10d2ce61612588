"""The registry panel: stored comparisons shown again from a reopened store, and what needs
attention first (versions awaiting approval, a champion beaten by its challenger)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression

import lifecycle_widgets as lw
from lifecycle_widgets.panels import display
from lifecycle_widgets.panels.registry import comparisons_html, registry_headline

FEATURES = ["age", "income", "utilization", "late_payments"]
NAME = "credit <script>alert(1)</script>"


@pytest.fixture
def registry(tmp_path: Path) -> tuple[lw.ModelRegistry, pd.DataFrame, pd.Series]:
    df = lw.datasets.credit(2400, seed=5)
    X, y = df[FEATURES].fillna(0), df["defaulted"]
    store = lw.RunStore(tmp_path / "lifecycle.db")
    reg = lw.ModelRegistry(store)
    for model in (DummyClassifier(strategy="prior"), LogisticRegression(max_iter=1000)):
        with store.start_run(experiment="panel") as run:
            run.log_model(model.fit(X[:1600], y[:1600]))
        reg.register(run, name=NAME, by="trainer <b>")
    reg.approve(NAME, 1, by="reviewer")
    reg.set_alias(NAME, "champion", 1)
    return reg, X[1600:], y[1600:]


def reopened(reg: lw.ModelRegistry) -> lw.ModelRegistry:
    path = reg.store.path
    reg.store.close()
    return lw.ModelRegistry(lw.RunStore(path))


def test_a_beaten_champion_and_pending_versions_come_first(registry) -> None:
    reg, X, y = registry
    result = reg.compare(NAME, "champion", 2, X, y, metric="auc", by="analyst <i>")
    assert result.challenger_wins  # the prior predicts nothing: AUC 0.5
    state = reopened(reg).state()
    head = registry_headline(state)
    assert [a.severity for a in head] == ["high", "medium"]
    assert f"{NAME}: champion v1 is worse than challenger v2 on auc (0.5 vs" in head[0].text
    assert head[0].text.endswith("approve v2, then point champion at it")
    assert head[1].text == f"1 versions await approval: {NAME} v2"
    html = state.to_html()
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "analyst &lt;i&gt;" in html and "trainer &lt;b&gt;" in html
    assert 'class="lw-high"' in comparisons_html(state)  # the row of the beaten champion is marked


def test_the_panel_shows_stored_comparisons_after_reopening(registry) -> None:
    reg, X, y = registry
    reg.compare(NAME, 1, 2, X, y, metric="log_loss", n_bootstrap=100)
    reg.compare(NAME, 1, 2, X, y, metric="accuracy", n_bootstrap=100)
    reg.compare(NAME, 1, 2, X, y, metric="accuracy", n_bootstrap=200)  # newer: the one in detail
    panel = lw.RegistryPanel(reopened(reg).state())
    panel.tabs.selected_index = 1
    tab = panel.tabs.children[1].children[0]
    summary = tab.children[0].value
    assert summary.count("<tr>") + summary.count('<tr class="lw-high">') == 4  # header + 3 comparisons
    details = [w.value for w in tab.children[1:] if hasattr(w, "value")]
    assert len(details) == 2 and "200 resamples" in details[1] and "log_loss" in details[0]
    headline = panel.children[2].value  # after the page's stylesheet and the title
    assert "worse than challenger v2 on log_loss" in headline and "await approval" in headline


def test_no_alarm_when_the_challenger_is_rejected_or_not_better(registry) -> None:
    reg, X, y = registry
    reg.compare(NAME, 2, 1, X, y, metric="auc")  # the prior as challenger: it loses
    state = reg.state()
    assert [a.severity for a in registry_headline(state)] == ["medium"]
    assert "challenger worse" in comparisons_html(state)
    reg.compare(NAME, 1, 2, X, y, metric="auc")
    reg.reject(NAME, 2, by="reviewer", note="not explainable enough")
    assert registry_headline(reg.state()) == []  # decided: nothing needs attention


def test_every_figure_of_the_registry_is_titled_and_named(registry) -> None:
    reg, X, y = registry
    reg.compare(NAME, 1, 2, X, y, metric="auc")
    figures = display.figures_of(reg.state())
    assert list(figures) == [f"comparison {NAME} v1 v2 auc"]
    assert next(iter(figures.values())).data[0].y == pytest.approx(
        (0.5, reg.comparisons()[0].challenger_value)
    )


def test_long_model_names_are_cut_with_the_full_name_on_hover(registry) -> None:
    reg, X, y = registry
    reg.compare(NAME, 1, 2, X, y, metric="auc")
    long_name = "credit-" + "x" * 300
    state = reg.state()
    renamed = type(state)(state.store, state.versions, (replace(state.comparisons[0], name=long_name),))
    html = comparisons_html(renamed)
    assert f'title="{long_name}"' in html  # the full name on hover
    assert long_name not in html.replace(f'title="{long_name}"', "")  # and only there
