"""A synthetic predictions-only lake for the scale benchmarks, written without holding it.

The rows come in chunks of at most ``chunk`` rows; each chunk is generated
from its own seed and written as one Parquet file per ``region`` (hive folders
``region=<name>/part-<chunk>.parquet``), so the generator's memory is one
chunk however many rows are asked for, and the same arguments write the same
rows.

Columns: the sensitive ``sex`` and ``race``; ``age`` (a numeric slice and a
quasi-identifier, with ``zip3``); ``label``, ``pred`` and ``score``; features
with missing values (``income`` NaN, ``hours`` an integer with NULLs,
``education`` text with ``?`` markers); and the partition column ``region``.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np

REGIONS = ("apac", "emea", "latam", "na")
RACES = ("a", "b", "c", "d", "e")
EDUCATION = ("hs", "college", "bachelor", "master", "phd", "?")
#: slice bins of age
AGE_BINS = (18.0, 30.0, 45.0, 65.0, 91.0)


def _chunk(rows: int, seed: int) -> Any:
    import pyarrow as pa
    import pyarrow.compute as pc

    rng = np.random.default_rng(seed)
    sex = rng.integers(0, 2, rows)
    race = rng.choice(len(RACES), rows, p=[0.55, 0.2, 0.15, 0.07, 0.03])
    age = rng.integers(18, 91, rows)
    region = rng.integers(0, len(REGIONS), rows)
    income = rng.lognormal(10.5, 0.6, rows)
    income[rng.random(rows) < 0.05] = np.nan
    hours = rng.integers(10, 70, rows)
    education = rng.choice(len(EDUCATION), rows, p=[0.3, 0.25, 0.25, 0.1, 0.05, 0.05])
    logit = (
        -0.5
        + 0.4 * sex
        - 0.15 * race
        + 0.02 * (age - 45)
        + 0.5 * (np.nan_to_num(np.log(income), nan=10.5) - 10.5)
        + rng.normal(0, 1.2, rows)
    )
    truth = 1.0 / (1.0 + np.exp(-logit))
    label = (rng.random(rows) < truth).astype(np.int8)
    score = 1.0 / (1.0 + np.exp(-(logit + rng.normal(0, 0.6, rows) + 0.1 * (race == 3))))
    table = pa.table(
        {
            "sex": pc.take(pa.array(["female", "male"]), pa.array(sex)),
            "race": pc.take(pa.array(list(RACES)), pa.array(race)),
            "age": pa.array(age, pa.int64()),
            "zip3": pa.array(rng.integers(100, 400, rows), pa.int64()),
            "income": pa.array(income),
            "hours": pa.array(hours, pa.int64(), mask=rng.random(rows) < 0.03),
            "education": pc.take(pa.array(list(EDUCATION)), pa.array(education)),
            "label": pa.array(label),
            "pred": pa.array((score >= 0.5).astype(np.int8)),
            "score": pa.array(score),
        }
    )
    return table, region


def write_lake(folder: Path, rows: int, *, seed: int = 0, chunk: int = 1_000_000) -> list[Path]:
    """Write ``rows`` rows under ``folder`` (emptied first); return the files, sorted."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    if folder.exists():
        shutil.rmtree(folder)
    done = 0
    index = 0
    while done < rows:
        n = min(chunk, rows - done)
        table, region = _chunk(n, seed * 100_003 + index)
        for r, name in enumerate(REGIONS):
            part = folder / f"region={name}"
            part.mkdir(parents=True, exist_ok=True)
            pq.write_table(table.filter(pa.array(region == r)), part / f"part-{index:05d}.parquet")
        done += n
        index += 1
    return sorted(folder.rglob("*.parquet"), key=lambda p: p.as_posix())


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*.parquet"))
