"""What the group-fairness checks share: per-group rates, between-group aggregates, intervals.

Demographic parity, equalized odds and equal opportunity differ only in
which confusion-matrix rates they compare across groups and what they call
the aggregates, so each check is a :class:`FairnessSpec` and this module does
the work.

Every figure is defined exactly as fairlearn defines it
(``MetricFrame(...).difference(method="between_groups")`` and ``.ratio(...)``;
equalized odds takes the larger difference and the smaller ratio of its two
rates), and a test compares each one with fairlearn. All of them depend only
on per-group cell counts, so the bootstrap resamples the counts (Poisson),
not the rows: time does not grow with the number of rows, and every per-group
rate and every aggregate is computed on all replicates at once.

Small groups are kept in the point estimates, as fairlearn keeps them, and
are listed in ``Evidence.small_groups`` so the runner never reports a pass
that rests on them. A group whose rate is taken over few rows (a group with
few positive labels, for the true positive rate) is listed too, as
``"race=B, label=1 (n=4)"``.

Intervals are percentile intervals of the resampled figures. A difference is
the largest gap between noisy rates, so when the true gap is near zero its
bootstrap distribution sits above the estimate and the interval may not
contain it; this is the honest behaviour of a max-minus-min statistic, and
the reason to judge such bounds on the point or ``interval_lenient``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

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
from govkit.stats.groups import Grouping
from govkit.stats.intervals import interval_bounds, pick_ci, to_value
from govkit.stats.layers import layers
from govkit.stats.seeding import derive_seed

if TYPE_CHECKING:
    from govkit.checks.context import CheckContext

__all__ = ["FairnessSpec", "measure_fairness"]

SMALL_GROUP_POLICY = (
    "Groups smaller than min_group_size stay in the point estimates (as in fairlearn) "
    "and are listed as small groups, so a pass never rests on them."
)

_RateFn = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class _Rate:
    fn: _RateFn
    #: the rows the rate is taken over, from a (..., 2, 2) count matrix: its sample size
    support: Callable[[np.ndarray], np.ndarray]
    #: how a too-small support is described (None: the group itself)
    subset: str | None


_RATES: dict[str, _Rate] = {
    "selection_rate": _Rate(selection_rate, lambda cm: cm.sum(axis=(-2, -1)), None),
    "true_positive_rate": _Rate(
        true_positive_rate, lambda cm: cm[..., 1, :].sum(axis=-1), "label=1"
    ),
    "false_positive_rate": _Rate(
        false_positive_rate, lambda cm: cm[..., 0, :].sum(axis=-1), "label=0"
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


def _aggregate(spec: FairnessSpec, rates: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(difference, ratio) over the last axis of each rate, combined across rates."""
    diff = between_groups_difference(rates[spec.rates[0]])
    ratio = between_groups_ratio(rates[spec.rates[0]])
    for name in spec.rates[1:]:
        diff = first_max(diff, between_groups_difference(rates[name]))
        ratio = first_min(ratio, between_groups_ratio(rates[name]))
    return diff, ratio


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


def measure_fairness(ctx: CheckContext, params: CheckParams, spec: FairnessSpec) -> Evidence:
    """Per-group rates and between-group aggregates for every grouping, with intervals.

    Parameters
    ----------
    ctx
        The run's context; uses the eval split's labels, predicted labels and
        sensitive columns.
    params
        ``min_group_size``, ``n_boot``, ``confidence``.
    spec
        The rates and aggregate names of the calling check.

    Returns
    -------
    Evidence
        Overall rates (group and feature null), per-group rates (group set),
        per-grouping aggregates (group null, feature the column or ``a&b``).
    """
    y_true, y_pred = _binary_inputs(ctx)
    evidence = Evidence(details={"small_group_policy": SMALL_GROUP_POLICY, "groupings": []})
    notes: list[str] = []

    all_layers = layers(ctx.eval.frame, list(ctx.sensitive))

    worst: tuple[float, str] | None = None
    for layer in all_layers:
        feature, grouping, n_groups = layer.feature, layer.grouping, layer.n_groups
        counts = confusion_counts(layer.codes, n_groups, y_true, y_pred)
        rates = {name: _RATES[name].fn(counts) for name in spec.rates}
        reps: np.ndarray = np.empty((0, n_groups, 2, 2))
        if params.n_boot > 0:
            # the same seed per grouping in every fairness check: a rate shared by two
            # checks (true_positive_rate) gets the same interval in both
            seed = derive_seed(ctx.seed, "fairness", feature or "(overall)")
            reps = poisson_counts(counts, n_boot=params.n_boot, seed=seed)
        rep_rates = {name: _RATES[name].fn(reps) for name in spec.rates}

        for name in spec.rates:
            bounds = interval_bounds(rep_rates[name], params.confidence)
            support = _RATES[name].support(counts)
            for g in range(n_groups):
                evidence.measurements.append(
                    Measurement(
                        name=name,
                        group=layer.label(g),
                        value=to_value(rates[name][g]),
                        ci=pick_ci(bounds, g),
                        n=int(support[g]),
                    )
                )
        if grouping is None:
            continue

        diff, ratio = _aggregate(spec, rates)
        rep_diff, rep_ratio = _aggregate(spec, rep_rates)
        n_rows = int(counts.sum())
        for name, value, rep in ((spec.difference, diff, rep_diff), (spec.ratio, ratio, rep_ratio)):
            evidence.measurements.append(
                Measurement(
                    name=name,
                    group=None,
                    feature=feature,
                    value=to_value(value),
                    ci=pick_ci(interval_bounds(rep, params.confidence)),
                    n=n_rows,
                )
            )
        if not math.isnan(float(diff)) and (worst is None or float(diff) > worst[0]):
            worst = (float(diff), str(feature))

        _report_small(evidence, notes, grouping, counts, spec, params.min_group_size)
        evidence.details["groupings"].append(
            {
                "feature": feature,
                "groups": [
                    {
                        "group": dict(grouping.labels[g]),
                        "n": int(counts[g].sum()),
                        "positives": int(counts[g, 1].sum()),
                        "negatives": int(counts[g, 0].sum()),
                    }
                    for g in range(n_groups)
                ],
                "components": {
                    name: {
                        "difference": to_value(between_groups_difference(rates[name])),
                        "ratio": to_value(between_groups_ratio(rates[name])),
                    }
                    for name in spec.rates
                },
            }
        )

    if notes:
        evidence.details["notes"] = notes
    if worst is not None:
        evidence.summary = (
            f"The largest {spec.difference} is {worst[0]:.3f} "
            f"(over {worst[1]}), across {len(all_layers) - 1} grouping(s)."
        )
    return evidence


def _report_small(
    evidence: Evidence,
    notes: list[str],
    grouping: Grouping,
    counts: np.ndarray,
    spec: FairnessSpec,
    min_group_size: int,
) -> None:
    """List groups (and label subsets a rate is taken over) smaller than ``min_group_size``."""
    sizes = counts.sum(axis=(-2, -1))
    for g in range(grouping.n_groups):
        where = grouping.describe(g)
        entries = []
        if sizes[g] < min_group_size:
            entries.append(f"{where} (n={int(sizes[g])})")
        for name in spec.rates:
            rate = _RATES[name]
            if rate.subset is None:
                continue
            support = int(rate.support(counts[g]))
            if support == 0:
                note = (
                    f"{where} has no rows with {rate.subset}: its {name} is 0 by "
                    "fairlearn's convention, not a measured rate"
                )
                if note not in notes:
                    notes.append(note)
            if sizes[g] >= min_group_size and support < min_group_size:
                entries.append(f"{where}, {rate.subset} (n={support})")
        for entry in entries:
            if entry not in evidence.small_groups:
                evidence.small_groups.append(entry)
