"""Figures of calibration results: result in, ``go.Figure`` out."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import plotly.graph_objects as go

from lifecycle_widgets.core.explain.calibrate import Calibration, ReliabilityBin
from lifecycle_widgets.exceptions import ParameterError
from lifecycle_widgets.figures._common import defaults, finish, text
from lifecycle_widgets.figures.explain import NEGATIVE, NEUTRAL, POSITIVE

__all__ = ["calibration_classes_figure", "calibration_figure", "calibration_methods_figure"]

_METHOD_COLORS = {"none": NEUTRAL, "temperature": "#3a9e6f", "platt": POSITIVE, "isotonic": "#7c5bbf"}
_AXES = {
    "xaxis": {"range": [0, 1], "title": {"text": "mean predicted probability"}},
    "yaxis": {"range": [0, 1], "title": {"text": "observed frequency"}},
}


def _diagonal() -> go.Scatter:
    return go.Scatter(
        x=[0, 1],
        y=[0, 1],
        mode="lines",
        name="perfect",
        line={"dash": "dash", "color": "#aaa"},
        hoverinfo="skip",
    )


def _curve(bins: Sequence[ReliabilityBin], name: str, color: str | None = None, **line: Any) -> go.Scatter:
    full = [b for b in bins if b.count and b.mean_predicted is not None]
    return go.Scatter(
        x=[b.mean_predicted for b in full],
        y=[b.observed for b in full],
        mode="lines+markers",
        name=text(name),
        line={"color": color, **line} if color else line or None,
        customdata=[b.count for b in full],
        hovertemplate=f"{text(name)}: predicted %{{x:.3f}}, observed %{{y:.3f}} (%{{customdata:,}} rows)<extra></extra>",
    )


def calibration_figure(
    cal: Calibration, *, title: str | None = None, template: str | None = None
) -> go.Figure:
    """Reliability diagram of the given probabilities and, unless no map was chosen, of the
    chosen recalibration map, on the evaluation rows.

    Examples
    --------
    >>> import numpy as np
    >>> from lifecycle_widgets.core.explain.calibrate import calibration
    >>> y = np.array([0, 1] * 100)
    >>> fig = calibration_figure(calibration(y, np.where(y == 1, 0.6, 0.4)))
    >>> [t.name for t in fig.data]
    ['perfect', 'before', 'after temperature']
    """
    fig = go.Figure([_diagonal(), _curve(cal.before.bins, "before", NEGATIVE)])
    if cal.method != "none":
        fig.add_trace(_curve(cal.after.bins, f"after {cal.method}", POSITIVE))
    what = "top-class confidence" if cal.multiclass else f"P({cal.positive_label})"
    return finish(fig, title=title or f"Reliability of {text(what)}", template=template, **_AXES)


def calibration_methods_figure(
    cal: Calibration, *, title: str | None = None, template: str | None = None
) -> go.Figure:
    """One reliability curve per recalibration map on the evaluation rows (``none`` is the
    probabilities as given); the chosen map is drawn thicker.

    Examples
    --------
    >>> import numpy as np
    >>> from lifecycle_widgets.core.explain.calibrate import calibration
    >>> y = np.array([0, 1] * 100)
    >>> [t.name for t in calibration_methods_figure(calibration(y, np.where(y == 1, 0.6, 0.4))).data]
    ['perfect', 'none', 'temperature (chosen)', 'platt', 'isotonic']
    """
    fig = go.Figure([_diagonal()])
    for m in cal.methods:
        chosen = m.name == cal.method
        fig.add_trace(
            _curve(
                m.metrics.bins,
                f"{m.name} (chosen)" if chosen else m.name,
                _METHOD_COLORS.get(m.name, NEUTRAL),
                width=3.5 if chosen else 1.5,
            )
        )
    return finish(fig, title=title or "Reliability of each recalibration map", template=template, **_AXES)


def calibration_classes_figure(
    cal: Calibration, *, stage: str = "before", title: str | None = None, template: str | None = None
) -> go.Figure:
    """Multiclass: one one-vs-rest reliability curve per class, before or after recalibration
    (``stage``), each named with its ECE. A binary result has a single curve, the positive class's.

    Examples
    --------
    >>> import numpy as np
    >>> from lifecycle_widgets.core.explain.calibrate import calibration
    >>> y = np.array([0, 1, 2] * 100)
    >>> p = np.full((300, 3), 0.2)
    >>> p[np.arange(300), y] = 0.6
    >>> [t.name for t in calibration_classes_figure(calibration(y, p)).data][1:]  # 1/3 * 0.4 + 2/3 * 0.2
    ['0 (ECE 0.267)', '1 (ECE 0.267)', '2 (ECE 0.267)']
    """
    if stage not in ("before", "after"):
        raise ParameterError.bad_value("stage", "calibration_classes_figure", "'before' or 'after'", stage)
    metrics = cal.before if stage == "before" else cal.after
    fig = go.Figure([_diagonal()])
    if metrics.per_class:
        for i, c in enumerate(metrics.per_class):
            color = defaults.colorway[i % len(defaults.colorway)]
            fig.add_trace(_curve(c.bins, f"{c.label} (ECE {c.ece:.3g})", color))
    else:
        fig.add_trace(_curve(metrics.bins, f"{cal.positive_label} (ECE {metrics.ece:.3g})", NEGATIVE))
    label = "as given" if stage == "before" or cal.method == "none" else f"after {cal.method}"
    return finish(
        fig,
        title=title or f"Reliability per class, one-vs-rest ({label})",
        template=template,
        xaxis={"range": [0, 1], "title": {"text": "mean predicted probability of the class"}},
        yaxis={"range": [0, 1], "title": {"text": "share of rows of the class"}},
    )
