"""The GitHub Actions job summary: appended, never truncating, never failing the gate."""

from __future__ import annotations

from pathlib import Path

import pytest

from govkit.cli import main
from govkit.report import Report
from govkit.runner.step_summary import append_step_summary, step_summary_markdown
from tests.helpers import build_report
from tests.runner.helpers import ACCURACY_SUITE, write_project


@pytest.fixture(scope="module")
def report() -> Report:
    built = build_report()
    # a blocking failure whose message quotes group values that could break a table
    results = list(built.results)
    results[2] = results[2].model_copy(
        update={"blocking": True, "message": "gap 0.21 | groups <script>x</script>"}
    )
    return built.model_copy(update={"status": "fail", "results": results})


def _table_rows(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("| `")]


def test_summary_has_verdict_table_and_blocking_findings(report: Report) -> None:
    text = step_summary_markdown(report, {"performance.classification": "accuracy 0.80"})
    assert "**FAIL: 1 blocking result(s)**" in text
    rows = _table_rows(text)
    assert [row.split("`")[1] for row in rows] == [r.id for r in report.results]
    assert "| `performance.classification` | pass | accuracy 0.80 | no |" in rows
    findings = text.split("### Blocking findings", 1)[1]
    assert "`fairness.demographic_parity` (fail)" in findings
    # the message neither splits the table nor brings HTML into the page
    assert "\\|" in findings and "<script>" not in text and "&lt;script&gt;" in findings


def test_a_passing_run_has_no_blocking_section() -> None:
    built = build_report()
    passing = built.model_copy(
        update={
            "status": "pass",
            "results": [r.model_copy(update={"blocking": False}) for r in built.results],
        }
    )
    text = step_summary_markdown(passing, {})
    assert "PASS: nothing blocks the release" in text
    assert "Blocking findings" not in text


def test_appends_to_what_earlier_steps_wrote(report: Report, tmp_path: Path) -> None:
    target = tmp_path / "summary.md"
    target.write_text("## an earlier step\n", encoding="utf-8")
    env = {"GITHUB_STEP_SUMMARY": str(target)}
    assert append_step_summary(report, {}, environ=env) is None
    assert append_step_summary(report, {}, environ=env) is None
    text = target.read_text(encoding="utf-8")
    assert text.startswith("## an earlier step\n")
    assert text.count("## govkit check:") == 2


def test_unset_variable_writes_nothing(report: Report, tmp_path: Path) -> None:
    assert append_step_summary(report, {}, environ={}) is None
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("kind", ["folder", "missing_parent"])
def test_unwritable_target_is_a_warning(report: Report, tmp_path: Path, kind: str) -> None:
    target = tmp_path / "a_folder" if kind == "folder" else tmp_path / "absent" / "summary.md"
    if kind == "folder":
        target.mkdir()
    warning = append_step_summary(report, {}, environ={"GITHUB_STEP_SUMMARY": str(target)})
    assert warning is not None and warning.startswith("warning:")
    assert str(target) in warning


def test_check_appends_its_summary_and_keeps_its_exit_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_project(
        tmp_path / "project",
        model={"predictions": {"label": "pred_label", "score": "pred_score"}},
        suite=ACCURACY_SUITE,
    )
    summary = tmp_path / "summary.md"
    summary.write_text("earlier\n", encoding="utf-8")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    assert main(["check", "-c", str(config), "-q"]) == 0
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("earlier\n## govkit check: tiny 1.0\n")
    assert "| `test.accuracy` | pass |" in text

    # a summary that cannot be written changes nothing but a warning
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path))
    capsys.readouterr()
    assert main(["check", "-c", str(config), "-q"]) == 0
    err = capsys.readouterr().err
    assert "warning:" in err and "GITHUB_STEP_SUMMARY" in err and "Traceback" not in err
