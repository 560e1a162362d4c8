"""The one top-level error handler: exit codes and no tracebacks."""

from __future__ import annotations

import subprocess
import sys

import click
import pytest

from govkit import __version__, cli
from govkit.errors import ConfigError


def test_version_and_module_entry() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "govkit", "--version"], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0
    assert proc.stdout.startswith(f"govkit {__version__} (govkit-rai; extras: ")


def test_usage_error_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["validate", "--no-such-flag"]) == 2
    assert "Traceback" not in capsys.readouterr().err


def test_expected_error_exits_with_its_code(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    @cli.app.command("boom-config")
    def boom() -> None:
        raise ConfigError("suite 'x' not found")

    try:
        assert cli.main(["boom-config"]) == 2
        err = capsys.readouterr().err
        assert "error: suite 'x' not found" in err
        assert "Traceback" not in err
    finally:
        cli.app.commands.pop("boom-config")


def test_bug_exits_3_and_interrupt_130(capsys: pytest.CaptureFixture[str]) -> None:
    @cli.app.command("boom-bug")
    def bug() -> None:
        raise ZeroDivisionError("oops")

    @cli.app.command("boom-int")
    def interrupt() -> None:
        raise KeyboardInterrupt

    try:
        assert cli.main(["boom-bug"]) == 3
        err = capsys.readouterr().err
        assert "internal error: ZeroDivisionError" in err
        assert "Traceback" not in err
        assert cli.main(["boom-int"]) == 130
    finally:
        cli.app.commands.pop("boom-bug")
        cli.app.commands.pop("boom-int")
    assert isinstance(cli.app, click.Group)
