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
from govkit.runner.judge import judge
from tests.checks.privacy_helpers import make_context, predictions_from_log_probs

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


def _log_probs(margin: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Binary log-probabilities whose true-class logit margin is ``margin``."""
    logit1 = np.where(y == 1, margin, -margin)
    return np.stack([-np.logaddexp(0, logit1), -np.logaddexp(0, -logit1)], axis=1)


@pytest.mark.slow
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
    assert auc.n == 200  # judged on the smaller side: 200 members against 200 non-members
    assert _overall(evidence, "membership_advantage").value > 0.3
    # the curve for the packet's chart is bounded and monotone
    curve = evidence.details["roc_curve"]
    assert len(curve["fpr"]) <= 200
    assert np.all(np.diff(curve["tpr"]) >= 0)
    # one overall row and one per group, each judged separately
    groups = {json.dumps(m.group, sort_keys=True) for m in evidence.measurements}
    assert groups == {"null", '{"sex": "Female"}', '{"sex": "Male"}'}
    json.dumps(asdict(evidence) | {"measurements": [m.model_dump() for m in evidence.measurements]})
    # judged against the built-in thresholds, as the runner does
    assert judge(evidence, check.default_thresholds).status == "fail"


@pytest.mark.slow
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
    # every figure carries n and an interval, except a TPR at an FPR f that the
    # non-members cannot reach (fewer than 10 / f): that one is null, with its n
    per_group = {json.dumps(r["group"]): r for r in evidence.details["per_group"]}
    for m in evidence.measurements:
        assert m.n is not None and m.n > 0, m
        non_members = 2000 if m.group is None else per_group[json.dumps(m.group)]["non_members"]
        needed = {"tpr_at_fpr_0.01": 1000, "tpr_at_fpr_0.001": 10_000}.get(m.name, 1)
        if non_members < needed:
            assert m.value is None and m.ci is None, m
            continue
        assert m.ci is not None and m.ci[0] <= m.value <= m.ci[1], m
    assert judge(evidence, check.default_thresholds[:2]).status == "pass"
    # the suite's bound at 0.1% FPR cannot be judged on 2,000 non-members
    verdict = judge(evidence, check.default_thresholds)
    assert verdict.status == "insufficient_evidence"
    assert "tpr_at_fpr_0.001" in verdict.message


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

    preds = {
        "train": predictions_from_log_probs(_log_probs(margin_train, y_train)),
        "eval": predictions_from_log_probs(_log_probs(margin_eval, y_eval)),
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


def _planted_context(device: str = "cpu"):
    """Members the model is surer about, ties included, two groups."""
    rng = np.random.default_rng(5)
    n = 1500
    train = pd.DataFrame({"x": rng.normal(size=n), "sex": rng.choice(["F", "M"], size=n)})
    evl = pd.DataFrame({"x": rng.normal(size=n) + 10.0, "sex": rng.choice(["F", "M"], size=n)})
    y_train, y_eval = rng.integers(0, 2, n), rng.integers(0, 2, n)
    # rounded margins tie in blocks, as confident float32 outputs do
    margin_train = np.round(rng.normal(0.6, 1.0, size=n), 1)
    margin_eval = np.round(rng.normal(0.0, 1.0, size=n), 1)

    preds = {
        "train": predictions_from_log_probs(_log_probs(margin_train, y_train)),
        "eval": predictions_from_log_probs(_log_probs(margin_eval, y_eval)),
    }
    ctx = make_context(
        evl,
        y_eval,
        train_frame=train,
        train_y=y_train,
        predict=preds.__getitem__,
        sensitive=["sex"],
    )
    ctx.device = device
    return ctx


def _figures(evidence) -> list[tuple]:
    return [(m.name, json.dumps(m.group), m.value, m.ci, m.n) for m in evidence.measurements]


def _assert_close(a: list[tuple], b: list[tuple], ci_tolerance: float) -> None:
    assert [x[:2] + x[4:] for x in a] == [x[:2] + x[4:] for x in b]
    for (name, group, va, ca, _), (_, _, vb, cb, _) in zip(a, b, strict=True):
        if va is None or vb is None:  # a figure too few non-members can show is null on both
            assert va is None and vb is None and ca is None and cb is None, (name, group)
            continue
        # the point estimate is float64 on both paths
        assert va == pytest.approx(vb, rel=1e-12, abs=1e-12), (name, group)
        # numpy sums replicate weights into float32 rates; the device path keeps float64
        assert ca == pytest.approx(cb, abs=ci_tolerance), (name, group)


def test_device_statistic_matches_numpy_on_the_same_weights() -> None:
    from govkit.checks.membership_inference import attack_statistic, device_attack_statistic
    from govkit.privacy.attacks import attack_scores
    from govkit.privacy.roc import RocInput

    rng = np.random.default_rng(6)
    n = 800
    is_member = np.repeat([True, False], n // 2)
    margins = np.round(rng.normal(size=n) + 0.5 * is_member, 1)
    y = rng.integers(0, 2, n)
    scores = attack_scores(margins, y)
    group = rng.random(n) < 0.3
    inputs = {
        a: [RocInput.from_scores(s, is_member, m) for m in (None, group, ~group)]
        for a, s in scores.items()
    }
    host, device = attack_statistic(inputs, "cpu"), device_attack_statistic(inputs, "cpu")
    ones = np.ones((1, n))
    np.testing.assert_allclose(device(ones), host(ones), rtol=1e-12, atol=1e-12)
    weights = rng.poisson(1.0, size=(64, n)).astype(np.float64)
    weights[0, ~is_member] = 0.0  # a replicate without non-members has no curve
    on_host, on_device = host(weights), device(weights)
    assert np.isnan(on_host[0]).all() and np.isnan(on_device[0]).all()
    np.testing.assert_allclose(on_device[1:], on_host[1:], rtol=0, atol=1e-5)


def test_the_check_gives_the_same_figures_through_torch(monkeypatch: pytest.MonkeyPatch) -> None:
    import govkit.checks.membership_inference as mi

    check = MembershipInference()
    params = check.Params(n_boot=100)
    on_host = check.measure(_planted_context(), params)
    monkeypatch.setattr(
        mi, "attack_statistic", lambda inputs, device: mi.device_attack_statistic(inputs, "cpu")
    )
    through_torch = check.measure(_planted_context(), params)
    _assert_close(_figures(on_host), _figures(through_torch), ci_tolerance=1e-6)
    assert on_host.details["roc_curve"] == through_torch.details["roc_curve"]


def test_the_cpu_path_never_loads_the_device_module() -> None:
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from govkit.checks.membership_inference import attack_statistic\n"
        "attack_statistic({'loss': [], 'confidence': []}, 'cpu')\n"
        "print('govkit.privacy.roc_device' in sys.modules, 'torch' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert done.stdout.split() == ["False", "False"]


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_gpu_figures_match_cpu_figures() -> None:
    check = MembershipInference()
    params = check.Params(n_boot=200)
    on_cpu = check.measure(_planted_context("cpu"), params)
    on_gpu = check.measure(_planted_context("cuda"), params)
    # a replicate's rate may round to the other side of an FPR level on another device
    _assert_close(_figures(on_cpu), _figures(on_gpu), ci_tolerance=1e-4)
    # the same seed on the same device gives the same numbers, bit for bit
    assert _figures(on_gpu) == _figures(check.measure(_planted_context("cuda"), params))


def test_train_split_without_prediction_columns_skips_with_the_reason() -> None:
    from govkit.checks.base import SkipCheck

    ctx = _planted_context()
    answers = ctx.predictions_of

    def predict(split: str) -> Predictions:
        if split == "train":
            raise LookupError("the training split has no prediction columns")
        return answers(split)

    ctx.predictions_of = predict
    with pytest.raises(SkipCheck, match=r"no prediction columns.*data\.train"):
        MembershipInference().measure(ctx, MembershipInference.Params())
