"""Atomic outputs: a full disk or an interrupt leaves every earlier output byte-identical.

The disk fills up two ways: through a patched writer that raises ENOSPC
half-way through a file (always), and on a real, tiny tmpfs (when the test
runs as root and may mount one). After every fault the whole project folder
is compared with its snapshot from before, so "nothing outside the output
folder changed" and "no temporary file remains" are checked at once.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from govkit import atomic
from govkit.atomic import write_all_atomic, write_atomic
from govkit.cli import main
from tests.reliability.outputs_support import (
    check_project,
    leftovers,
    other_report,
    render_project,
    snapshot,
)


def _full_disk_after(limit: int) -> object:
    """A writer that stores ``limit`` bytes of a file, then fails as a full disk does."""

    def write_all(fd: int, data: bytes) -> None:
        os.write(fd, data[:limit])
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    return write_all


def test_write_atomic_replaces_whole_or_not_at_all(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "report.json"
    write_atomic(target, "old\n")
    monkeypatch.setattr(atomic, "_write_all", _full_disk_after(3))
    with pytest.raises(OSError) as caught:
        write_atomic(target, "new content that does not fit\n")
    assert caught.value.errno == errno.ENOSPC
    assert target.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]
    monkeypatch.undo()
    write_atomic(target, b"new\n")
    assert target.read_bytes() == b"new\n"


def test_several_files_change_together_or_not_at_all(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    write_all_atomic({a: "a1", b: "b1"})
    calls = iter([False, True])  # the second file hits the full disk

    def write_all(fd: int, data: bytes) -> None:
        if next(calls):
            raise OSError(errno.ENOSPC, "No space left on device")
        os.write(fd, data)

    monkeypatch.setattr(atomic, "_write_all", write_all)
    with pytest.raises(OSError):
        write_all_atomic({a: "a2", b: "b2"})
    assert (a.read_text(), b.read_text()) == ("a1", "b1")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "b"]


def test_check_on_a_full_disk_keeps_the_old_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = check_project(tmp_path)
    assert main(["check", "-c", str(config), "-q"]) == 0
    before = snapshot(tmp_path)
    monkeypatch.setattr(atomic, "_write_all", _full_disk_after(100))
    capsys.readouterr()
    assert main(["check", "-c", str(config), "-q"]) == 2
    err = capsys.readouterr().err
    assert "No space left on device" in err and "unchanged" in err
    assert "Traceback" not in err
    assert snapshot(tmp_path) == before
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("limit", [0, 1000])
def test_render_on_a_full_disk_keeps_the_old_packet(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    limit: int,
) -> None:
    config = render_project(tmp_path)
    assert main(["render", "-c", str(config), "--format", "md"]) == 0
    newer = other_report(config, seed=1)
    before = snapshot(tmp_path)
    monkeypatch.setattr(atomic, "_write_all", _full_disk_after(limit))
    capsys.readouterr()
    code = main(["render", "-c", str(config), "--format", "md", "--report", str(newer)])
    assert code == 2
    err = capsys.readouterr().err
    assert "No space left on device" in err and "Traceback" not in err
    assert snapshot(tmp_path) == before
    assert leftovers(tmp_path) == []
    monkeypatch.undo()
    assert main(["verify", str(tmp_path / "build" / "packet")]) == 0


@pytest.fixture
def tiny_tmpfs(tmp_path: Path) -> Iterator[Path]:
    """A 192 KiB tmpfs: room for a Markdown packet, not for a second one with HTML."""
    mount = tmp_path / "disk"
    mount.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=192k", "tmpfs", str(mount)],
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode(errors='replace').strip()}")
    try:
        yield mount
    finally:
        # lazily: a descriptor a failed test left open must not keep the mount alive
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_render_on_a_real_full_disk(
    tmp_path: Path, tiny_tmpfs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = render_project(tmp_path / "project")
    out = tiny_tmpfs / "packet"
    assert main(["render", "-c", str(config), "--format", "md", "--out", str(out)]) == 0
    before = snapshot(tiny_tmpfs)
    capsys.readouterr()
    # the HTML packet with its charts is larger than the space that is left
    code = main(["render", "-c", str(config), "--format", "md,html", "--out", str(out)])
    assert code == 2
    err = capsys.readouterr().err
    assert "No space left on device" in err and "Traceback" not in err
    assert snapshot(tiny_tmpfs) == before
    assert leftovers(tiny_tmpfs) == []
    assert main(["verify", str(out)]) == 0


def test_check_on_a_real_full_disk(
    tmp_path: Path, tiny_tmpfs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = check_project(tmp_path / "project")
    out = tiny_tmpfs / "out"
    assert main(["check", "-c", str(config), "-q", "--out", str(out)]) == 0
    old = json.loads((out / "report.json").read_text())
    # fill the disk but for a few bytes: the next report cannot be written
    fd = os.open(tiny_tmpfs / "filler", os.O_WRONLY | os.O_CREAT)
    try:
        while os.write(fd, b"\0" * 4096):
            pass
    except OSError as err:
        assert err.errno == errno.ENOSPC
    finally:
        os.close(fd)
    before = snapshot(tiny_tmpfs)
    capsys.readouterr()
    assert main(["check", "-c", str(config), "-q", "--out", str(out)]) == 2
    assert "No space left on device" in capsys.readouterr().err
    assert snapshot(tiny_tmpfs) == before
    assert json.loads((out / "report.json").read_text()) == old
    assert leftovers(tiny_tmpfs) == []
