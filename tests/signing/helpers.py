"""Real SSH keys made with ssh-keygen, a small real packet, and allowed_signers files."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from govkit.cli import main
from tests.helpers import build_report, make_project

needs_ssh_keygen = pytest.mark.skipif(
    shutil.which("ssh-keygen") is None,
    reason="ssh-keygen is missing: apt-get install openssh-client",
)


@dataclass(frozen=True)
class Key:
    """A private key file, its public line and the identity it signs as."""

    path: Path
    identity: str

    @property
    def public_line(self) -> str:
        kind, blob = Path(f"{self.path}.pub").read_text().split()[:2]
        return f"{kind} {blob}"


def make_key(
    folder: Path, name: str, kind: str, *, bits: int | None = None, passphrase: str = ""
) -> Key:
    """A fresh key made by ssh-keygen (``-t kind``), commented with ``name@example.org``."""
    identity = f"{name}@example.org"
    path = folder / f"{name}.key"
    argv = ["ssh-keygen", "-q", "-t", kind, "-N", passphrase, "-C", identity, "-f", str(path)]
    if bits is not None:
        argv += ["-b", str(bits)]
    subprocess.run(argv, check=True, stdin=subprocess.DEVNULL, capture_output=True, timeout=60)
    return Key(path, identity)


def allowed_signers(path: Path, *keys: Key) -> Path:
    """An allowed_signers file letting each key sign as its identity."""
    path.write_text("".join(f"{k.identity} {k.public_line}\n" for k in keys), encoding="utf-8")
    return path


def render(config: Path, out: Path) -> int:
    """Render the Markdown packet (fast: no WeasyPrint)."""
    return main(["render", "-c", str(config), "--format", "md", "--out", str(out)])


def project(root: Path) -> Path:
    """A project with the four minimal documents and a realistic report; returns govkit.yaml."""
    root.mkdir(parents=True, exist_ok=True)
    return make_project(root, report=build_report(n_rows=400))


def sign(packet: Path, key: Key, role: str = "reviewer", *extra: str) -> int:
    return main(["sign", str(packet), "--key", str(key.path), "--role", role, *extra])
