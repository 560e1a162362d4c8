"""``govkit export``: one file in another ecosystem's format, from the documents and report."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from govkit.errors import EXIT_OK, GovkitError, InputError
from govkit.output import diagnostic, result

if TYPE_CHECKING:
    from govkit.project import Project
    from govkit.render.context import PacketInputs

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
    if problems:  # an export speaks for this project: a report of another one is refused
        raise InputError(
            f"{_report_path(project, report)}: the report does not fit this project: "
            + "; ".join(problems)
            + " (fix: run `govkit check` again, or give this project's report with --report)"
        )
    packet_id, packet_path = _packet(
        project.resolve(project.model.output) / "packet", inputs, target
    )
    source = ExportSource(
        project=project,
        inputs=inputs,
        destination=target.absolute(),
        packet_id=packet_id,
        packet_path=packet_path,
    )
    text = export(source)
    target.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(target, text)
    result(f"wrote {target}")
    return EXIT_OK


def _packet(folder: Path, inputs: PacketInputs, target: Path) -> tuple[str | None, str | None]:
    """The id of the packet in ``folder`` and its path from ``target``'s folder.

    Only a packet rendered from the same report counts: its manifest names the
    report's SHA-256. A stale packet (another report, or none) is not linked.
    """
    import hashlib
    import os

    from govkit.render.manifest import MANIFEST_NAME, load_manifest

    if inputs.report_bytes is None or not (folder / MANIFEST_NAME).is_file():
        return None, None
    try:
        manifest = load_manifest(folder)
    except GovkitError as err:
        diagnostic(f"warning: the review packet is not linked: {err.render()}")
        return None, None
    if manifest.report_sha256 != hashlib.sha256(inputs.report_bytes).hexdigest():
        diagnostic(
            f"warning: {folder} was rendered from another report; it is not linked "
            "(run `govkit render` first to link the packet)"
        )
        return None, None
    relative = os.path.relpath(folder.resolve(), target.resolve().parent)
    return manifest.packet_id, Path(relative).as_posix() + "/"


def _report_path(project: Project, report: str | None) -> Path:
    """The report.json an export reads: ``--report``, else ``<output>/report.json``."""
    return (
        Path(report)
        if report is not None
        else project.resolve(project.model.output) / "report.json"
    )
