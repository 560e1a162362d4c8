"""Missing or thin evidence never passes: null figures and figures on few rows."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from govkit.checks.base import CheckParams, Evidence
from govkit.checks.classification import Classification
from govkit.checks.context import CheckContext
from govkit.report import Measurement
from govkit.runner.judge import judge
from govkit.suite import Threshold

RECALL = Threshold(metric="recall", min=0.5)


def _world(
    seed: int, *, small_positives: int, small_recall: float, small_rows: int = 300
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, np.ndarray]:
    """Group A: ``small_rows`` rows, ``small_positives`` positive labels, the given true recall.

    Group B: 2,000 rows, half positive, true recall 0.8. Predictions are drawn
    from the true rates; scores follow the predictions.
    """
    rng = np.random.default_rng(seed)
    n_a, n_b = small_rows, 2000
    group = np.array(["A"] * n_a + ["B"] * n_b)
    y = np.zeros(n_a + n_b, dtype=np.int64)
    y[:small_positives] = 1
    y[n_a:] = rng.random(n_b) < 0.5
    recall = np.where(group == "A", small_recall, 0.8)
    pred = np.where(y == 1, rng.random(y.size) < recall, rng.random(y.size) < 0.1).astype(np.int64)
    score = np.clip(0.5 * pred + 0.25 + 0.2 * rng.random(y.size), 0, 1)
    return pd.DataFrame({"sex": group}), y, pred, score


def _verdict(
    ctx_of: Callable[..., CheckContext], trained: Any, data: tuple[Any, ...], thresholds: list[Any]
) -> tuple[str, str, Evidence]:
    frame, y, pred, score = data
    ctx = ctx_of(trained(frame, y, pred, score), sensitive=["sex"])
    evidence = Classification().measure(ctx, CheckParams(n_boot=20))
    verdict = judge(evidence, thresholds, min_group_size=30)
    return verdict.status, verdict.message, evidence


def test_recall_on_three_positives_never_passes(
    context_of: Callable[..., CheckContext], trained_type: Any
) -> None:
    # group A: 300 rows, 3 positives, a true recall of 0.3 (below the 0.5 bound)
    statuses = []
    for seed in range(40):
        data = _world(seed, small_positives=3, small_recall=0.3)
        status, message, evidence = _verdict(context_of, trained_type, data, [RECALL])
        recall_a = next(m for m in evidence.measurements if m.name == "recall" and m.group)
        assert recall_a.n == 3
        statuses.append(status)
        if status != "fail":
            assert "recall for sex=A (n=3)" in message
    # judged on 3 positives, the recall estimate clears 0.5 in about a fifth of samples;
    # none of them passes
    assert "pass" not in statuses
    assert statuses.count("insufficient_evidence") >= 5


def test_recall_on_enough_positives_passes(
    context_of: Callable[..., CheckContext], trained_type: Any
) -> None:
    # the same group with 150 positives and a true recall of 0.8 passes
    statuses = [
        _verdict(
            context_of,
            trained_type,
            _world(seed, small_positives=150, small_recall=0.8),
            [RECALL],
        )[0]
        for seed in range(20)
    ]
    assert statuses.count("pass") >= 19


def test_precision_is_judged_on_predicted_positives(
    context_of: Callable[..., CheckContext], trained_type: Any
) -> None:
    frame, y, pred, score = _world(0, small_positives=150, small_recall=0.8)
    pred[:300] = 0
    pred[:4] = 1  # four predicted positives in group A
    status, message, evidence = _verdict(
        context_of, trained_type, (frame, y, pred, score), [Threshold(metric="precision", min=0.5)]
    )
    precision_a = next(m for m in evidence.measurements if m.name == "precision" and m.group)
    assert precision_a.n == 4
    assert status == "insufficient_evidence" and "precision for sex=A (n=4)" in message


def test_a_per_group_auc_that_cannot_be_computed_is_not_dropped(
    context_of: Callable[..., CheckContext], trained_type: Any
) -> None:
    # group A has no positive labels: its AUC is null; group B's passes
    data = _world(1, small_positives=0, small_recall=0.8)
    status, message, evidence = _verdict(
        context_of, trained_type, data, [Threshold(metric="roc_auc", min=0.6)]
    )
    auc = {
        m.group["sex"] if m.group else None: m for m in evidence.measurements if m.name == "roc_auc"
    }
    assert auc["A"].value is None and auc["B"].value is not None and auc["B"].value > 0.6
    assert status == "insufficient_evidence"
    assert "roc_auc for sex=A" in message


def test_auc_rests_on_the_smaller_class(
    context_of: Callable[..., CheckContext], trained_type: Any
) -> None:
    # overall AUC over 2,300 rows of which 12 are positive: too few to judge
    frame, y, pred, score = _world(2, small_positives=12, small_recall=0.8, small_rows=2300)
    keep = np.arange(2300)
    data = (frame.iloc[keep].reset_index(drop=True), y[keep], pred[keep], score[keep])
    status, message, evidence = _verdict(
        context_of, trained_type, data, [Threshold(metric="roc_auc", min=0.6, overall_only=True)]
    )
    overall = next(m for m in evidence.measurements if m.name == "roc_auc" and m.group is None)
    assert overall.n == 12
    assert status == "insufficient_evidence" and "roc_auc (n=12)" in message


def _evidence(*values: tuple[float | None, dict[str, str] | None, int]) -> Evidence:
    return Evidence(
        measurements=[
            Measurement(name="recall", group=group, value=v, ci=None, n=n) for v, group, n in values
        ]
    )


def test_the_judge_on_null_and_thin_figures() -> None:
    a, b = {"sex": "A"}, {"sex": "B"}
    # a null figure among passing ones
    verdict = judge(_evidence((0.9, None, 500), (0.9, a, 200), (None, b, 0)), [RECALL])
    assert verdict.status == "insufficient_evidence" and "recall for sex=B" in verdict.message
    # a failure is still a failure
    verdict = judge(_evidence((0.2, a, 200), (None, b, 0)), [RECALL])
    assert verdict.status == "fail"
    # an overall figure on 12 rows
    verdict = judge(
        _evidence(
            (0.9, None, 12),
        ),
        [RECALL],
        min_group_size=30,
    )
    assert verdict.status == "insufficient_evidence" and "recall (n=12)" in verdict.message
    # enough rows: pass
    assert (
        judge(
            _evidence(
                (0.9, None, 30),
            ),
            [RECALL],
            min_group_size=30,
        ).status
        == "pass"
    )
