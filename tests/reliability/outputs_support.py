"""Small real projects and folder snapshots for the output fault-injection tests.

A check project scores recorded predictions (no model to load, so a
``govkit check`` subprocess starts quickly); a render project is the
render tests' minimal project with a real report. A snapshot maps every
path under a folder (links included, never followed) to its bytes, so a
test can assert that a fault left a folder byte-identical.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from govkit.report import Report
from tests.helpers import build_report, make_project, write_report

REPO = Path(__file__).resolve().parents[2]
TMP_MARK = ".govkit-tmp-"


def check_project(root: Path, *, n: int = 600, seed: int = 0) -> Path:
    """govkit.yaml over recorded predictions with a classification and a parity check."""
    rng = np.random.default_rng(seed)
    sex = rng.choice(["Female", "Male"], size=n)
    y = rng.binomial(1, 0.4, n)
    pred = np.where(rng.random(n) < 0.8, y, 1 - y)
    root.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({"sex": sex, "label": y, "pred": pred}).to_csv(root / "eval.csv", index=False)
    suite = {
        "suite": 1,
        "name": "reliability",
        "checks": [
            {
                "id": "performance.classification",
                "params": {"n_boot": 50},
                "thresholds": [{"metric": "accuracy", "min": 0.6}],
            },
            {
                "id": "fairness.demographic_parity",
                "params": {"n_boot": 50},
                "thresholds": [{"metric": "demographic_parity_difference", "max": 0.5}],
            },
        ],
    }
    (root / "suite.yaml").write_text(yaml.safe_dump(suite, sort_keys=False), encoding="utf-8")
    config = {
        "govkit": 1,
        "system": {"name": "reliability", "version": "1.0"},
        "model": {"predictions": {"label": "pred"}},
        "data": {"eval": "eval.csv", "label": "label", "sensitive": ["sex"]},
        "suite": "suite.yaml",
        "output": "out",
    }
    path = root / "govkit.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


def render_project(root: Path, *, n_rows: int = 400, seed: int = 0) -> Path:
    """The minimal documents with a real report at build/report.json."""
    report = build_report(n_rows=n_rows, seed=seed)
    return make_project(root, report=report)


def other_report(config: Path, seed: int) -> Path:
    """A second, different report for the same project, beside govkit.yaml."""
    report: Report = build_report(n_rows=400, seed=seed)
    return write_report(report, config.parent / f"report-{seed}.json")


def snapshot(folder: Path) -> dict[str, bytes | str]:
    """Every path under ``folder``: file bytes, ``link -> target`` or ``<dir>``."""
    found: dict[str, bytes | str] = {}
    if not folder.exists():
        return found
    for here, dirs, files in os.walk(folder, followlinks=False):
        for name in [*dirs, *files]:
            path = Path(here) / name
            rel = path.relative_to(folder).as_posix()
            if path.is_symlink():
                found[rel] = f"link -> {os.readlink(path)}"
            elif path.is_dir():
                found[rel] = "<dir>"
            else:
                found[rel] = path.read_bytes()
    return found


def leftovers(folder: Path) -> list[str]:
    """Temporary files or folders govkit left anywhere under ``folder``."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if TMP_MARK in p.name)


def digest(data: dict[str, bytes | str]) -> str:
    """One fingerprint of a snapshot, for short assertion messages."""
    h = hashlib.sha256()
    for key in sorted(data):
        value = data[key]
        h.update(key.encode() + b"\0" + (value if isinstance(value, bytes) else value.encode()))
    return h.hexdigest()[:16]


def govkit(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run the real CLI in a fresh interpreter."""
    full_env = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "govkit", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def start_govkit(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """Start the real CLI in a fresh interpreter without waiting for it."""
    full_env = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
    return subprocess.Popen(
        [sys.executable, "-m", "govkit", *args],
        env=full_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
