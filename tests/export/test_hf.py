"""``govkit export hf``: a model card the Hub's own library reads, with the report's figures."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import yaml
from huggingface_hub import ModelCard

from govkit.render.manifest import load_manifest
from govkit.report import Report
from tests.export.hf_helpers import adult_copy, govkit
from tests.helpers import build_report


@pytest.fixture(scope="module")
def report() -> Report:
    return build_report()


@pytest.fixture
def config(tmp_path: Path, report: Report) -> Path:
    return adult_copy(tmp_path, report)


def _export(config: Path, out: Path, *extra: str) -> str:
    assert govkit("export", "hf", "-c", config, "--out", out, *extra) == 0
    return out.read_text(encoding="utf-8")


def _candidate_figures(report: Report) -> list[tuple[str, float, int | None, list[float] | None]]:
    """(check, value, n, ci) of every performance and fairness figure of the candidate model."""
    return [
        (r.id, m.value, m.n, list(m.ci) if m.ci else None)
        for r in report.results
        if r.id.startswith(("performance.", "fairness."))
        for m in r.measurements
        if m.value is not None and m.model is None and m.vs is None
    ]


def test_card_parses_with_huggingface_hub_and_carries_the_report(
    config: Path, report: Report, tmp_path: Path
) -> None:
    out = tmp_path / "README.md"
    _export(config, out)
    card = ModelCard.load(out)  # the Hub's parser: metadata and model-index
    data = card.data.to_dict()

    assert data["license"] == "apache-2.0"
    assert data["library_name"] == "pytorch"
    assert data["pipeline_tag"] == "tabular-classification"
    assert data["datasets"] == ["scikit-learn/adult-census-income"]
    assert data["metrics"][:2] == ["accuracy", "roc_auc"]

    # one eval result per measured figure, values and intervals exactly the report's
    got = [
        (e.metric_args["check"], e.metric_value, e.metric_args["n"], e.metric_args["ci"])
        for e in card.data.eval_results
    ]
    assert got == _candidate_figures(report)
    assert len(got) >= 10
    names = {e.metric_name for e in card.data.eval_results}
    assert "selection_rate [sex=Female]" in names and "accuracy" in names
    # attribution and data checks are not performance figures
    checks = {e.metric_args["check"] for e in card.data.eval_results}
    assert {"performance.classification", "fairness.demographic_parity"} <= checks
    assert all(c.startswith(("performance.", "fairness.")) for c in checks)

    sha = hashlib.sha256((config.parent / "build/govkit/report.json").read_bytes())
    assert data["govkit"] == {
        "verdict": report.status,
        "packet_id": None,
        "report_sha256": sha.hexdigest(),
        "model_card": "adult-income-model-card",
    }
    text = card.text
    for section in (
        "## Uses",
        "### Out-of-Scope Use",
        "## Bias, Risks, and Limitations",
        "### Training Data",
        "#### Testing Data",
        "#### Per Group",
        "## Environmental Impact",
        "### Compute Infrastructure",
        "## Governance",
    ):
        assert f"\n{section}\n" in text
    assert f"- **Evaluated on:** {report.provenance.device}\n" in text
    # the waiver of the report is shown with its owner and expiry
    waived = next(r for r in report.results if r.waiver is not None)
    assert waived.waiver is not None
    assert f"until {waived.waiver.expires.isoformat()}" in text


def test_export_is_byte_identical_and_has_no_absolute_paths(config: Path, tmp_path: Path) -> None:
    first = _export(config, tmp_path / "a.md")
    second = _export(config, tmp_path / "b.md")
    assert first == second
    assert str(tmp_path) not in first


def test_round_trip_import_then_export_gives_the_same_file(config: Path, tmp_path: Path) -> None:
    out = tmp_path / "README.md"
    exported = _export(config, out)
    imported = tmp_path / "imported.yaml"
    assert govkit("import", "hf", out, "--out", imported) == 0
    # the imported card replaces the original in the project
    original = config.parent / "docs" / "model_card.yaml"
    original.write_text(imported.read_text(encoding="utf-8"), encoding="utf-8")
    again = _export(config, tmp_path / "README.md.again")
    assert again == exported
    # and the imported card is a valid document whose gaps validate flags
    assert govkit("validate", imported) == 0
    assert govkit("validate", "--strict", imported) == 1


def test_without_a_report_the_card_says_it_has_no_verdict(tmp_path: Path) -> None:
    config = adult_copy(tmp_path)
    out = tmp_path / "README.md"
    _export(config, out)
    data = ModelCard.load(out).data.to_dict()
    assert "model-index" not in data
    assert data["govkit"]["verdict"] is None and data["govkit"]["report_sha256"] is None
    assert "without a `govkit check` report" in out.read_text(encoding="utf-8")


def test_packet_rendered_from_the_report_is_linked(config: Path, tmp_path: Path) -> None:
    assert govkit("render", "-c", config, "--format", "md") == 0
    manifest = load_manifest(config.parent / "build/govkit/packet")
    assert govkit("export", "hf", "-c", config) == 0  # default: <output>/export/README.md
    text = (config.parent / "build/govkit/export/README.md").read_text(encoding="utf-8")
    meta = yaml.safe_load(text.split("---\n")[1])
    assert manifest.packet_id is not None
    assert meta["govkit"]["packet_id"] == manifest.packet_id
    assert "[../packet/](../packet/)" in text


def test_a_project_without_a_model_card_is_a_config_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = adult_copy(tmp_path)
    text = config.read_text(encoding="utf-8").replace("  - docs/model_card.yaml\n", "")
    config.write_text(text, encoding="utf-8")
    before = sorted(p.name for p in config.parent.iterdir())
    assert govkit("export", "hf", "-c", config, "--out", tmp_path / "README.md") == 2
    err = capsys.readouterr().err
    assert "govkit.yaml" in err and "needs a model_card" in err and "govkit init model_card" in err
    assert "Traceback" not in err
    assert not (tmp_path / "README.md").exists()
    assert sorted(p.name for p in config.parent.iterdir()) == before


def test_round_trip_keeps_every_field_the_card_writes(config: Path, tmp_path: Path) -> None:
    """A card using the rarer shapes: N/A answers, 'other' licence, pipes, paragraphs, code."""
    path = config.parent / "docs" / "model_card.yaml"
    card = yaml.safe_load(path.read_text(encoding="utf-8"))
    card["license"] = {
        "spdx_id": "other",
        "name": "ACME research licence",
        "url": "https://acme.example/l",
    }
    card["description"] = "First paragraph with a | pipe.\n\nSecond paragraph,\nwrapped."
    card["model_type"]["fine_tuned"] = True
    card["base_model"] = [{"name": "acme/tabular-base"}, {"name": "acme/other-base"}]
    card["decision_thresholds"] = {"not_applicable": "Scores are shown, not thresholded."}
    card["privacy"] = {"approach": "DP-SGD.", "dp_epsilon": 3.5}
    card["compute_and_environment"] = {"hardware": "1 CPU", "hours": 0.25, "co2e_kg": 0.01}
    card["get_started"] = "import torch\nmodel = torch.export.load('model.pt2')\n"
    card["citation"] = "@misc{acme,\n  title={Income MLP}\n}"
    card["glossary"] = "ECE: expected calibration error."
    card["references"].append({"url": "https://example.org/no-title"})
    card["ethical_considerations"]["fraught_use_cases"] = {"not_applicable": "None known | yet."}
    card["training_data"]["datasets"][0]["hub_id"] = "acme/adult-train"
    card["model_version"]["previous"] = "0.9.0"
    path.write_text(yaml.safe_dump(card, sort_keys=False), encoding="utf-8")

    first = _export(config, tmp_path / "README.md")
    meta = ModelCard.load(tmp_path / "README.md").data.to_dict()
    assert (meta["license"], meta["license_name"]) == ("other", "ACME research licence")
    assert meta["base_model"] == ["acme/tabular-base", "acme/other-base"]
    assert meta["datasets"] == ["acme/adult-train", "scikit-learn/adult-census-income"]

    for written in (
        "First paragraph with a | pipe.\n\nSecond paragraph, wrapped.",
        "Not applicable: Scores are shown, not thresholded.",
        "- **Differential privacy epsilon:** 3.5",
        "- **Carbon Emitted:** 0.01 kg CO2e",
        "model = torch.export.load('model.pt2')",
        "- **Fraught use cases:** Not applicable: None known | yet.",
        "| adult-dataset-card | UCI Adult (Census Income) | adult.data (UCI, 1996) | train "
        "| acme/adult-train |",
    ):
        assert written in first, written

    imported = tmp_path / "imported.yaml"
    assert govkit("import", "hf", tmp_path / "README.md", "--out", imported) == 0
    path.write_text(imported.read_text(encoding="utf-8"), encoding="utf-8")
    assert _export(config, tmp_path / "again.md") == first


def test_a_report_of_another_system_is_refused(
    config: Path, report: Report, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = report.model_copy(update={"system": report.system.model_copy(update={"name": "other"})})
    path = tmp_path / "other.json"
    path.write_text(other.model_dump_json(), encoding="utf-8")
    assert govkit("export", "hf", "-c", config, "--report", path, "--out", tmp_path / "R.md") == 2
    err = capsys.readouterr().err
    assert f"{path}: the report does not fit this project" in err and "other" in err
    assert not (tmp_path / "R.md").exists()


def test_baseline_figures_and_paired_differences_stay_out_of_model_index(
    report: Report, tmp_path: Path
) -> None:
    """model-index describes the candidate: a baseline's figure or a paired gap is another model's."""
    first = report.results[0]
    candidate = first.measurements[0]
    extra = [
        candidate.model_copy(update={"model": "logreg", "value": 0.123456789}),
        candidate.model_copy(update={"vs": "logreg", "value": 0.0987654321}),
    ]
    changed = first.model_copy(update={"measurements": [*first.measurements, *extra]})
    with_baselines = report.model_copy(update={"results": [changed, *report.results[1:]]})
    config = adult_copy(tmp_path, with_baselines)
    out = tmp_path / "README.md"
    _export(config, out)
    values = [e.metric_value for e in ModelCard.load(out).data.eval_results]
    assert len(values) == len(_candidate_figures(report))
    assert 0.123456789 not in values and 0.0987654321 not in values
