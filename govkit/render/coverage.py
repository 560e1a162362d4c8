"""The standards coverage matrix of the packet, from the documents' crosswalk.

The views are frozen dataclasses like the rest of the template context
(:mod:`govkit.render.context` holds a :class:`CoverageView`); this module
needs nothing from that one, so the context imports the matrix, never the
other way round.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

#: the order statuses are listed in: what needs work first
_STATUS_ORDER = ("missing", "covered", "out_of_scope")

__all__ = [
    "CoverageGroup",
    "CoverageItemView",
    "CoverageStandard",
    "CoverageView",
    "coverage_view",
]


@dataclass(frozen=True)
class CoverageItemView:
    """One standard item: its id, what it asks for, and the fields that cover it."""

    item_id: str
    label: str
    covered_by: str


@dataclass(frozen=True)
class CoverageGroup:
    """The items of one standard with one status (covered, missing, out of scope)."""

    status: str
    items: tuple[CoverageItemView, ...]


@dataclass(frozen=True)
class CoverageStandard:
    """One standard: its name and its items, grouped by status."""

    name: str
    groups: tuple[CoverageGroup, ...]


@dataclass(frozen=True)
class CoverageView:
    """The standards coverage matrix: totals per standard, then every item by status.

    Items are grouped per standard and status rather than one table row each:
    a reviewer sees every missing item of a standard at once, and the PDF lays
    out a few paragraphs instead of ~300 table rows (about a second faster).
    """

    totals_columns: tuple[str, ...]
    totals: tuple[tuple[str, ...], ...]
    standards: tuple[CoverageStandard, ...]


def coverage_view(models: Sequence[object], filled: Sequence[str] = ()) -> CoverageView | None:
    """Totals per standard and one row per standard item; None without documents.

    ``filled`` names the automated fields the check report fills
    (``kind:dotted.path``): the packet shows them filled, so they count.
    """
    if not models:
        return None
    from govkit.documents.coverage import compute_coverage

    report = compute_coverage(models, filled=filled)
    totals = tuple(
        (t.name, str(t.covered), str(t.missing), str(t.out_of_scope), str(t.total))
        for t in report.totals
    )
    names: dict[str, str] = {}
    by_standard: dict[str, dict[str, list[CoverageItemView]]] = {}
    for item in report.items:
        names.setdefault(item.standard, item.standard_name)
        view = CoverageItemView(
            item_id=item.item_id,
            label=item.label,
            covered_by=", ".join(item.covered_by) or (item.note or ""),
        )
        by_standard.setdefault(item.standard, {}).setdefault(item.status, []).append(view)
    standards = tuple(
        CoverageStandard(
            name=names[key],
            groups=tuple(
                CoverageGroup(status=status.replace("_", " "), items=tuple(groups[status]))
                for status in _STATUS_ORDER
                if groups.get(status)
            ),
        )
        for key, groups in by_standard.items()
    )
    return CoverageView(
        totals_columns=("Standard", "Covered", "Missing", "Out of scope", "Items"),
        totals=totals,
        standards=standards,
    )
