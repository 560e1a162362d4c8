"""Wilson score intervals: coverage on simulated binomial data, and no collapse at 0."""

from __future__ import annotations

import numpy as np
import pytest

from govkit.stats.rates import wilson_interval


@pytest.mark.parametrize(("p", "n"), [(0.05, 100), (0.01, 300), (0.5, 30), (0.9, 50)])
def test_95_percent_interval_covers_the_true_rate(p: float, n: int) -> None:
    events = np.random.default_rng(11).binomial(n, p, size=100_000)
    low, high = wilson_interval(events, n)
    coverage = float(((low <= p) & (p <= high)).mean())
    assert coverage >= 0.93, coverage


def test_no_events_never_gives_a_point_interval() -> None:
    low, high = wilson_interval(np.array([0, 100]), np.array([100, 100]))
    assert low[0] == 0.0 and high[0] > 0.02
    assert high[1] == 1.0 and low[1] < 0.98


def test_empty_rows_give_no_interval() -> None:
    assert np.isnan(wilson_interval(0, 0)).all()
