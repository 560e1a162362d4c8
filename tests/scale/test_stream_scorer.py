"""Streamed scoring predicts as the in-memory run does, batch after batch, in flat memory."""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import torch

from govkit.checks.context import Predictions
from govkit.errors import InputError
from govkit.project import load_project_file
from govkit.runner.console import Console
from govkit.runner.context import model_context
from govkit.runner.data import load_data
from govkit.runner.encode import make_encoder
from govkit.scale.stream import (
    ModelScorer,
    batched,
    make_scorer,
    model_input_columns,
    scorer_for_project,
)
from tests.runner.helpers import FACTORY_SOURCE, make_frame, train_tiny, write_project

BATCH_SIZE = 64


@dataclass
class Run:
    frame: pd.DataFrame
    predictions: Predictions
    scorer: ModelScorer


def _project(root: Path, frame: pd.DataFrame, model: Any, **model_cfg: Any) -> Path:
    torch.save(model.state_dict(), root / "model.pt")
    (root / "tiny_factory.py").write_text(FACTORY_SOURCE)
    return write_project(
        root,
        model={"path": "model.pt", "factory": "tiny_factory:build", **model_cfg},
        suite=[{"id": "performance.classification"}],
        frame=frame,
    )


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """The tiny income model, its in-memory predictions and a scorer from the same pieces."""
    root = tmp_path_factory.mktemp("stream")
    frame = make_frame(n=1000, seed=3)
    config = _project(
        root, frame, train_tiny(frame, steps=60), batch_size=BATCH_SIZE, threshold=0.4
    )
    project = load_project_file(config)
    data = load_data(project, check_features=True)
    ctx, _ = model_context(project, data, "cpu", Console(quiet=True))
    # an encoder made from a first batch, as a stream has no whole split
    encoder, _ = make_encoder(project, data.eval.frame.iloc[:10])
    scorer = scorer_for_project(
        project,
        ctx.model,
        encoder.encode,
        device="cpu",
        columns=list(data.eval.frame.columns),
        n_classes=2,
    )
    return Run(data.eval.frame, ctx.predictions("eval"), scorer)


def _uneven(frame: pd.DataFrame, seed: int) -> Iterator[pd.DataFrame]:
    """The frame in pieces of random sizes, as a source's files and row groups come."""
    rng = np.random.default_rng(seed)
    cuts = np.sort(rng.choice(np.arange(1, len(frame)), size=11, replace=False))
    for a, b in zip([0, *cuts], [*cuts, len(frame)], strict=True):
        yield frame.iloc[a:b]


def _score(scorer: ModelScorer, batches: Iterator[pd.DataFrame]) -> tuple[np.ndarray, np.ndarray]:
    labels, scores = [], []
    for batch in batches:
        lab, sc = scorer(batch)
        assert sc is not None
        labels.append(lab)
        scores.append(sc)
    return np.concatenate(labels), np.concatenate(scores)


def test_scorer_reads_only_the_features(run: Run) -> None:
    assert run.scorer.columns == ("x1", "x2", "x3")
    assert run.scorer.task == "binary"


@pytest.mark.parametrize("multiple", [1, 3, 10])
def test_batches_cut_as_the_model_batches_give_identical_predictions(
    run: Run, multiple: int
) -> None:
    """Re-cut to multiples of model.batch_size, every model call sees the in-memory run's rows."""
    labels, scores = _score(
        run.scorer, batched(_uneven(run.frame, multiple), BATCH_SIZE * multiple)
    )
    np.testing.assert_array_equal(labels, run.predictions.labels)
    np.testing.assert_array_equal(scores, run.predictions.scores)
    assert labels.dtype == np.int64 and scores.dtype == np.float64


@pytest.mark.parametrize("size", [3, 7, 100, 333, 1000])
def test_any_batch_size_gives_the_same_labels_and_scores_to_float32_rounding(
    run: Run, size: int
) -> None:
    """Other cuts change only which float32 kernel path a row takes inside the model."""
    rows = min(len(run.frame), 30 * size)  # tiny batches: a prefix of the rows is enough
    labels, scores = _score(run.scorer, batched([run.frame.iloc[:rows]], size))
    np.testing.assert_array_equal(labels, run.predictions.labels[:rows])
    np.testing.assert_allclose(scores, run.predictions.scores[:rows], rtol=0, atol=1e-6)


def test_the_threshold_decides_binary_labels(run: Run) -> None:
    labels, scores = _score(run.scorer, iter([run.frame]))
    np.testing.assert_array_equal(labels, (scores >= 0.4).astype(np.int64))
    assert ((scores >= 0.4) & (scores < 0.5)).any()  # the threshold is not the default 0.5


def test_multiclass_gives_argmax_and_no_scores() -> None:
    frame = make_frame(n=400, seed=5)
    model = train_tiny(frame, out_dim=3, steps=40)
    x = torch.tensor(frame[["x1", "x2", "x3"]].to_numpy(np.float32))
    with torch.inference_mode():
        expected = torch.log_softmax(model(x).double(), dim=1).argmax(dim=1).numpy()

    def encode(batch: pd.DataFrame) -> torch.Tensor:
        return torch.from_numpy(np.ascontiguousarray(batch.to_numpy(np.float32)))

    scorer = make_scorer(
        model,
        encode,
        columns=["x1", "x2", "x3"],
        device="cpu",
        task="multiclass",
        output="logits",
        threshold=0.5,
        n_classes=3,
    )
    labels, scores = scorer(frame)
    assert scores is None
    np.testing.assert_array_equal(labels, expected)
    too_many = make_scorer(
        model,
        encode,
        columns=["x1", "x2", "x3"],
        device="cpu",
        task="multiclass",
        output="logits",
        threshold=0.5,
        n_classes=4,
    )
    with pytest.raises(InputError, match="returns 3 class scores but the label column has 4"):
        too_many(frame)


def test_an_empty_batch_scores_to_empty_arrays(run: Run) -> None:
    labels, scores = run.scorer(run.frame.iloc[:0])
    assert labels.shape == (0,) and scores is not None and scores.shape == (0,)


def test_bad_batches_are_input_errors(run: Run) -> None:
    with pytest.raises(InputError, match="'x2' are not in the data"):
        run.scorer(run.frame.drop(columns=["x2"]))
    holes = run.frame.iloc[:50].copy()
    holes.loc[holes.index[:3], "x1"] = np.nan
    with pytest.raises(InputError, match="column 'x1' has 3 missing value"):
        run.scorer(holes)
    text = run.frame.iloc[:5].astype({"x3": str})
    with pytest.raises(InputError, match="column 'x3' is not numeric"):
        run.scorer(text)


def test_with_a_transform_every_column_but_label_and_predictions_is_read(
    tmp_path: Path,
) -> None:
    frame = make_frame(n=50)
    config = write_project(
        tmp_path,
        model={"path": "model.pt"},
        data={"eval": "eval.csv", "label": "label", "transform": "enc:transform"},
        frame=frame,
    )
    project = load_project_file(config)
    assert model_input_columns(project, list(frame.columns)) == [
        c for c in frame.columns if c != "label"
    ]


def test_batched_keeps_every_row_in_order() -> None:
    frame = pd.DataFrame({"x": np.arange(1000)})
    parts = list(_uneven(frame, 0))
    for size in (1, 7, 64, 999, 1000, 5000):
        out = list(batched(iter(parts), size))
        assert all(len(b) == size for b in out[:-1]) and 0 < len(out[-1]) <= size
        np.testing.assert_array_equal(pd.concat(out)["x"].to_numpy(), np.arange(1000))
    assert list(batched(iter([frame.iloc[:0]]), 10)) == []
    with pytest.raises(ValueError, match="batch_size must be >= 1"):
        list(batched(iter(parts), 0))


def _peak_growth(scorer: ModelScorer, batches: list[pd.DataFrame], kept: list[Any]) -> int:
    """Traced bytes allocated at the peak while scoring ``batches``, above where it started.

    ``kept`` receives what a careless caller would hold on to (each batch's
    labels); pass None to drop them at once.
    """
    gc.collect()
    tracemalloc.reset_peak()
    start = tracemalloc.get_traced_memory()[0]
    for batch in batches:
        labels, _ = scorer(batch)
        if kept is not None:
            kept.append(labels)
        del labels
    return tracemalloc.get_traced_memory()[1] - start


def test_memory_stays_flat_with_the_number_of_batches(run: Run) -> None:
    """The peak of 20 batches is the peak of 2: nothing of a batch outlives it."""
    scorer = make_scorer(
        run.scorer.model,
        run.scorer.encode,
        columns=run.scorer.columns,
        device="cpu",
        task="binary",
        output="logits",
        threshold=0.5,
        batch_size=8192,
        complete=run.scorer.columns,
    )
    big = pd.concat([run.frame] * 8, ignore_index=True)  # 8,000 rows a batch
    batches = [big] * 20
    scorer(big)  # first-call allocations (kernels, caches) are not the stream's
    tracemalloc.start()
    try:
        two = _peak_growth(scorer, batches[:2], None)
        twenty = _peak_growth(scorer, batches, None)
        # the measurement can see growth: holding each batch's labels (64 kB) shows up
        leaking = _peak_growth(scorer, batches, [])
    finally:
        tracemalloc.stop()
    assert twenty <= 1.25 * two + 64 * 1024, (two, twenty)
    assert leaking > twenty + 15 * len(big) * 8, (twenty, leaking)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_on_cuda_the_scorer_agrees_and_device_memory_stays_flat(run: Run) -> None:
    model = run.scorer.model.to("cuda:0")
    try:
        scorer = make_scorer(
            model,
            run.scorer.encode,
            columns=run.scorer.columns,
            device="cuda:0",
            task="binary",
            output="logits",
            threshold=0.4,
            batch_size=BATCH_SIZE,
        )
        labels, scores = _score(scorer, batched([run.frame], 4 * BATCH_SIZE))
        np.testing.assert_allclose(scores, run.predictions.scores, rtol=0, atol=1e-5)
        near = np.abs(run.predictions.scores - 0.4) < 1e-5
        np.testing.assert_array_equal(labels[~near], run.predictions.labels[~near])
        peaks = []
        for count in (2, 20):
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
            for _ in range(count):
                scorer(run.frame)
            peaks.append(torch.cuda.max_memory_allocated())
        assert peaks[1] <= peaks[0] * 1.1 + 1024 * 1024, peaks
    finally:
        run.scorer.model.to("cpu")
