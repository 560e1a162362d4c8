"""Predictions-only mode: the model's outputs are columns of the data.

Nothing here imports torch: a team that scores its model elsewhere can gate a
release on the prediction columns alone. The predicted label column is mapped
to class indices exactly like the true label; the optional score column is
the probability of the positive class (binary tasks).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from govkit.checks.context import Predictions, Split
from govkit.project import PredictionColumns, Project
from govkit.runner.data import LabelCoding

if TYPE_CHECKING:
    import numpy as np

__all__ = ["column_predictions"]

# probabilities of exactly 0 or 1 would give infinite log-probabilities
_EPS = 1e-12


def _one_hot_log_probs(labels: np.ndarray, n_classes: int) -> np.ndarray:
    import numpy as np

    onehot = np.zeros((labels.shape[0], n_classes), dtype=np.float64)
    onehot[np.arange(labels.shape[0]), labels] = 1.0
    return np.log(np.clip(onehot, _EPS, 1.0))


def column_predictions(
    project: Project,
    split: Split,
    coding: LabelCoding,
    display: str,
    *,
    spec: PredictionColumns | None = None,
    loc: tuple[str | int, ...] = ("model", "predictions"),
) -> Predictions:
    """Predictions read from the columns named in ``model.predictions``.

    ``spec`` and ``loc`` name other prediction columns of govkit.yaml (a
    baseline's, at ``("baselines", i, "predictions")``); by default the candidate's.

    Raises
    ------
    ConfigError
        A predicted label that is not a class, or a score that is missing,
        not numeric, or outside [0, 1].
    """
    import numpy as np
    import pandas as pd

    if spec is None:
        spec = project.model.model.columns
    if spec is None:
        raise project.error(loc, "no prediction columns are set")
    frame = split.frame
    labels = coding.encode(
        frame[spec.label],
        what=f"prediction column '{spec.label}' of {display}",
        project=project,
        loc=(*loc, "label"),
    )
    n_classes = max(len(coding.classes), int(labels.max()) + 1)
    if spec.score is None:
        log_probs = _one_hot_log_probs(labels, n_classes)
        scores = labels.astype(np.float64) if coding.task == "binary" else np.exp(log_probs)
        return Predictions(log_probs=log_probs, scores=scores, labels=labels, has_scores=False)
    loc = (*loc, "score")
    if coding.task != "binary":
        raise project.error(
            loc,
            "a score column holds the positive-class probability, which "
            "applies to binary tasks only",
            hint=f"remove {'.'.join(str(k) for k in loc[:-1])}.score for a multiclass task",
        )
    raw = frame[spec.score]
    if not pd.api.types.is_numeric_dtype(raw):
        raise project.error(
            loc, f"score column '{spec.score}' of {display} is not numeric ({raw.dtype})"
        )
    p = raw.to_numpy(dtype=np.float64)
    if np.isnan(p).any():
        raise project.error(
            loc,
            f"score column '{spec.score}' of {display} has "
            f"{int(np.isnan(p).sum())} missing value(s)",
        )
    if (p < 0).any() or (p > 1).any():
        raise project.error(
            loc,
            f"score column '{spec.score}' of {display} has values outside "
            f"[0, 1] (min {p.min():.3g}, max {p.max():.3g})",
            hint="give the probability of the positive class, not a logit",
        )
    p = np.clip(p, _EPS, 1.0 - _EPS)
    log_probs = np.stack([np.log1p(-p), np.log(p)], axis=1)
    return Predictions(log_probs=log_probs, scores=p, labels=labels, has_scores=True)
