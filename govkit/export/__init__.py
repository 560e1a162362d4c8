"""Exports: the project's documents and report in other ecosystems' formats.

Every exporter is a pure function from an :class:`ExportSource` to the text of
one file. It reads nothing and writes nothing itself, and for the same inputs it
returns the same bytes: keys in a fixed order, no clock, no absolute paths. The
``govkit export`` command (:mod:`govkit.commands.export`) loads the source once,
calls the exporter named by ``FORMAT`` and writes the file atomically.

Each format is declared here by name, with the import path of its function, so
the command imports only the exporter it runs.
"""

from __future__ import annotations

import hashlib
import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from govkit.errors import ConfigError

if TYPE_CHECKING:
    from govkit.project import Project
    from govkit.render.context import PacketInputs, SourceDocument
    from govkit.report import Report

__all__ = ["EXPORT_FORMATS", "ExportFormat", "ExportSource", "exporter_for"]


@dataclass(frozen=True)
class ExportSource:
    """What an exporter reads: the project, its loaded documents and its report.

    ``destination`` is the file the export will be written to, when known: a
    format that points at other files by relative URL (Croissant's
    ``contentUrl``) makes them relative to its folder, so the written file
    resolves them wherever it is put. None means relative to the project's folder.
    """

    project: Project
    inputs: PacketInputs
    destination: Path | None = None
    #: id of the review packet rendered from this report (its manifest names the report), or None
    packet_id: str | None = None
    #: where that packet is, relative to the exported file's folder (POSIX), or None
    packet_path: str | None = None

    @property
    def report(self) -> Report | None:
        return self.inputs.report

    @property
    def report_sha256(self) -> str | None:
        data = self.inputs.report_bytes
        return hashlib.sha256(data).hexdigest() if data is not None else None

    def documents_of(self, kind: str) -> list[SourceDocument]:
        """The project's documents of one ``kind:`` (e.g. ``model_card``), in project order."""
        return [d for d in self.inputs.documents if getattr(d.model, "kind", None) == kind]

    def document(self, kind: str, *, format_name: str) -> SourceDocument:
        """The project's one document of ``kind``; ConfigError when it has none."""
        found = self.documents_of(kind)
        if not found:
            # located at `documents:` (or the top of the file when the key is absent)
            raise self.project.error(
                ("documents",),
                f"`govkit export {format_name}` needs a {kind} among `documents:`, "
                "and the project lists none",
                hint=f"add one (`govkit init {kind}` writes a skeleton) and list its path "
                "under `documents:`",
            )
        return found[0]


@dataclass(frozen=True)
class ExportFormat:
    """One export format: its name, the function that writes it and its default file name."""

    name: str
    function: str  # "package.module:function", imported only when this format runs
    default_name: str
    summary: str


#: every format of ``govkit export``, in the order the help lists them
EXPORT_FORMATS: dict[str, ExportFormat] = {
    f.name: f
    for f in (
        ExportFormat(
            "hf",
            "govkit.export.hf:export_hf_model_card",
            "README.md",
            "Hugging Face model card (YAML metadata with model-index, and the Hub's sections)",
        ),
        ExportFormat(
            "hf-dataset",
            "govkit.export.hf_dataset:export_hf_dataset_card",
            "README.md",
            "Hugging Face dataset card, from the dataset card",
        ),
        ExportFormat(
            "cyclonedx",
            "govkit.export.cyclonedx:export_cyclonedx",
            "bom.cdx.json",
            "CycloneDX 1.6 ML-BOM with the model card and hashed model and data files",
        ),
        ExportFormat(
            "croissant",
            "govkit.export.croissant:export_croissant",
            "croissant.json",
            "Croissant 1.1 JSON-LD with the Responsible-AI vocabulary",
        ),
    )
}


def exporter_for(name: str) -> Callable[[ExportSource], str]:
    """The function that writes format ``name``; ConfigError naming the formats otherwise."""
    spec = EXPORT_FORMATS.get(name)
    if spec is None:
        raise ConfigError(
            f"unknown export format {name!r}; expected one of {', '.join(EXPORT_FORMATS)}"
        )
    module, _, attr = spec.function.partition(":")
    function: Callable[[ExportSource], str] = getattr(importlib.import_module(module), attr)
    return function
