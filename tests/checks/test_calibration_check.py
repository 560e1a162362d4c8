"""performance.calibration: the debiased error and the plug-in ECE against direct computations."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pydantic
import pytest

from govkit.checks.base import SkipCheck
from govkit.checks.calibration import Calibration, CalibrationParams
from govkit.checks.context import CheckContext
from govkit.stats.groups import groupings


def _direct_ece(p: np.ndarray, y: np.ndarray, n_bins: int) -> float:
    """The textbook definition, one bin at a time."""
    total = 0.0
    for b in range(n_bins):
        low, high = b / n_bins, (b + 1) / n_bins
        inside = (p >= low) & ((p < high) if b < n_bins - 1 else (p <= high))
        if inside.any():
            total += inside.sum() / len(p) * abs(p[inside].mean() - y[inside].mean())
    return total


def _direct_debiased(p: np.ndarray, y: np.ndarray, n_bins: int) -> float:
    """Kumar et al.'s debiased l2 calibration error, one bin at a time."""
    total = 0.0
    for b in range(n_bins):
        low, high = b / n_bins, (b + 1) / n_bins
        inside = (p >= low) & ((p < high) if b < n_bins - 1 else (p <= high))
        m = int(inside.sum())
        if m >= 2:
            o = y[inside].mean()
            total += m / len(p) * ((p[inside].mean() - o) ** 2 - o * (1 - o) / (m - 1))
    return float(np.sqrt(max(total, 0.0)))


@pytest.mark.parametrize("n_bins", [10, 7])
def test_ece_equals_the_direct_computation_per_group(
    n_bins: int, fair_model: Any, context_of: Callable[..., CheckContext]
) -> None:
    evidence = Calibration().measure(
        context_of(fair_model, sensitive=["sex", "race"]),
        CalibrationParams(n_bins=n_bins, n_boot=50),
    )
    measured = {tuple(sorted((m.group or {}).items())): m for m in evidence.measurements}
    subsets: list[tuple[tuple[tuple[str, str], ...], np.ndarray]] = [
        ((), np.ones(len(fair_model.y_true), bool))
    ]
    for grouping in groupings(fair_model.frame, ["sex", "race"]):
        subsets += [
            (tuple(sorted(label.items())), grouping.codes == c)
            for c, label in enumerate(grouping.labels)
        ]
    plug_in = {
        tuple(sorted((row["group"] or {}).items())): row["value"]
        for row in evidence.details["plug_in_ece"]
    }
    assert len(measured) == len(subsets) == len(plug_in) == 12
    for key, mask in subsets:
        p, y = fair_model.scores[mask], fair_model.y_true[mask]
        m = measured[key]
        assert m.value is not None and abs(m.value - _direct_debiased(p, y, n_bins)) < 1e-12
        assert abs(plug_in[key] - _direct_ece(p, y, n_bins)) < 1e-12
        assert m.n == mask.sum()
    overall_bins = evidence.details["reliability"][0]
    assert overall_bins["group"] is None and len(overall_bins["bins"]) == n_bins
    assert sum(b["count"] for b in overall_bins["bins"]) == len(fair_model.y_true)


def test_calibrated_model_scores_low_and_skewed_scores_high(
    fair_model: Any, trained_type: Any, context_of: Callable[..., CheckContext]
) -> None:
    params = CalibrationParams(n_boot=200)
    good = Calibration().measure(context_of(fair_model, sensitive=["sex"]), params)
    skewed_scores = fair_model.scores**3  # systematically under-confident about class 1
    skewed = trained_type(fair_model.frame, fair_model.y_true, fair_model.labels, skewed_scores)
    bad = Calibration().measure(context_of(skewed, sensitive=["sex"]), params)
    good_ece, bad_ece = good.measurements[0], bad.measurements[0]
    assert good_ece.value is not None and good_ece.value < 0.03
    assert bad_ece.value is not None and bad_ece.value > 0.1
    for m in good.measurements + bad.measurements:
        assert m.ci is not None and m.value is not None and m.ci[0] <= m.value <= m.ci[1]
    again = Calibration().measure(context_of(fair_model, sensitive=["sex"]), params)
    assert [m.ci for m in again.measurements] == [m.ci for m in good.measurements]


def test_multiclass_uses_top_label_confidence(
    multiclass_model: Any, context_of: Callable[..., CheckContext]
) -> None:
    evidence = Calibration().measure(
        context_of(multiclass_model, sensitive=["sex"], task="multiclass"),
        CalibrationParams(n_boot=20),
    )
    p = multiclass_model.scores
    correct = (p.argmax(axis=1) == multiclass_model.y_true).astype(float)
    expected = _direct_debiased(p.max(axis=1), correct, 10)
    assert evidence.measurements[0].value == pytest.approx(expected, abs=1e-12)
    plug_in = evidence.details["plug_in_ece"][0]["value"]
    assert plug_in == pytest.approx(_direct_ece(p.max(axis=1), correct, 10), abs=1e-12)
    assert "top-label" in evidence.details["compares"]


def test_params_are_strict_and_scores_are_required(
    fair_model: Any, context_of: Callable[..., CheckContext]
) -> None:
    with pytest.raises(pydantic.ValidationError):
        CalibrationParams(n_bins=10, nbins=5)  # type: ignore[call-arg]
    with pytest.raises(pydantic.ValidationError):
        CalibrationParams(n_bins=1)
    with pytest.raises(SkipCheck, match="no scores"):
        Calibration().measure(
            context_of(fair_model, sensitive=[], has_scores=False), CalibrationParams()
        )
