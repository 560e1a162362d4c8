"""The standards coverage matrix of the packet, from the documents' crosswalk."""

from __future__ import annotations

from collections.abc import Sequence

from govkit.render.context import CoverageView

__all__ = ["coverage_view"]


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
    rows = tuple(
        (
            item.standard_name,
            item.item_id,
            item.label,
            item.status.replace("_", " "),
            ", ".join(item.covered_by) or (item.note or "—"),
        )
        for item in report.items
    )
    return CoverageView(
        totals_columns=("Standard", "Covered", "Missing", "Out of scope", "Items"),
        totals=totals,
        columns=("Standard", "Item", "Requirement", "Status", "Covered by"),
        rows=rows,
    )
