"""Seeded, vectorised bootstrap intervals.

The Poisson bootstrap gives each row a Poisson(1) weight per replicate
instead of resampling indices: replicates are independent of one another, so
they can be generated in chunks (bounded memory, streamable) and every
statistic becomes a weighted one computed with matrix products — no Python
loop over rows or replicates. The chunking depends only on the data size, so
the same seed gives the same numbers bit for bit.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = ["bootstrap_rows", "percentile_interval", "poisson_counts"]

_MAX_CELLS = 1 << 24  # weights generated at once: 16M float32 = 64 MB


def bootstrap_rows(
    statistic: Callable[[np.ndarray], np.ndarray],
    n_rows: int,
    *,
    n_boot: int,
    seed: int,
    counts: np.ndarray | None = None,
) -> np.ndarray:
    """Replicates of a weighted statistic under a Poisson row bootstrap.

    Parameters
    ----------
    statistic
        Maps a (B, n_rows) float64 weight matrix to (B,) or (B, K) replicates.
    n_rows, n_boot, seed
        Data size, number of replicates, seed.
    counts
        Rows each entry stands for (cells of equal rows). An entry of count
        ``c`` gets a Poisson(c) weight, the sum of its rows' Poisson(1)
        weights: the same distribution as resampling those rows one by one.
        None: one row each.

    Returns
    -------
    numpy.ndarray
        (n_boot,) or (n_boot, K) replicates.
    """
    rng = np.random.default_rng(seed)
    per_chunk = max(1, min(n_boot, _MAX_CELLS // max(n_rows, 1)))
    out = []
    for start in range(0, n_boot, per_chunk):
        b = min(per_chunk, n_boot - start)
        lam = 1.0 if counts is None else np.asarray(counts, dtype=np.float64)
        weights = rng.poisson(lam, size=(b, n_rows)).astype(np.float64)
        out.append(np.asarray(statistic(weights)))
    return np.concatenate(out, axis=0)


def poisson_counts(counts: np.ndarray, *, n_boot: int, seed: int) -> np.ndarray:
    """Bootstrap replicates of cell counts: (n_boot, *counts.shape).

    Summing N Poisson(1) row weights gives a Poisson(N) count, so a statistic
    that depends only on per-cell counts (every confusion-matrix rate) can be
    bootstrapped from the counts alone, in time independent of the rows.
    """
    rng = np.random.default_rng(seed)
    return rng.poisson(
        np.asarray(counts, dtype=np.float64), size=(n_boot, *np.shape(counts))
    ).astype(np.float64)


def percentile_interval(replicates: np.ndarray, confidence: float = 0.95) -> np.ndarray:
    """Percentile interval along axis 0, ignoring NaN replicates: (2, ...) low/high."""
    alpha = (1.0 - confidence) / 2.0
    with np.errstate(all="ignore"):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return np.nanpercentile(replicates, [100 * alpha, 100 * (1 - alpha)], axis=0)
