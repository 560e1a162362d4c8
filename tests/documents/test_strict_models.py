"""Every govkit data model refuses unknown keys, and configuration cannot change.

A misspelt key in a suite, a project file, a document or report.json must be an
error, never silently dropped; suites, project files and documents are frozen
once validated so nothing downstream can alter what was checked. This walks
every model reachable from the exported top-level models, so a new model that
forgets the shared base fails here.
"""

from __future__ import annotations

import typing
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from govkit.documents.fields import GovModel, NotApplicable
from govkit.documents.kinds import KINDS
from govkit.project import ProjectFile, SystemInfo
from govkit.report import Measurement, Report
from govkit.strict import FrozenModel, StrictModel
from govkit.suite import Suite


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    out: list[type[BaseModel]] = []
    for arg in typing.get_args(annotation):
        out.extend(_models_in(arg))
    return out


def _reachable(root: type[BaseModel]) -> set[type[BaseModel]]:
    seen: set[type[BaseModel]] = set()
    todo = [root]
    while todo:
        model = todo.pop()
        if model in seen:
            continue
        seen.add(model)
        for field in model.model_fields.values():
            todo.extend(_models_in(field.annotation))
    return seen


FROZEN_ROOTS: list[type[BaseModel]] = [*KINDS.values(), ProjectFile, Suite]


@pytest.mark.parametrize("root", FROZEN_ROOTS, ids=lambda m: m.__name__)
def test_configuration_models_are_strict_and_frozen(root: type[BaseModel]) -> None:
    models = _reachable(root)
    assert len(models) > 1  # the walk reached nested models
    for model in models:
        assert issubclass(model, FrozenModel), model.__name__
        assert model.model_config.get("extra") == "forbid", model.__name__
        assert model.model_config.get("frozen") is True, model.__name__


def test_report_models_are_strict_not_frozen() -> None:
    models = _reachable(Report)
    assert len(models) > 1
    for model in models:
        assert issubclass(model, StrictModel), model.__name__
        assert model.model_config.get("extra") == "forbid", model.__name__
        assert not model.model_config.get("frozen"), model.__name__


def test_document_models_keep_strict_types() -> None:
    for root in KINDS.values():
        for model in _reachable(root):
            assert issubclass(model, GovModel), model.__name__
            assert model.model_config.get("strict") is True, model.__name__


def test_unknown_key_and_mutation_are_refused() -> None:
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        SystemInfo.model_validate({"name": "s", "version": "1", "verison": "2"})
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        Measurement.model_validate({"name": "accuracy", "value": 0.5, "vaule": 1})
    system = SystemInfo(name="s", version="1")
    with pytest.raises(ValidationError, match="frozen"):
        system.name = "t"  # type: ignore[misc]
    na = NotApplicable(not_applicable="no personal data")
    with pytest.raises(ValidationError, match="frozen"):
        na.not_applicable = "x"  # type: ignore[misc]
    # strict types: a number is not text
    with pytest.raises(ValidationError):
        NotApplicable.model_validate({"not_applicable": 3})
    measurement = Measurement(name="accuracy", value=0.5)
    measurement.value = 0.6  # report models stay mutable, as before
    assert measurement.value == 0.6
