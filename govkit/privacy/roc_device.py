"""The attack metrics of :mod:`govkit.privacy.roc`, computed with torch on a chosen device.

The bootstrap of a membership-inference attack is a (B, N) gather and
cumulative sum per attack and group: on a GPU it is one kernel per step
instead of a pass of numpy over host memory. The replicate weights are still
drawn by numpy (:func:`govkit.stats.bootstrap.bootstrap_rows`), so a run on
the GPU resamples exactly the rows a CPU run resamples; only the arithmetic
moves. Everything here is float64: integer weight sums are exact, so the
figures differ from the numpy path only in the last bits of the AUC's sum
(and, for a replicate, where numpy's float32 rates straddle an FPR level).

This module imports torch; the numpy path in :mod:`govkit.privacy.roc` stays
the default on the CPU and never loads it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from govkit.privacy.roc import _CHUNK_CELLS, _FPR_LEVELS, ATTACK_METRICS, RocInput

__all__ = ["DeviceRoc", "roc_metrics_on_device"]


@dataclass(frozen=True)
class DeviceRoc:
    """A :class:`~govkit.privacy.roc.RocInput` moved to a device once, for every replicate."""

    pos_rows: torch.Tensor  # int64 positions of the positives, by decreasing score
    neg_rows: torch.Tensor
    pos_idx: torch.Tensor  # int64 cumulative-sum column read at each threshold
    neg_idx: torch.Tensor
    pos_none: torch.Tensor  # bool: the threshold counts no positive yet
    neg_none: torch.Tensor

    @classmethod
    def from_input(cls, inp: RocInput, device: torch.device | str) -> DeviceRoc:
        """Copy the sorted rows and threshold positions of ``inp`` to ``device``."""

        def put(a: np.ndarray) -> torch.Tensor:
            return torch.as_tensor(np.ascontiguousarray(a), device=device)

        return cls(
            pos_rows=put(inp.pos_rows.astype(np.int64)),
            neg_rows=put(inp.neg_rows.astype(np.int64)),
            pos_idx=put(np.maximum(inp.pos_at - 1, 0).astype(np.int64)),
            neg_idx=put(np.maximum(inp.neg_at - 1, 0).astype(np.int64)),
            pos_none=put(inp.pos_at == 0),
            neg_none=put(inp.neg_at == 0),
        )


def _cumulative(
    weights: torch.Tensor, rows: torch.Tensor, idx: torch.Tensor, none: torch.Tensor
) -> torch.Tensor:
    if rows.numel() == 0:
        return weights.new_zeros((weights.shape[0], idx.numel()))
    out = torch.cumsum(weights[:, rows], dim=1)[:, idx]
    out[:, none] = 0.0
    return out


def roc_metrics_on_device(inp: DeviceRoc, weights: torch.Tensor) -> torch.Tensor:
    """Attack metrics for each row of ``weights``, as :func:`govkit.privacy.roc.roc_metrics`.

    Parameters
    ----------
    inp
        Sorted scores and labels, on the device of ``weights``.
    weights
        (B, N) float64 row weights in the original row order.

    Returns
    -------
    torch.Tensor
        (B, 4) float64 on the device, columns as
        :data:`~govkit.privacy.roc.ATTACK_METRICS`; NaN where a replicate has
        no positive or no negative row.
    """
    w = weights.to(torch.float64)
    b = w.shape[0]
    out = w.new_empty((b, len(ATTACK_METRICS)))
    n = inp.pos_rows.numel() + inp.neg_rows.numel()
    step = max(1, _CHUNK_CELLS // max(n, 1))
    for start in range(0, b, step):  # chunks of replicates bound the memory
        chunk = w[start : start + step]
        tp = _cumulative(chunk, inp.pos_rows, inp.pos_idx, inp.pos_none)
        fp = _cumulative(chunk, inp.neg_rows, inp.neg_idx, inp.neg_none)
        fpr, tpr = fp / fp[:, -1:], tp / tp[:, -1:]
        rows = slice(start, start + chunk.shape[0])
        out[rows, 0] = torch.sum(torch.diff(fpr, dim=1) * (tpr[:, 1:] + tpr[:, :-1]) / 2.0, dim=1)
        for j, level in enumerate(_FPR_LEVELS, start=1):
            last = torch.sum(fpr <= level + 1e-12, dim=1) - 1
            out[rows, j] = torch.gather(tpr, 1, last.clamp(min=0)[:, None])[:, 0]
        out[rows, 3] = torch.max(tpr - fpr, dim=1).values
        invalid = ~(torch.isfinite(fpr[:, -1]) & torch.isfinite(tpr[:, -1]))
        out[rows][invalid] = torch.nan
    return out
