"""privacy.k_anonymity: how many people share each combination of quasi-identifiers.

Over the quasi-identifiers declared in govkit.yaml, rows agreeing on every one
form an equivalence class. ``k`` is the smallest class: a person alone in a
class (k = 1) can be singled out by anyone who knows those attributes. The
check also reports how many rows sit in classes smaller than the target k,
and, for a named sensitive column, the l-diversity (the fewest distinct
sensitive values in any class). No combination of values is ever reported:
a small class's values would identify its members.
"""

from __future__ import annotations

import itertools
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field

from govkit.checks.base import Check, CheckParams, Evidence, SkipCheck
from govkit.checks.context import CheckContext
from govkit.diagnostics import closest
from govkit.privacy.equivalence import class_codes, distinct_per_class
from govkit.report import Measurement
from govkit.scale.cells import WEIGHT
from govkit.scale.engines.base import DISTINCT_SENSITIVE
from govkit.stats.rates import wilson_interval
from govkit.suite import Threshold

__all__ = ["KAnonymity", "KAnonymityParams"]

_SIZE_BUCKETS = (1, 2, 5, 10, 20, 50, 100)


class KAnonymityParams(CheckParams):
    """Parameters of the k-anonymity check."""

    k: int = Field(default=5, ge=2, description="Target class size: smaller classes are counted.")
    sensitive_column: str | None = Field(
        default=None, description="Column whose l-diversity within classes is measured."
    )
    split: Literal["all", "eval", "train"] = Field(
        default="all", description="Rows measured: both splits together (the data set), or one."
    )


class KAnonymity(Check):
    """Smallest equivalence class, rows in small classes, and l-diversity."""

    id = "privacy.k_anonymity"
    title = "k-anonymity of quasi-identifiers"
    Params = KAnonymityParams
    default_thresholds = (Threshold(metric="k", min=5),)
    requires_quasi_identifiers = True

    def measure(self, ctx: CheckContext, params: Any) -> Evidence:
        qi = list(ctx.quasi_identifiers)
        if not qi:
            raise SkipCheck("no quasi-identifiers are declared (quasi_identifiers in govkit.yaml)")
        frame = self._rows(ctx, params.split)
        missing = [c for c in qi if c not in frame.columns]
        if missing:
            raise SkipCheck(f"column(s) {', '.join(missing)} are not in the data")
        if params.sensitive_column and params.sensitive_column not in frame.columns:
            # a misspelt column must not quietly turn the check into a skip that passes a release
            guess = closest(params.sensitive_column, [str(c) for c in frame.columns])
            raise ValueError(
                f"params.sensitive_column: no column named '{params.sensitive_column}' in the "
                f"data; {f'did you mean {guess!r}?' if guess else 'name a column of the data'}"
            )
        if frame.empty:
            raise SkipCheck("the data has no rows")
        table = ctx.class_sizes(params.split, tuple(qi), params.sensitive_column)
        diversity: np.ndarray | None = None
        if table is None:
            classes = class_codes(frame, qi)
            sizes = np.bincount(classes)
            if params.sensitive_column:
                diversity = distinct_per_class(classes, frame[params.sensitive_column])
            distinct = {c: int(frame[c].nunique(dropna=False)) for c in qi}
        else:
            # an engine's classes of every row: the same figures, without the rows
            sizes = table[WEIGHT].to_numpy(dtype=np.int64)
            if params.sensitive_column:
                diversity = table[DISTINCT_SENSITIVE].to_numpy(dtype=np.int64)
            distinct = {c: int(table[c].nunique(dropna=False)) for c in qi}
        return _evidence(qi, sizes, diversity, distinct, params)

    @staticmethod
    def _rows(ctx: CheckContext, which: str) -> pd.DataFrame:
        if which == "eval" or (which == "all" and ctx.train is None):
            return ctx.eval.frame
        if ctx.train is None:
            raise SkipCheck("split 'train' was asked for, but the project has no training split")
        if which == "train":
            return ctx.train.frame
        return pd.concat([ctx.train.frame, ctx.eval.frame], ignore_index=True)


def _share(name: str, hits: int, n: int, params: Any) -> Measurement:
    # a Wilson score interval: 0 rows in small classes never gives [0, 0]
    lo, hi = wilson_interval(hits, n, params.confidence)
    ci = (float(lo), float(hi)) if n > 0 else None
    return Measurement(name=name, value=hits / n, ci=ci, n=n)


def _evidence(
    qi: list[str],
    sizes: np.ndarray,
    diversity: np.ndarray | None,
    distinct: dict[str, int],
    params: Any,
) -> Evidence:
    """The figures of the equivalence classes, from their sizes (and sensitive diversity)."""
    n = int(sizes.sum())
    k = int(sizes.min())
    small = sizes < params.k
    small_rows = int(sizes[small].sum())
    measurements = [
        Measurement(name="k", value=float(k), n=n),
        Measurement(name="equivalence_classes", value=float(len(sizes)), n=n),
        Measurement(name="small_class_rows", value=float(small_rows), n=n),
        _share("small_class_share", small_rows, n, params),
        _share("unique_row_share", int(sizes[sizes == 1].sum()), n, params),
    ]
    details: dict[str, Any] = {
        "quasi_identifiers": qi,
        "rows": n,
        "split": params.split,
        "k": k,
        "target_k": params.k,
        "equivalence_classes": len(sizes),
        "classes_below_target": int(small.sum()),
        "rows_below_target": small_rows,
        "class_size_histogram": _histogram(sizes),
        "distinct_values": distinct,
    }
    if params.sensitive_column and diversity is not None:
        l_div = int(diversity.min())
        measurements.append(
            Measurement(
                name="l_diversity", feature=params.sensitive_column, value=float(l_div), n=n
            )
        )
        details["l_diversity"] = l_div
        details["classes_with_one_sensitive_value"] = int((diversity == 1).sum())
    summary = (
        f"Every combination of {', '.join(qi)} is shared by at least {k} rows "
        f"({len(sizes)} classes over {n} rows)."
    )
    return Evidence(measurements=measurements, details=details, summary=summary)


def _histogram(sizes: np.ndarray) -> list[dict[str, Any]]:
    """Classes and rows per class-size bucket (1, 2-4, 5-9, ...), for the packet."""
    edges = [*_SIZE_BUCKETS, np.iinfo(np.int64).max]
    out = []
    for lo, hi in itertools.pairwise(edges):
        inside = (sizes >= lo) & (sizes < hi)
        label = f"{lo}" if hi == lo + 1 else (f"{lo}-{hi - 1}" if hi != edges[-1] else f">={lo}")
        out.append({"size": label, "classes": int(inside.sum()), "rows": int(sizes[inside].sum())})
    return out
