"""Paired bootstrap of candidate minus baseline: exact counts, coverage, width, error rates.

The simulations draw many evaluation sets from a population with known
truth: each row has a difficulty, and both models are more often wrong on
hard rows, so their errors are correlated as two models of one task are.
"""

from __future__ import annotations

import numpy as np
import pytest

from govkit.checks.base import Evidence
from govkit.report import Measurement
from govkit.runner.judge import judge
from govkit.stats.bootstrap import bootstrap_rows, percentile_interval, poisson_counts
from govkit.stats.confusion import accuracy, confusion_counts
from govkit.stats.paired import joint_counts, paired_interval, split_joint
from govkit.stats.scores import weighted_roc_auc
from govkit.suite import Threshold

N_ROWS = 2000
N_BOOT = 400
N_SIMS = 300
# true accuracies: a row is easy (90%) or hard; hard rows defeat both models often
P_HARD = 0.3
ACC = {"a": (0.97, 0.55), "b": (0.95, 0.50)}  # (easy, hard)
TRUE_DIFF = (1 - P_HARD) * (0.97 - 0.95) + P_HARD * (0.55 - 0.50)


def _draw(rng: np.random.Generator, n: int, shift: float = 0.0) -> tuple[np.ndarray, ...]:
    """Labels and two models' predicted labels with correlated errors.

    One uniform per row decides both models' correctness, so a row one model
    gets wrong is likely wrong for the other: the correlation of real models.
    ``shift`` lowers model a's accuracy on hard rows (moves the true difference).
    """
    y = rng.integers(0, 2, size=n)
    hard = rng.random(n) < P_HARD
    u = rng.random(n)
    acc_a = np.where(hard, ACC["a"][1] - shift, ACC["a"][0])
    acc_b = np.where(hard, ACC["b"][1], ACC["b"][0])
    a = np.where(u < acc_a, y, 1 - y)
    b = np.where(u < acc_b, y, 1 - y)
    return y, a, b


def test_joint_counts_split_into_each_models_confusion_counts() -> None:
    rng = np.random.default_rng(1)
    codes = rng.integers(0, 3, size=500)
    y, a, b = _draw(rng, 500)
    joint = joint_counts(codes, 3, y, a, b)
    ca, cb = split_joint(joint)
    np.testing.assert_array_equal(ca, confusion_counts(codes, 3, y, a))
    np.testing.assert_array_equal(cb, confusion_counts(codes, 3, y, b))
    assert joint.sum() == 500


def test_paired_interval_covers_the_true_difference_and_is_much_narrower() -> None:
    rng = np.random.default_rng(7)
    covered, paired_widths, separate_widths = 0, [], []
    for sim in range(N_SIMS):
        y, a, b = _draw(rng, N_ROWS)
        joint = joint_counts(np.zeros(N_ROWS, np.int64), 1, y, a, b)
        ra, rb = split_joint(poisson_counts(joint, n_boot=N_BOOT, seed=sim))
        low, high = paired_interval(accuracy(ra), accuracy(rb), 0.95)[:, 0]
        covered += low <= TRUE_DIFF <= high
        paired_widths.append(high - low)
        # the interval from the two models' separate intervals, as if independent
        ca, cb = split_joint(joint)
        sa = percentile_interval(accuracy(poisson_counts(ca, n_boot=N_BOOT, seed=10**6 + sim)))
        sb = percentile_interval(accuracy(poisson_counts(cb, n_boot=N_BOOT, seed=2 * 10**6 + sim)))
        separate_widths.append(float(sa[1, 0] - sa[0, 0] + sb[1, 0] - sb[0, 0]))
    coverage = covered / N_SIMS
    ratio = float(np.median(paired_widths) / np.median(separate_widths))
    assert coverage >= 0.90, coverage
    assert ratio < 0.5, ratio  # correlated errors cancel in the paired difference


def test_paired_row_bootstrap_of_roc_auc_covers_the_true_difference() -> None:
    """Score metrics pair through one weight matrix for both models."""
    rng = np.random.default_rng(3)
    n, sims, boot = 600, 120, 200
    # scores: a shared signal plus model noise; a is less noisy than b
    big = 400_000
    z = rng.normal(size=big)
    y_pop = (z + rng.logistic(size=big) > 0).astype(np.int64)
    shared = rng.normal(size=big)
    pop_a, pop_b = z + 0.6 * shared, z + 0.6 * shared + 0.5 * rng.normal(size=big)
    ones = np.ones((1, big))
    truth = float(weighted_roc_auc(pop_a, y_pop, ones)[0] - weighted_roc_auc(pop_b, y_pop, ones)[0])
    covered = 0
    for sim in range(sims):
        rows = rng.integers(0, big, size=n)
        y, sa, sb = y_pop[rows], pop_a[rows], pop_b[rows]

        def stat(w: np.ndarray, y: np.ndarray = y, sa: np.ndarray = sa, sb: np.ndarray = sb):
            return np.stack([weighted_roc_auc(sa, y, w), weighted_roc_auc(sb, y, w)], axis=-1)

        reps = bootstrap_rows(stat, n, n_boot=boot, seed=sim)
        low, high = paired_interval(reps[:, 0], reps[:, 1], 0.95)
        covered += low <= truth <= high
    assert covered / sims >= 0.90, covered / sims


@pytest.mark.parametrize(
    ("on", "wrong"), [("interval_lenient", "fail"), ("interval_strict", "pass")]
)
def test_vs_threshold_at_the_bound_keeps_its_error_rate(on: str, wrong: str) -> None:
    """When the true difference equals the bound, lenient rarely fails and strict rarely passes."""
    rng = np.random.default_rng(11)
    shift = 0.1  # a is worse on hard rows: true difference is negative
    truth = (1 - P_HARD) * (0.97 - 0.95) + P_HARD * (0.55 - shift - 0.50)
    threshold = Threshold(metric="accuracy", vs="previous", min=truth, on=on)
    outcomes = []
    for sim in range(N_SIMS):
        y, a, b = _draw(rng, N_ROWS, shift=shift)
        joint = joint_counts(np.zeros(N_ROWS, np.int64), 1, y, a, b)
        ca, cb = split_joint(joint)
        ra, rb = split_joint(poisson_counts(joint, n_boot=N_BOOT, seed=sim))
        low, high = paired_interval(accuracy(ra), accuracy(rb), 0.95)[:, 0]
        own = Measurement(name="accuracy", value=float(accuracy(ca)[0]), n=N_ROWS)
        diff = Measurement(
            name="accuracy",
            value=float(accuracy(ca)[0] - accuracy(cb)[0]),
            ci=(float(low), float(high)),
            n=N_ROWS,
            vs="previous",
        )
        outcomes.append(judge(Evidence(measurements=[own, diff]), [threshold]).status)
    rate = outcomes.count(wrong) / N_SIMS
    assert rate <= 0.06, rate  # nominal 2.5% on one side
    assert set(outcomes) <= {"pass", "fail"}
