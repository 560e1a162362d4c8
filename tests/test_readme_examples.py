"""The README's code blocks must name real commands, flags and paths, and run.

Every shell line of the README is checked against the CLI (the command and
each flag exist) and the repository (each path exists, or is written by an
earlier line). The worked examples then run for real, in a copy of the
examples, so the front door cannot rot (once per session, see tests/readme.py:
the example tests read the same runs).
"""

from __future__ import annotations

import re
import shlex

import click
import pytest

from govkit.checks.base import Check
from govkit.cli import app
from tests.readme import ROOT, ReadmeRun, allowed_codes, blocks, program, shell_lines


def _ci_lines() -> list[list[str]]:
    """``run: govkit ...`` steps of the CI example."""
    found = []
    for body in blocks("yaml"):
        for raw in body.splitlines():
            match = re.match(r"\s*- run: (govkit .*)", raw)
            if match:
                found.append(shlex.split(match.group(1).split(" #", 1)[0]))
    return found


def _check_govkit_line(tokens: list[str]) -> None:
    ctx = click.Context(app, info_name="govkit")
    command = app.get_command(ctx, tokens[1])
    assert command is not None, f"README names an unknown command: {' '.join(tokens)}"
    known = {opt for p in command.params for opt in getattr(p, "opts", [])}
    known |= {"--help", "-h"}
    for token in tokens[2:]:
        if token.startswith("-"):
            flag = token.split("=", 1)[0]
            assert flag in known, f"README uses unknown flag {flag} of `govkit {tokens[1]}`"


def test_every_command_and_flag_exists() -> None:
    lines = shell_lines() + _ci_lines()
    assert len(lines) >= 8, "the README lost its examples"
    targets = set(re.findall(r"^([a-z][\w-]*):", (ROOT / "Makefile").read_text(), re.M))
    for tokens in lines:
        name = program(tokens)
        if name == "govkit":
            _check_govkit_line(tokens)
        elif name == "make":
            assert tokens[1] in targets, f"README names a missing make target: {tokens[1]}"


@pytest.mark.slow
def test_worked_examples_run(readme_run: ReadmeRun) -> None:
    runnable = readme_run.lines
    assert any(program(t) == "govkit" and t[1] == "verify" for t in runnable)
    for done in readme_run.ran:
        assert done.returncode in allowed_codes(done.tokens), (
            f"`{done.line}` exited {done.returncode}\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
        )
        assert "Traceback" not in done.stderr
        assert not done.missing, f"README path(s) {done.missing} do not exist after `{done.line}`"
    assert [done.tokens for done in readme_run.ran] == runnable
    packet = readme_run.root / "examples/adult/build/govkit/packet/packet.pdf"
    assert packet.stat().st_size > 10_000


def test_custom_check_example_is_a_working_check() -> None:
    (code,) = [b for b in blocks("python") if "class MeanAge" in b]
    namespace: dict[str, object] = {}
    exec(compile(code, "README.md", "exec"), namespace)
    cls = namespace["MeanAge"]
    assert isinstance(cls, type) and issubclass(cls, Check)
    assert cls.id == "data.mean_age"
    import numpy as np
    import pandas as pd

    from govkit.checks.context import CheckContext, Split

    frame = pd.DataFrame({"age": [20, 40, 60]})
    ctx = CheckContext(task="binary", seed=0, device="cpu", eval=Split("eval", frame, np.zeros(3)))
    evidence = cls().measure(ctx, cls.Params())
    assert evidence.measurements[0].value == 40.0
    toml = next(b for b in blocks("toml") if "govkit.checks" in b)
    assert '"data.mean_age" = "mypkg.checks:MeanAge"' in toml
