"""govkit verify: exit 0 on a clean packet, 1 naming each problem, 2 without a manifest."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from govkit.cli import main
from govkit.render.manifest import write_manifest


@pytest.fixture
def packet(tmp_path: Path) -> Path:
    folder = tmp_path / "packet"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.md").write_text("# A\n", encoding="utf-8")
    (folder / "report.json").write_bytes(b'{"status": "pass"}\n')
    (folder / "sub" / "b.bin").write_bytes(bytes(range(256)))
    write_manifest(folder)
    return folder


def test_clean_packet_verifies(packet: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", str(packet)]) == 0
    assert "3 file(s) match" in capsys.readouterr().out


def test_one_changed_byte_is_named(packet: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = bytearray((packet / "sub" / "b.bin").read_bytes())
    data[100] ^= 0x01
    (packet / "sub" / "b.bin").write_bytes(bytes(data))
    assert main(["verify", str(packet)]) == 1
    err = capsys.readouterr().err
    assert "altered: sub/b.bin" in err and "a.md" not in err


def test_missing_and_extra_files_are_named(
    packet: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (packet / "a.md").unlink()
    (packet / "sneaky.html").write_text("<p>added</p>", encoding="utf-8")
    assert main(["verify", str(packet)]) == 1
    err = capsys.readouterr().err
    assert "missing: a.md" in err and "extra: sneaky.html" in err


def test_no_folder_or_manifest_is_a_usage_error(
    tmp_path: Path, packet: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["verify", str(tmp_path / "nope")]) == 2
    (packet / "manifest.json").unlink()
    assert main(["verify", str(packet)]) == 2
    (packet / "manifest.json").write_text("{not json", encoding="utf-8")
    assert main(["verify", str(packet)]) == 2
    (packet / "manifest.json").write_text(
        '{"files": [{"path": "../x", "sha256": "' + "0" * 64 + '", "bytes": 1}]}', encoding="utf-8"
    )
    assert main(["verify", str(packet)]) == 2
    assert "Traceback" not in capsys.readouterr().err


def test_rendered_packet_verifies_then_fails(
    rendered: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(rendered, copy)
    assert main(["verify", str(copy)]) == 0
    data = bytearray((copy / "packet.pdf").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (copy / "packet.pdf").write_bytes(bytes(data))
    assert main(["verify", str(copy)]) == 1
    assert "altered: packet.pdf" in capsys.readouterr().err
