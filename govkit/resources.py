"""Finding the data shipped with govkit: schemas, templates and built-in suites.

In a wheel they live in ``govkit/_data/<name>``; in a source checkout or an
editable install they are the top-level folders of the repository.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

__all__ = ["data_dir"]

DataName = Literal["schemas", "templates", "checks"]

_PACKAGE = Path(__file__).resolve().parent


def data_dir(name: DataName) -> Path:
    """The folder holding the shipped ``name`` data."""
    installed = _PACKAGE / "_data" / name
    if installed.is_dir():
        return installed
    return _PACKAGE.parent / name
