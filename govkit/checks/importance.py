"""attribution.importance: which input features the model relies on.

Global importance is the mean absolute attribution of each original feature
over the explained rows, with a Poisson bootstrap interval over rows. The
target explained is the positive-class log-odds (binary) or the predicted
class's log-probability (multiclass).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np

from govkit.attribution import mean_with_ci
from govkit.checks._attribution import AttributionParams
from govkit.checks.base import Check, Evidence
from govkit.checks.context import CheckContext
from govkit.report import Measurement

if TYPE_CHECKING:
    from govkit.attribution import Explanation

__all__ = ["Importance", "describe_method", "describe_target"]

_METHOD_NAMES = {
    "integrated_gradients": "Integrated Gradients",
    "gradient_shap": "GradientShap",
    "shap_gradient": "shap GradientExplainer",
}


def describe_target(task: str) -> str:
    """The score attributions explain, in words."""
    if task == "binary":
        return "positive-class log-odds"
    return "log-probability of the predicted class"


def describe_method(params: AttributionParams) -> str:
    """The attribution method and its sample size, in words."""
    name = _METHOD_NAMES[params.method]
    if params.method == "integrated_gradients":
        return f"{name} ({params.n_steps} steps)"
    return f"{name} ({params.n_samples} samples)"


class Importance(Check):
    """Global feature importance from per-row attributions."""

    id = "attribution.importance"
    title = "Feature importance"
    Params: ClassVar[type[AttributionParams]] = AttributionParams
    requires_model: ClassVar[bool] = True

    def measure(self, ctx: CheckContext, params: AttributionParams) -> Evidence:
        from govkit.checks._attribution_explain import explain

        exp = explain(ctx, params)
        magnitudes = exp.magnitudes
        est = mean_with_ci(
            magnitudes, n_boot=params.n_boot, seed=ctx.seed, confidence=params.confidence
        )
        n = exp.setup.n
        order = np.argsort(-est.value, kind="stable")
        total = float(est.value.sum())
        ranking = []
        measurements = []
        for rank, j in enumerate(order, start=1):
            name = exp.features[j]
            value = float(est.value[j])
            ci = est.interval(int(j))
            ranking.append(
                {
                    "rank": rank,
                    "feature": name,
                    "mean_abs_attribution": value,
                    "ci": list(ci) if ci else None,
                    "share": value / total if total > 0 else None,
                    "input_columns": exp.setup.fmap.columns_of(name),
                }
            )
            measurements.append(
                Measurement(name="mean_abs_attribution", feature=name, value=value, ci=ci, n=n)
            )
        top = ", ".join(f"{r['feature']}" for r in ranking[:3])
        summary = (
            f"{describe_method(params)} on {exp.setup.describe_sample()}: "
            f"the model relies most on {top}."
        )
        return Evidence(
            measurements=measurements,
            details=_details(exp, params, ranking, ctx.task),
            summary=summary,
        )


def _details(
    exp: Explanation, params: AttributionParams, ranking: list[dict[str, object]], task: str
) -> dict[str, object]:
    setup = exp.setup
    return {
        "ranking": ranking,
        "method": params.method,
        "n_steps": params.n_steps if params.method == "integrated_gradients" else None,
        "n_samples": params.n_samples if params.method != "integrated_gradients" else None,
        "baseline": setup.baseline_source,
        "target": describe_target(task),
        "sample": {
            "n_rows": setup.n,
            "n_eval": setup.n_eval,
            "stratified_by": setup.stratified_by if setup.n < setup.n_eval else [],
            "description": setup.describe_sample(),
        },
    }
