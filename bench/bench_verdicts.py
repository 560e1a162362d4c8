"""Operating characteristics of the fairness gate: how often it is wrong, on known truth.

Simulates the confusion counts of models whose true per-group rates are
known, many independent samples per scenario, and runs govkit's own
measuring step (``fairness_evidence``) and judge on each, with the built-in
suites' thresholds and parameters. Beside it, from the very same samples, the
previous method: the largest minus the smallest rate over every observed
group, judged on the point estimate, with a percentile bootstrap interval.

Printed:

- the false-fail rate of fair models (groups share the same true selection,
  true positive and false positive rates) across group sizes, and in a layout
  like Adult's sex x race, whose smallest intersections have a few dozen rows;
- the power (fail rate) at a true gap of 1.5x the bound of 0.10;
- the coverage of the 95% intervals of a rate (5% on 100 rows) and of the
  differences.

Run: ``.venv/bin/python bench/bench_verdicts.py [--samples 100]``. Prints
figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from govkit.checks._fairness import FairnessParams, fairness_evidence
from govkit.checks.base import Check
from govkit.checks.demographic_parity import DemographicParity
from govkit.checks.equal_opportunity import EqualOpportunity
from govkit.checks.equalized_odds import EqualizedOdds
from govkit.runner.judge import judge
from govkit.stats.bootstrap import percentile_interval, poisson_counts
from govkit.stats.confusion import (
    between_groups_difference,
    false_positive_rate,
    selection_rate,
    true_positive_rate,
)
from govkit.stats.groups import Grouping
from govkit.stats.layers import Layer
from govkit.suite import Threshold, load_suite

CHECKS: tuple[type[Check], ...] = (DemographicParity, EqualizedOdds, EqualOpportunity)
RATE_FNS = {
    "selection_rate": selection_rate,
    "true_positive_rate": true_positive_rate,
    "false_positive_rate": false_positive_rate,
}
BOUND = 0.10


@dataclass(frozen=True)
class World:
    """Intersection cells of two sensitive columns, each with its size and true rates."""

    name: str
    sizes: np.ndarray  # (a, b) rows per cell
    base: np.ndarray  # (a, b) P(label = 1)
    tpr: np.ndarray  # (a, b)
    fpr: np.ndarray  # (a, b)


def _cells(world: World, samples: int, rng: np.random.Generator) -> np.ndarray:
    """(samples, a, b, 2, 2) confusion counts [[TN, FP], [FN, TP]] per cell."""
    shape = (samples, *world.sizes.shape)
    pos = rng.binomial(np.broadcast_to(world.sizes, shape), world.base)
    neg = world.sizes - pos
    tp = rng.binomial(pos, world.tpr)
    fp = rng.binomial(neg, world.fpr)
    return np.stack([np.stack([neg - fp, fp], -1), np.stack([pos - tp, tp], -1)], -2)


def _suite(name: str) -> dict[str, tuple[FairnessParams, list[Threshold]]]:
    """The built-in suite's parameters and thresholds of each fairness check."""
    loaded = load_suite(name, Path.cwd())
    return {
        entry.id: (FairnessParams(**entry.params), list(entry.thresholds))
        for entry in loaded.model.checks
        if entry.id.startswith("fairness.")
    }


def _tables(counts: np.ndarray) -> list[tuple[Layer, np.ndarray]]:
    """Overall, column a, column b and their intersection, as the check would group them."""
    a, b = counts.shape[:2]
    empty = np.empty(0, dtype=np.int64)

    def layer(feature: str, labels: list[dict[str, str]]) -> Layer:
        return Layer(Grouping(feature, tuple(feature.split("&")), empty, labels), empty)

    col_a = [{"a": str(i)} for i in range(a)]
    col_b = [{"b": str(j)} for j in range(b)]
    both = [{"a": str(i), "b": str(j)} for i in range(a) for j in range(b)]
    tables = [
        (Layer(None, empty), counts.sum(axis=(0, 1))[None]),
        (layer("a", col_a), counts.sum(axis=1)),
    ]
    if b > 1:
        tables.append((layer("b", col_b), counts.sum(axis=0)))
    if a > 1 and b > 1:
        tables.append((layer("a&b", both), counts.reshape(a * b, 2, 2)))
    return tables


def _old_verdict(
    check: type[Check], tables: list[tuple[Layer, np.ndarray]], reps: list[np.ndarray]
) -> tuple[str, list[tuple[float, float, float]]]:
    """The previous rule: max-min over every observed group, judged on the point.

    Returns the verdict and, per grouping, (value, percentile low, percentile high).
    """
    spec = check.spec  # type: ignore[attr-defined]
    failed, small, figures = False, False, []
    for (_, counts), rep_counts in zip(tables[1:], reps, strict=True):
        value = max(float(between_groups_difference(RATE_FNS[r](counts))) for r in spec.rates)
        rep = np.max(
            [between_groups_difference(RATE_FNS[r](rep_counts)) for r in spec.rates], axis=0
        )
        low, high = percentile_interval(rep, 0.95)
        figures.append((value, float(low), float(high)))
        failed |= value > BOUND
        # a group, or the rows a rate uses, under min_group_size: not a pass
        small |= bool((counts.sum(axis=(1, 2)) < 30).any())
        if "true_positive_rate" in spec.rates:
            small |= bool((counts[:, 1].sum(-1) < 30).any())
        if "false_positive_rate" in spec.rates:
            small |= bool((counts[:, 0].sum(-1) < 30).any())
    return ("fail" if failed else "insufficient_evidence" if small else "pass"), figures


@dataclass
class Outcome:
    """Per check, the verdict of each sample; and coverage of the parity differences."""

    new: dict[str, list[str]]
    old: dict[str, list[str]]
    new_cover: list[bool]
    old_cover: list[bool]
    rate_cover: list[bool]
    old_rate_cover: list[bool]

    def share(self, method: str, status: str) -> float:
        """Share of samples where some fairness check has ``status`` (fail first)."""
        results = self.new if method == "new" else self.old
        runs = list(zip(*results.values(), strict=True))
        if status == "pass":
            return float(np.mean([all(v == "pass" for v in run) for run in runs]))
        failed = [any(v == "fail" for v in run) for run in runs]
        if status == "fail":
            return float(np.mean(failed))
        return float(
            np.mean([not f and status in run for f, run in zip(failed, runs, strict=True)])
        )

    def check_share(self, method: str, check_id: str, status: str) -> float:
        results = self.new if method == "new" else self.old
        return float(np.mean([v == status for v in results[check_id]]))


def run_world(world: World, samples: int, seed: int, suite: str = "release") -> Outcome:
    """Verdicts of every fairness check, new and old, on ``samples`` draws of ``world``."""
    config = _suite(suite)
    rng = np.random.default_rng(seed)
    cells = _cells(world, samples, rng)
    out = Outcome({c.id: [] for c in CHECKS}, {c.id: [] for c in CHECKS}, [], [], [], [])
    truth = _true_gaps(world)
    true_sel = world.base * world.tpr + (1 - world.base) * world.fpr
    n_boot = config[DemographicParity.id][0].n_boot
    for s in range(samples):
        tables = _tables(cells[s])
        reps = [poisson_counts(c, n_boot=n_boot, seed=seed + s) for _, c in tables[1:]]
        for check in CHECKS:
            params, thresholds = config[check.id]
            spec = check.spec  # type: ignore[attr-defined]
            evidence = fairness_evidence(tables, params, spec, seed=seed + s)
            verdict = judge(evidence, thresholds, min_group_size=params.min_group_size)
            out.new[check.id].append(verdict.status)
            old_status, figures = _old_verdict(check, tables, reps)
            out.old[check.id].append(old_status)
            if check is not DemographicParity:
                continue
            for m in evidence.measurements:
                if m.name == "demographic_parity_difference" and m.ci is not None:
                    assert m.feature is not None
                    out.new_cover.append(m.ci[0] <= truth[m.feature] <= m.ci[1])
                if m.name == "selection_rate" and m.group and len(m.group) == 2 and m.ci:
                    i, j = int(m.group["a"]), int(m.group["b"])
                    out.rate_cover.append(m.ci[0] <= true_sel[i, j] <= m.ci[1])
            if tables[-1][0].feature == "a&b":
                # the previous rate interval: percentile bootstrap of the same replicates
                low, high = percentile_interval(selection_rate(reps[-1]), 0.95)
                out.old_rate_cover += list((low <= true_sel.ravel()) & (true_sel.ravel() <= high))
            features = [layer.feature for layer, _ in tables[1:]]
            for (_, low, high), feature in zip(figures, features, strict=True):
                assert feature is not None
                out.old_cover.append(low <= truth[feature] <= high)
    return out


def _true_gaps(world: World) -> dict[str, float]:
    """True demographic parity difference of each grouping."""
    sel = world.base * world.tpr + (1 - world.base) * world.fpr
    w = world.sizes
    out = {"a&b": float(sel.max() - sel.min())}
    for feature, axis in (("a", 1), ("b", 0)):
        rate = (sel * w).sum(axis=axis) / w.sum(axis=axis)
        out[feature] = float(rate.max() - rate.min())
    return out


def fair_world(per_cell: int | np.ndarray, name: str) -> World:
    sizes = np.broadcast_to(np.asarray(per_cell), (2, 3)).astype(np.int64)
    return World(
        name, sizes, np.full(sizes.shape, 0.3), np.full(sizes.shape, 0.7), np.full(sizes.shape, 0.1)
    )


def adult_like() -> World:
    """sex x race as in Adult's test split (16,281 rows): intersections of 45 to 9,500 rows."""
    sex = np.array([0.33, 0.67])
    race = np.array([0.0096, 0.031, 0.096, 0.0083, 0.855])
    sizes = np.rint(16281 * np.outer(sex, race)).astype(np.int64)
    shape = sizes.shape
    return World(
        "Adult-like sex x race",
        sizes,
        np.full(shape, 0.24),
        np.full(shape, 0.6),
        np.full(shape, 0.08),
    )


def gap_world(rows: int, gap: float, base: float = 0.3) -> World:
    """Two groups of ``rows`` rows; every rate of the second is ``gap`` higher."""
    sizes = np.array([[rows], [rows]])
    return World(
        f"gap {gap:.2f}, {rows} rows",
        sizes,
        np.full((2, 1), base),
        np.array([[0.6], [0.6 + gap]]),
        np.array([[0.1], [0.1 + gap]]),
    )


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    n = args.samples
    ids = [c.id.split(".")[1] for c in CHECKS]

    print(f"## Fair models: the release suite's three fairness checks, {n} samples each")
    print("Two sensitive columns (2 x 3 values), every intersection of the size shown;")
    print("base rate 0.3, true positive rate 0.7, false positive rate 0.1 in every group.")
    print("'fail': some check fails; 'insufficient': none fails, some is insufficient_evidence.")
    print()
    print(
        "| rows per intersection | fail (new) | insufficient (new) | pass (new) | fail (previous) | pass (previous) |"
    )
    print("|---|---|---|---|---|---|")
    cover: dict[str, Outcome] = {}
    worlds = [fair_world(k, f"{k}") for k in (30, 100, 300, 1000, 3000)] + [adult_like()]
    for i, world in enumerate(worlds):
        r = run_world(world, n, args.seed + 1000 * i)
        cover[world.name] = r
        print(
            f"| {world.name} | {_pct(r.share('new', 'fail'))} | "
            f"{_pct(r.share('new', 'insufficient_evidence'))} | {_pct(r.share('new', 'pass'))} | "
            f"{_pct(r.share('old', 'fail'))} | {_pct(r.share('old', 'pass'))} |"
        )

    print()
    print(f"## Unfair models: fail rate per check at a true gap (bound 0.10), {n} samples each")
    print("Two groups; every rate of the second is higher by the gap. Each group has the")
    print("rows shown among the rows its rate uses: rows (selection rate 0.25 vs 0.25 + gap),")
    print("or positive and negative labels (base rate 0.5, so twice as many rows).")
    print()
    header = (
        " | ".join(f"{c} (new)" for c in ids) + " | " + " | ".join(f"{c} (previous)" for c in ids)
    )
    print(f"| gap, rows per group | {header} |")
    print("|---|" + "---|" * (2 * len(ids)))
    power = [(0.10, 2000), (0.15, 200), (0.15, 500), (0.15, 1000), (0.15, 2000)]
    for k, (gap, rows) in enumerate(power):
        dp = run_world(gap_world(rows, gap), n, args.seed + 50_000 + 1000 * k)
        rates = run_world(gap_world(2 * rows, gap, base=0.5), n, args.seed + 90_000 + 1000 * k)
        cells = []
        for method in ("new", "old"):
            for check in CHECKS:
                r = dp if check is DemographicParity else rates
                cells.append(_pct(r.check_share(method, check.id, "fail")))
        print(f"| {gap:.2f}, {rows} | {' | '.join(cells)} |")
    small = run_world(gap_world(100, 0.3), n, args.seed + 99_000)
    print()
    print(
        "A gap of 0.30 between two groups of 100 rows: "
        f"new: pass {_pct(small.share('new', 'pass'))}, "
        f"insufficient_evidence {_pct(small.check_share('new', DemographicParity.id, 'insufficient_evidence'))} "
        f"(demographic parity); previous: pass {_pct(small.share('old', 'pass'))}."
    )

    print()
    print("## Coverage of 95% intervals")
    rate = run_world(
        World(
            "5% on 100 rows",
            np.full((2, 3), 100),
            np.zeros((2, 3)),
            np.zeros((2, 3)),
            np.full((2, 3), 0.05),
        ),
        n,
        args.seed + 77_000,
    )
    print()
    print("| figure | new | previous |")
    print("|---|---|---|")
    print(
        f"| selection rate, 5% on 100 rows (Wilson; previously percentile bootstrap) | {_pct(float(np.mean(rate.rate_cover)))} | {_pct(float(np.mean(rate.old_rate_cover)))} |"
    )
    for name in ("1000", "3000", "Adult-like sex x race"):
        r = cover[name]
        print(
            f"| demographic parity difference, fair model, {name if not name.isdigit() else name + ' rows per intersection'} | "
            f"{_pct(float(np.mean(r.new_cover))) if r.new_cover else 'no judged pair'} | {_pct(float(np.mean(r.old_cover)))} |"
        )
    unfair = run_world(gap_world(2000, 0.15), n, args.seed + 88_000)
    print(
        "| demographic parity difference, gap 0.15, 2000 rows per group | "
        f"{_pct(float(np.mean(unfair.new_cover)))} | {_pct(float(np.mean(unfair.old_cover)))} |"
    )
    print()
    print(f"Elapsed {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
