"""Fixtures for packet rendering: a small project on disk and a realistic report.

What they are built from (the report, the project, the hostile text) lives in
:mod:`tests.helpers`, shared with the reliability tests.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from govkit.report import Report
from tests.helpers import (
    Sink,
    add_approval,
    add_risk_controls,
    build_report,
    hostile_text,
    make_project,
)


@pytest.fixture(scope="session")
def sink() -> Iterator[Sink]:
    server = Sink()
    yield server
    server.close()


@pytest.fixture(scope="session")
def report() -> Report:
    return build_report()


@pytest.fixture(scope="session")
def project(tmp_path_factory: pytest.TempPathFactory, report: Report, sink: Sink) -> Path:
    """A project whose model card carries hostile text, an approval, and cited controls."""
    text = hostile_text(sink.url)

    def model_card(data: dict[str, Any]) -> None:
        add_approval(data)
        data["description"] = text

    root = tmp_path_factory.mktemp("project")
    return make_project(
        root, report=report, edits={"risk_checklist": add_risk_controls, "model_card": model_card}
    )


@pytest.fixture(scope="session")
def rendered(project: Path) -> Path:
    """One full packet (md, html, pdf), rendered once for the read-only tests."""
    from govkit.commands.render import run_render

    out = project.parent / "packet"
    code = run_render(
        str(project), report=None, out=str(out), formats="md,html,pdf", templates=None
    )
    assert code == 0
    return out
