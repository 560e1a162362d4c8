"""Timing of the privacy and data checks, with anchors measured in the same run.

Prints seconds and rows/s; asserts nothing. Anchors: scikit-learn's
roc_auc_score in a bootstrap loop (membership inference), pandas groupby
(k-anonymity), pandas merge on every column (leakage) and a per-cell Python
regular-expression loop (PII).

Run: .venv/bin/python bench/bench_privacy.py [--quick]
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from govkit.checks.context import CheckContext, Predictions, Split  # noqa: E402
from govkit.checks.k_anonymity import KAnonymity  # noqa: E402
from govkit.checks.leakage import Leakage  # noqa: E402
from govkit.checks.membership_inference import MembershipInference  # noqa: E402
from govkit.checks.pii import Pii  # noqa: E402

ADULT_QI = ["age", "sex", "race", "native-country", "marital-status", "occupation"]


def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def _row(
    label: str, rows: int, seconds: float, anchor: float | None = None, anchor_name: str = ""
) -> None:
    ratio = f"   {anchor_name}: {anchor:8.3f} s  (x{anchor / seconds:6.1f})" if anchor else ""
    print(f"{label:<44} {rows:>9} rows {seconds:8.3f} s {rows / seconds:>12,.0f} rows/s{ratio}")


def _adult() -> pd.DataFrame:
    for path in (Path("/work/shared/data/adult.csv"), ROOT / "examples/adult/data/adult.csv"):
        if path.is_file():
            return pd.read_csv(path, skipinitialspace=True)
    raise SystemExit("adult.csv not found")


def _synthetic(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "age": rng.integers(17, 90, size=n),
            "sex": rng.choice(["Female", "Male"], size=n),
            "race": rng.choice(
                ["White", "Black", "Asian", "Other"], size=n, p=[0.7, 0.15, 0.1, 0.05]
            ),
            "zip": pd.Series(rng.integers(10000, 99999, size=n)).astype(str).to_numpy(),
            "income": rng.lognormal(10, 1, size=n).round(2),
            "note": rng.choice(["ok", "call back", "no answer", "moved"], size=n),
        }
    )
    ids = np.arange(n)
    planted = rng.random(n) < 0.01
    frame.loc[planted, "note"] = [f"mail user{i}@example.com" for i in ids[planted]]
    frame["email"] = [f"user{i}@example.com" for i in ids]  # one unique address per row
    return frame


def _ctx(
    eval_frame: pd.DataFrame, train_frame: pd.DataFrame | None = None, **kw: Any
) -> CheckContext:
    y_eval = np.zeros(len(eval_frame), dtype=np.int64)
    train = (
        None
        if train_frame is None
        else Split("train", train_frame, np.zeros(len(train_frame), dtype=np.int64))
    )
    return CheckContext(
        task="binary",
        seed=0,
        device="cpu",
        eval=Split("eval", eval_frame, y_eval),
        train=train,
        **kw,
    )


def bench_membership(n_side: int, n_boot: int, device: str = "cpu") -> None:
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(0)
    frames = {
        s: pd.DataFrame(
            {
                "x": rng.normal(size=n_side),
                "sex": rng.choice(["F", "M"], size=n_side),
                "race": rng.choice(["a", "b", "c"], size=n_side),
            }
        )
        for s in ("train", "eval")
    }
    ys = {s: rng.integers(0, 2, size=n_side) for s in frames}
    shift = {"train": 0.3, "eval": 0.0}  # a mild, planted generalisation gap

    def predict(split: str) -> Predictions:
        m = rng.normal(loc=1.0 + shift[split], size=n_side)
        logit1 = np.where(ys[split] == 1, m, -m)
        lp = np.stack([-np.logaddexp(0, logit1), -np.logaddexp(0, -logit1)], axis=1)
        return Predictions(lp, np.exp(lp[:, 1]), (lp[:, 1] > lp[:, 0]).astype(int))

    ctx = CheckContext(
        task="binary",
        seed=0,
        device=device,
        eval=Split("eval", frames["eval"], ys["eval"]),
        train=Split("train", frames["train"], ys["train"]),
        sensitive=["sex", "race"],
        predictions_of=predict,
    )
    ctx.predictions("train"), ctx.predictions("eval")
    check = MembershipInference()
    secs, ev = _timed(lambda: check.measure(ctx, check.Params(n_boot=n_boot, max_per_side=n_side)))
    # anchor: the same overall AUC interval with scikit-learn, resampling in a loop
    scores = np.concatenate([rng.normal(0.3, 1, n_side), rng.normal(0, 1, n_side)])
    labels = np.repeat([1, 0], n_side)
    loops = max(n_boot // 20, 5)

    def sklearn_loop() -> None:
        for _ in range(loops):
            idx = rng.integers(0, 2 * n_side, 2 * n_side)
            roc_auc_score(labels[idx], scores[idx])

    anchor, _ = _timed(sklearn_loop)
    auc = next(m for m in ev.measurements if m.name == "roc_auc" and m.group is None)
    n_groups = sum(1 for m in ev.measurements if m.name == "roc_auc" and m.group is not None)
    _row(
        f"membership inference on {device} ({n_boot} boots, 2 attacks, {n_groups} groups)",
        2 * n_side,
        secs,
        anchor * n_boot / loops,
        "sklearn loop, overall AUC only",
    )
    print(f"{'':<44} AUC {auc.value:.3f} CI {auc.ci}")


def bench_table(name: str, frame: pd.DataFrame, qi: list[str], pii_anchor_rows: int) -> None:
    n = len(frame)
    split = n // 2
    train, evl = (
        frame.iloc[:split].reset_index(drop=True),
        frame.iloc[split:].reset_index(drop=True),
    )

    secs, _ = _timed(
        lambda: KAnonymity().measure(_ctx(frame, quasi_identifiers=qi), KAnonymity.Params())
    )
    anchor, _ = _timed(lambda: frame.groupby(qi, dropna=False).size().min())
    _row(f"{name}: k-anonymity", n, secs, anchor, "pandas groupby")

    secs, ev = _timed(lambda: Pii().measure(_ctx(frame), Pii.Params()))
    text_cols = [
        c for c in frame.columns if frame[c].dtype == object or str(frame[c].dtype) == "str"
    ]
    sample = frame[text_cols].iloc[:pii_anchor_rows]
    email = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")

    def per_cell() -> int:
        return sum(1 for col in sample.columns for v in sample[col] if email.search(str(v)))

    anchor, _ = _timed(per_cell)
    _row(
        f"{name}: PII scan (7 kinds)",
        n,
        secs,
        anchor * n / pii_anchor_rows,
        "per-cell re loop, 1 kind",
    )
    print(f"{'':<44} totals {ev.details['pii_totals']}")

    ctx = _ctx(evl, train)
    secs, ev = _timed(lambda: Leakage().measure(ctx, Leakage.Params()))
    anchor, _ = _timed(lambda: evl.merge(train.drop_duplicates(), how="inner").shape[0])
    _row(f"{name}: leakage (exact + normalised)", n, secs, anchor, "pandas merge, exact")
    print(
        f"{'':<44} duplicates {ev.details['duplicate_count']} "
        f"(exact {ev.details['exact_duplicate_count']})"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="smaller sizes")
    parser.add_argument(
        "--device", default="cpu", help="cpu or cuda[:N]: where the attack's ROC maths runs"
    )
    args = parser.parse_args()
    n_side = 2_000 if args.quick else 20_000
    synth_rows = 100_000 if args.quick else 1_000_000
    bench_membership(n_side, 1000, args.device)
    bench_table("adult", _adult(), ADULT_QI, 32_561)
    bench_table("synthetic", _synthetic(synth_rows, 0), ["age", "sex", "race", "zip"], 100_000)


if __name__ == "__main__":
    main()
