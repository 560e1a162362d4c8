"""Through the runner: a predictions-only project skips every attribution check, with the reason;
the blocking ones fail the gate, since their evidence is missing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from govkit.project import load_project_file
from govkit.runner import execute_run

IDS = [
    "attribution.importance",
    "attribution.completeness",
    "attribution.sanity",
    "attribution.sensitive_reliance",
    "fairness.counterfactual_flip",
]


def test_predictions_only_project_skips_attribution(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    n = 200
    x = rng.normal(size=(n, 2))
    score = 1.0 / (1.0 + np.exp(-x[:, 0]))
    pd.DataFrame(
        {
            "x0": x[:, 0],
            "x1": x[:, 1],
            "sex": rng.choice(["Female", "Male"], size=n),
            "label": (rng.random(n) < score).astype(int),
            "pred_score": score,
            "pred_label": (score >= 0.5).astype(int),
        }
    ).to_csv(tmp_path / "eval.csv", index=False)
    config = {
        "govkit": 1,
        "system": {"name": "scores", "version": "1"},
        "model": {"predictions": {"label": "pred_label", "score": "pred_score"}},
        "data": {
            "eval": "eval.csv",
            "label": "label",
            "features": ["x0", "x1"],
            "sensitive": ["sex"],
            "proxies": ["x1"],
        },
        "suite": "attribution",
        "output": "out",
    }
    (tmp_path / "govkit.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    report = execute_run(load_project_file(tmp_path / "govkit.yaml"), quiet=True).report
    assert [r.id for r in report.results] == IDS
    for result in report.results:
        assert result.status == "skipped", (result.id, result.message)
        assert result.measurements == []
        assert "predictions-only" in result.message and "model.path" in result.message
        # the evidence a blocking check stands for is missing: it blocks; a warning does not
        assert result.blocking == (result.id != "attribution.importance"), result.id
    assert report.status == "fail"
