"""Rules that a schema cannot express: within a document, and across documents.

Within one document (always):

- a file a document references (``path``) exists, and matches its ``sha256``;
- a registered experiment plan whose acceptance criteria or guardrails changed
  since registration has a ``deviations`` entry dated on or after registration;
- a risk with ``residual_acceptable: false`` (or an overall residual risk that
  is not acceptable) cannot sit under ``decision.go: true``;
- stated ``inherent_score`` / ``residual_score`` equal likelihood x severity.

Across the documents validated together (when there are several):

- document ids are unique, and every referenced id exists with the right kind.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from pydantic import BaseModel

from govkit.diagnostics import Diagnostic
from govkit.documents.experiment_plan import (
    ExperimentPlan,
    criteria_fingerprint,
    criterion_refs,
)
from govkit.documents.fields import DatasetRef, Link
from govkit.documents.load import LoadedDocument
from govkit.documents.model_card import ModelCard
from govkit.documents.risk_checklist import RiskChecklist
from govkit.hashing import sha256_file

__all__ = [
    "check_cross_references",
    "check_document_rules",
    "check_rules",
    "references",
]

Loc = tuple[str | int, ...]


def _walk(value: Any, loc: Loc) -> Iterator[tuple[Loc, Any]]:
    """Every model instance inside ``value``, with its location."""
    if isinstance(value, BaseModel):
        yield loc, value
        for name in type(value).model_fields:
            yield from _walk(getattr(value, name), (*loc, name))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _walk(item, (*loc, i))
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _walk(item, (*loc, key))


def _file_rules(doc: LoadedDocument) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    base = doc.path.parent
    for loc, item in _walk(doc.model, ()):
        if not isinstance(item, Link | DatasetRef) or not item.path:
            continue
        target = base / item.path
        if not target.is_file():
            out.append(
                doc.diagnostic(
                    (*loc, "path"),
                    f"referenced file '{item.path}' does not exist",
                    hint=f"paths are relative to the document's folder ({base})",
                    code="missing_file",
                )
            )
            continue
        if item.sha256:
            actual, _ = sha256_file(target)
            if actual != item.sha256:
                out.append(
                    doc.diagnostic(
                        (*loc, "sha256"),
                        f"'{item.path}' has changed: expected sha256 {item.sha256[:12]}..., "
                        f"found {actual[:12]}...",
                        hint=f"if the change is intended, set sha256: {actual}",
                        code="hash_mismatch",
                    )
                )
    return out


def _deviation_refs(doc: LoadedDocument, plan: ExperimentPlan) -> list[Diagnostic]:
    # a deviation that names a criterion turns its failure into a warning: a reference
    # to no criterion would silently excuse nothing, or the wrong one after an edit
    known = [ref for ref, _, _ in criterion_refs(plan)]
    out: list[Diagnostic] = []
    for i, deviation in enumerate(plan.deviations or []):
        for j, ref in enumerate(deviation.criteria):
            if ref not in known:
                out.append(
                    doc.diagnostic(
                        ("deviations", i, "criteria", j),
                        f"'{ref}' names no criterion of this plan",
                        hint=f"name one of {', '.join(known)}",
                        code="unknown_criterion",
                    )
                )
    return out


def _plan_rules(doc: LoadedDocument, plan: ExperimentPlan) -> list[Diagnostic]:
    refs = _deviation_refs(doc, plan)
    reg = plan.registration
    if reg is None:
        return refs
    current = criteria_fingerprint(plan)
    if current == reg.criteria_sha256:
        return refs
    explained = [d for d in plan.deviations or [] if d.date >= reg.registered]
    if explained:
        return refs
    return [
        *refs,
        doc.diagnostic(
            ("registration", "criteria_sha256"),
            "acceptance criteria or guardrails changed after registration "
            f"({reg.registered.isoformat()}) without a deviations entry",
            hint="add a deviations entry (date, change, reason) dated on or after registration; "
            f"the criteria now hash to {current}",
            code="unregistered_change",
        ),
    ]


def _risk_rules(doc: LoadedDocument, rc: RiskChecklist) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    for i, risk in enumerate(rc.risks):
        if rc.decision.go and not risk.residual_acceptable:
            out.append(
                doc.diagnostic(
                    ("risks", i, "residual_acceptable"),
                    f"risk {risk.id} has an unacceptable residual risk, but decision.go is true",
                    hint="treat the risk further, or set decision.go: false",
                    code="go_with_open_risk",
                )
            )
        if risk.inherent_score is not None and risk.inherent_score != risk.score:
            out.append(
                doc.diagnostic(
                    ("risks", i, "inherent_score"),
                    f"inherent_score is {risk.inherent_score}, but likelihood x severity is {risk.score}",
                    hint="remove inherent_score (it is computed) or correct it",
                    code="score",
                )
            )
        if risk.residual_score is not None and risk.residual_score != risk.residual:
            out.append(
                doc.diagnostic(
                    ("risks", i, "residual_score"),
                    f"residual_score is {risk.residual_score}, but residual likelihood x severity "
                    f"is {risk.residual}",
                    hint="remove residual_score (it is computed) or correct it",
                    code="score",
                )
            )
    if rc.decision.go and not rc.overall_residual_risk.acceptable:
        out.append(
            doc.diagnostic(
                ("overall_residual_risk", "acceptable"),
                "the overall residual risk is not acceptable, but decision.go is true",
                hint="set decision.go: false, or reduce the residual risk",
                code="go_with_open_risk",
            )
        )
    return out


def check_document_rules(doc: LoadedDocument) -> list[Diagnostic]:
    """Rules within one document: referenced files, registration, go decision.

    Parameters
    ----------
    doc
        A loaded, schema-valid document.

    Returns
    -------
    list of Diagnostic
        Errors, located in the document.
    """
    out = _file_rules(doc)
    if isinstance(doc.model, ExperimentPlan):
        out += _plan_rules(doc, doc.model)
    if isinstance(doc.model, RiskChecklist):
        out += _risk_rules(doc, doc.model)
    return out


def references(doc: LoadedDocument) -> list[tuple[Loc, str, str | None]]:
    """Every document id ``doc`` references: (location, id, expected kind or None)."""
    m = doc.model
    refs: list[tuple[Loc, str, str | None]] = [
        (("meta", "related_docs", i), ref, None) for i, ref in enumerate(m.meta.related_docs)
    ]
    if isinstance(m, ModelCard):
        for section in ("training_data", "evaluation_data"):
            for i, ds in enumerate(getattr(m, section).datasets):
                refs.append(((section, "datasets", i, "card_id"), ds.card_id, "dataset_card"))
        for i, ref in enumerate(m.linked_docs.dataset_cards):
            refs.append((("linked_docs", "dataset_cards", i), ref, "dataset_card"))
        for i, ref in enumerate(m.linked_docs.experiment_plans):
            refs.append((("linked_docs", "experiment_plans", i), ref, "experiment_plan"))
        refs.append(
            (("linked_docs", "risk_checklist"), m.linked_docs.risk_checklist, "risk_checklist")
        )
    elif isinstance(m, ExperimentPlan):
        for i, ds in enumerate(m.datasets):
            refs.append((("datasets", i, "card_id"), ds.card_id, "dataset_card"))
    elif isinstance(m, RiskChecklist):
        for i, ref in enumerate(m.system.model_card_ids):
            refs.append((("system", "model_card_ids", i), ref, "model_card"))
        for i, ref in enumerate(m.system.dataset_card_ids):
            refs.append((("system", "dataset_card_ids", i), ref, "dataset_card"))
        testing = m.testing
        if testing is not None and hasattr(testing, "experiment_plan_ids"):
            for i, ref in enumerate(testing.experiment_plan_ids):
                refs.append((("testing", "experiment_plan_ids", i), ref, "experiment_plan"))
    return refs


def check_cross_references(docs: Sequence[LoadedDocument]) -> list[Diagnostic]:
    """Unique ids, and every referenced id resolving to a document of the right kind.

    Parameters
    ----------
    docs
        The documents validated together.

    Returns
    -------
    list of Diagnostic
        Errors, located at the reference.
    """
    out: list[Diagnostic] = []
    by_id: dict[str, LoadedDocument] = {}
    for doc in docs:
        first = by_id.get(doc.doc_id)
        if first is not None:
            out.append(
                doc.diagnostic(
                    ("meta", "doc_id"),
                    f"doc_id '{doc.doc_id}' is already used by {first.display}",
                    hint="give each document its own id",
                    code="duplicate_id",
                )
            )
            continue
        by_id[doc.doc_id] = doc
    known = sorted(by_id)
    for doc in docs:
        for loc, ref, kind in references(doc):
            target = by_id.get(ref)
            if target is None:
                from govkit.diagnostics import closest

                candidates = [i for i in known if kind is None or by_id[i].kind == kind]
                guess = closest(ref, candidates)
                hint = (
                    f"did you mean '{guess}'?"
                    if guess
                    else (f"validate it together with this one; known ids: {', '.join(known)}")
                )
                out.append(
                    doc.diagnostic(
                        loc,
                        f"references '{ref}', but no document with that id was validated",
                        hint=hint,
                        code="unresolved_reference",
                    )
                )
            elif kind is not None and target.kind != kind:
                out.append(
                    doc.diagnostic(
                        loc,
                        f"'{ref}' is a {target.kind}, expected a {kind}",
                        hint=f"name the id of a {kind}",
                        code="wrong_reference",
                    )
                )
    return out


def check_rules(docs: Sequence[LoadedDocument]) -> list[Diagnostic]:
    """All document rules, plus cross-references when several documents are given."""
    out: list[Diagnostic] = []
    for doc in docs:
        out += check_document_rules(doc)
    if len(docs) > 1:
        out += check_cross_references(docs)
    return out
