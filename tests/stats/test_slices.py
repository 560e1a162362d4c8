"""Cutting slice columns: values, fixed bins, quantile bins, and rows outside the bins."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from govkit.stats.groups import MISSING
from govkit.stats.slices import OUTSIDE, bin_labels, make_slicing


def _labels(frame: pd.DataFrame, column: str, **cut: object) -> list[str]:
    s = make_slicing(frame, column, **cut)  # type: ignore[arg-type]
    return [s.grouping.labels[c][column] for c in s.grouping.codes]


def test_bins_are_half_open_and_the_last_one_is_closed() -> None:
    frame = pd.DataFrame({"age": [0, 24.9, 25, 39.99, 40, 64, 65, 120]})
    assert _labels(frame, "age", bins=[0, 25, 40, 65, 120]) == [
        "[0, 25)",
        "[0, 25)",
        "[25, 40)",
        "[25, 40)",
        "[40, 65)",
        "[40, 65)",
        "[65, 120]",
        "[65, 120]",
    ]


def test_values_outside_the_bins_form_their_own_slice_with_a_warning() -> None:
    frame = pd.DataFrame({"age": [-1, 10, 30, 121, None]})
    s = make_slicing(frame, "age", bins=[0, 25, 40])
    assert [lab["age"] for lab in s.grouping.labels] == ["[0, 25)", "[25, 40]", OUTSIDE, MISSING]
    assert s.outside == 2 and s.grouping.sizes().tolist() == [1, 1, 2, 1]
    assert len(s.warnings) == 1 and "2 row(s) lie outside the bins [0, 40]" in s.warnings[0]
    assert s.describe()["outside_bins"] == 2
    # a column the bins cover says nothing
    assert (
        make_slicing(frame.dropna().query("age >= 0 and age <= 40"), "age", bins=[0, 40]).warnings
        == []
    )


def test_quantile_bins_hold_equal_counts_and_report_their_edges() -> None:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"income": rng.lognormal(10, 1, size=4000)})
    s = make_slicing(frame, "income", quantiles=4)
    assert s.method == "quantiles" and s.edges is not None and len(s.edges) == 5
    np.testing.assert_allclose(s.edges, np.quantile(frame["income"], [0, 0.25, 0.5, 0.75, 1]))
    assert s.grouping.sizes().tolist() == [1000, 1000, 1000, 1000]
    assert s.outside == 0 and s.warnings == []
    # labels are readable, yet each edge stays distinct
    assert all(len(lab["income"]) < 30 for lab in s.grouping.labels)


def test_tied_quantile_edges_merge_bins_and_a_constant_column_is_refused() -> None:
    frame = pd.DataFrame({"n": [0] * 80 + [1] * 10 + [2] * 10})
    s = make_slicing(frame, "n", quantiles=4)
    assert s.edges == [0.0, 2.0] and s.grouping.sizes().tolist() == [100]
    with pytest.raises(ValueError, match="single value"):
        make_slicing(pd.DataFrame({"n": [3, 3, 3]}), "n", quantiles=4)


def test_plain_columns_group_by_value_and_text_cannot_be_binned() -> None:
    frame = pd.DataFrame({"region": ["EU", "US", "EU", None]})
    s = make_slicing(frame, "region")
    assert [lab["region"] for lab in s.grouping.labels] == [MISSING, "EU", "US"]
    with pytest.raises(ValueError, match="is not numeric"):
        make_slicing(frame, "region", bins=[0, 1])


def test_edge_labels_keep_close_edges_apart() -> None:
    assert bin_labels([1000.1, 1000.2, 2000]) == ["[1000.1, 1000.2)", "[1000.2, 2000]"]
    assert bin_labels([0, 0.5, 1]) == ["[0, 0.5)", "[0.5, 1]"]
