"""fairness.counterfactual_flip: does changing only the protected attribute change the decision?

For every sensitive attribute the model takes as input, each row is
re-encoded with the attribute set to each other observed value in turn,
everything else unchanged, and the model is run again. A row *flips* under
an alternative value when its predicted label changes.

Each alternative is measured on its own: the flip rate of "set to ``v``" is
the share of flips among the rows whose value is not already ``v``. A rate
that pooled the alternatives ("any change flips the row") grows with the
number of categories, so a five-valued ``race`` and a two-valued ``sex``
could not be compared against one bound; a rate per alternative can.

Judged figures (``counterfactual_flip_rate``):

- overall, per attribute (``feature`` names it): the *largest* of its
  per-alternative flip rates, with that alternative's ``n`` and interval;
- per group (the row's actual value): the largest flip rate of that group's
  rows over the alternatives.

Every rate has a Wilson score interval (``govkit.stats.rates``): no flips in
``n`` rows gives ``[0, u]`` with ``u > 0``, never ``[0, 0]``, so a 2% bound
judged on the interval does not pass on 100 rows without a flip. The rate of
each alternative is reported too (``counterfactual_flip_rate_to``, ``group``
naming the value set), and that of each group-to-value pair in the details.
This is a test of direct use of the attribute, not of proxies.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd
from pydantic import Field

from govkit.attribution import stratified_sample
from govkit.checks.base import Check, CheckParams, Evidence, NotApplicable, SkipCheck
from govkit.checks.context import CheckContext
from govkit.report import Measurement
from govkit.stats.groups import make_grouping
from govkit.stats.rates import wilson_interval
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

    id = "fairness.counterfactual_flip"
    title = "Counterfactual flips on sensitive inputs"
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
            flips = _flips(ctx, score, frame, s, base, params)
            m, attr_small, attr_details = _rates(flips, frame, s, params)
            measurements.extend(m)
            small.extend(attr_small)
            worst = attr_details["largest"]
            if worst is None:
                rates.append(f"{s}: none, it has a single value in these rows")
            else:
                rates.append(f"{s} set to {worst['set_to']}: {worst['flip_rate']:.1%}")
            details["attributes"][s] = attr_details
        summary = (
            "The largest share of predicted labels that change when only one sensitive "
            f"input is set to another value is {'; '.join(rates)} "
            f"(of {len(frame)} rows)."
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
    from govkit.attribution import predict_log_probs_tensor

    lp = predict_log_probs_tensor(score, x, device=ctx.device, batch_size=ctx.batch_size)
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


@dataclass(frozen=True)
class _Flips:
    """Per alternative value ``v``: which rows were changed (not already ``v``) and flipped."""

    values: list[Any]
    note: str
    changed: np.ndarray  # (n_values, n_rows) bool
    flipped: np.ndarray  # (n_values, n_rows) bool, only where changed


def _flips(
    ctx: CheckContext,
    score: TargetScore,
    frame: pd.DataFrame,
    column: str,
    base: np.ndarray,
    params: CounterfactualFlipParams,
) -> _Flips:
    values, note = _candidates(frame[column], params.max_values)
    actual = frame[column]
    kept: list[Any] = []
    changed_rows: list[np.ndarray] = []
    flipped_rows: list[np.ndarray] = []
    for v in values:
        changed = ~(actual == v).fillna(False).to_numpy(dtype=bool)
        if not changed.any():
            continue
        counterfactual = frame.assign(**{column: _constant_like(actual, v)})
        labels = _labels(ctx, score, counterfactual, params)
        kept.append(v)
        changed_rows.append(changed)
        flipped_rows.append((labels != base) & changed)
    shape = (0, len(frame))
    return _Flips(
        kept,
        note,
        np.stack(changed_rows) if kept else np.zeros(shape, dtype=bool),
        np.stack(flipped_rows) if kept else np.zeros(shape, dtype=bool),
    )


def _rate(events: int, n: int, confidence: float) -> dict[str, Any]:
    low, high = wilson_interval(events, n, confidence)
    ci = [float(low), float(high)] if n > 0 else None
    return {"flips": events, "n": n, "flip_rate": events / n if n else None, "ci": ci}


def _ci(entry: dict[str, Any]) -> tuple[float, float] | None:
    ci = entry["ci"]
    return None if ci is None else (ci[0], ci[1])


def _rates(
    flips: _Flips,
    frame: pd.DataFrame,
    column: str,
    params: CounterfactualFlipParams,
) -> tuple[list[Measurement], list[str], dict[str, Any]]:
    """Measurements, small groups and details of one attribute's counterfactual runs."""
    conf = params.confidence
    n_changed = flips.changed.sum(axis=1)
    n_flipped = flips.flipped.sum(axis=1)
    per_value = [
        {"set_to": str(v), **_rate(int(k), int(n), conf)}
        for v, k, n in zip(flips.values, n_flipped, n_changed, strict=True)
    ]
    out: list[Measurement] = []
    # the judged figure: the alternative whose flip rate is largest
    largest = max(per_value, key=lambda e: e["flip_rate"], default=None)
    out.append(
        Measurement(
            name="counterfactual_flip_rate",
            feature=column,
            value=None if largest is None else largest["flip_rate"],
            ci=None if largest is None else _ci(largest),
            n=None if largest is None else largest["n"],
        )
    )
    for entry in per_value:
        out.append(
            Measurement(
                name="counterfactual_flip_rate_to",
                feature=column,
                group={column: entry["set_to"]},
                value=entry["flip_rate"],
                ci=_ci(entry),
                n=entry["n"],
            )
        )
    # a row flips under some alternative: reported, not judged (it grows with the categories)
    any_flip = flips.flipped.any(axis=0)
    details: dict[str, Any] = {
        "values": flips.note,
        "flip_rate_by_value": per_value,
        "largest": largest,
        "any_value_flip_rate": _rate(int(any_flip.sum()), int(any_flip.size), conf),
        "by_group": [],
    }
    grouping = make_grouping(frame, [column])
    small: list[str] = []
    if grouping.n_groups > params.max_values or not flips.values:
        return out, small, details
    k = grouping.n_groups
    # (alternatives, groups): rows of each group changed to, and flipped by, each alternative
    pair_n = np.stack([np.bincount(grouping.codes, weights=c, minlength=k) for c in flips.changed])
    pair_k = np.stack([np.bincount(grouping.codes, weights=f, minlength=k) for f in flips.flipped])
    sizes = grouping.sizes()
    for g in range(k):
        pairs = [
            {"set_to": str(v), **_rate(int(pair_k[j, g]), int(pair_n[j, g]), conf)}
            for j, v in enumerate(flips.values)
            if pair_n[j, g] > 0
        ]
        worst = max(pairs, key=lambda e: e["flip_rate"], default=None)
        details["by_group"].append({"group": grouping.labels[g], "pairs": pairs})
        out.append(
            Measurement(
                name="counterfactual_flip_rate",
                group=grouping.labels[g],
                value=None if worst is None else worst["flip_rate"],
                ci=None if worst is None else _ci(worst),
                n=int(sizes[g]),
            )
        )
        if sizes[g] < params.min_group_size:
            small.append(f"{grouping.describe(g)} (n={int(sizes[g])})")
    return out, small, details
