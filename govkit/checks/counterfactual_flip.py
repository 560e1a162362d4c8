"""fairness.counterfactual_flip: does changing only the protected attribute change the decision?

For every sensitive attribute the model takes as input, each row is
re-encoded with the attribute set to every other observed value, everything
else unchanged, and the model is run again. A row *flips* when any of those
counterfactual versions gets a different predicted label. The flip rate is
reported overall and per group (the row's actual value), with bootstrap
intervals. This is a test of direct use of the attribute, not of proxies.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd
from pydantic import Field

from govkit.attribution import stratified_sample
from govkit.checks.base import Check, CheckParams, Evidence, NotApplicable, SkipCheck
from govkit.checks.context import CheckContext
from govkit.report import Measurement
from govkit.stats.bootstrap import bootstrap_rows, percentile_interval
from govkit.stats.groups import make_grouping
from govkit.suite import Threshold

if TYPE_CHECKING:
    from govkit.attribution import TargetScore

__all__ = ["CounterfactualFlip", "CounterfactualFlipParams"]


class CounterfactualFlipParams(CheckParams):
    """Decision rule and limits of the counterfactual runs."""

    decision_threshold: float | None = Field(
        default=None,
        gt=0.0,
        lt=1.0,
        description="Binary tasks: a row is predicted positive when its positive-class "
        "probability is at least this; by default the project's model.threshold.",
    )
    max_values: int = Field(
        default=20,
        ge=2,
        le=1000,
        description="Attributes with more distinct values are set to this many of them "
        "(quantiles of a numeric attribute, the most frequent of a categorical one); "
        "per-group figures are reported only up to this many groups.",
    )
    max_rows: int = Field(
        default=100_000, ge=10, description="Larger eval sets use a seeded stratified sample."
    )


class CounterfactualFlip(Check):
    """Share of predictions that change when only a sensitive input changes."""

    id: ClassVar[str] = "fairness.counterfactual_flip"
    title: ClassVar[str] = "Counterfactual flips on sensitive inputs"
    Params: ClassVar[type[CounterfactualFlipParams]] = CounterfactualFlipParams
    requires_model: ClassVar[bool] = True
    requires_sensitive: ClassVar[bool] = True
    default_thresholds: ClassVar[tuple[Threshold, ...]] = (
        Threshold(metric="counterfactual_flip_rate", max=0.02),
    )

    def measure(self, ctx: CheckContext, params: CounterfactualFlipParams) -> Evidence:
        if ctx.model is None or ctx.encode is None or ctx.log_probs_of is None:
            raise SkipCheck(
                "needs the model and its input encoder; there are none in predictions-only mode"
            )
        frame = ctx.eval.frame
        # a feature is an input when it names a group of encoded columns or one column
        inputs = set(ctx.feature_groups) | set(ctx.feature_names)
        sensitive_in = [s for s in ctx.sensitive if s in inputs and s in frame.columns]
        if not sensitive_in:
            # by design: the model cannot use an attribute it is not given (proxies are
            # attribution.sensitive_reliance's job), so no input would make this measurable
            raise NotApplicable(
                "no sensitive attribute is a model input "
                f"(sensitive: {', '.join(ctx.sensitive) or 'none declared'}), so "
                "changing one cannot change a prediction directly"
            )
        rows = _rows(ctx, params, sensitive_in)
        frame = frame.iloc[rows]
        from govkit.attribution import TargetScore

        score = TargetScore(ctx.model, ctx.log_probs_of, ctx.task)
        base = _labels(ctx, score, frame, params)
        measurements: list[Measurement] = []
        small: list[str] = []
        details: dict[str, Any] = {
            "n_rows": len(frame),
            "n_eval": len(ctx.eval.frame),
            "decision_threshold": _threshold(ctx, params) if ctx.task == "binary" else None,
            "attributes": {},
        }
        rates = []
        for s in sensitive_in:
            flipped, per_value, values_note = _flips(ctx, score, frame, s, base, params)
            m, attr_small, overall = _rates(flipped, frame, s, params, ctx.seed)
            measurements.extend(m)
            small.extend(attr_small)
            rates.append(f"{s}: {overall:.1%}")
            details["attributes"][s] = {"flip_rate_by_value": per_value, "values": values_note}
        summary = (
            f"Changing only the sensitive input changes the predicted label of "
            f"{'; '.join(rates)} of {len(frame)} rows."
        )
        return Evidence(
            measurements=measurements, small_groups=small, details=details, summary=summary
        )


def _rows(
    ctx: CheckContext, params: CounterfactualFlipParams, sensitive_in: list[str]
) -> np.ndarray:
    n = len(ctx.eval.frame)
    if n <= params.max_rows:
        return np.arange(n)
    labels = np.asarray(ctx.eval.y_true, dtype=np.int64).reshape(-1)
    grouping = make_grouping(ctx.eval.frame, sensitive_in)
    strata = (labels - labels.min()) * grouping.n_groups + grouping.codes
    return stratified_sample(strata, params.max_rows, seed=ctx.seed)


def _labels(
    ctx: CheckContext, score: TargetScore, frame: pd.DataFrame, params: CounterfactualFlipParams
) -> np.ndarray:
    if ctx.encode is None:  # pragma: no cover - checked by the caller
        raise SkipCheck("no input encoder")
    x = ctx.encode(frame)
    from govkit.attribution import predict_log_probs

    lp = predict_log_probs(score, x, device=ctx.device, batch_size=ctx.batch_size)
    if ctx.task == "binary":
        return (lp[:, 1].exp() >= _threshold(ctx, params)).numpy().astype(np.int64)
    return lp.argmax(dim=1).numpy().astype(np.int64)


def _threshold(ctx: CheckContext, params: CounterfactualFlipParams) -> float:
    """The suite's decision threshold, else the project's, as the runner predicts."""
    if params.decision_threshold is not None:
        return params.decision_threshold
    return ctx.decision_threshold


def _candidates(column: pd.Series, max_values: int) -> tuple[list[Any], str]:
    present = column.dropna()
    uniques = present.unique()
    if len(uniques) <= max_values:
        return sorted(uniques.tolist(), key=str), "every observed value"
    if pd.api.types.is_numeric_dtype(present):
        qs = np.quantile(present.to_numpy(dtype=np.float64), np.linspace(0, 1, max_values))
        # keep the column's own values so an integer column stays integer
        values = present.to_numpy()
        picks = [values[np.argmin(np.abs(values - q))] for q in qs]
        return sorted(
            set(np.asarray(picks).tolist())
        ), f"{max_values} quantiles of the observed values"
    common = present.value_counts().index[:max_values].tolist()
    return sorted(common, key=str), f"the {max_values} most frequent values"


def _constant_like(column: pd.Series, value: Any) -> pd.Series:
    """A column holding ``value`` everywhere, keeping the column's dtype (and categories)."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        cat = pd.Categorical(
            [value] * len(column), categories=column.cat.categories, ordered=column.cat.ordered
        )
        return pd.Series(cat, index=column.index, name=column.name)
    return pd.Series(
        [value] * len(column), index=column.index, name=column.name, dtype=column.dtype
    )


def _flips(
    ctx: CheckContext,
    score: TargetScore,
    frame: pd.DataFrame,
    column: str,
    base: np.ndarray,
    params: CounterfactualFlipParams,
) -> tuple[np.ndarray, list[dict[str, Any]], str]:
    values, note = _candidates(frame[column], params.max_values)
    actual = frame[column]
    flipped = np.zeros(len(frame), dtype=bool)
    per_value = []
    for v in values:
        changed = ~(actual == v).fillna(False).to_numpy(dtype=bool)
        if not changed.any():
            continue
        counterfactual = frame.assign(**{column: _constant_like(actual, v)})
        labels = _labels(ctx, score, counterfactual, params)
        flips = (labels != base) & changed
        flipped |= flips
        per_value.append(
            {
                "set_to": str(v),
                "n": int(changed.sum()),
                "flip_rate": float(flips.sum() / changed.sum()),
            }
        )
    return flipped, per_value, note


def _rates(
    flipped: np.ndarray,
    frame: pd.DataFrame,
    column: str,
    params: CounterfactualFlipParams,
    seed: int,
) -> tuple[list[Measurement], list[str], float]:
    grouping = make_grouping(frame, [column])
    per_group = grouping.n_groups <= params.max_values
    f = flipped.astype(np.float64)
    k = grouping.n_groups if per_group else 0
    onehot = np.zeros((f.size, k))
    if per_group:
        onehot[np.arange(f.size), grouping.codes] = 1.0
    # column 0: every row; then one column per group
    cols = np.concatenate([np.ones((f.size, 1)), onehot], axis=1)
    hits = cols * f[:, None]

    def stat(w: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            return (w @ hits) / (w @ cols)

    point = stat(np.ones((1, f.size)))[0]
    ci = None
    if params.n_boot > 0 and f.size:
        ci = percentile_interval(
            bootstrap_rows(stat, f.size, n_boot=params.n_boot, seed=seed), params.confidence
        )
    sizes = cols.sum(axis=0).astype(int)

    def interval(j: int) -> tuple[float, float] | None:
        if ci is None or not np.isfinite(ci[:, j]).all():
            return None
        return float(ci[0, j]), float(ci[1, j])

    out = [
        Measurement(
            name="counterfactual_flip_rate",
            feature=column,
            value=float(point[0]),
            ci=interval(0),
            n=int(sizes[0]),
        )
    ]
    small = []
    for g in range(k):
        out.append(
            Measurement(
                name="counterfactual_flip_rate",
                group=grouping.labels[g],
                value=float(point[g + 1]),
                ci=interval(g + 1),
                n=int(sizes[g + 1]),
            )
        )
        if sizes[g + 1] < params.min_group_size:
            small.append(f"{grouping.describe(g)} (n={int(sizes[g + 1])})")
    return out, small, float(point[0])
