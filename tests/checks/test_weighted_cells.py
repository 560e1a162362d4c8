"""The data-bound checks on weighted cells: the same figures as on the rows, with known error.

A population with a known truth is drawn, counted into cells
(:func:`govkit.scale.cells.cells_of_frame`) and measured both ways. Count
figures must be equal; the AUC of the cells must lie within its recorded
bound of scikit-learn's exact AUC; and the intervals of the cells path must
cover the population's value at the nominal rate.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm
from sklearn.metrics import roc_auc_score

from govkit.checks.base import CheckParams
from govkit.checks.calibration import Calibration, CalibrationParams
from govkit.checks.classification import Classification
from govkit.checks.context import CheckContext, Predictions, Split
from govkit.checks.demographic_parity import DemographicParity
from govkit.checks.equalized_odds import EqualizedOdds
from govkit.scale.cells import SCORE_SUM, WEIGHT, CellSpec, Key, cells_of_frame

MU = 1.2  # positives' score logit shift: the population AUC is Phi(MU / sqrt(2))
TRUE_AUC = float(norm.cdf(MU / math.sqrt(2)))


def _population(n: int, rng: np.random.Generator) -> pd.DataFrame:
    group = rng.choice(["a", "b", "c"], size=n, p=[0.5, 0.3, 0.2])
    y = (rng.random(n) < np.where(group == "a", 0.4, 0.3)).astype(np.int64)
    logit = rng.normal(MU * y - MU / 2, 1.0)
    score = 1.0 / (1.0 + np.exp(-logit))
    return pd.DataFrame(
        {"group": group, "y": y, "pred": (score >= 0.5).astype(np.int64), "score": score}
    )


def _context(frame: pd.DataFrame, y: np.ndarray, weights: np.ndarray | None) -> CheckContext:
    p = np.clip(frame["score"].to_numpy(dtype=np.float64), 1e-15, 1 - 1e-15)
    preds = Predictions(
        log_probs=np.stack([np.log1p(-p), np.log(p)], axis=1),
        scores=frame["score"].to_numpy(dtype=np.float64),
        labels=frame["pred"].to_numpy(dtype=np.int64),
    )
    return CheckContext(
        task="binary",
        seed=3,
        device="cpu",
        eval=Split("eval", frame, y, weights=weights),
        sensitive=["group"],
        predictions_of=lambda split: preds,
    )


def _rows_and_cells(frame: pd.DataFrame) -> tuple[CheckContext, CheckContext, pd.DataFrame]:
    spec = CellSpec(keys=(Key("group"),), label="y", pred="pred", score="score")
    cells = cells_of_frame(frame, spec)
    cells["score"] = cells[SCORE_SUM] / cells[WEIGHT]
    weights = cells[WEIGHT].to_numpy(dtype=np.float64)
    rows = _context(frame, frame["y"].to_numpy(), None)
    return rows, _context(cells, cells["y"].to_numpy(dtype=np.int64), weights), cells


def _figures(evidence: object) -> dict[tuple[str, str], object]:
    return {
        (m.name, str(m.group)): m
        for m in evidence.measurements  # type: ignore[attr-defined]
        if m.model is None and m.vs is None
    }


COUNT_FIGURES = ("accuracy", "balanced_accuracy", "precision", "recall", "f1")


def test_count_figures_and_fairness_from_cells_equal_the_rows() -> None:
    frame = _population(20_000, np.random.default_rng(0))
    rows, cells_ctx, cells = _rows_and_cells(frame)
    assert len(cells) < len(frame)
    params = CheckParams(n_boot=50)
    by_rows = _figures(Classification().measure(rows, params))
    by_cells_evidence = Classification().measure(cells_ctx, params)
    by_cells = _figures(by_cells_evidence)
    for key, m in by_rows.items():
        if key[0] in COUNT_FIGURES:
            c = by_cells[key]
            assert c.n == m.n
            assert c.value == pytest.approx(m.value, abs=1e-9)
            assert c.ci == pytest.approx(m.ci, abs=1e-9)
        elif key[0] == "roc_auc":
            # the same population resampled through merged cells: the same interval, near enough
            assert by_cells[key].ci == pytest.approx(m.ci, abs=0.01)
    for check in (DemographicParity(), EqualizedOdds()):
        a = _figures(check.measure(rows, check.Params()))
        b = _figures(check.measure(cells_ctx, check.Params()))
        assert a.keys() == b.keys()
        for key, m in a.items():
            assert b[key].value == pytest.approx(m.value, abs=1e-9), key
            assert b[key].n == m.n
    # fairlearn on the rows gives the cells' difference
    from fairlearn.metrics import demographic_parity_difference

    expected = demographic_parity_difference(
        frame["y"], frame["pred"], sensitive_features=frame["group"]
    )
    dp = _figures(DemographicParity().measure(cells_ctx, DemographicParity.Params()))
    got = next(m for k, m in dp.items() if k[0] == "demographic_parity_difference")
    assert got.value == pytest.approx(expected, abs=1e-9)
    stats = by_cells_evidence.details["statistics"]
    assert stats["rows"] == len(frame) and stats["cells"] == len(cells)


def test_auc_from_cells_within_its_bound_of_the_exact_auc() -> None:
    frame = _population(50_000, np.random.default_rng(1))
    _, cells_ctx, _ = _rows_and_cells(frame)
    evidence = Classification().measure(cells_ctx, CheckParams(n_boot=0))
    bound = evidence.details["statistics"]["auc_error_bound"]
    assert 0 < bound < 1e-3
    auc = _figures(evidence)[("roc_auc", "None")].value
    exact = roc_auc_score(frame["y"], frame["score"])
    assert abs(auc - exact) <= bound
    for g in ("a", "b", "c"):
        at = frame["group"] == g
        value = _figures(evidence)[("roc_auc", str({"group": g}))].value
        assert (
            abs(value - roc_auc_score(frame["y"][at], frame["score"][at]))
            <= (evidence.details["statistics"]["auc_error_bound_max_group"])
        )


def test_calibration_from_cells_agrees_with_the_rows() -> None:
    frame = _population(20_000, np.random.default_rng(2))
    rows, cells_ctx, _ = _rows_and_cells(frame)
    params = CalibrationParams(n_boot=100)
    a = _figures(Calibration().measure(rows, params))
    evidence = Calibration().measure(cells_ctx, params)
    b = _figures(evidence)
    stats = evidence.details["statistics"]
    assert stats["plug_in_ece_error_bound"] < 0.01
    for key, m in a.items():
        assert b[key].n == m.n
        assert b[key].value == pytest.approx(m.value, abs=2e-3)
        assert b[key].ci == pytest.approx(m.ci, abs=0.01)


def test_cells_intervals_cover_at_the_nominal_rate() -> None:
    """200 samples of 2,000 rows: the cells path's AUC and accuracy intervals cover the truth."""
    rng = np.random.default_rng(11)
    # the population's accuracy at threshold 0.5, from a large draw (its error is ~1e-4)
    big = _population(2_000_000, np.random.default_rng(12))
    true_accuracy = float((big["pred"] == big["y"]).mean())
    hits = {"roc_auc": 0, "accuracy": 0}
    truth = {"roc_auc": TRUE_AUC, "accuracy": true_accuracy}
    replicates = 200
    for _ in range(replicates):
        frame = _population(2_000, rng)
        _, cells_ctx, _ = _rows_and_cells(frame)
        cells_ctx.sensitive = []
        figures = _figures(Classification().measure(cells_ctx, CheckParams(n_boot=200)))
        for name in hits:
            low, high = figures[(name, "None")].ci
            hits[name] += low <= truth[name] <= high
    for name, count in hits.items():
        assert count / replicates >= 0.93, (name, count)


def test_binned_slices_of_cells_count_rows() -> None:
    """A slice cut on cells (bin representatives) has the rows' figures and outside count."""
    from govkit.scale.cells import Key
    from govkit.stats.slices import make_slicing

    rng = np.random.default_rng(5)
    frame = _population(10_000, rng)
    frame["age"] = rng.integers(10, 100, size=len(frame)).astype(float)
    edges = [18.0, 40.0, 65.0, 90.0]
    spec = CellSpec(
        keys=(Key("group"), Key("age", tuple(edges))), label="y", pred="pred", score="score"
    )
    cells = cells_of_frame(frame, spec)
    cells["score"] = cells[SCORE_SUM] / cells[WEIGHT]
    weights = cells[WEIGHT].to_numpy(dtype=np.float64)
    by_rows = make_slicing(frame, "age", bins=edges)
    by_cells = make_slicing(cells, "age", bins=edges, weights=weights)
    assert by_cells.outside == by_rows.outside > 0
    assert by_cells.warnings == by_rows.warnings
    assert by_cells.grouping.labels == by_rows.grouping.labels
    rows = _context(frame, frame["y"].to_numpy(), None)
    rows.slices = [by_rows]
    cells_ctx = _context(cells, cells["y"].to_numpy(dtype=np.int64), weights)
    cells_ctx.slices = [by_cells]
    a = _figures(Classification().measure(rows, CheckParams(n_boot=0)))
    b = _figures(Classification().measure(cells_ctx, CheckParams(n_boot=0)))
    assert a.keys() == b.keys()
    for key, m in a.items():
        if key[0] in COUNT_FIGURES:
            assert b[key].value == pytest.approx(m.value, abs=1e-12) and b[key].n == m.n


def test_multiclass_labels_from_cells_equal_the_rows() -> None:
    rng = np.random.default_rng(6)
    n = 5_000
    frame = pd.DataFrame(
        {
            "group": rng.choice(["a", "b"], size=n),
            "y": rng.integers(0, 3, size=n),
            "pred": rng.integers(0, 3, size=n),
        }
    )
    cells = cells_of_frame(frame, CellSpec(keys=(Key("group"),), label="y", pred="pred"))

    def context(f: pd.DataFrame, weights: np.ndarray | None) -> CheckContext:
        labels = f["pred"].to_numpy(dtype=np.int64)
        onehot = np.full((len(f), 3), 1e-15)
        onehot[np.arange(len(f)), labels] = 1.0
        preds = Predictions(np.log(onehot), onehot, labels, has_scores=False)
        return CheckContext(
            task="multiclass",
            seed=0,
            device="cpu",
            eval=Split("eval", f, f["y"].to_numpy(dtype=np.int64), weights=weights),
            sensitive=["group"],
            predictions_of=lambda split: preds,
        )

    a = _figures(Classification().measure(context(frame, None), CheckParams(n_boot=30)))
    b = _figures(
        Classification().measure(
            context(cells, cells[WEIGHT].to_numpy(dtype=np.float64)), CheckParams(n_boot=30)
        )
    )
    assert a.keys() == b.keys()
    for key, m in a.items():
        assert b[key].value == pytest.approx(m.value, abs=1e-12) and b[key].ci == m.ci


@pytest.mark.slow
def test_cells_calibration_interval_covers_at_the_nominal_rate() -> None:
    """The population's calibration error (from 2M rows) inside the cells path's interval."""
    big = _population(2_000_000, np.random.default_rng(12))
    rows, _, _ = _rows_and_cells(big)
    rows.sensitive = []
    truth = Calibration().measure(rows, CalibrationParams(n_boot=0)).measurements[0].value
    assert truth is not None and truth > 0.05  # a miscalibrated model: the bound is not trivial
    rng = np.random.default_rng(3)
    hits, replicates = 0, 200
    for _ in range(replicates):
        _, cells_ctx, _ = _rows_and_cells(_population(2_000, rng))
        cells_ctx.sensitive = []
        ece = Calibration().measure(cells_ctx, CalibrationParams(n_boot=200)).measurements[0]
        assert ece.ci is not None
        hits += ece.ci[0] <= truth <= ece.ci[1]
    assert hits / replicates >= 0.93, hits
