"""Conditional fields: required under eu_high_risk or when their condition holds."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.helpers import minimal

Run = Callable[..., tuple[int, str, str]]
Write = Callable[..., Path]


def test_eu_high_risk_requires_conditional_dataset_fields(cli: Run, write: Write) -> None:
    data = minimal("dataset_card")
    data["meta"]["compliance_profile"] = "eu_high_risk"
    path = write("dataset_card.yaml", data)
    code, _, err = cli("validate", str(path))
    assert code == 1
    for name in (
        "assumptions",
        "suitability",
        "deployment_context",
        "consent",
        "collection.workforce",
        "special_category_processing",
    ):
        assert (
            f"{name}: required field is missing (required because compliance_profile is "
            "eu_high_risk)" in err
        ), name


def test_eu_high_risk_accepts_not_applicable(cli: Run, write: Write) -> None:
    data = minimal("model_card")
    data["meta"]["compliance_profile"] = "eu_high_risk"
    na = {"not_applicable": "Explained here."}
    for name in (
        "design_rationale",
        "deployment",
        "robustness",
        "security",
        "human_oversight",
        "predetermined_changes",
        "lifetime_maintenance_logging",
        "base_model",
        "decision_thresholds",
        "fairness",
    ):
        data[name] = dict(na)
    path = write("model_card.yaml", data)
    code, _, err = cli("validate", str(path))
    assert code == 0, err


def test_eu_high_risk_risk_checklist(cli: Run, write: Write) -> None:
    data = minimal("risk_checklist")
    data["meta"]["compliance_profile"] = "eu_high_risk"
    path = write("risk_checklist.yaml", data)
    code, _, err = cli("validate", str(path))
    assert code == 1
    assert "risks[0].communicated_to_deployers: required field is missing" in err
    assert "post_market_monitoring: required field is missing" in err


def test_people_make_people_fields_required(cli: Run, write: Write) -> None:
    data = minimal("dataset_card")
    data["relates_to_people"] = True
    path = write("dataset_card.yaml", data)
    code, _, err = cli("validate", str(path))
    assert code == 1
    assert "consent: required field is missing (required because relates_to_people is true)" in err
    assert "assumptions" not in err  # only under eu_high_risk


def test_target_field_requires_labels(cli: Run, write: Write) -> None:
    data = minimal("dataset_card")
    data["data_fields"][0]["role"] = "target"
    path = write("dataset_card.yaml", data)
    code, _, err = cli("validate", str(path))
    assert code == 1 and "labels: required field is missing" in err


def test_scores_require_thresholds(cli: Run, write: Write) -> None:
    data = minimal("model_card")
    data["model_type"]["outputs"] = "scores"
    path = write("model_card.yaml", data)
    code, _, err = cli("validate", str(path))
    assert code == 1 and "decision_thresholds: required field is missing" in err


def test_answer_convention(cli: Run, write: Write) -> None:
    data = minimal("dataset_card")
    data["purpose"] = ""
    data["restrictions"] = {"not_applicable": ""}
    data["data_gaps"] = {"not_applicable": "ok", "extra": 1}
    path = write("dataset_card.yaml", data)
    code, _, err = cli("validate", str(path))
    assert code == 1
    assert "purpose: expected a non-empty string" in err
    assert "restrictions.not_applicable: expected a non-empty string" in err
    assert "data_gaps.extra: unknown key" in err


def test_strict_scalar_types(cli: Run, write: Write) -> None:
    data = minimal("risk_checklist")
    data["risks"][0]["likelihood"] = "2"
    data["decision"]["go"] = "yes"
    data["decision"]["date"] = "2025-02-30"
    data["risks"][0]["controls"] = ["Performance Classification"]
    path = write("risk_checklist.yaml", data)
    code, _, err = cli("validate", str(path))
    assert code == 1
    assert "risks[0].likelihood" in err and "decision.go: expected true or false" in err
    assert "decision.date: expected a date" in err and "risks[0].controls[0]" in err


def test_licence_and_hash_types(cli: Run, write: Write) -> None:
    data = minimal("model_card")
    data["license"] = {"spdx_id": "apache-2.0"}
    data["training_data"]["datasets"][0]["sha256"] = "abc"
    path = write("model_card.yaml", data)
    code, _, err = cli("validate", str(path))
    assert code == 1
    assert "unknown SPDX licence id 'apache-2.0'; did you mean 'Apache-2.0'?" in err
    assert "expected a SHA-256 digest" in err
    data["license"] = {"spdx_id": "other"}
    path = write("model_card.yaml", data)
    code, _, err = cli("validate", str(path))
    assert "license.name: required field is missing (required because spdx_id is 'other')" in err
