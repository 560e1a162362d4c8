"""Logging a run to MLflow: ``govkit check --mlflow`` and ``govkit render --mlflow``.

The experiment tracker is where a team compares runs, so every figure of the
report goes there as a metric, next to the verdict and the input hashes as
tags and the report files as artifacts. This module is imported only when the
flag is given, and MLflow only inside it: the ``mlflow`` extra stays optional.

Names. A figure's metric name is built from the report, so the same figure
has the same name in every run::

    <check id>/<measurement>[/<feature>][/<column>.<value>]...[/model.<name>][/vs.<name>][/seed.<name>]

with an intersectional group's columns in alphabetical order:
``fairness.demographic_parity/selection_rate/sex.female`` is a group's rate,
``fairness.demographic_parity/demographic_parity_difference/sex`` the gap
over a sensitive column, ``performance.classification/roc_auc`` an overall
figure. MLflow allows only letters, digits, ``_ - . /`` and spaces in a name,
so ``<=`` and ``>=`` become ``le`` and ``ge``, ``<`` and ``>`` become ``lt``
and ``gt`` (``age_group.le25``), any other character becomes ``_``, and a
segment that lost characters that way gains ``-`` and six hex digits of its
original text, so ``a/b`` and ``a_b`` stay apart (as does a column named
``n``, ``ci_low`` or ``ci_high``, which would read as a suffix). Two figures that still
share a name (a check reporting one figure twice) are never merged: the
second gains ``/2``. Each figure's interval and sample size are the metrics
``<name>/ci_low``, ``<name>/ci_high`` and ``<name>/n``; ``govkit/metrics.json``
(an artifact) maps every name back to the report's measurement. A figure
with no value (too few rows, undefined) is not logged; the tag
``govkit.null_figures`` counts them.

Runs. The active run is used when there is one (``mlflow.start_run()`` in the
calling process, or ``MLFLOW_RUN_ID``); otherwise a run is started in the
experiment MLflow's own settings choose, and ended here, as FINISHED or
FAILED. ``govkit render --mlflow`` finds the run whose tag
``govkit.report_sha256`` is the hash of the report it renders (or the active
run) and adds the packet folder to its artifacts.

The tracking URI is probed before any check runs (:func:`probe_tracking_uri`):
a local store's folder must exist and be writable and the store must open, a
server must accept a TCP connection within two seconds. Nothing else touches
the network.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import socket
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from govkit.errors import ConfigError
from govkit.report import Measurement, Report

if TYPE_CHECKING:
    from mlflow.tracking import MlflowClient

__all__ = [
    "ARTIFACT_DIR",
    "REPORT_TAG",
    "Figure",
    "figures",
    "find_packet_run",
    "log_check_run",
    "log_packet",
    "metric_name",
    "probe_tracking_uri",
    "report_sha256",
    "resolve_tracking_uri",
]

#: the folder of the run's artifacts that holds govkit's files
ARTIFACT_DIR = "govkit"
#: the tag that ties a run to the report it logged (``govkit render --mlflow`` looks it up)
REPORT_TAG = "govkit.report_sha256"
_PROBE_TIMEOUT_S = 2.0
_MAX_KEY = 250  # MLflow's limit on a metric or tag name
_MAX_TAG_VALUE = 5000
_BATCH = 900  # under MLflow's 1000 metrics per log_batch
_OPERATORS = (("<=", "le"), (">=", "ge"), ("<", "lt"), (">", "gt"))
_UNSAFE = re.compile(r"[^\w.\- ]")
_SUFFIXES = ("ci_low", "ci_high", "n")
_DEFAULT_PORTS = {"http": 80, "https": 443, "postgresql": 5432, "mysql": 3306, "mssql": 1433}


# Names


def _segment(text: str) -> str:
    """One path segment of a metric name, in MLflow's characters, never colliding."""
    safe = text
    for operator, word in _OPERATORS:
        safe = safe.replace(operator, word)
    replaced = _UNSAFE.sub("_", safe).strip()
    if not replaced.strip("."):  # empty, "." or "..": a path segment that would resolve away
        replaced = "_" + replaced
    if replaced != safe:  # characters were lost: the digest keeps "a/b" apart from "a_b"
        replaced += "-" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:6]
    return replaced


def _bare(text: str) -> str:
    """A segment that may end a name: never one of the suffixes an interval or n adds."""
    safe = _segment(text)
    if safe in _SUFFIXES:  # a column called "n" must not be read as a figure's sample size
        safe += "-" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:6]
    return safe


def metric_name(check_id: str, m: Measurement) -> str:
    """The metric name of one measurement (the module docstring gives the scheme)."""
    parts = [_bare(check_id), _bare(m.name)]
    if m.feature is not None:
        parts.append(_bare(m.feature))
    # columns sorted: report.json stores a group's keys sorted, the run in memory need not
    for column, value in sorted((m.group or {}).items()):
        parts.append(f"{_segment(column)}.{_segment(value)}")
    if m.model is not None:
        parts.append(f"model.{_segment(m.model)}")
    if m.vs is not None:
        parts.append(f"vs.{_segment(m.vs)}")
    if m.seed is not None:
        parts.append(f"seed.{_segment(m.seed)}")
    name = "/".join(parts)
    if len(name) > _MAX_KEY - len("/ci_high"):
        digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:12]
        name = name[: _MAX_KEY - len("/ci_high") - 13] + "-" + digest
    return name


@dataclass(frozen=True)
class Figure:
    """One figure of the report, named for MLflow."""

    name: str
    check: str
    measurement: Measurement


def figures(report: Report) -> tuple[list[Figure], int]:
    """Every figure with a value, named, and how many had none.

    Two measurements that would share a name (a check reporting one figure
    twice) keep the first name; the second gains ``/2``, and so on.
    """
    out: list[Figure] = []
    taken: dict[str, int] = {}
    null = 0
    for result in report.results:
        for m in result.measurements:
            if m.value is None:
                null += 1
                continue
            name = metric_name(result.id, m)
            count = taken.get(name, 0) + 1
            taken[name] = count
            out.append(Figure(name if count == 1 else f"{name}/{count}", result.id, m))
    return out, null


def _metric_values(found: Sequence[Figure]) -> dict[str, float]:
    values: dict[str, float] = {}
    for f in found:
        values[f.name] = float(f.measurement.value)  # type: ignore[arg-type]  # None filtered
        if f.measurement.ci is not None:
            values[f"{f.name}/ci_low"] = float(f.measurement.ci[0])
            values[f"{f.name}/ci_high"] = float(f.measurement.ci[1])
        if f.measurement.n is not None:
            values[f"{f.name}/n"] = float(f.measurement.n)
    return values


def _tag_key(text: str) -> str:
    return "/".join(_segment(part) for part in text.split("/"))[:_MAX_KEY]


def _tags(report: Report, report_hash: str, null: int) -> dict[str, str]:
    prov = report.provenance
    tags = {
        "govkit.verdict": report.status,
        "govkit.system": f"{report.system.name} {report.system.version}",
        "govkit.version": prov.govkit_version,
        "govkit.config_sha256": prov.config_sha256,
        REPORT_TAG: report_hash,
        "govkit.null_figures": str(null),
    }
    if prov.git_commit:
        tags["govkit.git_commit"] = prov.git_commit
    for r in report.results:
        tags[_tag_key(f"govkit.status.{r.id}")] = r.status + (
            " (waived)" if r.waiver is not None else ""
        )
    for a in prov.artifacts:
        tags[_tag_key(f"govkit.sha256.{a.role}/{a.path}")] = a.sha256
    return {k: v[:_MAX_TAG_VALUE] for k, v in tags.items()}


def report_sha256(path: Path) -> str:
    """The SHA-256 of report.json as written (the tag that finds the run again)."""
    from govkit.hashing import sha256_file

    return sha256_file(path)[0]


# The tracking URI


def resolve_tracking_uri(uri: str | None) -> str:
    """The URI given, else the one MLflow's own settings choose (``MLFLOW_TRACKING_URI``...)."""
    if uri:
        return uri
    import mlflow

    return str(mlflow.get_tracking_uri())


def _local_folder(uri: str) -> Path | None:
    """The folder a local store writes into, or None for a remote one."""
    parts = urlsplit(uri)
    if parts.scheme == "sqlite":
        # sqlite:///relative.db and sqlite:////absolute.db (SQLAlchemy's spelling)
        path = unquote(uri.split("://", 1)[1])
        path = path[1:] if path.startswith("/") else path
        if path in ("", ":memory:"):
            return None
        return Path(path).parent if Path(path).parent != Path("") else Path(".")
    if parts.scheme == "file":
        return Path(unquote(parts.path))
    if parts.scheme == "" or (len(parts.scheme) == 1 and os.name == "nt"):
        return Path(uri)
    return None


def probe_tracking_uri(uri: str) -> None:
    """Fail (exit 2) now if the tracking store cannot be reached, before any check runs.

    Raises
    ------
    ConfigError
        A local store whose folder is missing or not writable, a database
        file that is not a writable file, or a server that refuses a TCP
        connection within two seconds.
    """
    hint = "check `--mlflow`, or MLFLOW_TRACKING_URI when --mlflow has no value"
    folder = _local_folder(uri)
    parts = urlsplit(uri)
    if folder is not None:
        # MLflow creates a database file or a file store itself; the folder it goes in must exist
        probe = folder if parts.scheme == "sqlite" or folder.exists() else folder.parent
        if not probe.is_dir():
            raise ConfigError(
                f"--mlflow {uri}: the folder {probe} does not exist; create it first ({hint})"
            )
        if not os.access(probe, os.W_OK | os.X_OK):
            raise ConfigError(f"--mlflow {uri}: the folder {probe} is not writable ({hint})")
        if parts.scheme == "sqlite":
            db = Path(unquote(uri.split("://", 1)[1])[1:])
            if db.exists() and not (db.is_file() and os.access(db, os.R_OK | os.W_OK)):
                raise ConfigError(
                    f"--mlflow {uri}: {db} is not a database file govkit can write ({hint})"
                )
        # a local store is opened for real (MLflow 3 refuses a new file store, for one):
        # the tables it creates would be created by the logging anyway
        with _quiet_mlflow(), _mlflow_errors(uri, "opening the tracking store", written=False):
            _client(uri).search_experiments(max_results=1)
        return
    host = parts.hostname
    if not host:
        return  # a scheme MLflow resolves itself (databricks, a plugin): nothing cheap to ask
    port = parts.port or _DEFAULT_PORTS.get(parts.scheme.split("+")[0])
    if port is None:
        return
    try:
        with socket.create_connection((host, port), timeout=_PROBE_TIMEOUT_S):
            pass
    except OSError as err:
        raise ConfigError(
            f"--mlflow {uri}: cannot reach {host}:{port} "
            f"({err.strerror or type(err).__name__}); start the tracking server or {hint}"
        ) from None


# Logging


@contextmanager
def _quiet_mlflow() -> Iterator[None]:
    """MLflow's and alembic's INFO lines (database migrations) stay off the user's stderr."""
    import mlflow  # noqa: F401 - importing mlflow sets its loggers' levels; set ours after

    names = ("mlflow", "mlflow.store.db.utils", "alembic", "alembic.runtime.migration")
    loggers = [logging.getLogger(name) for name in names]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


@contextmanager
def _mlflow_errors(uri: str, what: str, *, written: bool = True) -> Iterator[None]:
    """MLflow's errors as a ConfigError (exit 2) with MLflow's own first line."""
    from mlflow.exceptions import MlflowException

    try:
        yield
    except (MlflowException, OSError) as err:
        first = str(err).strip().splitlines()[0][:800] if str(err).strip() else type(err).__name__
        tail = "; govkit's own outputs are written" if written else "; nothing was run"
        raise ConfigError(f"--mlflow {uri}: {what} failed: {first}{tail}") from None


def _client(uri: str) -> MlflowClient:
    from mlflow.tracking import MlflowClient

    return MlflowClient(tracking_uri=uri)


def _active_run_id(uri: str, explicit: bool) -> str | None:
    """The caller's run: ``mlflow.start_run()`` in this process, or ``MLFLOW_RUN_ID``."""
    import mlflow

    active = mlflow.active_run()
    # a run started against another store is not this one's
    if active is not None and (not explicit or mlflow.get_tracking_uri() == uri):
        return str(active.info.run_id)
    return os.environ.get("MLFLOW_RUN_ID") or None


def _experiment_id(client: MlflowClient) -> str:
    """The experiment MLflow's own settings name, else its default experiment."""
    if os.environ.get("MLFLOW_EXPERIMENT_ID"):
        return os.environ["MLFLOW_EXPERIMENT_ID"]
    name = os.environ.get("MLFLOW_EXPERIMENT_NAME")
    if name:
        found = client.get_experiment_by_name(name)
        return str(found.experiment_id) if found is not None else client.create_experiment(name)
    return "0"


def _log_values(
    client: MlflowClient, run_id: str, metrics: dict[str, float], tags: dict[str, str]
) -> None:
    from mlflow.entities import Metric, RunTag

    now = int(time.time() * 1000)
    items = [Metric(k, v, now, 0) for k, v in metrics.items()]
    for start in range(0, len(items), _BATCH):
        client.log_batch(run_id, metrics=items[start : start + _BATCH])
    tag_items = [RunTag(k, v) for k, v in tags.items()]
    for start in range(0, len(tag_items), 90):
        client.log_batch(run_id, tags=tag_items[start : start + 90])


def _metrics_index(found: Sequence[Figure]) -> str:
    """``govkit/metrics.json``: each metric name with the report's measurement it holds."""
    index: dict[str, Any] = {
        f.name: {"check": f.check, **f.measurement.model_dump(mode="json")} for f in found
    }
    return json.dumps(index, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def log_check_run(uri: str | None, report: Report, out_dir: Path) -> str:
    """Log a run of ``govkit check`` to MLflow; return the run id.

    Parameters
    ----------
    uri
        The tracking URI (``--mlflow URI``), or None for MLflow's own resolution.
    report
        The report, as written to ``out_dir/report.json``.
    out_dir
        The output folder: report.json, junit.xml and, when present,
        predictions.parquet are logged from it as artifacts.
    """
    resolved = resolve_tracking_uri(uri)
    found, null = figures(report)
    tags = _tags(report, report_sha256(out_dir / "report.json"), null)
    with _quiet_mlflow(), _mlflow_errors(resolved, "logging the run"):
        client = _client(resolved)
        run_id = _active_run_id(resolved, explicit=bool(uri))
        started = run_id is None
        if run_id is None:
            run_id = str(client.create_run(_experiment_id(client)).info.run_id)
        state = "FAILED"
        try:
            _log_values(client, run_id, _metric_values(found), tags)
            for name in ("report.json", "junit.xml", "predictions.parquet"):
                if (out_dir / name).is_file():
                    client.log_artifact(run_id, str(out_dir / name), ARTIFACT_DIR)
            with tempfile.TemporaryDirectory(prefix="govkit-mlflow-") as tmp:
                index = Path(tmp) / "metrics.json"
                index.write_text(_metrics_index(found), encoding="utf-8")
                client.log_artifact(run_id, str(index), ARTIFACT_DIR)
            state = "FINISHED"
        finally:
            if started:  # end only the run this function started
                client.set_terminated(run_id, state)
    return run_id


def _run_of_report(client: MlflowClient, report_hash: str) -> str | None:
    """The newest run tagged with this report's hash, in any experiment."""
    from mlflow.entities import ViewType

    experiments = [e.experiment_id for e in client.search_experiments(view_type=ViewType.ALL)]
    if not experiments:
        return None
    runs = client.search_runs(
        experiments,
        filter_string=f"tags.`{REPORT_TAG}` = '{report_hash}'",
        run_view_type=ViewType.ALL,
        order_by=["attributes.start_time DESC"],
        max_results=1,
    )
    return str(runs[0].info.run_id) if runs else None


def find_packet_run(uri: str | None, report_hash: str | None) -> str:
    """The run a packet belongs to: the active run, else the one that logged its report.

    Called before the packet is rendered, so a missing run costs nothing.

    Raises
    ------
    ConfigError
        No run is active and none carries the report's hash.
    """
    resolved = resolve_tracking_uri(uri)
    with _quiet_mlflow(), _mlflow_errors(resolved, "finding the run"):
        run_id = _active_run_id(resolved, explicit=bool(uri))
        if run_id is None and report_hash is not None:
            run_id = _run_of_report(_client(resolved), report_hash)
    if run_id is None:
        raise ConfigError(
            f"--mlflow {resolved}: no active run and no run tagged with this report "
            f"({REPORT_TAG}); run `govkit check --mlflow` first, or set MLFLOW_RUN_ID"
        )
    return run_id


def log_packet(uri: str | None, run_id: str, folder: Path) -> None:
    """Add the packet folder to the run, as ``govkit/packet/``."""
    resolved = resolve_tracking_uri(uri)
    with _quiet_mlflow(), _mlflow_errors(resolved, "logging the packet"):
        _client(resolved).log_artifacts(run_id, str(folder), f"{ARTIFACT_DIR}/packet")
