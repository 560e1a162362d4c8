"""Validating a set of files: documents and project files, every problem at once."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from govkit.diagnostics import Diagnostic
from govkit.documents.lint import lint_document
from govkit.documents.load import DocumentError, LoadedDocument, document_from_parsed
from govkit.documents.plan_suite import plan_suite_warnings
from govkit.documents.rules import check_rules
from govkit.errors import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, GovkitError
from govkit.project import Project, load_project_file, waiver_warnings
from govkit.sourcefile import ParsedFile, SourceError, load_source

__all__ = ["FileResult", "ValidationResult", "validate_documents"]


@dataclass(frozen=True)
class FileResult:
    """What one file turned out to be."""

    path: str
    kind: str | None
    doc_id: str | None
    valid: bool

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "kind": self.kind, "doc_id": self.doc_id, "valid": self.valid}


@dataclass
class ValidationResult:
    """The outcome of validating several files together."""

    files: list[FileResult] = field(default_factory=list)
    documents: list[LoadedDocument] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    unreadable: bool = False
    #: lint of project files (an unscoped waiver), merged with the documents' lint
    project_warnings: list[Diagnostic] = field(default_factory=list)
    #: the project files validated, to compare their suites with their plans
    projects: list[Project] = field(default_factory=list)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "warning"]

    @property
    def exit_code(self) -> int:
        """2 for an unreadable path, 1 for any error, else 0."""
        if self.unreadable:
            return EXIT_USAGE
        return EXIT_FINDINGS if self.errors else EXIT_OK


def _is_project(parsed: ParsedFile) -> bool:
    return isinstance(parsed.data, dict) and "govkit" in parsed.data and "kind" not in parsed.data


def _raw_doc_id(data: Any) -> str | None:
    """``meta.doc_id`` of a document that failed validation, when it is a string.

    An invalid document still names itself; SARIF fingerprints its findings by it.
    """
    meta = data.get("meta") if isinstance(data, dict) else None
    doc_id = meta.get("doc_id") if isinstance(meta, dict) else None
    return doc_id if isinstance(doc_id, str) and doc_id else None


def _project_documents(path: str, result: ValidationResult) -> list[str]:
    """Validate a govkit.yaml; return the documents it lists (relative to it)."""
    try:
        project = load_project_file(path)
    except GovkitError as err:
        result.diagnostics += err.diagnostics or [
            Diagnostic(path=path, line=None, column=None, severity="error", message=err.message)
        ]
        result.files.append(FileResult(path, "project", None, False))
        return []
    result.files.append(FileResult(path, "project", None, True))
    result.project_warnings += waiver_warnings(project)
    result.projects.append(project)
    base = Path(path).parent
    return [str(base / doc) for doc in project.model.documents]


def validate_documents(
    paths: list[str], *, strict: bool = False, today: date | None = None
) -> ValidationResult:
    """Validate documents (and ``govkit.yaml`` files) together.

    Parameters
    ----------
    paths
        Files to validate. A project file (a mapping with a top-level
        ``govkit:`` key) is validated as such, and the documents it lists are
        validated with the rest.
    strict
        Turn lint warnings into errors.
    today
        Date that overdue reviews are judged against (default: today).

    Returns
    -------
    ValidationResult
        Every diagnostic of every file, the loaded documents, and the exit code.
    """
    result = ValidationResult()
    # each path with the folders its symlinks may point into: none for a path the
    # user named, the project's folder for a document a govkit.yaml lists
    queue: list[tuple[str, tuple[Path, ...] | None]] = [(p, None) for p in paths]
    seen: set[str] = set()
    while queue:
        path, roots = queue.pop(0)
        key = os.path.realpath(path)  # realpath, unlike resolve(), never raises on a symlink loop
        if key in seen:
            continue
        seen.add(key)
        try:
            parsed = load_source(path, roots=roots)
        except SourceError as err:
            result.diagnostics += err.diagnostics
            result.unreadable = result.unreadable or err.unreadable
            result.files.append(FileResult(path, None, None, False))
            continue
        if _is_project(parsed):
            project_root = (Path(os.path.realpath(path)).parent,)
            queue += [(doc, project_root) for doc in _project_documents(path, result)]
            continue
        try:
            doc = document_from_parsed(parsed, path)
        except DocumentError as err:
            result.diagnostics += err.diagnostics
            kind = parsed.data.get("kind") if isinstance(parsed.data, dict) else None
            result.files.append(
                FileResult(
                    path, kind if isinstance(kind, str) else None, _raw_doc_id(parsed.data), False
                )
            )
            continue
        result.documents.append(doc)
        result.files.append(FileResult(path, doc.kind, doc.doc_id, True))
    for project in result.projects:
        result.project_warnings += plan_suite_warnings(project, result.documents)
    found = check_rules(result.documents) + result.project_warnings
    for doc in result.documents:
        found += lint_document(doc, today=today)
    if strict:
        found = [d.as_error() for d in found]
    result.diagnostics += found
    invalid = {d.path for d in found if d.severity == "error"}
    result.files = [
        FileResult(f.path, f.kind, f.doc_id, f.valid and f.path not in invalid)
        for f in result.files
    ]
    return result
