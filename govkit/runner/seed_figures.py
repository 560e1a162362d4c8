"""Measuring a check once per training seed and reporting the seed-level figures.

A check measures one model. With several seeds the runner measures it once per
seed, each time on a context whose evaluation predictions are that seed's (the
data, groups and baselines are shared), then keeps for every figure:

- the seed-level figure: the mean over the seeds, its ``seed_sd`` and an
  interval for rows and seeds (:func:`govkit.stats.seeds.seed_figure`);
- each seed's own figure, with ``seed`` set and its rows-only interval.

A figure undefined in any seed has no seed-level value (missing evidence never
passes). A single baseline model's own figures do not depend on the candidate's
seed and are kept once; a baseline given with as many seeds as the candidate is
paired seed by seed, and its figures are combined like the candidate's.
"""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np

from govkit.checks.base import Check, CheckParams, Evidence
from govkit.checks.context import CheckContext
from govkit.report import Measurement
from govkit.stats.seeding import derive_seed
from govkit.stats.seeds import seed_figure

__all__ = ["ONE_CHECKPOINT", "measure_over_seeds"]

ONE_CHECKPOINT = "one checkpoint: the figures do not include the variation between training seeds"

_Key = tuple[str, str, str | None, str | None, str | None]


def _key(m: Measurement) -> _Key:
    group = json.dumps(m.group, sort_keys=True) if m.group else ""
    return (m.name, group, m.feature, m.model, m.vs)


def _seed_context(ctx: CheckContext, index: int) -> CheckContext:
    if index == 0:
        return ctx  # the first seed is the run's model: share its memo (inputs, attributions)
    _, preds = ctx.seed_predictions[index]
    baselines = dict(ctx.baseline_predictions)
    for name, seeds in ctx.baseline_seed_predictions.items():
        baselines[name] = seeds[index]  # seed i of a baseline is paired with seed i
    seeded = dataclasses.replace(ctx, baseline_predictions=baselines)
    seeded.memo("predictions:eval", lambda: preds)
    if ctx.inputs_of is not None:
        seeded.memo("inputs:eval", lambda: ctx.inputs("eval"))
    return seeded


def measure_over_seeds(check: Check, ctx: CheckContext, params: CheckParams) -> Evidence:
    """The check's evidence over every seed; its plain evidence, noted, with one checkpoint."""
    if len(ctx.seed_predictions) < 2:
        evidence = check.measure(ctx, params)
        evidence.details = {**evidence.details, "seeds": {"count": 1, "note": ONE_CHECKPOINT}}
        return evidence
    names = [name for name, _ in ctx.seed_predictions]
    per_seed = [check.measure(_seed_context(ctx, i), params) for i in range(len(names))]
    return _combine(
        per_seed,
        names,
        seeded_baselines=set(ctx.baseline_seed_predictions),
        seed=derive_seed(ctx.seed, "seeds", check.id),
    )


def _combine(
    per_seed: list[Evidence], names: list[str], *, seeded_baselines: set[str], seed: int
) -> Evidence:
    first = per_seed[0]
    by_seed = [{_key(m): m for m in e.measurements} for e in per_seed]
    level: list[Measurement] = []
    own: list[Measurement] = []
    for i, m in enumerate(first.measurements):
        if m.model is not None and m.model not in seeded_baselines:
            # a single baseline model's own figure: the same in every seed
            level.append(m)
            continue
        found = [s.get(_key(m)) for s in by_seed]
        values = [x.value if x is not None else None for x in found]
        known = [v for v in values if v is not None and math.isfinite(v)]
        if len(known) == len(names):
            fig = seed_figure(
                np.array(known),
                [x.ci if x is not None else None for x in found],
                seed=seed + i,
            )
            level.append(m.model_copy(update={"value": fig.mean, "ci": fig.ci, "seed_sd": fig.sd}))
        else:
            level.append(m.model_copy(update={"value": None, "ci": None, "seed_sd": None}))
        own += [
            x.model_copy(update={"seed": name})
            for name, x in zip(names, found, strict=True)
            if x is not None
        ]
    above: dict[str, float] = {}
    for m in level:
        if m.vs is None or m.group is not None or m.feature is not None:
            continue
        diffs = [x.value for x in own if _key(x) == _key(m) and x.value is not None]
        if len(diffs) == len(names):
            # the share of seeds whose figure lies above the baseline's on the same rows
            above[f"{m.name} vs {m.vs}"] = sum(d > 0 for d in diffs) / len(diffs)
    small = list(dict.fromkeys(g for e in per_seed for g in e.small_groups))
    failures = list(
        dict.fromkeys(
            f"seed {n}: {f}" for n, e in zip(names, per_seed, strict=True) for f in e.failures
        )
    )
    details = {
        **first.details,
        "seeds": {
            "count": len(names),
            "names": names,
            "note": "each figure is the mean over the seeds, with its SD across seeds and an "
            "interval for rows and seeds (two-level bootstrap); each seed's own figure follows",
            "above_baseline": above,
        },
    }
    summary = (
        f"{first.summary.rstrip('.')} for seed {names[0]}; each figure is judged as the mean "
        f"over {len(names)} seeds."
        if first.summary
        else None
    )
    return Evidence(
        measurements=level + own,
        small_groups=small,
        failures=failures,
        details=details,
        summary=summary,
    )
