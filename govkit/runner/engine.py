"""Which engine a run uses, and what the report records of it.

The choice reads ``--engine`` / ``--address``, else govkit.yaml's ``engine``
section, and, for ``auto``, the size of the splits from their Parquet
footers (no row is read): see :mod:`govkit.scale.choose` for the rule.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from govkit.errors import ConfigError
from govkit.project import Project
from govkit.report import EngineRecord
from govkit.scale.choose import ENGINE_NAMES, STATISTICS_ENGINES, EngineChoice, choose_engine

if TYPE_CHECKING:
    from govkit.runner.data import LoadedData
    from govkit.runner.statistics import StatisticsRun
    from govkit.runner.tables import SplitTables
    from govkit.scale.engines.base import Engine

__all__ = ["choose_run_engine", "engine_record"]


def choose_run_engine(
    project: Project, engine: str | None, address: str | None
) -> tuple[EngineChoice, tuple[SplitTables | None, SplitTables | None]]:
    """The run's engine and, for a statistics engine, the splits as Parquet tables.

    Raises
    ------
    ConfigError
        An unknown ``--engine``, an ``--address`` for an engine other than
        Ray, or an engine that reads Parquet asked for other data (exit 2).
    """
    section = project.model.engine
    requested = engine if engine is not None else section.name
    if requested not in (*ENGINE_NAMES, *STATISTICS_ENGINES):
        raise ConfigError(
            f"--engine: unknown engine '{requested}'; expected one of {', '.join(ENGINE_NAMES)}"
        )
    if address is not None and requested != "ray":
        raise ConfigError(
            f"--address is for the ray engine (the Ray cluster to connect to); the engine is "
            f"{requested}. Add --engine ray, or drop --address"
        )
    if requested == "pandas":
        return EngineChoice("pandas", "asked for"), (None, None)
    from govkit.runner.tables import split_tables

    eval_tables = split_tables(project, "eval")
    train_tables = split_tables(project, "train") if project.model.data.train is not None else None
    parquet = eval_tables is not None and (
        project.model.data.train is None or train_tables is not None
    )
    present = [t for t in (eval_tables, train_tables) if t is not None]
    try:
        choice = choose_engine(
            requested,
            n_rows=max(t.n_rows for t in present) if present else None,
            total_bytes=max(t.total_bytes for t in present) if present else None,
            parquet=parquet,
        )
    except ConfigError as err:
        if engine is not None:
            raise ConfigError(f"--engine {requested}: {err.message}") from err
        raise project.error(("engine", "name"), err.message) from err
    return choice, (eval_tables, train_tables)


def engine_record(
    project: Project,
    choice: EngineChoice,
    engine: Engine | None,
    stats: StatisticsRun | None,
    data: LoadedData,
    address: str | None,
) -> EngineRecord:
    """report.json's ``engine``: the engine, why, its settings, and the statistics used."""
    described: dict[str, Any] = engine.describe() if engine is not None else {}
    version = described.get("version")
    if version is None and choice.name == "pandas":
        from govkit.runner.provenance import package_version

        version = package_version("pandas")
    section = project.model.engine
    return EngineRecord(
        name=choice.name,
        version=None if version is None else str(version),
        reason=choice.reason,
        memory_limit=described.get("memory_limit", section.memory_limit)
        if choice.name == "duckdb"
        else None,
        address=(address or section.address) if choice.name == "ray" else None,
        rows=stats.rows if stats is not None else len(data.eval.frame),
        statistics=dict(stats.record) if stats is not None else {},
    )
