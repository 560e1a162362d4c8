"""The decision summary: the first pages of the packet, what a review board decides from.

A reviewer who reads only these pages must know what is being decided and on
what evidence: the verdict and its reason, every blocking finding with its
figure, interval, sample size, bound and how far past it, the waivers that
hide failures (with the days left, counted from the report's date so the
packet is reproducible), the risks still above the acceptance threshold,
what is missing, and who must sign.

The findings are not judged again by a rule of this module: each blocking
result's figures go back through :func:`govkit.runner.judge.judge` with the
thresholds the report records, so the summary names exactly the figures that
failed the gate, ordered by how far past the bound they lie.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from govkit.checks.base import Evidence
from govkit.render.coverage import CoverageView
from govkit.render.fields import FieldView, ListNode, MappingNode
from govkit.render.formatting import format_count, format_interval, format_value
from govkit.render.thresholds import bound_phrase, parse_rules
from govkit.report import CheckResult, Report, ResultWaiver
from govkit.runner.judge import describe_where, format_number, judge

__all__ = [
    "MAX_FINDINGS_PER_CHECK",
    "BlockingLine",
    "DecisionView",
    "OpenRisk",
    "SignoffRow",
    "WaiverLine",
    "decision_view",
    "signoff_rows",
]

#: failing figures listed per blocking check, worst first; the check results hold the rest
MAX_FINDINGS_PER_CHECK = 3

_STATUS_REASON = {
    "fail": "fails",
    "error": "could not run",
    "insufficient_evidence": "lacks the evidence to pass",
    "skipped": "was skipped",
}


@dataclass(frozen=True)
class BlockingLine:
    """One reason the gate blocks: a failing figure, or a check that could not be judged."""

    check: str
    where: str
    figure: str
    n: str
    bound: str
    past: str
    #: for a result without a failing figure (error, too little evidence): its message
    note: str = ""


@dataclass(frozen=True)
class WaiverLine:
    """A waiver that accepted a failing result, with the days it has left."""

    check: str
    scope: str
    owner: str
    justification: str
    expires: str
    days_left: int

    @property
    def days_text(self) -> str:
        if self.days_left < 0:
            return f"expired {-self.days_left} day(s) before the report"
        return f"{self.days_left} day(s)"


@dataclass(frozen=True)
class OpenRisk:
    """A risk not closed whose residual score is above its checklist's acceptance threshold."""

    document: str
    risk_id: str
    title: str
    residual: int
    threshold: int
    status: str
    accepted_by: str


@dataclass(frozen=True)
class SignoffRow:
    """Someone who must sign, and whether they have.

    ``signed`` is True when the document records their approval (or a
    signature of the packet names them), False when it does not, and None
    when it cannot be told.
    """

    document: str
    role: str
    name: str
    signed: bool | None
    detail: str


@dataclass(frozen=True)
class DecisionView:
    verdict: str
    blocking: tuple[BlockingLine, ...]
    more_findings: tuple[tuple[str, int], ...]
    waivers: tuple[WaiverLine, ...]
    risks: tuple[OpenRisk, ...]
    missing: tuple[str, ...]


def _verdict(report: Report | None) -> str:
    if report is None:
        return (
            "No verdict: there is no check report, so this packet holds the documents only "
            "and cannot support a release decision."
        )
    blocking = [r for r in report.results if r.blocking]
    waived = [r for r in report.results if r.waiver is not None and not r.blocking]
    total = len(report.results)
    if blocking:
        reasons = "; ".join(
            f"{r.id} {_STATUS_REASON.get(r.status, r.status)}" for r in blocking[:6]
        )
        if len(blocking) > 6:
            reasons += f"; and {len(blocking) - 6} more"
        return f"Release blocked: {len(blocking)} of {total} checks block the release ({reasons})."
    tail = f"; {len(waived)} failing result(s) are accepted by a waiver" if waived else ""
    return f"Release may proceed: none of the {total} checks blocks the release{tail}."


def _lines(r: CheckResult) -> tuple[list[BlockingLine], int]:
    """The failing figures of a blocking result, worst first (at most a few), and how many more."""
    parsed = parse_rules(r.threshold)
    failed = []
    if parsed is not None and r.status == "fail":
        findings = judge(Evidence(measurements=list(r.measurements)), parsed[1]).findings
        failed = sorted((f for f in findings if not f.passed), key=lambda f: -f.margin)
    if not failed:
        note = r.message
        return [BlockingLine(r.id, "—", "—", "—", "—", "—", note=note)], 0
    lines = []
    for f in failed[:MAX_FINDINGS_PER_CHECK]:
        m, t = f.measurement, f.threshold
        end = {"interval_lenient": "lenient", "interval_strict": "strict"}.get(t.on)
        past = f"{format_number(f.margin)} past"
        if end is not None and m.ci is not None:
            past += f" (the interval's {end} end)"
        figure = f"{m.name} {format_value(m.value)} {format_interval(m.ci)}"
        lines.append(
            BlockingLine(
                check=r.id,
                where=describe_where(m) or "overall",
                figure=figure,
                n=format_count(m.n),
                bound=bound_phrase(t),
                past=past,
            )
        )
    return lines, max(0, len(failed) - MAX_FINDINGS_PER_CHECK)


def _scope(w: ResultWaiver) -> str:
    parts = []
    if w.metric is not None:
        parts.append(f"metric {w.metric}")
    if w.feature is not None:
        parts.append(f"column {w.feature}")
    if w.group:
        parts.append("group " + ", ".join(f"{k}={v}" for k, v in w.group.items()))
    if w.limit is not None:
        parts.append(f"up to {format_number(w.limit)}")
    return ", ".join(parts) if parts else "every failure of the check"


def _waivers(report: Report, today: date) -> list[WaiverLine]:
    out = []
    for r in report.results:
        if r.waiver is None:
            continue
        for w in [r.waiver, *r.waiver.also]:
            out.append(
                WaiverLine(
                    check=r.id,
                    scope=_scope(w),
                    owner=w.owner,
                    justification=w.justification,
                    expires=w.expires.isoformat(),
                    days_left=(w.expires - today).days,
                )
            )
    return out


def _open_risks(models: Sequence[Any]) -> list[OpenRisk]:
    out = []
    for model in models:
        if getattr(model, "kind", None) != "risk_checklist":
            continue
        threshold = int(model.risk_criteria.acceptance_threshold)
        title = str(model.meta.title)
        for risk in model.risks:
            residual = int(risk.residual)
            if residual > threshold and risk.status != "closed":
                out.append(
                    OpenRisk(
                        document=title,
                        risk_id=str(risk.id),
                        title=str(risk.title),
                        residual=residual,
                        threshold=threshold,
                        status=str(risk.status),
                        accepted_by=str(risk.residual_accepted_by or "—"),
                    )
                )
    return out


def _required_gaps(fields: Sequence[FieldView], prefix: str = "") -> list[tuple[str, str]]:
    """``(path, condition)`` of every required or conditional field left empty, at any depth."""
    found: list[tuple[str, str]] = []
    for f in fields:
        path = f"{prefix}{f.name}"
        if f.missing and (f.required or f.required_when):
            found.append((path, f.required_when))
        node = f.node
        if isinstance(node, MappingNode):
            found.extend(_required_gaps(node.entries, path + "."))
        elif isinstance(node, ListNode):
            for i, item in enumerate(node.items):
                if isinstance(item, MappingNode):
                    found.extend(_required_gaps(item.entries, f"{path}[{i}]."))
    return found


def _controls_not_run(report: Report | None, models: Sequence[Any]) -> list[str]:
    """Risks whose controls name checks the report does not hold: evidence promised, not given."""
    if report is None:
        return []
    out = []
    for model in models:
        if getattr(model, "kind", None) != "risk_checklist":
            continue
        for risk in model.risks:
            absent = [c for c in risk.controls or [] if report.result(c) is None]
            if absent:
                out.append(
                    f"risk {risk.id} names control check(s) {', '.join(absent)}, "
                    "which the report does not hold"
                )
    return out


def _missing(
    report: Report | None,
    documents: Sequence[tuple[str, Sequence[FieldView]]],
    coverage: CoverageView | None,
) -> list[str]:
    out = []
    for title, fields in documents:
        gaps = _required_gaps(fields)
        if gaps:
            names = ", ".join(path for path, _ in gaps[:8])
            more = f" and {len(gaps) - 8} more" if len(gaps) > 8 else ""
            out.append(
                f"{title}: {len(gaps)} required or conditional field(s) empty ({names}{more}); "
                "each is marked Gap where it stands"
            )
    if coverage is not None:
        missing = [(row[0], int(row[2])) for row in coverage.totals if row[2].isdigit()]
        gaps_total = sum(n for _, n in missing)
        if gaps_total:
            worst = ", ".join(f"{name} {n}" for name, n in missing if n)
            out.append(f"Standards coverage: {gaps_total} item(s) not answered ({worst})")
    if report is not None:
        for r in report.results:
            # a blocking one is already a blocking finding, with its message
            if r.status in ("skipped", "insufficient_evidence", "error") and not r.blocking:
                word = {
                    "skipped": "skipped",
                    "insufficient_evidence": "without enough evidence",
                    "error": "could not run",
                }[r.status]
                out.append(f"{r.id} {word}: {r.message}")
    return out


def signoff_rows(models: Sequence[Any]) -> tuple[SignoffRow, ...]:
    """Who must sign: each document's owners, and who decides go / no-go in a risk
    checklist; signed when the document records that person's approval."""
    rows: list[SignoffRow] = []
    seen: set[tuple[str, str, str]] = set()
    for model in models:
        meta = getattr(model, "meta", None)
        if meta is None:
            continue
        title = str(meta.title)
        approvals = {str(a.name): a for a in getattr(meta, "approvals", []) or []}
        people = [(str(p.role), str(p.name)) for p in getattr(meta, "owners", []) or []]
        decision = getattr(model, "decision", None)
        if getattr(model, "kind", None) == "risk_checklist" and decision is not None:
            people.append(("decides go / no-go", str(decision.decided_by)))
        for role, name in people:
            key = (title, role, name)
            if key in seen:
                continue
            seen.add(key)
            approval = approvals.get(name)
            if approval is not None:
                detail = f"{str(approval.decision).replace('_', ' ')} on {approval.date}"
            else:
                detail = "no approval recorded in the document"
            rows.append(SignoffRow(title, role, name, approval is not None, detail))
    return tuple(rows)


def decision_view(
    report: Report | None,
    models: Sequence[Any],
    documents: Sequence[tuple[str, Sequence[FieldView]]],
    coverage: CoverageView | None,
    today: date,
) -> DecisionView:
    """The decision summary of a packet.

    Parameters
    ----------
    report
        The check report, or None for a documents-only packet.
    models
        The governance documents as loaded (risk checklists give the open risks,
        every document its owners and approvals).
    documents
        Each document's title and field views, for its required and conditional gaps.
    coverage
        The standards coverage matrix, for the items no document answers.
    today
        The packet's date (the report's ``finished_at``): waivers' days left count from it.
    """
    blocking: list[BlockingLine] = []
    more: list[tuple[str, int]] = []
    if report is not None:
        for r in report.results:
            if r.blocking:
                lines, extra = _lines(r)
                blocking.extend(lines)
                if extra:
                    more.append((r.id, extra))
    return DecisionView(
        verdict=_verdict(report),
        blocking=tuple(blocking),
        more_findings=tuple(more),
        waivers=tuple(_waivers(report, today)) if report is not None else (),
        risks=tuple(_open_risks(models)),
        missing=tuple(_missing(report, documents, coverage) + _controls_not_run(report, models)),
    )
