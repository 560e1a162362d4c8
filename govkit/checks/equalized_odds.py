"""Equalized odds: are errors of both kinds spread evenly over the groups?"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from govkit.checks._fairness import FairnessParams, FairnessSpec, measure_fairness
from govkit.checks.base import Check, CheckParams, Evidence
from govkit.suite import Threshold

if TYPE_CHECKING:
    from govkit.checks.context import CheckContext

__all__ = ["EqualizedOdds"]


class EqualizedOdds(Check):
    """Per-group ``true_positive_rate`` and ``false_positive_rate`` and, per grouping,
    ``equalized_odds_difference`` (the larger of the two rates' between-group
    differences) and ``equalized_odds_ratio`` (the smaller of their ratios),
    as fairlearn defines them.
    """

    id = "fairness.equalized_odds"
    title = "Equalized odds: true and false positive rates across groups"
    requires_sensitive = True
    measures_baselines = True
    default_thresholds: ClassVar[tuple[Threshold, ...]] = (
        Threshold(metric="equalized_odds_difference", max=0.1, on="interval_lenient"),
    )
    Params: ClassVar[type[CheckParams]] = FairnessParams
    spec: ClassVar[FairnessSpec] = FairnessSpec(
        rates=("true_positive_rate", "false_positive_rate"),
        difference="equalized_odds_difference",
        ratio="equalized_odds_ratio",
    )

    def measure(self, ctx: CheckContext, params: CheckParams) -> Evidence:
        return measure_fairness(ctx, params, self.spec)
