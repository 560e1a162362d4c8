"""The packet swap: refusals touch nothing, hostile manifests delete nothing, and a
packet vouches for more than its manifest.

Each fault is followed by a byte comparison of the whole project folder
(the packet, its siblings and the user's files) with its snapshot from
before, and a search for temporary files.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path

import pytest

from govkit.cli import main
from govkit.render import manifest as manifest_module
from govkit.render.manifest import MANIFEST_NAME, write_manifest
from tests.helpers import build_report, write_report
from tests.reliability.outputs_support import leftovers, other_report, render_project, snapshot

FAST = "md"  # HTML and PDF take seconds more; the tests that need them ask for them


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project with one rendered packet at build/packet (Markdown)."""
    config = render_project(tmp_path)
    assert main(["render", "-c", str(config), "--format", FAST]) == 0
    return config


def _packet(config: Path) -> Path:
    return config.parent / "build" / "packet"


def _render(config: Path, *extra: str, formats: str = FAST) -> int:
    return main(["render", "-c", str(config), "--format", formats, *extra])


def _rewrite_manifest(packet: Path, edit: object = None) -> None:
    """Recompute manifest.json (and the in-toto statement) the way someone covering an edit would."""
    statement = packet / "packet.intoto.json"
    if statement.is_file():
        claim = json.loads(statement.read_text())
        for subject in claim["subject"]:
            data = (packet / subject["name"]).read_bytes()
            subject["digest"]["sha256"] = hashlib.sha256(data).hexdigest()
        statement.write_text(json.dumps(claim, indent=2))
    body = json.loads((packet / MANIFEST_NAME).read_text())
    for entry in body["files"]:
        path = packet / entry["path"]
        if path.is_file():
            data = path.read_bytes()
            entry["sha256"], entry["bytes"] = hashlib.sha256(data).hexdigest(), len(data)
    if callable(edit):
        edit(body)
    (packet / MANIFEST_NAME).write_text(json.dumps(body, indent=2))


def _refused(config: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> str:
    """Render, expect a refusal (exit 2) that changed nothing; return the message."""
    root = config.parent
    before = snapshot(root)
    capsys.readouterr()
    assert _render(config, *extra) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert snapshot(root) == before
    assert leftovers(root) == []
    return err


def test_rerender_replaces_the_packet_and_prints_the_manifest_hash(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    newer = other_report(project, seed=3)
    capsys.readouterr()
    assert _render(project, "--report", str(newer)) == 0
    out = capsys.readouterr().out
    packet = _packet(project)
    printed = re.search(r"manifest sha256: ([0-9a-f]{64})", out)
    assert printed is not None
    assert printed.group(1) == hashlib.sha256((packet / MANIFEST_NAME).read_bytes()).hexdigest()
    assert (packet / "report.json").read_bytes() == newer.read_bytes()
    assert leftovers(project.parent) == []
    assert main(["verify", str(packet), "--expect-sha256", printed.group(1)]) == 0
    assert printed.group(1) in capsys.readouterr().out


def test_symlinked_folder_in_the_manifest_never_deletes_the_users_file(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    keep = outside / "keep.txt"
    keep.write_text("the user's file\n")
    packet = _packet(project)
    os.symlink(outside, packet / "link")

    def lists_keep(body: dict[str, object]) -> None:
        files = body["files"]
        assert isinstance(files, list)
        files.append(
            {
                "path": "link/keep.txt",
                "sha256": hashlib.sha256(keep.read_bytes()).hexdigest(),
                "bytes": keep.stat().st_size,
            }
        )

    _rewrite_manifest(packet, lists_keep)
    before_outside = snapshot(outside)
    err = _refused(project, capsys)
    assert "link" in err and "symbolic link" in err
    assert snapshot(outside) == before_outside
    assert keep.read_text() == "the user's file\n"


@pytest.mark.parametrize(
    ("path", "words"),
    [
        (MANIFEST_NAME, "lists itself"),
        ("../outside.txt", "relative path inside the packet"),
        ("/etc/hostname", "relative path inside the packet"),
    ],
)
def test_hostile_manifest_entries_are_refused_before_anything_is_touched(
    project: Path, capsys: pytest.CaptureFixture[str], path: str, words: str
) -> None:
    packet = _packet(project)

    def add(body: dict[str, object]) -> None:
        files = body["files"]
        assert isinstance(files, list)
        files.append({"path": path, "sha256": "0" * 64, "bytes": 0})

    _rewrite_manifest(packet, add)
    assert words in _refused(project, capsys)


def test_extra_file_is_refused_and_the_old_packet_kept(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (_packet(project) / "notes.txt").write_text("a reviewer's notes\n")
    assert "notes.txt" in _refused(project, capsys)


def test_an_edited_file_is_refused_unless_asked(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    packet = _packet(project)
    md = packet / "report.md"
    md.write_text(md.read_text() + "\nReviewer: see the appendix.\n")
    err = _refused(project, capsys)
    assert "report.md" in err and "--overwrite-edited" in err
    assert _render(project, "--overwrite-edited") == 0
    assert "Reviewer:" not in md.read_text()
    assert main(["verify", str(packet)]) == 0


def test_a_stale_temporary_folder_is_cleaned_by_the_next_render(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # what a render killed half-way leaves: a partial packet beside the real one
    stale = project.parent / "build" / ".packet.govkit-tmp-0123456789ab"
    stale.mkdir()
    (stale / "report.md").write_text("half a packet")
    assert _render(project) == 0
    assert leftovers(project.parent) == []


def test_an_interrupt_while_building_keeps_the_old_packet(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    newer = other_report(project, seed=4)
    before = snapshot(project.parent)

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("govkit.render.packet.write_manifest", interrupted)
    assert _render(project, "--report", str(newer)) == 130
    assert snapshot(project.parent) == before
    assert leftovers(project.parent) == []


def test_a_self_contradicting_report_is_refused_and_force_shows_a_warning(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = build_report(n_rows=400, seed=5)
    first = report.results[0]
    lying = report.model_copy(
        update={
            "status": "pass",
            "results": [
                first.model_copy(update={"status": "fail", "blocking": True}),
                *report.results[1:],
            ],
        }
    )
    path = write_report(lying, project.parent / "lying.json")
    err = _refused(project, capsys, "--report", str(path))
    assert "status is pass" in err and "--force" in err
    assert _render(project, "--report", str(path), "--force", formats="md,html") == 0
    assert "warning: rendered with --force" in capsys.readouterr().err
    packet = _packet(project)
    assert "Warning:** rendered with --force" in (packet / "report.md").read_text()
    assert "Warning: rendered with --force" in (packet / "packet.html").read_text()
    assert main(["verify", str(packet)]) == 0


def test_a_report_for_another_system_is_refused(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = build_report(n_rows=400, seed=6)
    other = report.model_copy(
        update={"system": report.system.model_copy(update={"version": "9.9.9"})}
    )
    path = write_report(other, project.parent / "other.json")
    assert "9.9.9" in _refused(project, capsys, "--report", str(path))


def test_html_edit_with_a_rewritten_manifest_fails_against_the_pinned_hash(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _render(project, formats="md,html") == 0
    packet = _packet(project)
    pinned = hashlib.sha256((packet / MANIFEST_NAME).read_bytes()).hexdigest()
    html = packet / "packet.html"
    html.write_text(html.read_text().replace(">fail<", ">pass<"))
    _rewrite_manifest(packet)
    capsys.readouterr()
    # without a pin only the manifest vouches for the files, and it was rewritten
    assert main(["verify", str(packet)]) == 0
    assert "--expect-sha256" in capsys.readouterr().err
    assert main(["verify", str(packet), "--expect-sha256", pinned]) == 1
    assert f"not the expected {pinned}" in capsys.readouterr().err


def test_a_report_swapped_into_a_packet_is_inconsistent(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    packet = _packet(project)
    newer = other_report(project, seed=7)
    (packet / "report.json").write_bytes(newer.read_bytes())
    _rewrite_manifest(packet)
    capsys.readouterr()
    assert main(["verify", str(packet)]) == 1
    assert "not the report the packet was rendered from" in capsys.readouterr().err


def test_a_packet_id_that_does_not_derive_from_its_inputs_is_inconsistent(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    packet = _packet(project)

    def bump(body: dict[str, dict[str, object]]) -> None:
        body["packet"]["id"] = "GK-0000-0000-0000"

    _rewrite_manifest(packet, bump)
    capsys.readouterr()
    assert main(["verify", str(packet)]) == 1
    err = capsys.readouterr().err
    assert "does not derive from the inputs" in err and "does not name packet" in err


def test_verify_rejects_a_malformed_pin(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", str(_packet(project)), "--expect-sha256", "abc"]) == 2
    assert "64 hexadecimal" in capsys.readouterr().err


@pytest.mark.slow
def test_html_edit_with_a_rewritten_manifest_fails_where_there_is_a_pdf(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The attack from the issue, on a full packet: the PDF's identifier no longer fits."""
    config = render_project(tmp_path)
    assert main(["render", "-c", str(config), "--format", "md,html,pdf"]) == 0
    packet = _packet(config)
    html = packet / "packet.html"
    html.write_text(html.read_text().replace(">fail<", ">pass<"))
    _rewrite_manifest(packet)
    capsys.readouterr()
    assert main(["verify", str(packet)]) == 1
    assert "packet.pdf: was not printed from this packet.html" in capsys.readouterr().err


def test_manifest_version_1_packets_still_verify(tmp_path: Path) -> None:
    folder = tmp_path / "old"
    folder.mkdir()
    (folder / "a.md").write_text("# A\n")
    write_manifest(folder)
    body = json.loads((folder / MANIFEST_NAME).read_text())
    del body["packet"]
    body["manifest_version"] = 1
    (folder / MANIFEST_NAME).write_text(json.dumps(body))
    assert manifest_module.load_manifest(folder).packet_id is None
    assert main(["verify", str(folder)]) == 0


def test_a_file_that_appears_during_the_swap_is_kept_not_deleted(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A file written into the old packet after the checks, just before the swap, survives."""
    from govkit.render import packet as packet_module

    real_replace = packet_module.replace_folder
    packet = _packet(project)

    def late_writer(target: Path, build: object, **kwargs: object) -> Path:
        (packet / "late.txt").write_text("written during the render\n")
        return real_replace(target, build, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(packet_module, "replace_folder", late_writer)
    capsys.readouterr()
    assert _render(project) == 0
    assert "kept in" in capsys.readouterr().err
    kept = sorted(packet.parent.glob("packet.kept-*"))
    assert len(kept) == 1
    assert [p.name for p in kept[0].iterdir()] == ["late.txt"]
    assert main(["verify", str(packet)]) == 0
    assert leftovers(project.parent) == []
