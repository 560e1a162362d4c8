"""Third-party checks: the entry-point group ``govkit.checks``, good and bad registrations."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from govkit.checks.registry import BUILTIN_CHECKS, available_checks, load_check
from govkit.cli import main
from govkit.errors import ConfigError
from tests.runner.helpers import make_frame, write_project

PRED_MODEL = {"predictions": {"label": "pred_label", "score": "pred_score"}}

PLUGIN_SOURCE = """
from __future__ import annotations

import numpy as np

from govkit.checks.base import Check, CheckParams, Evidence
from govkit.report import Measurement
from govkit.suite import Threshold


class PositiveShare(Check):
    id = "acme.positive_share"
    title = "Share of positive decisions"
    # a blocking check needs a criterion, also when --only runs it outside a suite
    default_thresholds = (Threshold(metric="positive_share", max=1.0),)

    def measure(self, ctx, params: CheckParams) -> Evidence:
        labels = ctx.predictions("eval").labels
        return Evidence(
            measurements=[
                Measurement(name="positive_share", value=float(np.mean(labels)), n=len(labels))
            ]
        )


class NotACheck:
    id = "acme.not_a_check"


class WrongId(PositiveShare):
    id = "acme.something_else"
"""


def _install(site: Path, entries: dict[str, str], *, dist: str = "acme_checks") -> None:
    """A package and its dist-info under ``site``, as pip would leave them."""
    pkg = site / "acme_govkit"
    pkg.mkdir(parents=True, exist_ok=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "checks.py").write_text(PLUGIN_SOURCE)
    (pkg / "broken.py").write_text("raise RuntimeError('needs a licence server')\n")
    info = site / f"{dist}-0.1.dist-info"
    info.mkdir(exist_ok=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.1\n")
    lines = "".join(f"{name} = {value}\n" for name, value in entries.items())
    (info / "entry_points.txt").write_text(f"[govkit.checks]\n{lines}")


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    folder = tmp_path / "site"
    folder.mkdir()
    monkeypatch.syspath_prepend(str(folder))
    yield folder
    # each test installs its own copy of the package: forget the imported one
    for name in [m for m in sys.modules if m == "acme_govkit" or m.startswith("acme_govkit.")]:
        del sys.modules[name]


def test_an_installed_check_runs_in_a_suite(
    site: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _install(site, {"acme.positive_share": "acme_govkit.checks:PositiveShare"})
    assert available_checks()["acme.positive_share"] == "acme_govkit.checks:PositiveShare"
    frame = make_frame()
    suite = [
        {
            "id": "acme.positive_share",
            "thresholds": [{"metric": "positive_share", "max": 0.99}],
        }
    ]
    config = write_project(tmp_path / "p", model=PRED_MODEL, suite=suite, frame=frame)
    assert main(["check", "-c", str(config), "--format", "json"]) == 0
    (result,) = json.loads(capsys.readouterr().out)["results"]
    assert result["id"] == "acme.positive_share" and result["status"] == "pass"
    assert result["measurements"][0]["value"] == pytest.approx(frame["pred_label"].mean())


def test_an_installed_check_runs_with_only(
    site: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _install(site, {"acme.positive_share": "acme_govkit.checks:PositiveShare"})
    config = write_project(tmp_path / "p", model=PRED_MODEL, suite="fairness")
    argv = ["check", "-c", str(config), "--only", "acme.positive_share", "--format", "json"]
    assert main(argv) == 0
    assert [r["id"] for r in json.loads(capsys.readouterr().out)["results"]] == [
        "acme.positive_share"
    ]


@pytest.mark.parametrize(
    ("check_id", "value", "expected"),
    [
        ("acme.missing", "acme_govkit.nowhere:Check", "cannot be imported: ModuleNotFoundError"),
        ("acme.broken", "acme_govkit.broken:Check", "RuntimeError: needs a licence server"),
        ("acme.absent", "acme_govkit.checks:Absent", "cannot be imported: AttributeError"),
        ("acme.not_a_check", "acme_govkit.checks:NotACheck", "is not a subclass"),
        ("acme.wrong_id", "acme_govkit.checks:WrongId", "declares id 'acme.something_else'"),
        ("acme.no_class", "acme_govkit.checks", "expected 'package.module:ClassName'"),
    ],
)
def test_a_bad_registration_is_a_clear_error(
    site: Path, check_id: str, value: str, expected: str
) -> None:
    _install(site, {check_id: value})
    with pytest.raises(ConfigError) as info:
        load_check(check_id)
    message = info.value.message
    assert expected in message, message
    assert value in message and "package acme_checks" in message, message


def test_a_bad_registration_in_a_suite_exits_2_at_its_line(
    site: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _install(site, {"acme.broken": "acme_govkit.broken:Check"})
    config = write_project(tmp_path / "p", model=PRED_MODEL, suite=[{"id": "acme.broken"}])
    assert main(["check", "-c", str(config)]) == 2
    err = capsys.readouterr().err
    assert "suite.yaml:4:" in err and "needs a licence server" in err
    assert "Traceback" not in err


def test_a_package_cannot_replace_a_builtin_check(site: Path) -> None:
    _install(site, {"performance.classification": "acme_govkit.checks:PositiveShare"})
    assert (
        available_checks()["performance.classification"]
        == (BUILTIN_CHECKS["performance.classification"])
    )
    assert load_check("performance.classification").__name__ == "Classification"
