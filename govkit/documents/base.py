"""The header every document carries and the base every document kind extends.

:class:`DocumentBase` holds what all four kinds share (kind, format version,
:class:`DocMeta` header) and the conditional-field rule: a kind lists its
conditional fields in ``_conditions`` and the base reports each one that is
required but missing, naming the reason, so the rule lives in one place.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from govkit.documents.fields import (
    Approval,
    ChangelogEntry,
    Date,
    DocId,
    GovModel,
    Missing,
    NonEmptyStr,
    Person,
    raise_missing,
)

__all__ = ["HIGH_RISK_REASON", "ComplianceProfile", "DocMeta", "DocStatus", "DocumentBase"]

#: How strictly a document is held: ``eu_high_risk`` makes every conditional field required.
ComplianceProfile = Literal["research", "internal_review", "eu_high_risk"]
DocStatus = Literal["draft", "in_review", "approved", "deprecated"]


class DocMeta(GovModel):
    """The header every document carries: identity, ownership, approvals, history."""

    doc_id: DocId = Field(description="Unique id other documents use to reference this one.")
    title: NonEmptyStr = Field(description="Human-readable title.")
    doc_version: NonEmptyStr = Field(description="Version of this document, e.g. 1.0.0.")
    status: DocStatus = Field(description="Life-cycle status of the document.")
    compliance_profile: ComplianceProfile = Field(
        description="research, internal_review or eu_high_risk; eu_high_risk makes every "
        "conditional field required."
    )
    owners: list[Person] = Field(min_length=1, description="Who is accountable for the document.")
    authors: list[Person] = Field(default_factory=list, description="Who wrote it.")
    created: Date = Field(description="Date the document was first written.")
    updated: Date | None = Field(default=None, description="Date of the last change.")
    next_review: Date | None = Field(
        default=None, description="When the document must be reviewed again; flagged when overdue."
    )
    approvals: list[Approval] = Field(
        default_factory=list, description="Dated, signed decisions on the document."
    )
    changelog: list[ChangelogEntry] = Field(default_factory=list, description="History of changes.")
    related_docs: list[DocId] = Field(
        default_factory=list, description="doc_ids of other govkit documents this one relates to."
    )


HIGH_RISK_REASON = "compliance_profile is eu_high_risk"


class DocumentBase(GovModel):
    """Fields every document kind starts with."""

    kind: str = Field(description="Document kind.")
    schema_version: Literal[1] = Field(description="Version of the document format (1).")
    meta: DocMeta = Field(description="Header: id, owners, approvals, changelog.")

    @property
    def doc_id(self) -> str:
        """The document's id (``meta.doc_id``)."""
        return self.meta.doc_id

    @property
    def high_risk(self) -> bool:
        """Whether the document is held to the ``eu_high_risk`` profile."""
        return self.meta.compliance_profile == "eu_high_risk"

    def _conditions(self) -> list[tuple[tuple[str | int, ...], Any, str | None]]:
        """(field location, current value, reason it is required or None) triples."""
        return []

    @model_validator(mode="after")
    def _conditional_fields(self) -> DocumentBase:
        missing = [
            Missing(loc, reason)
            for loc, value, reason in self._conditions()
            if reason is not None and value is None
        ]
        raise_missing(missing)
        return self

    def _when(self, condition: bool, reason: str) -> str | None:
        """The reason a conditional field is required, or None when it is not."""
        if condition:
            return reason
        return HIGH_RISK_REASON if self.high_risk else None
