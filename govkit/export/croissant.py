"""Croissant 1.1 JSON-LD from the dataset card, with the Responsible-AI (RAI) vocabulary.

What it holds:

- the dataset's description from the dataset card (name, summary, version,
  licence, creators, keywords, citation), ``conformsTo`` Croissant 1.1 and
  Croissant RAI 1.0;
- the card's answers under the RAI terms (``rai:dataCollection``,
  ``rai:dataBiases``, ``rai:personalSensitiveInformation``, ...; the table in
  :data:`RAI_SOURCES` says which field feeds which). The terms are spelled as
  the RAI specification spells them (``rai:dataCollectionTimeframe``,
  ``rai:dataManipulationProtocol``);
- one ``cr:FileObject`` per data split the project names (``data.eval``,
  ``data.train``) with its SHA-256, hashed now, and a ``contentUrl`` relative to
  the folder the JSON-LD is written to, so it resolves wherever both are moved
  together;
- one ``cr:RecordSet`` per CSV or Parquet split, a field per column, typed
  from the file's own schema (Parquet) or from reading it (CSV) with pyarrow.

It describes data and never copies it: no example values, no statistics,
nothing from a PII finding but what the card's authors wrote about the
sensitive fields. The same card and files give the same bytes.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from govkit.errors import InputError
from govkit.export._files import ProjectFile, answer_text, data_file, hashed_now, sentence

if TYPE_CHECKING:
    from govkit.documents.dataset_card import DatasetCard
    from govkit.export import ExportSource

__all__ = ["CONFORMS_TO", "CONTEXT", "RAI_SOURCES", "column_types", "export_croissant"]

CONFORMS_TO = ["http://mlcommons.org/croissant/1.1", "http://mlcommons.org/croissant/RAI/1.0"]

#: the Croissant 1.1 context, with the RAI prefix
CONTEXT: dict[str, Any] = {
    "@language": "en",
    "@vocab": "https://schema.org/",
    "arrayShape": "cr:arrayShape",
    "citeAs": "cr:citeAs",
    "column": "cr:column",
    "conformsTo": "dct:conformsTo",
    "containedIn": "cr:containedIn",
    "cr": "http://mlcommons.org/croissant/",
    "rai": "http://mlcommons.org/croissant/RAI/",
    "data": {"@id": "cr:data", "@type": "@json"},
    "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
    "dct": "http://purl.org/dc/terms/",
    "equivalentProperty": "cr:equivalentProperty",
    "examples": {"@id": "cr:examples", "@type": "@json"},
    "extract": "cr:extract",
    "field": "cr:field",
    "fileObject": "cr:fileObject",
    "fileProperty": "cr:fileProperty",
    "fileSet": "cr:fileSet",
    "format": "cr:format",
    "includes": "cr:includes",
    "isArray": "cr:isArray",
    "isLiveDataset": "cr:isLiveDataset",
    "jsonPath": "cr:jsonPath",
    "key": "cr:key",
    "md5": "cr:md5",
    "parentField": "cr:parentField",
    "path": "cr:path",
    "recordSet": "cr:recordSet",
    "references": "cr:references",
    "regex": "cr:regex",
    "repeated": "cr:repeated",
    "replace": "cr:replace",
    "samplingRate": "cr:samplingRate",
    "sc": "https://schema.org/",
    "separator": "cr:separator",
    "source": "cr:source",
    "subField": "cr:subField",
    "transform": "cr:transform",
}

#: which dataset card fields feed which RAI term (documentation for readers and the README)
RAI_SOURCES: dict[str, str] = {
    "rai:dataCollection": "collection.methods, collection.sources",
    "rai:dataCollectionType": "collection.types",
    "rai:dataCollectionMissingData": "missing_data.reasons, missing_data.encoding",
    "rai:dataCollectionRawData": "raw_data_retained",
    "rai:dataCollectionTimeframe": "collection.timeframe",
    "rai:dataImputationProtocol": "preprocessing (imputation steps)",
    "rai:dataManipulationProtocol": "preprocessing (manipulation steps)",
    "rai:dataPreprocessingProtocol": "preprocessing (the other steps)",
    "rai:dataAnnotationProtocol": "annotation.protocol",
    "rai:dataAnnotationPlatform": "annotation.platform",
    "rai:dataAnnotationAnalysis": "annotation.agreement",
    "rai:annotationsPerItem": "annotation.annotations_per_item",
    "rai:annotatorDemographics": "annotation.annotator_demographics",
    "rai:machineAnnotationTools": "annotation.machine_tools",
    "rai:dataUseCases": "intended_uses, out_of_scope_uses",
    "rai:dataBiases": "bias_examination.known_biases, bias_mitigation",
    "rai:dataLimitations": "limitations, data_gaps",
    "rai:dataSocialImpact": "social_impact, use_impact_notes",
    "rai:personalSensitiveInformation": "sensitive_data",
    "rai:dataReleaseMaintenancePlan": "maintenance",
}

#: the RAI collection-type vocabulary for each of the card's collection types
_COLLECTION_TYPES = {
    "survey": "Surveys",
    "census": "Surveys",
    "direct_measurement": "Direct measurement",
    "sensor": "Physical data collection",
    "logs": "Software Collection",
    "web_scraping": "Web Scraping",
    "api": "Web API",
    "crowdsourcing": "Manual Human Curator",
    "manual_curation": "Manual Human Curator",
    "derived": "Secondary Data analysis",
    "synthetic": "Others",
    "other": "Others",
}

_SEMVER = re.compile(r"^\d+(\.\d+){0,2}$")
_ENCODINGS = {".csv": "text/csv", ".parquet": "application/x-parquet", ".npz": "application/x-npz"}
_SPLITS = {"eval_data": "eval", "train_data": "train"}


def export_croissant(source: ExportSource) -> str:
    """The Croissant JSON-LD of the project's dataset card and data files, as text."""
    from govkit.documents.dataset_card import DatasetCard

    card = source.document("dataset_card", format_name="croissant").model
    assert isinstance(card, DatasetCard)  # documents_of() selected it by kind
    files = _data_files(source)
    doc: dict[str, Any] = {
        "@context": CONTEXT,
        "@type": "sc:Dataset",
        "conformsTo": CONFORMS_TO,
        **_description(card),
        **_rai(card),
        "distribution": [_file_object(source, f) for f in files],
        "recordSet": [rs for f in files if (rs := _record_set(f)) is not None],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def _data_files(source: ExportSource) -> list[ProjectFile]:
    data = source.project.model.data
    files = [hashed_now(source, "eval_data", data_file(source, "eval_data", data.eval))]
    if data.train is not None:
        files.append(hashed_now(source, "train_data", data_file(source, "train_data", data.train)))
    return files


# --- the dataset's description -------------------------------------------------------


def _description(card: DatasetCard) -> dict[str, Any]:
    out: dict[str, Any] = {"name": card.name, "description": card.summary}
    # Croissant's version is MAJOR.MINOR.PATCH; a card's free-text version stays in the description
    if _SEMVER.match(card.dataset_version):
        out["version"] = card.dataset_version
    else:
        out["description"] += f" Version: {card.dataset_version}"
    out |= {
        "license": _license(card),
        "creator": [_person(p) for p in card.creators],
        "keywords": [card.modality, *card.tags],
    }
    # the sources the data was drawn from: schema.org's "a resource this work is derived from"
    out["isBasedOn"] = [
        {"@type": "sc:CreativeWork", "name": s.name, **({"url": s.url} if s.url else {})}
        for s in card.collection.sources
    ]
    # citeAs and datePublished are recommended: without a citation, how to name the data
    creators = ", ".join(p.name for p in card.creators)
    out["citeAs"] = card.citation or f"{creators}. {card.name}, version {card.dataset_version}."
    created = card.collection.timeframe.created
    published = card.distribution.first_release or created
    if published is not None:
        out["datePublished"] = published.isoformat()
    if created is not None:
        out["dateCreated"] = created.isoformat()
    if card.distribution.doi:
        out["identifier"] = card.distribution.doi
    if card.languages is not None and isinstance(card.languages, list):
        out["inLanguage"] = list(card.languages)
    return out


def _license(card: DatasetCard) -> str:
    lic = card.license
    if lic.spdx_id != "other":
        return f"https://spdx.org/licenses/{lic.spdx_id}.html"
    return lic.url or lic.name or "other"


def _person(p: Any) -> dict[str, Any]:
    # a card's creator is a person or an organisation; one with an affiliation is a person
    if not p.affiliation:
        return {"@type": "sc:Organization", "name": p.name}
    return {
        "@type": "sc:Person",
        "name": p.name,
        "affiliation": {"@type": "sc:Organization", "name": p.affiliation},
    }


# --- Responsible AI ----------------------------------------------------------------------


def _rai(card: DatasetCard) -> dict[str, Any]:
    """The RAI terms the card answers, in the order of :data:`RAI_SOURCES`."""
    c = card.collection
    sources = "; ".join(
        s.name
        + (f" ({s.url})" if s.url else "")
        + (f": {s.original_purpose}" if s.original_purpose else "")
        for s in c.sources
    )
    missing = answer_text(card.missing_data.reasons) or ""
    if card.missing_data.encoding:
        missing += f" Missing values are written as {card.missing_data.encoding!r}."
    steps = {
        kind: [s for s in card.preprocessing if s.kind == kind]
        for kind in ("imputation", "manipulation")
    }
    other_steps = [s for s in card.preprocessing if s.kind not in steps]
    rai: dict[str, Any] = {
        "rai:dataCollection": f"{sentence(c.methods)} Sources: {sentence(sources)}",
        "rai:dataCollectionType": sorted({_COLLECTION_TYPES[t] for t in c.types}),
        "rai:dataCollectionMissingData": missing,
        "rai:dataCollectionRawData": answer_text(card.raw_data_retained),
        "rai:dataCollectionTimeframe": [c.timeframe.start.isoformat(), c.timeframe.end.isoformat()],
    }
    if steps["imputation"]:
        rai["rai:dataImputationProtocol"] = _steps_text(steps["imputation"])
    if steps["manipulation"]:
        rai["rai:dataManipulationProtocol"] = _steps_text(steps["manipulation"])
    if other_steps:
        rai["rai:dataPreprocessingProtocol"] = [_step_text(s) for s in other_steps]
    rai.update(_annotation(card))
    rai["rai:dataUseCases"] = [
        *card.intended_uses,
        *(f"Out of scope: {use}" for use in card.out_of_scope_uses),
    ]
    biases = list(card.bias_examination.known_biases)
    mitigation = answer_text(card.bias_mitigation)
    if mitigation:
        biases.append(f"Mitigation: {mitigation}")
    if biases:
        rai["rai:dataBiases"] = biases
    rai["rai:dataLimitations"] = [card.limitations, f"Data gaps: {answer_text(card.data_gaps)}"]
    impact = [text for text in (card.social_impact, answer_text(card.use_impact_notes)) if text]
    if impact:
        rai["rai:dataSocialImpact"] = " ".join(impact)
    rai["rai:personalSensitiveInformation"] = [
        f"{s.field} ({s.category}, collected {'intentionally' if s.collected_intentionally else 'incidentally'}): {s.handling}"
        for s in card.sensitive_data
    ] or ["The dataset card lists no personal or sensitive fields."]
    m = card.maintenance
    rai["rai:dataReleaseMaintenancePlan"] = " ".join(
        sentence(text)
        for text in (
            f"Maintainer: {m.maintainer.name} ({m.contact})",
            f"Status: {m.status}",
            f"Update cadence: {m.cadence}",
            f"Versioning: {m.versioning}",
            f"Contributions: {answer_text(m.contributions)}",
        )
    )
    return rai


def _step_text(step: Any) -> str:
    text = f"{step.kind}: {step.operation}"
    if step.fields:
        text += f" (fields: {', '.join(step.fields)})"
    if step.tool:
        text += f" [{step.tool}]"
    return text


def _steps_text(steps: list[Any]) -> str:
    return " ".join(f"{i}. {_step_text(s)}" for i, s in enumerate(steps, 1))


def _annotation(card: DatasetCard) -> dict[str, Any]:
    from govkit.documents.dataset_card import Annotation

    a = card.annotation
    if not isinstance(a, Annotation):
        reason = answer_text(a)
        return {"rai:dataAnnotationProtocol": reason} if reason else {}
    out: dict[str, Any] = {
        "rai:dataAnnotationProtocol": a.protocol,
        "rai:dataAnnotationPlatform": a.platform,
    }
    if a.agreement is not None:
        out["rai:dataAnnotationAnalysis"] = f"Inter-annotator agreement: {a.agreement}"
    if a.annotations_per_item is not None:
        out["rai:annotationsPerItem"] = str(a.annotations_per_item)
    out["rai:annotatorDemographics"] = answer_text(a.annotator_demographics)
    if a.machine_tools:
        out["rai:machineAnnotationTools"] = list(a.machine_tools)
    return out


# --- files and record sets -------------------------------------------------------------


def _content_url(source: ExportSource, f: ProjectFile) -> str:
    """The file's path relative to the export's folder (the project's folder when unknown)."""
    base = source.destination.parent if source.destination is not None else source.project.root
    return Path(os.path.relpath(f.path.resolve(), base.resolve())).as_posix()


def _file_id(f: ProjectFile) -> str:
    return f"{_SPLITS[f.role]}-file"


def _file_object(source: ExportSource, f: ProjectFile) -> dict[str, Any]:
    return {
        "@type": "cr:FileObject",
        "@id": _file_id(f),
        "name": _file_id(f),
        "description": f"The {_SPLITS[f.role]} split ({f.relative} in govkit.yaml), {f.bytes} bytes.",
        "contentUrl": _content_url(source, f),
        "contentSize": f"{f.bytes} B",
        "encodingFormat": _ENCODINGS.get(f.path.suffix.lower(), "application/octet-stream"),
        "sha256": f.sha256,
    }


def _record_set(f: ProjectFile) -> dict[str, Any] | None:
    """The split's columns as a RecordSet; None for a format Croissant cannot read (.npz)."""
    if f.path.suffix.lower() not in (".csv", ".parquet"):
        return None
    split = _SPLITS[f.role]
    return {
        "@type": "cr:RecordSet",
        "@id": split,
        "name": split,
        "description": f"The rows of the {split} split.",
        "field": [
            {
                "@type": "cr:Field",
                "@id": f"{split}/{name}",
                "name": name,
                "dataType": data_type,
                "source": {"fileObject": {"@id": _file_id(f)}, "extract": {"column": name}},
            }
            for name, data_type in column_types(f.path).items()
        ],
    }


def column_types(path: Path) -> dict[str, str]:
    """Each column of a CSV or Parquet file and its Croissant ``dataType``, in file order."""
    from govkit.extras import require_extras

    require_extras({"tabular": ["`govkit export croissant`"]}, modules={"tabular": ["pyarrow"]})
    import pyarrow as pa
    import pyarrow.csv as pa_csv
    import pyarrow.parquet as pq

    try:
        if path.suffix.lower() == ".parquet":
            schema = pq.read_schema(path)
        else:
            # the whole file, so a column's type is the one every row fits, as a reader infers it
            schema = pa_csv.read_csv(path).schema
    except (pa.ArrowException, OSError) as exc:
        raise InputError(
            f"{path}: cannot read its columns ({str(exc).splitlines()[0]}); "
            "fix or regenerate the file, or point govkit.yaml's data at a readable one"
        ) from None
    return {field.name: _data_type(pa, field.type) for field in schema}


def _data_type(pa: Any, t: Any) -> str:
    if pa.types.is_dictionary(t):
        t = t.value_type
    if pa.types.is_boolean(t):
        return "sc:Boolean"
    if pa.types.is_integer(t):
        return "sc:Integer"
    if pa.types.is_floating(t) or pa.types.is_decimal(t):
        return "sc:Float"
    if pa.types.is_timestamp(t):
        return "sc:DateTime"
    if pa.types.is_date(t):
        return "sc:Date"
    return "sc:Text"
