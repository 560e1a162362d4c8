"""``signatures.json``: who signed a packet's manifest, in which role, when, and which manifest.

The file sits beside ``manifest.json`` and is not listed in it (a signature
cannot be part of what it signs). Each record names its signature file, the
signer's identity (the principal an allowed_signers file names), role, time
(UTC), key type and SHA-256 fingerprint, and the SHA-256 of the manifest
that was signed. That last field is what makes a signature *stale*: when a
re-render changes any file, the manifest changes, and a signature of the
old manifest no longer covers the packet, which ``govkit verify`` reports.

Signature files keep the layout ``ssh-keygen -Y verify -s FILE <
manifest.json`` needs: ``manifest.json.sig`` for the first signer, then
``manifest.json.<n>-<name>.sig``, all beside the manifest (a packet holds
no folders).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from govkit.errors import InputError
from govkit.safe_read import parse_json_bytes, read_capped

__all__ = [
    "FIRST_SIGNATURE",
    "SIGNATURES_NAME",
    "SignatureRecord",
    "SignatureRow",
    "check_identity",
    "check_role",
    "load_signatures",
    "new_signature_file",
    "signature_paths",
    "signature_rows",
    "signatures_bytes",
]

SIGNATURES_NAME = "signatures.json"
FIRST_SIGNATURE = "manifest.json.sig"
SIGNATURES_VERSION = 1
_MAX_BYTES = 4 * 1024 * 1024
_SIG_FILE = re.compile(r"^manifest\.json(\.[0-9]{1,4}-[a-z0-9-]{1,40})?\.sig$")
# A principal as allowed_signers and `ssh-keygen -I` take it: no spaces, commas,
# quotes or pattern characters, so the same text works in both places.
_IDENTITY = re.compile(r"^[^\s,\"'*?!#]{1,200}$")
_HEX = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class SignatureRecord:
    """One signature of the manifest, as ``signatures.json`` records it."""

    file: str
    name: str
    role: str
    signed_at: str
    key_type: str
    key_bits: int
    fingerprint: str
    manifest_sha256: str
    packet_id: str | None = None


@dataclass(frozen=True)
class SignatureRow:
    """A signature as the packet's sign-off section shows it."""

    name: str
    role: str
    signed_at: str
    key: str
    fingerprint: str
    signed_manifest: str
    stale: bool


def check_identity(name: str, what: str = "--name") -> str:
    """``name`` when it can be an allowed_signers principal; InputError (exit 2) otherwise."""
    if not _IDENTITY.match(name):
        raise InputError(
            f"{what} {name!r}: expected the identity your allowed_signers file names "
            "(e.g. alice@example.org): 1 to 200 characters, without spaces, commas, "
            "quotes or the pattern characters * ? ! #"
        )
    return name


def check_role(role: str, what: str = "--role") -> str:
    """``role`` when it is one printable line of at most 200 characters."""
    if len(role) > 200 or not role.isprintable():
        raise InputError(f"{what} {role[:40]!r}: expected one line of at most 200 characters")
    return role


def _slug(name: str) -> str:
    text = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return text[:40].strip("-") or "signer"


def new_signature_file(records: Sequence[SignatureRecord], name: str) -> str:
    """The file a new signer's signature goes to: ``manifest.json.sig`` first, then numbered."""
    used = {r.file for r in records}
    if FIRST_SIGNATURE not in used:
        return FIRST_SIGNATURE
    n = len(records) + 1
    while f"manifest.json.{n}-{_slug(name)}.sig" in used:
        n += 1
    return f"manifest.json.{n}-{_slug(name)}.sig"


def _field(item: dict[str, Any], key: str, where: str) -> str:
    value = item.get(key)
    if not isinstance(value, str):
        raise InputError(f"{where}.{key}: expected a string")
    return value


def _record(item: object, where: str) -> SignatureRecord:
    if not isinstance(item, dict):
        raise InputError(f"{where}: expected an object")
    file = _field(item, "file", where)
    if not _SIG_FILE.match(file):
        raise InputError(
            f"{where}.file {file[:60]!r}: expected manifest.json.sig or "
            "manifest.json.<n>-<name>.sig beside the manifest"
        )
    digest = _field(item, "manifest_sha256", where)
    if not _HEX.match(digest):
        raise InputError(f"{where}.manifest_sha256: expected 64 lowercase hexadecimal characters")
    bits = item.get("key_bits")
    if not isinstance(bits, int) or isinstance(bits, bool) or bits <= 0:
        raise InputError(f"{where}.key_bits: expected a positive integer")
    packet_id = item.get("packet_id")
    if packet_id is not None and not isinstance(packet_id, str):
        raise InputError(f"{where}.packet_id: expected a string or null")
    return SignatureRecord(
        file=file,
        name=check_identity(_field(item, "name", where), f"{where}.name"),
        role=check_role(_field(item, "role", where), f"{where}.role"),
        signed_at=_field(item, "signed_at", where),
        key_type=_field(item, "key_type", where),
        key_bits=bits,
        fingerprint=_field(item, "fingerprint", where),
        manifest_sha256=digest,
        packet_id=packet_id,
    )


def load_signatures(folder: Path) -> list[SignatureRecord]:
    """The records of ``folder/signatures.json``; [] when there is none.

    Raises InputError (exit 2) naming the file and the record when it is
    malformed, or when two records claim the same signature file.
    """
    path = folder / SIGNATURES_NAME
    if not path.exists() and not path.is_symlink():
        return []
    shown = str(path)
    raw = parse_json_bytes(read_capped(path, shown, cap=_MAX_BYTES), shown, what=SIGNATURES_NAME)
    if not isinstance(raw, dict) or not isinstance(raw.get("signatures"), list):
        raise InputError(f"{shown}: expected an object with a `signatures` list")
    if raw.get("signatures_version") != SIGNATURES_VERSION:
        raise InputError(
            f"{shown}: signatures_version {raw.get('signatures_version')!r} is not "
            f"{SIGNATURES_VERSION}; it was written by another govkit version"
        )
    records = [
        _record(item, f"{shown}: signatures[{i}]") for i, item in enumerate(raw["signatures"])
    ]
    files = [r.file for r in records]
    repeated = sorted({f for f in files if files.count(f) > 1})
    if repeated:
        raise InputError(f"{shown}: {repeated[0]} is claimed by more than one signature")
    return records


def signatures_bytes(records: Sequence[SignatureRecord]) -> bytes:
    """The bytes of ``signatures.json`` for ``records`` (stable: sorted keys, fixed layout)."""
    from govkit.signing import NAMESPACE

    body = {
        "signatures_version": SIGNATURES_VERSION,
        "namespace": NAMESPACE,
        "signatures": [asdict(r) for r in records],
    }
    return (json.dumps(body, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


def signature_paths(folder: Path) -> set[str]:
    """The signature files of a packet (``signatures.json`` and those it names), never in its manifest."""
    records = load_signatures(folder)
    if not records and not (folder / SIGNATURES_NAME).exists():
        return set()
    return {SIGNATURES_NAME, *(r.file for r in records)}


def signature_rows(
    records: Sequence[SignatureRecord], current_sha256: str | None
) -> tuple[SignatureRow, ...]:
    """The sign-off section's rows: each record, stale unless it signed ``current_sha256``."""
    return tuple(
        SignatureRow(
            name=r.name,
            role=r.role or "—",
            signed_at=r.signed_at,
            key=f"{r.key_type} {r.key_bits}-bit",
            fingerprint=r.fingerprint,
            signed_manifest=r.manifest_sha256[:16],
            stale=r.manifest_sha256 != current_sha256,
        )
        for r in records
    )
