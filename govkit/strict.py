"""The strict base models every govkit data model builds on.

govkit reads YAML and JSON written by people (suites, project files, documents)
and writes report.json. In all of them an unknown key is far more often a typo
than an extension, so every model forbids extra keys: a misspelt threshold is
an error, not a silently ignored line. Models that describe configuration are
also frozen, so nothing downstream can change what was validated.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

__all__ = ["FrozenModel", "StrictModel"]


class StrictModel(BaseModel):
    """A model whose unknown keys are errors (``extra="forbid"``)."""

    model_config = ConfigDict(extra="forbid")


class FrozenModel(StrictModel):
    """A :class:`StrictModel` that cannot be changed once validated (``frozen=True``)."""

    model_config = ConfigDict(frozen=True)
