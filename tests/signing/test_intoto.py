"""packet.intoto.json: an in-toto Statement v1 whose subjects are the manifest's other files."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from govkit.cli import main
from govkit.render.manifest import MANIFEST_NAME
from govkit.signing.intoto import INTOTO_NAME, PREDICATE_TYPE
from tests.signing.helpers import render

# The Statement layer as the in-toto attestation spec (v1) defines it: a fixed _type, a
# non-empty subject list of resource descriptors with lowercase-hex digests, a predicate
# type URI and a predicate object.
STATEMENT_V1 = {
    "type": "object",
    "required": ["_type", "subject", "predicateType", "predicate"],
    "properties": {
        "_type": {"const": "https://in-toto.io/Statement/v1"},
        "subject": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["name", "digest"],
                "properties": {
                    "name": {"type": "string", "minLength": 1},
                    "digest": {
                        "type": "object",
                        "minProperties": 1,
                        "additionalProperties": {"type": "string", "pattern": "^[0-9a-f]+$"},
                        "properties": {"sha256": {"pattern": "^[0-9a-f]{64}$"}},
                    },
                },
            },
        },
        "predicateType": {"type": "string", "format": "uri", "pattern": "^https://"},
        "predicate": {"type": "object"},
    },
}


def _json(path: Path) -> dict[str, Any]:
    body = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(body, dict)
    return body


def test_the_statement_lists_every_other_file_and_summarises_the_verdict(packet: Path) -> None:
    statement = _json(packet / INTOTO_NAME)
    jsonschema.validate(statement, STATEMENT_V1)
    manifest = _json(packet / MANIFEST_NAME)
    files = manifest["files"]
    assert isinstance(files, list)
    listed = {e["path"]: e["sha256"] for e in files}
    assert INTOTO_NAME in listed  # the manifest (and every signature of it) covers the statement
    subjects = statement["subject"]
    assert isinstance(subjects, list)
    assert {s["name"]: s["digest"]["sha256"] for s in subjects} == {
        name: digest for name, digest in listed.items() if name != INTOTO_NAME
    }
    for s in subjects:  # the digests are the files' own, not just the manifest's say-so
        assert (
            hashlib.sha256((packet / s["name"]).read_bytes()).hexdigest() == s["digest"]["sha256"]
        )
    assert statement["predicateType"] == PREDICATE_TYPE
    predicate = statement["predicate"]
    assert isinstance(predicate, dict)
    report = _json(packet / "report.json")
    assert predicate["verdict"] == report["status"]
    assert (
        predicate["report"]["digest"]["sha256"]
        == hashlib.sha256((packet / "report.json").read_bytes()).hexdigest()
    )
    assert predicate["packet"]["id"] == manifest["packet"]["id"]
    assert predicate["system"] == report["system"]
    results = report["results"]
    assert isinstance(results, list)
    assert sum(predicate["counts"].values()) == len(results)


def test_the_statement_is_deterministic(config: Path, packet: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    assert render(config, again) == 0
    assert (again / INTOTO_NAME).read_bytes() == (packet / INTOTO_NAME).read_bytes()


def test_verify_checks_the_statement_against_the_manifest(
    packet: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = packet / INTOTO_NAME
    statement = _json(path)
    subjects = statement["subject"]
    assert isinstance(subjects, list)
    statement["subject"] = [s for s in subjects if s["name"] != "report.md"]
    data = (json.dumps(statement, indent=2) + "\n").encode()
    path.write_bytes(data)
    # cover the edit in the manifest, as someone hiding it would
    manifest = _json(packet / MANIFEST_NAME)
    files = manifest["files"]
    assert isinstance(files, list)
    for entry in files:
        if entry["path"] == INTOTO_NAME:
            entry["sha256"], entry["bytes"] = hashlib.sha256(data).hexdigest(), len(data)
    (packet / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    capsys.readouterr()
    assert main(["verify", str(packet)]) == 1
    assert "inconsistent: packet.intoto.json: does not list report.md" in capsys.readouterr().err
