"""Bad inputs: each gives exit 1 (2 for an unreadable path), a located message, no traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from govkit.sourcefile import MAX_NODES
from tests.helpers import minimal

Run = Callable[..., tuple[int, str, str]]
Write = Callable[..., Path]


def _located(err: str, path: Path) -> bool:
    """Some line of ``err`` starts with ``path:LINE``."""
    return any(
        line.startswith(f"{path}:") and line[len(str(path)) + 1 :][:1].isdigit()
        for line in err.splitlines()
    )


def test_invalid_yaml_syntax(cli: Run, write: Write) -> None:
    path = write("model_card.yaml", "kind: model_card\nmeta: [unclosed\n")
    code, _, err = cli("validate", str(path))
    assert code == 1 and _located(err, path) and "invalid YAML" in err


def test_wrong_type(cli: Run, write: Write) -> None:
    data = minimal("model_card")
    data["intended_uses"] = "a string, not a list"
    path = write("model_card.yaml", data)
    code, _, err = cli("validate", str(path))
    assert code == 1 and _located(err, path)
    assert "intended_uses: expected a list, got a string" in err


def test_missing_required_field(cli: Run, write: Write) -> None:
    data = minimal("dataset_card")
    del data["purpose"]
    path = write("dataset_card.yaml", data)
    code, _, err = cli("validate", str(path))
    assert code == 1 and _located(err, path)
    assert "purpose: required field is missing" in err


def test_unknown_key_says_did_you_mean(cli: Run, write: Write) -> None:
    data = minimal("model_card")
    data["licence"] = data.pop("license")
    path = write("model_card.yaml", data)
    code, _, err = cli("validate", str(path))
    assert code == 1 and _located(err, path)
    assert "unknown key 'licence'" in err and "did you mean 'license'?" in err


def test_nested_unknown_key(cli: Run, write: Write) -> None:
    data = minimal("risk_checklist")
    data["risks"][0]["residual_acceptible"] = True
    path = write("risk_checklist.yaml", data)
    code, _, err = cli("validate", str(path))
    assert code == 1
    assert "risks[0].residual_acceptible: unknown key" in err
    assert "did you mean 'residual_acceptable'?" in err


def test_wrong_enum_lists_valid_values(cli: Run, write: Write) -> None:
    data = minimal("dataset_card")
    data["modality"] = "tabulr"
    path = write("dataset_card.yaml", data)
    code, _, err = cli("validate", str(path))
    assert code == 1 and _located(err, path)
    assert "'tabular'" in err and "'text'" in err and "tabulr" in err


def test_unknown_kind_lists_kinds(cli: Run, write: Write) -> None:
    path = write("x.yaml", "kind: modelcard\nschema_version: 1\n")
    code, _, err = cli("validate", str(path))
    assert code == 1 and f"{path}:1:7" in err
    assert "dataset_card, model_card, experiment_plan, risk_checklist" in err
    assert "did you mean 'model_card'?" in err


def test_kind_of_the_wrong_type(cli: Run, write: Write) -> None:
    path = write("x.yaml", "kind: [model_card]\nschema_version: 1\n")
    code, _, err = cli("validate", str(path))
    assert code == 1 and f"{path}:1:7" in err
    assert "expected a document kind, got a list" in err


def test_missing_kind(cli: Run, write: Write) -> None:
    path = write("x.yaml", "schema_version: 1\n")
    code, _, err = cli("validate", str(path))
    assert code == 1 and "kind: required field is missing" in err


def test_empty_file(cli: Run, write: Write) -> None:
    path = write("model_card.yaml", "")
    code, _, err = cli("validate", str(path))
    assert code == 1 and f"{path}:1:1" in err and "empty" in err


def test_binary_file(cli: Run, write: Write) -> None:
    path = write("model_card.yaml", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    code, _, err = cli("validate", str(path))
    assert code == 1 and f"{path}:1:1" in err and "binary" in err


def test_non_utf8_file(cli: Run, write: Write) -> None:
    path = write("model_card.yaml", "kind: model_card\nname: caf\xe9\n".encode("latin-1"))
    code, _, err = cli("validate", str(path))
    assert code == 1 and f"{path}:2:" in err and "UTF-8" in err


def test_large_file_is_refused_without_reading_it(
    cli: Run, write: Write, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write("model_card.yaml", b"# " + b"x" * (50 * 1024 * 1024) + b"\n")

    def refuse(self: Path, *args: object, **kwargs: object) -> object:
        raise AssertionError(f"{self} was read")

    # quick by construction: the size alone decides, the 50 MB are never read
    monkeypatch.setattr(Path, "read_bytes", refuse)
    monkeypatch.setattr(Path, "read_text", refuse)
    code, _, err = cli("validate", str(path))
    assert code == 1 and f"{path}: error:" in err and "limit" in err


def test_billion_laughs_is_refused_quickly(cli: Run, write: Write) -> None:
    lines = ["kind: model_card", 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i, name in enumerate("bcdefghij"):
        prev = "abcdefghij"[i]
        lines.append(f"{name}: &{name} [{', '.join([f'*{prev}'] * 9)}]")
    path = write("model_card.yaml", "\n".join(lines) + "\n")
    # 9**10 values if expanded: only a stop at the node budget lets this return at all
    code, _, err = cli("validate", str(path))
    assert code == 1 and _located(err, path)
    assert f"expands to more than {MAX_NODES:,} values" in err


def test_duplicate_keys(cli: Run, write: Write) -> None:
    path = write("model_card.yaml", "kind: model_card\nname: a\nname: b\n")
    code, _, err = cli("validate", str(path))
    assert code == 1 and f"{path}:3:1" in err and "duplicate key 'name'" in err


def test_directory_is_unreadable(cli: Run, tmp_path: Path) -> None:
    code, _, err = cli("validate", str(tmp_path))
    assert code == 2 and "is a directory" in err


def test_missing_file_is_unreadable(cli: Run, tmp_path: Path) -> None:
    code, _, err = cli("validate", str(tmp_path / "nope.yaml"))
    assert code == 2 and "no such file" in err


def test_no_paths_and_no_project_file(
    cli: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = cli("validate")
    assert code == 2 and "govkit.yaml" in err


def test_every_file_is_reported_in_one_run(cli: Run, write: Write) -> None:
    bad_type = minimal("model_card")
    bad_type["contact"] = 42
    first = write("a_model_card.yaml", bad_type)
    second = write("b_dataset_card.yaml", "kind: dataset_card\nname: x\nname: y\n")
    missing = write("c.yaml", "x").with_name("gone.yaml")
    code, _, err = cli("validate", str(first), str(second), str(missing))
    assert code == 2  # the unreadable path wins, but every problem is listed
    assert f"{first}:" in err and f"{second}:" in err and f"{missing}:" in err


def test_json_and_markdown_documents(cli: Run, write: Write) -> None:
    data = minimal("experiment_plan")
    as_json = write("plan.json", json.dumps(data, default=str))
    import yaml

    front = "---\n" + yaml.safe_dump(minimal("model_card"), sort_keys=False) + "---\n\n# Body\n"
    as_md = write("model_card.md", front)
    for path in (as_json, as_md):  # one at a time: their references lie elsewhere
        code, _, err = cli("validate", str(path))
        assert code == 0, err


def test_json_error_is_located(cli: Run, write: Write) -> None:
    data = minimal("experiment_plan")
    data["study_type"] = "guesswork"
    path = write("plan.json", json.dumps(data, indent=2, default=str))
    code, _, err = cli("validate", str(path))
    assert code == 1 and _located(err, path) and "study_type" in err


def _line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


def test_json_errors_point_at_the_right_line(cli: Run, write: Write) -> None:
    data = minimal("experiment_plan")
    data["study_type"] = "guesswork"
    text = json.dumps(data, indent=2, default=str)
    path = write("plan.json", text)
    code, _, err = cli("validate", str(path))
    line = _line_of(text, '"guesswork"')
    assert code == 1 and f"{path}:{line}:" in err and "study_type" in err


def test_front_matter_errors_are_offset_by_the_opening_line(cli: Run, write: Write) -> None:
    import yaml

    data = minimal("model_card")
    data["contact"] = ["not", "a", "string"]
    data["licence"] = data.pop("license")
    text = "---\n" + yaml.safe_dump(data, sort_keys=False) + "---\n\n# Body\n"
    path = write("model_card.md", text)
    code, _, err = cli("validate", str(path))
    assert code == 1
    # the file's own line numbers, '---' included, not the YAML block's
    assert f"{path}:{_line_of(text, 'contact:')}:" in err
    assert f"{path}:{_line_of(text, 'licence:')}:1: error: licence: unknown key" in err


def test_front_matter_syntax_error_is_offset(cli: Run, write: Write) -> None:
    text = "---\nkind: model_card\nschema_version: 1\nmeta: [unclosed\n---\n# Body\n"
    path = write("model_card.md", text)
    code, _, err = cli("validate", str(path))
    assert code == 1 and "invalid YAML" in err
    located = [line for line in err.splitlines() if line.startswith(f"{path}:")]
    # the parser notices at the end of the block; never before the broken line
    assert located and int(located[0].split(":")[1]) >= _line_of(text, "unclosed")


def test_markdown_without_front_matter(cli: Run, write: Write) -> None:
    path = write("model_card.md", "# Just a heading\n")
    code, _, err = cli("validate", str(path))
    assert code == 1 and f"{path}:1:1" in err and "front matter" in err


def test_json_output(cli: Run, write: Write) -> None:
    data = minimal("model_card")
    data["licence"] = data.pop("license")
    path = write("model_card.yaml", data)
    code, out, _ = cli("validate", "--format", "json", str(path))
    payload = json.loads(out)
    assert code == 1 and payload["exit_code"] == 1 and not payload["ok"]
    assert payload["files"][0]["valid"] is False
    fields = {d["field"] for d in payload["diagnostics"]}
    assert {"licence", "license"} <= fields


def test_subprocess_has_no_traceback_and_no_heavy_imports(write: Write) -> None:
    data = minimal("model_card")
    data["contact"] = ["not", "a", "string"]
    path = write("model_card.yaml", data)
    probe = (
        "import sys\n"
        "from govkit.cli import main\n"
        f"code = main(['validate', {str(path)!r}])\n"
        "heavy = sorted(m for m in ('torch', 'numpy', 'pandas', 'shap', 'fairlearn', "
        "'weasyprint') if m in sys.modules)\n"
        "print('HEAVY', heavy)\n"
        "sys.exit(code)\n"
    )
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert f"{path}:" in proc.stderr and "contact" in proc.stderr
    assert "HEAVY []" in proc.stdout


def test_project_file_and_coverage_import_nothing_heavy() -> None:
    """The hook's usual run, govkit.yaml and its four documents, stays light too."""
    from tests.helpers import ADULT_DOCS

    project = ADULT_DOCS.parent / "govkit.yaml"
    probe = (
        "import sys\n"
        "from govkit.cli import main\n"
        f"code = main(['validate', '--coverage', {str(project)!r}])\n"
        "heavy = sorted(m for m in ('torch', 'numpy', 'pandas', 'shap', 'fairlearn', "
        "'weasyprint') if m in sys.modules)\n"
        "print('HEAVY', heavy)\n"
        "sys.exit(code)\n"
    )
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "5 file(s) checked: all valid" in proc.stderr
    assert "HEAVY []" in proc.stdout
