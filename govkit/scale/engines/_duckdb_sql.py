"""SQL text for the DuckDB engine: the table expression and the per-row expressions.

Each function returns a fragment that reproduces, row by row, what the pandas
reference (:mod:`govkit.scale.cells`, :func:`govkit.privacy.missing.missing_mask`)
does to the same value. Two differences between SQL and pandas need care
everywhere:

- pandas has one missing float, NaN; DuckDB has NULL and NaN, and groups
  them apart. Every float key is folded to NULL first (:func:`key_value`).
- A literal such as ``0.1`` is a DECIMAL in DuckDB, compared exactly, not as
  the double pandas compares. Every float constant is written as
  ``'<repr>'::DOUBLE`` (:func:`double`), which parses back to the same double.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from govkit.scale.cells import MISSING_LEVEL, OUTSIDE_LEVEL, Key
from govkit.scale.engines.base import TableRef

__all__ = [
    "FILE_COLUMN",
    "ROW_COLUMN",
    "WHITESPACE",
    "ExactSum",
    "binned",
    "double",
    "exact_sum",
    "hive_types",
    "ident",
    "is_float_type",
    "key_value",
    "level",
    "missing",
    "score_sum",
    "source",
    "string",
    "summed_scores",
]

#: columns the sampling source adds: the file a row is in, and its row number there
FILE_COLUMN = "__govkit_file"
ROW_COLUMN = "file_row_number"

#: what Python's ``str.strip()`` removes (Unicode whitespace), which DuckDB's trim() must too
WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)

_INTEGER = re.compile(r"^-?\d+$")
_INT32 = (-(2**31), 2**31 - 1)


def ident(name: str) -> str:
    """``name`` as a quoted SQL identifier (inner quotes doubled)."""
    return '"' + name.replace('"', '""') + '"'


def string(text: str) -> str:
    """``text`` as a SQL string literal (inner quotes doubled)."""
    if "\x00" in text:
        raise ValueError(f"a SQL string cannot hold a NUL character: {text!r}")
    return "'" + text.replace("'", "''") + "'"


def double(value: float) -> str:
    """``value`` as a DOUBLE constant that parses back to exactly the same double."""
    value = float(value)
    if math.isnan(value):
        return "'nan'::DOUBLE"
    return f"{string(repr(value))}::DOUBLE"


def is_float_type(sql_type: str) -> bool:
    """Whether a DuckDB column type holds NaN (FLOAT or DOUBLE)."""
    return sql_type.upper() in {"FLOAT", "DOUBLE", "REAL", "FLOAT4", "FLOAT8"}


def hive_types(files: Sequence[str]) -> dict[str, str]:
    """The hive partition columns of ``files`` and the DuckDB type pandas gives each.

    pyarrow's hive discovery (how pandas reads the folders) makes a key
    ``int32`` when every value is an integer, else a string; DuckDB, left to
    itself, would guess BIGINT, dates and more. Naming the types keeps the
    engines' values and dtypes those of the pandas rows.
    """
    values: dict[str, list[str]] = {}
    for path in files:
        for part in PurePath(path).parent.parts:
            key, sep, value = part.partition("=")
            if sep and key:
                values.setdefault(key, []).append(value)
    out: dict[str, str] = {}
    for key, seen in values.items():
        integers = all(_INTEGER.match(v) for v in seen)
        fits = integers and all(_INT32[0] <= int(v) <= _INT32[1] for v in seen)
        out[key] = "INTEGER" if fits else ("BIGINT" if integers else "VARCHAR")
    return out


def _read(table: TableRef, *, provenance: bool) -> str:
    files = ", ".join(string(f) for f in table.files)
    options = [f"hive_partitioning = {'true' if table.hive else 'false'}"]
    if table.hive:
        types = hive_types(table.files)
        if types:
            entries = ", ".join(f"{string(k)}: {v}" for k, v in types.items())
            options.append(f"hive_types = {{{entries}}}")
    if provenance:
        options += [f"filename = {string(FILE_COLUMN)}", "file_row_number = true"]
    return f"SELECT * FROM read_parquet([{files}], {', '.join(options)})"


def source(tables: Sequence[TableRef], *, provenance: bool = False) -> str:
    """The rows of ``tables`` as one parenthesised table expression (UNION ALL BY NAME).

    With ``provenance``, every row also carries :data:`FILE_COLUMN` and
    :data:`ROW_COLUMN`, what a seeded sample hashes so that it does not depend
    on the number of threads.
    """
    if not tables:
        raise ValueError("no tables to read")
    parts = [_read(t, provenance=provenance) for t in tables]
    return "(" + " UNION ALL BY NAME ".join(parts) + ")"


def key_value(column: str, sql_type: str) -> str:
    """A column as a grouping key: NaN folded into NULL, as pandas groups them together."""
    c = ident(column)
    if is_float_type(sql_type):
        return f"CASE WHEN isnan({c}) THEN NULL ELSE {c} END"
    return c


def binned(key: Key) -> str:
    """:func:`govkit.scale.cells.bin_representative` of ``key.column`` in SQL (DOUBLE).

    Bins are ``[e0, e1) ... [e_{k-1}, e_k]``; a value takes the left edge of
    its bin, ``e0 - 1`` below every bin, ``e_k + 1`` above, NULL when missing.
    The bins are tried from the top, so with repeated edges a value takes the
    last edge not above it, as ``searchsorted(side="right") - 1`` does.
    """
    if key.edges is None or len(key.edges) < 2:
        raise ValueError(f"binned key {key.column!r} needs at least two edges")
    edges = [float(e) for e in key.edges]
    v = f"CAST({ident(key.column)} AS DOUBLE)"
    arms = [
        f"WHEN {v} IS NULL OR isnan({v}) THEN NULL",
        f"WHEN {v} < {double(edges[0])} THEN {double(edges[0] - 1.0)}",
        f"WHEN {v} > {double(edges[-1])} THEN {double(edges[-1] + 1.0)}",
    ]
    # a value equal to the last edge lies in the last (closed) bin: start below it
    arms += [f"WHEN {v} >= {double(e)} THEN {double(e)}" for e in reversed(edges[:-1])]
    return "CASE " + " ".join(arms) + " END"


def level(score: str, levels: int) -> str:
    """:func:`govkit.scale.cells.cell_level` in SQL: -1 for NULL, NaN and infinite scores.

    -2 for a finite score outside [0, 1].
    """
    s = f"CAST({ident(score)} AS DOUBLE)"
    top = levels - 1
    return (
        f"CASE WHEN {s} IS NULL OR NOT isfinite({s}) THEN {MISSING_LEVEL} "
        f"WHEN {s} < 0 OR {s} > 1 THEN {OUTSIDE_LEVEL} "
        f"ELSE CAST(least(floor({s} * {double(levels)}), {top}) AS BIGINT) END"
    )


def score_sum(score: str) -> str:
    """A score as the cells add it: ``numpy.nan_to_num`` (NaN 0, infinities the largest doubles)."""
    s = f"CAST({ident(score)} AS DOUBLE)"
    big = double(1.7976931348623157e308)
    return (
        f"CASE WHEN {s} IS NULL OR isnan({s}) THEN 0.0::DOUBLE "
        f"WHEN {s} = 'inf'::DOUBLE THEN {big} WHEN {s} = '-inf'::DOUBLE THEN -{big} "
        f"ELSE {s} END"
    )


@dataclass(frozen=True)
class ExactSum:
    """A sum DuckDB computes the same on every run: each value as a whole number of 2^-exponent.

    DuckDB's threads add a float column's partial sums in whatever order they
    finish, so the last bits of ``sum`` change from run to run. Scaled by a
    power of two (exactly) and rounded to an integer, each value is added
    exactly in a HUGEINT, and integer sums do not depend on the order.
    """

    exponent: int

    def aggregate(self, value: str) -> str:
        """The SQL aggregate over the DOUBLE expression ``value`` (NULLs are left out)."""
        return f"sum(CAST(({value}) * {double(math.ldexp(1.0, self.exponent))} AS HUGEINT))"

    def as_double(self, value: str) -> str:
        """The aggregate as a DOUBLE: the exact sum converted once (0 without values)."""
        unit = double(math.ldexp(1.0, -self.exponent))
        return f"(coalesce(CAST({self.aggregate(value)} AS DOUBLE), 0) * {unit})"

    def total(self, parts: Sequence[Any]) -> float:
        """The sum of several groups' aggregates (exact integers, None for a group without values)."""
        exact = sum(int(p) for p in parts if p is not None and p == p)
        return math.ldexp(float(exact), -self.exponent)


#: bits a sum of scaled values may take: DuckDB hands a HUGEINT to Arrow as a 38-digit decimal
_SUM_BITS = 125


def exact_sum(bound: float, rows: int) -> ExactSum | None:
    """An :class:`ExactSum` for ``rows`` values of magnitude at most ``bound``; None if it is infinite.

    The scale keeps the sum of every value within :data:`_SUM_BITS` bits, so
    a value's rounding error is below ``bound`` times 2^-(124 - bits of
    rows): far finer than the double it came from.
    """
    if not math.isfinite(bound):
        return None
    if bound == 0:
        return ExactSum(0)
    _, top = math.frexp(bound)  # bound < 2^top
    room = _SUM_BITS - max(rows, 1).bit_length()
    return ExactSum(max(min(room - top, 1000), -1000))


#: a score in [0, 1] is added as a whole number of 2^-52, within 2^-53 of it
_SCORE_SUM = ExactSum(52)


def summed_scores(value: str) -> str:
    """The aggregate adding ``value`` (a DOUBLE, as :func:`score_sum` gives it) the same on every run.

    A score in [0, 1] is added exactly (:class:`ExactSum`, within 2^-53 of
    it); anything else (an invalid score, which the runner refuses) as a float.
    """
    inside = f"({value} >= 0 AND {value} <= 1)"
    return (
        f"({_SCORE_SUM.as_double(f'CASE WHEN {inside} THEN {value} END')} "
        f"+ coalesce(sum(CASE WHEN NOT {inside} THEN {value} END), 0))"
    )


def missing(column: str, sql_type: str, markers: Sequence[str] | None) -> str:
    """Whether a value is missing, as :func:`govkit.privacy.missing.missing_mask` decides.

    NULL always; NaN in float columns; and, with ``markers`` (given only for
    the columns pandas reads as text), a value that equals a marker after
    stripping whitespace.
    """
    c = ident(column)
    parts = [f"{c} IS NULL"]
    if is_float_type(sql_type):
        parts.append(f"isnan({c})")
    marker_set = sorted({str(m).strip() for m in markers or ()})
    if marker_set:
        listed = ", ".join(string(m) for m in marker_set)
        trimmed = f"trim(CAST({c} AS VARCHAR), {string(WHITESPACE)})"
        parts.append(f"coalesce({trimmed} IN ({listed}), false)")
    return "(" + " OR ".join(parts) + ")"
