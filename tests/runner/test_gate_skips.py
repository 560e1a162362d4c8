"""A blocking check skipped for want of an input fails the gate, and says which input to add.

A check that is not applicable by design (a counterfactual on sensitive
columns the model does not take) and a ``warn`` check never block; an
``--only`` run leaves the other checks out, which is not a skip.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from govkit.cli import main
from govkit.project import load_project_file
from govkit.report import Report
from govkit.runner import execute_run
from tests.runner.helpers import ACCURACY_SUITE, FEATURES, make_frame, write_project
from tests.runner.test_gate_waivers import PRED_MODEL

DP = {
    "id": "fairness.demographic_parity",
    "params": {"n_boot": 20},
    "thresholds": [{"metric": "demographic_parity_difference", "max": 0.1}],
}
NO_SENSITIVE = {"eval": "eval.csv", "label": "label", "features": FEATURES}


def _run(root: Path, suite: list[dict[str, Any]], **kw: Any) -> Report:
    config = write_project(
        root,
        model=kw.pop("model", PRED_MODEL),
        data=kw.pop("data", NO_SENSITIVE),
        suite=suite,
        **kw,
    )
    return execute_run(load_project_file(config), quiet=True).report


def test_fairness_without_sensitive_columns_fails_the_gate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_project(tmp_path, model=PRED_MODEL, data=NO_SENSITIVE, suite=[DP])
    assert main(["check", "-c", str(config), "-q"]) == 1
    out = capsys.readouterr()
    assert "Traceback" not in out.err
    (result,) = json.loads((tmp_path / "out" / "report.json").read_text())["results"]
    assert result["status"] == "skipped" and result["blocking"] is True
    assert "add `data.sensitive: [...]`" in result["message"]
    assert "severity: warn" in result["message"] and "waiver" in result["message"]


def test_a_warning_skipped_does_not_block(tmp_path: Path) -> None:
    report = _run(tmp_path, [{**DP, "severity": "warn"}])
    assert report.results[0].status == "skipped" and not report.results[0].blocking
    assert report.status == "pass"


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ({"id": "privacy.k_anonymity"}, "add `data.quasi_identifiers: [...]`"),
        ({"id": "data.leakage"}, "add `data.train: PATH`"),
        ({"id": "test.scores"}, "model.predictions.score"),
    ],
)
def test_each_missing_input_is_named(tmp_path: Path, entry: dict[str, Any], expected: str) -> None:
    model = {"predictions": {"label": "pred_label"}}
    report = _run(tmp_path, [entry, *ACCURACY_SUITE], model=model)
    skipped = report.results[0]
    assert skipped.status == "skipped" and skipped.blocking and expected in skipped.message
    assert report.results[1].status == "pass" and report.status == "fail"


def _waiver(**scope: Any) -> dict[str, Any]:
    return {
        "check": "fairness.demographic_parity",
        "owner": "Risk board",
        "justification": "Group labels are collected from the next release on.",
        "expires": (date.today() + timedelta(days=30)).isoformat(),
        **scope,
    }


def test_only_an_unscoped_waiver_covers_a_skip(tmp_path: Path) -> None:
    waived = _run(tmp_path / "a", [DP], waivers=[_waiver()])
    assert waived.status == "pass" and waived.results[0].waiver is not None
    # a scope describes failing figures; a skip has none, so a scoped waiver cannot hold it
    scoped = _run(tmp_path / "b", [DP], waivers=[_waiver(metric="demographic_parity_difference")])
    assert scoped.status == "fail" and scoped.results[0].waiver is None
    assert "not waived: skipped" in scoped.results[0].message


def test_only_leaves_checks_out_without_skipping_them(tmp_path: Path) -> None:
    config = write_project(
        tmp_path, model=PRED_MODEL, data=NO_SENSITIVE, suite=[DP, *ACCURACY_SUITE]
    )
    report = execute_run(load_project_file(config), quiet=True, only=["test.accuracy"]).report
    assert [r.id for r in report.results] == ["test.accuracy"] and report.status == "pass"


def test_a_counterfactual_on_inputs_the_model_does_not_take_is_not_applicable(
    tmp_path: Path,
) -> None:
    import torch

    from tests.runner.helpers import train_tiny

    frame = make_frame()
    torch.jit.trace(train_tiny(frame, steps=20), (torch.zeros(2, 3),)).save(
        str(tmp_path / "model.pt")
    )
    data = {"eval": "eval.csv", "label": "label", "features": FEATURES, "sensitive": ["sex"]}
    report = _run(
        tmp_path, [{"id": "fairness.counterfactual_flip"}], model={"path": "model.pt"}, data=data
    )
    (result,) = report.results
    assert result.status == "skipped" and not result.blocking and report.status == "pass"
    assert result.message.startswith("Not applicable: no sensitive attribute is a model input")
