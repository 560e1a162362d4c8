"""Data sources of many Parquet files: finding them, checking them, reading them.

Every source is built here with pyarrow in a temporary folder: a hive-
partitioned folder (``region=EU/part-0.parquet``), a glob, a list. The same
rows written as one file give the reference every multi-file read is held to,
down to the figures of a ``govkit check`` run.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from govkit.cli import main
from govkit.errors import InputError
from govkit.scale.sources import ParquetSource, resolve_source
from tests.runner.helpers import make_frame

REGIONS = ("EU", "US", "APAC")


def _frame(n: int = 600, seed: int = 0) -> pd.DataFrame:
    """make_frame's rows with a region, in the order a sorted hive folder reads them."""
    frame = make_frame(n, seed)
    frame["region"] = np.random.default_rng(seed + 1).choice(REGIONS, size=n)
    # a folder is read in sorted order of its files: APAC, EU, US, each in file order
    frame = frame.sort_values("region", kind="stable").reset_index(drop=True)
    return frame


def _write_hive(root: Path, frame: pd.DataFrame, *, parts: int = 2) -> Path:
    """``root/lake/region=<r>/part-<i>.parquet`` (the region column lives in the folder names)."""
    lake = root / "lake"
    for region, rows in frame.groupby("region", sort=True):
        folder = lake / f"region={region}"
        folder.mkdir(parents=True)
        data = rows.drop(columns="region")
        for i, chunk in enumerate(np.array_split(np.arange(len(data)), parts)):
            table = pa.Table.from_pandas(data.iloc[chunk], preserve_index=False)
            pq.write_table(table, folder / f"part-{i}.parquet")
    return lake


def _write_flat(folder: Path, frame: pd.DataFrame, parts: int = 3) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, chunk in enumerate(np.array_split(np.arange(len(frame)), parts)):
        path = folder / f"part-{i}.parquet"
        pq.write_table(pa.Table.from_pandas(frame.iloc[chunk], preserve_index=False), path)
        paths.append(path)
    return paths


def _resolve(spec: str | list[str], root: Path) -> ParquetSource:
    return resolve_source(spec, base_dir=root)


# --- every kind of source -----------------------------------------------------------------


def test_hive_folder_reads_every_row_with_its_partition(tmp_path: Path) -> None:
    frame = _frame()
    lake = _write_hive(tmp_path, frame)
    source = _resolve("lake", tmp_path)
    assert source.kind == "folder" and source.partitioning == "hive"
    assert [p.relative_to(lake).as_posix() for p in source.files] == [
        f"region={r}/part-{i}.parquet" for r in sorted(REGIONS) for i in range(2)
    ]
    assert source.partition_columns == ["region"]
    assert source.partition_schema.field("region").type == pa.string()
    assert source.columns() == [*frame.columns.drop("region"), "region"]
    assert source.n_rows == len(frame) == sum(source.file_rows)
    assert source.total_bytes == sum(p.stat().st_size for p in source.files)
    got = source.to_pandas()
    pd.testing.assert_frame_equal(got, frame, check_dtype=False)
    assert got.index.equals(pd.RangeIndex(len(frame)))


def test_folder_glob_and_list_read_the_same_table(tmp_path: Path) -> None:
    frame = _frame()
    lake = _write_hive(tmp_path, frame)
    folder = _resolve("lake", tmp_path)
    flat_glob = _resolve("lake/*/*.parquet", tmp_path)
    deep_glob = _resolve("lake/**/*.parquet", tmp_path)
    # a list is read in sorted order, whatever order govkit.yaml writes it in
    listed = _resolve(
        [p.relative_to(tmp_path).as_posix() for p in reversed(folder.files)], tmp_path
    )
    for other in (flat_glob, deep_glob, listed):
        assert other.files == folder.files
        assert other.base_dir == lake
        assert other.schema == folder.schema
        pd.testing.assert_frame_equal(other.to_pandas(), folder.to_pandas())
    assert (flat_glob.kind, listed.kind) == ("glob", "list")


def test_flat_folder_has_no_partitions_and_skips_writer_files(tmp_path: Path) -> None:
    frame = make_frame(300)
    _write_flat(tmp_path / "parts", frame)
    (tmp_path / "parts" / "_SUCCESS").write_text("")
    (tmp_path / "parts" / ".part-0.parquet.crc").write_bytes(b"\x00\x01")
    source = _resolve("parts", tmp_path)
    assert source.partitioning is None and source.partition_columns == []
    assert len(source.files) == 3
    pd.testing.assert_frame_equal(source.to_pandas(), frame, check_dtype=False)


def test_integer_partitions_are_int32_and_duckdb_reads_the_same_values(tmp_path: Path) -> None:
    duckdb = pytest.importorskip("duckdb")
    frame = make_frame(200)
    frame["year"] = np.repeat([2023, 2024], 100)
    # a quote in the folder name: the SQL must quote every path safely
    lake = tmp_path / "o'lake"
    for year, rows in frame.groupby("year"):
        (lake / f"year={year}").mkdir(parents=True)
        table = pa.Table.from_pandas(rows.drop(columns="year"), preserve_index=False)
        pq.write_table(table, lake / f"year={year}" / "part-0.parquet")
    source = _resolve("o'lake", tmp_path)
    assert source.partition_schema.field("year").type == pa.int32()
    ours = source.to_pandas()
    assert ours["year"].dtype == np.int32
    sql = source.duckdb_source_sql()
    assert "hive_partitioning = true" in sql and "union_by_name = false" in sql
    theirs = duckdb.sql(f"SELECT * FROM {sql}").df()
    assert list(theirs.columns) == list(ours.columns)
    pd.testing.assert_frame_equal(theirs, ours, check_dtype=False)


def test_ray_gets_the_files_and_the_partitioning(tmp_path: Path) -> None:
    _write_hive(tmp_path, _frame())
    source = _resolve("lake", tmp_path)
    assert source.ray_paths() == [str(p) for p in source.files]
    assert source.ray_partitioning() == {
        "style": "hive",
        "base_dir": str(tmp_path / "lake"),
        "field_names": ["region"],
        "field_types": {"region": str},
    }
    ray_datasource = pytest.importorskip("ray.data.datasource")
    partitioning = ray_datasource.Partitioning(**source.ray_partitioning())  # Ray takes it as is
    assert partitioning.field_names == ["region"]
    flat = tmp_path / "flat"
    _write_flat(flat, make_frame(60))
    assert _resolve("flat", tmp_path).ray_partitioning() is None


# --- reading lazily -----------------------------------------------------------------------


def _blob_source(root: Path, files: int = 2) -> ParquetSource:
    """Files of 2,000 rows whose 'blob' column is 2.5 kB of text a row, beside a number."""
    rng = np.random.default_rng(3)
    folder = root / f"wide{files}"
    folder.mkdir()
    for i in range(files):
        n = 2_000
        table = pa.table(
            {"x": rng.normal(size=n), "blob": [rng.bytes(1_250).hex() for _ in range(n)]}
        )
        pq.write_table(table, folder / f"part-{i}.parquet", compression="none", row_group_size=250)
    return _resolve(folder.name, root)


def test_only_the_asked_columns_are_read(tmp_path: Path) -> None:
    source = _blob_source(tmp_path)
    # damage the blob column's pages in one file: reading it fails, so a read that
    # succeeds without it has not decoded it
    path = source.files[1]
    column = pq.read_metadata(path).row_group(0).column(1)
    data = bytearray(path.read_bytes())
    start = column.dictionary_page_offset or column.data_page_offset
    data[start : start + 16] = b"\xff" * 16
    path.write_bytes(bytes(data))
    pruned = source.to_pandas(["x"])
    assert list(pruned.columns) == ["x"] and len(pruned) == 4_000
    with pytest.raises(InputError, match=r"part-1\.parquet"):
        source.to_pandas()
    with pytest.raises(InputError, match=r"part-1\.parquet"):
        source.to_pandas(["blob"])
    with pytest.raises(InputError, match="no column 'nope'"):
        source.to_pandas(["x", "nope"])


def _peak_while_streaming(source: ParquetSource) -> int:
    peak, rows = 0, 0
    for batch in source.iter_batches(batch_size=100):
        peak = max(peak, pa.total_allocated_bytes())
        rows += batch.num_rows
        del batch
    assert rows == source.n_rows
    return peak


def test_batches_stream_every_row_with_partitions(tmp_path: Path) -> None:
    frame = _frame(900)
    _write_hive(tmp_path, frame, parts=3)
    source = _resolve("lake", tmp_path)
    batches = list(source.iter_batches(["x1", "region"], batch_size=64))
    assert all(b.num_rows <= 64 for b in batches)
    assert all(b.schema.names == ["x1", "region"] for b in batches)
    streamed = pa.Table.from_batches(batches).to_pandas()
    pd.testing.assert_frame_equal(streamed, source.to_pandas(["x1", "region"]))
    frames = list(source.iter_frames(["region"], batch_size=500))
    assert pd.concat(frames, ignore_index=True)["region"].tolist() == frame["region"].tolist()


def test_streaming_memory_is_flat_in_rows(tmp_path: Path) -> None:
    small, large = _blob_source(tmp_path, 2), _blob_source(tmp_path, 8)
    base = pa.total_allocated_bytes()
    small_peak = _peak_while_streaming(small) - base
    large_peak = _peak_while_streaming(large) - base
    # 8 files hold 40 MB of blob; a row group is 0.6 MB: streaming holds a few at most,
    # whether there are 2 files or 8
    assert large_peak < 5_000_000
    assert large_peak < 1.5 * small_peak + 500_000


# --- refusing bad sources -----------------------------------------------------------------


def _error(spec: str | list[str], root: Path) -> str:
    with pytest.raises(InputError) as info:
        _resolve(spec, root)
    return info.value.message


def test_nothing_to_read(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    assert "holds no Parquet files" in _error("empty", tmp_path)
    assert "matches no file" in _error("lake/*.parquet", tmp_path)
    _write_flat(tmp_path / "parts", make_frame(60))
    message = _error(["parts/part-0.parquet", "parts/part-9.parquet"], tmp_path)
    assert "parts/part-9.parquet" in message and "no such file" in message
    assert "empty" in _error([], tmp_path)
    assert "listed twice" in _error(["parts/part-0.parquet", "./parts/part-0.parquet"], tmp_path)


def test_files_whose_columns_differ_name_both_files_and_the_column(tmp_path: Path) -> None:
    frame = make_frame(120)
    paths = _write_flat(tmp_path / "parts", frame)
    bad = frame.iloc[:40].assign(x1=frame["x1"].iloc[:40].astype("float64"))
    pq.write_table(pa.Table.from_pandas(bad, preserve_index=False), paths[2])
    message = _error("parts", tmp_path)
    assert "parts/part-2.parquet" in message and "parts/part-0.parquet" in message
    assert "'x1'" in message and "double" in message and "float" in message

    pq.write_table(pa.Table.from_pandas(frame.iloc[:40].drop(columns="race")), paths[2])
    message = _error("parts", tmp_path)
    assert "part-2.parquet: has no column 'race', which parts/part-0.parquet has" in message

    reordered = frame.iloc[:40][list(reversed(frame.columns))]
    pq.write_table(pa.Table.from_pandas(reordered, preserve_index=False), paths[2])
    assert "in another order" in _error("parts", tmp_path)


def test_partition_key_that_is_also_a_column(tmp_path: Path) -> None:
    frame = _frame(120)
    folder = tmp_path / "lake" / "region=EU"
    folder.mkdir(parents=True)
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), folder / "part-0.parquet")
    message = _error("lake", tmp_path)
    assert "'region'" in message and "lake/region=EU/part-0.parquet" in message


def test_partition_folders_must_agree(tmp_path: Path) -> None:
    frame = make_frame(60)
    for sub in ("region=EU", "other"):
        (tmp_path / "lake" / sub).mkdir(parents=True)
        pq.write_table(
            pa.Table.from_pandas(frame, preserve_index=False),
            tmp_path / "lake" / sub / "part-0.parquet",
        )
    message = _error("lake", tmp_path)
    assert "lake/other/part-0.parquet" in message and "partition folders" in message


def test_a_file_that_is_not_parquet_is_named(tmp_path: Path) -> None:
    _write_flat(tmp_path / "parts", make_frame(90))
    (tmp_path / "parts" / "part-1.parquet").write_bytes(b"PAR1 this is not a parquet file")
    message = _error("parts", tmp_path)
    assert "parts/part-1.parquet" in message and "not a readable Parquet file" in message
    (tmp_path / "parts" / "part-1.parquet").write_bytes(b"")
    assert "parts/part-1.parquet" in _error("parts", tmp_path)


def test_csv_and_parquet_do_not_mix(tmp_path: Path) -> None:
    frame = make_frame(90)
    _write_flat(tmp_path / "parts", frame)
    frame.to_csv(tmp_path / "parts" / "extra.csv", index=False)
    message = _error("parts", tmp_path)
    assert "mixes Parquet and CSV" in message and "parts/extra.csv" in message
    assert "mixes Parquet and CSV" in _error(["parts/part-0.parquet", "parts/extra.csv"], tmp_path)
    assert "but no Parquet files" in _error("parts/*.csv", tmp_path)
    (tmp_path / "parts" / "extra.csv").unlink()
    (tmp_path / "parts" / "notes.txt").write_text("notes")
    assert "not a Parquet file" in _error("parts/*", tmp_path)
    assert len(_resolve("parts", tmp_path).files) == 3  # a folder ignores what is not data


def test_a_file_damaged_after_it_was_listed_is_named_when_read(tmp_path: Path) -> None:
    frame = make_frame(3_000)
    paths = _write_flat(tmp_path / "parts", frame)
    source = _resolve("parts", tmp_path)
    _damage_pages(paths[1])
    with pytest.raises(InputError) as info:
        source.to_pandas()
    assert "parts/part-1.parquet" in info.value.message
    with pytest.raises(InputError):
        list(source.iter_batches())


def _damage_pages(path: Path) -> None:
    """Overwrite the first data page's header, leaving the footer (and the row count) intact."""
    meta = pq.read_metadata(path)
    column = meta.row_group(0).column(0)
    start = column.dictionary_page_offset or column.data_page_offset
    data = bytearray(path.read_bytes())
    data[start : start + 16] = b"\xff" * 16
    path.write_bytes(bytes(data))
    assert pq.read_metadata(path).num_rows == meta.num_rows


# --- through govkit check -----------------------------------------------------------------

SUITE = [
    {
        "id": "performance.classification",
        "params": {"n_boot": 200},
        "thresholds": [{"metric": "accuracy", "min": 0.6, "overall_only": True}],
    },
    {
        "id": "fairness.demographic_parity",
        "params": {"n_boot": 200},
        "thresholds": [{"metric": "demographic_parity_difference", "max": 0.2}],
    },
]


def _project(root: Path, eval_spec: str | list[str]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "suite.yaml").write_text(
        yaml.safe_dump({"suite": 1, "name": "sources", "checks": SUITE}, sort_keys=False)
    )
    cfg: dict[str, Any] = {
        "govkit": 1,
        "system": {"name": "lake", "version": "1.0"},
        "model": {"predictions": {"label": "pred_label", "score": "pred_score"}},
        "data": {"eval": eval_spec, "label": "label", "sensitive": ["region", "sex"]},
        "suite": "suite.yaml",
        "output": "out",
    }
    path = root / "govkit.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return path


def _figures(report: dict[str, Any]) -> list[Any]:
    return [
        (
            r["id"],
            r["status"],
            [(m["name"], m["group"], m["value"], m["ci"], m["n"]) for m in r["measurements"]],
        )
        for r in report["results"]
    ]


def test_check_on_a_hive_folder_gives_the_single_file_figures(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    frame = _frame(800)
    _write_hive(tmp_path / "many", frame)
    config = _project(tmp_path / "many", "lake")
    assert main(["check", "-c", str(config), "-q"]) in (0, 1)
    many = json.loads((tmp_path / "many" / "out" / "report.json").read_text())

    (tmp_path / "one").mkdir()
    pq.write_table(
        pa.Table.from_pandas(frame, preserve_index=False), tmp_path / "one" / "eval.parquet"
    )
    config = _project(tmp_path / "one", "eval.parquet")
    assert main(["check", "-c", str(config), "-q"]) in (0, 1)
    one = json.loads((tmp_path / "one" / "out" / "report.json").read_text())
    capsys.readouterr()

    assert _figures(many) == _figures(one)
    groups = {
        tuple(sorted(m["group"])) for r in many["results"] for m in r["measurements"] if m["group"]
    }
    assert ("region",) in groups
    # every file is in the provenance, with its digest, in row order
    data = [a for a in many["provenance"]["artifacts"] if a["role"] == "eval_data"]
    assert [a["path"] for a in data] == [
        f"lake/region={r}/part-{i}.parquet" for r in sorted(REGIONS) for i in range(2)
    ]
    from govkit.hashing import sha256_file

    for a in data:
        assert a["sha256"] == sha256_file(tmp_path / "many" / a["path"])[0]
    pred = pq.read_table(tmp_path / "many" / "out" / "predictions.parquet")
    assert pred.num_rows == len(frame)
    # the packet traces the same files
    packet = tmp_path / "many" / "packet"
    assert (
        main(
            [
                "render",
                "-c",
                str(tmp_path / "many" / "govkit.yaml"),
                "--format",
                "md",
                "--out",
                str(packet),
            ]
        )
        == 0
    )
    assert main(["verify", str(packet)]) == 0
    capsys.readouterr()
    text = "\n".join(p.read_text(encoding="utf-8") for p in packet.rglob("*.md"))
    for a in data:
        assert f"{a['path']} | {a['sha256']}" in text


def test_data_digest_follows_every_file(tmp_path: Path) -> None:
    from govkit.report import load_report

    frame = _frame(300)
    lake = _write_hive(tmp_path, frame)
    config = _project(tmp_path, "lake/**/*.parquet")
    assert main(["check", "-c", str(config), "-q"]) in (0, 1)
    first = load_report(tmp_path / "out" / "report.json").provenance.data_sha256("eval_data")
    assert main(["check", "-c", str(config), "-q"]) in (0, 1)
    again = load_report(tmp_path / "out" / "report.json").provenance.data_sha256("eval_data")
    assert first == again and first is not None
    # a changed last file changes the split's digest, though the first file is the same
    last = sorted(lake.rglob("*.parquet"))[-1]
    table = pq.read_table(last)
    pq.write_table(table.slice(0, table.num_rows - 1), last)
    assert main(["check", "-c", str(config), "-q"]) in (0, 1)
    changed = load_report(tmp_path / "out" / "report.json").provenance.data_sha256("eval_data")
    assert changed != first


def _damage_second_file(lake: Path) -> str:
    path = sorted(lake.rglob("*.parquet"))[1]
    _damage_pages(path)
    return path.relative_to(lake.parent).as_posix()


def _break_schema(lake: Path) -> str:
    path = sorted(lake.rglob("*.parquet"))[2]
    table = pq.read_table(path)
    pq.write_table(table.set_column(0, "x1", table.column("x1").cast(pa.float64())), path)
    return path.relative_to(lake.parent).as_posix()


def _bad_footer(lake: Path) -> str:
    path = sorted(lake.rglob("*.parquet"))[3]
    path.write_bytes(path.read_bytes()[:-20])
    return path.relative_to(lake.parent).as_posix()


def _collide(lake: Path) -> str:
    path = sorted(lake.rglob("*.parquet"))[0]
    table = pq.read_table(path)
    pq.write_table(table.append_column("region", pa.array(["X"] * table.num_rows)), path)
    return path.relative_to(lake.parent).as_posix()


def _mix_csv(lake: Path) -> str:
    make_frame(30).to_csv(lake / "region=EU" / "extra.csv", index=False)
    return "lake/region=EU/extra.csv"


@pytest.mark.parametrize(
    ("spoil", "spec", "expected"),
    [
        (_damage_second_file, "lake", "cannot read the Parquet file"),
        (_break_schema, "lake", "must have the same columns"),
        (_bad_footer, "lake/**/*.parquet", "not a readable Parquet file"),
        (_collide, "lake", "also a column inside the file"),
        (_mix_csv, "lake", "mixes Parquet and CSV"),
        (lambda lake: "lake/*.parquet", "lake/*.parquet", "matches no file"),
        (
            lambda lake: "nowhere.parquet",
            ["lake/region=EU/part-0.parquet", "nowhere.parquet"],
            "no such file",
        ),
    ],
)
def test_check_refuses_a_bad_source_with_exit_2_and_writes_nothing(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    spoil: Any,
    spec: str | list[str],
    expected: str,
) -> None:
    lake = _write_hive(tmp_path, _frame(400))
    named = spoil(lake)
    config = _project(tmp_path, spec)
    assert main(["check", "-c", str(config), "-q"]) == 2
    err = capsys.readouterr().err
    assert expected in err and named in err, err
    assert "Traceback" not in err
    assert "govkit.yaml:" in err and "data.eval" in err
    assert not (tmp_path / "out" / "report.json").exists()
    assert not (tmp_path / "out" / "predictions.parquet").exists()


def test_single_file_digest_is_the_file_digest_and_exports_refuse_many_files(
    tmp_path: Path,
) -> None:
    from types import SimpleNamespace

    from govkit.errors import ConfigError
    from govkit.export._files import data_file
    from govkit.hashing import sha256_file
    from govkit.project import load_project_file
    from govkit.report import load_report

    frame = _frame(300)
    _write_hive(tmp_path, frame)
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), tmp_path / "eval.parquet")
    config = _project(tmp_path, "eval.parquet")
    assert main(["check", "-c", str(config), "-q"]) in (0, 1)
    report = load_report(tmp_path / "out" / "report.json")
    # one file: the split's digest is the file's, as it always was
    assert report.provenance.data_sha256("eval_data") == sha256_file(tmp_path / "eval.parquet")[0]
    assert report.provenance.data_sha256("train_data") is None

    source: Any = SimpleNamespace(project=load_project_file(config))
    assert data_file(source, "eval_data", "eval.parquet") == "eval.parquet"
    for spec in ("lake", "lake/**/*.parquet", ["eval.parquet"]):
        with pytest.raises(ConfigError) as info:
            data_file(source, "eval_data", spec)
        text = info.value.render()
        assert "govkit.yaml:" in text and "data.eval" in text and "one file" in text


def test_training_split_of_many_files_is_read_and_recorded(tmp_path: Path) -> None:
    from govkit.project import load_project_file
    from govkit.runner.data import load_data

    frame = _frame(300)
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), tmp_path / "eval.parquet")
    lake = _write_hive(tmp_path, _frame(240, seed=5))
    listed = sorted(p.relative_to(tmp_path).as_posix() for p in lake.rglob("*.parquet"))
    config = _project(tmp_path, "eval.parquet")
    cfg = yaml.safe_load(config.read_text())
    cfg["data"]["train"] = list(reversed(listed))
    config.write_text(yaml.safe_dump(cfg, sort_keys=False))
    data = load_data(load_project_file(config), check_features=False)
    assert data.train is not None and data.train_source is not None
    assert len(data.train.frame) == 240 and "region" in data.train.frame.columns
    assert [p.relative_to(tmp_path).as_posix() for p in data.train_source.files] == listed
    assert data.train_path == lake  # messages name the listed files by their common folder
    assert data.eval_source.files == (tmp_path / "eval.parquet",)
    assert data.eval_source.parquet is None
