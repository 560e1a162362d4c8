"""attribution.importance on models with planted reliance."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from captum.attr import IntegratedGradients
from torch import nn

from govkit.attribution import TargetScore
from govkit.checks._attribution import AttributionParams
from govkit.checks._attribution_explain import prepare
from govkit.checks.base import SkipCheck
from govkit.checks.importance import Importance
from tests.attribution.helpers import Masked, make_ctx, mlp, numeric_encoder, onehot_encoder, train

NUMERIC = ["x0", "x1", "x2", "x3"]


def _frame(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(rng.normal(size=(n, 4)), columns=NUMERIC)
    frame["color"] = rng.choice(["red", "green", "blue"], size=n)
    y = ((frame["x0"] + 1.5 * (frame["color"] == "red") - 0.5) > 0).astype(np.int64).to_numpy()
    return frame, y


@pytest.fixture(scope="module")
def reads_x0() -> tuple[nn.Module, pd.DataFrame, np.ndarray, pd.DataFrame, np.ndarray]:
    """An MLP that by construction sees only x0, trained on a label that depends on x0."""
    train_frame, train_y = _frame(1000, 0)
    eval_frame, eval_y = _frame(600, 1)
    model = Masked(mlp(4), 4, keep=[0])
    x = numeric_encoder(NUMERIC)(train_frame)
    return train(model, x, train_y, epochs=80), train_frame, train_y, eval_frame, eval_y


def _ctx(bundle: tuple, **kw: object):  # type: ignore[no-untyped-def]
    model, train_frame, train_y, eval_frame, eval_y = bundle
    return make_ctx(
        model,
        eval_frame,
        eval_y,
        numeric_encoder(NUMERIC),
        feature_names=NUMERIC,
        train_frame=train_frame,
        train_y=train_y,
        **kw,
    )  # type: ignore[arg-type]


def test_a_model_reading_only_x0_puts_all_importance_on_x0(reads_x0: tuple) -> None:
    ctx = _ctx(reads_x0)
    ev = Importance().measure(ctx, AttributionParams(n_boot=200))
    by_feature = {m.feature: m for m in ev.measurements}
    assert set(by_feature) == set(NUMERIC)
    assert all(m.name == "mean_abs_attribution" and m.n == 600 for m in ev.measurements)
    total = sum(m.value for m in ev.measurements)
    assert by_feature["x0"].value / total > 0.999
    lo, hi = by_feature["x0"].ci
    assert lo <= by_feature["x0"].value <= hi and lo > 0
    ranking = ev.details["ranking"]
    assert [r["rank"] for r in ranking] == [1, 2, 3, 4]
    assert ranking[0]["feature"] == "x0"
    assert ev.details["baseline"] == "mean of the train inputs"
    assert "all 600 eval rows" in (ev.summary or "")


@pytest.mark.slow
@pytest.mark.parametrize("method", ["gradient_shap", "shap_gradient"])
def test_other_methods_agree_on_the_planted_feature(reads_x0: tuple, method: str) -> None:
    ctx = _ctx(reads_x0)
    params = AttributionParams(
        method=method, n_samples=8, max_rows=200, n_boot=50, baseline="train_sample"
    )
    ev = Importance().measure(ctx, params)
    values = {m.feature: m.value for m in ev.measurements}
    assert max(values, key=values.__getitem__) == "x0"
    assert values["x0"] / sum(values.values()) > 0.99
    assert ev.measurements[0].n == 200


def test_large_eval_sets_are_sampled_by_label_and_group(reads_x0: tuple) -> None:
    ctx = _ctx(reads_x0, sensitive=["color"])
    params = AttributionParams(max_rows=150, n_boot=50)
    ev = Importance().measure(ctx, params)
    sample = ev.details["sample"]
    assert sample["n_rows"] == 150 and sample["n_eval"] == 600
    assert sample["stratified_by"] == ["label", "color"]
    assert "150 of 600" in (ev.summary or "")
    assert all(m.n == 150 for m in ev.measurements)
    # proportional allocation: the label share of the sample matches the eval set's
    rows = prepare(ctx, params).rows  # the check's own sample: prepare is memoised
    assert abs(ctx.eval.y_true[rows].mean() - ctx.eval.y_true.mean()) < 0.01


def test_one_hot_columns_are_summed_back_to_their_feature() -> None:
    train_frame, train_y = _frame(1000, 2)
    eval_frame, eval_y = _frame(300, 3)
    encode, names, groups = onehot_encoder(NUMERIC, {"color": ["red", "green", "blue"]})
    model = train(mlp(len(names)), encode(train_frame), train_y, epochs=120)
    ctx = make_ctx(
        model,
        eval_frame,
        eval_y,
        encode,
        feature_names=names,
        feature_groups=groups,
        train_frame=train_frame,
        train_y=train_y,
    )
    ev = Importance().measure(ctx, AttributionParams(n_boot=0))
    values = {m.feature: m.value for m in ev.measurements}
    assert set(values) == {*NUMERIC, "color"}
    assert {r["feature"] for r in ev.details["ranking"][:2]} == {"x0", "color"}
    # the same figure from captum: mean over rows of |sum of the color columns' attributions|
    x = encode(eval_frame)
    base = encode(train_frame).mean(dim=0, keepdim=True).expand_as(x)
    score = TargetScore(model, ctx.log_probs_of, "binary")  # type: ignore[arg-type]
    attr = IntegratedGradients(lambda z: score(z)).attribute(x, baselines=base, n_steps=50)
    expected = attr[:, groups["color"]].sum(dim=1).abs().mean().item()
    assert values["color"] == pytest.approx(expected, rel=1e-4)
    expected_x1 = attr[:, 1].abs().mean().item()
    assert values["x1"] == pytest.approx(expected_x1, rel=1e-3, abs=1e-6)


def test_multiclass_explains_the_predicted_class() -> None:
    rng = np.random.default_rng(4)
    frame = pd.DataFrame(rng.normal(size=(900, 4)), columns=NUMERIC)
    y = np.digitize(frame["x2"].to_numpy(), [-0.6, 0.6])
    model = train(
        Masked(mlp(4, n_out=3), 4, keep=[2]), numeric_encoder(NUMERIC)(frame), y, epochs=100
    )
    ctx = make_ctx(
        model,
        frame.iloc[:300],
        y[:300],
        numeric_encoder(NUMERIC),
        feature_names=NUMERIC,
        task="multiclass",
    )
    ev = Importance().measure(ctx, AttributionParams(n_boot=0))
    values = {m.feature: m.value for m in ev.measurements}
    assert max(values, key=values.__getitem__) == "x2"
    assert ev.details["target"] == "log-probability of the predicted class"
    assert ev.details["baseline"] == "mean of the eval inputs"


def test_without_a_model_the_check_skips(reads_x0: tuple) -> None:
    ctx = _ctx(reads_x0)
    ctx.model = None
    assert Importance.requires_model
    with pytest.raises(SkipCheck, match="predictions-only"):
        Importance().measure(ctx, AttributionParams())


def test_same_seed_same_numbers(reads_x0: tuple) -> None:
    params = AttributionParams(max_rows=100, n_boot=100, baseline="train_sample")
    first = Importance().measure(_ctx(reads_x0), params)
    second = Importance().measure(_ctx(reads_x0), params)
    assert [m.model_dump() for m in first.measurements] == [
        m.model_dump() for m in second.measurements
    ]
    torch.manual_seed(123)  # the global RNG does not matter
    third = Importance().measure(_ctx(reads_x0), params)
    assert [m.value for m in third.measurements] == [m.value for m in first.measurements]
