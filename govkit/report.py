"""``report.json``: the result of one ``govkit check`` run.

This model is the contract between the check runner, the packet renderer and
anyone reading the report in CI. Its JSON Schema ships in ``schemas/``.
"""

from __future__ import annotations

import typing
from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import ConfigDict, Field, ValidationError

from govkit.errors import InputError
from govkit.safe_read import ReadRefused, load_json_capped, report_cap
from govkit.strict import StrictModel

__all__ = [
    "STATUS_ORDER",
    "Artifact",
    "BaselineRows",
    "CheckResult",
    "CriterionStatus",
    "Measurement",
    "PlanCriterion",
    "PlanResult",
    "Provenance",
    "Report",
    "ReportSystem",
    "ResultStatus",
    "ResultWaiver",
    "load_report",
]

#: The status vocabulary, defined here once: a check's outcome in report.json,
#: in a document's ``check_results`` and in the packet's summary.
ResultStatus = Literal["pass", "fail", "warn", "error", "skipped", "insufficient_evidence"]
#: Every status, in the order the packet's summary counts them.
STATUS_ORDER: tuple[ResultStatus, ...] = typing.get_args(ResultStatus)
#: ``baseline``: a baseline's model file or recorded predictions (``baselines:`` in govkit.yaml)
ArtifactRole = Literal["model", "baseline", "eval_data", "train_data", "suite", "document"]


def _every_key_required(schema: dict[str, Any]) -> None:
    # govkit writes every key of the report, nulls and empty lists included, so the
    # published schema requires them all: a consumer can rely on each key being there.
    schema["required"] = list(schema.get("properties", {}))


class _ReportModel(StrictModel):
    """A report model: unknown keys are errors and its schema requires every key."""

    model_config = ConfigDict(json_schema_extra=_every_key_required)


class Measurement(_ReportModel):
    """One number, with where it applies, its sample size and its 95% interval.

    ``group`` is null for an overall figure, else it maps each sensitive column
    to the group's value, or a slice column of ``data.slices`` to the slice's
    value (``{"age": "[25, 40)"}`` for a bin). For an aggregate over the groups of a sensitive
    column (a difference or ratio), ``feature`` names that column, or the
    columns joined with ``&`` for their intersection. For attribution,
    ``feature`` names the model input.

    ``model`` and ``vs`` say whose figure it is: both null for the candidate's
    own figure; ``model`` a baseline's name for that baseline's own figure;
    ``vs`` a baseline's name when the figure is the candidate's minus that
    baseline's, paired on the same rows.

    With several training seeds the figure is the mean over the seeds, with
    ``seed_sd`` and an interval for both rows and seeds; each seed's own figure
    is a further measurement with ``seed`` set and its rows-only interval.
    """

    name: str
    group: dict[str, str] | None = None
    feature: str | None = None
    value: float | None
    ci: tuple[float, float] | None = None
    n: int | None = None
    model: str | None = Field(
        default=None, description="Null for the candidate; else the baseline this figure is of."
    )
    vs: str | None = Field(
        default=None,
        description="The baseline subtracted, when the figure is candidate minus baseline.",
    )
    seed_sd: float | None = Field(
        default=None,
        description="With several training seeds: the figure's standard deviation across "
        "them (the figure itself is their mean); null with one checkpoint.",
    )
    seed: str | None = Field(
        default=None,
        description="Null for the seed-level figure; else the checkpoint this figure is of.",
    )


class ResultWaiver(_ReportModel):
    """The waiver that accepted a result, and its scope (null keys: not scoped by it)."""

    owner: str
    justification: str
    expires: date
    metric: str | None = None
    feature: str | None = None
    group: dict[str, str] | None = None
    limit: float | None = None
    also: list[ResultWaiver] = Field(
        default_factory=list,
        description="Further waivers that, with this one, cover every failing figure.",
    )


class CheckResult(_ReportModel):
    id: str
    title: str
    status: ResultStatus
    blocking: bool = Field(description="True when this result fails the gate.")
    message: str = Field(description="One sentence a reviewer understands.")
    params: dict[str, Any] = Field(default_factory=dict)
    threshold: dict[str, Any] = Field(default_factory=dict)
    waiver: ResultWaiver | None = None
    duration_s: float = 0.0
    measurements: list[Measurement] = Field(default_factory=list)
    details: dict[str, Any] = Field(
        default_factory=dict,
        description="Check-specific extras for charts and reviewers: curves, bins, samples.",
    )

    def own_measurements(self) -> list[Measurement]:
        """The candidate's own seed-level figures: no baseline's, no difference, no one seed's."""
        return [m for m in self.measurements if m.model is None and m.vs is None and m.seed is None]


class Artifact(_ReportModel):
    role: ArtifactRole
    path: str
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    bytes: int = Field(ge=0)


class Provenance(_ReportModel):
    govkit_version: str
    python: str
    torch: str | None
    device: str
    seed: int
    started_at: str
    finished_at: str
    git_commit: str | None
    config_sha256: str
    artifacts: list[Artifact] = Field(default_factory=list)

    def data_sha256(self, role: Literal["eval_data", "train_data"]) -> str | None:
        """One digest of a data split, to tell whether two runs read the same data.

        A split of one file is that file's SHA-256. A split of many files (a
        folder or glob of Parquet files) has one artifact per file, in row
        order; its digest is the SHA-256 of their ``<sha256>  <path>`` lines,
        so a changed, added, removed or renamed file changes it. None when
        the report records no file of that role.
        """
        import hashlib

        files = [a for a in self.artifacts if a.role == role]
        if len(files) <= 1:
            return files[0].sha256 if files else None
        lines = "".join(f"{a.sha256}  {a.path}\n" for a in files)
        return hashlib.sha256(lines.encode("utf-8")).hexdigest()


class BaselineRows(_ReportModel):
    """A baseline of the run and how many evaluation rows its predictions covered."""

    name: str
    source: Literal["model", "columns", "predictions_file"]
    rows_matched: int = Field(ge=0, description="Evaluation rows with this baseline's prediction.")
    rows: int = Field(ge=0, description="Evaluation rows of the run.")


CriterionStatus = Literal["met", "not_met", "insufficient_evidence"]


class PlanCriterion(_ReportModel):
    """One acceptance criterion or guardrail of the experiment plan, judged."""

    ref: str = Field(
        description="The criterion in the plan: acceptance_criteria[N] or metrics.guardrail[N]."
    )
    kind: Literal["acceptance", "guardrail"]
    metric: str
    op: str
    threshold: float
    vs: str | None = None
    slice: str | None = None
    check_id: str | None = None
    value: float | None = None
    ci: tuple[float, float] | None = None
    n: int | None = None
    where: str | None = Field(
        default=None,
        description="The group or grouping of the figure shown (the worst one judged); "
        "null for the overall figure.",
    )
    status: CriterionStatus
    reason: str = Field(description="Why this status, in one sentence.")
    deviation: str | None = Field(
        default=None, description="The plan's recorded deviation that touches this criterion."
    )
    blocking: bool = Field(
        default=False,
        description="True when it blocks the release: a registered plan's criterion not met, "
        "with no deviation that names it.",
    )


class PlanResult(_ReportModel):
    """The experiment plan's criteria judged against this run's measurements."""

    document: str = Field(description="The plan's path, as the project lists it.")
    registered: bool = Field(description="True when the plan is registered (frozen).")
    criteria: list[PlanCriterion] = Field(default_factory=list)
    criteria_met: bool | None = Field(
        description="True when every criterion is met; null when any lacks evidence."
    )


class EngineRecord(_ReportModel):
    """What computed the figures: the engine, why it was chosen, and what it measured from."""

    name: str = Field(description="pandas, duckdb or ray.")
    version: str | None = Field(default=None, description="The engine package's version.")
    reason: str = Field(description="Why this engine: asked for, or the auto rule's finding.")
    memory_limit: str | None = None
    address: str | None = None
    rows: int | None = Field(default=None, ge=0, description="Evaluation rows measured.")
    statistics: dict[str, Any] = Field(
        default_factory=dict,
        description="What the statistics path measured from: cells, score levels, the "
        "AUC error bound, the sample the model-bound checks ran on; empty for pandas.",
    )


class ReportSystem(_ReportModel):
    name: str
    version: str


class Report(_ReportModel):
    """The whole report. ``status`` is ``fail`` when any blocking result blocks."""

    report_version: Literal[1] = 1
    status: Literal["pass", "fail"]
    system: ReportSystem
    provenance: Provenance
    results: list[CheckResult]
    baselines: list[BaselineRows] = Field(default_factory=list)
    plan: PlanResult | None = None
    engine: EngineRecord | None = None

    def result(self, check_id: str) -> CheckResult | None:
        return next((r for r in self.results if r.id == check_id), None)


def load_report(path: str | Path) -> Report:
    """Read a ``report.json``; raises InputError naming the file and the problem."""
    p = Path(path)
    try:
        raw = load_json_capped(p, cap=report_cap(), what="report.json")
    except ReadRefused as err:
        if err.code == "missing" and not p.exists():
            raise InputError(f"{p}: no such report; run `govkit check` first") from None
        raise
    try:
        return Report.model_validate(raw)
    except ValidationError as err:
        first = err.errors(include_url=False)[0]
        where = ".".join(str(x) for x in first["loc"])
        raise InputError(f"{p}: invalid report at {where}: {first['msg']}") from err
