"""The experiment plan, executed: its criteria judged against the run's measurements.

When the project's documents include an experiment plan, each acceptance
criterion and guardrail becomes a threshold on the figures the checks
reported, and :func:`govkit.runner.judge.judge` decides it, so a criterion and
a suite threshold on the same figures cannot disagree about the rules:

- the figures: the result of ``check_id`` (or the one check of the suite that
  measures the metric), its measurements named ``metric`` whose ``vs`` is the
  criterion's (the candidate's own figure when it has none; the paired
  difference candidate minus that baseline when it names one), in the
  criterion's ``slice``: overall; one grouping's gap (``sex``, ``sex&race``);
  one group (``sex=Female``); or every figure (``*``). A metric with no overall
  figure (a gap across groups) read with an empty slice means each grouping's
  gap. Every figure selected must meet the criterion; the worst is reported.
- which end of the interval is judged: the suite's ``on`` for the same check,
  metric and ``vs`` when it has such a threshold, so plan and suite agree;
  else the point estimate, as the plan states a bound on the figure itself.
- ``>`` and ``<`` are strict: a figure exactly on the bound does not meet them.
- evidence: a figure without a value, a check that was skipped or errored, a
  figure on fewer than the check's ``min_group_size`` rows, or a check short of
  rows in some group when the criterion reads groups, is
  ``insufficient_evidence``, never ``met``.
- a guardrail bounds a worsening against its baseline: the paired difference
  may be at most ``max_degradation`` worse, in the metric's own direction.

In a registered plan (``meta.status`` registered, running or completed), a
criterion that is not met blocks the release like a failed blocking check,
unless a recorded deviation names it in its ``criteria``: then it is a
warning the packet shows beside the criterion. A draft plan is reported and
never blocks.

A criterion that could never be judged is an input error found before any
check runs (exit 2, at the criterion's line): a metric that no check of the
suite measures, a metric measured by several checks without ``check_id``, a
``check_id`` that is not in the suite, and a ``vs`` naming no baseline of
govkit.yaml.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from govkit.checks.base import Evidence
from govkit.checks.measures import measured_by
from govkit.diagnostics import Diagnostic, closest
from govkit.documents.experiment_plan import (
    AcceptanceCriterion,
    ExperimentPlan,
    Guardrail,
    PlanSlice,
    criterion_refs,
    parse_slice,
)
from govkit.errors import ConfigError, GovkitError
from govkit.report import CheckResult, CriterionStatus, Measurement, PlanCriterion, PlanResult
from govkit.runner.judge import format_number, judge
from govkit.safe_text import visible
from govkit.suite import Threshold

if TYPE_CHECKING:
    from govkit.documents.load import LoadedDocument
    from govkit.project import Project
    from govkit.runner.plan import PlannedCheck

__all__ = [
    "FROZEN_STATUSES",
    "ProjectPlan",
    "check_plan_inputs",
    "evaluate_plan",
    "find_plan",
    "format_plan",
    "plan_blockers",
]

#: plan statuses whose criteria gate the release
FROZEN_STATUSES = frozenset({"registered", "running", "completed"})

# Metrics whose larger value is worse, for reading a guardrail's worsening. Every
# figure of a privacy attack is worse when larger, whatever its name.
_LOWER_IS_BETTER = frozenset(
    {
        "log_loss",
        "brier_score",
        "ece",
        "counterfactual_flip_rate",
        "sensitive_attribution_share",
        "proxy_attribution_share",
        "pii_row_share",
        "small_class_share",
        "unique_row_share",
        "missing_rate",
        "missing_row_rate",
    }
)
_HIGHER_IS_BETTER = frozenset(
    {"accuracy", "balanced_accuracy", "precision", "recall", "f1", "roc_auc", "k", "l_diversity"}
)

Criterion = AcceptanceCriterion | Guardrail
JudgedOn = Literal["point", "interval_lenient", "interval_strict"]


@dataclass(frozen=True)
class ProjectPlan:
    """The project's experiment plan, with the file it came from (for located errors)."""

    document: LoadedDocument
    #: the path as govkit.yaml lists it
    listed: str

    @property
    def model(self) -> ExperimentPlan:
        plan = self.document.model
        assert isinstance(plan, ExperimentPlan)
        return plan

    @property
    def frozen(self) -> bool:
        return self.model.meta.status in FROZEN_STATUSES


def find_plan(project: Project) -> ProjectPlan | None:
    """The first experiment plan among the project's documents; None when there is none.

    An invalid plan is left out with a warning, as every invalid document is:
    ``govkit validate`` is where documents are judged.
    """
    from govkit.documents.load import load_document

    for listed in project.model.documents:
        path = project.resolve(listed)
        if not path.is_file():
            continue
        try:
            doc = load_document(path, display=listed, roots=(project.root,))
        except GovkitError:
            continue  # the documents' loader warns about it once
        if doc.kind == "experiment_plan":
            return ProjectPlan(doc, listed)
    return None


def _criterion_text(c: Criterion) -> tuple[str, float]:
    if isinstance(c, AcceptanceCriterion):
        return c.op, c.threshold
    return "worse by at most", c.max_degradation


def check_plan_inputs(
    plan: ProjectPlan, check_ids: Sequence[str], baselines: Sequence[str]
) -> None:
    """ConfigError (exit 2) naming every criterion that no run of this suite could judge.

    ``check_ids`` are the suite's checks (and any ``--only`` check outside it): a
    criterion on a check that ``--only`` left out is not an error, it lacks evidence.
    """
    ran = list(check_ids)
    problems: list[Diagnostic] = []
    doc = plan.document
    for ref, loc, c in criterion_refs(plan.model):
        if c.vs is not None and c.vs not in baselines:
            known = ", ".join(baselines) or "none"
            problems.append(
                doc.diagnostic(
                    (*loc, "vs"),
                    f"{ref}: vs names the baseline '{c.vs}', which govkit.yaml does not define "
                    f"(baselines: {known})",
                    hint="add it under `baselines:` in govkit.yaml, or correct the name",
                    code="unknown_baseline",
                )
            )
        if c.check_id is not None and c.check_id not in ran:
            problems.append(
                doc.diagnostic(
                    (*loc, "check_id"),
                    f"{ref}: check_id '{c.check_id}' is not in this run's suite",
                    hint=_did_you_mean(c.check_id, ran, "add the check to the suite"),
                    code="unknown_check",
                )
            )
            continue
        ids = [c.check_id] if c.check_id is not None else ran
        declared = {i: measured_by(i) for i in ids}
        if any(names is None for names in declared.values()):
            continue  # a third-party check declares nothing: judged on what it reports
        measuring = [i for i, names in declared.items() if names and c.metric in names]
        if not measuring:
            names = sorted(set().union(*(n or frozenset() for n in declared.values())))
            where = f"check '{c.check_id}'" if c.check_id else "no check of the suite"
            problems.append(
                doc.diagnostic(
                    (*loc, "metric"),
                    f"{ref}: metric '{c.metric}' is measured by {where}"
                    + (" (it does not measure it)" if c.check_id else ""),
                    hint=_did_you_mean(
                        c.metric, names, "name a metric the check reports, or set check_id"
                    ),
                    code="unmeasured_metric",
                )
            )
        elif len(measuring) > 1 and c.check_id is None:
            problems.append(
                doc.diagnostic(
                    (*loc, "metric"),
                    f"{ref}: metric '{c.metric}' is measured by several checks "
                    f"({', '.join(measuring)})",
                    hint=f"set check_id to the one meant, e.g. check_id: {measuring[0]}",
                    code="ambiguous_metric",
                )
            )
    if problems:
        raise ConfigError(
            f"{doc.display}: {len(problems)} criterion problem(s)", diagnostics=problems
        )


def _did_you_mean(word: str, choices: Sequence[str], otherwise: str) -> str:
    guess = closest(word, list(choices))
    return f"did you mean '{guess}'?" if guess else otherwise


def _higher_is_better(c: Criterion, check_id: str, plan: ExperimentPlan) -> bool | None:
    if check_id.startswith("privacy.") or c.metric.endswith("_difference"):
        return False
    if c.metric.endswith("_ratio"):
        return True
    specs = [plan.metrics.primary, *plan.metrics.secondary]
    stated = next((s.higher_is_better for s in specs if s.name == c.metric), None)
    if stated is not None:
        return stated
    if c.metric in _HIGHER_IS_BETTER:
        return True
    if c.metric in _LOWER_IS_BETTER or c.metric.endswith(("_share", "_count")):
        return False
    return None


def _bound(
    c: Criterion, check_id: str, plan: ExperimentPlan, on: JudgedOn
) -> tuple[Threshold | None, str | None]:
    """The criterion as a suite threshold; or None and why it cannot be one."""
    if isinstance(c, AcceptanceCriterion):
        key = "min" if c.op in (">=", ">") else "max"
        bound = {"metric": c.metric, key: c.threshold, "on": on, "vs": c.vs}
        return Threshold.model_validate(bound), None
    higher = _higher_is_better(c, check_id, plan)
    if higher is None:
        return None, (
            f"which direction of '{c.metric}' is worse is unknown; list it under "
            "metrics.secondary with higher_is_better"
        )
    if higher:
        return Threshold(metric=c.metric, min=-c.max_degradation, on=on, vs=c.vs), None
    return Threshold(metric=c.metric, max=c.max_degradation, on=on, vs=c.vs), None


def _selected(measurements: list[Measurement], c: Criterion, where: PlanSlice) -> list[Measurement]:
    # a plan's criterion is about the model, so it reads the seed-level figure (the mean)
    named = [
        m
        for m in measurements
        if m.name == c.metric and m.model is None and m.vs == c.vs and m.seed is None
    ]
    if where.every:
        return named
    if where.group is not None:
        wanted = dict(where.group)
        return [m for m in named if m.group == wanted]
    if where.feature is not None:
        return [m for m in named if m.group is None and m.feature == where.feature]
    overall = [m for m in named if m.group is None and m.feature is None]
    # a gap across groups has no overall figure: an empty slice reads each grouping's gap
    return overall or [m for m in named if m.group is None and m.feature is not None]


def _result_for(c: Criterion, results: list[CheckResult]) -> CheckResult | None:
    if c.check_id is not None:
        return next((r for r in results if r.id == c.check_id), None)
    return next((r for r in results if any(m.name == c.metric for m in r.measurements)), None)


def _suite_on(check_id: str, c: Criterion, suite: Sequence[PlannedCheck]) -> JudgedOn:
    for planned in suite:
        if planned.id != check_id:
            continue
        for t in planned.thresholds:
            if t.metric == c.metric and t.vs == c.vs:
                return t.on
    return "point"


@dataclass(frozen=True)
class _Verdict:
    status: CriterionStatus
    reason: str
    figure: Measurement | None = None


def _judge_one(
    c: Criterion, plan: ExperimentPlan, results: list[CheckResult], suite: Sequence[PlannedCheck]
) -> _Verdict:
    result = _result_for(c, results)
    if result is None:
        where = f"check '{c.check_id}'" if c.check_id else f"no check reported '{c.metric}'"
        return _Verdict("insufficient_evidence", f"{where} did not run in this run.")
    if result.status in ("skipped", "error"):
        return _Verdict(
            "insufficient_evidence", f"{result.id} {result.status}: {result.message.rstrip('.')}."
        )
    if isinstance(c, Guardrail) and c.vs is None:
        # no figure is shown: the candidate's own value is not a worsening
        return _Verdict(
            "insufficient_evidence",
            "A guardrail bounds a worsening, and it names no baseline (vs) to measure it against.",
        )
    selector = parse_slice(c.slice)
    figures = _selected(result.measurements, c, selector)
    whose = f" minus baseline '{c.vs}'" if c.vs else ""
    if not figures:
        return _Verdict(
            "insufficient_evidence",
            f"{result.id} reported no figure of {c.metric}{whose} for {selector.describe()}.",
        )
    threshold, why_not = _bound(c, result.id, plan, _suite_on(result.id, c, suite))
    if threshold is None:
        reason = why_not or "it cannot be judged"
        return _Verdict("insufficient_evidence", f"{reason[0].upper()}{reason[1:]}.", figures[0])
    min_group_size = result.params.get("min_group_size")
    verdict = judge(
        Evidence(measurements=figures),
        [threshold],
        min_group_size=min_group_size if isinstance(min_group_size, int) else None,
    )
    worst = max(verdict.findings, key=lambda f: f.margin, default=None)
    figure = worst.measurement if worst is not None else figures[0]
    reads_groups = any(m.group is not None or m.feature is not None for m in figures)
    if verdict.status == "fail":
        return _Verdict("not_met", verdict.message, figure)
    if verdict.status != "pass":
        return _Verdict("insufficient_evidence", verdict.message, figure)
    if reads_groups and result.status == "insufficient_evidence":
        return _Verdict(
            "insufficient_evidence",
            f"{result.id} lacks rows in some group: {result.message.rstrip('.')}.",
            figure,
        )
    if (
        isinstance(c, AcceptanceCriterion)
        and c.op in (">", "<")
        and worst is not None
        and worst.margin == 0
    ):
        return _Verdict(
            "not_met",
            f"{c.metric} is {format_number(c.threshold)}, on the bound, and {c.op} is strict.",
            figure,
        )
    return _Verdict("met", verdict.message, figure)


def evaluate_plan(
    plan: ProjectPlan,
    results: list[CheckResult],
    suite: Sequence[PlannedCheck],
    *,
    checkpoints: int = 1,
) -> PlanResult:
    """Every criterion of ``plan`` judged against ``results``; see the module's rules.

    ``checkpoints`` is the number of training seeds the run measured. Fewer than
    the plan's ``sample_size.n_seeds`` makes every criterion
    ``insufficient_evidence``: the figures may come from the best of the seeds
    trained, which is exactly what promising a number of seeds rules out.
    """
    model = plan.model
    promised = model.sample_size.n_seeds
    short = (
        f"the plan promised {promised} training seeds (sample_size.n_seeds) and the run "
        f"measured {checkpoints} checkpoint(s); figures from fewer seeds than promised "
        "may be the best seed's, so no criterion is judged; give every seed's checkpoint "
        "in model.paths"
        if checkpoints < promised
        else None
    )
    deviations: dict[str, str] = {}
    for d in model.deviations or []:
        for ref in d.criteria:
            deviations.setdefault(ref, f"{d.date.isoformat()}: {d.change.strip()}")
    criteria: list[PlanCriterion] = []
    for ref, _, c in criterion_refs(model):
        verdict = _judge_one(c, model, results, suite)
        if short is not None:
            verdict = dataclasses.replace(verdict, status="insufficient_evidence", reason=short)
        op, threshold = _criterion_text(c)
        figure = verdict.figure
        deviation = deviations.get(ref)
        criteria.append(
            PlanCriterion(
                ref=ref,
                kind="acceptance" if isinstance(c, AcceptanceCriterion) else "guardrail",
                metric=c.metric,
                op=op,
                threshold=threshold,
                vs=c.vs,
                slice=c.slice,
                check_id=c.check_id,
                value=_finite(figure.value) if figure else None,
                ci=figure.ci if figure else None,
                n=figure.n if figure else None,
                where=_where(figure),
                status=verdict.status,
                reason=verdict.reason,
                deviation=deviation,
                blocking=plan.frozen and verdict.status != "met" and deviation is None,
            )
        )
    statuses = {c.status for c in criteria}
    met: bool | None = False if "not_met" in statuses else (True if statuses <= {"met"} else None)
    return PlanResult(
        document=plan.listed, registered=plan.frozen, criteria=criteria, criteria_met=met
    )


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def _where(m: Measurement | None) -> str | None:
    if m is None:
        return None
    if m.group:
        return ", ".join(f"{k}={v}" for k, v in m.group.items())
    return m.feature


def plan_blockers(plan: PlanResult | None) -> list[PlanCriterion]:
    """The criteria that block the release (only a registered plan's can)."""
    return [c for c in plan.criteria if c.blocking] if plan is not None else []


def format_plan(plan: PlanResult) -> str:
    """The plan-versus-result table ``govkit check`` prints after its summary."""
    rows = [("CRITERION", "METRIC", "BOUND", "VALUE [95% CI]", "N", "STATUS")]
    for c in plan.criteria:
        bound = f"{c.op} {format_number(c.threshold)}"
        if c.vs:
            bound += f" vs {c.vs}"
        metric = c.metric + (f" ({c.slice})" if c.slice else "")
        value = "n/a" if c.value is None else format_number(c.value)
        if c.value is not None and c.ci is not None:
            value += f" [{format_number(c.ci[0])}, {format_number(c.ci[1])}]"
        if c.where and c.value is not None:
            value += f" at {c.where}"
        status = c.status + (" (deviation)" if c.deviation and c.status != "met" else "")
        if c.blocking:
            status += ", blocks"
        rows.append((c.ref, metric, bound, value, "-" if c.n is None else str(c.n), status))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    kind = "registered" if plan.registered else "draft (reported, never blocks)"
    met = {True: "all criteria met", False: "criteria not met", None: "evidence incomplete"}
    head = f"Plan versus result: {plan.document}, {kind}: {met[plan.criteria_met]}"
    notes = [
        f"- {c.ref}: {c.reason}" + (f" Deviation {c.deviation}" if c.deviation else "")
        for c in plan.criteria
        if c.status != "met"
    ]
    # a reason can quote group values from the data: no escape sequence reaches the terminal
    text = "\n".join([head, *lines, *([""] if notes else []), *notes]) + "\n"
    return visible(text, keep_newlines=True)
