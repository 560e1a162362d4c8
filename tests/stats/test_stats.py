"""Groups and the vectorised bootstrap."""

from __future__ import annotations

import numpy as np
import pandas as pd

from govkit.stats.bootstrap import bootstrap_rows, percentile_interval, poisson_counts
from govkit.stats.groups import MISSING, groupings


def test_groupings_cover_columns_and_intersection() -> None:
    frame = pd.DataFrame({"sex": ["M", "F", "F", None], "race": ["a", "b", "a", "a"]})
    by_sex, by_race, both = groupings(frame, ["sex", "race"])
    assert by_sex.labels == [{"sex": MISSING}, {"sex": "F"}, {"sex": "M"}]
    assert both.feature == "sex&race"
    # every row's label in the intersection agrees with its single-column labels
    for row in range(len(frame)):
        label = both.labels[both.codes[row]]
        assert label["sex"] == by_sex.labels[by_sex.codes[row]]["sex"]
        assert label["race"] == by_race.labels[by_race.codes[row]]["race"]
    assert both.sizes().sum() == len(frame)


def test_bootstrap_mean_interval_is_seeded_and_covers_truth() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(5.0, 1.0, size=4000)

    def weighted_mean(w: np.ndarray) -> np.ndarray:
        return (w @ x) / w.sum(axis=1)

    reps_a = bootstrap_rows(weighted_mean, len(x), n_boot=500, seed=7)
    reps_b = bootstrap_rows(weighted_mean, len(x), n_boot=500, seed=7)
    assert np.array_equal(reps_a, reps_b)
    low, high = percentile_interval(reps_a)
    assert low < x.mean() < high
    # the interval width matches the standard error of a mean
    assert abs((high - low) / (2 * 1.96) - x.std() / np.sqrt(len(x))) < 0.005


def test_poisson_counts_shape_and_mean() -> None:
    reps = poisson_counts(np.array([[100.0, 5.0], [0.0, 40.0]]), n_boot=2000, seed=0)
    assert reps.shape == (2000, 2, 2)
    assert np.allclose(reps.mean(axis=0), [[100, 5], [0, 40]], atol=1.0)
    assert (reps[:, 1, 0] == 0).all()
