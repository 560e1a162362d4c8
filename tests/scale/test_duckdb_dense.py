"""The DuckDB engine's packed and dense cells equal the reference on data of every shape.

The cells keep a slot only for a value the rows hold, rank short text lists
by a search and long ones by an ENUM, and drop the NaN tests of the level
and score sum when the probe found no missing score; each shortcut is
exercised here on the data it is taken for, and on the data it must not be
taken for, against :func:`govkit.scale.cells.cells_of_frame` on the same
rows read by pandas.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from govkit.scale.cells import LEVELS, WEIGHT, CellSpec, Key, cell_level, cells_of_frame
from govkit.scale.engines.base import TableRef
from govkit.scale.engines.duckdb_engine import DuckDBEngine
from tests.scale.helpers import assert_cells_equal

pytest.importorskip("duckdb")

EDGES = (18.0, 30.0, 45.0, 65.0, 91.0)


@pytest.fixture(scope="module")
def engine() -> DuckDBEngine:
    e = DuckDBEngine(memory_limit="1GB", threads=2)
    yield e
    e.close()


def _write(
    tmp: Path, columns: dict[str, pa.Array], files: int = 2
) -> tuple[TableRef, pd.DataFrame]:
    table = pa.table(columns)
    paths = []
    step = -(-table.num_rows // files)
    for i in range(files):
        path = tmp / f"part-{i}.parquet"
        pq.write_table(table.slice(i * step, step), path)
        paths.append(str(path))
    frame = pa.concat_tables(pq.read_table(p) for p in paths).to_pandas()
    return TableRef(tuple(paths)), frame


def _clean(rows: int, seed: int, *, low: float = 0.0, high: float = 1.0) -> dict[str, pa.Array]:
    """No missing value anywhere: every shortcut of the probe applies."""
    rng = np.random.default_rng(seed)
    score = rng.uniform(low, high, size=rows)
    score[rng.random(rows) < 0.05] = high  # the top edge, 1.0 itself when high is 1
    score[rng.random(rows) < 0.05] = low
    return {
        "sex": pa.array(rng.choice(["female", "male"], size=rows)),
        "race": pa.array(rng.choice(list("abcde"), size=rows, p=[0.4, 0.2, 0.2, 0.1, 0.1])),
        "age": pa.array(rng.integers(20, 70, size=rows), pa.int64()),
        "label": pa.array(rng.integers(0, 2, size=rows), pa.int8()),
        "pred": pa.array(rng.integers(0, 2, size=rows), pa.int8()),
        "score": pa.array(score),
        "member": pa.array(rng.random(rows) < 0.5),
    }


SPEC = CellSpec(
    keys=(Key("sex"), Key("race"), Key("age", EDGES)), label="label", pred="pred", score="score"
)


def test_a_score_outside_the_unit_interval_has_a_level_apart(
    engine: DuckDBEngine, tmp_path: Path
) -> None:
    """-2 outside [0, 1], -1 missing (infinities too), in the reference and in SQL alike."""
    scores = [-1e-9, 0.0, 0.5, 1.0, 1.0000001, np.nan, np.inf, -np.inf]
    want = [-2, 0, LEVELS // 2, LEVELS - 1, -2, -1, -1, -1]
    assert cell_level(np.array(scores)).tolist() == want
    columns = _clean(len(scores), 1)
    columns = {k: v for k, v in columns.items() if k != "score"} | {"score": pa.array(scores)}
    table, frame = _write(tmp_path, columns, files=1)
    spec = CellSpec(keys=(Key("sex"),), label="label", score="score")
    assert_cells_equal(engine.cells([table], spec), cells_of_frame(frame, spec))
    assert sorted(set(cells_of_frame(frame, spec)[spec.key_columns[-1]])) == sorted(set(want))


@pytest.mark.parametrize(("low", "high"), [(0.0, 1.0), (0.25, 0.75), (-0.2, 1.3)])
def test_scores_without_missing_values_take_the_plain_level(
    engine: DuckDBEngine, tmp_path: Path, low: float, high: float
) -> None:
    """Scores at 0 and 1 and strictly inside take a plain floor; outside [0, 1], a level apart."""
    table, frame = _write(tmp_path, _clean(20_000, 3, low=low, high=high))
    import govkit.scale.engines._duckdb_packed as packing

    probed = [min(frame["score"]), max(frame["score"]), 0]
    expr = packing.level_expr("score", LEVELS, probed)
    inside = low >= 0 and high <= 1
    assert ("CASE" not in expr) == inside
    assert "greatest" not in expr and ("least" in expr) == (high >= 1)
    for spec in (SPEC, CellSpec(keys=(Key("member"),), label="label", score="score", levels=7)):
        assert_cells_equal(engine.cells([table], spec), cells_of_frame(frame, spec))


def test_the_slots_are_only_the_values_the_rows_hold(
    engine: DuckDBEngine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two sexes, five races, the four bins ages 20..69 fall in, 100 levels: no slot for missing."""
    table, frame = _write(tmp_path, _clean(5_000, 4, low=0.5, high=0.5 + 99 / LEVELS))
    import govkit.scale.engines._duckdb_dense as dense

    seen: list[int] = []
    count = dense.count

    def spy(batches: object, slots: int, *, scores: bool) -> dense.DenseCounts:
        seen.append(slots)
        return count(batches, slots, scores=scores)  # type: ignore[arg-type]

    monkeypatch.setattr(dense, "count", spy)
    got = engine.cells([table], SPEC)
    assert seen == [2 * 5 * 4 * 2 * 2 * 100]
    assert_cells_equal(got, cells_of_frame(frame, SPEC))


def test_grouped_packed_keys_equal_the_dense_count(
    engine: DuckDBEngine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past the dense limit the packed keys are grouped in DuckDB: the same cells."""
    import govkit.scale.engines._duckdb_dense as dense

    table, frame = _write(tmp_path, _clean(20_000, 5))
    want = cells_of_frame(frame, SPEC)
    assert_cells_equal(engine.cells([table], SPEC), want)
    monkeypatch.setattr(dense, "MAX_SLOTS", 0)
    assert_cells_equal(engine.cells([table], SPEC), want)


@pytest.mark.parametrize("values", [3, 200])
def test_text_keys_by_list_or_enum_with_and_without_missing(
    engine: DuckDBEngine, tmp_path: Path, values: int
) -> None:
    """A short list of values is searched, a long one cast to an ENUM; NULLs sort last."""
    rng = np.random.default_rng(values)
    rows = 30_000
    names = np.array([f"v{i:03d} é" for i in range(values)], dtype=object)
    full = names[rng.integers(0, values, size=rows)]
    holes = full.copy()
    holes[rng.random(rows) < 0.1] = None
    columns = {
        "full": pa.array(full, pa.string()),
        "holes": pa.array(holes, pa.string()),
        "label": pa.array(rng.integers(0, 3, size=rows)),
        "score": pa.array(rng.random(rows)),
    }
    table, frame = _write(tmp_path, columns, files=3)
    spec = CellSpec(keys=(Key("full"), Key("holes")), label="label", score="score")
    assert_cells_equal(engine.cells([table], spec), cells_of_frame(frame, spec))


def test_binned_floats_inside_and_outside_the_bins(engine: DuckDBEngine, tmp_path: Path) -> None:
    """A float column without NaN, inside the bins only, then reaching below, above and NaN."""
    rng = np.random.default_rng(6)
    rows = 10_000
    inside = rng.uniform(30.0, 64.0, size=rows)
    wide = rng.uniform(0.0, 120.0, size=rows)
    wide[rng.random(rows) < 0.05] = np.nan
    wide[:5] = [18.0, 91.0, 30.0, np.nextafter(30.0, 0.0), 91.5]
    columns = {
        "inside": pa.array(inside),
        "wide": pa.array(wide),
        "label": pa.array(rng.integers(0, 2, size=rows)),
        "score": pa.array(rng.random(rows)),
    }
    table, frame = _write(tmp_path, columns)
    for key in ("inside", "wide"):
        spec = CellSpec(keys=(Key(key, EDGES),), label="label", score="score")
        assert_cells_equal(engine.cells([table], spec), cells_of_frame(frame, spec))


def test_columns_without_values(engine: DuckDBEngine, tmp_path: Path) -> None:
    """An integer key, a binned key, the prediction and the scores all missing: one slot each."""
    rows = 2_000
    rng = np.random.default_rng(8)
    columns = {
        "x": pa.array([None] * rows, pa.float64()),
        "n": pa.array([None] * rows, pa.int64()),
        "label": pa.array(rng.integers(0, 2, size=rows)),
        "pred": pa.array([None] * rows, pa.int64()),
        "score": pa.array(np.full(rows, np.nan)),
    }
    table, frame = _write(tmp_path, columns)
    spec = CellSpec(keys=(Key("x", EDGES), Key("n")), label="label", pred="pred", score="score")
    got = engine.cells([table], spec)
    assert_cells_equal(got, cells_of_frame(frame, spec))
    assert got[WEIGHT].sum() == rows


def test_integer_ranges_from_footers_count_a_column_some_files_lack(
    engine: DuckDBEngine, tmp_path: Path
) -> None:
    """An integer key's range comes from the Parquet statistics, except where a file lacks it."""
    rng = np.random.default_rng(9)
    rows = 3_000
    with_n = tmp_path / "with"
    without = tmp_path / "without"
    with_n.mkdir()
    without.mkdir()
    common = {
        "label": pa.array(rng.integers(0, 2, size=rows)),
        "score": pa.array(rng.random(rows)),
    }
    a, frame_a = _write(with_n, {**common, "n": pa.array(rng.integers(-3, 4, size=rows))})
    b, frame_b = _write(without, common)
    both = pd.concat([frame_a, frame_b], ignore_index=True)
    spec = CellSpec(keys=(Key("n"),), label="label", score="score")
    assert_cells_equal(engine.cells([a], spec), cells_of_frame(frame_a, spec))
    assert_cells_equal(engine.cells([a, b], spec), cells_of_frame(both, spec))
    binned = CellSpec(keys=(Key("n", (0.0, 2.0)),), label="label", score="score")
    assert_cells_equal(engine.cells([a, b], binned), cells_of_frame(both, binned))


def test_unpacking_in_chunks_gives_numpys_unravelling(monkeypatch: pytest.MonkeyPatch) -> None:
    import govkit.scale.engines._duckdb_packed as packing

    monkeypatch.setattr(packing, "_UNPACK_CHUNK", 1_000)
    sizes = [2, 5, 300, 3, LEVELS + 1]
    codes = [packing.Code("", s, np.arange(s)) for s in sizes]
    packed = np.sort(np.random.default_rng(10).choice(int(np.prod(sizes)), 12_345, replace=False))
    got = packing.unpack_ranks(packed, codes)
    for rank, want in zip(got, np.unravel_index(packed, sizes), strict=True):
        np.testing.assert_array_equal(rank, want)
    assert [r.dtype.itemsize for r in got] == [1, 1, 2, 1, 4]
