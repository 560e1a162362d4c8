"""govkit validate warns where the suite and the experiment plan bound the same figure differently."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.helpers import minimal

Run = Callable[..., tuple[int, str, str]]
Write = Callable[..., Path]

SUITE = """suite: 1
name: release
checks:
  - id: performance.classification
    thresholds:
      - {metric: accuracy, min: 0.90}
      - {metric: roc_auc, min: 0.70}
      - {metric: roc_auc, vs: previous, min: -0.005}
"""


def _line(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def test_disagreement_is_a_warning_with_both_locations(cli: Run, write: Write) -> None:
    suite = write("suite.yaml", SUITE)
    plan = minimal("experiment_plan")
    plan["acceptance_criteria"] = [
        {"metric": "accuracy", "op": ">=", "threshold": 0.9},  # agrees
        {
            "metric": "roc_auc",
            "op": ">=",
            "threshold": 0.85,
            "check_id": "performance.classification",
        },
        {"metric": "roc_auc", "op": ">=", "threshold": 0.0, "vs": "previous"},
        {"metric": "roc_auc", "op": "<=", "threshold": 0.99},  # the suite bounds no maximum
    ]
    plan_path = write("docs/plan.yaml", plan)
    config = write(
        "govkit.yaml",
        {
            "govkit": 1,
            "system": {"name": "s", "version": "1"},
            "documents": ["docs/plan.yaml"],
            "model": {"predictions": {"label": "p"}, "task": "binary"},
            "data": {"eval": "eval.csv", "label": "y"},
            "suite": "suite.yaml",
            "baselines": [{"name": "previous", "predictions_file": "old/predictions.parquet"}],
        },
    )
    code, _, err = cli("validate", str(config))
    warnings = [
        line for line in err.splitlines() if "plan_suite" in line or "the plan requires" in line
    ]
    assert len(warnings) == 2, err
    auc_line = _line(plan_path, "threshold: 0.85")
    assert f"{plan_path}:{auc_line}:" in warnings[0]
    assert "the plan requires roc_auc >= 0.85" in warnings[0]
    assert f"{suite}:{_line(suite, 'metric: roc_auc, min: 0.70')}" in warnings[0]
    assert "gates it at min 0.7" in warnings[0]
    assert f"{suite}:{_line(suite, 'vs: previous')}" in warnings[1]
    assert code == 0
    code, _, _ = cli("validate", "--strict", str(config))
    assert code == 1
