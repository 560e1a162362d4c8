"""Where the suite and the experiment plan disagree about the same figure.

A project gates its release twice: by the suite's thresholds and by the
registered plan's acceptance criteria. When both bound the same metric (same
check, same ``vs``, same side) at different values, one of them is not what
the team means, and a reader of either file alone would be misled. ``govkit
validate`` warns, naming both places; it does not decide which is right.
"""

from __future__ import annotations

from pathlib import Path

from govkit.diagnostics import Diagnostic
from govkit.documents.experiment_plan import AcceptanceCriterion, ExperimentPlan, criterion_refs
from govkit.documents.load import LoadedDocument
from govkit.errors import GovkitError
from govkit.project import Project
from govkit.suite import LoadedSuite, load_suite

__all__ = ["plan_suite_warnings"]


def _side(c: AcceptanceCriterion) -> str:
    return "min" if c.op in (">=", ">") else "max"


def _where(suite: LoadedSuite, loc: tuple[str | int, ...]) -> str:
    line, _ = suite.locate(loc)
    return f"{suite.display}:{line}" if line is not None else suite.display


def plan_suite_warnings(project: Project, documents: list[LoadedDocument]) -> list[Diagnostic]:
    """One warning per plan criterion whose bound differs from the suite's on the same figure.

    Parameters
    ----------
    project
        The loaded govkit.yaml.
    documents
        The documents validated with it; its experiment plans among them are compared.
    """
    listed = {Path(project.resolve(d)).resolve() for d in project.model.documents}
    plans = [
        d
        for d in documents
        if isinstance(d.model, ExperimentPlan) and Path(d.path).resolve() in listed
    ]
    if not plans:
        return []
    try:
        suite = load_suite(project.model.suite, project.root)
    except GovkitError:
        return []  # the suite's own problems are `govkit check`'s to report
    out: list[Diagnostic] = []
    for doc in plans:
        plan = doc.model
        assert isinstance(plan, ExperimentPlan)
        for ref, loc, c in criterion_refs(plan):
            if not isinstance(c, AcceptanceCriterion):
                continue  # a guardrail bounds a change against a baseline, not a value
            side = _side(c)
            for i, entry in enumerate(suite.model.checks):
                if c.check_id is not None and entry.id != c.check_id:
                    continue
                for j, t in enumerate(entry.thresholds):
                    bound = t.min if side == "min" else t.max
                    if t.metric != c.metric or t.vs != c.vs or bound is None:
                        continue
                    if bound == c.threshold:
                        continue
                    where = _where(suite, ("checks", i, "thresholds", j, side))
                    out.append(
                        doc.diagnostic(
                            (*loc, "threshold"),
                            f"{ref}: the plan requires {c.metric} {c.op} {c.threshold:g}, but "
                            f"{where} ({entry.id}) gates it at {side} {bound:g}",
                            hint="make the two agree, or record in the plan why they differ",
                            code="plan_suite_disagree",
                            severity="warning",
                        )
                    )
    return out
