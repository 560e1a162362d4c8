"""Intervals for the largest gap between groups, and the group-size rule behind them.

A fairness difference is the largest gap between any two groups' rates. Its
point estimate (largest minus smallest observed rate) is biased upward when
the true gap is small: the range of K noisy rates is positive even when every
true rate is the same. A percentile bootstrap of that range inherits the bias
and, for a fair model, never covers 0 (every replicate of a range is above 0).

Here every pairwise gap gets a band from one bootstrap at once (a max-t, or
studentised maximum, bootstrap: the ``confidence`` quantile of the largest
standardised deviation over all pairs), so that with probability
``confidence`` every true pairwise gap lies within its band simultaneously
(Cherian and Candès, arXiv 2305.03712, use such simultaneous bounds to audit
many groups). The largest true gap then lies between the largest lower end
(or 0) and the largest upper end: an interval that holds 0 for a fair model
and whose lower end exceeds a bound only when some pair is shown to differ
by more.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from govkit.stats.rates import wilson_interval

_MAX_CELLS = 1 << 22  # replicate pairwise gaps held at once: 4M float64 = 32 MB

__all__ = [
    "GapInterval",
    "pairwise_gap_interval",
    "pairwise_gap_intervals",
    "worst_case_half_width",
]


@dataclass(frozen=True)
class GapInterval:
    """Simultaneous interval of the largest gap between groups."""

    low: float
    high: float
    #: the max-t critical value (1.96 for two groups at 95%)
    critical: float


def worst_case_half_width(n: np.ndarray | float, confidence: float = 0.95) -> np.ndarray:
    """Half-width of the Wilson interval of a rate of 1/2 on ``n`` rows: the widest it can be.

    Examples
    --------
    >>> round(float(worst_case_half_width(196)), 4)
    0.0693
    """
    m = np.asarray(n, dtype=np.float64)
    low, high = wilson_interval(m / 2.0, m, confidence)
    return (high - low) / 2.0


def pairwise_gap_interval(
    point: np.ndarray, replicates: np.ndarray, confidence: float = 0.95, *, log: bool = False
) -> GapInterval | None:
    """Interval of ``max |f(r_i) - f(r_j)|`` over pairs of groups, simultaneous over pairs.

    Parameters
    ----------
    point
        ``(K,)`` rates of the K >= 2 groups compared.
    replicates
        ``(B, K)`` bootstrap replicates of those rates.
    confidence
        Simultaneous coverage of all pairwise bands.
    log
        Compare ``log`` rates (for ratios: the smallest ratio is
        ``exp(-high) .. exp(-low)``).

    Returns
    -------
    GapInterval or None
        None when a log gap is undefined (a rate of 0 in the data or a
        replicate) or there are fewer than two groups.
    """
    return pairwise_gap_intervals([(point, replicates)], confidence, log=log)[0]


def pairwise_gap_intervals(
    blocks: list[tuple[np.ndarray, np.ndarray]], confidence: float = 0.95, *, log: bool = False
) -> list[GapInterval | None]:
    """:func:`pairwise_gap_interval` of several rates, simultaneous over all of their pairs.

    Equalized odds compares two rates; its largest gap is the larger of theirs,
    so the bands of both rates must hold at once for its interval to cover.

    Parameters
    ----------
    blocks
        Per rate, ``(point, replicates)`` as in :func:`pairwise_gap_interval`;
        the replicates of every block come from the same bootstrap draws.
    confidence, log
        As in :func:`pairwise_gap_interval`.

    Returns
    -------
    list
        One interval (or None) per block; one critical value for all.
    """
    usable: list[bool] = []
    prepared: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []  # replicates, i, j
    gaps: list[np.ndarray] = []
    for point, replicates in blocks:
        point = np.asarray(point, dtype=np.float64)
        replicates = np.asarray(replicates, dtype=np.float64)
        ok = point.shape[0] >= 2 and replicates.shape[0] >= 2
        if ok and log:
            ok = bool((point > 0).all() and (replicates > 0).all())
            if ok:
                point, replicates = np.log(point), np.log(replicates)
        usable.append(ok)
        if ok:
            i, j = np.triu_indices(point.shape[0], 1)
            gaps.append(point[i] - point[j])
            prepared.append((replicates, i, j))
    if not gaps:
        return [None] * len(blocks)
    gap = np.concatenate(gaps)
    n_boot = prepared[0][0].shape[0]
    # pairs grow with the square of the groups: replicates go in chunks of bounded size
    step = max(1, _MAX_CELLS // gap.size)

    def deviations(start: int) -> np.ndarray:
        """(chunk, pairs) replicate pairwise gaps minus the observed ones."""
        stop = min(start + step, n_boot)
        parts = [r[start:stop, i] - r[start:stop, j] for r, i, j in prepared]
        return np.concatenate(parts, axis=1) - gap

    total = np.zeros(gap.size)
    squares = np.zeros(gap.size)
    for start in range(0, n_boot, step):
        dev = deviations(start)
        total += dev.sum(axis=0)
        squares += (dev * dev).sum(axis=0)
    variance = (squares - total * total / n_boot) / (n_boot - 1)
    se = np.sqrt(np.maximum(variance, 0.0))
    largest = []
    for start in range(0, n_boot, step):
        dev = deviations(start)
        with np.errstate(invalid="ignore", divide="ignore"):
            # a pair whose gap never varies (both rates stuck at 0 or 1) has a band of width 0
            t = np.where(se > 0, np.abs(dev) / np.where(se > 0, se, 1.0), 0.0)
        largest.append(t.max(axis=1))
    critical = float(np.quantile(np.concatenate(largest), confidence))
    size = np.abs(gap)
    out: list[GapInterval | None] = []
    start = 0
    for ok, block in zip(usable, blocks, strict=True):
        if not ok:
            out.append(None)
            continue
        k = np.asarray(block[0]).shape[0]
        stop = start + k * (k - 1) // 2
        low = float(max(0.0, (size[start:stop] - critical * se[start:stop]).max()))
        high = float((size[start:stop] + critical * se[start:stop]).max())
        out.append(GapInterval(low, high if log else min(high, 1.0), critical))
        start = stop
    return out
