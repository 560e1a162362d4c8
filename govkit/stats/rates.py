"""Score intervals for rates: a share of events among rows.

A percentile bootstrap of a rate collapses to ``[0, 0]`` when no event was
seen, and a Wald interval does the same; both under-cover near 0 and 1
(Brown, Cai and DasGupta 2001). The Wilson score interval inverts the score
test instead: it is never empty of the truth for lack of events, it stays
inside ``[0, 1]``, and its coverage stays close to nominal for small ``n``.
Every rate govkit reports (per-group rates, flip rates, duplicate, missing
and personal-data shares) takes its interval from here.
"""

from __future__ import annotations

from statistics import NormalDist

import numpy as np

__all__ = ["wilson_interval"]


def wilson_interval(
    events: np.ndarray | float, n: np.ndarray | float, confidence: float = 0.95
) -> np.ndarray:
    """Wilson score interval of ``events / n``, element-wise.

    Parameters
    ----------
    events, n
        Counts of events and of rows (arrays broadcast together).
    confidence
        Two-sided coverage, e.g. 0.95.

    Returns
    -------
    numpy.ndarray
        Shape ``(2, ...)``: the low and high bounds; NaN where ``n`` is 0.

    Examples
    --------
    >>> wilson_interval(0, 100).round(4).tolist()
    [0.0, 0.037]
    """
    x = np.asarray(events, dtype=np.float64)
    m = np.asarray(n, dtype=np.float64)
    z = NormalDist().inv_cdf(0.5 + confidence / 2.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = x / m
        denom = 1.0 + z * z / m
        centre = (p + z * z / (2.0 * m)) / denom
        half = z * np.sqrt(p * (1.0 - p) / m + z * z / (4.0 * m * m)) / denom
        low = np.clip(centre - half, 0.0, 1.0)
        high = np.clip(centre + half, 0.0, 1.0)
    # the bounds are exact at the ends: no events means the low bound is 0
    low = np.where(x == 0, 0.0, low)
    high = np.where(x == m, 1.0, high)
    empty = m <= 0
    return np.stack([np.where(empty, np.nan, low), np.where(empty, np.nan, high)])
