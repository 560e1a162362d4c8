"""``check --out`` replaces only files govkit wrote; stdout that cannot be written is exit 2;
the folder swap works where the file system cannot exchange two paths."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from govkit import atomic
from govkit.atomic import clean_leftovers, replace_folder
from govkit.cli import main
from tests.reliability.outputs_support import REPO, check_project, leftovers, snapshot


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("report.json", b'{"status": "pass", "mine": true}\n'),
        ("report.json", b"not json at all\n"),
        ("junit.xml", b'<?xml version="1.0"?>\n<testsuites name="pytest"/>\n'),
    ],
)
def test_check_refuses_to_overwrite_a_file_it_did_not_write(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, content: bytes
) -> None:
    config = check_project(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    (out / name).write_bytes(content)
    before = snapshot(tmp_path)
    assert main(["check", "-c", str(config), "-q"]) == 2
    err = capsys.readouterr().err
    assert f"{name}: exists and was not written by govkit check" in err
    assert snapshot(tmp_path) == before
    assert leftovers(tmp_path) == []


def test_check_refuses_a_symlinked_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = check_project(tmp_path)
    out = tmp_path / "out"
    assert main(["check", "-c", str(config), "-q"]) == 0
    elsewhere = tmp_path / "elsewhere.json"
    (out / "report.json").rename(elsewhere)
    os.symlink(elsewhere, out / "report.json")
    before = snapshot(tmp_path)
    assert main(["check", "-c", str(config), "-q"]) == 2
    assert snapshot(tmp_path) == before


def test_check_replaces_its_own_outputs(tmp_path: Path) -> None:
    config = check_project(tmp_path)
    assert main(["check", "-c", str(config), "-q"]) == 0
    first = (tmp_path / "out" / "report.json").read_bytes()
    assert main(["check", "-c", str(config), "-q"]) == 0
    second = (tmp_path / "out" / "report.json").read_bytes()
    assert first != second  # new timestamps: it was replaced
    assert leftovers(tmp_path) == []


def _cli(*args: str, stdout: object) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "govkit", *args],
        stdout=stdout,  # type: ignore[arg-type]
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        check=False,
        timeout=60,
    )


def test_stdout_on_a_full_device_is_exit_2(tmp_path: Path) -> None:
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full here")
    with open("/dev/full", "wb") as full:
        done = _cli("--help", stdout=full)
    err = done.stderr.decode()
    assert done.returncode == 2
    assert "cannot write to standard output" in err and "Traceback" not in err


def test_stdout_on_a_closed_pipe_is_exit_2(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "govkit", "--help"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # the reader went away before govkit wrote
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 2
    assert "cannot write to standard output" in err and "Traceback" not in err


def test_the_swap_falls_back_to_two_renames(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "packet"
    replace_folder(target, lambda d: (d / "a.txt").write_text("old"))
    monkeypatch.setattr(atomic, "_exchange", lambda a, b: False)
    replace_folder(target, lambda d: (d / "b.txt").write_text("new"))
    assert sorted(p.name for p in target.iterdir()) == ["b.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["packet"]


def test_a_folder_set_aside_by_a_killed_swap_is_put_back(tmp_path: Path) -> None:
    # killed between the two renames of the fallback: the packet is only set aside
    target = tmp_path / "packet"
    aside = tmp_path / ".packet.govkit-old-0123456789ab"
    aside.mkdir()
    (aside / "a.txt").write_text("old")
    stale = tmp_path / ".packet.govkit-tmp-0123456789ab"
    stale.mkdir()
    (stale / "b.txt").write_text("half")
    assert clean_leftovers(target) == [stale]
    assert (target / "a.txt").read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["packet"]


def test_a_failed_build_removes_its_folder(tmp_path: Path) -> None:
    target = tmp_path / "packet"
    replace_folder(target, lambda d: (d / "a.txt").write_text("old"))

    def fails(folder: Path) -> None:
        (folder / "b.txt").write_text("half")
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        replace_folder(target, fails)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["packet"]
    assert (target / "a.txt").read_text() == "old"
