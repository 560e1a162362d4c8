"""Statistics of one batch that add up to the statistics of all the rows.

A distributed engine computes each statistic on every batch where the batch
lies, sends back only that small *partial*, and merges the partials on the
driver. Counts add; the rest need care, kept here so every engine that works
batch by batch merges the same way:

- a column's distinct values do not add: a batch sends its distinct values
  when there are few (at most ``limit``); a column where some batch, or the
  union, has more is marked for an exact distributed count instead;
- the mean and the population standard deviation merge by Chan's parallel
  update of (count, mean, sum of squared deviations), which loses no
  precision the way a sum of squares does;
- quantiles are order statistics, found with :mod:`._ranks` (a batch with few
  distinct values sends them with their counts; otherwise a histogram of
  their top bits);
- a pandas column's dtype depends on the batch (an integer column with a
  missing value is float64 in that batch only), so the dtypes merge as
  :func:`pandas.concat` would merge them.

The functions of :mod:`govkit.scale.engines.base` ending in ``_of_frame``
remain the definition: each merge here is tested to equal them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from govkit.privacy.missing import missing_mask
from govkit.scale.cells import WEIGHT
from govkit.scale.engines._ranks import RankSearch, sortable_keys, top_histogram
from govkit.scale.engines.base import (
    ANY_MISSING,
    DISTINCT_SENSITIVE,
    Profile,
    ProfileSpec,
    missing_column,
)

__all__ = [
    "DISTINCT_LIMIT",
    "ClassesMerge",
    "ColumnPartial",
    "ProfileMerge",
    "ProfilePartial",
    "class_partial",
    "common_dtype",
    "numeric_keys",
    "present_values",
    "profile_partial",
    "sum_class_partials",
]

#: a batch sends a column's distinct values when it has at most this many
DISTINCT_LIMIT = 4096
#: the driver keeps a column's merged distinct values up to this many
MERGED_LIMIT = 1_000_000
#: merge buffered partial tables once they hold this many rows more than the merged one
_BUFFER_ROWS = 200_000


def _is_numeric(dtype: Any) -> bool:
    return bool(pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype))


def common_dtype(dtypes: Sequence[str]) -> str:
    """The dtype :func:`pandas.concat` gives columns of these dtypes (as strings)."""
    unique = list(dict.fromkeys(dtypes))
    if not unique:  # no batch: nothing says what the column holds
        return "object"
    if len(unique) == 1:
        return unique[0]
    try:
        numpy_dtypes = [np.dtype(d) for d in unique]
    except TypeError:
        return "object"
    if all(_is_numeric(d) for d in numpy_dtypes):
        return str(np.result_type(*numpy_dtypes))
    return "object"


def present_values(frame: pd.DataFrame, column: str, markers: Sequence[str]) -> pd.Series:
    """``column``'s values that are not missing (NaN, None, or a marker)."""
    missing = missing_mask(frame[[column]], list(markers))[:, 0]
    return frame[column][~missing]


def numeric_keys(series: pd.Series) -> np.ndarray:
    """The sortable keys of a numeric column's present values (see :mod:`._ranks`)."""
    return sortable_keys(series.to_numpy(dtype=np.float64, na_value=np.nan))


@dataclass
class ColumnPartial:
    """One column of one batch: dtype, present values, and what merges into the rest."""

    dtype: str
    present: int
    #: the distinct present values, or None when there are more than the limit
    uniques: np.ndarray | None
    numeric: bool = False
    mean: float = 0.0
    m2: float = 0.0  # sum of squared deviations from the mean
    #: numeric: distinct values and their counts when few, else None
    value_counts: tuple[np.ndarray, np.ndarray] | None = None
    #: numeric: the top-bits histogram (see :mod:`._ranks`) when there are many values
    histogram: tuple[np.ndarray, np.ndarray] | None = None


@dataclass
class ProfilePartial:
    """The data-quality statistics of one batch (see :func:`profile_partial`)."""

    counts: pd.DataFrame
    columns: dict[str, ColumnPartial]


def profile_partial(
    frame: pd.DataFrame, spec: ProfileSpec, limit: int = DISTINCT_LIMIT
) -> ProfilePartial:
    """One batch's share of :func:`~govkit.scale.engines.base.profile_of_frame`."""
    columns = list(spec.columns)
    missing = missing_mask(frame[columns], list(spec.markers))
    table = frame[[*spec.groups, spec.label]].copy()
    table[WEIGHT] = 1
    for j, column in enumerate(columns):
        table[missing_column(column)] = missing[:, j].astype(np.int64)
    table[ANY_MISSING] = missing.any(axis=1).astype(np.int64)
    keys = [*spec.groups, spec.label]
    counts = table.groupby(keys, dropna=False, sort=False, observed=True).sum().reset_index()
    out: dict[str, ColumnPartial] = {}
    for j, column in enumerate(columns):
        series = frame[column][~missing[:, j]]
        numeric = _is_numeric(frame[column].dtype)
        if numeric:
            values = series.to_numpy(dtype=np.float64)
            distinct, value_counts = np.unique(values, return_counts=True)
            partial = ColumnPartial(
                dtype=str(frame[column].dtype),
                present=len(values),
                uniques=distinct if len(distinct) <= limit else None,
                numeric=True,
                mean=float(values.mean()) if len(values) else 0.0,
                m2=float(((values - values.mean()) ** 2).sum()) if len(values) else 0.0,
            )
            if len(distinct) <= limit:
                partial.value_counts = (distinct, value_counts.astype(np.int64))
            else:
                partial.histogram = top_histogram(sortable_keys(values))
        else:
            uniques = pd.unique(series)
            partial = ColumnPartial(
                dtype=str(frame[column].dtype),
                present=len(series),
                uniques=np.asarray(uniques, dtype=object) if len(uniques) <= limit else None,
            )
        out[column] = partial
    return ProfilePartial(counts=counts, columns=out)


@dataclass
class _ColumnMerge:
    dtypes: list[str] = field(default_factory=list)
    present: int = 0
    numeric: bool = False
    mean: float = 0.0
    m2: float = 0.0
    uniques: list[np.ndarray] | None = field(default_factory=list)
    value_counts: list[tuple[np.ndarray, np.ndarray]] | None = field(default_factory=list)
    held: int = 0

    def add(self, part: ColumnPartial) -> None:
        self.dtypes.append(part.dtype)
        self.numeric = self.numeric or part.numeric
        if part.present:
            n_a, n_b = self.present, part.present
            delta = part.mean - self.mean
            total = n_a + n_b
            self.mean += delta * n_b / total
            self.m2 += part.m2 + delta * delta * n_a * n_b / total
            self.present = total
        if part.uniques is None:
            self.uniques = None
        elif self.uniques is not None:
            self.uniques.append(part.uniques)
            self.held += len(part.uniques)
            if self.held > 2 * MERGED_LIMIT:
                self._reduce()
        if part.value_counts is None:
            self.value_counts = None
        elif self.value_counts is not None:
            self.value_counts.append(part.value_counts)

    def _reduce(self) -> None:
        if self.uniques is None:
            return
        merged = _union(self.uniques)
        self.uniques = None if len(merged) > MERGED_LIMIT else [merged]
        self.held = 0 if self.uniques is None else len(merged)

    def distinct(self) -> int | None:
        """The number of distinct present values, or None when it needs a distributed count."""
        self._reduce()
        return None if self.uniques is None else len(self.uniques[0]) if self.uniques else 0

    def exact_values(self) -> tuple[np.ndarray, np.ndarray] | None:
        """Every distinct present value with its count, when every batch sent them."""
        if self.value_counts is None or not self.value_counts:
            return None
        values = np.concatenate([v for v, _ in self.value_counts])
        counts = np.concatenate([c for _, c in self.value_counts])
        merged, inverse = np.unique(values, return_inverse=True)
        total = np.zeros(len(merged), dtype=np.int64)
        np.add.at(total, inverse, counts)
        return merged, total


def _union(arrays: list[np.ndarray]) -> np.ndarray:
    if not arrays:
        return np.array([], dtype=object)
    if all(a.dtype != object for a in arrays):
        return np.unique(np.concatenate(arrays))
    return np.asarray(pd.unique(pd.Series(np.concatenate(arrays), dtype=object)), dtype=object)


#: numpy's percentile of [5, 50, 95], as the probabilities it uses
PROFILE_PROBABILITIES = tuple(float(q) for q in np.true_divide([5, 50, 95], 100))


@dataclass
class ProfileMerge:
    """Merges :class:`ProfilePartial` s into a :class:`Profile`, with the help of more passes.

    After every partial is added, :attr:`search` holds the quantile ranks
    still to find (run its requests over the batches until none is left) and
    :meth:`needs_distinct_count` the columns whose distinct values are too
    many to merge here (count them with a distributed group-by and give the
    counts to :meth:`result`).
    """

    spec: ProfileSpec
    _counts: list[pd.DataFrame] = field(default_factory=list)
    _columns: dict[str, _ColumnMerge] = field(default_factory=dict)
    search: RankSearch = field(default_factory=RankSearch)
    _ranks_set: bool = False

    def add(self, part: ProfilePartial) -> None:
        self._counts.append(part.counts)
        for column, partial in part.columns.items():
            merge = self._columns.setdefault(column, _ColumnMerge())
            merge.add(partial)
            if partial.value_counts is not None:
                self.search.add_values(column, *partial.value_counts)
            elif partial.histogram is not None:
                self.search.add_histogram(column, *partial.histogram)

    def _numeric(self, column: str) -> bool:
        merge = self._columns.get(column)
        return bool(merge and merge.present and _is_numeric(common_dtype(merge.dtypes)))

    def set_ranks(self) -> None:
        """Ask :attr:`search` for the ranks of every numeric column's percentiles."""
        from govkit.scale.engines._ranks import order_statistics_needed

        if self._ranks_set:
            return
        self._ranks_set = True
        for column in self.spec.columns:
            if not self._numeric(column):
                continue
            merge = self._columns[column]
            prev, nxt, _ = order_statistics_needed(merge.present, PROFILE_PROBABILITIES)
            self.search.want(column, [*prev.tolist(), *nxt.tolist()])
            exact = merge.exact_values()
            if exact is not None:
                self.search.resolve_from_values(column, *exact)

    def needs_distinct_count(self) -> list[str]:
        """The columns whose distinct values must be counted where the data lies."""
        return [c for c in self.spec.columns if self._merge(c).distinct() is None]

    def _merge(self, column: str) -> _ColumnMerge:
        return self._columns.get(column) or _ColumnMerge()

    def result(self, distinct_counts: dict[str, int] | None = None) -> Profile:
        """The profile; ``distinct_counts`` for the columns of :meth:`needs_distinct_count`."""
        from govkit.scale.engines._ranks import interpolate, order_statistics_needed

        self.set_ranks()
        keys = [*self.spec.groups, self.spec.label]
        if not self._counts:
            names = [*keys, WEIGHT, *map(missing_column, self.spec.columns), ANY_MISSING]
            self._counts.append(pd.DataFrame({c: pd.Series(dtype=np.int64) for c in names}))
        counts = (
            pd.concat(self._counts, ignore_index=True)
            .groupby(keys, dropna=False, sort=False, observed=True)
            .sum()
            .reset_index()
            .sort_values(keys, na_position="last", kind="mergesort")
            .reset_index(drop=True)
        )
        rows: list[dict[str, Any]] = []
        for column in self.spec.columns:
            merge = self._merge(column)
            distinct = merge.distinct()
            if distinct is None:
                distinct = (distinct_counts or {})[column]
            entry: dict[str, Any] = {
                "column": column,
                "dtype": common_dtype(merge.dtypes),
                "present": merge.present,
                "distinct": int(distinct),
            }
            stats = dict.fromkeys(("mean", "std", "p05", "median", "p95"), np.nan)
            if self._numeric(column):
                found = np.asarray(self.search.values(column), dtype=np.float64)
                _, _, gamma = order_statistics_needed(merge.present, PROFILE_PROBABILITIES)
                q = interpolate(found[:3], found[3:], gamma)
                stats = {
                    "mean": float(merge.mean),
                    "std": float(np.sqrt(merge.m2 / merge.present)),
                    "p05": float(q[0]),
                    "median": float(q[1]),
                    "p95": float(q[2]),
                }
            rows.append(entry | stats)
        return Profile(counts=counts, columns=pd.DataFrame(rows).set_index("column"))


def class_partial(
    frame: pd.DataFrame, columns: Sequence[str], sensitive: str | None
) -> pd.DataFrame:
    """One batch's rows per combination of ``columns`` (and ``sensitive``): they add."""
    keys = [*columns, *([sensitive] if sensitive is not None else [])]
    sizes = frame.groupby(keys, dropna=False, sort=False, observed=True).size()
    return sizes.rename(WEIGHT).reset_index()


def sum_class_partials(parts: Sequence[pd.DataFrame], keys: Sequence[str]) -> pd.DataFrame:
    """Several :func:`class_partial` tables as one: rows of the same combination add."""
    table = pd.concat(list(parts), ignore_index=True)
    grouped = table.groupby(list(keys), dropna=False, sort=False, observed=True)[WEIGHT]
    return grouped.sum().reset_index()


@dataclass
class ClassesMerge:
    """Merges :func:`class_partial` tables into :func:`class_sizes_of_frame`'s table.

    Buffered partials are summed whenever they outgrow the merged table, so
    the driver holds about twice the answer, never every batch's share.
    """

    columns: tuple[str, ...]
    sensitive: str | None
    _merged: pd.DataFrame | None = None
    _buffer: list[pd.DataFrame] = field(default_factory=list)
    _buffered: int = 0

    def _keys(self) -> list[str]:
        return [*self.columns, *([self.sensitive] if self.sensitive is not None else [])]

    def add(self, part: pd.DataFrame) -> None:
        self._buffer.append(part)
        self._buffered += len(part)
        held = 0 if self._merged is None else len(self._merged)
        if self._buffered > max(_BUFFER_ROWS, held):
            self._sum()

    def _sum(self) -> None:
        frames = ([self._merged] if self._merged is not None else []) + self._buffer
        if frames:
            self._merged = sum_class_partials(frames, self._keys())
        self._buffer, self._buffered = [], 0

    def result(self) -> pd.DataFrame:
        self._sum()
        keys = list(self.columns)
        if self._merged is None:
            empty = {c: pd.Series(dtype=object) for c in keys}
            empty[WEIGHT] = pd.Series(dtype=np.int64)
            if self.sensitive is not None:
                empty[DISTINCT_SENSITIVE] = pd.Series(dtype=np.int64)
            return pd.DataFrame(empty)
        grouped = self._merged.groupby(keys, dropna=False, sort=False, observed=True)
        out = grouped[WEIGHT].sum().to_frame()
        if self.sensitive is not None:
            out[DISTINCT_SENSITIVE] = grouped.size().astype(np.int64)
        out = out.reset_index().sort_values(keys, na_position="last", kind="mergesort")
        return out.reset_index(drop=True).astype({WEIGHT: np.int64})
