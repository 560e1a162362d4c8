"""``govkit diff``: figures two reports share, on a report from before model/vs/plan too."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from govkit.cli import main
from govkit.report import Artifact, Measurement, PlanCriterion, PlanResult
from tests.helpers import build_report, write_report


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["diff", *args])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, captured.out, captured.err


def _old_format(path: Path) -> None:
    """Rewrite a report as govkit wrote it before measurements said whose figure they are."""
    raw: dict[str, Any] = json.loads(path.read_text())
    raw.pop("plan", None)
    raw.pop("baselines", None)
    for result in raw["results"]:
        for m in result["measurements"]:
            del m["model"], m["vs"]
    path.write_text(json.dumps(raw))


def test_diff_of_two_releases(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old = write_report(build_report(seed=0), tmp_path / "old" / "report.json")
    _old_format(old)
    newer = build_report(n_rows=4000, seed=1)
    # a figure only the new release has: the paired difference against the old one
    newer.results[0].measurements.append(
        Measurement(name="selection_rate", value=0.01, ci=(0.0, 0.02), n=4000, vs="previous")
    )
    new = write_report(newer, tmp_path / "new" / "report.json")
    code, out, _ = _run(capsys, str(old), str(new), "--format", "json")
    assert code == 0
    payload = json.loads(out)
    figures = payload["figures"]
    assert payload["only_new"] == 1 and payload["same_eval_data"] is False
    shared = {(f["check"], f["name"], f["where"]) for f in figures}
    assert ("fairness.demographic_parity", "selection_rate", "sex=Female") in shared
    for f in figures:
        assert f["model"] is None and f["vs"] is None
        if f["old"] is not None and f["new"] is not None:
            assert f["change"] == pytest.approx(f["new"] - f["old"])
        if f["old_ci"] and f["new_ci"]:
            apart = f["old_ci"][1] < f["new_ci"][0] or f["new_ci"][1] < f["old_ci"][0]
            assert f["separated"] is apart

    code, text, _ = _run(capsys, str(old), str(new))
    assert code == 0 and "shared figure(s)" in text and "SEPARATE" in text
    assert "same evaluation data" not in text


def test_same_evaluation_data_points_to_the_paired_answer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    digest = hashlib.sha256(b"eval rows").hexdigest()
    reports = []
    for seed in (0, 1):
        report = build_report(seed=seed)
        report.provenance.artifacts.append(
            Artifact(role="eval_data", path="eval.csv", sha256=digest, bytes=10)
        )
        reports.append(write_report(report, tmp_path / str(seed) / "report.json"))
    code, out, _ = _run(capsys, *(str(p) for p in reports))
    assert code == 0
    assert "same evaluation data" in out and "`vs`" in out


def test_plan_criteria_are_compared(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    paths = []
    for seed, status in ((0, "not_met"), (1, "met")):
        report = build_report(seed=seed)
        report.plan = PlanResult(
            document="plan.yaml",
            registered=True,
            criteria=[
                PlanCriterion(
                    ref="acceptance_criteria[0]",
                    kind="acceptance",
                    metric="roc_auc",
                    op=">=",
                    threshold=0.8,
                    value=0.78 if status == "not_met" else 0.83,
                    status=status,  # type: ignore[arg-type]
                    reason="judged",
                )
            ],
            criteria_met=status == "met",
        )
        paths.append(write_report(report, tmp_path / str(seed) / "report.json"))
    code, out, _ = _run(capsys, *(str(p) for p in paths))
    assert code == 0
    assert "Plan acceptance_criteria[0] (roc_auc): not_met -> met (changed)" in out
    code, out, _ = _run(capsys, *(str(p) for p in paths), "--format", "json")
    (criterion,) = json.loads(out)["plan"]
    assert (criterion["old"], criterion["new"]) == (0.78, 0.83)


def test_an_unreadable_report_is_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = write_report(build_report(), tmp_path / "report.json")
    broken = tmp_path / "broken.json"
    broken.write_text('{"report_version": 1, "status": "maybe"}')
    code, out, err = _run(capsys, str(good), str(broken))
    assert code == 2 and out == ""
    assert str(broken) in err
    code, _, err = _run(capsys, str(tmp_path / "missing.json"), str(good))
    assert code == 2 and "missing.json" in err
