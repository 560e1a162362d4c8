"""Randomised copies of a model, for the parameter-randomisation test.

Adebayo et al. (2018), *Sanity Checks for Saliency Maps*: an explanation that
hardly changes when the model's weights are replaced by random ones does not
explain the model. Their *cascading* randomisation destroys the model one
layer at a time, from the output layer down to the input layer, and compares
the explanation with the trained model's after every step, so a reviewer
sees how fast the explanation forgets what the model learned.

A layer is a module that owns parameters. Layers are ordered by the order in
which a forward pass calls them (found with forward hooks on an example
batch), falling back to the order the model registers them. Each layer is
re-initialised with its own ``reset_parameters`` (seeded), so random weights
have the scale a freshly built model would have. Layers that cannot be
re-created — the graph modules of ``torch.export`` and TorchScript keep
parameters but not the Python layers that made them — get seeded Gaussian
values with the standard deviation of each tensor they replace.
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

__all__ = ["Layer", "cascading_randomization", "parameter_layers", "randomized_copy"]


@dataclass(frozen=True)
class Layer:
    """A module that owns parameters: its path (``""`` for the model itself) and theirs."""

    name: str
    parameters: tuple[str, ...]

    def describe(self) -> str:
        return self.name or "(model)"


def _clone(model: Any) -> Any:
    with warnings.catch_warnings():
        # copying an exported program trips torch's own deprecation notices
        warnings.simplefilter("ignore", FutureWarning)
        return copy.deepcopy(model)


def _forward_order(model: Any, example: torch.Tensor | None, owners: list[str]) -> list[str]:
    """Owner paths in the order a forward pass first calls them; [] when hooks cannot tell."""
    if example is None or isinstance(model, torch.jit.ScriptModule):
        return []
    called: list[str] = []
    handles = []
    try:
        for name in owners:
            module = model.get_submodule(name) if name else model

            def hook(_m: nn.Module, _i: Any, _o: Any, name: str = name) -> None:
                if name not in called:
                    called.append(name)

            handles.append(module.register_forward_hook(hook))
        device = next(iter(model.parameters())).device
        # eval mode: a training-mode batch norm would update its running statistics
        training = model.training
        model.eval()
        try:
            with torch.no_grad():
                model(example[:2].to(device))
        finally:
            model.train(training)
    except Exception:
        # a model that cannot be hooked or run this way keeps its registration order
        return []
    finally:
        for h in handles:
            h.remove()
    return called


def parameter_layers(model: Any, example: torch.Tensor | None = None) -> list[Layer]:
    """The layers of ``model``, from the input side to the output side.

    Parameters
    ----------
    model
        An ``nn.Module`` (eager, ``torch.export``-ed or TorchScript).
    example
        A batch of inputs; when given, eager layers are ordered by a forward
        pass (in eval mode, without gradients) on its first rows, else by
        registration.

    Returns
    -------
    list of Layer
    """
    by_owner: dict[str, list[str]] = {}
    for full, _p in model.named_parameters():
        owner = full.rsplit(".", 1)[0] if "." in full else ""
        by_owner.setdefault(owner, []).append(full)
    owners = list(by_owner)
    called = _forward_order(model, example, owners)
    # layers a forward pass never reached cannot change the output: put them first
    order = [o for o in owners if o not in called] + called
    return [Layer(o, tuple(by_owner[o])) for o in order]


def _step_seed(seed: int, index: int) -> int:
    return int(np.random.SeedSequence([seed, index]).generate_state(1)[0])


def _randomize_layer(clone: Any, layer: Layer, seed: int) -> tuple[int, int]:
    """Randomise one layer of a CPU model in place; return (tensors reset, tensors replaced)."""
    params = dict(clone.named_parameters())
    own = [params[p] for p in layer.parameters]
    module = None
    if not isinstance(clone, torch.jit.ScriptModule):
        module = clone.get_submodule(layer.name) if layer.name else clone
    reset_fn = getattr(type(module), "reset_parameters", None)
    resettable = (
        module is not None
        and not isinstance(module, torch.jit.ScriptModule)
        and callable(reset_fn)
        and {id(p) for p in module.parameters(recurse=False)} == {id(p) for p in own}
    )
    with torch.random.fork_rng(devices=[]), torch.no_grad():
        if resettable:
            torch.manual_seed(seed)
            module.reset_parameters()  # type: ignore[union-attr]
            return len(own), 0
        generator = torch.Generator().manual_seed(seed)
        for p in own:
            p.copy_(_noise_like(p, generator))
    return 0, len(own)


def cascading_randomization(
    model: Any, *, seed: int, example: torch.Tensor | None = None
) -> Iterator[tuple[Layer, Any, dict[str, int]]]:
    """Randomise a copy of ``model`` one layer at a time, from the output layer down.

    Parameters
    ----------
    model
        An ``nn.Module`` (eager, ``torch.export``-ed or TorchScript); never changed.
    seed
        Seed of the new values; the global RNG state is left as it was.
    example
        A batch of inputs that orders the layers (see :func:`parameter_layers`).

    Yields
    ------
    tuple
        After each step: the layer just randomised, the copy with that layer
        and every layer above it randomised (on the model's device; the same
        object at every step, changed in place), and the counts so far
        ``{"reset": tensors re-initialised by their layer, "replaced":
        tensors replaced by scaled noise}``.

    Raises
    ------
    ValueError
        The model has no parameters to randomise.
    """
    clone = _clone(model)
    # ordered on the copy: the forward pass that orders the layers never touches the original
    layers = parameter_layers(clone, example)
    if not layers:
        raise ValueError("the model has no parameters to randomise")
    device = next(iter(clone.parameters())).device
    counts = {"reset": 0, "replaced": 0}
    for index, layer in enumerate(reversed(layers)):
        # draw on the CPU: the same seed gives the same random model on every device
        if device.type != "cpu":
            clone = clone.to("cpu")
        reset, replaced = _randomize_layer(clone, layer, _step_seed(seed, index))
        counts = {"reset": counts["reset"] + reset, "replaced": counts["replaced"] + replaced}
        if device.type != "cpu":
            clone = clone.to(device)
        yield layer, clone, dict(counts)


def randomized_copy(model: Any, *, seed: int) -> tuple[Any, dict[str, int]]:
    """Copy of ``model`` with every layer randomised: the last step of the cascade.

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
    *_, (_layer, clone, counts) = cascading_randomization(model, seed=seed)
    return clone, counts


def _noise_like(p: nn.Parameter | torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    data = p.detach().double().cpu()
    scale = float(data.std()) if data.numel() > 1 else float(data.abs().mean())
    if not scale > 0.0:
        scale = float(data.abs().mean())
    noise = torch.randn(p.shape, generator=generator, dtype=torch.float64) * scale
    return noise.to(device=p.device, dtype=p.dtype)
