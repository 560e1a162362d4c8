"""One measurement per group of a layer: the shape every group-wise figure takes."""

from __future__ import annotations

import numpy as np

from govkit.report import Measurement
from govkit.stats.intervals import pick_ci, to_value
from govkit.stats.layers import Layer

__all__ = ["per_group"]


def per_group(
    name: str,
    layer: Layer,
    value: np.ndarray,
    bounds: np.ndarray | None,
    n: np.ndarray,
    *,
    model: str | None = None,
    vs: str | None = None,
) -> list[Measurement]:
    """``name``'s figure for each group of ``layer``, with its interval and sample size.

    ``bounds`` is ``(2, groups)`` or None when no interval was computed; an
    undefined (NaN) end gives no interval. ``model`` and ``vs`` say whose figure
    it is, as in :class:`govkit.report.Measurement`.
    """
    return [
        Measurement(
            name=name,
            group=layer.label(g),
            value=to_value(value[g]),
            ci=pick_ci(bounds, g),
            n=int(n[g]),
            model=model,
            vs=vs,
        )
        for g in range(layer.n_groups)
    ]
