"""``govkit import hf``: a Hugging Face model card ``README.md`` read into a govkit model card.

The card's YAML metadata and its sections (the Hub's template, or what
``govkit export hf`` writes: see :mod:`govkit.export.hf`) are mapped onto the
model card's fields. The rest is never dropped silently:

- what has no field of its own (a template section govkit does not know, a
  metadata key such as ``language``) is written as a comment under the nearest
  field and listed in the notes the command prints;
- what the export regenerates from report.json (results tables, verdict,
  waivers) is listed in the notes; the ``model-index`` figures go into the
  card's ``results``;
- every required field the card lacks gets the skeleton's placeholder
  (``[More Information Needed]``), which ``govkit validate`` flags.

Bad input is an :class:`~govkit.errors.InputError` naming ``file:line``: broken
YAML front matter, a ``model-index`` of the wrong shape, a licence that is
neither an SPDX id nor one of the Hub's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, cast

import yaml
from pydantic import BaseModel, ValidationError

from govkit.documents.fields import CONDITIONAL_MISSING
from govkit.documents.lint import PLACEHOLDER
from govkit.errors import InputError
from govkit.export._hf_reader import CardReader
from govkit.export._markdown import parse_sections
from govkit.safe_read import MAX_REPORT_BYTES
from govkit.sourcefile import ParsedFile, SourceError, parse_text, read_text

__all__ = ["ImportedCard", "import_hf_card"]


@dataclass
class ImportedCard:
    """The model card read from a Hugging Face card: YAML text and what was not mapped."""

    text: str
    notes: list[str] = field(default_factory=list)


# --- assembling the document ----------------------------------------------------


def _skeleton() -> dict[str, Any]:
    from govkit.documents.skeleton import render_skeleton

    data = yaml.safe_load(render_skeleton("model_card", today=date.today()))
    return cast(dict[str, Any], data)


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        # a licence is whole as read: the skeleton's 'other' name and link do not stay
        whole = key == "license" or "not_applicable" in value if isinstance(value, dict) else True
        if not whole and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _ordered(data: Any, cls: Any) -> Any:
    """``data`` with its keys in the model's field order (the order `govkit init` writes)."""
    import typing

    if not isinstance(data, dict) or not (isinstance(cls, type) and issubclass(cls, BaseModel)):
        return data
    out: dict[str, Any] = {}
    for name, info in cls.model_fields.items():
        if name in data:
            value, model = data[name], _model_of(info.annotation, typing)
            if isinstance(value, list):
                out[name] = [_ordered(v, model) for v in value]
            else:
                out[name] = _ordered(value, model)
    out.update({k: v for k, v in data.items() if k not in out})
    return out


def _model_of(annotation: Any, typing: Any, depth: int = 0) -> Any:
    """The document model inside a field's annotation (through Optional, list, OrNA), or None."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if depth > 6:
        return None
    for arg in typing.get_args(annotation):
        found = _model_of(arg, typing, depth + 1)
        if found is not None and found.__name__ != "NotApplicable":
            return found
    return None


def _conditional_fields() -> set[str]:
    from govkit.documents.model_card import ModelCard

    out = set()
    for name, info in ModelCard.model_fields.items():
        extra = info.json_schema_extra
        if isinstance(extra, dict) and "x-required-when" in extra:
            out.add(name)
    return out


def _complete(imported: dict[str, Any], display: str, origin: dict[str, int]) -> dict[str, Any]:
    """The imported fields over the skeleton; conditional fields only where required."""
    from govkit.documents.model_card import ModelCard

    skeleton = _skeleton()
    data = _merge(skeleton, imported)
    for name in _conditional_fields() - set(imported):
        data.pop(name, None)
    while True:  # each pass adds a missing field or raises, so it ends
        try:
            ModelCard.model_validate(data)
            break
        except ValidationError as err:
            wanted = {
                str(m[0][0])
                for e in err.errors()
                if e["type"] == CONDITIONAL_MISSING
                for m in (e.get("ctx") or {}).get("missing", [])
                if m[0]
            }
            missing = {n for n in wanted if n not in data and n in skeleton}
            if not missing:
                first = err.errors()[0]
                where = ".".join(str(p) for p in first["loc"])
                parts = where.split(".")
                line = next(
                    (
                        origin[p]
                        for n in range(len(parts), 0, -1)
                        if (p := ".".join(parts[:n])) in origin
                    ),
                    None,
                )
                place = f"{display}:{line}" if line is not None else display
                raise InputError(
                    f"{place}: the card's `{where}` cannot be read into a model card: "
                    f"{first['msg']} (fix: correct that part of the card, or remove it and fill "
                    "the field in the imported YAML)"
                ) from None
            for name in missing:
                data[name] = skeleton[name]
    return cast(dict[str, Any], _ordered(data, ModelCard))


class _Dumper(yaml.SafeDumper):
    pass


def _dump(data: dict[str, Any], comments: dict[str, list[str]]) -> str:
    text = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=96)
    lines = text.splitlines()
    out: list[str] = []
    current: str | None = None

    def flush() -> None:
        if current is not None and current in comments:
            out.append("# from the Hugging Face card, with no govkit field of its own:")
            out.extend(f"#   {c}" for c in comments[current])

    for line in lines:
        if line and not line[0].isspace() and not line.startswith("-") and ":" in line:
            flush()
            current = line.split(":", 1)[0]
        out.append(line)
    flush()
    placed = {k for k in data}
    orphans = [c for k, cs in comments.items() if k not in placed for c in cs]
    if orphans:
        out.append("# from the Hugging Face card, with no govkit field of its own:")
        out.extend(f"#   {c}" for c in orphans)
    return "\n".join(out) + "\n"


def _front_matter(text: str, display: str) -> tuple[ParsedFile | None, str, int]:
    """The parsed metadata (None without front matter), the body and its first line."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        return None, text, 1
    end = next((i for i in range(1, len(lines)) if lines[i].strip() in ("---", "...")), None)
    if end is None:
        raise InputError(
            f"{display}:1: the YAML metadata block is not closed (fix: end it with a '---' line)"
        )
    try:
        blank = not "".join(lines[1:end]).strip()
        parsed = None if blank else parse_text(text, display, front_matter=True)
    except SourceError as err:
        raise InputError(
            "; ".join(d.format() for d in err.diagnostics)
            + " (fix: correct the YAML between the '---' lines)"
        ) from None
    if parsed is not None and not isinstance(parsed.data, dict):
        raise InputError(
            f"{display}:2: the metadata must be a YAML mapping of keys to values, "
            f"got a {type(parsed.data).__name__} (fix: write `key: value` lines)"
        )
    return parsed, "\n".join(lines[end + 1 :]), end + 2


def import_hf_card(path: Path, display: str, *, schema_ref: str | None = None) -> ImportedCard:
    """Read the Hugging Face model card at ``path`` into a govkit model card's YAML.

    Raises
    ------
    InputError
        Unreadable file, broken front matter, a bad ``model-index`` or an unknown licence.
    """
    try:
        # a card carries a report's figures in model-index: allowed the report's size
        text = read_text(path, display, MAX_REPORT_BYTES)
    except SourceError as err:
        raise InputError("; ".join(d.format() for d in err.diagnostics)) from None
    parsed, body, first = _front_matter(text, display)
    reader = CardReader(display, parsed)
    reader.metadata()
    reader.sections(parse_sections(body, first))
    reader.listed_in_metadata()
    data = _complete(reader.data, display, reader.origin)
    header = [
        f"# yaml-language-server: $schema={schema_ref or 'model_card.schema.json'}",
        f"# A govkit model card, imported from the Hugging Face card {display}.",
        f'# Replace every "{PLACEHOLDER}" and check every value; `govkit validate',
        "# --strict` fails while a placeholder is left.",
        "",
    ]
    return ImportedCard("\n".join(header) + "\n" + _dump(data, reader.comments), reader.notes)
