"""Cells keyed by one packed integer: the fast paths of the DuckDB engine's cells.

With 2^16 score levels the cells are nearly as many as the rows of a few
million, and a hash aggregate over several text keys is then the slowest
part of a gate. When every key has few values, each is replaced by its rank
among the values the rows hold (text by its place among its sorted values,
integers by their offset from the minimum, a binned column by its bin, the
score by its level), the ranks are packed into one integer in mixed radix,
and the cells are counted by that alone: densely, one slot per possible
key, when the product of the ranks is small (:mod:`._duckdb_dense`), else
by a GROUP BY. Ranks follow the reference's sort order (missing last), so
sorting the packed key sorts the cells as
:func:`govkit.scale.cells.cells_of_frame` does, and unpacking it gives back
the values.

One scan first (:func:`probe_query`) finds what the ranks need: each text
key's values, each integer key's range, whether a key has missing values,
the range of a binned column and of the scores; an integer column's range
and missing count come from the Parquet statistics instead when every row
group has them (:func:`footer_ranges`). A slot is kept only for a value the
rows can hold, so the packed keys are as few as the data allows.
:func:`plan_codes` says whether the path applies (None otherwise: a float
key, a text key with too many values, a product of ranks past 2^62).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from govkit.scale.cells import MISSING_LEVEL, OUTSIDE_LEVEL, Key, bin_representative, score_level
from govkit.scale.engines import _duckdb_sql as sql

__all__ = [
    "Code",
    "footer_query",
    "footer_ranges",
    "level_expr",
    "level_range",
    "packed_expr",
    "plan_codes",
    "probe_query",
    "score_sum_expr",
    "space",
    "unpack",
    "unpack_ranks",
]

#: most values a text key may have on this path (its ENUM)
MAX_TEXT_VALUES = 1 << 16
#: a text key with at most this many values is ranked by a search of the list, else by an ENUM
LISTED_TEXT_VALUES = 64
#: widest range of an integer key on this path
MAX_INT_RANGE = 1 << 20
_INTEGER_TYPES = {
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "BIGINT",
    "UTINYINT",
    "USMALLINT",
    "UINTEGER",
    "UBIGINT",
}


@dataclass(frozen=True)
class Code:
    """One key as ranks ``0 .. size - 1``: its SQL expression and the value of each rank."""

    expr: str
    size: int
    #: the value of each rank (NaN for the missing one)
    values: np.ndarray


def probe_query(
    columns: Sequence[str],
    types: dict[str, str],
    source: str,
    *,
    binned: Sequence[str] = (),
    score: str | None = None,
) -> str | None:
    """One scan for what the ranks need; None when a column cannot be ranked (a float or a date key).

    The query returns one value per column of ``columns``, in order (a text
    column's distinct values, with None among them when it has missing
    values; an integer or boolean column's ``[min, max, missing]``), then
    ``[min, max, nulls]`` of each ``binned`` column as a double, then, with
    ``score``, the same of the scores (see :func:`_range`).
    """
    parts: list[str] = []
    for i, c in enumerate(columns):
        t = types[c].upper()
        col = sql.ident(c)
        if t == "VARCHAR":
            parts.append(
                f"list(DISTINCT {col}) || CASE WHEN count({col}) < count(*) "
                f"THEN [NULL] ELSE [] END AS __p{i}"
            )
        elif t in _INTEGER_TYPES or t == "BOOLEAN":
            v = f"CAST({col} AS BIGINT)"
            parts.append(f"[min({v}), max({v}), count(*) - count({v})] AS __p{i}")
        else:
            return None
    for i, c in enumerate(binned):
        parts.append(_range(sql.ident(c), f"__b{i}"))
    if score is not None:
        parts.append(_range(sql.ident(score), "__s"))
    if not parts:
        return "SELECT 1"
    return f"SELECT {', '.join(parts)} FROM {source}"


def _range(column: str, name: str) -> str:
    """``[min, max, nulls]`` as doubles: plain aggregates, the cheapest a scan computes.

    DuckDB orders NaN above infinity above every number, so a finite
    minimum and maximum mean that every non-NULL value is finite.
    """
    v = f"CAST({column} AS DOUBLE)"
    return f"[min({v}), max({v}), count(*) - count({v})] AS {name}"


def _finite_range(probed: Any) -> tuple[float | None, float | None, bool] | None:
    """``(min, max, missing)`` of a probed ``[min, max, nulls]``; None when it holds NaN or infinity.

    ``(None, None, missing)`` when there are no values.
    """
    low, high, nulls = probed
    if low is None:
        return None, None, bool(nulls)
    if not (np.isfinite(low) and np.isfinite(high)):
        return None
    return float(low), float(high), bool(nulls)


#: integer types whose Parquet statistics are read as they are
_FOOTER_TYPES = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT"}


def footer_query(columns: Sequence[str], files: Sequence[str]) -> str:
    """The Parquet statistics of ``columns`` in every row group of ``files`` (no data is read)."""
    listed = ", ".join(sql.string(f) for f in files)
    wanted = ", ".join(sql.string(c) for c in columns)
    return (
        "SELECT file_name, path_in_schema, num_values, stats_min_value, stats_max_value, stats_null_count, "
        "coalesce(min_is_exact, true) AND coalesce(max_is_exact, true) "
        f"FROM parquet_metadata([{listed}]) WHERE path_in_schema IN ({wanted})"
    )


def footer_ranges(
    rows: Sequence[tuple[Any, ...]], columns: Sequence[str], types: dict[str, str], files: int
) -> dict[str, list[Any]]:
    """``[min, max, nulls]`` of each integer column every row group has exact statistics for.

    ``rows`` are :func:`footer_query`'s over ``files`` files; a column of
    another type, a row group without statistics, or a column some file
    lacks (its rows read as NULL there) is left out (the probe scans for it). An
    integer column's statistics are its exact minimum and maximum, so its
    ranks need no scan.
    """
    seen: dict[str, list[Any]] = {}
    bad: set[str] = set()
    holders: dict[str, set[str]] = {}
    for path, column, values, low, high, nulls, exact in rows:
        holders.setdefault(column, set()).add(path)
        if types.get(column, "").upper() not in _FOOTER_TYPES or nulls is None or not exact:
            bad.add(column)
            continue
        entry = seen.setdefault(column, [None, None, 0])
        entry[2] += int(nulls)
        if low is None or high is None:
            if int(nulls) < int(values):
                bad.add(column)
            continue
        lo, hi = int(low), int(high)
        entry[0] = lo if entry[0] is None else min(entry[0], lo)
        entry[1] = hi if entry[1] is None else max(entry[1], hi)
    bad |= {c for c, held in holders.items() if len(held) < files}
    return {c: seen[c] for c in columns if c in seen and c not in bad}


def level_range(probed: Any, levels: int) -> tuple[int, int]:
    """The lowest and highest cell level the rows hold, from the probe.

    Levels as :func:`govkit.scale.cells.cell_level` gives them: -1 for a
    missing score, -2 for one outside [0, 1]. ``probed`` is the score's
    ``[min, max, nulls]``; None when the cells have no scores (every level -1).
    """
    if probed is None:
        return MISSING_LEVEL, MISSING_LEVEL
    found = _finite_range(probed)
    if found is None:  # NaN or infinite scores, beside which any other may lie
        return OUTSIDE_LEVEL, levels - 1
    low, high, missing = found
    if low is None or high is None:
        return MISSING_LEVEL, MISSING_LEVEL
    inside = np.clip(np.array([low, high], dtype=np.float64), 0.0, 1.0)
    lo, hi = score_level(inside, levels)
    if low < 0 or high > 1:
        return OUTSIDE_LEVEL, int(hi)
    return (MISSING_LEVEL if missing else int(lo)), int(hi)


def level_expr(score: str, levels: int, probed: Any) -> str:
    """:func:`govkit.scale.cells.cell_level` in SQL, as cheap as the probed scores allow.

    When every score is present and within [0, 1] the level is a floor,
    clipped only where a score is 1 itself.
    """
    found = _finite_range(probed)
    if found is None or found[0] is None or found[1] is None or found[2]:
        return sql.level(score, levels)
    low, high = found[0], found[1]
    if low < 0 or high > 1:
        return sql.level(score, levels)
    expr = f"CAST(floor(CAST({sql.ident(score)} AS DOUBLE) * {sql.double(levels)}) AS BIGINT)"
    if high * levels >= levels:
        expr = f"least({expr}, {levels - 1})"
    return expr


def score_sum_expr(score: str, probed: Any) -> str:
    """:func:`govkit.scale.engines._duckdb_sql.score_sum`, the score itself when none is missing."""
    found = _finite_range(probed)
    if found is None or found[0] is None or found[2]:
        return sql.score_sum(score)
    return f"CAST({sql.ident(score)} AS DOUBLE)"


def _ranked(expr: str, values: list[Any], missing: bool, kind: Any = object) -> Code:
    """A key whose rank ``expr`` gives for present values; NULL takes the last rank if ``missing``."""
    if missing or not values:  # an empty column keeps one (missing) slot
        expr = f"coalesce({expr}, {len(values)})"
        return Code(expr, len(values) + 1, np.array([*values, np.nan], dtype=kind))
    return Code(expr, len(values), np.array(values, dtype=kind))


def _column_code(column: str, sql_type: str, probed: Any) -> Code | None:
    c = sql.ident(column)
    t = sql_type.upper()
    if t == "VARCHAR":
        present = list(probed or ())
        values = sorted(v for v in present if v is not None)
        if len(values) > MAX_TEXT_VALUES or any("\x00" in v for v in values):
            return None
        missing = None in present
        if not values:
            return _ranked("CAST(NULL AS BIGINT)", [], missing)
        listed = ", ".join(sql.string(v) for v in values)
        if len(values) <= LISTED_TEXT_VALUES:
            # several times faster than an ENUM cast on Parquet's dictionary-encoded text
            expr = f"(CAST(list_position([{listed}], {c}) AS BIGINT) - 1)"
        else:
            expr = f"CAST(enum_code(CAST({c} AS ENUM({listed}))) AS BIGINT)"
        return _ranked(expr, values, missing)
    low, high, missing = probed
    if low is None:
        return _ranked("CAST(NULL AS BIGINT)", [], bool(missing))
    span = int(high) - int(low) + 1
    if span > MAX_INT_RANGE:
        return None
    expr = f"(CAST({c} AS BIGINT) - ({int(low)}))"
    if t == "BOOLEAN":
        return _ranked(expr, [bool(v) for v in range(int(low), int(high) + 1)], bool(missing))
    ints = [float(v) for v in range(int(low), int(high) + 1)]
    return _ranked(expr, ints, bool(missing), np.float64)


def _binned_code(key: Key, probed: Any) -> Code:
    """A binned key's rank: the rank of its representative among those the rows can take.

    ``probed`` is the column's ``[min, max, missing]`` (None: every bin kept).
    """
    edges = [float(e) for e in key.edges or ()]
    below, above = edges[0] - 1.0, edges[-1] + 1.0
    reps = sorted({below, *edges[:-1], above})
    first, last, missing = 0, len(reps) - 1, True
    found = _finite_range(probed) if probed is not None else None
    if found is not None:
        low, high, missing = found
        if low is None or high is None:
            first, last = 0, -1
        else:
            lo, hi = bin_representative(np.array([low, high], dtype=np.float64), edges)
            first, last = reps.index(float(lo)), reps.index(float(hi))
    kept = reps[first : last + 1]
    v = f"CAST({sql.ident(key.column)} AS DOUBLE)"
    arms = [f"WHEN {v} IS NULL OR isnan({v}) THEN NULL"]
    if kept:
        rank = {r: i for i, r in enumerate(kept)}
        if below in rank:
            arms.append(f"WHEN {v} < {sql.double(edges[0])} THEN {rank[below]}")
        if above in rank:
            arms.append(f"WHEN {v} > {sql.double(edges[-1])} THEN {rank[above]}")
        arms += [
            f"WHEN {v} >= {sql.double(e)} THEN {rank[e]}" for e in reversed(edges[:-1]) if e in rank
        ]
    expr = "CAST(CASE " + " ".join(arms) + " END AS BIGINT)"
    return _ranked(expr, kept, missing, np.float64)


def plan_codes(
    keys: Sequence[Key],
    columns: Sequence[str],
    types: dict[str, str],
    probed: dict[str, Any],
    levels: int,
    level_expr: str,
    *,
    binned: Sequence[Any] | None = None,
    level_bounds: tuple[int, int] | None = None,
) -> list[Code] | None:
    """The ranks of every key of the cells (keys, then ``columns``, then the level), or None.

    ``columns`` are the label and prediction; ``probed`` holds what
    :func:`probe_query` found for each of them and each unbinned key,
    ``binned`` what it found for each binned key in order (None: every bin
    kept), ``level_bounds`` the levels the rows hold (:func:`level_range`;
    None: every level and -1).
    """
    codes: list[Code] = []
    ranges = list(binned) if binned is not None else None
    for key in keys:
        if key.edges is not None:
            codes.append(_binned_code(key, ranges.pop(0) if ranges else None))
            continue
        code = _column_code(key.column, types[key.column], probed.get(key.column))
        if code is None:
            return None
        codes.append(code)
    for column in columns:
        code = _column_code(column, types[column], probed.get(column))
        if code is None:
            return None
        codes.append(code)
    low, high = level_bounds if level_bounds is not None else (-1, levels - 1)
    level_values = np.arange(low, high + 1, dtype=np.int64)
    codes.append(Code(f"(({level_expr}) - ({low}))", len(level_values), level_values))
    if space(codes) >= 2.0**62:
        return None
    return codes


def space(codes: Sequence[Code]) -> float:
    """How many packed keys the codes can make: the product of their sizes."""
    return float(np.prod([float(c.size) for c in codes]))


def packed_expr(codes: Sequence[Code]) -> str:
    """The packed key: ranks in mixed radix, the first key most significant."""
    expr = codes[0].expr
    for code in codes[1:]:
        expr = f"(({expr}) * {code.size} + {code.expr})"
    return expr


#: packed keys unravelled at a time (numpy's unravelling makes an int64 array per key)
_UNPACK_CHUNK = 1 << 20


def unpack_ranks(packed: np.ndarray, codes: Sequence[Code]) -> list[np.ndarray]:
    """Each key's ranks from the packed keys, in the smallest integer type that holds them.

    numpy's unravelling (the mixed radix, in C) runs on chunks, so the
    int64 arrays it makes stay small next to millions of cells.
    """
    keys = np.asarray(packed, dtype=np.int64)
    shape = tuple(c.size for c in codes)
    out = [np.empty(len(keys), dtype=np.min_scalar_type(max(c.size - 1, 0))) for c in codes]
    for start in range(0, len(keys), _UNPACK_CHUNK):
        part = keys[start : start + _UNPACK_CHUNK]
        ranks = np.unravel_index(part, shape) if len(codes) > 1 else (part,)
        for target, rank in zip(out, ranks, strict=True):
            target[start : start + len(part)] = rank
    return out


def unpack(packed: np.ndarray, codes: Sequence[Code]) -> list[np.ndarray]:
    """Each key's values from the packed keys."""
    ranks = unpack_ranks(packed, codes)
    return [code.values[rank] for code, rank in zip(codes, ranks, strict=True)]
