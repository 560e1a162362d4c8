"""A seeded sample of rows from a stream, the same whatever the batches and their order.

The model-bound checks work on bounded samples of rows (attribution explains
at most ``max_rows`` rows, counterfactual flips re-score at most
``max_rows``, membership inference attacks at most ``max_per_side`` rows a
side). On a table larger than memory the sample is drawn during one pass
over batches, possibly on several workers at once, so it must not depend on
how the rows were cut into batches, in which order the batches came, or
which worker read which: a :class:`Reservoir` of each partition is filled
independently and the reservoirs are merged.

Bottom-k sampling gives all three. Every row gets a key, a seeded 64-bit
hash of its content (every column of the batch, numbers by value whatever
their dtype, text as written, missing values as one value); the sample is the
``n`` rows with the smallest keys. The ``n`` smallest keys of a union are
among the ``n`` smallest of each part, so a reservoir holds about ``n``
rows per stratum, and merging two is taking the ``n`` smallest of both.
For distinct rows whose hashes behave as independent uniform draws (they do,
for any seed), each set of ``n`` rows is equally likely: a simple random
sample without replacement.

Identical rows have identical keys: nothing in their content tells them
apart, and an occurrence number would depend on the batches (the k-th copy
of one batch is the first of another). They are kept as one entry with a
count of copies, and drawn together, up to the ``n``-th row. The count is
what makes merging exact: an entry whose key is above a part's ``n``-th
smallest key is above the merged ``n``-th smallest key too, so copies a part
did not keep are never needed. Drawing copies together keeps every row's
chance at ``n / N`` as long as no row repeats more than a small fraction of
``n`` times (pairs and triples are drawn at their share); a row repeated
about ``n`` times or more is under-represented, since its copies enter the
sample together or not at all, and at most ``n`` of them. Identical rows
carry identical information for every check, so a sample of few distinct
rows is a small sample, not a wrong one. No bounded, order-free sample can do
better: telling the k-th copy of a row from the first needs a count of every
distinct row seen.

With ``strata``, each combination of those columns (a missing value is a
value of its own) keeps its own ``n`` smallest keys during the pass, and its
exact row count. :meth:`Reservoir.result` then gives each stratum its share of
``n`` in proportion to its rows, rounded by largest remainder, at least one
row per non-empty stratum: the allocation of
:func:`govkit.attribution.stratified_sample` in the in-memory run, which
can leave a tiny stratum out, with that one row added. That run stratifies the rows it explains
(``explain.*`` attribution checks) and the rows it re-scores
(``fairness.counterfactual_flip``) by the true label and the combination of
the sensitive columns, so an engine asked for those samples passes
``strata=[label, *sensitive]``; membership inference draws its members and
non-members without strata, from the rows whose content is unique in
training.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from govkit.privacy.rowhash import normalise_column

__all__ = ["Reservoir", "allocate"]

_UINT64_MAX = np.iinfo(np.uint64).max
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MISSING_HASH = normalise_column(pd.Series([np.nan]))[0]


def _fmix(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's 64-bit finaliser: a bijection whose every output bit depends on every input bit."""
    h = h.copy()
    with np.errstate(over="ignore"):  # uint64 arithmetic wraps around
        h ^= h >> np.uint64(33)
        h *= np.uint64(0xFF51AFD7ED558CCD)
        h ^= h >> np.uint64(33)
        h *= np.uint64(0xC4CEB9FE1A85EC53)
        h ^= h >> np.uint64(33)
    return h


def _column_hash(series: pd.Series) -> np.ndarray:
    """uint64 per row of one column's value: numbers by value, text exactly, missing as one.

    Numbers hash as :func:`govkit.privacy.rowhash.normalise_column` does (1,
    1.0 and an integer column that became float because a batch held a
    missing value are one value), and so do numbers and booleans held in a
    column of Python objects (a boolean column with a missing value); text is
    not case- or space-folded, since the sample returns the rows themselves
    and two spellings are two rows.
    """
    dtype = series.dtype
    if (
        pd.api.types.is_numeric_dtype(dtype)
        or pd.api.types.is_bool_dtype(dtype)
        or pd.api.types.is_datetime64_any_dtype(dtype)
    ):
        return normalise_column(series)
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    values = np.asarray(uniques, dtype=object)
    text = np.array(["\0text:" + str(u) for u in values], dtype=object)
    hashes = pd.util.hash_array(text, categorize=False) if len(text) else np.zeros(0, np.uint64)
    number = np.array(
        [isinstance(u, (bool, int, float, np.number, np.bool_)) for u in values], dtype=bool
    )
    if number.any():
        hashes[number] = _object_number_hash(values[number])
    out = np.full(len(series), _MISSING_HASH, dtype=np.uint64)
    present = codes >= 0
    out[present] = hashes[codes[present]]
    return out


def _object_number_hash(values: np.ndarray) -> np.ndarray:
    """Numbers held as Python objects, hashed as the numeric column holding them would be."""
    integral = all(
        isinstance(u, (int, np.integer)) and not isinstance(u, (bool, np.bool_)) for u in values
    )
    if integral:
        try:
            return normalise_column(pd.Series(values.astype(np.int64)))
        except OverflowError:  # beyond int64: by exact digits, as integer text hashes
            return normalise_column(pd.Series([str(int(u)) for u in values], dtype=object))
    return normalise_column(pd.Series(values.astype(np.float64)))


def _combined(frame: pd.DataFrame, columns: Sequence[str], start: np.uint64) -> np.ndarray:
    h = np.full(len(frame), start, dtype=np.uint64)
    for column in columns:
        with np.errstate(over="ignore"):
            h = _fmix((h ^ _column_hash(frame[column])) + _GOLDEN)
    return h


def allocate(counts: np.ndarray, n: int) -> np.ndarray:
    """Rows each stratum gets of ``n``: its proportional share, at least one if non-empty.

    Shares are rounded down and the rows left over go to the largest
    remainders (earlier strata first on ties), as
    :func:`govkit.attribution.stratified_sample` does. A non-empty stratum
    whose share rounds to zero gets one row, taken back from the strata most
    above their exact share; with more non-empty strata than ``n``, each gets
    one row and the total exceeds ``n``.

    Examples
    --------
    >>> allocate(np.array([900, 90, 10]), 10).tolist()
    [8, 1, 1]
    >>> allocate(np.array([5, 0, 3]), 100).tolist()
    [5, 0, 3]
    """
    counts = np.asarray(counts, dtype=np.int64)
    total = int(counts.sum())
    if n >= total:
        return counts.copy()
    exact = counts * (n / total)
    quota = np.floor(exact).astype(np.int64)
    short = n - int(quota.sum())
    if short > 0:
        order = np.argsort(-(exact - quota), kind="stable")
        quota[order[:short]] += 1
    bumped = (quota == 0) & (counts > 0)
    quota[bumped] = 1
    surplus = int(quota.sum()) - n
    while surplus > 0:
        over = np.where(quota > 1, quota - exact, -np.inf)
        worst = int(np.argmax(over))
        if not np.isfinite(over[worst]):
            break  # every stratum is down to its one row
        quota[worst] -= 1
        surplus -= 1
    return np.minimum(quota, counts)


class Reservoir:
    """The ``n`` rows of smallest seeded content hash, per stratum; mergeable.

    Parameters
    ----------
    n
        Rows in the sample (see :func:`allocate` for how strata share them).
    seed
        Seed of the hash: another seed, another sample.
    strata
        Columns whose combinations keep their share of the rows.

    Notes
    -----
    Memory is at most ``2 n`` rows per stratum (the rows held and those
    that entered since they were last sorted) plus one count per stratum,
    whatever the number of rows added. Every batch must have the same
    columns; they are the content each row is hashed on, and the columns of
    the result.

    Examples
    --------
    >>> import pandas as pd
    >>> rows = pd.DataFrame({"x": range(100), "g": ["a"] * 90 + ["b"] * 10})
    >>> whole = Reservoir(10, seed=1, strata=["g"])
    >>> whole.add(rows)
    >>> left, right = Reservoir(10, seed=1, strata=["g"]), Reservoir(10, seed=1, strata=["g"])
    >>> left.add(rows.iloc[50:]); right.add(rows.iloc[:50]); left.merge(right)
    >>> whole.result().equals(left.result())
    True
    >>> whole.result()["g"].value_counts().to_dict()
    {'a': 9, 'b': 1}
    """

    def __init__(self, n: int, *, seed: int, strata: Sequence[str] = ()) -> None:
        if int(n) < 1:
            raise ValueError(f"a reservoir holds at least one row, got n={n}")
        self.n = int(n)
        self.seed = int(seed)
        self.strata: tuple[str, ...] = tuple(strata)
        state = np.array([self.seed & 0xFFFFFFFFFFFFFFFF], dtype=np.uint64)
        self._start = _fmix(state + _GOLDEN)[0]
        self._columns: tuple[str, ...] | None = None
        self._counts: dict[int, int] = {}
        # the rows held, one per distinct content, ordered by (stratum, key), and beside
        # them their key, stratum and number of copies
        self._rows: pd.DataFrame | None = None
        self._key = np.zeros(0, dtype=np.uint64)
        self._stratum = np.zeros(0, dtype=np.uint64)
        self._copies = np.zeros(0, dtype=np.int64)
        #: per full stratum, the largest key it keeps: a larger key cannot enter
        self._limits: dict[int, int] = {}
        # rows that entered since the last compaction: sorting the held rows for every
        # batch would cost their number per batch, so they are sorted once as many came
        self._pending: list[tuple[pd.DataFrame, np.ndarray, np.ndarray, np.ndarray]] = []
        self._pending_rows = 0

    @property
    def n_seen(self) -> int:
        """Rows added so far, over every batch and merged reservoir."""
        return sum(self._counts.values())

    @property
    def n_kept(self) -> int:
        """Rows held now, counting copies once (at most ``2 n`` per stratum)."""
        return len(self._key) + self._pending_rows

    def add(self, batch: pd.DataFrame) -> None:
        """Offer every row of ``batch`` to the sample.

        Raises
        ------
        ValueError
            ``batch`` lacks a strata column, or its columns are not those of the
            earlier batches.
        """
        batch = self._conform(batch)
        if len(batch) == 0:
            return
        assert self._columns is not None
        stratum = self._stratum_ids(batch)
        ids, sizes = np.unique(stratum, return_counts=True)
        for s, size in zip(ids.tolist(), sizes.tolist(), strict=True):
            self._counts[s] = self._counts.get(s, 0) + size
        keys = _fmix(_combined(batch, sorted(self._columns), self._start))
        enter = self._below_limits(stratum, keys)
        if not enter.any():
            return
        at = np.flatnonzero(enter)
        self._pending.append(
            (batch.iloc[at], keys[at], stratum[at], np.ones(len(at), dtype=np.int64))
        )
        self._pending_rows += len(at)
        if self._pending_rows >= max(self.n, len(self._key)):
            self._compact()

    def merge(self, other: Reservoir) -> None:
        """Take in the rows of ``other`` (a reservoir of other rows with the same settings).

        Raises
        ------
        ValueError
            ``other`` has another ``n``, seed, strata or columns.
        """
        if (other.n, other.seed, other.strata) != (self.n, self.seed, self.strata):
            raise ValueError(
                f"cannot merge a reservoir of n={other.n}, seed={other.seed}, "
                f"strata={list(other.strata)} into one of n={self.n}, seed={self.seed}, "
                f"strata={list(self.strata)}"
            )
        if other._columns is None:
            return
        if self._columns is None:
            self._columns = other._columns
        elif set(other._columns) != set(self._columns):
            raise ValueError(
                f"cannot merge reservoirs of different columns: {list(other._columns)} "
                f"and {list(self._columns)}"
            )
        for s, size in other._counts.items():
            self._counts[s] = self._counts.get(s, 0) + size
        other._compact()
        if other._rows is not None:
            rows = other._rows[list(self._columns)]
            self._pending.append((rows, other._key, other._stratum, other._copies))
        self._compact()

    def result(self) -> pd.DataFrame:
        """The sample: each stratum's share of its smallest-key rows, ordered by key.

        The same rows (as a multiset), in the same order, for the same seed
        and the same rows added, however they were batched, ordered or merged.
        """
        self._compact()
        columns = list(self._columns or ())
        if self._rows is None or not self._counts:
            return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
        ids = np.array(sorted(self._counts), dtype=np.uint64)
        counts = np.array([self._counts[int(s)] for s in ids], dtype=np.int64)
        quota = allocate(counts, self.n) if self.strata else np.minimum(counts, self.n)
        allowed = quota[np.searchsorted(ids, self._stratum)]
        take = np.clip(allowed - _place(self._stratum, self._copies), 0, self._copies)
        rows = np.repeat(np.arange(len(self._key)), take)
        rows = rows[np.argsort(self._key[rows], kind="stable")]
        return self._rows.iloc[rows].reset_index(drop=True)

    def _conform(self, batch: pd.DataFrame) -> pd.DataFrame:
        names = [str(c) for c in batch.columns]
        if len(set(names)) != len(names):
            raise ValueError(f"a batch has repeated column names: {names}")
        missing = [c for c in self.strata if c not in names]
        if missing:
            raise ValueError(f"the strata column(s) {missing} are not in the batch ({names})")
        if self._columns is None:
            self._columns = tuple(names)
        elif set(names) != set(self._columns):
            raise ValueError(
                f"a batch has the columns {names}, the earlier ones {list(self._columns)}"
            )
        if tuple(batch.columns) == self._columns:
            return batch
        return batch.set_axis(names, axis=1)[list(self._columns)]

    def _stratum_ids(self, batch: pd.DataFrame) -> np.ndarray:
        if not self.strata:
            return np.zeros(len(batch), dtype=np.uint64)
        return _combined(batch, self.strata, np.uint64(0))

    def _below_limits(self, stratum: np.ndarray, keys: np.ndarray) -> np.ndarray:
        """Whether each row's key is at most its stratum's limit (every row of a stratum not full)."""
        if not self._limits:
            return np.ones(len(keys), dtype=bool)
        full = np.array(sorted(self._limits), dtype=np.uint64)
        limit = np.array([self._limits[int(s)] for s in full], dtype=np.uint64)
        at = np.clip(np.searchsorted(full, stratum), 0, len(full) - 1)
        bound = np.where(full[at] == stratum, limit[at], np.uint64(_UINT64_MAX))
        return keys <= bound

    def _compact(self) -> None:
        """Add the pending rows to those held, then keep the first ``n`` rows of each stratum."""
        if not self._pending:
            return
        parts = (
            self._pending
            if self._rows is None
            else [
                (self._rows, self._key, self._stratum, self._copies),
                *self._pending,
            ]
        )
        self._pending, self._pending_rows = [], 0
        rows = (
            pd.concat([p[0] for p in parts], ignore_index=True) if len(parts) > 1 else parts[0][0]
        )
        key = np.concatenate([p[1] for p in parts])
        stratum = np.concatenate([p[2] for p in parts])
        copies = np.concatenate([p[3] for p in parts])
        # one entry per content: equal keys are equal rows; their copies add up
        order = np.lexsort((key, stratum))
        key, stratum = key[order], stratum[order]
        starts = np.flatnonzero(np.r_[True, (key[1:] != key[:-1]) | (stratum[1:] != stratum[:-1])])
        copies = np.add.reduceat(copies[order], starts) if len(starts) else copies[:0]
        key, stratum = key[starts], stratum[starts]
        place = _place(stratum, copies)
        keep = place < self.n
        # copies past the n-th row of a stratum can never be drawn
        copies = np.minimum(copies, self.n - place)
        self._rows = rows.iloc[order[starts][keep]].reset_index(drop=True)
        self._key, self._stratum, self._copies = key[keep], stratum[keep], copies[keep]
        # a stratum holding n rows is full: its last key is the largest that can enter
        if not len(self._key):
            self._limits = {}
            return
        last = np.flatnonzero(np.r_[self._stratum[1:] != self._stratum[:-1], True])
        held = _place(self._stratum, self._copies)[last] + self._copies[last]
        self._limits = {
            int(s): int(k)
            for s, k, h in zip(self._stratum[last], self._key[last], held, strict=True)
            if h >= self.n
        }


def _place(stratum: np.ndarray, copies: np.ndarray) -> np.ndarray:
    """Rows before each entry within its stratum (entries ordered by stratum, then key)."""
    if not len(stratum):
        return np.zeros(0, dtype=np.int64)
    first = np.flatnonzero(np.r_[True, stratum[1:] != stratum[:-1]])
    run = np.repeat(first, np.diff(np.r_[first, len(stratum)]))
    before = np.cumsum(copies) - copies
    return before - before[run]
