"""Other attribution methods, for users who expect them.

``gradient_shap`` is captum's GradientShap (expected gradients over a
baseline distribution); ``shap_gradient`` is shap's GradientExplainer, for
reviewers who ask for "SHAP values". Both explain the same per-row score as
Integrated Gradients (see ``_target``). Both are stochastic; their seeds come
from the run's seed.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from govkit.attribution._target import TargetScore

__all__ = ["gradient_shap", "shap_gradient"]


def gradient_shap(
    score: TargetScore,
    inputs: torch.Tensor,
    baselines: torch.Tensor,
    *,
    n_samples: int,
    seed: int,
    target: torch.Tensor | None,
    device: str | torch.device,
    path_batch: int = 1 << 15,
) -> torch.Tensor:
    """captum GradientShap attributions, (N, F) float32 on the CPU.

    ``baselines`` is (K, F): the distribution the reference points are drawn from.
    """
    from captum.attr import GradientShap

    dev = torch.device(device)
    rows = max(1, path_batch // max(n_samples, 1))
    # captum repeats a per-row class itself, given log-probabilities and a target
    forward = score if target is None else score.log_probs
    explainer = GradientShap(forward)
    base = baselines.to(dev, torch.float32)
    out = []
    # captum draws reference points and path positions from torch's global RNG
    with torch.random.fork_rng(devices=_cuda_devices(dev)):
        torch.manual_seed(seed)
        for start in range(0, inputs.shape[0], rows):
            x = inputs[start : start + rows].to(dev, torch.float32).clone()
            t = None if target is None else target[start : start + rows].to(dev)
            attr = explainer.attribute(x, baselines=base, n_samples=n_samples, stdevs=0.0, target=t)
            out.append(attr.detach().float().cpu())
    return torch.cat(out) if out else torch.empty(0, inputs.shape[1])


class _ShapModel(nn.Module):
    """(N, 1) score for shap, which selects outputs by column."""

    def __init__(self, score: TargetScore) -> None:
        super().__init__()
        self.score = score

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.score.task == "binary":
            return self.score(x).unsqueeze(1)
        # shap explains the highest-ranked output per row: the predicted class
        return self.score.log_probs(x)


def shap_gradient(
    score: TargetScore,
    inputs: torch.Tensor,
    baselines: torch.Tensor,
    *,
    n_samples: int,
    seed: int,
    device: str | torch.device,
    batch_size: int = 1024,
) -> torch.Tensor:
    """shap GradientExplainer attributions, (N, F) float32 on the CPU.

    For a multiclass task shap explains each row's top-ranked output, which
    is the predicted class, as Integrated Gradients does.
    """
    import shap

    dev = torch.device(device)
    model = _ShapModel(score)
    explainer = shap.GradientExplainer(
        model, baselines.to(dev, torch.float32), batch_size=batch_size
    )
    x = inputs.to(dev, torch.float32).clone()
    # shap re-seeds numpy's global generator; leave it as it was
    state = np.random.get_state()
    try:
        if score.task == "binary":
            values = explainer.shap_values(x, nsamples=n_samples, rseed=seed)
        else:
            values, _ = explainer.shap_values(x, nsamples=n_samples, rseed=seed, ranked_outputs=1)
    finally:
        np.random.set_state(state)
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim == 3:
        arr = arr[..., 0]
    return torch.as_tensor(arr, dtype=torch.float32)


def _cuda_devices(dev: torch.device) -> list[int]:
    return [dev.index or 0] if dev.type == "cuda" else []
