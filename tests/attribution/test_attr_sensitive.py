"""attribution.sensitive_reliance and fairness.counterfactual_flip with a planted sensitive effect."""

from __future__ import annotations

from statistics import NormalDist
from typing import Any

import numpy as np
import pandas as pd
import pytest

from govkit.checks._attribution import AttributionParams
from govkit.checks.base import SkipCheck
from govkit.checks.counterfactual_flip import CounterfactualFlip, CounterfactualFlipParams
from govkit.checks.sensitive_reliance import SensitiveReliance, SensitiveRelianceParams
from tests.attribution.helpers import (
    Masked,
    make_ctx,
    measurement,
    mlp,
    numeric_encoder,
    onehot_encoder,
    train,
    violations,
)

NUMERIC = ["x0", "x1", "x2", "x3"]


def _frame(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """The label depends on x0 and on sex; x1 is a noisy proxy of sex."""
    rng = np.random.default_rng(seed)
    male = rng.random(n) < 0.6
    frame = pd.DataFrame(rng.normal(size=(n, 4)), columns=NUMERIC)
    frame["x1"] += 1.5 * male
    frame["sex"] = np.where(male, "Male", "Female")
    y = ((frame["x0"] + 2.5 * male - 1.25 + 0.5 * rng.normal(size=n)) > 0).astype(np.int64)
    return frame, y.to_numpy()


@pytest.fixture(scope="module")
def data() -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame, np.ndarray]:
    train_frame, train_y = _frame(1500, 0)
    eval_frame, eval_y = _frame(600, 1)
    return train_frame, train_y, eval_frame, eval_y


def _with_sex(data: tuple, *, blind: bool = False):  # type: ignore[no-untyped-def]
    train_frame, train_y, eval_frame, eval_y = data
    encode, names, groups = onehot_encoder(NUMERIC, {"sex": ["Female", "Male"]})
    inner = mlp(len(names))
    # a blind model takes sex as input but, by construction, never reads it
    model = Masked(inner, len(names), keep=range(4)) if blind else inner
    model = train(model, encode(train_frame), train_y, epochs=120)
    return make_ctx(
        model,
        eval_frame,
        eval_y,
        encode,
        feature_names=names,
        feature_groups=groups,
        train_frame=train_frame,
        train_y=train_y,
        sensitive=["sex"],
        proxies=["x1"],
    )


def _without_sex(data: tuple):  # type: ignore[no-untyped-def]
    train_frame, train_y, eval_frame, eval_y = data
    encode = numeric_encoder(NUMERIC)
    model = train(mlp(4), encode(train_frame), train_y, epochs=120)
    return make_ctx(
        model,
        eval_frame,
        eval_y,
        encode,
        feature_names=NUMERIC,
        train_frame=train_frame,
        train_y=train_y,
        sensitive=["sex"],
    )


def test_a_model_fed_sex_fails_sensitive_reliance(data: tuple) -> None:
    ctx = _with_sex(data)
    ev = SensitiveReliance().measure(ctx, SensitiveRelianceParams(n_boot=200))
    share = measurement(ev, "sensitive_attribution_share")
    assert share.value > 0.2 and share.n == 600 and share.ci[0] > 0.05
    assert measurement(ev, "attribution_share", feature="sex").value == pytest.approx(share.value)
    assert measurement(ev, "proxy_attribution_share").value >= 0.0
    assert any(
        "sensitive_attribution_share" in v
        for v in violations(ev, SensitiveReliance.default_thresholds)
    )
    assert ev.details["sensitive_inputs"] == ["sex"]
    # sex itself is not listed as its own proxy
    assert all(p["feature"] != "sex" for p in ev.details["strongest_proxies"])


def test_a_model_without_sex_passes_and_names_its_proxy(data: tuple) -> None:
    ctx = _without_sex(data)
    ev = SensitiveReliance().measure(ctx, SensitiveRelianceParams(n_boot=200))
    assert measurement(ev, "sensitive_attribution_share").value == 0.0
    assert violations(ev, SensitiveReliance.default_thresholds) == []
    assert ev.details["sensitive_not_inputs"] == ["sex"]
    strongest = ev.details["strongest_proxies"]
    assert strongest[0]["feature"] == "x1" and strongest[0]["sensitive"] == "sex"
    x1 = measurement(ev, "proxy_strength", feature="x1")
    x3 = measurement(ev, "proxy_strength", feature="x3")
    # x1 = noise + 1.5 * male: the AUC of telling the sexes apart by x1 is Phi(1.5 / sqrt 2)
    assert x1.value == pytest.approx(NormalDist().cdf(1.5 / 2**0.5), abs=0.04)
    assert abs(x3.value - 0.5) < 0.07 and x1.ci[0] > x3.ci[1]
    assert "strongest proxy is x1" in (ev.summary or "")


def test_no_declared_sensitive_attributes_skip(data: tuple) -> None:
    ctx = _without_sex(data)
    ctx.sensitive = []
    with pytest.raises(SkipCheck, match="no sensitive"):
        SensitiveReliance().measure(ctx, SensitiveRelianceParams())


def test_a_model_fed_sex_flips_decisions(data: tuple) -> None:
    ctx = _with_sex(data)
    ev = CounterfactualFlip().measure(ctx, CounterfactualFlipParams())
    overall = measurement(ev, "counterfactual_flip_rate", feature="sex", group=None)
    to_value = [m for m in ev.measurements if m.name == "counterfactual_flip_rate_to"]
    # one rate per alternative, each over the rows not already at that value
    assert {m.group["sex"] for m in to_value} == {"Female", "Male"}  # type: ignore[index]
    assert sum(m.n for m in to_value) == 600
    # the judged figure is the largest per-alternative rate, with that alternative's n
    worst = max(to_value, key=lambda m: m.value)
    assert (overall.value, overall.n, overall.ci) == (worst.value, worst.n, worst.ci)
    assert overall.value > 0.1
    assert overall.ci[0] <= overall.value <= overall.ci[1]
    groups = [m for m in ev.measurements if m.name == "counterfactual_flip_rate" and m.group]
    assert {m.group["sex"] for m in groups} == {"Female", "Male"}  # type: ignore[index]
    assert sum(m.n for m in groups) == 600
    # a flip moves a woman up and a man down: both groups flip
    assert all(m.value > 0.05 for m in groups)
    assert violations(ev, CounterfactualFlip.default_thresholds)
    per_value = ev.details["attributes"]["sex"]["flip_rate_by_value"]
    assert {v["set_to"] for v in per_value} == {"Female", "Male"}


def test_a_model_blind_to_sex_never_flips(data: tuple) -> None:
    ctx = _with_sex(data, blind=True)
    ev = CounterfactualFlip().measure(ctx, CounterfactualFlipParams())
    assert all(m.value == 0.0 for m in ev.measurements)
    assert violations(ev, CounterfactualFlip.default_thresholds) == []
    assert ev.small_groups == []
    reliance = SensitiveReliance().measure(ctx, SensitiveRelianceParams(n_boot=0))
    assert measurement(reliance, "sensitive_attribution_share").value == 0.0


def test_no_sensitive_input_skips_the_counterfactual(data: tuple) -> None:
    ctx = _without_sex(data)
    with pytest.raises(SkipCheck, match="no sensitive attribute is a model input"):
        CounterfactualFlip().measure(ctx, CounterfactualFlipParams())


def test_small_groups_are_reported(data: tuple) -> None:
    _, _, eval_frame, eval_y = data
    ctx = _with_sex(data)
    ctx.eval.frame = eval_frame.iloc[:40].copy()
    ctx.eval.y_true = eval_y[:40]
    ev = CounterfactualFlip().measure(ctx, CounterfactualFlipParams())
    assert ev.small_groups and all("sex=" in s for s in ev.small_groups)


def test_counterfactuals_keep_categorical_dtype(data: tuple) -> None:
    eval_frame = data[2]
    ctx = _with_sex(data)
    frame = eval_frame.copy()
    frame["sex"] = frame["sex"].astype("category")
    ctx.eval.frame = frame
    ev = CounterfactualFlip().measure(ctx, CounterfactualFlipParams())
    assert measurement(ev, "counterfactual_flip_rate", feature="sex", group=None).value > 0.1


def test_sensitive_reliance_shares_attributions_with_importance(
    data: tuple, monkeypatch: pytest.MonkeyPatch
) -> None:
    from govkit.checks import _attribution_explain
    from govkit.checks.importance import Importance

    calls: list[str] = []
    engine = _attribution_explain.attribute

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(kwargs["method"])
        return engine(*args, **kwargs)

    monkeypatch.setattr(_attribution_explain, "attribute", counted)
    ctx = _with_sex(data)
    Importance().measure(ctx, AttributionParams(n_boot=0))
    SensitiveReliance().measure(ctx, SensitiveRelianceParams(n_boot=0))
    assert calls == ["integrated_gradients"]  # one computation for both checks
    # a different method is a different computation
    Importance().measure(ctx, AttributionParams(method="gradient_shap", n_samples=2, n_boot=0))
    assert calls == ["integrated_gradients", "gradient_shap"]
