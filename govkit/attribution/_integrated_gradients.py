"""Batched Integrated Gradients (Sundararajan et al., 2017).

``attr_i = (x_i - b_i) * sum_s w_s * d f(b + a_s (x - b)) / d x_i``

Speed comes from doing the whole path of a chunk of rows in one pass: the
interpolated points of ``R`` rows at ``S`` steps form one (S * R, F) batch,
one forward and one backward. The quadrature weights go in as the backward's
``grad_outputs``, so the backward already returns weighted gradients and the
path integral is a plain sum over the step axis. Only the gradient with
respect to the input is requested, so autograd skips every weight gradient.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from govkit.attribution._quadrature import QuadratureMethod, quadrature

__all__ = ["IGResult", "chunk_rows", "integrated_gradients"]

ScoreFn = Callable[[torch.Tensor, "torch.Tensor | None"], torch.Tensor]

#: interpolated rows in one forward/backward pass, by device type
_PATH_BATCH = {"cpu": 1 << 15, "cuda": 1 << 19}


@dataclass
class IGResult:
    """Attributions with what is needed to verify them.

    Attributes
    ----------
    attributions
        (N, F) float32 on the CPU.
    score_inputs, score_baselines
        (N,) ``f(x)`` and ``f(baseline)`` in float64: completeness says the
        attributions of a row sum to their difference.
    """

    attributions: torch.Tensor
    score_inputs: torch.Tensor
    score_baselines: torch.Tensor

    @property
    def convergence_delta(self) -> torch.Tensor:
        """(N,) ``sum(attr) - (f(x) - f(b))`` in float64: zero for an exact integral."""
        total = self.attributions.double().sum(dim=1)
        return total - (self.score_inputs - self.score_baselines)


def chunk_rows(n_steps: int, device: torch.device, path_batch: int | None = None) -> int:
    """Rows per chunk so that a chunk's whole path is about ``path_batch`` points."""
    budget = path_batch or _PATH_BATCH.get(device.type, _PATH_BATCH["cpu"])
    return max(1, budget // max(n_steps, 1))


def integrated_gradients(
    score: ScoreFn,
    inputs: torch.Tensor,
    baselines: torch.Tensor,
    *,
    n_steps: int = 50,
    method: QuadratureMethod = "gausslegendre",
    target: torch.Tensor | None = None,
    device: str | torch.device = "cpu",
    path_batch: int | None = None,
) -> IGResult:
    """Integrated Gradients of ``score`` for every row of ``inputs``.

    Parameters
    ----------
    score
        ``score(x, target) -> (M,)``: a differentiable score per row; ``target``
        is the class of each row (or None).
    inputs
        (N, F) float tensor (any device; moved to ``device`` chunk by chunk).
    baselines
        (F,) or (1, F) for one baseline shared by every row, or (N, F).
    n_steps, method
        The quadrature rule on the straight path from baseline to input.
    target
        (N,) int64 class per row, or None.
    device
        Where the model lives and the work runs.
    path_batch
        Interpolated points per pass; by default sized for the device.

    Returns
    -------
    IGResult
    """
    dev = torch.device(device)
    if inputs.ndim != 2:
        raise ValueError(f"inputs must be (N, F), got shape {tuple(inputs.shape)}")
    n, f = inputs.shape
    shared = baselines.ndim == 1 or baselines.shape[0] == 1
    if shared:
        baselines = baselines.reshape(1, f)
    elif baselines.shape != inputs.shape:
        raise ValueError(
            f"baselines must be (F,) or (N, F); got {tuple(baselines.shape)} "
            f"for inputs {tuple(inputs.shape)}"
        )
    alphas_np, weights_np = quadrature(n_steps, method)
    dtype = inputs.dtype if inputs.dtype.is_floating_point else torch.float32
    alphas = torch.as_tensor(alphas_np, dtype=dtype, device=dev).view(-1, 1, 1)
    weights = torch.as_tensor(weights_np, dtype=dtype, device=dev).view(-1, 1)
    steps = alphas.shape[0]

    attributions = torch.empty((n, f), dtype=torch.float32)
    score_x = torch.empty(n, dtype=torch.float64)
    score_b = torch.empty(n, dtype=torch.float64)
    base_all = baselines.to(dev, dtype)
    shared_score: torch.Tensor | None = None
    if shared and target is None:
        with torch.no_grad():
            shared_score = _score(score, base_all, None).double().cpu()
    rows = chunk_rows(steps, dev, path_batch)
    start = 0
    while start < n:
        stop = min(n, start + rows)
        x = inputs[start:stop].to(dev, dtype)
        b = base_all if shared else base_all[start:stop]
        t = None if target is None else target[start:stop].to(dev)
        try:
            attributions[start:stop] = _path_integral(score, x, b, t, alphas, weights).cpu()
        except torch.OutOfMemoryError:
            if rows == 1:
                raise
            # a wide model on a small device: halve the chunk and carry on
            rows = max(1, rows // 2)
            if dev.type == "cuda":
                torch.cuda.empty_cache()
            continue
        r = stop - start
        with torch.no_grad():
            score_x[start:stop] = _score(score, x, t).double().cpu()
            if shared_score is not None:
                score_b[start:stop] = shared_score.expand(r)
            else:
                # a per-row class (or baseline) gives each row its own f(b)
                score_b[start:stop] = _score(score, b.expand(r, f), t).double().cpu()
        start = stop
    return IGResult(attributions, score_x, score_b)


def _path_integral(
    score: ScoreFn,
    x: torch.Tensor,
    b: torch.Tensor,
    t: torch.Tensor | None,
    alphas: torch.Tensor,
    weights: torch.Tensor,
) -> torch.Tensor:
    """(R, F) float32 attributions of one chunk of rows: the whole path in one pass."""
    steps = alphas.shape[0]
    r, f = x.shape
    diff = x - b
    # (S, R, F) path, computed fresh (not in place) so it can be an autograd leaf
    path = torch.addcmul(b.unsqueeze(0), alphas, diff.unsqueeze(0)).reshape(steps * r, f)
    path.requires_grad_(True)
    t_path = None if t is None else t.repeat(steps)
    with torch.enable_grad():
        out = score(path, t_path)
        (grads,) = torch.autograd.grad(out, path, grad_outputs=weights.expand(steps, r).reshape(-1))
    return (grads.view(steps, r, f).sum(dim=0) * diff).float()


def _score(score: ScoreFn, x: torch.Tensor, target: torch.Tensor | None) -> torch.Tensor:
    return score(x, target).reshape(-1)
