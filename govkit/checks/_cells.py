"""What the checks measuring weighted cells share: the coarse histogram and the record.

A split whose entries are cells (:mod:`govkit.scale.cells`, ``Split.weights``
set) may hold millions of them. Count figures and point values read the
cells as they are; a row bootstrap of score figures would cost replicates
times cells, so the cells are first merged to :data:`COARSE_LEVELS` score
levels per group and label (:func:`coarse_rows`) and each merged entry gets a
Poisson(count) weight. What that costs in precision is recorded beside the
figures (:func:`cells_record`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from govkit.scale.cells import LEVELS, auc_error_bound

if TYPE_CHECKING:
    from govkit.checks.context import CheckContext

__all__ = ["COARSE_LEVELS", "Coarse", "cells_record", "coarse_rows", "max_group_bound"]

#: score levels per group and label of the histogram score figures are bootstrapped on
COARSE_LEVELS = 1 << 10


@dataclass(frozen=True)
class Coarse:
    """Cells merged by group, label and coarse score level: counts and mean values."""

    #: per layer, the group code of each merged entry
    codes: list[np.ndarray]
    y_true: np.ndarray
    #: rows in each merged entry
    counts: np.ndarray
    #: per value given to :func:`coarse_rows`, its count-weighted mean (None stays None)
    means: list[np.ndarray | None]


def coarse_rows(
    codes: Sequence[np.ndarray],
    y_true: np.ndarray,
    weights: np.ndarray,
    *,
    scores: Sequence[np.ndarray],
    values: Sequence[np.ndarray | None],
) -> Coarse:
    """The cells merged by group in every layer, label and coarse level of each score.

    Parameters
    ----------
    codes
        Per layer, each cell's group code.
    y_true
        Each cell's true class.
    weights
        Each cell's row count.
    scores
        Scores in [0, 1] to key on at :data:`COARSE_LEVELS` levels (one per
        model; none for a task without scores).
    values
        Per-cell values to average within each merged entry, weighted by count.

    Returns
    -------
    Coarse
        Sums over a merged entry equal the cells' sums up to the spread of
        the values inside one coarse level.
    """
    from govkit.scale.cells import score_level

    key = [np.asarray(c, dtype=np.int64) for c in codes] + [np.asarray(y_true, np.int64)]
    key += [score_level(s, COARSE_LEVELS) for s in scores]
    _, first, inverse = np.unique(
        np.stack(key, axis=1), axis=0, return_index=True, return_inverse=True
    )
    inverse = inverse.reshape(-1)
    w = np.asarray(weights, dtype=np.float64)
    counts = np.bincount(inverse, w, minlength=first.size)

    def mean(v: np.ndarray | None) -> np.ndarray | None:
        if v is None or np.size(v) == 0:
            return v
        total = np.bincount(inverse, w * np.asarray(v, dtype=np.float64), minlength=first.size)
        return np.divide(total, counts, out=np.zeros_like(total), where=counts > 0)

    return Coarse(
        [np.asarray(c)[first] for c in codes],
        np.asarray(y_true)[first],
        counts,
        [mean(v) for v in values],
    )


def cells_record(ctx: CheckContext) -> dict[str, Any]:
    """What a check on weighted cells records: the rows and the cells they were counted in."""
    weights = ctx.eval.weights
    return {
        "source": "cells",
        "rows": ctx.eval.n_rows,
        "cells": 0 if weights is None else int(weights.size),
        "levels": LEVELS,
    }


def max_group_bound(
    codes: Sequence[np.ndarray], levels: np.ndarray, y_true: np.ndarray, weights: np.ndarray
) -> float:
    """The largest :func:`~govkit.scale.cells.auc_error_bound` over every group of every layer."""
    worst = 0.0
    for layer_codes in codes:
        for g in np.unique(layer_codes):
            at = layer_codes == g
            bound = auc_error_bound(levels[at], y_true[at] == 1, weights[at])
            if not np.isnan(bound):
                worst = max(worst, bound)
    return worst
