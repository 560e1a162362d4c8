"""What a check is: it measures; the runner judges.

A check returns :class:`Evidence` — raw measurements with sample sizes and
intervals, plus any intrinsic failures it found (personal data in an
undeclared column, an explanation that does not add up). The runner then
judges the measurements against the suite's thresholds, so thresholds change
per suite without touching the check, and the raw numbers are always reported.

A new check is one file in ``govkit/checks/`` defining a subclass of
:class:`Check`, one line in ``govkit/checks/registry.py``, and one test.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from govkit.report import Measurement
from govkit.suite import Threshold

if TYPE_CHECKING:
    from govkit.checks.context import CheckContext

__all__ = ["Check", "CheckParams", "Evidence", "NotApplicable", "SkipCheck"]


class CheckParams(BaseModel):
    """Parameters every check accepts. Unknown keys are errors, never ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    min_group_size: int = Field(
        default=30, ge=1, description="Smaller groups are never judged pass."
    )
    n_boot: int = Field(default=1000, ge=0, description="Bootstrap replicates for intervals.")
    confidence: float = Field(default=0.95, gt=0.0, lt=1.0, description="Interval level.")


@dataclass
class Evidence:
    """What a check measured.

    Attributes
    ----------
    measurements
        Every number, each with ``n`` and ``ci`` where it is a rate or score.
    small_groups
        Groups smaller than ``min_group_size``, described for a reviewer
        (``"race=Other (n=12)"``). A check that would pass with such groups
        is reported ``insufficient_evidence``.
    failures
        Sentences describing failures that need no threshold.
    details
        Extras for charts and reviewers (curves, bins, masked examples).
    summary
        A sentence describing the result when it passes.
    """

    measurements: list[Measurement] = field(default_factory=list)
    small_groups: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    summary: str | None = None


class SkipCheck(Exception):
    """Raised by a check that cannot run here; the reason goes into the report."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class NotApplicable(SkipCheck):
    """A skip by design: the check has nothing to measure on this system, and no input
    would change that (a counterfactual on sensitive columns the model does not take).

    Unlike a plain :class:`SkipCheck`, which means evidence the suite asks for is
    missing and fails the gate for a blocking check, this never blocks.
    """


class Check(ABC):
    """Base class of every check. Subclasses set the class attributes and ``measure``."""

    id: ClassVar[str]
    title: ClassVar[str]
    Params: ClassVar[type[CheckParams]] = CheckParams
    #: the check runs the model itself (gradients, perturbations); skipped in predictions-only mode
    requires_model: ClassVar[bool] = False
    #: the check needs the training split; skipped when govkit.yaml has none
    requires_train: ClassVar[bool] = False
    #: the check needs predicted probabilities; skipped when predictions are labels only
    requires_scores: ClassVar[bool] = False
    #: the check compares groups; skipped when govkit.yaml names no sensitive column
    requires_sensitive: ClassVar[bool] = False
    #: the check needs quasi-identifiers; skipped when govkit.yaml declares none
    requires_quasi_identifiers: ClassVar[bool] = False
    #: the check reports failures by itself (``Evidence.failures``), so it can block
    #: without a threshold; a blocking check with neither is a configuration error
    judges_itself: ClassVar[bool] = False
    #: the check also measures each baseline and the paired differences (``vs`` figures),
    #: so a suite threshold on it may name a baseline with ``vs``
    measures_baselines: ClassVar[bool] = False
    #: used when the suite gives no thresholds (``--only`` outside the suite)
    default_thresholds: ClassVar[tuple[Threshold, ...]] = ()

    @abstractmethod
    def measure(self, ctx: CheckContext, params: Any) -> Evidence:
        """Measure on ``ctx``; ``params`` is an instance of ``self.Params``."""
