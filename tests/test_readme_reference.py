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


def test_reference_says_which_extra_each_command_and_check_needs() -> None:
    from govkit.checks.registry import BUILTIN_CHECKS, check_extra
    from govkit.extras import COMMAND_EXTRAS

    checks = SECTIONS["checks"]()
    header = checks.splitlines()[0]
    assert header.split("|")[-2].strip() == "extra", header
    for check_id in BUILTIN_CHECKS:
        (row,) = [line for line in checks.splitlines() if line.startswith(f"| `{check_id}` |")]
        assert row.split("|")[-2].strip() == check_extra(check_id)
    cli = SECTIONS["cli"]()
    for command, extra in COMMAND_EXTRAS.items():
        assert f"#### `govkit {command}`\n\n" in cli
        assert f"Extra: {extra}." in cli.split(f"#### `govkit {command}`", 1)[1].split("####")[0]
