"""Feature maps, stratified samples, randomised copies and the bootstrap summaries."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from govkit.attribution import (
    feature_map,
    mean_with_ci,
    randomized_copy,
    rank_correlation,
    rank_correlation_mean,
    share_with_ci,
    stratified_sample,
)


def test_feature_map_sums_groups_and_keeps_the_rest() -> None:
    fmap = feature_map(5, ["age", "sex=F", "sex=M", "x", "y"], {"sex": [1, 2]})
    assert fmap.names == ["sex", "age", "x", "y"]
    attr = np.array([[1.0, 0.5, -2.0, 3.0, 0.0]])
    np.testing.assert_allclose(fmap.group(attr), [[-1.5, 1.0, 3.0, 0.0]])
    assert fmap.columns_of("sex") == [1, 2]
    assert feature_map(2, [], {}).names == ["x0", "x1"]


@pytest.mark.parametrize("groups", [{"a": [0, 5]}, {"a": [0, 1], "b": [1]}])
def test_feature_map_rejects_bad_groups(groups: dict[str, list[int]]) -> None:
    with pytest.raises(ValueError, match="feature group"):
        feature_map(3, [], groups)


def test_stratified_sample_is_proportional_and_seeded() -> None:
    rng = np.random.default_rng(0)
    strata = rng.choice(4, size=10_000, p=[0.7, 0.2, 0.09, 0.01])
    rows = stratified_sample(strata, 1000, seed=1)
    assert rows.size == 1000 and np.all(np.diff(rows) > 0)
    counts = np.bincount(strata[rows], minlength=4)
    expected = np.bincount(strata, minlength=4) / 10
    assert np.all(np.abs(counts - expected) <= 1)
    np.testing.assert_array_equal(rows, stratified_sample(strata, 1000, seed=1))
    assert not np.array_equal(rows, stratified_sample(strata, 1000, seed=2))
    np.testing.assert_array_equal(stratified_sample(strata, 20_000, seed=0), np.arange(10_000))


def test_randomized_copy_resets_layers_and_leaves_the_rng_alone() -> None:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.LayerNorm(4), nn.Linear(4, 2))
    before = torch.get_rng_state()
    first, how = randomized_copy(model, seed=5)
    assert torch.equal(torch.get_rng_state(), before)
    second, _ = randomized_copy(model, seed=5)
    assert how == {"reset": 6, "replaced": 0}
    assert torch.equal(first[0].weight, second[0].weight)
    assert not torch.equal(first[0].weight, model[0].weight)
    with pytest.raises(ValueError, match="no parameters"):
        randomized_copy(nn.ReLU(), seed=0)


def test_bootstrap_summaries_match_their_point_formulas() -> None:
    rng = np.random.default_rng(0)
    values = np.abs(rng.normal(size=(500, 3))) * [1.0, 2.0, 3.0]
    est = mean_with_ci(values, n_boot=300, seed=0)
    np.testing.assert_allclose(est.value, values.mean(axis=0))
    assert np.all(est.ci[0] < est.value) and np.all(est.value < est.ci[1])
    share = share_with_ci(values, [2], n_boot=300, seed=0)
    assert share.value[0] == pytest.approx(values[:, 2].sum() / values.sum())
    rho = rank_correlation(values, values[:, ::-1], n_boot=100, seed=0)
    assert rho.value[0] == pytest.approx(-1.0)
    assert mean_with_ci(values, n_boot=0, seed=0).interval() is None


def test_the_mean_rank_correlation_over_seeds_averages_each_seeds_figure() -> None:
    rng = np.random.default_rng(2)
    ref = np.abs(rng.normal(size=(300, 6))) * np.arange(1, 7)
    same, reversed_ = ref.copy(), ref[:, ::-1].copy()
    est = rank_correlation_mean(ref, [same, reversed_], n_boot=200, seed=0)
    assert est.value[0] == pytest.approx(0.0)  # mean of +1 and -1
    single = rank_correlation(ref, reversed_, n_boot=0, seed=0)
    assert rank_correlation_mean(ref, [reversed_], n_boot=0, seed=0).value[0] == single.value[0]
    low, high = est.interval()  # type: ignore[misc]
    assert low <= 0.0 <= high
