"""Equal opportunity: do qualified members of every group get positive predictions equally often?"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from govkit.checks._fairness import FairnessParams, FairnessSpec, measure_fairness
from govkit.checks.base import Check, CheckParams, Evidence
from govkit.suite import Threshold

if TYPE_CHECKING:
    from govkit.checks.context import CheckContext

__all__ = ["EqualOpportunity"]


class EqualOpportunity(Check):
    """Per-group ``true_positive_rate`` and, per grouping, ``equal_opportunity_difference``
    and ``equal_opportunity_ratio``, as fairlearn defines them.
    """

    id = "fairness.equal_opportunity"
    title = "Equal opportunity: true positive rates across groups"
    requires_sensitive = True
    measures_baselines = True
    default_thresholds: ClassVar[tuple[Threshold, ...]] = (
        Threshold(metric="equal_opportunity_difference", max=0.1, on="interval_lenient"),
    )
    Params: ClassVar[type[CheckParams]] = FairnessParams
    spec: ClassVar[FairnessSpec] = FairnessSpec(
        rates=("true_positive_rate",),
        difference="equal_opportunity_difference",
        ratio="equal_opportunity_ratio",
    )

    def measure(self, ctx: CheckContext, params: CheckParams) -> Evidence:
        return measure_fairness(ctx, params, self.spec)
