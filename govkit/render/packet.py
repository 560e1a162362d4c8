"""Rendering a review packet: inputs -> context -> Markdown -> HTML -> PDF -> manifest.

Each step has a seam: :func:`load_inputs` reads files, :func:`build_context`
makes the typed context, the Jinja environments render, and the post-process
turns Markdown into HTML and HTML into a PDF. Nothing here prints or exits;
the ``govkit render`` command reports what :func:`render_packet` returns.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import os
import stat
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from govkit.atomic import FolderLock, clean_leftovers, replace_folder, write_atomic
from govkit.errors import ConfigError, InputError
from govkit.hashing import sha256_file
from govkit.project import Project
from govkit.render.context import PacketContext, PacketInputs, SourceDocument, build_context
from govkit.render.environment import make_environment, render_template, template_dirs
from govkit.render.manifest import (
    MANIFEST_NAME,
    Manifest,
    ManifestEntry,
    PacketInput,
    manifest_bytes,
    read_manifest,
    write_manifest,
)
from govkit.render.verify import verify_packet
from govkit.report import Report, load_report
from govkit.safe_read import MAX_DOCUMENT_BYTES, read_capped, report_cap
from govkit.signing.carry import Carried, read_carried
from govkit.signing.intoto import INTOTO_NAME, statement_bytes
from govkit.signing.records import signature_paths

if TYPE_CHECKING:
    from govkit.render.charts import Chart

__all__ = [
    "FORMATS",
    "PacketInputs",
    "PacketResult",
    "check_replaceable",
    "load_inputs",
    "parse_formats",
    "render_markdown",
    "render_packet",
    "report_problems",
]

FORMATS = ("md", "html", "pdf")
REPORT_TEMPLATE = "report.md.j2"
LAYOUT_TEMPLATE = "_document.md.j2"


@dataclass(frozen=True)
class PacketResult:
    """What was written: the folder, its files (manifest last) and any URL refused."""

    folder: Path
    files: list[str]
    refused_urls: list[str] = field(default_factory=list)
    context: PacketContext | None = None
    manifest_sha256: str = ""
    #: Files that appeared in the old packet while it was replaced, moved aside, not deleted.
    kept: list[Path] = field(default_factory=list)
    #: Signers (with their role) whose signature of the old packet this render made stale.
    stale_signatures: list[str] = field(default_factory=list)


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
    for rel in project.model.documents:
        path = project.resolve(rel)
        loaded = load_document(path, display=rel, roots=(project.root,))
        # the bytes hashed into the packet, read again under the same cap as the parse
        data = read_capped(path, rel, cap=MAX_DOCUMENT_BYTES)
        documents.append(
            SourceDocument(
                path=path, display_path=_display(path, project.root), model=loaded.model, data=data
            )
        )
    default = project.resolve(project.model.output) / "report.json"
    chosen = Path(report_path) if report_path is not None else default
    report = report_bytes = None
    if report_path is not None or chosen.is_file():
        report = load_report(chosen)
        report_bytes = read_capped(chosen, cap=report_cap())
    config = (project.path.name, read_capped(project.path, cap=MAX_DOCUMENT_BYTES))
    return PacketInputs(
        system_name=project.model.system.name,
        system_version=project.model.system.version,
        documents=documents,
        report=report,
        report_bytes=report_bytes,
        config=config,
    )


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


def report_problems(inputs: PacketInputs) -> list[str]:
    """Why the report cannot be shown as this project's: it contradicts itself or names another system.

    Empty when the report is consistent (or when there is no report).
    """
    report = inputs.report
    if report is None:
        return []
    problems = []
    system = report.system
    if (system.name, system.version) != (inputs.system_name, inputs.system_version):
        problems.append(
            f"the report was made for {system.name} {system.version}, "
            f"but govkit.yaml names {inputs.system_name} {inputs.system_version}"
        )
    blocking = [r.id for r in report.results if r.blocking]
    # a registered experiment plan's unmet criteria block the release too
    unmet = [c.ref for c in report.plan.criteria if c.blocking] if report.plan else []
    expected = "fail" if blocking or unmet else "pass"
    if report.status != expected:
        problems.append(
            f"the report's status is {report.status}, but {len(blocking)} of its "
            f"{len(report.results)} result(s) block the release"
            + (f" and {len(unmet)} criterion(s) of its experiment plan" if unmet else "")
        )
    contradicting = [
        r.id
        for r in report.results
        if r.blocking and r.status not in ("fail", "error", "insufficient_evidence")
    ]
    if contradicting:
        problems.append(
            f"result(s) {', '.join(contradicting[:5])} are marked blocking with a status "
            "that cannot block (only fail, error and insufficient_evidence do)"
        )
    ids = [r.id for r in report.results]
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if repeated:
        problems.append(f"check(s) {', '.join(repeated[:5])} appear more than once in the report")
    return problems


def _regular_files(folder: Path) -> tuple[list[str], list[str]]:
    """Regular files under ``folder``, and everything else in it (folders, links, devices).

    Symbolic links are never followed, so nothing outside the folder is listed.
    """
    files: list[str] = []
    others: list[str] = []
    for here, dirs, names in os.walk(folder, followlinks=False):
        base = Path(here)
        for name in [*dirs, *names]:
            path = base / name
            rel = path.relative_to(folder).as_posix()
            regular = name in names and stat.S_ISREG(path.lstat().st_mode)
            (files if regular else others).append(rel)
    return sorted(files), sorted(others)


def check_replaceable(folder: Path, *, overwrite_edited: bool = False) -> None:
    """Refuse (ConfigError, exit 2) unless ``folder`` is absent, empty, or a packet govkit wrote.

    Nothing is touched here: the old packet is only ever replaced as a whole,
    by the swap in :func:`render_packet`, and only when every file in it is a
    regular file its manifest lists with the same SHA-256 (or, with
    ``overwrite_edited``, at least lists). A symbolic link anywhere in the
    folder is refused: removing the folder must never reach outside it.
    """
    if folder.is_symlink() and not folder.exists():
        raise ConfigError(f"--out {folder}: is a broken symbolic link")
    if not folder.exists():
        return
    if not folder.is_dir():
        raise ConfigError(f"--out {folder}: exists and is not a folder")
    files, others = _regular_files(folder)
    if others:
        raise ConfigError(
            f"--out {folder}: holds {others[0]}, which is a folder, a symbolic link or another "
            "non-regular file; a packet govkit writes holds none, and govkit only replaces "
            "a packet it wrote. Move it away or render elsewhere"
        )
    if not files:
        return
    if MANIFEST_NAME not in files:
        raise ConfigError(
            f"--out {folder}: the folder holds files but no {MANIFEST_NAME}; "
            "render into an empty folder (govkit only replaces a packet it wrote)"
        )
    try:
        entries = read_manifest(folder)
    except InputError as err:
        raise ConfigError(f"--out {folder}: {err.message}") from err
    listed = {e.path: e for e in entries}
    if MANIFEST_NAME in listed:
        raise ConfigError(
            f"--out {folder}: its {MANIFEST_NAME} lists itself, which govkit never writes; "
            "the folder is not a packet govkit wrote"
        )
    try:
        detached = signature_paths(folder) - listed.keys()  # carried into the new packet
    except InputError as err:
        raise ConfigError(f"--out {folder}: {err.message}") from err
    for rel in files:
        if rel == MANIFEST_NAME or rel in detached:
            continue
        entry = listed.get(rel)
        if entry is None:
            raise ConfigError(
                f"--out {folder}: holds files that are not part of the earlier packet "
                f"({rel}); move them or render elsewhere"
            )
        digest, size = sha256_file(folder / rel)
        if (digest, size) != (entry.sha256, entry.bytes) and not overwrite_edited:
            raise ConfigError(
                f"--out {folder}: {rel} was changed after govkit wrote it (its SHA-256 "
                "differs from the manifest); keep a copy of the edit, or pass "
                "--overwrite-edited to replace it"
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
    force: bool = False,
    overwrite_edited: bool = False,
) -> PacketResult:
    """Write a packet folder: Markdown, HTML and/or PDF, report.json, packet.intoto.json, manifest.json.

    The signatures of an earlier packet in ``out`` are carried into the new
    one unchanged; they stay valid only if the manifest does (see
    :mod:`govkit.signing.carry`).

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
    force
        Render a report that contradicts itself or names another system; the
        packet then shows why it should not have been rendered.
    overwrite_edited
        Replace an earlier packet even where a file in it was edited after
        govkit wrote it (by default that is refused, naming the file).

    Returns
    -------
    PacketResult
        The files written, relative to the folder, and the manifest's SHA-256.

    Raises
    ------
    ConfigError, InputError
        A refusal (exit 2); the folder is then exactly as it was.
    """
    folder = Path(out)
    problems = report_problems(inputs)
    if problems and not force:
        raise InputError(
            "the report does not fit this project: "
            + "; ".join(problems)
            + ". Run `govkit check` again, or pass --force to render it with a warning"
        )
    # The real folder: a --out that is a link to a folder replaces what it points to.
    real = folder.resolve() if folder.is_symlink() else folder
    check_replaceable(real, overwrite_edited=overwrite_edited)  # fail before any work
    carried = read_carried(real)  # its signatures go into the new packet, byte for byte
    dirs = template_dirs(templates)  # fails early on a bad --templates
    ctx = build_context(inputs)
    if problems:
        ctx = dataclasses.replace(
            ctx, warnings=tuple(f"rendered with --force: {p}" for p in problems)
        )
    ctx = dataclasses.replace(ctx, signatures=carried.stale_before())
    written, refused = _render_files(inputs, ctx, formats, templates, dirs)
    if carried.any_current and _manifest_sha256(written, inputs, ctx) != carried.manifest_sha256:
        # this render makes the old packet's signatures stale: the sign-off section says so
        ctx = dataclasses.replace(ctx, signatures=carried.all_stale())
        written, refused = _render_files(inputs, ctx, formats, templates, dirs)
        made_stale = carried.current_signers()
    else:
        made_stale = []
    manifest, kept = _write_packet(
        real, written, inputs, ctx, carried, overwrite_edited=overwrite_edited
    )
    return PacketResult(
        folder=folder,
        files=[*sorted(written), MANIFEST_NAME],
        refused_urls=refused,
        context=ctx,
        manifest_sha256=manifest.sha256,
        kept=kept,
        stale_signatures=made_stale,
    )


def _render_files(
    inputs: PacketInputs,
    ctx: PacketContext,
    formats: Collection[str],
    templates: str | Path | None,
    dirs: list[Path],
) -> tuple[dict[str, bytes], list[str]]:
    """Every file of the packet but its manifest, by name, and the URLs the PDF refused."""
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
    written[INTOTO_NAME] = _statement(written, inputs, ctx)
    return written, refused


def _report_sha256(inputs: PacketInputs) -> str | None:
    data = inputs.report_bytes
    return hashlib.sha256(data).hexdigest() if data is not None else None


def _sources(inputs: PacketInputs) -> list[PacketInput]:
    """The documents and govkit.yaml the packet is made from, as the manifest records them."""
    sources = [PacketInput("document", d.display_path, d.sha256) for d in inputs.documents]
    if inputs.config is not None:
        name, data = inputs.config
        sources.append(PacketInput("config", name, hashlib.sha256(data).hexdigest()))
    return sources


def _statement(written: dict[str, bytes], inputs: PacketInputs, ctx: PacketContext) -> bytes:
    """packet.intoto.json: every other file of the packet as a subject, the verdict as predicate."""
    return statement_bytes(
        {name: hashlib.sha256(data).hexdigest() for name, data in written.items()},
        packet_id=ctx.packet_id,
        system_name=ctx.system_name,
        system_version=ctx.system_version,
        verdict=ctx.overall_status,
        report_sha256=_report_sha256(inputs),
        counts=ctx.counts,
        govkit_version=ctx.govkit_version,
    )


def _manifest_sha256(written: dict[str, bytes], inputs: PacketInputs, ctx: PacketContext) -> str:
    """The SHA-256 the manifest of these files will have, computed before writing anything."""
    entries = [
        ManifestEntry(name, hashlib.sha256(written[name]).hexdigest(), len(written[name]))
        for name in sorted(written)
    ]
    data = manifest_bytes(
        entries,
        report_sha256=_report_sha256(inputs),
        inputs=_sources(inputs),
        warnings=ctx.warnings,
    )
    return hashlib.sha256(data).hexdigest()


def _write_packet(
    folder: Path,
    written: dict[str, bytes],
    inputs: PacketInputs,
    ctx: PacketContext,
    carried: Carried,
    *,
    overwrite_edited: bool,
) -> tuple[Manifest, list[Path]]:
    """Build the packet beside ``folder``, verify it, and swap it in, holding the folder's lock."""
    report_sha = _report_sha256(inputs)
    sources = _sources(inputs)
    made: list[Manifest] = []
    kept: list[Path] = []

    def build(staging: Path) -> None:
        for name, data in written.items():
            write_atomic(staging / name, data)
        made.append(
            write_manifest(staging, report_sha256=report_sha, inputs=sources, warnings=ctx.warnings)
        )
        for name, data in carried.files.items():  # beside the manifest, never in it
            write_atomic(staging / name, data)
        check = verify_packet(staging)
        if not check.ok or made[0].packet_id != ctx.packet_id:  # pragma: no cover - a bug
            raise RuntimeError(f"the packet built in {staging} does not verify: {check}")

    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        with FolderLock(folder):
            clean_leftovers(folder)
            # again under the lock: another process may have written the folder meanwhile
            check_replaceable(folder, overwrite_edited=overwrite_edited)
            if read_carried(folder) != carried:
                raise ConfigError(
                    f"--out {folder}: the packet was signed while it was being rendered; "
                    "render again to carry the new signature"
                )
            old = read_manifest(folder) if (folder / MANIFEST_NAME).is_file() else []

            def discard(swapped_out: Path) -> None:
                kept.extend(
                    _discard_old_packet(swapped_out, old, folder, overwrite_edited, carried.files)
                )

            replace_folder(folder, build, discard=discard)
    except OSError as err:
        # A full disk or a folder the user cannot write to is a usage error, not a bug.
        reason = err.strerror or type(err).__name__
        where = err.filename or folder
        raise ConfigError(
            f"--out {folder}: cannot write the packet ({reason}: {where}); the earlier "
            "packet, if any, is unchanged. Free some space or choose a folder you can write to"
        ) from err
    return made[0], kept


def _discard_old_packet(
    old: Path,
    entries: Sequence[ManifestEntry],
    folder: Path,
    overwrite_edited: bool,
    carried: Mapping[str, bytes],
) -> list[Path]:
    """Remove the swapped-out packet: only regular files its manifest lists, with their hash.

    :func:`check_replaceable` made sure that is everything (and signature
    files, removed only when the new packet holds the same bytes); anything
    that appeared since is kept, in a visible ``<folder>.kept-…`` sibling,
    never deleted.
    """
    listed = {e.path: e for e in entries}
    files, _others = _regular_files(old)  # links and the like are kept, never followed
    for rel in files:
        entry = listed.get(rel)
        if (
            rel == MANIFEST_NAME
            or (
                entry is not None
                and (overwrite_edited or sha256_file(old / rel) == (entry.sha256, entry.bytes))
            )
            or (entry is None and rel in carried and (old / rel).read_bytes() == carried[rel])
        ):
            (old / rel).unlink()
    for here, _dirs, _files in sorted(os.walk(old), reverse=True):  # deepest first
        with contextlib.suppress(OSError):  # a folder that still holds something stays
            os.rmdir(here)
    if not old.exists():
        return []
    keep = folder.with_name(f"{folder.name}.kept-{old.name.rsplit('-', 1)[-1]}")
    os.rename(old, keep)
    return [keep]


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
