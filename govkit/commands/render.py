"""``govkit render``: the review packet (Markdown, HTML, PDF) with its manifest."""

from __future__ import annotations

from pathlib import Path

from govkit.errors import EXIT_OK
from govkit.output import diagnostic, result

__all__ = ["run_render"]


def _require_pdf_extra(chosen: set[str], formats: str) -> None:
    """PDF needs the whole pdf extra; HTML only its matplotlib, for the charts."""
    from govkit.extras import require_extras

    command = f"`govkit render --format {formats}`"
    why = {"pdf": "`--format md` renders Markdown without it"}
    if "pdf" in chosen:
        require_extras({"pdf": [command]}, why=why)
    elif "html" in chosen:
        require_extras({"pdf": [command]}, modules={"pdf": ["matplotlib"]}, why=why)


def _mlflow_run(mlflow: str, report_bytes: bytes | None) -> str:
    """The MLflow run the packet goes to, found before anything is rendered."""
    import hashlib

    from govkit.runner.mlflow_log import find_packet_run

    report_hash = hashlib.sha256(report_bytes).hexdigest() if report_bytes is not None else None
    return find_packet_run(mlflow or None, report_hash)


def run_render(
    config: str,
    *,
    report: str | None,
    out: str | None,
    formats: str,
    templates: str | None,
    force: bool = False,
    overwrite_edited: bool = False,
    mlflow: str | None = None,
) -> int:
    """Render the packet of the project in ``config``; returns the exit code.

    Parameters
    ----------
    config
        Path of govkit.yaml.
    report
        report.json to show; default ``<output>/report.json`` when it exists.
    out
        Packet folder; default ``<output>/packet``.
    formats
        Comma-separated formats among ``md``, ``html``, ``pdf``.
    templates
        A folder whose templates override the built-in ones.
    force
        Render a report that contradicts itself or names another system, with a warning.
    overwrite_edited
        Replace an earlier packet even where a reviewer edited one of its files.
    mlflow
        ``--mlflow``: None for no logging, ``""`` for MLflow's own tracking
        URI, or the URI. The packet is added to the run tagged with the
        report's hash (or the active run); the store is probed first.
    """
    from govkit.project import load_project_file
    from govkit.render.packet import load_inputs, parse_formats, render_packet

    chosen = parse_formats(formats)
    _require_pdf_extra(chosen, formats)
    if mlflow is not None:
        from govkit.extras import require_extras
        from govkit.runner.mlflow_log import probe_tracking_uri, resolve_tracking_uri

        require_extras({"mlflow": ["`govkit render --mlflow`"]})
        probe_tracking_uri(resolve_tracking_uri(mlflow))
    project = load_project_file(config)
    inputs = load_inputs(project, report)
    run_id = _mlflow_run(mlflow, inputs.report_bytes) if mlflow is not None else None
    folder = Path(out) if out is not None else project.resolve(project.model.output) / "packet"
    if inputs.report is None:
        diagnostic(
            f"note: no report at {project.model.output}/report.json; "
            "the packet holds the documents only (run `govkit check` first)"
        )
    outcome = render_packet(
        inputs,
        folder,
        formats=chosen,
        templates=templates,
        force=force,
        overwrite_edited=overwrite_edited,
    )
    for url in outcome.refused_urls:
        diagnostic(f"warning: refused to fetch {url[:100]}")
    if outcome.context is not None:
        for warning in outcome.context.warnings:
            diagnostic(f"warning: {warning}")
    if outcome.stale_signatures:
        diagnostic(
            f"warning: the packet changed, so {len(outcome.stale_signatures)} signature(s) of "
            f"the old packet no longer cover it: {', '.join(outcome.stale_signatures)}; "
            "`govkit verify` reports them as stale until they sign again"
        )
    for path in outcome.kept:
        diagnostic(
            f"warning: files appeared in the old packet while it was replaced; kept in {path}"
        )
    for name in outcome.files:
        result(str(folder / name))
    # pinned outside the packet, this is what `govkit verify --expect-sha256` checks
    result(f"manifest sha256: {outcome.manifest_sha256}")
    if run_id is not None:
        from govkit.runner.mlflow_log import log_packet

        log_packet(mlflow or None, run_id, folder)
        diagnostic(f"mlflow run: {run_id}")
    return EXIT_OK
