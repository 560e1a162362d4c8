"""What ``govkit check`` tells a person: progress and warnings on stderr, the summary table.

Progress is only for a person watching a terminal, so it is silent when stderr
is not a terminal or with ``--quiet``; warnings always show. The summary is the
table ``govkit check`` prints on stdout once the report is written. Any text
from the data passes through :func:`govkit.safe_text.visible` first, so no
escape sequence from a group value reaches the terminal.
"""

from __future__ import annotations

import sys

from govkit.output import diagnostic
from govkit.report import Report
from govkit.safe_text import visible

__all__ = ["Console", "format_summary"]


class Console:
    """Progress and warnings on stderr; progress only on a terminal and without --quiet."""

    def __init__(self, *, quiet: bool = False) -> None:
        self.show_progress = not quiet and sys.stderr.isatty()

    def progress(self, text: str) -> None:
        if self.show_progress:
            diagnostic(text)

    def warn(self, text: str) -> None:
        diagnostic(text)


def format_summary(report: Report, key_figures: dict[str, str]) -> str:
    """A plain table: id, status, key figure, blocking; then one line per non-pass message."""
    rows = [("CHECK", "STATUS", "KEY FIGURE", "BLOCKING")]
    for r in report.results:
        status = r.status + (" (waived)" if r.waiver is not None else "")
        key = visible(key_figures.get(r.id, "-"))
        rows.append((r.id, status, key, "yes" if r.blocking else "no"))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    # a message can quote group values from the data: no ESC may reach the terminal
    notes = [f"- {r.id}: {visible(r.message)}" for r in report.results if r.status != "pass"]
    blocking = sum(r.blocking for r in report.results)
    # a registered experiment plan's unmet criteria block too (govkit.runner.plan_criteria)
    unmet = sum(c.blocking for c in report.plan.criteria) if report.plan is not None else 0
    verdict = (
        f"FAIL: {blocking} blocking result(s)"
        + (f", {unmet} unmet criterion(s) of the registered experiment plan" if unmet else "")
        if report.status == "fail"
        else "PASS: nothing blocks the release"
    )
    return "\n".join([*lines, "", *notes, *([""] if notes else []), verdict]) + "\n"
