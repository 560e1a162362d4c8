"""Group-fairness measurements: govkit against fairlearn on the same data.

govkit computes every per-group rate and every between-group aggregate of the
three fairness checks (demographic parity, equalized odds, equal opportunity)
with bootstrap intervals from per-group cell counts. fairlearn's MetricFrame
bootstrap resamples the rows, so it is timed with a few replicates and
extrapolated linearly per replicate to the same number as govkit.

Run: ``.venv/bin/python bench/bench_fairness.py [--rows 1000000] [--n-boot 1000]``.
Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd


def _best_of(repeats: int, fn: Callable[[], Any]) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def _data(rows: int, groups: int, seed: int) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    names = [f"g{i}" for i in range(groups)]
    shares = np.arange(1, groups + 1, dtype=float)
    group = rng.choice(names, size=rows, p=shares / shares.sum())
    code = np.searchsorted(names, group)
    y = (rng.random(rows) < 0.3 + 0.05 * code).astype(np.int64)
    pred = (rng.random(rows) < 0.2 + 0.5 * y + 0.03 * code).astype(np.int64)
    return pd.DataFrame({"group": group}), y, pred


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--groups", type=int, default=4)
    parser.add_argument("--n-boot", type=int, default=1000)
    parser.add_argument(
        "--fairlearn-boot",
        type=int,
        default=10,
        help="replicates actually run by fairlearn before extrapolating",
    )
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)

    import fairlearn
    import fairlearn.metrics as flm

    from govkit.checks.base import CheckParams
    from govkit.checks.context import CheckContext, Predictions, Split
    from govkit.checks.demographic_parity import DemographicParity
    from govkit.checks.equal_opportunity import EqualOpportunity
    from govkit.checks.equalized_odds import EqualizedOdds

    frame, y, pred = _data(args.rows, args.groups, seed=0)
    scores = pred.astype(np.float64)
    log_probs = np.log(np.clip(np.stack([1 - scores, scores], axis=1), 1e-12, None))

    def context() -> CheckContext:
        return CheckContext(
            task="binary",
            seed=0,
            device="cpu",
            eval=Split("eval", frame, y),
            sensitive=["group"],
            predictions_of=lambda _: Predictions(log_probs, scores, pred),
        )

    checks = [DemographicParity(), EqualizedOdds(), EqualOpportunity()]

    def govkit_all(n_boot: int) -> list[Any]:
        ctx = context()  # a fresh context: nothing cached between runs
        return [m for c in checks for m in c.measure(ctx, CheckParams(n_boot=n_boot)).measurements]

    metrics = {
        "selection_rate": flm.selection_rate,
        "true_positive_rate": flm.true_positive_rate,
        "false_positive_rate": flm.false_positive_rate,
    }

    def fairlearn_frame(n_boot: int | None) -> Any:
        kwargs: dict[str, Any] = {}
        if n_boot:
            kwargs = {"n_boot": n_boot, "ci_quantiles": [0.025, 0.975], "random_state": 0}
        mf = flm.MetricFrame(
            metrics=metrics, y_true=y, y_pred=pred, sensitive_features=frame["group"], **kwargs
        )
        # the aggregates the three checks report
        return mf, mf.difference(), mf.ratio()

    print(
        f"data: {args.rows:,} rows, {args.groups} groups; fairlearn {fairlearn.__version__}, "
        f"numpy {np.__version__}"
    )

    govkit_all(0)  # warm-up: first-call costs (imports, pyarrow kernels) are not the method's
    # point estimates only
    t_gk_point, _ = _best_of(args.repeats, lambda: govkit_all(0))
    t_fl_point, (mf, diff, ratio) = _best_of(args.repeats, lambda: fairlearn_frame(None))
    print("\npoint estimates only (3 checks: selection, TPR, FPR per group + aggregates)")
    print(f"  govkit    {t_gk_point * 1e3:10.1f} ms")
    print(f"  fairlearn {t_fl_point * 1e3:10.1f} ms   (one MetricFrame, 3 metrics)")
    print(f"  speed-up  {t_fl_point / t_gk_point:10.1f}x")

    # with bootstrap intervals
    t_gk_boot, measured = _best_of(args.repeats, lambda: govkit_all(args.n_boot))
    t_fl_small, _ = _best_of(1, lambda: fairlearn_frame(args.fairlearn_boot))
    per_replicate = max(t_fl_small - t_fl_point, 0.0) / args.fairlearn_boot
    t_fl_boot = t_fl_point + per_replicate * args.n_boot
    print(f"\nwith {args.n_boot} bootstrap replicates")
    print(f"  govkit    {t_gk_boot:10.3f} s    (all three checks, {len(measured)} measurements)")
    print(
        f"  fairlearn {t_fl_boot:10.1f} s    EXTRAPOLATED: ran n_boot={args.fairlearn_boot} in "
        f"{t_fl_small:.1f} s, {per_replicate:.3f} s per replicate, times {args.n_boot}"
    )
    print(f"  speed-up  {t_fl_boot / t_gk_boot:10.0f}x")

    # the point estimates agree
    expected: dict[tuple[str, str | None, str | None], float] = {}
    for name in metrics:
        expected[name, None, None] = float(mf.overall[name])
        for value, rate in mf.by_group[name].items():
            expected[name, str(value), None] = float(rate)
    expected["demographic_parity_difference", None, "group"] = float(diff["selection_rate"])
    expected["demographic_parity_ratio", None, "group"] = float(ratio["selection_rate"])
    expected["equal_opportunity_difference", None, "group"] = float(diff["true_positive_rate"])
    expected["equal_opportunity_ratio", None, "group"] = float(ratio["true_positive_rate"])
    expected["equalized_odds_difference", None, "group"] = max(
        float(diff["true_positive_rate"]), float(diff["false_positive_rate"])
    )
    expected["equalized_odds_ratio", None, "group"] = min(
        float(ratio["true_positive_rate"]), float(ratio["false_positive_rate"])
    )
    worst = 0.0
    for m in measured:
        key = (m.name, None if m.group is None else m.group["group"], m.feature)
        worst = max(worst, abs(m.value - expected[key]))
    print(
        f"\npoint estimates vs fairlearn: {len(measured)} figures, max abs difference {worst:.2e}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
