"""The overall population and every grouping, as one list of row partitions.

Checks that report a figure overall and per group treat "overall" as a
grouping with a single group, so one code path computes both.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from govkit.stats.groups import Grouping, groupings

__all__ = ["Layer", "group_sizes", "layers"]


@dataclass(frozen=True)
class Layer:
    """One partition of the rows: overall (``grouping`` None, one group) or a grouping."""

    grouping: Grouping | None
    codes: np.ndarray

    @property
    def feature(self) -> str | None:
        return None if self.grouping is None else self.grouping.feature

    @property
    def n_groups(self) -> int:
        return 1 if self.grouping is None else self.grouping.n_groups

    def label(self, code: int) -> dict[str, str] | None:
        """report.json's ``group`` for ``code``: None overall."""
        return None if self.grouping is None else dict(self.grouping.labels[code])

    def describe(self, code: int) -> str:
        return "overall" if self.grouping is None else self.grouping.describe(code)


def layers(
    frame: pd.DataFrame,
    sensitive: list[str],
    slices: Sequence[Grouping] = (),
    *,
    grouped: Sequence[Grouping] | None = None,
) -> list[Layer]:
    """Overall first, then one layer per grouping of ``sensitive`` (columns, then
    intersection), then one per slice column (never intersected: a slice is reported
    on its own, not crossed with the groups). ``grouped``: ``groupings(frame, sensitive)``
    when the caller has it already."""
    result = [Layer(None, np.zeros(len(frame), dtype=np.int64))]
    found = groupings(frame, list(sensitive)) if grouped is None else grouped
    result += [Layer(g, g.codes) for g in found]
    result += [Layer(g, g.codes) for g in slices]
    return result


def group_sizes(codes: np.ndarray, n_groups: int, weights: np.ndarray | None = None) -> np.ndarray:
    """Rows in each group: entries counted once, or by their ``weights`` (cells' row counts)."""
    if weights is None:
        return np.bincount(codes, minlength=n_groups)
    return np.rint(np.bincount(codes, np.asarray(weights, np.float64), n_groups)).astype(np.int64)
