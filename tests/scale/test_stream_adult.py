"""Streamed scoring of the Adult example: its transform and torch.export program, batch by batch."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from govkit.project import load_project_file
from govkit.runner.console import Console
from govkit.runner.context import model_context
from govkit.runner.data import load_data
from govkit.runner.encode import make_encoder
from govkit.scale.stream import batched, scorer_for_project

ADULT = Path(__file__).resolve().parents[2] / "examples" / "adult"

pytestmark = pytest.mark.slow


def test_streamed_adult_predictions_are_the_in_memory_ones(tmp_path: Path) -> None:
    folder = Path(
        shutil.copytree(
            ADULT, tmp_path / "adult", ignore=shutil.ignore_patterns("build", "artifacts")
        )
    )
    done = subprocess.run(
        [sys.executable, "train.py", "--rows", "3000", "--epochs", "1"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    config = folder / "govkit.yaml"
    text = config.read_text(encoding="utf-8")
    # small model batches, so that a stream's batches span several of them
    config.write_text(text.replace("  threshold: 0.5\n", "  threshold: 0.5\n  batch_size: 128\n"))
    project = load_project_file(folder / "govkit.yaml")
    data = load_data(project, check_features=False)
    ctx, _ = model_context(project, data, "cpu", Console(quiet=True))
    expected = ctx.predictions("eval")
    frame = data.eval.frame
    # a stream has no whole split: the transform is first called on a first batch
    encoder, _ = make_encoder(project, frame.iloc[:100])
    scorer = scorer_for_project(
        project, ctx.model, encoder.encode, device="cpu", columns=list(frame.columns)
    )
    assert "class" not in scorer.columns and "sex" in scorer.columns
    size = project.model.model.batch_size
    assert size == 128
    for cut, exact in ((2 * size, True), (size // 3 + 1, False)):
        labels, scores = [], []
        for batch in batched([frame.iloc[:400], frame.iloc[400:]], cut):
            lab, sc = scorer(batch)
            labels.append(lab)
            scores.append(sc)
        np.testing.assert_array_equal(np.concatenate(labels), expected.labels)
        got = np.concatenate(scores)
        if exact:
            np.testing.assert_array_equal(got, expected.scores)
        else:
            np.testing.assert_allclose(got, expected.scores, rtol=0, atol=1e-6)
