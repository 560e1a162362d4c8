"""The shipped examples are valid, and say what they must."""

from __future__ import annotations

from collections.abc import Callable

import yaml

from govkit.documents import (
    DatasetCard,
    ExperimentPlan,
    ModelCard,
    RiskChecklist,
    criteria_fingerprint,
    load_document,
)
from tests.helpers import ADULT_DOCS, KINDS, MINIMAL

CHECK_IDS = {
    "fairness.demographic_parity", "fairness.equalized_odds", "fairness.equal_opportunity",
    "performance.classification", "performance.calibration", "attribution.importance",
    "attribution.sensitive_reliance", "privacy.membership_inference", "privacy.pii",
    "privacy.k_anonymity", "data.leakage", "data.quality", "fairness.counterfactual_flip",
    "attribution.completeness", "attribution.sanity",
}  # fmt: skip
ADULT = ADULT_DOCS.parent


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
    assert isinstance(risks, RiskChecklist)
    # four blocking checks fail on this model: the board refuses the release
    assert not risks.decision.go
    assert {r.id for r in risks.risks if not r.residual_acceptable} == {"R2", "R3"}
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


def _suite() -> dict:
    return yaml.safe_load((ADULT / "suite.yaml").read_text(encoding="utf-8"))


def test_adult_risks_cover_every_suite_check() -> None:
    risks = load_document(ADULT_DOCS / "risk_checklist.yaml").model
    assert isinstance(risks, RiskChecklist)
    controls = {c for r in risks.risks for c in r.controls}
    assert {entry["id"] for entry in _suite()["checks"]} == controls


def test_adult_plan_fixes_every_blocking_threshold() -> None:
    """The suite's blocking bounds are the plan's acceptance criteria, as the README says."""
    plan = load_document(ADULT_DOCS / "experiment_plan.yaml").model
    assert isinstance(plan, ExperimentPlan)
    criteria = {(c.check_id, c.metric, c.op, c.threshold, c.vs) for c in plan.acceptance_criteria}
    for entry in _suite()["checks"]:
        if entry["severity"] != "block":
            continue
        for bound in entry.get("thresholds", []):
            vs = bound.get("vs")
            if "max" in bound:
                key = (entry["id"], bound["metric"], "<=", bound["max"], vs)
            else:
                key = (entry["id"], bound["metric"], ">=", bound["min"], vs)
            assert key in criteria, key


def test_adult_documents_match_the_project_file() -> None:
    project = yaml.safe_load((ADULT / "govkit.yaml").read_text(encoding="utf-8"))
    card = load_document(ADULT_DOCS / "dataset_card.yaml").model
    model = load_document(ADULT_DOCS / "model_card.yaml").model
    assert isinstance(card, DatasetCard) and isinstance(model, ModelCard)
    sensitive = {s.field for s in card.sensitive_data}
    assert set(project["data"]["sensitive"]) <= sensitive
    # the declared proxy is named as one in the dataset card and the model card
    for proxy in project["data"]["proxies"]:
        assert proxy in " ".join(card.bias_examination.known_biases)
        assert proxy in model.ethical_considerations.sensitive_data
    waived = {w["check"]: w["expires"] for w in project["waivers"]}
    assert model.fairness is not None
    for check, expires in waived.items():
        assert str(expires) in model.fairness.criteria
        assert check.split(".")[1].replace("_", " ") in model.fairness.criteria.lower()
