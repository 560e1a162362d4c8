"""data.quality: planted missing values, constant columns and group imbalance."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from govkit.checks.quality import Quality
from tests.checks.privacy_helpers import make_context


def _data() -> tuple[pd.DataFrame, np.ndarray]:
    n = 400
    rng = np.random.default_rng(0)
    sex = np.array(["Female"] * 100 + ["Male"] * 300)
    workclass = rng.choice(["Private", "State-gov"], size=n).astype(object)
    workclass[:40] = "?"  # 40 missing, all in the Female group
    hours = rng.normal(40, 5, size=n)
    hours[300:310] = np.nan  # 10 missing, Male group
    y = np.concatenate([np.zeros(100, dtype=int), (np.arange(300) % 3 == 0).astype(int)])
    frame = pd.DataFrame(
        {"sex": sex, "workclass": workclass, "hours": hours, "country": "US", "empty": [None] * n}
    )
    return frame, y


def _measure(documents: dict | None = None, **params):
    frame, y = _data()
    ctx = make_context(frame, y, sensitive=["sex"], documents=documents or {})
    check = Quality()
    return check.measure(ctx, check.Params(n_boot=100, **params))


def _find(evidence, name: str, **where):
    return [
        m
        for m in evidence.measurements
        if m.name == name and all(getattr(m, k) == v for k, v in where.items())
    ]


def test_missing_values_per_column_and_group() -> None:
    evidence = _measure()
    assert evidence.details["missing_rate"]["workclass"] == pytest.approx(40 / 400)
    assert evidence.details["missing_rate"]["hours"] == pytest.approx(10 / 400)
    (m,) = _find(evidence, "missing_rate", feature="workclass")
    assert m.n == 400 and m.ci is not None and m.ci[0] < 0.1 < m.ci[1]
    female = next(r for r in evidence.details["groups"]["sex"] if r["group"] == {"sex": "Female"})
    assert female["missing_rate"]["workclass"] == pytest.approx(0.4)
    assert "hours" not in female["missing_rate"]


def test_constant_and_empty_columns_fail() -> None:
    evidence = _measure()
    assert evidence.details["constant_columns"] == ["country"]
    assert evidence.details["all_missing_columns"] == ["empty"]
    assert len(evidence.failures) == 2


def test_label_balance_and_shares_against_the_card() -> None:
    card = {
        "dataset_card": [
            {
                "subpopulations": [
                    {
                        "attribute": "sex",
                        "identification": "self-reported",
                        "distribution": {"Female": 0.5, "Male": 0.5},
                    }
                ]
            }
        ]
    }
    evidence = _measure(card)
    (female_rate,) = _find(evidence, "base_rate", group={"sex": "Female"})
    assert female_rate.value == 0.0 and female_rate.n == 100
    (male_rate,) = _find(evidence, "base_rate", group={"sex": "Male"})
    assert male_rate.value == pytest.approx(100 / 300)
    (gap,) = _find(evidence, "group_share_difference", group={"sex": "Female"})
    assert gap.value == pytest.approx(-0.25) and gap.ci[1] < -0.1
    # without a card, shares are reported and not compared
    assert _find(_measure(), "group_share_difference") == []
    assert len(_find(_measure(), "group_share")) == 2


def test_declared_missing_marker_is_used() -> None:
    frame, y = _data()
    frame["workclass"] = frame["workclass"].replace("?", "unknown")
    card = {"dataset_card": [{"missing_data": {"encoding": "unknown", "reasons": "x"}}]}
    ctx = make_context(frame, y, documents=card)
    evidence = Quality().measure(ctx, Quality.Params(n_boot=0))
    assert evidence.details["missing_count"]["workclass"] == 40
