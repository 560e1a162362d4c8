"""The DuckDB engine reproduces the pandas reference of every statistic, exactly.

The data is built to break a careless SQL translation: scores exactly on
level edges, at 0 and 1, NaN and NULL (Parquet keeps both; pandas reads both
as NaN), binned values on bin edges and outside every bin, integer columns
with NULLs (pandas reads them as float64), text with missing markers wrapped
in Unicode whitespace, hive partitions, several files and a union of two
tables. The reference is the ``_of_frame`` function on the same rows read
with pandas.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as pads
import pyarrow.parquet as pq
import pytest

from govkit.errors import ConfigError, InputError
from govkit.scale.cells import (
    LEVELS,
    WEIGHT,
    CellSpec,
    Key,
    cells_of_frame,
)
from govkit.scale.engines.base import (
    ProfileSpec,
    TableRef,
    class_sizes_of_frame,
    profile_of_frame,
)
from govkit.scale.engines.duckdb_engine import DuckDBEngine
from tests.scale.helpers import assert_cells_equal

pytest.importorskip("duckdb")

EDGES = (0.0, 0.25, 0.5, 1.0)
MARKERS = ("?", "NA", "", "null")


def _arrow(rows: int, seed: int) -> pa.Table:
    """Rows with every edge case a translation to SQL can get wrong."""
    rng = np.random.default_rng(seed)
    level_edges = rng.integers(0, LEVELS + 1, size=rows) / LEVELS  # exactly on a level's edge
    smooth = rng.random(rows)
    score = np.where(rng.random(rows) < 0.3, level_edges, smooth)
    score[rng.random(rows) < 0.02] = 0.0
    score[rng.random(rows) < 0.02] = 1.0
    score[rng.random(rows) < 0.02] = np.nan
    score_null = rng.random(rows) < 0.02
    age = rng.choice([*EDGES, -0.5, 1.5, 0.1, 0.3, 0.75, 0.99, np.nan], size=rows)
    age_null = rng.random(rows) < 0.03
    sex = rng.choice(["f", "m", "x"], size=rows).astype(object)
    sex[rng.random(rows) < 0.05] = None
    race = rng.choice(["a", "b", "c", "d"], size=rows, p=[0.5, 0.3, 0.15, 0.05])
    band = rng.integers(0, 5, size=rows)
    band_null = rng.random(rows) < 0.05
    label = (rng.random(rows) < 0.4).astype(np.int64)
    pred = (rng.random(rows) < 0.5).astype(np.int64)
    text = rng.choice(["alpha", "beta", " ? ", "NA", "\u00a0null\t", "", "gamma"], size=rows)
    text = text.astype(object)
    text[rng.random(rows) < 0.05] = None
    income = rng.normal(50_000, 15_000, size=rows)
    income[rng.random(rows) < 0.05] = np.nan
    zip3 = rng.integers(100, 110, size=rows)
    return pa.table(
        {
            "sex": pa.array(sex, pa.string()),
            "race": pa.array(race, pa.string()),
            "band": pa.array(band, pa.int64(), mask=band_null),
            "age": pa.array(age, pa.float64(), mask=age_null),
            "label": pa.array(label, pa.int64()),
            "pred": pa.array(pred, pa.int64()),
            "score": pa.array(score, pa.float64(), mask=score_null),
            "score32": pa.array(score.astype(np.float32), pa.float32(), mask=score_null),
            "text": pa.array(text, pa.string()),
            "income": pa.array(income, pa.float64()),
            "zip3": pa.array(zip3, pa.int32()),
            "member": pa.array(rng.random(rows) < 0.3, pa.bool_(), mask=rng.random(rows) < 0.1),
        }
    )


@pytest.fixture(scope="module")
def flat(tmp_path_factory: pytest.TempPathFactory) -> tuple[TableRef, pd.DataFrame]:
    """Three plain files (one with a single row group of its own), and their rows read by pandas."""
    folder = tmp_path_factory.mktemp("flat")
    tables = [_arrow(4_000, seed) for seed in range(3)]
    files = []
    for i, table in enumerate(tables):
        path = folder / f"part-{i}.parquet"
        pq.write_table(table, path, row_group_size=1_000)
        files.append(str(path))
    frame = pa.concat_tables(pq.read_table(f) for f in files).to_pandas()
    return TableRef(tuple(files)), frame


@pytest.fixture(scope="module")
def hive(tmp_path_factory: pytest.TempPathFactory) -> tuple[TableRef, pd.DataFrame]:
    """Hive folders region=<text>/year=<int>, read by pandas through pyarrow's discovery."""
    folder = tmp_path_factory.mktemp("hive")
    table = _arrow(6_000, 7)
    rng = np.random.default_rng(1)
    table = table.append_column("region", pa.array(rng.choice(["eu", "us", "apac"], 6_000)))
    table = table.append_column("year", pa.array(rng.choice([2023, 2024], 6_000)))
    pq.write_to_dataset(table, folder, partition_cols=["region", "year"])
    files = sorted(str(p) for p in folder.rglob("*.parquet"))
    dataset = pads.dataset(
        files,
        format="parquet",
        partitioning=pads.HivePartitioning.discover(infer_dictionary=False),
        partition_base_dir=str(folder),
    )
    return TableRef(tuple(files), hive=True), dataset.to_table().to_pandas()


@pytest.fixture(scope="module")
def engine() -> DuckDBEngine:
    e = DuckDBEngine(memory_limit="1GB", threads=2)
    yield e
    e.close()


SPECS = {
    "groups_binned_score": CellSpec(
        keys=(Key("sex"), Key("race"), Key("age", EDGES)), label="label", pred="pred", score="score"
    ),
    "int_key_with_nulls": CellSpec(keys=(Key("band"),), label="label", pred="pred", score="score"),
    "float_key_nan_and_null": CellSpec(
        keys=(Key("age"),), label="label", pred="pred", score="score"
    ),
    "float32_score": CellSpec(keys=(Key("sex"),), label="label", pred="pred", score="score32"),
    "binned_int": CellSpec(keys=(Key("band", (1.0, 2.0, 3.0)),), label="label", pred="pred"),
    "label_only": CellSpec(keys=(Key("race"),), label="label"),
    "bool_key_with_nulls": CellSpec(keys=(Key("member"), Key("sex")), label="label", pred="pred"),
    "few_levels": CellSpec(keys=(), label="label", pred="pred", score="score", levels=7),
}


@pytest.mark.parametrize("name", list(SPECS))
def test_cells_equal_the_reference(
    engine: DuckDBEngine, flat: tuple[TableRef, pd.DataFrame], name: str
) -> None:
    table, frame = flat
    spec = SPECS[name]
    assert_cells_equal(engine.cells([table], spec), cells_of_frame(frame, spec))


def test_cells_without_packed_keys_equal_the_reference(
    engine: DuckDBEngine, flat: tuple[TableRef, pd.DataFrame], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Text keys with more values than an ENUM takes are grouped as they are."""
    import govkit.scale.engines._duckdb_packed as packing

    monkeypatch.setattr(packing, "MAX_TEXT_VALUES", 2)
    monkeypatch.setattr(packing, "MAX_INT_RANGE", 2)
    table, frame = flat
    for spec in (SPECS["groups_binned_score"], SPECS["int_key_with_nulls"]):
        assert packing.plan_codes(spec.keys, ["label"], *_probe(engine, table, spec)) is None
        assert_cells_equal(engine.cells([table], spec), cells_of_frame(frame, spec))


def _probe(engine: DuckDBEngine, table: TableRef, spec: CellSpec) -> tuple[Any, ...]:
    import govkit.scale.engines._duckdb_packed as packing
    from govkit.scale.engines import _duckdb_sql as sql

    types = engine._types([table])
    columns = [k.column for k in spec.keys if k.edges is None] + ["label"]
    query = packing.probe_query(columns, types, sql.source([table]))
    assert query is not None
    found = dict(zip(columns, engine._con.execute(query).fetchall()[0], strict=False))
    return types, found, spec.levels, "-1"


def test_cells_of_hive_partitions_and_a_union(
    engine: DuckDBEngine,
    flat: tuple[TableRef, pd.DataFrame],
    hive: tuple[TableRef, pd.DataFrame],
) -> None:
    table, frame = hive
    spec = CellSpec(
        keys=(Key("region"), Key("year"), Key("sex")), label="label", pred="pred", score="score"
    )
    got = engine.cells([table], spec)
    assert_cells_equal(got, cells_of_frame(frame, spec))
    assert set(got["region"]) == {"eu", "us", "apac"}
    assert got["year"].dtype == np.int32  # pyarrow's reading of a year=2024 folder

    union_spec = CellSpec(keys=(Key("sex"), Key("age", EDGES)), label="label", score="score")
    both = pd.concat([flat[1], frame[flat[1].columns]], ignore_index=True)
    assert_cells_equal(engine.cells([flat[0], table], union_spec), cells_of_frame(both, union_spec))


def test_edge_scores_fall_in_the_levels_of_the_reference(
    engine: DuckDBEngine, tmp_path: Path
) -> None:
    """Every level edge k/L, just below and above it, 0, 1, outside [0, 1], NaN, NULL."""
    k = np.arange(0, LEVELS + 1, dtype=np.float64) / LEVELS
    values = np.concatenate(
        [k, np.nextafter(k, -1.0), np.nextafter(k, 2.0), [-0.1, 1.1, np.nan, np.inf, -np.inf]]
    )
    nulls = np.zeros(len(values) + 3, dtype=bool)
    nulls[-3:] = True
    scores = np.concatenate([values, [0.5, 0.5, 0.5]])
    bins = np.resize(np.array([*EDGES, -1.0, 2.0, np.nextafter(0.5, 0.0), np.nan]), len(scores))
    n = len(scores)
    path = tmp_path / "edges.parquet"
    pq.write_table(
        pa.table(
            {
                "score": pa.array(scores, mask=nulls),
                "x": pa.array(bins, mask=np.arange(n) % 11 == 0),
                "label": pa.array(np.arange(n) % 2),
            }
        ),
        path,
    )
    spec = CellSpec(keys=(Key("x", EDGES),), label="label", pred=None, score="score")
    want = cells_of_frame(pd.read_parquet(path), spec)
    got = engine.cells([TableRef((str(path),))], spec)
    assert_cells_equal(got, want)
    assert want[WEIGHT].sum() == n


def test_scored_cells_equal_the_reference_and_report_progress(
    flat: tuple[TableRef, pd.DataFrame],
) -> None:
    table, frame = flat

    def scorer(batch: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        s = 1.0 / (1.0 + np.exp(-(batch["income"].fillna(0.0).to_numpy() - 50_000) / 15_000))
        return (s >= 0.5).astype(np.int64), s

    class Counter:
        def __init__(self) -> None:
            self.rows = 0
            self.calls = 0

        def advance(self, rows: int) -> None:
            self.rows += rows
            self.calls += 1

    spec = CellSpec(
        keys=(Key("sex"), Key("age", EDGES)), label="label", pred="model_pred", score="model_score"
    )
    counter = Counter()
    import govkit.scale.engines.duckdb_engine as module

    saved = module.BATCH_ROWS, module._FOLD_ROWS
    # several batches from these few rows, folded together several times
    module.BATCH_ROWS, module._FOLD_ROWS = 1_000, 1_500
    try:
        with DuckDBEngine(memory_limit="1GB", threads=2, progress=counter) as e:
            got = e.cells([table], spec, scorer=scorer, columns=["income"])
    finally:
        module.BATCH_ROWS, module._FOLD_ROWS = saved
    scored = frame.copy()
    scored["model_pred"], scored["model_score"] = scorer(frame)
    assert_cells_equal(got, cells_of_frame(scored, spec))
    assert counter.rows == len(frame)
    assert counter.calls >= len(frame) // 1_000


class _BinaryModel:
    """A binary scorer as the runner builds one (``task``), with missing scores among its own."""

    task = "binary"

    def __call__(self, batch: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        income = batch["income"].to_numpy()
        s = 1.0 / (1.0 + np.exp(-(np.nan_to_num(income) - 50_000) / 15_000))
        s[np.isnan(income)] = np.nan  # a model may return NaN: no level, as on the rows
        return (s >= 0.5).astype(np.int64), s


SCORED_KEYS = {
    "text_and_binned_with_missing": (Key("sex"), Key("age", EDGES)),
    "int_with_nulls_and_bool": (Key("band"), Key("member")),
    "float_key_not_packed": (Key("age"),),
}


@pytest.mark.parametrize("keys", SCORED_KEYS.values(), ids=SCORED_KEYS.keys())
@pytest.mark.parametrize("slots", ["dense", "too_many_slots"])
def test_a_binary_model_s_cells_counted_densely_equal_the_reference(
    flat: tuple[TableRef, pd.DataFrame],
    keys: tuple[Key, ...],
    slots: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import govkit.scale.engines.duckdb_engine as module

    table, frame = flat
    spec = CellSpec(keys=keys, label="label", pred="model_pred", score="model_score")
    if slots == "too_many_slots":
        monkeypatch.setattr(module.dense, "MAX_SLOTS", 1)
    taken: list[bool] = []
    dense_path = module.DuckDBEngine._scored_dense

    def spy(self: DuckDBEngine, *args: Any, **kwargs: Any) -> pd.DataFrame | None:
        out = dense_path(self, *args, **kwargs)
        taken.append(out is not None)
        return out

    monkeypatch.setattr(module.DuckDBEngine, "_scored_dense", spy)
    monkeypatch.setattr(module, "BATCH_ROWS", 1_000)  # several batches
    model = _BinaryModel()
    with DuckDBEngine(memory_limit="1GB", threads=2) as e:
        got = e.cells([table], spec, scorer=model, columns=["income"])
    scored = frame.copy()
    scored["model_pred"], scored["model_score"] = model(frame)
    assert_cells_equal(got, cells_of_frame(scored, spec))
    packable = not any(k.edges is None and k.column == "age" for k in keys)
    assert taken == [packable and slots == "dense"]


def test_profile_equals_the_reference(
    engine: DuckDBEngine, hive: tuple[TableRef, pd.DataFrame]
) -> None:
    table, frame = hive
    spec = ProfileSpec(
        columns=("text", "income", "band", "age", "sex", "year", "zip3"),
        groups=("sex", "region"),
        label="label",
        markers=MARKERS,
    )
    got = engine.profile([table], spec)
    want = profile_of_frame(frame, spec)
    pd.testing.assert_frame_equal(got.counts, want.counts)
    exact = ["dtype", "present", "distinct"]
    pd.testing.assert_frame_equal(got.columns[exact], want.columns[exact])
    figures = ["mean", "std", "p05", "median", "p95"]
    np.testing.assert_allclose(
        got.columns[figures].to_numpy(dtype=float),
        want.columns[figures].to_numpy(dtype=float),
        rtol=1e-9,
        equal_nan=True,
    )
    # the markers count: " ? ", "NA", a no-break space around "null", the empty string
    assert got.columns.loc["text", "present"] < (frame["text"].notna()).sum()
    assert got.columns.loc["text", "distinct"] == 3


def test_class_sizes_equal_the_reference(
    engine: DuckDBEngine, flat: tuple[TableRef, pd.DataFrame]
) -> None:
    table, frame = flat
    for columns, sensitive in [
        (["zip3", "sex"], "race"),
        (["band", "age"], "sex"),
        (["race"], None),
    ]:
        got = engine.class_sizes([table], columns, sensitive)
        pd.testing.assert_frame_equal(got, class_sizes_of_frame(frame, columns, sensitive))


def test_quantiles_match_numpy(engine: DuckDBEngine, flat: tuple[TableRef, pd.DataFrame]) -> None:
    table, frame = flat
    probs = [0.0, 0.05, 0.1, 1 / 3, 0.5, 0.95, 1.0]
    for column in ("income", "age", "band", "zip3"):
        values = frame[column].to_numpy(dtype=np.float64, na_value=np.nan)
        want = np.quantile(values[np.isfinite(values)], probs)
        np.testing.assert_allclose(engine.quantiles([table], column, probs), want, rtol=1e-12)


def test_n_rows_from_the_footers(
    engine: DuckDBEngine, flat: tuple[TableRef, pd.DataFrame], hive: tuple[TableRef, pd.DataFrame]
) -> None:
    assert engine.n_rows([flat[0], hive[0]]) == len(flat[1]) + len(hive[1])


def test_sample_is_seeded_and_independent_of_threads(flat: tuple[TableRef, pd.DataFrame]) -> None:
    table, frame = flat
    with DuckDBEngine(memory_limit="1GB", threads=1) as one, DuckDBEngine(threads=2) as two:
        a = one.sample([table], 500, seed=3, columns=["sex", "income", "band"])
        b = two.sample([table], 500, seed=3, columns=["sex", "income", "band"])
        c = two.sample([table], 500, seed=4, columns=["sex", "income", "band"])
        everything = two.sample([table], 10**9, seed=3)
    pd.testing.assert_frame_equal(a, b)
    assert len(a) == 500 and not a.equals(c)
    assert list(a.columns) == ["sex", "income", "band"]
    assert a["band"].dtype == frame["band"].dtype  # float64: an integer column with NULLs
    assert len(everything) == len(frame)
    pd.testing.assert_frame_equal(everything, frame)


def test_stratified_sample_keeps_each_stratum_share(flat: tuple[TableRef, pd.DataFrame]) -> None:
    table, frame = flat
    with DuckDBEngine(threads=2) as e:
        got = e.sample([table], 1_000, seed=0, strata=["race", "sex"])
        again = e.sample([table], 1_000, seed=0, strata=["race", "sex"])
    pd.testing.assert_frame_equal(got, again)
    shares = frame.groupby(["race", "sex"], dropna=False).size()
    counts = got.groupby(["race", "sex"], dropna=False).size()
    expected = np.maximum(1, np.floor(1_000 * shares / len(frame) + 0.5)).astype(int)
    pd.testing.assert_series_equal(counts, expected, check_names=False)


def test_uniform_sample_is_unbiased(tmp_path: Path) -> None:
    """Over 200 seeds a 10% sample's mean of a known column stays within its standard error."""
    path = tmp_path / "u.parquet"
    values = np.arange(20_000, dtype=np.float64)
    pq.write_table(pa.table({"v": values}), path, row_group_size=3_000)
    with DuckDBEngine(threads=2) as e:
        means = [e.sample([TableRef((str(path),))], 2_000, seed=s)["v"].mean() for s in range(200)]
    # sd of one sample mean (finite population), and of the mean of 200 of them
    sd = values.std() / np.sqrt(2_000) * np.sqrt(1 - 2_000 / 20_000)
    assert abs(np.mean(means) - values.mean()) < 4 * sd / np.sqrt(200)
    assert 0.7 * sd < np.std(means) < 1.3 * sd


def test_describe_reports_the_memory_limit() -> None:
    with DuckDBEngine(memory_limit="512MiB", threads=1) as e:
        described = e.describe()
    assert described["name"] == "duckdb"
    assert described["memory_limit"] == "512.0 MiB"
    assert described["threads"] == 1
    with DuckDBEngine() as e:
        assert e.describe()["memory_limit"].endswith("B")


def test_a_bad_memory_limit_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"engine.memory_limit: '4 lots'.*'4GB'"):
        DuckDBEngine(memory_limit="4 lots")


def test_spill_folder_is_removed_on_close() -> None:
    e = DuckDBEngine(threads=1)
    spill = e._spill
    assert os.path.isdir(spill)
    e.close()
    assert not os.path.exists(spill)


def test_a_corrupt_file_is_an_input_error_naming_it(
    engine: DuckDBEngine, flat: tuple[TableRef, pd.DataFrame], tmp_path: Path
) -> None:
    bad = tmp_path / "broken.parquet"
    good = Path(flat[0].files[0])
    bad.write_bytes(good.read_bytes()[: good.stat().st_size // 2])  # cut short, as a failed copy
    table = TableRef((*flat[0].files, str(bad)))
    spec = CellSpec(keys=(Key("sex"),), label="label", pred="pred")
    for call in (
        lambda: engine.cells([table], spec),
        lambda: engine.n_rows([table]),
        lambda: engine.quantiles([table], "income", [0.5]),
    ):
        with pytest.raises(InputError, match=r"broken\.parquet: cannot read the Parquet file"):
            call()


def test_a_missing_column_or_file_is_an_input_error(
    engine: DuckDBEngine, flat: tuple[TableRef, pd.DataFrame], tmp_path: Path
) -> None:
    table = flat[0]
    with pytest.raises(InputError, match=r"no column 'gender'.*the files have sex, race"):
        engine.class_sizes([table], ["gender"])
    gone = TableRef((str(tmp_path / "gone.parquet"),))
    with pytest.raises(InputError, match=r"gone\.parquet"):
        engine.cells([gone], CellSpec(keys=(), label="label"))


def test_profile_past_the_exact_limit_estimates_and_says_so(
    flat: tuple[TableRef, pd.DataFrame],
) -> None:
    table, frame = flat
    spec = ProfileSpec(
        columns=("income", "zip3", "text"), groups=("sex",), label="label", markers=MARKERS
    )
    want = profile_of_frame(frame, spec)
    with DuckDBEngine(threads=2, exact_profile_rows=1_000) as e:
        got = e.profile([table], spec)
        assert e.describe()["exact_profile_rows"] == 1_000
    # only the many-valued columns' distinct counts are sketched: quantiles stay exact
    assert got.approximate == ["distinct"]
    pd.testing.assert_frame_equal(got.counts, want.counts)  # counts stay exact
    exact = ["dtype", "present", "mean", "std"]
    pd.testing.assert_frame_equal(got.columns[exact], want.columns[exact], rtol=1e-9)
    distinct = got.columns["distinct"] / want.columns["distinct"]
    assert ((distinct > 0.9) & (distinct < 1.1)).all()
    # a column of few values gets exact quantiles from its histogram ...
    figures = ["p05", "median", "p95"]
    np.testing.assert_allclose(
        got.columns.loc["zip3", figures].to_numpy(dtype=float),
        want.columns.loc["zip3", figures].to_numpy(dtype=float),
        rtol=1e-12,
    )
    # ... and a many-valued column's quantiles are exact too
    np.testing.assert_allclose(
        got.columns.loc["income", figures].to_numpy(dtype=float),
        want.columns.loc["income", figures].to_numpy(dtype=float),
        rtol=1e-12,
    )


def test_quantiles_of_a_column_with_infinite_values_past_the_limit_stay_exact(
    tmp_path: Path,
) -> None:
    rng = np.random.default_rng(3)
    values = rng.normal(size=5_000)
    values[:3] = np.inf
    frame = pd.DataFrame({"v": values, "g": rng.integers(0, 2, 5_000), "y": 1})
    path = tmp_path / "inf.parquet"
    frame.to_parquet(path)
    spec = ProfileSpec(columns=("v",), groups=("g",), label="y", markers=())
    with DuckDBEngine(threads=2, exact_profile_rows=1_000) as e:
        got = e.profile([TableRef((str(path),))], spec)
    assert got.approximate == ["distinct"]
    figures = ["p05", "median", "p95"]
    np.testing.assert_array_equal(
        got.columns.loc["v", figures].to_numpy(dtype=float),
        profile_of_frame(frame, spec).columns.loc["v", figures].to_numpy(dtype=float),
    )


def test_quantiles_of_a_column_without_finite_values_are_nan(tmp_path: Path) -> None:
    path = tmp_path / "nan.parquet"
    pq.write_table(pa.table({"v": pa.array([np.nan, None, np.inf], pa.float64())}), path)
    with DuckDBEngine(threads=1) as e:
        assert np.isnan(e.quantiles([TableRef((str(path),))], "v", [0.1, 0.9])).all()


def test_sorting_many_keys_equals_pandas_order() -> None:
    from govkit.scale.engines.duckdb_engine import _sorted

    rng = np.random.default_rng(0)
    n = 5_000
    frame = pd.DataFrame(
        {
            "s": pd.Series(rng.choice(["b", "a", "é", "Z", None], n), dtype="str"),
            "f": rng.choice([np.nan, -1.5, 0.0, 2.0], n),
            **{f"k{i}": rng.integers(0, 2**20, n) for i in range(4)},  # too many to pack
        }
    )
    keys = list(frame.columns)
    want = frame.sort_values(keys, na_position="last", kind="mergesort").reset_index(drop=True)
    pd.testing.assert_frame_equal(_sorted(frame, keys), want)
    pd.testing.assert_frame_equal(
        _sorted(frame, keys[:3]),
        frame.sort_values(keys[:3], na_position="last", kind="mergesort").reset_index(drop=True),
    )


def test_histogram_quantiles_match_numpy() -> None:
    from govkit.scale.engines.duckdb_engine import _histogram_quantiles

    rng = np.random.default_rng(5)
    probs = [0.0, 0.05, 0.3, 0.5, 0.95, 0.999, 1.0]
    for size in (1, 2, 7, 1_000):
        values = rng.integers(-3, 4, size).astype(float) * 0.1
        uniques, counts = np.unique(values, return_counts=True)
        pairs = [(float(v), int(n)) for v, n in zip(uniques, counts, strict=True)]
        rng.shuffle(pairs)
        got = _histogram_quantiles(pairs, probs)
        np.testing.assert_allclose(got, np.percentile(values, np.array(probs) * 100), rtol=1e-15)
