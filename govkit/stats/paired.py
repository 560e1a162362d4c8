"""Paired comparisons: candidate minus baseline, resampling the same rows for both.

Both models are evaluated on the same rows, so their errors are correlated:
a hard row is hard for both. The interval of the difference must resample
the rows once and take both models' figures from the same resample; then
the shared error cancels and the interval is far narrower than one built
from the two models' separate intervals (which treat them as independent).

Two forms, matching the two bootstraps govkit uses:

- **row weights** (:func:`govkit.stats.bootstrap.bootstrap_rows`): a
  statistic of both models is computed from the same ``(B, n)`` weight
  matrix; the caller stacks the models in one statistic and subtracts with
  :func:`paired_interval`;
- **cell counts** (:func:`govkit.stats.bootstrap.poisson_counts`): for
  confusion-count figures the rows are cross-tabulated by true label,
  candidate's label and baseline's label (:func:`joint_counts`); resampling
  those joint cells is resampling rows for both models at once, in time
  independent of the number of rows, and :func:`split_joint` gives each
  model's confusion counts of every replicate.

The interval of a difference is the percentile interval of the paired
differences of the replicates.
"""

from __future__ import annotations

import numpy as np

from govkit.stats.bootstrap import percentile_interval

__all__ = ["joint_counts", "paired_interval", "split_joint"]


def joint_counts(
    codes: np.ndarray,
    n_groups: int,
    y_true: np.ndarray,
    pred_a: np.ndarray,
    pred_b: np.ndarray,
    n_classes: int = 2,
    weights: np.ndarray | None = None,
) -> np.ndarray:
    """Rows per group by true label, first model's label and second model's label.

    ``weights`` are the rows each entry stands for (None: one each).

    Returns
    -------
    numpy.ndarray
        ``(G, C, C, C)`` counts: ``[group, true, label_a, label_b]``.

    Examples
    --------
    >>> import numpy as np
    >>> j = joint_counts(np.zeros(3, int), 1, np.array([1, 0, 1]), np.array([1, 0, 0]),
    ...                  np.array([1, 1, 0]))
    >>> int(j[0, 1, 1, 1]), int(j[0, 0, 0, 1]), int(j[0, 1, 0, 0])
    (1, 1, 1)
    """
    c = int(n_classes)
    index = ((np.asarray(codes, np.int64) * c + y_true) * c + pred_a) * c + pred_b
    if weights is None:
        counts = np.bincount(index, minlength=int(n_groups) * c**3)
    else:
        counts = np.rint(np.bincount(index, np.asarray(weights, np.float64), int(n_groups) * c**3))
    return counts.reshape(int(n_groups), c, c, c).astype(np.float64)


def split_joint(joint: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each model's confusion counts ``(..., C, C)`` from joint counts ``(..., C, C, C)``."""
    return joint.sum(axis=-1), joint.sum(axis=-2)


def paired_interval(
    replicates_a: np.ndarray, replicates_b: np.ndarray, confidence: float
) -> np.ndarray:
    """Percentile interval ``(2, ...)`` of ``a - b`` over replicates drawn on the same rows.

    Parameters
    ----------
    replicates_a, replicates_b
        ``(B, ...)`` replicates of the two models' figure, replicate ``i`` of
        both computed from the same resample of the rows.
    confidence
        Two-sided level.
    """
    a = np.asarray(replicates_a, dtype=np.float64)
    b = np.asarray(replicates_b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"paired replicates differ in shape: {a.shape} and {b.shape}")
    return percentile_interval(a - b, confidence)
