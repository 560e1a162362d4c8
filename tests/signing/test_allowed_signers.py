"""The allowed_signers reader: what ssh-keygen accepts passes, each syntax error is located."""

from __future__ import annotations

from pathlib import Path

import pytest

from govkit.cli import main
from govkit.errors import InputError
from govkit.signing.allowed_signers import parse_allowed_signers, read_allowed_signers
from tests.signing.helpers import Key, needs_ssh_keygen, sign


def test_valid_lines_with_options_comments_and_patterns(keys: dict[str, Key]) -> None:
    ed, rsa = keys["alice"].public_line, keys["bob"].public_line
    text = (
        "# the model-risk board\n"
        "\n"
        f"alice@example.org {ed} alice's laptop\n"
        f'  "bob@example.org,*@risk.example.org" namespaces="govkit-packet,git" {rsa}\n'
        f'carol@example.org cert-authority,valid-after="20250101",valid-before="20301231235959Z" {ed}\n'
    )
    signers = parse_allowed_signers(text, "allowed_signers")
    assert [s.line for s in signers] == [3, 4, 5]
    assert signers[1].principals == ("bob@example.org", "*@risk.example.org")
    assert [s.key_type for s in signers] == ["ssh-ed25519", "ssh-rsa", "ssh-ed25519"]


@pytest.mark.parametrize(
    ("line", "column", "words"),
    [
        ("alice@example.org", 1, "at least principals, a key type and a key"),
        ("alice@example.org ssh-ed25519", 1, "at least principals"),
        ("alice@example.org ssh-ed2551 AAAA", 19, "unknown key type 'ssh-ed2551'"),
        ("alice@example.org ssh-ed25519 !!notbase64", 31, "not valid base64"),
        (
            "alice@example.org ssh-rsa {ed}",
            27,
            "is a 'ssh-ed25519' key, but the line says 'ssh-rsa'",
        ),
        ("alice@example.org nosuch {ed_line}", 19, "unknown option 'nosuch'"),
        ("alice@example.org namespaces=git {ed_line}", 19, "must be in double quotes"),
        ('alice@example.org valid-after="tomorrow" {ed_line}', 19, "YYYYMMDD"),
        ('alice@example.org namespaces="git {ed_line}', 19, "double quote is never closed"),
        ("alice@example.org cert-authority ssh-ed25519", 34, "key itself is missing"),
    ],
)
def test_each_syntax_error_names_its_line_and_column(
    keys: dict[str, Key], line: str, column: int, words: str
) -> None:
    ed_line = keys["alice"].public_line
    bad = line.format(ed=ed_line.split()[1], ed_line=ed_line)
    text = f"# ok below\n{keys['bob'].identity} {keys['bob'].public_line}\n{bad}\n"
    with pytest.raises(InputError) as caught:
        parse_allowed_signers(text, "team/allowed_signers")
    rendered = caught.value.render()
    assert rendered.startswith(f"team/allowed_signers:3:{column}: error: "), rendered
    assert words in rendered
    assert "principals [options] keytype base64-key" in rendered


def test_an_empty_or_missing_file_is_refused(tmp_path: Path) -> None:
    empty = tmp_path / "allowed_signers"
    empty.write_text("# nobody yet\n")
    with pytest.raises(InputError, match="names no signer"):
        read_allowed_signers(empty)
    with pytest.raises(InputError, match="nope"):
        read_allowed_signers(tmp_path / "nope")


@needs_ssh_keygen
def test_options_are_honoured_as_ssh_keygen_reads_them(
    packet: Path, keys: dict[str, Key], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    alice = keys["alice"]
    assert sign(packet, alice, "reviewer") == 0
    allowed = tmp_path / "allowed_signers"
    allowed.write_text(
        f'{alice.identity} namespaces="govkit-packet",valid-after="20200101" {alice.public_line}\n'
    )
    assert main(["verify", str(packet), "--allowed-signers", str(allowed)]) == 0
    # a key allowed only for git commits may not sign packets
    allowed.write_text(f'{alice.identity} namespaces="git" {alice.public_line}\n')
    capsys.readouterr()
    assert main(["verify", str(packet), "--allowed-signers", str(allowed)]) == 1
    assert "not allowed: alice@example.org (reviewer)" in capsys.readouterr().err
