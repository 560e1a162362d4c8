"""`govkit init`: a commented skeleton that validates once filled; never overwrites."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from govkit.documents import lint_document, load_document
from tests.helpers import KINDS

Run = Callable[..., tuple[int, str, str]]


@pytest.mark.parametrize("kind", KINDS)
def test_skeleton_validates_once_filled(cli: Run, tmp_path: Path, kind: str) -> None:
    path = tmp_path / f"{kind}.yaml"
    code, out, _ = cli("init", kind, str(path))
    assert code == 0 and "wrote" in out
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# yaml-language-server: $schema=")
    assert f"{kind}.schema.json" in text.splitlines()[0]
    assert "[More Information Needed]" in text
    comments = [line for line in text.splitlines() if line.lstrip().startswith("#")]
    assert len(comments) > 30  # one comment per field

    # as written: valid, but the placeholders are flagged and --strict fails
    code, _, err = cli("validate", str(path))
    assert code == 0 and "placeholder" in err
    code, _, _ = cli("validate", "--strict", str(path))
    assert code == 1

    path.write_text(text.replace("[More Information Needed]", "Filled in."), encoding="utf-8")
    doc = load_document(path)
    assert doc.kind == kind
    assert not [d for d in lint_document(doc) if d.code == "placeholder"]
    code, _, err = cli("validate", str(path))
    assert code == 0, err


def test_default_path_and_never_overwrite(
    cli: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, _ = cli("init", "model_card")
    assert code == 0 and (tmp_path / "model_card.yaml").is_file()
    (tmp_path / "model_card.yaml").write_text("mine\n")
    code, _, err = cli("init", "model_card")
    assert code == 2 and "already exists" in err
    assert (tmp_path / "model_card.yaml").read_text() == "mine\n"


def test_unknown_kind_and_missing_folder(cli: Run, tmp_path: Path) -> None:
    code, _, err = cli("init", "modelcard", str(tmp_path / "x.yaml"))
    assert code == 2 and "did you mean 'model_card'?" in err
    code, _, err = cli("init", "model_card", str(tmp_path / "no" / "x.yaml"))
    assert code == 2 and "does not exist" in err


def test_folder_means_kind_file_inside_it(cli: Run, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    code, _, _ = cli("init", "risk_checklist", str(docs))
    assert code == 0 and (docs / "risk_checklist.yaml").is_file()
    before = (docs / "risk_checklist.yaml").read_text(encoding="utf-8")
    code, _, err = cli("init", "risk_checklist", str(docs))
    assert code == 2 and "already exists" in err
    assert (docs / "risk_checklist.yaml").read_text(encoding="utf-8") == before


@pytest.mark.parametrize("kind", KINDS)
def test_never_overwrites_any_kind(cli: Run, tmp_path: Path, kind: str) -> None:
    path = tmp_path / f"{kind}.yaml"
    path.write_text("mine\n", encoding="utf-8")
    code, _, err = cli("init", kind, str(path))
    assert code == 2 and "never overwrites" in err
    assert path.read_text(encoding="utf-8") == "mine\n"
