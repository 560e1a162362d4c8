"""Worst-slice reporting: for each performance figure, the slice furthest behind overall.

A slice figure is reported like a group's (``group: {"region": "EU"}``), so
thresholds and plan criteria judge it the same way. This module only
describes: it names, per metric, the worst slice among those large enough to
judge, and its gap to the overall figure, for the check's ``details`` and the
packet. Judging stays with the thresholds.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from govkit.report import Measurement
from govkit.stats.slices import Slicing

__all__ = ["LOWER_IS_BETTER", "slice_notes", "worst_slices"]

#: performance figures where a lower value is better; the others are better higher
LOWER_IS_BETTER = frozenset({"log_loss", "brier_score", "ece"})


def _where(group: dict[str, str]) -> str:
    return ", ".join(f"{k}={v}" for k, v in group.items())


def worst_slices(
    measurements: Sequence[Measurement], slices: Sequence[Slicing], min_group_size: int
) -> list[dict[str, object]]:
    """Per metric, the worst slice of the candidate and its gap to the overall figure.

    ``gap`` is the slice's value minus the overall value, so it is negative for
    a slice behind overall on a higher-is-better metric and positive on a
    lower-is-better one. Slices under ``min_group_size`` rows (the figure's own
    ``n``) or with no finite value are not candidates; ``too_small`` counts them,
    so a reviewer knows the worst slice may hide among them.
    """
    columns = {s.grouping.feature for s in slices}
    if not columns:
        return []
    own = [m for m in measurements if m.model is None and m.vs is None]
    overall = {m.name: m for m in own if m.group is None and m.feature is None}
    rows: list[dict[str, object]] = []
    for name, whole in overall.items():
        if whole.value is None or not math.isfinite(whole.value):
            continue
        figures = [
            m for m in own if m.name == name and m.group is not None and set(m.group) <= columns
        ]
        # (value, group, figure) of each slice large enough to compare
        judged = [
            (float(m.value), m.group, m)
            for m in figures
            if m.value is not None
            and math.isfinite(m.value)
            and m.group is not None
            and (m.n is None or m.n >= min_group_size)
        ]
        if not judged:
            continue
        lower = name in LOWER_IS_BETTER
        value, group, worst = (max if lower else min)(judged, key=lambda j: j[0])
        rows.append(
            {
                "metric": name,
                "overall": whole.value,
                "slice": _where(group),
                "group": dict(group),
                "value": value,
                "ci": list(worst.ci) if worst.ci is not None else None,
                "n": worst.n,
                "gap": value - whole.value,
                "better": "lower" if lower else "higher",
                "slices_compared": len(judged),
                "too_small": len(figures) - len(judged),
            }
        )
    return rows


def slice_notes(slices: Sequence[Slicing]) -> list[str]:
    """The warnings of cutting the slices (values outside the bins), for ``details.notes``."""
    return [w for s in slices for w in s.warnings]
