"""Paired comparisons: what a baseline adds to three checks' time.

Three checks (performance.classification, performance.calibration and
fairness.demographic_parity) measure synthetic predictions, predictions-only,
with bootstrap intervals; then again with one baseline, when each check also
measures the baseline and the paired differences candidate minus baseline,
resampling the same rows for both. The target: at most twice the time.

Run: ``.venv/bin/python bench/bench_paired.py [--rows 1000000] [--n-boot 1000]``.
Prints both times and the ratio; asserts nothing.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import numpy as np
import pandas as pd


def _predictions(rng: np.random.Generator, signal: np.ndarray, noise: float) -> Any:
    from govkit.checks.context import Predictions

    logit = signal + rng.normal(0.0, noise, signal.shape[0])
    p = 1.0 / (1.0 + np.exp(-logit))
    log_probs = np.stack([np.log1p(-p), np.log(p)], axis=1)
    return Predictions(log_probs, p, (p >= 0.5).astype(np.int64))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--n-boot", type=int, default=1000)
    parser.add_argument("--groups", type=int, default=4)
    args = parser.parse_args(argv)

    from govkit.checks.base import Check
    from govkit.checks.calibration import Calibration
    from govkit.checks.classification import Classification
    from govkit.checks.context import CheckContext, Split
    from govkit.checks.demographic_parity import DemographicParity

    rng = np.random.default_rng(0)
    n = args.rows
    group = rng.integers(0, args.groups, size=n)
    signal = rng.normal(0.0, 1.5, size=n) + 0.2 * group
    y = (signal + rng.logistic(size=n) > 0).astype(np.int64)
    frame = pd.DataFrame({"group": np.array([f"g{i}" for i in range(args.groups)])[group]})
    candidate = _predictions(rng, signal, 0.5)
    baseline = _predictions(rng, signal, 1.0)
    checks: list[Check] = [Classification(), Calibration(), DemographicParity()]

    def run(baselines: dict[str, Any]) -> tuple[float, int]:
        ctx = CheckContext(
            task="binary",
            seed=0,
            device="cpu",
            eval=Split("eval", frame, y),
            sensitive=["group"],
            predictions_of=lambda _: candidate,
            baseline_predictions=baselines,
        )
        figures = 0
        start = time.perf_counter()
        for check in checks:
            params = check.Params(n_boot=args.n_boot)
            figures += len(check.measure(ctx, params).measurements)
        return time.perf_counter() - start, figures

    alone, n_alone = run({})
    paired, n_paired = run({"previous": baseline})
    print(f"{n:,} rows, {args.n_boot} replicates, {args.groups} groups, 3 checks")
    print(f"without a baseline: {alone:8.2f} s  ({n_alone} figures)")
    print(f"with one baseline:  {paired:8.2f} s  ({n_paired} figures)")
    print(f"ratio: {paired / alone:.2f}x (target: at most 2x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
