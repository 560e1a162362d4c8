"""Rendering a review packet: inputs -> context -> Markdown -> HTML -> PDF -> manifest.

Each step has a seam: :func:`load_inputs` reads files, :func:`build_context`
makes the typed context, the Jinja environments render, and the post-process
turns Markdown into HTML and HTML into a PDF. Nothing here prints or exits;
the ``govkit render`` command reports what :func:`render_packet` returns.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from govkit.errors import ConfigError, InputError
from govkit.project import Project
from govkit.render.context import (
    CoverageView,
    PacketContext,
    SourceDocument,
    build_context,
)
from govkit.render.environment import make_environment, render_template, template_dirs
from govkit.render.manifest import MANIFEST_NAME, read_manifest, write_manifest
from govkit.report import Report, load_report

if TYPE_CHECKING:
    from pydantic import BaseModel

    from govkit.render.charts import Chart

__all__ = [
    "FORMATS",
    "PacketInputs",
    "PacketResult",
    "load_inputs",
    "parse_formats",
    "render_markdown",
    "render_packet",
]

FORMATS = ("md", "html", "pdf")
REPORT_TEMPLATE = "report.md.j2"
LAYOUT_TEMPLATE = "_document.md.j2"


@dataclass(frozen=True)
class PacketInputs:
    """Everything a packet is made from, read once."""

    system_name: str
    system_version: str
    documents: Sequence[SourceDocument]
    report: Report | None = None
    report_bytes: bytes | None = None
    config: tuple[str, bytes] | None = None
    coverage: CoverageView | None = None


@dataclass(frozen=True)
class PacketResult:
    """What was written: the folder, its files (manifest last) and any URL refused."""

    folder: Path
    files: list[str]
    refused_urls: list[str] = field(default_factory=list)
    context: PacketContext | None = None


def parse_formats(text: str) -> set[str]:
    """``"md,html,pdf"`` -> a set; ConfigError naming the valid choices otherwise."""
    chosen = {part.strip().lower() for part in text.split(",") if part.strip()}
    unknown = sorted(chosen - set(FORMATS))
    if unknown or not chosen:
        raise ConfigError(
            f"--format {text!r}: unknown format {', '.join(unknown) or '(none given)'}; "
            f"expected a comma-separated list of {', '.join(FORMATS)}"
        )
    return chosen


def _display(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.name


def load_inputs(project: Project, report_path: str | Path | None) -> PacketInputs:
    """Read the project's documents, its report (when there is one) and govkit.yaml.

    ``report_path`` None means the default ``<output>/report.json``, which may
    be absent (a documents-only packet); a path given explicitly must exist.
    """
    from govkit.documents.load import load_document

    documents = []
    for rel in project.file.documents:
        path = project.resolve(rel)
        loaded = load_document(path, display=rel)
        try:
            data = path.read_bytes()
        except OSError as err:
            raise InputError(f"{rel}: cannot read ({err.strerror})") from err
        documents.append(
            SourceDocument(
                path=path, display_path=_display(path, project.root), model=loaded.model, data=data
            )
        )
    default = project.resolve(project.file.output) / "report.json"
    chosen = Path(report_path) if report_path is not None else default
    report = report_bytes = None
    if report_path is not None or chosen.is_file():
        report = load_report(chosen)
        report_bytes = chosen.read_bytes()
    config = (project.path.name, project.path.read_bytes())
    return PacketInputs(
        system_name=project.file.system.name,
        system_version=project.file.system.version,
        documents=documents,
        report=report,
        report_bytes=report_bytes,
        config=config,
        coverage=_coverage([d.model for d in documents], report),
    )


def _coverage(models: Sequence[BaseModel], report: Report | None) -> CoverageView | None:
    from govkit.render.autofill import filled_refs
    from govkit.render.coverage import coverage_view

    return coverage_view(models, filled_refs(models, report))


def render_markdown(ctx: PacketContext, templates: str | Path | None) -> dict[str, str]:
    """Every Markdown file of the packet, by file name: one per document, plus report.md."""
    env = make_environment("markdown", templates)
    out: dict[str, str] = {}
    for view in ctx.documents:
        name = f"{view.kind}.md.j2"
        if name not in env.list_templates():
            name = LAYOUT_TEMPLATE
        out[view.filename] = render_template(env, name, doc=view, spec=())
    if ctx.has_report:
        out["report.md"] = render_template(env, REPORT_TEMPLATE, ctx=ctx)
    return out


def _prepare(folder: Path) -> None:
    """Make ``folder`` ready for a packet: empty, or holding only an earlier packet."""
    if folder.exists() and not folder.is_dir():
        raise ConfigError(f"--out {folder}: exists and is not a folder")
    if not folder.exists():
        folder.mkdir(parents=True)
        return
    present = [p for p in folder.rglob("*") if not p.is_dir()]
    if not present:
        return
    if not (folder / MANIFEST_NAME).is_file():
        raise ConfigError(
            f"--out {folder}: the folder holds files but no {MANIFEST_NAME}; "
            "render into an empty folder (govkit only replaces a packet it wrote)"
        )
    try:
        entries = read_manifest(folder)
    except InputError as err:
        raise ConfigError(f"--out {folder}: {err.message}") from err
    # Remove only the files the earlier packet listed; anything else is the user's.
    for entry in entries:
        (folder / entry.path).unlink(missing_ok=True)
    (folder / MANIFEST_NAME).unlink()
    leftover = [p for p in folder.rglob("*") if not p.is_dir()]
    if leftover:
        raise ConfigError(
            f"--out {folder}: holds files that are not part of the earlier packet "
            f"({leftover[0].relative_to(folder)}); move them or render elsewhere"
        )


def _charts(ctx_report: Report | None) -> dict[str, list[Chart]]:
    if ctx_report is None:
        return {}
    try:
        from govkit.render.charts import charts_for
    except ImportError as err:  # pragma: no cover - depends on the install profile
        from govkit.extras import install_command

        raise ConfigError(
            f"HTML and PDF packets need matplotlib: {install_command('pdf')}"
        ) from err
    return {r.id: list(charts_for(r)) for r in ctx_report.results}


def render_packet(
    inputs: PacketInputs,
    out: str | Path,
    *,
    formats: Collection[str] = FORMATS,
    templates: str | Path | None = None,
) -> PacketResult:
    """Write a packet folder: Markdown, HTML and/or PDF, report.json and manifest.json.

    Parameters
    ----------
    inputs
        The documents, report and project file (see :func:`load_inputs`).
    out
        The packet folder; created when missing. An earlier packet there is replaced.
    formats
        Any of ``md``, ``html``, ``pdf``.
    templates
        A folder whose templates override the built-in ones.

    Returns
    -------
    PacketResult
        The files written, relative to the folder.
    """
    folder = Path(out)
    dirs = template_dirs(templates)  # fails early on a bad --templates
    ctx = build_context(
        system_name=inputs.system_name,
        system_version=inputs.system_version,
        documents=inputs.documents,
        report=inputs.report,
        report_bytes=inputs.report_bytes,
        config=inputs.config,
        coverage=inputs.coverage,
    )
    markdown = render_markdown(ctx, templates)
    html = None
    if "html" in formats or "pdf" in formats:
        from govkit.render.html import render_packet_html

        html = render_packet_html(
            make_environment("html", templates), ctx, markdown, _charts(inputs.report)
        )
    pdf = None
    refused: list[str] = []
    if "pdf" in formats and html is not None:
        pdf, refused = _pdf(html, inputs, ctx, dirs)

    written: dict[str, bytes] = {}
    if "md" in formats:
        written.update({name: text.encode("utf-8") for name, text in markdown.items()})
    if "html" in formats and html is not None:
        written["packet.html"] = html.encode("utf-8")
    if pdf is not None:
        written["packet.pdf"] = pdf
    if inputs.report_bytes is not None:
        written["report.json"] = inputs.report_bytes
    try:
        _prepare(folder)
        for name, data in written.items():
            (folder / name).write_bytes(data)
        write_manifest(folder)
    except OSError as err:
        # A folder the user cannot write to is a usage error, not a bug: say which and why.
        reason = err.strerror or type(err).__name__
        where = err.filename or folder
        raise ConfigError(
            f"--out {folder}: cannot write the packet ({reason}: {where}); "
            "choose a folder you can write to"
        ) from err
    return PacketResult(
        folder=folder, files=[*sorted(written), MANIFEST_NAME], refused_urls=refused, context=ctx
    )


def _pdf(
    html: str, inputs: PacketInputs, ctx: PacketContext, dirs: list[Path]
) -> tuple[bytes, list[str]]:
    try:
        from govkit.render.fetcher import SafeFetcher
        from govkit.render.pdf import PdfAttachment, write_pdf
    except ImportError as err:  # pragma: no cover - depends on the install profile
        from govkit.extras import install_command

        raise ConfigError(f"PDF packets need WeasyPrint: {install_command('pdf')}") from err
    attachments = []
    if inputs.report_bytes is not None:
        attachments.append(
            PdfAttachment(
                name="report.json",
                data=inputs.report_bytes,
                description="The check report this packet shows",
                relationship="Data",
            )
        )
    used = {"report.json"}
    for doc in inputs.documents:
        name = doc.display_path.replace("/", "_")
        while name in used:
            name = "_" + name
        used.add(name)
        attachments.append(
            PdfAttachment(name=name, data=doc.data, description=f"Source of {doc.display_path}")
        )
    fetcher = SafeFetcher(allowed=dirs)
    data = write_pdf(
        html,
        base_url=dirs[0],
        fetcher=fetcher,
        attachments=attachments,
        instant=ctx.instant,
        producer=f"govkit {ctx.govkit_version}",
    )
    return data, list(fetcher.refused)
