"""A blocking check needs a criterion: thresholds, default thresholds, or failures of its own.

Without one it could only ever pass, so the run stops before reading any
data, with the suite's file and line.
"""

from __future__ import annotations

import inspect
import json
import re
from pathlib import Path

import pytest

from govkit.checks.registry import BUILTIN_CHECKS, load_check
from govkit.cli import main
from govkit.project import load_project_file
from govkit.runner import execute_run
from tests.runner.helpers import ACCURACY_SUITE, write_project
from tests.runner.test_gate_waivers import PRED_MODEL, planted_frame

DATA = {"eval": "eval.csv", "label": "label", "sensitive": ["sex"]}


def _config(tmp_path: Path, suite: list[dict[str, object]], sex_gap: float = 0.0) -> Path:
    return write_project(
        tmp_path,
        model=PRED_MODEL,
        data=DATA,
        suite=suite,
        frame=planted_frame(4000, sex_gap=sex_gap),
    )


def _line_of(path: Path, needle: str) -> int:
    return next(i for i, t in enumerate(path.read_text().splitlines(), 1) if needle in t)


def test_a_suite_entry_without_thresholds_is_judged_on_the_defaults(tmp_path: Path) -> None:
    # before, this passed with "The largest demographic_parity_difference is 0.400"
    suite = [{"id": "fairness.demographic_parity", "params": {"n_boot": 50}}]
    report = execute_run(
        load_project_file(_config(tmp_path, suite, sex_gap=0.4)), quiet=True
    ).report
    (result,) = report.results
    assert result.status == "fail" and result.blocking and report.status == "fail"
    # the check's own declared defaults, exactly: the suite entry named none
    assert result.threshold["rules"] == [
        {
            "metric": "demographic_parity_difference",
            "max": 0.1,
            "on": "interval_lenient",
            "overall_only": False,
        }
    ]
    assert result.threshold["rules"][0]["max"] == 0.1
    assert "above the maximum 0.1" in result.message


def test_a_blocking_check_without_a_criterion_is_a_located_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    suite = [
        {"id": "performance.classification", "params": {"n_boot": 50}},
        *ACCURACY_SUITE,
        {"id": "performance.calibration", "severity": "block"},
    ]
    config = _config(tmp_path, suite)
    assert main(["check", "-c", str(config), "-q"]) == 2
    err = capsys.readouterr().err
    suite_file = tmp_path / "suite.yaml"
    for check_id in ("performance.classification", "performance.calibration"):
        line = _line_of(suite_file, f"id: {check_id}")
        assert f"suite.yaml:{line}" in err and f"check '{check_id}' blocks the release" in err
    assert "add `thresholds:`" in err and "severity: warn" in err and "Traceback" not in err
    assert not (tmp_path / "out" / "report.json").exists()


def test_a_warning_without_thresholds_reports_its_figures(tmp_path: Path) -> None:
    suite = [{"id": "performance.classification", "severity": "warn", "params": {"n_boot": 50}}]
    report = execute_run(load_project_file(_config(tmp_path, suite)), quiet=True).report
    assert report.results[0].status == "pass" and report.results[0].measurements


def test_a_check_that_judges_itself_may_block_without_thresholds(tmp_path: Path) -> None:
    report = execute_run(
        load_project_file(_config(tmp_path, [{"id": "privacy.pii"}])), quiet=True
    ).report
    assert report.results[0].status in ("pass", "fail") and report.results[0].threshold == {
        "severity": "block",
        "rules": [],
    }


def test_only_a_check_without_a_criterion_outside_the_suite(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _config(tmp_path, ACCURACY_SUITE)
    assert main(["check", "-c", str(config), "-q", "--only", "performance.classification"]) == 2
    err = capsys.readouterr().err
    assert "--only" in err and "performance.classification" in err and "not in the suite" in err
    # one with default thresholds runs, judged on them
    assert main(["check", "-c", str(config), "-q", "--only", "fairness.demographic_parity"]) == 0
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert [r["id"] for r in report["results"]] == ["fairness.demographic_parity"]


@pytest.mark.parametrize("check_id", sorted(BUILTIN_CHECKS))
def test_judges_itself_is_declared_exactly_where_a_check_reports_failures(check_id: str) -> None:
    cls = load_check(check_id)
    source = inspect.getsource(inspect.getmodule(cls))  # type: ignore[arg-type]
    # a check reports failures of its own by filling Evidence.failures
    reports_failures = re.search(r"failures\s*(=|\+=|\.append|\.extend)", source) is not None
    assert cls.judges_itself == reports_failures, check_id
