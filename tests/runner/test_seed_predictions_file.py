"""A predictions.parquet of a run over several seeds: every seed recorded, and read back as a
baseline with those seeds, seed i paired with the candidate's seed i.

Real tiny models are trained with three seeds and saved as TorchScript; an
earlier ``govkit check`` over them writes the file a later run names as its
baseline. A file whose seed count differs from the candidate's is exit 2 at
the baseline's line in govkit.yaml, as for any baseline with seeds.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
import torch

from govkit.checks.context import Predictions
from govkit.cli import main
from govkit.project import load_project_file
from govkit.report import Report
from govkit.runner import execute_run
from govkit.runner.predictions_file import METADATA_KEY, predictions_bytes, read_predictions
from tests.runner.helpers import make_frame, train_tiny, write_project

SUITE = [
    {
        "id": "performance.classification",
        "params": {"n_boot": 100},
        "thresholds": [{"metric": "accuracy", "min": 0.5}],
    }
]
SEEDS = ["seed_0", "seed_1", "seed_2"]


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return make_frame(400)


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory, frame: pd.DataFrame) -> Path:
    """Three seeds' checkpoints, and an earlier run over them that wrote predictions.parquet."""
    root = tmp_path_factory.mktemp("seed_file")
    (root / "models").mkdir()
    for seed in range(3):
        # few steps, so the seeds differ visibly
        model = train_tiny(frame, seed=seed, steps=8)
        torch.jit.script(model).save(str(root / "models" / f"seed_{seed}.ts"))
    _run(root / "earlier", frame, paths="../models/seed_*.ts")
    return root


def _run(folder: Path, frame: pd.DataFrame, **model: Any) -> Report:
    return execute_run(load_project_file(_config(folder, frame, model)), quiet=True).report


def _config(folder: Path, frame: pd.DataFrame, model: dict[str, Any], **extra: Any) -> Path:
    return write_project(folder, model=model, suite=SUITE, frame=frame, **extra)


def _earlier(root: Path) -> str:
    return str(root / "earlier" / "out" / "predictions.parquet")


def test_a_run_over_seeds_records_every_seed(root: Path) -> None:
    path = Path(_earlier(root))
    recorded = read_predictions(path)
    assert [s.name for s in recorded.seeds] == SEEDS
    names = pq.read_schema(path).names
    assert names == [
        "row_key",
        "label",
        "score",
        "label.seed1",
        "score.seed1",
        "label.seed2",
        "score.seed2",
    ]
    # the first seed's columns are the plain ones an older reader knows
    np.testing.assert_array_equal(recorded.labels, recorded.seeds[0].labels)
    assert not np.array_equal(recorded.seeds[0].scores, recorded.seeds[1].scores)
    # each seed's recorded labels give that seed's accuracy in the earlier report
    report = json.loads((root / "earlier" / "out" / "report.json").read_text())
    truth = make_frame(400)["label"].to_numpy()
    for seed in recorded.seeds:
        [m] = [
            m
            for m in report["results"][0]["measurements"]
            if m["name"] == "accuracy"
            and m["seed"] == seed.name
            and m["group"] is None
            and m["vs"] is None
            and m["model"] is None
        ]
        # rows come back in file order, which is the evaluation data's
        assert m["value"] == pytest.approx(float((seed.labels == truth).mean()))


def test_a_recorded_file_of_seeds_is_a_baseline_paired_seed_by_seed(
    root: Path, frame: pd.DataFrame
) -> None:
    later = root / "later"
    config = _config(
        later,
        frame,
        {"paths": "../models/seed_*.ts"},
        baselines=[{"name": "earlier", "predictions_file": _earlier(root)}],
    )
    report = execute_run(load_project_file(config), quiet=True).report
    assert [(b.source, b.rows_matched, b.rows) for b in report.baselines] == [
        ("predictions_file", 400, 400)
    ]
    ms = report.results[0].measurements
    # the same checkpoints, paired seed i with seed i: every difference, of every seed, is 0;
    # pairing the wrong seeds would leave differences the size of the seeds' spread
    diffs = [m for m in ms if m.vs == "earlier" and m.value is not None]
    assert {m.seed for m in diffs} == {None, *SEEDS}
    assert all(m.value == pytest.approx(0.0, abs=1e-9) for m in diffs)
    # the baseline's own figures vary over its seeds like the candidate's
    own = [m for m in ms if m.name == "accuracy" and m.group is None and m.seed is None]
    [cand] = [m for m in own if m.model is None and m.vs is None]
    [base] = [m for m in own if m.model == "earlier"]
    assert cand.seed_sd is not None and cand.seed_sd > 0
    assert base.value == pytest.approx(cand.value) and base.seed_sd == pytest.approx(cand.seed_sd)


def test_a_file_of_one_model_is_a_baseline_for_every_seed(root: Path, frame: pd.DataFrame) -> None:
    _run(root / "one", frame, path="../models/seed_1.ts")
    assert [
        s.name for s in read_predictions(root / "one" / "out" / "predictions.parquet").seeds
    ] == ["0"]
    config = _config(
        root / "three",
        frame,
        {"paths": "../models/seed_*.ts"},
        baselines=[{"name": "one", "predictions_file": "../one/out/predictions.parquet"}],
    )
    report = execute_run(load_project_file(config), quiet=True).report
    ms = report.results[0].measurements
    [base] = [m for m in ms if m.name == "accuracy" and m.model == "one" and m.group is None]
    # one model: its figure is the same in every seed, kept once, without a spread
    assert base.seed is None and base.seed_sd is None
    per_seed = {
        m.seed: m.value for m in ms if m.vs == "one" and m.name == "accuracy" and m.group is None
    }
    assert per_seed["seed_1"] == pytest.approx(0.0, abs=1e-9)
    assert per_seed["seed_0"] != pytest.approx(0.0, abs=1e-9) or per_seed[
        "seed_2"
    ] != pytest.approx(0.0, abs=1e-9)


def _fails_at_baseline(config: Path, capsys: pytest.CaptureFixture[str]) -> str:
    code = main(["check", "-c", str(config), "-q"])
    err = capsys.readouterr().err
    assert code == 2, err
    lines = config.read_text().splitlines()
    start = next(i for i, s in enumerate(lines, 1) if "name: earlier" in s)
    where = int(err.split("govkit.yaml:", 1)[1].split(":", 1)[0])
    assert start <= where <= start + 1, err
    assert "baselines[0]" in err and "Traceback" not in err
    assert not (config.parent / "out" / "report.json").exists()
    assert not (config.parent / "out" / "predictions.parquet").exists()
    return err


@pytest.mark.parametrize(
    "model",
    [{"paths": ["../models/seed_0.ts", "../models/seed_1.ts"]}, {"path": "../models/seed_0.ts"}],
    ids=["two seeds", "one model"],
)
def test_a_file_with_another_number_of_seeds(
    root: Path,
    frame: pd.DataFrame,
    model: dict[str, Any],
    capsys: pytest.CaptureFixture[str],
    request: pytest.FixtureRequest,
) -> None:
    folder = root / f"fewer_{request.node.callspec.id.replace(' ', '_')}"
    baseline = {"name": "earlier", "predictions_file": _earlier(root)}
    err = _fails_at_baseline(_config(folder, frame, model, baselines=[baseline]), capsys)
    k = len(model.get("paths", [model.get("path")]))
    assert f"baseline 'earlier' has 3 seeds and the candidate {k}" in err
    assert "predictions.parquet of a run over as many seeds" in err


def test_a_file_that_lacks_a_seeds_columns(
    root: Path, frame: pd.DataFrame, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = root / "cut"
    folder.mkdir()
    table = pq.read_table(_earlier(root))
    pq.write_table(table.drop(["score.seed2"]), folder / "cut.parquet")
    config = _config(
        folder,
        frame,
        {"paths": "../models/seed_*.ts"},
        baselines=[{"name": "earlier", "predictions_file": "cut.parquet"}],
    )
    err = _fails_at_baseline(config, capsys)
    assert "cut.parquet: it lacks the column(s) score.seed2" in err


def test_multiclass_seeds_round_trip(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    keys = rng.integers(0, 2**63, size=50, dtype=np.uint64)
    seeds = []
    for j in range(2):
        probs = rng.dirichlet(np.ones(3), size=50)
        seeds.append(
            (
                f"s{j}",
                Predictions(
                    log_probs=np.log(probs),
                    scores=probs,
                    labels=probs.argmax(axis=1),
                    has_scores=True,
                ),
            )
        )
    data = predictions_bytes(
        keys, seeds[0][1], task="multiclass", classes=["a", "b", "c"], columns=["x"], seeds=seeds
    )
    table = pq.read_table(io.BytesIO(data))
    assert "score_2.seed1" in table.column_names
    assert json.loads(table.schema.metadata[METADATA_KEY])["seeds"] == ["s0", "s1"]
    path = tmp_path / "p.parquet"
    path.write_bytes(data)
    recorded = read_predictions(path)
    for (name, preds), seed in zip(seeds, recorded.seeds, strict=True):
        assert seed.name == name
        np.testing.assert_allclose(seed.scores, np.exp(preds.log_probs))
        np.testing.assert_array_equal(seed.labels, preds.labels)
