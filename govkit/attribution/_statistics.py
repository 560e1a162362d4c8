"""Global summaries of per-row attributions, with bootstrap intervals.

Every figure is a weighted statistic of the rows, so one Poisson bootstrap
(``govkit.stats.bootstrap.bootstrap_rows``) gives all its replicates as
matrix products: a (B, N) weight matrix times an (N, K) per-row matrix.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from govkit.stats.bootstrap import bootstrap_rows, percentile_interval

__all__ = [
    "Estimate",
    "mean_with_ci",
    "rank_correlation",
    "rank_correlation_mean",
    "row_rank_correlations",
    "share_with_ci",
]


@dataclass(frozen=True)
class Estimate:
    """Point estimates (K,) and their interval (2, K); NaN bounds when n_boot is 0."""

    value: np.ndarray
    ci: np.ndarray

    def interval(self, k: int = 0) -> tuple[float, float] | None:
        low, high = float(self.ci[0, k]), float(self.ci[1, k])
        if np.isnan(low) or np.isnan(high):
            return None
        return low, high


def _estimate(statistic: object, n: int, *, n_boot: int, seed: int, confidence: float) -> Estimate:
    stat = statistic  # (B, N) weights -> (B, K)
    point = np.asarray(stat(np.ones((1, n))))[0]  # type: ignore[operator]
    point = np.atleast_1d(point)
    if n_boot == 0 or n == 0:
        return Estimate(point, np.full((2, point.size), np.nan))
    reps = bootstrap_rows(stat, n, n_boot=n_boot, seed=seed)  # type: ignore[arg-type]
    reps = reps.reshape(n_boot, -1)
    return Estimate(point, percentile_interval(reps, confidence))


def mean_with_ci(
    values: np.ndarray, *, n_boot: int, seed: int, confidence: float = 0.95
) -> Estimate:
    """Column means of an (N, K) matrix with bootstrap intervals."""
    v = np.asarray(values, dtype=np.float64).reshape(values.shape[0], -1)

    def stat(w: np.ndarray) -> np.ndarray:
        return (w @ v) / w.sum(axis=1, keepdims=True)

    return _estimate(stat, v.shape[0], n_boot=n_boot, seed=seed, confidence=confidence)


def share_with_ci(
    magnitudes: np.ndarray, columns: list[int], *, n_boot: int, seed: int, confidence: float = 0.95
) -> Estimate:
    """Share of the total mean magnitude that falls on ``columns``: one figure."""
    m = np.asarray(magnitudes, dtype=np.float64)
    part = m[:, columns].sum(axis=1)
    total = m.sum(axis=1)

    def stat(w: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            return (w @ part) / (w @ total)

    return _estimate(stat, m.shape[0], n_boot=n_boot, seed=seed, confidence=confidence)


def _rank_rows(a: np.ndarray) -> np.ndarray:
    """Ranks (1-based, ties averaged) within each row of a 2-D array, without a row loop."""
    n, k = a.shape
    order = np.argsort(a, axis=1, kind="stable")
    ordered = np.take_along_axis(a, order, axis=1)
    starts = np.ones((n, k), dtype=bool)
    starts[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
    # a block of ties gets one id, unique across rows, and the mean of its positions
    block = np.cumsum(starts, axis=1) + (np.arange(n) * (k + 1))[:, None]
    positions = np.broadcast_to(np.arange(1, k + 1, dtype=np.float64), (n, k))
    sums = np.bincount(block.ravel(), weights=positions.ravel(), minlength=n * (k + 1))
    counts = np.bincount(block.ravel(), minlength=n * (k + 1))
    ranks = np.empty((n, k), dtype=np.float64)
    np.put_along_axis(ranks, order, (sums / np.maximum(counts, 1))[block], axis=1)
    return ranks


def _rows_spearman(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Spearman correlation of each row of ``a`` with the same row of ``b`` (NaN if constant)."""
    ra = _rank_rows(a)
    rb = _rank_rows(b)
    ra -= ra.mean(axis=1, keepdims=True)
    rb -= rb.mean(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(
            (ra * rb).sum(axis=1) / np.sqrt((ra * ra).sum(axis=1) * (rb * rb).sum(axis=1))
        )


def rank_correlation(
    first: np.ndarray, second: np.ndarray, *, n_boot: int, seed: int, confidence: float = 0.95
) -> Estimate:
    """Spearman correlation between the column means of two (N, K) matrices.

    Each bootstrap replicate re-weights the rows of both matrices together
    (they explain the same rows), recomputes both global rankings and
    correlates them.
    """
    a = np.asarray(first, dtype=np.float64)
    b = np.asarray(second, dtype=np.float64)

    def stat(w: np.ndarray) -> np.ndarray:
        total = w.sum(axis=1, keepdims=True)
        return _rows_spearman((w @ a) / total, (w @ b) / total)

    return _estimate(stat, a.shape[0], n_boot=n_boot, seed=seed, confidence=confidence)


def rank_correlation_mean(
    first: np.ndarray,
    others: list[np.ndarray],
    *,
    n_boot: int,
    seed: int,
    confidence: float = 0.95,
) -> Estimate:
    """Mean over ``others`` of the Spearman correlation of their column means with ``first``'s.

    The explanations of several randomised models of the same rows: each
    bootstrap replicate re-weights the rows of all of them together, so the
    interval holds the sampling error of the rows, not the spread between
    the random models (which is reported apart).
    """
    a = np.asarray(first, dtype=np.float64)
    bs = [np.asarray(b, dtype=np.float64) for b in others]

    def stat(w: np.ndarray) -> np.ndarray:
        total = w.sum(axis=1, keepdims=True)
        ref = (w @ a) / total
        rhos = np.stack([_rows_spearman(ref, (w @ b) / total) for b in bs], axis=1)
        return np.asarray(rhos.mean(axis=1))

    return _estimate(stat, a.shape[0], n_boot=n_boot, seed=seed, confidence=confidence)


def row_rank_correlations(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """(N,) Spearman correlation of each row's attributions in two explanations."""
    return _rows_spearman(np.asarray(first, dtype=np.float64), np.asarray(second, dtype=np.float64))
