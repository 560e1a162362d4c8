"""Which eval rows to explain when there are too many.

Attribution costs ``n_steps`` forward and backward passes per row, so large
eval sets are explained on a seeded sample. The sample is stratified by label
and, where available, by sensitive group, with proportional allocation, so
that small groups keep their share instead of vanishing by chance.
"""

from __future__ import annotations

import numpy as np

__all__ = ["stratified_sample"]


def stratified_sample(strata: np.ndarray, size: int, *, seed: int) -> np.ndarray:
    """Sorted row indices of a proportional stratified sample.

    Parameters
    ----------
    strata
        (N,) int64 stratum code per row.
    size
        Rows wanted; all rows are returned when ``size >= N``.
    seed
        Seed of the draw.

    Returns
    -------
    numpy.ndarray
        int64 indices, sorted.
    """
    n = int(strata.shape[0])
    if size >= n:
        return np.arange(n, dtype=np.int64)
    _, codes, counts = np.unique(strata, return_inverse=True, return_counts=True)
    # largest-remainder allocation: exact total, every stratum gets its share
    exact = counts * (size / n)
    quota = np.floor(exact).astype(np.int64)
    short = size - int(quota.sum())
    if short > 0:
        order = np.argsort(-(exact - quota), kind="stable")
        quota[order[:short]] += 1
    rng = np.random.default_rng(seed)
    keys = rng.random(n)
    # rank of each row within its stratum by its random key, without a loop over strata
    order = np.lexsort((keys, codes))
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n) - starts[codes[order]]
    return np.flatnonzero(rank < quota[codes]).astype(np.int64)
