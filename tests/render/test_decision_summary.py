"""The decision summary: the packet's first pages say what is decided and on what evidence."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from govkit.project import load_project_file
from govkit.render.context import build_context
from govkit.render.packet import load_inputs, render_markdown
from govkit.report import Report, ResultWaiver
from tests.helpers import FINISHED_AT, add_approval, make_project

DPD = "fairness.demographic_parity"


def _blocking_report(report: Report) -> Report:
    """The fixture's report with demographic parity failing the gate unwaived, as the runner records it."""
    results = []
    for r in report.results:
        if r.id == DPD:
            r = r.model_copy(
                update={
                    "blocking": True,
                    "waiver": None,
                    "threshold": {
                        "severity": "block",
                        "rules": [{"metric": "demographic_parity_difference", "max": 0.1}],
                    },
                }
            )
        results.append(r)
    return report.model_copy(update={"results": results, "status": "fail"})


def _risky(data: dict[str, Any]) -> None:
    risk = data["risks"][0]
    risk["residual_likelihood"], risk["residual_severity"] = 3, 4  # 12 > threshold 6
    risk["status"] = "open"
    second = dict(risk, id="R2", title="A closed risk", status="closed")
    data["risks"].append(second)


def _context(tmp_path: Path, report: Report, edits: dict[str, Any] | None = None) -> Any:
    project = load_project_file(make_project(tmp_path, report=report, edits=edits))
    return build_context(load_inputs(project, None))


def test_each_blocking_finding_has_figure_interval_n_bound_and_distance(
    tmp_path: Path, report: Report
) -> None:
    blocked = _blocking_report(report)
    ctx = _context(tmp_path, blocked)
    d = ctx.decision
    assert d.verdict.startswith("Release blocked: 1 of")
    assert f"{DPD} fails" in d.verdict
    failing = [
        m
        for m in blocked.result(DPD).measurements  # type: ignore[union-attr]
        if m.name == "demographic_parity_difference" and (m.value or 0) > 0.1
    ]
    assert failing
    worst = max(failing, key=lambda m: m.value or 0.0)
    line = d.blocking[0]
    assert (line.check, line.where) == (DPD, worst.feature)
    assert line.figure.startswith("demographic_parity_difference ")
    assert re.search(r"\[[0-9.]+, [0-9.]+\]", line.figure)
    assert line.n == f"{worst.n:,}"
    assert line.bound == "at most 0.10"
    past = float(line.past.split(" ")[0])
    assert past == pytest.approx((worst.value or 0.0) - 0.1, abs=0.006)
    # the same lines head report.md, before the check results
    md = render_markdown(ctx, None)["report.md"]
    summary = md.index("## Decision summary")
    assert summary < md.index("## Summary") < md.index("## Results")
    assert "| fairness.demographic\\_parity | " in md[summary : md.index("## Summary")]
    # its threshold reads as a sentence in the check results
    assert "- **Threshold:** demographic\\_parity\\_difference on sex" in md
    assert "must be at most 0.10 (blocking)" in md


def test_a_passing_report_says_the_release_may_proceed_and_lists_its_waivers(
    tmp_path: Path, report: Report
) -> None:
    d = _context(tmp_path, report).decision
    assert d.verdict.startswith("Release may proceed")
    assert "1 failing result(s) are accepted by a waiver" in d.verdict
    assert not d.blocking
    (w,) = d.waivers
    assert (w.check, w.owner, w.expires) == (DPD, "Review Board", "2027-05-31")
    # days left count from the report's end, not from today's clock
    finished = date.fromisoformat(FINISHED_AT[:10])
    assert w.days_left == (date(2027, 5, 31) - finished).days
    assert w.days_text == f"{w.days_left} day(s)"


def test_an_expired_waiver_says_so(tmp_path: Path, report: Report) -> None:
    results = [
        r.model_copy(
            update={
                "waiver": ResultWaiver(
                    owner="Board", justification="Old.", expires=date(2025, 3, 1), feature="sex"
                )
            }
        )
        if r.id == DPD
        else r
        for r in report.results
    ]
    d = _context(tmp_path, report.model_copy(update={"results": results})).decision
    (w,) = d.waivers
    assert w.days_left == -3 and w.days_text == "expired 3 day(s) before the report"
    assert w.scope == "column sex"


def test_open_risks_above_the_threshold_and_who_must_sign(tmp_path: Path, report: Report) -> None:
    ctx = _context(tmp_path, report, {"risk_checklist": _risky, "model_card": add_approval})
    (risk,) = ctx.decision.risks  # the closed one is not open, whatever its score
    assert (risk.residual, risk.threshold, risk.status) == (12, 6, "open")
    owners = {(s.document, s.role, s.name): s for s in ctx.signoff}
    model_card = next(s for s in ctx.signoff if s.document == "Minimal model card")
    assert model_card.signed is False and "no approval" in model_card.detail
    assert any(s.role == "decides go / no-go" for s in owners.values())
    # an approval by an owner's name counts as their signature
    edits = {
        "model_card": lambda data: data["meta"].update(
            approvals=[
                {
                    "name": data["meta"]["owners"][0]["name"],
                    "role": "owner",
                    "date": date(2025, 3, 5),
                    "decision": "approved",
                }
            ]
        )
    }
    signed = _context(tmp_path / "signed", report, edits).signoff
    card = next(s for s in signed if s.document == "Minimal model card")
    assert card.signed is True and card.detail == "approved on 2025-03-05"


def test_what_is_missing_names_skipped_checks_and_required_gaps(
    tmp_path: Path, report: Report
) -> None:
    d = _context(tmp_path, report).decision
    skipped = [r for r in report.results if r.status == "skipped"]
    assert skipped
    for r in skipped:
        assert any(line.startswith(f"{r.id} skipped: ") for line in d.missing), r.id
    assert any(line.startswith("Standards coverage: ") for line in d.missing)


def test_what_is_missing_names_controls_the_report_does_not_hold(
    tmp_path: Path, report: Report
) -> None:
    def controls(data: dict[str, Any]) -> None:
        data["risks"][0]["controls"] = [DPD, "robustness.missing_check"]

    d = _context(tmp_path, report, {"risk_checklist": controls}).decision
    risk_id = next(line for line in d.missing if line.startswith("risk "))
    assert "robustness.missing_check" in risk_id and DPD not in risk_id


def test_the_packet_puts_the_decision_first(rendered: Path) -> None:
    html = (rendered / "packet.html").read_text(encoding="utf-8")
    order = [
        'id="decision"',
        'id="results"',
        'id="traceability"',
        'id="coverage"',
        '<section class="document"',
        'id="provenance"',
        'id="methods"',
    ]
    places = [html.index(marker) for marker in order]
    assert places == sorted(places)
    decision = html[places[0] : places[1]]
    for heading in ("Blocking findings", "Waivers", "Still missing", "Who must sign"):
        assert f">{heading}</h2>" in decision
    # every chart's image carries its text alternative as alt and title
    images = re.findall(r"<img [^>]*>", html)
    assert images
    for tag in images:
        alt = re.search(r'alt="([^"]+)"', tag)
        assert alt and len(alt.group(1)) > 30 and f'title="{alt.group(1)}"' in tag, tag[-300:]
    assert any("by group: lowest" in tag for tag in images)


def test_a_report_with_a_plan_exposes_it_and_renders(tmp_path: Path, report: Report) -> None:
    from govkit.report import PlanCriterion, PlanResult

    plan = PlanResult(
        document="docs/experiment_plan.yaml",
        registered=True,
        criteria=[
            PlanCriterion(
                ref="acceptance_criteria[0]",
                kind="acceptance",
                metric="accuracy",
                op=">=",
                threshold=0.7,
                value=0.8,
                ci=(0.78, 0.82),
                n=2000,
                status="met",
                reason="accuracy 0.80 [0.78, 0.82] is at least 0.70.",
            )
        ],
        criteria_met=True,
    )
    ctx = _context(tmp_path, report.model_copy(update={"plan": plan}))
    assert ctx.plan is not None and [row.ref for row in ctx.plan.rows] == ["acceptance_criteria[0]"]
    # the plan-versus-result table sits in the decision summary, after the waivers
    md = render_markdown(ctx, None)["report.md"]
    assert (
        md.index("### Waivers")
        < md.index("### Plan versus result")
        < md.index("### Open risks above the acceptance threshold")
    )
    assert "| acceptance\\_criteria\\[0\\] |" in md
