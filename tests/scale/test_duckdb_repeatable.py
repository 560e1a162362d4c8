"""The DuckDB engine's figures are the same on every run, bit for bit, however its threads interleave.

DuckDB's threads finish in a different order on each run, so a float column
summed with ``sum`` (or rows streamed out as threads finish) changes in its
last bits from run to run, and so would the gate's figures. Each statistic
with float sums is computed several times here, on many small row groups
read by more threads than the machine has cores, and compared bit for bit.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import govkit.scale.engines._duckdb_dense as dense
from govkit.scale.cells import SCORE_SUM, CellSpec, Key
from govkit.scale.engines.base import ProfileSpec, TableRef
from govkit.scale.engines.duckdb_engine import DuckDBEngine
from tests.scale.helpers import assert_cells_equal

pytest.importorskip("duckdb")

RUNS = 4


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> TableRef:
    """300k rows in 12 files of row groups of 2,000 rows: hundreds of pieces for the threads."""
    folder = tmp_path_factory.mktemp("repeatable")
    rng = np.random.default_rng(11)
    rows = 300_000
    income = rng.lognormal(10.0, 1.0, size=rows)
    income[rng.random(rows) < 0.01] = np.nan
    table = pa.table(
        {
            "sex": pa.array(rng.choice(["female", "male"], size=rows)),
            "race": pa.array(rng.choice(list("abcde"), size=rows)),
            "age": pa.array(rng.integers(18, 90, size=rows), pa.int64()),
            "income": pa.array(income),
            "label": pa.array(rng.integers(0, 2, size=rows), pa.int8()),
            "pred": pa.array(rng.integers(0, 2, size=rows), pa.int8()),
            "score": pa.array(rng.random(rows)),
        }
    )
    paths = []
    step = rows // 12
    for i in range(12):
        path = folder / f"part-{i:02d}.parquet"
        pq.write_table(table.slice(i * step, step), path, row_group_size=2_000)
        paths.append(str(path))
    return TableRef(tuple(paths))


SPEC = CellSpec(
    keys=(Key("sex"), Key("race"), Key("age", (30.0, 45.0, 65.0))),
    label="label",
    pred="pred",
    score="score",
)


def _same_every_run(compute: Callable[[], np.ndarray]) -> None:
    runs = [compute() for _ in range(RUNS)]
    for other in runs[1:]:
        assert np.array_equal(runs[0], other), "a figure changed between runs on the same data"


@pytest.mark.parametrize("path", ["dense", "grouped"])
def test_cells_score_sums_are_the_same_on_every_run(
    lake: TableRef, path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if path == "grouped":  # too many slots for the dense count: DuckDB groups by the packed key
        monkeypatch.setattr(dense, "MAX_SLOTS", 1)
    with DuckDBEngine(memory_limit="1GB", threads=4) as engine:
        first = engine.cells([lake], SPEC)
        _same_every_run(lambda: engine.cells([lake], SPEC)[SCORE_SUM].to_numpy())
    with DuckDBEngine(memory_limit="1GB", threads=1) as single:
        # exact sums, not a rounding of them: within the float sums' own error of one thread's
        assert_cells_equal(first, single.cells([lake], SPEC))


def test_the_profile_moments_are_the_same_on_every_run(lake: TableRef) -> None:
    spec = ProfileSpec(("income", "score", "age"), ("sex", "race"), "label", ())
    with DuckDBEngine(memory_limit="1GB", threads=4) as engine:

        def moments() -> np.ndarray:
            columns = engine.profile([lake], spec).columns
            return columns.loc[["income", "score"], ["mean", "std"]].to_numpy()

        _same_every_run(moments)
        income = pq.ParquetDataset(list(lake.files)).read(columns=["income"])
        values = income.column("income").to_numpy()
        values = values[~np.isnan(values)]
        got = moments()[0]
        np.testing.assert_allclose(got, [values.mean(), values.std()], rtol=1e-12)
