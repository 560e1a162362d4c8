from __future__ import annotations

import pytest

from govkit.checks import registry
from tests.runner.checkdefs import TEST_CHECKS


@pytest.fixture(autouse=True)
def _test_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the test-only checks known to the registry for every runner test."""
    for check_id, target in TEST_CHECKS.items():
        monkeypatch.setitem(registry.BUILTIN_CHECKS, check_id, target)
