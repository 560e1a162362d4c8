"""``govkit check``: the release gate."""

from __future__ import annotations

from govkit.errors import EXIT_FINDINGS, EXIT_OK
from govkit.output import diagnostic, result
from govkit.report import Report

__all__ = ["run_check"]


def run_check(
    config: str,
    *,
    out: str | None,
    device: str | None,
    only: list[str],
    fmt: str,
    quiet: bool,
    mlflow: str | None = None,
    engine: str | None = None,
    address: str | None = None,
) -> int:
    """Run the suite of ``config`` and print the result.

    ``mlflow`` (``--mlflow``) is None for no logging, ``""`` for MLflow's own
    choice of tracking URI, or the URI; the store is probed before any check
    runs. ``engine`` and ``address`` (``--engine``, ``--address``) override
    govkit.yaml's ``engine`` section. When ``GITHUB_STEP_SUMMARY`` is set, a Markdown summary is appended
    to that file.

    Returns 0 when nothing blocks the release, 1 when a blocking check failed,
    errored or lacked evidence. Configuration and input errors raise (exit 2).
    """
    from govkit.project import load_project_file
    from govkit.runner.console import format_summary
    from govkit.runner.run import execute_run
    from govkit.runner.write import report_json

    if mlflow is not None:
        from govkit.extras import require_extras
        from govkit.runner.mlflow_log import probe_tracking_uri, resolve_tracking_uri

        require_extras({"mlflow": ["`govkit check --mlflow`"]})
        probe_tracking_uri(resolve_tracking_uri(mlflow))
    project = load_project_file(config)
    outcome = execute_run(
        project, only=only, device=device, out=out, quiet=quiet, engine=engine, address=address
    )
    _step_summary(outcome.report, outcome.key_figures)
    if fmt == "json":
        result(report_json(outcome.report), end="")
    else:
        result(format_summary(outcome.report, outcome.key_figures), end="")
        if outcome.report.plan is not None:
            from govkit.runner.plan_criteria import format_plan

            result("\n" + format_plan(outcome.report.plan), end="")
        result(f"report: {outcome.report_path}\njunit:  {outcome.junit_path}")
    if mlflow is not None:  # after the result: a store that fails now hides nothing
        from govkit.runner.mlflow_log import log_check_run

        run_id = log_check_run(mlflow or None, outcome.report, outcome.report_path.parent)
        diagnostic(f"mlflow run: {run_id}")
    return EXIT_FINDINGS if outcome.report.status == "fail" else EXIT_OK


def _step_summary(report: Report, key_figures: dict[str, str]) -> None:
    from govkit.runner.step_summary import append_step_summary

    warning = append_step_summary(report, key_figures)
    if warning is not None:
        diagnostic(warning)
