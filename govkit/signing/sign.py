"""Signing a packet: verify it, sign its manifest with ssh-keygen, record who signed.

Nothing is written unless every step succeeds: the key is checked (present,
of a supported type, usable without a prompt), the packet must verify
against its manifest, and the signature file and the new ``signatures.json``
are written together (:func:`govkit.atomic.write_all_atomic`) while holding
the packet folder's lock, so a render cannot swap the folder meanwhile.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from govkit.atomic import FolderLock, write_all_atomic
from govkit.errors import InputError
from govkit.signing.records import (
    SIGNATURES_NAME,
    SignatureRecord,
    check_identity,
    check_role,
    new_signature_file,
    signatures_bytes,
)
from govkit.signing.sshkeygen import KeyInfo, check_signature, key_info, sign_bytes

if TYPE_CHECKING:
    from govkit.render.verify import VerifyResult

__all__ = ["MIN_RSA_BITS", "sign_packet"]

#: RSA keys shorter than this are refused (NIST SP 800-57: 2048 bits at least).
MIN_RSA_BITS = 2048
_ACCEPTED = ("ED25519", "ED25519-SK", "ECDSA", "ECDSA-SK", "RSA")


def _check_key(key: Path) -> KeyInfo:
    if not key.exists():
        raise InputError(
            f"--key {key}: no such file; give the private key you sign with, "
            "e.g. --key ~/.ssh/id_ed25519 (create one with `ssh-keygen -t ed25519`)"
        )
    if not key.is_file():
        raise InputError(f"--key {key}: not a regular file; give the private key file")
    info = key_info(key)
    if info.key_type not in _ACCEPTED:
        raise InputError(
            f"--key {key}: {info.key_type} keys are not accepted (DSA is broken and "
            "OpenSSH has dropped it); use an ed25519 key: `ssh-keygen -t ed25519`"
        )
    if info.key_type == "RSA" and info.bits < MIN_RSA_BITS:
        raise InputError(
            f"--key {key}: a {info.bits}-bit RSA key is too short; use RSA of at least "
            f"{MIN_RSA_BITS} bits, or better an ed25519 key: `ssh-keygen -t ed25519`"
        )
    return info


def _verified(folder: Path) -> VerifyResult:
    """The packet's verification; InputError (exit 2) naming the problems when it fails."""
    from govkit.render.verify import verify_packet

    outcome = verify_packet(folder)
    if outcome.ok:
        return outcome
    problems = (
        [f"missing: {p}" for p in outcome.missing]
        + [f"altered: {p}" for p in outcome.altered]
        + [f"extra: {p}" for p in outcome.extra]
        + [f"inconsistent: {p}" for p in outcome.inconsistent]
    )
    raise InputError(
        f"{folder}: the packet does not verify, so it cannot be signed ("
        + "; ".join(problems[:10])
        + "). Render it again with `govkit render`, then sign"
    )


def sign_packet(
    folder: str | Path, key: str | Path, *, role: str = "", name: str | None = None
) -> SignatureRecord:
    """Sign ``folder/manifest.json`` with ``key`` and record it in ``signatures.json``.

    Parameters
    ----------
    folder
        A packet written by ``govkit render``; it must verify.
    key
        The signer's private key file (an encrypted key needs an ssh-agent
        that holds it).
    role
        The signer's role, as the sign-off section shows it.
    name
        The signer's identity, as allowed_signers files name it; default the
        key's comment.

    Returns
    -------
    SignatureRecord
        What was recorded. A signer (same identity and key) who signs the
        same manifest again replaces that signature; their signatures of
        earlier manifests stay, superseded.

    Raises
    ------
    InputError
        A missing, encrypted or unsupported key, or a packet that does not
        verify (exit 2); nothing is then written.
    """
    root = Path(folder)
    key_path = Path(key).expanduser()
    check_role(role)
    info = _check_key(key_path)
    identity = name if name is not None else info.comment
    if not identity:
        raise InputError(
            f"--key {key_path}: the key has no comment to name the signer by; pass "
            "--name with the identity your allowed_signers file uses (e.g. alice@example.org)"
        )
    check_identity(identity, "--name" if name is not None else f"--key {key_path}: its comment")
    if not root.is_dir():
        raise InputError(f"{root}: no such packet folder")
    with FolderLock(root):
        outcome = _verified(root)
        records, manifest = outcome.signatures, outcome.manifest_data
        signature = sign_bytes(key_path, manifest)
        made = check_signature(signature, manifest)
        if made is None or made.fingerprint != info.fingerprint:
            raise InputError(
                f"--key {key_path}: ssh-keygen signed with another key than {info.fingerprint} "
                "(an ssh-agent offering a different key?); nothing was written"
            )
        digest = hashlib.sha256(manifest).hexdigest()
        # Signing the same manifest again replaces that signature (a corrected role, say);
        # a signature of an earlier manifest stays, as history, superseded by this one.
        earlier = [
            r
            for r in records
            if (r.name, r.fingerprint, r.manifest_sha256) == (identity, info.fingerprint, digest)
        ]
        kept = [r for r in records if r not in earlier]
        record = SignatureRecord(
            file=earlier[0].file if earlier else new_signature_file(records, identity),
            name=identity,
            role=role,
            signed_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            key_type=info.key_type,
            key_bits=info.bits,
            fingerprint=info.fingerprint,
            manifest_sha256=digest,
            packet_id=outcome.packet_id,
        )
        write_all_atomic(
            {
                root / record.file: signature,
                root / SIGNATURES_NAME: signatures_bytes([*kept, record]),
            }
        )
    return record
