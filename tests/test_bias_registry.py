"""The bias metric registry: one declaration per metric, which the report, the bands and the
lookups all read."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

import lifecycle_widgets as lw
from lifecycle_widgets.core.explain import bias, bias_metrics
from lifecycle_widgets.core.explain import bias_registry as registry
from lifecycle_widgets.exceptions import ParameterError, UnknownNameError
from tests.test_bias import hand_frame

# Clarify's documentation lists these, pre-training then post-training; smclarify 0.5 has the same 21
PRE = ["CI", "DPL", "KL", "JS", "LP", "TVD", "KS", "CDDL"]
POST = ["DPPL", "DI", "DCAcc", "DCR", "RD", "SD", "DAR", "DRR", "AD", "TE", "CDDPL", "FT", "GE"]


def test_every_metric_is_declared_once_in_report_order() -> None:
    assert list(registry.metric_names("pre")) == PRE
    assert list(registry.metric_names("post_training")) == POST
    assert list(registry.metric_names()) == PRE + POST
    for spec in registry.metric_specs():
        assert spec.description and spec.band in ("difference", "ratio")
        assert set(spec.inputs) <= set(registry.INPUTS)
        assert "d" in spec.inputs or spec.name == "GE"  # GE does not depend on the facet
    ratios = {s.name: s.ideal for s in registry.metric_specs() if s.band == "ratio"}
    assert ratios == {"DI": 1.0}
    assert {s.ideal for s in registry.metric_specs() if s.band == "difference"} == {0.0}


def test_the_report_carries_what_the_registry_declares() -> None:
    r = lw.bias_report(hand_frame(), "y", "pred", facet="sex")
    assert [m.name for m in r.metrics] == PRE + POST
    for m in r.metrics:
        spec = registry.metric_spec(m.name)
        assert (m.stage, m.ideal, m.description) == (spec.stage, spec.ideal, spec.description)


def test_lookups_ignore_case_know_aliases_and_list_the_names_when_they_fail() -> None:
    assert registry.metric_spec("dca") is registry.metric_spec("DCAcc")
    assert registry.metric_spec("sd").name == "SD"
    with pytest.raises(
        UnknownNameError, match=r"No bias metric named 'NOPE'\. Available: AD, CDDL, CDDPL, CI, DAR"
    ):
        registry.metric_spec("NOPE")
    with pytest.raises(UnknownNameError) as info:
        registry.metric_spec("NOPE")
    assert set(info.value.known) == set(PRE + POST)  # aliases are not listed as metrics
    with pytest.raises(ParameterError, match="'stage' parameter of metric_specs"):
        registry.metric_specs("during")


def test_a_decorated_function_returns_a_bias_metric_built_from_its_declaration() -> None:
    m = bias_metrics.sd([False, False, True, True], [0, 0, 0, 0], [0, 1, 0, 0])
    assert isinstance(m, registry.BiasMetric)
    assert (m.name, m.stage, m.ideal, m.value) == ("SD", "post_training", 0.0, 0.5)
    assert bias_metrics.sd.__name__ == "sd" and "Specificity" in bias_metrics.sd.__doc__


@pytest.fixture
def scratch_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    """A copy of the registry for tests that register metrics of their own."""
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))


def test_a_registered_metric_reaches_the_report_and_the_bands(scratch_registry: None) -> None:
    @registry.metric("SHARE", stage="pre", ideal=0.5, description="Share of rows in facet d", aliases=("SH",))
    def share(d: object) -> float:
        """Share of rows in facet d."""
        return float(np.mean(np.asarray(d, dtype=bool)))

    r = lw.bias_report(hand_frame(), "y", facet="sex", bands=lw.BiasBands(overrides={"SHARE": 0.05}))
    m = r.metric("sh")
    assert m.name == "SHARE" and m.value == pytest.approx(8 / 20) and m.ideal == 0.5
    assert m.status == "warn" and m.band == "|value - 0.5| <= 0.05"  # 0.1 away: within twice the band
    assert [x.name for x in r.metrics][-1] == "SHARE"


@pytest.mark.parametrize(
    ("declaration", "match"),
    [
        ({"name": "DPL", "stage": "pre"}, r"bias metric name 'DPL' is registered already"),
        ({"name": "NEW", "stage": "pre", "aliases": ("dca",)}, r"name 'dca' is registered already"),
        ({"name": "NEW", "stage": "during"}, r"'stage' parameter of metric must be one of \['post', 'pre'\]"),
        ({"name": "NEW", "stage": "pre", "band": "log"}, r"'band' parameter of metric must be one of"),
    ],
)
def test_bad_declarations_are_refused(scratch_registry: None, declaration: dict, match: str) -> None:
    with pytest.raises(ParameterError, match=match):

        @registry.metric(**{"ideal": 0.0, "description": "x", **declaration})
        def anything(d: object) -> float:
            return 0.0


def test_data_parameters_must_be_named_from_the_inputs(scratch_registry: None) -> None:
    with pytest.raises(ParameterError, match=r"takes positional parameters \['labels'\]"):

        @registry.metric("NEW", stage="post", ideal=0.0, description="x")
        def anything(d: object, labels: object) -> float:
            return 0.0


def test_metrics_subset_in_registry_order() -> None:
    r = lw.bias_report(hand_frame(), "y", "pred", facet="sex", metrics=["te", "DCA", "dpl"])
    assert [m.name for m in r.metrics] == ["DPL", "DCAcc", "TE"]
    assert [m.name for m in lw.bias_report(hand_frame(), "y", facet="sex", metrics="KL").metrics] == ["KL"]
    full = lw.bias_report(hand_frame(), "y", "pred", facet="sex")
    assert r.metric("TE") == full.metric("TE")


def test_a_subset_without_the_flip_test_builds_no_features(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise AssertionError("flip test features built for a report without FT")

    monkeypatch.setattr(bias, "flip_test_features", boom)
    assert lw.bias_report(hand_frame(), "y", "pred", facet="sex", metrics=["DI"]).metric("DI").value


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"metrics": ["DPL", "XYZ"]}, UnknownNameError, r"No bias metric named 'XYZ'\. Available: AD, CDDL"),
        (
            {"metrics": []},
            ParameterError,
            r"'metrics' parameter of bias_report must be a metric name or a list",
        ),
        (
            {"convention": "aws"},
            UnknownNameError,
            r"No bias metric convention named 'aws'\. Available: docs, smclarify",
        ),
    ],
)
def test_bad_metric_choices_fail_before_any_computation(
    kwargs: dict, error: type, match: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_computation(*args: object, **kw: object) -> None:
        raise AssertionError("a metric was computed before the input was checked")

    for spec in registry.metric_specs():
        monkeypatch.setitem(registry._REGISTRY, spec.name, dataclasses.replace(spec, function=no_computation))
    with pytest.raises(error, match=match):
        lw.bias_report(hand_frame(), "y", "pred", facet="sex", **kwargs)


def test_post_training_metrics_need_predictions() -> None:
    with pytest.raises(ParameterError, match=r"asks for post-training metrics \['DI'\], which need y_pred"):
        lw.bias_report(hand_frame(), "y", facet="sex", metrics=["DPL", "DI"])


@pytest.mark.parametrize(
    ("overrides", "error", "match"),
    [
        ({"dpl": 0.2}, ParameterError, r"name metrics as registered: 'DPL', not 'dpl'"),
        ({"XYZ": 0.2}, UnknownNameError, r"No bias metric named 'XYZ'"),
        (
            {"DI": 1.25},
            ParameterError,
            r"overrides\['DI'\]\" parameter of BiasBands must be a ratio between 0 and 1",
        ),
    ],
)
def test_band_overrides_use_registered_names(overrides: dict, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        lw.BiasBands(overrides=overrides)


def test_bands_judge_by_the_registered_ideal_and_band() -> None:
    bands = lw.BiasBands(overrides={"DI": 0.9})
    assert bands.band("DI") == "0.9 to 1.11" and bands.judge("di", 0.85) == "warn"
    assert bands.band("SD") == "|value - 0| <= 0.1" and bands.judge("SD", -0.15) == "warn"
    frame = pd.DataFrame({"name": list(registry.metric_names())})
    assert frame.name.map(lambda n: bands.judge(n, None)).eq("n/a").all()
