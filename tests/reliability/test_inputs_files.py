"""Hostile input files: nothing hangs, nothing reads without bound, nothing exits 3.

Each case is given to the command a user would give it to, in-process through
``govkit.cli.main``. An alarm turns a hang (a FIFO opened for reading blocks
until a writer comes) into a test failure instead of a stuck suite.
"""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from govkit.cli import main
from govkit.errors import InputError
from govkit.report import Report
from govkit.safe_read import (
    MAX_JSON_DEPTH,
    REPORT_CAP_ENV,
    ReadRefused,
    load_json_capped,
    read_capped,
)
from tests.helpers import build_report, make_project, write_report


class _Hang(Exception):
    pass


@pytest.fixture(autouse=True)
def _no_hang() -> Iterator[None]:
    def alarm(signum: int, frame: object) -> None:
        raise _Hang("the command did not return within 20 s")

    old = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(20)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


@pytest.fixture(scope="module")
def report() -> Report:
    return build_report(n_rows=400)


def _fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


def _loop(path: Path) -> Path:
    other = path.with_name(path.name + ".other")
    other.symlink_to(path.name)
    path.symlink_to(other.name)
    return path


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(args)
    captured = capsys.readouterr()
    err = captured.err + captured.out
    assert "Traceback" not in err and "internal error" not in err
    return code, err


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (_fifo, "named pipe (FIFO), not a regular file"),
        (lambda p: Path("/dev/zero"), "character device, not a regular file"),
        (_loop, "symlink loop"),
        (lambda p: p.parent, "is a directory"),
    ],
    ids=["fifo", "dev-zero", "symlink-loop", "directory"],
)
@pytest.mark.parametrize("command", ["validate", "check", "render", "verify"])
def test_non_regular_files_are_refused_with_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], make: object, expected: str, command: str
) -> None:
    target = make(tmp_path / "input.yaml")  # type: ignore[operator]
    config = make_project(tmp_path / "project")
    args = {
        "validate": ["validate", str(target)],
        "check": ["check", "-c", str(target)],
        "render": ["render", "-c", str(config), "--report", str(target), "--format", "md"],
        "verify": ["verify", str(target)],
    }[command]
    if command == "verify":
        # verify takes a folder and reads the manifest in it
        folder = tmp_path / "packet"
        folder.mkdir()
        if target.is_dir() and not target.is_symlink():
            (folder / "manifest.json").mkdir()
        else:
            os.symlink(target, folder / "manifest.json")
        args = ["verify", str(folder)]
    code, err = _run(args, capsys)
    assert code == 2
    assert expected in err
    assert not (tmp_path / "project" / "build" / "packet").exists()


def test_data_file_that_is_a_fifo_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = make_project(tmp_path)
    _fifo(tmp_path / "data.csv")
    # the suite measures what the minimal plan's criteria name, so the run reaches the data
    (tmp_path / "suite.yaml").write_text(
        "suite: 1\nname: s\nchecks:\n  - id: data.quality\n"
        "  - id: performance.classification\n    severity: warn\n",
        encoding="utf-8",
    )
    text = config.read_text(encoding="utf-8") + "suite: suite.yaml\n"
    config.write_text(text, encoding="utf-8")
    code, err = _run(["check", "-c", str(config)], capsys)
    assert code == 2 and "data.csv" in err, err


def test_symlinked_document_must_stay_inside_the_project(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = make_project(tmp_path / "project")
    docs = tmp_path / "project" / "docs"
    outside = tmp_path / "elsewhere.yaml"
    outside.write_bytes((docs / "model_card.yaml").read_bytes())
    (docs / "model_card.yaml").unlink()
    (docs / "model_card.yaml").symlink_to(outside)
    code, err = _run(["validate", str(config)], capsys)
    assert code == 2
    assert "model_card.yaml" in err and "outside" in err
    # render reads the same documents under the same rule
    code, err = _run(["render", "-c", str(config), "--format", "md"], capsys)
    assert code == 2 and "outside" in err
    # a link inside the project folder is an ordinary way to share a file
    inside = docs / "real_model_card.yaml"
    outside.rename(inside)
    (docs / "model_card.yaml").unlink()
    (docs / "model_card.yaml").symlink_to(inside.name)
    code, err = _run(["validate", str(config)], capsys)
    assert code in (0, 1) and "outside" not in err
    # named on the command line, the same outside link is the user's explicit choice
    link = tmp_path / "named.yaml"
    link.symlink_to(inside)
    code, _ = _run(["validate", str(link)], capsys)
    assert code in (0, 1)


def test_reads_stop_at_the_cap_plus_one_byte(tmp_path: Path) -> None:
    path = tmp_path / "doc.yaml"
    path.write_bytes(b"a" * 100)
    assert read_capped(path, cap=100) == b"a" * 100
    with pytest.raises(ReadRefused) as info:
        read_capped(path, cap=99)
    assert info.value.code == "too_large" and "over the 99-byte limit" in str(info.value)


def test_a_file_that_grows_past_its_size_is_cut_at_the_cap(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the size check passes (the stat says 10 bytes), then the file turns out
    # longer: the read itself must stop at cap + 1 bytes
    path = tmp_path / "growing.json"
    path.write_bytes(b"x" * 10)
    real_stat = os.stat

    def small_stat(p: object, *a: object, **k: object) -> os.stat_result:
        result = real_stat(p, *a, **k)  # type: ignore[arg-type]
        if str(p) == str(path):
            fields = list(result)
            fields[6] = 0  # st_size, as /proc files and growing files report
            return os.stat_result(fields)
        return result

    path.write_bytes(b"x" * 5000)
    monkeypatch.setattr(os, "stat", small_stat)
    with pytest.raises(ReadRefused) as info:
        read_capped(path, cap=1000)
    assert "more than 1,000" in str(info.value)


def test_report_cap_is_configurable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, report: Report
) -> None:
    path = write_report(report, tmp_path / "report.json")
    size = path.stat().st_size
    monkeypatch.setenv(REPORT_CAP_ENV, str(size - 1))
    config = make_project(tmp_path / "p")
    assert main(["render", "-c", str(config), "--report", str(path), "--format", "md"]) == 2
    monkeypatch.setenv(REPORT_CAP_ENV, str(size))
    assert main(["render", "-c", str(config), "--report", str(path), "--format", "md"]) == 0
    monkeypatch.setenv(REPORT_CAP_ENV, "lots")
    with pytest.raises(InputError, match=REPORT_CAP_ENV):
        load_json_capped(path, cap=__import__("govkit.safe_read").safe_read.report_cap())


def _report_text(report: Report) -> str:
    return report.model_dump_json(indent=2) + "\n"


@pytest.mark.parametrize(
    ("token", "shown"),
    [("NaN", "NaN"), ("Infinity", "Infinity"), ("-Infinity", "-Infinity"), ("1e999", "1e999")],
)
def test_non_finite_numbers_in_a_report_are_a_located_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], report: Report, token: str, shown: str
) -> None:
    text = _report_text(report)
    lines = text.splitlines(keepends=True)
    # the first measured value: replace the number, keep every other byte
    index = next(i for i, line in enumerate(lines) if '"value": ' in line)
    start = lines[index].index('"value": ') + len('"value": ')
    lines[index] = lines[index][:start] + token + ",\n"
    path = tmp_path / "report.json"
    path.write_text("".join(lines), encoding="utf-8")
    config = make_project(tmp_path / "p")
    code, err = _run(["render", "-c", str(config), "--report", str(path), "--format", "md"], capsys)
    assert code == 2
    assert f"report.json:{index + 1}:{start + 1}: {shown} is not a number JSON allows" in err
    # a NaN inside a string is text, not a number
    assert load_json_capped(_write(tmp_path / "s.json", '{"a": "NaN"}'), cap=100) == {"a": "NaN"}


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _deep(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH, 5_000, 200_000])
def test_deeply_nested_report_and_manifest_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], report: Report, depth: int
) -> None:
    text = _report_text(report)
    nested = text.replace('"details": {}', '"details": {"x": ' + _deep(depth) + "}", 1)
    assert nested != text
    path = _write(tmp_path / "report.json", nested)
    config = make_project(tmp_path / "p")
    code, err = _run(["render", "-c", str(config), "--report", str(path), "--format", "md"], capsys)
    assert code == 2 and f"nested deeper than {MAX_JSON_DEPTH} levels" in err
    line = nested[: nested.index('"x": ')].count("\n") + 1
    assert f"report.json:{line}:" in err  # located at the bracket one level too deep

    packet = tmp_path / "packet"
    packet.mkdir()
    _write(packet / "manifest.json", '{"files": ' + _deep(depth) + "}")
    code, err = _run(["verify", str(packet)], capsys)
    assert code == 2 and "manifest.json:1:" in err and "nested deeper" in err


def test_nesting_at_the_cap_is_accepted(tmp_path: Path) -> None:
    # the objects around the list count as levels: {"x": [[...]]} is depth + 1
    path = _write(tmp_path / "ok.json", '{"x": ' + _deep(MAX_JSON_DEPTH - 1) + "}")
    assert load_json_capped(path, cap=10**6)["x"] is not None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"a": ' + "9" * 5000 + "}", "not a readable"),
        ('{"a": 1', "1:8: not a readable"),
        ("\ufeff" + '{"a": "\udcff"}', "not UTF-8"),
    ],
    ids=["huge-integer", "truncated", "not-utf8"],
)
def test_malformed_json_is_input_error(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "r.json"
    path.write_bytes(text.encode("utf-8", "surrogateescape"))
    with pytest.raises(ReadRefused) as info:
        load_json_capped(path, cap=10**6)
    assert message in str(info.value)
    assert json  # the module is used for its errors above; keep the import honest
