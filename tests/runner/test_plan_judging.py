"""Judging plan criteria on given measurements: vs criteria, guardrails, and error rates.

The paired measurements (``vs``) are built here directly: what matters is which
figure a criterion reads and how it is judged. The simulation at the end
measures how often the plan's judging rules get a known truth wrong.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from govkit.checks.classification import Classification
from govkit.documents.load import load_document
from govkit.report import CheckResult, Measurement, PlanResult
from govkit.runner.plan import PlannedCheck
from govkit.runner.plan_criteria import ProjectPlan, evaluate_plan
from govkit.stats.rates import wilson_interval
from govkit.suite import Threshold
from tests.helpers import minimal

CHECK = "performance.classification"


def _plan(
    tmp_path: Path, criteria: list[dict[str, Any]], guardrails: list[dict[str, Any]] | None = None
) -> ProjectPlan:
    doc = minimal("experiment_plan")
    doc["acceptance_criteria"] = criteria
    doc["metrics"]["guardrail"] = guardrails or []
    path = tmp_path / "plan.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return ProjectPlan(load_document(path), "plan.yaml")


def _result(measurements: list[Measurement], status: str = "pass") -> CheckResult:
    return CheckResult(
        id=CHECK,
        title="Classification",
        status=status,  # type: ignore[arg-type]
        blocking=False,
        message="measured",
        params={"min_group_size": 30},
        measurements=measurements,
    )


def _suite(*thresholds: Threshold) -> list[PlannedCheck]:
    return [
        PlannedCheck(
            id=CHECK,
            cls=Classification,
            params=Classification.Params(),
            thresholds=tuple(thresholds),
            severity="block",
            index=0,
        )
    ]


def _figures() -> list[Measurement]:
    return [
        Measurement(name="roc_auc", value=0.86, ci=(0.85, 0.87), n=2000),
        Measurement(name="roc_auc", value=0.84, ci=(0.83, 0.85), n=2000, model="logistic"),
        Measurement(name="roc_auc", value=0.012, ci=(0.004, 0.020), n=2000, vs="logistic"),
        Measurement(
            name="roc_auc",
            group={"sex": "Female"},
            value=-0.031,
            ci=(-0.05, -0.012),
            n=600,
            vs="logistic",
        ),
        Measurement(
            name="roc_auc",
            group={"sex": "Male"},
            value=0.02,
            ci=(0.01, 0.03),
            n=1400,
            vs="logistic",
        ),
        Measurement(name="ece", value=0.031, ci=(0.02, 0.04), n=2000, vs="logistic"),
    ]


def _judge(tmp_path: Path, criteria: list[dict[str, Any]], **kw: Any) -> PlanResult:
    guardrails = kw.pop("guardrails", None)
    suite = kw.pop("suite", _suite())
    return evaluate_plan(_plan(tmp_path, criteria, guardrails), [_result(_figures())], suite)


def test_absolute_criteria_read_the_candidate_not_a_baseline(tmp_path: Path) -> None:
    plan = _judge(tmp_path, [{"metric": "roc_auc", "op": ">=", "threshold": 0.85}])
    (c,) = plan.criteria
    assert (c.status, c.value, c.ci, c.n) == ("met", 0.86, (0.85, 0.87), 2000)


def test_vs_criterion_reads_the_paired_difference(tmp_path: Path) -> None:
    criterion = {"metric": "roc_auc", "op": ">=", "threshold": 0.01, "vs": "logistic"}
    point = _judge(tmp_path, [criterion]).criteria[0]
    assert (point.status, point.value) == ("met", 0.012)
    # the suite judges the same metric and baseline on the interval: the plan does too
    strict = Threshold(metric="roc_auc", vs="logistic", min=0.0, on="interval_strict")
    judged = _judge(tmp_path, [criterion], suite=_suite(strict)).criteria[0]
    assert judged.status == "not_met" and "0.004" in judged.reason


def test_a_regression_confined_to_one_group_is_named(tmp_path: Path) -> None:
    every = {"metric": "roc_auc", "op": ">=", "threshold": -0.005, "vs": "logistic", "slice": "*"}
    one = dict(every, slice="sex=Male")
    plan = _judge(tmp_path, [every, one])
    assert [c.status for c in plan.criteria] == ["not_met", "met"]
    assert plan.criteria[0].where == "sex=Female" and plan.criteria[0].value == -0.031
    assert "sex=Female" in plan.criteria[0].reason
    assert plan.criteria_met is False


def test_guardrails_bound_a_worsening_in_the_metrics_direction(tmp_path: Path) -> None:
    guardrails = [
        # AUC: higher is better; 0.012 better than the baseline is no worsening
        {"metric": "roc_auc", "max_degradation": 0.0, "vs": "logistic"},
        # ECE: lower is better; 0.031 worse than the baseline breaks 0.01
        {"metric": "ece", "max_degradation": 0.01, "vs": "logistic"},
        {"metric": "ece", "max_degradation": 0.05, "vs": "logistic"},
        # without a baseline there is nothing to measure a worsening against
        {"metric": "roc_auc", "max_degradation": 0.0},
    ]
    auc = {"metric": "roc_auc", "op": ">=", "threshold": 0.5}
    plan = _judge(tmp_path, [auc], guardrails=guardrails)
    statuses = [(c.ref, c.status) for c in plan.criteria[1:]]
    assert statuses == [
        ("metrics.guardrail[0]", "met"),
        ("metrics.guardrail[1]", "not_met"),
        ("metrics.guardrail[2]", "met"),
        ("metrics.guardrail[3]", "insufficient_evidence"),
    ]
    assert "names no baseline" in plan.criteria[4].reason
    assert plan.criteria[4].value is None  # the candidate's own figure is not a worsening


def test_strict_operators_refuse_a_figure_on_the_bound(tmp_path: Path) -> None:
    plan = _judge(
        tmp_path,
        [
            {"metric": "roc_auc", "op": ">=", "threshold": 0.86},
            {"metric": "roc_auc", "op": ">", "threshold": 0.86},
        ],
    )
    assert [c.status for c in plan.criteria] == ["met", "not_met"]


def test_a_skipped_check_or_a_missing_value_is_insufficient_evidence(tmp_path: Path) -> None:
    plan = _plan(tmp_path, [{"metric": "roc_auc", "op": ">=", "threshold": 0.5}])
    skipped = evaluate_plan(plan, [_result([], status="skipped")], _suite())
    assert skipped.criteria[0].status == "insufficient_evidence"
    assert skipped.criteria_met is None
    unknown = [Measurement(name="roc_auc", value=None, n=12)]
    assert evaluate_plan(plan, [_result(unknown)], _suite()).criteria[0].status == (
        "insufficient_evidence"
    )


@pytest.mark.parametrize(
    ("on", "truth", "largest_wrong_rate"),
    [
        # the point rule on a model well inside / well beyond the bound
        ("point", 0.85, 0.01),
        ("point", 0.75, 0.01),
        # pass only when the whole 95% interval meets the bound: a model exactly on the
        # bound passes at most about 2.5% of the time
        ("interval_strict", 0.80, 0.04),
    ],
)
def test_operating_characteristics_of_an_accuracy_criterion(
    tmp_path: Path, on: str, truth: float, largest_wrong_rate: float
) -> None:
    """``accuracy >= 0.80`` on 1,000 rows, 400 seeded replications per truth."""
    n, reps = 1000, 400
    plan = _plan(tmp_path, [{"metric": "accuracy", "op": ">=", "threshold": 0.80}])
    suite = _suite(Threshold.model_validate({"metric": "accuracy", "min": 0.80, "on": on}))
    hits = np.random.default_rng(7).binomial(n, truth, size=reps)
    lo, hi = wilson_interval(hits.astype(float), np.full(reps, float(n)), 0.95)
    met = 0
    for k in range(reps):
        figure = Measurement(
            name="accuracy", value=hits[k] / n, ci=(float(lo[k]), float(hi[k])), n=n
        )
        status = evaluate_plan(plan, [_result([figure])], suite).criteria[0].status
        met += status == "met"
    # the truth meets the bound when above it; on the bound, "met" is the error that matters
    wrong = (reps - met) / reps if truth > 0.80 else met / reps
    assert wrong <= largest_wrong_rate, f"wrong decisions: {wrong:.3f}"


def test_the_adult_plan_can_be_judged_by_the_adult_suite() -> None:
    """Every criterion of the registered Adult plan names a metric its suite measures."""
    from govkit.project import load_project_file
    from govkit.runner.plan_criteria import check_plan_inputs, find_plan
    from govkit.suite import load_suite
    from tests.helpers import REPO

    project = load_project_file(REPO / "examples" / "adult" / "govkit.yaml")
    plan = find_plan(project)
    assert plan is not None and plan.frozen
    suite = load_suite(project.model.suite, project.root)
    check_plan_inputs(
        plan, [e.id for e in suite.model.checks], [b.name for b in project.model.baselines]
    )
