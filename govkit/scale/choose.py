"""Which engine computes the statistics, and opening it.

``engine.name`` in govkit.yaml (or ``govkit check --engine``) is one of
:data:`ENGINE_NAMES`. ``pandas`` reads every row into memory and measures
them as they are (exact, the path every release before engines took);
``duckdb`` and ``ray`` bring back only sufficient statistics
(:mod:`govkit.scale.cells`) and seeded samples. ``auto`` keeps pandas while
the data fits comfortably in memory and takes DuckDB above that
(:func:`choose_engine`): at most :data:`AUTO_MAX_ROWS` rows and
:data:`AUTO_MAX_BYTES` of Parquet stay in pandas, a scale at which pandas
needs a few GB at most and runs in seconds, while DuckDB's single pass pays
for itself only on more. Data that is not Parquet (CSV, ``.npz``) is always
read by pandas: the engines read Parquet.

The DuckDB and Ray engines are imported only when chosen, so a run that
stays in pandas never loads them; a missing package is exit 2 with the
install command (:func:`govkit.extras.require_extras`).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from govkit.errors import ConfigError
from govkit.extras import require_extras

if TYPE_CHECKING:
    from govkit.scale.engines.base import Engine

__all__ = [
    "AUTO_MAX_BYTES",
    "AUTO_MAX_ROWS",
    "ENGINE_NAMES",
    "EngineChoice",
    "choose_engine",
    "open_engine",
]

#: what govkit.yaml's ``engine.name`` and ``--engine`` accept
ENGINE_NAMES = ("auto", "pandas", "duckdb", "ray")

#: ``auto`` keeps pandas up to this many rows in a split ...
AUTO_MAX_ROWS = 2_000_000
#: ... and up to this many bytes of Parquet files in a split
AUTO_MAX_BYTES = 256 * 1024 * 1024

#: engines that bring back statistics instead of rows; ``pandas-cells`` is the pandas
#: engine on that path, for tests that compare it with the rows
STATISTICS_ENGINES = ("duckdb", "ray", "pandas-cells")

_MODULES = {
    "duckdb": ("govkit.scale.engines.duckdb_engine", "DuckDBEngine", "tabular", "duckdb"),
    "ray": ("govkit.scale.engines.ray_engine", "RayEngine", "ray", "ray"),
}


@dataclass(frozen=True)
class EngineChoice:
    """The engine a run uses, and why (for the report)."""

    name: str
    reason: str

    @property
    def statistics(self) -> bool:
        """Whether the run measures statistics (cells, samples) rather than every row."""
        return self.name in STATISTICS_ENGINES


def choose_engine(
    requested: str, *, n_rows: int | None, total_bytes: int | None, parquet: bool
) -> EngineChoice:
    """The engine for ``requested`` (``auto`` decided by the data's size).

    Parameters
    ----------
    requested
        One of :data:`ENGINE_NAMES` (or ``pandas-cells``).
    n_rows, total_bytes
        The largest split's rows and Parquet bytes, from the files' footers
        (None when unknown: not Parquet).
    parquet
        Whether every split is Parquet (the engines read nothing else).

    Raises
    ------
    ConfigError
        An engine other than pandas asked for data that is not Parquet.
    """
    if requested == "auto":
        if not parquet or n_rows is None or total_bytes is None:
            return EngineChoice("pandas", "auto: the data is not Parquet, which pandas reads")
        if n_rows <= AUTO_MAX_ROWS and total_bytes <= AUTO_MAX_BYTES:
            return EngineChoice(
                "pandas",
                f"auto: {n_rows:,} rows and {_size(total_bytes)} of Parquet fit in memory "
                f"(pandas up to {AUTO_MAX_ROWS:,} rows and {_size(AUTO_MAX_BYTES)})",
            )
        return EngineChoice(
            "duckdb",
            f"auto: {n_rows:,} rows and {_size(total_bytes)} of Parquet exceed "
            f"{AUTO_MAX_ROWS:,} rows or {_size(AUTO_MAX_BYTES)}; statistics computed by DuckDB",
        )
    if requested != "pandas" and not parquet:
        raise ConfigError(
            f"the {requested} engine reads Parquet files, and the data is not Parquet; "
            "convert the splits to Parquet or use engine: pandas"
        )
    return EngineChoice(requested, "asked for")


def _size(n: int) -> str:
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} bytes"


def open_engine(
    name: str,
    *,
    address: str | None = None,
    memory_limit: str | None = None,
    progress: Any = None,
) -> Engine:
    """A ready engine of ``name`` (``pandas``, ``pandas-cells``, ``duckdb`` or ``ray``).

    Raises
    ------
    MissingExtraError
        The engine's package is not installed (exit 2, with the install command).
    ConfigError
        An unknown name, or an address for an engine other than Ray.
    InputError
        A Ray address that cannot be reached (raised by the Ray engine).
    """
    if address is not None and name != "ray":
        raise ConfigError(
            f"an address is for the ray engine (a Ray cluster to connect to); the engine is "
            f"{name}. Drop --address / engine.address, or use --engine ray"
        )
    if name in ("pandas", "pandas-cells"):
        from govkit.scale.engines.pandas_engine import PandasEngine

        return PandasEngine(progress=progress)
    if name not in _MODULES:
        known = ", ".join(n for n in ENGINE_NAMES if n != "auto")
        raise ConfigError(f"unknown engine '{name}'; expected one of {known}")
    module_name, class_name, extra, package = _MODULES[name]
    require_extras({extra: [f"--engine {name}"]}, modules={extra: [package]})
    module = importlib.import_module(module_name)
    cls = getattr(module, class_name)
    if name == "ray":
        return cls(address=address, progress=progress)  # type: ignore[no-any-return]
    return cls(memory_limit=memory_limit, progress=progress)  # type: ignore[no-any-return]
