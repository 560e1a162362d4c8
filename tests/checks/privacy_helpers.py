"""Hand-built check contexts for the privacy and data checks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from govkit.checks.context import CheckContext, Predictions, Split


def make_context(
    eval_frame: pd.DataFrame,
    eval_y: np.ndarray,
    *,
    train_frame: pd.DataFrame | None = None,
    train_y: np.ndarray | None = None,
    predict: Callable[[str], Predictions] | None = None,
    **kwargs: Any,
) -> CheckContext:
    """A CheckContext as the runner would build it, without the runner."""
    train = None
    if train_frame is not None:
        train = Split("train", train_frame, np.asarray(train_y, dtype=np.int64))
    return CheckContext(
        task=kwargs.pop("task", "binary"),
        seed=kwargs.pop("seed", 0),
        device="cpu",
        eval=Split("eval", eval_frame, np.asarray(eval_y, dtype=np.int64)),
        train=train,
        predictions_of=predict,
        **kwargs,
    )


def predictions_from_log_probs(log_probs: np.ndarray) -> Predictions:
    lp = np.asarray(log_probs, dtype=np.float64)
    probs = np.exp(lp)
    return Predictions(log_probs=lp, scores=probs[:, 1], labels=probs.argmax(axis=1))
