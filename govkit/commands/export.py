"""``govkit export``: one file in another ecosystem's format, from the documents and report."""

from __future__ import annotations

from pathlib import Path

from govkit.errors import EXIT_OK, InputError
from govkit.output import result

__all__ = ["run_export"]


def run_export(fmt: str, config: str, *, report: str | None, out: str | None) -> int:
    """Write format ``fmt`` of the project in ``config``; returns the exit code.

    Parameters
    ----------
    fmt
        A key of :data:`govkit.export.EXPORT_FORMATS`.
    config
        Path of govkit.yaml.
    report
        report.json to export from; default ``<output>/report.json`` when it exists.
    out
        The file to write; default ``<output>/export/<the format's file name>``.
    """
    from govkit.atomic import write_atomic
    from govkit.export import EXPORT_FORMATS, ExportSource, exporter_for
    from govkit.project import load_project_file
    from govkit.render.packet import load_inputs, report_problems

    export = exporter_for(fmt)
    project = load_project_file(config)
    target = (
        Path(out)
        if out is not None
        else project.resolve(project.model.output) / "export" / EXPORT_FORMATS[fmt].default_name
    )
    inputs = load_inputs(project, report)
    problems = report_problems(inputs)
    if problems:
        # another system's figures must not be published under this project's name
        raise InputError(
            "the report does not fit this project: "
            + "; ".join(problems)
            + ". Run `govkit check` again, or pass --report with this project's report"
        )
    source = ExportSource(project=project, inputs=inputs, destination=target.absolute())
    text = export(source)
    target.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(target, text)
    result(f"wrote {target}")
    return EXIT_OK
