"""The parts of the DuckDB engine's data-quality profile that keep its scans cheap per row.

A profile at 50M rows is dominated by what each row costs, not by how many
scans there are: a text column's marker test (``trim(...) IN (...)``) per row,
and quantile sketches that sort or digest every value. So:

- a short probe of the first files tells the columns of few values (codes,
  categories, small integers) from the others (:func:`probe_tables`,
  :func:`is_few_valued`);
- the few-valued columns are counted value by value in one scan (GROUPING
  SETS); every figure of such a column follows exactly from its histogram
  (:func:`histogram_figures`), and a text column's markers are tested once
  per distinct value, in Python, as :func:`govkit.privacy.missing.missing_mask`
  does; the per-row missing test becomes an ``IN`` over the raw values found
  to be markers (:func:`marker_test`);
- the many-valued numeric columns get their moments per group from the scan
  that counts the missing values (shifted sums, :func:`shifted_moments`), and exact
  quantiles by narrowing down on equal-width buckets (:class:`BucketSearch`),
  with the order statistics combined as numpy does (:mod:`._ranks`). Those
  sums are exact (:class:`._duckdb_sql.ExactSum`), so the moments are the same on every
  run whatever order DuckDB's threads add the rows in.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from govkit.scale.engines import _duckdb_sql as sql
from govkit.scale.engines._ranks import interpolate, order_statistics_needed
from govkit.scale.engines.base import TableRef

__all__ = [
    "BRACKET",
    "BUCKETS",
    "FETCH_LIMIT",
    "FEW_VALUES",
    "PROBE_ROWS",
    "BucketSearch",
    "bracket_probabilities",
    "brackets",
    "histogram_figures",
    "is_few_valued",
    "marker_test",
    "probe_tables",
    "shifted_moments",
]

#: rows of the first files a probe reads to tell few-valued columns from the others
PROBE_ROWS = 1 << 20
#: a column with at most this many values in the probe is counted value by value
FEW_VALUES = 4096
#: half the width, in probability, of the probe's bracket around each wanted quantile
BRACKET = 0.004
#: buckets per narrowing pass of :class:`BucketSearch`
BUCKETS = 1 << 16
#: a bucket holding at most this many values is fetched and its order statistics read
FETCH_LIMIT = 200_000


def probe_tables(tables: Sequence[TableRef], rows: int = PROBE_ROWS) -> list[TableRef]:
    """Files spread evenly over each table, about ``rows`` rows in all (from the footers)."""
    import pyarrow.parquet as pq

    out: list[TableRef] = []
    share = max(1, rows // max(1, len(tables)))
    for table in tables:
        sizes = [pq.read_metadata(path).num_rows for path in table.files]
        total = sum(sizes)
        if not sizes:
            continue
        # every k-th file, so that the probe spans the partitions, not the first of them
        every = max(1, int(total // max(share, 1)))
        picked = [path for i, path in enumerate(table.files) if i % every == 0]
        out.append(TableRef(tuple(picked), hive=table.hive))
    return out


def bracket_probabilities(probabilities: Sequence[float]) -> list[float]:
    """The probe's quantiles bracketing each wanted one: ``p - BRACKET`` and ``p + BRACKET``."""
    out: list[float] = []
    for p in probabilities:
        out += [max(0.0, p - BRACKET), min(1.0, p + BRACKET)]
    return out


def brackets(found: Sequence[Any], wanted: int) -> list[tuple[float, float]]:
    """The probe's bracketing values as (low, high) per wanted quantile (open at 0 and 1)."""
    values = [float(v) for v in found]
    out: list[tuple[float, float]] = []
    for k in range(wanted):
        low, high = values[2 * k], values[2 * k + 1]
        out.append((low, high))
    return out


def is_few_valued(distinct: int, rows: int) -> bool:
    """Whether a column whose probe saw ``distinct`` values in ``rows`` rows is counted by value.

    A guess only: a column guessed wrong is still measured exactly, only
    with a larger histogram.
    """
    return distinct <= FEW_VALUES and distinct * 8 <= max(rows, 8)


def marker_test(column: str, sql_type: str, values: Sequence[Any]) -> str | None:
    """A cheap per-row test equal to the marker test on a column whose values are all known.

    ``values`` are the column's raw values that are markers; None when the
    column is not text DuckDB can compare with literals (the trimmed test is
    used then).
    """
    if not sql_type.upper().startswith("VARCHAR"):
        return None
    c = sql.ident(column)
    if not values:
        return f"({c} IS NULL)"
    try:
        listed = ", ".join(sql.string(str(v)) for v in values)
    except ValueError:  # a NUL character cannot be written as a literal
        return None
    return f"({c} IS NULL OR {c} IN ({listed}))"


@dataclass
class Figures:
    """One column's profile figures."""

    present: int
    distinct: int
    nulls: int
    mean: float | None = None
    std: float | None = None
    quantiles: list[float] | None = None
    markers: list[Any] = field(default_factory=list)
    #: rows whose value is missing (NULL, NaN or a marker)
    missing: int = 0
    #: the quantiles come from a sketch, not the values
    sketched: bool = False


def histogram_figures(
    pairs: Sequence[tuple[Any, int]],
    kind: str,
    markers: Sequence[str],
    probabilities: Sequence[float],
) -> Figures:
    """Every profile figure of a column from its complete histogram ``(raw value, rows)``.

    Missing: NULL, NaN, and for ``text`` columns a value whose ``str`` equals
    a marker after stripping whitespace (``missing_mask``'s rule, applied
    once per value). ``numeric`` columns get the mean, population standard
    deviation and numpy's linear quantiles of their present values.
    """
    marker_set = {str(m).strip() for m in markers} if kind == "text" else set()
    nulls = 0
    gone = 0
    found: list[Any] = []
    counted: dict[Any, int] = {}
    for value, rows in pairs:
        if value is None:
            nulls += int(rows)
            gone += int(rows)
            continue
        if isinstance(value, float) and math.isnan(value):
            gone += int(rows)
            continue
        if marker_set and str(value).strip() in marker_set:
            found.append(value)
            gone += int(rows)
            continue
        # a dict merges what pandas' nunique merges (0.0 and -0.0, 1 and 1.0)
        counted[value] = counted.get(value, 0) + int(rows)
    present = sum(counted.values())
    out = Figures(present=present, distinct=len(counted), nulls=nulls, markers=found, missing=gone)
    if kind == "numeric" and present:
        values = np.array([float(v) for v in counted], dtype=np.float64)
        weights = np.array(list(counted.values()), dtype=np.int64)
        order = np.argsort(values, kind="stable")
        values, weights = values[order], weights[order]
        mean = float(np.dot(values, weights) / present)
        out.mean = mean
        out.std = float(np.sqrt(np.dot(weights, (values - mean) ** 2) / present))
        ends = np.cumsum(weights)
        low, high, gamma = order_statistics_needed(present, probabilities)
        a = values[np.searchsorted(ends, low, side="right")]
        b = values[np.searchsorted(ends, high, side="right")]
        out.quantiles = [float(q) for q in interpolate(a, b, gamma)]
    return out


def shifted_moments(n: int, s1: float, s2: float, shift: float) -> tuple[float, float]:
    """The mean and population standard deviation from sums of ``v - shift`` and its square.

    With ``shift`` near the values' middle the two sums stay small and the
    variance ``s2 / n - (s1 / n)^2`` loses no more digits than the data has.
    """
    m1 = s1 / n
    variance = max(s2 / n - m1 * m1, 0.0)
    return shift + m1, float(np.sqrt(variance))


@dataclass
class _Target:
    column: int
    rank: int  # rank inside the rows ``cond`` selects
    cond: str
    count: int
    low: float
    high: float
    value: float | None = None


class BucketSearch:
    """Exact order statistics of DOUBLE columns, found by narrowing down on buckets.

    Each pass counts a column's present values in :data:`BUCKETS` equal-width
    buckets between their least and greatest value (with each bucket's least
    and greatest value), which says in which bucket each wanted rank lies; a
    bucket of at most :data:`FETCH_LIMIT` values is fetched and its order
    statistic read, a larger one is split again the same way. The bucket of
    a value is a monotone function of it (differences, products and floor
    all round monotonically), so buckets never reorder values; splitting a
    bucket between its own least and greatest value always separates them,
    so the search ends. Every column's first pass shares one scan, and so
    does every fetch of a pass.

    ``run`` executes a query and returns its rows; ``source`` is a table
    expression holding each searched column ``j`` as ``__v{j}`` (NULL when
    missing).
    """

    def __init__(self, run: Callable[[str], list[tuple[Any, ...]]], source: str) -> None:
        self._run = run
        self._source = source
        self._targets: list[_Target] = []
        self._asked: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray, int]] = {}

    @staticmethod
    def searchable(low: float | None, high: float | None) -> bool:
        """Whether a column of these least and greatest values can be bucketed."""
        if low is None or high is None or not (math.isfinite(low) and math.isfinite(high)):
            return False
        return low == high or math.isfinite(BUCKETS / (high - low))

    def want(
        self, column: int, count: int, low: float, high: float, probabilities: Sequence[float]
    ) -> None:
        """Ask for numpy's quantiles of column ``column`` (``count`` values in [low, high])."""
        below, above, gamma = order_statistics_needed(count, probabilities)
        self._asked[column] = (below, above, gamma, len(self._targets))
        cond = f"__v{column} IS NOT NULL"
        for rank in [*below.tolist(), *above.tolist()]:
            self._targets.append(_Target(column, int(rank), cond, count, low, high))

    def quantiles(self) -> dict[int, list[float]]:
        """Run the passes; each asked column's quantiles."""
        while True:
            open_ = [t for t in self._targets if t.value is None]
            if not open_:
                break
            for t in open_:
                if t.low == t.high:
                    t.value = t.low
            fetch = [t for t in open_ if t.value is None and t.count <= FETCH_LIMIT]
            split = [t for t in open_ if t.value is None and t.count > FETCH_LIMIT]
            if fetch:
                self._fetch(fetch)
            if split:
                self._split(split)
        out: dict[int, list[float]] = {}
        for column, (below, _, gamma, start) in self._asked.items():
            values = [t.value for t in self._targets[start : start + 2 * len(below)]]
            a = np.array(values[: len(below)], dtype=np.float64)
            b = np.array(values[len(below) :], dtype=np.float64)
            out[column] = [float(q) for q in interpolate(a, b, gamma)]
        return out

    def _regions(self, targets: list[_Target]) -> list[tuple[int, str]]:
        return list(dict.fromkeys((t.column, t.cond) for t in targets))

    def _fetch(self, targets: list[_Target]) -> None:
        regions = self._regions(targets)
        picked = ", ".join(
            f"CASE WHEN {cond} THEN __v{column} END AS __f{i}"
            for i, (column, cond) in enumerate(regions)
        )
        where = " OR ".join(f"({cond})" for _, cond in regions)
        rows = self._run(f"SELECT {picked} FROM {self._source} WHERE {where}")
        for i, region in enumerate(regions):
            values = np.sort(np.array([r[i] for r in rows if r[i] is not None], dtype=np.float64))
            for t in targets:
                if (t.column, t.cond) == region:
                    t.value = float(values[t.rank])

    def _split(self, targets: list[_Target]) -> None:
        regions = self._regions(targets)
        bounds = {(t.column, t.cond): (t.low, t.high) for t in targets}
        buckets: list[str] = []
        for column, cond in regions:
            low, high = bounds[(column, cond)]
            buckets.append(_bucket(column, low, high))
        selected = [
            f"CASE WHEN {cond} THEN {bucket} END AS __b{i}"
            for i, ((_, cond), bucket) in enumerate(zip(regions, buckets, strict=True))
        ]
        values = ", ".join(f"__v{c}" for c in dict.fromkeys(c for c, _ in regions))
        sets = ", ".join(f"(__b{i})" for i in range(len(regions)))
        names = ", ".join(f"__b{i}" for i in range(len(regions)))
        extremes = ", ".join(f"min(__v{c}), max(__v{c})" for c, _ in regions)
        where = " OR ".join(f"({cond})" for _, cond in regions)
        rows = self._run(
            f"SELECT [{names}], count(*), [{extremes}] FROM "
            f"(SELECT {', '.join(selected)}, {values} FROM {self._source} WHERE {where}) "
            f"GROUP BY GROUPING SETS ({sets})"
        )
        found: dict[int, list[tuple[int, int, float, float]]] = {i: [] for i in range(len(regions))}
        for keys, count, extreme in rows:
            for i, key in enumerate(keys):
                if key is not None:
                    found[i].append((int(key), int(count), extreme[2 * i], extreme[2 * i + 1]))
        for i, (column, cond) in enumerate(regions):
            table = sorted(found[i])
            ends = np.cumsum([n for _, n, _, _ in table])
            for t in targets:
                if (t.column, t.cond) != (column, cond):
                    continue
                j = int(np.searchsorted(ends, t.rank, side="right"))
                key, count, low, high = table[j]
                t.rank -= int(ends[j - 1]) if j else 0
                t.cond = f"({cond}) AND {buckets[i]} = {key}"
                t.count, t.low, t.high = count, float(low), float(high)


def _bucket(column: int, low: float, high: float) -> str:
    """The bucket, 0 to BUCKETS - 1, of ``__v{column}`` in [low, high] (monotone in the value)."""
    scale = BUCKETS / (high - low)
    v = f"__v{column}"
    return (
        f"least({BUCKETS - 1}, CAST(floor(({v} - {sql.double(low)}) * {sql.double(scale)}) "
        "AS BIGINT))"
    )
