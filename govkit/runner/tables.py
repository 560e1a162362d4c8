"""A split as Parquet tables for an engine: its files, columns, rows and bytes, no row read.

A single Parquet file, a folder of them (``key=value`` folders read as hive
partitions), or, where the installation has :mod:`govkit.scale.sources`,
anything it resolves (globs, lists of files). CSV and ``.npz`` splits are
not tables an engine reads: they give None, and the run stays in pandas.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Literal

from govkit.errors import InputError
from govkit.project import Project

if TYPE_CHECKING:
    from govkit.scale.engines.base import TableRef

__all__ = ["SplitTables", "split_tables"]


@dataclass(frozen=True)
class SplitTables:
    """One split as Parquet tables: the files, their columns, rows and bytes."""

    path: Path
    tables: list[TableRef]
    columns: list[str]
    n_rows: int
    total_bytes: int


def _sources() -> ModuleType | None:
    """govkit.scale.sources, when this installation has it (folders, globs, lists of files)."""
    try:
        return importlib.import_module("govkit.scale.sources")
    except ModuleNotFoundError:
        return None


def split_tables(project: Project, key: Literal["eval", "train"]) -> SplitTables | None:
    """``data.<key>`` as Parquet tables; None when it is not Parquet (CSV, ``.npz``).

    Raises
    ------
    ConfigError, InputError
        A split that does not exist or cannot be read, at its govkit.yaml key.
    """
    spec = getattr(project.model.data, key)
    if isinstance(spec, str) and Path(spec).suffix.lower() in (".csv", ".npz"):
        return None
    import pyarrow.parquet as pq

    from govkit.scale.engines.base import TableRef

    sources = _sources()
    if sources is not None and not sources.is_single_file(spec, base_dir=project.root):
        src = sources.resolve_source(spec, base_dir=project.root, origin=project, key=("data", key))
        ref = TableRef(tuple(str(f) for f in src.files), hive=src.partitioning == "hive")
        where = project.resolve(spec) if isinstance(spec, str) else Path(src.base_dir)
        return SplitTables(where, [ref], list(src.columns), int(src.n_rows), int(src.total_bytes))
    if not isinstance(spec, str):
        return None
    path = project.resolve(spec)
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.suffix.lower() in (".parquet", ".pq"))
        hive = any("=" in part for f in files for part in f.relative_to(path).parts[:-1])
    elif path.is_file() and path.suffix.lower() in (".parquet", ".pq"):
        files, hive = [path], False
    else:
        return None
    if not files:
        raise project.error(("data", key), f"{spec}: no Parquet files in the folder")
    n_rows = 0
    columns: list[str] = []
    for f in files:
        try:
            meta = pq.ParquetFile(f)
        except Exception as err:  # pyarrow raises many types; all mean "not readable Parquet"
            raise InputError(f"{f}: cannot read the file: {type(err).__name__}: {err}") from err
        n_rows += meta.metadata.num_rows
        if not columns:
            columns = [str(c) for c in meta.schema_arrow.names]
            if hive:
                columns += [
                    part.partition("=")[0] for part in f.relative_to(path).parts[:-1] if "=" in part
                ]
    total = sum(f.stat().st_size for f in files)
    ref = TableRef(tuple(str(f) for f in files), hive=hive)
    return SplitTables(path, [ref], columns, n_rows, total)
