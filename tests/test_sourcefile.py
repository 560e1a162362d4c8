"""Safe, located loading of YAML, JSON and front matter."""

from __future__ import annotations

from pathlib import Path

import pytest

from govkit.errors import ConfigError
from govkit.sourcefile import (
    MAX_FILE_BYTES,
    SourceError,
    load_source,
    load_validated,
    parse_text,
)
from govkit.suite import Suite


def _fail(text: str, **kw: bool) -> SourceError:
    with pytest.raises(SourceError) as info:
        parse_text(text, "doc.yaml", **kw)
    return info.value


def test_positions_point_at_values_and_keys() -> None:
    parsed = parse_text("a: 1\nb:\n  - x\n  - y: 2\n", "doc.yaml")
    assert parsed.data == {"a": 1, "b": ["x", {"y": 2}]}
    assert parsed.positions[("b", 1, "y")] == (4, 8)
    assert parsed.key_positions[("b", 1, "y")] == (4, 5)
    # an unknown deeper path falls back to the nearest ancestor
    assert parsed.locate(("b", 1, "y", "z")) == (4, 8)


def test_duplicate_keys_are_errors_with_both_lines() -> None:
    err = _fail("name: a\nother: 1\nname: b\n")
    (diag,) = err.diagnostics
    assert (diag.line, diag.column) == (3, 1)
    assert "duplicate key 'name'" in diag.message
    assert "line 1" in (diag.hint or "")


def test_syntax_error_is_located() -> None:
    err = _fail("a: [1, 2\nb: 3\n")
    assert err.diagnostics[0].line is not None
    assert err.diagnostics[0].message.startswith("invalid YAML")


def test_billion_laughs_is_refused_quickly() -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 9):
        prev = chr(ord("a") + i - 1)
        cur = chr(ord("a") + i)
        lines.append(f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 9) + "]")
    err = _fail("\n".join(lines) + "\n")
    assert "more than" in err.diagnostics[0].message


def test_empty_and_front_matter() -> None:
    assert _fail("").diagnostics[0].code == "empty"
    parsed = parse_text("---\nkind: x\nname: y\n---\n# Body\n", "card.md", front_matter=True)
    assert parsed.data == {"kind": "x", "name": "y"}
    assert parsed.positions[("name",)] == (3, 7)
    assert _fail("# no front matter\n", front_matter=True).diagnostics[0].code == "front_matter"


def test_file_level_refusals(tmp_path: Path) -> None:
    binary = tmp_path / "b.yaml"
    binary.write_bytes(b"\x00\x01\x02kind")
    latin = tmp_path / "l.yaml"
    latin.write_bytes(b"name: caf\xe9\n")
    big = tmp_path / "big.yaml"
    big.write_bytes(b"x" * (MAX_FILE_BYTES + 1))
    for path, code in [(binary, "binary"), (latin, "encoding"), (big, "too_large")]:
        with pytest.raises(SourceError) as info:
            load_source(path)
        assert info.value.diagnostics[0].code == code
        assert not info.value.unreadable
    for path in (tmp_path / "missing.yaml", tmp_path):
        with pytest.raises(SourceError) as info:
            load_source(path)
        assert info.value.unreadable


def test_json_is_read_with_positions(tmp_path: Path) -> None:
    path = tmp_path / "doc.json"
    path.write_text('{\n  "kind": "model_card",\n  "n": 3\n}\n')
    parsed = load_source(path)
    assert parsed.data == {"kind": "model_card", "n": 3}
    assert parsed.positions[("n",)][0] == 3


def test_yaml_11_booleans_stay_text() -> None:
    parsed = parse_text("on: interval_strict\ncountry: NO\nflag: true\nother: off\n", "s.yaml")
    assert parsed.data == {"on": "interval_strict", "country": "NO", "flag": True, "other": "off"}


def test_json_syntax_errors_say_json(tmp_path: Path) -> None:
    path = tmp_path / "doc.json"
    path.write_text('{\n  "kind": "model_card",,\n}\n')
    with pytest.raises(SourceError) as info:
        load_source(path)
    (diag,) = info.value.diagnostics
    assert diag.message.startswith("invalid JSON") and diag.line == 2


def test_load_validated_keeps_model_path_and_positions(tmp_path: Path) -> None:
    path = tmp_path / "suite.yaml"
    path.write_text("suite: 1\nname: s\nchecks:\n  - id: a.b\n  - id: c.d\n")
    loaded = load_validated(path, Suite, "suite")
    assert [e.id for e in loaded.model.checks] == ["a.b", "c.d"]
    assert loaded.path == path
    # a finding made after validation still points at the key that set the field
    err = loaded.error(("checks", 1, "id"), "unknown check 'c.d'", hint="see govkit list")
    assert isinstance(err, ConfigError)
    (diag,) = err.diagnostics
    assert (diag.path, diag.line, diag.column, diag.field) == (str(path), 5, 5, "checks[1].id")
    assert (diag.severity, diag.code, diag.hint) == ("error", "invalid", "see govkit list")
    warning = loaded.diagnostic(("nowhere",), "note", code="x", severity="warning")
    assert (warning.line, warning.column, warning.severity) == (1, 1, "warning")


def test_load_validated_names_the_file_kind_in_its_errors(tmp_path: Path) -> None:
    bad = tmp_path / "suite.yaml"
    bad.write_text("suite: 1\nname: s\nchecks:\n  - id: a.b\n    severity: loud\n")
    with pytest.raises(ConfigError) as info:
        load_validated(bad, Suite, "suite")
    assert info.value.message == f"invalid suite {bad}"
    assert info.value.diagnostics[0].line == 5
    with pytest.raises(ConfigError) as missing:
        load_validated(tmp_path / "absent.yaml", Suite, "suite")
    assert missing.value.message == f"cannot read suite {tmp_path / 'absent.yaml'}"
