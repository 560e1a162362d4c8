"""Slices in the performance check: error rates of naming and judging, with known truth.

Each simulation plants the truth: a model right with a known probability on
every slice, or one slice where it is markedly worse. The classification
check measures the slices as it measures groups, and the suite's thresholds
judge them through the same judge, so these are the rates a user gets.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from govkit.checks.calibration import Calibration
from govkit.checks.classification import Classification
from govkit.checks.context import CheckContext, Predictions, Split
from govkit.runner.judge import judge
from govkit.stats.slices import make_slicing
from govkit.suite import Threshold

REGIONS = np.array(["APAC", "EU", "LATAM", "US"])


def _context(
    accuracy: dict[str, float], per_slice: int, seed: int, *, scores: bool = False
) -> CheckContext:
    """Labels and predictions right with the planted probability in each region."""
    rng = np.random.default_rng(seed)
    region = np.repeat(list(accuracy), per_slice)
    y = rng.integers(0, 2, size=region.size)
    right = rng.random(region.size) < np.array([accuracy[r] for r in region])
    labels = np.where(right, y, 1 - y)
    frame = pd.DataFrame({"region": region})
    p = np.clip(np.where(labels == 1, 0.75, 0.25) + rng.normal(0, 0.1, labels.size), 0.01, 0.99)
    preds = Predictions(
        log_probs=np.log(np.stack([1 - p, p], axis=1)), scores=p, labels=labels, has_scores=scores
    )
    ctx = CheckContext(
        task="binary",
        seed=seed,
        device="cpu",
        eval=Split("eval", frame, y),
        slices=[make_slicing(frame, "region")],
        predictions_of=lambda split: preds,
    )
    return ctx


def _measure(ctx: CheckContext, **params: Any) -> Any:
    check = Classification()
    return check.measure(ctx, Classification.Params(**{"n_boot": 0, **params}))


def test_a_planted_weak_slice_is_named_worst_and_fails_a_per_slice_threshold() -> None:
    truth = {"APAC": 0.70, "EU": 0.85, "LATAM": 0.85, "US": 0.85}
    bound = Threshold(metric="accuracy", min=0.78)
    named = failed_on_apac = 0
    runs = 40
    for seed in range(runs):
        evidence = _measure(_context(truth, 500, seed))
        worst = {w["metric"]: w for w in evidence.details["worst_slices"]}["accuracy"]
        named += worst["group"] == {"region": "APAC"}
        assert worst["gap"] < 0 and worst["n"] == 500 and worst["slices_compared"] == 4
        verdict = judge(evidence, [bound], min_group_size=30)
        failing = [f for f in verdict.findings if not f.passed]
        failed_on_apac += verdict.status == "fail" and all(
            f.measurement.group == {"region": "APAC"} for f in failing
        )
    # a 15-point gap on 500 rows a slice: the weak slice is found every time
    assert named == runs
    assert failed_on_apac == runs


def test_equal_slices_are_covered_and_pass_at_the_nominal_rate() -> None:
    """True accuracy 0.85 everywhere, bound 0.85 judged on the interval (lenient):
    each slice's 95% interval covers the truth about 95% of the time, and a slice
    fails only when its whole interval lies below, about 2.5% of the time."""
    truth = dict.fromkeys(REGIONS.tolist(), 0.85)
    bound = Threshold(metric="accuracy", min=0.85, on="interval_lenient")
    covered = wrongly_failed = figures = 0
    for seed in range(300):
        evidence = _measure(_context(truth, 400, 1000 + seed))
        slices = [m for m in evidence.measurements if m.name == "accuracy" and m.group]
        assert len(slices) == 4 and all(m.n == 400 for m in slices)
        for m in slices:
            figures += 1
            covered += m.ci[0] <= 0.85 <= m.ci[1]
        verdict = judge(evidence, [bound], min_group_size=30)
        wrongly_failed += sum(
            1 for f in verdict.findings if not f.passed and f.measurement.group is not None
        )
    assert figures == 1200
    assert 0.93 <= covered / figures <= 0.97
    assert 0.01 <= wrongly_failed / figures <= 0.045


def test_a_slice_too_small_is_reported_and_keeps_the_check_from_passing() -> None:
    """As a small group: its figures are reported with their n, it is not named the
    worst slice, and a check that would pass is insufficient_evidence instead."""
    truth = {"EU": 0.85, "US": 0.85}
    ctx = _context(truth, 400, 7)
    # ten more rows in a tiny region, six predicted right: the lowest accuracy of all
    frame = pd.concat([ctx.eval.frame, pd.DataFrame({"region": ["MARS"] * 10})], ignore_index=True)
    y = np.concatenate([ctx.eval.y_true, np.ones(10, dtype=np.int64)])
    base = ctx.predictions("eval")
    labels = np.concatenate([base.labels, np.array([1] * 6 + [0] * 4)])
    p = np.where(labels == 1, 0.9, 0.1)
    preds = Predictions(np.log(np.stack([1 - p, p], axis=1)), p, labels, has_scores=False)
    small = CheckContext(
        task="binary",
        seed=7,
        device="cpu",
        eval=Split("eval", frame, y),
        slices=[make_slicing(frame, "region")],
        predictions_of=lambda split: preds,
    )
    evidence = _measure(small)
    mars = [m for m in evidence.measurements if m.group == {"region": "MARS"}]
    assert mars and all(m.n is not None and m.n <= 10 for m in mars)  # reported, with its n
    assert any("region=MARS (n=10)" in s for s in evidence.small_groups)
    worst = {w["metric"]: w for w in evidence.details["worst_slices"]}["accuracy"]
    assert worst["group"] != {"region": "MARS"} and worst["too_small"] == 1
    verdict = judge(evidence, [Threshold(metric="accuracy", min=0.5)], min_group_size=30)
    assert verdict.status == "insufficient_evidence"
    assert "region=MARS" in verdict.message


def test_declaring_slices_changes_no_overall_or_group_figure() -> None:
    """Slices add figures; the others keep their values and intervals (same seeds, same
    row weights), so adding data.slices never moves a verdict that stood before."""
    ctx = _context(dict.fromkeys(REGIONS.tolist(), 0.8), 300, 11, scores=True)
    with_slices = _measure(ctx, n_boot=100).measurements
    ctx.slices = []
    ctx._memo.clear()
    without = _measure(ctx, n_boot=100).measurements
    assert {m.name for m in without} >= {"accuracy", "f1", "roc_auc", "log_loss"}
    assert [m for m in with_slices if m.group is None] == without
    assert len(with_slices) == len(without) * 5
    # calibration too
    ctx.slices = [make_slicing(ctx.eval.frame, "region")]
    params = Calibration.Params(n_boot=100)
    sliced = [m for m in Calibration().measure(ctx, params).measurements if m.group is None]
    ctx.slices = []
    alone = Calibration().measure(ctx, params).measurements
    assert len(sliced) == len(alone) == 1
    # equal up to the last bit of a sparse product's summation order
    assert sliced[0].value == pytest.approx(alone[0].value, abs=1e-12)
    assert sliced[0].ci == pytest.approx(alone[0].ci, abs=1e-12)
