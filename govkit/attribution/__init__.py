"""Attribution engine: what a model relies on, and whether that explanation holds.

Batched Integrated Gradients (agreeing with captum's), the baselines and
target score it integrates, the proxy AUC of a feature for a sensitive
attribute, captum GradientShap and shap GradientExplainer as
alternatives, the sum of encoded columns back to original features, and the
cascade of randomised model copies of the sanity test. It works on tensors
and arrays and knows nothing of checks; the attribution checks
(``attribution.*``, ``fairness.counterfactual_flip``) are built on it, their
shared parameters and the step from a check context to attributions being in
``govkit.checks._attribution``.

Names that need torch are imported on first use (PEP 562), so that loading a
check class — which a predictions-only run does to validate its suite — never
imports torch.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from govkit.attribution._grouping import FeatureMap, feature_map
from govkit.attribution._proxy import feature_categories, proxy_auc
from govkit.attribution._quadrature import QUADRATURE_METHODS, QuadratureMethod, quadrature
from govkit.attribution._sampling import stratified_sample
from govkit.attribution._statistics import (
    Estimate,
    mean_with_ci,
    rank_correlation,
    rank_correlation_mean,
    row_rank_correlations,
    share_with_ci,
)

if TYPE_CHECKING:
    from govkit.attribution._explain import AttributionSetup, Explanation, attribute, run_ig
    from govkit.attribution._explainers import gradient_shap, shap_gradient
    from govkit.attribution._integrated_gradients import IGResult, integrated_gradients
    from govkit.attribution._randomize import (
        Layer,
        cascading_randomization,
        parameter_layers,
        randomized_copy,
    )
    from govkit.attribution._target import TargetScore, predict_log_probs_tensor

#: torch-dependent public names -> the private module defining them
_LAZY: dict[str, str] = {
    "AttributionSetup": "govkit.attribution._explain",
    "Explanation": "govkit.attribution._explain",
    "attribute": "govkit.attribution._explain",
    "run_ig": "govkit.attribution._explain",
    "gradient_shap": "govkit.attribution._explainers",
    "shap_gradient": "govkit.attribution._explainers",
    "IGResult": "govkit.attribution._integrated_gradients",
    "integrated_gradients": "govkit.attribution._integrated_gradients",
    "Layer": "govkit.attribution._randomize",
    "cascading_randomization": "govkit.attribution._randomize",
    "parameter_layers": "govkit.attribution._randomize",
    "randomized_copy": "govkit.attribution._randomize",
    "TargetScore": "govkit.attribution._target",
    "predict_log_probs_tensor": "govkit.attribution._target",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'govkit.attribution' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


__all__ = [
    "QUADRATURE_METHODS",
    "AttributionSetup",
    "Estimate",
    "Explanation",
    "FeatureMap",
    "IGResult",
    "Layer",
    "QuadratureMethod",
    "TargetScore",
    "attribute",
    "cascading_randomization",
    "feature_categories",
    "feature_map",
    "gradient_shap",
    "integrated_gradients",
    "mean_with_ci",
    "parameter_layers",
    "predict_log_probs_tensor",
    "proxy_auc",
    "quadrature",
    "randomized_copy",
    "rank_correlation",
    "rank_correlation_mean",
    "row_rank_correlations",
    "run_ig",
    "shap_gradient",
    "share_with_ci",
    "stratified_sample",
]
