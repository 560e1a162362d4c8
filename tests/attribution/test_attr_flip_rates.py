"""Counterfactual flip rates: one rate per alternative value, with Wilson intervals that cover.

The model is built with a planted flip probability: for rows whose ``u`` is
below ``p`` the decision is the sensitive value itself, elsewhere it reads
only ``x1``. Setting the attribute to any other value therefore flips a row
exactly when ``u < p``, so every per-alternative flip rate has truth ``p``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from govkit.checks.counterfactual_flip import CounterfactualFlip, CounterfactualFlipParams
from govkit.runner.judge import judge
from govkit.suite import Threshold
from tests.attribution.helpers import make_ctx, measurement, onehot_encoder

LEVELS = {
    "sex": ["Female", "Male"],
    "race": ["A", "B", "C", "D", "E"],
}


class PlantedFlips(nn.Module):
    """Decision = the sensitive value's sign when ``u < p``, else the sign of ``x1``.

    Inputs: ``u``, ``x1``, then the one-hot columns of one sensitive attribute.
    The sensitive value's sign is +1 for the first half of the categories and
    -1 for the rest, so every change of value across the halves flips a gated
    row; with two categories every change does.
    """

    def __init__(self, p: float, n_levels: int) -> None:
        super().__init__()
        sign = torch.where(torch.arange(n_levels) < (n_levels + 1) // 2, 1.0, -1.0)
        self.register_buffer("sign", sign)
        self.p = p

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        gate = (x[:, 0] < self.p).float()
        logit = 8.0 * (gate * (x[:, 2:] @ self.sign) + (1.0 - gate) * torch.sign(x[:, 1]))
        return torch.stack([torch.zeros_like(logit), logit], dim=1)


def _ctx(p: float, n: int, seed: int, column: str = "sex"):  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(seed)
    levels = LEVELS[column]
    frame = pd.DataFrame({"u": rng.random(n), "x1": rng.normal(size=n)})
    frame[column] = rng.choice(levels, size=n)
    encode, names, groups = onehot_encoder(["u", "x1"], {column: levels})
    y = rng.integers(0, 2, size=n)
    return make_ctx(
        PlantedFlips(p, len(levels)).eval(),
        frame,
        y,
        encode,
        feature_names=names,
        feature_groups=groups,
        sensitive=[column],
    )


@pytest.mark.slow
def test_per_alternative_intervals_cover_a_planted_flip_rate() -> None:
    """A 5% flip rate on 100 rows (about 50 per alternative): 95% intervals cover it."""
    p, reps = 0.05, 200
    covered = total = 0
    estimates = []
    for seed in range(reps):
        ev = CounterfactualFlip().measure(_ctx(p, 100, seed), CounterfactualFlipParams())
        for m in ev.measurements:
            if m.name != "counterfactual_flip_rate_to":
                continue
            assert m.ci is not None and m.ci[1] > 0.0  # never [0, 0]
            covered += m.ci[0] <= p <= m.ci[1]
            total += 1
            estimates.append(m.value)
    assert total == 2 * reps
    coverage = covered / total
    assert coverage >= 0.93, coverage
    # the rate itself is unbiased for the planted probability
    assert np.mean(estimates) == pytest.approx(p, abs=0.005)


@pytest.mark.parametrize(("p", "most_fails", "fewest_fails"), [(0.01, 1, 0), (0.03, 30, 29)])
def test_the_built_in_bound_on_2000_rows_tells_half_the_bound_from_one_and_a_half(
    p: float, most_fails: int, fewest_fails: int
) -> None:
    """Operating characteristics of the built-in rule (largest rate at most 0.02, point).

    30 samples of 2,000 rows (about 1,000 per alternative and per group): a
    model that flips 1% of decisions fails at most once, one that flips 3%
    passes at most once.
    """
    bound = [Threshold(metric="counterfactual_flip_rate", max=0.02)]
    fails = sum(
        judge(
            CounterfactualFlip().measure(_ctx(p, 2000, 100 + seed), CounterfactualFlipParams()),
            bound,
            min_group_size=30,
        ).status
        == "fail"
        for seed in range(30)
    )
    assert fewest_fails <= fails <= most_fails


def test_no_flips_never_give_a_zero_width_interval() -> None:
    ev = CounterfactualFlip().measure(_ctx(0.0, 100, 0), CounterfactualFlipParams())
    overall = measurement(ev, "counterfactual_flip_rate", feature="sex", group=None)
    assert overall.value == 0.0 and overall.ci[0] == 0.0
    # Wilson's upper bound for 0 events in about 50 rows is near 7%
    assert 0.04 < overall.ci[1] < 0.1
    strict = Threshold(metric="counterfactual_flip_rate", max=0.02, on="interval_strict")
    assert judge(ev, [strict]).status == "fail"
    assert judge(ev, [Threshold(metric="counterfactual_flip_rate", max=0.02)]).status == "pass"


def test_each_alternative_of_a_many_valued_column_is_its_own_rate() -> None:
    """Five categories, 20% of rows gated: a change across the halves flips a gated row.

    The truth of "set to v" is p times the share of rows on the other half
    (A, B, C are +1; D, E are -1): 0.2 * 2/5 / (4/5) = 0.1 for v in A..C, and
    0.2 * 3/5 / (4/5) = 0.15 for D and E. A pooled "any value flips" rate
    would be p = 0.2 for every row, whatever the number of categories.
    """
    ev = CounterfactualFlip().measure(_ctx(0.2, 20_000, 1, "race"), CounterfactualFlipParams())
    rates = {
        m.group["race"]: m  # type: ignore[index]
        for m in ev.measurements
        if m.name == "counterfactual_flip_rate_to"
    }
    assert sorted(rates) == LEVELS["race"]
    for value, truth in {"A": 0.1, "B": 0.1, "C": 0.1, "D": 0.15, "E": 0.15}.items():
        m = rates[value]
        assert m.n == pytest.approx(16_000, rel=0.03)
        assert m.ci[0] <= truth <= m.ci[1], (value, m.value, m.ci)
    overall = measurement(ev, "counterfactual_flip_rate", feature="race", group=None)
    assert overall.value == max(m.value for m in rates.values())
    assert overall.value == pytest.approx(0.15, abs=0.01)
    assert ev.details["attributes"]["race"]["any_value_flip_rate"]["flip_rate"] == pytest.approx(
        0.2, abs=0.01
    )
    # per group: a row of A flips when set to D or E, at rate p
    group_a = measurement(ev, "counterfactual_flip_rate", group={"race": "A"})
    assert group_a.value == pytest.approx(0.2, abs=0.03)


def test_a_column_with_a_single_value_is_insufficient_evidence() -> None:
    ctx = _ctx(0.2, 200, 2)
    ctx.eval.frame = ctx.eval.frame.assign(sex="Male")
    ev = CounterfactualFlip().measure(ctx, CounterfactualFlipParams())
    overall = measurement(ev, "counterfactual_flip_rate", feature="sex", group=None)
    assert overall.value is None and overall.n is None
    assert ev.details["attributes"]["sex"]["flip_rate_by_value"] == []
    assert "sex: none, it has a single value" in (ev.summary or "")
    verdict = judge(ev, [Threshold(metric="counterfactual_flip_rate", max=0.02)])
    assert verdict.status == "insufficient_evidence"
