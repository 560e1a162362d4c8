"""Which cells are missing: NaN/None, or a marker such as ``?`` written in the data.

Many public tables write a missing value as text (the Adult data uses ``?``),
and a missing rate that ignores those markers is wrong. Markers are compared
after stripping whitespace, on each column's unique values only.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["DEFAULT_MISSING_MARKERS", "missing_mask"]

#: text that means "no value" in common exports
DEFAULT_MISSING_MARKERS: tuple[str, ...] = (
    "?",
    "",
    "NA",
    "N/A",
    "n/a",
    "null",
    "NULL",
    "nan",
    "NaN",
)


def missing_mask(
    frame: pd.DataFrame,
    markers: tuple[str, ...] | list[str] = DEFAULT_MISSING_MARKERS,
) -> np.ndarray:
    """(rows, columns) boolean matrix: True where a cell is missing.

    Parameters
    ----------
    frame
        The table.
    markers
        Text values, after stripping whitespace, that mean missing.
    """
    marker_set = {str(m).strip() for m in markers}
    out = np.zeros(frame.shape, dtype=bool)
    for j, column in enumerate(frame.columns):
        series = frame[column]
        missing = series.isna().to_numpy(dtype=bool, copy=True)
        if marker_set and not (
            pd.api.types.is_numeric_dtype(series.dtype)
            or pd.api.types.is_datetime64_any_dtype(series.dtype)
        ):
            codes, uniques = pd.factorize(series, use_na_sentinel=True)
            text = (
                pd.Series(np.asarray(uniques, dtype=object), dtype=object).astype(str).str.strip()
            )
            is_marker = np.append(text.isin(marker_set).to_numpy(), False)
            missing |= is_marker[codes]  # code -1 (NaN) picks the appended False
        out[:, j] = missing
    return out
