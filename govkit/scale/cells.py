"""Sufficient statistics: what the data-bound checks need from the rows, in one pass.

Group fairness, classification performance and calibration depend on the rows
only through, for every combination of the grouping columns, the counts of
(true label, predicted label) and the distribution of scores by label. A
*cell* is one such combination at one score level: the grouping columns'
values (a numeric slice column replaced by its bin), the true label, the
predicted label, and the positive-class score quantised to one of
:data:`LEVELS` levels. Each cell carries the number of rows in it
(:data:`WEIGHT`) and the sum of their scores (:data:`SCORE_SUM`), so a cell's
mean score is exact.

The cells form a table with the data's own column names, so a check reads
them as it reads rows, each cell weighted by its count: a check is written
once, over weighted rows, and the in-memory rows (weights all 1, exact
scores) and every engine (pandas, DuckDB, Ray) feed it the same way. Every
engine must return, for the same rows and :class:`CellSpec`, the table
:func:`cells_of_frame` returns: the same keys, the same integer counts, and
score sums equal up to floating-point summation order.

What the cells lose is the order of scores inside one level. Rank figures
(ROC AUC) can then be wrong only for (positive, negative) pairs that share a
level, so :func:`auc_error_bound` (the share of such pairs) bounds the error
of the AUC; with 2^16 levels it is typically below 1e-4.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = [
    "LEVEL",
    "LEVELS",
    "MISSING_LEVEL",
    "OUTSIDE_LEVEL",
    "SCORE_SUM",
    "WEIGHT",
    "CellSpec",
    "Key",
    "auc_error_bound",
    "bin_representative",
    "cell_level",
    "cells_of_frame",
    "combine_cells",
    "score_level",
]

#: the number of levels scores are quantised to
LEVELS = 1 << 16
#: column of the cells table: rows in the cell (int64)
WEIGHT = "__govkit_n"
#: column of the cells table: the sum of the rows' scores (float64; 0 without scores)
SCORE_SUM = "__govkit_score_sum"
#: column of the cells table: the score level, 0 .. levels - 1 (int64; see :func:`cell_level`)
LEVEL = "__govkit_level"
#: the level of a missing (NULL, NaN or infinite) score, and of every row without scores
MISSING_LEVEL = -1
#: the level of a finite score outside [0, 1], which no probability can be
OUTSIDE_LEVEL = -2


@dataclass(frozen=True)
class Key:
    """A grouping column of the cells: its values, or, with ``edges``, its bin.

    A binned column keeps a representative value of each bin rather than the
    bin's label, so that cutting the cells with the same edges
    (:func:`govkit.stats.slices.make_slicing`) puts every cell in the bin its
    rows were in; see :func:`bin_representative`.
    """

    column: str
    edges: tuple[float, ...] | None = None


@dataclass(frozen=True)
class CellSpec:
    """What the cells are keyed by.

    ``pred`` and ``score`` name the columns holding the predicted label and
    the positive-class probability (the data's own columns in predictions-only
    mode, or the columns a streamed model writes into each batch). ``score``
    is None for multiclass tasks and label-only predictions: every cell then
    has level -1 and score sum 0.
    """

    keys: tuple[Key, ...]
    label: str
    pred: str | None = None
    score: str | None = None
    levels: int = LEVELS

    @property
    def key_columns(self) -> list[str]:
        """The columns a cell is identified by, in the cells table's order."""
        out = [k.column for k in self.keys] + [self.label]
        if self.pred is not None:
            out.append(self.pred)
        return [*out, LEVEL]


def score_level(scores: np.ndarray, levels: int = LEVELS) -> np.ndarray:
    """Each score's level: ``floor(score * levels)``, clipped to ``0 .. levels - 1``; NaN -> -1.

    A score of exactly 1 falls in the top level, so levels are ``[k/L, (k+1)/L)``
    except the last, ``[1 - 1/L, 1]``.
    """
    s = np.asarray(scores, dtype=np.float64)
    out = np.full(s.shape, -1, dtype=np.int64)
    finite = np.isfinite(s)
    out[finite] = np.clip(np.floor(s[finite] * levels), 0, levels - 1).astype(np.int64)
    return out


def cell_level(scores: np.ndarray, levels: int = LEVELS) -> np.ndarray:
    """Each row's level in the cells: :func:`score_level`, but -2 for a finite score outside [0, 1].

    A score outside [0, 1] is refused on the rows path. Clipped into the
    bottom or top level, it would be averaged with the valid scores there and
    could hide; kept apart, the runner refuses it on every engine alike.
    """
    s = np.asarray(scores, dtype=np.float64)
    out = score_level(s, levels)
    out[np.isfinite(s) & ((s < 0.0) | (s > 1.0))] = OUTSIDE_LEVEL
    return out


def bin_representative(values: np.ndarray, edges: Sequence[float]) -> np.ndarray:
    """A value standing for each value's bin, as :func:`make_slicing` cuts with ``edges``.

    Bins are ``[e0, e1), [e1, e2), ... [e_{k-1}, e_k]``. A value in a bin is
    replaced by the bin's left edge; a value below every bin by ``e0 - 1``,
    above every bin by ``e_k + 1`` (both cut as "outside bins"); NaN stays NaN.
    """
    v = np.asarray(values, dtype=np.float64)
    e = np.asarray(edges, dtype=np.float64)
    index = np.searchsorted(e, v, side="right") - 1
    index[v == e[-1]] = len(e) - 2  # the last bin is closed
    out = np.where(index < 0, e[0] - 1.0, np.where(index >= len(e) - 1, e[-1] + 1.0, 0.0))
    inside = (index >= 0) & (index < len(e) - 1)
    out[inside] = e[index[inside]]
    out[np.isnan(v)] = np.nan
    return out


def cells_of_frame(frame: pd.DataFrame, spec: CellSpec) -> pd.DataFrame:
    """The cells of ``frame``'s rows: the reference every engine must reproduce.

    Parameters
    ----------
    frame
        Rows holding every key column, the label and, when the spec names
        them, the prediction and score columns.
    spec
        The keys and columns.

    Returns
    -------
    pandas.DataFrame
        One row per non-empty cell, columns ``spec.key_columns`` then
        :data:`WEIGHT` and :data:`SCORE_SUM`, sorted by the key columns with
        missing values last; a missing key value is a cell of its own.
    """
    table: dict[str, object] = {}
    for key in spec.keys:
        values = frame[key.column]
        if key.edges is not None:
            table[key.column] = bin_representative(
                values.to_numpy(dtype=np.float64, na_value=np.nan), key.edges
            )
        else:
            table[key.column] = values.to_numpy()
    table[spec.label] = frame[spec.label].to_numpy()
    if spec.pred is not None:
        table[spec.pred] = frame[spec.pred].to_numpy()
    if spec.score is not None:
        scores = frame[spec.score].to_numpy(dtype=np.float64, na_value=np.nan)
        table[LEVEL] = cell_level(scores, spec.levels)
        table[SCORE_SUM] = np.nan_to_num(scores, nan=0.0)
    else:
        table[LEVEL] = np.full(len(frame), MISSING_LEVEL, dtype=np.int64)
        table[SCORE_SUM] = np.zeros(len(frame))
    table[WEIGHT] = np.ones(len(frame), dtype=np.int64)
    return _sum_by_key(pd.DataFrame(table), spec)


def combine_cells(parts: Iterable[pd.DataFrame], spec: CellSpec) -> pd.DataFrame:
    """The cells of several batches' rows together: counts and score sums add."""
    frames = [p for p in parts if len(p)]
    if not frames:
        columns = [*spec.key_columns, WEIGHT, SCORE_SUM]
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    return _sum_by_key(pd.concat(frames, ignore_index=True), spec)


def _sum_by_key(table: pd.DataFrame, spec: CellSpec) -> pd.DataFrame:
    keys = spec.key_columns
    summed = table.groupby(keys, dropna=False, sort=False, observed=True)[[WEIGHT, SCORE_SUM]].sum()
    out = summed.reset_index().sort_values(keys, na_position="last", kind="mergesort")
    out[WEIGHT] = out[WEIGHT].astype(np.int64)
    out[SCORE_SUM] = out[SCORE_SUM].astype(np.float64)
    out[LEVEL] = out[LEVEL].astype(np.int64)
    return out.reset_index(drop=True)


def auc_error_bound(levels: np.ndarray, positive: np.ndarray, weights: np.ndarray) -> float:
    """The most the ROC AUC of cells can differ from the AUC of their rows.

    Only a (positive, negative) pair whose scores share a level can be ordered
    differently from its rows, and it moves the AUC by at most one pair, so
    the bound is the share of such pairs among all (positive, negative) pairs.

    Parameters
    ----------
    levels
        Each cell's score level.
    positive
        Whether each cell's true label is the positive class.
    weights
        Each cell's row count.

    Returns
    -------
    float
        The bound, in AUC units; NaN when there are no positives or no negatives.
    """
    lv = np.asarray(levels, dtype=np.int64)
    w = np.asarray(weights, dtype=np.float64)
    pos = np.asarray(positive, dtype=bool)
    size = int(lv.max()) + 1 if lv.size else 0
    p = np.bincount(lv[pos], weights=w[pos], minlength=size)
    n = np.bincount(lv[~pos], weights=w[~pos], minlength=size)
    pairs = float(p.sum()) * float(n.sum())
    if pairs == 0:
        return float("nan")
    return float((p * n).sum() / pairs)
