"""data.quality: missing values, label balance and group representation.

Measured per column and per group of the sensitive columns, so the dataset
card's automated fields (missing data, statistics, subpopulations) can be
filled from the report. Group shares are compared with the population shares
the dataset card declares, when it declares them. A column with a single
value, or with no value at all, is a failure: it carries no information and
usually means a broken join or export.
"""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field

from govkit.checks.base import Check, CheckParams, Evidence
from govkit.checks.context import CheckContext
from govkit.privacy.cards import declared_missing_markers, declared_population_shares
from govkit.privacy.missing import DEFAULT_MISSING_MARKERS
from govkit.report import Measurement
from govkit.scale.cells import WEIGHT
from govkit.scale.engines.base import (
    ANY_MISSING,
    Profile,
    ProfileSpec,
    missing_column,
    profile_of_frame,
)
from govkit.stats.groups import Grouping, groupings
from govkit.stats.rates import wilson_interval
from govkit.suite import Threshold

__all__ = ["CLASS", "Quality", "QualityParams"]

#: column of the profile counts holding the label as a class index
CLASS = "__govkit_class"


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
        markers = [*params.missing_markers, *declared_missing_markers(ctx.documents)]
        columns = [str(c) for c in frame.columns]
        sensitive = [c for c in ctx.sensitive if c in frame.columns]
        profile = ctx.profile(params.split, tuple(columns), tuple(sensitive), tuple(markers))
        if profile is None:
            # the rows in memory are profiled as an engine profiles its table, so one
            # measuring step serves both
            rows = frame.copy(deep=False)
            rows[CLASS] = y
            spec = ProfileSpec(tuple(columns), tuple(sensitive), CLASS, tuple(markers))
            profile = profile_of_frame(rows, spec)
        return self._measure_profile(profile, columns, sensitive, markers, ctx, params)

    def _measure_profile(
        self,
        profile: Profile,
        columns: list[str],
        sensitive: list[str],
        markers: list[str],
        ctx: CheckContext,
        params: Any,
    ) -> Evidence:
        """Every figure from the profile: per-group counts with the label coded in :data:`CLASS`."""
        counts = profile.counts
        weight = counts[WEIGHT].to_numpy(dtype=np.int64)
        y = counts[CLASS].to_numpy(dtype=np.int64)
        n = int(weight.sum())
        measurements: list[Measurement] = []
        failures: list[str] = []
        small: list[str] = []

        missing = (
            np.stack([counts[missing_column(c)].to_numpy(dtype=np.int64) for c in columns], axis=1)
            if columns
            else np.zeros((len(counts), 0), dtype=np.int64)
        )
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

        distinct = [int(profile.columns["distinct"].get(c, 0)) for c in columns]
        all_missing = [c for j, c in enumerate(columns) if n and miss_counts[j] == n]
        constant = [c for j, c in enumerate(columns) if distinct[j] == 1]
        failures += [f"column '{c}' has no value in any of the {n} rows" for c in all_missing]
        failures += [
            f"column '{c}' holds a single value in every row that has one" for c in constant
        ]

        label_counts = _class_counts(y, weight)
        any_missing = counts[ANY_MISSING].to_numpy(dtype=np.int64)
        details: dict[str, Any] = {
            "rows": n,
            "split": params.split,
            "missing_markers": markers,
            "missing_rate": {
                c: float(miss_counts[j] / n) if n else None for j, c in enumerate(columns)
            },
            "missing_count": {c: int(miss_counts[j]) for j, c in enumerate(columns)},
            "rows_with_missing": int(any_missing.sum()),
            "distinct_values": dict(zip(columns, distinct, strict=True)),
            "constant_columns": constant,
            "all_missing_columns": all_missing,
            "label_distribution": {str(c): int(k) for c, k in enumerate(label_counts)},
            "statistics": _statistics(profile, columns),
        }
        measurements += self._label_balance(None, label_counts, ctx, params)

        declared = declared_population_shares(ctx.documents)
        details["declared_population_shares"] = declared
        details["groups"] = {}
        for grouping in groupings(counts, sensitive) if sensitive else []:
            measurements += self._groups(
                grouping,
                y,
                weight,
                any_missing,
                missing,
                columns,
                declared,
                ctx,
                params,
                details,
                small,
            )
        if profile.approximate:
            details["approximate"] = list(profile.approximate)
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
        weight: np.ndarray,
        any_missing_rows: np.ndarray,
        missing: np.ndarray,
        columns: list[str],
        declared: dict[str, dict[str, float]],
        ctx: CheckContext,
        params: Any,
        details: dict[str, Any],
        small: list[str],
    ) -> list[Measurement]:
        out: list[Measurement] = []
        sizes = np.bincount(grouping.codes, weights=weight, minlength=grouping.n_groups)
        n = float(sizes.sum())
        share_ci = _ci(sizes, np.full_like(sizes, n), params)
        any_missing = np.bincount(
            grouping.codes, weights=any_missing_rows, minlength=grouping.n_groups
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
            at = grouping.codes == code
            out += self._label_balance(label, _class_counts(y[at], weight[at]), ctx, params)
            table.append(row)
        details["groups"][grouping.feature] = table
        return out

    @staticmethod
    def _label_balance(
        group: dict[str, str] | None, counts: np.ndarray, ctx: CheckContext, params: Any
    ) -> list[Measurement]:
        """binary: base_rate (share of positive labels); multiclass: class_share per class.

        ``counts`` holds the rows of each class index.
        """
        n = int(counts.sum())
        if n == 0:
            return []
        if ctx.task == "binary":
            hits = np.array([float(counts[1]) if len(counts) > 1 else 0.0])
            ci = _ci(hits, np.array([float(n)]), params)
            return [
                Measurement(name="base_rate", group=group, value=hits[0] / n, ci=_pair(ci, 0), n=n)
            ]
        shares = counts.astype(np.float64)
        ci = _ci(shares, np.full_like(shares, float(n)), params)
        return [
            Measurement(
                name="class_share",
                group=group,
                feature=f"label={c}",
                value=shares[c] / n,
                ci=_pair(ci, c),
                n=n,
            )
            for c in range(len(shares))
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


def _class_counts(y: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Rows of each class index, up to the largest present (``np.bincount`` of the rows)."""
    if y.size == 0:
        return np.zeros(0, dtype=np.int64)
    return np.bincount(y, weights=weight, minlength=int(y.max()) + 1).astype(np.int64)


def _statistics(profile: Profile, columns: list[str]) -> dict[str, dict[str, Any]]:
    """Per-column descriptive statistics for the dataset card (no single row's value)."""
    out: dict[str, dict[str, Any]] = {}
    for column in columns:
        row = profile.columns.loc[column].to_dict()
        entry: dict[str, Any] = {"dtype": str(row["dtype"]), "present": int(row["present"])}
        if _numeric(str(row["dtype"])) or not math.isnan(float(row["mean"])):
            if not math.isnan(float(row["mean"])):
                entry |= {k: float(row[k]) for k in ("mean", "std", "p05", "median", "p95")}
        else:
            entry["distinct"] = int(row["distinct"])
        out[column] = entry
    return out


def _numeric(dtype: str) -> bool:
    """Whether a column of this dtype gets numeric statistics (numbers, not booleans)."""
    try:
        kind = pd.api.types.pandas_dtype(dtype)
    except TypeError:
        return False
    return bool(pd.api.types.is_numeric_dtype(kind) and not pd.api.types.is_bool_dtype(kind))
