"""Equivalence classes over quasi-identifiers, by integer codes.

Rows that agree on every quasi-identifier form one equivalence class; its
size is how many people an attacker who knows those attributes cannot tell
apart (k-anonymity, Sweeney 2002). Each column is factorised once (missing is
a value of its own), and the per-column codes are folded pairwise into one
compact code per row, so the work is a few sorts whatever the number of rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["class_codes", "distinct_per_class"]


def class_codes(frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """Compact int64 equivalence-class code per row (0 .. n_classes-1)."""
    combined = np.zeros(len(frame), dtype=np.int64)
    for column in columns:
        codes, uniques = pd.factorize(frame[column], use_na_sentinel=False)
        # fold in one column at a time and re-compact, so codes never overflow
        _, combined = np.unique(combined * (len(uniques) + 1) + codes, return_inverse=True)
        combined = combined.astype(np.int64)
    return combined


def distinct_per_class(classes: np.ndarray, values: pd.Series) -> np.ndarray:
    """Number of distinct ``values`` within each class (its l-diversity), per class code."""
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    pairs = np.unique(classes * (len(uniques) + 1) + codes)
    return np.bincount(
        pairs // (len(uniques) + 1), minlength=int(classes.max()) + 1 if len(classes) else 0
    )
