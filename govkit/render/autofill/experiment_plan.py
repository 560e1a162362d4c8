"""Experiment plan fields filled from the report: the leakage check between the splits."""

from __future__ import annotations

from govkit.render.autofill.common import (
    FillInput,
    FillRule,
    filled,
    make_table,
    overall_of,
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


#: The experiment plan's automated fields.
RULES: tuple[FillRule, ...] = (
    FillRule("experiment_plan", ("splits", "leakage_checks"), _leakage, check="data.leakage"),
)
