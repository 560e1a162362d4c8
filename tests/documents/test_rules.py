"""Rules within and across documents."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import yaml

from govkit.documents import load_document
from govkit.documents.experiment_plan import ExperimentPlan, criteria_fingerprint
from tests.helpers import KINDS, minimal

Run = Callable[..., tuple[int, str, str]]
Write = Callable[..., Path]


def _paths(docs: dict[str, Path]) -> list[str]:
    return [str(docs[k]) for k in KINDS]


def test_minimal_set_resolves(cli: Run, minimal_set: dict[str, Path]) -> None:
    code, _, err = cli("validate", *_paths(minimal_set))
    assert code == 0, err


def test_unresolved_reference(cli: Run, write: Write, minimal_set: dict[str, Path]) -> None:
    card = minimal("model_card")
    card["linked_docs"]["risk_checklist"] = "minimal-risk-checklst"
    minimal_set["model_card"] = write("model_card.yaml", card)
    code, _, err = cli("validate", *_paths(minimal_set))
    assert code == 1
    assert "linked_docs.risk_checklist: references 'minimal-risk-checklst'" in err
    assert "did you mean 'minimal-risk-checklist'?" in err


def test_training_data_must_name_a_dataset_card(
    cli: Run, write: Write, minimal_set: dict[str, Path]
) -> None:
    card = minimal("model_card")
    card["training_data"]["datasets"][0]["card_id"] = "minimal-experiment-plan"
    minimal_set["model_card"] = write("model_card.yaml", card)
    code, _, err = cli("validate", *_paths(minimal_set))
    assert code == 1
    assert (
        "training_data.datasets[0].card_id: 'minimal-experiment-plan' is a experiment_plan, "
        "expected a dataset_card" in err
    )


def test_duplicate_doc_ids(cli: Run, write: Write, minimal_set: dict[str, Path]) -> None:
    other = minimal("dataset_card")
    copy = write("copy_dataset_card.yaml", other)
    code, _, err = cli("validate", *_paths(minimal_set), str(copy))
    assert code == 1 and "doc_id 'minimal-dataset-card' is already used" in err


def test_single_document_skips_cross_references(cli: Run, minimal_set: dict[str, Path]) -> None:
    code, _, err = cli("validate", str(minimal_set["model_card"]))
    assert code == 0, err


def test_referenced_file_must_exist_and_match(cli: Run, write: Write) -> None:
    data_file = write("data/rows.csv", "a,b\n1,2\n")
    digest = hashlib.sha256(data_file.read_bytes()).hexdigest()
    card = minimal("model_card")
    card["training_data"]["datasets"][0].update(path="data/rows.csv", sha256=digest)
    card["evaluation_data"]["datasets"][0].update(path="data/missing.csv")
    path = write("model_card.yaml", card)
    code, _, err = cli("validate", str(path))
    assert code == 1
    assert (
        "evaluation_data.datasets[0].path: referenced file 'data/missing.csv' does not exist" in err
    )
    assert "training_data" not in err

    data_file.write_text("a,b\n1,3\n")
    code, _, err = cli("validate", str(path))
    assert code == 1 and "training_data.datasets[0].sha256: 'data/rows.csv' has changed" in err


def _registered_plan(write: Write, **changes: object) -> tuple[Path, dict]:
    data = minimal("experiment_plan")
    data["meta"]["status"] = "registered"
    path = write("experiment_plan.yaml", data)
    # register with the fingerprint of the criteria as written
    data["registration"] = {"registered": "2025-01-20", "criteria_sha256": "0" * 64}
    data["deviations"] = []
    path = write("experiment_plan.yaml", data)
    data["registration"]["criteria_sha256"] = _fingerprint_without_check(path)
    data.update(changes)
    return write("experiment_plan.yaml", data), data


def _fingerprint_without_check(path: Path) -> str:
    from govkit.diagnostics import validate_parsed
    from govkit.sourcefile import load_source

    plan, problems = validate_parsed(ExperimentPlan, load_source(path))
    assert plan is not None, problems
    return criteria_fingerprint(plan)


def test_registered_plan_unchanged_is_valid(cli: Run, write: Write) -> None:
    path, _ = _registered_plan(write)
    code, _, err = cli("validate", str(path))
    assert code == 0, err


def test_registered_plan_needs_registration(cli: Run, write: Write) -> None:
    data = minimal("experiment_plan")
    data["meta"]["status"] = "registered"
    path = write("experiment_plan.yaml", data)
    code, _, err = cli("validate", str(path))
    assert code == 1
    assert (
        "registration: required field is missing (required because meta.status is "
        "registered)" in err
    )


def test_changed_criteria_without_deviation_is_an_error(cli: Run, write: Write) -> None:
    path, data = _registered_plan(write)
    data["acceptance_criteria"][0]["threshold"] = 0.5
    write("experiment_plan.yaml", data)
    code, _, err = cli("validate", str(path))
    assert code == 1
    assert "acceptance criteria or guardrails changed after registration" in err
    assert "registration.criteria_sha256" in err

    data["deviations"] = [
        {
            "date": "2025-01-25",
            "change": "Threshold 0.9 -> 0.5.",
            "reason": "The simulation is noisier than planned.",
        }
    ]
    write("experiment_plan.yaml", data)
    code, _, err = cli("validate", str(path))
    assert code == 0, err


def test_deviation_before_registration_does_not_count(cli: Run, write: Write) -> None:
    path, data = _registered_plan(write)
    data["acceptance_criteria"][0]["op"] = ">"
    data["deviations"] = [{"date": "2025-01-01", "change": "x", "reason": "y"}]
    write("experiment_plan.yaml", data)
    code, _, err = cli("validate", str(path))
    assert code == 1 and "without a deviations entry" in err


def test_unacceptable_residual_risk_under_go(cli: Run, write: Write) -> None:
    data = minimal("risk_checklist")
    data["risks"][0]["residual_acceptable"] = False
    path = write("risk_checklist.yaml", data)
    code, _, err = cli("validate", str(path))
    assert code == 1
    assert (
        "risks[0].residual_acceptable: risk R1 has an unacceptable residual risk, but "
        "decision.go is true" in err
    )
    data["decision"]["go"] = False
    write("risk_checklist.yaml", data)
    code, _, err = cli("validate", str(path))
    assert code == 0, err


def test_overall_residual_risk_under_go(cli: Run, write: Write) -> None:
    data = minimal("risk_checklist")
    data["overall_residual_risk"]["acceptable"] = False
    path = write("risk_checklist.yaml", data)
    code, _, err = cli("validate", str(path))
    assert code == 1 and "overall_residual_risk.acceptable" in err


def test_stated_scores_must_match(cli: Run, write: Write) -> None:
    data = minimal("risk_checklist")
    data["risks"][0]["inherent_score"] = 7
    path = write("risk_checklist.yaml", data)
    code, _, err = cli("validate", str(path))
    assert code == 1 and "inherent_score is 7, but likelihood x severity is 2" in err


def test_risk_controls_and_approvals_are_accessible(write: Write) -> None:
    data = minimal("risk_checklist")
    data["meta"]["approvals"] = [
        {
            "name": "A. Reviewer",
            "role": "approver",
            "date": "2025-01-20",
            "decision": "approved",
            "signature_ref": "ticket 12",
        }
    ]
    doc = load_document(write("risk_checklist.yaml", yaml.safe_dump(data)))
    assert doc.model.meta.approvals[0].signature_ref == "ticket 12"
    assert doc.model.risks[0].controls == ["performance.classification"]
