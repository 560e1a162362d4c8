"""The experiment plan's machine-readable slices, and deviations that name criteria."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from govkit.documents.experiment_plan import PlanSlice, parse_slice
from tests.helpers import minimal

Run = Callable[..., tuple[int, str, str]]
Write = Callable[..., Path]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (None, PlanSlice()),
        ("", PlanSlice()),
        ("  ", PlanSlice()),
        ("*", PlanSlice(every=True)),
        ("sex", PlanSlice(feature="sex")),
        ("sex&race", PlanSlice(feature="sex&race")),
        (" sex & race ", PlanSlice(feature="sex&race")),
        ("native-country", PlanSlice(feature="native-country")),
        ("sex=Female", PlanSlice(group=(("sex", "Female"),))),
        (
            "sex=Female, race=Asian-Pac-Islander",
            PlanSlice(group=(("sex", "Female"), ("race", "Asian-Pac-Islander"))),
        ),
        ("age_band=65 and over", PlanSlice(group=(("age_band", "65 and over"),))),
        # a binned slice of data.slices: the comma inside the interval is part of the value
        ("age=[25, 40)", PlanSlice(group=(("age", "[25, 40)"),))),
        (
            "age=[65, 120], region=EU",
            PlanSlice(group=(("age", "[65, 120]"), ("region", "EU"))),
        ),
    ],
)
def test_slices_that_parse(text: str | None, expected: PlanSlice) -> None:
    assert parse_slice(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "sex and race",
        "membership-inference attack",
        "sex=",
        "=Female",
        "sex=Female, sex=Male",
        "sex&sex",
        "sex&",
        "sex=Female, race",
    ],
)
def test_free_text_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_slice(text)


def test_free_text_slice_is_a_located_error_with_a_hint(cli: Run, write: Write) -> None:
    data = minimal("experiment_plan")
    data["acceptance_criteria"].append(
        {"metric": "roc_auc", "op": ">=", "threshold": 0.8, "slice": "women over 60"}
    )
    path = write("experiment_plan.yaml", data)
    code, _, err = cli("validate", str(path))
    assert code == 1
    assert f"{path}:" in err and "acceptance_criteria[1].slice" in err
    assert "slice 'women over 60' is not machine-readable" in err
    assert "hint:" in err and "column=value" in err


def test_deviation_must_name_an_existing_criterion(cli: Run, write: Write) -> None:
    data = minimal("experiment_plan")
    data["deviations"] = [
        {
            "date": "2025-01-25",
            "change": "Reported only.",
            "reason": "Because.",
            "criteria": ["acceptance_criteria[0]", "acceptance_criteria[4]"],
        }
    ]
    path = write("experiment_plan.yaml", data)
    code, _, err = cli("validate", str(path))
    assert code == 1
    assert "deviations[0].criteria[1]: 'acceptance_criteria[4]' names no criterion" in err
    assert "acceptance_criteria[0]'" not in err


def test_fingerprint_of_old_guardrails_is_unchanged() -> None:
    # a guardrail registered before vs and check_id existed keeps its fingerprint
    from govkit.documents.experiment_plan import ExperimentPlan, criteria_fingerprint

    data = minimal("experiment_plan")
    data["metrics"]["guardrail"] = [{"metric": "ece", "max_degradation": 0.01, "slice": None}]
    plan = ExperimentPlan.model_validate(data)
    frozen = {
        "acceptance_criteria": [
            {
                "metric": "accuracy",
                "op": ">=",
                "threshold": 0.9,
                "vs": None,
                "slice": None,
                "check_id": None,
            }
        ],
        "guardrail": [{"metric": "ece", "max_degradation": 0.01, "slice": None}],
    }
    text = json.dumps(frozen, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert criteria_fingerprint(plan) == hashlib.sha256(text.encode()).hexdigest()
