"""What the attribution checks share: their parameters and when they cannot run.

The attribution engine (:mod:`govkit.attribution`) works on tensors and knows
nothing of checks; this module is the check-facing side of it, beside
:mod:`govkit.checks._fairness` for the fairness checks. It imports neither
torch nor the engine's torch modules, so that loading a check class — which a
predictions-only run does to validate its suite — stays light. The step from
a check context to attributions is in :mod:`govkit.checks._attribution_explain`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field

from govkit.attribution._quadrature import QuadratureMethod
from govkit.checks.base import CheckParams, SkipCheck

if TYPE_CHECKING:
    from govkit.checks.context import CheckContext

__all__ = ["NO_MODEL", "AttributionMethod", "AttributionParams", "BaselineKind", "require_model"]

AttributionMethod = Literal["integrated_gradients", "gradient_shap", "shap_gradient"]
BaselineKind = Literal["train_mean", "train_sample"]

NO_MODEL = "needs the model and its inputs; there are none in predictions-only mode"


class AttributionParams(CheckParams):
    """How attributions are computed; checks with equal parameters share one computation."""

    method: AttributionMethod = Field(
        default="integrated_gradients",
        description="integrated_gradients (govkit's batched implementation, agrees with captum), "
        "gradient_shap (captum GradientShap) or shap_gradient (shap GradientExplainer).",
    )
    n_steps: int = Field(
        default=50, ge=1, le=4096, description="Integration points per row (integrated_gradients)."
    )
    integration: QuadratureMethod = Field(
        default="gausslegendre",
        description="Quadrature rule of the path integral (captum's default).",
    )
    baseline: BaselineKind = Field(
        default="train_mean",
        description="train_mean: the mean training input (eval when there is no train split); "
        "train_sample: a seeded sample of training rows, attributions averaged over them.",
    )
    n_baselines: int = Field(
        default=10, ge=1, le=1000, description="Rows in the train_sample baseline."
    )
    n_samples: int = Field(
        default=25,
        ge=1,
        le=10000,
        description="Random samples per row (gradient_shap, shap_gradient).",
    )
    max_rows: int = Field(
        default=2000,
        ge=10,
        description="Larger eval sets are explained on a seeded sample stratified by label "
        "and sensitive group.",
    )


def require_model(ctx: CheckContext) -> None:
    """Raise SkipCheck unless the context can run the model on its inputs."""
    if ctx.model is None or ctx.log_probs_of is None or ctx.inputs_of is None:
        raise SkipCheck(NO_MODEL)
