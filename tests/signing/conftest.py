"""Keys are made once per session (RSA takes a moment); packets once per test."""

from __future__ import annotations

import contextlib
import subprocess
from pathlib import Path

import pytest

from tests.signing.helpers import Key, make_key, project, render


@pytest.fixture(scope="session")
def keys(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Key]:
    folder = tmp_path_factory.mktemp("keys")
    made = {
        "alice": make_key(folder, "alice", "ed25519"),
        "bob": make_key(folder, "bob", "rsa", bits=2048),
        "carol": make_key(folder, "carol", "ecdsa"),
        "locked": make_key(folder, "locked", "ed25519", passphrase="correct horse"),
        "short": make_key(folder, "short", "rsa", bits=1024),
    }
    # OpenSSH 9.8 and later are built without DSA; the refusal test then skips
    with contextlib.suppress(subprocess.CalledProcessError):
        made["dsa"] = make_key(folder, "dsa", "dsa")
    return made


@pytest.fixture
def config(tmp_path: Path) -> Path:
    return project(tmp_path / "project")


@pytest.fixture
def packet(config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    out = tmp_path / "packet"
    assert render(config, out) == 0
    capsys.readouterr()
    return out


@pytest.fixture(autouse=True)
def no_agent(monkeypatch: pytest.MonkeyPatch) -> None:
    """No ssh-agent: an encrypted key must fail, not be rescued by the developer's agent."""
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)
