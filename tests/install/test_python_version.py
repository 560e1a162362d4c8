"""govkit started by a Python older than 3.11 says so at once, in one line.

The package's ``__init__`` checks ``sys.version_info`` before importing
anything else, with syntax an old interpreter still parses, so the user reads
"needs Python 3.11" instead of a SyntaxError from deep inside govkit.
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import govkit

REPO = Path(__file__).resolve().parents[2]
OLD = "(3, 10, 14, 'final', 0)"


@pytest.mark.parametrize("name", ["__init__.py", "__main__.py"])
def test_entry_modules_parse_on_old_pythons(name: str) -> None:
    source = (REPO / "govkit" / name).read_text(encoding="utf-8")
    ast.parse(source, filename=name, feature_version=(3, 8))


def test_the_check_comes_before_any_other_import() -> None:
    tree = ast.parse((REPO / "govkit" / "__init__.py").read_text(encoding="utf-8"))
    imports = [n for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)]
    modules = [n.module if isinstance(n, ast.ImportFrom) else n.names[0].name for n in imports]
    assert modules == ["__future__", "sys"]


def test_minimum_matches_requires_python() -> None:
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    wanted = re.fullmatch(r">=(\d+)\.(\d+)", pyproject["project"]["requires-python"])
    assert wanted is not None
    assert (int(wanted.group(1)), int(wanted.group(2))) == govkit.MIN_PYTHON


def _as_old_python(code: str) -> subprocess.CompletedProcess[str]:
    prelude = f"import sys\nsys.version_info = {OLD}\n"
    return subprocess.run(
        [sys.executable, "-c", prelude + code],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )


@pytest.mark.parametrize(
    "code",
    [
        "import govkit",
        "from govkit.cli import main; main(['--version'])",
        "import runpy; sys.argv = ['govkit', 'validate']; runpy.run_module('govkit', run_name='__main__')",
    ],
    ids=["import", "command", "python-m"],
)
def test_an_old_python_is_told_at_once(code: str) -> None:
    proc = _as_old_python(code + "\nprint('RAN ON')")
    assert proc.returncode == 2
    assert proc.stdout == ""
    (line,) = proc.stderr.splitlines()
    assert line.startswith(
        f"error: govkit {govkit.__version__} needs Python 3.11 or newer; this is Python 3.10 ("
    )
    assert "python3.11 -m venv" in line


def test_the_current_python_passes_the_check() -> None:
    proc = _as_old_python("sys.version_info = (3, 11, 0, 'final', 0)\nimport govkit\nprint('ok')")
    assert (proc.returncode, proc.stdout) == (0, "ok\n"), proc.stderr
