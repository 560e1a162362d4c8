"""govkit sign and verify --allowed-signers, end to end with real keys and ssh-keygen."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import pytest

from govkit.cli import main
from govkit.render.manifest import MANIFEST_NAME
from tests.reliability.outputs_support import snapshot
from tests.signing.helpers import Key, allowed_signers, needs_ssh_keygen, render, sign

pytestmark = needs_ssh_keygen


def _records(packet: Path) -> list[dict[str, object]]:
    body = json.loads((packet / "signatures.json").read_text(encoding="utf-8"))
    records = body["signatures"]
    assert isinstance(records, list)
    return records


def _documented_command(
    packet: Path, allowed: Path, record: dict[str, object]
) -> subprocess.CompletedProcess[bytes]:
    """``ssh-keygen -Y verify -n govkit-packet -f allowed_signers -I NAME -s FILE < manifest.json``."""
    with (packet / MANIFEST_NAME).open("rb") as manifest:
        return subprocess.run(
            [
                "ssh-keygen",
                "-Y",
                "verify",
                "-n",
                "govkit-packet",
                "-f",
                str(allowed),
                "-I",
                str(record["name"]),
                "-s",
                str(record["file"]),
            ],
            stdin=manifest,
            cwd=packet,
            capture_output=True,
            timeout=60,
            check=False,
        )


def test_two_signers_verify_with_govkit_and_with_ssh_keygen(
    packet: Path, keys: dict[str, Key], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    alice, bob = keys["alice"], keys["bob"]
    manifest = (packet / MANIFEST_NAME).read_bytes()
    assert sign(packet, alice, "head of model risk") == 0
    assert sign(packet, bob, "data protection officer") == 0
    assert (packet / MANIFEST_NAME).read_bytes() == manifest  # signing changes no packet file
    records = _records(packet)
    assert [r["file"] for r in records] == [
        "manifest.json.sig",
        "manifest.json.2-bob-example-org.sig",
    ]
    assert [r["role"] for r in records] == ["head of model risk", "data protection officer"]
    assert [r["key_type"] for r in records] == ["ED25519", "RSA"]
    assert {r["manifest_sha256"] for r in records} == {hashlib.sha256(manifest).hexdigest()}
    assert all(str(r["fingerprint"]).startswith("SHA256:") for r in records)

    allowed = allowed_signers(tmp_path / "allowed_signers", alice, bob)
    capsys.readouterr()
    assert main(["verify", str(packet), "--allowed-signers", str(allowed)]) == 0
    out = capsys.readouterr().out
    assert "signature valid: alice@example.org (head of model risk)" in out
    assert "signature valid: bob@example.org (data protection officer)" in out
    for record in records:  # the command the README documents, run as written
        proc = _documented_command(packet, allowed, record)
        assert proc.returncode == 0, proc.stderr
        assert f'Good "govkit-packet" signature for {record["name"]}' in proc.stdout.decode()


def test_without_allowed_signers_signatures_are_listed_not_verified(
    packet: Path, keys: dict[str, Key], capsys: pytest.CaptureFixture[str]
) -> None:
    assert sign(packet, keys["carol"], "auditor") == 0
    capsys.readouterr()
    assert main(["verify", str(packet)]) == 0  # signature files are not "extra"
    captured = capsys.readouterr()
    assert "signature present: carol@example.org (auditor)" in captured.out
    assert "not verified" in captured.out and "--allowed-signers" in captured.err
    assert "extra" not in captured.err


def test_a_signer_the_file_does_not_allow_is_named(
    packet: Path, keys: dict[str, Key], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert sign(packet, keys["alice"]) == 0
    assert sign(packet, keys["bob"], "approver") == 0
    allowed = allowed_signers(tmp_path / "allowed_signers", keys["alice"])
    capsys.readouterr()
    assert main(["verify", str(packet), "--allowed-signers", str(allowed)]) == 1
    err = capsys.readouterr().err
    assert "signature not allowed: bob@example.org (approver)" in err
    assert "alice" not in err
    # the same identity with another key is not allowed either
    impostor = tmp_path / "impostor"
    impostor.write_text(
        f"bob@example.org {keys['carol'].public_line}\nalice@example.org {keys['alice'].public_line}\n"
    )
    assert main(["verify", str(packet), "--allowed-signers", str(impostor)]) == 1
    assert "not allowed: bob@example.org" in capsys.readouterr().err


def test_a_tampered_manifest_fails_naming_each_signer(
    packet: Path, keys: dict[str, Key], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert sign(packet, keys["alice"], "head of model risk") == 0
    allowed = allowed_signers(tmp_path / "allowed_signers", keys["alice"])
    # an edit covered by a rewritten manifest: the files agree, the signature does not
    manifest = packet / MANIFEST_NAME
    manifest.write_bytes(manifest.read_bytes().replace(b'"warnings": []', b'"warnings": ["x"]'))
    capsys.readouterr()
    assert main(["verify", str(packet), "--allowed-signers", str(allowed)]) == 1
    err = capsys.readouterr().err
    assert "signature stale: alice@example.org (head of model risk)" in err
    # and a record rewritten to claim the new manifest: the signature itself fails
    body = json.loads((packet / "signatures.json").read_text())
    body["signatures"][0]["manifest_sha256"] = hashlib.sha256(manifest.read_bytes()).hexdigest()
    (packet / "signatures.json").write_text(json.dumps(body))
    assert main(["verify", str(packet), "--allowed-signers", str(allowed)]) == 1
    err = capsys.readouterr().err
    assert "signature failed: alice@example.org (head of model risk)" in err
    assert _documented_command(packet, allowed, body["signatures"][0]).returncode != 0


def test_rerender_identical_keeps_signatures_and_a_change_makes_them_stale(
    config: Path,
    packet: Path,
    keys: dict[str, Key],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    alice, bob = keys["alice"], keys["bob"]
    assert sign(packet, alice, "head of model risk") == 0
    assert sign(packet, bob, "data protection officer") == 0
    allowed = allowed_signers(tmp_path / "allowed_signers", alice, bob)
    signed = snapshot(packet)

    assert render(config, packet) == 0  # identical inputs: identical packet, signatures kept
    assert snapshot(packet) == signed
    assert not list(tmp_path.glob("packet.kept-*"))
    assert main(["verify", str(packet), "--allowed-signers", str(allowed)]) == 0

    card = config.parent / "docs" / "model_card.yaml"
    card.write_text(card.read_text().replace("doc_version: 0.1.0", "doc_version: 0.2.0"))
    capsys.readouterr()
    assert render(config, packet) == 0
    assert "2 signature(s) of the old packet no longer cover it" in capsys.readouterr().err
    assert not list(tmp_path.glob("packet.kept-*"))  # the signatures moved, nothing was left
    assert (packet / "manifest.json.sig").read_bytes() == signed["manifest.json.sig"]
    assert main(["verify", str(packet), "--allowed-signers", str(allowed)]) == 1
    err = capsys.readouterr().err
    assert "signature stale: alice@example.org (head of model risk)" in err
    assert "signature stale: bob@example.org (data protection officer)" in err
    report = (packet / "report.md").read_text()
    assert "alice@example.org" in report and "stale: signed manifest" in report

    # alice signs the new packet: her old signature is superseded, bob's is still stale
    assert sign(packet, alice, "head of model risk") == 0
    capsys.readouterr()
    assert main(["verify", str(packet), "--allowed-signers", str(allowed)]) == 1
    err = capsys.readouterr().err
    assert "stale: bob@example.org" in err and "stale: alice" not in err
    # a re-render of the same inputs lists the same earlier signatures, so alice's new one holds
    assert render(config, packet) == 0
    assert sign(packet, bob, "data protection officer") == 0
    before = snapshot(packet)
    assert render(config, packet) == 0
    assert snapshot(packet) == before
    capsys.readouterr()
    assert main(["verify", str(packet), "--allowed-signers", str(allowed)]) == 0
    assert "2 superseded" in capsys.readouterr().out


def test_signing_the_same_manifest_again_replaces_the_signature(
    packet: Path, keys: dict[str, Key]
) -> None:
    assert sign(packet, keys["alice"], "reviewer") == 0
    assert sign(packet, keys["alice"], "head of model risk") == 0
    records = _records(packet)
    assert len(records) == 1 and records[0]["role"] == "head of model risk"
    assert sorted(p.name for p in packet.glob("*.sig")) == ["manifest.json.sig"]


@pytest.mark.slow
def test_the_html_sign_off_lists_signatures_of_earlier_renders(
    config: Path, tmp_path: Path, keys: dict[str, Key]
) -> None:
    out = tmp_path / "html-packet"
    argv = ["render", "-c", str(config), "--format", "md,html", "--out", str(out)]
    assert main(argv) == 0
    html = (out / "packet.html").read_text()
    assert 'id="signatures"' in html and "Signed earlier renders" not in html
    assert sign(out, keys["alice"], "head of model risk <board>") == 0
    card = config.parent / "docs" / "model_card.yaml"
    card.write_text(card.read_text().replace("doc_version: 0.1.0", "doc_version: 0.3.0"))
    assert main(argv) == 0
    html = (out / "packet.html").read_text()
    section = html[html.index('id="signatures"') :]
    assert "alice@example.org" in section and "head of model risk &lt;board&gt;" in section
    assert ">stale</span>" in section
