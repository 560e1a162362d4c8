"""The examples in the docstrings of the streaming modules run as written."""

from __future__ import annotations

import doctest
from types import ModuleType

import pytest

from govkit.scale import progress, reservoir, stream


@pytest.mark.parametrize("module", [progress, reservoir, stream], ids=lambda m: m.__name__)
def test_docstring_examples(module: ModuleType) -> None:
    failed, tried = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert tried > 0 and failed == 0
