"""The pandas engine: each statistic is its reference function on the union of the tables."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from govkit.errors import InputError
from govkit.scale.cells import CellSpec, Key, cells_of_frame
from govkit.scale.engines.base import TableRef, class_sizes_of_frame
from govkit.scale.engines.pandas_engine import PandasEngine


def _frame(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "g": rng.choice(["a", "b", "c"], size=n, p=[0.7, 0.2, 0.1]),
            "y": rng.integers(0, 2, size=n),
            "x": rng.normal(size=n),
            "s": rng.random(n),
        }
    )


@pytest.fixture
def hive(tmp_path: Path) -> tuple[list[TableRef], pd.DataFrame]:
    """Two hive partitions (region=north, region=south) of one table, and the whole table."""
    parts = []
    files = []
    for i, region in enumerate(("north", "south")):
        frame = _frame(3_000, i)
        folder = tmp_path / f"region={region}"
        folder.mkdir()
        frame.to_parquet(folder / "part.parquet", index=False)
        files.append(str(folder / "part.parquet"))
        parts.append(frame.assign(region=region))
    return [TableRef(tuple(files), hive=True)], pd.concat(parts, ignore_index=True)


def test_statistics_equal_the_references(hive: tuple[list[TableRef], pd.DataFrame]) -> None:
    tables, whole = hive
    engine = PandasEngine()
    assert engine.n_rows(tables) == len(whole)
    spec = CellSpec(keys=(Key("region"), Key("x", (-1.0, 0.0, 1.0))), label="y", score="s")
    pd.testing.assert_frame_equal(engine.cells(tables, spec), cells_of_frame(whole, spec))
    pd.testing.assert_frame_equal(
        engine.class_sizes(tables, ["g", "region"], "y"),
        class_sizes_of_frame(whole, ["g", "region"], "y"),
    )
    q = engine.quantiles(tables, "x", [0.0, 0.5, 1.0])
    assert q == pytest.approx(np.quantile(whole["x"], [0.0, 0.5, 1.0]), abs=0)


def test_sample_is_seeded_and_keeps_each_stratum_share(
    hive: tuple[list[TableRef], pd.DataFrame],
) -> None:
    tables, whole = hive
    engine = PandasEngine()
    a = engine.sample(tables, 600, seed=1, strata=["g"])
    b = engine.sample(tables, 600, seed=1, strata=["g"])
    c = engine.sample(tables, 600, seed=2, strata=["g"])
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)
    shares = a["g"].value_counts(normalize=True)
    expected = whole["g"].value_counts(normalize=True)
    for g in expected.index:
        assert abs(shares[g] - expected[g]) < 0.01
    assert len(engine.sample(tables, 10**6, seed=0)) == len(whole)


def test_an_unreadable_file_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "broken.parquet"
    bad.write_bytes(b"not parquet")
    with pytest.raises(InputError, match=r"broken\.parquet"):
        PandasEngine().sample([TableRef((str(bad),))], 10, seed=0)
    good = tmp_path / "good.parquet"
    _frame(10, 0).to_parquet(good)
    with pytest.raises(InputError, match="no column 'missing'"):
        PandasEngine().sample([TableRef((str(good),))], 10, seed=0, columns=["missing"])
