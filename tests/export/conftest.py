"""Fixtures of the export tests: the two projects, each built once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from govkit.cli import main
from tests.export.helpers import german_credit_project, tiny_model_project


@pytest.fixture(scope="session")
def german(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """German Credit with documents, checked: its govkit.yaml (report in build/govkit)."""
    config = german_credit_project(tmp_path_factory.mktemp("export"))
    with pytest.MonkeyPatch.context() as mp:
        # the pseudonym key of personal-data columns stays in a private cache folder
        mp.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))
        code = main(["check", "-c", str(config), "--quiet"])
    assert code in (0, 1)  # a verdict, not an error
    return config


@pytest.fixture(scope="session")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny project with its trained model and Parquet data (no report): its govkit.yaml.

    Tests that change it work on a copy.
    """
    return tiny_model_project(tmp_path_factory.mktemp("tiny") / "tiny")
