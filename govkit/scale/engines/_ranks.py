"""Exact quantiles of data spread over many batches, returning only small data.

A quantile needs one or two order statistics (the values at given ranks of
the sorted column), and ranks do not add across batches the way counts do.
Rather than sort the whole column on one machine, the ranks are found by
narrowing down on the bits of the values:

1. every float64 is mapped to a 64-bit key whose unsigned order is the
   values' order (:func:`sortable_keys`);
2. each batch returns a histogram of its keys' top 16 bits; added up, the
   histograms say which 16-bit prefix holds each wanted rank, and the rank
   inside that prefix;
3. the next pass asks each batch only for the keys under that prefix: the
   keys themselves when the prefix holds few (at most :data:`FETCH_LIMIT`
   rows in all the data), else a histogram of the next 16 bits.

Four passes at most (64 bits), usually two; what travels is histograms and
at most :data:`FETCH_LIMIT` values per wanted rank. A batch with few distinct
values returns them with their counts instead, and when every batch does,
the order statistics follow with no further pass.

:func:`interpolate` then combines the two order statistics exactly as
:func:`numpy.percentile` does (its default, linear method), so an engine's
quantile equals numpy's on the same values, bit for bit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

__all__ = [
    "FETCH_LIMIT",
    "RADIX_BITS",
    "KeyRequest",
    "RankSearch",
    "answer_requests",
    "interpolate",
    "order_statistics_needed",
    "sortable_keys",
    "values_of_keys",
]

#: bits of the key resolved per pass
RADIX_BITS = 16
#: a prefix holding at most this many rows (in all the data) is fetched as values
FETCH_LIMIT = 200_000

_SIGN = np.uint64(1 << 63)


def sortable_keys(values: np.ndarray) -> np.ndarray:
    """uint64 keys in the order of the float64 ``values`` (no NaN; -0.0 counts as 0.0)."""
    v = np.asarray(values, dtype=np.float64) + 0.0  # -0.0 + 0.0 is 0.0: one key for zero
    bits = v.view(np.uint64)
    negative = (bits & _SIGN) != 0
    return np.where(negative, ~bits, bits | _SIGN)


def values_of_keys(keys: np.ndarray) -> np.ndarray:
    """The float64 values of :func:`sortable_keys`' keys."""
    k = np.asarray(keys, dtype=np.uint64)
    positive = (k & _SIGN) != 0
    bits = np.where(positive, k & ~_SIGN, ~k)
    return bits.view(np.float64)


def order_statistics_needed(
    n: int, probabilities: Sequence[float]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The ranks numpy's linear quantile reads: (previous, next, gamma) per probability.

    The same arithmetic as numpy's ``_quantile``: the virtual index is
    ``(n - 1) * q``; below 0 both ranks are 0, at or above ``n - 1`` both are
    ``n - 1``.
    """
    q = np.asarray(probabilities, dtype=np.float64)
    virtual = (n - 1) * q
    previous = np.floor(virtual)
    gamma = virtual - previous
    prev_i = previous.astype(np.int64)
    next_i = prev_i + 1
    above = virtual >= n - 1
    prev_i[above] = n - 1
    next_i[above] = n - 1
    below = virtual < 0
    prev_i[below] = 0
    next_i[below] = 0
    return prev_i, next_i, gamma


def interpolate(a: np.ndarray, b: np.ndarray, gamma: np.ndarray) -> np.ndarray:
    """numpy's ``_lerp``: ``a + (b - a) * t``, or ``b - (b - a) * (1 - t)`` when ``t >= 0.5``."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    t = np.asarray(gamma, dtype=np.float64)
    diff = b - a
    out = np.add(a, diff * t)
    np.subtract(b, diff * (1 - t), out=out, where=t >= 0.5)
    return out


@dataclass(frozen=True)
class KeyRequest:
    """What one pass asks every batch about one column's keys under ``prefix``.

    ``bits`` is the prefix's length; ``fetch`` asks for the keys themselves
    (with their counts), else for a histogram of the next :data:`RADIX_BITS` bits.
    """

    column: str
    prefix: int
    bits: int
    fetch: bool


def answer_requests(
    keys_of: Callable[[str], np.ndarray], requests: Sequence[KeyRequest]
) -> list[tuple[np.ndarray, np.ndarray]]:
    """One batch's answer to each request: (keys or sub-prefixes, counts), sorted."""
    answers = []
    for request in requests:
        keys = keys_of(request.column)
        if request.bits:
            keys = keys[(keys >> np.uint64(64 - request.bits)) == np.uint64(request.prefix)]
        if not request.fetch:
            shift = np.uint64(64 - request.bits - RADIX_BITS)
            keys = (keys >> shift) & np.uint64((1 << RADIX_BITS) - 1)
        found, counts = np.unique(keys, return_counts=True)
        answers.append((found, counts.astype(np.int64)))
    return answers


def top_histogram(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The first pass's answer: the top :data:`RADIX_BITS` bits' histogram."""
    return answer_requests(lambda _: keys, [KeyRequest("", 0, 0, fetch=False)])[0]


@dataclass
class _Target:
    column: str
    rank: int  # rank inside the current prefix
    prefix: int = 0
    bits: int = 0
    fetch: bool = False
    value: float | None = None


@dataclass
class RankSearch:
    """The order statistics of several columns, found pass by pass.

    Start with each column's first-pass histogram (:meth:`add_histogram`), or
    its exact value counts (:meth:`add_values`), then call :meth:`requests`,
    send them to every batch (:func:`answer_requests`), give the answers to
    :meth:`add_answers`, until :meth:`requests` is empty.
    """

    fetch_limit: int = field(default_factory=lambda: FETCH_LIMIT)
    _top: dict[str, np.ndarray] = field(default_factory=dict)
    _targets: list[_Target] = field(default_factory=list)
    _pending: list[tuple[KeyRequest, list[_Target]]] = field(default_factory=list)

    def add_histogram(self, column: str, prefixes: np.ndarray, counts: np.ndarray) -> None:
        """Add one batch's (or more) first-pass histogram of ``column``."""
        top = self._top.setdefault(column, np.zeros(1 << RADIX_BITS, dtype=np.int64))
        np.add.at(top, np.asarray(prefixes, dtype=np.int64), np.asarray(counts, dtype=np.int64))

    def add_values(self, column: str, values: np.ndarray, counts: np.ndarray) -> None:
        """Add exact values with their counts (the histogram is derived from them)."""
        keys = sortable_keys(values) >> np.uint64(64 - RADIX_BITS)
        self.add_histogram(column, keys, counts)

    def want(self, column: str, ranks: Sequence[int]) -> None:
        """Ask for the values at ``ranks`` (0-based, in sorted order) of ``column``."""
        for rank in ranks:
            self._targets.append(_Target(column, int(rank)))

    def resolve_from_values(self, column: str, values: np.ndarray, counts: np.ndarray) -> None:
        """Answer every rank of ``column`` from its complete, exact value counts."""
        order = np.argsort(values, kind="stable")
        v = np.asarray(values, dtype=np.float64)[order]
        ends = np.cumsum(np.asarray(counts, dtype=np.int64)[order])
        for target in self._targets:
            if target.column == column and target.value is None:
                target.value = float(v[np.searchsorted(ends, target.rank, side="right")])

    def requests(self) -> list[KeyRequest]:
        """What the next pass must ask; empty when every rank is known."""
        if self._pending:
            return [r for r, _ in self._pending]
        groups: dict[KeyRequest, list[_Target]] = {}
        for target in self._targets:
            if target.value is not None:
                continue
            if target.bits == 0:
                self._narrow(target, np.arange(1 << RADIX_BITS), self._top[target.column])
                if target.value is not None:
                    continue
            request = KeyRequest(target.column, target.prefix, target.bits, target.fetch)
            groups.setdefault(request, []).append(target)
        self._pending = list(groups.items())
        return [r for r, _ in self._pending]

    def add_answers(self, answers: Sequence[Sequence[tuple[np.ndarray, np.ndarray]]]) -> None:
        """Add every batch's answers to :meth:`requests` (one list per batch, in order)."""
        for i, (request, targets) in enumerate(self._pending):
            found = np.concatenate([a[i][0] for a in answers]) if answers else np.array([])
            counts = np.concatenate([a[i][1] for a in answers]) if answers else np.array([])
            found = found.astype(np.uint64)
            merged, inverse = np.unique(found, return_inverse=True)
            total = np.zeros(len(merged), dtype=np.int64)
            np.add.at(total, inverse, counts.astype(np.int64))
            for target in targets:
                if request.fetch:
                    ends = np.cumsum(total)
                    key = merged[np.searchsorted(ends, target.rank, side="right")]
                    target.value = float(values_of_keys(np.array([key]))[0])
                else:
                    self._narrow(target, merged.astype(np.int64), total)
        self._pending = []

    def _narrow(self, target: _Target, sub: np.ndarray, counts: np.ndarray) -> None:
        """Move ``target`` into the sub-prefix holding its rank."""
        ends = np.cumsum(counts)
        j = int(np.searchsorted(ends, target.rank, side="right"))
        before = int(ends[j - 1]) if j else 0
        target.rank -= before
        target.prefix = (target.prefix << RADIX_BITS) | int(sub[j])
        target.bits += RADIX_BITS
        if target.bits == 64:  # the prefix is the whole key: one value
            target.value = float(values_of_keys(np.array([target.prefix], dtype=np.uint64))[0])
        target.fetch = int(counts[j]) <= self.fetch_limit

    def values(self, column: str) -> list[float]:
        """The values at the ranks asked for ``column``, in the order asked."""
        return [t.value for t in self._targets if t.column == column]  # type: ignore[misc]
