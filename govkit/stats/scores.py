"""Weighted score statistics for many groups and bootstrap replicates at once.

Score metrics (ROC AUC, log loss, Brier score, calibration error) depend on
every row, not only on cell counts, so their intervals come from the Poisson
row bootstrap (:func:`govkit.stats.bootstrap.bootstrap_rows`). The helpers
here turn a ``(B, n)`` matrix of row weights into per-group figures for all
``B`` replicates with matrix products and cumulative sums: no Python loop over
rows or replicates.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

__all__ = [
    "bin_index",
    "expected_calibration_error",
    "group_indicator",
    "weighted_roc_auc",
]


def group_indicator(
    layers: Sequence[np.ndarray], sizes: Sequence[int], values: np.ndarray | None = None
) -> sp.csr_matrix:
    """Sparse ``(sum(sizes), n)`` matrix mapping rows to the groups of several groupings.

    Row ``offset_k + g`` of the result holds ``values`` (or 1) in the columns
    of the rows whose code in layer ``k`` is ``g``. Multiplying it with a
    ``(n, B)`` weight matrix gives every group's weighted sum in every
    replicate in one product, in time proportional to ``n * len(layers) * B``.

    Parameters
    ----------
    layers
        Group codes per row, one array per grouping (all of length ``n``).
    sizes
        Number of groups of each layer.
    values
        Per-row values to sum (default: ones, giving weighted counts).
    """
    n = len(layers[0]) if layers else 0
    data = np.ones(n) if values is None else np.asarray(values, dtype=np.float64)
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
    rows = np.concatenate(
        [np.asarray(c, dtype=np.int64) + off for c, off in zip(layers, offsets, strict=True)]
    )
    cols = np.tile(np.arange(n, dtype=np.int64), len(layers))
    vals = np.tile(data, len(layers))
    return sp.csr_matrix((vals, (rows, cols)), shape=(int(np.sum(sizes)), n))


def weighted_roc_auc(scores: np.ndarray, y_true: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Area under the ROC curve under row weights, for many weight vectors at once.

    The Mann-Whitney form: the weighted share of (positive, negative) pairs
    ranked correctly, ties counting one half, which equals scikit-learn's
    ``roc_auc_score`` (trapezoidal area) for unit weights. Rows are sorted by
    score once; each weight vector then needs one cumulative sum.

    Parameters
    ----------
    scores
        (n,) positive-class scores.
    y_true
        (n,) labels in {0, 1}.
    weights
        (B, n) row weights.

    Returns
    -------
    numpy.ndarray
        (B,) AUC per weight vector; NaN where one class has zero weight.
    """
    s = np.asarray(scores, dtype=np.float64)
    positive = np.asarray(y_true) == 1
    # rows on axis 0: the cumulative sum and the gathers below then run over
    # contiguous memory, several times faster than along axis 1
    wt = np.asarray(weights, dtype=np.float64).T
    if s.size > 1 and not bool(np.all(s[1:] >= s[:-1])):
        # callers bootstrapping one group many times pass it sorted, saving a sort per chunk
        order = np.argsort(s, kind="stable")
        s, positive, wt = s[order], positive[order], wt[order]
    n, b = wt.shape
    if n == 0:
        return np.full(b, np.nan)
    # cum[i] = negative weight of the rows before row i (sorted order)
    cum = np.zeros((n + 1, b))
    np.cumsum(np.where(positive[:, None], 0.0, wt), axis=0, out=cum[1:])
    pos_mask = positive.astype(np.float64)
    w_pos = pos_mask @ wt
    new_block = np.concatenate([[True], s[1:] != s[:-1]])
    if new_block.all():
        # without ties a positive row outranks exactly the negative weight before it
        num = np.einsum("i,ib,ib->b", pos_mask, wt, cum[:-1])
    else:
        # a tie block [start, end): rows below it count fully, rows inside it half
        pos_rows = np.flatnonzero(positive)
        block_start = np.flatnonzero(new_block)
        block_id = np.cumsum(new_block) - 1
        block_end = np.append(block_start[1:], n)
        below = cum[block_start[block_id[pos_rows]]]
        through = cum[block_end[block_id[pos_rows]]]
        num = 0.5 * (wt[pos_rows] * (below + through)).sum(axis=0)
    den = w_pos * cum[n]
    return np.divide(num, den, out=np.full(den.shape, np.nan), where=den > 0)


def bin_index(probabilities: np.ndarray, n_bins: int) -> np.ndarray:
    """Equal-width bin of each probability: ``[0, 1/k), ..., [(k-1)/k, 1]``."""
    p = np.clip(np.asarray(probabilities, dtype=np.float64), 0.0, 1.0)
    return np.minimum((p * n_bins).astype(np.int64), n_bins - 1)


def expected_calibration_error(
    count: np.ndarray, sum_predicted: np.ndarray, sum_observed: np.ndarray
) -> np.ndarray:
    """ECE from per-bin sums along the last axis: ``sum_b |P_b - O_b| / n``.

    Equal to the usual ``sum_b (n_b / n) |mean predicted_b - observed rate_b|``;
    NaN where the total count is 0.
    """
    total = np.asarray(count, dtype=np.float64).sum(axis=-1)
    gap = np.abs(np.asarray(sum_predicted) - np.asarray(sum_observed)).sum(axis=-1)
    return np.divide(gap, total, out=np.full(np.shape(total), np.nan), where=total > 0)
