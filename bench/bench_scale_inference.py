"""Streamed inference: a model scores every row in batches, and memory stays flat.

A PyTorch MLP (8-128-128-1, seeded) scores a Parquet table of N rows through
``govkit check`` (demographic parity and the classification figures), twice
per size:

1. the in-memory batched path (``--engine pandas``): every row is read into
   pandas, encoded and scored in batches, and the checks measure the rows;
2. the streamed path (``--engine duckdb``): DuckDB reads the files in
   batches, each batch is encoded, scored and added to the cells, and only
   the cells and a bounded sample stay in memory.

Each run is its own process, and its peak resident memory is read from the
operating system. The targets: the streamed run's peak memory at the larger
size within 30% of that at the smaller size, and its throughput (rows per
second of the whole run) at least 80% of the in-memory path's.

Run: ``.venv/bin/python bench/bench_scale_inference.py [--rows 200000 1000000]``;
the full sizes are ``--rows 1000000 5000000`` (add ``--streamed-only`` where
the in-memory path would not fit). Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

FEATURES = [f"x{i}" for i in range(8)]
FILES = 8
REPO = Path(__file__).resolve().parents[1]

# the peak RSS of one child process, measured from a parent that runs only it
_MEASURE = (
    "import resource, subprocess, sys\n"
    "code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode\n"
    "print(code, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
)


def _write_model(path: Path) -> None:
    import torch

    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Linear(len(FEATURES), 128),
        torch.nn.ReLU(),
        torch.nn.Linear(128, 128),
        torch.nn.ReLU(),
        torch.nn.Linear(128, 1),
    ).eval()
    torch.jit.script(model).save(str(path))


def _write_rows(folder: Path, n: int) -> None:
    """N rows in FILES Parquet files, written file by file (the writer stays small)."""
    folder.mkdir(parents=True)
    per_file = -(-n // FILES)
    for i in range(FILES):
        rows = min(per_file, n - i * per_file)
        rng = np.random.default_rng(i)
        x = rng.normal(size=(rows, len(FEATURES))).astype(np.float32)
        frame = pd.DataFrame(x, columns=FEATURES)
        frame["sex"] = rng.choice(["F", "M"], size=rows)
        frame["race"] = rng.choice(["a", "b", "c"], size=rows, p=[0.6, 0.3, 0.1])
        frame["label"] = (x[:, 0] + rng.normal(size=rows) > 0).astype(np.int64)
        frame.to_parquet(folder / f"part-{i:02d}.parquet", index=False)


def _project(root: Path, data: Path) -> Path:
    checks = [
        {"id": "performance.classification", "params": {"n_boot": 200}, "severity": "warn"},
        {"id": "fairness.demographic_parity", "params": {"n_boot": 200}, "severity": "warn"},
    ]
    (root / "suite.yaml").write_text(yaml.safe_dump({"suite": 1, "name": "b", "checks": checks}))
    config = {
        "govkit": 1,
        "system": {"name": "bench", "version": "1"},
        "model": {"path": "model.ts", "batch_size": 8192},
        "data": {
            "eval": str(data),
            "label": "label",
            "features": FEATURES,
            "sensitive": ["sex", "race"],
        },
        "suite": "suite.yaml",
        "output": "out",
        "device": "cpu",
    }
    path = root / "govkit.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def _run(config: Path, engine: str) -> tuple[float, float]:
    """(seconds, peak RSS in MiB) of one ``govkit check`` in its own process."""
    out = config.parent / f"out-{engine}"
    command = [sys.executable, "-m", "govkit", "check", "-c", str(config), "-q"]
    command += ["--engine", engine, "--out", str(out)]
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", _MEASURE, *command],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,  # this checkout's govkit, whichever one the environment has installed
    )
    seconds = time.perf_counter() - start
    code, rss_kib = proc.stdout.split()
    if int(code) not in (0, 1):
        raise SystemExit(f"govkit check --engine {engine} exited {code}")
    report = json.loads((out / "report.json").read_text())
    assert report["engine"]["name"] == engine, report["engine"]
    return seconds, int(rss_kib) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, nargs=2, default=[200_000, 1_000_000])
    parser.add_argument(
        "--streamed-only",
        action="store_true",
        help="measure the streamed path alone (the in-memory one needs memory in rows)",
    )
    args = parser.parse_args()
    engines = ("duckdb",) if args.streamed_only else ("pandas", "duckdb")
    small, large = args.rows
    results: dict[tuple[str, int], tuple[float, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        _write_model(root / "model.ts")
        for n in (small, large):
            data = root / f"rows-{n}"
            _write_rows(data, n)
            config = _project(root, data)
            for engine in engines:
                results[engine, n] = _run(config, engine)
                seconds, rss = results[engine, n]
                print(
                    f"{engine:7s} {n:>10,} rows  {seconds:7.1f} s  {n / seconds:>10,.0f} rows/s  "
                    f"peak RSS {rss:7.0f} MiB"
                )
    growth = results["duckdb", large][1] / results["duckdb", small][1] - 1
    print(f"streamed peak RSS grows {growth:+.0%} from {small:,} to {large:,} rows (target < +30%)")
    if args.streamed_only:
        return
    anchor_growth = results["pandas", large][1] / results["pandas", small][1] - 1
    throughput = results["pandas", large][0] / results["duckdb", large][0]
    print(f"in memory, peak RSS grows {anchor_growth:+.0%}")
    print(
        f"streamed throughput at {large:,} rows: {throughput:.2f}x the in-memory batched path "
        "(target >= 0.80x)"
    )


if __name__ == "__main__":
    main()
