"""Commented YAML skeletons of the documents, written by ``govkit init``.

The skeleton is generated from the models, so it can never drift from the
schema: every required and conditional field appears with a comment (its
description) and a visible placeholder; optional fields appear commented out;
fields filled by ``govkit check`` are named but left out. A skeleton is a
valid document whose placeholders the linter flags until they are replaced.
"""

from __future__ import annotations

import json
import os
import textwrap
import types
import typing
from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from govkit.documents.fields import FILL_AUTOMATED, License, NotApplicable
from govkit.documents.kinds import KINDS
from govkit.documents.lint import PLACEHOLDER

__all__ = ["render_skeleton", "schema_reference"]

# Conditional fields that only make sense later in a document's life: shown
# commented out rather than filled with placeholders.
_LATER = {"registration", "deviations", "outcome"}
# Optional fields the skeleton's own placeholders make required.
_FORCED: dict[type[BaseModel], set[str]] = {License: {"name", "url"}}


def _extra(info: FieldInfo) -> dict[str, Any]:
    extra = info.json_schema_extra
    return extra if isinstance(extra, dict) else {}


def _unwrap(annotation: Any) -> tuple[Any, bool]:
    """The type behind Annotated / Optional / OrNA, and whether N/A is allowed."""
    na = False
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
            continue
        if origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            stripped = [a for a in args if _unwrap_plain(a) is not NotApplicable]
            na = na or len(stripped) < len(args)
            annotation = stripped[0]
            continue
        return annotation, na


def _unwrap_plain(annotation: Any) -> Any:
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    return annotation


def _min_length(info: FieldInfo) -> int:
    for meta in info.metadata:
        value = getattr(meta, "min_length", None)
        if isinstance(value, int):
            return value
    return 0


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


class _Writer:
    def __init__(self, kind: str, today: date) -> None:
        self.kind = kind
        self.today = today
        self.lines: list[str] = []

    def placeholder(self, name: str, base: Any) -> Any:
        """A value for a scalar field of type ``base`` named ``name``."""
        special = {
            "doc_id": f"my-{self.kind.replace('_', '-')}",
            "card_id": "my-dataset-card",
            "risk_checklist": "my-risk-checklist",
            "spdx_id": "other",
        }
        if name in special:
            return special[name]
        if typing.get_origin(base) is Literal:
            return typing.get_args(base)[0]
        if base is bool:
            return False
        if base is int:
            return 1
        if base is float:
            return 0.5
        if base is date:
            return self.today
        return PLACEHOLDER

    def comment(self, indent: int, text: str) -> None:
        width = max(40, 96 - indent)
        for line in textwrap.wrap(text, width=width, break_on_hyphens=False):
            self.lines.append(" " * indent + "# " + line)

    def model(self, cls: type[BaseModel], indent: int) -> None:
        force = _FORCED.get(cls, set())
        for name, info in cls.model_fields.items():
            self.field(name, info, indent, force=name in force)

    def field(self, name: str, info: FieldInfo, indent: int, *, force: bool = False) -> None:
        pad = " " * indent
        extra = _extra(info)
        description = info.description or ""
        base, na = _unwrap(info.annotation)
        if extra.get("x-fill") == FILL_AUTOMATED:
            self.lines.append(f"{pad}# {name}: filled by `govkit check` ({description})")
            return
        when = extra.get("x-required-when")
        required = force or info.is_required() or (when is not None and name not in _LATER)
        if not required:
            self.lines.append(f"{pad}# {name}:  optional; {description}")
            return
        note = description
        if when:
            note += f" Required when {when}."
        if na:
            note += " May be {not_applicable: reason}."
        if typing.get_origin(base) is Literal:
            choices = ", ".join(str(c) for c in typing.get_args(base))
            note += f" One of: {choices}."
        if note:
            self.comment(indent, note.strip())
        self.value(name, base, info, indent)

    def value(self, name: str, base: Any, info: FieldInfo, indent: int) -> None:
        pad = " " * indent
        origin = typing.get_origin(base)
        if isinstance(base, type) and issubclass(base, BaseModel):
            self.lines.append(f"{pad}{name}:")
            self.model(base, indent + 2)
        elif origin is list:
            (item,) = typing.get_args(base)
            item, _ = _unwrap(item)
            count = max(_min_length(info), 1)
            self.lines.append(f"{pad}{name}:")
            for _ in range(count):
                self.list_item(name, item, indent + 2)
        elif origin is dict:
            self.lines.append(f"{pad}{name}: {{}}")
        else:
            self.lines.append(f"{pad}{name}: {_scalar(self.placeholder(name, base))}")

    def list_item(self, name: str, item: Any, indent: int) -> None:
        pad = " " * indent
        if isinstance(item, type) and issubclass(item, BaseModel):
            start = len(self.lines)
            self.model(item, indent + 2)
            first = self.lines[start]
            self.lines[start] = f"{pad}- {first.lstrip()}"
            return
        value = {
            "experiment_plans": "my-experiment-plan",
            "experiment_plan_ids": "my-experiment-plan",
        }.get(name)
        self.lines.append(f"{pad}- {_scalar(value or self.placeholder(name, item))}")


def schema_reference(kind: str, document: Path) -> str:
    """Where the JSON Schema of ``kind`` is, as seen from ``document``.

    A relative path when the shipped schema sits inside the current folder
    (a source checkout, a project-local environment), else a file URI.
    """
    from govkit.resources import data_dir

    schema = (data_dir("schemas") / f"{kind}.schema.json").resolve()
    here = Path.cwd().resolve()
    if schema.is_relative_to(here):
        return Path(os.path.relpath(schema, document.resolve().parent)).as_posix()
    return schema.as_uri()


def render_skeleton(kind: str, *, schema_ref: str | None = None, today: date | None = None) -> str:
    """A commented YAML skeleton of a document kind.

    Parameters
    ----------
    kind
        One of ``dataset_card``, ``model_card``, ``experiment_plan``, ``risk_checklist``.
    schema_ref
        Path or URL of the JSON Schema, for the ``yaml-language-server`` line.
    today
        Date used for date fields (default: today).

    Returns
    -------
    str
        The YAML text, ending with a newline.

    Raises
    ------
    KeyError
        For an unknown kind.
    """
    cls = KINDS[kind]
    writer = _Writer(kind, today or date.today())
    header = [
        f"# yaml-language-server: $schema={schema_ref or f'{kind}.schema.json'}",
        f'# A govkit {kind.replace("_", " ")}. Replace every "{PLACEHOLDER}" and check',
        "# every value; `govkit validate --strict` fails while a placeholder is left.",
        "# A text answer may be {not_applicable: reason} where a comment says so.",
        "# Commented-out fields are optional; fields marked `govkit check` are filled",
        "# from measured results and need not be written by hand.",
        "",
    ]
    writer.lines = header
    writer.model(cls, 0)
    return "\n".join(writer.lines) + "\n"
