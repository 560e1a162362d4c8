"""The HF export after a real `govkit check`: the Hub reads exactly the figures the gate measured.

German Credit runs in predictions-only mode (a scikit-learn model's recorded
scores), so the check is fast. The example has no documents of its own; the
minimal model and dataset cards stand in, since what is tested here is the
report's side: every performance and fairness figure, with its n and interval.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from huggingface_hub import ModelCard

from tests.export.hf_helpers import govkit
from tests.helpers import MINIMAL, REPO

pytestmark = pytest.mark.slow  # make_predictions.py and a check in subprocesses: about 10 s


@pytest.fixture(scope="module")
def checked(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("german_hf") / "german_credit"
    shutil.copytree(
        REPO / "examples" / "german_credit", folder, ignore=shutil.ignore_patterns("build")
    )
    (folder / "docs").mkdir()
    for kind in ("model_card", "dataset_card"):
        shutil.copy(MINIMAL / f"{kind}.yaml", folder / "docs" / f"{kind}.yaml")
    config = folder / "govkit.yaml"
    project = yaml.safe_load(config.read_text(encoding="utf-8"))
    project["documents"] = ["docs/model_card.yaml", "docs/dataset_card.yaml"]
    config.write_text(yaml.safe_dump(project, sort_keys=False), encoding="utf-8")
    only = ["performance.classification", "fairness.demographic_parity", "fairness.equalized_odds"]
    for args in (
        ["make_predictions.py"],
        ["-m", "govkit", "check", *(a for c in only for a in ("--only", c))],
    ):
        done = subprocess.run(
            [sys.executable, *args], cwd=folder, capture_output=True, text=True, check=False
        )
        # selection rates differ across sex x age group: the gate fails (exit 1)
        assert done.returncode in (0, 1), done.stderr
    assert (folder / "build/govkit/report.json").is_file()
    return config


def test_model_index_holds_every_measured_figure(checked: Path, tmp_path: Path) -> None:
    out = tmp_path / "README.md"
    assert govkit("export", "hf", "-c", checked, "--out", out) == 0
    card = ModelCard.load(out)
    report = json.loads((checked.parent / "build/govkit/report.json").read_text())

    expected = {
        (r["id"], m["name"], json.dumps(m["group"], sort_keys=True), m["feature"]): (
            m["value"],
            m["n"],
            m["ci"],
        )
        for r in report["results"]
        for m in r["measurements"]
        # the candidate's own figures: a baseline's and the paired differences stay out
        if m["value"] is not None and m["model"] is None and m["vs"] is None
    }
    assert len(card.data.eval_results) == len(expected) > 50
    for result in card.data.eval_results:
        name = result.metric_name
        assert name is not None
        group, feature = None, None
        if " [" in name:
            inside = name.split(" [", 1)[1].rstrip("]")
            if "=" in inside:
                group = dict(part.split("=", 1) for part in inside.split(", "))
            else:
                feature = inside
        key = (
            result.metric_args["check"],
            result.metric_type,
            json.dumps(group, sort_keys=True),
            feature,
        )
        value, n, ci = expected[key]
        assert (result.metric_value, result.metric_args["n"], result.metric_args["ci"]) == (
            value,
            n,
            ci,
        )
    assert card.data.to_dict()["govkit"]["verdict"] == report["status"]


def test_round_trip_on_the_checked_project(checked: Path, tmp_path: Path) -> None:
    first = tmp_path / "first.md"
    assert govkit("export", "hf", "-c", checked, "--out", first) == 0
    imported = checked.parent / "docs" / "imported_model_card.yaml"
    assert govkit("import", "hf", first, "--out", imported) == 0
    project = checked.parent / "imported.yaml"
    project.write_text(
        checked.read_text(encoding="utf-8").replace(
            "docs/model_card.yaml", "docs/imported_model_card.yaml"
        ),
        encoding="utf-8",
    )
    second = tmp_path / "second.md"
    assert govkit("export", "hf", "-c", project, "--out", second) == 0
    assert second.read_bytes() == first.read_bytes()
