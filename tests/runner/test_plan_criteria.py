"""The experiment plan as the gate: criteria judged on a real run of German Credit predictions.

A logistic regression is trained on German Credit (the example's own
``make_predictions.py``, in-process, well under a second) and its recorded
predictions are checked by ``govkit check`` with an experiment plan among the
project's documents. The same runs write monitoring.json, tested here too.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import yaml

from govkit.cli import main
from tests.helpers import minimal
from tests.runner.german import write_german_predictions

SUITE: dict[str, Any] = {
    "suite": 1,
    "name": "plan-test",
    "checks": [
        {
            "id": "performance.classification",
            "params": {"n_boot": 200},
            "thresholds": [{"metric": "accuracy", "min": 0.5, "overall_only": True}],
        },
        {
            "id": "fairness.demographic_parity",
            "severity": "warn",
            "params": {"n_boot": 200},
            "thresholds": [{"metric": "demographic_parity_difference", "max": 0.5}],
        },
    ],
}


@pytest.fixture(scope="module")
def predictions(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """build/eval.csv: German Credit with a logistic regression's label and score."""
    return write_german_predictions(tmp_path_factory.mktemp("german"))


def _project(
    root: Path,
    eval_csv: Path,
    criteria: list[dict[str, Any]],
    *,
    status: str = "draft",
    **plan: Any,
) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "suite.yaml").write_text(yaml.safe_dump(SUITE, sort_keys=False))
    doc = minimal("experiment_plan")
    doc["acceptance_criteria"] = criteria
    doc["meta"]["status"] = status
    if status != "draft":
        doc["registration"] = {"registered": "2025-01-20", "criteria_sha256": "0" * 64}
        doc["deviations"] = plan.pop("deviations", [])
    doc.update(plan)
    (root / "plan.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    config = {
        "govkit": 1,
        "system": {"name": "credit", "version": "1.0"},
        "documents": ["plan.yaml"],
        "model": {
            "predictions": {"label": "predicted_risk", "score": "score"},
            "task": "binary",
        },
        "data": {"eval": str(eval_csv), "label": "risk", "sensitive": ["sex", "age_group"]},
        "suite": "suite.yaml",
        "output": "out",
    }
    (root / "govkit.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    return root / "govkit.yaml"


def _check(config: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(["check", "-c", str(config)])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, captured.out, captured.err


def _plan(config: Path) -> dict[str, Any]:
    report = json.loads((config.parent / "out" / "report.json").read_text())
    return report["plan"]  # type: ignore[no-any-return]


MET = {"metric": "accuracy", "op": ">=", "threshold": 0.5, "check_id": "performance.classification"}
NOT_MET = {"metric": "roc_auc", "op": ">=", "threshold": 0.99}
GROUP = {
    "metric": "accuracy",
    "op": ">=",
    "threshold": 0.5,
    "slice": "sex=female",
    "check_id": "performance.classification",
}
GAP = {"metric": "demographic_parity_difference", "op": "<=", "threshold": 0.9}


def test_draft_plan_is_reported_and_never_blocks(
    tmp_path: Path, predictions: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _project(tmp_path, predictions, [MET, NOT_MET, GROUP, GAP])
    code, out, _ = _check(config, capsys)
    assert code == 0, out
    plan = _plan(config)
    assert plan["registered"] is False and plan["document"] == "plan.yaml"
    by_ref = {c["ref"]: c for c in plan["criteria"]}
    accuracy = by_ref["acceptance_criteria[0]"]
    assert accuracy["status"] == "met" and accuracy["n"] == 300
    assert 0.5 < accuracy["value"] < 1 and accuracy["ci"][0] < accuracy["value"] < accuracy["ci"][1]
    auc = by_ref["acceptance_criteria[1]"]
    assert auc["status"] == "not_met" and auc["blocking"] is False and auc["value"] < 0.99
    # one group: the figure of sex=female, its n the group's rows
    group = by_ref["acceptance_criteria[2]"]
    assert group["status"] == "met" and group["where"] == "sex=female" and group["n"] < 300
    # a gap has no overall figure: the empty slice reads each grouping's gap; on 300 rows
    # the check cannot compute them, and the criterion says so instead of passing
    gap = by_ref["acceptance_criteria[3]"]
    assert gap["status"] == "insufficient_evidence" and gap["where"] == "sex"
    assert "demographic_parity_difference for sex&age_group could not be computed" in gap["reason"]
    assert plan["criteria_met"] is False
    assert "Plan versus result: plan.yaml, draft" in out
    assert "acceptance_criteria[1]  roc_auc" in out


def test_registered_plan_blocks_and_a_deviation_turns_it_into_a_warning(
    tmp_path: Path, predictions: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _project(tmp_path, predictions, [MET, NOT_MET], status="registered")
    code, out, _ = _check(config, capsys)
    assert code == 1
    plan = _plan(config)
    assert plan["registered"] is True and plan["criteria_met"] is False
    blocked = [c["ref"] for c in plan["criteria"] if c["blocking"]]
    assert blocked == ["acceptance_criteria[1]"]
    assert "unmet criterion(s) of the registered experiment plan" in out
    junit = ET.parse(tmp_path / "out" / "junit.xml").getroot()
    failing = [
        case.get("name")
        for case in junit.iter("testcase")
        if case.find("failure") is not None and case.get("classname") == "govkit.plan"
    ]
    assert failing == ["acceptance_criteria[1] roc_auc"]

    # the plan alone fails the report, and the packet renders it as it is
    packet = tmp_path / "packet"
    assert main(["render", "-c", str(config), "--format", "md", "--out", str(packet)]) == 0
    assert "blocks the release" in (packet / "report.md").read_text()
    capsys.readouterr()

    deviation = {
        "date": "2025-02-01",
        "change": "AUC bar reported only.",
        "reason": "The data cannot support it.",
        "criteria": ["acceptance_criteria[1]"],
    }
    config = _project(
        tmp_path, predictions, [MET, NOT_MET], status="registered", deviations=[deviation]
    )
    code, out, _ = _check(config, capsys)
    assert code == 0, out
    auc = _plan(config)["criteria"][1]
    assert auc["status"] == "not_met" and auc["blocking"] is False
    assert auc["deviation"].startswith("2025-02-01: AUC bar reported only.")
    assert "not_met (deviation)" in out


def test_too_few_rows_is_insufficient_evidence(
    tmp_path: Path, predictions: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # the rows aged up to 25 are fewer than a min_group_size of 100
    SUITE["checks"][0]["params"]["min_group_size"] = 100
    try:
        small = {"metric": "accuracy", "op": ">=", "threshold": 0.1, "slice": "age_group=<=25"}
        missing = {"metric": "accuracy", "op": ">=", "threshold": 0.1, "slice": "sex=other"}
        config = _project(tmp_path, predictions, [MET, small, missing], status="registered")
        code, _, _ = _check(config, capsys)
    finally:
        del SUITE["checks"][0]["params"]["min_group_size"]
    assert code == 1
    plan = _plan(config)
    statuses = [c["status"] for c in plan["criteria"]]
    assert statuses == ["met", "insufficient_evidence", "insufficient_evidence"]
    assert "min_group_size" in plan["criteria"][1]["reason"]
    assert "no figure of accuracy for sex=other" in plan["criteria"][2]["reason"]
    assert plan["criteria_met"] is None


@pytest.mark.parametrize(
    ("criterion", "field", "message"),
    [
        (
            {"metric": "demographic_parity_diff", "op": "<=", "threshold": 0.1},
            "metric",
            "metric 'demographic_parity_diff' is measured by no check of the suite",
        ),
        (
            {
                "metric": "ece",
                "op": "<=",
                "threshold": 0.1,
                "check_id": "performance.classification",
            },
            "metric",
            "metric 'ece' is measured by check 'performance.classification'",
        ),
        (
            {"metric": "roc_auc", "op": ">=", "threshold": 0.0, "vs": "previous"},
            "vs",
            "vs names the baseline 'previous', which govkit.yaml does not define",
        ),
        (
            {"metric": "ece", "op": "<=", "threshold": 0.1, "check_id": "performance.calibration"},
            "check_id",
            "check_id 'performance.calibration' is not in this run's suite",
        ),
    ],
)
def test_a_criterion_that_cannot_be_judged_is_bad_input(
    tmp_path: Path,
    predictions: Path,
    capsys: pytest.CaptureFixture[str],
    criterion: dict[str, Any],
    field: str,
    message: str,
) -> None:
    config = _project(tmp_path, predictions, [MET, criterion])
    code, out, err = _check(config, capsys)
    assert code == 2 and out == ""
    line = next(
        i
        for i, text in enumerate((tmp_path / "plan.yaml").read_text().splitlines(), start=1)
        if text.lstrip(" -").startswith(f"{field}:") and str(criterion[field]) in text
    )
    assert f"plan.yaml:{line}:" in err and message in err
    assert not (tmp_path / "out" / "report.json").exists()


def _monitoring(config: Path) -> dict[str, Any]:
    return json.loads((config.parent / "out" / "monitoring.json").read_text())  # type: ignore[no-any-return]


@pytest.mark.parametrize("min_group_size", [30, 100])
def test_monitoring_json_holds_no_rare_category(
    tmp_path: Path, predictions: Path, capsys: pytest.CaptureFixture[str], min_group_size: int
) -> None:
    import numpy as np
    import pandas as pd

    from govkit.runner.monitoring import QUANTILES, Monitoring, monitoring_json

    SUITE["checks"][0]["params"]["min_group_size"] = min_group_size
    try:
        config = _project(tmp_path, predictions, [MET, NOT_MET], status="registered")
        code, _, _ = _check(config, capsys)
    finally:
        del SUITE["checks"][0]["params"]["min_group_size"]
    assert code == 1
    data = _monitoring(config)
    k = data["min_group_size"]
    assert k == min_group_size
    frame = pd.read_csv(predictions)
    features = {f["name"]: f for f in data["features"]}
    # the label and the recorded predictions are not features
    assert not {"risk", "predicted_risk", "score"} & set(features)
    other = f"other (n<{k})"
    folded = 0
    for f in data["features"]:
        if f["kind"] != "categorical":
            continue
        counts = frame[f["name"]].dropna().astype(str).value_counts()
        shown = set(f["frequencies"]) - {other}
        assert all(counts[c] >= k for c in shown), f["name"]
        assert {c for c in counts.index if counts[c] >= k} == shown
        for c in shown:
            assert f["frequencies"][c] == pytest.approx(counts[c] / counts.sum())
        folded += other in f["frequencies"]
    assert folded  # purpose has categories rarer than k in 300 rows
    for g in data["groups"]:
        assert g["n"] >= k or g["group"] == other
        if g["group"] != other:
            rows = frame[frame[g["column"]].astype(str) == g["group"]]
            assert g["base_rate"] == pytest.approx(rows["risk"].mean())
            assert g["selection_rate"] == pytest.approx(rows["predicted_risk"].mean())
    # quantiles are numpy's
    amount = features["credit_amount"]
    assert amount["kind"] == "numeric"
    expected = np.quantile(frame["credit_amount"].to_numpy(dtype=float), QUANTILES)
    assert list(amount["quantiles"].values()) == pytest.approx(list(expected))
    assert data["score"]["quantiles"]["0.5"] == pytest.approx(float(frame["score"].median()))
    # the gates and the rollback rule: what blocked or would have blocked this release
    assert {"check": "performance.classification", "metric": "accuracy"}.items() <= data["gates"][
        0
    ].items()
    suite_rule = next(r for r in data["rollback"] if r["source"] == "suite")
    assert suite_rule["metric"] == "accuracy" and suite_rule["min"] == 0.5
    plan_rule = next(r for r in data["rollback"] if r["metric"] == "roc_auc")
    assert plan_rule["source"] == "plan" and plan_rule["min"] == 0.99
    # a round trip through the shipped model gives the same bytes
    text = (tmp_path / "out" / "monitoring.json").read_text()
    assert monitoring_json(Monitoring.model_validate_json(text)) == text


def _render_completed_plan(
    tmp_path: Path, predictions: Path, capsys: pytest.CaptureFixture[str], formats: str
) -> Path:
    deviation = {
        "date": "2025-02-01",
        "change": "AUC bar reported only.",
        "reason": "The data cannot support it.",
        "criteria": ["acceptance_criteria[1]"],
    }
    outcome = {"results_ref": "report.json", "decision": "Ship with the AUC deviation."}
    config = _project(
        tmp_path,
        predictions,
        [MET, NOT_MET],
        status="completed",
        deviations=[deviation],
        outcome=outcome,
    )
    assert _check(config, capsys)[0] == 0
    packet = tmp_path / "packet"
    code = main(["render", "-c", str(config), "--format", formats, "--out", str(packet)])
    assert code == 0, capsys.readouterr().err
    return packet


def test_packet_shows_plan_versus_result_and_the_handoff(
    tmp_path: Path, predictions: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    packet = _render_completed_plan(tmp_path, predictions, capsys, "md,html")
    report_md = (packet / "report.md").read_text()
    table = report_md.split("## Plan versus result", 1)[1].split("## Handoff", 1)[0]
    assert "registered; at least one criterion is not met" in table
    auc = next(line for line in table.splitlines() if r"acceptance\_criteria\[1\]" in line)
    assert r"roc\_auc \>= 0.9900" in auc
    assert "not met" in auc and "recorded, below" in auc
    assert "blocks the release" not in auc
    # the deviation's text is listed under the table, beside the criterion it touches
    note = next(
        line for line in table.splitlines() if line.startswith(r"- **acceptance\_criteria\[1\]")
    )
    assert "2025-02-01: AUC bar reported only." in note
    handoff = report_md.split("## Handoff", 1)[1].split("## Results", 1)[0]
    assert "| performance.classification | accuracy |" in handoff and "below 0.5000" in handoff
    assert "| experiment plan (performance.classification) | accuracy |" in handoff
    # the plan's automated criteria_met, filled from the report
    plan_md = (packet / "minimal-experiment-plan.md").read_text()
    assert "no (1 of 2 criteria met, 1 not met; see Plan versus result)" in plan_md
    html = (packet / "packet.html").read_text()
    assert "Plan versus result</h2>" in html and 'id="handoff"' in html
    assert "AUC bar reported only." in html


@pytest.mark.slow
def test_pdf_packet_reads_back_the_plan_table(
    tmp_path: Path, predictions: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from pypdf import PdfReader

    packet = _render_completed_plan(tmp_path, predictions, capsys, "pdf")
    text = " ".join(page.extract_text() for page in PdfReader(packet / "packet.pdf").pages)
    text = " ".join(text.split())
    assert "Plan versus result" in text and "Handoff" in text
    assert "acceptance_criteria[1]" in text and "AUC bar reported only." in text


def test_fewer_seeds_than_promised_judges_no_criterion(
    tmp_path: Path, predictions: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A registered plan of five seeds, checked with one checkpoint: the best-seed pitfall."""
    promised = {"n_seeds": 5, "rationale": "Five seeds show the spread across training runs."}
    config = _project(
        tmp_path, predictions, [MET, NOT_MET], status="registered", sample_size=promised
    )
    code, out, _ = _check(config, capsys)
    assert code == 1, out
    plan = _plan(config)
    assert [c["status"] for c in plan["criteria"]] == ["insufficient_evidence"] * 2
    assert all(c["blocking"] for c in plan["criteria"])
    assert all("promised 5 training seeds" in c["reason"] for c in plan["criteria"])
    assert all("1 checkpoint(s)" in c["reason"] for c in plan["criteria"])
    # the figure is still shown, for the reviewer
    assert plan["criteria"][0]["value"] is not None
    assert plan["criteria_met"] is None
