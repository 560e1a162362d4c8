"""data.leakage: a planted block of duplicates is counted exactly."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from govkit.checks.leakage import Leakage
from govkit.privacy.rowhash import row_hashes
from tests.checks.privacy_helpers import make_context


def _frame(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "age": rng.integers(18, 90, size=n).astype(float),
            "job": rng.choice(["Clerk", "Nurse", "Driver"], size=n),
            "hours": rng.normal(40, 5, size=n).round(3),
            "secret_name": [f"person{i}-{seed}" for i in range(n)],
        }
    )


def _measure(train: pd.DataFrame, evl: pd.DataFrame, **params):
    ctx = make_context(evl, np.zeros(len(evl)), train_frame=train, train_y=np.zeros(len(train)))
    return Leakage().measure(ctx, Leakage.Params(n_boot=50, **params))


def _value(evidence, name: str) -> float:
    return next(m.value for m in evidence.measurements if m.name == name)


def test_planted_block_counted_exactly() -> None:
    train, evl = _frame(500, 1), _frame(300, 2)
    evl.iloc[100:137] = train.iloc[200:237].to_numpy()  # 37 exact copies
    # 13 more copies that differ only in formatting
    reformatted = train.iloc[300:313].copy()
    reformatted["job"] = "  " + reformatted["job"].str.upper() + " "
    reformatted["age"] = reformatted["age"].map(lambda a: f"{a:.1f}")
    evl = evl.astype({"age": object})
    evl.iloc[10:23] = reformatted.to_numpy()
    evidence = _measure(train, evl)
    assert _value(evidence, "duplicate_count") == 50
    assert _value(evidence, "exact_duplicate_count") == 37
    share = next(m for m in evidence.measurements if m.name == "duplicate_share")
    assert share.value == 50 / 300 and share.n == 300 and share.ci[0] < 50 / 300 < share.ci[1]
    assert evidence.details["example_eval_indices"][:3] == [10, 11, 12]
    # indices only: no value of a leaked row is in the evidence
    assert "person" not in json.dumps(evidence.details)


def test_clean_split_has_no_leak() -> None:
    evidence = _measure(_frame(200, 1), _frame(200, 2))
    assert _value(evidence, "duplicate_share") == 0.0
    assert evidence.summary is not None


def test_normalisation_of_numbers_and_text() -> None:
    a = pd.DataFrame({"x": ["1.0", " Hello   World", "1,000", None], "y": [1, 2, 3, np.nan]})
    b = pd.DataFrame({"y": [1.0, 2.0, 3.0, np.nan], "x": ["1", "hello world", "1000", np.nan]})
    assert np.array_equal(row_hashes(a), row_hashes(b))
    c = b.assign(x=["1.5", "hello  world!", "100", "?"])
    assert not (row_hashes(a) == row_hashes(c)).any()


def test_ignored_columns() -> None:
    train, evl = _frame(100, 1), _frame(100, 2)
    evl.iloc[:5, :3] = train.iloc[:5, :3].to_numpy()  # same person data, different id column
    assert _value(_measure(train, evl), "duplicate_count") == 0
    assert _value(_measure(train, evl, ignore_columns=["secret_name"]), "duplicate_count") == 5
