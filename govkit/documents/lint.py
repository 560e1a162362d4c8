"""Warnings: a document that is valid but not finished (errors with ``--strict``).

- placeholder text left in a field (``TODO``, ``TBD``, ``FIXME``,
  ``[More Information Needed]``) or an empty string;
- a ``next_review`` date that has passed;
- a section the standards expect filled left as an empty list;
- an approved document without approvals; a risk without a control evidenced
  by a check; an accepted residual risk scored above the acceptance threshold.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from typing import Any

from pydantic import BaseModel

from govkit.diagnostics import Diagnostic, field_name
from govkit.documents.dataset_card import DatasetCard
from govkit.documents.load import LoadedDocument
from govkit.documents.risk_checklist import RiskChecklist

__all__ = ["PLACEHOLDER", "lint_document"]

#: The placeholder ``govkit init`` writes (the Hugging Face card convention).
PLACEHOLDER = "[More Information Needed]"

_PLACEHOLDER = re.compile(
    r"\[More Information Needed\]|(?<![A-Za-z])(TODO|TBD|FIXME|XXX)(?![A-Za-z])"
)

Loc = tuple[str | int, ...]


def _warn(doc: LoadedDocument, loc: Loc, message: str, hint: str, code: str) -> Diagnostic:
    return doc.diagnostic(loc, message, code=code, hint=hint, severity="warning")


def _strings(value: Any, loc: Loc) -> Iterator[tuple[Loc, str]]:
    if isinstance(value, str):
        yield loc, value
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _strings(item, (*loc, i))
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, (*loc, key))


def _placeholders(doc: LoadedDocument) -> list[Diagnostic]:
    out = []
    for loc, text in _strings(doc.parsed.data, ()):
        if not text.strip():
            out.append(
                _warn(
                    doc,
                    loc,
                    "empty text",
                    "write the answer, or use {not_applicable: reason} where the field allows it",
                    "placeholder",
                )
            )
            continue
        match = _PLACEHOLDER.search(text)
        if match:
            out.append(
                _warn(
                    doc,
                    loc,
                    f"placeholder text '{match.group(0)}'",
                    "replace it with the answer",
                    "placeholder",
                )
            )
    return out


def _overdue(doc: LoadedDocument, today: date) -> list[Diagnostic]:
    out = []
    due = doc.model.meta.next_review
    if due is not None and due < today:
        out.append(
            _warn(
                doc,
                ("meta", "next_review"),
                f"review was due on {due.isoformat()}",
                "review the document and set a new next_review date",
                "overdue",
            )
        )
    if isinstance(doc.model, RiskChecklist):
        for i, risk in enumerate(doc.model.risks):
            if risk.next_review < today:
                out.append(
                    _warn(
                        doc,
                        ("risks", i, "next_review"),
                        f"review of risk {risk.id} was due on {risk.next_review.isoformat()}",
                        "review the risk and set a new next_review date",
                        "overdue",
                    )
                )
    return out


def _empty_sections(value: BaseModel, loc: Loc, doc: LoadedDocument) -> Iterator[Diagnostic]:
    for name, info in type(value).model_fields.items():
        item = getattr(value, name)
        if isinstance(item, list):
            if not item and info.is_required():
                yield _warn(
                    doc,
                    (*loc, name),
                    "empty section",
                    "the standards expect this filled; list the entries",
                    "empty_section",
                )
            for i, element in enumerate(item):
                if isinstance(element, BaseModel):
                    yield from _empty_sections(element, (*loc, name, i), doc)
        elif isinstance(item, BaseModel):
            yield from _empty_sections(item, (*loc, name), doc)


def _document_warnings(doc: LoadedDocument) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    m = doc.model
    skip: set[Loc] = set()
    if isinstance(m, DatasetCard):
        skip.add(("bias_examination", "known_biases"))  # "none known" is an answer
        if not m.relates_to_people:
            skip.add(("sensitive_data",))  # data about no one holds no personal fields
    out += [d for d in _empty_sections(m, (), doc) if not _skipped(d, skip, doc)]
    if m.meta.status == "approved" and not m.meta.approvals:
        out.append(
            _warn(
                doc,
                ("meta", "status"),
                "status is approved, but no approval is recorded",
                "add meta.approvals (name, role, date, decision, signature_ref)",
                "unapproved",
            )
        )
    if isinstance(m, RiskChecklist):
        threshold = m.risk_criteria.acceptance_threshold
        for i, risk in enumerate(m.risks):
            if not risk.controls:
                out.append(
                    _warn(
                        doc,
                        ("risks", i, "controls"),
                        f"risk {risk.id} names no check that evidences its controls",
                        "list check ids, e.g. fairness.demographic_parity",
                        "no_controls",
                    )
                )
            if risk.residual_acceptable and risk.residual > threshold:
                out.append(
                    _warn(
                        doc,
                        ("risks", i, "residual_acceptable"),
                        f"risk {risk.id} is accepted with residual score {risk.residual}, "
                        f"above the acceptance threshold {threshold}",
                        "explain the exception in residual_rationale, or treat the risk",
                        "above_threshold",
                    )
                )
    return out


def _skipped(diag: Diagnostic, skip: set[Loc], doc: LoadedDocument) -> bool:
    return any(diag.field == field_name(loc) for loc in skip)


def lint_document(doc: LoadedDocument, *, today: date | None = None) -> list[Diagnostic]:
    """Warnings for a valid document that is not finished.

    Parameters
    ----------
    doc
        A loaded, schema-valid document.
    today
        The date overdue reviews are judged against (default: today).

    Returns
    -------
    list of Diagnostic
        Warnings; ``govkit validate --strict`` turns them into errors.
    """
    today = today or date.today()
    return _placeholders(doc) + _overdue(doc, today) + _document_warnings(doc)
