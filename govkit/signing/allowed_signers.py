"""Reading an allowed_signers file, with every syntax error located to its line.

``ssh-keygen -Y verify`` reads the same file, but says only "Could not
verify signature" when a line is malformed, which a reviewer would take for
a bad signature. This reader checks the syntax first (ssh-keygen(1),
ALLOWED SIGNERS), so a typo is reported as ``FILE:LINE:COL: error: …`` with
the fix (exit 2), and a failed signature always means the signature:

    principals [options] keytype base64-key [comment]

``principals`` is a comma-separated list of identities or patterns;
``options`` is a comma-separated list of ``cert-authority``,
``namespaces="…"``, ``valid-after="…"`` and ``valid-before="…"``; the key
must decode to a key blob of the type the line names. Blank lines and lines
starting with ``#`` are comments.
"""

from __future__ import annotations

import base64
import binascii
import re
import struct
from dataclasses import dataclass
from pathlib import Path

from govkit.diagnostics import Diagnostic
from govkit.errors import InputError
from govkit.safe_read import read_capped

__all__ = ["KEY_TYPES", "AllowedSigner", "parse_allowed_signers", "read_allowed_signers"]

#: Public key types an allowed_signers line may name (ssh-keygen(1), sshd(8) AUTHORIZED_KEYS).
KEY_TYPES = frozenset(
    {
        "ssh-ed25519",
        "ssh-rsa",
        "ssh-dss",
        "ecdsa-sha2-nistp256",
        "ecdsa-sha2-nistp384",
        "ecdsa-sha2-nistp521",
        "sk-ssh-ed25519@openssh.com",
        "sk-ecdsa-sha2-nistp256@openssh.com",
    }
)
_MAX_BYTES = 1024 * 1024
_FLAG_OPTIONS = frozenset({"cert-authority"})
_VALUE_OPTIONS = frozenset({"namespaces", "valid-after", "valid-before"})
_TIMESTAMP = re.compile(r"^\d{8}(\d{4}(\d{2})?)?Z?$")
_FORMAT = "principals [options] keytype base64-key [comment]"


@dataclass(frozen=True)
class AllowedSigner:
    """One line of the file: who may sign, with which key."""

    principals: tuple[str, ...]
    key_type: str
    line: int


def _tokens(text: str) -> list[tuple[str, int]]:
    """Whitespace-separated fields (double quotes keep spaces), each with its 1-based column."""
    fields: list[tuple[str, int]] = []
    i = 0
    while i < len(text):
        if text[i] in " \t":
            i += 1
            continue
        start, quoted = i, False
        while i < len(text) and (quoted or text[i] not in " \t"):
            if text[i] == '"':
                quoted = not quoted
            i += 1
        if quoted:
            raise ValueError(f"{start + 1}: an opening double quote is never closed")
        fields.append((text[start:i], start + 1))
    return fields


def _split_options(text: str) -> list[str]:
    parts, current, quoted = [], "", False
    for ch in text:
        if ch == '"':
            quoted = not quoted
        if ch == "," and not quoted:
            parts.append(current)
            current = ""
        else:
            current += ch
    parts.append(current)
    return parts


def _option_problem(option: str) -> str | None:
    name, eq, value = option.partition("=")
    if not eq:
        if name in _FLAG_OPTIONS:
            return None
        if name in _VALUE_OPTIONS:
            return f'option {name} needs a value: {name}="…"'
        return f"unknown option {name!r}; expected cert-authority, namespaces, valid-after or valid-before"
    if name not in _VALUE_OPTIONS:
        return f"unknown option {name!r}; expected cert-authority, namespaces, valid-after or valid-before"
    if not (len(value) >= 2 and value.startswith('"') and value.endswith('"')):
        return f'the value of {name} must be in double quotes: {name}="{value.strip(chr(34))}"'
    inner = value[1:-1]
    if name != "namespaces" and not _TIMESTAMP.match(inner):
        return f"{name}={value}: expected a time as YYYYMMDD or YYYYMMDDHHMM[SS], optionally ending in Z"
    if name == "namespaces" and not inner.strip():
        return 'namespaces="" names no namespace; list them, e.g. namespaces="govkit-packet"'
    return None


def _key_problem(key_type: str, blob: str) -> str | None:
    try:
        raw = base64.b64decode(blob, validate=True)
    except (binascii.Error, ValueError):
        return "the key is not valid base64; copy the second field of the signer's .pub file"
    if len(raw) < 4:
        return "the key is too short to be an SSH public key"
    (size,) = struct.unpack(">I", raw[:4])
    named = raw[4 : 4 + size].decode("ascii", "replace")
    if named != key_type:
        return f"the key is a {named!r} key, but the line says {key_type!r}"
    return None


def _line(text: str, number: int, path: str) -> tuple[AllowedSigner | None, Diagnostic | None]:
    def error(column: int, message: str) -> tuple[None, Diagnostic]:
        return None, Diagnostic(path, number, column, "error", message, hint=f"expected {_FORMAT}")

    try:
        fields = _tokens(text)
    except ValueError as err:
        where, _, message = str(err).partition(": ")
        return error(int(where), message)
    if len(fields) < 3:
        return error(
            1,
            f"a line needs at least principals, a key type and a key; found {len(fields)} field(s)",
        )
    principals, _ = fields[0]
    at = 1
    if fields[1][0] not in KEY_TYPES:
        options, column = fields[1]
        if len(fields) < 4 and fields[2][0] in KEY_TYPES:
            return error(fields[2][1], f"the {fields[2][0]} key itself is missing after its type")
        if len(fields) < 4:
            return error(
                column,
                f"unknown key type {options!r}; expected one of {', '.join(sorted(KEY_TYPES))}",
            )
        for option in _split_options(options):
            problem = _option_problem(option)
            if problem:
                return error(column, problem)
        at = 2
    key_type, column = fields[at]
    if key_type not in KEY_TYPES:
        return error(
            column, f"unknown key type {key_type!r}; expected one of {', '.join(sorted(KEY_TYPES))}"
        )
    if len(fields) <= at + 1:
        return error(column, f"the {key_type} key itself is missing after its type")
    blob, column = fields[at + 1]
    problem = _key_problem(key_type, blob)
    if problem:
        return error(column, problem)
    names = tuple(p for p in principals.strip('"').split(",") if p)
    if not names:
        return error(1, "no principal: name who may sign, e.g. alice@example.org")
    return AllowedSigner(principals=names, key_type=key_type, line=number), None


def parse_allowed_signers(text: str, path: str) -> list[AllowedSigner]:
    """Every signer the file allows; InputError (exit 2) listing each malformed line."""
    signers: list[AllowedSigner] = []
    problems: list[Diagnostic] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        offset = len(raw) - len(raw.lstrip())
        signer, problem = _line(raw[offset:], number, path)
        if problem is not None:
            column = (problem.column or 1) + offset
            problems.append(
                Diagnostic(path, number, column, "error", problem.message, hint=problem.hint)
            )
        elif signer is not None:
            signers.append(signer)
    if problems:
        raise InputError(f"{path}: malformed allowed_signers file", diagnostics=problems)
    if not signers:
        raise InputError(
            f"{path}: names no signer; add a line `{_FORMAT}`, e.g. "
            "alice@example.org ssh-ed25519 AAAAC3Nz…"
        )
    return signers


def read_allowed_signers(path: str | Path) -> list[AllowedSigner]:
    """Read and check the allowed_signers file at ``path`` (a regular file, at most 1 MiB)."""
    shown = str(path)
    data = read_capped(path, shown, cap=_MAX_BYTES)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        raise InputError(
            f"{shown}:{line}: error: not UTF-8 text; an allowed_signers file is plain text"
        ) from None
    return parse_allowed_signers(text, shown)
