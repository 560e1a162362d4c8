"""Gaps without noise, and nothing lost: every field of every example document is in the packet.

Optional fields left empty leave their sections and are listed once, in the
document's "Not provided" table (field, what it is for, which standard item
asks for it); required and conditional gaps stay where they are, marked. A
walk over every field of the shipped example documents, at every depth,
finds each one in the Markdown: its label with its value, or its row in the
table.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from govkit.documents.load import load_document
from govkit.render.context import PacketInputs, SourceDocument, build_context
from govkit.render.fields import humanize
from govkit.render.markdown import md_escape
from govkit.render.packet import render_markdown

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = [
    *sorted((REPO / "examples" / "adult" / "docs").glob("*.yaml")),
    *sorted((REPO / "examples" / "minimal").glob("*.yaml")),
]


def _markdown(paths: list[Path]) -> tuple[list[BaseModel], dict[str, str]]:
    docs = []
    for path in paths:
        model = load_document(path, display=path.name, roots=(REPO,)).model
        docs.append(SourceDocument(path, path.name, model, path.read_bytes()))
    ctx = build_context(PacketInputs("example", "1.0.0", docs))
    files = render_markdown(ctx, None)
    return [d.model for d in docs], {v.doc_id: files[v.filename] for v in ctx.documents}


def _not_provided(markdown: str) -> list[str]:
    if "\n## Not provided\n" not in markdown:
        return []
    table = markdown.split("\n## Not provided\n", 1)[1]
    rows = [line for line in table.splitlines() if line.startswith("| ")][1:]
    cells = [row.split(" | ")[0].removeprefix("| ").replace("\\", "") for row in rows]
    return [cell.removesuffix(" (none listed)") for cell in cells]


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, list | dict) and not value)


def _walk(model: BaseModel, prefix: str = "") -> Iterator[tuple[str, str, Any]]:
    """``(path, title, value)`` of every field below ``model``, models in lists included."""
    for name in type(model).model_fields:
        if not prefix and name in ("kind", "schema_version"):
            continue
        value = getattr(model, name)
        path = f"{prefix}{name}"
        yield path, humanize(name), value
        if isinstance(value, BaseModel):
            yield from _walk(value, path + ".")
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, BaseModel):
                    yield from _walk(item, f"{path}[{i}].")


@pytest.fixture(scope="module")
def examples() -> tuple[list[BaseModel], dict[str, str]]:
    return _markdown(EXAMPLES)


def test_every_field_of_every_example_document_is_in_the_packet(
    examples: tuple[list[BaseModel], dict[str, str]],
) -> None:
    models, files = examples
    checked = 0
    for model in models:
        text = files[model.meta.doc_id]  # type: ignore[attr-defined]
        gaps = _not_provided(text)
        for path, title, value in _walk(model):
            label = md_escape(title)
            if _empty(value):
                assert path in gaps or (label in text and "Gap: not provided" in text), path
            else:
                # the header is the "Document header" section
                assert label in text or path == "meta", path
                if isinstance(value, str) and "\n" not in value.strip() and value.strip():
                    # the value itself, escaped as the packet escapes it
                    escaped = md_escape(value)
                    assert escaped in text or escaped.lstrip("\\") in text, (path, value)
            checked += 1
    assert checked > 500  # the walk reached the nested fields, not only the top level


def test_optional_gaps_are_one_table_with_purpose_and_standard_items(
    examples: tuple[list[BaseModel], dict[str, str]],
) -> None:
    _, files = examples
    card = files["adult-income-model-card"]
    assert "_Not provided_" not in card.split("\n## Not provided\n")[0]
    rows = {
        line.split(" | ")[0].removeprefix("| "): line
        for line in card.split("\n## Not provided\n")[1].splitlines()
        if line.startswith("| ")
    }
    # field | what it is for (its description) | the standard items that ask for it
    assert "Date training ended." in rows["model\\_date"]
    assert "Model Cards §1 date" in rows["model\\_date"]
    assert "Model Cards §1 citation" in rows["citation"]
    # a nested optional field is listed by its path
    assert "architecture.n\\_params" in rows


def test_conditional_gaps_stay_in_place_and_marked(
    examples: tuple[list[BaseModel], dict[str, str]],
) -> None:
    _, files = examples
    card = files["adult-income-model-card"]
    body = card.split("\n## Not provided\n")[0]
    # deployment is conditional (high-risk use): its heading stays, marked as a gap
    section = body.split("### Deployment\n", 1)[1].split("\n### ", 1)[0]
    assert "**Gap: not provided.** Required when high-risk use" in section
    assert "deployment" not in _not_provided(card)
