"""German Credit end to end, as a user runs it: predictions, check, render, verify.

Run in subprocesses from a copy of the example folder, so the exit codes and
the stderr are the ones a CI log shows. This run once ended in an internal
error: a calibration error's bootstrap interval need not contain its point
estimate, and the chart turned that into negative error bars. The packet must
now be written, verify, and its charts must say what the report says.
"""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # three govkit processes on 1,000 rows: about 10 s


def _govkit(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "govkit", *args],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def run(
    tmp_path_factory: pytest.TempPathFactory,
    example_copy: Callable[[str, Path], Path],
    script: Callable[..., str],
) -> Path:
    folder = example_copy("german_credit", tmp_path_factory.mktemp("german_e2e"))
    script(folder, "make_predictions.py")
    check = _govkit(folder, "check")
    # the model's selection rates differ across sex x age group: the gate fails (exit 1)
    assert check.returncode == 1, check.stderr
    render = _govkit(folder, "render")
    assert render.returncode == 0, render.stderr
    verify = _govkit(folder, "verify", "build/govkit/packet")
    assert verify.returncode == 0, verify.stderr
    for done in (check, render, verify):
        assert "Traceback" not in done.stderr and "internal error" not in done.stderr
    return folder


def test_packet_holds_the_report_and_verifies(run: Path) -> None:
    packet = run / "build" / "govkit" / "packet"
    names = {p.name for p in packet.iterdir()}
    assert {"report.json", "report.md", "packet.html", "manifest.json"} <= names
    assert (packet / "report.json").read_bytes() == (run / "build/govkit/report.json").read_bytes()
    if "packet.pdf" in names:  # PDF is on where WeasyPrint is installed
        assert (packet / "packet.pdf").read_bytes().startswith(b"%PDF-")


def _outside(report: dict[str, object], check_id: str, name: str) -> int:
    results = report["results"]
    assert isinstance(results, list)
    result = next(r for r in results if r["id"] == check_id)
    return sum(
        1
        for m in result["measurements"]
        if m["name"] == name
        and m["group"]
        and m["ci"]
        and not min(m["ci"]) <= m["value"] <= max(m["ci"])
    )


def test_charts_tell_the_truth_about_intervals(run: Path) -> None:
    report = json.loads((run / "build/govkit/report.json").read_text(encoding="utf-8"))
    outside = _outside(report, "performance.calibration", "ece")
    # a point outside its interval once crashed the chart; the caption must count them
    html = (run / "build/govkit/packet/packet.html").read_text(encoding="utf-8")
    if outside:
        assert f"ece by group, with 95% intervals; {outside} point estimate(s) lie outside" in html
    else:
        assert not re.search(r"ece by group, with 95% intervals; \d+ point estimate", html)
    # every group chart is drawn: one SVG per caption, each well-formed XML
    svgs = re.findall(r"data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)", html)
    assert len(svgs) >= 4
    for data in svgs:
        ET.fromstring(base64.b64decode(data))
