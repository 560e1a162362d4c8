"""SIGKILL at seeded random points during ``govkit check`` and ``govkit render``.

The real CLI runs in a subprocess whose file writer pauses before each file
(the fault injection: a slow disk), so the write phase lasts long enough to
be hit. Once the first temporary file appears, the process is killed after a
delay drawn with a fixed seed from that phase, or from before and after it.
A killed process cannot clean up, so what must hold is: the outputs are
exactly the old ones or exactly the new ones (never a mix, never a partial
file), nothing else changed, and the next run removes any temporary file or
folder the killed one left.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

from govkit.cli import main
from tests.reliability.outputs_support import (
    REPO,
    TMP_MARK,
    check_project,
    govkit,
    leftovers,
    other_report,
    render_project,
    snapshot,
)

SEED = 2026
KILLS = 3
LOCK = ".govkit-lock"
PAUSE = 0.15  # seconds before each file is written
# the CLI, with a writer that pauses before each file
SLOW_CLI = (
    "import sys, time\n"
    "from govkit import atomic\n"
    "write = atomic._write_all\n"
    f"atomic._write_all = lambda fd, data: (time.sleep({PAUSE}), write(fd, data))[1]\n"
    "from govkit.cli import main\n"
    "sys.exit(main(sys.argv[1:]))\n"
)


def _outside(root: Path, folder: str) -> dict[str, bytes | str]:
    """The snapshot of ``root`` without the output folder, its lock and temporary siblings."""
    return {
        k: v
        for k, v in snapshot(root).items()
        if not (k == folder or k.startswith(folder + "/") or TMP_MARK in k or LOCK in k)
    }


def _kill_in_write_phase(args: list[str], watch: Path, delay: float) -> tuple[int, bool]:
    """Start the slow CLI, wait for its first temporary file, then SIGKILL it after ``delay``.

    Returns the exit status and whether the write phase was seen at all.
    """
    proc = subprocess.Popen(
        [sys.executable, "-c", SLOW_CLI, *args],
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    seen = False
    deadline = time.monotonic() + 120
    while proc.poll() is None and time.monotonic() < deadline:
        if leftovers(watch):
            seen = True
            break
        time.sleep(0.005)
    time.sleep(delay)
    proc.kill()
    proc.communicate()
    return proc.returncode, seen


@pytest.mark.slow
def test_sigkill_during_render_leaves_the_old_or_the_new_packet(tmp_path: Path) -> None:
    config = render_project(tmp_path / "project")
    root = config.parent
    reports = [other_report(config, seed) for seed in (31, 32)]
    fmt = ["--format", "md"]
    wholes = []
    for i, report in enumerate(reports):
        out = tmp_path / f"reference-{i}"
        done = govkit("render", "-c", str(config), *fmt, "--report", str(report), "--out", str(out))
        assert done.returncode == 0, done.stderr
        wholes.append(snapshot(out))
    files = len(wholes[0])  # each is one pause; the manifest is written last
    packet = root / "build" / "packet"
    assert main(["render", "-c", str(config), *fmt, "--report", str(reports[0])]) == 0
    assert snapshot(packet) == wholes[0]
    others = _outside(root, "build/packet")
    delays = np.random.default_rng(SEED).uniform(0, 1.1 * PAUSE * files, KILLS)
    for i, delay in enumerate(delays):
        report = reports[(i + 1) % 2]
        args = ["render", "-c", str(config), *fmt, "--report", str(report)]
        code, seen = _kill_in_write_phase(args, root / "build", delay)
        assert seen, "the render ended before it wrote anything"
        state = snapshot(packet)
        print(
            f"render kill {i} at +{delay:.2f} s: new={state == wholes[(i + 1) % 2]}, "
            f"left {leftovers(root)}"
        )
        assert state in wholes, f"kill {i} after {delay:.2f} s (exit {code}) left a mixed packet"
        assert _outside(root, "build/packet") == others
        # the next run finishes the job and removes what the killed one left
        assert main(["render", "-c", str(config), *fmt, "--report", str(report)]) == 0
        assert snapshot(packet) == wholes[(i + 1) % 2]
        assert leftovers(root) == []
        assert (root / "build" / f".packet{LOCK}").read_bytes() == b""


@pytest.mark.slow
def test_sigkill_during_check_leaves_whole_reports(tmp_path: Path) -> None:
    config = check_project(tmp_path / "project")
    root = config.parent
    out = root / "out"
    first = govkit("check", "-c", str(config), "-q")
    assert first.returncode == 0, first.stderr
    others = _outside(root, "out")
    delays = np.random.default_rng(SEED + 1).uniform(0, 2.2 * PAUSE, KILLS)
    for i, delay in enumerate(delays):
        old = snapshot(out)
        code, seen = _kill_in_write_phase(["check", "-c", str(config), "-q"], out, delay)
        assert seen, "the check ended before it wrote anything"
        print(f"check kill {i} at +{delay:.2f} s: left {leftovers(root)}")
        for name in ("report.json", "junit.xml"):
            data = (out / name).read_bytes()
            if data != old[name]:  # a new file must be whole
                if name == "report.json":
                    assert json.loads(data)["status"] == "pass"
                else:
                    assert ET.fromstring(data).get("name") == "govkit check"
        assert _outside(root, "out") == others, f"kill {i} after {delay:.2f} s (exit {code})"
        assert main(["check", "-c", str(config), "-q"]) == 0
        assert leftovers(root) == []
