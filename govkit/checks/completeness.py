"""attribution.completeness: do the Integrated Gradients attributions add up?

Completeness (Sundararajan et al., 2017) says a row's attributions sum to
``f(x) - f(baseline)``. The gap, relative to ``|f(x) - f(baseline)|``, is the
error of the numerical path integral: large gaps mean too few steps, and an
explanation that cannot be trusted to its stated precision. When the 95th
percentile gap exceeds the tolerance the check fails and says how many steps
would bring it under, estimated by doubling the steps on a small subsample.
"""

from __future__ import annotations

from statistics import NormalDist
from typing import TYPE_CHECKING, ClassVar, Literal

import numpy as np
from pydantic import Field

from govkit.checks._attribution import AttributionParams
from govkit.checks.base import Check, Evidence
from govkit.checks.context import CheckContext
from govkit.report import Measurement

if TYPE_CHECKING:
    from govkit.attribution import AttributionSetup

__all__ = ["Completeness", "CompletenessParams", "relative_deltas"]

#: rows on which larger step counts are tried, and how many doublings at most
_PROBE_ROWS = 256
_MAX_DOUBLINGS = 6


class CompletenessParams(AttributionParams):
    """Integrated Gradients parameters plus the tolerated relative error."""

    method: Literal["integrated_gradients"] = "integrated_gradients"
    tolerance: float = Field(
        default=0.05, gt=0.0, lt=1.0, description="Largest tolerated 95th-percentile relative gap."
    )


def relative_deltas(attr_sum: np.ndarray, score_x: np.ndarray, score_b: np.ndarray) -> np.ndarray:
    """Per-row ``|sum(attr) - (f(x) - f(b))| / |f(x) - f(b)|``, with a guarded denominator.

    Rows whose score barely moves from the baseline would turn rounding
    noise into huge relative errors, so the denominator is at least a tenth
    of the median ``|f(x) - f(b)|`` (and at least 1e-6).
    """
    change = np.abs(score_x - score_b)
    floor = max(0.1 * float(np.median(change)) if change.size else 0.0, 1e-6)
    return np.asarray(np.abs(attr_sum - (score_x - score_b)) / np.maximum(change, floor))


def _quantile_ci(values: np.ndarray, q: float, confidence: float) -> tuple[float, float] | None:
    """Distribution-free interval of a quantile: order statistics around rank ``n q``.

    The number of rows below the true quantile is Binomial(n, q); its normal
    approximation gives the ranks that bound the interval.
    """
    n = values.size
    if n < 2:
        return None
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    spread = z * np.sqrt(n * q * (1 - q))
    s = np.sort(values)
    lo = int(np.clip(np.floor(n * q - spread), 1, n))
    hi = int(np.clip(np.ceil(n * q + spread), 1, n))
    return float(s[lo - 1]), float(s[hi - 1])


class Completeness(Check):
    """Integrated Gradients convergence: attributions sum to the change in score."""

    id = "attribution.completeness"
    title = "Attribution completeness"
    judges_itself: ClassVar[bool] = True
    Params: ClassVar[type[CompletenessParams]] = CompletenessParams
    requires_model: ClassVar[bool] = True

    def measure(self, ctx: CheckContext, params: CompletenessParams) -> Evidence:
        from govkit.checks._attribution_explain import explain

        exp = explain(ctx, params)
        if exp.scores is None:  # pragma: no cover - the params pin the method
            raise ValueError("completeness needs Integrated Gradients")
        score_x, score_b = exp.scores
        rel = relative_deltas(exp.inputs.sum(axis=1), score_x, score_b)
        n = int(rel.size)
        median = float(np.median(rel))
        p95 = float(np.quantile(rel, 0.95))
        measurements = [
            Measurement(
                name="completeness_delta_median",
                value=median,
                ci=_quantile_ci(rel, 0.5, params.confidence),
                n=n,
            ),
            Measurement(
                name="completeness_delta_p95",
                value=p95,
                ci=_quantile_ci(rel, 0.95, params.confidence),
                n=n,
            ),
        ]
        details: dict[str, object] = {
            "n_steps": params.n_steps,
            "integration": params.integration,
            "tolerance": params.tolerance,
            "baseline": exp.setup.baseline_source,
            "sample": exp.setup.describe_sample(),
            "delta_max": float(rel.max()),
            "share_over_tolerance": float((rel > params.tolerance).mean()),
        }
        failures = []
        summary = None
        if p95 > params.tolerance:
            steps, probe_p95 = _steps_needed(ctx, exp.setup, params, rel)
            details["steps_estimate"] = {
                "n_steps": steps,
                "probe_p95": probe_p95,
                "probe_rows": min(_PROBE_ROWS, n),
            }
            if steps is not None:
                fix = f"about {steps} steps bring it under (tried on {min(_PROBE_ROWS, n)} rows)"
            else:
                limit = params.n_steps << _MAX_DOUBLINGS
                fix = (
                    f"even {limit} steps do not bring it under (tried on "
                    f"{min(_PROBE_ROWS, n)} rows); the model may be too irregular for a "
                    "straight-path integral, or the baseline unsuitable"
                )
            failures.append(
                f"with {params.n_steps} steps, 5% of rows have attributions that miss "
                f"f(x) - f(baseline) by more than {p95:.1%} (tolerance {params.tolerance:.0%}); "
                f"{fix}."
            )
        else:
            summary = (
                f"Attributions add up: 95% of rows are within {p95:.2%} of "
                f"f(x) - f(baseline) with {params.n_steps} steps "
                f"(tolerance {params.tolerance:.0%}), on {exp.setup.describe_sample()}."
            )
        return Evidence(
            measurements=measurements, failures=failures, details=details, summary=summary
        )


def _steps_needed(
    ctx: CheckContext, setup: AttributionSetup, params: CompletenessParams, rel: np.ndarray
) -> tuple[int | None, float | None]:
    """Smallest doubled step count whose p95 gap is within tolerance on a subsample."""
    from govkit.attribution import run_ig
    from govkit.checks._attribution_explain import target_score as make_target_score

    n = rel.size
    rng = np.random.default_rng(ctx.seed)
    subset = np.sort(rng.choice(n, size=min(_PROBE_ROWS, n), replace=False))
    score = make_target_score(ctx)
    probe_p95: float | None = None
    steps = params.n_steps
    for _ in range(_MAX_DOUBLINGS):
        steps *= 2
        res = run_ig(setup, score, n_steps=steps, integration=params.integration, subset=subset)
        sub = relative_deltas(
            res.attributions.double().sum(dim=1).numpy(),
            res.score_inputs.numpy(),
            res.score_baselines.numpy(),
        )
        probe_p95 = float(np.quantile(sub, 0.95))
        if probe_p95 <= params.tolerance:
            return steps, probe_p95
    return None, probe_p95
