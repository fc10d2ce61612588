"""Model validation: explanations (global, local, stability), bias metrics, calibration."""

from lifecycle_widgets.core.explain.bias import BiasBands, BiasMetric, BiasReport, bias_report
from lifecycle_widgets.core.explain.calibrate import Calibration, calibration
from lifecycle_widgets.core.explain.explainer import Explainer, explain
from lifecycle_widgets.core.explain.explanation import Explanation, LocalExplanation
from lifecycle_widgets.core.explain.gradients import integrated_gradients
from lifecycle_widgets.core.explain.stability import Stability

__all__ = [
    "BiasBands",
    "BiasMetric",
    "BiasReport",
    "Calibration",
    "Explainer",
    "Explanation",
    "LocalExplanation",
    "Stability",
    "bias_report",
    "calibration",
    "explain",
    "integrated_gradients",
]
