"""Attribution engine: what a model relies on, and whether that explanation holds.

Batched Integrated Gradients (agreeing with captum's), the baselines and
target score it integrates, captum GradientShap and shap GradientExplainer as
alternatives, the sum of encoded columns back to original features, and the
randomised model copy of the sanity test. The attribution checks
(``attribution.*``, ``fairness.counterfactual_flip``) are built on it.
"""

from __future__ import annotations

from govkit.attribution._explain import (
    AttributionSetup,
    Explanation,
    explain,
    prepare,
    require_model,
    run_ig,
    target_score,
)
from govkit.attribution._explainers import gradient_shap, shap_gradient
from govkit.attribution._grouping import FeatureMap, feature_map
from govkit.attribution._integrated_gradients import IGResult, integrated_gradients
from govkit.attribution._params import AttributionMethod, AttributionParams, BaselineKind
from govkit.attribution._quadrature import QUADRATURE_METHODS, QuadratureMethod, quadrature
from govkit.attribution._randomize import randomized_copy
from govkit.attribution._sampling import stratified_sample
from govkit.attribution._statistics import (
    Estimate,
    correlation_ratio,
    mean_with_ci,
    rank_correlation,
    row_rank_correlations,
    share_with_ci,
)
from govkit.attribution._target import TargetScore, predict_log_probs

__all__ = [
    "QUADRATURE_METHODS",
    "AttributionMethod",
    "AttributionParams",
    "AttributionSetup",
    "BaselineKind",
    "Estimate",
    "Explanation",
    "FeatureMap",
    "IGResult",
    "QuadratureMethod",
    "TargetScore",
    "correlation_ratio",
    "explain",
    "feature_map",
    "gradient_shap",
    "integrated_gradients",
    "mean_with_ci",
    "predict_log_probs",
    "prepare",
    "quadrature",
    "randomized_copy",
    "rank_correlation",
    "require_model",
    "row_rank_correlations",
    "run_ig",
    "shap_gradient",
    "share_with_ci",
    "stratified_sample",
    "target_score",
]
