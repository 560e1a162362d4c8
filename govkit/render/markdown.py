"""Markdown: escaping document text, writing value trees, and turning Markdown into HTML.

Document text is data. Every string that reaches a Markdown template is
escaped unless it is a :class:`Md` (Markdown this module wrote itself), the
same way Jinja's autoescape treats HTML. Escaped text shows literally on
GitHub and in the packet: a ``|`` does not split a table cell, ``<script>``
is text, ``[x](javascript:...)`` is not a link, ``{{ 7*7 }}`` stays as typed.

The HTML side uses markdown-it-py with raw HTML off, images off and a link
check that accepts only ``http``, ``https`` and ``mailto``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from govkit.render.fields import (
    FieldView,
    FilledNode,
    FillSource,
    ListNode,
    MappingNode,
    MissingNode,
    Node,
    NotApplicableNode,
    TableNode,
    TextNode,
)
from govkit.safe_text import visible

__all__ = [
    "FILLED_BY",
    "NONE_LISTED",
    "NOT_APPLICABLE",
    "NOT_PROVIDED",
    "Heading",
    "Md",
    "md_block",
    "md_cell",
    "md_escape",
    "md_finalize",
    "node_to_markdown",
    "to_html",
]

NOT_PROVIDED = "_Not provided_"
NONE_LISTED = "_None listed_"
NOT_APPLICABLE = "_Not applicable:_"
#: The label of every automated field filled from the report (tests look for it).
FILLED_BY = "Filled by govkit"

# Characters that start Markdown (or GFM) syntax anywhere in a line. Escaping
# all of them is ugly in the source but exact in every renderer.
_INLINE_SPECIAL = re.compile(r"([\\`*_\[\]<>|#~&$])")
# Characters that only matter at the start of a line (lists, headings, quotes, setext).
_LINE_START = re.compile(r"^(\s*)([-+](?=\s|$)|-+(?=\s*$)|=+(?=\s*$)|>|\d{1,9}[.)](?=\s|$))")
_ALLOWED_SCHEMES = ("http://", "https://", "mailto:")


class Md(str):
    """Markdown written by govkit: passes a Markdown template unescaped."""

    __slots__ = ()


def _escape_line(line: str) -> str:
    line = _INLINE_SPECIAL.sub(r"\\\1", line.strip())
    match = _LINE_START.match(line)
    if match:
        start = match.group(2)
        # Escaping the first character of the marker is enough to break it.
        escaped = "\\" + start if not start[0].isdigit() else start[:-1] + "\\" + start[-1]
        line = match.group(1) + escaped + line[match.end() :]
    return line


def md_escape(value: Any) -> Md:
    """One line of literal text, safe anywhere inline (newlines become spaces).

    Control and invisible format characters are shown (``␛``, ``\\u202e``),
    never passed on to the reader's terminal or browser.
    """
    text = visible(" ".join(str(value).split()))
    return Md(_escape_line(text))


def md_cell(value: Any) -> Md:
    """Text for a table cell: one line, pipes escaped; an empty cell shows a dash."""
    text = md_escape(value)
    return Md(text if text else "—")


def md_block(value: Any) -> Md:
    """Multi-line literal text: paragraphs kept, each line a hard line break."""
    paragraphs = re.split(r"\n\s*\n", str(value).strip())
    out = []
    for para in paragraphs:
        lines = [_escape_line(visible(line)) for line in para.splitlines() if line.strip()]
        out.append("\\\n".join(lines))
    return Md("\n\n".join(p for p in out if p))


def md_finalize(value: Any) -> Any:
    """Jinja ``finalize`` hook: escape everything that is not already :class:`Md`."""
    if isinstance(value, Md):
        return value
    if value is None:
        return Md(NOT_PROVIDED)
    return md_escape(value)


def _indent(text: str, prefix: str = "  ") -> str:
    return "\n".join(prefix + line if line else line for line in text.splitlines())


def _single_line(text: str) -> bool:
    return "\n" not in text


def _table(node: TableNode) -> str:
    header = "| " + " | ".join(md_cell(c) for c in node.columns) + " |"
    rule = "|" + "|".join(" --- " for _ in node.columns) + "|"
    body = ["| " + " | ".join(md_cell(c) for c in row) + " |" for row in node.rows]
    return "\n".join([header, rule, *body])


#: a nested list of short texts is written on its label's line when it fits in this many characters
_INLINE_LIST = 160


def _short_list(node: Node) -> bool:
    if not isinstance(node, ListNode) or not node.items:
        return False
    if not all(isinstance(i, TextNode) and "\n" not in i.text for i in node.items):
        return False
    return sum(len(i.text) + 2 for i in node.items if isinstance(i, TextNode)) <= _INLINE_LIST


def _entry(view: FieldView) -> str:
    label = f"**{md_escape(view.title)}**"
    if view.missing and (view.required or view.required_when):
        # a gap that matters (required, or conditional) is marked where it stands
        why = f"required when {view.required_when}" if view.required_when else "required"
        return f"- {label}: **Gap: not provided** ({md_escape(why)})"
    if _short_list(view.node) and isinstance(view.node, ListNode):
        texts = [md_escape(i.text) for i in view.node.items if isinstance(i, TextNode)]
        return f"- {label}: " + "; ".join(texts)
    inner = node_to_markdown(view.node)
    if _single_line(inner) and not isinstance(
        view.node, TableNode | ListNode | MappingNode | FilledNode
    ):
        return f"- {label}: {inner}"
    if isinstance(view.node, TableNode | TextNode | FilledNode):
        return f"- {label}:\n\n{_indent(inner)}\n"
    return f"- {label}:\n{_indent(inner)}"


def _sources(sources: tuple[FillSource, ...]) -> str:
    """``check **data.quality** (pass)``; several checks and the provenance, joined."""
    checks = [f"**{md_escape(s.check_id)}** ({md_escape(s.status)})" for s in sources if s.check_id]
    runs = [
        f"the report's {md_escape(s.title)} ({md_escape(s.status)})"
        for s in sources
        if not s.check_id
    ]
    parts = []
    if checks:
        word = "check" if len(checks) == 1 else "checks"
        joined = checks[0] if len(checks) == 1 else ", ".join(checks[:-1]) + " and " + checks[-1]
        parts.append(f"{word} {joined}")
    parts.extend(runs)
    return " and ".join(parts) if parts else "the report"


def _quote(text: str) -> str:
    return "\n".join(f"> {line}" if line.strip() else ">" for line in text.splitlines())


def _filled(node: FilledNode) -> str:
    """A block quote labelled with its checks, so filled figures never pass as typed text."""
    sources = _sources(node.sources)
    if node.human is not None:
        human = node_to_markdown(node.human)
        note = (
            f"_Written by hand; the report also has figures for this field, from {sources}: "
            "see the check results._"
        )
        return f"{human}\n\n{note}"
    parts = [f"**{FILLED_BY}** from {sources}; not written by hand."]
    if node.note:
        parts.append(f"_{md_escape(node.note)}_")
    parts.append(node_to_markdown(node.body))
    return _quote("\n\n".join(parts))


def node_to_markdown(node: Node) -> Md:
    """Markdown for a value tree; every piece of text in it is escaped."""
    if isinstance(node, MissingNode):
        return Md(NONE_LISTED if node.empty_list else NOT_PROVIDED)
    if isinstance(node, NotApplicableNode):
        return Md(f"{NOT_APPLICABLE} {md_escape(node.reason)}")
    if isinstance(node, TextNode):
        return md_block(node.text) if node.text.strip() else Md(NOT_PROVIDED)
    if isinstance(node, TableNode):
        return Md(_table(node))
    if isinstance(node, FilledNode):
        return Md(_filled(node))
    if isinstance(node, ListNode):
        items = []
        for n, item in enumerate(node.items, start=1):
            inner = node_to_markdown(item)
            block = TableNode | ListNode | MappingNode | FilledNode
            if _single_line(inner) and not isinstance(item, block):
                items.append(f"- {inner}")
            elif isinstance(item, TableNode | FilledNode):
                items.append(f"- **{n}.**\n\n" + _indent(inner) + "\n")
            else:
                # A nested mapping or list goes under a numbered bullet of its own.
                items.append(f"- **{n}.**\n" + _indent(inner))
        return Md("\n".join(items))
    entries = [_entry(e) for e in node.entries]
    return Md("\n".join(entries))


# --- Markdown -> HTML -----------------------------------------------------------------


@dataclass(frozen=True)
class Heading:
    """A heading found while converting Markdown, for the table of contents."""

    level: int
    text: str
    anchor: str


def _validate_link(url: str) -> bool:
    return url.strip().lower().startswith(_ALLOWED_SCHEMES)


def _slug(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug or "section"


def to_html(markdown: str, *, anchor_prefix: str) -> tuple[str, list[Heading]]:
    """Render Markdown to an HTML fragment, with anchors on headings.

    Raw HTML is off (a ``<script>`` in the text comes out as ``&lt;script&gt;``),
    images are off (the packet never loads an image named by a document) and
    only http(s) and mailto links survive.

    Returns
    -------
    html, headings
        The fragment and every heading in it, with the anchor it was given.
    """
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable("table")
    md.disable("image")
    md.validateLink = _validate_link  # type: ignore[method-assign]
    tokens = md.parse(markdown)
    headings: list[Heading] = []
    used: set[str] = set()
    for i, token in enumerate(tokens):
        if token.type != "heading_open":
            continue
        text = tokens[i + 1].content
        base = f"{anchor_prefix}-{_slug(text)}"
        anchor, n = base, 1
        while anchor in used:
            n += 1
            anchor = f"{base}-{n}"
        used.add(anchor)
        token.attrSet("id", anchor)
        plain = (
            "".join(
                child.content for child in (tokens[i + 1].children or []) if child.type == "text"
            )
            or text
        )
        headings.append(Heading(level=int(token.tag[1]), text=plain, anchor=anchor))
    html = md.renderer.render(tokens, md.options, {})
    return html, headings
