"""Fixtures for the example tests: each test works on a copy of an example.

An example writes its model and data next to itself, so the tests copy the
example folder into a temporary directory (leaving the checkout untouched)
and runs its scripts there as a user would: ``make_predictions.py`` in a
subprocess, Adult's ``train.py`` through its ``main()`` in this process (torch
is already loaded here, which saves seconds per run). The helpers are
fixtures, not imports, so the tests work under any pytest import mode.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
# outputs of earlier runs in the checkout; a copy must make its own
_GENERATED = shutil.ignore_patterns("build", "artifacts", "__pycache__")


def copy_example(name: str, dest: Path) -> Path:
    """Copy ``examples/<name>`` (sources, data and documents only) to ``dest/<name>``."""
    source = EXAMPLES / name
    if not source.is_dir():
        pytest.fail(f"example folder {source} is missing")
    return Path(shutil.copytree(source, dest / name, ignore=_GENERATED))


def run_script(folder: Path, script: str, *args: str) -> str:
    """Run a Python script of an example with this interpreter; its stdout."""
    done = subprocess.run(
        [sys.executable, script, *args],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if done.returncode != 0:
        pytest.fail(f"{script} exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def import_file(path: Path, name: str) -> ModuleType:
    """Import one file under a unique module name (no clash with other copies)."""
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        pytest.fail(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    # dataclasses look their module up in sys.modules while the class is created
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def train_adult_copy(folder: Path, *args: str) -> None:
    """Run ``train.py`` of an Adult copy in this process, leaving sys.path and modules as found."""
    saved_path, saved_module = sys.path.copy(), sys.modules.pop("adult_model", None)
    try:
        train = import_file(folder / "train.py", f"_adult_train_{id(folder)}")
        code = train.main(list(args))
        if code != 0:
            pytest.fail(f"train.py {' '.join(args)} returned {code}")
    finally:
        sys.path[:] = saved_path
        sys.modules.pop("adult_model", None)
        if saved_module is not None:
            sys.modules["adult_model"] = saved_module


@pytest.fixture(scope="session")
def trained_adult(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the Adult example, trained on the full data (a few seconds)."""
    folder = copy_example("adult", tmp_path_factory.mktemp("adult"))
    train_adult_copy(folder)
    return folder


@pytest.fixture(scope="session")
def example_copy() -> Callable[[str, Path], Path]:
    """:func:`copy_example`."""
    return copy_example


@pytest.fixture(scope="session")
def script() -> Callable[..., str]:
    """:func:`run_script`."""
    return run_script


@pytest.fixture(scope="session")
def train_adult() -> Callable[..., None]:
    """:func:`train_adult_copy`."""
    return train_adult_copy


@pytest.fixture(scope="session")
def load_file() -> Callable[[Path, str], ModuleType]:
    """:func:`import_file`."""
    return import_file
