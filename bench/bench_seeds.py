"""Several training seeds: five checkpoints scored in one data pass.

Five MLPs (64-256-256-1, different seeds) score the same 1M rows, read from a
Parquet file as ``govkit check`` reads its evaluation data. Three timings, in
one run:

1. the floor: one data pass (read the Parquet file, encode it as a float32
   tensor) plus one plain forward pass of one model over the rows, times five;
2. govkit's shared pass (``govkit.runner.seeds``): the data is read and encoded
   once and each batch goes to the device once, where every checkpoint scores
   it;
3. the anchor, five separate runs: each reads and encodes the data again and
   scores one model (what five ``govkit check`` runs of one checkpoint each
   spend before their checks; the checks are not timed here).

The target: (2) close to one data pass plus five forward passes, well below
(3); its outputs equal (3)'s. ``make bench`` runs it at 1M rows.
Run: ``.venv/bin/python bench/bench_seeds.py [--rows 1000000] [--seeds 5]``.
Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
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
    models = [_mlp(s) for s in range(args.seeds)]
    k = args.seeds
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "eval.parquet"
        columns = [f"x{j}" for j in range(64)]
        pd.DataFrame(
            rng.normal(size=(args.rows, 64)).astype(np.float32), columns=columns
        ).to_parquet(path, index=False)

        def data_pass() -> torch.Tensor:
            """Read the evaluation file and encode it, as a run does once."""
            frame = pd.read_parquet(path)
            return torch.from_numpy(np.ascontiguousarray(frame[columns].to_numpy(np.float32)))

        start = time.perf_counter()
        x = data_pass()
        one_pass = time.perf_counter() - start

        with torch.inference_mode():
            start = time.perf_counter()
            for i in range(0, args.rows, args.batch_size):
                models[0](x[i : i + args.batch_size])
            forward = time.perf_counter() - start
        del x

        start = time.perf_counter()
        shared = score_together(
            models,
            data_pass(),
            device="cpu",
            batch_size=args.batch_size,
            task="binary",
            output="logits",
        )
        together = time.perf_counter() - start

        start = time.perf_counter()
        separate = []
        for model in models:
            separate.append(
                predict_log_probs_numpy(
                    model,
                    data_pass(),
                    device="cpu",
                    batch_size=args.batch_size,
                    task="binary",
                    output="logits",
                )
            )
        apart = time.perf_counter() - start
    same = max(float(np.abs(a - b).max()) for a, b in zip(shared, separate, strict=True))

    floor = one_pass + k * forward
    print(f"{args.rows:,} rows x 64 features (Parquet), {k} checkpoints, batch {args.batch_size}")
    print(f"one data pass (read + encode):     {one_pass:8.2f} s")
    print(f"one forward pass, one model:       {forward:8.2f} s  (x{k}: {k * forward:.2f} s)")
    print(f"floor: data pass + {k} forward:      {floor:8.2f} s")
    print(
        f"govkit, shared pass, {k} models:     {together:8.2f} s  "
        f"({together / floor:.2f}x the floor)"
    )
    print(
        f"anchor: {k} separate runs:          {apart:8.2f} s  "
        f"({apart / together:.2f}x the shared pass; {k} data passes + {k} forward passes)"
    )
    print(f"max |difference| of log-probabilities, shared vs separate: {same:.1e}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
