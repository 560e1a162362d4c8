"""``execute_run``: load everything, run each check, judge it, write the report.

The order matters for the user: everything that can be wrong in the
configuration (the suite, the parameters, the device, the columns, the model
file) is found before any check runs, so a mistake costs seconds and exits 2.
Then each check runs on one shared context; a check that raises becomes an
``error`` result and the others still run.

The rooms around this one: :mod:`govkit.runner.context` builds the shared
context, :mod:`govkit.runner.gate` decides what blocks, :mod:`govkit.runner.write`
cleans results and writes the files, :mod:`govkit.runner.provenance` records
what was read, and :mod:`govkit.runner.console` tells the person at the terminal.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from govkit import __version__
from govkit.atomic import FolderLock, clean_leftovers
from govkit.checks.base import Evidence, NotApplicable, SkipCheck
from govkit.checks.context import CheckContext
from govkit.errors import ConfigError, InputError
from govkit.hashing import sha256_file
from govkit.project import Project
from govkit.report import (
    BaselineRows,
    CheckResult,
    Measurement,
    Provenance,
    Report,
    ReportSystem,
    ResultStatus,
)
from govkit.runner import gate
from govkit.runner.console import Console
from govkit.runner.context import load_documents, model_context, predictions_only_context
from govkit.runner.data import LoadedData, load_data
from govkit.runner.device import check_device_text
from govkit.runner.engine import choose_run_engine, engine_record
from govkit.runner.judge import judge
from govkit.runner.plan import PlannedCheck, plan_checks, require_known_baselines
from govkit.runner.plan_criteria import (
    check_plan_inputs,
    evaluate_plan,
    find_plan,
    plan_blockers,
)
from govkit.runner.provenance import (
    git_commit,
    package_version,
    python_version,
    run_artifacts,
    utc_now,
)
from govkit.runner.pseudonym import pseudonymise
from govkit.runner.statistics import StatisticsRun, build_statistics_run
from govkit.runner.write import (
    OUTPUT_NAMES,
    clean_measurement,
    jsonable,
    refuse_foreign_outputs,
    write_outputs,
)
from govkit.safe_text import visible
from govkit.scale.choose import open_engine
from govkit.suite import LoadedSuite, load_suite

if TYPE_CHECKING:
    from govkit.scale.engines.base import Engine
    from govkit.scale.progress import Progress

__all__ = ["RunOutcome", "execute_run"]


@dataclass
class RunOutcome:
    """What one run produced, beyond the report: files and the table's key figures."""

    report: Report
    report_path: Path
    junit_path: Path
    key_figures: dict[str, str] = field(default_factory=dict)


def _load_project_suite(project: Project) -> LoadedSuite:
    """The project's suite, once the extras its checks need are known to be installed."""
    from govkit.checks.registry import require_check_extras

    try:
        suite = load_suite(project.model.suite, project.root)
    except ConfigError as err:
        if err.diagnostics:
            raise
        raise project.error(
            ("suite",), err.message, hint="name a built-in suite or a suite file"
        ) from err
    # a missing extra is one line per extra, found before any check module is imported
    require_check_extras(
        [entry.id for entry in suite.model.checks],
        runs_model=project.model.model.predictions is None,
    )
    return suite


def _threshold_record(plan: PlannedCheck) -> dict[str, Any]:
    return {
        "severity": plan.severity,
        # `seeds: mean` is the default and how every rule was judged before seeds existed
        "rules": [
            t.model_dump(
                mode="json", exclude_none=True, exclude={"seeds"} if t.seeds == "mean" else None
            )
            for t in plan.thresholds
        ],
    }


def _run_one(
    plan: PlannedCheck, ctx: CheckContext, waivers: list[gate.ActiveWaiver]
) -> tuple[CheckResult, str, gate.GateDecision]:
    started = time.perf_counter()
    title = getattr(plan.cls, "title", plan.id)
    base: dict[str, Any] = {
        "id": plan.id,
        "title": title,
        "params": plan.params.model_dump(mode="json"),
        "threshold": _threshold_record(plan),
    }
    key = "-"
    status: ResultStatus
    measurements: list[Measurement] = []
    details: dict[str, Any] = {}
    evidence: Evidence | None = None
    verdict = None
    skip: SkipCheck | None = None
    try:
        reason = gate.missing_input(plan.cls, ctx)
        if reason is not None:
            raise SkipCheck(reason)
        from govkit.runner.seed_figures import measure_over_seeds

        check = plan.cls()
        # a model's own figures vary with its training seed; the others do not depend on it
        evidence = (
            measure_over_seeds(check, ctx, plan.params)
            if plan.cls.measures_baselines
            else check.measure(ctx, plan.params)
        )
        if not isinstance(evidence, Evidence):
            raise TypeError(f"measure() returned {type(evidence).__name__}, not Evidence")
        measurements = [clean_measurement(m) for m in evidence.measurements]
        evidence.measurements = measurements
        details = jsonable(evidence.details)
        verdict = judge(
            evidence, plan.thresholds, min_group_size=getattr(plan.params, "min_group_size", None)
        )
        status, message, key = verdict.status, verdict.message, verdict.key_figure
    except SkipCheck as skipped:
        skip = skipped
        label = "Not applicable" if isinstance(skipped, NotApplicable) else "Skipped"
        status, message = "skipped", f"{label}: {skipped.reason.rstrip('.')}."
    except Exception as err:  # one broken check must not hide the others' results
        status, message = "error", f"{type(err).__name__}: {err}"
        measurements, details, evidence, verdict = [], {}, None, None
    decision = gate.decide(
        plan,
        status,
        message,
        evidence=evidence,
        judgement=verdict,
        waivers=waivers,
        # a small slice is named like a small group, so a waiver scoped to it covers it
        sensitive=[*ctx.sensitive, *(s.grouping.feature for s in ctx.slices)],
        skip_reason=skip.reason if skip is not None else None,
        not_applicable=isinstance(skip, NotApplicable),
    )
    result = CheckResult(
        **base,
        status=decision.status,
        blocking=decision.blocking,
        message=decision.message,
        waiver=decision.waiver,
        duration_s=round(time.perf_counter() - started, 6),
        measurements=measurements,
        details=details,
    )
    return result, key, decision


def _monitoring(
    report: Report,
    plans: list[PlannedCheck],
    ctx: CheckContext,
    data: LoadedData,
    personal: list[str],
) -> str:
    """monitoring.json's text: the reference and rules handed to operations."""
    from govkit.runner.monitoring import build_monitoring, monitoring_json

    try:
        predictions = ctx.predictions("eval")
    except Exception:  # predictions that failed already show as check errors in the report
        predictions = None
    monitoring = build_monitoring(
        report,
        plans,
        data.eval.frame,
        label_column=ctx.label_column,
        y_true=ctx.eval.y_true,
        predictions=predictions,
        sensitive=ctx.sensitive,
        skip_columns=ctx.prediction_columns,
        personal=personal,
    )
    return monitoring_json(monitoring)


def _deterministic(enabled: bool) -> Callable[[], None]:
    """Turn on torch's deterministic algorithms; returns how to restore the previous mode."""
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")  # read once, when cuBLAS starts
    import torch

    before = torch.are_deterministic_algorithms_enabled()
    before_warn = torch.is_deterministic_algorithms_warn_only_enabled()
    # warn_only: an op without a deterministic kernel warns instead of failing the run
    torch.use_deterministic_algorithms(enabled, warn_only=True)
    return lambda: torch.use_deterministic_algorithms(before, warn_only=before_warn)


def _output_folder(project: Project, out: str | None) -> tuple[Path, list[Path]]:
    """The output folder, created if need be, and the folders this call created (deepest first)."""
    folder = Path(out) if out is not None else project.resolve(project.model.output)
    created = [p for p in (folder, *folder.parents) if not p.exists()]
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        message = f"cannot create the output folder {folder}: {err.strerror}"
        if out is not None:
            raise InputError(f"--out: {message}") from err
        raise project.error(
            ("output",), message, hint="name a folder that govkit can create or write to"
        ) from err
    return folder, created


def _remove_if_empty(folders: list[Path]) -> None:
    """Remove the folders a failed run created, deepest first, while they are still empty.

    A run that stops on bad input leaves the disk as it found it, not with an
    empty output folder; a folder something else wrote into meanwhile stays.
    """
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:
            return


def _progress(console: Console, rows: int, engine: str) -> Progress:
    """A progress bar over the rows the engine reads (stderr, a terminal, not --quiet)."""
    from govkit.scale.progress import Progress

    return Progress(total_rows=rows, label=f"{engine}: rows read", enabled=console.show_progress)


def _engine_address(project: Project, address: str | None) -> str | None:
    return address if address is not None else project.model.engine.address


def execute_run(
    project: Project,
    *,
    only: list[str] | tuple[str, ...] = (),
    device: str | None = None,
    out: str | None = None,
    quiet: bool = False,
    console: Console | None = None,
    today: date | None = None,
    engine: str | None = None,
    address: str | None = None,
) -> RunOutcome:
    """Run the project's suite and write report.json and junit.xml.

    Parameters
    ----------
    project
        From :func:`govkit.project.load_project_file`.
    only
        Check ids to run instead of the whole suite (``--only``).
    device
        ``auto``, ``cpu``, ``cuda`` or ``cuda:N``; overrides govkit.yaml.
    out
        Output folder (default: the project's ``output``, relative to govkit.yaml).
    quiet
        No progress on stderr.
    console, today
        Where messages go and the date waivers are judged on (for tests).
    engine, address
        ``--engine`` and ``--address``: override govkit.yaml's ``engine`` section.

    Returns
    -------
    RunOutcome
        The report (``status`` is ``fail`` when a result blocks) and its files.

    Raises
    ------
    ConfigError, InputError
        Anything wrong with the configuration, the data or the model (exit 2).
    """
    console = console or Console(quiet=quiet)
    out_dir, created = _output_folder(project, out)
    # A refusal comes before any work and touches nothing (not even the lock file);
    # it is repeated under the lock, which keeps one writer per output folder.
    refuse_foreign_outputs(out_dir)
    with FolderLock(out_dir):
        # a run that failed while this one waited may have removed the folder it had created
        out_dir.mkdir(parents=True, exist_ok=True)
        try:
            for name in OUTPUT_NAMES:
                clean_leftovers(out_dir / name)
            refuse_foreign_outputs(out_dir)
            return _run_and_write(
                project,
                out_dir,
                only=only,
                device=device,
                console=console,
                today=today,
                engine=engine,
                address=address,
            )
        except BaseException:
            # under the lock, so no other run is writing into the folder meanwhile
            _remove_if_empty(created)
            raise


def _run_and_write(
    project: Project,
    out_dir: Path,
    *,
    only: list[str] | tuple[str, ...],
    device: str | None,
    console: Console,
    today: date | None,
    engine: str | None = None,
    address: str | None = None,
) -> RunOutcome:
    started_at = utc_now()
    requested = (
        check_device_text(device, "--device") if device is not None else project.model.device
    )
    suite = _load_project_suite(project)
    plans = gate.require_criteria(plan_checks(suite, only), suite)
    require_known_baselines(plans, suite, [b.name for b in project.model.baselines])
    today = today or datetime.now(UTC).date()
    waivers = gate.active_waivers(project, plans, console, today)
    # the experiment plan's criteria must be judgeable before any check runs
    experiment_plan = find_plan(project)
    if experiment_plan is not None:
        check_ids = [*(e.id for e in suite.model.checks), *(p.id for p in plans)]
        check_plan_inputs(
            experiment_plan,
            list(dict.fromkeys(check_ids)),
            [b.name for b in project.model.baselines],
        )
    predictions_only = project.model.model.predictions is not None
    choice, tables = choose_run_engine(project, engine, address)
    stats: StatisticsRun | None = None
    opened: Engine | None = None
    if not choice.statistics:
        console.progress(f"reading data {project.model.data.eval}")
        data = load_data(project, check_features=not predictions_only)
    # numpy-backed, so imported once the data (and with it the tabular extra) is there:
    # `govkit schema` and `validate` import this module on a core install
    from govkit.runner.baselines import load_baselines
    from govkit.runner.predictions_file import key_columns, predictions_bytes, row_keys
    from govkit.runner.seeds import seed_predictions

    restore = lambda: None  # noqa: E731 - replaced once torch is loaded
    try:
        if not predictions_only:
            restore = _deterministic(True)
        if choice.statistics:
            eval_tables, train_tables = tables
            assert eval_tables is not None
            bar = _progress(console, eval_tables.n_rows, choice.name)
            opened = open_engine(
                choice.name,
                address=_engine_address(project, address),
                memory_limit=project.model.engine.memory_limit,
                progress=bar,
            )
            stats, device_text = build_statistics_run(
                project,
                choice,
                opened,
                eval_tables,
                train_tables,
                requested_device=requested,
                console=console,
            )
            ctx, data = stats.sample, stats.data
            if bar is not None:
                bar.close()
        elif predictions_only:
            ctx, device_text = predictions_only_context(project, data, console)
        else:
            ctx, device_text = model_context(project, data, requested, console)
        torch_version = (
            package_version("torch") if predictions_only else str(sys.modules["torch"].__version__)
        )
        if stats is None:
            gate.check_waiver_groups(project, data.eval.frame)
        else:
            gate.check_waiver_groups(project, stats.cells.eval.frame, stats.cells.slices)
        for slicing in ctx.slices:
            for text in slicing.warnings:
                console.warn(f"warning: {text}")
        keys = row_keys(data.eval.frame, key_columns(project, data.eval.frame))
        ctx.seed_predictions = [
            (seed.name, seed.predictions) for seed in seed_predictions(project, data, ctx, console)
        ]
        baselines = load_baselines(project, data, ctx, keys, console)
        ctx.baseline_predictions = {b.name: b.predictions for b in baselines}
        ctx.baseline_seed_predictions = {b.name: list(b.seeds) for b in baselines if b.seeds}
        ctx.documents = load_documents(project, console)
        if stats is not None:
            stats.cells.documents = ctx.documents
            stats.cells.seed_predictions = ctx.seed_predictions
        results: list[CheckResult] = []
        key_figures: dict[str, str] = {}
        used: set[int] = set()
        for i, plan in enumerate(plans, start=1):
            console.progress(f"[{i}/{len(plans)}] {plan.id}")
            on = ctx if stats is None else stats.context_for(plan.id)
            result, key, decision = _run_one(plan, on, waivers.get(plan.id, []))
            if stats is not None and stats.on_sample(plan.id) and result.status != "skipped":
                result.details["sample"] = stats.sample_note()
            results.append(result)
            key_figures[plan.id] = key
            for text in decision.warnings:
                console.warn(text)
            used |= {a.index for a in waivers.get(plan.id, []) if result.waiver is not None}
        for text in gate.unscoped_unused_warnings(waivers, used, {p.id for p in plans}):
            console.warn(text)
    finally:
        restore()
        if opened is not None:
            opened.close()
    # group values of a column of personal data never reach an output
    results, key_figures, personal = pseudonymise(
        results,
        key_figures,
        frames=[s.frame for s in (data.eval, data.train) if s is not None],
        sensitive=project.model.data.sensitive,
        quasi_identifiers=project.model.data.quasi_identifiers,
        system=project.model.system.name,
    )
    for column in personal:
        console.warn(
            f"column '{visible(column.column)}' holds personal data ({column.kind}); "
            "its values are shown as pseudonyms in every output"
        )
    config_sha, _ = sha256_file(project.path)
    provenance = Provenance(
        govkit_version=__version__,
        python=python_version(),
        torch=torch_version,
        device=device_text,
        seed=project.model.seed,
        started_at=started_at,
        finished_at=utc_now(),
        git_commit=git_commit(project.root),
        config_sha256=config_sha,
        artifacts=run_artifacts(project, data, suite, console),
    )
    plan_result = (
        evaluate_plan(
            experiment_plan, results, plans, checkpoints=max(1, len(ctx.seed_predictions))
        )
        if experiment_plan is not None
        else None
    )
    blocked = any(r.blocking for r in results) or bool(plan_blockers(plan_result))
    report = Report(
        status="fail" if blocked else "pass",
        system=ReportSystem(name=project.model.system.name, version=project.model.system.version),
        provenance=provenance,
        results=results,
        plan=plan_result,
        baselines=[
            BaselineRows(name=b.name, source=b.source, rows_matched=b.rows_matched, rows=b.rows)
            for b in baselines
        ],
        engine=engine_record(project, choice, opened, stats, data, address),
    )
    predictions = predictions_bytes(
        keys,
        ctx.predictions("eval"),
        task=ctx.task,
        classes=data.coding.class_names,
        columns=key_columns(project, data.eval.frame),
        seeds=ctx.seed_predictions,
    )
    handoff = _monitoring(report, plans, ctx, data, [c.column for c in personal])
    try:
        report_path, junit_path = write_outputs(
            report,
            out_dir,
            suite_name=suite.model.name,
            monitoring=handoff,
            predictions=predictions,
        )
    except OSError as err:
        # A full disk or a read-only folder is the user's to fix; the old files are unchanged.
        raise InputError(
            f"{err.filename or out_dir}: cannot write the report ({err.strerror or err}); "
            "the earlier outputs are unchanged. Free some space or choose another --out"
        ) from err
    return RunOutcome(report, report_path, junit_path, key_figures)
