"""Accuracy, precision and recall are rates: Wilson intervals that cover the truth and never collapse."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from govkit.checks.base import CheckParams
from govkit.checks.classification import Classification
from govkit.checks.context import CheckContext


def _sample(seed: int, n: int, accuracy: float) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Two groups of ``n`` rows, half positive; each prediction is right with the given chance."""
    rng = np.random.default_rng(seed)
    y = (rng.random(2 * n) < 0.5).astype(np.int64)
    right = rng.random(2 * n) < accuracy
    pred = np.where(right, y, 1 - y).astype(np.int64)
    return pd.DataFrame({"sex": ["A"] * n + ["B"] * n}), y, pred


def _figures(
    ctx_of: Callable[..., CheckContext], trained: Any, data: tuple[Any, ...]
) -> dict[tuple[str, str | None], Any]:
    frame, y, pred = data
    score = np.clip(0.5 * pred + 0.25, 0, 1)
    ctx = ctx_of(trained(frame, y, pred, score), sensitive=["sex"])
    evidence = Classification().measure(ctx, CheckParams(n_boot=0))
    return {(m.name, (m.group or {}).get("sex")): m for m in evidence.measurements}


def test_a_group_without_errors_keeps_a_lower_bound_below_one(
    context_of: Callable[..., CheckContext], trained_type: Any
) -> None:
    figures = _figures(context_of, trained_type, _sample(0, 40, 1.0))
    for name in ("accuracy", "precision", "recall"):
        m = figures[(name, "A")]
        assert m.value == 1.0 and m.ci is not None
        assert m.ci[1] == 1.0 and m.ci[0] < 0.95, (name, m.ci)


def test_accuracy_interval_covers_the_true_rate(
    context_of: Callable[..., CheckContext], trained_type: Any
) -> None:
    covered = []
    for seed in range(150):
        m = _figures(context_of, trained_type, _sample(seed, 60, 0.9))[("accuracy", "A")]
        assert m.ci is not None and m.n == 60
        covered.append(m.ci[0] <= 0.9 <= m.ci[1])
    # 95% Wilson intervals; 150 samples leave room for sampling error
    assert np.mean(covered) >= 0.9, np.mean(covered)
