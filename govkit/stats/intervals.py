"""From bootstrap replicates to report.json numbers: finite floats or null."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from govkit.stats.bootstrap import percentile_interval

__all__ = ["interval_bounds", "pick_ci", "to_value"]


def interval_bounds(replicates: np.ndarray | None, confidence: float) -> np.ndarray | None:
    """Percentile bounds ``(2, ...)`` of replicates along axis 0; None without replicates."""
    if replicates is None or replicates.shape[0] == 0:
        return None
    return percentile_interval(replicates, confidence)


def pick_ci(bounds: np.ndarray | None, index: Any = ()) -> tuple[float, float] | None:
    """The interval at ``index`` of :func:`interval_bounds`' result; None when undefined."""
    if bounds is None:
        return None
    low, high = float(bounds[0][index]), float(bounds[1][index])
    if math.isnan(low) or math.isnan(high):
        return None
    return (low, high)


def to_value(x: Any) -> float | None:
    """A JSON-safe value: NaN (an undefined figure) becomes None."""
    v = float(x)
    return None if math.isnan(v) else v
