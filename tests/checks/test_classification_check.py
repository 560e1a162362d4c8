"""performance.classification agrees with scikit-learn overall and in every group."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import sklearn.metrics as skm

from govkit.checks.base import CheckParams
from govkit.checks.classification import Classification
from govkit.checks.context import CheckContext
from govkit.stats.groups import groupings
from govkit.stats.scores import weighted_roc_auc

TOL = 1e-9
SENSITIVE = ["sex", "race"]


def _binary_reference(y: np.ndarray, pred: np.ndarray, p: np.ndarray) -> dict[str, float]:
    return {
        "accuracy": skm.accuracy_score(y, pred),
        "balanced_accuracy": skm.balanced_accuracy_score(y, pred),
        "precision": skm.precision_score(y, pred, zero_division=0),
        "recall": skm.recall_score(y, pred, zero_division=0),
        "f1": skm.f1_score(y, pred, zero_division=0),
        "roc_auc": skm.roc_auc_score(y, p) if len(np.unique(y)) == 2 else float("nan"),
        "log_loss": skm.log_loss(y, p, labels=[0, 1]),
        "brier_score": skm.brier_score_loss(y, p, pos_label=1),
    }


def _multiclass_reference(y: np.ndarray, pred: np.ndarray, p: np.ndarray) -> dict[str, float]:
    return {
        "accuracy": skm.accuracy_score(y, pred),
        "balanced_accuracy": skm.balanced_accuracy_score(y, pred),
        "f1": skm.f1_score(y, pred, average="macro", zero_division=0),
        "log_loss": skm.log_loss(y, p, labels=list(range(p.shape[1]))),
    }


def _subsets(data: Any) -> list[tuple[dict[str, str] | None, np.ndarray]]:
    out: list[tuple[dict[str, str] | None, np.ndarray]] = [(None, np.ones(len(data.y_true), bool))]
    for grouping in groupings(data.frame, SENSITIVE):
        for code, label in enumerate(grouping.labels):
            out.append((label, grouping.codes == code))
    return out


@pytest.mark.parametrize("task", ["binary", "multiclass"])
def test_every_figure_equals_scikit_learn(
    task: str, biased_model: Any, multiclass_model: Any, context_of: Callable[..., CheckContext]
) -> None:
    data = biased_model if task == "binary" else multiclass_model
    reference = _binary_reference if task == "binary" else _multiclass_reference
    evidence = Classification().measure(
        context_of(data, sensitive=SENSITIVE, task=task), CheckParams(n_boot=30)
    )
    by_key = {(m.name, tuple(sorted((m.group or {}).items()))): m for m in evidence.measurements}
    subsets = _subsets(data)
    assert len(subsets) == 1 + 2 + 3 + 6
    for group, mask in subsets:
        expected = reference(data.y_true[mask], data.labels[mask], data.scores[mask])
        for name, value in expected.items():
            m = by_key.pop((name, tuple(sorted((group or {}).items()))))
            if np.isnan(value):
                assert m.value is None
            else:
                assert m.value is not None and abs(m.value - value) <= TOL, (name, group)
            assert m.n is not None and m.n <= mask.sum()
    assert not by_key, f"unexpected measurements: {list(by_key)}"
    if task == "multiclass":
        assert evidence.details["averaging"].startswith("macro")


def test_weighted_auc_equals_scikit_learn_with_sample_weights() -> None:
    rng = np.random.default_rng(0)
    for ties in (False, True):
        p = rng.random(3000)
        p = np.round(p, 2) if ties else p
        y = (rng.random(3000) < p).astype(int)
        weights = rng.poisson(1.0, size=(4, 3000)).astype(float)
        ours = weighted_roc_auc(p, y, weights)
        theirs = [skm.roc_auc_score(y, p, sample_weight=w) for w in weights]
        assert np.max(np.abs(ours - theirs)) < TOL


def test_intervals_cover_estimates_and_are_seeded(
    biased_model: Any, context_of: Callable[..., CheckContext]
) -> None:
    params = CheckParams(n_boot=200)
    first = Classification().measure(context_of(biased_model, sensitive=["sex"], seed=9), params)
    again = Classification().measure(context_of(biased_model, sensitive=["sex"], seed=9), params)
    assert [m.model_dump() for m in first.measurements] == [
        m.model_dump() for m in again.measurements
    ]
    for m in first.measurements:
        assert m.value is not None and m.ci is not None
        assert m.ci[0] <= m.value <= m.ci[1], m


def test_without_scores_score_metrics_are_omitted_with_a_note(
    fair_model: Any, context_of: Callable[..., CheckContext]
) -> None:
    ctx = context_of(fair_model, sensitive=["sex"], has_scores=False)
    evidence = Classification().measure(ctx, CheckParams(n_boot=20))
    names = {m.name for m in evidence.measurements}
    assert names == {"accuracy", "balanced_accuracy", "precision", "recall", "f1"}
    assert any("no scores" in note for note in evidence.details["notes"])


def test_small_groups_are_listed(
    biased_model: Any, trained_type: Any, context_of: Callable[..., CheckContext]
) -> None:
    frame = biased_model.frame.copy()
    frame.loc[:9, "race"] = "Other"  # ten rows
    data = trained_type(frame, biased_model.y_true, biased_model.labels, biased_model.scores)
    evidence = Classification().measure(
        context_of(data, sensitive=["race"]), CheckParams(n_boot=10, min_group_size=30)
    )
    assert evidence.small_groups == ["race=Other (n=10)"]


def test_registry_loads_the_performance_checks() -> None:
    from govkit.checks.calibration import Calibration
    from govkit.checks.registry import load_check

    assert load_check("performance.classification") is Classification
    assert load_check("performance.calibration") is Calibration
