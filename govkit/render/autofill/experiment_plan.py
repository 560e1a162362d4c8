"""Experiment plan fields filled from the report: the leakage check between the splits, and
whether the acceptance criteria were met (the report's ``plan``)."""

from __future__ import annotations

from govkit.render.autofill.common import (
    FillInput,
    FillRule,
    filled,
    make_table,
    overall_of,
    provenance_source,
    source_of,
    titled,
    titled_text,
)
from govkit.render.fields import FilledNode
from govkit.render.formatting import format_count, format_interval, format_value

__all__ = ["RULES"]


def _leakage(inp: FillInput) -> FilledNode | None:
    r = inp.checked()
    entries = [titled_text("Result", r.message)]
    rows = [
        (m.name, format_value(m.value), format_interval(m.ci), format_count(m.n))
        for m in overall_of(r)
    ]
    if rows:
        entries.append(
            titled("Figures", make_table(("Metric", "Value", "95% interval", "n"), rows))
        )
    return filled([source_of(r)], entries)


def _criteria_met(inp: FillInput) -> FilledNode | None:
    plan = inp.report.plan
    if plan is None:
        return None
    counts = {s: sum(c.status == s for c in plan.criteria) for s in ("met", "not_met")}
    verdict = {True: "yes", False: "no", None: "not known: some criteria lack evidence"}
    text = (
        f"{verdict[plan.criteria_met]} ({counts['met']} of {len(plan.criteria)} criteria met, "
        f"{counts['not_met']} not met; see Plan versus result)"
    )
    return filled([provenance_source(inp.report)], [titled_text("Criteria met", text)])


#: The experiment plan's automated fields.
RULES: tuple[FillRule, ...] = (
    FillRule("experiment_plan", ("splits", "leakage_checks"), _leakage, check="data.leakage"),
    FillRule("experiment_plan", ("outcome", "criteria_met"), _criteria_met),
)
