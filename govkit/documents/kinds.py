"""The document kinds and their models."""

from __future__ import annotations

from govkit.documents.base import DocumentBase
from govkit.documents.dataset_card import DatasetCard
from govkit.documents.experiment_plan import ExperimentPlan
from govkit.documents.model_card import ModelCard
from govkit.documents.risk_checklist import RiskChecklist

__all__ = ["KINDS", "Document", "model_for"]

Document = DatasetCard | ModelCard | ExperimentPlan | RiskChecklist

#: kind -> model, in the order documents are usually written.
KINDS: dict[str, type[DocumentBase]] = {
    "dataset_card": DatasetCard,
    "model_card": ModelCard,
    "experiment_plan": ExperimentPlan,
    "risk_checklist": RiskChecklist,
}


def model_for(kind: str) -> type[DocumentBase] | None:
    """The model of a document kind, or None when the kind is unknown."""
    return KINDS.get(kind)
