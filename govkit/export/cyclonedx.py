"""CycloneDX 1.6 ML-BOM (JSON): the model card, its measured figures and the hashed files.

The BOM is built as a plain dict: the CycloneDX library cannot build a
``modelCard`` yet, and a dict in a fixed key order gives the same bytes for the
same inputs. Its shape:

- ``metadata.component`` is the system under review (govkit.yaml's ``system``);
  ``metadata.tools`` names govkit; ``metadata.timestamp`` is the report's
  ``finished_at`` (no clock), left out without a report;
- ``components`` holds the ``machine-learning-model`` with its ``modelCard``,
  the model file (type ``file``), each data file (type ``data``) and each
  source data file the model card pins by digest, all with SHA-256 hashes;
  ``dependencies`` link system -> model -> files;
- ``serialNumber`` is a UUID5 of the rest of the document, so it changes
  exactly when the content does.

Measured figures come from the report's performance and fairness checks, the
candidate's own figures only (``model`` and ``vs`` null). CycloneDX's
``performanceMetric`` has no field for a sample size, so the ``slice`` text
carries it with the check id: ``sex=female; n=91; check=fairness.equalized_odds``.
Values are written with Python's shortest round-trip ``repr``, so a reader gets
back exactly the report's floats. Nothing else of the report is copied: a PII
finding's examples, or any raw value, never reaches the BOM.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from govkit import __version__
from govkit.export._files import ProjectFile, answer_text, project_files, sentence

if TYPE_CHECKING:
    from govkit.documents.dataset_card import DatasetCard
    from govkit.documents.fields import License
    from govkit.documents.model_card import ModelCard
    from govkit.documents.risk_checklist import RiskChecklist
    from govkit.export import ExportSource
    from govkit.report import CheckResult, Measurement

__all__ = ["METRIC_CHECK_PREFIXES", "export_cyclonedx", "metric_slice", "performance_metrics"]

SPEC_VERSION = "1.6"
#: the checks whose figures go into ``quantitativeAnalysis.performanceMetrics``
METRIC_CHECK_PREFIXES = ("performance.", "fairness.")
#: fixed namespace of the serial numbers (a UUID5 of this text under the URL namespace)
_SERIAL_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:govkit:cyclonedx-bom")
_MODEL_REF = "model"
_SYSTEM_REF = "system"
_FILE_REFS = {"model": "file:model", "eval_data": "data:eval", "train_data": "data:train"}
_SPLITS = {"eval_data": "eval", "train_data": "train"}


def export_cyclonedx(source: ExportSource) -> str:
    """The ML-BOM of the project's model card, report and files, as JSON text."""
    from govkit.documents.model_card import ModelCard

    document = source.document("model_card", format_name="cyclonedx")
    card = document.model
    assert isinstance(card, ModelCard)  # documents_of() selected it by kind
    files = project_files(source, prefer_report=True)
    pinned = _pinned_datasets(source, card, document.path.parent)
    data_refs = [_FILE_REFS[f.role] for f in files if f.role != "model"] + list(pinned)
    file_refs = [_FILE_REFS[f.role] for f in files] + list(pinned)
    body: dict[str, Any] = {
        "bomFormat": "CycloneDX",
        "specVersion": SPEC_VERSION,
        "version": 1,
        "metadata": _metadata(source),
        "components": [
            _model_component(source, card, files, data_refs),
            *(_file_component(source, card, f) for f in files),
            *pinned.values(),
        ],
        "dependencies": [
            {"ref": _SYSTEM_REF, "dependsOn": [_MODEL_REF]},
            {"ref": _MODEL_REF, "dependsOn": file_refs},
            *({"ref": ref, "dependsOn": []} for ref in file_refs),
        ],
    }
    digest = hashlib.sha256(_dumps(body).encode()).hexdigest()
    bom = {
        "bomFormat": body.pop("bomFormat"),
        "specVersion": body.pop("specVersion"),
        "serialNumber": f"urn:uuid:{uuid.uuid5(_SERIAL_NAMESPACE, digest)}",
        **body,
    }
    return _dumps(bom) + "\n"


def _dumps(value: Any) -> str:
    # insertion order is the order written here; no sort, so the BOM reads top-down
    return json.dumps(value, indent=2, ensure_ascii=False, allow_nan=False)


# --- metadata -------------------------------------------------------------------


def _metadata(source: ExportSource) -> dict[str, Any]:
    system = source.project.model.system
    meta: dict[str, Any] = {}
    if source.report is not None:
        meta["timestamp"] = source.report.provenance.finished_at
    meta["tools"] = {
        "components": [
            {"type": "application", "name": "govkit", "version": __version__},
        ]
    }
    meta["component"] = {
        "type": "application",
        "bom-ref": _SYSTEM_REF,
        "name": system.name,
        "version": system.version,
    }
    properties = []
    if source.report is not None:
        properties += [
            _prop("govkit:report:status", source.report.status),
            _prop("govkit:report:sha256", source.report_sha256 or ""),
            _prop("govkit:report:config_sha256", source.report.provenance.config_sha256),
        ]
    if properties:
        meta["properties"] = properties
    return meta


def _prop(name: str, value: str) -> dict[str, str]:
    return {"name": name, "value": value}


# --- the model and its card -------------------------------------------------------


def _model_component(
    source: ExportSource, card: ModelCard, files: list[ProjectFile], data_refs: list[str]
) -> dict[str, Any]:
    component: dict[str, Any] = {
        "type": "machine-learning-model",
        "bom-ref": _MODEL_REF,
        "name": card.name,
        "version": card.model_version.version,
        "description": card.summary,
    }
    model_file = next((f for f in files if f.role == "model"), None)
    if model_file is not None:
        component["hashes"] = [{"alg": "SHA-256", "content": model_file.sha256}]
    component["licenses"] = _licenses(card.license)
    component["modelCard"] = _model_card(source, card, data_refs)
    predictions = source.project.model.model.columns
    if predictions is not None:
        columns = ", ".join(c for c in (predictions.label, predictions.score) if c)
        component["properties"] = [
            _prop("govkit:model:predictions", f"recorded prediction columns: {columns}")
        ]
    return component


def _licenses(license: License) -> list[dict[str, Any]]:
    # an SPDX id as an expression: valid whatever SPDX list version the reader ships
    if license.spdx_id != "other":
        return [{"expression": license.spdx_id}]
    named: dict[str, Any] = {"name": license.name or "other"}
    if license.url:
        named["url"] = license.url
    return [{"license": named}]


def _model_card(source: ExportSource, card: ModelCard, data_refs: list[str]) -> dict[str, Any]:
    parameters: dict[str, Any] = {
        "task": card.model_type.task,
        "architectureFamily": card.model_type.family,
        "modelArchitecture": card.architecture.description,
        "datasets": [{"ref": ref} for ref in data_refs],
    }
    if card.architecture.input_spec:
        parameters["inputs"] = [{"format": card.architecture.input_spec}]
    if card.architecture.output_spec:
        parameters["outputs"] = [{"format": card.architecture.output_spec}]
    model_card: dict[str, Any] = {"modelParameters": parameters}
    metrics = performance_metrics(source)
    if metrics:
        model_card["quantitativeAnalysis"] = {"performanceMetrics": metrics}
    model_card["considerations"] = _considerations(source, card)
    properties = [_prop("govkit:out_of_scope_use", use) for use in card.out_of_scope_uses]
    properties += [_prop("govkit:foreseeable_misuse", use) for use in card.foreseeable_misuse]
    model_card["properties"] = properties
    return model_card


def performance_metrics(source: ExportSource) -> list[dict[str, Any]]:
    """One ``performanceMetric`` per candidate figure of the performance and fairness checks."""
    if source.report is None:
        return []
    metrics = []
    for result in source.report.results:
        if not result.id.startswith(METRIC_CHECK_PREFIXES):
            continue
        for m in result.own_measurements():
            if m.value is None:
                continue
            metric: dict[str, Any] = {
                "type": m.name,
                "value": repr(float(m.value)),
                "slice": metric_slice(result, m),
            }
            if m.ci is not None:
                metric["confidenceInterval"] = {
                    "lowerBound": repr(float(m.ci[0])),
                    "upperBound": repr(float(m.ci[1])),
                }
            metrics.append(metric)
    return metrics


def metric_slice(result: CheckResult, m: Measurement) -> str:
    """Where a figure applies, its sample size and its check, as one ``slice`` text."""
    if m.group:
        where = ", ".join(f"{k}={v}" for k, v in m.group.items())
    elif m.feature:
        where = f"across {m.feature}"
    else:
        where = "overall"
    parts = [where]
    if m.n is not None:
        parts.append(f"n={m.n}")
    parts.append(f"check={result.id}")
    return "; ".join(parts)


def _considerations(source: ExportSource, card: ModelCard) -> dict[str, Any]:
    ethics = card.ethical_considerations
    limitations = [card.limitations, card.caveats_and_recommendations]
    considerations: dict[str, Any] = {
        "users": list(card.intended_users),
        "useCases": [*card.intended_uses, *card.downstream_uses],
        "technicalLimitations": limitations,
        "ethicalConsiderations": [
            {"name": name, "mitigationStrategy": answer_text(ethics.mitigations) or ""}
            for name in (
                f"Sensitive data: {answer_text(ethics.sensitive_data)}",
                f"Decisions central to human life: {answer_text(ethics.human_life)}",
                f"Risks and harms: {answer_text(ethics.risks_and_harms)}",
                f"Fraught use cases: {answer_text(ethics.fraught_use_cases)}",
            )
        ],
    }
    environment = _environment(card)
    if environment is not None:
        considerations["environmentalConsiderations"] = environment
    assessments = _fairness_assessments(source)
    if assessments:
        considerations["fairnessAssessments"] = assessments
    return considerations


def _environment(card: ModelCard) -> dict[str, Any] | None:
    # CycloneDX's energyConsumptions need the energy in kWh, which the card does not
    # record; the compute fields go in as properties rather than as made-up figures
    compute = card.compute_and_environment
    if compute is None:
        return None
    fields: list[tuple[str, object]] = [
        ("hardware", compute.hardware),
        ("hours", compute.hours),
        ("provider", compute.provider),
        ("region", compute.region),
        ("co2e_kg", compute.co2e_kg),
    ]
    return {
        "properties": [
            _prop(f"govkit:compute:{name}", str(value))
            for name, value in fields
            if value is not None
        ]
    }


def _fairness_assessments(source: ExportSource) -> list[dict[str, Any]]:
    """The risk checklist's fairness risks: who is at risk, the harm and its treatment."""
    from govkit.documents.risk_checklist import RiskChecklist

    assessments = []
    for doc in source.documents_of("risk_checklist"):
        checklist = doc.model
        assert isinstance(checklist, RiskChecklist)
        for risk in _fairness_risks(checklist):
            measures = " ".join(sentence(m) for m in risk.treatment.measures)
            strategy = f"{risk.treatment.option}" + (f": {measures}" if measures else "")
            assessments.append(
                {
                    "groupAtRisk": ", ".join(risk.affected),
                    "harms": f"{risk.id} {risk.title}: {risk.description}",
                    "mitigationStrategy": strategy,
                }
            )
    return assessments


def _fairness_risks(checklist: RiskChecklist) -> list[Any]:
    # a fairness risk is one the checklist files under harmful bias, or whose
    # controls are fairness checks
    return [
        r
        for r in checklist.risks
        if "fair_harmful_bias_managed" in r.category
        or "gai_harmful_bias_homogenization" in r.category
        or any(c.startswith("fairness.") for c in r.controls)
    ]


# --- files ---------------------------------------------------------------------------


def _file_component(source: ExportSource, card: ModelCard, f: ProjectFile) -> dict[str, Any]:
    component: dict[str, Any] = {
        "type": "file" if f.role == "model" else "data",
        "bom-ref": _FILE_REFS[f.role],
        "name": f.relative,
        "hashes": [{"alg": "SHA-256", "content": f.sha256}],
    }
    if f.role != "model":
        split = _SPLITS[f.role]
        data: dict[str, Any] = {"type": "dataset", "name": f"{split} split"}
        dataset = _dataset_card_for(source, card, split)
        if dataset is not None:
            data["name"] = f"{dataset.name} ({split} split)"
            sensitive = [f"{s.field} ({s.category})" for s in dataset.sensitive_data]
            if sensitive:
                data["sensitiveData"] = sensitive
        component["data"] = [data]
    component["properties"] = [_prop("govkit:bytes", str(f.bytes)), _prop("govkit:role", f.role)]
    return component


def _pinned_datasets(
    source: ExportSource, card: ModelCard, card_folder: Path
) -> dict[str, dict[str, Any]]:
    """The source data sets the model card pins by SHA-256, as ``data`` components by bom-ref.

    The splits govkit.yaml names are often cut from one source file; the model
    card's ``training_data``/``evaluation_data`` references name that file and
    its digest. Each distinct (card, path, digest) is listed once, its path
    made relative to the project's folder like the other files' (the card
    writes it relative to itself).
    """
    from govkit.documents.dataset_card import DatasetCard

    names = {
        d.model.doc_id: d.model.name
        for d in source.documents_of("dataset_card")
        if isinstance(d.model, DatasetCard)
    }
    found: dict[str, dict[str, Any]] = {}
    seen: set[tuple[str, str | None, str]] = set()
    for ref in [*card.training_data.datasets, *card.evaluation_data.datasets]:
        if ref.sha256 is None or (ref.card_id, ref.path, ref.sha256) in seen:
            continue
        seen.add((ref.card_id, ref.path, ref.sha256))
        bom_ref = f"dataset:{ref.card_id}"
        if bom_ref in found:
            bom_ref += f":{len(seen)}"
        component: dict[str, Any] = {
            "type": "data",
            "bom-ref": bom_ref,
            "name": _project_relative(source, card_folder, ref.path) if ref.path else ref.card_id,
        }
        if ref.version:
            component["version"] = ref.version
        component["hashes"] = [{"alg": "SHA-256", "content": ref.sha256}]
        component["data"] = [{"type": "dataset", "name": names.get(ref.card_id, ref.card_id)}]
        component["properties"] = [
            _prop("govkit:dataset_card", ref.card_id),
            _prop("govkit:role", "source_data"),
        ]
        found[bom_ref] = component
    return found


def _project_relative(source: ExportSource, folder: Path, path: str) -> str:
    target = (folder / path).resolve()
    return Path(os.path.relpath(target, source.project.root.resolve())).as_posix()


def _dataset_card_for(source: ExportSource, card: ModelCard, split: str) -> DatasetCard | None:
    """The dataset card the model card names for the training or evaluation data."""
    from govkit.documents.dataset_card import DatasetCard

    refs = card.training_data.datasets if split == "train" else card.evaluation_data.datasets
    wanted = [r.card_id for r in refs]
    for doc in source.documents_of("dataset_card"):
        if isinstance(doc.model, DatasetCard) and doc.model.doc_id in wanted:
            return doc.model
    return None
