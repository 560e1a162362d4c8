"""A seeded sample that batches draw apart and the driver merges.

Each row gets a seeded hash of its content; the sample is the rows with the
smallest hashes (bottom-k). Which rows win depends only on the seed and the
rows, never on how they were split into batches or files, so every batch keeps
its own ``n`` smallest, and the merge of the batches' keeps is the sample of
all the rows. With strata, each stratum keeps its own ``n`` smallest and its
row count, and :meth:`BottomK.result` gives each stratum its share of ``n``
(rounded, at least one row).

The hash reads each value in a canonical form (numbers as float64, the rest
as text), because one batch may hold an integer column as int64 and another,
with a missing value, as float64: the same row must hash the same in both.

This is the same contract as :class:`govkit.scale.reservoir.Reservoir`
(``add``, ``merge``, ``result``), which the engines use when it is present.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["BottomK", "row_hashes"]

_HASH = "__govkit_row_hash"


def row_hashes(frame: pd.DataFrame, seed: int) -> np.ndarray:
    """A uint64 hash of each row's values, seeded, the same whatever the column dtypes."""
    canonical: dict[str, pd.Series] = {}
    for column in frame.columns:
        series = frame[column]
        if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(
            series.dtype
        ):
            canonical[str(column)] = pd.Series(series.to_numpy(dtype=np.float64, na_value=np.nan))
        else:
            values = series.astype(object).to_numpy()
            text = ["\x00" if pd.isna(v) else str(v) for v in values]
            canonical[str(column)] = pd.Series(text, dtype=object)
    table = pd.DataFrame(canonical)
    content = pd.util.hash_pandas_object(table, index=False).to_numpy(np.uint64)
    # pandas' hash key reaches text only, so the seed is mixed into every row's hash here
    return _fmix(content ^ _fmix(np.array([seed & 0xFFFFFFFFFFFFFFFF], dtype=np.uint64)))


def _fmix(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's 64-bit finaliser: a bijection mixing every input bit into every output bit."""
    h = h.copy()
    with np.errstate(over="ignore"):
        h ^= h >> np.uint64(33)
        h *= np.uint64(0xFF51AFD7ED558CCD)
        h ^= h >> np.uint64(33)
        h *= np.uint64(0xC4CEB9FE1A85EC53)
        h ^= h >> np.uint64(33)
    return h


class BottomK:
    """The ``n`` rows of smallest seeded hash, per stratum; mergeable."""

    def __init__(self, n: int, *, seed: int, strata: Sequence[str] = ()) -> None:
        if n < 0:
            raise ValueError(f"a sample of {n} rows: n must be at least 0")
        self.n = n
        self.seed = seed
        self.strata = list(strata)
        self._kept: pd.DataFrame | None = None
        self._sizes: pd.Series | None = None

    def add(self, batch: pd.DataFrame) -> None:
        """Draw from ``batch``: keep its smallest hashes, count its strata."""
        if not len(batch):
            return
        frame = batch.reset_index(drop=True).copy()
        frame[_HASH] = row_hashes(batch.reset_index(drop=True), self.seed)
        self._absorb(frame, self._strata_sizes(frame))

    def merge(self, other: BottomK) -> None:
        """Add another sample of other rows (same ``n``, seed and strata)."""
        if other._kept is not None and other._sizes is not None:
            self._absorb(other._kept, other._sizes)

    def _strata_sizes(self, frame: pd.DataFrame) -> pd.Series:
        if not self.strata:
            return pd.Series([len(frame)], index=pd.Index([0]))
        return frame.groupby(self.strata, dropna=False, observed=True).size()

    def _absorb(self, frame: pd.DataFrame, sizes: pd.Series) -> None:
        frames = [f for f in (self._kept, frame) if f is not None]
        table = pd.concat(frames, ignore_index=True).sort_values(_HASH, kind="mergesort")
        if self.strata:
            table = table.groupby(self.strata, dropna=False, observed=True, sort=False).head(self.n)
        else:
            table = table.head(self.n)
        self._kept = table.reset_index(drop=True)
        self._sizes = sizes if self._sizes is None else self._sizes.add(sizes, fill_value=0)

    def result(self) -> pd.DataFrame:
        """The sample: ``n`` rows, or each stratum's share of ``n``, in hash order."""
        if self._kept is None or self._sizes is None:
            return pd.DataFrame()
        kept = self._kept
        if self.strata:
            total = float(self._sizes.sum())
            share = (self._sizes * self.n / total).round().clip(lower=1).astype(np.int64)
            rank = kept.groupby(self.strata, dropna=False, observed=True).cumcount()
            quota = kept.join(share.rename("__quota"), on=self.strata)["__quota"]
            kept = kept[rank.to_numpy() < quota.to_numpy()]
        return kept.drop(columns=_HASH).reset_index(drop=True)
