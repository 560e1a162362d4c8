"""Turning whatever a classifier returns into per-class log-probabilities.

Every consumer (metrics, attribution, membership inference) works on one
normal form: a float (N, C) tensor of log-probabilities. A binary model may
return one logit or probability per row, shape (N,) or (N, 1), or two-class
scores (N, 2); a multiclass model returns (N, C).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    import torch

__all__ = ["to_log_probs"]

_EPS = 1e-12


def to_log_probs(
    raw: torch.Tensor,
    task: Literal["binary", "multiclass"],
    output: Literal["logits", "probabilities"],
) -> torch.Tensor:
    """(N, C) log-probabilities from raw model outputs; differentiable."""
    import torch
    import torch.nn.functional as F

    if raw.ndim == 2 and raw.shape[1] == 1:
        raw = raw[:, 0]
    if raw.ndim == 1:
        if task != "binary":
            raise ValueError(
                f"a {task} model must return (N, C) scores, got shape {tuple(raw.shape)}"
            )
        if output == "logits":
            # log sigmoid on both sides keeps precision for confident rows
            return torch.stack([F.logsigmoid(-raw), F.logsigmoid(raw)], dim=1)
        p = raw.clamp(_EPS, 1 - _EPS)
        return torch.stack([torch.log1p(-p), torch.log(p)], dim=1)
    if raw.ndim != 2:
        raise ValueError(
            f"expected model outputs of shape (N,), (N, 1) or (N, C), got {tuple(raw.shape)}"
        )
    if task == "binary" and raw.shape[1] != 2:
        raise ValueError(f"a binary model returns 1 or 2 scores per row, got {raw.shape[1]}")
    if output == "logits":
        return F.log_softmax(raw, dim=1)
    return torch.log(raw.clamp_min(_EPS))
