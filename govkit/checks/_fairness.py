"""What the group-fairness checks share: per-group rates, which groups are judged, gaps.

Demographic parity, equalized odds and equal opportunity differ only in
which confusion-matrix rates they compare across groups and what they call
the aggregates, so each check is a :class:`FairnessSpec` and this module does
the work, in three steps kept apart:

1. **Rates.** Every group's rate (and the overall one) with its Wilson score
   interval (:func:`govkit.stats.rates.wilson_interval`), over the rows the
   rate uses: all rows for the selection rate, positive labels for the true
   positive rate, negative labels for the false positive rate.
2. **Which groups are judged.** A group is judged for a rate when those rows
   number at least ``min_group_size`` *and* the rate's interval would be at
   most ``max_half_width`` wide on each side whatever the rate is (the Wilson
   half-width at 1/2). Smaller groups keep their figures in the report, are
   named in ``Evidence.small_groups`` with the reason, and take no part in
   the aggregates: the largest-minus-smallest of many noisy small groups is
   biased far above the true gap, so it would fail fair models.
3. **Gaps.** The difference and ratio of a grouping are fairlearn's
   (``MetricFrame.difference``/``ratio``, ``method="between_groups"``;
   equalized odds takes the larger difference and the smaller ratio of its
   two rates) computed over the judged groups; fairlearn's figure over every
   group is kept in ``details``. Their intervals are simultaneous bootstrap
   intervals over every pair of judged groups (a max-t bootstrap, as in
   Cherian and Candès, arXiv 2305.03712): with probability ``confidence``
   every pairwise gap lies within its band at once, so the interval of the
   largest gap holds the true largest gap, 0 included for a fair model. A
   percentile interval of max-minus-min never does: every replicate of a
   range is above 0.

The rates depend only on per-group cell counts, so the bootstrap resamples
the counts (Poisson), not the rows: time does not grow with the number of
rows, and every replicate is computed at once. For the same reason a split of
weighted cells (``Split.weights``, an engine's statistics) gives exactly the
figures of its rows.

Each baseline of the run gets the same figures (``model`` set), and every
rate and aggregate also gets the paired difference candidate minus baseline
(``vs`` set, :func:`paired_fairness`): the counts are cross-tabulated by both
models' labels, so one resample of those joint cells resamples the same rows
for both.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import Field

from govkit.checks._figures import per_group
from govkit.checks.base import CheckParams, Evidence, SkipCheck
from govkit.report import Measurement
from govkit.stats.bootstrap import poisson_counts
from govkit.stats.confusion import (
    between_groups_difference,
    between_groups_ratio,
    confusion_counts,
    false_positive_rate,
    first_max,
    first_min,
    selection_rate,
    true_positive_rate,
)
from govkit.stats.gaps import pairwise_gap_intervals, worst_case_half_width
from govkit.stats.intervals import to_value
from govkit.stats.layers import Layer
from govkit.stats.paired import joint_counts, paired_interval, split_joint
from govkit.stats.rates import wilson_interval
from govkit.stats.seeding import derive_seed

if TYPE_CHECKING:
    from govkit.checks.context import CheckContext

__all__ = [
    "FairnessParams",
    "FairnessSpec",
    "GroupingGaps",
    "fairness_evidence",
    "grouping_gaps",
    "judge_groups",
    "measure_fairness",
    "paired_fairness",
]

SMALL_GROUP_POLICY = (
    "A group is judged for a rate only when the rows the rate uses (all rows, positive "
    "labels, or negative labels) number at least min_group_size and the rate's interval "
    "would be at most max_half_width wide on each side whatever the rate. Other groups "
    "keep their figures in measurements, are named as not judged, and take no part in the "
    "differences and ratios; a result with such groups is never a pass."
)

_RateFn = Callable[[np.ndarray], np.ndarray]


class FairnessParams(CheckParams):
    """Parameters of the group-fairness checks."""

    max_half_width: float = Field(
        default=0.07,
        gt=0.0,
        le=0.5,
        description="A group is judged for a rate only when that rate's interval would be at "
        "most this wide on each side whatever the rate (193 rows at 0.07). Keep it "
        "below the threshold's bound: 0.07 suits the default bound of 0.10.",
    )


@dataclass(frozen=True)
class _Rate:
    fn: _RateFn
    #: the events of the rate from a (..., 2, 2) count matrix
    events: Callable[[np.ndarray], np.ndarray]
    #: the rows the rate is taken over, from a (..., 2, 2) count matrix: its sample size
    support: Callable[[np.ndarray], np.ndarray]
    #: how the rows a rate uses are described (None: the group itself)
    subset: str | None


_RATES: dict[str, _Rate] = {
    "selection_rate": _Rate(
        selection_rate,
        lambda cm: cm[..., :, 1].sum(axis=-1),
        lambda cm: cm.sum(axis=(-2, -1)),
        None,
    ),
    "true_positive_rate": _Rate(
        true_positive_rate,
        lambda cm: cm[..., 1, 1],
        lambda cm: cm[..., 1, :].sum(axis=-1),
        "label=1",
    ),
    "false_positive_rate": _Rate(
        false_positive_rate,
        lambda cm: cm[..., 0, 1],
        lambda cm: cm[..., 0, :].sum(axis=-1),
        "label=0",
    ),
}


@dataclass(frozen=True)
class FairnessSpec:
    """Which rates a fairness check compares and what its aggregates are called.

    With several rates, the aggregate difference is the largest of the rates'
    differences and the aggregate ratio the smallest of their ratios, in the
    order given (fairlearn's ``agg="worst_case"``).
    """

    rates: tuple[str, ...]
    difference: str
    ratio: str


def judge_groups(
    support: np.ndarray, *, min_group_size: int, max_half_width: float, confidence: float
) -> np.ndarray:
    """Which groups are large enough to judge a rate taken over ``support`` rows each.

    Parameters
    ----------
    support
        Rows the rate uses, per group.
    min_group_size
        The user's floor.
    max_half_width
        The widest interval half-width accepted, at the worst case (a rate of 1/2).
    confidence
        Level of that interval.

    Returns
    -------
    numpy.ndarray
        Boolean mask, True for a judged group.
    """
    n = np.asarray(support, dtype=np.float64)
    half = worst_case_half_width(n, confidence)
    return (n >= min_group_size) & (half <= max_half_width)


@dataclass(frozen=True)
class GroupingGaps:
    """The difference and ratio of one grouping over its judged groups, with intervals."""

    difference: float
    ratio: float
    difference_ci: tuple[float, float] | None
    ratio_ci: tuple[float, float] | None
    #: per rate: (difference, ratio) over the judged groups
    components: dict[str, tuple[float, float]]


def grouping_gaps(
    spec: FairnessSpec,
    counts: np.ndarray,
    judged: dict[str, np.ndarray],
    reps: np.ndarray | None,
    confidence: float,
) -> GroupingGaps:
    """Gaps of ``spec``'s rates over the judged groups of one grouping.

    Parameters
    ----------
    spec
        The check's rates and aggregate names.
    counts
        ``(G, 2, 2)`` confusion counts per group.
    judged
        Per rate, the ``(G,)`` mask of judged groups.
    reps
        ``(B, G, 2, 2)`` bootstrap replicates of ``counts``, or None for no intervals.
    confidence
        Simultaneous level of the intervals.

    Returns
    -------
    GroupingGaps
        NaN figures when fewer than two groups are judged for a rate.
    """
    diff = ratio = np.asarray(np.nan)
    components: dict[str, tuple[float, float]] = {}
    blocks: list[tuple[np.ndarray, np.ndarray]] = []
    combined = 0
    for name in spec.rates:
        keep = judged[name]
        point = _RATES[name].fn(counts)
        rates = np.where(keep, point, np.nan)
        d, r = between_groups_difference(rates), between_groups_ratio(rates)
        if int(keep.sum()) < 2:
            # one group compared with nothing is no evidence of parity: this rate
            # has no gap and no part in the aggregate
            components[name] = (float("nan"), float("nan"))
        else:
            components[name] = (float(d), float(r))
            diff, ratio = (d, r) if not combined else (first_max(diff, d), first_min(ratio, r))
            combined += 1
        if reps is not None:
            blocks.append((point[keep], _RATES[name].fn(reps)[:, keep]))
    difference_ci = ratio_ci = None
    if blocks:
        # one critical value over every pair of every rate: equalized odds' two
        # rates must hold their bands at once for its interval to cover
        # a rate with fewer than two judged groups has no gap (and no part in the value)
        differences = [d for d in pairwise_gap_intervals(blocks, confidence) if d is not None]
        if differences:
            difference_ci = (max(d.low for d in differences), max(d.high for d in differences))
        # the ratio is exp(-largest log gap); the smallest over rates for equalized odds
        log_gaps = pairwise_gap_intervals(blocks, confidence, log=True)
        if all(r is not None for r in log_gaps):
            ratio_ci = (
                min(math.exp(-r.high) for r in log_gaps if r is not None),
                min(math.exp(-r.low) for r in log_gaps if r is not None),
            )
    return GroupingGaps(float(diff), float(ratio), difference_ci, ratio_ci, components)


def _binary_inputs(ctx: CheckContext) -> tuple[np.ndarray, np.ndarray]:
    if ctx.task != "binary":
        raise SkipCheck(
            f"group fairness rates need a binary task; this project's task is {ctx.task}"
        )
    if not ctx.sensitive:
        raise SkipCheck("govkit.yaml names no sensitive columns to compare groups on")
    y_true = np.asarray(ctx.eval.y_true, dtype=np.int64)
    y_pred = np.asarray(ctx.predictions("eval").labels, dtype=np.int64)
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"{y_true.shape[0]} labels but {y_pred.shape[0]} predictions on the eval split"
        )
    for name, arr in (("labels", y_true), ("predictions", y_pred)):
        if arr.size and (arr.min() < 0 or arr.max() > 1):
            raise ValueError(f"binary {name} must be 0 or 1")
    return y_true, y_pred


def _judged_groups(
    spec: FairnessSpec, counts: np.ndarray, params: Any, max_half_width: float
) -> dict[str, np.ndarray]:
    """For each rate of ``spec``, which groups have the rows to be judged on it."""
    return {
        name: judge_groups(
            _RATES[name].support(counts),
            min_group_size=params.min_group_size,
            max_half_width=max_half_width,
            confidence=params.confidence,
        )
        for name in spec.rates
    }


def measure_fairness(ctx: CheckContext, params: CheckParams, spec: FairnessSpec) -> Evidence:
    """Per-group rates, the judged groups, and between-group aggregates for every grouping.

    Parameters
    ----------
    ctx
        The run's context; uses the eval split's labels, predicted labels and
        sensitive columns.
    params
        ``min_group_size``, ``max_half_width``, ``n_boot``, ``confidence``.
    spec
        The rates and aggregate names of the calling check.

    Returns
    -------
    Evidence
        Overall rates (group and feature null), per-group rates (group set),
        per-grouping aggregates over the judged groups (group null, feature
        the column or ``a&b``); ``details.groupings[].groups[]`` says which
        groups were judged and why not.
    """
    y_true, y_pred = _binary_inputs(ctx)
    all_layers = ctx.eval.layers(list(ctx.sensitive))
    weights = ctx.eval.weights
    tables = [
        (layer, confusion_counts(layer.codes, layer.n_groups, y_true, y_pred, weights=weights))
        for layer in all_layers
    ]
    evidence = fairness_evidence(tables, params, spec, seed=ctx.seed)
    for name in ctx.baselines():
        base = _binary_labels(ctx.predictions_of_baseline(name).labels, y_true, name)
        joints = [
            (layer, joint_counts(layer.codes, layer.n_groups, y_true, y_pred, base, 2, weights))
            for layer in all_layers
        ]
        own = fairness_evidence(
            [(layer, split_joint(j)[1]) for layer, j in joints], params, spec, seed=ctx.seed
        )
        evidence.measurements += [m.model_copy(update={"model": name}) for m in own.measurements]
        evidence.measurements += paired_fairness(joints, params, spec, seed=ctx.seed, vs=name)
    return evidence


def _binary_labels(labels: np.ndarray, y_true: np.ndarray, name: str) -> np.ndarray:
    out = np.asarray(labels, dtype=np.int64)
    if out.shape != y_true.shape or (out.size and (out.min() < 0 or out.max() > 1)):
        raise ValueError(f"baseline '{name}' has no binary prediction for every eval row")
    return out


def _aggregates(
    spec: FairnessSpec, counts: np.ndarray, judged: dict[str, np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """The check's difference and ratio over the judged groups, for ``(..., G, 2, 2)`` counts."""
    diff = ratio = np.full(counts.shape[:-3], np.nan)
    combined = False
    for name in spec.rates:
        keep = judged[name]
        if int(keep.sum()) < 2:
            continue  # no gap for this rate (as in grouping_gaps)
        rates = np.where(keep, _RATES[name].fn(counts), np.nan)
        d, r = between_groups_difference(rates), between_groups_ratio(rates)
        diff, ratio = (d, r) if not combined else (first_max(diff, d), first_min(ratio, r))
        combined = True
    return diff, ratio


def paired_fairness(
    joints: list[tuple[Layer, np.ndarray]],
    params: CheckParams,
    spec: FairnessSpec,
    *,
    seed: int,
    vs: str,
) -> list[Measurement]:
    """Candidate minus baseline for every rate and aggregate, paired on the same rows.

    Parameters
    ----------
    joints
        Per layer (overall first), its ``(G, 2, 2, 2)`` counts by true label,
        candidate's label and baseline's label
        (:func:`govkit.stats.paired.joint_counts`).
    params, spec
        As in :func:`fairness_evidence`.
    seed
        The run's seed; each layer derives its own from it and ``vs``.
    vs
        The baseline's name, written into each measurement's ``vs``.

    Returns
    -------
    list of Measurement
        Per group, each rate's difference; per grouping, the difference of
        the aggregates over the groups judged for the candidate (the same
        groups for both models: a rate's rows depend on the true labels
        only). Intervals are percentile intervals of the paired replicates,
        resampled over the joint cells so both models see the same rows.
    """
    max_half_width = float(getattr(params, "max_half_width", FairnessParams().max_half_width))
    out: list[Measurement] = []
    for layer, joint in joints:
        ca, cb = split_joint(joint)
        ra = rb = None
        if params.n_boot > 0:
            key = derive_seed(seed, "fairness-vs", vs, layer.feature or "(overall)")
            ra, rb = split_joint(poisson_counts(joint, n_boot=params.n_boot, seed=key))
        for name in spec.rates:
            rate = _RATES[name]
            value = rate.fn(ca) - rate.fn(cb)
            bounds = (
                None
                if ra is None or rb is None
                else paired_interval(rate.fn(ra), rate.fn(rb), params.confidence)
            )
            out.extend(per_group(name, layer, value, bounds, rate.support(ca), vs=vs))
        if layer.grouping is None:
            continue
        judged = _judged_groups(spec, ca, params, max_half_width)
        judged_all = np.logical_and.reduce([judged[name] for name in spec.rates])
        n_rows = int(ca[judged_all].sum()) if judged_all.any() else 0
        point_a, point_b = _aggregates(spec, ca, judged), _aggregates(spec, cb, judged)
        reps_a = reps_b = None
        if ra is not None and rb is not None:
            reps_a, reps_b = _aggregates(spec, ra, judged), _aggregates(spec, rb, judged)
        for k, name in enumerate((spec.difference, spec.ratio)):
            ci = None
            if reps_a is not None and reps_b is not None:
                bounds = paired_interval(reps_a[k], reps_b[k], params.confidence)
                low, high = float(bounds[0]), float(bounds[1])
                ci = None if math.isnan(low) or math.isnan(high) else (low, high)
            out.append(
                Measurement(
                    name=name,
                    group=None,
                    feature=layer.grouping.feature,
                    value=to_value(point_a[k] - point_b[k]),
                    ci=ci,
                    n=n_rows,
                    vs=vs,
                )
            )
    return out


def fairness_evidence(
    tables: list[tuple[Layer, np.ndarray]], params: CheckParams, spec: FairnessSpec, *, seed: int
) -> Evidence:
    """The measuring step of :func:`measure_fairness`, from confusion counts.

    Parameters
    ----------
    tables
        Per layer (overall first, then each grouping), its ``(G, 2, 2)``
        confusion counts (true label by predicted label).
    params
        ``min_group_size``, ``max_half_width``, ``n_boot``, ``confidence``.
    spec
        The rates and aggregate names of the calling check.
    seed
        The run's seed; each grouping's bootstrap derives its own from it.

    Returns
    -------
    Evidence
        As :func:`measure_fairness`.
    """
    max_half_width = float(getattr(params, "max_half_width", FairnessParams().max_half_width))
    evidence = Evidence(
        details={
            "small_group_policy": SMALL_GROUP_POLICY,
            "interval": "rates: Wilson score; differences and ratios: simultaneous max-t "
            "bootstrap over every pair of judged groups",
            "groupings": [],
        }
    )
    worst: tuple[float, str] | None = None
    for layer, counts in tables:
        for name in spec.rates:
            rate = _RATES[name]
            value = rate.fn(counts)
            support = rate.support(counts)
            bounds = wilson_interval(rate.events(counts), support, params.confidence)
            evidence.measurements.extend(per_group(name, layer, value, bounds, support))
        if layer.grouping is None:
            continue
        gaps = _measure_grouping(evidence, layer, counts, seed, params, max_half_width, spec)
        if not math.isnan(gaps.difference) and (worst is None or gaps.difference > worst[0]):
            worst = (gaps.difference, layer.grouping.feature)

    if worst is not None:
        evidence.summary = (
            f"The largest {spec.difference} over judged groups is {worst[0]:.3f} "
            f"(over {worst[1]}), across {len(tables) - 1} grouping(s)."
        )
    return evidence


def _measure_grouping(
    evidence: Evidence,
    layer: Layer,
    counts: np.ndarray,
    seed: int,
    params: CheckParams,
    max_half_width: float,
    spec: FairnessSpec,
) -> GroupingGaps:
    """Judge the groups of one grouping, add its aggregates and its details entry."""
    grouping = layer.grouping
    assert grouping is not None
    feature = grouping.feature
    judged = _judged_groups(spec, counts, params, max_half_width)
    reps = None
    active = np.logical_or.reduce([judged[name] for name in spec.rates])
    if params.n_boot > 0 and int(active.sum()) >= 2:
        # only judged groups enter a gap, so only they are resampled; the same seed
        # per grouping in every check resamples a shared rate alike in each
        reps = np.zeros((params.n_boot, *counts.shape))
        reps[:, active] = poisson_counts(
            counts[active], n_boot=params.n_boot, seed=derive_seed(seed, "fairness", feature)
        )
    gaps = grouping_gaps(spec, counts, judged, reps, params.confidence)
    every = np.ones(grouping.n_groups, dtype=bool)
    fairlearn = grouping_gaps(spec, counts, dict.fromkeys(spec.rates, every), None, 0.5)
    judged_all = np.logical_and.reduce([judged[name] for name in spec.rates])
    n_rows = int(counts[judged_all].sum()) if judged_all.any() else 0
    for name, value, ci in (
        (spec.difference, gaps.difference, gaps.difference_ci),
        (spec.ratio, gaps.ratio, gaps.ratio_ci),
    ):
        evidence.measurements.append(
            Measurement(
                name=name, group=None, feature=feature, value=to_value(value), ci=ci, n=n_rows
            )
        )

    supports = {name: _RATES[name].support(counts) for name in spec.rates}
    halves = {name: worst_case_half_width(supports[name], params.confidence) for name in spec.rates}
    groups: list[dict[str, Any]] = []
    for g in range(grouping.n_groups):
        where = grouping.describe(g)
        reasons = []
        per_rate: dict[str, Any] = {}
        for name in spec.rates:
            rate = _RATES[name]
            support, half = int(supports[name][g]), float(halves[name][g])
            per_rate[name] = {
                "judged": bool(judged[name][g]),
                "n": support,
                "worst_case_half_width": None if math.isnan(half) else round(half, 4),
            }
            if judged[name][g]:
                continue
            rows = "rows" if rate.subset is None else f"rows with {rate.subset}"
            if support < params.min_group_size:
                why = f"{support} {rows}, fewer than min_group_size {params.min_group_size}"
            else:
                why = (
                    f"{support} {rows}: its {name} interval could be ±{half:.3f}, "
                    f"wider than max_half_width {max_half_width}"
                )
            reasons.append(f"{name}: {why}")
            size = int(counts[g].sum())
            if rate.subset is None or size < params.min_group_size:
                entry = f"{where} (n={size})"
            else:
                entry = f"{where}, {rate.subset} (n={support})"
            if entry not in evidence.small_groups:
                evidence.small_groups.append(entry)
        groups.append(
            {
                "group": dict(grouping.labels[g]),
                "n": int(counts[g].sum()),
                "positives": int(counts[g, 1].sum()),
                "negatives": int(counts[g, 0].sum()),
                "judged": bool(judged_all[g]),
                "reason": "; ".join(reasons) or None,
                "rates": per_rate,
            }
        )
    if grouping.n_groups < 2:
        note = f"{grouping.describe(0)}, the only group of {feature} (nothing to compare it with)"
        if note not in evidence.small_groups:
            evidence.small_groups.append(note)
    evidence.details["groupings"].append(
        {
            "feature": feature,
            "judged_groups": int(judged_all.sum()),
            "groups": groups,
            "components": {
                name: {"difference": to_value(d), "ratio": to_value(r)}
                for name, (d, r) in gaps.components.items()
            },
            # fairlearn's figures over every group, small ones included, for comparison
            "all_groups": {
                spec.difference: to_value(fairlearn.difference),
                spec.ratio: to_value(fairlearn.ratio),
            },
        }
    )
    return gaps
