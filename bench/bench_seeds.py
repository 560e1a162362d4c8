"""Several training seeds: five checkpoints scored in one data pass.

Five MLPs (64-256-256-1, different seeds) score the same rows. Three timings:

1. the floor: one plain forward pass of one model over the rows, times five;
2. govkit's shared pass (``govkit.runner.seeds``): the data is encoded once
   (a DataFrame to a float32 tensor) and each batch goes to the device once,
   where every checkpoint scores it;
3. five separate scorings, each encoding the data again and scoring one model
   (the inference part of five ``govkit check`` runs of one checkpoint each;
   their data loading and checks are not timed here).

The target: (2) close to the data pass plus five times (1); its outputs equal (3)'s.
Run: ``.venv/bin/python bench/bench_seeds.py [--rows 1000000] [--seeds 5]``.
Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import numpy as np
import pandas as pd


def _mlp(seed: int) -> Any:
    import torch

    torch.manual_seed(seed)
    return torch.nn.Sequential(
        torch.nn.Linear(64, 256),
        torch.nn.ReLU(),
        torch.nn.Linear(256, 256),
        torch.nn.ReLU(),
        torch.nn.Linear(256, 1),
    ).eval()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=8192)
    args = parser.parse_args(argv)

    import torch

    from govkit.runner.predict import predict_log_probs_numpy
    from govkit.runner.seeds import score_together

    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(args.rows, 64)).astype(np.float32))
    models = [_mlp(s) for s in range(args.seeds)]

    def encode() -> torch.Tensor:
        return torch.from_numpy(np.ascontiguousarray(frame.to_numpy(np.float32)))

    start = time.perf_counter()
    x = encode()
    data_pass = time.perf_counter() - start

    with torch.inference_mode():
        start = time.perf_counter()
        for i in range(0, args.rows, args.batch_size):
            models[0](x[i : i + args.batch_size])
        forward = time.perf_counter() - start

    start = time.perf_counter()
    x_shared = encode()
    shared = score_together(
        models, x_shared, device="cpu", batch_size=args.batch_size, task="binary", output="logits"
    )
    together = time.perf_counter() - start

    start = time.perf_counter()
    separate = []
    for model in models:
        separate.append(
            predict_log_probs_numpy(
                model,
                encode(),
                device="cpu",
                batch_size=args.batch_size,
                task="binary",
                output="logits",
            )
        )
    apart = time.perf_counter() - start
    same = max(float(np.abs(a - b).max()) for a, b in zip(shared, separate, strict=True))

    k = args.seeds
    print(f"{args.rows:,} rows x 64 features, {k} checkpoints, batch {args.batch_size}")
    print(f"data pass (encode once):           {data_pass:8.2f} s")
    print(f"one forward pass, one model:       {forward:8.2f} s  (x{k}: {k * forward:.2f} s)")
    print(
        f"govkit, shared pass, {k} models:     {together:8.2f} s  "
        f"({together / (data_pass + k * forward):.2f}x data pass + {k} forward passes)"
    )
    print(f"{k} separate runs:                  {apart:8.2f} s  ({apart / together:.2f}x shared)")
    print(f"max |difference| of log-probabilities, shared vs separate: {same:.1e}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
