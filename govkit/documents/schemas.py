"""JSON Schema export: one file per document kind, project file, suite and report."""

from __future__ import annotations

import importlib
import json
from typing import Any

from pydantic import BaseModel

from govkit.documents.kinds import KINDS

__all__ = ["JSON_SCHEMA_DIALECT", "render_schema", "schema_files"]

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"

# Models written alongside the documents; imported lazily so a partial install
# (or a module that does not exist yet) only skips its schema.
_OTHER_MODELS = {
    "govkit_project": "govkit.project:ProjectFile",
    "suite": "govkit.suite:Suite",
    "report": "govkit.report:Report",
}


def render_schema(model: type[BaseModel], name: str) -> str:
    """The JSON Schema of ``model`` as stable text: sorted keys, trailing newline."""
    schema: dict[str, Any] = model.model_json_schema(mode="validation")
    schema = {"$schema": JSON_SCHEMA_DIALECT, "$id": f"{name}.schema.json", **schema}
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _import(ref: str) -> type[BaseModel] | None:
    module_name, _, attr = ref.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        return None
    model = getattr(module, attr, None)
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def schema_files() -> dict[str, str]:
    """File name -> schema text for every schema govkit exports."""
    files = {f"{kind}.schema.json": render_schema(model, kind) for kind, model in KINDS.items()}
    for name, ref in _OTHER_MODELS.items():
        model = _import(ref)
        if model is not None:
            files[f"{name}.schema.json"] = render_schema(model, name)
    return dict(sorted(files.items()))
