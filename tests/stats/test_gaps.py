"""Simultaneous intervals of the largest gap between groups, and the group-size rule."""

from __future__ import annotations

import numpy as np
import pytest

from govkit.stats.bootstrap import percentile_interval
from govkit.stats.gaps import pairwise_gap_interval, pairwise_gap_intervals, worst_case_half_width
from govkit.stats.rates import wilson_interval


def _draws(
    rates: np.ndarray, n: int, samples: int, n_boot: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Observed rates (samples, K) and their binomial bootstrap replicates (samples, B, K)."""
    rng = np.random.default_rng(seed)
    observed = rng.binomial(n, rates, size=(samples, rates.size)) / n
    reps = rng.binomial(n, observed[:, None, :], size=(samples, n_boot, rates.size)) / n
    return observed, reps


@pytest.mark.parametrize(
    ("rates", "n"),
    [
        (np.full(6, 0.3), 500),  # fair: the largest gap is 0
        (np.array([0.2, 0.25, 0.3, 0.35]), 1000),  # largest gap 0.15
        (np.array([0.5, 0.5, 0.6]), 300),
    ],
)
def test_largest_gap_interval_covers_the_truth(rates: np.ndarray, n: int) -> None:
    truth = rates.max() - rates.min()
    observed, reps = _draws(rates, n, samples=300, n_boot=400, seed=int(n))
    covered, old_covered = [], []
    for point, rep in zip(observed, reps, strict=True):
        gap = pairwise_gap_interval(point, rep, 0.95)
        assert gap is not None and gap.low <= point.max() - point.min() <= gap.high
        covered.append(gap.low <= truth <= gap.high)
        low, high = percentile_interval(rep.max(axis=1) - rep.min(axis=1), 0.95)
        old_covered.append(low <= truth <= high)
    assert np.mean(covered) >= 0.93, np.mean(covered)
    if truth == 0:
        # a percentile interval of max - min never holds 0
        assert np.mean(old_covered) == 0.0


def test_two_rates_hold_their_bands_at_once() -> None:
    # equalized odds: both rates fair, the interval of the larger gap must hold 0
    fair = np.full(4, 0.3)
    tpr, tpr_reps = _draws(fair, 400, samples=300, n_boot=400, seed=1)
    fpr, fpr_reps = _draws(fair, 400, samples=300, n_boot=400, seed=2)
    joint, separate = [], []
    for s in range(300):
        both = pairwise_gap_intervals([(tpr[s], tpr_reps[s]), (fpr[s], fpr_reps[s])])
        assert both[0] is not None and both[1] is not None
        assert both[0].critical == both[1].critical
        joint.append(max(both[0].low, both[1].low) == 0.0)
        a = pairwise_gap_interval(tpr[s], tpr_reps[s])
        b = pairwise_gap_interval(fpr[s], fpr_reps[s])
        assert a is not None and b is not None
        separate.append(max(a.low, b.low) == 0.0)
    assert np.mean(joint) >= 0.94
    assert np.mean(joint) >= np.mean(separate)


def test_log_gaps_and_degenerate_inputs() -> None:
    point = np.array([0.2, 0.4])
    reps = np.array([[0.21, 0.39], [0.19, 0.41], [0.2, 0.42]])
    log_gap = pairwise_gap_interval(point, reps, log=True)
    assert log_gap is not None and log_gap.low <= np.log(2) <= log_gap.high
    # a rate of 0 has no log; one group has no pair
    assert pairwise_gap_interval(np.array([0.0, 0.4]), reps, log=True) is None
    assert pairwise_gap_interval(np.array([0.4]), reps[:, :1]) is None


def test_worst_case_half_width_is_the_widest_wilson_interval() -> None:
    n = np.array([30, 100, 193, 1000])
    half = worst_case_half_width(n)
    rates = np.linspace(0, 1, 101)[:, None]
    low, high = wilson_interval(rates * n, n)
    assert np.allclose(half, ((high - low) / 2).max(axis=0))
    assert np.all(np.diff(half) < 0)
    # 193 rows for ±0.07 at 95%: the default max_half_width
    assert half[2] <= 0.07 < worst_case_half_width(192)
    assert np.isnan(worst_case_half_width(0))


def test_replicates_in_chunks_give_the_same_interval(monkeypatch: pytest.MonkeyPatch) -> None:
    import govkit.stats.gaps as gaps

    observed, reps = _draws(np.array([0.2, 0.3, 0.35, 0.5]), 400, samples=1, n_boot=300, seed=3)
    whole = pairwise_gap_interval(observed[0], reps[0])
    monkeypatch.setattr(gaps, "_MAX_CELLS", 7)  # one replicate of 6 pairs at a time
    chunked = pairwise_gap_interval(observed[0], reps[0])
    assert whole is not None and chunked is not None
    assert np.allclose(
        [whole.low, whole.high, whole.critical], [chunked.low, chunked.high, chunked.critical]
    )
