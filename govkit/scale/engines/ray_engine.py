"""The engine over Ray Data: statistics computed where the data lies, on one machine or many.

Every statistic is computed per batch by a Ray Data ``map_batches`` stage,
and only each batch's small partial result (its cells, its counts, its
histogram) comes back to the driver, which adds them up; with many batches
the partials are first merged on the workers, in a tree of tasks. Rows never
travel to the driver, except the bounded sample of :meth:`RayEngine.sample`. The
per-batch functions are the pandas references themselves
(:func:`~govkit.scale.cells.cells_of_frame`) or their mergeable shares
(:mod:`._partials`), so the statistics equal the in-memory ones by
construction, and the tests check that they do.

A model runs in the same stage as the cells: each batch is scored by an
actor holding the scorer (one GPU per actor when the cluster has GPUs), and
its cells are taken before the batch is dropped, so scored rows never pile up.

The files are read by the engine's own first stage, not by
``ray.data.read_parquet``: the driver cuts them into read units (runs of one
file's row groups) from their footers, and each worker reads its units with
pyarrow. Three things decided it, all measured with Ray 2.60: ``read_parquet``
fills a column that a file lacks with nulls, without a word (a check would
measure a missing column as missing values); its failures do not say which
file failed, where a worker reading its own unit can; and its file-listing
step cost seconds per pass on a small table, while the statistics take up to
four passes. Each unit is turned into pandas the way the pandas path reads
the files (``pyarrow.Table.to_pandas``, partition columns typed as pyarrow's
discovery infers them from the folder names), so a batch's frame is a slice
of the in-memory frame.

Ray itself is imported only when a :class:`RayEngine` is made, and a missing
``ray`` package is a :class:`~govkit.extras.MissingExtraError` giving the
install command.
"""

from __future__ import annotations

import functools
import logging
import os
import pickle
import re
import socket
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from govkit.errors import InputError
from govkit.extras import require_extras
from govkit.scale.cells import CellSpec, cells_of_frame, combine_cells
from govkit.scale.engines import _partials
from govkit.scale.engines._ranks import (
    KeyRequest,
    RankSearch,
    answer_requests,
    interpolate,
    order_statistics_needed,
    top_histogram,
)
from govkit.scale.engines.base import Profile, ProfileSpec, Scorer, TableRef
from govkit.scale.reservoir import Reservoir

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["RayEngine"]

#: seconds to wait for a cluster's address to answer before giving up
CONNECT_TIMEOUT_S = 5.0
#: CPUs a local instance takes at most: a laptop stays usable
LOCAL_MAX_CPUS = 8
#: rows a read unit (a run of one file's row groups) holds, about
UNIT_ROWS = 1_000_000
#: partials merged into one per task of the tree reduce
TREE_FAN_IN = 8
#: up to this many read units, partials go straight to the driver, merged as they arrive
#: (merging them in a tree costs more than it saves when there are few)
TREE_MIN_UNITS = 64
#: rows per batch a model scores
SCORE_BATCH_ROWS = 65_536
#: merge buffered partial cells once they hold this many rows more than the merged table
_BUFFER_ROWS = 200_000


def _sampler(n: int, seed: int, strata: Sequence[str]) -> Reservoir:
    """The mergeable reservoir every partition and the driver share."""
    return Reservoir(n, seed=seed, strata=strata)


# --- what runs on the workers ---------------------------------------------------------------


def _frame(table: pa.Table) -> pd.DataFrame:
    frame = table.to_pandas()
    frame.columns = [str(c) for c in frame.columns]
    return frame


@dataclass(frozen=True)
class _Source:
    """One table of the union as the workers read it: where its hive keys start, their types."""

    base: str
    #: partition column -> "int32" or "string", as pyarrow infers them from the folders
    partitions: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class _ReadUnits:
    """The read stage: a read unit (a file's run of row groups) -> its rows of ``columns``.

    Each worker reads its own units with pyarrow, so a file that fails to
    read is named in the error, and a unit's partition columns are filled in
    from its folders with the types pyarrow's discovery gives them, as on the
    pandas path.
    """

    columns: tuple[str, ...]
    sources: tuple[_Source, ...]

    def __call__(self, units: pa.Table) -> pa.Table:
        import pyarrow as pa

        tables = [
            self._read(str(path), int(source), int(first), int(stop))
            for path, source, first, stop in zip(
                units.column("path").to_pylist(),
                units.column("source").to_pylist(),
                units.column("first").to_pylist(),
                units.column("stop").to_pylist(),
                strict=True,
            )
        ]
        return pa.concat_tables(tables) if len(tables) > 1 else tables[0]

    def _read(self, path: str, source: int, first: int, stop: int) -> pa.Table:
        import pyarrow as pa
        import pyarrow.parquet as pq

        info = self.sources[source]
        partitions = dict(info.partitions)
        in_file = [c for c in self.columns if c not in partitions]
        try:
            table = pq.ParquetFile(path).read_row_groups(
                list(range(first, stop)), columns=in_file, use_threads=False
            )
        except (OSError, pa.ArrowException, ValueError) as err:
            raise InputError(
                f"{path}: cannot read the Parquet file: {type(err).__name__}: "
                f"{_first_line(err)}; write it again, or remove it from the data"
            ) from err
        values = _partition_values(path, info.base)
        out = {c: table.column(c) for c in in_file}
        for name, type_name in info.partitions:
            if name in self.columns:
                value = values[name]
                typed = int(value) if type_name == "int32" else value
                out[name] = pa.array([typed] * table.num_rows, pa.type_for_alias(type_name))
        return pa.table({c: out[c] for c in self.columns})


def _partition_values(path: str, base: str) -> dict[str, str]:
    parts = PurePath(path).relative_to(base or "/").parts[:-1]
    return dict(p.split("=", 1) for p in parts if "=" in p)  # type: ignore[misc]


def _packed(rows: int, partial: Any) -> dict[str, np.ndarray]:
    """A batch's answer: its row count and its partial, pickled (dtypes survive as they are)."""
    blob = np.empty(1, dtype=object)
    blob[0] = pickle.dumps(partial, protocol=pickle.HIGHEST_PROTOCOL)
    return {"rows": np.array([rows], dtype=np.int64), "partial": blob}


@dataclass(frozen=True)
class _PartialOfBatch:
    """The map_batches function: a batch -> (rows, the partial ``measure`` takes of its frame)."""

    measure: Callable[[pd.DataFrame], Any]

    def __call__(self, table: pa.Table) -> dict[str, np.ndarray]:
        frame = _frame(table)
        return _packed(len(frame), self.measure(frame))


class _ScoredCells:
    """The map_batches actor of a model: scores a batch, then takes its cells.

    Scoring and counting in one stage means scored rows are never stored or
    shipped: each batch leaves the actor as its cells.
    """

    def __init__(self, spec: CellSpec, scorer: Scorer) -> None:
        self.spec = spec
        self.scorer = scorer

    def __call__(self, table: pa.Table) -> dict[str, np.ndarray]:
        frame = _frame(table)
        if len(frame):
            pred, score = self.scorer(frame)
            if self.spec.pred is not None:
                frame[self.spec.pred] = np.asarray(pred)
            if self.spec.score is not None:
                frame[self.spec.score] = (
                    np.full(len(frame), np.nan) if score is None else np.asarray(score)
                )
        elif self.spec.pred is not None or self.spec.score is not None:
            for name in (self.spec.pred, self.spec.score):
                if name is not None:
                    frame[name] = np.array([], dtype=np.float64)
        return _packed(len(frame), cells_of_frame(frame, self.spec))


def _merge_blocks(
    combine: Callable[[list[Any]], Any], blocks: bool, *items: Any
) -> tuple[int, Any]:
    """A task of the tree reduce: packed blocks of partials, or partials, -> (rows, one partial)."""
    rows, parts = 0, []
    for item in items:
        if not blocks:
            parts.append(item)
            continue
        table = item if isinstance(item, pd.DataFrame) else item.to_pandas()
        rows += int(table["rows"].sum())
        parts.extend(pickle.loads(blob) for blob in table["partial"])
    return rows, combine(parts)


@dataclass(frozen=True)
class _CombineCells:
    spec: CellSpec

    def __call__(self, parts: list[pd.DataFrame]) -> pd.DataFrame:
        return combine_cells(parts, self.spec)


@dataclass(frozen=True)
class _CombineClasses:
    keys: tuple[str, ...]

    def __call__(self, parts: list[pd.DataFrame]) -> pd.DataFrame:
        return _partials.sum_class_partials(parts, self.keys)


@dataclass(frozen=True)
class _Cells:
    spec: CellSpec

    def __call__(self, frame: pd.DataFrame) -> pd.DataFrame:
        return cells_of_frame(frame, self.spec)


@dataclass(frozen=True)
class _ProfileShare:
    spec: ProfileSpec
    limit: int

    def __call__(self, frame: pd.DataFrame) -> _partials.ProfilePartial:
        return _partials.profile_partial(frame, self.spec, self.limit)


@dataclass(frozen=True)
class _ClassShare:
    columns: tuple[str, ...]
    sensitive: str | None

    def __call__(self, frame: pd.DataFrame) -> pd.DataFrame:
        return _partials.class_partial(frame, self.columns, self.sensitive)


@dataclass(frozen=True)
class _KeyAnswers:
    """A refining pass of the quantile search: each batch answers the requests."""

    requests: tuple[KeyRequest, ...]
    markers: tuple[str, ...]

    def __call__(self, frame: pd.DataFrame) -> list[tuple[np.ndarray, np.ndarray]]:
        def keys_of(column: str) -> np.ndarray:
            return _partials.numeric_keys(_partials.present_values(frame, column, self.markers))

        return answer_requests(keys_of, self.requests)


@dataclass(frozen=True)
class _FirstKeys:
    """The first pass of :meth:`RayEngine.quantiles`: present count and value counts or histogram."""

    column: str
    limit: int

    def __call__(self, frame: pd.DataFrame) -> tuple[int, Any, Any]:
        values = frame[self.column].to_numpy(dtype=np.float64, na_value=np.nan)
        values = values[~np.isnan(values)]
        distinct, counts = np.unique(values, return_counts=True)
        if len(distinct) <= self.limit:
            return len(values), (distinct, counts.astype(np.int64)), None
        return len(values), None, top_histogram(_partials.numeric_keys(pd.Series(values)))


@dataclass(frozen=True)
class _Present:
    """A column's present values, for a distributed distinct count (numbers as float64)."""

    column: str
    markers: tuple[str, ...]

    def __call__(self, frame: pd.DataFrame) -> pd.DataFrame:
        values = _partials.present_values(frame, self.column, self.markers)
        if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(
            values.dtype
        ):
            out = values.to_numpy(dtype=np.float64)
        else:
            out = values.astype(object).map(str).to_numpy(dtype=object)
        return pd.DataFrame({"value": out})


@dataclass(frozen=True)
class _Sample:
    n: int
    seed: int
    strata: tuple[str, ...]

    def __call__(self, frame: pd.DataFrame) -> Any:
        sampler = _sampler(self.n, self.seed, self.strata)
        sampler.add(frame)
        return sampler


@dataclass(frozen=True)
class _CombineSamples:
    draw: _Sample

    def __call__(self, parts: list[Any]) -> Any:
        merged = _sampler(self.draw.n, self.draw.seed, self.draw.strata)
        for part in parts:
            merged.merge(part)
        return merged


# --- the engine -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Footer:
    columns: frozenset[str]
    rows: int
    row_groups: tuple[int, ...]  # rows of each row group


class RayEngine:
    """The statistics over Ray Data, on a local instance or a cluster.

    Parameters
    ----------
    address
        A running cluster (``host:port`` of its head, ``ray://host:port`` for
        Ray Client, or ``auto``); None starts a local instance, stopped again
        by :meth:`close`.
    progress
        Told the rows done as batches finish (``advance(rows)``).
    num_cpus
        CPUs of a local instance; default the machine's, at most
        :data:`LOCAL_MAX_CPUS`.

    Raises
    ------
    MissingExtraError
        ``ray`` is not installed; the message gives the install command.
    InputError
        ``address`` does not answer, or is not a Ray cluster.
    """

    name = "ray"

    def __init__(
        self,
        *,
        address: str | None = None,
        progress: Any = None,
        num_cpus: int | None = None,
    ) -> None:
        require_extras({"ray": ["the ray engine (`--engine ray`)"]})
        self.address = address
        self.progress = progress
        self._footers: dict[str, _Footer] = {}
        self._owned = False
        self._units = 0  # read units of the last dataset
        self._connect(address, num_cpus)
        # read now: the report asks after the run, when a local instance is already stopped
        self._description = self._cluster()

    # --- connecting ---------------------------------------------------------------------

    def _connect(self, address: str | None, num_cpus: int | None) -> None:
        import ray

        if address is not None and address != "auto":
            _check_reachable(address)
        if ray.is_initialized():
            self._configure_data()
            return
        options: dict[str, Any] = {
            "include_dashboard": False,
            "log_to_driver": False,
            "logging_level": logging.ERROR,
            "ignore_reinit_error": True,
        }
        if address is None:
            options["num_cpus"] = num_cpus or min(os.cpu_count() or 1, LOCAL_MAX_CPUS)
        else:
            # the workers of a cluster run this very govkit, so the statistics are the driver's
            import govkit

            options["runtime_env"] = {"py_modules": [os.path.dirname(govkit.__file__)]}
        try:
            # "local" starts an instance even where `ray start` left a cluster to join by default
            ray.init(address=address or "local", **options)
        except (ConnectionError, TimeoutError, RuntimeError, ValueError) as err:
            raise _connect_error(address, err) from err
        self._owned = address is None
        self._configure_data()

    @staticmethod
    def _configure_data() -> None:
        """Ray Data without progress bars or execution logs: the progress bar is govkit's.

        And partials in the order of the read units: floats added in another
        order differ in their last bits, and the same inputs must give the
        same figures bit for bit.
        """
        from ray.data.context import DataContext

        context = DataContext.get_current()
        context.execution_options.preserve_order = True
        context.enable_progress_bars = False
        context.enable_operator_progress_bars = False
        context.print_on_execution_start = False
        context.enable_auto_log_stats = False
        logging.getLogger("ray").setLevel(logging.ERROR)
        # a failed batch is reported once, as govkit's error, not also as Ray Data's log lines
        logging.getLogger("ray.data").setLevel(logging.CRITICAL)

    def describe(self) -> dict[str, Any]:
        return dict(self._description)

    def _cluster(self) -> dict[str, Any]:
        import ray

        resources = ray.cluster_resources()
        return {
            "name": self.name,
            "version": ray.__version__,
            "address": self.address or "local",
            "nodes": sum(1 for node in ray.nodes() if node.get("Alive")),
            "cpus": int(resources.get("CPU", 0)),
            "gpus": int(resources.get("GPU", 0)),
        }

    def close(self) -> None:
        """Stop the local instance this engine started (a cluster is left running)."""
        import ray

        if self._owned and ray.is_initialized():
            ray.shutdown()
        self._owned = False

    # --- the files ----------------------------------------------------------------------

    def _footer(self, path: str) -> _Footer:
        if path not in self._footers:
            import pyarrow as pa
            import pyarrow.parquet as pq

            try:
                meta = pq.read_metadata(path)
                names = frozenset(meta.schema.to_arrow_schema().names)
            except (OSError, pa.ArrowException, ValueError) as err:
                raise InputError(
                    f"{path}: cannot read the Parquet file: {type(err).__name__}: "
                    f"{_first_line(err)}; write it again, or remove it from the data"
                ) from err
            groups = tuple(meta.row_group(i).num_rows for i in range(meta.num_row_groups))
            self._footers[path] = _Footer(names, int(meta.num_rows), groups)
        return self._footers[path]

    def _footers_of(self, tables: Sequence[TableRef]) -> list[tuple[str, _Footer]]:
        """Every file's footer (read once, in parallel); an unreadable file is an InputError."""
        files = [f for t in tables for f in t.files]
        with ThreadPoolExecutor(max_workers=min(16, max(1, len(files)))) as pool:
            footers = list(pool.map(self._footer, files))
        return list(zip(files, footers, strict=True))

    def n_rows(self, tables: Sequence[TableRef]) -> int:
        """Rows of the union, from the files' footers: no row is read."""
        return sum(footer.rows for _, footer in self._footers_of(tables))

    def _check_columns(self, tables: Sequence[TableRef], columns: Sequence[str]) -> None:
        for table in tables:
            partitions = {name for name, _ in _partition_types(table)}
            for path in table.files:
                have = self._footer(path).columns | partitions
                missing = [c for c in columns if c not in have]
                if missing:
                    listed = ", ".join(sorted(have)[:12]) + (" ..." if len(have) > 12 else "")
                    raise InputError(
                        f"{path}: no column {', '.join(repr(c) for c in missing)} in this "
                        f"Parquet file (its columns: {listed}); write the file with "
                        "the column, or name a column it has"
                    )

    def _dataset(self, tables: Sequence[TableRef], columns: Sequence[str]) -> Any:
        """The union of the tables as one Ray dataset of the rows of ``columns``.

        The driver splits the files into read units from their footers (runs
        of row groups of about :data:`UNIT_ROWS` rows); the workers read them.
        """
        import ray.data

        wanted = tuple(dict.fromkeys(columns))
        footers = dict(self._footers_of(tables))
        self._check_columns(tables, wanted)
        sources = tuple(_Source(_partition_base(t.files), _partition_types(t)) for t in tables)
        units = [
            {"path": path, "source": i, "first": first, "stop": stop}
            for i, table in enumerate(tables)
            for path in table.files
            for first, stop in _runs(footers[path].row_groups, UNIT_ROWS)
        ]
        self._units = len(units)
        if not units:
            return None
        dataset = ray.data.from_items(units, override_num_blocks=len(units)).map_batches(
            _ReadUnits(wanted, sources), batch_format="pyarrow", batch_size=1
        )
        return dataset

    # --- running a stage ----------------------------------------------------------------

    def _partials(
        self,
        tables: Sequence[TableRef],
        columns: Sequence[str],
        measure: Callable[[pd.DataFrame], Any],
        *,
        count: bool = False,
        combine: Callable[[list[Any]], Any] | None = None,
    ) -> Iterator[Any]:
        """Each batch's partial ``measure``; ``count`` tells the progress bar the rows.

        With ``combine`` (partials -> one partial) and more than
        :data:`TREE_MIN_UNITS` read units, the partials are merged on the
        workers (:meth:`_reduce`) and one partial reaches the driver.
        """
        dataset = self._dataset(tables, columns)
        if dataset is None:
            return
        stage = dataset.map_batches(
            _PartialOfBatch(measure), batch_format="pyarrow", batch_size=None
        )
        if combine is not None and self._units > TREE_MIN_UNITS:
            yield from self._reduce(stage, tables, combine, count=count)
        else:
            yield from self._collect(stage, tables, count=count)

    def _reduce(
        self,
        stage: Any,
        tables: Sequence[TableRef],
        combine: Callable[[list[Any]], Any],
        *,
        count: bool,
    ) -> Iterator[Any]:
        """Merge the stage's partials in a tree of tasks, :data:`TREE_FAN_IN` at a time.

        Blocks of partials are merged as they are produced, and the merged
        partials again, level by level, so the driver receives one partial
        (about the size of the answer) however many batches there were; the
        partials never pass through the driver on their way.
        """
        import ray

        merge = ray.remote(num_returns=2)(_merge_blocks)
        levels: list[list[Any]] = []
        counted: list[Any] = []

        def push(level: int, ref: Any) -> None:
            while len(levels) <= level:
                levels.append([])
            levels[level].append(ref)
            if len(levels[level]) == TREE_FAN_IN:
                rows, part = merge.remote(combine, level == 0, *levels[level])
                levels[level] = []
                if level == 0:
                    counted.append(rows)
                push(level + 1, part)

        try:
            for bundle in stage.iter_internal_ref_bundles():
                for ref in bundle.block_refs:
                    push(0, ref)
                self._advance(counted, count, wait=False)
            rest: list[Any] = []
            if levels and levels[0]:
                rows, part = merge.remote(combine, True, *levels[0])
                counted.append(rows)
                rest.append(part)
            rest += [ref for level in levels[1:] for ref in level]
            while len(rest) > 1:
                rest = [
                    merge.remote(combine, False, *rest[i : i + TREE_FAN_IN])[1]
                    for i in range(0, len(rest), TREE_FAN_IN)
                ]
            result = ray.get(rest[0]) if rest else combine([])
            self._advance(counted, count, wait=True)
        except Exception as err:  # a worker's failure, wrapped by Ray
            raise _read_error(err, tables) from err
        yield result

    def _advance(self, counted: list[Any], count: bool, *, wait: bool) -> None:
        """Tell the progress bar the rows of the first-level merges that are done."""
        import ray

        if not counted:
            return
        ready, pending = (
            (counted, []) if wait else ray.wait(counted, num_returns=len(counted), timeout=0)
        )
        rows = sum(ray.get(list(ready))) if ready else 0
        counted[:] = pending
        if count and self.progress is not None and rows:
            self.progress.advance(int(rows))

    def _collect(self, stage: Any, tables: Sequence[TableRef], *, count: bool) -> Iterator[Any]:
        try:
            for batch in stage.iter_batches(batch_format="numpy", batch_size=None):
                for rows, blob in zip(batch["rows"], batch["partial"], strict=True):
                    if count and self.progress is not None:
                        self.progress.advance(int(rows))
                    yield pickle.loads(blob)
        except Exception as err:  # a worker's failure, wrapped by Ray
            raise _read_error(err, tables) from err

    # --- the statistics -----------------------------------------------------------------

    def cells(
        self,
        tables: Sequence[TableRef],
        spec: CellSpec,
        *,
        scorer: Scorer | None = None,
        columns: Sequence[str] = (),
    ) -> pd.DataFrame:
        """The cells of the rows (see :meth:`Engine.cells`), added up from each batch's."""
        keys = [k.column for k in spec.keys] + [spec.label]
        if scorer is None:
            needed = keys + [c for c in (spec.pred, spec.score) if c is not None]
            parts = self._partials(
                tables, needed, _Cells(spec), count=True, combine=_CombineCells(spec)
            )
        else:
            parts = self._scored_partials(tables, spec, scorer, [*keys, *columns])
        merged = _CellsMerge(spec)
        for part in parts:
            merged.add(part)
        return merged.result()

    def _scored_partials(
        self, tables: Sequence[TableRef], spec: CellSpec, scorer: Scorer, columns: list[str]
    ) -> Iterator[pd.DataFrame]:
        import ray

        dataset = self._dataset(tables, columns)
        if dataset is None:
            return
        resources = ray.cluster_resources()
        gpus = int(resources.get("GPU", 0))
        if gpus:
            placement: dict[str, Any] = {"num_gpus": 1, "num_cpus": 1, "concurrency": gpus}
        else:
            # one CPU stays free for the read tasks feeding the actors, or neither can run;
            # on a single CPU the one actor claims none and shares it with the reads
            cpus = int(resources.get("CPU", 1))
            placement = {"num_cpus": 1 if cpus >= 2 else 0, "concurrency": max(1, cpus - 1)}
        stage = dataset.map_batches(
            _ScoredCells,
            fn_constructor_kwargs={"spec": spec, "scorer": scorer},
            batch_format="pyarrow",
            batch_size=SCORE_BATCH_ROWS,
            **placement,
        )
        if self._units > TREE_MIN_UNITS:
            yield from self._reduce(stage, tables, _CombineCells(spec), count=True)
        else:
            yield from self._collect(stage, tables, count=True)

    def profile(self, tables: Sequence[TableRef], spec: ProfileSpec) -> Profile:
        """The data-quality profile: one pass, plus one or two for large numeric columns."""
        needed = [*spec.groups, spec.label, *spec.columns]
        limit = _partials.DISTINCT_LIMIT
        merge = _partials.ProfileMerge(spec)
        for part in self._partials(tables, needed, _ProfileShare(spec, limit)):
            merge.add(part)
        merge.set_ranks()
        self._search(tables, merge.search, spec.markers)
        counts = {c: self._distinct(tables, c, spec.markers) for c in merge.needs_distinct_count()}
        return merge.result(counts)

    def _search(
        self, tables: Sequence[TableRef], search: RankSearch, markers: Sequence[str]
    ) -> None:
        """Run the quantile search's refining passes until every rank is known."""
        while requests := search.requests():
            columns = sorted({r.column for r in requests})
            measure = _KeyAnswers(tuple(requests), tuple(markers))
            search.add_answers(list(self._partials(tables, columns, measure)))

    def _distinct(self, tables: Sequence[TableRef], column: str, markers: Sequence[str]) -> int:
        """Distinct present values of ``column``, counted by a distributed group-by."""
        dataset = self._dataset(tables, [column])
        present = dataset.map_batches(
            _PresentFrame(_Present(column, tuple(markers))),
            batch_format="pyarrow",
            batch_size=None,
        )
        try:
            return int(present.groupby("value").count().count())
        except Exception as err:
            raise _read_error(err, tables) from err

    def class_sizes(
        self, tables: Sequence[TableRef], columns: Sequence[str], sensitive: str | None = None
    ) -> pd.DataFrame:
        """Equivalence classes (see :func:`class_sizes_of_frame`), merged from each batch's."""
        needed = [*columns, *([sensitive] if sensitive is not None else [])]
        merge = _partials.ClassesMerge(tuple(columns), sensitive)
        share = _ClassShare(tuple(columns), sensitive)
        combine = _CombineClasses(tuple(needed))
        for part in self._partials(tables, needed, share, combine=combine):
            merge.add(part)
        return merge.result()

    def quantiles(
        self, tables: Sequence[TableRef], column: str, probabilities: Sequence[float]
    ) -> list[float]:
        """Exact quantiles (numpy's linear method) of ``column``'s non-missing values."""
        search = RankSearch()
        present = 0
        exact: list[tuple[np.ndarray, np.ndarray]] | None = []
        for rows, values, histogram in self._partials(
            tables, [column], _FirstKeys(column, _partials.DISTINCT_LIMIT)
        ):
            present += rows
            if values is not None:
                search.add_values(column, *values)
                if exact is not None:
                    exact.append(values)
            else:
                search.add_histogram(column, *histogram)
                exact = None
        if not present:
            return [float("nan")] * len(probabilities)
        prev, nxt, gamma = order_statistics_needed(present, probabilities)
        search.want(column, [*prev.tolist(), *nxt.tolist()])
        if exact is not None:
            values = np.concatenate([v for v, _ in exact])
            counts = np.concatenate([c for _, c in exact])
            search.resolve_from_values(column, values, counts)
        self._search(tables, search, ())
        found = np.asarray(search.values(column), dtype=np.float64)
        k = len(probabilities)
        return [float(v) for v in interpolate(found[:k], found[k:], gamma)]

    def sample(
        self,
        tables: Sequence[TableRef],
        n: int,
        *,
        seed: int,
        columns: Sequence[str] = (),
        strata: Sequence[str] = (),
    ) -> pd.DataFrame:
        """A seeded sample: each batch draws its own, the driver merges them."""
        wanted = list(dict.fromkeys([*columns, *strata])) if columns else self._all_columns(tables)
        merged = _sampler(n, seed, strata)
        draw = _Sample(n, seed, tuple(strata))
        for part in self._partials(tables, wanted, draw, combine=_CombineSamples(draw)):
            merged.merge(part)
        result = merged.result()
        return result[wanted] if len(result.columns) else pd.DataFrame(columns=wanted)

    def _all_columns(self, tables: Sequence[TableRef]) -> list[str]:
        import pyarrow.parquet as pq

        first = tables[0]
        names = list(pq.read_schema(first.files[0]).names)
        return names + [name for name, _ in _partition_types(first) if name not in names]


@dataclass(frozen=True)
class _PresentFrame:
    present: _Present

    def __call__(self, table: pa.Table) -> pd.DataFrame:
        return self.present(_frame(table))


class _CellsMerge:
    """Adds partial cells as they arrive, holding about twice the merged cells at most."""

    def __init__(self, spec: CellSpec) -> None:
        self.spec = spec
        self._merged: pd.DataFrame | None = None
        self._buffer: list[pd.DataFrame] = []
        self._buffered = 0

    def add(self, part: pd.DataFrame) -> None:
        self._buffer.append(part)
        self._buffered += len(part)
        if self._buffered > max(_BUFFER_ROWS, 0 if self._merged is None else len(self._merged)):
            self._sum()

    def _sum(self) -> None:
        frames = ([self._merged] if self._merged is not None else []) + self._buffer
        self._merged = combine_cells(frames, self.spec)
        self._buffer, self._buffered = [], 0

    def result(self) -> pd.DataFrame:
        self._sum()
        assert self._merged is not None
        return self._merged


# --- helpers ----------------------------------------------------------------------------------


def _read_error(err: BaseException, tables: Sequence[TableRef]) -> InputError:
    """The InputError a worker raised (Ray wraps it), or one saying which read failed."""
    seen: list[BaseException] = []
    current: BaseException | None = err
    while current is not None and current not in seen and len(seen) < 20:
        seen.append(current)
        if isinstance(current, InputError):
            return InputError(current.message)
        cause = getattr(current, "cause", None)
        current = (
            cause
            if isinstance(cause, BaseException)
            else (current.__cause__ or current.__context__)
        )
    # a worker's exception reaches the driver as text: its traceback, ending in our message
    raised = f"{InputError.__module__}.{InputError.__qualname__}: "
    for line in str(err).splitlines():
        if line.startswith(raised):
            return InputError(line.removeprefix(raised))
    text = "\n".join(str(e) for e in seen)
    # the worker's own exception is the last "SomethingError: ..." line of its traceback
    raised_lines = re.findall(r"^(?:[\w.]+\.)?(\w+(?:Error|Exception): .*)$", text, re.MULTILINE)
    reason = raised_lines[-1] if raised_lines else f"{type(err).__name__}: {_first_line(err)}"
    files = [f for t in tables for f in t.files]
    named = [f for f in files if f in text]
    if named:
        return InputError(
            f"{named[0]}: reading it on Ray failed: {reason}; check that the file is "
            "complete and readable from every worker"
        )
    return InputError(
        f"the computation on Ray failed: {reason}; every worker must reach the files "
        "and import what the model needs (govkit itself is sent to a cluster's workers)"
    )


def _first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return text[0] if text else type(err).__name__


def _connect_error(address: str | None, err: BaseException) -> InputError:
    """Why ``ray.init`` failed: its first line, and the fix (Ray hides the reason in causes)."""
    chain: list[BaseException] = []
    current: BaseException | None = err
    while current is not None and len(chain) < 8:
        chain.append(current)
        current = current.__cause__ or current.__context__
    text = " ".join(str(e) for e in chain)
    reason = f"{type(err).__name__}: {_first_line(err)}"
    fix = (
        "Start the cluster (`ray start --head`), or pass the address its head printed, "
        "or drop --address to run on a local instance"
    )
    if "InvalidAuthToken" in text or "Authentication" in text:
        reason += " (the cluster refused this process's authentication token)"
        fix = (
            "The cluster uses token authentication: set RAY_AUTH_MODE=token, with the "
            "cluster's token in ~/.ray/auth_token or RAY_AUTH_TOKEN, before running govkit"
        )
    return InputError(f"cannot connect to the Ray cluster at {address!r}: {reason}. {fix}")


def _check_reachable(address: str) -> None:
    """Fail fast, naming the address, when nothing answers there (Ray would retry for minutes)."""
    hostport = address.split("://", 1)[-1]
    host, _, port = hostport.rpartition(":")
    if not host or not port.isdigit():
        raise InputError(
            f"the Ray address {address!r} is not host:port; give the head's address as "
            "`ray start --head` printed it (e.g. 10.0.0.5:6379 or ray://10.0.0.5:10001)"
        )
    try:
        with socket.create_connection((host, int(port)), timeout=CONNECT_TIMEOUT_S):
            pass
    except OSError as err:
        raise InputError(
            f"cannot reach the Ray cluster at {address!r}: {err.strerror or err}. Check that "
            "its head is running (`ray status` there) and the port is open from here, or "
            "drop --address to run on a local instance"
        ) from err


def _runs(row_groups: Sequence[int], rows: int) -> list[tuple[int, int]]:
    """Consecutive row groups in runs of about ``rows`` rows: (first, stop) of each."""
    runs: list[tuple[int, int]] = []
    first, held = 0, 0
    for i, n in enumerate(row_groups):
        held += n
        if held >= rows:
            runs.append((first, i + 1))
            first, held = i + 1, 0
    if first < len(row_groups):
        runs.append((first, len(row_groups)))
    return runs


def _partition_base(files: Sequence[str]) -> str:
    """The folder above the first ``key=value`` folder the files share."""
    parents = [PurePath(f).parent.parts for f in files]
    common: list[str] = []
    for parts in zip(*parents, strict=False):
        if len(set(parts)) != 1 or "=" in parts[0]:
            break
        common.append(parts[0])
    return str(PurePath(*common)) if common else ""


@functools.lru_cache(maxsize=64)
def _partition_types(table: TableRef) -> tuple[tuple[str, str], ...]:
    """The hive partition columns and their types, as pyarrow's discovery infers them."""
    if not table.hive:
        return ()
    import pyarrow as pa
    import pyarrow.dataset as pads

    base = _partition_base(table.files)
    keys = [
        part.split("=", 1)[0]
        for part in PurePath(table.files[0]).relative_to(base or "/").parts[:-1]
        if "=" in part
    ]
    if not keys:
        return ()
    schema = pads.dataset(
        list(table.files),
        format="parquet",
        partitioning=pads.HivePartitioning.discover(infer_dictionary=False),
        partition_base_dir=base,
    ).schema
    return tuple(
        (k, "int32" if pa.types.is_integer(schema.field(k).type) else "string") for k in keys
    )
