"""``govkit check`` on both examples, end to end, through the command line entry point.

The runs are the README's worked examples (``readme_run``, once per session):
Adult trained, checked and its stability table printed, German Credit's
predictions made and checked, each ``govkit`` line in its own process.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from govkit.suite import load_suite
from tests.readme import ReadmeRun

pytest.importorskip("govkit.commands.check", reason="the check command is not built yet")


def _check(readme_run: ReadmeRun, name: str) -> tuple[Path, int, dict]:  # type: ignore[type-arg]
    """The README's ``govkit check`` of one example: its folder, exit code and report."""
    folder = readme_run.root / "examples" / name
    code = readme_run.find("check", "-c", f"examples/{name}/govkit.yaml").returncode
    report_path = folder / "build" / "govkit" / "report.json"
    assert report_path.is_file(), f"govkit check exited {code} without writing {report_path}"
    return folder, code, json.loads(report_path.read_text(encoding="utf-8"))


def _assert_consistent(folder: Path, code: int, report: dict) -> None:  # type: ignore[type-arg]
    # 0 or 1: the suite ran and judged; 2 or 3 would mean the example itself is broken
    assert code in (0, 1)
    assert report["status"] == ("pass" if code == 0 else "fail")
    suite = load_suite("suite.yaml", folder).model
    by_id = {r["id"]: r for r in report["results"]}
    assert set(by_id) == {entry.id for entry in suite.checks}
    errored = {i: r["message"] for i, r in by_id.items() if r["status"] == "error"}
    assert not errored, f"checks errored on the example: {errored}"


@pytest.mark.slow
def test_check_adult(readme_run: ReadmeRun) -> None:
    trained_adult, code, report = _check(readme_run, "adult")
    _assert_consistent(trained_adult, code, report)
    assert report["system"] == {"name": "adult-income", "version": "1.0.0"}
    results = {r["id"]: r for r in report["results"]}
    # the model runs here, so nothing is skipped for want of one
    assert all(r["status"] != "skipped" for r in results.values())
    # a failure is either carried by its waiver or says why the waiver does not cover it
    waived = results["fairness.demographic_parity"]
    if waived["status"] == "fail" and waived["waiver"] is None:
        assert "not waived:" in waived["message"] and "waivers[0]" in waived["message"]
    # the registered plan is judged: every criterion, and the guardrails its deviation names
    plan = report["plan"]
    assert plan["document"] == "docs/experiment_plan.yaml" and plan["registered"]
    by_ref = {c["ref"]: c for c in plan["criteria"]}
    assert len(by_ref) == 17
    assert by_ref["acceptance_criteria[0]"]["status"] == "met"
    # the paired criteria against the logistic baseline read the paired differences
    for ref in ("acceptance_criteria[2]", "acceptance_criteria[3]", "acceptance_criteria[4]"):
        assert by_ref[ref]["vs"] == "logistic" and by_ref[ref]["value"] is not None, by_ref[ref]
    assert by_ref["acceptance_criteria[2]"]["status"] == "met"
    # the membership guardrail has no baseline figure; its deviation makes it a warning
    guard = by_ref["metrics.guardrail[1]"]
    assert guard["deviation"] is not None and not guard["blocking"]
    assert by_ref["metrics.guardrail[0]"]["vs"] == "logistic"
    assert (trained_adult / "build" / "govkit" / "monitoring.json").is_file()
    _assert_five_seeds(readme_run, results, plan)


def _assert_five_seeds(readme_run: ReadmeRun, results: dict, plan: dict) -> None:  # type: ignore[type-arg]
    """Adult trains five seeds: every figure is their mean, with each seed's beside it."""
    names = [f"seed_{k}" for k in range(5)]
    for check in (
        "performance.classification",
        "performance.calibration",
        "fairness.equalized_odds",
    ):
        result = results[check]
        assert (
            result["details"]["seeds"]["count"] == 5
            and result["details"]["seeds"]["names"] == names
        )
    measurements = results["performance.classification"]["measurements"]
    overall = [
        m
        for m in measurements
        if m["name"] == "accuracy" and m["group"] is None and m["vs"] is None and m["model"] is None
    ]
    level = [m for m in overall if m["seed"] is None]
    assert len(level) == 1 and level[0]["seed_sd"] is not None
    seeds = [m for m in overall if m["seed"] is not None]
    assert [m["seed"] for m in seeds] == names
    mean = sum(m["value"] for m in seeds) / 5
    assert level[0]["value"] == pytest.approx(mean)
    # five checkpoints meet the plan's promise, so no criterion is unjudged for want of seeds
    assert all("training seeds" not in (c["reason"] or "") for c in plan["criteria"])
    # the stability table demo.sh prints
    done = readme_run.find("examples/adult/stability.py")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "performance.classification: 5 seeds" in done.stdout
    assert re.search(r"^  accuracy\s+overall\s+0\.8\d+\s+\S+\s+0\.8", done.stdout, re.MULTILINE)


@pytest.mark.slow
def test_check_german_credit(readme_run: ReadmeRun) -> None:
    folder, code, report = _check(readme_run, "german_credit")
    _assert_consistent(folder, code, report)
    groups = {
        key
        for result in report["results"]
        for m in result["measurements"]
        for key in (m.get("group") or {})
    }
    assert groups <= {"sex", "age_group"}
