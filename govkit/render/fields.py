"""Turning any pydantic document into a tree of labelled values.

The packet shows every field of a document "in full", whatever its schema:
this module walks ``model_fields`` in declaration order and keeps each
field's description as its label, so a field added to a document model
appears in the packet without touching a template. Templates only decide the
order and the grouping into sections.

The tree holds plain text; escaping is the job of the output format
(Markdown or HTML), so the same tree feeds both.

Automated fields (filled by ``govkit check``, not typed by hand) that a
document leaves empty can be filled from the report: the walker takes a
mapping ``field path -> FilledNode`` (built by :mod:`govkit.render.autofill`)
and puts each filled node where the gap would be. A value written by hand
always wins; the filled node then only notes that the report has figures too.
"""

from __future__ import annotations

import math
import types
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import Enum
from typing import Any

from pydantic import BaseModel

__all__ = [
    "FieldPath",
    "FieldView",
    "FillSource",
    "FilledNode",
    "Fills",
    "Gap",
    "ListNode",
    "MappingNode",
    "MissingNode",
    "Node",
    "NotApplicableNode",
    "TableNode",
    "TextNode",
    "describe_model",
    "filled_paths",
    "format_scalar",
    "gather_gaps",
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


@dataclass(frozen=True)
class FillSource:
    """Where a filled value came from: a check of the report, or the report as a whole.

    ``check_id`` is None for what the report holds outside any one check (its
    provenance, the checks' settings); ``title`` then names that part and
    ``status`` describes the run instead of giving a check status.
    """

    check_id: str | None
    title: str
    status: str


@dataclass(frozen=True)
class FilledNode:
    """An automated field shown with figures govkit took from the check report.

    ``body`` holds the figures, ``note`` one sentence on how to read them.
    When ``human`` is set, the document's own value (written by hand) is what
    the packet shows; the report is only mentioned beside it.
    """

    sources: tuple[FillSource, ...]
    body: Node
    note: str = ""
    human: Node | None = None


Node = MissingNode | NotApplicableNode | TextNode | ListNode | MappingNode | TableNode | FilledNode
#: A field's place in a document: attribute names and list indices, e.g. ("subpopulations", 0).
FieldPath = tuple[str | int, ...]
#: Filled automated fields of one document, by path.
Fills = Mapping[FieldPath, FilledNode]


@dataclass(frozen=True)
class FieldView:
    """One field of a document: its key, a readable title, its description and its value."""

    name: str
    title: str
    description: str
    node: Node
    #: the schema requires the field (a gap here is a document error, shown in place)
    required: bool = False
    #: when a conditional field becomes required (``high-risk use, or ...``); empty otherwise
    required_when: str = ""

    @property
    def missing(self) -> bool:
        """Whether the field holds nothing (a visible gap in the packet)."""
        return isinstance(self.node, MissingNode)

    @property
    def optional_gap(self) -> bool:
        """An empty field nothing requires: listed in the document's "Not provided" table."""
        return self.missing and not self.required and not self.required_when

    @property
    def inline(self) -> bool:
        """A value that fits on the field's own line (one paragraph of text, or n/a)."""
        node = self.node
        if isinstance(node, NotApplicableNode):
            return True
        return isinstance(node, TextNode) and "\n" not in node.text.strip()


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


def _cell_value(value: Any) -> bool:
    """A value that reads well in one table cell: a scalar, an N/A with its reason,
    a list of scalars, or a model of scalars (written ``Key: value; ...``)."""
    if _is_scalar(value) or _is_not_applicable(value):
        return True
    if isinstance(value, list):
        return all(_is_scalar(v) for v in value)
    return isinstance(value, BaseModel) and all(
        _is_scalar(getattr(value, n)) for n in type(value).model_fields
    )


def _flat_model(value: Any) -> bool:
    """A model whose every field fits in a table cell: one table row."""
    return (
        isinstance(value, BaseModel)
        and not _is_not_applicable(value)
        and all(_cell_value(getattr(value, name)) for name in type(value).model_fields)
    )


def _cell(value: Any) -> str:
    """The text of one table cell (see :func:`_cell_value`); empty for nothing."""
    if value is None:
        return ""
    if _is_not_applicable(value):
        return f"not applicable: {value.not_applicable}"
    if isinstance(value, list):
        return "; ".join(format_scalar(v) for v in value if v is not None)
    if isinstance(value, BaseModel):
        return "; ".join(
            f"{humanize(n)}: {format_scalar(getattr(value, n))}"
            for n in type(value).model_fields
            if getattr(value, n) is not None
        )
    return format_scalar(value)


def _description(model: type[BaseModel], name: str) -> str:
    info = model.model_fields[name]
    return (info.description or "").strip()


def _required_when(model: type[BaseModel], name: str) -> str:
    """The condition of a conditional field (``x-required-when``), else empty."""
    extra = model.model_fields[name].json_schema_extra
    when = extra.get("x-required-when") if isinstance(extra, dict) else None
    return str(when) if when else ""


def _view(cls: type[BaseModel], name: str, node: Node) -> FieldView:
    return FieldView(
        name=name,
        title=humanize(name),
        description=_description(cls, name),
        node=node,
        required=cls.model_fields[name].is_required(),
        required_when=_required_when(cls, name),
    )


def describe_model(
    model: BaseModel, fills: Fills | None = None, path: FieldPath = ()
) -> tuple[FieldView, ...]:
    """Every field of ``model``, in declaration order, with its label and value.

    Parameters
    ----------
    model
        A document, or any model inside one.
    fills
        Automated fields filled from the report, by path from the document's root.
    path
        Where ``model`` sits in the document (empty for the document itself).
    """
    cls = type(model)
    return tuple(
        _view(
            cls,
            name,
            _field_node(
                getattr(model, name), cls.model_fields[name].annotation, (*path, name), fills
            ),
        )
        for name in cls.model_fields
    )


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, list | tuple | dict) and not value)


def _below(fills: Fills | None, path: FieldPath) -> list[FilledNode]:
    if not fills:
        return []
    depth = len(path)
    return [f for p, f in fills.items() if len(p) > depth and p[:depth] == path]


def _field_node(value: Any, annotation: Any, path: FieldPath, fills: Fills | None) -> Node:
    """The node of one field, with the report's figures where an automated field is empty."""
    fill = fills.get(path) if fills else None
    if fill is not None:
        if _empty(value):
            return fill
        # Written by hand: the document's value wins over the report.
        return replace(fill, human=value_node(value, fills, path))
    below = _below(fills, path)
    if not below:
        return value_node(value, fills, path)
    if value is None:
        cls = _model_class(annotation)
        if cls is None:
            return MissingNode()
        # The parent is absent but the report fills some of its automated
        # fields: show the parent's fields, the human ones as visible gaps.
        return MappingNode(
            entries=tuple(
                _view(
                    cls,
                    name,
                    _field_node(None, cls.model_fields[name].annotation, (*path, name), fills),
                )
                for name in cls.model_fields
            )
        )
    if _is_not_applicable(value):
        sources = tuple(dict.fromkeys(s for f in below for s in f.sources))
        return FilledNode(sources=sources, body=MissingNode(), human=value_node(value))
    return value_node(value, fills, path)


def _model_class(annotation: Any) -> type[BaseModel] | None:
    """The one document model inside an annotation such as ``OrNA[Fairness] | None``."""
    found: list[type[BaseModel]] = []

    def walk(a: Any) -> None:
        if isinstance(a, type) and issubclass(a, BaseModel):
            if set(a.model_fields) != {"not_applicable"} and a not in found:
                found.append(a)
            return
        origin = typing.get_origin(a)
        if origin is typing.Annotated:
            walk(typing.get_args(a)[0])
        elif origin in (typing.Union, types.UnionType):
            for arg in typing.get_args(a):
                walk(arg)

    walk(annotation)
    return found[0] if len(found) == 1 else None


def _table(items: Sequence[BaseModel]) -> TableNode:
    cls = type(items[0])
    names = list(cls.model_fields)
    rows = tuple(tuple(_cell(getattr(item, n)) for n in names) for item in items)
    return TableNode(columns=tuple(humanize(n) for n in names), rows=rows)


def value_node(value: Any, fills: Fills | None = None, path: FieldPath = ()) -> Node:
    """The display tree of any value found in a document.

    ``fills`` and ``path`` carry the report's figures for automated fields
    nested in ``value`` (see :func:`describe_model`).
    """
    if value is None:
        return MissingNode()
    if _is_not_applicable(value):
        return NotApplicableNode(reason=str(value.not_applicable))
    if isinstance(value, BaseModel):
        return MappingNode(entries=describe_model(value, fills, path))
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
        flat = same_type and _flat_model(items[0]) and all(_flat_model(i) for i in items)
        if flat and not _below(fills, path):
            return _table(items)
        return ListNode(items=tuple(value_node(v, fills, (*path, i)) for i, v in enumerate(items)))
    return TextNode(text=format_scalar(value))


def filled_paths(fields: Sequence[FieldView]) -> tuple[str, ...]:
    """Dotted paths (``missing_data.rates``, ``subpopulations[0].distribution``) of the
    fields shown with the report's figures, in document order; hand-written ones excluded."""
    found: list[str] = []

    def walk(node: Node, where: str) -> None:
        if isinstance(node, FilledNode):
            if node.human is None and not isinstance(node.body, MissingNode):
                found.append(where)
        elif isinstance(node, MappingNode):
            for entry in node.entries:
                walk(entry.node, f"{where}.{entry.name}" if where else entry.name)
        elif isinstance(node, ListNode):
            for i, item in enumerate(node.items):
                walk(item, f"{where}[{i}]")

    for f in fields:
        walk(f.node, f.name)
    return tuple(found)


# --- gaps without noise -----------------------------------------------------------------


@dataclass(frozen=True)
class Gap:
    """An optional field left empty: one row of its document's "Not provided" table.

    ``path`` is dotted from the document's root (``architecture.n_params``,
    ``factors[1].rationale``); ``asked_by`` names the standard items that ask
    for the field (filled in by the context, from the crosswalk).
    """

    path: str
    title: str
    description: str
    empty_list: bool = False
    asked_by: tuple[str, ...] = ()


def _gather(view: FieldView, where: str, gaps: list[Gap]) -> FieldView | None:
    """``view`` without its optional gaps (None when it is one), appending them to ``gaps``."""
    node = view.node
    if view.optional_gap:
        empty_list = isinstance(node, MissingNode) and node.empty_list
        gaps.append(Gap(where, view.title, view.description, empty_list))
        return None
    if isinstance(node, MappingNode):
        found: list[Gap] = []
        kept = [
            e
            for e in (_gather(entry, f"{where}.{entry.name}", found) for entry in node.entries)
            if e is not None
        ]
        if not kept:  # a value whose every part is empty: shown whole, where it is
            return view
        gaps.extend(found)
        return replace(view, node=MappingNode(entries=tuple(kept)))
    if isinstance(node, ListNode):
        items: list[Node] = []
        for i, item in enumerate(node.items):
            if isinstance(item, MappingNode):
                holder = FieldView(name=str(i), title="", description="", node=item)
                pruned = _gather(holder, f"{where}[{i}]", gaps)
                items.append(pruned.node if pruned is not None else item)
            else:
                items.append(item)
        return replace(view, node=ListNode(items=tuple(items)))
    return view


def gather_gaps(
    fields: Sequence[FieldView], prefix: str = ""
) -> tuple[tuple[FieldView, ...], tuple[Gap, ...]]:
    """Split optional empty fields (at any depth) from the rest, keeping the order of both.

    A reviewer reads the filled fields without a "Not provided" line between
    each, and every gap is still listed once, in one table per document.
    Required and conditional fields stay where they are even when empty:
    those gaps matter to the decision and are shown in place. Figures filled
    from the report are never split up.
    """
    gaps: list[Gap] = []
    kept = []
    for f in fields:
        view = _gather(f, f"{prefix}{f.name}", gaps)
        if view is not None:
            kept.append(view)
    return tuple(kept), tuple(gaps)
