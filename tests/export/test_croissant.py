"""`govkit export croissant`: JSON-LD that mlcroissant loads and reads, from the dataset card and the files.

mlcroissant is the Croissant reference implementation: the file must load
without errors with the network cut, and its records must be the rows of the
data files the project names.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from govkit.cli import main
from tests.export.helpers import addresses, no_network, sha256

pytestmark = pytest.mark.slow  # mlcroissant loads and the session's projects: about 10 s


def _export(config: Path, out: Path) -> dict[str, Any]:
    assert main(["export", "croissant", "-c", str(config), "--out", str(out)]) == 0
    doc: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return doc


def _load(path: Path) -> Any:
    import mlcroissant as mlc

    with no_network():
        return mlc.Dataset(jsonld=path)


def _records(dataset: Any, record_set: str, n: int) -> list[dict[str, Any]]:
    with no_network():
        return list(itertools.islice(dataset.records(record_set), n))


def _text(value: Any) -> Any:
    return value.decode() if isinstance(value, bytes) else value


def test_german_credit_loads_and_reads_back_the_csv_rows(german: Path, tmp_path: Path) -> None:
    out = tmp_path / "deep" / "folder" / "croissant.json"
    doc = _export(german, out)
    dataset = _load(out)
    assert dataset.metadata.name == "Synthetic sensor readings"
    # every split the project names, hashed, with a URL relative to the JSON-LD's folder
    files = {f["@id"]: f for f in doc["distribution"]}
    assert set(files) == {"eval-file", "train-file"}
    for split in ("eval", "train"):
        entry = files[f"{split}-file"]
        data = german.parent / "build" / f"{split}.csv"
        assert entry["sha256"] == sha256(data)
        assert entry["encodingFormat"] == "text/csv"
        assert not Path(entry["contentUrl"]).is_absolute()
        assert (out.parent / entry["contentUrl"]).resolve() == data.resolve()

    frame = pd.read_csv(german.parent / "build" / "eval.csv")
    rows = _records(dataset, "eval", 5)
    assert len(rows) == 5
    for row, (_, expected) in zip(rows, frame.head(5).iterrows(), strict=True):
        assert _text(row["eval/sex"]) == expected["sex"]
        assert row["eval/age"] == expected["age"]
        assert row["eval/score"] == pytest.approx(expected["score"])
    fields = {f["name"]: f["dataType"] for f in doc["recordSet"][0]["field"]}
    assert list(fields) == list(frame.columns)
    assert fields["age"] == "sc:Integer" and fields["score"] == "sc:Float"
    assert fields["sex"] == "sc:Text"


def test_rai_fields_come_from_the_dataset_card(german: Path, tmp_path: Path) -> None:
    out = tmp_path / "croissant.json"
    doc = _export(german, out)
    assert doc["conformsTo"][0] == "http://mlcommons.org/croissant/1.1"
    assert doc["@context"]["rai"] == "http://mlcommons.org/croissant/RAI/"
    assert doc["rai:dataBiases"] == [
        "Few applicants aged 25 or less.",
        "Mitigation: Results are reported per age group with intervals.",
    ]
    assert doc["rai:personalSensitiveInformation"] == [
        "sex (demographic, collected intentionally): Used only to measure group fairness."
    ]
    assert (
        doc["rai:dataImputationProtocol"] == "1. imputation: Unknown accounts set to 'not_known'."
    )
    assert (
        doc["rai:dataManipulationProtocol"] == "1. manipulation: Ages bucketed into three groups."
    )
    assert doc["rai:dataPreprocessingProtocol"] == ["filtering: None removed. (fields: age)"]
    assert doc["rai:dataUseCases"] == [
        "Examples and tests of govkit.",
        "Out of scope: Any real decision.",
    ]
    assert doc["rai:dataCollectionTimeframe"] == ["2025-01-01", "2025-01-01"]
    assert doc["creator"] == [{"@type": "sc:Organization", "name": "Data Team"}]
    assert doc["isBasedOn"] == [{"@type": "sc:CreativeWork", "name": "govkit example simulation"}]
    for key in ("rai:dataCollection", "rai:dataLimitations", "rai:dataReleaseMaintenancePlan"):
        assert doc[key]
    # mlcroissant reads the RAI terms back from the graph
    metadata = _load(out).metadata
    assert metadata.data_biases == doc["rai:dataBiases"]
    assert metadata.personal_sensitive_information == doc["rai:personalSensitiveInformation"]
    assert metadata.data_use_cases == doc["rai:dataUseCases"]


def test_parquet_columns_are_typed_and_read(tiny: Path, tmp_path: Path) -> None:
    out = tmp_path / "croissant.json"
    doc = _export(tiny, out)
    fields = {f["name"]: f["dataType"] for f in doc["recordSet"][0]["field"]}
    assert fields == {
        "x1": "sc:Float",
        "x2": "sc:Float",
        "visits": "sc:Integer",
        "member": "sc:Boolean",
        "region": "sc:Text",
        "y": "sc:Integer",
    }
    assert {f["encodingFormat"] for f in doc["distribution"]} == {"application/x-parquet"}
    frame = pd.read_parquet(tiny.parent / "eval.parquet")
    rows = _records(_load(out), "eval", 3)
    assert [_text(r["eval/region"]) for r in rows] == list(frame["region"][:3])
    assert [bool(r["eval/member"]) for r in rows] == list(frame["member"][:3])


def test_same_inputs_same_bytes_from_any_folder(
    german: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    _export(german, first)
    # run from elsewhere, with relative paths: the same file
    monkeypatch.chdir(german.parent.parent)
    config = Path(os.path.relpath(german, german.parent.parent))
    _export(config, Path(os.path.relpath(second, german.parent.parent)))
    assert first.read_bytes() == second.read_bytes()


def test_no_raw_personal_data(german: Path, tmp_path: Path) -> None:
    out = tmp_path / "croissant.json"
    doc = _export(german, out)
    text = out.read_text(encoding="utf-8")
    assert "email" in {f["name"] for f in doc["recordSet"][0]["field"]}  # the column is described
    for address in addresses("eval", 300) + addresses("train", 700):
        assert address not in text  # but none of its values is copied
    assert "applicant." not in text


def _copy(config: Path, dest: Path) -> Path:
    return Path(shutil.copytree(config.parent, dest)) / config.name


def test_missing_data_file_is_a_located_error(
    tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _copy(tiny, tmp_path / "tiny")
    (config.parent / "train.parquet").unlink()
    line = next(
        i
        for i, text in enumerate(config.read_text("utf-8").splitlines(), 1)
        if text.strip().startswith("train:")
    )
    out = tmp_path / "croissant.json"
    assert main(["export", "croissant", "-c", str(config), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"govkit.yaml:{line}:" in err and "train.parquet" in err and "does not exist" in err
    assert "Traceback" not in err and not out.exists()


def test_missing_dataset_card_is_a_located_error(
    tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _copy(tiny, tmp_path / "tiny")
    data = yaml.safe_load(config.read_text("utf-8"))
    data["documents"] = [d for d in data["documents"] if "dataset_card" not in d]
    config.write_text(yaml.safe_dump(data, sort_keys=False), "utf-8")
    assert main(["export", "croissant", "-c", str(config), "--out", str(tmp_path / "c.json")]) == 2
    err = capsys.readouterr().err
    assert "govkit.yaml:" in err and "dataset_card" in err and "Traceback" not in err


def test_unreadable_data_file_is_an_input_error(
    tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _copy(tiny, tmp_path / "tiny")
    (config.parent / "eval.parquet").write_bytes(b"not a parquet file")
    assert main(["export", "croissant", "-c", str(config), "--out", str(tmp_path / "c.json")]) == 2
    err = capsys.readouterr().err
    assert "eval.parquet" in err and "cannot read its columns" in err and "Traceback" not in err
