"""CheckContext's public contract: inputs and predictions once per split, memo once per key.

The attribution checks share their costly results (rows, baselines,
attributions) through ``CheckContext.memo``, and read the runner's inputs and
predictions through ``inputs`` and ``predictions``; these tests pin down what
they may rely on.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from govkit.checks.context import CheckContext, Predictions, Split, SplitName


def _ctx() -> tuple[CheckContext, list[str]]:
    frame = pd.DataFrame({"x": [0.0, 1.0, 2.0]})
    calls: list[str] = []

    def inputs_of(split: SplitName) -> torch.Tensor:
        calls.append(f"inputs:{split}")
        return torch.tensor(frame.to_numpy(), dtype=torch.float32)

    def predictions_of(split: SplitName) -> Predictions:
        calls.append(f"predictions:{split}")
        p = np.array([0.2, 0.6, 0.9])
        lp = np.log(np.stack([1 - p, p], axis=1))
        return Predictions(lp, p, (p >= 0.5).astype(np.int64))

    ctx = CheckContext(
        task="binary",
        seed=0,
        device="cpu",
        eval=Split("eval", frame, np.array([0, 1, 1])),
        train=Split("train", frame, np.array([0, 1, 1])),
        inputs_of=inputs_of,
        predictions_of=predictions_of,
    )
    return ctx, calls


def test_inputs_and_predictions_are_computed_once_per_split() -> None:
    ctx, calls = _ctx()
    assert ctx.inputs("eval") is ctx.inputs("eval")
    assert ctx.predictions("eval") is ctx.predictions("eval")
    ctx.inputs("train")
    assert calls == ["inputs:eval", "predictions:eval", "inputs:train"]
    assert ctx.predictions("eval").labels.tolist() == [0, 1, 1]


def test_memo_computes_once_per_key_and_keeps_no_failure() -> None:
    ctx, _ = _ctx()
    computed: list[int] = []

    def compute() -> list[int]:
        computed.append(len(computed))
        return computed[:]

    first = ctx.memo("a", compute)
    assert ctx.memo("a", compute) is first and computed == [0]
    assert ctx.memo("b", compute) == [0, 1]  # another key, another computation

    def broken() -> int:
        raise RuntimeError("out of memory")

    with pytest.raises(RuntimeError):
        ctx.memo("c", broken)
    assert ctx.memo("c", lambda: 3) == 3  # the failure was not kept


def test_without_a_model_there_are_no_inputs_to_read() -> None:
    ctx, _ = _ctx()
    ctx.inputs_of = None
    with pytest.raises(LookupError, match="predictions-only"):
        ctx.inputs("eval")
    ctx.predictions_of = None
    with pytest.raises(LookupError, match="no predictions"):
        ctx.predictions("eval")
