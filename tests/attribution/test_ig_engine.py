"""The batched Integrated Gradients engine agrees with captum and works through exported models."""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch
from captum.attr import IntegratedGradients
from torch import nn

from govkit.attribution import (
    QUADRATURE_METHODS,
    TargetScore,
    integrated_gradients,
    quadrature,
)
from govkit.runner.outputs import to_log_probs
from tests.attribution.helpers import mlp, train


def _data(n: int = 400, f: int = 6, seed: int = 0) -> tuple[torch.Tensor, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, f)).astype(np.float32)
    y = ((x[:, 0] + np.sin(2 * x[:, 1]) + 0.3 * rng.normal(size=n)) > 0).astype(np.int64)
    return torch.as_tensor(x), y


@pytest.fixture(scope="module")
def trained() -> tuple[nn.Module, torch.Tensor]:
    x, y = _data()
    return train(mlp(x.shape[1], act=nn.Tanh), x, y, epochs=150), x


@pytest.mark.parametrize("method", QUADRATURE_METHODS)
def test_quadrature_weights_integrate_exactly(method: str) -> None:
    alphas, weights = quadrature(16, method)  # type: ignore[arg-type]
    assert alphas.min() >= 0.0 and alphas.max() <= 1.0
    assert np.isclose(weights.sum(), 1.0)
    if method in ("gausslegendre", "riemann_trapezoid", "riemann_middle"):
        # symmetric rules integrate a linear function over [0, 1] (integral 1/2) exactly
        assert np.isclose((weights * alphas).sum(), 0.5, atol=1e-12)


def test_binary_agrees_with_captum(trained: tuple[nn.Module, torch.Tensor]) -> None:
    model, x = trained
    score = TargetScore(model, lambda raw: to_log_probs(raw, "binary", "logits"), "binary")
    baseline = x.mean(dim=0)
    ours = integrated_gradients(score, x, baseline, n_steps=50, path_batch=4096)
    reference, delta = IntegratedGradients(lambda z: score(z)).attribute(
        x, baselines=baseline.expand_as(x), n_steps=50, return_convergence_delta=True
    )
    torch.testing.assert_close(ours.attributions, reference, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(ours.convergence_delta.float(), delta.float(), rtol=1e-3, atol=1e-4)


def test_one_logit_model_explains_the_logit() -> None:
    x, y = _data()
    model = train(mlp(x.shape[1], n_out=1), x, y, epochs=100)
    score = TargetScore(model, lambda raw: to_log_probs(raw, "binary", "logits"), "binary")
    torch.testing.assert_close(score(x), model(x)[:, 0], rtol=1e-5, atol=1e-5)
    ours = integrated_gradients(score, x, x.mean(dim=0), n_steps=32)
    reference = IntegratedGradients(lambda z: model(z)[:, 0]).attribute(
        x, baselines=x.mean(dim=0, keepdim=True), n_steps=32
    )
    torch.testing.assert_close(ours.attributions, reference, rtol=1e-4, atol=1e-5)


def test_multiclass_explains_a_fixed_class_per_row() -> None:
    rng = np.random.default_rng(1)
    x = torch.as_tensor(rng.normal(size=(300, 5)).astype(np.float32))
    y = np.digitize(x[:, 0].numpy() + 0.5 * x[:, 2].numpy(), [-0.5, 0.5])
    model = train(mlp(5, n_out=3, act=nn.Tanh), x, y, epochs=150)
    score = TargetScore(model, lambda raw: to_log_probs(raw, "multiclass", "logits"), "multiclass")
    target = score.log_probs(x).argmax(dim=1)
    # per-row baselines, a chunk size that leaves a ragged last chunk
    baselines = x[torch.randperm(300, generator=torch.Generator().manual_seed(0))]
    ours = integrated_gradients(score, x, baselines, n_steps=40, target=target, path_batch=1000)
    reference, delta = IntegratedGradients(lambda z: score.log_probs(z)).attribute(
        x, baselines=baselines, target=target, n_steps=40, return_convergence_delta=True
    )
    torch.testing.assert_close(ours.attributions, reference, rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(ours.convergence_delta.float(), delta.float(), rtol=1e-3, atol=1e-3)


def _exported(model: nn.Module, n_in: int) -> nn.Module:
    program = torch.export.export(
        model, (torch.randn(4, n_in),), dynamic_shapes=({0: torch.export.Dim("batch")},)
    )
    buffer = io.BytesIO()
    torch.export.save(program, buffer)
    buffer.seek(0)
    return torch.export.load(buffer).module()  # type: ignore[no-any-return]


@pytest.mark.parametrize("kind", ["export", "torchscript"])
def test_gradients_flow_through_serialised_models(
    trained: tuple[nn.Module, torch.Tensor], kind: str
) -> None:
    model, x = trained
    loaded = _exported(model, x.shape[1]) if kind == "export" else torch.jit.script(model)

    def lp(raw: torch.Tensor) -> torch.Tensor:
        return to_log_probs(raw, "binary", "logits")

    eager = integrated_gradients(TargetScore(model, lp, "binary"), x, x.mean(dim=0), n_steps=20)
    other = integrated_gradients(TargetScore(loaded, lp, "binary"), x, x.mean(dim=0), n_steps=20)
    assert eager.attributions.abs().sum() > 0
    torch.testing.assert_close(other.attributions, eager.attributions, rtol=1e-4, atol=1e-5)


def test_inference_tensors_are_accepted(trained: tuple[nn.Module, torch.Tensor]) -> None:
    model, x = trained
    with torch.inference_mode():
        frozen = x.clone()
    score = TargetScore(model, lambda raw: to_log_probs(raw, "binary", "logits"), "binary")
    res = integrated_gradients(score, frozen, frozen.mean(dim=0), n_steps=8)
    assert torch.isfinite(res.attributions).all()


def test_chunks_shrink_when_memory_runs_out(trained: tuple[nn.Module, torch.Tensor]) -> None:
    model, x = trained
    score = TargetScore(model, lambda raw: to_log_probs(raw, "binary", "logits"), "binary")

    def small_device(z: torch.Tensor, target: torch.Tensor | None = None) -> torch.Tensor:
        if z.shape[0] > 1000:  # a device that holds at most 1000 interpolated rows
            raise torch.OutOfMemoryError("out of memory")
        return score(z, target)

    whole = integrated_gradients(score, x, x.mean(dim=0), n_steps=20, path_batch=1 << 14)
    shrunk = integrated_gradients(small_device, x, x.mean(dim=0), n_steps=20, path_batch=1 << 14)
    torch.testing.assert_close(shrunk.attributions, whole.attributions, rtol=1e-5, atol=1e-6)
