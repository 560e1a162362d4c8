"""data.leakage: rows with a training row's features, labelled differently; exact large integers.

Planted truth: a known number of evaluation rows copy a training row's
features, some keeping its label, some with the label flipped, and the
prediction column always differs. Each kind must be counted separately and
exactly.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from govkit.checks.leakage import Leakage
from govkit.privacy.rowhash import normalise_column, row_hashes
from govkit.runner.judge import judge
from govkit.suite import Threshold
from tests.checks.privacy_helpers import make_context


def _split(rng: np.random.Generator, n: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "age": rng.integers(18, 90, size=n),
            "income": rng.normal(50_000, 9_000, size=n).round(2),
            "label": rng.integers(0, 2, size=n),
            "pred": rng.random(size=n).round(6),
        }
    )


def _measure(train: pd.DataFrame, evl: pd.DataFrame):
    ctx = make_context(
        evl,
        evl["label"].to_numpy(),
        train_frame=train,
        train_y=train["label"].to_numpy(),
        label_column="label",
        prediction_columns=["pred"],
    )
    return Leakage().measure(ctx, Leakage.Params())


def _m(evidence, name: str):
    return next(m for m in evidence.measurements if m.name == name)


def test_feature_copies_and_label_conflicts_are_counted_apart() -> None:
    rng = np.random.default_rng(31)
    train, evl = _split(rng, 800), _split(rng, 400)
    # 20 whole rows copied, 30 with the features copied and the label kept, 12 flipped
    evl.iloc[:20] = train.iloc[:20].to_numpy()
    evl.loc[20:49, ["age", "income", "label"]] = train.loc[
        100:129, ["age", "income", "label"]
    ].to_numpy()
    evl.loc[50:61, ["age", "income"]] = train.loc[200:211, ["age", "income"]].to_numpy()
    evl.loc[50:61, "label"] = 1 - train.loc[200:211, "label"].to_numpy()
    evidence = _measure(train, evl)
    # whole rows, prediction column included: only the 20 copies
    assert _m(evidence, "exact_duplicate_count").value == 20
    assert _m(evidence, "duplicate_count").value == 20
    # the features alone: all 62; of them 12 carry another label
    assert _m(evidence, "feature_duplicate_count").value == 62
    assert _m(evidence, "label_conflict_count").value == 12
    share = _m(evidence, "label_conflict_share")
    assert share.value == 12 / 400 and share.n == 400
    assert share.ci is not None and share.ci[0] < 12 / 400 < share.ci[1]
    assert evidence.details["feature_columns"] == ["age", "income"]
    assert evidence.details["example_label_conflict_indices"][:3] == [50, 51, 52]


def test_no_copy_still_bounds_the_share() -> None:
    """0 duplicates in 100 rows: the interval is [0, 0.037], so a strict 2% bound is not met."""
    rng = np.random.default_rng(32)
    evidence = _measure(_split(rng, 300), _split(rng, 100))
    share = _m(evidence, "duplicate_share")
    assert share.value == 0.0 and share.ci is not None
    assert share.ci[0] == 0.0 and 0.03 < share.ci[1] < 0.04
    strict = [Threshold(metric="duplicate_share", max=0.02, on="interval_strict")]
    assert judge(evidence, strict).status == "fail"
    assert judge(evidence, [Threshold(metric="duplicate_share", max=0.0)]).status == "pass"


def test_integers_beyond_2_53_never_merge() -> None:
    big = 2**53
    ids = pd.Series([big, big + 1, big + 2, 2**62 + 1, -(2**62) - 1], dtype="int64")
    assert len(set(normalise_column(ids))) == 5
    # float64 would merge 2**53 and 2**53 + 1 (the former behaviour)
    assert float(big) == float(big + 1)
    # the same numbers written as text, or as unsigned integers, hash alike
    as_text = ids.astype(str).where(ids != big + 2, f"+{big + 2}")
    assert np.array_equal(normalise_column(ids), normalise_column(as_text))
    assert len(set(normalise_column(pd.Series([2**64 - 1, 2**64 - 2], dtype="uint64")))) == 2
    # small integers still equal their float and text forms
    small = pd.DataFrame({"x": [1, 2, 3]})
    assert np.array_equal(row_hashes(small), row_hashes(pd.DataFrame({"x": ["1.0", "2", "3.00"]})))
    # two card-like account numbers one apart are two rows, not a leak
    train = pd.DataFrame(
        {"account": pd.Series([big + 1], dtype="int64"), "label": [0], "pred": [0.1]}
    )
    evl = pd.DataFrame({"account": pd.Series([big], dtype="int64"), "label": [0], "pred": [0.1]})
    assert _m(_measure(train, evl), "duplicate_count").value == 0
