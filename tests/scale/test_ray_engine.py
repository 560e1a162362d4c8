"""The Ray engine reproduces the pandas reference of every statistic, on a local Ray instance.

One local instance (two CPUs, from ``local_ray`` in conftest.py) serves the
module, and the other scale tests that run Ray. The data holds what a
batch-by-batch engine can get wrong: integer columns with nulls in some files
only (pandas reads those batches as float64), NaN and NULL scores, scores on
level edges, text with missing markers, binned values on and outside the bin
edges, hive partitions typed by pyarrow (text and integers), several files and
a union of two tables. Each statistic is compared with its ``_of_frame``
reference on the same rows read by pandas.
"""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as pads
import pyarrow.parquet as pq
import pytest

from govkit.errors import InputError
from govkit.extras import MissingExtraError
from govkit.scale.cells import LEVELS, SCORE_SUM, CellSpec, Key, cells_of_frame
from govkit.scale.engines.base import (
    ProfileSpec,
    TableRef,
    class_sizes_of_frame,
    profile_of_frame,
)
from govkit.scale.engines.ray_engine import RayEngine, _sampler

pytest.importorskip("ray")
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:ray.*")


EDGES = (0.0, 0.25, 0.5, 1.0)
MARKERS = ("?", "NA", "", "null")


def _arrow(rows: int, seed: int, *, band_nulls: bool = True) -> pa.Table:
    rng = np.random.default_rng(seed)
    on_edge = rng.integers(0, LEVELS + 1, size=rows) / LEVELS
    score = np.where(rng.random(rows) < 0.3, on_edge, rng.random(rows))
    score[rng.random(rows) < 0.02] = 1.0
    score[rng.random(rows) < 0.02] = np.nan
    age = rng.choice([*EDGES, -0.5, 1.5, 0.1, 0.3, 0.75, np.nan], size=rows)
    sex = rng.choice(["f", "m", "x"], size=rows).astype(object)
    sex[rng.random(rows) < 0.05] = None
    text = rng.choice(["alpha", "beta", " ? ", "NA", "", "gamma"], size=rows).astype(object)
    text[rng.random(rows) < 0.05] = None
    income = rng.normal(50_000, 15_000, size=rows)
    income[rng.random(rows) < 0.05] = np.nan
    return pa.table(
        {
            "sex": pa.array(sex, pa.string()),
            "band": pa.array(
                rng.integers(0, 5, size=rows),
                pa.int64(),
                mask=(rng.random(rows) < 0.05) if band_nulls else None,
            ),
            "age": pa.array(age, pa.float64(), mask=rng.random(rows) < 0.03),
            "label": pa.array((rng.random(rows) < 0.4).astype(np.int64)),
            "pred": pa.array((rng.random(rows) < 0.5).astype(np.int64)),
            "score": pa.array(score, pa.float64(), mask=rng.random(rows) < 0.02),
            "text": pa.array(text, pa.string()),
            "income": pa.array(income, pa.float64()),
            "zip3": pa.array(rng.integers(100, 110, size=rows), pa.int32()),
        }
    )


@pytest.fixture(scope="module")
def engine(local_ray: None) -> Any:
    ray_engine = RayEngine(num_cpus=2)
    yield ray_engine
    ray_engine.close()


@pytest.fixture(scope="module")
def flat(tmp_path_factory: pytest.TempPathFactory) -> tuple[TableRef, pd.DataFrame]:
    """Three files, the last without a null in ``band`` (int64 there, float64 elsewhere)."""
    folder = tmp_path_factory.mktemp("flat")
    files = []
    for i in range(3):
        path = folder / f"part-{i}.parquet"
        pq.write_table(_arrow(3_000, i, band_nulls=i < 2), path, row_group_size=1_000)
        files.append(str(path))
    frame = pa.concat_tables(pq.read_table(f) for f in files).to_pandas()
    return TableRef(tuple(files)), frame


@pytest.fixture(scope="module")
def hive(tmp_path_factory: pytest.TempPathFactory) -> tuple[TableRef, pd.DataFrame]:
    """Folders region=<text>/year=<int>, read by pandas through pyarrow's discovery."""
    folder = tmp_path_factory.mktemp("hive")
    table = _arrow(4_000, 7)
    rng = np.random.default_rng(1)
    table = table.append_column("region", pa.array(rng.choice(["eu", "us", "apac"], 4_000)))
    table = table.append_column("year", pa.array(rng.choice([2023, 2024], 4_000)))
    pq.write_to_dataset(table, folder, partition_cols=["region", "year"])
    files = sorted(str(p) for p in folder.rglob("*.parquet"))
    dataset = pads.dataset(
        files,
        format="parquet",
        partitioning=pads.HivePartitioning.discover(infer_dictionary=False),
        partition_base_dir=str(folder),
    )
    return TableRef(tuple(files), hive=True), dataset.to_table().to_pandas()


def _same(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    """Equal tables: same keys and counts, sums equal up to summation order."""
    assert list(got.columns) == list(expected.columns)
    assert len(got) == len(expected)
    pd.testing.assert_frame_equal(
        got.reset_index(drop=True),
        expected.reset_index(drop=True),
        check_dtype=False,
        check_exact=False,
        rtol=1e-9,
    )


def test_cells_equal_the_reference_over_files_with_nulls_and_bins(
    engine: Any, flat: tuple[TableRef, pd.DataFrame]
) -> None:
    table, frame = flat
    spec = CellSpec(
        keys=(Key("sex"), Key("band"), Key("age", EDGES)),
        label="label",
        pred="pred",
        score="score",
    )
    got = engine.cells([table], spec)
    expected = cells_of_frame(frame, spec)
    _same(got, expected)
    assert int(got["__govkit_n"].sum()) == len(frame)
    assert got[SCORE_SUM].sum() == pytest.approx(np.nansum(frame["score"]), rel=1e-12)


def test_cells_of_a_union_with_hive_partitions(
    engine: Any, flat: tuple[TableRef, pd.DataFrame], hive: tuple[TableRef, pd.DataFrame]
) -> None:
    (hive_table, hive_frame), (flat_table, flat_frame) = hive, flat
    spec = CellSpec(keys=(Key("region"), Key("year")), label="label", pred="pred")
    got = engine.cells([hive_table, hive_table], spec)
    expected = cells_of_frame(pd.concat([hive_frame, hive_frame], ignore_index=True), spec)
    _same(got, expected)
    assert got["year"].isin([2023, 2024]).all()  # typed as integers, like pandas
    spec = CellSpec(keys=(Key("sex"),), label="label", pred="pred", score="score")
    both = engine.cells([flat_table, hive_table], spec)
    _same(both, cells_of_frame(pd.concat([flat_frame, hive_frame], ignore_index=True), spec))


def _scorer(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """A fixed logistic model of two inputs (numpy: no model to ship to the workers)."""
    z = 0.00004 * (frame["income"].fillna(50_000).to_numpy() - 50_000) + 0.3 * (
        frame["zip3"].to_numpy() - 104.5
    )
    score = 1.0 / (1.0 + np.exp(-z))
    return (score >= 0.5).astype(np.int64), score


def test_a_scorer_in_the_pipeline_gives_the_cells_of_scoring_in_memory(
    engine: Any, flat: tuple[TableRef, pd.DataFrame]
) -> None:
    table, frame = flat
    spec = CellSpec(keys=(Key("sex"),), label="label", pred="model_pred", score="model_score")
    seen: list[int] = []

    class Counter:
        def advance(self, rows: int) -> None:
            seen.append(rows)

    engine.progress = Counter()
    try:
        got = engine.cells([table], spec, scorer=_scorer, columns=["income", "zip3"])
    finally:
        engine.progress = None
    pred, score = _scorer(frame)
    expected = cells_of_frame(frame.assign(model_pred=pred, model_score=score), spec)
    _same(got, expected)
    assert sum(seen) == len(frame)


def test_profile_equals_the_reference(engine: Any, flat: tuple[TableRef, pd.DataFrame]) -> None:
    table, frame = flat
    spec = ProfileSpec(
        columns=("text", "income", "band", "age", "zip3", "sex"),
        groups=("sex",),
        label="label",
        markers=MARKERS,
    )
    got = engine.profile([table], spec)
    expected = profile_of_frame(frame, spec)
    _same(got.counts, expected.counts)
    pd.testing.assert_frame_equal(
        got.columns, expected.columns, check_dtype=False, check_exact=False, rtol=1e-10
    )
    assert got.columns.loc["band", "dtype"] == "float64"  # nulls in two files of three
    exact = ["present", "distinct", "p05", "median", "p95"]
    pd.testing.assert_frame_equal(got.columns[exact], expected.columns[exact], check_dtype=False)
    assert got.approximate == []


def test_quantiles_of_many_values_take_the_exact_passes(
    engine: Any, flat: tuple[TableRef, pd.DataFrame], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Tiny limits force the histogram passes: still numpy's quantiles, bit for bit."""
    from govkit.scale.engines import _partials, _ranks

    monkeypatch.setattr(_partials, "DISTINCT_LIMIT", 10)
    monkeypatch.setattr(_ranks, "FETCH_LIMIT", 50)
    table, frame = flat
    passes: list[int] = []
    partials = engine._partials

    def counted(*args: Any, **kwargs: Any) -> Any:
        passes.append(1)
        return partials(*args, **kwargs)

    monkeypatch.setattr(engine, "_partials", counted)
    probabilities = [0.0, 0.05, 0.3333, 0.5, 0.95, 1.0]
    got = engine.quantiles([table], "income", probabilities)
    expected = np.quantile(frame["income"].dropna().to_numpy(), probabilities)
    assert got == expected.tolist()
    assert len(passes) == 3  # histogram, refined histogram, values
    assert engine.quantiles([table], "band", [0.5]) == [float(frame["band"].median())]


@pytest.mark.slow
def test_distinct_of_many_values_is_counted_where_the_data_lies(
    engine: Any, flat: tuple[TableRef, pd.DataFrame], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past the merge limit, distinct values are counted by a distributed group-by."""
    from govkit.scale.engines import _partials, _ranks

    monkeypatch.setattr(_partials, "DISTINCT_LIMIT", 10)
    monkeypatch.setattr(_partials, "MERGED_LIMIT", 100)
    monkeypatch.setattr(_ranks, "FETCH_LIMIT", 50)
    table, frame = flat
    spec = ProfileSpec(columns=("income", "text"), groups=(), label="label", markers=MARKERS)
    merge_calls: list[str] = []
    real = engine._distinct

    def counted(tables: Any, column: str, markers: Any) -> int:
        merge_calls.append(column)
        return int(real(tables, column, markers))

    monkeypatch.setattr(engine, "_distinct", counted)
    profile = engine.profile([table], spec)
    reference = profile_of_frame(frame, spec)
    assert merge_calls == ["income"]  # text has 3 distinct values: merged on the driver
    pd.testing.assert_frame_equal(
        profile.columns, reference.columns, check_dtype=False, check_exact=False, rtol=1e-10
    )


def test_class_sizes_equal_the_reference(engine: Any, hive: tuple[TableRef, pd.DataFrame]) -> None:
    table, frame = hive
    got = engine.class_sizes([table], ["region", "sex", "band"], sensitive="text")
    _same(got, class_sizes_of_frame(frame, ["region", "sex", "band"], "text"))
    plain = engine.class_sizes([table], ["zip3", "year"])
    _same(plain, class_sizes_of_frame(frame, ["zip3", "year"]))


def test_sample_is_the_seeded_sample_of_all_the_rows(
    engine: Any, flat: tuple[TableRef, pd.DataFrame]
) -> None:
    """Batches draw apart and merge; the result is the sample of the rows in one piece."""
    table, frame = flat
    columns = ["sex", "band", "income", "label"]
    got = engine.sample([table], 200, seed=3, columns=columns, strata=["label"])
    whole = _sampler(200, 3, ["label"])
    whole.add(frame[columns])
    expected = whole.result()
    assert len(got) == len(expected) == 200
    _same(got, expected)
    share = got["label"].mean()
    assert abs(share - frame["label"].mean()) < 0.01
    other = engine.sample([table], 200, seed=4, columns=columns)
    assert not other["income"].equals(got["income"])


def test_n_rows_from_the_footers(engine: Any, flat: tuple[TableRef, pd.DataFrame]) -> None:
    table, frame = flat
    assert engine.n_rows([table, table]) == 2 * len(frame)
    described = engine.describe()
    assert described["name"] == "ray"
    assert described["address"] == "local"
    assert described["cpus"] == 2


def test_files_without_rows_give_empty_statistics(engine: Any, tmp_path: Path) -> None:
    empty = tmp_path / "empty.parquet"
    pq.write_table(_arrow(0, 0), empty)
    table = TableRef((str(empty),))
    spec = CellSpec(keys=(Key("sex"),), label="label", pred="pred", score="score")
    assert len(engine.cells([table], spec)) == 0
    assert len(engine.class_sizes([table], ["sex"])) == 0
    assert engine.n_rows([table]) == 0
    profile = engine.profile([table], ProfileSpec(("income",), ("sex",), "label", MARKERS))
    assert len(profile.counts) == 0
    assert profile.columns.loc["income", "present"] == 0


def test_a_missing_column_names_the_file(
    engine: Any, flat: tuple[TableRef, pd.DataFrame], tmp_path: Path
) -> None:
    table, _ = flat
    short = tmp_path / "short.parquet"
    pq.write_table(pa.table({"sex": ["f"], "label": [1]}), short)
    spec = CellSpec(keys=(Key("sex"),), label="label", pred="pred")
    with pytest.raises(InputError, match=r"short\.parquet: no column 'pred'"):
        engine.cells([table, TableRef((str(short),))], spec)


def test_a_corrupt_file_names_the_file(
    engine: Any, flat: tuple[TableRef, pd.DataFrame], tmp_path: Path
) -> None:
    table, _ = flat
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(Path(table.files[0]).read_bytes()[:-100])
    with pytest.raises(InputError, match=r"broken\.parquet: cannot read the Parquet file"):
        engine.n_rows([TableRef((*table.files, str(broken)))])


def test_a_file_damaged_inside_names_the_file(
    engine: Any, flat: tuple[TableRef, pd.DataFrame], tmp_path: Path
) -> None:
    """A sound footer over damaged pages fails on a worker; the error still names the file."""
    table, _ = flat
    data = bytearray(Path(table.files[1]).read_bytes())
    for i in range(64, len(data) // 2, 7):
        data[i] ^= 0xFF
    damaged = tmp_path / "damaged.parquet"
    damaged.write_bytes(bytes(data))
    spec = CellSpec(keys=(Key("text"),), label="label", pred="pred", score="score")
    with pytest.raises(InputError, match=r"damaged\.parquet: cannot read the Parquet file"):
        engine.cells([TableRef((table.files[0], str(damaged)))], spec)


def test_an_unreachable_address_fails_fast_with_the_fix() -> None:
    started = time.monotonic()
    with pytest.raises(InputError) as caught:
        RayEngine(address="127.0.0.1:1")
    assert time.monotonic() - started < 10
    assert "127.0.0.1:1" in caught.value.message
    assert "--address" in caught.value.message
    with pytest.raises(InputError, match="not host:port"):
        RayEngine(address="head-node")


def test_missing_ray_gives_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec

    def find_spec(name: str, *args: Any, **kwargs: Any) -> Any:
        return None if name == "ray" else real(name, *args, **kwargs)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    with pytest.raises(MissingExtraError, match=r"pip install 'govkit-rai\[ray\]'"):
        RayEngine()


def test_partial_cells_merge_in_a_tree_on_the_workers(
    engine: Any, flat: tuple[TableRef, pd.DataFrame], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nine read units, fan-in 2: one partial reaches the driver, and the cells are the same."""
    from govkit.scale.engines import ray_engine

    monkeypatch.setattr(ray_engine, "UNIT_ROWS", 1_000)
    monkeypatch.setattr(ray_engine, "TREE_FAN_IN", 2)
    monkeypatch.setattr(ray_engine, "TREE_MIN_UNITS", 4)
    received: list[int] = []
    collect = engine._reduce

    def counted(*args: Any, **kwargs: Any) -> Any:
        for part in collect(*args, **kwargs):
            received.append(1)
            yield part

    monkeypatch.setattr(engine, "_reduce", counted)
    table, frame = flat
    spec = CellSpec(keys=(Key("sex"), Key("band")), label="label", pred="pred", score="score")
    _same(engine.cells([table], spec), cells_of_frame(frame, spec))
    assert received == [1]
    classes = engine.class_sizes([table], ["sex", "zip3"], sensitive="band")
    _same(classes, class_sizes_of_frame(frame, ["sex", "zip3"], "band"))
    sample = engine.sample([table], 50, seed=1, columns=["sex", "income"], strata=["sex"])
    whole = _sampler(50, 1, ["sex"])
    whole.add(frame[["sex", "income"]])
    _same(sample, whole.result())
    assert received == [1, 1, 1]  # one partial for each statistic


@pytest.mark.parametrize("tree", [False, True])
def test_the_cells_are_the_same_on_every_run(
    engine: Any, flat: tuple[TableRef, pd.DataFrame], monkeypatch: pytest.MonkeyPatch, tree: bool
) -> None:
    """Nine read units merged in the order they were read, not as they finish: the same bits."""
    from ray.data.context import DataContext

    from govkit.scale.engines import ray_engine

    # which unit finishes first varies with the machine's load, not on every run here; the
    # merge order is pinned by Ray Data keeping its outputs in the order of its inputs
    assert DataContext.get_current().execution_options.preserve_order

    monkeypatch.setattr(ray_engine, "UNIT_ROWS", 1_000)
    monkeypatch.setattr(ray_engine, "TREE_FAN_IN", 2)
    monkeypatch.setattr(ray_engine, "TREE_MIN_UNITS", 4 if tree else 64)
    table, _ = flat
    spec = CellSpec(keys=(Key("sex"),), label="label", pred="pred", score="score")
    runs = [engine.cells([table], spec)[SCORE_SUM].to_numpy() for _ in range(4)]
    for other in runs[1:]:
        assert np.array_equal(runs[0], other)


_HEAD = """
import sys
import ray
ray.init(address="local", num_cpus=1, include_dashboard=False, log_to_driver=False)
print(ray.get_runtime_context().gcs_address, flush=True)
sys.stdin.read()
ray.shutdown()
"""

_DRIVER = """
import sys
from govkit.scale.cells import CellSpec, Key
from govkit.scale.engines.base import TableRef
from govkit.scale.engines.ray_engine import RayEngine
engine = RayEngine(address=sys.argv[1])
spec = CellSpec(keys=(Key("sex"),), label="label", pred="pred", score="score")
cells = engine.cells([TableRef((sys.argv[2],))], spec)
cells.to_pickle(sys.argv[3])
print(engine.describe()["address"])
engine.close()
"""


@pytest.mark.slow
def test_a_running_cluster_at_an_address_computes_the_same_cells(
    flat: tuple[TableRef, pd.DataFrame], tmp_path: Path
) -> None:
    """A second process connects to a cluster by its address, as ``--address`` does."""
    import os
    import subprocess
    import sys

    table, _ = flat
    frame = pq.read_table(table.files[0]).to_pandas()
    env = {**os.environ, "RAY_AUTH_MODE": "disabled"}  # no token to share between the two
    head = subprocess.Popen(
        [sys.executable, "-c", _HEAD],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    try:
        assert head.stdout is not None
        address = head.stdout.readline().strip()
        out = tmp_path / "cells.pkl"
        driver = subprocess.run(
            [sys.executable, "-c", _DRIVER, address, table.files[0], str(out)],
            capture_output=True,
            text=True,
            timeout=180,
            env=env,
        )
        assert driver.returncode == 0, driver.stderr[-2000:]
        assert driver.stdout.strip().endswith(address)
        spec = CellSpec(keys=(Key("sex"),), label="label", pred="pred", score="score")
        _same(pd.read_pickle(out), cells_of_frame(frame, spec))
    finally:
        assert head.stdin is not None
        head.stdin.close()
        try:
            head.wait(timeout=60)
        except subprocess.TimeoutExpired:
            head.kill()


class _TorchScorer:
    """A tiny fixed torch model as a scorer: it travels to the Ray actors by pickle."""

    def __init__(self) -> None:
        import torch

        torch.manual_seed(0)
        self.model = torch.nn.Sequential(
            torch.nn.Linear(2, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1)
        )

    def __call__(self, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        import torch

        x = np.stack(
            [(frame["income"].fillna(5e4).to_numpy() - 5e4) / 1.5e4, frame["zip3"] - 104.5], axis=1
        )
        with torch.inference_mode():
            logit = self.model(torch.as_tensor(x, dtype=torch.float32))[:, 0]
        score = torch.sigmoid(logit).double().numpy()
        return (score >= 0.5).astype(np.int64), score


@pytest.mark.slow
def test_a_torch_model_scored_on_actors_gives_the_cells_of_scoring_in_memory(
    engine: Any, flat: tuple[TableRef, pd.DataFrame]
) -> None:
    pytest.importorskip("torch")
    table, frame = flat
    scorer = _TorchScorer()
    spec = CellSpec(keys=(Key("sex"),), label="label", pred="model_pred", score="model_score")
    got = engine.cells([table], spec, scorer=scorer, columns=["income", "zip3"])
    pred, score = scorer(frame)
    _same(got, cells_of_frame(frame.assign(model_pred=pred, model_score=score), spec))


def test_a_model_the_workers_cannot_import_is_a_clear_error(
    engine: Any,
    flat: tuple[TableRef, pd.DataFrame],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A scorer from a module only the driver sees: the error names the module, not a file."""
    (tmp_path / "private_model.py").write_text(
        "import numpy as np\n"
        "def score(frame):\n"
        "    return np.zeros(len(frame), dtype=np.int64), np.full(len(frame), 0.5)\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    import private_model  # type: ignore[import-not-found]

    table, _ = flat
    spec = CellSpec(keys=(Key("sex"),), label="label", pred="p", score="s")
    with pytest.raises(InputError, match="No module named 'private_model'") as caught:
        engine.cells([table], spec, scorer=private_model.score, columns=["income"])
    assert "Parquet" not in caught.value.message
