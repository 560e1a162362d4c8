"""Step two for the packet: one HTML document from the context, the Markdown and the charts.

Each document's Markdown (the same text as its ``.md`` file) is converted by
markdown-it-py with raw HTML off, so the HTML and the Markdown say the same
thing and document text can never become markup. The packet template
(autoescaped) adds the cover, the contents, the decision summary (the same
Markdown partial as at the top of report.md), the check results with charts,
the traceability and coverage matrices, the documents, the sign-off page and
provenance.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from jinja2 import Environment
from markupsafe import Markup

from govkit.errors import ConfigError
from govkit.render.charts import Chart
from govkit.render.context import DocumentView, PacketContext
from govkit.render.environment import make_environment, render_template
from govkit.render.markdown import to_html
from govkit.render.page import finish_page, fold_sections, off_page_references

__all__ = ["PACKET_TEMPLATE", "DocumentHtml", "TocEntry", "render_packet_html"]

PACKET_TEMPLATE = "packet.html.j2"
DECISION_TEMPLATE = "_decision.md.j2"


@dataclass(frozen=True)
class TocEntry:
    """A line of the table of contents; the page number comes from CSS target-counter."""

    level: int
    title: str
    anchor: str


@dataclass(frozen=True)
class DocumentHtml:
    """A document converted to HTML, with its view."""

    view: DocumentView
    html: Markup


def _toc(ctx: PacketContext, docs: list[tuple[DocumentView, list[TocEntry]]]) -> list[TocEntry]:
    # the packet's order: decide first, then the evidence, then the documents behind it
    toc: list[TocEntry] = [TocEntry(1, "Decision summary", "decision")]
    if ctx.has_report:
        toc.append(TocEntry(1, "Check results", "results"))
        toc.extend(TocEntry(2, f"{r.id}: {r.title}", r.anchor) for r in ctx.results)
    if ctx.handoff is not None and ctx.handoff.rows:
        toc.append(TocEntry(1, "Handoff", "handoff"))
    toc.append(TocEntry(1, "Risk traceability matrix", "traceability"))
    toc.append(TocEntry(1, "Standards coverage matrix", "coverage"))
    for view, headings in docs:
        toc.append(TocEntry(1, view.title, view.anchor))
        toc.extend(headings)
    toc.append(TocEntry(1, "Sign-off", "signoff"))
    toc.append(TocEntry(1, "Provenance", "provenance"))
    if ctx.methods:
        toc.append(TocEntry(1, "Methods", "methods"))
    return toc


def render_packet_html(
    env: Environment,
    ctx: PacketContext,
    markdown: Mapping[str, str],
    charts: Mapping[str, list[Chart]],
) -> str:
    """The packet as one HTML document.

    Parameters
    ----------
    env
        The HTML environment (autoescaping).
    ctx
        The packet context.
    markdown
        Each document's Markdown, by the document's file name.
    charts
        Charts by check id (an empty list for a check without any).
    """
    converted: list[DocumentHtml] = []
    toc_docs: list[tuple[DocumentView, list[TocEntry]]] = []
    for view in ctx.documents:
        html, headings = to_html(markdown[view.filename], anchor_prefix=view.anchor)
        converted.append(DocumentHtml(view=view, html=Markup(fold_sections(html))))
        toc_docs.append((view, [TocEntry(2, h.text, h.anchor) for h in headings if h.level == 2]))
    all_charts = {r.id: list(charts.get(r.id, [])) for r in ctx.results}
    decision = Markup(_decision_html(env, ctx))
    created = ctx.instant.strftime("%Y-%m-%dT%H:%M:%SZ")
    page = render_template(
        env,
        PACKET_TEMPLATE,
        ctx=ctx,
        docs=converted,
        toc=_toc(ctx, toc_docs),
        charts=all_charts,
        decision=decision,
        created=created,
        generator=f"govkit {ctx.govkit_version}",
        subject=f"Review packet {ctx.packet_id} for {ctx.system_name} {ctx.system_version}",
    )
    page = finish_page(page)
    outside = off_page_references(page)
    if outside:  # only a --templates override can get here; the built-in ones never refer out
        raise ConfigError(
            f"--templates: the packet page would load {', '.join(outside[:3])} from outside "
            "itself, and packet.html must open offline; inline it in your template as a "
            "data: URI (or drop it)"
        )
    return page


def _decision_html(env: Environment, ctx: PacketContext) -> str:
    """The decision summary, written once in Markdown (report.md shows the same text).

    Rendered with the Markdown environment on the HTML one's loader, so a user's
    ``--templates`` override applies to both; its ``###`` headings sit right
    under the chapter's title, as ``<h2>``.
    """
    if ctx.decision is None:  # a context built by hand, without one
        return ""
    md_env = make_environment("markdown")
    md_env.loader = env.loader
    text = render_template(md_env, DECISION_TEMPLATE, ctx=ctx)
    html, _ = to_html(text, anchor_prefix="decision")
    # document text cannot make a tag (raw HTML is off), so these are the headings markdown-it wrote
    return html.replace("<h3", "<h2").replace("</h3>", "</h2>")
