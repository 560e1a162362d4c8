"""Encoding sensitive columns into integer group codes.

Each sensitive column is one grouping; when there are two or more, their
intersection is one more (``sex&race``), as Model Cards ask for
intersectional results.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["MISSING", "Grouping", "groupings", "make_grouping", "present_codes"]

MISSING = "(missing)"


@dataclass(frozen=True)
class Grouping:
    """Rows assigned to groups of one or more sensitive columns.

    Attributes
    ----------
    feature
        The column name, or the names joined with ``&`` for an intersection.
    columns
        The sensitive columns.
    codes
        int64 group code per row, ``0 .. n_groups-1``.
    labels
        Per code, the mapping column -> value (as in report.json's ``group``).
    """

    feature: str
    columns: tuple[str, ...]
    codes: np.ndarray
    labels: list[dict[str, str]]

    @property
    def n_groups(self) -> int:
        return len(self.labels)

    def sizes(self) -> np.ndarray:
        return np.bincount(self.codes, minlength=self.n_groups)

    def describe(self, code: int) -> str:
        return ", ".join(f"{k}={v}" for k, v in self.labels[code].items())


def _as_text(series: pd.Series) -> pd.Series:
    return series.astype("string").fillna(MISSING).astype(str)


def _text_codes(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct text values of a column and each row's index into them.

    Equal to ``np.unique(_as_text(series), return_inverse=True)``, but only the
    distinct values are converted to text and sorted: hashing a million rows
    is tens of times faster than sorting a million Python strings.
    """
    raw_codes, uniques = pd.factorize(series, use_na_sentinel=True)
    text = _as_text(pd.Series(uniques)).to_numpy()
    # the last slot stands for missing values; values whose text coincides merge here
    candidates = np.append(text, MISSING).astype(object)
    sorted_text, remap = np.unique(candidates, return_inverse=True)
    # one gather of the rows through the composed (small) maps
    slot = np.where(raw_codes < 0, len(text), raw_codes)
    used = np.bincount(remap[slot], minlength=len(sorted_text)) > 0
    compact = np.cumsum(used) - 1
    return sorted_text[used], compact[remap][slot].astype(np.int64)


def present_codes(values: np.ndarray, span: int) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(values, return_inverse=True)`` for integers in ``0 .. span - 1``.

    When the span is small next to the rows, counting replaces sorting: one
    pass instead of a sort of millions of cells.
    """
    v = np.asarray(values, dtype=np.int64).reshape(-1)
    if span > max(v.size, 1 << 20):
        present, inverse = np.unique(v, return_inverse=True)
        return present, inverse.reshape(-1)
    used = np.bincount(v, minlength=span) > 0
    return np.flatnonzero(used), (np.cumsum(used) - 1)[v]


def make_grouping(frame: pd.DataFrame, columns: list[str] | tuple[str, ...]) -> Grouping:
    """Group the rows of ``frame`` by the values of ``columns`` (sorted, deterministic)."""
    cols = tuple(columns)
    return _grouping(cols, [_text_codes(frame[c]) for c in cols], len(frame))


def _grouping(
    cols: tuple[str, ...], per_column: list[tuple[np.ndarray, np.ndarray]], n: int
) -> Grouping:
    """The grouping of ``cols`` from each column's sorted values and row codes."""
    if len(cols) == 1:
        uniques, codes = per_column[0]
        return Grouping(cols[0], cols, codes, [{cols[0]: str(u)} for u in uniques])
    # mixed-radix code over the per-column codes, then compacted to present groups
    combined = np.zeros(n, dtype=np.int64)
    for uniques, codes in per_column:
        combined *= len(uniques)
        combined += codes
    span = int(np.prod([float(len(uniques)) for uniques, _ in per_column]))
    present, compact = present_codes(combined, span)
    labels = []
    for value in present:
        label: dict[str, str] = {}
        rest = int(value)
        for col, (uniques, _) in zip(reversed(cols), reversed(per_column), strict=True):
            label[col] = str(uniques[rest % len(uniques)])
            rest //= len(uniques)
        labels.append({c: label[c] for c in cols})
    return Grouping("&".join(cols), cols, compact.astype(np.int64), labels)


def groupings(frame: pd.DataFrame, sensitive: list[str]) -> list[Grouping]:
    """One grouping per sensitive column, plus their intersection when there are several.

    Each column is encoded once, for its own grouping and the intersection.
    """
    per_column = {c: _text_codes(frame[c]) for c in dict.fromkeys(sensitive)}
    result = [_grouping((c,), [per_column[c]], len(frame)) for c in sensitive]
    if len(sensitive) > 1:
        cols = tuple(sensitive)
        result.append(_grouping(cols, [per_column[c] for c in cols], len(frame)))
    return result
