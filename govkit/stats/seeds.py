"""The seed-level figure: a mean over training seeds, and an interval for rows and seeds.

A model trained with K seeds is a sample from the distribution of models the
training recipe produces. Its figure is the mean over the seeds; its
uncertainty has two sources: which rows were evaluated, and which seeds were
drawn. The interval comes from a two-level bootstrap:

1. resample the K seeds with replacement (the between-seed level);
2. resample the rows (the within-seed level). Every seed is evaluated on the
   same rows, so one row resample moves all of them together: the row level is
   one shared draw per replicate, from each seed's own rows-only sampling
   distribution (normal, with the spread its rows-only interval implies). Shared
   draws are the conservative choice: errors on the same rows are positively
   correlated across seeds, and independent draws would cancel in the mean.

With few seeds a percentile bootstrap over seeds is too narrow (it treats the
K observed seeds as the whole population and uses a normal tail). The
seed level of each replicate (its resampled seeds' mean minus the mean) is
therefore widened by ``t(K-1) / z * sqrt(K / (K-1))``, the small-sample
correction of a mean's interval, so that the coverage holds with five seeds;
the row level is not, as it rests on the many rows (see the simulation tests).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from govkit.stats.bootstrap import percentile_interval

__all__ = ["SeedFigure", "seed_figure"]


@dataclass(frozen=True)
class SeedFigure:
    """The mean over seeds, its SD across seeds and its two-level interval."""

    mean: float
    sd: float
    ci: tuple[float, float] | None


def _widening(k: int, confidence: float) -> float:
    """How much a K-seed bootstrap's spread is widened to a small-sample interval."""
    from scipy import stats as st  # here: importing scipy.stats costs every run a second

    upper = 0.5 + confidence / 2.0
    return float(st.t.ppf(upper, k - 1) / st.norm.ppf(upper) * np.sqrt(k / (k - 1)))


def seed_figure(
    values: np.ndarray,
    row_cis: list[tuple[float, float] | None],
    *,
    confidence: float = 0.95,
    n_boot: int = 2000,
    seed: int = 0,
) -> SeedFigure:
    """The seed-level figure of per-seed ``values`` with their rows-only intervals.

    Parameters
    ----------
    values
        ``(K,)`` each seed's figure, K >= 2, all finite.
    row_cis
        Each seed's rows-only interval at ``confidence``; None where a seed has
        none (its row level is then taken as exact).
    confidence, n_boot, seed
        Two-sided level, bootstrap replicates, seed.

    Examples
    --------
    >>> f = seed_figure(np.array([0.80, 0.82, 0.84]), [(0.78, 0.82), (0.80, 0.84), (0.82, 0.86)])
    >>> round(f.mean, 3), round(f.sd, 3), f.ci[0] < 0.80 < 0.84 < f.ci[1]
    (0.82, 0.02, True)
    """
    v = np.asarray(values, dtype=np.float64)
    k = int(v.shape[0])
    if k < 2 or not np.all(np.isfinite(v)):
        raise ValueError(f"a seed-level figure needs at least 2 finite seed figures, got {v}")
    from scipy import stats as st

    z = float(st.norm.ppf(0.5 + confidence / 2.0))
    se = np.array([0.0 if ci is None else (ci[1] - ci[0]) / (2.0 * z) for ci in row_cis])
    rng = np.random.default_rng(seed)
    drawn = rng.integers(0, k, size=(n_boot, k))
    shared = rng.standard_normal(n_boot)[:, None]
    mean = float(v.mean())
    # the seed level, widened for few seeds; the row level as drawn
    between = _widening(k, confidence) * (v[drawn].mean(axis=1) - mean)
    within = shared[:, 0] * se[drawn].mean(axis=1)
    low, high = percentile_interval(mean + between + within, confidence)
    return SeedFigure(mean=mean, sd=float(v.std(ddof=1)), ci=(float(low), float(high)))
