"""The Markdown shapes the HF cards are written in read back as written."""

from __future__ import annotations

from govkit.export._markdown import labelled, paragraphs, parse_sections, table


def test_writing_what_was_read_gives_the_same_text() -> None:
    text = "First  paragraph\nwrapped.\n\n\nSecond | with a pipe."
    rows: list[list[str | None]] = [["a|b", None, "x\ny"], ["plain", "2", "z"]]
    body = "\n".join(
        [
            "## Section",
            "",
            paragraphs(text),
            "",
            labelled("Hours used", "1.5"),
            "",
            *table(["One", "Two", "Three"], rows),
            "",
            "```",
            "code  kept   as is",
            "# not a heading",
            "```",
        ]
    )
    (_, section) = parse_sections(body)
    block = section.block
    assert section.title == "Section" and section.line == 1
    assert (
        "\n\n".join(block.text)
        == paragraphs(text)
        == "First paragraph wrapped.\n\nSecond | with a pipe."
    )
    assert block.labels == {"hours used": "1.5"}
    assert block.tables == [
        [
            {"one": "a|b", "two": None, "three": "x y"},
            {"one": "plain", "two": "2", "three": "z"},
        ]
    ]
    assert block.code == ["code  kept   as is\n# not a heading"]


def test_headings_nest_and_template_comments_are_dropped() -> None:
    body = "# T\n\n<!-- guidance\nspanning lines -->\nSummary.\n\n## A\n\n### B\n\ntext\n\n## C\n"
    sections = parse_sections(body, first_line=5)
    assert [(s.title, s.level, s.line, s.path) for s in sections[1:]] == [
        ("T", 1, 5, ("t",)),
        ("A", 2, 11, ("t", "a")),
        ("B", 3, 13, ("t", "a", "b")),
        ("C", 2, 17, ("t", "c")),
    ]
    assert sections[1].block.text == ["Summary."]
