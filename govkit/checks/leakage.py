"""data.leakage: evaluation rows that also occur in the training split.

A model scored on rows it was trained on looks better than it is. Rows are
compared by fingerprint, exactly as stored and after normalising whitespace,
case and number formatting (``"1.0"`` equals ``"1"``), so the comparison is a
hash-table lookup, linear in the rows. The report gives counts, shares and
a few row indices — indices only, never values.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from pydantic import Field

from govkit.checks.base import Check, CheckParams, Evidence, SkipCheck
from govkit.checks.context import CheckContext
from govkit.privacy.rowhash import exact_row_hashes, row_hashes
from govkit.report import Measurement
from govkit.stats.rates import wilson_interval
from govkit.suite import Threshold

__all__ = ["Leakage", "LeakageParams"]


class LeakageParams(CheckParams):
    """Parameters of the leakage check."""

    columns: list[str] | None = Field(
        default=None, description="Columns compared (default: every column both splits share)."
    )
    ignore_columns: list[str] = Field(
        default_factory=list, description="Columns left out, e.g. a row id that differs by design."
    )
    max_indices: int = Field(default=10, ge=0, le=100, description="Leaked eval row indices shown.")


class Leakage(Check):
    """Exact and normalised duplicates of training rows in the evaluation split."""

    id = "data.leakage"
    title = "Train/eval leakage"
    Params = LeakageParams
    requires_train = True
    default_thresholds = (Threshold(metric="duplicate_share", max=0.0),)

    def measure(self, ctx: CheckContext, params: Any) -> Evidence:
        if ctx.train is None:
            raise SkipCheck("leakage needs the training split (data.train)")
        train, evl = ctx.train.frame, ctx.eval.frame
        if params.columns is not None:
            absent = [c for c in params.columns if c not in train.columns or c not in evl.columns]
            if absent:
                raise SkipCheck(f"column(s) {', '.join(absent)} are not in both splits")
            columns = list(params.columns)
        else:
            columns = [c for c in evl.columns if c in set(train.columns)]
        columns = [c for c in columns if c not in set(params.ignore_columns)]
        if not columns:
            raise SkipCheck("the splits share no column to compare")

        normalised = pd.Series(row_hashes(evl, columns)).isin(row_hashes(train, columns)).to_numpy()
        exact = (
            pd.Series(exact_row_hashes(evl, columns))
            .isin(exact_row_hashes(train, columns))
            .to_numpy()
        )
        n = len(evl)
        hits = {"duplicate": int(normalised.sum()), "exact_duplicate": int(exact.sum())}
        measurements = []
        for name, count in hits.items():
            measurements.append(Measurement(name=f"{name}_count", value=float(count), n=n))
            measurements.append(self._share(f"{name}_share", count, n, params))
        positions = np.flatnonzero(normalised)[: params.max_indices]
        details = {
            "columns_compared": [str(c) for c in columns],
            "eval_rows": n,
            "train_rows": len(train),
            "duplicate_count": hits["duplicate"],
            "exact_duplicate_count": hits["exact_duplicate"],
            "only_after_normalising": hits["duplicate"] - int((exact & normalised).sum()),
            "example_eval_indices": [_index_value(evl.index[i]) for i in positions],
        }
        summary = (
            f"None of the {n} evaluation rows occurs in the {len(train)} training rows."
            if hits["duplicate"] == 0
            else None
        )
        return Evidence(measurements=measurements, details=details, summary=summary)

    @staticmethod
    def _share(name: str, hits: int, n: int, params: Any) -> Measurement:
        # a Wilson score interval: 0 duplicates in n rows bounds the share, never [0, 0]
        ci = None
        if n > 0:
            lo, hi = wilson_interval(hits, n, params.confidence)
            ci = (float(lo), float(hi))
        return Measurement(name=name, value=hits / n if n else None, ci=ci, n=n)


def _index_value(label: Any) -> int | str:
    # a JSON-friendly row label; the default RangeIndex gives positions
    if isinstance(label, (int, np.integer)):
        return int(label)
    return str(label)
