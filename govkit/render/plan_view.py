"""What the packet shows of the plan and the handoff: "Plan versus result" and "Handoff".

Both are read from the report alone: ``report.plan`` holds every criterion of
the experiment plan as ``govkit check`` judged it, and the rollback rule is
the blocking thresholds that gated the release (see
:mod:`govkit.runner.monitoring`, which writes the same rule to
monitoring.json). A deviation is shown in the row of the criterion it names.
"""

from __future__ import annotations

from dataclasses import dataclass

from govkit.render.formatting import format_count, format_interval, format_value
from govkit.report import Report

__all__ = ["CriterionRow", "HandoffView", "PlanView", "RollbackRow", "handoff_view", "plan_view"]

_MET_TEXT = {
    True: "every criterion is met",
    False: "at least one criterion is not met",
    None: "some criteria lack evidence",
}


@dataclass(frozen=True)
class CriterionRow:
    """One criterion, its measured figure and its status."""

    ref: str
    criterion: str
    where: str
    value: str
    interval: str
    n: str
    status: str
    blocking: bool
    reason: str
    deviation: str | None


@dataclass(frozen=True)
class PlanView:
    """The plan-versus-result table."""

    document: str
    registered: bool
    verdict: str
    rows: tuple[CriterionRow, ...]


@dataclass(frozen=True)
class RollbackRow:
    """A figure that gated the release and the bound past which to roll back."""

    check: str
    figure: str
    released: str
    bound: str


@dataclass(frozen=True)
class HandoffView:
    """The short handoff to operations."""

    rows: tuple[RollbackRow, ...]
    eval_data_sha256: str | None
    #: per-group bounds left out of the table (monitoring.json holds them all)
    per_group: int = 0


def _criterion(ref_metric: str, op: str, threshold: float, vs: str | None) -> str:
    text = f"{ref_metric} {op} {format_value(threshold)}"
    return text + (f" vs {vs}" if vs else "")


def plan_view(report: Report | None) -> PlanView | None:
    """The table, or None when the report judged no experiment plan."""
    if report is None or report.plan is None:
        return None
    plan = report.plan
    rows = tuple(
        CriterionRow(
            ref=c.ref,
            criterion=_criterion(c.metric, c.op, c.threshold, c.vs),
            where=c.where or c.slice or "overall",
            value=format_value(c.value),
            interval=format_interval(c.ci),
            n=format_count(c.n),
            status=c.status.replace("_", " "),
            blocking=c.blocking,
            reason=c.reason,
            deviation=c.deviation,
        )
        for c in plan.criteria
    )
    state = "registered" if plan.registered else "draft: reported, does not gate the release"
    return PlanView(
        plan.document, plan.registered, f"{state}; {_MET_TEXT[plan.criteria_met]}", rows
    )


def handoff_view(report: Report | None) -> HandoffView | None:
    """The rollback rule as rows, or None without a report."""
    if report is None:
        return None
    from govkit.runner.monitoring import gates_and_rollback

    _, rules = gates_and_rollback(report)
    rows = []
    per_group = 0
    for r in rules:
        if r.where and "=" in r.where:  # one group's figure: the short table keeps the aggregates
            per_group += 1
            continue
        figure = r.metric + (f" ({r.where})" if r.where else "") + (f" vs {r.vs}" if r.vs else "")
        bounds = []
        if r.min is not None:
            bounds.append(f"below {format_value(r.min)}")
        if r.max is not None:
            bounds.append(f"above {format_value(r.max)}")
        on = "" if r.on == "point" else f" ({r.on.replace('_', ' ')})"
        released = format_value(r.released)
        if r.ci is not None:
            released += f" {format_interval(r.ci)}"
        rows.append(
            RollbackRow(
                check=f"experiment plan ({r.check})"
                if r.source == "plan" and r.check
                else ("experiment plan" if r.source == "plan" else r.check or "-"),
                figure=figure,
                released=released,
                bound=" or ".join(bounds) + on,
            )
        )
    eval_hash = report.provenance.data_sha256("eval_data")
    return HandoffView(tuple(rows), eval_hash, per_group)
