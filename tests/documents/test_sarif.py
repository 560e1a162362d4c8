"""``govkit validate --format sarif``: what GitHub code scanning needs, on real broken cards.

No package installed here ships the SARIF 2.1.0 JSON schema, so the tests
assert the fields GitHub's upload requires (``version``, ``$schema``, the
driver's rules, each result's rule, level, message and located region) and
the properties that make annotations useful: repository-relative URIs and
fingerprints that survive lines added above a finding.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from govkit.sarif import RULES, rule_for
from tests.helpers import MINIMAL, REPO

Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository (a ``.git`` folder) holding the minimal documents under docs/."""
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    shutil.copytree(MINIMAL, root / "docs")
    monkeypatch.chdir(root)
    return root


def _break_model_card(path: Path, *, lines_above: int = 0) -> None:
    """A typo'd key, a number for a string and a missing field: three located errors."""
    text = path.read_text(encoding="utf-8")
    text = text.replace("\nname: Threshold detector", "\nnme: Threshold detector")
    text = text.replace("\nsummary: Flags readings above a fixed temperature.", "\nsummary: 3")
    path.write_text("# added\n" * lines_above + text, encoding="utf-8")


def _sarif(cli: Run, *args: str) -> tuple[int, dict[str, Any], str]:
    code, out, err = cli("validate", *args, "--format", "sarif")
    return code, json.loads(out), err


def _assert_github_shape(log: dict[str, Any]) -> None:
    """The fields GitHub code scanning requires of an uploaded SARIF file."""
    assert log["version"] == "2.1.0"
    assert log["$schema"].endswith("sarif-2.1.0.json")
    assert len(log["runs"]) == 1
    driver = log["runs"][0]["tool"]["driver"]
    assert driver["name"] == "govkit" and driver["version"]
    assert "informationUri" not in driver
    ids = [rule["id"] for rule in driver["rules"]]
    assert len(ids) == len(set(ids))
    for result in log["runs"][0]["results"]:
        assert result["ruleId"] in ids
        assert driver["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["level"] in ("error", "warning", "note")
        assert result["message"]["text"]
        (location,) = result["locations"]
        uri = location["physicalLocation"]["artifactLocation"]["uri"]
        assert uri and "\\" not in uri and not uri.startswith("/")
        assert set(result["partialFingerprints"]) == {"govkitFinding/v1"}


def test_broken_card_gives_located_results(cli: Run, repo: Path) -> None:
    _break_model_card(repo / "docs" / "model_card.yaml")
    code, log, err = _sarif(cli, "docs/model_card.yaml", "docs/dataset_card.yaml")

    assert code == 1  # findings: the gate is unchanged by the format
    _assert_github_shape(log)
    results = log["runs"][0]["results"]
    errors = {r["ruleId"]: r for r in results if r["level"] == "error"}
    assert set(errors) == {"GK-missing-required", "GK-unknown-key", "GK-wrong-type"}
    typo = errors["GK-unknown-key"]
    region = typo["locations"][0]["physicalLocation"]["region"]
    lines = (repo / "docs" / "model_card.yaml").read_text(encoding="utf-8").splitlines()
    assert lines[region["startLine"] - 1].startswith("nme:")
    assert region["startColumn"] == 1
    assert "did you mean 'name'" in typo["message"]["text"]
    for r in results:
        location = r["locations"][0]["physicalLocation"]
        assert location["artifactLocation"]["uri"].startswith("docs/")
        assert location["region"]["startLine"] >= 1
    # the lint warning of the dataset card is a warning, not an error
    assert any(r["level"] == "warning" for r in results)
    # the person reading the CI log still gets the text diagnostics on stderr
    assert "docs/model_card.yaml:" in err and "error:" in err


def test_uri_is_repository_relative_from_a_subfolder(
    cli: Run, repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _break_model_card(repo / "docs" / "model_card.yaml")
    (repo / "sub").mkdir()
    monkeypatch.chdir(repo / "sub")
    _, log, _ = _sarif(cli, "../docs/model_card.yaml")
    uris = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for r in log["runs"][0]["results"]
    }
    assert uris == {"docs/model_card.yaml"}


def test_fingerprints_survive_lines_added_above(cli: Run, repo: Path) -> None:
    card = repo / "docs" / "model_card.yaml"
    original = card.read_text(encoding="utf-8")
    _break_model_card(card)
    _, before, _ = _sarif(cli, "docs/model_card.yaml")
    card.write_text(original, encoding="utf-8")
    _break_model_card(card, lines_above=5)
    _, after, _ = _sarif(cli, "docs/model_card.yaml")

    def by_print(log: dict[str, Any]) -> dict[str, int]:
        return {
            r["partialFingerprints"]["govkitFinding/v1"]: r["locations"][0]["physicalLocation"][
                "region"
            ]["startLine"]
            for r in log["runs"][0]["results"]
        }

    old, new = by_print(before), by_print(after)
    assert len(old) == len(before["runs"][0]["results"])  # distinct findings, distinct prints
    assert set(old) == set(new)
    assert all(new[k] == old[k] + 5 for k in old)


def test_fingerprint_uses_the_document_id_not_the_file_name(cli: Run, repo: Path) -> None:
    card = repo / "docs" / "model_card.yaml"
    _break_model_card(card)
    _, before, _ = _sarif(cli, "docs/model_card.yaml")
    card.rename(repo / "docs" / "renamed_model_card.yaml")
    _, after, _ = _sarif(cli, "docs/renamed_model_card.yaml")

    def prints(log: dict[str, Any]) -> set[str]:
        return {r["partialFingerprints"]["govkitFinding/v1"] for r in log["runs"][0]["results"]}

    assert prints(before) == prints(after)


def test_unreadable_path_is_exit_2_with_a_sarif_log(cli: Run, repo: Path) -> None:
    code, log, err = _sarif(cli, "docs/absent_model_card.yaml")
    assert code == 2
    _assert_github_shape(log)
    (result,) = log["runs"][0]["results"]
    assert result["ruleId"] == "GK-unreadable"
    assert "region" not in result["locations"][0]["physicalLocation"]
    assert log["runs"][0]["invocations"][0] == {"executionSuccessful": False, "exitCode": 2}
    assert "absent_model_card.yaml" in err


def test_no_path_and_no_project_is_exit_2_with_a_sarif_log(cli: Run, repo: Path) -> None:
    code, log, err = _sarif(cli)
    assert code == 2
    _assert_github_shape(log)
    (invocation,) = log["runs"][0]["invocations"]
    assert invocation["executionSuccessful"] is False
    assert "govkit.yaml" in invocation["toolExecutionNotifications"][0]["message"]["text"]
    assert "error:" in err


def test_valid_documents_give_no_errors(cli: Run, repo: Path) -> None:
    code, log, _ = _sarif(cli, *sorted(str(p.relative_to(repo)) for p in repo.glob("docs/*")))
    assert code == 0
    assert all(r["level"] != "error" for r in log["runs"][0]["results"])


def test_strict_makes_warnings_errors(cli: Run, repo: Path) -> None:
    _, plain, _ = _sarif(cli, "docs/dataset_card.yaml")
    code, strict, _ = _sarif(cli, "docs/dataset_card.yaml", "--strict")
    assert any(r["level"] == "warning" for r in plain["runs"][0]["results"])
    assert code == 1
    assert {r["level"] for r in strict["runs"][0]["results"]} == {"error"}


def test_coverage_has_no_sarif_form(cli: Run, repo: Path) -> None:
    code, out, err = cli("validate", "docs/model_card.yaml", "--coverage", "--format", "sarif")
    assert code == 2 and out == ""
    assert "--coverage" in err


@pytest.mark.parametrize(
    ("code", "rule"),
    [
        ("missing", "GK-missing-required"),
        ("extra_forbidden", "GK-unknown-key"),
        ("string_type", "GK-wrong-type"),
        ("date_from_datetime_parsing", "GK-wrong-type"),
        ("literal_error", "GK-invalid-value"),
        ("greater_than_equal", "GK-invalid-value"),
        ("a_code_added_later", "GK-invalid-value"),
        ("duplicate_key", "GK-syntax"),
        ("unreadable", "GK-unreadable"),
        ("unresolved_reference", "GK-reference"),
        ("hash_mismatch", "GK-artifact"),
        ("placeholder", "GK-placeholder"),
        ("unscoped_waiver", "GK-waiver-scope"),
    ],
)
def test_rule_mapping_is_stable(code: str, rule: str) -> None:
    assert rule_for(code).id == rule


def test_every_code_govkit_emits_has_its_own_rule() -> None:
    """A literal ``code="..."`` in govkit's sources maps to a rule that lists it."""
    listed = {code for rule in RULES for code in rule.codes}
    found: set[str] = set()
    for source in (REPO / "govkit").rglob("*.py"):
        text = source.read_text(encoding="utf-8")
        if "Diagnostic" in text or "diagnostic(" in text:
            found |= set(re.findall(r'\bcode="([a-z_]+)"', text))
    # the lint gives its code as the last argument of each _warn(...) call
    lint = (REPO / "govkit" / "documents" / "lint.py").read_text(encoding="utf-8")
    found |= set(re.findall(r'^\s+"([a-z_]+)",\n\s+\)', lint, flags=re.MULTILINE))
    # safe_read's refusal codes become `unreadable` or `too_large` in a diagnostic
    found -= {"not_regular", "outside", "too_deep", "not_finite"}
    assert found, "no codes found: the scan is broken"
    assert found <= listed, sorted(found - listed)


def test_readme_lists_every_rule() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for rule in RULES:
        assert f"`{rule.id}`" in readme, rule.id


def test_uri_of_a_file_name_with_a_space_is_percent_encoded(cli: Run, repo: Path) -> None:
    card = repo / "docs" / "model_card.yaml"
    _break_model_card(card)
    card.rename(repo / "docs" / "my model_card.yaml")
    _, log, _ = _sarif(cli, "docs/my model_card.yaml")
    uris = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for r in log["runs"][0]["results"]
    }
    assert uris == {"docs/my%20model_card.yaml"}
