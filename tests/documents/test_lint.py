"""Lint warnings, and --strict turning them into errors."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

from govkit.documents import lint_document, load_document
from tests.helpers import minimal

Run = Callable[..., tuple[int, str, str]]
Write = Callable[..., Path]


def test_placeholders_warn_and_fail_strict(cli: Run, write: Write) -> None:
    data = minimal("model_card")
    data["summary"] = "[More Information Needed]"
    data["limitations"] = "TODO: write the limitations"
    data["description"] = "TBD"
    data["glossary"] = "   "
    path = write("model_card.yaml", data)
    code, _, err = cli("validate", str(path))
    assert code == 0
    assert "summary: placeholder text '[More Information Needed]'" in err
    assert "limitations: placeholder text 'TODO'" in err
    assert "description: placeholder text 'TBD'" in err
    assert "glossary: empty text" in err
    assert "warning" in err
    code, _, err = cli("validate", "--strict", str(path))
    assert code == 1 and "error: summary: placeholder" in err


def test_words_containing_todo_are_not_placeholders(write: Write) -> None:
    data = minimal("model_card")
    data["summary"] = "Mastodon and TODOS are words; so is Tbd-like text in lowercase."
    doc = load_document(write("model_card.yaml", data))
    assert not [d for d in lint_document(doc) if d.code == "placeholder"]


def test_overdue_reviews(cli: Run, write: Write) -> None:
    data = minimal("risk_checklist")
    data["risks"][0]["next_review"] = "2020-01-01"
    data["meta"]["next_review"] = "2020-06-01"
    path = write("risk_checklist.yaml", data)
    code, _, err = cli("validate", str(path))
    assert code == 0
    assert "risks[0].next_review: warning" not in err
    assert "review of risk R1 was due on 2020-01-01" in err
    assert "meta.next_review: review was due on 2020-06-01" in err
    doc = load_document(path)
    assert not [d for d in lint_document(doc, today=date(2019, 1, 1)) if d.code == "overdue"]


def test_empty_sections_and_controls(cli: Run, write: Write) -> None:
    data = minimal("risk_checklist")
    data["risks"][0]["controls"] = []
    path = write("risk_checklist.yaml", data)
    code, _, err = cli("validate", str(path))
    assert code == 0
    assert "measurement_checklist: empty section" in err
    assert "risk R1 names no check" in err

    data["measurement_checklist"] = [
        {"ref": "MS-2.3", "question": "Is performance measured?", "answer": "yes",
         "justification": "On held-out rows.", "evidence": ["performance.classification"]}
    ]  # fmt: skip
    data["risks"][0]["controls"] = ["performance.classification"]
    write("risk_checklist.yaml", data)
    code, _, err = cli("validate", str(path))
    assert code == 0
    assert "measurement_checklist: empty section" not in err
    assert "names no check" not in err


def test_approved_without_approvals(cli: Run, write: Write) -> None:
    data = minimal("dataset_card")
    data["meta"]["status"] = "approved"
    path = write("dataset_card.yaml", data)
    code, _, err = cli("validate", str(path))
    assert code == 0 and "status is approved, but no approval is recorded" in err
