"""Where a data split lives: one file, a folder of Parquet files, a glob, or a list.

``data.eval`` and ``data.train`` in govkit.yaml name either one file (read
as it always was) or many Parquet files that together make one table:

- a folder, walked recursively; folders named ``key=value``
  (``region=EU/part-0.parquet``) are hive partitions, and each key becomes a
  column of the table;
- a glob (``lake/*.parquet``, ``lake/**/*.parquet``);
- a list of files.

:func:`resolve_source` turns that into a :class:`ParquetSource` and checks it
before any row is read, because a check that dies an hour into a scan, or
quietly reads half a lake, is worse than one that refuses at once. Every
file's footer is read (cheap: a few kilobytes each), so a file that is not
Parquet, a schema that differs between files, or a partition key that is also
a column inside the files is an :class:`~govkit.errors.InputError` that names
the file, the column and the fix, located at the key of govkit.yaml when the
caller says which.

The files are sorted by path, so the rows come in the same order on every
machine; the pandas path, the DuckDB engine and the Ray engine all read the
same list (:meth:`ParquetSource.to_pandas`, :meth:`ParquetSource.duckdb_source_sql`,
:meth:`ParquetSource.ray_paths`). Reading is lazy and column-pruned: only the
columns asked for leave the disk, and :meth:`ParquetSource.iter_batches`
streams one batch at a time, so memory stays flat in the number of rows.
"""

from __future__ import annotations

import glob
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from govkit.errors import InputError

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa
    import pyarrow.dataset as pads

    from govkit.diagnostics import Diagnostic

__all__ = [
    "PARQUET_SUFFIXES",
    "Origin",
    "ParquetSource",
    "SourceKind",
    "is_single_file",
    "resolve_source",
]

SourceKind = Literal["file", "folder", "glob", "list"]
Loc = tuple[str | int, ...]

PARQUET_SUFFIXES = (".parquet", ".pq")
#: single-file formats that cannot be one part of a many-file table
_OTHER_TABLES = (".csv", ".npz")
_GLOB_MAGIC = re.compile(r"[*?[]")
#: a column pandas writes for a non-default index; it is not data
_PANDAS_INDEX = re.compile(r"^__index_level_\d+__$")
#: the batch size of streamed reads when the caller gives none
DEFAULT_BATCH_ROWS = 65_536

_SAME_SCHEMA_HINT = (
    "write every file with the same columns, in the same order and of the same types "
    "(cast before writing), or name only the files that belong together"
)


class Origin(Protocol):
    """Where a source is named (a loaded govkit.yaml), so errors point at its line."""

    def diagnostic(
        self, loc: Loc, message: str, *, code: str = ..., hint: str | None = ...
    ) -> Diagnostic: ...


@dataclass(frozen=True)
class _Errors:
    """Builds the InputErrors of one source, located at its key when there is an origin."""

    origin: Origin | None
    key: Loc

    def error(self, message: str, hint: str, *, entry: int | None = None) -> InputError:
        if self.origin is None:
            return InputError(f"{message} (hint: {hint})")
        loc = self.key if entry is None else (*self.key, entry)
        return InputError(message, diagnostics=[self.origin.diagnostic(loc, message, hint=hint)])


@dataclass(frozen=True)
class ParquetSource:
    """Parquet files that together make one table, checked and ready to read.

    Attributes
    ----------
    spec
        The source as govkit.yaml names it (a path, a glob, or a list).
    kind
        ``file``, ``folder``, ``glob`` or ``list``.
    display
        How messages name the source (relative to the project folder).
    files
        Every file, absolute, sorted by path: the order of the rows.
    file_rows
        The row count of each file, from its footer.
    base_dir
        The folder hive partitions are read from (the folder, the glob's
        fixed prefix, or the list's common folder).
    partitioning
        ``hive`` when the files sit in ``key=value`` folders, else None.
    partition_schema
        The partition columns and their types (integers where every value
        is one, else strings), in folder order; empty without partitions.
    schema
        The table: the files' columns, then the partition columns.
    n_rows
        Rows in all files, from their footers (no data is read).
    total_bytes
        Bytes on disk of all files.
    """

    spec: str | tuple[str, ...]
    kind: SourceKind
    display: str
    files: tuple[Path, ...]
    file_rows: tuple[int, ...]
    base_dir: Path
    partitioning: Literal["hive"] | None
    partition_schema: pa.Schema
    schema: pa.Schema
    n_rows: int
    total_bytes: int
    root: Path = field(repr=False)
    _errors: _Errors = field(repr=False, compare=False)

    # --- what it holds --------------------------------------------------------------

    def columns(self) -> list[str]:
        """Every column of the table: the files' columns, then the partition columns."""
        return list(self.schema.names)

    @property
    def partition_columns(self) -> list[str]:
        """The hive partition keys, in folder order."""
        return list(self.partition_schema.names)

    def file_display(self, path: Path) -> str:
        """``path`` as messages show it: relative to the project folder, POSIX."""
        return _relative(path, self.root)

    # --- reading --------------------------------------------------------------------

    def to_pandas(self, columns: Sequence[str] | None = None) -> pd.DataFrame:
        """The table as one DataFrame, reading only ``columns`` (all by default).

        Partition columns are filled in from the folder names; the rows come
        file by file in :attr:`files` order, and the index is a fresh range.

        Raises
        ------
        InputError
            A column that is not in the table, or a file that cannot be read
            (named, with its path).
        """
        import pyarrow as pa

        wanted = self._columns(columns)
        tables = [
            pa.Table.from_batches(
                list(self._file_batches(i, wanted, DEFAULT_BATCH_ROWS)),
                schema=self._read_schema(wanted),
            )
            for i in range(len(self.files))
        ]
        table = pa.concat_tables(tables) if tables else self._read_schema(wanted).empty_table()
        frame = table.to_pandas()
        frame.columns = [str(c) for c in frame.columns]
        return frame

    def iter_batches(
        self, columns: Sequence[str] | None = None, *, batch_size: int = DEFAULT_BATCH_ROWS
    ) -> Iterator[pa.RecordBatch]:
        """The table in record batches of at most ``batch_size`` rows, file by file.

        Only one batch is held at a time, so memory stays flat however many
        rows there are; partition columns are filled in on every batch.

        Raises
        ------
        InputError
            A column that is not in the table, or a file that cannot be read.
        """
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        wanted = self._columns(columns)
        for i in range(len(self.files)):
            yield from self._file_batches(i, wanted, batch_size)

    def iter_frames(
        self, columns: Sequence[str] | None = None, *, batch_size: int = DEFAULT_BATCH_ROWS
    ) -> Iterator[pd.DataFrame]:
        """:meth:`iter_batches` as pandas DataFrames (for streamed inference)."""
        for batch in self.iter_batches(columns, batch_size=batch_size):
            frame = batch.to_pandas()
            frame.columns = [str(c) for c in frame.columns]
            yield frame

    # --- what the engines read ------------------------------------------------------

    def duckdb_source_sql(self) -> str:
        """The table as a DuckDB table expression: ``read_parquet([...], ...)``.

        The files are listed one by one (never a glob DuckDB would expand
        again), each a SQL string literal with its quotes doubled; columns are
        matched by position (every file was checked to have the same ones in
        the same order), and the partition columns get the types this source
        gave them, so DuckDB and pandas read the same values.
        """
        files = ", ".join(_sql_string(str(p)) for p in self.files)
        hive = "true" if self.partitioning == "hive" else "false"
        options = f"hive_partitioning = {hive}, union_by_name = false"
        if self.partitioning == "hive":
            types = ", ".join(
                f"{_sql_string(f.name)}: {_duckdb_type(f.type)}" for f in self.partition_schema
            )
            options += f", hive_types = {{{types}}}"
        return f"read_parquet([{files}], {options})"

    def ray_paths(self) -> list[str]:
        """The files, absolute and sorted, as ``ray.data.read_parquet`` takes them."""
        return [str(p) for p in self.files]

    def ray_partitioning(self) -> dict[str, Any] | None:
        """The keyword arguments of ``ray.data.datasource.Partitioning``; None without partitions.

        ``{"style": "hive", "base_dir": ..., "field_names": [...], "field_types": {...}}``
        with each partition column's Python type (``int`` or ``str``), so Ray
        fills in the same values as pandas.
        """
        if self.partitioning is None:
            return None
        import pyarrow as pa

        return {
            "style": "hive",
            "base_dir": str(self.base_dir),
            "field_names": self.partition_columns,
            "field_types": {
                f.name: int if pa.types.is_integer(f.type) else str for f in self.partition_schema
            },
        }

    # --- internals ------------------------------------------------------------------

    def _columns(self, columns: Sequence[str] | None) -> list[str]:
        names = self.columns()
        if columns is None:
            return names
        wanted = list(dict.fromkeys(columns))
        missing = [c for c in wanted if c not in names]
        if missing:
            raise self._errors.error(
                f"{self.display}: no column {', '.join(repr(c) for c in missing)} in its files",
                f"columns: {', '.join(names[:12])}" + (" ..." if len(names) > 12 else ""),
            )
        return wanted

    def _read_schema(self, columns: list[str]) -> pa.Schema:
        import pyarrow as pa

        return pa.schema([self.schema.field(c) for c in columns])

    def _file_dataset(self, index: int) -> pads.Dataset:
        """One file as a dataset of the table's schema, its partition values from its folders."""
        import pyarrow.dataset as pads

        partitioning = (
            pads.partitioning(self.partition_schema, flavor="hive")
            if self.partitioning == "hive"
            else None
        )
        return pads.dataset(
            [str(self.files[index])],
            schema=self.schema,
            format="parquet",
            partitioning=partitioning,
            partition_base_dir=str(self.base_dir),
        )

    def _file_batches(self, index: int, columns: list[str], batch_size: int) -> Iterator[Any]:
        """One file's batches; any failure to read it is an InputError naming it."""
        import pyarrow as pa
        import pyarrow.dataset as pads

        path = self.files[index]
        shown = self.file_display(path)
        try:
            # one row group decoded at a time: memory follows the row group, not the file
            batches = self._file_dataset(index).to_batches(
                columns=columns,
                batch_size=batch_size,
                batch_readahead=1,
                fragment_readahead=1,
                use_threads=False,
                # pre-buffering would fetch every column chunk of the file up front
                fragment_scan_options=pads.ParquetFragmentScanOptions(pre_buffer=False),
            )
            for batch in batches:
                # a batch is re-labelled with the table's schema: metadata of the first file
                # (a pandas index, say) must not decide how another file's rows are read
                yield pa.RecordBatch.from_arrays(batch.columns, schema=self._read_schema(columns))
        except InputError:
            raise
        except (OSError, pa.ArrowException, ValueError) as err:
            raise self._errors.error(
                f"{shown}: cannot read the Parquet file ({path}): {type(err).__name__}: "
                f"{_first_line(err)}",
                "the file changed or is damaged since it was listed; write it again, "
                "or remove it from the source",
            ) from err


def is_single_file(spec: str | Sequence[str], *, base_dir: Path) -> bool:
    """Whether ``spec`` names one file (read as it always was) rather than a many-file source.

    A list, an existing folder, or a path with glob characters that is not
    itself an existing file is a many-file source.
    """
    if not isinstance(spec, str):
        return False
    path = _absolute(spec, base_dir)
    if path.is_dir():
        return False
    return path.exists() or not _GLOB_MAGIC.search(spec)


def resolve_source(
    spec: str | Sequence[str],
    *,
    base_dir: Path,
    origin: Origin | None = None,
    key: Loc = (),
) -> ParquetSource:
    """Find and check the Parquet files of one data source.

    Parameters
    ----------
    spec
        A file, a folder, a glob, or a list of files, relative to ``base_dir``
        unless absolute.
    base_dir
        The folder of govkit.yaml; messages show paths relative to it.
    origin, key
        The loaded govkit.yaml and the key that names the source
        (``("data", "eval")``), so errors carry its line; a list entry's
        error is located at its index.

    Returns
    -------
    ParquetSource
        The sorted files, their partition columns, the table's schema, and
        the row and byte counts, all from the footers.

    Raises
    ------
    InputError
        Nothing matched (an empty folder, a glob that matches nothing, a
        listed file that does not exist); a file that is not Parquet or is
        damaged; CSV files mixed with Parquet; files whose columns differ; a
        partition key that is also a column inside the files.
    """
    errors = _Errors(origin, key)
    root = base_dir
    if isinstance(spec, str):
        path = _absolute(spec, base_dir)
        if path.is_dir():
            kind: SourceKind = "folder"
            files, partition_base = _folder_files(path, errors, root), path
            shown = _relative(path, root).rstrip("/") + "/"
        elif path.exists() or not _GLOB_MAGIC.search(spec):
            kind, files = "file", [_listed_file(spec, path, errors, root, None)]
            partition_base, shown = path.parent, _relative(path, root)
        else:
            kind, shown = "glob", spec
            files, partition_base = _glob_files(spec, base_dir, errors), _glob_base(spec, base_dir)
        written: str | tuple[str, ...] = spec
    else:
        kind, written = "list", tuple(spec)
        if not written:
            raise errors.error("the list of data files is empty", "name at least one file")
        files = _list_files(written, base_dir, errors, root)
        partition_base = Path(os.path.commonpath([str(p.parent) for p in files]))
        shown = f"{len(files)} listed file(s) under {_relative(partition_base, root) or '.'}"
    files = sorted(files, key=lambda p: p.as_posix())
    return _checked(written, kind, shown, files, partition_base, root=root, errors=errors)


# --- finding the files -------------------------------------------------------------------


def _absolute(spec: str, base_dir: Path) -> Path:
    path = Path(spec)
    return path if path.is_absolute() else base_dir / path


def _relative(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def _suffix(path: Path) -> str:
    return path.suffix.lower()


def _mixed(parquet: Path, other: Path, root: Path, errors: _Errors, where: str) -> InputError:
    return errors.error(
        f"{where} mixes Parquet and {_suffix(other).lstrip('.').upper()} files "
        f"({_relative(parquet, root)}, {_relative(other, root)}); one source is one format",
        "convert the CSV files to Parquet (pyarrow.csv.read_csv, then pyarrow.parquet."
        "write_table), or name a single CSV file on its own",
    )


def _only_parquet(found: list[Path], root: Path, errors: _Errors, where: str) -> list[Path]:
    """The Parquet files of ``found``; an error when CSV/npz files sit among them or alone."""
    parquet = [p for p in found if _suffix(p) in PARQUET_SUFFIXES]
    others = [p for p in found if _suffix(p) in _OTHER_TABLES]
    if parquet and others:
        raise _mixed(parquet[0], others[0], root, errors, where)
    if others:
        raise errors.error(
            f"{where} holds {_suffix(others[0]).lstrip('.').upper()} files "
            f"({_relative(others[0], root)}) but no Parquet files; only Parquet files "
            "can make one table from many files",
            "name one CSV file as the split, or convert them to Parquet",
        )
    return parquet


def _folder_files(folder: Path, errors: _Errors, root: Path) -> list[Path]:
    found: list[Path] = []
    for here, dirs, names in os.walk(folder, followlinks=False):
        # hidden and underscore folders and files are writers' bookkeeping (_SUCCESS,
        # _temporary, .crc): never data
        dirs[:] = sorted(d for d in dirs if not d.startswith((".", "_")))
        found += [Path(here) / n for n in sorted(names) if not n.startswith((".", "_"))]
    shown = _relative(folder, root).rstrip("/") + "/"
    files = _only_parquet(found, root, errors, f"the folder {shown}")
    if not files:
        raise errors.error(
            f"the folder {shown} ({folder}) holds no Parquet files (*.parquet, *.pq)",
            "write the split's Parquet files into it, or name a single data file",
        )
    return files


def _glob_base(pattern: str, base_dir: Path) -> Path:
    """The glob's fixed folder: its segments before the first one with a wildcard."""
    fixed: list[str] = []
    for part in Path(pattern).parts[:-1]:
        if _GLOB_MAGIC.search(part):
            break
        fixed.append(part)
    return _absolute(str(Path(*fixed)) if fixed else ".", base_dir)


def _glob_files(pattern: str, base_dir: Path, errors: _Errors) -> list[Path]:
    absolute = Path(pattern).is_absolute()
    matched = (
        glob.glob(pattern, recursive=True)
        if absolute
        else glob.glob(pattern, root_dir=base_dir, recursive=True)
    )
    found = [Path(m) if absolute else base_dir / m for m in matched]
    found = [p for p in found if p.is_file()]
    if not found:
        raise errors.error(
            f"the glob {pattern!r} matches no file (under {base_dir})",
            "paths are relative to the folder of govkit.yaml; use ** to match in sub-folders "
            "(lake/**/*.parquet)",
        )
    files = _only_parquet(found, base_dir, errors, f"the glob {pattern!r}")
    strays = [p for p in found if _suffix(p) not in PARQUET_SUFFIXES]
    if strays:
        raise errors.error(
            f"the glob {pattern!r} matches {_relative(strays[0], base_dir)}, which is not a "
            "Parquet file",
            "narrow the pattern to the data files, e.g. lake/**/*.parquet",
        )
    return files


def _listed_file(spec: str, path: Path, errors: _Errors, root: Path, entry: int | None) -> Path:
    from govkit.safe_read import ReadRefused, require_regular

    shown = _relative(path, root)
    try:
        require_regular(path, shown)
    except ReadRefused as err:
        raise errors.error(
            f"{shown}: {err.message.removeprefix(shown + ': ')} ({path})",
            "paths are relative to the folder of govkit.yaml",
            entry=entry,
        ) from None
    return path


def _list_files(specs: tuple[str, ...], base_dir: Path, errors: _Errors, root: Path) -> list[Path]:
    paths: list[Path] = []
    for i, spec in enumerate(specs):
        path = _absolute(spec, base_dir)
        if path.is_dir():
            raise errors.error(
                f"{_relative(path, root)} is a folder; a list names files",
                "name the folder alone as the split (not in a list), or list its files",
                entry=i,
            )
        paths.append(_listed_file(spec, path, errors, root, i))
    seen: dict[Path, int] = {}
    for i, path in enumerate(paths):
        resolved = path.resolve()
        if resolved in seen:
            raise errors.error(
                f"{_relative(path, root)} is listed twice (entries {seen[resolved]} and {i}); "
                "its rows would be counted twice",
                "list each file once",
                entry=i,
            )
        seen[resolved] = i
    files = _only_parquet(paths, root, errors, "the list")
    strays = [p for p in paths if _suffix(p) not in PARQUET_SUFFIXES]
    if strays:
        raise errors.error(
            f"{_relative(strays[0], root)} is not a Parquet file (*.parquet, *.pq)",
            "list only the Parquet files of the split",
            entry=paths.index(strays[0]),
        )
    return files


# --- checking them -----------------------------------------------------------------------


def _partition_keys(path: Path, base: Path) -> list[tuple[str, str]]:
    try:
        parts = path.relative_to(base).parts[:-1]
    except ValueError:
        return []
    return [tuple(p.split("=", 1)) for p in parts if "=" in p]  # type: ignore[misc]


def _footer(path: Path, shown: str, errors: _Errors) -> tuple[pa.Schema, int]:
    """The file's schema (pandas index columns left out) and row count, from its footer."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from govkit.safe_read import ReadRefused, require_regular

    try:
        require_regular(path, shown)
        meta = pq.read_metadata(path)
        schema = meta.schema.to_arrow_schema()
    except ReadRefused as err:
        raise errors.error(err.message, "paths are relative to the folder of govkit.yaml") from None
    except (OSError, pa.ArrowException, ValueError) as err:
        raise errors.error(
            f"{shown}: not a readable Parquet file ({path}): {_first_line(err)}",
            "the file is damaged or is not Parquet; write it again, or remove it from the source",
        ) from err
    keep = [f for f in schema if not _PANDAS_INDEX.match(f.name)]
    return pa.schema(keep), int(meta.num_rows)


def _schema_difference(first: pa.Schema, other: pa.Schema, first_name: str) -> str | None:
    """What differs between two files' columns, in words; None when they agree."""
    a, b = {f.name: f.type for f in first}, {f.name: f.type for f in other}
    for name in first.names:
        if name not in b:
            return f"has no column '{name}', which {first_name} has"
    for name in other.names:
        if name not in a:
            return f"has a column '{name}' that {first_name} lacks"
    for name in first.names:
        if a[name] != b[name]:
            return f"column '{name}' is {b[name]}, but {a[name]} in {first_name}"
    if first.names != other.names:
        return (
            f"has the columns of {first_name} in another order "
            f"({', '.join(other.names[:8])}{' ...' if len(other.names) > 8 else ''})"
        )
    return None


def _checked(
    spec: str | tuple[str, ...],
    kind: SourceKind,
    shown: str,
    files: list[Path],
    partition_base: Path,
    *,
    root: Path,
    errors: _Errors,
) -> ParquetSource:
    import pyarrow as pa

    keys = [_partition_keys(p, partition_base) for p in files]
    names = [[k for k, _ in ks] for ks in keys]
    for path, ks in zip(files, names, strict=True):
        if len(set(ks)) != len(ks):
            raise errors.error(
                f"{_relative(path, root)} sits in two folders of the same partition key",
                "nest each partition key once: region=EU/year=2024/part-0.parquet",
            )
        if ks != names[0]:
            raise errors.error(
                f"{_relative(path, root)} has partition folders "
                f"{'/'.join(ks) or '(none)'} but {_relative(files[0], root)} has "
                f"{'/'.join(names[0]) or '(none)'}",
                "put every file under the same key=value folders, in the same order",
            )

    schemas: list[pa.Schema] = []
    rows: list[int] = []
    for path in files:
        schema, n = _footer(path, _relative(path, root), errors)
        for k in names[0]:
            if k in schema.names:
                raise errors.error(
                    f"{_relative(path, root)}: the partition key '{k}' (a {k}=... folder) is "
                    "also a column inside the file; which value holds would be a guess",
                    f"rename the {k}=... folders, or drop the column '{k}' from the files",
                )
        if schemas:
            difference = _schema_difference(schemas[0], schema, _relative(files[0], root))
            if difference is not None:
                raise errors.error(
                    f"{_relative(path, root)}: {difference}; the files of one source must "
                    "have the same columns",
                    _SAME_SCHEMA_HINT,
                )
        schemas.append(schema)
        rows.append(n)
    data_schema = schemas[0]
    partitioning: Literal["hive"] | None = "hive" if names[0] else None
    partition_schema = (
        _partition_types(files, partition_base, names[0]) if partitioning else pa.schema([])
    )
    sizes = [p.stat().st_size for p in files]
    return ParquetSource(
        spec=spec,
        kind=kind,
        display=shown,
        files=tuple(files),
        file_rows=tuple(rows),
        base_dir=partition_base,
        partitioning=partitioning,
        partition_schema=partition_schema,
        schema=pa.schema([*data_schema, *partition_schema]),
        n_rows=sum(rows),
        total_bytes=sum(sizes),
        root=root,
        _errors=errors,
    )


def _partition_types(files: list[Path], base: Path, keys: list[str]) -> pa.Schema:
    """The partition columns' types as pyarrow's hive discovery infers them from the folders.

    Integers become ``int32``, anything else ``string`` (never dictionaries);
    asking pyarrow itself keeps pandas, DuckDB and Ray on the same values.
    """
    import pyarrow as pa
    import pyarrow.dataset as pads

    found = pads.dataset(
        [str(p) for p in files],
        format="parquet",
        partitioning=pads.HivePartitioning.discover(infer_dictionary=False),
        partition_base_dir=str(base),
    ).schema
    return pa.schema([pa.field(k, found.field(k).type) for k in keys])


def _first_line(err: BaseException) -> str:
    lines = str(err).strip().splitlines()
    return lines[0] if lines else type(err).__name__


def _sql_string(text: str) -> str:
    """``text`` as a SQL string literal: single quotes, each inner quote doubled."""
    if "\x00" in text:
        raise InputError(f"a path holds a NUL character: {text!r}")
    return "'" + text.replace("'", "''") + "'"


def _duckdb_type(arrow_type: pa.DataType) -> str:
    import pyarrow as pa

    return "INTEGER" if pa.types.is_integer(arrow_type) else "VARCHAR"
