"""Cells counted densely: one slot per packed key, filled from the rows as DuckDB streams them.

When the packed keys (:mod:`._duckdb_packed`) are few enough to give each a
slot in memory (the product of the keys' ranks, at most :data:`MAX_SLOTS`),
counting needs no hash table: DuckDB reads the files in parallel and computes
each row's packed key and score, and the rows cross into numpy as Arrow
batches of those two columns, each added into two arrays (row counts and
score sums) in place by ``numpy.add.at``. A GROUP BY over millions of groups
costs several times the scan; this costs about the scan and the transfer.
The non-empty slots, in slot order, are the cells already sorted.

Memory is the two arrays (16 bytes a slot) and one batch, whatever the
number of rows. Adding in place rather than by ``numpy.bincount`` spares a
fresh array of every slot per batch (half the CPU time went to the kernel
zeroing them).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

__all__ = ["MAX_SLOTS", "DenseCounts", "count", "packed_keys"]

#: most slots (packed keys) counted densely: 16 bytes each, 256 MiB at most
MAX_SLOTS = 1 << 24


class DenseCounts:
    """Row counts and score sums by packed key, added to batch by batch."""

    def __init__(self, slots: int) -> None:
        self.slots = slots
        self.counts = np.zeros(slots, dtype=np.int64)
        self.sums = np.zeros(slots, dtype=np.float64)

    def add(self, keys: np.ndarray, scores: np.ndarray | None) -> None:
        """Add one batch: its rows' packed keys and scores (None: no scores)."""
        if len(keys) == 0:
            return
        if int(keys.min()) < 0 or int(keys.max()) >= self.slots:
            raise RuntimeError(
                f"a packed cell key fell outside 0 .. {self.slots - 1}: the probe missed a value"
            )
        np.add.at(self.counts, keys, 1)
        if scores is not None:
            np.add.at(self.sums, keys, scores)

    def cells(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The non-empty slots in order: their packed keys, row counts and score sums."""
        index = np.flatnonzero(self.counts)
        return index, self.counts[index], self.sums[index]


def packed_keys(column: Any) -> np.ndarray:
    """An Arrow column of packed keys as numpy; a NULL key means the probe missed a missing value."""
    if column.null_count:
        raise RuntimeError("a packed cell key is NULL: the probe missed a missing value")
    return column.to_numpy(zero_copy_only=False)


def count(batches: Iterable[Any], slots: int, *, scores: bool) -> DenseCounts:
    """Count Arrow record batches of (packed key, score) into ``slots`` slots.

    The key column must hold no nulls; without ``scores`` the batches hold
    the key alone.
    """
    dense = DenseCounts(slots)
    for batch in batches:
        dense.add(
            packed_keys(batch.column(0)),
            batch.column(1).to_numpy(zero_copy_only=False) if scores else None,
        )
    return dense
