"""Slices: columns cut into the row partitions that performance is reported on.

A slice column is grouped like a sensitive column (each distinct value is a
group) unless it is numeric and cut into bins. A binned slice's label is the
interval, ``[25, 40)``; the last bin is closed so the top edge belongs to it.
A value outside every bin, or a missing one, is not dropped: it forms its own
slice (``outside bins``, ``(missing)``), so every row is counted somewhere and
the user is warned.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from govkit.stats.groups import MISSING, Grouping, make_grouping, present_codes

__all__ = [
    "OUTSIDE",
    "Slicing",
    "bin_labels",
    "distinct_edges",
    "make_slicing",
    "quantile_probabilities",
]

OUTSIDE = "outside bins"


@dataclass(frozen=True)
class Slicing:
    """One slice column's partition of the rows, and how it was cut."""

    grouping: Grouping
    #: the bin edges used (given or computed from quantiles); None for a plain column
    edges: list[float] | None = None
    #: "bins", "quantiles" or "values"
    method: str = "values"
    #: rows outside every bin
    outside: int = 0
    warnings: list[str] = field(default_factory=list)

    def describe(self) -> dict[str, object]:
        """How the slice was cut, for the check's details."""
        out: dict[str, object] = {"column": self.grouping.feature, "method": self.method}
        if self.edges is not None:
            out["edges"] = self.edges
        out["slices"] = self.grouping.n_groups
        if self.outside:
            out["outside_bins"] = self.outside
        return out


def _edge(value: float, digits: int = 6) -> str:
    """An edge as a person writes it: 25, not 25.0."""
    return f"{value:.{digits}g}"


def bin_labels(edges: list[float]) -> list[str]:
    """``[a, b)`` for each bin, the last one closed: ``[a, b]``.

    Edges get the fewest significant digits (at least 3) that keep them
    apart, so quantile edges read ``[-0.746, -0.108)``; the exact edges are
    reported beside the figures.
    """
    digits = next((d for d in range(3, 18) if len({_edge(e, d) for e in edges}) == len(edges)), 17)
    text = [_edge(e, digits) for e in edges]
    labels = [f"[{a}, {b})" for a, b in itertools.pairwise(text)]
    labels[-1] = labels[-1][:-1] + "]"
    return labels


def quantile_probabilities(q: int) -> list[float]:
    """The probabilities a ``quantiles: q`` slice is cut at: 0, 1/q, ..., 1."""
    return [float(p) for p in np.linspace(0.0, 1.0, q + 1)]


def _quantile_edges(values: np.ndarray, q: int) -> list[float]:
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        raise ValueError("has no numeric values to compute quantiles on")
    return distinct_edges(np.quantile(finite, quantile_probabilities(q)))


def distinct_edges(edges: np.ndarray | list[float]) -> list[float]:
    """Quantiles as bin edges: ties merged; a single value is an error (completes "column X ...")."""
    values = np.asarray(edges, dtype=np.float64)
    # ties (a column with few distinct values) collapse bins: keep distinct edges
    unique = [float(e) for e in np.unique(values)]
    if len(unique) < 2:
        raise ValueError(f"has a single value ({_edge(unique[0])}): it cannot be cut into bins")
    return unique


def make_slicing(
    frame: pd.DataFrame,
    column: str,
    *,
    bins: list[float] | None = None,
    quantiles: int | None = None,
    quantile_edges: list[float] | None = None,
    weights: np.ndarray | None = None,
) -> Slicing:
    """The partition of ``frame``'s rows by ``column``.

    ``quantile_edges`` are the edges of a ``quantiles`` slice computed over
    rows that are not in ``frame`` (an engine's :meth:`quantiles` over the
    whole table, when ``frame`` holds cells). ``weights`` are the rows each
    entry of ``frame`` stands for; the rows outside the bins are counted with
    them.

    Raises
    ------
    ValueError
        When a binned column is not numeric (the message completes "column X ...").
    """
    if bins is None and quantiles is None:
        return Slicing(make_grouping(frame, [column]))
    series = frame[column]
    if not (pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)):
        raise ValueError(
            f"is not numeric ({series.dtype}): it cannot be cut into bins; "
            "list it without bins to report each value"
        )
    values = series.to_numpy(dtype=np.float64, na_value=np.nan)
    method = "bins" if bins is not None else "quantiles"
    if bins is not None:
        edges = list(bins)
    elif quantile_edges is not None:
        edges = list(quantile_edges)
    else:
        edges = _quantile_edges(values, int(quantiles or 0))
    labels = bin_labels(edges)
    # side="right": a value equal to an inner edge starts the next bin, [a, b)
    index = np.searchsorted(np.asarray(edges), values, side="right") - 1
    index[values == edges[-1]] = len(labels) - 1
    missing = np.isnan(values)
    outside_rows = ~missing & ((index < 0) | (index >= len(labels)))
    # raw code: the bin, then one slot for outside the bins and one for missing
    raw = np.where(missing, len(labels) + 1, np.where(outside_rows, len(labels), index))
    present, codes = present_codes(raw, len(labels) + 2)
    all_labels = [*labels, OUTSIDE, MISSING]
    order = [all_labels[int(i)] for i in present]
    codes = codes.astype(np.int64).reshape(-1)
    grouping = Grouping(column, (column,), codes, [{column: lab} for lab in order])
    outside = (
        int(outside_rows.sum())
        if weights is None
        else round(float(np.asarray(weights, np.float64)[outside_rows].sum()))
    )
    warnings = []
    if outside:
        warnings.append(
            f"slice column '{column}': {outside} row(s) lie outside the bins "
            f"[{_edge(edges[0])}, {_edge(edges[-1])}] and form the slice '{OUTSIDE}'; "
            "widen the bins to cover the data"
        )
    return Slicing(grouping, edges, method, outside, warnings)
