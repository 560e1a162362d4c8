"""Cells grouped by one packed integer: the fast path of the DuckDB engine's cells.

With 2^16 score levels the cells are nearly as many as the rows of a few
million, and a hash aggregate over several text keys is then the slowest
part of a gate. When every key has few values, each is replaced by its rank
among them (text through an ENUM of its sorted values, integers by their
offset from the minimum, a binned column by its bin), the ranks are packed
into one BIGINT, and DuckDB groups by that alone. Ranks follow the
reference's sort order (missing last), so sorting the packed key sorts the
cells as :func:`govkit.scale.cells.cells_of_frame` does, and unpacking it
gives back the values.

:func:`plan_codes` says whether the path applies (None otherwise: a float
key, a text key with too many values, a product of ranks past 2^62).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from govkit.scale.cells import Key
from govkit.scale.engines import _duckdb_sql as sql

__all__ = ["Code", "plan_codes", "probe_query", "unpack"]

#: most values a text key may have on this path (its ENUM)
MAX_TEXT_VALUES = 1 << 16
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


def probe_query(columns: Sequence[str], types: dict[str, str], source: str) -> str | None:
    """One scan for what the ranks need: the text keys' values, the integer keys' range.

    The query returns one value per column, in order; None when a column
    cannot be ranked (a float or a date key).
    """
    parts: list[str] = []
    for i, c in enumerate(columns):
        t = types[c].upper()
        if t == "VARCHAR":
            parts.append(f"list(DISTINCT {sql.ident(c)}) AS __p{i}")
        elif t in _INTEGER_TYPES:
            parts.append(f"[min({sql.ident(c)}), max({sql.ident(c)})] AS __p{i}")
        elif t == "BOOLEAN":
            parts.append(f"NULL AS __p{i}")  # one value per column, in order
        else:
            return None
    if not parts:
        return "SELECT 1"
    return f"SELECT {', '.join(parts)} FROM {source}"


def _column_code(column: str, sql_type: str, probed: Any) -> Code | None:
    c = sql.ident(column)
    t = sql_type.upper()
    if t == "BOOLEAN":
        return Code(f"coalesce(CAST({c} AS BIGINT), 2)", 3, np.array([False, True, np.nan], object))
    if t == "VARCHAR":
        values = sorted(v for v in probed if v is not None)
        if len(values) > MAX_TEXT_VALUES or any("\x00" in v for v in values):
            return None
        if not values:
            return Code("CAST(0 AS BIGINT)", 1, np.array([np.nan], dtype=object))
        enum = ", ".join(sql.string(v) for v in values)
        expr = f"coalesce(CAST(enum_code(CAST({c} AS ENUM({enum}))) AS BIGINT), {len(values)})"
        return Code(expr, len(values) + 1, np.array([*values, np.nan], dtype=object))
    low, high = probed
    if low is None:
        return Code("CAST(0 AS BIGINT)", 1, np.array([np.nan]))
    span = int(high) - int(low) + 1
    if span > MAX_INT_RANGE:
        return None
    expr = f"coalesce(CAST({c} AS BIGINT) - ({int(low)}), {span})"
    ints = np.concatenate([np.arange(int(low), int(high) + 1, dtype=np.float64), [np.nan]])
    return Code(expr, span + 1, ints)


def _binned_code(key: Key) -> Code:
    """A binned key's rank: the rank of its representative among all representatives."""
    edges = [float(e) for e in key.edges or ()]
    below, above = edges[0] - 1.0, edges[-1] + 1.0
    reps = sorted({below, *edges[:-1], above})
    rank = {r: i for i, r in enumerate(reps)}
    v = f"CAST({sql.ident(key.column)} AS DOUBLE)"
    arms = [
        f"WHEN {v} IS NULL OR isnan({v}) THEN {len(reps)}",
        f"WHEN {v} < {sql.double(edges[0])} THEN {rank[below]}",
        f"WHEN {v} > {sql.double(edges[-1])} THEN {rank[above]}",
    ]
    arms += [f"WHEN {v} >= {sql.double(e)} THEN {rank[e]}" for e in reversed(edges[:-1])]
    expr = "CAST(CASE " + " ".join(arms) + " END AS BIGINT)"
    return Code(expr, len(reps) + 1, np.array([*reps, np.nan]))


def plan_codes(
    keys: Sequence[Key],
    columns: Sequence[str],
    types: dict[str, str],
    probed: dict[str, Any],
    levels: int,
    level_expr: str,
) -> list[Code] | None:
    """The ranks of every key of the cells (keys, then ``columns``, then the level), or None.

    ``columns`` are the label and prediction; ``probed`` holds what
    :func:`probe_query` found for each of them and each unbinned key.
    """
    codes: list[Code] = []
    for key in keys:
        if key.edges is not None:
            codes.append(_binned_code(key))
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
    level_values = np.arange(-1, levels, dtype=np.int64)
    codes.append(Code(f"({level_expr}) + 1", levels + 1, level_values))
    if float(np.prod([float(c.size) for c in codes])) >= 2.0**62:
        return None
    return codes


def packed_expr(codes: Sequence[Code]) -> str:
    """The packed key: ranks in mixed radix, the first key most significant."""
    expr = codes[0].expr
    for code in codes[1:]:
        expr = f"(({expr}) * {code.size} + {code.expr})"
    return expr


def unpack(packed: np.ndarray, codes: Sequence[Code]) -> list[np.ndarray]:
    """Each key's values from the packed keys."""
    rest = np.asarray(packed, dtype=np.int64)
    out: list[np.ndarray] = []
    for code in reversed(codes):
        rest, rank = np.divmod(rest, code.size)
        out.append(code.values[rank])
    return out[::-1]
