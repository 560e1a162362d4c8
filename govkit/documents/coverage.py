"""Standards coverage: which standard items a set of documents answers.

The crosswalk (``crosswalk.yaml`` next to this module) maps each of the 284
standard items to the document fields that cover it. An item is *covered*
when any of its fields is filled in the documents given (an explicit
``not_applicable`` counts: the question was answered), *missing* otherwise,
and *out of scope* when the crosswalk says govkit does not address it.
"""

from __future__ import annotations

import typing
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, Field

from govkit.documents.base import DocumentBase
from govkit.documents.fields import NotApplicable, is_filled
from govkit.documents.kinds import KINDS
from govkit.strict import FrozenModel

__all__ = [
    "CROSSWALK_PATH",
    "CoverageItem",
    "CoverageReport",
    "Crosswalk",
    "StandardTotals",
    "compute_coverage",
    "field_exists",
    "load_crosswalk",
]

CROSSWALK_PATH = Path(__file__).with_name("crosswalk.yaml")

Status = Literal["covered", "missing", "out_of_scope"]


class CrosswalkItem(FrozenModel):
    """One standard item and the fields that cover it."""

    id: str
    label: str
    fields: list[str] = Field(default_factory=list)
    contains: str | None = None
    out_of_scope: str | None = None


class CrosswalkStandard(FrozenModel):
    """A standard and its items."""

    id: str
    name: str
    items: list[CrosswalkItem]


class Crosswalk(FrozenModel):
    """The whole crosswalk file."""

    crosswalk_version: Literal[1]
    standards: list[CrosswalkStandard]

    @property
    def n_items(self) -> int:
        return sum(len(s.items) for s in self.standards)


@cache
def load_crosswalk() -> Crosswalk:
    """The crosswalk shipped with govkit (parsed once)."""
    with CROSSWALK_PATH.open(encoding="utf-8") as fh:
        return Crosswalk.model_validate(yaml.safe_load(fh))


@dataclass(frozen=True)
class CoverageItem:
    """The coverage of one standard item."""

    standard: str
    standard_name: str
    item_id: str
    label: str
    status: Status
    fields: tuple[str, ...]
    covered_by: tuple[str, ...] = ()
    note: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "standard": self.standard,
            "standard_name": self.standard_name,
            "item_id": self.item_id,
            "label": self.label,
            "status": self.status,
            "fields": list(self.fields),
            "covered_by": list(self.covered_by),
            "note": self.note,
        }


@dataclass(frozen=True)
class StandardTotals:
    """Counts per status for one standard."""

    standard: str
    name: str
    covered: int
    missing: int
    out_of_scope: int

    @property
    def total(self) -> int:
        return self.covered + self.missing + self.out_of_scope

    def as_dict(self) -> dict[str, Any]:
        return {
            "standard": self.standard,
            "name": self.name,
            "covered": self.covered,
            "missing": self.missing,
            "out_of_scope": self.out_of_scope,
            "total": self.total,
        }


@dataclass(frozen=True)
class CoverageReport:
    """Coverage of every crosswalk item by a set of documents."""

    items: list[CoverageItem]
    documents: list[str] = field(default_factory=list)

    @property
    def totals(self) -> list[StandardTotals]:
        """Counts per standard, in crosswalk order."""
        order: dict[str, StandardTotals] = {}
        for item in self.items:
            t = order.get(item.standard) or StandardTotals(
                item.standard, item.standard_name, 0, 0, 0
            )
            order[item.standard] = StandardTotals(
                t.standard, t.name,
                t.covered + (item.status == "covered"),
                t.missing + (item.status == "missing"),
                t.out_of_scope + (item.status == "out_of_scope"),
            )  # fmt: skip
        return list(order.values())

    def count(self, status: Status) -> int:
        """Number of items with ``status``."""
        return sum(item.status == status for item in self.items)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready form: items, totals per standard and overall."""
        return {
            "documents": list(self.documents),
            "items": [i.as_dict() for i in self.items],
            "totals": [t.as_dict() for t in self.totals],
            "overall": {s: self.count(s) for s in ("covered", "missing", "out_of_scope")}
            | {"total": len(self.items)},
        }

    def format_text(self) -> str:
        """The matrix as plain text: one line per item, totals per standard."""
        marks = {
            "covered": "covered     ",
            "missing": "MISSING     ",
            "out_of_scope": "out of scope",
        }
        lines: list[str] = []
        totals = {t.standard: t for t in self.totals}
        current = None
        for item in self.items:
            if item.standard != current:
                if current is not None:
                    lines.append(_total_line(totals[current]))
                    lines.append("")
                current = item.standard
                lines.append(f"== {item.standard_name}")
            detail = (
                ", ".join(item.covered_by)
                if item.covered_by
                else (item.note or ", ".join(item.fields))
            )
            lines.append(f"  {marks[item.status]}  {item.item_id}: {item.label}  [{detail}]")
        if current is not None:
            lines.append(_total_line(totals[current]))
        lines.append("")
        lines.append(
            f"overall: {self.count('covered')} covered, {self.count('missing')} missing, "
            f"{self.count('out_of_scope')} out of scope, {len(self.items)} items"
        )
        return "\n".join(lines)


def _total_line(t: StandardTotals) -> str:
    return (
        f"   total: {t.covered}/{t.total} covered, {t.missing} missing, "
        f"{t.out_of_scope} out of scope"
    )


def _parse_ref(ref: str) -> tuple[str, list[tuple[str, bool]]]:
    kind, _, path = ref.partition(":")
    parts: list[tuple[str, bool]] = []
    for segment in path.split(".") if path else []:
        parts.append((segment.removesuffix("[]"), segment.endswith("[]")))
    return kind, parts


def _values(value: Any, parts: list[tuple[str, bool]]) -> Iterator[Any]:
    """Values at ``parts`` below ``value``; an N/A on the way is itself the answer."""
    if not parts:
        yield value
        return
    if isinstance(value, NotApplicable):
        yield value
        return
    if not isinstance(value, BaseModel):
        return
    name, each = parts[0]
    child = getattr(value, name, None)
    if each and isinstance(child, list):
        for element in child:
            yield from _values(element, parts[1:])
    elif each and isinstance(child, NotApplicable):
        yield child
    elif not each:
        yield from _values(child, parts[1:])


def _matches(value: Any, contains: str | None) -> bool:
    if contains is None:
        return is_filled(value)
    if isinstance(value, list):
        return contains in value
    return bool(value == contains)


def _covered(ref: str, contains: str | None, docs: Sequence[DocumentBase]) -> bool:
    kind, parts = _parse_ref(ref)
    for doc in docs:
        if kind not in ("*", doc.kind):
            continue
        if any(_matches(v, contains) for v in _values(doc, parts)):
            return True
    return False


def _filled_by_report(ref: str, contains: str | None, filled: frozenset[str]) -> bool:
    """A field the check report fills counts as covered (not when a keyword is required)."""
    if contains is not None:
        return False
    return any(f == ref or f.startswith(ref + ".") or ref.startswith(f + ".") for f in filled)


def compute_coverage(documents: Iterable[Any], *, filled: Iterable[str] = ()) -> CoverageReport:
    """Which standard items the documents cover.

    Parameters
    ----------
    documents
        Document models (:class:`DocumentBase`), or loaded documents (anything
        with a ``.model`` attribute holding one).
    filled
        Automated fields a check report fills, as ``kind:dotted.path`` refs
        (the packet passes them); such a field covers its items too, and is
        named with `` (report)`` in ``covered_by``.

    Returns
    -------
    CoverageReport
        One :class:`CoverageItem` per crosswalk item (284), in crosswalk order,
        with totals per standard (``.totals``) and ``.as_dict()`` for JSON.

    Examples
    --------
    >>> report = compute_coverage([])
    >>> report.count("out_of_scope")
    2
    """
    models = [d if isinstance(d, DocumentBase) else d.model for d in documents]
    from_report = frozenset(filled)
    items: list[CoverageItem] = []
    for standard in load_crosswalk().standards:
        for entry in standard.items:
            if entry.out_of_scope:
                status: Status = "out_of_scope"
                covered_by: tuple[str, ...] = ()
            else:
                covered_by = tuple(
                    r for r in entry.fields if _covered(r, entry.contains, models)
                ) + tuple(
                    f"{r} (report)"
                    for r in entry.fields
                    if not _covered(r, entry.contains, models)
                    and _filled_by_report(r, entry.contains, from_report)
                )
                status = "covered" if covered_by else "missing"
            items.append(CoverageItem(
                standard=standard.id, standard_name=standard.name, item_id=entry.id,
                label=entry.label, status=status, fields=tuple(entry.fields),
                covered_by=covered_by, note=entry.out_of_scope,
            ))  # fmt: skip
    return CoverageReport(items=items, documents=[m.meta.doc_id for m in models])


def _submodels(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    out: list[type[BaseModel]] = []
    for arg in typing.get_args(annotation):
        out += _submodels(arg)
    return out


def field_exists(ref: str) -> bool:
    """Whether a crosswalk field reference names a real document field."""
    kind, parts = _parse_ref(ref)
    models: list[type[BaseModel]] = (
        list(KINDS.values()) if kind == "*" else ([KINDS[kind]] if kind in KINDS else [])
    )
    if not models:
        return False
    for name, _each in parts:
        nxt: list[type[BaseModel]] = []
        found = False
        for model in models:
            info = model.model_fields.get(name)
            if info is None:
                continue
            found = True
            nxt += [m for m in _submodels(info.annotation) if m is not NotApplicable]
        if not found:
            return False
        models = nxt
    return True
