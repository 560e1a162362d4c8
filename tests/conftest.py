"""Fixtures shared across the test folders."""

from __future__ import annotations

import pytest

from tests.readme import ReadmeRun, run_worked_examples


@pytest.fixture(scope="session")
def readme_run(tmp_path_factory: pytest.TempPathFactory) -> ReadmeRun:
    """The README's worked examples, run once in a copy of the examples (about two minutes).

    The README test asserts every line ran; the example tests read the
    reports and output of the same runs instead of running them again.
    """
    return run_worked_examples(tmp_path_factory.mktemp("readme"))
