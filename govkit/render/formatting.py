"""How the packet prints figures: values, intervals and groups.

One place for number formatting, so a figure reads the same in the check
results, in a document field filled from the report, and in the tests that
look for it.
"""

from __future__ import annotations

import math

__all__ = ["format_count", "format_group", "format_interval", "format_value"]


def format_value(value: float | None) -> str:
    """A figure as the packet prints it (tests look for exactly this text)."""
    if value is None:
        return "—"
    if not math.isfinite(value):  # NaN or an infinity: no figure to show
        return "n/a"
    magnitude = abs(value)
    if magnitude == 0:
        return "0"
    if magnitude >= 1000:
        return f"{value:,.0f}"
    if magnitude >= 1:
        return f"{value:.3f}"
    if magnitude >= 0.001:
        return f"{value:.4f}"
    return f"{value:.2e}"


def format_interval(ci: tuple[float, float] | None) -> str:
    """``[low, high]`` with the bounds formatted like values; a dash when absent."""
    if ci is None:
        return "—"
    return f"[{format_value(ci[0])}, {format_value(ci[1])}]"


def format_group(group: dict[str, str] | None) -> str:
    """``sex=Female, race=White``; ``overall`` for the whole set."""
    if not group:
        return "overall"
    return ", ".join(f"{k}={v}" for k, v in group.items())


def format_count(n: int | None) -> str:
    """A row count with thousands separators; a dash when absent."""
    return "—" if n is None else f"{n:,}"
