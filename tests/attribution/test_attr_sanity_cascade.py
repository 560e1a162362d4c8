"""attribution.sanity's cascading randomisation (Adebayo et al. 2018), on planted models.

- An explanation of a trained model degrades as the cascade randomises more
  layers from the output down, and every step's figure is in the details.
- An "explanation" that does not depend on the weights at all (the input
  itself) keeps a rank correlation of 1 at every step and is flagged.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch
from torch import nn

from govkit.attribution import cascading_randomization, parameter_layers
from govkit.checks.sanity import Sanity, SanityParams, randomisation_evidence
from tests.attribution.helpers import make_ctx, measurement, mlp, numeric_encoder, train, violations

COLS = [f"x{j}" for j in range(12)]


def _trained_ctx(seed: int):  # type: ignore[no-untyped-def]
    """12 standardised features with decreasing planted weights, and an MLP fitted to them."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(rng.normal(size=(1200, 12)), columns=COLS)
    y = ((frame.to_numpy() @ np.linspace(3.0, 0.1, 12) + rng.normal(size=1200)) > 0).astype(int)
    model = train(mlp(12, seed=seed), numeric_encoder(COLS)(frame), y, epochs=100)
    return make_ctx(
        model,
        frame.iloc[:400],
        y[:400],
        numeric_encoder(COLS),
        feature_names=COLS,
        train_frame=frame,
        train_y=y,
        seed=seed,
    )


def test_an_explanation_of_the_weights_degrades_down_the_cascade() -> None:
    ctx = _trained_ctx(0)
    before = [p.detach().clone() for p in ctx.model.parameters()]
    ev = Sanity().measure(ctx, SanityParams(n_boot=200, seeds=3))
    # the output layer first, then down to the input layer
    assert ev.details["layers_top_down"] == ["4", "2", "0"]
    steps = ev.details["cascade"]
    assert [s["randomised"] for s in steps] == [["4"], ["4", "2"], ["4", "2", "0"]]
    for s in steps:
        assert len(s["rank_correlation"]["per_seed"]) == 3
        assert s["rank_correlation"]["sd"] is not None
        assert len(s["row_rank_correlation_mean"]["per_seed"]) == 3
    means = [s["rank_correlation"]["mean"] for s in steps]
    # with only the output layer random the trained features still carry the ranking;
    # once a hidden layer is random too it is mostly gone
    assert means[0] > 0.6
    assert max(means[1:]) < means[0] - 0.3
    rho = measurement(ev, "rank_correlation")
    assert rho.value == means[-1] and rho.n == 400
    assert rho.ci[0] <= rho.value <= rho.ci[1]
    assert violations(ev, Sanity.default_thresholds) == []
    assert ev.details["parameters"] == {"reset_by_layer": 6, "replaced_by_noise": 0}
    # the trained model is untouched, and the same seed gives the same figures
    assert all(torch.equal(a, b) for a, b in zip(before, ctx.model.parameters(), strict=True))
    again = Sanity().measure(ctx, SanityParams(n_boot=200, seeds=3))
    assert again.details["cascade"] == steps


def test_a_weight_independent_explanation_is_flagged() -> None:
    """The input itself as the "explanation": identical at every step of the cascade."""
    ctx = _trained_ctx(1)
    x = np.abs(ctx.inputs("eval").double().numpy()) * np.linspace(1.0, 3.0, 12)
    ev = randomisation_evidence(
        COLS,
        x,
        lambda _model: x,
        ctx.model,
        example=ctx.inputs("eval"),
        seeds=3,
        seed=0,
        n_boot=200,
        confidence=0.95,
        sample="all rows",
        method="input",
    )
    assert all(s["rank_correlation"]["mean"] == 1.0 for s in ev.details["cascade"])
    assert measurement(ev, "rank_correlation").value == 1.0
    assert violations(ev, Sanity.default_thresholds) == ["rank_correlation =1.000"]


class _Reversed(nn.Module):
    """Registers its output layer first; the forward pass calls it last."""

    def __init__(self) -> None:
        super().__init__()
        self.head = nn.Linear(4, 2)
        self.body = nn.Linear(3, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(torch.relu(self.body(x)))


def test_layers_follow_the_forward_pass_and_each_step_randomises_one_more() -> None:
    torch.manual_seed(0)
    model = _Reversed()
    example = torch.randn(5, 3)
    assert [layer.name for layer in parameter_layers(model)] == ["head", "body"]
    assert [layer.name for layer in parameter_layers(model, example)] == ["body", "head"]
    original = {k: v.clone() for k, v in model.state_dict().items()}
    seen = []
    for layer, copy, counts in cascading_randomization(model, seed=3, example=example):
        state = copy.state_dict()
        changed = sorted(k.split(".")[0] for k in state if not torch.equal(state[k], original[k]))
        seen.append((layer.name, changed, counts))
    assert seen == [
        ("head", ["head", "head"], {"reset": 2, "replaced": 0}),
        ("body", ["body", "body", "head", "head"], {"reset": 4, "replaced": 0}),
    ]


def test_the_cascade_leaves_the_original_model_as_it_was() -> None:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2)).train()
    state = {k: v.clone() for k, v in model.state_dict().items()}
    example = torch.randn(8, 3) * 5.0
    rng_before = torch.get_rng_state()
    layers = [
        layer.name
        for layer, _copy, _counts in cascading_randomization(model, seed=0, example=example)
    ]
    assert layers == ["2", "1", "0"]
    assert model.training
    assert all(torch.equal(v, state[k]) for k, v in model.state_dict().items())
    assert torch.equal(torch.get_rng_state(), rng_before)
