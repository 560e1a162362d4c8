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
    first, inverse = _unique_rows(key)
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


def _unique_rows(key: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(np.stack(key, axis=1), axis=0)``'s first indices and inverse, but fast.

    The columns are non-negative integers; packed into one int64 in mixed
    radix they sort as the rows do, so one 1-D sort replaces a lexicographic
    sort of rows (several times faster on millions of cells, and no (n, k)
    copy). Keys too wide to pack fall back to the row sort.
    """
    n = key[0].size if key else 0
    if n == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    radices = [int(k.max()) + 1 for k in key]
    if min(int(k.min()) for k in key) < 0 or float(np.prod([float(r) for r in radices])) >= 2**62:
        _, first, inverse = np.unique(
            np.stack(key, axis=1), axis=0, return_index=True, return_inverse=True
        )
        return first, inverse.reshape(-1)
    packed = np.zeros(n, dtype=np.int64)
    for k, radix in zip(key, radices, strict=True):
        packed *= radix
        packed += k
    _, first, inverse = np.unique(packed, return_index=True, return_inverse=True)
    return first, inverse.reshape(-1)


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
    lv = np.asarray(levels, dtype=np.int64)
    w = np.asarray(weights, dtype=np.float64)
    positive = np.asarray(y_true) == 1
    size = int(lv.max()) + 1 if lv.size else 0
    worst = 0.0
    for layer_codes in codes:
        c = np.asarray(layer_codes, dtype=np.int64)
        n_groups = int(c.max()) + 1 if c.size else 0
        if n_groups * size > _DENSE_BOUND or (lv.size and int(lv.min()) < 0):
            bounds = [
                auc_error_bound(lv[c == g], positive[c == g], w[c == g]) for g in np.unique(c)
            ]
        else:
            bounds = list(_group_bounds(c, n_groups, lv, size, positive, w))
        for bound in bounds:
            if not np.isnan(bound):
                worst = max(worst, bound)
    return worst


#: the largest (groups x levels) histogram :func:`max_group_bound` builds at once
_DENSE_BOUND = 1 << 25


def _group_bounds(
    codes: np.ndarray,
    n_groups: int,
    levels: np.ndarray,
    size: int,
    positive: np.ndarray,
    weights: np.ndarray,
) -> np.ndarray:
    """:func:`auc_error_bound` of every present group from one (groups, levels) histogram each.

    Each group's histograms are cut at its own highest level, so they are
    the arrays :func:`auc_error_bound` builds for the group alone, summed in
    the same order: the bounds are equal to the last bit.
    """
    at = codes * size + levels
    p = np.bincount(at[positive], weights[positive], n_groups * size).reshape(n_groups, size)
    q = np.bincount(at[~positive], weights[~positive], n_groups * size).reshape(n_groups, size)
    top = np.full(n_groups, -1, dtype=np.int64)
    np.maximum.at(top, codes, levels)
    out = []
    for g in np.flatnonzero(top >= 0):
        pg, qg = p[g, : top[g] + 1], q[g, : top[g] + 1]
        pairs = float(pg.sum()) * float(qg.sum())
        out.append(float((pg * qg).sum() / pairs) if pairs else float("nan"))
    return np.asarray(out, dtype=np.float64)
