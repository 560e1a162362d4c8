"""Bad input to sign and verify: a clear error (exit 2) that changes nothing.

Also here: an encrypted key works through the ssh-agent that holds it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from govkit.cli import main
from tests.reliability.outputs_support import snapshot
from tests.signing.helpers import Key, allowed_signers, needs_ssh_keygen, sign

pytestmark = needs_ssh_keygen


def _refused(packet: Path, argv: list[str], capsys: pytest.CaptureFixture[str], *words: str) -> str:
    """Run ``argv``; expect exit 2, no traceback, the packet folder and its siblings unchanged."""
    before = snapshot(packet.parent)
    capsys.readouterr()
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "internal error" not in err
    for word in words:
        assert word in err, err
    assert snapshot(packet.parent) == before
    return err


def test_a_missing_key(packet: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = packet.parent / "no-such-key"
    _refused(
        packet,
        ["sign", str(packet), "--key", str(missing)],
        capsys,
        str(missing),
        "no such file",
        "ssh-keygen -t ed25519",
    )


def test_an_encrypted_key_without_an_agent(
    packet: Path, keys: dict[str, Key], capsys: pytest.CaptureFixture[str]
) -> None:
    # no terminal, no SSH_ASKPASS, no agent (see conftest): it fails at once, it never prompts
    _refused(
        packet,
        ["sign", str(packet), "--key", str(keys["locked"].path)],
        capsys,
        "encrypted",
        "ssh-add",
    )


@pytest.mark.parametrize(("key", "words"), [("short", "1024-bit RSA"), ("dsa", "DSA keys")])
def test_an_unsupported_key_type(
    packet: Path, keys: dict[str, Key], capsys: pytest.CaptureFixture[str], key: str, words: str
) -> None:
    if key not in keys:
        pytest.skip("this ssh-keygen cannot make DSA keys")
    _refused(packet, ["sign", str(packet), "--key", str(keys[key].path)], capsys, words)


def test_a_file_that_is_not_a_key(packet: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _refused(
        packet,
        ["sign", str(packet), "--key", str(packet / "report.md")],
        capsys,
        "not an SSH key",
    )


def test_a_packet_that_does_not_verify(
    packet: Path, keys: dict[str, Key], capsys: pytest.CaptureFixture[str]
) -> None:
    report = packet / "report.md"
    report.write_text(report.read_text() + "\nApproved.\n")
    err = _refused(
        packet,
        ["sign", str(packet), "--key", str(keys["alice"].path)],
        capsys,
        "does not verify",
        "altered: report.md",
    )
    assert "govkit render" in err


def test_a_name_allowed_signers_cannot_hold(
    packet: Path, keys: dict[str, Key], capsys: pytest.CaptureFixture[str]
) -> None:
    _refused(
        packet,
        ["sign", str(packet), "--key", str(keys["alice"].path), "--name", "Alice Example"],
        capsys,
        "--name 'Alice Example'",
        "without spaces",
    )


def test_an_allowed_signers_file_with_a_syntax_error(
    packet: Path, keys: dict[str, Key], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert sign(packet, keys["alice"]) == 0
    allowed = allowed_signers(tmp_path / "allowed_signers", keys["alice"])
    text = allowed.read_text()
    allowed.write_text(f"# reviewers\n{text}bob@example.org ssh-ed2551 AAAA\n")
    _refused(
        packet,
        ["verify", str(packet), "--allowed-signers", str(allowed)],
        capsys,
        f"{allowed}:3:17: error: unknown key type 'ssh-ed2551'",
        "principals [options] keytype base64-key",
    )


def test_a_malformed_signatures_json(packet: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (packet / "signatures.json").write_text(
        '{"signatures_version": 1, "signatures": [{"file": "../x"}]}'
    )
    _refused(packet, ["verify", str(packet)], capsys, "signatures.json", "signatures[0]")


def test_without_ssh_keygen_the_error_says_how_to_install_it(
    packet: Path,
    keys: dict[str, Key],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PATH", str(packet.parent / "empty-bin"))
    _refused(
        packet,
        ["sign", str(packet), "--key", str(keys["alice"].path)],
        capsys,
        "ssh-keygen was not found",
        "openssh-client",
    )


@pytest.mark.skipif(
    shutil.which("ssh-agent") is None or shutil.which("ssh-add") is None, reason="no ssh-agent"
)
def test_an_encrypted_key_held_by_an_agent_signs(
    packet: Path, keys: dict[str, Key], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    socket = tmp_path / "agent.sock"
    agent = subprocess.Popen(["ssh-agent", "-D", "-a", str(socket)], stdout=subprocess.DEVNULL)
    try:
        for _ in range(100):
            if socket.exists():
                break
            time.sleep(0.05)
        askpass = tmp_path / "askpass"
        askpass.write_text("#!/bin/sh\necho 'correct horse'\n")
        askpass.chmod(0o700)
        env = {
            **os.environ,
            "SSH_AUTH_SOCK": str(socket),
            "SSH_ASKPASS": str(askpass),
            "SSH_ASKPASS_REQUIRE": "force",
            "DISPLAY": ":0",
        }
        subprocess.run(
            ["ssh-add", str(keys["locked"].path)],
            env=env,
            check=True,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=30,
            start_new_session=True,
        )
        monkeypatch.setenv("SSH_AUTH_SOCK", str(socket))
        assert sign(packet, keys["locked"], "reviewer") == 0
        allowed = allowed_signers(tmp_path / "allowed_signers", keys["locked"])
        assert main(["verify", str(packet), "--allowed-signers", str(allowed)]) == 0
    finally:
        agent.terminate()
        agent.wait(timeout=10)


def test_render_refuses_a_packet_whose_signatures_it_cannot_read(
    config: Path, packet: Path, keys: dict[str, Key], capsys: pytest.CaptureFixture[str]
) -> None:
    assert sign(packet, keys["alice"]) == 0
    (packet / "signatures.json").write_text('{"signatures_version": 1, "signatures": "all"}')
    argv = ["render", "-c", str(config), "--format", "md", "--out", str(packet)]
    _refused(packet, argv, capsys, "signatures.json", "`signatures` list")


def test_a_signature_file_signatures_json_does_not_name_is_extra(
    config: Path, packet: Path, keys: dict[str, Key], capsys: pytest.CaptureFixture[str]
) -> None:
    assert sign(packet, keys["alice"]) == 0
    (packet / "manifest.json.9-mallory.sig").write_bytes(
        (packet / "manifest.json.sig").read_bytes()
    )
    capsys.readouterr()
    assert main(["verify", str(packet)]) == 1
    assert "extra: manifest.json.9-mallory.sig" in capsys.readouterr().err
    argv = ["render", "-c", str(config), "--format", "md", "--out", str(packet)]
    _refused(packet, argv, capsys, "manifest.json.9-mallory.sig")


def test_a_signature_made_while_rendering_is_never_dropped(
    config: Path,
    packet: Path,
    keys: dict[str, Key],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from govkit.render import packet as packet_module
    from govkit.signing.carry import Carried, read_carried

    calls: list[Path] = []

    def signed_meanwhile(folder: Path) -> Carried:
        # the first look (before rendering) sees no signature; the one under the lock sees it
        calls.append(folder)
        return Carried() if len(calls) == 1 else read_carried(folder)

    assert sign(packet, keys["alice"]) == 0
    monkeypatch.setattr(packet_module, "read_carried", signed_meanwhile)
    argv = ["render", "-c", str(config), "--format", "md", "--out", str(packet)]
    _refused(packet, argv, capsys, "signed while it was being rendered")
    assert len(calls) == 2


def test_a_key_others_can_read(
    packet: Path, keys: dict[str, Key], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shared = tmp_path / "shared.key"
    shared.write_bytes(keys["alice"].path.read_bytes())
    shared.chmod(0o644)
    argv = ["sign", str(packet), "--key", str(shared), "--name", "alice@example.org"]
    _refused(packet, argv, capsys, f"chmod 600 {shared}")
