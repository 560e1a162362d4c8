"""Debiased calibration error from per-bin sums, for many groups and replicates at once.

The plug-in expected calibration error ``sum_b (n_b / n) |observed_b -
predicted_b|`` is biased upwards: even for a perfectly calibrated model each
bin's observed rate is noisy, and the absolute value turns that noise into
error. On 200 rows and ten bins it averages about 0.07 for a model whose true
error is 0, so a 0.05 bound fails calibrated models.

govkit reports the debiased estimator of Kumar, Liang and Ma (2019,
"Verified Uncertainty Calibration", section 5): the squared (l2) calibration
error, with each bin's sampling variance subtracted,

    CE^2 = sum_b (n_b / n) [ (observed_b - predicted_b)^2
                             - observed_b (1 - observed_b) / (n_b - 1) ],

which is unbiased for the binned squared error; its square root, truncated
at 0, is the figure reported as ``ece``. Bins with fewer than two rows carry
no variance estimate and contribute 0 (their rows still count in ``n``). The
l2 error is never below the l1 error, so a bound met by the true l2 error is
met by the true ECE as well.

A bootstrap replicate of this estimator is unbiased for the *sample's*
plug-in error, not for the population's, so its percentile interval would sit
too high. :func:`shifted_interval` moves the replicates by their bootstrap
bias before taking percentiles (a bias-corrected percentile interval on the
squared scale).
"""

from __future__ import annotations

import numpy as np

from govkit.stats.bootstrap import percentile_interval

__all__ = ["calibration_error", "debiased_squared_error", "shifted_interval"]


def debiased_squared_error(
    count: np.ndarray, sum_predicted: np.ndarray, sum_observed: np.ndarray
) -> np.ndarray:
    """Kumar et al.'s debiased squared calibration error from per-bin sums (last axis).

    Parameters
    ----------
    count, sum_predicted, sum_observed
        Per-bin (weighted) row counts, sums of predicted probabilities and
        sums of observed outcomes, bins along the last axis.

    Returns
    -------
    numpy.ndarray
        The estimate, which may be negative (noise around a true error of 0);
        NaN where the total count is 0.
    """
    c = np.asarray(count, dtype=np.float64)
    total = c.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        observed = np.asarray(sum_observed, dtype=np.float64) / c
        predicted = np.asarray(sum_predicted, dtype=np.float64) / c
        term = (observed - predicted) ** 2 - observed * (1.0 - observed) / (c - 1.0)
        term = np.where(c >= 2.0, term, 0.0)
        return np.divide(
            (c * term).sum(axis=-1), total, out=np.full(np.shape(total), np.nan), where=total > 0
        )


def calibration_error(squared: np.ndarray) -> np.ndarray:
    """The reported figure: the square root of the debiased squared error, truncated at 0."""
    s = np.asarray(squared, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        return np.where(np.isnan(s), np.nan, np.sqrt(np.maximum(s, 0.0)))


def shifted_interval(replicates: np.ndarray, point: np.ndarray, confidence: float) -> np.ndarray:
    """Bias-corrected percentile interval of the calibration error.

    Parameters
    ----------
    replicates
        (B, ...) bootstrap replicates of :func:`debiased_squared_error`.
    point
        (...) the estimate on the sample itself, same scale.
    confidence
        Two-sided level.

    Returns
    -------
    numpy.ndarray
        (2, ...) bounds on the scale of :func:`calibration_error`.
    """
    reps = np.asarray(replicates, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        finite = np.isfinite(reps)
        counted = finite.sum(axis=0)
        mean = np.where(counted > 0, np.where(finite, reps, 0.0).sum(axis=0), np.nan) / np.maximum(
            counted, 1
        )
    bias = mean - np.asarray(point, dtype=np.float64)
    bounds = percentile_interval(reps, confidence) - bias
    return calibration_error(bounds)
