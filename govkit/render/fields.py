"""Turning any pydantic document into a tree of labelled values.

The packet shows every field of a document "in full", whatever its schema:
this module walks ``model_fields`` in declaration order and keeps each
field's description as its label, so a field added to a document model
appears in the packet without touching a template. Templates only decide the
order and the grouping into sections.

The tree holds plain text; escaping is the job of the output format
(Markdown or HTML), so the same tree feeds both.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from typing import Any

from pydantic import BaseModel

__all__ = [
    "FieldView",
    "ListNode",
    "MappingNode",
    "MissingNode",
    "ModelNode",
    "Node",
    "NotApplicableNode",
    "TableNode",
    "TextNode",
    "describe_model",
    "format_scalar",
    "humanize",
    "value_node",
]


@dataclass(frozen=True)
class MissingNode:
    """An optional value nobody filled in: shown as a visible gap."""

    empty_list: bool = False


@dataclass(frozen=True)
class NotApplicableNode:
    """An explicit "does not apply", with its reason."""

    reason: str


@dataclass(frozen=True)
class TextNode:
    """A scalar, already formatted as text (may span several lines)."""

    text: str


@dataclass(frozen=True)
class ListNode:
    """A list of values, shown as bullets."""

    items: tuple[Node, ...]


@dataclass(frozen=True)
class MappingNode:
    """A mapping or a nested model: labelled entries, shown as a definition list."""

    entries: tuple[FieldView, ...]


@dataclass(frozen=True)
class TableNode:
    """Flat rows of scalars (a list of simple models, a dict of numbers)."""

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


ModelNode = MappingNode
Node = MissingNode | NotApplicableNode | TextNode | ListNode | MappingNode | TableNode


@dataclass(frozen=True)
class FieldView:
    """One field of a document: its key, a readable title, its description and its value."""

    name: str
    title: str
    description: str
    node: Node

    @property
    def missing(self) -> bool:
        """Whether the field holds nothing (a visible gap in the packet)."""
        return isinstance(self.node, MissingNode)


def humanize(name: str) -> str:
    """``intended_uses`` -> ``Intended uses``."""
    text = name.replace("_", " ").strip()
    return text[:1].upper() + text[1:] if text else name


def format_scalar(value: Any) -> str:
    """Text for one scalar: ISO dates, yes/no, compact floats."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return str(value)
        return f"{value:.6g}"
    return str(value)


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool | date | Enum)


def _is_not_applicable(value: Any) -> bool:
    return isinstance(value, BaseModel) and set(type(value).model_fields) == {"not_applicable"}


def _flat_model(value: Any) -> bool:
    """A model whose every field is a scalar: one table row."""
    return (
        isinstance(value, BaseModel)
        and not _is_not_applicable(value)
        and all(_is_scalar(getattr(value, name)) for name in type(value).model_fields)
    )


def _description(model: type[BaseModel], name: str) -> str:
    info = model.model_fields[name]
    return (info.description or "").strip()


def describe_model(model: BaseModel) -> tuple[FieldView, ...]:
    """Every field of ``model``, in declaration order, with its label and value."""
    cls = type(model)
    return tuple(
        FieldView(
            name=name,
            title=humanize(name),
            description=_description(cls, name),
            node=value_node(getattr(model, name)),
        )
        for name in cls.model_fields
    )


def _table(items: Sequence[BaseModel]) -> TableNode:
    cls = type(items[0])
    names = list(cls.model_fields)
    rows = tuple(
        tuple("" if getattr(item, n) is None else format_scalar(getattr(item, n)) for n in names)
        for item in items
    )
    return TableNode(columns=tuple(humanize(n) for n in names), rows=rows)


def value_node(value: Any) -> Node:
    """The display tree of any value found in a document."""
    if value is None:
        return MissingNode()
    if _is_not_applicable(value):
        return NotApplicableNode(reason=str(value.not_applicable))
    if isinstance(value, BaseModel):
        return MappingNode(entries=describe_model(value))
    if isinstance(value, Mapping):
        if not value:
            return MissingNode(empty_list=True)
        if all(_is_scalar(v) for v in value.values()):
            return TableNode(
                columns=("Key", "Value"),
                rows=tuple(
                    (str(k), "" if v is None else format_scalar(v)) for k, v in value.items()
                ),
            )
        return MappingNode(
            entries=tuple(
                FieldView(name=str(k), title=str(k), description="", node=value_node(v))
                for k, v in value.items()
            )
        )
    if isinstance(value, list | tuple | set | frozenset):
        items = list(value)
        if not items:
            return MissingNode(empty_list=True)
        same_type = len({type(i) for i in items}) == 1
        if same_type and _flat_model(items[0]) and all(_flat_model(i) for i in items):
            return _table(items)
        return ListNode(items=tuple(value_node(i) for i in items))
    return TextNode(text=format_scalar(value))
