"""``run_checks``: load everything, run each check, judge it, write the report.

The order matters for the user: everything that can be wrong in the
configuration (the suite, the parameters, the device, the columns, the model
file) is found before any check runs, so a mistake costs seconds and exits 2.
Then each check runs on one shared context; a check that raises becomes an
``error`` result and the others still run.
"""

from __future__ import annotations

import math
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from govkit import __version__
from govkit.atomic import FolderLock, clean_leftovers
from govkit.checks.base import Evidence, NotApplicable, SkipCheck
from govkit.checks.context import CheckContext, Predictions, SplitName
from govkit.errors import ConfigError, GovkitError, InputError
from govkit.hashing import sha256_file
from govkit.project import Project
from govkit.report import (
    Artifact,
    CheckResult,
    Measurement,
    Provenance,
    Report,
    ReportSystem,
    ResultStatus,
)
from govkit.runner import gate
from govkit.runner.columns import column_predictions
from govkit.runner.data import LoadedData, load_data
from govkit.runner.device import check_device_text
from govkit.runner.judge import judge
from govkit.runner.plan import PlannedCheck, plan_checks
from govkit.runner.provenance import (
    artifact,
    git_commit,
    package_version,
    python_version,
    utc_now,
)
from govkit.runner.pseudonym import pseudonymise
from govkit.runner.write import (
    OUTPUT_NAMES,
    refuse_foreign_outputs,
    write_outputs,
)
from govkit.safe_text import visible
from govkit.suite import LoadedSuite, load_suite

__all__ = ["Console", "RunOutcome", "execute_run", "run_checks"]


class Console:
    """Progress and warnings on stderr; progress only on a terminal and without --quiet."""

    def __init__(self, *, quiet: bool = False) -> None:
        self.show_progress = not quiet and sys.stderr.isatty()

    def progress(self, text: str) -> None:
        if self.show_progress:
            sys.stderr.write(text + "\n")
            sys.stderr.flush()

    def warn(self, text: str) -> None:
        sys.stderr.write(text + "\n")
        sys.stderr.flush()


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
        suite = load_suite(project.file.suite, project.root)
    except ConfigError as err:
        if err.diagnostics:
            raise
        raise project.error(
            ("suite",), err.message, hint="name a built-in suite or a suite file"
        ) from err
    # a missing extra is one line per extra, found before any check module is imported
    require_check_extras(
        [entry.id for entry in suite.suite.checks],
        runs_model=project.file.model.predictions is None,
    )
    return suite


def _file_display(project: Project, path: Path) -> str:
    try:
        return str(path.relative_to(project.root))
    except ValueError:
        return str(path)


def _predictions_only_context(
    project: Project, data: LoadedData, console: Console
) -> tuple[CheckContext, str]:
    """A context whose predictions are the data's columns; torch is never imported."""
    import numpy as np

    np.random.seed(project.file.seed)
    spec = project.file.model.predictions
    displays = {
        "eval": _file_display(project, data.eval_path),
        "train": _file_display(project, data.train_path) if data.train_path else "",
    }

    def predict(name: SplitName) -> Predictions:
        split = ctx.split(name)
        if (
            spec is not None
            and name == "train"
            and (
                spec.label not in split.frame.columns
                or (spec.score is not None and spec.score not in split.frame.columns)
            )
        ):
            raise LookupError("the training split has no prediction columns")
        return column_predictions(project, split, data.coding, displays[name])

    ctx = _base_context(project, data, device="cpu")
    ctx.predictions_of = predict
    console.progress("reading predictions from the data columns")
    ctx.predictions("eval")  # bad prediction columns are configuration errors: find them now
    return ctx, "cpu"


def _located(project: Project, err: InputError, loc: tuple[str | int, ...]) -> InputError:
    """``err`` pointing at the govkit.yaml key it is about, keeping its class (exit code)."""
    if err.diagnostics:
        return err
    return type(err)(err.message, diagnostics=project.error(loc, err.message).diagnostics)


def _base_context(project: Project, data: LoadedData, *, device: str) -> CheckContext:
    d = project.file.data
    return CheckContext(
        task=project.file.model.task,
        seed=project.file.seed,
        device=device,
        eval=data.eval,
        train=data.train,
        sensitive=list(d.sensitive),
        proxies=list(d.proxies),
        quasi_identifiers=list(d.quasi_identifiers),
        label_column=d.label,
        prediction_columns=_prediction_columns(project),
        batch_size=project.file.model.batch_size,
        decision_threshold=project.file.model.threshold,
    )


def _prediction_columns(project: Project) -> list[str]:
    spec = project.file.model.predictions
    return [] if spec is None else [c for c in (spec.label, spec.score) if c is not None]


def _model_context(
    project: Project, data: LoadedData, requested: str, console: Console
) -> tuple[CheckContext, str]:
    """Load the model on the device and predict the evaluation split once."""
    import numpy as np
    import torch

    from govkit.runner.device import describe_device, resolve_device
    from govkit.runner.encode import make_encoder
    from govkit.runner.model import load_model
    from govkit.runner.outputs import to_log_probs
    from govkit.runner.predict import predict_log_probs_numpy, predictions_from_log_probs

    device = resolve_device(requested)
    seed = project.file.seed
    np.random.seed(seed)
    torch.manual_seed(seed)
    m = project.file.model
    console.progress(f"loading model {m.path} on {device}")
    try:
        model = load_model(project)
    except InputError as err:
        raise _located(project, err, ("model", "path")) from err
    try:
        model = model.to(device)
    except Exception as err:  # some exported programs cannot move; say which device failed
        raise InputError(f"cannot move the model to {device}: {type(err).__name__}: {err}") from err
    try:
        encoder, eval_inputs = make_encoder(project, data.eval.frame)
    except InputError as err:
        key = "transform" if project.file.data.transform is not None else "features"
        raise _located(project, err, ("data", key)) from err

    def log_probs_of(raw: torch.Tensor) -> torch.Tensor:
        return to_log_probs(raw, m.task, m.output)

    def inputs(name: SplitName) -> torch.Tensor:
        return encoder.encode(ctx.split(name).frame)

    def predict(name: SplitName) -> Predictions:
        x = ctx.inputs(name)

        shown = [0]  # tenths already reported: at most ten progress lines per split

        def on_batch(done: int, total: int) -> None:
            tenth = done * 10 // total
            if total > m.batch_size and tenth > shown[0]:
                shown[0] = tenth
                console.progress(f"predicting {name}: {done:,}/{total:,} rows")

        lp = predict_log_probs_numpy(
            model,
            x,
            device=device,
            batch_size=m.batch_size,
            task=m.task,
            output=m.output,
            on_batch=on_batch,
        )
        n_classes = len(data.coding.classes)
        if m.task == "multiclass" and lp.shape[1] < n_classes:
            raise InputError(
                f"the model returns {lp.shape[1]} class scores but the label column "
                f"has {n_classes} classes ({', '.join(data.coding.class_names)})"
            )
        return predictions_from_log_probs(lp, m.task, m.threshold)

    ctx = _base_context(project, data, device=device)
    ctx.model = model
    ctx.log_probs_of = log_probs_of
    ctx.encode = encoder.encode
    ctx.feature_names = encoder.feature_names
    ctx.feature_groups = encoder.feature_groups
    ctx.inputs_of = inputs
    ctx.predictions_of = predict
    ctx.memo("inputs:eval", lambda: eval_inputs)  # encoded already, with the encoder
    ctx.predictions("eval")  # the model runs once here; a broken model is an input error
    return ctx, describe_device(device)


def _clean_measurement(m: Any) -> Measurement:
    """A Measurement with NaN/inf turned into null (JSON has no NaN)."""
    if not isinstance(m, Measurement):
        m = Measurement.model_validate(m)
    value = m.value if m.value is not None and math.isfinite(m.value) else None
    ci = m.ci
    if ci is not None and not all(math.isfinite(v) for v in ci):
        ci = None
    if value is m.value and ci is m.ci:
        return m
    return m.model_copy(update={"value": value, "ci": ci})


def _jsonable(value: Any) -> Any:
    """Check details made JSON-safe: numpy scalars and arrays to lists, NaN to null."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if hasattr(value, "tolist") and callable(value.tolist):  # numpy arrays and scalars
        return _jsonable(value.tolist())
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if value is None or isinstance(value, str | int | bool):
        return value
    return str(value)


def _threshold_record(plan: PlannedCheck) -> dict[str, Any]:
    return {
        "severity": plan.severity,
        "rules": [t.model_dump(mode="json", exclude_none=True) for t in plan.thresholds],
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
        evidence = plan.cls().measure(ctx, plan.params)
        if not isinstance(evidence, Evidence):
            raise TypeError(f"measure() returned {type(evidence).__name__}, not Evidence")
        measurements = [_clean_measurement(m) for m in evidence.measurements]
        evidence.measurements = measurements
        details = _jsonable(evidence.details)
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
        sensitive=ctx.sensitive,
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


def _artifacts(
    project: Project, data: LoadedData, suite: LoadedSuite, console: Console
) -> list[Artifact]:
    root = project.root
    found: list[Artifact] = []
    if project.file.model.path is not None:
        found.append(artifact("model", project.resolve(project.file.model.path), root))
    found.append(artifact("eval_data", data.eval_path, root))
    if data.train_path is not None:
        found.append(artifact("train_data", data.train_path, root))
    found.append(artifact("suite", suite.path, root))
    for i, doc in enumerate(project.file.documents):
        path = project.resolve(doc)
        if path.is_file():
            found.append(artifact("document", path, root))
        else:
            console.warn(
                f"{project.parsed.path}: warning: documents[{i}]: {doc} does not "
                "exist; it is left out of the report's provenance"
            )
    return found


def _load_documents(project: Project, console: Console) -> dict[str, list[Any]]:
    """The governance documents' models by kind, for checks that read them.

    An invalid document does not stop the gate (``govkit validate`` is where it is
    reported in full); it is left out, with a warning.
    """
    paths = [project.resolve(doc) for doc in project.file.documents]
    paths = [p for p in paths if p.is_file()]
    if not paths:
        return {}
    from govkit.documents.load import load_document

    loaded: dict[str, list[Any]] = {}
    for path in paths:
        shown = _file_display(project, path)
        try:
            document = load_document(path, display=shown, roots=(project.root,))
        except GovkitError as err:
            first = err.diagnostics[0].format() if err.diagnostics else err.message
            console.warn(
                f"warning: {shown} is not a valid document and is not given to the "
                f"checks ({first}); run `govkit validate` for every problem"
            )
            continue
        loaded.setdefault(document.kind, []).append(document.model)
    return loaded


def _deterministic(enabled: bool) -> Callable[[], None]:
    """Turn on torch's deterministic algorithms; returns how to restore the previous mode."""
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")  # read once, when cuBLAS starts
    import torch

    before = torch.are_deterministic_algorithms_enabled()
    before_warn = torch.is_deterministic_algorithms_warn_only_enabled()
    # warn_only: an op without a deterministic kernel warns instead of failing the run
    torch.use_deterministic_algorithms(enabled, warn_only=True)
    return lambda: torch.use_deterministic_algorithms(before, warn_only=before_warn)


def _output_folder(project: Project, out: str | None) -> Path:
    folder = Path(out) if out is not None else project.resolve(project.file.output)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        message = f"cannot create the output folder {folder}: {err.strerror}"
        if out is not None:
            raise InputError(f"--out: {message}") from err
        raise project.error(
            ("output",), message, hint="name a folder that govkit can create or write to"
        ) from err
    return folder


def run_checks(
    project: Project,
    *,
    only: list[str] | tuple[str, ...] = (),
    device: str | None = None,
    out: str | None = None,
    quiet: bool = False,
    today: date | None = None,
) -> Report:
    """Run the project's suite, write report.json and junit.xml, and return the report.

    See :func:`execute_run` for the parameters; this is its report alone.
    """
    return execute_run(project, only=only, device=device, out=out, quiet=quiet, today=today).report


def execute_run(
    project: Project,
    *,
    only: list[str] | tuple[str, ...] = (),
    device: str | None = None,
    out: str | None = None,
    quiet: bool = False,
    console: Console | None = None,
    today: date | None = None,
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
    out_dir = _output_folder(project, out)
    # A refusal comes before any work and touches nothing (not even the lock file);
    # it is repeated under the lock, which keeps one writer per output folder.
    refuse_foreign_outputs(out_dir)
    with FolderLock(out_dir):
        for name in OUTPUT_NAMES:
            clean_leftovers(out_dir / name)
        refuse_foreign_outputs(out_dir)
        return _run_and_write(
            project, out_dir, only=only, device=device, console=console, today=today
        )


def _run_and_write(
    project: Project,
    out_dir: Path,
    *,
    only: list[str] | tuple[str, ...],
    device: str | None,
    console: Console,
    today: date | None,
) -> RunOutcome:
    started_at = utc_now()
    requested = check_device_text(device, "--device") if device is not None else project.file.device
    suite = _load_project_suite(project)
    plans = gate.require_criteria(plan_checks(suite, only), suite)
    today = today or datetime.now(UTC).date()
    waivers = gate.active_waivers(project, plans, console, today)
    predictions_only = project.file.model.predictions is not None
    console.progress(f"reading data {project.file.data.eval}")
    data = load_data(project, check_features=not predictions_only)
    gate.check_waiver_groups(project, data.eval.frame)
    restore = lambda: None  # noqa: E731 - replaced once torch is loaded
    try:
        if predictions_only:
            ctx, device_text = _predictions_only_context(project, data, console)
            torch_version = package_version("torch")
        else:
            restore = _deterministic(True)
            ctx, device_text = _model_context(project, data, requested, console)
            torch_version = str(sys.modules["torch"].__version__)
        ctx.documents = _load_documents(project, console)
        results: list[CheckResult] = []
        key_figures: dict[str, str] = {}
        used: set[int] = set()
        for i, plan in enumerate(plans, start=1):
            console.progress(f"[{i}/{len(plans)}] {plan.id}")
            result, key, decision = _run_one(plan, ctx, waivers.get(plan.id, []))
            results.append(result)
            key_figures[plan.id] = key
            for text in decision.warnings:
                console.warn(text)
            used |= {a.index for a in waivers.get(plan.id, []) if result.waiver is not None}
        for text in gate.unscoped_unused_warnings(waivers, used, {p.id for p in plans}):
            console.warn(text)
    finally:
        restore()
    # group values of a column of personal data never reach an output
    results, key_figures, personal = pseudonymise(
        results,
        key_figures,
        frames=[s.frame for s in (data.eval, data.train) if s is not None],
        sensitive=project.file.data.sensitive,
        quasi_identifiers=project.file.data.quasi_identifiers,
        system=project.file.system.name,
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
        seed=project.file.seed,
        started_at=started_at,
        finished_at=utc_now(),
        git_commit=git_commit(project.root),
        config_sha256=config_sha,
        artifacts=_artifacts(project, data, suite, console),
    )
    report = Report(
        status="fail" if any(r.blocking for r in results) else "pass",
        system=ReportSystem(name=project.file.system.name, version=project.file.system.version),
        provenance=provenance,
        results=results,
    )
    try:
        report_path, junit_path = write_outputs(report, out_dir, suite_name=suite.suite.name)
    except OSError as err:
        # A full disk or a read-only folder is the user's to fix; the old files are unchanged.
        raise InputError(
            f"{err.filename or out_dir}: cannot write the report ({err.strerror or err}); "
            "the earlier outputs are unchanged. Free some space or choose another --out"
        ) from err
    return RunOutcome(report, report_path, junit_path, key_figures)
