"""The README's reference sections are generated from the code and must be current."""

from __future__ import annotations

import re
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


def _cells(row: str) -> int:
    """The cells of one Markdown table row; an escaped ``\\|`` stays inside its cell."""
    return len(re.split(r"(?<!\\)\|", row.strip().strip("|")))


def test_reference_prints_no_placeholder_objects() -> None:
    # Click's "unset" sentinel, pydantic's undefined default and a bare repr
    # are internals; a default the reader cannot use must not reach the README.
    for name, build in SECTIONS.items():
        text = build()
        for leak in ("Sentinel", "Undefined", "object at 0x"):
            assert leak not in text, f"{name}: {leak!r} in the reference"


def test_every_table_row_has_as_many_cells_as_its_header() -> None:
    for name, build in SECTIONS.items():
        header = 0
        for line in build().splitlines():
            if not line.startswith("|"):
                header = 0
                continue
            if header == 0:
                header = _cells(line)
            assert _cells(line) == header, f"{name}: {line}"
            assert "|  " not in line, f"{name}: a cell starts with a stray space: {line}"


def test_device_choices_stay_in_one_cell() -> None:
    (row,) = [line for line in SECTIONS["cli"]().splitlines() if "--device" in line]
    assert _cells(row) == 2, row
    assert "auto \\| cpu \\| cuda \\| cuda:N" in row


def test_default_factory_fields_show_their_value() -> None:
    checks = SECTIONS["checks"]()
    (row,) = [line for line in checks.splitlines() if line.startswith("| `data.quality` |")]
    assert "`missing_markers` (['?'," in row, row
