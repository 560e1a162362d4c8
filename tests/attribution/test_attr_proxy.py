"""Proxy strength: the AUC of predicting a sensitive attribute from one feature, on planted data.

Each feature is built with a known AUC for the attribute:

- a numeric noisy copy ``delta * s + N(0, 1)`` of a binary ``s`` has AUC
  ``Phi(delta / sqrt 2)``;
- a categorical copy that keeps the group with probability ``1 - eps`` and
  is otherwise uniform over the ``G`` groups has one-vs-rest AUC
  ``a (1 - b) + (a b + (1 - a)(1 - b)) / 2`` with ``a = 1 - eps + eps / G``
  and ``b = eps / G``;
- a feature drawn independently of the attribute has AUC 0.5, however many
  categories it has.
"""

from __future__ import annotations

from statistics import NormalDist

import numpy as np
import pandas as pd
import pytest

from govkit.attribution import feature_categories, proxy_auc
from govkit.checks.sensitive_reliance import SensitiveReliance, SensitiveRelianceParams
from tests.attribution.helpers import make_ctx, measurement, mlp, onehot_encoder, train

SEEDS = range(30)


def _categorical_truth(eps: float, n_groups: int) -> float:
    a = 1.0 - eps + eps / n_groups
    b = eps / n_groups
    return a * (1.0 - b) + 0.5 * (a * b + (1.0 - a) * (1.0 - b))


def _noisy_category(rng: np.random.Generator, s: np.ndarray, eps: float, k: int) -> np.ndarray:
    return np.where(rng.random(s.size) < eps, rng.integers(0, k, s.size), s)


def _estimates(make: object, n_groups: int, n: int = 2000) -> np.ndarray:
    out = []
    for seed in SEEDS:
        rng = np.random.default_rng(seed)
        s = rng.integers(0, n_groups, n) if n_groups > 2 else (rng.random(n) < 0.4).astype(int)
        columns = make(rng, s)  # type: ignore[operator]
        est = proxy_auc(feature_categories(columns), s, n_groups, n_boot=0, seed=seed)
        out.append(est.value[0])
    return np.asarray(out)


def test_a_numeric_noisy_copy_has_its_planted_auc() -> None:
    truth = NormalDist().cdf(1.5 / np.sqrt(2.0))  # 0.856
    est = _estimates(lambda rng, s: (1.5 * s + rng.normal(size=s.size))[:, None], 2)
    # ten quantile bins lose a little of a continuous feature's information
    assert truth - 0.015 < est.mean() < truth + 0.005
    assert np.all(np.abs(est - truth) < 0.05)


def test_a_categorical_noisy_copy_has_its_planted_auc() -> None:
    truth = _categorical_truth(0.3, 3)  # 0.85
    est = _estimates(lambda rng, s: np.eye(3)[_noisy_category(rng, s, 0.3, 3)], 3)
    assert est.mean() == pytest.approx(truth, abs=0.005)
    binary = _estimates(lambda rng, s: np.eye(2)[_noisy_category(rng, s, 0.4, 2)], 2)
    assert binary.mean() == pytest.approx(_categorical_truth(0.4, 2), abs=0.005)  # 0.8


@pytest.mark.parametrize(
    "make",
    [
        lambda rng, s: rng.normal(size=(s.size, 1)),
        # 50 rare categories: an in-sample share would fit the noise; cross-fitting does not
        lambda rng, s: np.eye(50)[rng.integers(0, 50, s.size)],
    ],
    ids=["numeric", "fifty_categories"],
)
def test_an_independent_feature_is_near_one_half(make: object) -> None:
    est = _estimates(make, 3)
    assert est.mean() == pytest.approx(0.5, abs=0.01)
    assert np.all(np.abs(est - 0.5) < 0.06)


def test_the_interval_holds_the_estimate_and_is_seeded() -> None:
    rng = np.random.default_rng(0)
    s = rng.integers(0, 3, 1000)
    cats = feature_categories(np.eye(3)[_noisy_category(rng, s, 0.3, 3)])
    first = proxy_auc(cats, s, 3, n_boot=300, seed=1)
    low, high = first.interval()  # type: ignore[misc]
    assert low < first.value[0] < high and high - low < 0.1
    np.testing.assert_array_equal(first.ci, proxy_auc(cats, s, 3, n_boot=300, seed=1).ci)
    # a grouping with a single group has nothing to predict
    assert np.isnan(proxy_auc(cats, np.zeros(1000, dtype=np.int64), 1, n_boot=0, seed=0).value[0])


def test_the_check_reports_planted_proxies_of_race() -> None:
    """A model that never sees race; ``zone`` is a noisy copy of it, ``x0`` is not."""
    rng = np.random.default_rng(3)
    n = 1500
    races = np.array(["A", "B", "C"])
    s = rng.integers(0, 3, n)
    zone = _noisy_category(rng, s, 0.3, 3)
    frame = pd.DataFrame({"x0": rng.normal(size=n), "zone": np.array(["z0", "z1", "z2"])[zone]})
    frame["race"] = races[s]
    y = ((frame["x0"] + (zone == 1) + 0.5 * rng.normal(size=n)) > 0.5).astype(np.int64).to_numpy()
    encode, names, groups = onehot_encoder(["x0"], {"zone": ["z0", "z1", "z2"]})
    model = train(mlp(len(names)), encode(frame), y, epochs=60)
    ctx = make_ctx(
        model,
        frame,
        y,
        encode,
        feature_names=names,
        feature_groups=groups,
        train_frame=frame,
        train_y=y,
        sensitive=["race"],
    )
    ev = SensitiveReliance().measure(ctx, SensitiveRelianceParams(n_boot=200, max_rows=600))
    zone_auc = measurement(ev, "proxy_strength", feature="zone")
    x0_auc = measurement(ev, "proxy_strength", feature="x0")
    assert zone_auc.n == 600
    assert zone_auc.ci[0] <= _categorical_truth(0.3, 3) <= zone_auc.ci[1]
    assert abs(x0_auc.value - 0.5) < 0.05 and zone_auc.ci[0] > x0_auc.ci[1]
    assert [p["feature"] for p in ev.details["strongest_proxies"]] == ["zone", "x0"]
    assert "strongest proxy is zone (it predicts race with AUC 0.8" in (ev.summary or "")
