"""Running ``ssh-keygen``: the one place a key is used or a signature checked.

govkit does no cryptography of its own. Signing and checking are
``ssh-keygen -Y sign``, ``-Y check-novalidate`` and ``-Y verify``, run as a
subprocess with an explicit argument list (no shell), a timeout, and no way
to ask for a passphrase: it runs in its own session (no terminal to prompt
on), with stdin closed and ``SSH_ASKPASS`` and ``DISPLAY`` removed. An
encrypted key therefore works only through an ssh-agent that holds it
(``SSH_AUTH_SOCK`` is passed on), and otherwise fails at once instead of
hanging on a prompt nobody sees.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from govkit.errors import InputError
from govkit.signing import NAMESPACE

__all__ = [
    "INSTALL_HINT",
    "KeyInfo",
    "SignatureKey",
    "check_signature",
    "key_info",
    "key_is_encrypted",
    "sign_bytes",
    "verify_signer",
]

INSTALL_HINT = (
    "install OpenSSH's client tools (Debian/Ubuntu: apt-get install openssh-client; "
    "Fedora: dnf install openssh; macOS: included)"
)
_TIMEOUT_S = 60.0
# Variables that would let ssh-keygen ask for a passphrase through a helper program.
_PROMPTERS = ("SSH_ASKPASS", "SSH_ASKPASS_REQUIRE", "DISPLAY", "WAYLAND_DISPLAY")
_FINGERPRINT = re.compile(
    r"^(?P<bits>\d+) (?P<fp>SHA256:\S+) (?P<comment>.*) \((?P<type>[A-Z0-9-]+)\)$"
)
_GOOD = re.compile(r"with (?P<type>[A-Z0-9-]+) key (?P<fp>SHA256:\S+)")


@dataclass(frozen=True)
class KeyInfo:
    """What ``ssh-keygen -l`` says of a key: type, size, fingerprint and comment."""

    key_type: str
    bits: int
    fingerprint: str
    comment: str


@dataclass(frozen=True)
class SignatureKey:
    """The key a signature was made with, as ``ssh-keygen`` reports it."""

    key_type: str
    fingerprint: str


def _program() -> str:
    found = shutil.which("ssh-keygen")
    if found is None:
        raise InputError(f"ssh-keygen was not found on PATH; signatures need it: {INSTALL_HINT}")
    return found


def _run(args: list[str], *, data: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    env = {k: v for k, v in os.environ.items() if k not in _PROMPTERS}
    try:
        return subprocess.run(
            [_program(), *args],
            input=data,
            stdin=None if data is not None else subprocess.DEVNULL,
            capture_output=True,
            timeout=_TIMEOUT_S,
            env=env,
            start_new_session=True,  # no controlling terminal: a passphrase prompt cannot block
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise InputError(
            f"ssh-keygen {args[0]} {args[1] if len(args) > 1 else ''} did not finish within "
            f"{_TIMEOUT_S:g} s; is the ssh-agent or a hardware key waiting for a touch?"
        ) from None
    except OSError as err:
        raise InputError(f"cannot run ssh-keygen ({err.strerror}): {INSTALL_HINT}") from err


def _said(proc: subprocess.CompletedProcess[bytes]) -> str:
    text = (proc.stderr or b"").decode("utf-8", "replace") + (proc.stdout or b"").decode(
        "utf-8", "replace"
    )
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return "; ".join(lines[-3:]) or f"exit status {proc.returncode}"


def key_info(key: Path) -> KeyInfo:
    """Type, size, SHA-256 fingerprint and comment of ``key`` (a private or public key file).

    An OpenSSH private key carries its public half unencrypted, so this works
    on an encrypted key too; for older formats ssh-keygen reads ``KEY.pub``.
    """
    proc = _run(["-l", "-E", "sha256", "-f", str(key)])
    text = proc.stdout.decode("utf-8", "replace").strip()
    match = _FINGERPRINT.match(text.splitlines()[0]) if text else None
    if proc.returncode != 0 or match is None:
        raise InputError(f"--key {key}: not an SSH key ssh-keygen can read ({_said(proc)})")
    return KeyInfo(
        key_type=match["type"],
        bits=int(match["bits"]),
        fingerprint=match["fp"],
        comment="" if match["comment"] == "no comment" else match["comment"],
    )


def key_is_encrypted(key: Path) -> bool:
    """Whether ``key`` needs a passphrase (reading it with an empty one fails)."""
    proc = _run(["-y", "-P", "", "-f", str(key)])
    return proc.returncode != 0 and b"passphrase" in proc.stderr


def sign_bytes(key: Path, data: bytes) -> bytes:
    """An SSHSIG signature (armoured text) of ``data`` in the namespace ``govkit-packet``.

    The data is signed from a private copy in a temporary folder: ssh-keygen
    writes ``<file>.sig`` beside the file it signs, and must never write into
    the packet itself. Raises InputError with ssh-keygen's reason on failure.
    """
    with tempfile.TemporaryDirectory(prefix="govkit-sign-") as tmp:
        target = Path(tmp) / "manifest.json"
        target.write_bytes(data)
        proc = _run(["-Y", "sign", "-n", NAMESPACE, "-f", str(key), str(target)])
        signature = target.with_name("manifest.json.sig")
        if proc.returncode != 0 or not signature.is_file():
            if b"accessible by others" in proc.stderr:
                raise InputError(
                    f"--key {key}: other users can read this private key, so ssh-keygen "
                    f"refuses it; make it yours alone with `chmod 600 {key}`"
                )
            if key_is_encrypted(key):
                raise InputError(
                    f"--key {key}: the key is encrypted and no ssh-agent holds it; govkit "
                    f"never asks for a passphrase. Run `ssh-add {key}` (with SSH_AUTH_SOCK "
                    "set) and sign again"
                )
            raise InputError(f"--key {key}: ssh-keygen could not sign ({_said(proc)})")
        return signature.read_bytes()


def _with_signature(
    signature: bytes, args: list[str], data: bytes
) -> subprocess.CompletedProcess[bytes]:
    with tempfile.TemporaryDirectory(prefix="govkit-verify-") as tmp:
        sig = Path(tmp) / "signature.sig"
        sig.write_bytes(signature)
        return _run([*args, "-s", str(sig)], data=data)


def check_signature(signature: bytes, data: bytes) -> SignatureKey | None:
    """The key that made ``signature`` over ``data``, or None when it does not verify.

    This checks the signature alone (``-Y check-novalidate``), not whether
    its key is one a reviewer trusts: :func:`verify_signer` does that.
    """
    proc = _with_signature(signature, ["-Y", "check-novalidate", "-n", NAMESPACE], data)
    match = _GOOD.search(proc.stdout.decode("utf-8", "replace"))
    if proc.returncode != 0 or match is None:
        return None
    return SignatureKey(key_type=match["type"], fingerprint=match["fp"])


def verify_signer(signature: bytes, data: bytes, allowed_signers: Path, identity: str) -> bool:
    """Whether ``ssh-keygen -Y verify`` accepts ``signature`` for ``identity`` under the file."""
    proc = _with_signature(
        signature,
        ["-Y", "verify", "-n", NAMESPACE, "-f", str(allowed_signers), "-I", identity],
        data,
    )
    return proc.returncode == 0
