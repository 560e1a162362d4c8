"""The experiment plan: a preregistration of what will be tested and what counts.

Once registered (``meta.status: registered`` and a ``registration`` block),
the plan is frozen: ``registration.criteria_sha256`` records the fingerprint
of the acceptance criteria and guardrails at that moment, and any later change
to them must be explained in ``deviations`` (checked by the document rules).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import Field, field_validator
from pydantic_core import PydanticCustomError

from govkit.documents.base import DocMeta, DocumentBase
from govkit.documents.fields import (
    Answer,
    CheckRecord,
    DatasetRef,
    Date,
    GovModel,
    License,
    MetricSpec,
    NonEmptyStr,
    OrNA,
    Sha256,
    automated,
    conditional,
)

__all__ = [
    "AcceptanceCriterion",
    "Baseline",
    "CodeSpec",
    "ComputeEstimate",
    "DataStatus",
    "Deviation",
    "ExperimentMetrics",
    "ExperimentPlan",
    "ExperimentPlanMeta",
    "FailureMode",
    "Guardrail",
    "HparamSearch",
    "HumanSubjects",
    "Hypothesis",
    "Intervention",
    "Milestone",
    "Outcome",
    "PlanSlice",
    "Registration",
    "SampleSize",
    "SplitPlan",
    "StatisticalAnalysis",
    "StopRule",
    "ThirdPartyAsset",
    "criteria_fingerprint",
    "criterion_refs",
    "parse_slice",
]

#: ``slice: "*"``: every figure of the metric, overall, per group and per grouping
EVERY_SLICE = "*"
_SLICE_HINT = (
    "leave slice empty for the overall figure; name a sensitive column (or columns joined "
    "by '&', e.g. sex&race) for the gap across its groups; write column=value[, column=value] "
    "for one group or slice (region=EU, age=[25, 40)); or '*' for every figure"
)
_NOT_IN_A_NAME = frozenset("=,&*")


@dataclass(frozen=True)
class PlanSlice:
    """Which figures of a metric a criterion is about, read from its ``slice``.

    Exactly one of the following holds: ``every`` (``*``: every figure);
    ``group`` set (one group, as report.json names it: column -> value);
    ``feature`` set (the aggregate across the groups of a column, or of
    columns joined by ``&``); or none (the overall figure).
    """

    every: bool = False
    feature: str | None = None
    group: tuple[tuple[str, str], ...] | None = None

    def describe(self) -> str:
        """The slice as a reviewer reads it."""
        if self.every:
            return "every figure"
        if self.group is not None:
            return ", ".join(f"{k}={v}" for k, v in self.group)
        return self.feature or "overall"


def _pairs(text: str) -> list[str]:
    """``text`` split at its commas, except those inside an interval: a binned
    slice's value holds one (``age=[25, 40)``)."""
    parts, depth, start = [], 0, 0
    for i, c in enumerate(text):
        if c in "[(":
            depth += 1
        elif c in "])":
            depth = max(depth - 1, 0)
        elif c == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    return [*parts, text[start:]]


def _column_name(text: str) -> bool:
    return bool(text) and not any(c.isspace() or c in _NOT_IN_A_NAME for c in text)


def parse_slice(text: str | None) -> PlanSlice:
    """Read a criterion's ``slice``; ValueError (with what was expected) on free text."""
    if text is None or not text.strip():
        return PlanSlice()
    text = text.strip()
    if text == EVERY_SLICE:
        return PlanSlice(every=True)
    if "=" in text:
        pairs: list[tuple[str, str]] = []
        for part in _pairs(text):
            column, sep, value = (s.strip() for s in part.partition("="))
            if not sep or not _column_name(column) or not value:
                raise ValueError(f"'{part.strip()}' is not column=value")
            if column in dict(pairs):
                raise ValueError(f"column '{column}' is named twice")
            pairs.append((column, value))
        return PlanSlice(group=tuple(pairs))
    columns = [c.strip() for c in text.split("&")]
    if not all(_column_name(c) for c in columns):
        raise ValueError("it is neither a column name, columns joined by '&', nor column=value")
    if len(set(columns)) != len(columns):
        raise ValueError("a column is named twice")
    return PlanSlice(feature="&".join(columns))


def _checked_slice(value: str | None) -> str | None:
    try:
        parse_slice(value)
    except ValueError as err:
        raise PydanticCustomError(
            "slice_syntax",
            "slice '{slice}' is not machine-readable: {problem}",
            {"slice": value, "problem": str(err), "hint": _SLICE_HINT},
        ) from None
    return value


_SLICE_TEXT = (
    "Which figures: empty for the overall figure; a sensitive column, or columns joined by "
    "'&' (sex&race), for the gap across its groups; column=value[, column=value] for one "
    "group or slice of data.slices (region=EU, age=[25, 40)); '*' for every figure."
)


PlanStatus = Literal["draft", "registered", "running", "completed", "abandoned"]


class ExperimentPlanMeta(DocMeta):
    """DocMeta with the plan's own life cycle."""

    status: PlanStatus = Field(  # type: ignore[assignment]
        description="draft, registered (frozen), running, completed or abandoned."
    )
    registered_commit: str | None = Field(
        default=None, description="Commit at which the plan was registered."
    )


class Hypothesis(GovModel):
    """A testable, directional hypothesis."""

    id: NonEmptyStr = Field(description="Short id, e.g. H1.")
    statement: NonEmptyStr = Field(description="The hypothesis.")
    direction: Literal["greater", "less", "two_sided", "equivalent"] = Field(
        description="Expected direction of the effect."
    )
    min_effect: str | float | None = Field(
        default=None, description="Smallest effect that matters."
    )


class Baseline(GovModel):
    """A baseline and why it was chosen."""

    name: NonEmptyStr = Field(description="Baseline name.")
    ref: str | None = Field(default=None, description="Paper, code or model reference.")
    why_chosen: NonEmptyStr = Field(description="Why this baseline.")
    tuning_budget: str | None = Field(default=None, description="Tuning budget it receives.")


class Intervention(GovModel):
    """A treatment arm."""

    name: NonEmptyStr = Field(description="What is varied.")
    levels: list[str] = Field(min_length=1, description="Values it takes.")
    description: NonEmptyStr = Field(description="What it does.")


class Guardrail(GovModel):
    """A metric that must not get worse than a baseline's.

    The worsening is measured on the paired difference against the baseline
    ``vs`` names; which direction is worse comes from the metric (see
    :mod:`govkit.runner.plan_criteria`).
    """

    metric: NonEmptyStr = Field(description="Metric, e.g. demographic_parity_difference.")
    max_degradation: float = Field(ge=0, description="Largest allowed worsening.")
    vs: str | None = Field(
        default=None,
        description="The baseline (in govkit.yaml's baselines) it must not be worse than.",
    )
    slice: str | None = Field(default=None, description=_SLICE_TEXT)
    check_id: str | None = Field(default=None, description="Check that measures it.")

    _slice = field_validator("slice")(_checked_slice)


class ExperimentMetrics(GovModel):
    """The decision metric, diagnostics and guardrails."""

    primary: MetricSpec = Field(description="The single decision metric.")
    secondary: list[MetricSpec] = Field(default_factory=list, description="Diagnostic metrics.")
    guardrail: list[Guardrail] = Field(description="Metrics that must not get worse.")


class DataStatus(GovModel):
    """Whether the data had been seen when the plan was written (OSF)."""

    status: Literal[
        "before_creation",
        "before_observation",
        "before_access",
        "before_analysis",
        "after_analysis",
    ] = Field(description="Registration relative to the data (OSF 'existing data').")
    explanation: NonEmptyStr = Field(description="Explanation of existing data.")


class SplitPlan(GovModel):
    """How data is split, and how leakage is ruled out."""

    definition: NonEmptyStr = Field(description="How the splits are made.")
    seed: int = Field(description="Seed of the split.")
    group_keys: list[str] = Field(default_factory=list, description="Columns kept within a split.")
    leakage_checks: CheckRecord | None = automated("Output of the leakage check.")


class SampleSize(GovModel):
    """Seeds and power."""

    n_seeds: int = Field(ge=1, description="Number of seeds per configuration.")
    seeds: list[int] = Field(default_factory=list, description="The seeds.")
    rationale: NonEmptyStr = Field(description="Why this sample size is enough.")


class HparamSearch(GovModel):
    """The tuning protocol."""

    space_bounds: dict[str, str] = Field(description="Search space: bounds per hyperparameter.")
    method: NonEmptyStr = Field(description="Search method, e.g. grid, random.")
    budget: NonEmptyStr = Field(description="Trials or compute budget.")
    selection_metric: NonEmptyStr = Field(description="Metric that picks the configuration.")
    selection_split: NonEmptyStr = Field(description="Split it is measured on (never test).")


class StatisticalAnalysis(GovModel):
    """How results are compared."""

    test: NonEmptyStr = Field(description="Statistical test, e.g. paired bootstrap.")
    alpha: float = Field(gt=0, lt=1, description="Significance level.")
    correction: NonEmptyStr = Field(description="Multiple-comparison correction, or 'none'.")
    ci_method: NonEmptyStr = Field(description="Interval method.")
    effect_size: NonEmptyStr = Field(description="Effect size reported.")


class AcceptanceCriterion(GovModel):
    """A ship / no-ship rule."""

    metric: NonEmptyStr = Field(description="Metric, e.g. balanced_accuracy.")
    op: Literal[">=", ">", "<=", "<"] = Field(description="Comparison.")
    threshold: float = Field(description="Threshold.")
    vs: str | None = Field(
        default=None,
        description="A baseline's name (govkit.yaml baselines): judge the candidate minus it.",
    )
    slice: str | None = Field(default=None, description=_SLICE_TEXT)
    check_id: str | None = Field(default=None, description="Check that measures it.")

    _slice = field_validator("slice")(_checked_slice)


class StopRule(GovModel):
    """When to abandon the experiment."""

    kind: Literal["budget", "futility", "guardrail_breach", "other"] = Field(description="Kind.")
    condition: NonEmptyStr = Field(description="The stopping condition.")


class FailureMode(GovModel):
    """An anticipated failure."""

    description: NonEmptyStr = Field(description="What could go wrong.")
    detection: NonEmptyStr = Field(description="How it would be noticed.")
    response: NonEmptyStr = Field(description="What would be done.")


class ComputeEstimate(GovModel):
    """The compute budget."""

    hardware: NonEmptyStr = Field(description="Hardware.")
    gpu_hours: float = Field(ge=0, description="GPU hours (0 for CPU-only).")
    memory: str | None = Field(default=None, description="Memory needed.")
    storage: str | None = Field(default=None, description="Storage needed.")
    co2e_kg: float | None = Field(default=None, ge=0, description="Estimated kg CO2e.")


class Milestone(GovModel):
    """A dated milestone."""

    milestone: NonEmptyStr = Field(description="Milestone.")
    due: Date = Field(description="Due date.")


class CodeSpec(GovModel):
    """The reproduction entry point."""

    repo: NonEmptyStr = Field(description="Repository.")
    commit: str | None = Field(default=None, description="Commit.")
    command: NonEmptyStr = Field(description="Command that reproduces the results.")
    env_lock_sha256: Sha256 | None = Field(default=None, description="SHA-256 of the lock file.")


class ThirdPartyAsset(GovModel):
    """A third-party asset: data, code or model."""

    name: NonEmptyStr = Field(description="Asset.")
    version: str | None = Field(default=None, description="Version.")
    license: License = Field(description="Licence.")


class HumanSubjects(GovModel):
    """Human-subject research (NeurIPS 14-15)."""

    irb: Answer = Field(description="IRB or equivalent approval.")
    risks_disclosed: Answer = Field(description="Risks disclosed to participants.")
    instructions: Answer = Field(description="Instructions given to participants.")
    compensation: Answer = Field(description="Compensation.")


class Registration(GovModel):
    """The frozen state of the plan."""

    registered: Date = Field(description="Date the plan was registered.")
    criteria_sha256: Sha256 = Field(
        description="Fingerprint of acceptance_criteria and metrics.guardrail at registration "
        "(govkit validate prints the current one)."
    )
    registry_url: str | None = Field(default=None, description="Public registry entry, if any.")


class Deviation(GovModel):
    """A change made after registration."""

    date: Date = Field(description="Date of the change.")
    change: NonEmptyStr = Field(description="What changed.")
    reason: NonEmptyStr = Field(description="Why.")
    criteria: list[str] = Field(
        default_factory=list,
        description="Criteria it touches, e.g. acceptance_criteria[2] or metrics.guardrail[0]: "
        "an unmet one is then reported as a warning instead of blocking the release.",
    )


class Outcome(GovModel):
    """What happened."""

    results_ref: NonEmptyStr = Field(description="Where the results are (report, model card).")
    criteria_met: bool | None = automated("Whether the acceptance criteria were met.")
    decision: NonEmptyStr = Field(description="Decision taken.")


class ExperimentPlan(DocumentBase):
    """An experiment plan (OSF preregistration, NeurIPS, MLRC, REFORMS)."""

    kind: Literal["experiment_plan"] = Field(description="Document kind: experiment_plan.")
    meta: ExperimentPlanMeta = Field(description="Header, with the plan's life-cycle status.")
    title: NonEmptyStr = Field(description="Title of the study.")
    description: NonEmptyStr = Field(description="Background, and why machine learning is used.")
    research_questions: list[NonEmptyStr] = Field(
        min_length=1, description="Questions, naming the population the claims are about."
    )
    hypotheses: list[Hypothesis] = Field(min_length=1, description="Testable hypotheses.")
    study_type: Literal["comparison", "ablation", "hp_study", "replication", "exploratory"] = Field(
        description="Kind of study."
    )
    baselines: list[Baseline] = Field(min_length=1, description="Baselines and why each.")
    interventions: list[Intervention] = Field(description="Treatment arms.")
    metrics: ExperimentMetrics = Field(description="Primary, secondary and guardrail metrics.")
    datasets: list[DatasetRef] = Field(min_length=1, description="Versioned data, by dataset card.")
    data_status: DataStatus = Field(description="Has the test data been looked at yet?")
    splits: SplitPlan = Field(description="Split definition and leakage checks.")
    preprocessing_and_exclusions: Answer = Field(
        description="Transformations, exclusions and missing-data handling, fixed in advance."
    )
    sample_size: SampleSize = Field(description="Seeds and why they suffice.")
    hparam_search: HparamSearch = Field(description="Tuning protocol.")
    randomization_blinding: Answer | None = Field(
        default=None, description="Randomisation and blinding, e.g. test set locked until the end."
    )
    statistical_analysis: StatisticalAnalysis = Field(description="Tests and intervals.")
    acceptance_criteria: list[AcceptanceCriterion] = Field(
        min_length=1, description="Ship / no-ship rules."
    )
    stop_criteria: list[StopRule] = Field(min_length=1, description="When to stop.")
    expected_failure_modes: list[FailureMode] = Field(
        min_length=1, description="Anticipated failures."
    )
    exploratory_analyses: Answer | None = Field(
        default=None, description="Analyses that are not confirmatory."
    )
    compute_estimate: ComputeEstimate = Field(description="Compute budget.")
    timeline: list[Milestone] = Field(min_length=1, description="Schedule.")
    code: CodeSpec | None = automated("Reproduction entry point.")
    assets_licenses: list[ThirdPartyAsset] = Field(description="Third-party assets and licences.")
    involves_human_subjects: bool = Field(
        default=False, description="true when people take part (makes human_subjects required)."
    )
    human_subjects: OrNA[HumanSubjects] | None = conditional(
        "IRB, risks, instructions and pay of participants.", "involves_human_subjects is true"
    )
    ethics_and_impacts: Answer = Field(description="Ethics and impacts; link the risk checklist.")
    llm_usage: Answer | None = Field(default=None, description="Use of LLMs in the research.")
    registration: Registration | None = conditional(
        "Registration date and criteria fingerprint.", "meta.status is registered or later"
    )
    deviations: list[Deviation] | None = conditional(
        "Changes after registration.", "meta.status is registered or later"
    )
    outcome: Outcome | None = conditional("Results and decision.", "meta.status is completed")

    def _conditions(self) -> list[tuple[tuple[str | int, ...], Any, str | None]]:
        status = self.meta.status
        frozen = status in ("registered", "running", "completed")
        return [
            (
                ("human_subjects",),
                self.human_subjects,
                self._when(self.involves_human_subjects, "involves_human_subjects is true"),
            ),
            (("registration",), self.registration, f"meta.status is {status}" if frozen else None),
            (("deviations",), self.deviations, f"meta.status is {status}" if frozen else None),
            (
                ("outcome",),
                self.outcome,
                "meta.status is completed" if status == "completed" else None,
            ),
        ]


def _guardrail_record(g: Guardrail) -> dict[str, Any]:
    # vs and check_id came later: left out while unset, so plans registered before
    # them keep their fingerprint
    record = g.model_dump(mode="json")
    for key in ("vs", "check_id"):
        if record[key] is None:
            del record[key]
    return record


def criteria_fingerprint(plan: ExperimentPlan) -> str:
    """SHA-256 of the plan's acceptance criteria and guardrails, canonically serialised.

    Parameters
    ----------
    plan
        A validated experiment plan.

    Returns
    -------
    str
        64 hexadecimal characters; record it in ``registration.criteria_sha256``.
    """
    frozen = {
        "acceptance_criteria": [c.model_dump(mode="json") for c in plan.acceptance_criteria],
        "guardrail": [_guardrail_record(g) for g in plan.metrics.guardrail],
    }
    text = json.dumps(frozen, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def criterion_refs(
    plan: ExperimentPlan,
) -> list[tuple[str, tuple[str | int, ...], AcceptanceCriterion | Guardrail]]:
    """Each criterion with its reference (``acceptance_criteria[0]``) and field path.

    The reference is what a deviation's ``criteria`` names, and what
    diagnostics print, so it can be copied from one to the other.
    """
    out: list[tuple[str, tuple[str | int, ...], AcceptanceCriterion | Guardrail]] = []
    for i, c in enumerate(plan.acceptance_criteria):
        out.append((f"acceptance_criteria[{i}]", ("acceptance_criteria", i), c))
    for i, g in enumerate(plan.metrics.guardrail):
        out.append((f"metrics.guardrail[{i}]", ("metrics", "guardrail", i), g))
    return out
