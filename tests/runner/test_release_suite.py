"""The built-in suites, end to end, with the real checks on a tiny trained model."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from govkit.checks.registry import load_check
from govkit.cli import main
from govkit.project import load_project_file
from govkit.runner import execute_run
from govkit.runner.plan import plan_checks
from govkit.suite import builtin_suites, load_suite
from tests.runner.helpers import FEATURES, make_frame, train_tiny, write_project

RELEASE_IDS = [
    "performance.classification",
    "performance.calibration",
    "fairness.demographic_parity",
    "fairness.equalized_odds",
    "fairness.equal_opportunity",
]


@pytest.mark.parametrize("name", ["release", "fairness"])
def test_builtin_suites_validate(name: str, tmp_path: Path) -> None:
    assert name in builtin_suites()
    loaded = load_suite(name, tmp_path)
    plans = plan_checks(loaded)
    assert all(p.severity == "block" and p.thresholds for p in plans)
    assert all(p.params.min_group_size == 30 and p.params.n_boot == 1000 for p in plans)
    for p in plans:
        load_check(p.id)


@pytest.mark.slow
def test_release_suite_on_a_trained_model(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    frame = make_frame(n=600)
    model = train_tiny(frame)
    ep = torch.export.export(
        model, (torch.zeros(4, 3),), dynamic_shapes=({0: torch.export.Dim("batch")},)
    )
    torch.export.save(ep, tmp_path / "model.pt2")
    config = write_project(tmp_path, model={"path": "model.pt2"}, suite="release", frame=frame)
    code = main(["check", "-c", str(config), "-q"])
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert code == (1 if report["status"] == "fail" else 0)
    assert [r["id"] for r in report["results"]] == RELEASE_IDS
    assert all(r["status"] != "error" for r in report["results"]), report["results"]
    names = {m["name"] for r in report["results"] for m in r["measurements"]}
    assert {
        "roc_auc",
        "ece",
        "demographic_parity_difference",
        "equalized_odds_difference",
        "equal_opportunity_difference",
    } <= names
    # the figures are the model's: ROC AUC from the report matches a direct computation
    from sklearn.metrics import roc_auc_score

    with torch.no_grad():
        p = torch.sigmoid(model(torch.tensor(frame[FEATURES].to_numpy(np.float32)))[:, 0])
    auc = next(
        m["value"]
        for r in report["results"]
        for m in r["measurements"]
        if m["name"] == "roc_auc" and m["group"] is None
    )
    assert auc == pytest.approx(roc_auc_score(frame["label"], p.numpy()), abs=1e-6)
    out = capsys.readouterr().out
    for check_id in RELEASE_IDS:
        assert check_id in out


def test_release_suite_predictions_only(tmp_path: Path) -> None:
    config = write_project(
        tmp_path,
        model={"predictions": {"label": "pred_label", "score": "pred_score"}},
        suite="release",
        frame=make_frame(n=600),
    )
    report = execute_run(load_project_file(config), quiet=True).report
    assert all(r.status != "error" for r in report.results), [r.message for r in report.results]
