"""The `govkit-validate` hook, run by the real pre-commit framework.

pre-commit installs govkit from a git repository into its own environment, so
the test builds a throwaway repository holding the govkit sources and the hook
manifest, and a second one holding one valid and one broken card. The hook
runs through `pre-commit try-repo`, then installed as a real git hook, where it
blocks `git commit` until the card is fixed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
_SOURCES = ("pyproject.toml", "README.md", ".pre-commit-hooks.yaml", "govkit", "schemas",
            "templates", "checks")  # fmt: skip


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True)


def _repo(path: Path) -> Path:
    path.mkdir()
    _git(path, "init", "-q")
    _git(path, "config", "user.email", "ci@example.org")
    _git(path, "config", "user.name", "govkit ci")
    _git(path, "config", "commit.gpgsign", "false")
    return path


@pytest.mark.slow
def test_hook_blocks_a_broken_card(tmp_path: Path) -> None:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    hook_repo = _repo(tmp_path / "govkit-src")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "_data")
    for name in _SOURCES:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, hook_repo / name, ignore=ignore)
        elif source.is_file():
            shutil.copy2(source, hook_repo / name)
    _git(hook_repo, "add", "-A")
    _git(hook_repo, "commit", "-q", "-m", "govkit")

    project = _repo(tmp_path / "project")
    valid = (REPO / "examples" / "minimal" / "dataset_card.yaml").read_text(encoding="utf-8")
    (project / "dataset_card.yaml").write_text(valid, encoding="utf-8")
    broken = valid.replace("modality: tabular", "modality: tabulr")
    (project / "broken.card.yaml").write_text(broken, encoding="utf-8")
    (project / "notes.yaml").write_text("not: [a, card]\n", encoding="utf-8")  # not matched
    _git(project, "add", "-A")

    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
           "PIP_DISABLE_PIP_VERSION_CHECK": "1"}  # fmt: skip
    env.pop("VIRTUAL_ENV", None)
    proc = subprocess.run(
        [sys.executable, "-m", "pre_commit", "try-repo", str(hook_repo), "govkit-validate",
         "--all-files"],
        cwd=project, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    output = proc.stdout + proc.stderr
    assert proc.returncode == 1, output
    assert "govkit validate" in output and "Failed" in output
    line = next(n for n, text in enumerate(broken.splitlines(), 1) if "tabulr" in text)
    assert f"broken.card.yaml:{line}:" in output and "modality" in output
    valid_lines = [t for t in output.splitlines() if t.startswith("dataset_card.yaml:")]
    assert all(": warning:" in t for t in valid_lines), valid_lines
    assert "notes.yaml" not in output
    assert "Traceback" not in output

    # The same hook installed for real: `git commit` is blocked, then goes
    # through once the broken card is fixed.
    rev = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=hook_repo, check=True, capture_output=True, text=True
    ).stdout.strip()
    (project / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {hook_repo}\n    rev: {rev}\n    hooks:\n      - id: govkit-validate\n",
        encoding="utf-8",
    )
    subprocess.run(
        [sys.executable, "-m", "pre_commit", "install"],
        cwd=project, env=env, check=True, capture_output=True, text=True,
    )  # fmt: skip
    _git(project, "add", "-A")
    commit = ["git", "commit", "-q", "-m", "cards"]
    blocked = subprocess.run(
        commit, cwd=project, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert blocked.returncode != 0, blocked.stdout + blocked.stderr
    assert f"broken.card.yaml:{line}:" in blocked.stdout + blocked.stderr
    (project / "broken.card.yaml").write_text(valid.replace("minimal-", "second-"), "utf-8")
    _git(project, "add", "-A")
    passed = subprocess.run(
        commit, cwd=project, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert passed.returncode == 0, passed.stdout + passed.stderr
