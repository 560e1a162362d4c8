"""Provenance: what exactly was checked, where, and with which tools.

Every input file is recorded with its SHA-256 and size, so a reviewer can
tell that the report speaks of the model and data they hold (a split of many
Parquet files, every one of them:
:meth:`govkit.report.Provenance.data_sha256` folds them into one digest):
:func:`run_artifacts` lists them for one run, in a fixed order (model, data,
suite, documents) so that equal inputs give equal reports.
"""

from __future__ import annotations

import os
import platform
import subprocess
from collections.abc import Sequence
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING

from govkit.hashing import sha256_file
from govkit.report import Artifact, ArtifactRole
from govkit.resources import data_dir

if TYPE_CHECKING:
    from govkit.project import Project
    from govkit.runner.console import Console
    from govkit.runner.data import LoadedData
    from govkit.suite import LoadedSuite

__all__ = [
    "artifact",
    "git_commit",
    "package_version",
    "python_version",
    "run_artifacts",
    "utc_now",
]

GIT_TIMEOUT_S = 5.0


def display_path(path: Path, root: Path) -> str:
    """``path`` relative to the project folder (POSIX), a built-in suite as ``govkit:checks/…``."""
    resolved = path.resolve()
    try:
        return resolved.relative_to(root.resolve()).as_posix()
    except ValueError:
        pass
    try:
        return "govkit:checks/" + resolved.relative_to(data_dir("checks").resolve()).as_posix()
    except ValueError:
        return resolved.as_posix()


def artifact(role: ArtifactRole, path: Path, root: Path) -> Artifact:
    digest, size = sha256_file(path)
    return Artifact(role=role, path=display_path(path, root), sha256=digest, bytes=size)


def _artifacts(role: ArtifactRole, files: Sequence[Path], root: Path) -> list[Artifact]:
    """:func:`artifact` of each file, in order; a lake of many files is hashed on several threads.

    SHA-256 releases the GIL while it digests, so hashing hundreds of Parquet
    files in parallel takes a fraction of the time one after another does.
    """
    if len(files) < 2:
        return [artifact(role, file, root) for file in files]
    from concurrent.futures import ThreadPoolExecutor

    workers = min(len(files), os.cpu_count() or 1, _HASH_THREADS)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda file: artifact(role, file, root), files))


#: threads hashing a split's files at once
_HASH_THREADS = 8


def run_artifacts(
    project: Project, data: LoadedData, suite: LoadedSuite, console: Console
) -> list[Artifact]:
    """The files one run read: model, baselines, evaluation and training data, suite, documents.

    Parameters
    ----------
    project, data, suite
        The run's govkit.yaml, splits and suite.
    console
        Where the warning for a missing document goes.

    Returns
    -------
    list of Artifact
        In that order, each with its SHA-256 and size; a document named in
        govkit.yaml that does not exist is left out, with a warning.
    """
    root = project.root
    found: list[Artifact] = []
    from govkit.runner.seeds import checkpoint_paths, expand_paths

    for file, _ in checkpoint_paths(project):  # every seed's checkpoint is an input
        found.append(artifact("model", project.resolve(file), root))
    for baseline in project.model.baselines:  # prediction columns are part of the eval data
        source = baseline.path or baseline.predictions_file
        if source is not None:
            found.append(artifact("baseline", project.resolve(source), root))
        if baseline.paths is not None:
            for file, _ in expand_paths(project, baseline.paths, ()):
                found.append(artifact("baseline", project.resolve(file), root))
    # a split of many files records each one, in the order its rows were read
    found += _artifacts("eval_data", data.eval_source.files, root)
    if data.train_source is not None:
        found += _artifacts("train_data", data.train_source.files, root)
    found.append(artifact("suite", suite.path, root))
    for i, doc in enumerate(project.model.documents):
        path = project.resolve(doc)
        if path.is_file():
            found.append(artifact("document", path, root))
        else:
            console.warn(
                f"{project.parsed.path}: warning: documents[{i}]: {doc} does not "
                "exist; it is left out of the report's provenance"
            )
    return found


def git_commit(folder: Path) -> str | None:
    """``git rev-parse HEAD`` of ``folder``; None outside a repository or without git."""
    try:
        done = subprocess.run(
            ["git", "-C", str(folder), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    commit = done.stdout.strip()
    return commit if done.returncode == 0 and len(commit) >= 40 else None


def package_version(name: str) -> str | None:
    """The installed version of ``name``, without importing it."""
    try:
        return version(name)
    except PackageNotFoundError:
        return None


def python_version() -> str:
    return platform.python_version()


def utc_now() -> str:
    """Now, UTC, ISO-8601 with a ``Z``."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
