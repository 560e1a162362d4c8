"""``govkit check``: the release gate."""

from __future__ import annotations

from govkit.errors import EXIT_FINDINGS, EXIT_OK
from govkit.output import result

__all__ = ["run_check"]


def run_check(
    config: str, *, out: str | None, device: str | None, only: list[str], fmt: str, quiet: bool
) -> int:
    """Run the suite of ``config`` and print the result.

    Returns 0 when nothing blocks the release, 1 when a blocking check failed,
    errored or lacked evidence. Configuration and input errors raise (exit 2).
    """
    from govkit.project import load_project_file
    from govkit.runner.console import format_summary
    from govkit.runner.run import execute_run
    from govkit.runner.write import report_json

    project = load_project_file(config)
    outcome = execute_run(project, only=only, device=device, out=out, quiet=quiet)
    if fmt == "json":
        result(report_json(outcome.report), end="")
    else:
        result(format_summary(outcome.report, outcome.key_figures), end="")
        if outcome.report.plan is not None:
            from govkit.runner.plan_criteria import format_plan

            result("\n" + format_plan(outcome.report.plan), end="")
        result(f"report: {outcome.report_path}\njunit:  {outcome.junit_path}")
    return EXIT_FINDINGS if outcome.report.status == "fail" else EXIT_OK
