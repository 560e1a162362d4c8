"""Summing encoded input columns back to the features a reviewer knows.

A one-hot encoded ``race`` becomes several input columns; its attribution is
the sum of theirs (attributions are additive, so the sum is the feature's
share of ``f(x) - f(baseline)``). Columns no group claims stay features of
their own, named by ``feature_names``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["FeatureMap", "feature_map"]


@dataclass(frozen=True)
class FeatureMap:
    """Which input columns make up each original feature.

    Attributes
    ----------
    names
        Original feature names, in a stable order (groups first, as declared,
        then unclaimed columns in input order).
    matrix
        (n_inputs, n_features) 0/1 float64: ``attr @ matrix`` sums the columns.
    """

    names: list[str]
    matrix: np.ndarray

    def columns_of(self, name: str) -> list[int]:
        j = self.names.index(name)
        return [int(i) for i in np.flatnonzero(self.matrix[:, j])]

    def group(self, attributions: np.ndarray) -> np.ndarray:
        """(N, n_inputs) -> (N, n_features), signed sums per feature."""
        return np.asarray(attributions, dtype=np.float64) @ self.matrix


def feature_map(
    n_inputs: int, feature_names: list[str], feature_groups: dict[str, list[int]]
) -> FeatureMap:
    """Build the column -> feature map from the context's names and groups.

    Parameters
    ----------
    n_inputs
        Number of model input columns.
    feature_names
        Names of the input columns (may be empty: columns are then ``x0``, ``x1`` ...).
    feature_groups
        Original feature -> indices of its input columns; may be empty.

    Raises
    ------
    ValueError
        A group names a column outside the inputs, or two groups claim one column.
    """
    names: list[str] = []
    owner = np.full(n_inputs, -1, dtype=np.int64)
    for name, cols in feature_groups.items():
        idx = np.asarray(list(cols), dtype=np.int64)
        if idx.size and (idx.min() < 0 or idx.max() >= n_inputs):
            raise ValueError(
                f"feature group {name!r} names input columns outside 0..{n_inputs - 1}"
            )
        if (owner[idx] >= 0).any():
            raise ValueError(f"feature group {name!r} claims a column another group already holds")
        owner[idx] = len(names)
        names.append(name)
    for i in np.flatnonzero(owner < 0):
        owner[i] = len(names)
        names.append(feature_names[i] if i < len(feature_names) else f"x{i}")
    matrix = np.zeros((n_inputs, len(names)), dtype=np.float64)
    matrix[np.arange(n_inputs), owner] = 1.0
    return FeatureMap(names, matrix)
