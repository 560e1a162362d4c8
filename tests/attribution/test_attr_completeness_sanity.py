"""attribution.completeness and attribution.sanity catch untrustworthy explanations."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from govkit.attribution import randomized_copy
from govkit.checks.completeness import Completeness, CompletenessParams
from govkit.checks.sanity import Sanity, SanityParams
from tests.attribution.helpers import make_ctx, measurement, mlp, numeric_encoder, train, violations

COLS = [f"x{j}" for j in range(12)]


def _nonlinear_ctx() -> object:
    """A tanh network with sharp transitions: a 2-point path integral misses badly."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(500, 4)), columns=COLS[:4])
    y = ((frame["x0"] ** 2 + frame["x1"] ** 2) < 1.2).astype(np.int64).to_numpy()
    model = train(mlp(4, act=nn.Tanh), numeric_encoder(COLS[:4])(frame), y, epochs=150)
    return make_ctx(
        model,
        frame.iloc[:300],
        y[:300],
        numeric_encoder(COLS[:4]),
        feature_names=COLS[:4],
        train_frame=frame,
        train_y=y,
    )


@pytest.mark.slow
def test_too_few_steps_fail_and_say_how_many_would_do() -> None:
    ctx = _nonlinear_ctx()
    ev = Completeness().measure(ctx, CompletenessParams(n_steps=2))  # type: ignore[arg-type]
    p95 = measurement(ev, "completeness_delta_p95")
    median = measurement(ev, "completeness_delta_median")
    assert p95.value > 0.05 and p95.n == 300 and median.value <= p95.value
    assert p95.ci[0] <= p95.value <= p95.ci[1]
    assert len(ev.failures) == 1 and "with 2 steps" in ev.failures[0]
    estimate = ev.details["steps_estimate"]
    assert estimate["n_steps"] is not None and estimate["n_steps"] > 2
    assert f"about {estimate['n_steps']} steps" in ev.failures[0]
    assert estimate["probe_p95"] <= 0.05


def test_enough_steps_pass() -> None:
    ctx = _nonlinear_ctx()
    ev = Completeness().measure(ctx, CompletenessParams(n_steps=50))  # type: ignore[arg-type]
    assert ev.failures == []
    assert measurement(ev, "completeness_delta_p95").value <= 0.05
    assert "Attributions add up" in (ev.summary or "")


def test_completeness_params_pin_the_method() -> None:
    with pytest.raises(ValueError):
        CompletenessParams(method="gradient_shap")  # type: ignore[arg-type]


def _linear_truth(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """12 standardised features with decreasing, planted weights."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(rng.normal(size=(n, 12)), columns=COLS)
    weights = np.linspace(3.0, 0.1, 12)
    y = ((frame.to_numpy() @ weights + rng.normal(size=n)) > 0).astype(np.int64)
    return frame, y


def test_a_trained_model_passes_the_randomisation_test() -> None:
    frame, y = _linear_truth(1200, 0)
    model = train(mlp(12), numeric_encoder(COLS)(frame), y, epochs=100)
    ctx = make_ctx(
        model,
        frame.iloc[:400],
        y[:400],
        numeric_encoder(COLS),
        feature_names=COLS,
        train_frame=frame,
        train_y=y,
    )
    ev = Sanity().measure(ctx, SanityParams(n_boot=200))
    rho = measurement(ev, "rank_correlation")
    assert rho.value < 0.8 and rho.n == 400
    assert violations(ev, Sanity.default_thresholds) == []
    assert measurement(ev, "row_rank_correlation_mean").value < 0.8
    assert ev.details["trained_top"][:2] == ["x0", "x1"]
    assert ev.details["parameters"] == {"reset_by_layer": 6, "replaced_by_noise": 0}
    # the trained model itself is untouched
    assert not torch.equal(ctx.model[0].weight, randomized_copy(ctx.model, seed=0)[0][0].weight)


def test_an_explanation_dominated_by_input_scale_is_caught() -> None:
    """Features on wildly different scales: x * grad ranks features by scale alone,
    so the explanation survives the destruction of the model - the test fails it."""
    frame, y = _linear_truth(400, 1)
    scaled = frame * (10.0 ** (np.arange(12) / 2.0))
    model = mlp(12, seed=3).eval()  # weights of a freshly built model
    ctx = make_ctx(model, scaled, y, numeric_encoder(COLS), feature_names=COLS)
    ev = Sanity().measure(ctx, SanityParams(n_boot=200))
    rho = measurement(ev, "rank_correlation")
    assert rho.value > 0.8
    assert violations(ev, Sanity.default_thresholds) == [f"rank_correlation ={rho.value:.3f}"]


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["export", "torchscript"])
def test_serialised_models_are_randomised_by_noise(kind: str) -> None:
    frame, y = _linear_truth(800, 2)
    model = train(mlp(12), numeric_encoder(COLS)(frame), y, epochs=80)
    if kind == "export":
        program = torch.export.export(
            model, (torch.randn(4, 12),), dynamic_shapes=({0: torch.export.Dim("batch")},)
        )
        buffer = io.BytesIO()
        torch.export.save(program, buffer)
        buffer.seek(0)
        loaded = torch.export.load(buffer).module()
    else:
        loaded = torch.jit.script(model)
    ctx = make_ctx(loaded, frame.iloc[:300], y[:300], numeric_encoder(COLS), feature_names=COLS)
    ev = Sanity().measure(ctx, SanityParams(n_boot=100))
    assert ev.details["parameters"] == {"reset_by_layer": 0, "replaced_by_noise": 6}
    assert measurement(ev, "rank_correlation").value < 0.8
