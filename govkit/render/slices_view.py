"""The worst-slice table of a performance check, read from its ``details``.

A report may come from another version or be edited by hand, so each row is
read defensively: a row without a metric, a slice or a numeric value is left
out rather than failing the render.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from govkit.render.formatting import format_count, format_interval, format_value

__all__ = ["WorstSliceView", "worst_slice_views"]


@dataclass(frozen=True)
class WorstSliceView:
    """One metric's worst slice: its figure, the overall figure and the gap between them."""

    metric: str
    slice: str
    value: str
    interval: str
    n: str
    overall: str
    gap: str
    #: "higher" or "lower": which direction of the metric is better
    better: str
    #: slices too small to compare, which may hide a worse one
    too_small: int


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _interval(value: Any) -> tuple[float, float] | None:
    if isinstance(value, list | tuple) and len(value) == 2:
        lo, hi = _number(value[0]), _number(value[1])
        if lo is not None and hi is not None:
            return (lo, hi)
    return None


def worst_slice_views(details: dict[str, Any]) -> tuple[WorstSliceView, ...]:
    """The rows of ``details["worst_slices"]`` as the packet prints them."""
    rows = details.get("worst_slices")
    if not isinstance(rows, list):
        return ()
    views = []
    for row in rows:
        if not isinstance(row, dict):
            continue
        metric, where = row.get("metric"), row.get("slice")
        value, overall, gap = (_number(row.get(k)) for k in ("value", "overall", "gap"))
        if not isinstance(metric, str) or not isinstance(where, str) or value is None:
            continue
        n = row.get("n")
        too_small = row.get("too_small")
        views.append(
            WorstSliceView(
                metric=metric,
                slice=where,
                value=format_value(value),
                interval=format_interval(_interval(row.get("ci"))),
                n=format_count(n if isinstance(n, int) and not isinstance(n, bool) else None),
                overall=format_value(overall),
                gap=("—" if gap is None else f"{gap:+.4f}"),
                better="lower" if row.get("better") == "lower" else "higher",
                too_small=too_small if isinstance(too_small, int) else 0,
            )
        )
    return tuple(views)
