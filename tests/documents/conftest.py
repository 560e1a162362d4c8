"""Fixtures for the document tests: documents written to a temporary folder and a CLI runner."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from govkit.cli import main
from tests.helpers import KINDS, minimal


@pytest.fixture
def write(tmp_path: Path) -> Callable[..., Path]:
    """Write data (dumped as YAML) or text to a file under tmp_path."""

    def _write(name: str, content: Any) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        elif isinstance(content, str):
            path.write_text(content, encoding="utf-8")
        else:
            path.write_text(yaml.safe_dump(content, sort_keys=False), encoding="utf-8")
        return path

    return _write


@pytest.fixture
def minimal_set(write: Callable[..., Path]) -> dict[str, Path]:
    """The four minimal documents copied to a temporary folder."""
    return {kind: write(f"{kind}.yaml", minimal(kind)) for kind in KINDS}


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., tuple[int, str, str]]:
    """Run ``govkit`` in-process: (exit code, stdout, stderr)."""

    def _run(*args: str) -> tuple[int, str, str]:
        code = main(list(args))
        captured = capsys.readouterr()
        assert "Traceback" not in captured.err
        return code, captured.out, captured.err

    return _run
