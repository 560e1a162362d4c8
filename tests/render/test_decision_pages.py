"""The packet a board decides from is shorter, with nothing lost.

A realistic packet: the four documents of the Adult example with a check
report of every kind of figure. Its PDF is read back with pypdf and its pages
counted. That nothing is lost is asserted by test_decision_gaps.py (every
field of every example document is found in the packet).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from pypdf import PdfReader

from govkit.report import Report
from tests.helpers import write_report

pytestmark = pytest.mark.slow  # one full PDF render: about 10 s on two cores

ADULT_DOCS = Path(__file__).resolve().parents[2] / "examples" / "adult" / "docs"
#: Pages of this packet in the layout before the decision summary (documents first,
#: every optional gap printed in place), measured with this very test's inputs.
PAGES_BEFORE = 61


def test_the_adult_packet_is_a_third_shorter(tmp_path: Path, report: Report) -> None:
    from govkit.commands.render import run_render

    docs = tmp_path / "docs"
    docs.mkdir()
    names = []
    for src in sorted(ADULT_DOCS.glob("*.yaml")):
        (docs / src.name).write_bytes(src.read_bytes())
        names.append(f"docs/{src.name}")
    config = {
        "govkit": 1,
        "system": {"name": "adult-income", "version": "1.0.0"},
        "documents": names,
        "model": {"predictions": {"label": "pred"}},
        "data": {"eval": "data.csv", "label": "y"},
        "output": "build",
    }
    (tmp_path / "govkit.yaml").write_text(yaml.safe_dump(config, sort_keys=False), "utf-8")
    write_report(report, tmp_path / "build" / "report.json")
    out = tmp_path / "packet"
    code = run_render(
        str(tmp_path / "govkit.yaml"), report=None, out=str(out), formats="pdf", templates=None
    )
    assert code == 0
    pages = len(PdfReader(out / "packet.pdf").pages)
    assert pages <= PAGES_BEFORE * 2 / 3, pages
