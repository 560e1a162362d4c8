"""Helpers of the export tests: projects to export, and the ecosystems' own validators.

Two projects. The German Credit example in predictions-only mode, with the
minimal documents, a planted e-mail column and the PII scan in its suite, so
its report holds real figures and masked personal data (built once per
session by ``conftest.py``). And a tiny project with a real PyTorch model,
trained and saved with ``torch.export`` in a second, whose data is Parquet
with integer, float, boolean and text columns.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from tests.helpers import KINDS, MINIMAL, REPO

GERMAN = REPO / "examples" / "german_credit"
PII_SUITE: dict[str, Any] = {
    "suite": 1,
    "name": "export-tests",
    "checks": [
        {
            "id": "performance.classification",
            "severity": "block",
            "thresholds": [{"metric": "accuracy", "min": 0.7, "overall_only": True}],
        },
        {
            "id": "fairness.demographic_parity",
            "severity": "block",
            "thresholds": [{"metric": "demographic_parity_difference", "max": 0.1}],
        },
        {"id": "fairness.equal_opportunity", "severity": "warn"},
        {"id": "privacy.pii", "severity": "warn"},
    ],
}
#: the fairness risk added to the minimal risk checklist
FAIR_RISK: dict[str, Any] = {
    "id": "R2",
    "title": "Women are approved less often",
    "description": "The model's approval rate for women is below the rate for men.",
    "category": ["fair_harmful_bias_managed"],
    "harm_domain": "fundamental_rights",
    "source_stage": "model",
    "scenario": "intended_use",
    "affected": ["female applicants", "applicants aged 25 or less"],
    "likelihood": 3,
    "severity": 4,
    "controls": ["fairness.demographic_parity"],
    "treatment": {"option": "mitigate", "measures": ["Gate on demographic parity."]},
    "residual_likelihood": 2,
    "residual_severity": 4,
    "residual_acceptable": True,
    "residual_rationale": "Gated at every release.",
    "owner": {"name": "Model Team", "role": "risk owner"},
    "status": "monitoring",
    "next_review": "2099-01-01",
}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_documents(root: Path, kinds: tuple[str, ...] = KINDS) -> list[str]:
    """The minimal documents in ``root/docs``, with a fairness risk and declared sensitive data."""
    docs = root / "docs"
    docs.mkdir(parents=True, exist_ok=True)
    for kind in kinds:
        data = yaml.safe_load((MINIMAL / f"{kind}.yaml").read_text(encoding="utf-8"))
        if kind == "risk_checklist":
            data["risks"].append(FAIR_RISK)
        if kind == "dataset_card":
            data["sensitive_data"] = [
                {
                    "field": "sex",
                    "category": "demographic",
                    "collected_intentionally": True,
                    "handling": "Used only to measure group fairness.",
                }
            ]
            data["bias_examination"]["known_biases"] = ["Few applicants aged 25 or less."]
            data["bias_mitigation"] = "Results are reported per age group with intervals."
            data["preprocessing"] = [
                {"kind": "imputation", "operation": "Unknown accounts set to 'not_known'."},
                {"kind": "manipulation", "operation": "Ages bucketed into three groups."},
                {"kind": "filtering", "operation": "None removed.", "fields": ["age"]},
            ]
        (docs / f"{kind}.yaml").write_text(yaml.safe_dump(data, sort_keys=False), "utf-8")
    return [f"docs/{k}.yaml" for k in kinds]


def addresses(split: str, n: int) -> list[str]:
    """Distinct e-mail addresses, one per row: raw personal data no export may hold."""
    return [f"applicant.{i}.{split}@example.org" for i in range(n)]


def german_credit_project(root: Path) -> Path:
    """German Credit with documents, an e-mail column and the PII scan; its govkit.yaml."""
    folder = Path(shutil.copytree(GERMAN, root / "gc", ignore=shutil.ignore_patterns("build")))
    subprocess.run(
        [sys.executable, "make_predictions.py"], cwd=folder, check=True, capture_output=True
    )
    for split in ("train", "eval"):
        path = folder / "build" / f"{split}.csv"
        frame = pd.read_csv(path)
        frame["email"] = addresses(split, len(frame))
        frame.to_csv(path, index=False)
    config = yaml.safe_load((folder / "govkit.yaml").read_text(encoding="utf-8"))
    config["documents"] = write_documents(folder)
    config["suite"] = "export-suite.yaml"
    (folder / "export-suite.yaml").write_text(yaml.safe_dump(PII_SUITE), encoding="utf-8")
    (folder / "govkit.yaml").write_text(yaml.safe_dump(config, sort_keys=False), "utf-8")
    return folder / "govkit.yaml"


def tiny_model_project(root: Path) -> Path:
    """A project whose model is a logistic regression trained here and saved with torch.export."""
    import torch

    rng = np.random.default_rng(0)
    n = 400
    frame = pd.DataFrame(
        {
            "x1": rng.normal(size=n).astype("float32"),
            "x2": rng.normal(size=n).astype("float32"),
            "visits": rng.integers(0, 9, size=n),
            "member": rng.random(n) < 0.5,
            "region": rng.choice(["north", "south"], size=n),
        }
    )
    frame["y"] = (frame["x1"] + 0.5 * frame["x2"] + rng.normal(0, 0.5, n) > 0).astype(int)
    root.mkdir(parents=True, exist_ok=True)
    frame.iloc[:300].to_parquet(root / "train.parquet", index=False)
    frame.iloc[300:].to_parquet(root / "eval.parquet", index=False)

    torch.manual_seed(0)
    model = torch.nn.Linear(2, 1)
    x = torch.tensor(frame[["x1", "x2"]].to_numpy()[:300])
    y = torch.tensor(frame["y"].to_numpy()[:300], dtype=torch.float32)
    optimiser = torch.optim.SGD(model.parameters(), lr=0.5)
    for _ in range(100):
        optimiser.zero_grad()
        loss = torch.nn.functional.binary_cross_entropy_with_logits(model(x).squeeze(1), y)
        loss.backward()
        optimiser.step()
    assert float(loss.detach()) < 0.45  # it learned: chance is 0.69
    program = torch.export.export(
        model.eval(), (x[:4],), dynamic_shapes=({0: torch.export.Dim.DYNAMIC},)
    )
    torch.export.save(program, str(root / "model.pt2"))

    documents = write_documents(root)
    card_path = root / "docs" / "model_card.yaml"
    card = yaml.safe_load(card_path.read_text(encoding="utf-8"))
    card["license"] = {
        "spdx_id": "other",
        "name": "Tiny Model Licence",
        "url": "https://example.org/tiny-licence",
    }
    card["compute_and_environment"] = {"hardware": "1 CPU core", "hours": 0.001, "co2e_kg": 0.0}
    # the data sets pinned by file and digest, as a card does for its source data
    for section, name in (("training_data", "train"), ("evaluation_data", "eval")):
        card[section]["datasets"][0] |= {
            "version": "1.0.0",
            "path": f"../{name}.parquet",
            "sha256": sha256(root / f"{name}.parquet"),
        }
    card_path.write_text(yaml.safe_dump(card, sort_keys=False), "utf-8")
    config = {
        "govkit": 1,
        "system": {"name": "tiny", "version": "0.0.1"},
        "documents": documents,
        "model": {"path": "model.pt2", "output": "logits"},
        "data": {
            "eval": "eval.parquet",
            "train": "train.parquet",
            "label": "y",
            "features": ["x1", "x2"],
            "sensitive": ["region"],
        },
        "output": "build",
    }
    (root / "govkit.yaml").write_text(yaml.safe_dump(config, sort_keys=False), "utf-8")
    return root / "govkit.yaml"


def cyclonedx_validator() -> Any:
    """A validator of the CycloneDX 1.6 JSON schema shipped in cyclonedx-python-lib.

    The schema refers to its SPDX and JSF schemas by relative URL; both are
    registered from the same folder, so nothing is fetched.
    """
    import cyclonedx
    import jsonschema
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT7

    folder = Path(cyclonedx.__file__).parent / "schema" / "_res"
    schema = json.loads((folder / "bom-1.6.SNAPSHOT.schema.json").read_text(encoding="utf-8"))
    base = schema["$id"].rsplit("/", 1)[0]
    registry: Registry[Any] = Registry()
    for name in ("spdx.SNAPSHOT.schema.json", "jsf-0.82.SNAPSHOT.schema.json"):
        contents = json.loads((folder / name).read_text(encoding="utf-8"))
        resource = Resource.from_contents(contents, default_specification=DRAFT7)
        registry = registry.with_resource(f"{base}/{name}", resource)
    return jsonschema.Draft7Validator(
        schema, registry=registry, format_checker=jsonschema.FormatChecker()
    )


@contextmanager
def no_network() -> Iterator[None]:
    """Any attempt to open a network connection fails the test."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"network access attempted: {args}")

    saved = socket.socket.connect, socket.create_connection
    socket.socket.connect = refuse  # type: ignore[method-assign,assignment]
    socket.create_connection = refuse  # type: ignore[assignment]
    try:
        yield
    finally:
        socket.socket.connect, socket.create_connection = saved  # type: ignore[method-assign]
