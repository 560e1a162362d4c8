"""Through the runner: planted personal data is reported as counts and masks, never raw."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from govkit.project import load_project_file
from govkit.runner import execute_run

EMAILS = ["maria.lopez@example.com", "k.tanaka@mail.example.org"]
CARDS = ["4111 1111 1111 1111", "5555-5555-5555-4444"]


def _write_project(root: Path) -> Path:
    rng = np.random.default_rng(0)
    n = 120
    score = rng.random(n)
    notes = np.array(["no remarks"] * n, dtype=object)
    notes[: len(EMAILS)] = [f"reach me at {e}" for e in EMAILS]
    notes[10 : 10 + len(CARDS)] = [f"card {c} on file" for c in CARDS]
    frame = pd.DataFrame(
        {
            "age": rng.integers(18, 80, size=n),
            "sex": rng.choice(["Female", "Male"], size=n),
            "notes": notes,
            "label": (rng.random(n) < score).astype(int),
            "pred_score": score,
            "pred_label": (score >= 0.5).astype(int),
        }
    )
    frame.to_csv(root / "eval.csv", index=False)
    frame.iloc[:60].to_csv(root / "train.csv", index=False)  # half the eval rows leak
    suite = {
        "suite": 1,
        "name": "pii",
        "checks": [
            {"id": "privacy.pii", "severity": "block"},
            {"id": "privacy.k_anonymity", "severity": "warn"},
            {"id": "data.leakage", "severity": "warn"},
            {"id": "data.quality", "severity": "warn"},
        ],
    }
    (root / "suite.yaml").write_text(yaml.safe_dump(suite, sort_keys=False))
    config = {
        "govkit": 1,
        "system": {"name": "pii", "version": "1"},
        "model": {"predictions": {"label": "pred_label", "score": "pred_score"}},
        "data": {
            "eval": "eval.csv",
            "train": "train.csv",
            "label": "label",
            "features": ["age", "sex", "notes"],
            "sensitive": ["sex"],
            "quasi_identifiers": ["age", "sex", "notes"],
        },
        "suite": "suite.yaml",
        "output": "out",
    }
    (root / "govkit.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    return root / "govkit.yaml"


def test_no_raw_personal_value_in_report_or_junit(tmp_path: Path) -> None:
    report = execute_run(load_project_file(_write_project(tmp_path)), quiet=True).report
    pii = next(r for r in report.results if r.id == "privacy.pii")
    assert pii.status == "fail" and "'notes'" in pii.message  # no dataset card declares it
    counts = pii.details["pii_counts"]
    assert sum(c["notes"]["email"] for c in counts.values()) == 2 * len(EMAILS)  # both splits
    examples = pii.details["masked_examples"]["notes"]
    assert examples["email"] and examples["credit_card"]
    for name in ("report.json", "junit.xml"):
        text = (tmp_path / "out" / name).read_text()
        squeezed = text.replace(" ", "").replace("-", "")
        for value in [*EMAILS, *CARDS, "maria", "tanaka", "lopez"]:
            assert value not in text, (name, value)
        for card in CARDS:
            assert card.replace(" ", "").replace("-", "") not in squeezed, (name, card)
    json.loads((tmp_path / "out" / "report.json").read_text())
