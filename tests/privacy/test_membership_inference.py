"""privacy.membership_inference on models that do and do not memorise their training rows."""

from __future__ import annotations

import json
from dataclasses import asdict

import numpy as np
import pandas as pd
import pytest
import torch

from govkit.checks.context import Predictions
from govkit.checks.membership_inference import MembershipInference
from govkit.privacy.attacks import logit_margins, sample_membership

from .conftest import make_context, predictions_from_log_probs

N_FEATURES = 10


def _data(n: int, rng: np.random.Generator, noise: float) -> tuple[pd.DataFrame, np.ndarray]:
    x = rng.normal(size=(n, N_FEATURES))
    y = ((x[:, 0] + noise * rng.normal(size=n)) > 0).astype(np.int64)
    frame = pd.DataFrame(x, columns=[f"x{i}" for i in range(N_FEATURES)])
    frame["sex"] = rng.choice(["Female", "Male"], size=n)
    return frame, y


def _train(
    model: torch.nn.Module, frame: pd.DataFrame, y: np.ndarray, *, epochs: int, weight_decay: float
) -> torch.nn.Module:
    torch.manual_seed(0)
    x = torch.tensor(frame.iloc[:, :N_FEATURES].to_numpy(), dtype=torch.float32)
    t = torch.tensor(y)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2, weight_decay=weight_decay)
    for _ in range(epochs):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(x), t).backward()
        opt.step()
    return model


def _context(
    model: torch.nn.Module,
    train: tuple[pd.DataFrame, np.ndarray],
    evl: tuple[pd.DataFrame, np.ndarray],
):
    frames = {"train": train[0], "eval": evl[0]}

    def predict(split: str) -> Predictions:
        x = torch.tensor(frames[split].iloc[:, :N_FEATURES].to_numpy(), dtype=torch.float32)
        with torch.inference_mode():
            lp = torch.log_softmax(model(x), dim=1)
        return predictions_from_log_probs(lp.double().numpy())

    return make_context(
        evl[0], evl[1], train_frame=train[0], train_y=train[1], predict=predict, sensitive=["sex"]
    )


def _overall(evidence, name: str):
    return next(m for m in evidence.measurements if m.name == name and m.group is None)


def test_overfit_mlp_is_caught() -> None:
    rng = np.random.default_rng(1)
    train, evl = _data(200, rng, noise=1.5), _data(400, rng, noise=1.5)
    torch.manual_seed(0)
    mlp = torch.nn.Sequential(
        torch.nn.Linear(N_FEATURES, 128),
        torch.nn.ReLU(),
        torch.nn.Linear(128, 128),
        torch.nn.ReLU(),
        torch.nn.Linear(128, 2),
    )
    _train(mlp, *train, epochs=200, weight_decay=0.0)
    check = MembershipInference()
    evidence = check.measure(_context(mlp, train, evl), check.Params(n_boot=200))
    auc = _overall(evidence, "roc_auc")
    assert auc.value is not None and auc.value > 0.7
    assert auc.ci is not None and auc.ci[0] > 0.6
    assert auc.n == 400
    assert _overall(evidence, "membership_advantage").value > 0.3
    # the curve for the packet's chart is bounded and monotone
    curve = evidence.details["roc_curve"]
    assert len(curve["fpr"]) <= 200
    assert np.all(np.diff(curve["tpr"]) >= 0)
    # one overall row and one per group, each judged separately
    groups = {json.dumps(m.group, sort_keys=True) for m in evidence.measurements}
    assert groups == {"null", '{"sex": "Female"}', '{"sex": "Male"}'}
    json.dumps(asdict(evidence) | {"measurements": [m.model_dump() for m in evidence.measurements]})


def test_regularised_linear_model_passes() -> None:
    rng = np.random.default_rng(2)
    train, evl = _data(2000, rng, noise=1.0), _data(2000, rng, noise=1.0)
    torch.manual_seed(0)
    linear = _train(torch.nn.Linear(N_FEATURES, 2), *train, epochs=200, weight_decay=1e-2)
    check = MembershipInference()
    evidence = check.measure(_context(linear, train, evl), check.Params(n_boot=200))
    auc = _overall(evidence, "roc_auc")
    assert auc.value is not None and abs(auc.value - 0.5) < 0.05
    assert auc.ci is not None and auc.ci[0] < 0.6


def test_confident_rows_do_not_tie() -> None:
    # p_y within 1e-12 of 1: a float32 loss is exactly 0 for all three rows
    margins_in = np.array([30.0, 35.0, 40.0])
    log_probs = np.stack([-np.log1p(np.exp(margins_in)), -np.log1p(np.exp(-margins_in))], axis=1)
    assert np.all(
        torch.nn.functional.cross_entropy(
            torch.tensor(log_probs, dtype=torch.float32),
            torch.ones(3, dtype=torch.long),
            reduction="none",
        ).numpy()
        == 0.0
    )
    margins = logit_margins(log_probs, np.ones(3, dtype=np.int64))
    assert margins.dtype == np.float64
    np.testing.assert_allclose(margins, margins_in, rtol=1e-9)


def test_planted_group_leak_and_non_member_exclusion() -> None:
    rng = np.random.default_rng(3)
    n = 600
    train = pd.DataFrame({"x": rng.normal(size=n), "race": rng.choice(["a", "b"], size=n)})
    evl = pd.DataFrame({"x": rng.normal(size=n), "race": rng.choice(["a", "b"], size=n)})
    evl.iloc[:50] = train.iloc[:50].to_numpy()  # these eval rows were trained on
    y_train, y_eval = rng.integers(0, 2, n), rng.integers(0, 2, n)
    y_eval[:50] = y_train[:50]
    # planted truth: the model is very sure about training rows of group "a" only
    margin_train = np.where(train["race"] == "a", 8.0, 0.0) + rng.normal(size=n)
    margin_eval = rng.normal(size=n)

    def log_probs(margin: np.ndarray, y: np.ndarray) -> np.ndarray:
        logit1 = np.where(y == 1, margin, -margin)
        return np.stack([-np.logaddexp(0, logit1), -np.logaddexp(0, -logit1)], axis=1)

    preds = {
        "train": predictions_from_log_probs(log_probs(margin_train, y_train)),
        "eval": predictions_from_log_probs(log_probs(margin_eval, y_eval)),
    }
    ctx = make_context(
        evl,
        y_eval,
        train_frame=train,
        train_y=y_train,
        predict=preds.__getitem__,
        sensitive=["race"],
    )
    check = MembershipInference()
    evidence = check.measure(ctx, check.Params(n_boot=100))
    by_group = {
        m.group["race"]: m
        for m in evidence.measurements
        if m.name == "roc_auc" and m.group is not None
    }
    assert by_group["a"].value > 0.95
    assert abs(by_group["b"].value - 0.5) < 0.1
    assert evidence.details["eval_rows_in_train"] == 50
    assert evidence.details["n_non_members"] == n - 50


def test_sampling_is_seeded_and_excludes_train_rows() -> None:
    train_h = np.arange(100, dtype=np.uint64)
    eval_h = np.arange(50, 250, dtype=np.uint64)
    a = sample_membership(train_h, eval_h, max_per_side=80, seed=7)
    b = sample_membership(train_h, eval_h, max_per_side=80, seed=7)
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    assert len(a[0]) == len(a[1]) == 80
    assert not np.isin(eval_h[a[1]], train_h).any()


def test_same_seed_same_numbers() -> None:
    rng = np.random.default_rng(4)
    train, evl = _data(150, rng, noise=1.0), _data(150, rng, noise=1.0)
    model = _train(torch.nn.Linear(N_FEATURES, 2), *train, epochs=50, weight_decay=0.0)
    check = MembershipInference()
    runs = [check.measure(_context(model, train, evl), check.Params(n_boot=50)) for _ in range(2)]
    assert [m.model_dump() for m in runs[0].measurements] == [
        m.model_dump() for m in runs[1].measurements
    ]


@pytest.mark.parametrize("missing", ["train"])
def test_skips_without_training_split(missing: str) -> None:
    from govkit.checks.base import SkipCheck

    frame = pd.DataFrame({"x": [1.0, 2.0]})
    ctx = make_context(frame, np.array([0, 1]))
    with pytest.raises(SkipCheck):
        MembershipInference().measure(ctx, MembershipInference.Params())
