"""JSON Schema export: one file per document kind, project file, suite, report and monitoring.

``govkit schema`` writes these files to ``schemas/``;
``govkit schema --check`` fails when that folder is stale.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel

from govkit.documents.kinds import KINDS
from govkit.project import ProjectFile
from govkit.report import Report
from govkit.runner.monitoring import Monitoring
from govkit.suite import Suite

__all__ = ["JSON_SCHEMA_DIALECT", "render_schema", "schema_files"]

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"

# Models written alongside the documents, by schema name.
_OTHER_MODELS: dict[str, type[BaseModel]] = {
    "govkit_project": ProjectFile,
    "suite": Suite,
    "report": Report,
    "monitoring": Monitoring,
}


def render_schema(model: type[BaseModel], name: str) -> str:
    """The JSON Schema of ``model`` as stable text: sorted keys, trailing newline."""
    schema: dict[str, Any] = model.model_json_schema(mode="validation")
    schema = {"$schema": JSON_SCHEMA_DIALECT, "$id": f"{name}.schema.json", **schema}
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def schema_files() -> dict[str, str]:
    """File name -> schema text for every schema govkit exports."""
    files = {f"{kind}.schema.json": render_schema(model, kind) for kind, model in KINDS.items()}
    for name, model in _OTHER_MODELS.items():
        files[f"{name}.schema.json"] = render_schema(model, name)
    return dict(sorted(files.items()))
