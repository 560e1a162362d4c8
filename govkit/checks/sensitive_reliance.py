"""attribution.sensitive_reliance: how much the model leans on protected attributes.

The share of the total attribution that falls on sensitive features (those
of ``sensitive`` the model takes as inputs, after summing encoded columns)
and on declared proxies. Whether or not sensitive attributes are inputs, a
model can still reach them through other features, so every other feature
gets a ``proxy_strength``: how well that feature alone predicts a sensitive
attribute, as the AUC of predicting the attribute from it (one-vs-rest,
macro-averaged over the attribute's groups; 0.5: the feature says nothing
about the attribute, 1.0: it identifies it). It is measured on the explained
rows (a seeded sample of large eval sets), for each sensitive column
separately, and the strongest column is reported; see
``govkit.attribution.proxy_auc`` for the cross-fitted estimator. The proxy
strength is a property of the data; the attribution shares above say how
much the model uses the feature.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np
from pydantic import Field

from govkit.attribution import Estimate, feature_categories, proxy_auc, share_with_ci
from govkit.checks._attribution import AttributionParams, require_model
from govkit.checks.base import Check, Evidence, SkipCheck
from govkit.checks.context import CheckContext
from govkit.report import Measurement
from govkit.stats.groups import make_grouping
from govkit.suite import Threshold

if TYPE_CHECKING:
    from govkit.attribution import Explanation

__all__ = ["SensitiveReliance", "SensitiveRelianceParams"]


class SensitiveRelianceParams(AttributionParams):
    """Attribution parameters plus how many strongest proxies to list."""

    top_proxies: int = Field(
        default=5, ge=1, le=100, description="Strongest proxy features listed in the details."
    )


class SensitiveReliance(Check):
    """Share of attribution on sensitive features and declared proxies."""

    id = "attribution.sensitive_reliance"
    title = "Reliance on sensitive attributes"
    Params: ClassVar[type[SensitiveRelianceParams]] = SensitiveRelianceParams
    requires_model: ClassVar[bool] = True
    requires_sensitive: ClassVar[bool] = True
    default_thresholds: ClassVar[tuple[Threshold, ...]] = (
        Threshold(metric="sensitive_attribution_share", max=0.05, overall_only=True),
        Threshold(metric="proxy_attribution_share", max=0.10, overall_only=True),
    )

    def measure(self, ctx: CheckContext, params: SensitiveRelianceParams) -> Evidence:
        from govkit.checks._attribution_explain import explain

        require_model(ctx)
        if not ctx.sensitive:
            raise SkipCheck("no sensitive attributes are declared (govkit.yaml: data.sensitive)")
        exp = explain(ctx, params)
        features = exp.features
        mags = exp.magnitudes
        n = exp.setup.n

        def share(columns: list[int]) -> Estimate:
            return share_with_ci(
                mags, columns, n_boot=params.n_boot, seed=ctx.seed, confidence=params.confidence
            )

        sensitive_in = [s for s in ctx.sensitive if s in features]
        proxies_in = [p for p in ctx.proxies if p in features and p not in sensitive_in]
        measurements: list[Measurement] = []

        sens = share([features.index(s) for s in sensitive_in])
        measurements.append(
            Measurement(
                name="sensitive_attribution_share",
                value=float(sens.value[0]),
                ci=sens.interval() if sensitive_in else (0.0, 0.0),
                n=n,
            )
        )
        for s in sensitive_in:
            one = share([features.index(s)])
            measurements.append(
                Measurement(
                    name="attribution_share",
                    feature=s,
                    value=float(one.value[0]),
                    ci=one.interval(),
                    n=n,
                )
            )
        proxy_share = None
        if ctx.proxies:
            prox = share([features.index(p) for p in proxies_in])
            proxy_share = float(prox.value[0])
            measurements.append(
                Measurement(
                    name="proxy_attribution_share",
                    value=proxy_share,
                    ci=prox.interval() if proxies_in else (0.0, 0.0),
                    n=n,
                )
            )

        strongest = _proxy_strength(ctx, exp, sensitive_in, params, measurements)
        details: dict[str, object] = {
            "sensitive_inputs": sensitive_in,
            "sensitive_not_inputs": [s for s in ctx.sensitive if s not in sensitive_in],
            "declared_proxies": list(ctx.proxies),
            "proxy_inputs": proxies_in,
            "strongest_proxies": strongest[: params.top_proxies],
            "sample": exp.setup.describe_sample(),
        }
        summary = _summary(float(sens.value[0]), sensitive_in, proxy_share, strongest)
        return Evidence(measurements=measurements, details=details, summary=summary)


def _proxy_strength(
    ctx: CheckContext,
    exp: Explanation,
    sensitive_in: list[str],
    params: SensitiveRelianceParams,
    measurements: list[Measurement],
) -> list[dict[str, object]]:
    """Add a proxy_strength (AUC) per non-sensitive feature; return them strongest first."""
    present = [c for c in ctx.sensitive if c in ctx.eval.frame.columns]
    others = [j for j, name in enumerate(exp.features) if name not in sensitive_in]
    if not present or not others:
        return []
    frame = ctx.eval.frame.iloc[exp.setup.rows]
    inputs = exp.setup.inputs.double().numpy()
    categories = [
        feature_categories(inputs[:, exp.setup.fmap.columns_of(exp.features[j])]) for j in others
    ]
    best = np.full(len(others), -1.0)
    best_ci: list[tuple[float, float] | None] = [None] * len(others)
    best_by = [""] * len(others)
    # one sensitive column at a time: an intersection has many small groups, and the
    # column a feature stands in for is what a reviewer needs to know
    for grouping in (make_grouping(frame, [c]) for c in present):
        if grouping.n_groups < 2:
            continue
        for k, cats in enumerate(categories):
            est = proxy_auc(
                cats,
                grouping.codes,
                grouping.n_groups,
                n_boot=params.n_boot,
                seed=ctx.seed,
                confidence=params.confidence,
            )
            value = float(est.value[0])
            if np.isfinite(value) and value > best[k]:
                best[k] = value
                best_ci[k] = est.interval()
                best_by[k] = grouping.feature
    if (best < 0).all():
        return []
    n = exp.setup.n
    ranked = []
    for k in np.argsort(-best, kind="stable"):
        if best[k] < 0:
            continue
        name = exp.features[others[k]]
        measurements.append(
            Measurement(
                name="proxy_strength", feature=name, value=float(best[k]), ci=best_ci[k], n=n
            )
        )
        ranked.append(
            {
                "feature": name,
                "proxy_strength": float(best[k]),
                "ci": list(best_ci[k]) if best_ci[k] else None,  # type: ignore[arg-type]
                "sensitive": best_by[k],
            }
        )
    return ranked


def _summary(
    share: float,
    sensitive_in: list[str],
    proxy_share: float | None,
    strongest: list[dict[str, object]],
) -> str:
    if sensitive_in:
        text = (
            f"{share:.1%} of the attribution falls on sensitive inputs ({', '.join(sensitive_in)})"
        )
    else:
        text = "No sensitive attribute is a model input"
    if proxy_share is not None:
        text += f"; {proxy_share:.1%} on declared proxies"
    if strongest:
        top = strongest[0]
        strength = top["proxy_strength"]
        text += (
            f"; the strongest proxy is {top['feature']} (it predicts {top['sensitive']} "
            f"with AUC {strength:.2f})"
        )  # type: ignore[arg-type]
    return text + "."
