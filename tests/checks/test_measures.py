"""The declared measurement names of the built-in checks match what the checks report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from govkit.checks.measures import MEASURES
from govkit.checks.registry import BUILTIN_CHECKS, MODEL_CHECKS
from govkit.cli import main
from tests.runner.german import write_german_predictions


def test_every_builtin_check_declares_its_names() -> None:
    assert set(MEASURES) == set(BUILTIN_CHECKS)


def test_tabular_checks_report_only_declared_names(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    eval_csv = write_german_predictions(tmp_path)
    ids = sorted(set(BUILTIN_CHECKS) - MODEL_CHECKS)
    suite = {
        "suite": 1,
        "name": "all-tabular",
        "checks": [{"id": i, "severity": "warn"} for i in ids],
    }
    (tmp_path / "suite.yaml").write_text(yaml.safe_dump(suite))
    config = {
        "govkit": 1,
        "system": {"name": "credit", "version": "1"},
        "model": {"predictions": {"label": "predicted_risk", "score": "score"}, "task": "binary"},
        "data": {
            "eval": str(eval_csv),
            "train": str(eval_csv.parent / "train.csv"),
            "label": "risk",
            "sensitive": ["sex", "age_group"],
            "quasi_identifiers": ["sex", "age", "job", "housing", "purpose"],
        },
        "suite": "suite.yaml",
        "output": "out",
    }
    (tmp_path / "govkit.yaml").write_text(yaml.safe_dump(config))
    assert main(["check", "-c", str(tmp_path / "govkit.yaml")]) in (0, 1)
    capsys.readouterr()
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    measured = 0
    for result in report["results"]:
        names = {m["name"] for m in result["measurements"]}
        assert names <= MEASURES[result["id"]], (result["id"], names - MEASURES[result["id"]])
        measured += bool(names)
    assert measured >= len(ids) - 1  # every check measured something (pii may find no text)
