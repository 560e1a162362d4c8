"""The GitHub Actions job summary: the verdict, the status table and what blocks.

When ``GITHUB_STEP_SUMMARY`` names a file, GitHub shows its Markdown on the
run's summary page; each step appends its own part. ``govkit check`` appends
(never truncates: an earlier step's summary is not ours to lose), and a file
it cannot write is a warning, never a failed gate: the summary is a courtesy,
the report and the exit code are the result.

The text comes from the report, whose group values of personal-data columns
are already pseudonyms; anything else from the data passes through
:func:`govkit.safe_text.visible` and is escaped so it cannot break the table
or bring HTML into the page.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from govkit.report import Report
from govkit.safe_text import visible

__all__ = ["ENV_VAR", "append_step_summary", "step_summary_markdown"]

ENV_VAR = "GITHUB_STEP_SUMMARY"


def _cell(text: str) -> str:
    """Text safe in a Markdown table cell: no pipe, newline or HTML."""
    text = visible(text).replace("\r", " ").replace("\n", " ")
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace("|", "\\|")


def step_summary_markdown(report: Report, key_figures: Mapping[str, str]) -> str:
    """The summary of one run: a heading with the verdict, the table, the blocking findings."""
    system = f"{report.system.name} {report.system.version}"
    blocking = [r for r in report.results if r.blocking]
    verdict = (
        f"FAIL: {len(blocking)} blocking result(s)"
        if report.status == "fail"
        else "PASS: nothing blocks the release"
    )
    lines = [
        f"## govkit check: {_cell(system)}",
        "",
        f"**{verdict}**",
        "",
        "| check | status | key figure | blocking |",
        "|---|---|---|---|",
    ]
    for r in report.results:
        status = r.status + (" (waived)" if r.waiver is not None else "")
        key = key_figures.get(r.id, "-")
        lines.append(
            f"| `{_cell(r.id)}` | {status} | {_cell(key)} | {'yes' if r.blocking else 'no'} |"
        )
    if blocking:
        lines += ["", "### Blocking findings", ""]
        lines += [f"- `{_cell(r.id)}` ({r.status}): {_cell(r.message)}" for r in blocking]
    return "\n".join(lines) + "\n\n"


def append_step_summary(
    report: Report,
    key_figures: Mapping[str, str],
    *,
    environ: Mapping[str, str] | None = None,
) -> str | None:
    """Append the summary to the file ``GITHUB_STEP_SUMMARY`` names, when it is set.

    Returns
    -------
    str or None
        A warning to show when the file could not be written; None otherwise
        (written, or the variable is not set).
    """
    target = (environ if environ is not None else os.environ).get(ENV_VAR)
    if not target:
        return None
    path = Path(target)
    if path.exists() and not path.is_file():
        return f"warning: {ENV_VAR} ({visible(target)}) is not a regular file; no job summary"
    try:
        # append mode: GitHub gives each step one file and shows every part written to it
        with path.open("a", encoding="utf-8") as handle:
            handle.write(step_summary_markdown(report, key_figures))
    except OSError as err:
        return (
            f"warning: cannot append the job summary to {visible(target)} "
            f"({err.strerror or type(err).__name__}); the report is unaffected"
        )
    return None
