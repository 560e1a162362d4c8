"""Helpers for the fairness and performance check tests: a model's predictions
on an eval frame, and the check context the runner would build from them."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from govkit.checks.context import CheckContext, Predictions, Split


@dataclass
class Trained:
    """An eval frame with its labels and a model's predictions on it."""

    frame: pd.DataFrame
    y_true: np.ndarray
    labels: np.ndarray
    scores: np.ndarray  # binary: positive-class probability; multiclass: (N, C)


def make_context(
    data: Trained,
    *,
    sensitive: list[str],
    task: str = "binary",
    seed: int = 0,
    has_scores: bool = True,
) -> CheckContext:
    """A CheckContext as the runner would build it, in predictions-only form."""
    scores = np.asarray(data.scores, dtype=np.float64)
    if task == "binary":
        p = np.clip(scores, 1e-15, 1 - 1e-15)
        log_probs = np.stack([np.log1p(-p), np.log(p)], axis=1)
    else:
        log_probs = np.log(np.clip(scores, 1e-300, None))

    def predict(split: str) -> Predictions:
        return Predictions(
            log_probs=log_probs, scores=scores, labels=data.labels, has_scores=has_scores
        )

    return CheckContext(
        task=task,  # type: ignore[arg-type]
        seed=seed,
        device="cpu",
        eval=Split("eval", data.frame, data.y_true),
        sensitive=sensitive,
        predictions_of=predict,
    )
