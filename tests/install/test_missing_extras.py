"""A missing extra is one clear error per extra, in an environment that really lacks it.

Each test runs govkit in a subprocess whose import system refuses some
packages (``tests/install/blocked.py``), as an install without that extra
would, and reads what the user would read.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from govkit.extras import EXTRAS

REPO = Path(__file__).resolve().parents[2]
GERMAN = REPO / "examples" / "german_credit"
ADULT = REPO / "examples" / "adult"
TABULAR = ",".join(p.module for p in EXTRAS["tabular"].packages)
EVERY_EXTRA = ",".join(p.module for extra in EXTRAS.values() for p in extra.packages)


def _govkit(blocked: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tests.install.blocked", blocked, "--", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )


def _errors(proc: subprocess.CompletedProcess[str]) -> list[str]:
    assert "Traceback" not in proc.stderr, proc.stderr
    return [line for line in proc.stderr.splitlines() if line.startswith("error:")]


def _suite_ids(path: Path) -> list[str]:
    return [entry["id"] for entry in yaml.safe_load(path.read_text())["checks"]]


@pytest.fixture
def german(tmp_path: Path) -> Path:
    """A copy of the German Credit example without predictions or outputs."""
    dest = tmp_path / "german_credit"
    shutil.copytree(GERMAN, dest, ignore=shutil.ignore_patterns("build", "__pycache__"))
    return dest


def test_check_without_the_tabular_extra_is_one_line(german: Path) -> None:
    proc = _govkit(TABULAR, "check", "-q", cwd=german)
    assert proc.returncode == 2
    (line,) = _errors(proc)
    ids = _suite_ids(german / "suite.yaml")
    assert line == (
        f"error: {', '.join(f'`{i}`' for i in ids)} need the tabular extra: "
        "pip install 'govkit-rai[tabular]'"
    )
    assert "cannot be imported" not in proc.stderr


def test_a_half_installed_extra_names_the_missing_package(german: Path) -> None:
    proc = _govkit("fairlearn", "check", "-q", cwd=german)
    assert proc.returncode == 2
    ids = ", ".join(f"`{i}`" for i in _suite_ids(german / "suite.yaml"))
    assert _errors(proc) == [
        f"error: {ids} need the tabular extra, which is only partly "
        "installed (missing: fairlearn): pip install 'govkit-rai[tabular]'"
    ]


def test_a_project_running_its_model_needs_torch_pinned(tmp_path: Path) -> None:
    proc = _govkit(
        "torch,captum,shap", "check", "-q", "-c", str(ADULT / "govkit.yaml"), cwd=tmp_path
    )
    assert proc.returncode == 2
    (line,) = _errors(proc)
    assert line.startswith("error: `performance.classification`, ")
    for check_id in _suite_ids(ADULT / "suite.yaml"):
        assert f"`{check_id}`" in line
    assert line.endswith(
        "need the torch extra (govkit.yaml sets model.path, so govkit runs the PyTorch model), "
        "which is only partly installed (missing: torch, captum, shap): "
        "pip install 'govkit-rai[torch]' 'torch==2.13.0'"
    )
    assert "torch" not in proc.stderr.rsplit("LOADED", 1)[1]


def test_pdf_and_html_packets_name_the_pdf_extra(german: Path, tmp_path: Path) -> None:
    pdf = _govkit(
        "weasyprint", "render", "--format", "md,pdf", "--out", str(tmp_path / "a"), cwd=german
    )
    assert pdf.returncode == 2
    assert _errors(pdf) == [
        "error: `govkit render --format md,pdf` needs the pdf extra (`--format md` renders "
        "Markdown without it), which is only partly installed (missing: weasyprint): "
        "pip install 'govkit-rai[pdf]'"
    ]
    html = _govkit(
        "matplotlib", "render", "--format", "html", "--out", str(tmp_path / "b"), cwd=german
    )
    assert html.returncode == 2
    (line,) = _errors(html)
    assert line.startswith("error: `govkit render --format html` needs the pdf extra")
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()
    # Markdown alone needs no extra at all
    md = _govkit(EVERY_EXTRA, "render", "--format", "md", "--out", str(tmp_path / "c"), cwd=german)
    assert md.returncode == 0, md.stderr
    assert (tmp_path / "c" / "manifest.json").is_file()


def test_documents_need_no_extra(tmp_path: Path) -> None:
    docs = REPO / "examples" / "minimal"
    proc = _govkit(EVERY_EXTRA, "validate", *map(str, sorted(docs.glob("*.yaml"))), cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stderr.rstrip().endswith("LOADED")  # not even numpy was imported
    init = _govkit(EVERY_EXTRA, "init", "risk_checklist", "risk.yaml", cwd=tmp_path)
    assert init.returncode == 0 and (tmp_path / "risk.yaml").is_file()


def test_version_lists_the_installed_extras(tmp_path: Path) -> None:
    full = _govkit("", "--version", cwd=tmp_path)
    assert full.returncode == 0
    assert (
        full.stdout.split(" (", 1)[1] == "govkit-rai; extras: tabular, torch, pdf, mlflow, ray)\n"
    )
    part = _govkit("fairlearn,captum,weasyprint,matplotlib,pypdf", "--version", cwd=tmp_path)
    assert part.stdout.split(" (", 1)[1] == (
        "govkit-rai; extras: mlflow; tabular partly installed, missing fairlearn; "
        "torch partly installed, missing captum)\n"
    )


def test_loading_a_builtin_check_names_its_extra(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from tests.install.blocked import Refuse\n"
        "sys.meta_path.insert(0, Refuse({'pandas'}))\n"
        "from govkit.checks.registry import load_check\n"
        "from govkit.extras import MissingExtraError\n"
        "try:\n"
        "    load_check('data.quality')\n"
        "except MissingExtraError as err:\n"
        "    print(err.render())\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert proc.stdout == (
        "error: `data.quality` needs the tabular extra, which is only partly installed "
        "(missing: pandas): pip install 'govkit-rai[tabular]'\n"
    ), proc.stderr


@pytest.mark.slow
def test_every_check_on_recorded_predictions_runs_without_torch(german: Path) -> None:
    # The tabular extra is enough for every built-in check in predictions-only mode:
    # the checks that run the model are skipped, saying why, and torch is never needed.
    from govkit.checks.registry import BUILTIN_CHECKS, MODEL_CHECKS

    suite = {
        "suite": 1,
        "name": "every-check",
        # as warnings: a check that could only pass may not block, and here nothing should
        "checks": [{"id": i, "severity": "warn", "params": {"n_boot": 50}} for i in BUILTIN_CHECKS],
    }
    (german / "every.yaml").write_text(yaml.safe_dump(suite))
    config = (german / "govkit.yaml").read_text().replace("suite: suite.yaml", "suite: every.yaml")
    (german / "govkit.yaml").write_text(config)
    made = subprocess.run(
        [sys.executable, "make_predictions.py"], cwd=german, capture_output=True, timeout=120
    )
    assert made.returncode == 0, made.stderr
    proc = _govkit("torch,captum,shap", "check", "-q", "--format", "json", cwd=german)
    assert proc.returncode in (0, 1), proc.stderr
    assert _errors(proc) == []
    assert "torch" not in proc.stderr.rsplit("LOADED", 1)[1]
    status = {r["id"]: r["status"] for r in json.loads(proc.stdout)["results"]}
    for check_id in BUILTIN_CHECKS:
        if check_id in MODEL_CHECKS:
            assert status[check_id] == "skipped", check_id
        else:
            assert status[check_id] in ("pass", "fail", "warn", "insufficient_evidence"), (
                check_id,
                status[check_id],
            )
