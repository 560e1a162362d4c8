"""The three group-fairness checks agree with fairlearn on every figure."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import fairlearn.metrics as flm
import numpy as np
import pandas as pd
import pytest

from govkit.checks.base import Check, CheckParams, Evidence, SkipCheck
from govkit.checks.context import CheckContext
from govkit.checks.demographic_parity import DemographicParity
from govkit.checks.equal_opportunity import EqualOpportunity
from govkit.checks.equalized_odds import EqualizedOdds
from govkit.checks.registry import load_check
from govkit.report import Measurement

TOL = 1e-9
SENSITIVE = ["sex", "race"]

FAIRLEARN_RATES: dict[str, Callable[..., float]] = {
    "selection_rate": flm.selection_rate,
    "true_positive_rate": flm.true_positive_rate,
    "false_positive_rate": flm.false_positive_rate,
}
FAIRLEARN_AGGREGATES: dict[str, Callable[..., float]] = {
    "demographic_parity_difference": flm.demographic_parity_difference,
    "demographic_parity_ratio": flm.demographic_parity_ratio,
    "equalized_odds_difference": flm.equalized_odds_difference,
    "equalized_odds_ratio": flm.equalized_odds_ratio,
    "equal_opportunity_difference": flm.equal_opportunity_difference,
    "equal_opportunity_ratio": flm.equal_opportunity_ratio,
}
AGGREGATE_RATES: dict[str, tuple[str, ...]] = {
    "demographic_parity": ("selection_rate",),
    "equalized_odds": ("true_positive_rate", "false_positive_rate"),
    "equal_opportunity": ("true_positive_rate",),
}
CHECKS: list[type[Check]] = [DemographicParity, EqualizedOdds, EqualOpportunity]


def _same(ours: float | None, theirs: Any) -> bool:
    theirs = float(theirs)
    if np.isnan(theirs):
        return ours is None
    return ours is not None and abs(ours - theirs) <= TOL


def _sensitive_features(frame: pd.DataFrame, feature: str) -> pd.Series | pd.DataFrame:
    columns = feature.split("&")
    return frame[columns[0]] if len(columns) == 1 else frame[columns]


def _fairlearn_group_value(by_group: pd.Series, group: dict[str, str]) -> Any:
    key = tuple(group.values())
    return by_group.loc[key[0] if len(key) == 1 else key]


def assert_matches_fairlearn(
    evidence: Evidence, frame: pd.DataFrame, y_true: np.ndarray, y_pred: np.ndarray
) -> int:
    """Compare every measurement with fairlearn; returns how many were compared."""
    compared = 0
    frames: dict[tuple[str, str], flm.MetricFrame] = {}
    for m in evidence.measurements:
        if m.name in FAIRLEARN_RATES:
            fn = FAIRLEARN_RATES[m.name]
            if m.group is None:
                expected = fn(y_true, y_pred)
            else:
                feature = "&".join(m.group)
                if (m.name, feature) not in frames:
                    frames[m.name, feature] = flm.MetricFrame(
                        metrics=fn,
                        y_true=y_true,
                        y_pred=y_pred,
                        sensitive_features=_sensitive_features(frame, feature),
                    )
                expected = _fairlearn_group_value(frames[m.name, feature].by_group, m.group)
        else:
            assert m.group is None and m.feature is not None
            entry = next(e for e in evidence.details["groupings"] if e["feature"] == m.feature)
            # fairlearn's figure over every group is kept in details ...
            everyone = FAIRLEARN_AGGREGATES[m.name](
                y_true, y_pred, sensitive_features=_sensitive_features(frame, m.feature)
            )
            assert _same(entry["all_groups"][m.name], everyone), (m.name, entry, everyone)
            # ... and the judged figure is fairlearn's over the judged groups
            expected = _fairlearn_over_judged(m.name, entry, frame, y_true, y_pred)
        assert _same(m.value, expected), (m, expected)
        compared += 1
    return compared


def _fairlearn_over_judged(
    name: str, entry: dict[str, Any], frame: pd.DataFrame, y_true: np.ndarray, y_pred: np.ndarray
) -> float:
    """fairlearn's difference or ratio of each rate over the groups judged for it, combined."""
    rates = AGGREGATE_RATES[name.rsplit("_", 1)[0]]
    figures = []
    for rate in rates:
        judged = [g["group"] for g in entry["groups"] if g["rates"][rate]["judged"]]
        if len(judged) < 2:
            continue  # a rate with fewer than two judged groups has no gap
        columns = entry["feature"].split("&")
        keys = {tuple(g[c] for c in columns) for g in judged}
        rows = np.array([tuple(str(v) for v in r) in keys for r in frame[columns].to_numpy()])
        mf = flm.MetricFrame(
            metrics=FAIRLEARN_RATES[rate],
            y_true=y_true[rows],
            y_pred=y_pred[rows],
            sensitive_features=_sensitive_features(frame.loc[rows], entry["feature"]),
        )
        kind = name.rsplit("_", 1)[1]
        figures.append(float(getattr(mf, kind)(method="between_groups")))
    if not figures:
        return float("nan")
    # fairlearn combines equalized odds' two rates with Python's max and min
    return max(figures) if name.endswith("difference") else min(figures)


def _find(
    evidence: Evidence, name: str, feature: str | None = None, group: dict[str, str] | None = None
) -> Measurement:
    return next(
        m
        for m in evidence.measurements
        if m.name == name and m.feature == feature and m.group == group
    )


@pytest.mark.slow
@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.id)
@pytest.mark.parametrize("world", ["biased_model", "fair_model"])
def test_every_figure_equals_fairlearn(
    check: type[Check],
    world: str,
    request: pytest.FixtureRequest,
    context_of: Callable[..., CheckContext],
) -> None:
    data = request.getfixturevalue(world)
    ctx = context_of(data, sensitive=SENSITIVE)
    evidence = check().measure(ctx, CheckParams(n_boot=50))
    compared = assert_matches_fairlearn(evidence, data.frame, data.y_true, data.labels)
    # overall + 2 sexes + 3 races + 6 intersections per rate, and 2 aggregates per grouping
    n_rates = len(check.spec.rates)  # type: ignore[attr-defined]
    assert compared == n_rates * 12 + 2 * 3
    features = {m.feature for m in evidence.measurements if m.feature}
    assert features == {"sex", "race", "sex&race"}


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.id)
def test_planted_disparity_is_found_and_fair_model_is_clear(
    check: type[Check], biased_model: Any, fair_model: Any, context_of: Callable[..., CheckContext]
) -> None:
    difference = check.spec.difference  # type: ignore[attr-defined]
    (threshold,) = check.default_thresholds
    assert threshold.metric == difference and threshold.max == 0.1
    biased = check().measure(context_of(biased_model, sensitive=SENSITIVE), CheckParams(n_boot=200))
    fair = check().measure(context_of(fair_model, sensitive=SENSITIVE), CheckParams(n_boot=200))
    planted = _find(biased, difference, feature="sex")
    assert planted.value is not None and planted.value > 0.1
    # the whole interval is above the bound: an interval-judged threshold fails too
    assert planted.ci is not None and planted.ci[0] > 0.1
    # the groups the model never saw do not differ beyond noise
    for feature in ("sex", "race"):
        clear = _find(fair, difference, feature=feature)
        assert clear.value is not None and clear.value < 0.1
    assert biased.summary and difference in biased.summary


def test_registry_loads_the_three_checks() -> None:
    for check in CHECKS:
        assert load_check(check.id) is check


def test_intervals_contain_estimate_are_seeded_and_shrink_with_n(
    biased_model: Any, context_of: Callable[..., CheckContext]
) -> None:
    ctx = context_of(biased_model, sensitive=SENSITIVE, seed=3)
    params = CheckParams(n_boot=400)
    first = EqualizedOdds().measure(ctx, params)
    again = EqualizedOdds().measure(context_of(biased_model, sensitive=SENSITIVE, seed=3), params)
    other = EqualizedOdds().measure(context_of(biased_model, sensitive=SENSITIVE, seed=4), params)
    assert [m.model_dump() for m in first.measurements] == [
        m.model_dump() for m in again.measurements
    ]
    assert [m.ci for m in first.measurements] != [m.ci for m in other.measurements]
    for m in first.measurements:
        assert m.ci is not None and m.n is not None
        assert m.value is not None and m.ci[0] <= m.value <= m.ci[1], m

    # a quarter of the rows: intervals about twice as wide
    quarter = type(biased_model)(
        biased_model.frame.iloc[:1500],
        biased_model.y_true[:1500],
        biased_model.labels[:1500],
        biased_model.scores[:1500],
    )
    small = EqualizedOdds().measure(context_of(quarter, sensitive=SENSITIVE, seed=3), params)
    for name, feature in [("true_positive_rate", None), ("equalized_odds_difference", "sex")]:
        wide, narrow = _find(small, name, feature), _find(first, name, feature)
        assert wide.ci is not None and narrow.ci is not None
        ratio = (wide.ci[1] - wide.ci[0]) / (narrow.ci[1] - narrow.ci[0])
        assert 1.4 < ratio < 3.0, ratio


def test_shared_rate_has_the_same_interval_in_every_check(
    biased_model: Any, context_of: Callable[..., CheckContext]
) -> None:
    ctx = context_of(biased_model, sensitive=SENSITIVE)
    odds = EqualizedOdds().measure(ctx, CheckParams(n_boot=100))
    opportunity = EqualOpportunity().measure(ctx, CheckParams(n_boot=100))
    tpr_odds = [m for m in odds.measurements if m.name == "true_positive_rate"]
    tpr_opp = [m for m in opportunity.measurements if m.name == "true_positive_rate"]
    assert tpr_odds == tpr_opp


def _edge_world() -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Group C has no positive labels; group D has no negatives; E is tiny."""
    rng = np.random.default_rng(0)
    groups = np.array(["A"] * 400 + ["B"] * 300 + ["C"] * 100 + ["D"] * 80 + ["E"] * 12)
    y = rng.integers(0, 2, size=groups.size)
    y[groups == "C"] = 0
    y[groups == "D"] = 1
    pred = (rng.random(groups.size) < 0.3 + 0.4 * y).astype(np.int64)
    sex = rng.choice(["F", "M"], size=groups.size)
    return pd.DataFrame({"grp": groups, "sex": sex}), y.astype(np.int64), pred


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.id)
def test_edge_groups_match_fairlearn_and_are_reported(
    check: type[Check], context_of: Callable[..., CheckContext], trained_type: Any
) -> None:
    frame, y, pred = _edge_world()
    ctx = context_of(trained_type(frame, y, pred, pred.astype(float)), sensitive=["grp", "sex"])
    evidence = check().measure(ctx, CheckParams(n_boot=100))
    assert_matches_fairlearn(evidence, frame, y, pred)
    assert "grp=E (n=12)" in evidence.small_groups
    entry = next(e for e in evidence.details["groupings"] if e["feature"] == "grp")
    by_name = {g["group"]["grp"]: g for g in entry["groups"]}
    assert not by_name["E"]["judged"] and "fewer than min_group_size 30" in by_name["E"]["reason"]
    # the rule: at least min_group_size rows, and an interval at most ±0.07 at any rate
    for group in entry["groups"]:
        for figure in group["rates"].values():
            half = figure["worst_case_half_width"]
            expected = figure["n"] >= 30 and half is not None and half <= 0.07
            assert figure["judged"] == expected, group
    assert by_name["A"]["judged"] == (by_name["A"]["reason"] is None)
    if "true_positive_rate" in check.spec.rates:  # type: ignore[attr-defined]
        # fairlearn (via scikit-learn) defines the TPR of a group without positives as 0
        tpr_c = _find(evidence, "true_positive_rate", group={"grp": "C"})
        assert tpr_c.value == 0.0 and tpr_c.n == 0
        assert "grp=C, label=1 (n=0)" in evidence.small_groups
        assert "true_positive_rate: 0 rows with label=1" in by_name["C"]["reason"]
    else:
        assert "grp=C (n=100)" in evidence.small_groups
        assert "wider than max_half_width" in by_name["C"]["reason"]


def test_ratio_of_all_zero_rates_is_undefined_like_fairlearn(
    context_of: Callable[..., CheckContext], trained_type: Any
) -> None:
    frame, y, _ = _edge_world()
    pred = np.zeros_like(y)
    ctx = context_of(trained_type(frame, y, pred, pred.astype(float)), sensitive=["grp"])
    evidence = DemographicParity().measure(ctx, CheckParams(n_boot=20))
    assert np.isnan(flm.demographic_parity_ratio(y, pred, sensitive_features=frame["grp"]))
    assert _find(evidence, "demographic_parity_ratio", feature="grp").value is None
    assert _find(evidence, "demographic_parity_difference", feature="grp").value == 0.0
    assert_matches_fairlearn(evidence, frame, y, pred)


def test_without_bootstrap_only_the_gaps_have_no_intervals(
    fair_model: Any, context_of: Callable[..., CheckContext]
) -> None:
    evidence = DemographicParity().measure(
        context_of(fair_model, sensitive=["sex"]), CheckParams(n_boot=0)
    )
    # rates keep their Wilson intervals; the gaps need replicates
    assert evidence.measurements
    for m in evidence.measurements:
        assert (m.ci is None) == (m.group is None and m.feature is not None), m


def test_skips_without_sensitive_columns_or_for_multiclass(
    fair_model: Any, multiclass_model: Any, context_of: Callable[..., CheckContext]
) -> None:
    with pytest.raises(SkipCheck, match="sensitive"):
        DemographicParity().measure(context_of(fair_model, sensitive=[]), CheckParams())
    with pytest.raises(SkipCheck, match="binary"):
        EqualizedOdds().measure(
            context_of(multiclass_model, sensitive=["sex"], task="multiclass"), CheckParams()
        )
