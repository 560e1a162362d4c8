"""data.quality: missing values, label balance and group representation.

Measured per column and per group of the sensitive columns, so the dataset
card's automated fields (missing data, statistics, subpopulations) can be
filled from the report. Group shares are compared with the population shares
the dataset card declares, when it declares them. A column with a single
value, or with no value at all, is a failure: it carries no information and
usually means a broken join or export.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field

from govkit.checks.base import Check, CheckParams, Evidence
from govkit.checks.context import CheckContext
from govkit.privacy.cards import declared_missing_markers, declared_population_shares
from govkit.privacy.missing import DEFAULT_MISSING_MARKERS, missing_mask
from govkit.report import Measurement
from govkit.stats.groups import Grouping, groupings
from govkit.stats.rates import wilson_interval
from govkit.suite import Threshold

__all__ = ["Quality", "QualityParams"]


class QualityParams(CheckParams):
    """Parameters of the data-quality check."""

    missing_markers: list[str] = Field(
        default_factory=lambda: list(DEFAULT_MISSING_MARKERS),
        description="Text values meaning missing (the dataset card's missing_data.encoding is added).",
    )
    split: Literal["all", "eval", "train"] = Field(
        default="all", description="Rows measured: both splits together (the data set), or one."
    )


def _ci(hits: np.ndarray, n: np.ndarray, params: Any) -> np.ndarray:
    """(2, K) Wilson score interval of the shares hits/n.

    A score interval, not a bootstrap: with no event (no missing value, no row
    of a group) a percentile bootstrap collapses to ``[0, 0]``, and a bound
    judged on the interval would then pass on no evidence.
    """
    return wilson_interval(hits, n, params.confidence)


def _pair(ci: np.ndarray | None, i: int, shift: float = 0.0) -> tuple[float, float] | None:
    if ci is None or not (np.isfinite(ci[0, i]) and np.isfinite(ci[1, i])):
        return None
    return (float(ci[0, i]) - shift, float(ci[1, i]) - shift)


class Quality(Check):
    """Missing values, label balance, group shares, constant and empty columns."""

    id = "data.quality"
    title = "Data quality and representation"
    judges_itself = True
    Params = QualityParams
    default_thresholds = (
        Threshold(metric="group_share_difference", max=0.1, min=-0.1, on="interval_lenient"),
    )

    def measure(self, ctx: CheckContext, params: Any) -> Evidence:
        frame, y = self._rows(ctx, params.split)
        n = len(frame)
        markers = [*params.missing_markers, *declared_missing_markers(ctx.documents)]
        columns = [str(c) for c in frame.columns]
        missing = missing_mask(frame, markers)
        measurements: list[Measurement] = []
        failures: list[str] = []
        small: list[str] = []

        miss_counts = missing.sum(axis=0).astype(np.float64)
        ci = _ci(miss_counts, np.full(len(columns), float(n)), params)
        for j, column in enumerate(columns):
            measurements.append(
                Measurement(
                    name="missing_rate",
                    feature=column,
                    value=miss_counts[j] / n if n else None,
                    ci=_pair(ci, j),
                    n=n,
                )
            )

        present = ~missing
        distinct = [int(frame[c][present[:, j]].nunique()) for j, c in enumerate(columns)]
        all_missing = [c for j, c in enumerate(columns) if n and miss_counts[j] == n]
        constant = [c for j, c in enumerate(columns) if distinct[j] == 1]
        failures += [f"column '{c}' has no value in any of the {n} rows" for c in all_missing]
        failures += [
            f"column '{c}' holds a single value in every row that has one" for c in constant
        ]

        classes = np.unique(y)
        label_counts = np.bincount(y, minlength=int(classes.max()) + 1 if len(classes) else 0)
        details: dict[str, Any] = {
            "rows": n,
            "split": params.split,
            "missing_markers": markers,
            "missing_rate": {
                c: float(miss_counts[j] / n) if n else None for j, c in enumerate(columns)
            },
            "missing_count": {c: int(miss_counts[j]) for j, c in enumerate(columns)},
            "rows_with_missing": int(missing.any(axis=1).sum()),
            "distinct_values": dict(zip(columns, distinct, strict=True)),
            "constant_columns": constant,
            "all_missing_columns": all_missing,
            "label_distribution": {str(c): int(k) for c, k in enumerate(label_counts)},
            "statistics": _statistics(frame, missing),
        }
        measurements += self._label_balance(None, y, ctx, params)

        declared = declared_population_shares(ctx.documents)
        sensitive = [c for c in ctx.sensitive if c in frame.columns]
        details["declared_population_shares"] = declared
        details["groups"] = {}
        for grouping in groupings(frame, sensitive) if sensitive else []:
            measurements += self._groups(
                grouping, y, missing, columns, declared, ctx, params, details, small
            )
        return Evidence(
            measurements=measurements,
            failures=failures,
            small_groups=small,
            details=details,
            summary=f"{n} rows, {len(columns)} columns; "
            f"{details['rows_with_missing']} rows have a missing value.",
        )

    def _groups(
        self,
        grouping: Grouping,
        y: np.ndarray,
        missing: np.ndarray,
        columns: list[str],
        declared: dict[str, dict[str, float]],
        ctx: CheckContext,
        params: Any,
        details: dict[str, Any],
        small: list[str],
    ) -> list[Measurement]:
        out: list[Measurement] = []
        sizes = grouping.sizes().astype(np.float64)
        n = float(sizes.sum())
        share_ci = _ci(sizes, np.full_like(sizes, n), params)
        any_missing = np.bincount(
            grouping.codes, weights=missing.any(axis=1), minlength=grouping.n_groups
        )
        row_ci = _ci(any_missing, sizes, params)
        per_column = (
            np.stack(
                [
                    np.bincount(grouping.codes, weights=missing[:, j], minlength=grouping.n_groups)
                    for j in range(len(columns))
                ],
                axis=1,
            )
            if columns
            else None
        )
        # only a single-column grouping can be compared with a declared distribution
        population = declared.get(grouping.feature, {}) if len(grouping.columns) == 1 else {}
        table = []
        for code, label in enumerate(grouping.labels):
            size = int(sizes[code])
            if size < params.min_group_size:
                small.append(f"{grouping.describe(code)} (n={size})")
            share = size / n
            out.append(
                Measurement(
                    name="group_share", group=label, value=share, ci=_pair(share_ci, code), n=int(n)
                )
            )
            out.append(
                Measurement(
                    name="missing_row_rate",
                    group=label,
                    value=float(any_missing[code] / size),
                    ci=_pair(row_ci, code),
                    n=size,
                )
            )
            value = label[grouping.feature] if len(grouping.columns) == 1 else None
            row: dict[str, Any] = {
                "group": label,
                "n": size,
                "share": share,
                "missing_row_rate": float(any_missing[code] / size),
            }
            if value is not None and value in population:
                expected = population[value]
                out.append(
                    Measurement(
                        name="group_share_difference",
                        group=label,
                        value=share - expected,
                        ci=_pair(share_ci, code, expected),
                        n=int(n),
                    )
                )
                row["declared_share"] = expected
            if per_column is not None:
                row["missing_rate"] = {
                    c: float(per_column[code, j] / size)
                    for j, c in enumerate(columns)
                    if per_column[code, j]
                }
            out += self._label_balance(label, y[grouping.codes == code], ctx, params)
            table.append(row)
        details["groups"][grouping.feature] = table
        return out

    @staticmethod
    def _label_balance(
        group: dict[str, str] | None, y: np.ndarray, ctx: CheckContext, params: Any
    ) -> list[Measurement]:
        """binary: base_rate (share of positive labels); multiclass: class_share per class."""
        n = len(y)
        if n == 0:
            return []
        if ctx.task == "binary":
            hits = np.array([float((y == 1).sum())])
            ci = _ci(hits, np.array([float(n)]), params)
            return [
                Measurement(name="base_rate", group=group, value=hits[0] / n, ci=_pair(ci, 0), n=n)
            ]
        counts = np.bincount(y).astype(np.float64)
        ci = _ci(counts, np.full_like(counts, float(n)), params)
        return [
            Measurement(
                name="class_share",
                group=group,
                feature=f"label={c}",
                value=counts[c] / n,
                ci=_pair(ci, c),
                n=n,
            )
            for c in range(len(counts))
        ]

    @staticmethod
    def _rows(ctx: CheckContext, which: str) -> tuple[pd.DataFrame, np.ndarray]:
        if which == "eval" or ctx.train is None:
            return ctx.eval.frame, np.asarray(ctx.eval.y_true, dtype=np.int64)
        if which == "train":
            return ctx.train.frame, np.asarray(ctx.train.y_true, dtype=np.int64)
        frame = pd.concat([ctx.train.frame, ctx.eval.frame], ignore_index=True)
        y = np.concatenate([ctx.train.y_true, ctx.eval.y_true]).astype(np.int64)
        return frame, y


def _statistics(frame: pd.DataFrame, missing: np.ndarray) -> dict[str, dict[str, Any]]:
    """Per-column descriptive statistics for the dataset card (no single row's value)."""
    out: dict[str, dict[str, Any]] = {}
    for j, column in enumerate(frame.columns):
        series = frame[column][~missing[:, j]]
        entry: dict[str, Any] = {"dtype": str(frame[column].dtype), "present": len(series)}
        if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(
            series.dtype
        ):
            values = series.to_numpy(dtype=np.float64)
            if values.size:
                q = np.percentile(values, [5, 50, 95])
                entry |= {
                    "mean": float(values.mean()),
                    "std": float(values.std()),
                    "p05": float(q[0]),
                    "median": float(q[1]),
                    "p95": float(q[2]),
                }
        else:
            entry["distinct"] = int(series.nunique())
        out[str(column)] = entry
    return out
