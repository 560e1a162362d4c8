"""data.leakage: evaluation rows that also occur in the training split.

A model scored on rows it was trained on looks better than it is. Rows are
compared by fingerprint, exactly as stored and after normalising whitespace,
case and number formatting (``"1.0"`` equals ``"1"``), so the comparison is a
hash-table lookup, linear in the rows. Whole rows are compared, and so are
the features alone (the label and prediction columns left out): an
evaluation row whose features equal a training row's was seen by the model
even when its label differs, and a differing label is a leak of its own
kind (the same input, labelled twice). The report gives counts, shares with
Wilson intervals and a few row indices — indices only, never values.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from pydantic import Field

from govkit.checks.base import Check, CheckParams, Evidence, SkipCheck
from govkit.checks.context import CheckContext
from govkit.privacy.rowhash import content_hashes, exact_row_hashes, row_hashes
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
    """Exact and normalised duplicates of training rows, and rows with a training row's features.

    Measurements (each a count, and a share of the evaluation rows with a
    Wilson interval):

    - ``exact_duplicate_count`` / ``_share``: every compared column equal as stored;
    - ``duplicate_count`` / ``_share``: every compared column equal after
      normalising (the judged figure);
    - ``feature_duplicate_count`` / ``_share``: the features equal after
      normalising, the label and prediction columns left out;
    - ``label_conflict_count`` / ``_share``: of those, rows whose label no
      training row with the same features carries.
    """

    id = "data.leakage"
    title = "Train/eval leakage"
    Params = LeakageParams
    requires_train = True
    default_thresholds = (Threshold(metric="duplicate_share", max=0.0),)

    def measure(self, ctx: CheckContext, params: Any) -> Evidence:
        if ctx.train is None:
            raise SkipCheck("leakage needs the training split (data.train)")
        sampled = ctx.train.sampled_from
        if sampled is not None and sampled > len(ctx.train.frame):
            # an evaluation row's duplicate would be found only if the sample drew it: the
            # share would be understated by the sampling rate, so no figure is better
            raise SkipCheck(
                f"leakage compares every evaluation row with every training row; the training "
                f"split is a sample of {len(ctx.train.frame):,} of its {sampled:,} rows here, "
                "which would miss most duplicates. Run it with --engine pandas"
            )
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
        # the features alone: a row labelled (or predicted) differently is the same input
        left_out = {ctx.label_column, *ctx.prediction_columns}
        features = [c for c in columns if c not in left_out]
        same_features = (
            pd.Series(row_hashes(evl, features)).isin(row_hashes(train, features)).to_numpy()
            if features
            else np.zeros(len(evl), dtype=bool)
        )
        same_content = (
            pd.Series(content_hashes(evl, features, ctx.eval.y_true))
            .isin(content_hashes(train, features, ctx.train.y_true))
            .to_numpy()
        )
        conflict = same_features & ~same_content
        n = len(evl)
        hits = {
            "duplicate": int(normalised.sum()),
            "exact_duplicate": int(exact.sum()),
            "feature_duplicate": int(same_features.sum()),
            "label_conflict": int(conflict.sum()),
        }
        measurements = []
        for name, count in hits.items():
            measurements.append(Measurement(name=f"{name}_count", value=float(count), n=n))
            measurements.append(self._share(f"{name}_share", count, n, params))
        positions = np.flatnonzero(normalised)[: params.max_indices]
        conflicts = np.flatnonzero(conflict)[: params.max_indices]
        details = {
            "columns_compared": [str(c) for c in columns],
            "feature_columns": [str(c) for c in features],
            "eval_rows": n,
            "train_rows": len(train),
            "duplicate_count": hits["duplicate"],
            "exact_duplicate_count": hits["exact_duplicate"],
            "only_after_normalising": hits["duplicate"] - int((exact & normalised).sum()),
            "feature_duplicate_count": hits["feature_duplicate"],
            "label_conflict_count": hits["label_conflict"],
            "example_eval_indices": [_index_value(evl.index[i]) for i in positions],
            "example_label_conflict_indices": [_index_value(evl.index[i]) for i in conflicts],
        }
        also = (
            f" {hits['feature_duplicate']} share their features with a training row"
            f" ({hits['label_conflict']} of them with another label)."
            if hits["feature_duplicate"]
            else ""
        )
        summary = (
            f"None of the {n} evaluation rows occurs in the {len(train)} training rows.{also}"
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
