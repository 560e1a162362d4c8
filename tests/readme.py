"""The README's code blocks, and one run of its worked examples in a copy of the examples.

The worked examples (train Adult, check it, print its stability table, render
and verify its packet, check German Credit) are the slowest thing the tests
run, and the example tests assert on the very same runs. So they run once per
session (the ``readme_run`` fixture of tests/conftest.py): the README test
asserts that every line ran, the example tests read the reports they wrote.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.DOTALL | re.MULTILINE)


def blocks(*languages: str) -> list[str]:
    """The bodies of the README's code blocks in these languages."""
    return [body for lang, body in FENCE.findall(README) if lang in languages]


def shell_lines() -> list[list[str]]:
    """Every command line of the README's shell blocks, split as a shell would."""
    lines = []
    for body in blocks("bash", "sh"):
        for raw in body.splitlines():
            line = raw.split(" #", 1)[0].strip()
            if line and not line.startswith("#"):
                lines.append(shlex.split(line))
    return lines


def program(tokens: list[str]) -> str:
    return tokens[0].removeprefix(".venv/bin/")


def runnable_lines() -> list[list[str]]:
    """The worked examples: the lines run through the virtualenv, in README order."""
    return [t for t in shell_lines() if t[0].startswith(".venv/bin/")]


def allowed_codes(tokens: list[str]) -> set[int]:
    """`govkit check` is the gate: 1 is its honest verdict, not a broken example."""
    return {0, 1} if program(tokens) == "govkit" and tokens[1] == "check" else {0}


def paths(tokens: list[str]) -> list[str]:
    """The arguments of a line that name files or folders."""
    return [
        t
        for t in tokens[1:]
        if not t.startswith("-") and ("/" in t or t.endswith((".yaml", ".py")))
    ]


def copy_examples(dest: Path) -> None:
    skip = shutil.ignore_patterns("build", "artifacts", "__pycache__")
    shutil.copytree(ROOT / "examples", dest / "examples", ignore=skip)


def argv(tokens: list[str]) -> list[str]:
    name = program(tokens)
    if name == "python":
        return [sys.executable, *tokens[1:]]
    if name == "govkit":
        return [sys.executable, "-m", "govkit", *tokens[1:]]
    raise AssertionError(f"unexpected program in a worked example: {tokens[0]}")


@dataclass(frozen=True)
class Ran:
    """One worked-example line as it ran: its exit code, output, and paths not there after it."""

    tokens: list[str]
    returncode: int
    stdout: str
    stderr: str
    missing: list[str]

    @property
    def line(self) -> str:
        return " ".join(self.tokens)


@dataclass(frozen=True)
class ReadmeRun:
    """The worked examples run in ``root`` (a copy of the examples), line by line."""

    root: Path
    lines: list[list[str]]
    ran: list[Ran]

    def find(self, *tokens: str) -> Ran:
        """The run of the line that is exactly ``tokens`` after its program."""
        for done in self.ran:
            if done.tokens[1:] == list(tokens):
                return done
        planned = [t[1:] for t in self.lines]
        if list(tokens) in planned:
            raise AssertionError(
                f"`{' '.join(tokens)}` did not run: an earlier README line failed "
                f"({self.ran[-1].line} exited {self.ran[-1].returncode})"
            )
        raise AssertionError(f"the README's worked examples no longer run `{' '.join(tokens)}`")


def run_worked_examples(root: Path) -> ReadmeRun:
    """Run the README's worked examples in a copy of the examples under ``root``.

    Stops at the first line that fails, as a user following the README would:
    the lines after it need what it writes.
    """
    lines = runnable_lines()
    copy_examples(root)
    ran: list[Ran] = []
    for tokens in lines:
        proc = subprocess.run(
            argv(tokens), cwd=root, capture_output=True, text=True, timeout=300, check=False
        )
        missing = [path for path in paths(tokens) if not (root / path).exists()]
        ran.append(Ran(tokens, proc.returncode, proc.stdout, proc.stderr, missing))
        if proc.returncode not in allowed_codes(tokens):
            break
    return ReadmeRun(root, lines, ran)
