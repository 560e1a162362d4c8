"""The differentiable per-row score that every attribution method explains.

Attribution needs one number per row, differentiable in the inputs. For a
binary task that is the positive-class log-odds
``log p(1|x) - log p(0|x)`` (the logit itself for a one-logit model), which
does not saturate the way a probability does. For a multiclass task it is the
log-probability of a fixed class per row — the class the trained model
predicts on the row — so every point on an interpolation path is scored
against the same class, as captum's ``target`` does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import torch
from torch import nn

__all__ = ["TargetScore", "predict_log_probs_tensor"]


class TargetScore(nn.Module):
    """Wraps a classifier and its output convention into a per-row score.

    Parameters
    ----------
    model
        The classifier: an ``nn.Module``, a ``torch.export`` module or a
        TorchScript module, already on its device.
    log_probs_of
        Raw outputs -> (N, C) log-probabilities (differentiable).
    task
        ``binary`` or ``multiclass``.
    """

    def __init__(
        self,
        model: Callable[[torch.Tensor], torch.Tensor],
        log_probs_of: Callable[[torch.Tensor], torch.Tensor],
        task: Literal["binary", "multiclass"],
    ) -> None:
        super().__init__()
        # kept out of the module tree so a TargetScore never copies, moves or
        # re-initialises the model it wraps
        self._model = [model]
        self._log_probs_of = log_probs_of
        self.task = task

    @property
    def model(self) -> Callable[[torch.Tensor], torch.Tensor]:
        return self._model[0]

    def log_probs(self, x: torch.Tensor) -> torch.Tensor:
        """(N, C) log-probabilities of ``x``."""
        return self._log_probs_of(self.model(x))

    def forward(self, x: torch.Tensor, target: torch.Tensor | None = None) -> torch.Tensor:
        """(N,) score of each row; ``target`` holds the class per row (multiclass)."""
        lp = self.log_probs(x)
        if self.task == "binary":
            return lp[:, 1] - lp[:, 0]
        if target is None:
            raise ValueError("a multiclass score needs the target class of every row")
        return lp.gather(1, target.view(-1, 1))[:, 0]


def predict_log_probs_tensor(
    score: TargetScore, inputs: torch.Tensor, *, device: str | torch.device, batch_size: int = 8192
) -> torch.Tensor:
    """(N, C) float32 log-probabilities on the CPU, batched under inference mode."""
    out = []
    with torch.inference_mode():
        for start in range(0, inputs.shape[0], batch_size):
            chunk = inputs[start : start + batch_size].to(device, non_blocking=True)
            out.append(score.log_probs(chunk).float().cpu())
    if not out:
        return torch.empty(0, 0)
    return torch.cat(out)
