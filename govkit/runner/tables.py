"""A split as Parquet tables for an engine: its files, columns, rows and bytes, no row read.

Anything :mod:`govkit.scale.sources` resolves: a Parquet file, a folder of
them (``key=value`` folders read as hive partitions), a glob or a list of
files. CSV and ``.npz`` splits are not tables an engine reads: they give
None, and the run stays in pandas.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

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


def split_tables(project: Project, key: Literal["eval", "train"]) -> SplitTables | None:
    """``data.<key>`` as Parquet tables; None when it is not Parquet (CSV, ``.npz``).

    Raises
    ------
    ConfigError, InputError
        A split that does not exist or cannot be read, at its govkit.yaml key.
    """
    from govkit.scale.engines.base import TableRef
    from govkit.scale.sources import is_single_file, resolve_source

    spec = getattr(project.model.data, key)
    if spec is None:
        return None
    single = is_single_file(spec, base_dir=project.root)
    if single and Path(spec).suffix.lower() not in (".parquet", ".pq"):
        return None  # CSV, .npz, or a type the pandas path names in its error

    src = resolve_source(spec, base_dir=project.root, origin=project, key=("data", key))
    ref = TableRef(tuple(str(f) for f in src.files), hive=src.partitioning == "hive")
    where = project.resolve(spec) if isinstance(spec, str) else Path(src.base_dir)
    return SplitTables(where, [ref], list(src.columns()), int(src.n_rows), int(src.total_bytes))
