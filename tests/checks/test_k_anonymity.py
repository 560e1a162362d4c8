"""privacy.k_anonymity: planted unique combinations and homogeneous classes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from govkit.checks.base import SkipCheck
from govkit.checks.k_anonymity import KAnonymity
from tests.checks.privacy_helpers import make_context


def _frame() -> pd.DataFrame:
    # 4 classes of 10 rows each; the "disease" column is uniform in class (30, F)
    age = np.repeat([30, 30, 40, 40], 10)
    sex = np.tile(np.repeat(["F", "M"], 10), 2)
    disease = np.where((age == 30) & (sex == "F"), "flu", np.tile(["flu", "cold"], 20))
    return pd.DataFrame({"age": age, "sex": sex, "disease": disease})


def _measure(frame: pd.DataFrame, **params):
    ctx = make_context(frame, np.zeros(len(frame)), quasi_identifiers=["age", "sex"])
    check = KAnonymity()
    return check.measure(ctx, check.Params(n_boot=50, **params))


def _value(evidence, name: str) -> float:
    return next(m.value for m in evidence.measurements if m.name == name)


def test_balanced_classes() -> None:
    evidence = _measure(_frame(), sensitive_column="disease")
    assert _value(evidence, "k") == 10
    assert _value(evidence, "equivalence_classes") == 4
    assert _value(evidence, "small_class_share") == 0.0
    assert _value(evidence, "l_diversity") == 1  # class (30, F) all "flu"
    assert evidence.details["classes_with_one_sensitive_value"] == 1


def test_planted_unique_row_gives_k_one() -> None:
    frame = pd.concat(
        [_frame(), pd.DataFrame({"age": [117], "sex": ["F"], "disease": ["x"]})], ignore_index=True
    )
    evidence = _measure(frame)
    assert _value(evidence, "k") == 1
    assert _value(evidence, "small_class_rows") == 1
    assert _value(evidence, "small_class_share") == pytest.approx(1 / 41)
    share = next(m for m in evidence.measurements if m.name == "unique_row_share")
    assert share.n == 41 and share.ci is not None
    # no value of the unique row reaches the report
    assert "117" not in repr(evidence.details)


def test_missing_values_are_a_value() -> None:
    frame = _frame()
    frame.loc[:2, "sex"] = None
    evidence = _measure(frame, k=4)
    assert _value(evidence, "k") == 3
    assert _value(evidence, "small_class_rows") == 3


def test_skips_without_quasi_identifiers() -> None:
    ctx = make_context(_frame(), np.zeros(40))
    with pytest.raises(SkipCheck, match="quasi-identifiers"):
        KAnonymity().measure(ctx, KAnonymity.Params())


def test_a_misspelt_sensitive_column_is_an_error_not_a_skip() -> None:
    with pytest.raises(ValueError, match=r"no column named 'desease'.*did you mean 'disease'"):
        _measure(_frame(), sensitive_column="desease")
