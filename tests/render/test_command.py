"""govkit render as a command: formats, defaults, documents-only packets, usage errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from govkit.cli import main
from govkit.render.verify import verify_packet
from tests.helpers import make_project


def test_markdown_only_without_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = make_project(tmp_path)
    assert main(["render", "-c", str(config), "--format", "md"]) == 0
    out = tmp_path / "build" / "packet"
    assert sorted(p.name for p in out.iterdir()) == [
        "manifest.json",
        "minimal-dataset-card.md",
        "minimal-experiment-plan.md",
        "minimal-model-card.md",
        "minimal-risk-checklist.md",
        "packet.intoto.json",
    ]
    assert "documents only" in capsys.readouterr().err
    assert verify_packet(out).ok


def test_documents_only_html_is_reproducible(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    config = make_project(tmp_path)
    for name in ("one", "two"):
        assert (
            main(
                ["render", "-c", str(config), "--format", "md,html", "--out", str(tmp_path / name)]
            )
            == 0
        )
    one = {p.name: p.read_bytes() for p in (tmp_path / "one").iterdir()}
    two = {p.name: p.read_bytes() for p in (tmp_path / "two").iterdir()}
    assert one == two
    html = one["packet.html"].decode()
    assert "2023-11-14T22:13:20Z" in html and "No check report" in html


def test_rerender_replaces_an_earlier_packet(tmp_path: Path) -> None:
    config = make_project(tmp_path)
    out = tmp_path / "out"
    assert main(["render", "-c", str(config), "--format", "md,html", "--out", str(out)]) == 0
    assert main(["render", "-c", str(config), "--format", "md", "--out", str(out)]) == 0
    assert not (out / "packet.html").exists() and verify_packet(out).ok


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "md,docx"], "unknown format docx"),
        (["--report", "missing.json"], "no such report"),
        (["--templates", "no-such-folder"], "no such folder"),
    ],
)
def test_usage_errors_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    config = make_project(tmp_path)
    assert main(["render", "-c", str(config), "--format", "md", *args]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_refuses_a_folder_that_is_not_a_packet(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = make_project(tmp_path)
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me", encoding="utf-8")
    assert main(["render", "-c", str(config), "--format", "md", "--out", str(out)]) == 2
    assert (out / "notes.txt").read_text(encoding="utf-8") == "keep me"
    assert "empty folder" in capsys.readouterr().err


def test_missing_project_file_exits_2(tmp_path: Path) -> None:
    assert main(["render", "-c", str(tmp_path / "govkit.yaml")]) == 2


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"report_version": 1, broken', "not a readable report.json"),
        ('{"report_version": 1}', "invalid report"),
        ("", "not a readable report.json"),
    ],
)
def test_corrupt_report_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, message: str
) -> None:
    config = make_project(tmp_path)
    (tmp_path / "build").mkdir()
    (tmp_path / "build" / "report.json").write_text(content, encoding="utf-8")
    assert main(["render", "-c", str(config), "--format", "md"]) == 2
    err = capsys.readouterr().err
    assert "report.json" in err and message in err and "Traceback" not in err
    assert not (tmp_path / "build" / "packet").exists()


def test_invalid_document_exits_1_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def break_card(data: dict[str, Any]) -> None:
        data["bogus_field"] = 1

    config = make_project(tmp_path, edits={"model_card": break_card})
    assert main(["render", "-c", str(config), "--format", "md"]) == 1
    err = capsys.readouterr().err
    assert "docs/model_card.yaml" in err and "bogus_field" in err and "Traceback" not in err
    assert not (tmp_path / "build" / "packet").exists()


@pytest.mark.parametrize("where", ["under-a-file", "blocked-by-a-folder", "a-file"])
def test_unwritable_output_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], where: str
) -> None:
    config = make_project(tmp_path)
    (tmp_path / "plain.txt").write_text("not a folder", encoding="utf-8")
    out = {
        "under-a-file": tmp_path / "plain.txt" / "packet",
        "blocked-by-a-folder": tmp_path / "out",
        "a-file": tmp_path / "plain.txt",
    }[where]
    # A folder where a packet file must go: the write itself fails.
    (tmp_path / "out" / "minimal-model-card.md").mkdir(parents=True)
    assert main(["render", "-c", str(config), "--format", "md", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"--out {out}" in err and "Traceback" not in err and "internal error" not in err
    assert (tmp_path / "plain.txt").read_text(encoding="utf-8") == "not a folder"
