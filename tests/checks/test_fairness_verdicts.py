"""Operating characteristics of the fairness verdicts, on simulated data whose truth is known.

Each test draws many independent samples of per-group confusion counts from
known true rates, measures them with the checks' own measuring step
(``fairness_evidence``, which ``measure`` calls after counting the rows) and
judges them with the runner's judge at the built-in suites' thresholds and
parameters. Two tests go through ``measure`` on a real frame and through
``govkit check`` end to end.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from govkit.checks._fairness import FairnessParams, fairness_evidence
from govkit.checks.base import Check, Evidence
from govkit.checks.context import CheckContext
from govkit.checks.demographic_parity import DemographicParity
from govkit.checks.equal_opportunity import EqualOpportunity
from govkit.checks.equalized_odds import EqualizedOdds
from govkit.cli import main
from govkit.runner.judge import judge
from govkit.stats.groups import Grouping
from govkit.stats.layers import Layer
from govkit.suite import Threshold, load_suite
from tests.runner.helpers import write_project

CHECKS: tuple[type[Check], ...] = (DemographicParity, EqualizedOdds, EqualOpportunity)
EMPTY = np.empty(0, dtype=np.int64)


def _suite(name: str) -> dict[str, tuple[FairnessParams, list[Threshold]]]:
    loaded = load_suite(name, Path.cwd())
    return {
        e.id: (FairnessParams(**e.params), list(e.thresholds))
        for e in loaded.model.checks
        if e.id.startswith("fairness.")
    }


RELEASE = _suite("release")
FAIRNESS = _suite("fairness")


def simulate_cells(
    sizes: np.ndarray,
    *,
    base: float | np.ndarray,
    tpr: float | np.ndarray,
    fpr: float | np.ndarray,
    samples: int,
    seed: int,
) -> np.ndarray:
    """(samples, a, b, 2, 2) counts [[TN, FP], [FN, TP]] of intersection cells of known rates."""
    rng = np.random.default_rng(seed)
    shape = (samples, *sizes.shape)
    pos = rng.binomial(np.broadcast_to(sizes, shape), base)
    neg = sizes - pos
    tp = rng.binomial(pos, tpr)
    fp = rng.binomial(neg, fpr)
    return np.stack([np.stack([neg - fp, fp], -1), np.stack([pos - tp, tp], -1)], -2)


def tables_of(cells: np.ndarray) -> list[tuple[Layer, np.ndarray]]:
    """Overall, each column with more than one value, and the intersection, as the check groups them."""
    a, b = cells.shape[:2]

    def layer(feature: str, labels: list[dict[str, str]]) -> Layer:
        return Layer(Grouping(feature, tuple(feature.split("&")), EMPTY, labels), EMPTY)

    tables = [(Layer(None, EMPTY), cells.sum(axis=(0, 1))[None])]
    if a > 1:
        tables.append((layer("sex", [{"sex": str(i)} for i in range(a)]), cells.sum(axis=1)))
    if b > 1:
        tables.append((layer("race", [{"race": str(j)} for j in range(b)]), cells.sum(axis=0)))
    if a > 1 and b > 1:
        labels = [{"sex": str(i), "race": str(j)} for i in range(a) for j in range(b)]
        tables.append((layer("sex&race", labels), cells.reshape(a * b, 2, 2)))
    return tables


def verdicts(
    cells: np.ndarray, check: type[Check], suite: dict[str, tuple[FairnessParams, list[Threshold]]]
) -> tuple[list[str], list[Evidence]]:
    params, thresholds = suite[check.id]
    statuses, evidence = [], []
    for s in range(cells.shape[0]):
        ev = fairness_evidence(tables_of(cells[s]), params, check.spec, seed=s)  # type: ignore[attr-defined]
        statuses.append(judge(ev, thresholds, min_group_size=params.min_group_size).status)
        evidence.append(ev)
    return statuses, evidence


def _share(statuses: list[str], status: str) -> float:
    return sum(s == status for s in statuses) / len(statuses)


# --- 1. fair models pass ------------------------------------------------------------------------


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.id)
def test_fair_model_with_large_intersections_passes(check: type[Check]) -> None:
    # 2 x 3 intersections of 1,000 rows; every group has the same true rates
    cells = simulate_cells(np.full((2, 3), 1000), base=0.3, tpr=0.7, fpr=0.1, samples=60, seed=1)
    statuses, _ = verdicts(cells, check, RELEASE)
    assert _share(statuses, "pass") >= 0.95, statuses


def adult_like_sizes() -> np.ndarray:
    """sex x race as in Adult's test split: intersections from 45 to 9,500 rows."""
    sex = np.array([0.33, 0.67])
    race = np.array([0.0096, 0.031, 0.096, 0.0083, 0.855])
    return np.rint(16281 * np.outer(sex, race)).astype(np.int64)


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.id)
def test_fair_model_with_small_intersections_is_rarely_fail_and_never_pass(
    check: type[Check],
) -> None:
    sizes = adult_like_sizes()
    assert sizes.min() < 60
    cells = simulate_cells(sizes, base=0.24, tpr=0.6, fpr=0.08, samples=60, seed=2)
    statuses, evidence = verdicts(cells, check, FAIRNESS)
    assert _share(statuses, "fail") <= 0.05, statuses
    # the small intersections are named and keep the result from passing
    assert "pass" not in statuses
    entry = next(e for e in evidence[0].details["groupings"] if e["feature"] == "sex&race")
    unjudged = [g for g in entry["groups"] if not g["judged"]]
    assert unjudged and all(g["reason"] for g in unjudged)
    assert any("sex=0, race=3" in s for s in evidence[0].small_groups)
    # every group keeps its rates, with n and an interval, in the measurements
    per_group = [m for m in evidence[0].measurements if m.group and len(m.group) == 2]
    assert len(per_group) == 10 * len(check.spec.rates)  # type: ignore[attr-defined]
    assert all(m.n is not None and m.ci is not None for m in per_group)


def test_a_small_group_never_makes_the_check_fail() -> None:
    # four large fair groups and one of 40 rows whose selection rate is truly 0.9
    sizes = np.array([[3000], [3000], [3000], [3000], [40]])
    sel = np.array([[0.25], [0.25], [0.25], [0.25], [0.9]])
    cells = simulate_cells(sizes, base=0.5, tpr=sel, fpr=sel, samples=40, seed=3)
    statuses, evidence = verdicts(cells, DemographicParity, RELEASE)
    assert set(statuses) == {"insufficient_evidence"}
    assert "sex=4 (n=40)" in evidence[0].small_groups
    # the gap is over the judged groups; fairlearn's over every group is in details
    entry = evidence[0].details["groupings"][0]
    judged = next(m for m in evidence[0].measurements if m.name == "demographic_parity_difference")
    assert judged.value is not None and judged.value < 0.05
    assert entry["all_groups"]["demographic_parity_difference"] > 0.5


# --- 2. unfair models fail ----------------------------------------------------------------------


def test_a_gap_of_one_and_a_half_bounds_between_groups_of_2000_rows_fails() -> None:
    sel = np.array([[0.25], [0.40]])
    cells = simulate_cells(np.full((2, 1), 2000), base=0.5, tpr=sel, fpr=sel, samples=120, seed=4)
    statuses, _ = verdicts(cells, DemographicParity, RELEASE)
    assert _share(statuses, "fail") >= 0.90


@pytest.mark.parametrize("check", [EqualizedOdds, EqualOpportunity], ids=lambda c: c.id)
def test_a_rate_gap_over_2000_positives_per_group_fails(check: type[Check]) -> None:
    # base rate 0.5: each group's 4,000 rows hold about 2,000 positive and negative labels
    tpr, fpr = np.array([[0.6], [0.75]]), np.array([[0.1], [0.25]])
    cells = simulate_cells(np.full((2, 1), 4000), base=0.5, tpr=tpr, fpr=fpr, samples=80, seed=5)
    statuses, _ = verdicts(cells, check, RELEASE)
    assert _share(statuses, "fail") >= 0.90


def test_a_gap_between_groups_too_small_to_show_it_is_never_pass() -> None:
    # a true gap of 0.30 between groups of 100 rows
    sel = np.array([[0.25], [0.55]])
    cells = simulate_cells(np.full((2, 1), 100), base=0.5, tpr=sel, fpr=sel, samples=60, seed=6)
    for check in CHECKS:
        statuses, evidence = verdicts(cells, check, RELEASE)
        assert set(statuses) == {"insufficient_evidence"}, (check.id, statuses)
        groups = evidence[0].details["groupings"][0]["groups"]
        assert not any(g["judged"] for g in groups)
        assert all("max_half_width" in g["reason"] for g in groups)


def test_a_gap_at_the_bound_rarely_fails() -> None:
    # judged on the interval: a gap of exactly the bound fails about 2.5% of the time
    sel = np.array([[0.25], [0.35]])
    cells = simulate_cells(np.full((2, 1), 2000), base=0.5, tpr=sel, fpr=sel, samples=120, seed=7)
    statuses, _ = verdicts(cells, DemographicParity, RELEASE)
    assert _share(statuses, "fail") <= 0.06


def test_a_column_with_a_single_group_is_insufficient_evidence() -> None:
    cells = simulate_cells(np.full((1, 1), 5000), base=0.3, tpr=0.7, fpr=0.1, samples=1, seed=8)
    layer = Layer(Grouping("sex", ("sex",), EMPTY, [{"sex": "Female"}]), EMPTY)
    tables = [*tables_of(cells[0]), (layer, cells[0].reshape(1, 2, 2))]
    for check in CHECKS:
        params, thresholds = RELEASE[check.id]
        ev = fairness_evidence(tables, params, check.spec, seed=0)  # type: ignore[attr-defined]
        verdict = judge(ev, thresholds, min_group_size=params.min_group_size)
        assert verdict.status == "insufficient_evidence"
        assert "the only group of sex" in verdict.message


# --- 3. intervals -------------------------------------------------------------------------------


def test_rate_intervals_cover_a_5_percent_rate_on_100_rows() -> None:
    # selection rate 0.05 in six groups of 100 rows: the check's own intervals
    cells = simulate_cells(np.full((2, 3), 100), base=0.0, tpr=0.0, fpr=0.05, samples=100, seed=9)
    _, evidence = verdicts(cells, DemographicParity, RELEASE)
    covered, zero_events = [], 0
    for ev in evidence:
        for m in ev.measurements:
            if m.name == "selection_rate" and m.group and len(m.group) == 2:
                assert m.ci is not None and m.n == 100
                covered.append(m.ci[0] <= 0.05 <= m.ci[1])
                if m.value == 0.0:
                    zero_events += 1
                    assert m.ci[1] > 0.02  # 0 events in 100 rows is not [0, 0]
    assert len(covered) == 600 and zero_events > 0
    assert np.mean(covered) >= 0.93


@pytest.mark.slow
def test_difference_intervals_cover_zero_for_a_fair_model_with_large_groups() -> None:
    cells = simulate_cells(np.full((2, 3), 1000), base=0.3, tpr=0.7, fpr=0.1, samples=80, seed=10)
    for check in CHECKS:
        _, evidence = verdicts(cells, check, RELEASE)
        name = check.spec.difference  # type: ignore[attr-defined]
        cover = [
            m.ci[0] <= 0.0
            for ev in evidence
            for m in ev.measurements
            if m.name == name and m.ci is not None
        ]
        assert len(cover) == 3 * 80
        assert np.mean(cover) >= 0.93, (check.id, np.mean(cover))


def test_difference_interval_covers_a_true_gap() -> None:
    sel = np.array([[0.25], [0.40]])
    cells = simulate_cells(np.full((2, 1), 2000), base=0.5, tpr=sel, fpr=sel, samples=150, seed=11)
    _, evidence = verdicts(cells, DemographicParity, RELEASE)
    cover = []
    for ev in evidence:
        m = next(m for m in ev.measurements if m.name == "demographic_parity_difference")
        assert m.ci is not None
        cover.append(m.ci[0] <= 0.15 <= m.ci[1])
    assert np.mean(cover) >= 0.92


# --- through the real check and the CLI ---------------------------------------------------------


def _fair_frame(per_cell: int, seed: int, shares: dict[str, int] | None = None) -> pd.DataFrame:
    """Rows of a model whose groups share true base, true and false positive rates."""
    rng = np.random.default_rng(seed)
    races = shares or {"A": per_cell, "B": per_cell}
    rows = [(s, r) for s in ("Female", "Male") for r, k in races.items() for _ in range(k)]
    frame = pd.DataFrame(rows, columns=["sex", "race"])
    n = len(frame)
    y = (rng.random(n) < 0.4).astype(np.int64)
    pred = (rng.random(n) < np.where(y == 1, 0.7, 0.15)).astype(np.int64)
    x = rng.normal(size=(n, 3)).astype(np.float32)
    frame = frame.assign(x1=x[:, 0], x2=x[:, 1], x3=x[:, 2], label=y, pred_label=pred)
    return frame.assign(pred_score=np.where(pred == 1, 0.8, 0.2))


def test_measure_and_judge_on_a_real_frame(
    context_of: Callable[..., CheckContext], trained_type: Any
) -> None:
    # 1,200 rows per intersection, fair, in 20 samples: every check passes
    statuses = []
    for seed in range(20):
        frame = _fair_frame(1200, seed)
        data = trained_type(
            frame, frame["label"].to_numpy(), frame["pred_label"].to_numpy(), frame["pred_score"]
        )
        ctx = context_of(data, sensitive=["sex", "race"], seed=seed)
        for check in CHECKS:
            params, thresholds = RELEASE[check.id]
            evidence = check().measure(ctx, params.model_copy(update={"n_boot": 300}))
            statuses.append(judge(evidence, thresholds, min_group_size=30).status)
    assert _share(statuses, "pass") >= 0.95, statuses


def test_govkit_check_end_to_end(tmp_path: Path) -> None:
    predictions = {"predictions": {"label": "pred_label", "score": "pred_score"}}
    fair = write_project(
        tmp_path / "fair", model=predictions, suite="fairness", frame=_fair_frame(1200, 0)
    )
    assert main(["check", "-c", str(fair), "-q"]) == 0
    report = json.loads((tmp_path / "fair" / "out" / "report.json").read_text())
    assert [r["status"] for r in report["results"]] == ["pass"] * 3

    # a race value with 40 rows per sex: named, not judged, and not a pass
    small = _fair_frame(0, 1, shares={"A": 1500, "B": 1500, "C": 40})
    config = write_project(tmp_path / "small", model=predictions, suite="fairness", frame=small)
    assert main(["check", "-c", str(config), "-q"]) == 1
    report = json.loads((tmp_path / "small" / "out" / "report.json").read_text())
    for result in report["results"]:
        assert result["status"] == "insufficient_evidence", result["message"]
        assert "race=C" in result["message"]
        race = next(g for g in result["details"]["groupings"] if g["feature"] == "race")
        judged = {g["group"]["race"]: g["judged"] for g in race["groups"]}
        assert judged == {"A": True, "B": True, "C": False}


def test_equalized_odds_keeps_the_rate_that_can_be_judged() -> None:
    # group 1 has about 10 positive labels: its true positive rate is not judged, its
    # false positive rate is, so the difference is the false positive rates' gap
    base = np.array([[0.5], [0.01]])
    cells = simulate_cells(np.full((2, 1), 1000), base=base, tpr=0.7, fpr=0.1, samples=1, seed=12)
    params, thresholds = RELEASE[EqualizedOdds.id]
    ev = fairness_evidence(tables_of(cells[0]), params, EqualizedOdds.spec, seed=0)
    entry = ev.details["groupings"][0]
    assert entry["components"]["true_positive_rate"]["difference"] is None
    fpr_gap = entry["components"]["false_positive_rate"]["difference"]
    m = next(m for m in ev.measurements if m.name == "equalized_odds_difference")
    assert m.value == fpr_gap and m.ci is not None and m.ci[0] <= fpr_gap <= m.ci[1]
    verdict = judge(ev, thresholds, min_group_size=params.min_group_size)
    assert verdict.status == "insufficient_evidence" and "sex=1, label=1" in verdict.message
