"""The folder lock: one govkit process writes an output folder at a time.

A second writer waits (``GOVKIT_LOCK_TIMEOUT`` seconds, shortened here), then
exits 2 naming the folder and the process holding it. Writers that do get
the lock in turn leave complete outputs: a reader polling report.json during
two concurrent checks never sees an empty or partial file, and two
concurrent renders leave one whole packet that verifies.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from govkit.atomic import LOCK_TIMEOUT_ENV, FolderLock
from govkit.cli import main
from tests.reliability.outputs_support import (
    REPO,
    check_project,
    leftovers,
    other_report,
    render_project,
    snapshot,
    start_govkit,
)


def test_a_held_lock_makes_render_wait_then_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = render_project(tmp_path)
    assert main(["render", "-c", str(config), "--format", "md"]) == 0
    packet = tmp_path / "build" / "packet"
    before = snapshot(tmp_path)
    monkeypatch.setenv(LOCK_TIMEOUT_ENV, "0.3")
    capsys.readouterr()
    with FolderLock(packet, timeout=0):
        started = time.monotonic()
        assert main(["render", "-c", str(config), "--format", "md"]) == 2
        waited = time.monotonic() - started
    err = capsys.readouterr().err
    assert str(packet) in err and f"pid {os.getpid()}" in err and "waited 0.3 s" in err
    assert waited >= 0.3
    # the lock file beside the folder holds the holder's pid only while held
    assert snapshot(tmp_path) == before
    assert leftovers(tmp_path) == []


def test_a_lock_held_by_another_process_stops_check(tmp_path: Path) -> None:
    config = check_project(tmp_path)
    out = tmp_path / "out"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\n"
            "from govkit.atomic import FolderLock\n"
            f"with FolderLock({str(out)!r}, timeout=0):\n"
            "    print('held', flush=True)\n"
            "    time.sleep(30)\n",
        ],
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        waiting = start_govkit("check", "-c", str(config), "-q", env={LOCK_TIMEOUT_ENV: "0.5"})
        _, err = waiting.communicate(timeout=60)
    finally:
        holder.kill()
        holder.wait()
    assert waiting.returncode == 2
    assert f"pid {holder.pid}" in err and str(out) in err and "Traceback" not in err
    assert not (out / "report.json").exists()


def test_a_bad_lock_timeout_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = check_project(tmp_path)
    monkeypatch.setenv(LOCK_TIMEOUT_ENV, "soon")
    assert main(["check", "-c", str(config), "-q"]) == 2
    assert LOCK_TIMEOUT_ENV in capsys.readouterr().err


@pytest.mark.slow
def test_concurrent_checks_never_show_a_partial_report(tmp_path: Path) -> None:
    config = check_project(tmp_path)
    report = tmp_path / "out" / "report.json"
    seen: list[str] = []
    stop = threading.Event()

    def poll() -> None:
        # the reader from the issue: any read must be a whole report or no file yet
        while not stop.is_set():
            time.sleep(0.002)  # leave the two writers the CPU
            try:
                text = report.read_text(encoding="utf-8")
            except FileNotFoundError:
                continue
            try:
                seen.append(json.loads(text)["status"])
            except (ValueError, KeyError):
                seen.append(f"partial: {len(text)} bytes")

    reader = threading.Thread(target=poll)
    reader.start()
    try:
        runs = [
            start_govkit("check", "-c", str(config), "-q", env={LOCK_TIMEOUT_ENV: "60"})
            for _ in range(2)
        ]
        results = [(p.wait(timeout=120), p.communicate()[1]) for p in runs]
    finally:
        stop.set()
        reader.join()
    assert [code for code, _ in results] == [0, 0], results
    assert seen and all(status == "pass" for status in seen), sorted(set(seen))
    assert leftovers(tmp_path) == []


@pytest.mark.slow
def test_concurrent_renders_leave_one_whole_packet(tmp_path: Path) -> None:
    config = render_project(tmp_path)
    reports = [other_report(config, seed) for seed in (11, 12)]
    runs = [
        start_govkit(
            "render",
            "-c",
            str(config),
            "--format",
            "md",
            "--report",
            str(report),
            env={LOCK_TIMEOUT_ENV: "60"},
        )
        for report in reports
    ]
    codes = [p.wait(timeout=120) for p in runs]
    assert codes == [0, 0], [p.communicate()[1] for p in runs]
    packet = tmp_path / "build" / "packet"
    shown = (packet / "report.json").read_bytes()
    assert shown in {r.read_bytes() for r in reports}
    assert main(["verify", str(packet)]) == 0
    assert leftovers(tmp_path) == []
