"""A destroyed copy of a model, for the parameter-randomisation test.

Adebayo et al. (2018), *Sanity Checks for Saliency Maps*: an explanation that
hardly changes when the model's weights are replaced by random ones does not
explain the model. The copy is re-initialised with each layer's own
``reset_parameters`` (seeded), so random weights have the scale a freshly
built model would have. Modules that cannot be re-initialised — the graph
modules of ``torch.export`` and TorchScript keep parameters but not the
Python layers that made them — get seeded Gaussian values with the standard
deviation of the tensor they replace.
"""

from __future__ import annotations

import copy
import warnings
from typing import Any

import torch
from torch import nn

__all__ = ["randomized_copy"]


def randomized_copy(model: Any, *, seed: int) -> tuple[Any, dict[str, int]]:
    """Deep copy of ``model`` with every parameter replaced by random values.

    Parameters
    ----------
    model
        An ``nn.Module`` (eager, ``torch.export``-ed or TorchScript).
    seed
        Seed of the new values; the global RNG state is left as it was.

    Returns
    -------
    tuple
        The copy, and counts ``{"reset": tensors re-initialised by their
        layer, "replaced": tensors replaced by scaled noise}``.

    Raises
    ------
    ValueError
        The model has no parameters to randomise.
    """
    with warnings.catch_warnings():
        # copying an exported program trips torch's own deprecation notices
        warnings.simplefilter("ignore", FutureWarning)
        clone = copy.deepcopy(model)
    params = dict(clone.named_parameters())
    if not params:
        raise ValueError("the model has no parameters to randomise")
    # draw on the CPU: the same seed gives the same random model on every device
    device = next(iter(params.values())).device
    if device.type != "cpu":
        clone = clone.to("cpu")
        params = dict(clone.named_parameters())
    reset: set[int] = set()
    with torch.random.fork_rng(devices=[]), torch.no_grad():
        torch.manual_seed(seed)
        for module in clone.modules():
            if isinstance(module, torch.jit.ScriptModule):
                continue
            reset_fn = getattr(type(module), "reset_parameters", None)
            own = list(module.parameters(recurse=False))
            if callable(reset_fn) and own:
                module.reset_parameters()
                reset.update(id(p) for p in own)
        generator = torch.Generator().manual_seed(seed + 1)
        replaced = 0
        for _name, p in sorted(params.items()):
            if id(p) in reset:
                continue
            p.copy_(_noise_like(p, generator))
            replaced += 1
    if device.type != "cpu":
        clone = clone.to(device)
    return clone, {"reset": len(reset), "replaced": replaced}


def _noise_like(p: nn.Parameter | torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    data = p.detach().double().cpu()
    scale = float(data.std()) if data.numel() > 1 else float(data.abs().mean())
    if not scale > 0.0:
        scale = float(data.abs().mean())
    noise = torch.randn(p.shape, generator=generator, dtype=torch.float64) * scale
    return noise.to(device=p.device, dtype=p.dtype)
