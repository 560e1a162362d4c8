"""The project's model and data files, with their SHA-256, for the exports that list them.

(With the two text helpers both exporters share: a document answer as text,
and a sentence with its full stop.)

Two sources, on purpose. A BOM lists what the evidence is about, so it takes
the hashes ``govkit check`` recorded in the report's provenance when there is
a report (the files may have moved since). A data description such as
Croissant describes the files as they are now, so it hashes them afresh. In
both cases a file the project names but that is not there is an error located
at its key in govkit.yaml, never a silently shorter list.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from govkit.hashing import sha256_file

if TYPE_CHECKING:
    from govkit.export import ExportSource

__all__ = ["ProjectFile", "answer_text", "data_file", "hashed_now", "project_files", "sentence"]

FileRole = Literal["model", "eval_data", "train_data"]

#: where each role sits in govkit.yaml, for located errors
_KEYS: dict[FileRole, tuple[str, str]] = {
    "model": ("model", "path"),
    "eval_data": ("data", "eval"),
    "train_data": ("data", "train"),
}


@dataclass(frozen=True)
class ProjectFile:
    """One file: its role, its path as govkit.yaml writes it, where it is, and its digest."""

    role: FileRole
    relative: str
    path: Path
    sha256: str
    bytes: int


def data_file(source: ExportSource, role: FileRole, spec: str | list[str]) -> str:
    """The one file a data split names; ConfigError at its key for a many-file source.

    The exports describe each split as one file (a Croissant FileObject, a
    BOM component); a folder, glob or list of Parquet files has no such one
    file, and listing a lake file by file is left to ``govkit check``'s report.
    """
    project = source.project
    from govkit.scale.sources import is_single_file

    if isinstance(spec, str) and is_single_file(spec, base_dir=project.root):
        return spec
    raise project.error(
        _KEYS[role],
        "this export describes each data split as one file, and this split is many "
        "Parquet files (a folder, a glob or a list)",
        hint="the report of `govkit check` lists every file with its SHA-256; for this "
        "export, name one file (write the split to a single Parquet file)",
    )


def _declared(source: ExportSource) -> list[tuple[FileRole, str]]:
    """The (role, path) pairs the project names, in a fixed order: model, eval, train."""
    cfg = source.project.model
    found: list[tuple[FileRole, str]] = []
    if cfg.model.path is not None:
        found.append(("model", cfg.model.path))
    elif cfg.model.paths is not None:  # every training seed's checkpoint
        from govkit.runner.seeds import checkpoint_paths

        found += [("model", path) for path, _ in checkpoint_paths(source.project)]
    found.append(("eval_data", data_file(source, "eval_data", cfg.data.eval)))
    if cfg.data.train is not None:
        found.append(("train_data", data_file(source, "train_data", cfg.data.train)))
    return found


def hashed_now(source: ExportSource, role: FileRole, relative: str) -> ProjectFile:
    """The file at ``relative`` hashed now; ConfigError at its govkit.yaml key when absent."""
    project = source.project
    path = project.resolve(relative)
    if not path.is_file():
        raise project.error(
            _KEYS[role],
            f"the file {relative!r} ({path}) does not exist",
            hint="create it (the example's train.py or make_predictions.py writes its data), "
            "or correct the path in govkit.yaml",
        )
    digest, size = sha256_file(path)
    return ProjectFile(role=role, relative=relative, path=path, sha256=digest, bytes=size)


def project_files(source: ExportSource, *, prefer_report: bool) -> list[ProjectFile]:
    """The model and data files the project names, each with its SHA-256.

    With ``prefer_report`` the digest is the one the report recorded for the
    same role and path, when the report has it; any other file is hashed now.
    """
    recorded: dict[tuple[str, str], tuple[str, int]] = {}
    if prefer_report and source.report is not None:
        for a in source.report.provenance.artifacts:
            recorded[(a.role, a.path)] = (a.sha256, a.bytes)
    from govkit.runner.provenance import display_path

    files = []
    for role, relative in _declared(source):
        # the report names a file as `govkit check` did: relative to the project's folder
        shown = display_path(source.project.resolve(relative), source.project.root)
        known = recorded.get((role, shown))
        if known is not None:
            files.append(
                ProjectFile(
                    role=role,
                    relative=relative,
                    path=source.project.resolve(relative),
                    sha256=known[0],
                    bytes=known[1],
                )
            )
        else:
            files.append(hashed_now(source, role, relative))
    return files


def answer_text(value: object) -> str | None:
    """A document answer as text: the text itself, or "Not applicable: <reason>"; None if unset."""
    if value is None:
        return None
    reason = getattr(value, "not_applicable", None)
    if reason is not None:
        return f"Not applicable: {reason}"
    return str(value)


def sentence(text: str) -> str:
    """``text`` ending in a full stop (authors write answers with or without one)."""
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else f"{text}."
