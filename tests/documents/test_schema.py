"""`govkit schema`: stable JSON Schemas, and schemas/ kept up to date."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from govkit.schemas import schema_files
from tests.helpers import KINDS, REPO

Run = Callable[..., tuple[int, str, str]]


def test_shipped_schemas_are_current(cli: Run) -> None:
    code, _, err = cli("schema", "--out", str(REPO / "schemas"), "--check")
    assert code == 0, f"schemas/ is stale; run `make schemas`:\n{err}"


def test_export_is_stable_and_complete(cli: Run, tmp_path: Path) -> None:
    code, _, _ = cli("schema", "--out", str(tmp_path))
    assert code == 0
    for kind in KINDS:
        text = (tmp_path / f"{kind}.schema.json").read_text(encoding="utf-8")
        assert text.endswith("}\n")
        schema = json.loads(text)
        assert schema["additionalProperties"] is False
        assert {"kind", "schema_version", "meta"} <= set(schema["required"])
        assert text == json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    assert schema_files() == schema_files()


def test_check_lists_stale_files(cli: Run, tmp_path: Path) -> None:
    cli("schema", "--out", str(tmp_path))
    (tmp_path / "model_card.schema.json").write_text("{}\n")
    (tmp_path / "risk_checklist.schema.json").unlink()
    code, _, err = cli("schema", "--out", str(tmp_path), "--check")
    assert code == 1
    assert "model_card.schema.json: stale" in err and "risk_checklist.schema.json: stale" in err
    assert "dataset_card.schema.json" not in err
