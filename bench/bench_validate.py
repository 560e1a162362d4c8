"""Time `govkit validate` on 200 documents beside check-jsonschema on the same files.

Both run as subprocesses, so interpreter start-up is included: that is what a
pre-commit hook costs. govkit does more than the JSON Schema check (located
diagnostics, cross-document rules, lint), so the ratio is an upper bound on
what the extra checks cost. It also times one run per kind of bad input
(each should return within a second). Prints, never asserts.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
MINIMAL = REPO / "examples" / "minimal"
KINDS = ("dataset_card", "model_card", "experiment_plan", "risk_checklist")
N_SETS = 50  # 4 documents each: 200 documents


def _generate(folder: Path) -> dict[str, list[Path]]:
    """N_SETS copies of the minimal set, each with its own ids, as JSON-compatible YAML."""
    templates = {k: (MINIMAL / f"{k}.yaml").read_text(encoding="utf-8") for k in KINDS}
    files: dict[str, list[Path]] = {k: [] for k in KINDS}
    for i in range(N_SETS):
        for kind, text in templates.items():
            text = text.replace("minimal-", f"set{i:03d}-")
            # dates as quoted strings: JSON Schema validators read YAML dates as strings
            data = yaml.safe_load(text)
            path = folder / f"set{i:03d}_{kind}.yaml"
            path.write_text(
                yaml.safe_dump(_stringify_dates(data), sort_keys=False), encoding="utf-8"
            )
            files[kind].append(path)
    return files


def _stringify_dates(value: object) -> object:
    import datetime

    if isinstance(value, dict):
        return {k: _stringify_dates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_stringify_dates(v) for v in value]
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def _time(commands: list[list[str]]) -> tuple[float, list[int]]:
    started = time.perf_counter()
    codes = [subprocess.run(cmd, capture_output=True, text=True).returncode for cmd in commands]
    return time.perf_counter() - started, codes


def _bad_inputs(folder: Path) -> dict[str, Path]:
    """One file per kind of bad input the tests refuse; each should return at once."""
    lol = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i, name in enumerate("bcdefghij"):
        lol.append(f"{name}: &{name} [{', '.join(['*' + 'abcdefghij'[i]] * 9)}]")
    contents: dict[str, bytes] = {
        "invalid syntax": b"kind: model_card\nmeta: [unclosed\n",
        "empty file": b"",
        "binary file": b"\x89PNG\r\n\x1a\n\x00\x00",
        "not UTF-8": "kind: model_card\nname: caf\xe9\n".encode("latin-1"),
        "duplicate keys": b"kind: model_card\nname: a\nname: b\n",
        "50 MB file": b"# " + b"x" * (50 * 1024 * 1024) + b"\n",
        "billion laughs": ("kind: model_card\n" + "\n".join(lol) + "\n").encode(),
    }
    paths = {}
    for i, (label, data) in enumerate(contents.items()):
        path = folder / f"bad{i}_model_card.yaml"
        path.write_bytes(data)
        paths[label] = path
    paths["missing file"] = folder / "missing_model_card.yaml"
    paths["directory"] = folder
    return paths


def main() -> int:
    bin_dir = Path(sys.executable).parent
    govkit = shutil.which("govkit", path=str(bin_dir)) or "govkit"
    checker = shutil.which("check-jsonschema", path=str(bin_dir))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        bad = folder / "bad"
        bad.mkdir()
        for label, path in _bad_inputs(bad).items():
            seconds, codes = _time([[govkit, "validate", str(path)]])
            print(f"bad input, {label}: {seconds:.2f} s (exit {codes[0]})")
        files = _generate(folder)
        every = [str(p) for k in KINDS for p in files[k]]
        govkit_s, codes = _time([[govkit, "validate", *every]])
        print(
            f"govkit validate, {len(every)} documents (one process): {govkit_s:.2f} s "
            f"(exit {codes[0]})"
        )
        if checker is None:
            print("check-jsonschema is not installed; no anchor to compare with")
            return 0
        schemas = REPO / "schemas"
        anchor_s, codes = _time([
            [checker, "--schemafile", str(schemas / f"{k}.schema.json"), *map(str, files[k])]
            for k in KINDS
        ])  # fmt: skip
        print(
            f"check-jsonschema, same documents (one process per kind): {anchor_s:.2f} s "
            f"(exits {codes})"
        )
        print(f"ratio govkit / check-jsonschema: {govkit_s / anchor_s:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
