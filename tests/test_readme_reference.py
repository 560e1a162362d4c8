"""The README's reference sections are generated from the code and must be current."""

from __future__ import annotations

from pathlib import Path

from govkit.reference import SECTIONS, update_readme

README = Path(__file__).resolve().parents[1] / "README.md"


def test_generated_reference_is_current() -> None:
    stale = update_readme(README, check=True)
    assert stale == [], f"run `python -m govkit.reference README.md` to refresh: {stale}"


def test_every_section_has_markers_in_readme() -> None:
    text = README.read_text(encoding="utf-8")
    for name in SECTIONS:
        assert f"<!-- reference:{name} -->" in text
        assert f"<!-- /reference:{name} -->" in text
