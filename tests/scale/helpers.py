"""Assertions shared by the scale tests."""

from __future__ import annotations

import numpy as np
import pandas as pd

from govkit.scale.cells import SCORE_SUM


def assert_cells_equal(got: pd.DataFrame, want: pd.DataFrame) -> None:
    """Keys and counts exactly; score sums to 1e-9 relative (summation order differs)."""
    assert list(got.columns) == list(want.columns)
    assert got.dtypes.to_dict() == want.dtypes.to_dict()
    assert len(got) == len(want)
    exact = [c for c in want.columns if c != SCORE_SUM]
    pd.testing.assert_frame_equal(got[exact], want[exact])
    np.testing.assert_allclose(got[SCORE_SUM], want[SCORE_SUM], rtol=1e-9, atol=1e-12)
