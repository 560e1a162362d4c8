"""The statistics of Parquet files larger than memory, computed by embedded DuckDB.

Every statistic is a SQL aggregate over ``read_parquet([...files...])`` (one
scan, or a few each cheap per row):
DuckDB reads only the columns a query names, spills to a temporary folder
when an aggregate outgrows its memory limit, and brings back a table of
cells, counts or quantiles, never the rows. The only rows that cross into
Python are the batches a streamed model scores (:meth:`DuckDBEngine.cells`
with a ``scorer``), a bounded seeded sample, and, for the cells, two
computed columns (a packed key and the score) that numpy counts into a
fixed number of slots (:mod:`govkit.scale.engines._duckdb_dense`).

Each statistic reproduces its pandas reference in :mod:`govkit.scale.engines.base`
and :mod:`govkit.scale.cells`: the same keys (NaN and NULL one missing
value, binned and quantised as the reference does; see
:mod:`govkit.scale.engines._duckdb_sql`), the same integer counts, the same
column dtypes and the same sort order, so a check cannot tell which engine
measured.

A file that cannot be read, or a column that is not in the files, is an
:class:`~govkit.errors.InputError` naming the file (exit 2); a memory limit
that DuckDB cannot parse, or a statistic that does not fit under it even
when spilling, is a :class:`~govkit.errors.ConfigError` naming
``engine.memory_limit``.
"""

from __future__ import annotations

import itertools
import os
import re
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, NoReturn

import numpy as np
import pandas as pd

from govkit.errors import ConfigError, InputError
from govkit.extras import require_extras
from govkit.scale import cells as _cells
from govkit.scale.cells import LEVEL, SCORE_SUM, WEIGHT, CellSpec
from govkit.scale.engines import _duckdb_dense as dense
from govkit.scale.engines import _duckdb_packed as packing
from govkit.scale.engines import _duckdb_profile as profiling
from govkit.scale.engines import _duckdb_sql as sql
from govkit.scale.engines._ranks import interpolate, order_statistics_needed
from govkit.scale.engines.base import (
    ANY_MISSING,
    DISTINCT_SENSITIVE,
    Profile,
    ProfileSpec,
    Scorer,
    TableRef,
    footer_rows,
    missing_column,
)

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa

__all__ = ["BATCH_ROWS", "EXACT_PROFILE_ROWS", "DuckDBEngine", "default_memory_limit"]

#: rows per batch handed to a streamed model
BATCH_ROWS = 65_536
#: scored batches' cells wait until they number this many (or as many as the cells so far)
_FOLD_ROWS = 1 << 20
#: rows per Arrow batch DuckDB streams to the dense count of the cells
_STREAM_ROWS = 1 << 20
#: above this many rows a profile estimates many-valued columns' distinct counts (bounded memory)
EXACT_PROFILE_ROWS = 10_000_000
#: the probabilities of a profile's quantiles
_PROFILE_QUANTILES = (0.05, 0.5, 0.95)
#: a stratum that needs a rate above this many times the overall sampling rate is ranked whole
_RATE_CAP = 4.0
#: names of temporary tables, unique within the process
_TEMP_NAMES = itertools.count()
_MEMORY_HINT = (
    "set engine.memory_limit in govkit.yaml to a size such as '4GB' or '512MB' "
    "(KB, MB, GB, TB or KiB, MiB, GiB, TiB)"
)


def default_memory_limit() -> str:
    """Half of this machine's memory (or of the container's limit, when lower), as DuckDB reads it.

    Half leaves room for Python, the model a scorer runs, and the page cache
    DuckDB reads Parquet through.
    """
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    try:
        with open("/sys/fs/cgroup/memory.max", encoding="ascii") as handle:
            text = handle.read().strip()
        if text.isdigit():
            total = min(total, int(text))
    except OSError:
        pass
    return f"{max(total // 2 // 2**20, 64)}MiB"


def _tables_text(tables: Sequence[TableRef]) -> str:
    files = [f for t in tables for f in t.files]
    if len(files) == 1:
        return files[0]
    return f"{len(files)} Parquet files ({files[0]} ...)"


class DuckDBEngine:
    """The :class:`~govkit.scale.engines.base.Engine` over embedded DuckDB.

    Parameters
    ----------
    memory_limit
        The most memory DuckDB may hold (``"4GB"``, ``"512MiB"``); beyond it
        aggregates spill to a temporary folder. Default: half the machine's
        memory (:func:`default_memory_limit`).
    threads
        Threads DuckDB runs on; default: every core.
    progress
        Told how many rows each scored batch held (``advance(rows)``).
    exact_profile_rows
        Above this many rows, :meth:`profile` estimates the distinct counts
        of many-valued columns with HyperLogLog sketches (exact ones hold
        every value in memory) and names the statistics that may be
        estimated in ``Profile.approximate``. Its quantiles stay exact
        (a column holding infinite values excepted: a t-digest sketch).
        None: always exact.

    Raises
    ------
    MissingExtraError
        DuckDB is not installed (the message gives the install command).
    ConfigError
        A memory limit DuckDB cannot read, or fewer than one thread.
    """

    name = "duckdb"

    def __init__(
        self,
        *,
        memory_limit: str | None = None,
        threads: int | None = None,
        progress: Any = None,
        exact_profile_rows: int | None = EXACT_PROFILE_ROWS,
    ) -> None:
        require_extras({"tabular": ["the duckdb engine"]}, modules={"tabular": ["duckdb"]})
        import duckdb

        if threads is not None and threads < 1:
            raise ConfigError(f"the duckdb engine needs at least one thread, got {threads}")
        self._duckdb = duckdb
        self._progress = progress
        self._exact_profile_rows = exact_profile_rows
        self._con: duckdb.DuckDBPyConnection = duckdb.connect(":memory:")
        self._spill = tempfile.mkdtemp(prefix="govkit-duckdb-")
        limit = memory_limit if memory_limit is not None else default_memory_limit()
        try:
            self._con.execute(f"SET memory_limit = {sql.string(str(limit))}")
        except (duckdb.Error, ValueError) as err:
            self.close()
            raise ConfigError(
                f"engine.memory_limit: {limit!r} is not a memory size (hint: {_MEMORY_HINT})"
            ) from err
        if threads is not None:
            self._con.execute(f"SET threads = {int(threads)}")
        self._con.execute(f"SET temp_directory = {sql.string(self._spill)}")
        # rows streamed out (the dense cells, a model's batches) come in file order, as
        # DuckDB gives them by default: float sums and a model's batches depend on the order,
        # and the same inputs must give the same figures bit for bit
        self._con.execute("SET preserve_insertion_order = true")
        # DuckDB's own bar would write over the gate's output on long queries
        self._con.execute("SET enable_progress_bar = false")
        self._memory_limit, self._threads = self._con.execute(
            "SELECT current_setting('memory_limit'), current_setting('threads')"
        ).fetchall()[0]
        self._types_cache: dict[tuple[TableRef, ...], dict[str, str]] = {}
        self._dtypes_cache: dict[tuple[TableRef, ...], dict[str, Any]] = {}

    # --- the protocol -------------------------------------------------------------

    def describe(self) -> dict[str, Any]:
        """Name, DuckDB version, the memory limit in force and the threads."""
        return {
            "name": self.name,
            "version": self._duckdb.__version__,
            "memory_limit": str(self._memory_limit),
            "threads": int(self._threads),
            "exact_profile_rows": self._exact_profile_rows,
        }

    def n_rows(self, tables: Sequence[TableRef]) -> int:
        """Rows in all files, from the Parquet footers: no data is read."""
        return footer_rows(tables)

    def cells(
        self,
        tables: Sequence[TableRef],
        spec: CellSpec,
        *,
        scorer: Scorer | None = None,
        columns: Sequence[str] = (),
    ) -> pd.DataFrame:
        """The cells of the rows, as :func:`govkit.scale.cells.cells_of_frame` returns them.

        Without ``scorer``, the keys are packed into one integer and counted
        densely or grouped by it (:meth:`_packed_cells`); keys that cannot be
        packed (a float key, too many values) are grouped as they are. With
        ``scorer``, the rows stream out in batches of ``columns`` and the
        keys, and the model scores each: a binary model's cells are counted
        densely when they fit the slots (:meth:`_scored_dense`), others are
        the batches' cells added up (:func:`~govkit.scale.cells.combine_cells`).
        """
        if scorer is not None:
            return self._scored_cells(tables, spec, scorer, columns)
        types = self._require(
            tables,
            [
                *(k.column for k in spec.keys),
                spec.label,
                *([spec.pred] if spec.pred else []),
                *([spec.score] if spec.score else []),
            ],
        )
        packed = self._packed_cells(tables, spec, types)
        if packed is not None:
            return packed
        inner: list[str] = []
        for i, key in enumerate(spec.keys):
            expr = (
                sql.binned(key)
                if key.edges is not None
                else sql.key_value(key.column, types[key.column])
            )
            inner.append(f"{expr} AS __k{i}")
        inner.append(f"{sql.key_value(spec.label, types[spec.label])} AS __label")
        if spec.pred is not None:
            inner.append(f"{sql.key_value(spec.pred, types[spec.pred])} AS __pred")
        if spec.score is not None:
            inner.append(f"{sql.level(spec.score, spec.levels)} AS __level")
            inner.append(f"{sql.score_sum(spec.score)} AS __score")
        else:
            inner += ["CAST(-1 AS BIGINT) AS __level", "0.0::DOUBLE AS __score"]
        names = [f"__k{i}" for i in range(len(spec.keys))] + ["__label"]
        names += ["__pred"] if spec.pred is not None else []
        names.append("__level")
        group = ", ".join(names)
        query = (
            f"SELECT {group}, count(*) AS __n, {sql.summed_scores('__score')} AS __sum "
            f"FROM (SELECT {', '.join(inner)} FROM {sql.source(tables)}) GROUP BY {group}"
        )
        frame = self._frame(query, tables)
        frame.columns = [*spec.key_columns, WEIGHT, SCORE_SUM]
        return _sorted(self._cells_dtypes(frame, tables, spec), spec.key_columns)

    def _packed_cells(
        self, tables: Sequence[TableRef], spec: CellSpec, types: dict[str, str]
    ) -> pd.DataFrame | None:
        """The cells by one packed integer key (:mod:`._duckdb_packed`), or None.

        Counted densely (:mod:`._duckdb_dense`) when every packed key fits a
        slot in memory, else grouped by the packed key in DuckDB.
        """
        src = sql.source(tables)
        planned = self._plan_codes(tables, spec, types)
        if planned is None:
            return None
        codes, score = planned
        key = packing.packed_expr(codes)
        slots = packing.space(codes)
        if slots <= dense.MAX_SLOTS:
            index, weights, sums = self._dense(tables, key, score, int(slots)).cells()
        else:
            query = (
                f"SELECT {key} AS __key, count(*) AS __n, "
                f"{sql.summed_scores(score or '0.0::DOUBLE')} AS __sum FROM {src} GROUP BY __key"
            )
            try:
                result = self._con.sql(query).to_arrow_table()
            except self._duckdb.Error as err:
                self._fail(err, tables)
            packed = result.column("__key").to_numpy()
            order = np.argsort(packed)  # the keys are unique: no need for a stable sort
            index = packed[order]
            weights = result.column("__n").to_numpy()[order]
            sums = result.column("__sum").to_numpy()[order]
        return self._unpacked_cells(index, weights, sums, codes, tables, spec)

    def _plan_codes(
        self, tables: Sequence[TableRef], spec: CellSpec, types: dict[str, str]
    ) -> tuple[list[packing.Code], str | None] | None:
        """The ranks of every key of the cells and the score sum's SQL, or None (keys unpackable).

        Integer ranges come from the Parquet statistics where they give them,
        the rest from one probe scan.
        """
        src = sql.source(tables)
        plain = [k.column for k in spec.keys if k.edges is None]
        binned = [k.column for k in spec.keys if k.edges is not None]
        labels = [spec.label, *([spec.pred] if spec.pred is not None else [])]
        known = self._footer_ranges(tables, [*plain, *labels, *binned], types)
        asked = [c for c in [*plain, *labels] if c not in known]
        asked_bins = [c for c in binned if c not in known]
        probe = packing.probe_query(asked, types, src, binned=asked_bins, score=spec.score)
        if probe is None:
            return None
        row = iter(self._rows(probe, tables)[0])
        found = {c: known[c] if c in known else next(row) for c in [*plain, *labels]}
        ranges = [known[c] if c in known else next(row) for c in binned]
        scores = next(row) if spec.score is not None else None
        level = "-1"
        score = None
        if spec.score is not None:
            level = packing.level_expr(spec.score, spec.levels, scores)
            score = packing.score_sum_expr(spec.score, scores)
        codes = packing.plan_codes(
            spec.keys,
            labels,
            types,
            found,
            spec.levels,
            level,
            binned=ranges,
            level_bounds=packing.level_range(scores, spec.levels),
        )
        return None if codes is None else (codes, score)

    def _unpacked_cells(
        self,
        index: np.ndarray,
        weights: np.ndarray,
        sums: np.ndarray,
        codes: Sequence[packing.Code],
        tables: Sequence[TableRef],
        spec: CellSpec,
    ) -> pd.DataFrame:
        """The cells table of sorted packed keys with their row counts and score sums."""
        dtypes = self._dtypes(tables)
        ranks = packing.unpack_ranks(index, codes)
        columns: dict[str, Any] = {}
        for i, (column, code) in enumerate(zip(spec.key_columns, codes, strict=True)):
            columns[column] = _key_values(code.values, ranks[i], dtypes.get(column))
            ranks[i] = index[:0]  # each rank array freed once its values are taken
        columns[WEIGHT] = weights
        columns[SCORE_SUM] = sums
        # one block per column: gathering millions of cells into 2-D blocks would copy them all
        frame = pd.DataFrame(columns, copy=False)
        return self._cells_dtypes(frame, tables, spec)

    def _footer_ranges(
        self, tables: Sequence[TableRef], columns: Sequence[str], types: dict[str, str]
    ) -> dict[str, list[Any]]:
        """``[min, max, nulls]`` of the integer columns whose Parquet statistics give them.

        A hive partition column is in no file's statistics; it is probed.
        """
        hive = {k for t in tables if t.hive for k in sql.hive_types(t.files)}
        wanted = [c for c in dict.fromkeys(columns) if c not in hive]
        files = [f for t in tables for f in t.files]
        if not wanted or not files:
            return {}
        rows = self._rows(packing.footer_query(wanted, files), tables)
        return packing.footer_ranges(rows, wanted, types, len(set(files)))

    def _dense(
        self, tables: Sequence[TableRef], key: str, score: str | None, slots: int
    ) -> dense.DenseCounts:
        """Every row's packed key (and score) streamed out of DuckDB and counted in ``slots``."""
        width = "INTEGER" if slots < 2**31 else "BIGINT"
        columns = f"CAST({key} AS {width})" + (f", {score}" if score is not None else "")
        import pyarrow as pa

        try:
            reader = self._con.sql(f"SELECT {columns} FROM {sql.source(tables)}").to_arrow_reader(
                _STREAM_ROWS
            )
            return dense.count(reader, slots, scores=score is not None)
        except (self._duckdb.Error, pa.ArrowException) as err:
            self._fail(err, tables)

    def _cells_dtypes(
        self, frame: pd.DataFrame, tables: Sequence[TableRef], spec: CellSpec
    ) -> pd.DataFrame:
        """The cells' columns in the reference's dtypes (the keys as pandas reads them)."""
        dtypes = self._dtypes(tables)
        binned = {k.column for k in spec.keys if k.edges is not None}
        for column in spec.key_columns[:-1]:
            if column in binned:
                frame[column] = frame[column].astype(np.float64)
            else:
                frame[column] = _as_read(frame[column], dtypes.get(column), categories=False)
        frame[LEVEL] = frame[LEVEL].astype(np.int64)
        frame[WEIGHT] = frame[WEIGHT].astype(np.int64)
        frame[SCORE_SUM] = frame[SCORE_SUM].astype(np.float64)
        return frame

    def profile(self, tables: Sequence[TableRef], spec: ProfileSpec) -> Profile:
        """The data-quality profile (:func:`~govkit.scale.engines.base.profile_of_frame`).

        A probe of files spread over the tables tells the columns of few
        values from the others, and brackets each quantile of the numeric
        ones (:mod:`._duckdb_profile`). One scan counts the few-valued
        columns value by value: their figures follow exactly from those
        histograms, and a text column's markers are tested once per value.
        A second scan groups the missing counts by the groups and label, with
        shifted sums of the many-valued numeric columns per group; a third
        counts their distinct values and the values below and in each
        bracket; one filtered scan per column then reads the exact order
        statistics inside the brackets (a bracket that missed its rank hands
        the column to a bucket search). Past ``exact_profile_rows`` distinct
        counts of many-valued columns come from HyperLogLog sketches, and
        ``approximate`` names the statistics that were estimated: ``distinct``,
        and the quantiles only where a column holding infinite values fell
        back to a t-digest sketch.
        """
        columns = list(spec.columns)
        types = self._require(tables, [*spec.groups, spec.label, *columns])
        dtypes = self._dtypes(tables)
        kinds = {c: _column_kind(dtypes.get(c), types[c]) for c in columns}
        limit = self._exact_profile_rows
        estimate = limit is not None and self.n_rows(tables) > limit
        few, near = self._probe(tables, columns, types, kinds)
        stats = self._histograms(tables, few, kinds, spec.markers)
        missing: dict[str, str] = {}
        for c in columns:
            test = None
            if c in stats and kinds[c] == "text":
                test = profiling.marker_test(c, types[c], stats[c].markers)
            markers = spec.markers if kinds[c] == "text" else None
            missing[c] = test if test is not None else sql.missing(c, types[c], markers)
        many = [c for c in columns if c not in stats]
        complete = {c for c, f in stats.items() if f.missing == 0}
        # the probe's median bracket: a value near the middle (a finite one)
        middle = {c: near[c][len(_PROFILE_QUANTILES) // 2][0] for c in many if c in near}
        shifts = {c: v for c, v in middle.items() if np.isfinite(v)}
        numeric_many = [c for c in many if kinds[c] == "numeric"]
        sums = self._exact_sums(tables, numeric_many, missing, shifts)
        counts, extra = self._missing_counts(
            tables, spec, columns, types, missing, many, kinds, complete, shifts, sums
        )
        keys = [*spec.groups, spec.label]
        for k in keys:
            counts[k] = _as_read(counts[k], dtypes.get(k), categories=True)
        for c in [WEIGHT, *(missing_column(c) for c in columns), ANY_MISSING]:
            counts[c] = counts[c].astype(np.int64)
        stats.update(
            self._many_valued(
                tables, many, kinds, missing, counts, extra, near, shifts, sums, estimate=estimate
            )
        )
        counts = _sorted(counts, keys)
        rows: list[dict[str, Any]] = []
        for c in columns:
            s = stats[c]
            entry: dict[str, Any] = {
                "column": c,
                "dtype": str(_read_dtype(dtypes.get(c), has_null=s.nulls > 0)),
                "present": int(s.present),
                "distinct": int(s.distinct),
            }
            figures = dict.fromkeys(("mean", "std", "p05", "median", "p95"), np.nan)
            if kinds[c] == "numeric" and s.present and s.quantiles is not None:
                q = s.quantiles
                figures = {
                    "mean": float(s.mean if s.mean is not None else np.nan),
                    "std": float(s.std if s.std is not None else np.nan),
                    "p05": float(q[0]),
                    "median": float(q[1]),
                    "p95": float(q[2]),
                }
            rows.append(entry | figures)
        # past the limit only many-valued columns' distinct counts are sketched, and
        # quantiles only where a column holding infinite values fell back to a t-digest
        approximate = ["distinct"] if estimate and many else []
        if any(stats[c].sketched for c in columns):
            approximate += ["p05", "median", "p95"]
        return Profile(
            counts=counts,
            columns=pd.DataFrame(rows).set_index("column"),
            approximate=approximate,
        )

    def class_sizes(
        self, tables: Sequence[TableRef], columns: Sequence[str], sensitive: str | None = None
    ) -> pd.DataFrame:
        """The equivalence classes (:func:`~govkit.scale.engines.base.class_sizes_of_frame`)."""
        keys = list(columns)
        types = self._require(tables, [*keys, *([sensitive] if sensitive else [])])
        inner = [f"{sql.key_value(k, types[k])} AS __k{i}" for i, k in enumerate(keys)]
        group = ", ".join(f"__k{i}" for i in range(len(keys)))
        rows = f"(SELECT {', '.join(inner)} FROM {sql.source(tables)})"
        if sensitive is None:
            query = f"SELECT {group}, count(*) AS __n FROM {rows} GROUP BY {group}"
        else:
            inner.append(f"{sql.key_value(sensitive, types[sensitive])} AS __s")
            rows = f"(SELECT {', '.join(inner)} FROM {sql.source(tables)})"
            # count(DISTINCT) per class keeps a set of values per class; grouping by the
            # class and the value first, then counting the groups, is one more plain
            # GROUP BY over far fewer rows. pandas' nunique(dropna=False): a missing
            # value is one more value, which count(*) of the groups counts as such.
            query = (
                f"SELECT {group}, sum(__m) AS __n, count(*) AS __d FROM "
                f"(SELECT {group}, __s, count(*) AS __m FROM {rows} GROUP BY {group}, __s) "
                f"GROUP BY {group}"
            )
        frame = self._frame(query, tables)
        frame.columns = [*keys, WEIGHT, *([DISTINCT_SENSITIVE] if sensitive else [])]
        dtypes = self._dtypes(tables)
        for k in keys:
            frame[k] = _as_read(frame[k], dtypes.get(k), categories=True)
        frame[WEIGHT] = frame[WEIGHT].astype(np.int64)
        if sensitive is not None:
            frame[DISTINCT_SENSITIVE] = frame[DISTINCT_SENSITIVE].astype(np.int64)
        return _sorted(frame, keys)

    def quantiles(
        self, tables: Sequence[TableRef], column: str, probabilities: Sequence[float]
    ) -> list[float]:
        """Exact quantiles of the finite values (``numpy.quantile``'s linear rule); NaN when none."""
        probs = [float(p) for p in probabilities]
        if not probs:
            return []
        bad = [p for p in probs if not 0.0 <= p <= 1.0]
        if bad:
            raise ValueError(f"probabilities must lie in [0, 1], got {bad}")
        self._require(tables, [column])
        v = f"CAST({sql.ident(column)} AS DOUBLE)"
        listed = ", ".join(sql.double(p) for p in probs)
        (found,) = self._rows(
            f"SELECT quantile_cont({v}, [{listed}]) FROM {sql.source(tables)} WHERE isfinite({v})",
            tables,
        )[0]
        if found is None:
            return [float("nan")] * len(probs)
        return [float(x) for x in found]

    def sample(
        self,
        tables: Sequence[TableRef],
        n: int,
        *,
        seed: int,
        columns: Sequence[str] = (),
        strata: Sequence[str] = (),
    ) -> pd.DataFrame:
        """``n`` rows (about ``n`` with strata), the same for a seed however many threads read them.

        Each row's rank is a hash of the seed, its file and its row number in
        that file; the rows of lowest rank are kept. With ``strata``, each
        combination keeps ``max(1, round(n * share))`` rows (halves round up).
        The rows come back in the table's order (file, then row).
        """
        if n < 0:
            raise ValueError(f"a sample size cannot be negative, got {n}")
        types = self._types(tables)
        wanted = list(dict.fromkeys(columns)) if columns else list(types)
        self._require(tables, [*wanted, *strata])
        src = sql.source(tables, provenance=True)
        order_keys = [sql.ident(sql.FILE_COLUMN), sql.ident(sql.ROW_COLUMN)]
        rank = f"hash({int(seed)}, {', '.join(order_keys)})"
        picked = ", ".join(sql.ident(c) for c in wanted)
        if not strata:
            inner = (
                f"SELECT {picked}, {', '.join(order_keys)} FROM {src} "
                f"ORDER BY {rank}, {', '.join(order_keys)} LIMIT {int(n)}"
            )
            frame = self._frame(f"SELECT * FROM ({inner}) ORDER BY {', '.join(order_keys)}", tables)
        else:
            frame = self._stratified(tables, src, n, rank, wanted, list(strata), types)
        frame = frame[wanted].reset_index(drop=True)
        dtypes = self._dtypes(tables)
        for c in wanted:
            frame[c] = _as_read(frame[c], dtypes.get(c), categories=True)
        return frame

    def close(self) -> None:
        """Close the connection and remove the spill folder."""
        try:
            self._con.close()
        finally:
            shutil.rmtree(self._spill, ignore_errors=True)

    def __enter__(self) -> DuckDBEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- statistics in parts ------------------------------------------------------

    def _scored_cells(
        self, tables: Sequence[TableRef], spec: CellSpec, scorer: Scorer, columns: Sequence[str]
    ) -> pd.DataFrame:
        written = {c for c in (spec.pred, spec.score) if c is not None}
        needed = [*columns, *(k.column for k in spec.keys), spec.label]
        wanted = [c for c in dict.fromkeys(needed) if c not in written]
        types = self._require(tables, wanted)
        if getattr(scorer, "task", None) == "binary" and spec.pred and spec.score:
            counted = self._scored_dense(tables, spec, scorer, wanted, types)
            if counted is not None:
                return counted
        picked = ", ".join(sql.ident(c) for c in wanted)
        parts: list[pd.DataFrame] = []
        for batch in self._batches(f"SELECT {picked} FROM {sql.source(tables)}", tables):
            frame = batch.to_pandas()
            predicted, scores = scorer(frame)
            if spec.pred is not None:
                frame[spec.pred] = predicted
            if spec.score is not None:
                frame[spec.score] = np.nan if scores is None else scores
            parts.append(_cells.cells_of_frame(frame, spec))
            pending = sum(len(p) for p in parts[1:])
            # folding only when the new cells are as many as the old keeps the work
            # linear in the rows, and memory bounded by twice the cells
            if pending >= max(len(parts[0]), _FOLD_ROWS):
                parts = [_cells.combine_cells(parts, spec)]
            if self._progress is not None:
                self._progress.advance(len(frame))
        return _cells.combine_cells(parts, spec)

    def _batches(self, query: str, tables: Sequence[TableRef]) -> Iterator[Any]:
        """The result of ``query`` as Arrow record batches of :data:`BATCH_ROWS` rows."""
        try:
            reader: Any = self._con.sql(query).to_arrow_reader(BATCH_ROWS)
        except self._duckdb.Error as err:
            self._fail(err, tables)
        while True:
            try:
                yield reader.read_next_batch()
            except StopIteration:
                return
            except (self._duckdb.Error, OSError) as err:
                self._fail(err, tables)

    def _scored_dense(
        self,
        tables: Sequence[TableRef],
        spec: CellSpec,
        scorer: Scorer,
        wanted: Sequence[str],
        types: dict[str, str],
    ) -> pd.DataFrame | None:
        """A binary model's cells counted densely, or None when the keys do not fit the slots.

        DuckDB packs the data's keys and label into one integer beside the
        model's inputs; the prediction (0 or 1) and the score level
        (:func:`~govkit.scale.cells.cell_level`, -1 for a missing score)
        are packed after them in numpy, and each batch is added into the
        slots. Memory is the slots and one batch, not the cells of every
        batch waiting to be merged.
        """
        assert spec.pred is not None and spec.score is not None
        data = CellSpec(spec.keys, spec.label, levels=spec.levels)
        planned = self._plan_codes(tables, data, types)
        if planned is None:
            return None
        codes = planned[0][:-1]  # the data's cells have no level: its code is a constant
        predictions = packing.Code("", 2, np.arange(2, dtype=np.int64))
        level_values = np.arange(_cells.OUTSIDE_LEVEL, spec.levels, dtype=np.int64)
        levels = packing.Code("", len(level_values), level_values)
        slots = packing.space([*codes, predictions, levels])
        if slots > dense.MAX_SLOTS:
            return None
        picked = ", ".join(sql.ident(c) for c in wanted)
        query = f"SELECT {packing.packed_expr(codes)} AS __key, {picked} FROM {sql.source(tables)}"
        counts = dense.DenseCounts(int(slots))
        for batch in self._batches(query, tables):
            key = dense.packed_keys(batch.column(0)).astype(np.int64, copy=False)
            predicted, scores = scorer(batch.select(list(range(1, batch.num_columns))).to_pandas())
            if len(predicted) and (int(predicted.min()) < 0 or int(predicted.max()) > 1):
                raise RuntimeError("a binary model predicted a class other than 0 or 1")
            score = np.full(len(key), np.nan) if scores is None else scores
            level = _cells.cell_level(score, spec.levels)
            counts.add(
                (key * 2 + predicted) * len(level_values) + (level - _cells.OUTSIDE_LEVEL),
                np.nan_to_num(score, nan=0.0),
            )
            if self._progress is not None:
                self._progress.advance(batch.num_rows)
        index, weights, sums = counts.cells()
        return self._unpacked_cells(
            index, weights, sums, [*codes, predictions, levels], tables, spec
        )

    def _probe(
        self,
        tables: Sequence[TableRef],
        columns: list[str],
        types: dict[str, str],
        kinds: dict[str, str],
    ) -> tuple[list[str], dict[str, list[tuple[float, float]]]]:
        """What a probe of files spread over the tables shows (a guess, never a figure).

        The columns that seem to have few values (:func:`~._duckdb_profile.is_few_valued`),
        and for each numeric column the values around each profile quantile
        (:func:`~._duckdb_profile.brackets`) between which the full data's
        order statistics should lie.
        """
        if not columns:
            return [], {}
        probe = profiling.probe_tables(tables)
        numeric = [c for c in columns if kinds[c] == "numeric"]
        parts = [f"approx_count_distinct({sql.ident(c)})" for c in columns]
        probs = profiling.bracket_probabilities(_PROFILE_QUANTILES)
        listed = ", ".join(sql.double(p) for p in probs)
        for c in numeric:
            value = f"CAST({sql.ident(c)} AS DOUBLE)"
            present = f"CASE WHEN {sql.missing(c, types[c], None)} THEN NULL ELSE {value} END"
            parts.append(f"quantile_disc({present}, [{listed}])")
        rows, *values = self._rows(
            f"SELECT count(*), {', '.join(parts)} FROM {sql.source(probe)}", tables
        )[0]
        few = [
            c
            for c, d in zip(columns, values[: len(columns)], strict=True)
            if profiling.is_few_valued(int(d or 0), int(rows))
        ]
        near = {
            c: profiling.brackets(q, len(_PROFILE_QUANTILES))
            for c, q in zip(numeric, values[len(columns) :], strict=True)
            if q is not None
        }
        return few, near

    def _histograms(
        self,
        tables: Sequence[TableRef],
        few: list[str],
        kinds: dict[str, str],
        markers: Sequence[str],
    ) -> dict[str, profiling.Figures]:
        """Every figure of the few-valued columns, from their histograms (one scan)."""
        if not few:
            return {}
        names = ", ".join(sql.ident(c) for c in few)
        sets = ", ".join(f"({sql.ident(c)})" for c in few)
        marks = ", ".join(f"GROUPING({sql.ident(c)})" for c in few)
        rows = self._rows(
            f"SELECT [{marks}], {names}, count(*) FROM {sql.source(tables)} "
            f"GROUP BY GROUPING SETS ({sets})",
            tables,
        )
        pairs: dict[str, list[tuple[Any, int]]] = {c: [] for c in few}
        for row in rows:
            i = list(row[0]).index(0)
            pairs[few[i]].append((row[1 + i], int(row[-1])))
        return {
            c: profiling.histogram_figures(pairs[c], kinds[c], markers, _PROFILE_QUANTILES)
            for c in few
        }

    def _missing_counts(
        self,
        tables: Sequence[TableRef],
        spec: ProfileSpec,
        columns: list[str],
        types: dict[str, str],
        missing: dict[str, str],
        many: list[str],
        kinds: dict[str, str],
        complete: set[str],
        shifts: dict[str, float],
        sums: dict[str, tuple[sql.ExactSum, sql.ExactSum] | None],
    ) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The missing counts per group and label, and the many-valued columns' figures per group.

        A column ``complete`` (its histogram has no missing value) is not
        tested row by row: its counts are zero. For a many-valued column: its
        NULLs; if numeric, the sums of its present values and of their squares
        after subtracting ``shifts[column]`` (a value near the middle, so the
        variance keeps its digits), and its least and greatest value, per
        group. ``avg`` and ``var_pop`` cost several times more per row than sums.
        The two sums are exact where ``sums`` gives their scales (a column
        without infinite values), so they are the same on every run.
        """
        keys = [*spec.groups, spec.label]
        tested = [j for j, c in enumerate(columns) if c not in complete]
        # the missing flags are computed once per row, in the inner query
        inner = [f"{sql.key_value(k, types[k])} AS __g{i}" for i, k in enumerate(keys)]
        inner += [f"{missing[columns[j]]} AS __m{j}" for j in tested]
        flags = [f"__m{j}" for j in tested]
        summed = [
            f"sum(CAST({f} AS BIGINT)) AS __missing{j}" for j, f in zip(tested, flags, strict=True)
        ]
        summed.append(f"sum(CAST({' OR '.join(flags) or 'false'} AS BIGINT)) AS __any")
        extra: list[str] = []
        for c in many:
            j = columns.index(c)
            inner.append(f"{sql.ident(c)} IS NULL AS __null{j}")
            extra.append(f"sum(CAST(__null{j} AS BIGINT)) AS __nulls{j}")
            if kinds[c] == "numeric":
                value = f"CAST({sql.ident(c)} AS DOUBLE)"
                inner.append(f"CASE WHEN {missing[c]} THEN NULL ELSE {value} END AS __v{j}")
                shift = sql.double(shifts.get(c, 0.0))
                deviation = f"(__v{j} - {shift})"
                square = f"{deviation} * {deviation}"
                exact = sums.get(c)
                if exact is None:
                    # infinite values: the sums are infinite or NaN in any order
                    extra += [f"sum({deviation}) AS __s1_{j}", f"sum({square}) AS __s2_{j}"]
                else:
                    extra += [
                        f"{exact[0].aggregate(deviation)} AS __s1_{j}",
                        f"{exact[1].aggregate(square)} AS __s2_{j}",
                    ]
                extra += [
                    f"min(__v{j}) AS __min{j}",
                    f"max(__v{j}) AS __max{j}",
                ]
        group = ", ".join(f"__g{i}" for i in range(len(keys)))
        flagged = f"(SELECT {', '.join(inner)} FROM {sql.source(tables)})"
        frame = self._frame(
            f"SELECT {group}, count(*) AS __n, {', '.join([*summed, *extra])} "
            f"FROM {flagged} GROUP BY {group}",
            tables,
        )
        counts = frame.iloc[:, : len(keys)].copy()
        counts.columns = keys
        counts[WEIGHT] = frame["__n"]
        for j, c in enumerate(columns):
            counts[missing_column(c)] = frame[f"__missing{j}"] if j in tested else 0
        counts[ANY_MISSING] = frame["__any"].fillna(0)
        return counts, frame

    def _exact_sums(
        self,
        tables: Sequence[TableRef],
        columns: list[str],
        missing: dict[str, str],
        shifts: dict[str, float],
    ) -> dict[str, tuple[sql.ExactSum, sql.ExactSum] | None]:
        """The scales of each numeric column's exact shifted sums and sums of squares.

        One scan finds each column's least and greatest present value; None
        for a column holding an infinite value, whose sums are infinite or NaN
        in any order.
        """
        if not columns:
            return {}
        parts = []
        for c in columns:
            value = f"CASE WHEN {missing[c]} THEN NULL ELSE CAST({sql.ident(c)} AS DOUBLE) END"
            parts.append(f"[min({value}), max({value}), count(*) FILTER (isinf({value}))]")
        row = self._rows(f"SELECT {', '.join(parts)} FROM {sql.source(tables)}", tables)[0]
        rows = self.n_rows(tables)
        out: dict[str, tuple[sql.ExactSum, sql.ExactSum] | None] = {}
        for c, (low, high, infinite) in zip(columns, row, strict=True):
            if infinite:
                out[c] = None
                continue
            shift = shifts.get(c, 0.0)
            reach = 0.0 if low is None else max(abs(low - shift), abs(high - shift))
            first, second = (
                sql.exact_sum(reach, rows),
                sql.exact_sum(reach * reach, rows),
            )
            out[c] = None if first is None or second is None else (first, second)
        return out

    def _many_valued(
        self,
        tables: Sequence[TableRef],
        many: list[str],
        kinds: dict[str, str],
        missing: dict[str, str],
        counts: pd.DataFrame,
        extra: pd.DataFrame,
        near: dict[str, list[tuple[float, float]]],
        shifts: dict[str, float],
        sums: dict[str, tuple[sql.ExactSum, sql.ExactSum] | None],
        *,
        estimate: bool,
    ) -> dict[str, profiling.Figures]:
        """The figures of the many-valued columns: distinct values (one scan), exact quantiles."""
        if not many:
            return {}
        out: dict[str, profiling.Figures] = {}
        columns = [c for c in counts.columns if c.startswith("__govkit_missing::")]
        names = [c.split("::", 1)[1] for c in columns]
        rows = counts[WEIGHT].to_numpy(dtype=np.int64)
        inner: list[str] = []
        distinct: list[str] = []
        for c in many:
            j = names.index(c)
            gone = counts[missing_column(c)].to_numpy(dtype=np.int64)
            present = rows - gone
            figures = profiling.Figures(
                present=int(present.sum()),
                distinct=0,
                nulls=int(extra[f"__nulls{j}"].fillna(0).sum()),
            )
            value = f"CAST({sql.ident(c)} AS DOUBLE)" if kinds[c] == "numeric" else sql.ident(c)
            inner.append(f"CASE WHEN {missing[c]} THEN NULL ELSE {value} END AS __v{j}")
            # exact distinct counts hold every value; past the limit a HyperLogLog sketch counts
            distinct.append(
                f"approx_count_distinct(__v{j})" if estimate else f"count(DISTINCT __v{j})"
            )
            if kinds[c] == "numeric" and figures.present:
                exact = sums.get(c)
                s1, s2 = extra[f"__s1_{j}"], extra[f"__s2_{j}"]
                figures.mean, figures.std = profiling.shifted_moments(
                    int(present.sum()),
                    float(s1.fillna(0).sum()) if exact is None else exact[0].total(list(s1)),
                    float(s2.fillna(0).sum()) if exact is None else exact[1].total(list(s2)),
                    shifts.get(c, 0.0),
                )
            out[c] = figures
        # the distinct counts' scan also counts the values below and within each bracket,
        # on the column as read (a missing value, NULL or NaN, is below no bracket and
        # within none), as sums of comparisons: FILTER clauses cost several times more
        wanted: dict[tuple[int, int], tuple[float, float]] = {}
        compared: list[str] = []
        for c in many:
            j = names.index(c)
            if kinds[c] == "numeric" and out[c].present and c in near:
                compared.append(f"CAST({sql.ident(c)} AS DOUBLE) AS __r{j}")
                for k, bracket in enumerate(near[c]):
                    wanted[(j, k)] = bracket
                    low, high = (sql.double(x) for x in bracket)
                    distinct += [
                        f"sum(CAST(__r{j} < {low} AS INTEGER))",
                        f"sum(CAST(__r{j} <= {high} AS INTEGER))",
                    ]
        source = f"(SELECT {', '.join(inner)} FROM {sql.source(tables)})"
        scanned = f"(SELECT {', '.join([*inner, *compared])} FROM {sql.source(tables)})"
        row = self._rows(f"SELECT {', '.join(distinct)} FROM {scanned}", tables)[0]
        found = [0 if x is None else int(x) for x in row]
        for c, d in zip(many, found[: len(many)], strict=True):
            out[c].distinct = int(d or 0)
        ends = dict(
            zip(
                wanted,
                zip(found[len(many) :: 2], found[len(many) + 1 :: 2], strict=True),
                strict=True,
            )
        )
        for c, q in self._bracketed(tables, names, out, wanted, ends).items():
            out[c].quantiles = q
        search = profiling.BucketSearch(lambda q: self._rows(q, tables), source)
        fallback: list[int] = []
        for c in many:
            j = names.index(c)
            if kinds[c] != "numeric" or not out[c].present or out[c].quantiles is not None:
                continue
            low = extra[f"__min{j}"].min()
            high = extra[f"__max{j}"].max()
            if search.searchable(low, high):
                search.want(j, out[c].present, float(low), float(high), _PROFILE_QUANTILES)
            else:
                fallback.append(j)
        for j, q in search.quantiles().items():
            out[names[j]].quantiles = q
        if fallback:
            # infinite values: DuckDB's own quantiles (a t-digest sketch past the exact limit)
            probs = ", ".join(sql.double(p) for p in _PROFILE_QUANTILES)
            rule = (
                "approx_quantile({v}, [{p}]::FLOAT[])" if estimate else "quantile_cont({v}, [{p}])"
            )
            listed = ", ".join(rule.format(v=f"__v{j}", p=probs) for j in fallback)
            sketched = self._rows(f"SELECT {listed} FROM {source}", tables)[0]
            for j, qs in zip(fallback, sketched, strict=True):
                out[names[j]].quantiles = [float(x) for x in qs]
                out[names[j]].sketched = estimate
        return out

    def _bracketed(
        self,
        tables: Sequence[TableRef],
        names: list[str],
        figures: dict[str, profiling.Figures],
        wanted: dict[tuple[int, int], tuple[float, float]],
        ends: dict[tuple[int, int], tuple[int, int]],
    ) -> dict[str, list[float]]:
        """Exact quantiles of the columns whose every order statistic lies in its bracket.

        ``ends`` holds, per (column, quantile), the values below the bracket
        and those up to its top: a rank between them is read from the values
        inside the bracket, fetched (one filtered scan of each column). A column
        with a rank outside its bracket is left to the bucket search.
        """
        columns = sorted({j for j, _ in wanted})
        ranks: dict[tuple[int, int], tuple[int, int]] = {}
        usable: list[int] = []
        for j in columns:
            n = figures[names[j]].present
            below, above, _ = order_statistics_needed(n, _PROFILE_QUANTILES)
            inside = all(
                ends[(j, k)][0] <= below[k] and above[k] < ends[(j, k)][1]
                for k in range(len(_PROFILE_QUANTILES))
            )
            if inside:
                usable.append(j)
                for k in range(len(_PROFILE_QUANTILES)):
                    ranks[(j, k)] = (int(below[k]), int(above[k]))
        if not usable:
            return {}
        out: dict[str, list[float]] = {}
        for j in usable:
            # one query per column, on the column as read: DuckDB filters it while it
            # scans, reading no other column (a missing value, NULL or NaN, lies in no bracket)
            value = f"CAST({sql.ident(names[j])} AS DOUBLE)"
            brackets = [wanted[(j, k)] for k in range(len(_PROFILE_QUANTILES))]
            where = " OR ".join(
                f"{value} BETWEEN {sql.double(lo)} AND {sql.double(hi)}" for lo, hi in brackets
            )
            fetched = self._frame(
                f"SELECT {value} AS __f FROM {sql.source(tables)} WHERE {where}", tables
            )
            values = np.sort(fetched["__f"].to_numpy(dtype=np.float64, na_value=np.nan))
            low: list[float] = []
            high: list[float] = []
            for k, (lo, hi) in enumerate(brackets):
                held = values[
                    np.searchsorted(values, lo, "left") : np.searchsorted(values, hi, "right")
                ]
                start = ends[(j, k)][0]
                low.append(float(held[ranks[(j, k)][0] - start]))
                high.append(float(held[ranks[(j, k)][1] - start]))
            _, _, gamma = order_statistics_needed(figures[names[j]].present, _PROFILE_QUANTILES)
            out[names[j]] = [float(q) for q in interpolate(np.array(low), np.array(high), gamma)]
        return out

    def _stratified(
        self,
        tables: Sequence[TableRef],
        src: str,
        n: int,
        rank: str,
        wanted: list[str],
        strata: list[str],
        types: dict[str, str],
    ) -> pd.DataFrame:
        """Per stratum the ``max(1, round(n * share))`` rows of lowest (rank, file, row).

        Ranking every row of every stratum (``min_by`` over all rows) costs as
        much as sorting them. The ranks are uniform hashes, so the rows a
        stratum keeps almost surely all lie under a rank threshold a little
        above its quota's share (:func:`_sampling_rate`): one filtered scan
        returns those few rows, and the lowest of them are exactly the lowest
        of the stratum. A stratum too small for the common threshold, or
        (rarely) short of its quota under it, is ranked whole by a second,
        restricted query; the rows are the same either way.
        """
        keys = ", ".join(f"{sql.key_value(s, types[s])} AS __s{i}" for i, s in enumerate(strata))
        group = ", ".join(f"__s{i}" for i in range(len(strata)))
        table = f"__govkit_strata_{next(_TEMP_NAMES)}"
        self._execute(
            f"CREATE TEMP TABLE {table} AS SELECT row_number() OVER () AS __id, {group}, "
            f"count(*) AS __n FROM (SELECT {keys} FROM {src}) GROUP BY {group}",
            tables,
        )
        try:
            sizes = self._rows(f"SELECT __id, __n FROM {table}", tables)
            total = sum(int(size) for _, size in sizes)
            fields = [*wanted, sql.FILE_COLUMN, sql.ROW_COLUMN]
            if total == 0:
                return pd.DataFrame({c: [] for c in fields})
            quota = {
                int(i): max(1, int(np.floor(n * int(size) / total + 0.5))) for i, size in sizes
            }
            rates = {int(i): _sampling_rate(quota[int(i)], int(size)) for i, size in sizes}
            cap = min(1.0, _RATE_CAP * n / total)
            pooled = [i for i, rate in rates.items() if rate <= cap]
            picked = ", ".join(f"x.{sql.ident(f)}" for f in fields)
            on = " AND ".join(f"x.__s{i} IS NOT DISTINCT FROM t.__s{i}" for i in range(len(strata)))
            rows = f"(SELECT *, {keys}, {rank} AS __rank FROM {src})"
            parts: list[pd.DataFrame] = []
            if pooled:
                top = max(rates[i] for i in pooled)
                threshold = min(1 << 53, int(np.ceil(top * 2.0**53)))
                parts.append(
                    self._frame(
                        f"SELECT t.__id, x.__rank, {picked} FROM {rows} x JOIN {table} t ON {on} "
                        f"WHERE (x.__rank >> 11) < {threshold}",
                        tables,
                    )
                )
                found = parts[0]["__id"].value_counts()
                short = [i for i in pooled if int(found.get(i, 0)) < quota[i]]
            else:
                short = []
            whole = sorted({*short, *(i for i in rates if i not in pooled)})
            if whole:
                # every row of these strata, reduced to each one's lowest ranks in DuckDB
                ids = ", ".join(str(i) for i in whole)
                named = ", ".join(
                    f"{sql.string(f'c{j}')}: x.{sql.ident(f)}" for j, f in enumerate(fields)
                )
                top_quota = max(quota[i] for i in whole)
                query = (
                    f"SELECT __id, unnest(__rows, recursive := true) FROM ("
                    f"SELECT t.__id, min_by({{'__rank': x.__rank, {named}}}, x.__rank, {top_quota}) "
                    f"AS __rows FROM {rows} x JOIN (SELECT * FROM {table} WHERE __id IN ({ids})) t "
                    f"ON {on} GROUP BY t.__id)"
                )
                ranked = self._frame(query, tables)
                ranked.columns = ["__id", "__rank", *fields]
                if parts:
                    parts[0] = parts[0][~parts[0]["__id"].isin(whole)]
                parts.append(ranked)
        finally:
            self._execute(f"DROP TABLE IF EXISTS {table}", tables)
        frame = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
        frame = frame.sort_values(
            ["__id", "__rank", sql.FILE_COLUMN, sql.ROW_COLUMN], kind="mergesort"
        )
        within = frame.groupby("__id", sort=False).cumcount().to_numpy()
        limit = frame["__id"].map(quota).to_numpy()
        frame = frame[within < limit]
        return frame.sort_values([sql.FILE_COLUMN, sql.ROW_COLUMN], kind="mergesort")[fields]

    # --- reading ------------------------------------------------------------------

    def _execute(self, query: str, tables: Sequence[TableRef]) -> duckdb.DuckDBPyConnection:
        try:
            return self._con.execute(query)
        except self._duckdb.Error as err:
            self._fail(err, tables)

    def _rows(self, query: str, tables: Sequence[TableRef]) -> list[Any]:
        """Every row of a query; a failure while fetching is the user's error too.

        DuckDB may read the files only as the rows are fetched (a table
        function such as ``parquet_metadata``), so the fetch is guarded as
        the query is.
        """
        try:
            return self._con.execute(query).fetchall()
        except self._duckdb.Error as err:
            self._fail(err, tables)

    def _frame(self, query: str, tables: Sequence[TableRef]) -> pd.DataFrame:
        try:
            return self._con.sql(query).to_arrow_table().to_pandas()
        except self._duckdb.Error as err:
            self._fail(err, tables)

    def _types(self, tables: Sequence[TableRef]) -> dict[str, str]:
        """Each column's DuckDB type, from the files' footers (no data is read)."""
        key = tuple(tables)
        if key not in self._types_cache:
            rows = self._rows(f"DESCRIBE SELECT * FROM {sql.source(tables)}", tables)
            self._types_cache[key] = {str(r[0]): str(r[1]) for r in rows}
        return self._types_cache[key]

    def _dtypes(self, tables: Sequence[TableRef]) -> dict[str, Any]:
        """Each column's pandas dtype when pandas reads the files (without missing values)."""
        key = tuple(tables)
        if key not in self._dtypes_cache:
            self._dtypes_cache[key] = _pandas_dtypes(tables)
        return self._dtypes_cache[key]

    def _require(self, tables: Sequence[TableRef], columns: Sequence[str]) -> dict[str, str]:
        types = self._types(tables)
        absent = [c for c in dict.fromkeys(columns) if c not in types]
        if absent:
            names = list(types)
            listed = ", ".join(names[:12]) + (" ..." if len(names) > 12 else "")
            raise InputError(
                f"{_tables_text(tables)}: no column {', '.join(repr(c) for c in absent)} "
                f"in the files (hint: the files have {listed}; fix the column name in "
                "govkit.yaml or write the column into every file)"
            )
        return types

    def _fail(self, err: BaseException, tables: Sequence[TableRef]) -> NoReturn:
        """Raise what a failed query means for the user: the file at fault, or the memory limit.

        A query DuckDB cannot parse or bind (every column was checked before)
        or an internal DuckDB error is our own bug, raised as it is (exit 3).
        """
        duckdb = self._duckdb
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        if isinstance(
            err, (duckdb.ParserException, duckdb.BinderException, duckdb.InternalException)
        ):
            raise err
        if isinstance(err, duckdb.OutOfMemoryException):
            raise ConfigError(
                f"DuckDB ran out of memory under its limit of {self._memory_limit} ({first}) "
                f"(hint: raise engine.memory_limit in govkit.yaml, or free disk space under "
                f"{tempfile.gettempdir()} for spilling)"
            ) from err
        files = [f for t in tables for f in t.files]
        for path in sorted(files, key=len, reverse=True):
            if path in str(err):
                raise _file_error(path, first) from err
        for path in files:
            problem = _footer_problem(path)
            if problem is not None:
                raise _file_error(path, problem) from err
        raise InputError(
            f"{_tables_text(tables)}: DuckDB cannot read the data: {first} "
            "(hint: check that every file is a complete Parquet file with the same columns)"
        ) from err


# --- pandas dtypes ------------------------------------------------------------------


def _pandas_dtypes(tables: Sequence[TableRef]) -> dict[str, Any]:
    """The dtypes pandas gives the columns (pyarrow's reading of the first file's schema)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    out: dict[str, Any] = {}
    for table in tables:
        if not table.files:
            continue
        path = table.files[0]
        try:
            schema: pa.Schema = pq.read_schema(path)
        except (OSError, ValueError, pa.ArrowException) as err:
            raise _file_error(path, err) from err
        fields = list(schema)
        if table.hive:
            arrow = {"INTEGER": pa.int32(), "BIGINT": pa.int64(), "VARCHAR": pa.string()}
            fields += [pa.field(k, arrow[v]) for k, v in sql.hive_types(table.files).items()]
        empty = pa.schema(fields, metadata=schema.metadata).empty_table().to_pandas()
        for name in empty.columns:
            out.setdefault(str(name), empty[name].dtype)
    return out


def _sampling_rate(quota: int, size: int) -> float:
    """The share of a stratum's ranks under which its ``quota`` lowest lie, all but surely.

    The rows under a rate ``p`` number Binomial(size, p); at ``p = (q + 8 sqrt(q) + 16) / size``
    falling short of ``q`` takes about eight standard deviations: it does not happen.
    """
    if size <= 0:
        return 1.0
    return min(1.0, (quota + 8.0 * np.sqrt(quota) + 16.0) / size)


def _histogram_quantiles(pairs: list[tuple[float, int]], probs: Sequence[float]) -> list[float]:
    """numpy's linear-interpolation quantiles of the values a histogram (value, count) holds."""
    pairs.sort()
    values = np.array([v for v, _ in pairs])
    ends = np.cumsum([n for _, n in pairs])  # the rank after each value's last row
    n = int(ends[-1])
    out: list[float] = []
    for p in probs:
        h = (n - 1) * p
        k = int(np.floor(h))
        low = values[np.searchsorted(ends, k, side="right")]
        high = values[np.searchsorted(ends, min(k + 1, n - 1), side="right")]
        t = h - k
        # numpy's lerp: the same rounding as numpy.percentile
        out.append(float(high - (high - low) * (1 - t) if t >= 0.5 else low + (high - low) * t))
    return out


def _read_dtype(dtype: Any, *, has_null: bool) -> Any:
    """The dtype pandas gives a column of ``dtype`` that holds missing values or not."""
    if dtype is None or not has_null:
        return dtype
    if pd.api.types.is_integer_dtype(dtype) and not isinstance(dtype, pd.CategoricalDtype):
        return np.dtype(np.float64)
    if pd.api.types.is_bool_dtype(dtype):
        return np.dtype(object)
    return dtype


def _as_read(series: pd.Series, dtype: Any, *, categories: bool) -> pd.Series:
    """A column DuckDB returned, in the dtype pandas would have read it in.

    DuckDB hands back integers with NULLs as nullable ``Int64``; pandas reads
    them as float64 with NaN. Categorical columns keep their values' dtype
    when ``categories`` is False (the cells' keys are plain values).
    """
    if dtype is None:
        return series
    if isinstance(dtype, pd.CategoricalDtype):
        if categories:
            return series.astype("category")
        dtype = dtype.categories.dtype if len(dtype.categories) else series.dtype
    target = _read_dtype(dtype, has_null=bool(series.isna().any()))
    if series.dtype == target:
        return series
    try:
        if target == np.dtype(object):
            return series.astype(object).where(series.notna(), None)
        if pd.api.types.is_float_dtype(target):
            return pd.Series(
                series.to_numpy(dtype=target, na_value=np.nan), index=series.index, name=series.name
            )
        return series.astype(target)
    except (TypeError, ValueError):
        return series


def _key_values(values: np.ndarray, ranks: np.ndarray, dtype: Any) -> Any:
    """A key column of the cells: each rank's value, text built in Arrow when pandas reads it so.

    Taking from the values' Arrow array gives pandas' string column directly,
    many times faster than building Python strings cell by cell.
    """
    if isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow" and values.dtype == object:
        import pyarrow as pa

        text = pa.array([v if isinstance(v, str) else None for v in values], type=pa.large_string())
        return pd.array(text.take(pa.array(ranks)), dtype=dtype)
    return values[ranks]


def _sorted(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """The reference's order (``sort_values(keys, na_position="last", kind="mergesort")``).

    Each key is replaced by its rank among the key's distinct values (missing
    last), and the ranks are packed into one integer when they fit (else
    sorted with ``numpy.lexsort``); a stable sort of that gives the same order
    several times faster than comparing millions of rows key by key.
    """
    if frame.empty or not keys:
        return frame.reset_index(drop=True)
    ranks: list[np.ndarray] = []
    sizes: list[int] = []
    for key in keys:
        codes, uniques = pd.factorize(frame[key], sort=True, use_na_sentinel=True)
        ranks.append(np.where(codes < 0, len(uniques), codes).astype(np.int64))
        sizes.append(len(uniques) + 1)
    if float(np.prod(np.asarray(sizes, dtype=np.float64))) < 2.0**62:
        packed = np.zeros(len(frame), dtype=np.int64)
        for rank, size in zip(ranks, sizes, strict=True):
            packed = packed * size + rank
        order = np.argsort(packed, kind="stable")
    else:
        order = np.lexsort(ranks[::-1])  # lexsort's last key is the primary one
    return frame.iloc[order].reset_index(drop=True)


def _column_kind(dtype: Any, sql_type: str) -> str:
    """``numeric`` (statistics computed), ``plain`` (missing = NULL/NaN) or ``text`` (markers too).

    The same split as :func:`~govkit.privacy.missing.missing_mask` and
    :func:`~govkit.scale.engines.base.profile_of_frame`: numbers and dates are
    never compared with markers; booleans are numbers there but get no mean.
    """
    if dtype is None:
        numeric = not sql_type.upper().startswith(("VARCHAR", "BLOB"))
        return "numeric" if numeric and sql_type.upper() != "BOOLEAN" else "text"
    if pd.api.types.is_bool_dtype(dtype):
        return "plain"
    if pd.api.types.is_numeric_dtype(dtype):
        return "numeric"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "plain"
    return "text"


# --- errors -------------------------------------------------------------------------

_FILE_HINT = (
    "the file is damaged, not Parquet, or changed since it was listed; write it again, "
    "or remove it from the data source"
)


def _file_error(path: str, problem: object) -> InputError:
    text = problem if isinstance(problem, str) else f"{type(problem).__name__}: {problem}"
    text = re.sub(r"\s+", " ", str(text)).strip()
    return InputError(f"{path}: cannot read the Parquet file: {text} (hint: {_FILE_HINT})")


def _footer_problem(path: str) -> str | None:
    """Why a file's Parquet footer cannot be read, or None when it can."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        pq.read_metadata(path)
    except (OSError, ValueError, pa.ArrowException) as err:
        return f"{type(err).__name__}: {err}"
    return None
