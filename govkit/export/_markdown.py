"""The small Markdown dialect the Hugging Face cards are written in, and read back.

``govkit export hf`` writes a card that ``govkit import hf`` must read back
field for field, so both sides share these few shapes: a heading, a paragraph,
a bullet, a labelled bullet (``- **Label:** value``), a pipe table and a fenced
code block. Every value is written on one line with its whitespace collapsed
(paragraphs keep their breaks), so writing what was read gives the same text:
the export is a fixed point of import-then-export.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = [
    "Block",
    "Section",
    "bullet",
    "cell",
    "labelled",
    "one_line",
    "paragraphs",
    "parse_sections",
    "table",
]

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_LABELLED = re.compile(r"^[-*]\s+\*\*(.+?):?\*\*:?\s*(.*)$")
_BULLET = re.compile(r"^[-*]\s+(.*)$")
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_SEPARATOR = re.compile(r"^\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?$")


def one_line(text: str) -> str:
    """``text`` with every run of whitespace (newlines too) made one space."""
    return " ".join(text.split())


def paragraphs(text: str) -> str:
    """``text`` as paragraphs: blank lines kept as breaks, each paragraph on one line."""
    parts = [one_line(p) for p in re.split(r"\n\s*\n", text)]
    return "\n\n".join(p for p in parts if p)


def bullet(text: str) -> str:
    return f"- {one_line(text)}"


def labelled(label: str, text: str) -> str:
    return f"- **{label}:** {one_line(text)}"


def cell(text: str | None) -> str:
    """A table cell: one line, pipes escaped; None is an empty cell."""
    return "" if text is None else one_line(text).replace("|", "\\|")


def table(headers: list[str], rows: list[list[str | None]]) -> list[str]:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return lines


def _split_row(line: str) -> list[str]:
    body = line.strip()
    body = body[1:] if body.startswith("|") else body
    body = body[:-1] if body.endswith("|") and not body.endswith("\\|") else body
    cells = re.split(r"(?<!\\)\|", body)
    return [c.strip().replace("\\|", "|") for c in cells]


@dataclass
class Block:
    """What one section holds, sorted by shape."""

    text: list[str] = field(default_factory=list)  # paragraphs, in order
    bullets: list[str] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)  # label (lower case) -> value
    label_names: dict[str, str] = field(default_factory=dict)  # lower case -> as written
    tables: list[list[dict[str, str | None]]] = field(default_factory=list)
    code: list[str] = field(default_factory=list)

    @property
    def paragraph_text(self) -> str | None:
        joined = "\n\n".join(self.text).strip()
        return joined or None

    def is_empty(self) -> bool:
        return not (self.text or self.bullets or self.labels or self.tables or self.code)


@dataclass
class Section:
    """A heading, the line it is on, and its own content (not its subsections')."""

    level: int
    title: str
    line: int
    path: tuple[str, ...]  # the titles of the headings above it and its own, lower case
    block: Block


def _block(lines: list[str]) -> Block:
    block = Block()
    paragraph: list[str] = []
    rows: list[str] = []
    fence: list[str] | None = None

    def flush() -> None:
        if paragraph:
            block.text.append(one_line(" ".join(paragraph)))
            paragraph.clear()
        if rows:
            header = _split_row(rows[0])
            body = [r for r in rows[1:] if not _SEPARATOR.match(r.strip())]
            parsed = []
            for row in body:
                cells = _split_row(row) + [""] * len(header)
                parsed.append({h.lower(): (c or None) for h, c in zip(header, cells, strict=False)})
            block.tables.append(parsed)
            rows.clear()

    for raw in lines:
        line = raw.rstrip()
        if fence is not None:
            if line.strip().startswith("```"):
                block.code.append("\n".join(fence))
                fence = None
            else:
                fence.append(raw.rstrip("\n"))
            continue
        stripped = line.strip()
        if stripped.startswith("```"):
            flush()
            fence = []
        elif not stripped:
            flush()
        elif stripped.startswith("|"):
            if paragraph:
                flush()
            rows.append(stripped)
        elif match := _LABELLED.match(stripped):
            flush()
            label = one_line(match.group(1)).rstrip(":")
            block.labels[label.lower()] = match.group(2).strip()
            block.label_names[label.lower()] = label
        elif match := _BULLET.match(stripped):
            flush()
            block.bullets.append(match.group(1).strip())
        else:
            if rows:
                flush()
            paragraph.append(stripped)
    if fence is not None:  # an unclosed fence keeps what it holds
        block.code.append("\n".join(fence))
    flush()
    return block


def parse_sections(body: str, first_line: int = 1) -> list[Section]:
    """The Markdown ``body`` as its sections, in order; text before the first heading is level 0.

    HTML comments (the Hub template's guidance) are dropped first; line numbers
    count from ``first_line``, the line of the file the body starts on.
    """
    body = _COMMENT.sub(lambda m: "\n" * m.group(0).count("\n"), body)
    sections: list[Section] = []
    stack: list[tuple[int, str]] = []
    title, level, start = "", 0, first_line
    lines: list[str] = []
    in_fence = False

    def close() -> None:
        path = tuple(t for _, t in stack)
        sections.append(Section(level, title, start, path, _block(lines)))

    for offset, line in enumerate(body.split("\n")):
        if line.strip().startswith("```"):
            in_fence = not in_fence
        match = None if in_fence else _HEADING.match(line)
        if match is None:
            lines.append(line)
            continue
        close()
        level, title = len(match.group(1)), match.group(2).strip()
        start, lines = first_line + offset, []
        while stack and stack[-1][0] >= level:
            stack.pop()
        stack.append((level, title.lower()))
    close()
    return sections
