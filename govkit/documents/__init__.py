"""Governance documents: models, loading, rules, lint and standards coverage.

The four document kinds are Pydantic models (the single source of truth for
their shape and their JSON Schema): :class:`DatasetCard`, :class:`ModelCard`,
:class:`ExperimentPlan` and :class:`RiskChecklist`.
"""

from __future__ import annotations

from govkit.documents.base import DocMeta, DocumentBase
from govkit.documents.coverage import CoverageItem, CoverageReport, compute_coverage
from govkit.documents.dataset_card import DatasetCard
from govkit.documents.experiment_plan import ExperimentPlan, criteria_fingerprint
from govkit.documents.fields import (
    Answer,
    Approval,
    CheckRecord,
    DatasetRef,
    License,
    Link,
    MetricResult,
    MetricSpec,
    NotApplicable,
    Person,
    ValueProvenance,
)
from govkit.documents.kinds import KINDS, Document, model_for
from govkit.documents.lint import lint_document
from govkit.documents.load import DocumentError, LoadedDocument, load_document
from govkit.documents.model_card import ModelCard
from govkit.documents.risk_checklist import Risk, RiskChecklist
from govkit.documents.rules import check_rules
from govkit.documents.validate import ValidationResult, validate_documents

__all__ = [
    "KINDS",
    "Answer",
    "Approval",
    "CheckRecord",
    "CoverageItem",
    "CoverageReport",
    "DatasetCard",
    "DatasetRef",
    "DocMeta",
    "Document",
    "DocumentBase",
    "DocumentError",
    "ExperimentPlan",
    "License",
    "Link",
    "LoadedDocument",
    "MetricResult",
    "MetricSpec",
    "ModelCard",
    "NotApplicable",
    "Person",
    "Risk",
    "RiskChecklist",
    "ValidationResult",
    "ValueProvenance",
    "check_rules",
    "compute_coverage",
    "criteria_fingerprint",
    "lint_document",
    "load_document",
    "model_for",
    "validate_documents",
]
