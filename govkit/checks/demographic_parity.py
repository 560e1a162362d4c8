"""Demographic parity: do the groups of each sensitive column get positive predictions equally often?"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from govkit.checks._fairness import FairnessParams, FairnessSpec, measure_fairness
from govkit.checks.base import Check, CheckParams, Evidence
from govkit.suite import Threshold

if TYPE_CHECKING:
    from govkit.checks.context import CheckContext

__all__ = ["DemographicParity"]


class DemographicParity(Check):
    """Per-group ``selection_rate`` and, per grouping, ``demographic_parity_difference``
    (largest minus smallest selection rate) and ``demographic_parity_ratio``
    (smallest over largest), as fairlearn defines them.
    """

    id = "fairness.demographic_parity"
    title = "Demographic parity of positive predictions"
    requires_sensitive = True
    measures_baselines = True
    default_thresholds: ClassVar[tuple[Threshold, ...]] = (
        Threshold(metric="demographic_parity_difference", max=0.1, on="interval_lenient"),
    )
    Params: ClassVar[type[CheckParams]] = FairnessParams
    spec: ClassVar[FairnessSpec] = FairnessSpec(
        rates=("selection_rate",),
        difference="demographic_parity_difference",
        ratio="demographic_parity_ratio",
    )

    def measure(self, ctx: CheckContext, params: CheckParams) -> Evidence:
        return measure_fairness(ctx, params, self.spec)
