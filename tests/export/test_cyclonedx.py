"""`govkit export cyclonedx`: the ML-BOM validates against CycloneDX 1.6 and says what the report says.

On German Credit's recorded predictions (a report with real figures and a PII
finding) and on a tiny project whose model is trained and saved here.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from govkit.cli import main
from tests.export.helpers import addresses, cyclonedx_validator, sha256

pytestmark = pytest.mark.slow  # the session's German Credit check and a torch.export: about 8 s


def _copy(config: Path, dest: Path) -> Path:
    return Path(shutil.copytree(config.parent, dest)) / config.name


def _export(config: Path, out: Path, *extra: str) -> dict[str, Any]:
    assert main(["export", "cyclonedx", "-c", str(config), "--out", str(out), *extra]) == 0
    bom: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return bom


def _schema_errors(bom: dict[str, Any]) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in cyclonedx_validator().iter_errors(bom)]


def _model(bom: dict[str, Any]) -> dict[str, Any]:
    (model,) = [c for c in bom["components"] if c["type"] == "machine-learning-model"]
    return model


def _report(config: Path) -> dict[str, Any]:
    report: dict[str, Any] = json.loads(
        (config.parent / "build/govkit/report.json").read_text("utf-8")
    )
    return report


def test_bom_validates_against_the_cyclonedx_1_6_schema(german: Path, tmp_path: Path) -> None:
    bom = _export(german, tmp_path / "bom.json")
    assert _schema_errors(bom) == []
    assert bom["specVersion"] == "1.6"
    assert re.fullmatch(r"urn:uuid:[0-9a-f-]{36}", bom["serialNumber"])
    # the validator is strict: an unknown key or a bad hash is caught
    broken = json.loads(json.dumps(bom))
    broken["components"][1]["hashes"][0]["content"] = "not-a-digest"
    _model(broken)["modelCard"]["unknown"] = 1
    assert len(_schema_errors(broken)) == 2


def test_metrics_equal_the_reports_candidate_figures(german: Path, tmp_path: Path) -> None:
    bom = _export(german, tmp_path / "bom.json")
    metrics = _model(bom)["modelCard"]["quantitativeAnalysis"]["performanceMetrics"]
    by_key = {(m["type"], m["slice"]): m for m in metrics}
    assert len(by_key) == len(metrics)  # every figure is told apart by its type and slice

    expected = unmeasured = 0
    for result in _report(german)["results"]:
        if not result["id"].startswith(("performance.", "fairness.")):
            continue
        for m in result["measurements"]:
            if m["value"] is None:
                unmeasured += 1  # e.g. a gap over groups too small to judge: no figure to give
                continue
            if m["model"] or m["vs"]:
                continue
            expected += 1
            where = (
                ", ".join(f"{k}={v}" for k, v in m["group"].items())
                if m["group"]
                else (f"across {m['feature']}" if m["feature"] else "overall")
            )
            metric = by_key[(m["name"], f"{where}; n={m['n']}; check={result['id']}")]
            assert float(metric["value"]) == m["value"]  # exact: shortest round-trip text
            if m["ci"] is None:
                assert "confidenceInterval" not in metric
            else:
                ci = metric["confidenceInterval"]
                assert [float(ci["lowerBound"]), float(ci["upperBound"])] == m["ci"]
    assert expected == len(metrics) > 50
    assert unmeasured > 0  # and those were left out rather than written as a number
    # the slices name the groups the report measured, and their intersections
    assert any(m["slice"].startswith("sex=female;") for m in metrics)
    assert any(m["slice"].startswith("age_group=<=25, sex=female;") for m in metrics)


def test_model_card_risks_and_files(german: Path, tmp_path: Path) -> None:
    bom = _export(german, tmp_path / "bom.json")
    report = _report(german)
    card = _model(bom)["modelCard"]
    assert card["modelParameters"]["task"] == "binary classification"
    assert card["modelParameters"]["datasets"] == [{"ref": "data:eval"}, {"ref": "data:train"}]
    considerations = card["considerations"]
    assert considerations["users"] == ["govkit developers."]
    assert _model(bom)["licenses"] == [{"expression": "Apache-2.0"}]
    assert "environmentalConsiderations" not in considerations  # the card has no compute
    assert _model(bom)["properties"] == [
        {
            "name": "govkit:model:predictions",
            "value": "recorded prediction columns: predicted_risk, score",
        }
    ]
    (fair,) = considerations["fairnessAssessments"]  # only the risk filed under harmful bias
    assert fair["groupAtRisk"] == "female applicants, applicants aged 25 or less"
    assert fair["mitigationStrategy"] == "mitigate: Gate on demographic parity."
    # the data files, hashed as the report recorded them, and still the files on disk
    recorded = {a["role"]: a for a in report["provenance"]["artifacts"]}
    data = {c["bom-ref"]: c for c in bom["components"] if c["type"] == "data"}
    for ref, role, name in (
        ("data:eval", "eval_data", "eval"),
        ("data:train", "train_data", "train"),
    ):
        digest = data[ref]["hashes"][0]["content"]
        assert digest == recorded[role]["sha256"] == sha256(german.parent / "build" / f"{name}.csv")
        assert data[ref]["data"][0]["sensitiveData"] == ["sex (demographic)"]
    assert bom["metadata"]["timestamp"] == report["provenance"]["finished_at"]
    props = {p["name"]: p["value"] for p in bom["metadata"]["properties"]}
    report_bytes = (german.parent / "build/govkit/report.json").read_bytes()
    assert props["govkit:report:sha256"] == hashlib.sha256(report_bytes).hexdigest()
    assert props["govkit:report:status"] == report["status"]


def test_same_inputs_same_bytes_and_a_new_report_a_new_serial(german: Path, tmp_path: Path) -> None:
    first = tmp_path / "a" / "bom.json"
    second = tmp_path / "b" / "bom.json"
    _export(german, first)
    _export(german, second)
    assert first.read_bytes() == second.read_bytes()

    # one figure changed in the report: the metric and the serial number follow
    report = _report(german)
    accuracy = next(
        m
        for r in report["results"]
        if r["id"] == "performance.classification"
        for m in r["measurements"]
        if m["name"] == "accuracy" and m["group"] is None
    )
    accuracy["value"] = 0.5
    edited = tmp_path / "report.json"
    edited.write_text(json.dumps(report), encoding="utf-8")
    changed = _export(german, tmp_path / "c.json", "--report", str(edited))
    original = json.loads(first.read_text("utf-8"))
    assert changed["serialNumber"] != original["serialNumber"]
    values = [
        m["value"]
        for m in _model(changed)["modelCard"]["quantitativeAnalysis"]["performanceMetrics"]
        if m["type"] == "accuracy" and m["slice"].startswith("overall;")
    ]
    assert values == ["0.5"]


def test_no_raw_personal_data_in_the_bom(german: Path, tmp_path: Path) -> None:
    out = tmp_path / "bom.json"
    _export(german, out)
    text = out.read_text(encoding="utf-8")
    # the report found the planted addresses and holds only masked examples of them
    report = _report(german)
    pii = next(r for r in report["results"] if r["id"] == "privacy.pii")
    assert "email" in json.dumps(pii["details"])
    for address in addresses("eval", 300) + addresses("train", 700):
        assert address not in text
    assert "@example.org" not in text and "applicant." not in text


def test_tiny_model_without_a_report(tiny: Path, tmp_path: Path) -> None:
    config = tiny
    bom = _export(config, tmp_path / "bom.json")
    assert _schema_errors(bom) == []
    model_file = next(c for c in bom["components"] if c["bom-ref"] == "file:model")
    digest = sha256(config.parent / "model.pt2")
    assert model_file["type"] == "file" and model_file["hashes"][0]["content"] == digest
    assert _model(bom)["hashes"] == [{"alg": "SHA-256", "content": digest}]
    # a licence that is not an SPDX id, and the compute fields as properties
    assert _model(bom)["licenses"] == [
        {"license": {"name": "Tiny Model Licence", "url": "https://example.org/tiny-licence"}}
    ]
    environment = _model(bom)["modelCard"]["considerations"]["environmentalConsiderations"]
    assert environment["properties"] == [
        {"name": "govkit:compute:hardware", "value": "1 CPU core"},
        {"name": "govkit:compute:hours", "value": "0.001"},
        {"name": "govkit:compute:co2e_kg", "value": "0.0"},
    ]
    # no report: no figures and no timestamp (there is no clock in the BOM)
    assert "quantitativeAnalysis" not in _model(bom)["modelCard"]
    assert "timestamp" not in bom["metadata"]
    data = {c["bom-ref"]: c for c in bom["components"] if c["type"] == "data"}
    train, test = sha256(config.parent / "train.parquet"), sha256(config.parent / "eval.parquet")
    digests = {ref: (c["name"], c["hashes"][0]["content"]) for ref, c in data.items()}
    assert digests == {
        "data:eval": ("eval.parquet", test),
        "data:train": ("train.parquet", train),
        # the model card pins its data sets by path (relative to the card) and digest
        "dataset:minimal-dataset-card": ("train.parquet", train),
        "dataset:minimal-dataset-card:2": ("eval.parquet", test),
    }
    assert [d["ref"] for d in _model(bom)["modelCard"]["modelParameters"]["datasets"]] == [
        "data:eval",
        "data:train",
        "dataset:minimal-dataset-card",
        "dataset:minimal-dataset-card:2",
    ]
    model_deps = next(d for d in bom["dependencies"] if d["ref"] == "model")["dependsOn"]
    assert set(model_deps) == {"file:model", *data}


def test_missing_model_card_is_a_located_error(
    tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _copy(tiny, tmp_path / "tiny")
    data = yaml.safe_load(config.read_text("utf-8"))
    data["documents"] = [d for d in data["documents"] if "model_card" not in d]
    config.write_text(yaml.safe_dump(data, sort_keys=False), "utf-8")
    line = config.read_text("utf-8").splitlines().index("documents:") + 1

    out = tmp_path / "bom.json"
    assert main(["export", "cyclonedx", "-c", str(config), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"govkit.yaml:{line}:" in err and "model_card" in err and "govkit init" in err
    assert "Traceback" not in err and not out.exists()


def test_missing_model_file_is_a_located_error(
    tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _copy(tiny, tmp_path / "tiny")
    (config.parent / "model.pt2").unlink()
    old = tmp_path / "bom.json"
    old.write_text("the previous export\n", encoding="utf-8")
    assert main(["export", "cyclonedx", "-c", str(config), "--out", str(old)]) == 2
    err = capsys.readouterr().err
    assert "model.pt2" in err and "govkit.yaml:" in err and "Traceback" not in err
    assert old.read_text("utf-8") == "the previous export\n"  # nothing the user had is lost


def test_example_copy_is_not_touched(german: Path) -> None:
    # the exports read the project; they write only the file asked for
    before = {p: p.stat().st_mtime_ns for p in german.parent.rglob("*") if p.is_file()}
    scratch = german.parent.parent / "scratch-bom.json"
    _export(german, scratch)
    after = {p: p.stat().st_mtime_ns for p in german.parent.rglob("*") if p.is_file()}
    assert before == after
    scratch.unlink()


def test_tiny_model_checked_then_exported(
    tiny: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = _copy(tiny, tmp_path / "tiny")
    suite = {
        "suite": 1,
        "name": "tiny",
        "checks": [{"id": "performance.classification", "severity": "warn"}],
    }
    (config.parent / "suite.yaml").write_text(yaml.safe_dump(suite), "utf-8")
    data = yaml.safe_load(config.read_text("utf-8"))
    data["suite"] = "suite.yaml"
    config.write_text(yaml.safe_dump(data, sort_keys=False), "utf-8")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert main(["check", "-c", str(config), "--quiet", "--device", "cpu"]) == 0  # the model ran

    bom = _export(config, tmp_path / "bom.json")
    assert _schema_errors(bom) == []
    report = json.loads((config.parent / "build" / "report.json").read_text("utf-8"))
    recorded = {a["role"]: a["sha256"] for a in report["provenance"]["artifacts"]}
    digest = sha256(config.parent / "model.pt2")
    assert recorded["model"] == digest == _model(bom)["hashes"][0]["content"]
    metrics = _model(bom)["modelCard"]["quantitativeAnalysis"]["performanceMetrics"]
    accuracy = next(m for m in metrics if m["type"] == "accuracy" and "overall" in m["slice"])
    assert accuracy["slice"] == "overall; n=100; check=performance.classification"
    assert float(accuracy["value"]) > 0.7  # the trained model, not chance


def test_a_report_of_another_system_is_refused(
    german: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = _report(german)
    report["system"]["name"] = "another-system"
    foreign = tmp_path / "report.json"
    foreign.write_text(json.dumps(report), encoding="utf-8")
    out = tmp_path / "bom.json"
    argv = ["export", "cyclonedx", "-c", str(german), "--report", str(foreign), "--out", str(out)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "another-system" in err and "govkit check" in err and not out.exists()
