"""Markdown output: escaping, visible gaps, templates, and documents shown in full."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from govkit.documents.kinds import KINDS
from govkit.errors import ConfigError
from govkit.project import load_project_file
from govkit.render.context import build_context
from govkit.render.fields import value_node
from govkit.render.markdown import (
    NOT_PROVIDED,
    md_block,
    md_cell,
    md_escape,
    node_to_markdown,
    to_html,
)
from govkit.render.packet import load_inputs, render_markdown
from govkit.resources import data_dir
from tests.helpers import hostile_text, make_project


def _text_of(html: str) -> str:
    """Visible text of an HTML fragment (tags dropped, entities decoded)."""
    import html as htmllib

    return htmllib.unescape(re.sub(r"<[^>]+>", "", html))


@pytest.mark.parametrize(
    "text",
    [
        "a | b | c",
        "<script>alert(1)</script>",
        '<img src="http://example.org/x.png">',
        "[click](javascript:alert(1))",
        "{{ 7*7 }} {% if x %}y{% endif %}",
        "# not a heading",
        "- not a list",
        "1. not a list",
        "*not emphasis* _nor this_ `nor code` ~~nor strike~~",
        "&lt; stays an entity name &amp;",
        "back\\slash and $math$",
    ],
)
def test_escaped_text_renders_literally(text: str) -> None:
    html, _ = to_html(md_escape(text), anchor_prefix="t")
    assert _text_of(html).strip() == text
    assert "<script" not in html and "<img" not in html and "<a " not in html
    assert "<h1" not in html and "<li" not in html and "<em" not in html


def test_block_keeps_lines_and_paragraphs() -> None:
    html, _ = to_html(
        md_block("first line\n- second line\n\n1. third paragraph"), anchor_prefix="t"
    )
    assert html.count("<p>") == 2
    assert "<br" in html and "<li" not in html


def test_table_cell_keeps_pipes_inside_the_cell() -> None:
    table = f"| a | b |\n| --- | --- |\n| {md_cell('x | y')} | {md_cell('')} |\n"
    html, _ = to_html(table, anchor_prefix="t")
    assert html.count("<td>") == 2
    assert "x | y" in _text_of(html) and "—" in html


def test_links_only_http_and_mailto() -> None:
    source = (
        "[a](https://example.org) [b](mailto:x@example.org) [c](javascript:alert(1)) "
        "[d](file:///etc/passwd) ![e](http://example.org/i.png)"
    )
    html, _ = to_html(source, anchor_prefix="t")
    assert 'href="https://example.org"' in html and 'href="mailto:x@example.org"' in html
    assert "javascript:" not in re.findall(r'href="([^"]*)"', html).__str__()
    assert "file:" not in re.findall(r'href="([^"]*)"', html).__str__()
    assert "<img" not in html


def test_missing_and_empty_values_are_visible_gaps() -> None:
    assert node_to_markdown(value_node(None)) == NOT_PROVIDED
    assert "None listed" in node_to_markdown(value_node([]))
    assert node_to_markdown(value_node("  ")) == NOT_PROVIDED


def test_headings_get_unique_anchors() -> None:
    _, headings = to_html("# T\n\n## Same\n\n## Same\n", anchor_prefix="doc-x")
    anchors = [h.anchor for h in headings]
    assert len(set(anchors)) == 3 and all(a.startswith("doc-x-") for a in anchors)


def _markdown(config: Path, templates: str | None = None) -> dict[str, str]:
    project = load_project_file(config)
    inputs = load_inputs(project, None)
    ctx = build_context(inputs)
    return render_markdown(ctx, templates)


def test_document_text_is_data_in_markdown(tmp_path: Path) -> None:
    text = hostile_text("http://127.0.0.1:9")

    def edit(data: dict) -> None:
        data["description"] = text
        data["intended_uses"] = ["a | b", "{{ 7*7 }}"]

    files = _markdown(make_project(tmp_path, edits={"model_card": edit}))
    card = files["minimal-model-card.md"]
    # Printed as typed (Markdown-escaped), never evaluated.
    assert "{{ 7\\*7 }}" in card and "Scores 49" not in card and "yes with" not in card
    html, _ = to_html(card, anchor_prefix="doc")
    visible = _text_of(html)
    assert text in visible
    assert "{{ 7*7 }}" in visible and "a | b" in visible
    assert (
        "<script" not in html
        and "<img" not in html
        and "javascript:" not in html.replace("javascript:alert(2)", "")
    )


def test_every_field_of_every_document_appears(tmp_path: Path) -> None:
    project = load_project_file(make_project(tmp_path))
    inputs = load_inputs(project, None)
    files = _markdown(project.path)
    for doc in inputs.documents:
        meta = doc.model.meta  # type: ignore[attr-defined]
        text = files[f"{meta.doc_id}.md"]
        for name in type(doc.model).model_fields:
            if name in ("kind", "schema_version", "meta"):
                continue
            title = name.replace("_", " ")
            # a field with a value (or a required gap) has its heading; an optional
            # empty one its row in the "Not provided" table
            heading = re.search(
                rf"^### {re.escape(title[:1].upper() + title[1:])}$", text, re.MULTILINE
            )
            row = f"| {md_escape(name)} " in text.split("\n## Not provided\n")[-1]
            assert heading or row, (meta.doc_id, name)


def test_kind_templates_name_only_real_fields() -> None:
    for kind, model in KINDS.items():
        source = (data_dir("templates") / f"{kind}.md.j2").read_text(encoding="utf-8")
        spec = source[source.index("{% set spec") : source.index("] %}")]
        names = re.findall(r'"([a-z_]+)"', spec)
        unknown = sorted(set(names) - set(model.model_fields))
        assert not unknown, (kind, unknown)


def test_user_template_overrides_builtin(tmp_path: Path) -> None:
    config = make_project(tmp_path / "p")
    user = tmp_path / "tpl"
    user.mkdir()
    (user / "model_card.md.j2").write_text("# Custom {{ doc.title }}\n", encoding="utf-8")
    files = _markdown(config, str(user))
    assert files["minimal-model-card.md"] == "# Custom Minimal model card\n"
    assert files["minimal-dataset-card.md"].startswith("# Minimal dataset card")


def test_template_typo_fails_loudly(tmp_path: Path) -> None:
    config = make_project(tmp_path / "p")
    user = tmp_path / "tpl"
    user.mkdir()
    (user / "model_card.md.j2").write_text("# {{ doc.titel }}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"model_card\.md\.j2"):
        _markdown(config, str(user))
