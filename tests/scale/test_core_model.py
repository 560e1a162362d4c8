"""A model scored by the engine: the statistics path's figures equal the rows path's.

The model runs on every row in batches through the engine's scorer (the
cells), and on the seeded sample for the checks that need rows; its count
figures must be those of the in-memory run, and the training split's sample
serves membership inference.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

torch = pytest.importorskip("torch")

from govkit.project import load_project_file  # noqa: E402
from govkit.runner.run import execute_run  # noqa: E402
from tests.runner.helpers import FEATURES, make_frame, train_tiny  # noqa: E402

SUITE: list[dict[str, Any]] = [
    {"id": "performance.classification", "params": {"n_boot": 20}, "severity": "warn"},
    {"id": "fairness.demographic_parity", "params": {"n_boot": 20}, "severity": "warn"},
    {"id": "privacy.membership_inference", "params": {"n_boot": 20}, "severity": "warn"},
]


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("model")
    frame = make_frame(6_000, seed=1)
    train, evl = frame.iloc[:2_000], frame.iloc[2_000:]
    model = train_tiny(train, steps=60)
    torch.jit.script(model).save(str(root / "model.ts"))
    train.to_parquet(root / "train.parquet", index=False)
    evl.to_parquet(root / "eval.parquet", index=False)
    (root / "suite.yaml").write_text(
        yaml.safe_dump({"suite": 1, "name": "m", "checks": SUITE}, sort_keys=False)
    )
    cfg = {
        "govkit": 1,
        "system": {"name": "m", "version": "1"},
        "model": {"path": "model.ts"},
        "data": {
            "eval": "eval.parquet",
            "train": "train.parquet",
            "label": "label",
            "features": FEATURES,
            "sensitive": ["sex", "race"],
        },
        "suite": "suite.yaml",
        "output": "out",
        "device": "cpu",
    }
    (root / "govkit.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    return root


def _run(root: Path, engine: str) -> dict[str, Any]:
    project = load_project_file(str(root / "govkit.yaml"))
    outcome = execute_run(project, out=str(root / engine), quiet=True, engine=engine)
    return json.loads(outcome.report_path.read_text())


def _figures(report: dict[str, Any], check: str) -> dict[tuple[str, str], dict[str, Any]]:
    result = next(r for r in report["results"] if r["id"] == check)
    assert result["status"] != "error", result["message"]
    return {
        (m["name"], json.dumps(m.get("group"), sort_keys=True) + str(m.get("feature"))): m
        for m in result["measurements"]
    }


@pytest.fixture(scope="module")
def rows(root: Path) -> dict[str, Any]:
    """The in-memory run every engine is compared with (run once for the module)."""
    return _run(root, "pandas")


@pytest.mark.parametrize("engine", ["pandas-cells", "duckdb", "ray"])
def test_a_model_scored_by_the_engine_gives_the_rows_figures(
    root: Path, rows: dict[str, Any], engine: str, request: pytest.FixtureRequest
) -> None:
    if engine == "ray":
        request.getfixturevalue("local_ray")
    cells = _run(root, engine)
    for check in ("performance.classification", "fairness.demographic_parity"):
        a, b = _figures(rows, check), _figures(cells, check)
        assert a.keys() == b.keys()
        for key, m in a.items():
            if key[0] in ("roc_auc", "log_loss", "brier_score"):
                continue
            assert b[key]["value"] == pytest.approx(m["value"], abs=1e-12), (check, key)
    overall = next(
        v for k, v in _figures(cells, "performance.classification").items() if k[0] == "roc_auc"
    )
    exact = next(
        v for k, v in _figures(rows, "performance.classification").items() if k[0] == "roc_auc"
    )
    assert (
        abs(overall["value"] - exact["value"]) <= cells["engine"]["statistics"]["auc_error_bound"]
    )
    membership = next(r for r in cells["results"] if r["id"] == "privacy.membership_inference")
    assert membership["status"] != "error", membership["message"]
    assert "seeded sample" in membership["details"]["sample"]
    assert cells["engine"]["rows"] == 4_000


def test_several_checkpoints_are_refused_at_their_key(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from govkit.cli import main

    config = yaml.safe_load((root / "govkit.yaml").read_text())
    config["model"] = {"paths": ["model.ts", "model.ts"]}
    path = root / "seeds.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    code = main(["check", "-c", str(path), "--engine", "pandas-cells"])
    err = capsys.readouterr().err
    assert code == 2 and "seeds.yaml:" in err and "--engine pandas" in err


def test_leakage_refuses_a_sampled_training_split() -> None:
    from govkit.checks.base import SkipCheck
    from govkit.checks.context import CheckContext, Split
    from govkit.checks.leakage import Leakage

    frame = make_frame(200)
    y = frame["label"].to_numpy()
    ctx = CheckContext(
        task="binary",
        seed=0,
        device="cpu",
        eval=Split("eval", frame, y, sampled_from=10_000),
        train=Split("train", frame, y, sampled_from=5_000_000),
    )
    with pytest.raises(SkipCheck, match="sample of 200 of its 5,000,000 rows"):
        Leakage().measure(ctx, Leakage.Params())
    ctx.train = Split("train", frame, y, sampled_from=200)  # the sample is the whole split
    assert Leakage().measure(ctx, Leakage.Params()).measurements
