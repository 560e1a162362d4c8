"""The shipped examples are valid, and say what they must."""

from __future__ import annotations

from collections.abc import Callable

from govkit.documents import (
    DatasetCard,
    ExperimentPlan,
    ModelCard,
    RiskChecklist,
    criteria_fingerprint,
    load_document,
)

from .conftest import ADULT_DOCS, KINDS, MINIMAL

CHECK_IDS = {
    "fairness.demographic_parity", "fairness.equalized_odds", "fairness.equal_opportunity",
    "performance.classification", "performance.calibration", "attribution.importance",
    "attribution.sensitive_reliance", "privacy.membership_inference", "privacy.pii",
    "privacy.k_anonymity", "data.leakage", "data.quality",
}  # fmt: skip


def test_minimal_set_is_valid(cli: Callable[..., tuple[int, str, str]]) -> None:
    code, _, err = cli("validate", *(str(MINIMAL / f"{k}.yaml") for k in KINDS))
    assert code == 0, err


def test_adult_set_is_valid_even_strict(cli: Callable[..., tuple[int, str, str]]) -> None:
    code, _, err = cli("validate", "--strict", *(str(ADULT_DOCS / f"{k}.yaml") for k in KINDS))
    assert code == 0, err
    assert "all valid" in err


def test_adult_documents_load_as_their_models() -> None:
    card = load_document(ADULT_DOCS / "dataset_card.yaml").model
    model = load_document(ADULT_DOCS / "model_card.yaml").model
    plan = load_document(ADULT_DOCS / "experiment_plan.yaml").model
    risks = load_document(ADULT_DOCS / "risk_checklist.yaml").model
    assert isinstance(card, DatasetCard) and card.license.spdx_id == "CC-BY-4.0"
    assert card.collection.timeframe.start.year == 1994
    assert isinstance(model, ModelCard)
    assert model.dataset_card_ids() == ["adult-dataset-card"]
    assert model.linked_docs.risk_checklist == "adult-risk-checklist"
    assert any("lending" in use for use in model.out_of_scope_uses)
    assert isinstance(plan, ExperimentPlan) and plan.registration is not None
    assert plan.registration.criteria_sha256 == criteria_fingerprint(plan)
    assert isinstance(risks, RiskChecklist) and risks.decision.go
    controls = {c for r in risks.risks for c in r.controls}
    assert controls == CHECK_IDS
    assert risks.controls_by_risk()["R1"] == [
        "fairness.demographic_parity",
        "fairness.equal_opportunity",
    ]
    assert risks.meta.approvals[0].decision == "approved_with_conditions"
    for doc in (card, model, plan, risks):
        assert doc.meta.compliance_profile == "internal_review"


def test_adult_card_states_the_known_disparities() -> None:
    card = load_document(ADULT_DOCS / "dataset_card.yaml").model
    assert isinstance(card, DatasetCard)
    biases = " ".join(card.bias_examination.known_biases)
    assert "sex" in biases and "race" in biases
