"""End-to-end cost of ``govkit check``, and inference throughput of the batched predictor.

1. A 1M-row Parquet file (label, score, predicted label, two sensitive columns
   with 4 groups each) is checked with the built-in fairness suite in
   predictions-only mode: wall time of the whole ``python -m govkit check``
   process, against fairlearn computing the same three point differences
   (no intervals) in this process.
2. An MLP predicted through govkit's batched predictor (rows/s), against one
   plain forward pass of the same rows, on the CPU and on CUDA when present.

Figures are printed, never asserted. Run: ``python bench/bench_check_e2e.py``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

ROWS = 1_000_000
REPO = Path(__file__).resolve().parents[1]


def write_project(folder: Path, rows: int = ROWS, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    sex = rng.choice(["a", "b", "c", "d"], size=rows)
    region = rng.choice(["north", "south", "east", "west"], size=rows)
    logit = rng.normal(size=rows) + (sex == "a") * 0.2
    score = 1.0 / (1.0 + np.exp(-logit))
    label = (rng.random(rows) < score).astype(np.int8)
    frame = pd.DataFrame(
        {
            "label": label,
            "score": score,
            "pred": (score >= 0.5).astype(np.int8),
            "sex": pd.Categorical(sex),
            "region": pd.Categorical(region),
        }
    )
    frame.to_parquet(folder / "eval.parquet")
    config = {
        "govkit": 1,
        "system": {"name": "bench", "version": "1"},
        "model": {"predictions": {"label": "pred", "score": "score"}},
        "data": {"eval": "eval.parquet", "label": "label", "sensitive": ["sex", "region"]},
        "suite": "fairness",
        "output": "out",
    }
    path = folder / "govkit.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def time_check(config: Path) -> tuple[float, int]:
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "govkit", "check", "-c", str(config), "-q"],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )
    wall = time.perf_counter() - start
    if done.returncode not in (0, 1):
        print(done.stderr, file=sys.stderr)
    return wall, done.returncode


def time_fairlearn(folder: Path) -> float | None:
    try:
        from fairlearn.metrics import (
            demographic_parity_difference,
            equal_opportunity_difference,
            equalized_odds_difference,
        )
    except ImportError:
        return None
    start = time.perf_counter()
    frame = pd.read_parquet(folder / "eval.parquet")
    for column in ("sex", "region"):
        kw = {
            "y_true": frame["label"],
            "y_pred": frame["pred"],
            "sensitive_features": frame[column],
        }
        demographic_parity_difference(**kw)
        equalized_odds_difference(**kw)
        equal_opportunity_difference(**kw)
    return time.perf_counter() - start


def throughput(device: str, rows: int = 500_000, features: int = 64) -> tuple[float, float]:
    import torch

    from govkit.runner.predict import predict_log_probs_numpy

    torch.manual_seed(0)
    model = (
        torch.nn.Sequential(
            torch.nn.Linear(features, 256),
            torch.nn.ReLU(),
            torch.nn.Linear(256, 256),
            torch.nn.ReLU(),
            torch.nn.Linear(256, 1),
        )
        .eval()
        .to(device)
    )
    x = torch.randn(rows, features)
    predict_log_probs_numpy(
        model, x[:10_000], device=device, batch_size=8192, task="binary", output="logits"
    )  # warm-up: kernels, allocator
    start = time.perf_counter()
    predict_log_probs_numpy(
        model, x, device=device, batch_size=8192, task="binary", output="logits"
    )
    ours = rows / (time.perf_counter() - start)
    with torch.inference_mode():
        xd = x.to(device)
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        start = time.perf_counter()
        model(xd).cpu()
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        plain = rows / (time.perf_counter() - start)
    return ours, plain


def main() -> None:
    print(f"cpu cores available: {len(os.sched_getaffinity(0))}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        start = time.perf_counter()
        config = write_project(folder)
        print(f"wrote {ROWS:,} rows of Parquet in {time.perf_counter() - start:.2f} s")
        wall, code = time_check(config)
        print(
            f"govkit check, fairness suite, predictions-only, {ROWS:,} rows: "
            f"{wall:.2f} s wall (exit {code}; target < 5 s on 2 cores)"
        )
        anchor = time_fairlearn(folder)
        if anchor is not None:
            print(
                f"  anchor: fairlearn, same 6 point differences without intervals: "
                f"{anchor:.2f} s  -> govkit/fairlearn = {wall / anchor:.2f}x"
            )
    import torch

    devices = ["cpu"] + (["cuda:0"] if torch.cuda.is_available() else [])
    for device in devices:
        ours, plain = throughput(device)
        print(
            f"batched predictor on {device}: {ours:,.0f} rows/s  (one plain forward: "
            f"{plain:,.0f} rows/s -> ratio {ours / plain:.2f})"
        )


if __name__ == "__main__":
    main()
