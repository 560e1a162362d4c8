"""Checking a packet's signatures: stale, failed, not allowed, or good.

The order of the questions is the order in which a reviewer would act on
the answers:

1. *stale*: the signature was made over another manifest than the packet's
   (``manifest_sha256`` in signatures.json): the packet was re-rendered or
   changed after signing, and the signer must sign again. Once they have
   (same identity, same key), the old signature is *superseded*: kept as
   history, no longer a problem;
2. *missing*: the signature file is gone;
3. *failed*: ``ssh-keygen -Y check-novalidate`` rejects the signature over
   the manifest, or it was made with another key than signatures.json
   records (an edited manifest or record);
4. *not allowed*: the signature is sound, but ``ssh-keygen -Y verify``
   finds no line of the allowed_signers file that lets this signer sign
   with this key in the ``govkit-packet`` namespace.

Without an allowed_signers file only the first two are answered (no
subprocess runs); a signature is then *present*, not verified.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from govkit.safe_read import ReadRefused, read_capped
from govkit.signing.records import SignatureRecord

__all__ = ["SignatureState", "SignatureStatus", "check_signatures"]

SignatureState = Literal[
    "valid", "present", "superseded", "stale", "missing", "failed", "not_allowed"
]
_SIG_CAP = 64 * 1024


@dataclass(frozen=True)
class SignatureStatus:
    """One signature's verdict, with the sentence that explains it."""

    record: SignatureRecord
    state: SignatureState
    detail: str

    @property
    def ok(self) -> bool:
        return self.state in ("valid", "present", "superseded")

    @property
    def who(self) -> str:
        return f"{self.record.name} ({self.record.role})" if self.record.role else self.record.name


def _status(
    folder: Path,
    record: SignatureRecord,
    manifest: bytes,
    current: str,
    allowed_signers: Path | None,
    resigned: set[tuple[str, str]],
) -> SignatureStatus:
    if record.manifest_sha256 != current and (record.name, record.fingerprint) in resigned:
        return SignatureStatus(
            record,
            "superseded",
            f"signed an earlier manifest ({record.manifest_sha256[:16]}…) on "
            f"{record.signed_at}, and has signed this one since",
        )
    if record.manifest_sha256 != current:
        return SignatureStatus(
            record,
            "stale",
            f"signed manifest {record.manifest_sha256[:16]}… on {record.signed_at}, but the "
            f"manifest is now {current[:16]}…: the packet was re-rendered or changed after "
            "signing; the signer must sign again",
        )
    try:
        signature = read_capped(folder / record.file, record.file, cap=_SIG_CAP)
    except ReadRefused as err:
        return SignatureStatus(record, "missing", f"{record.file}: {err.reason}")
    if allowed_signers is None:
        return SignatureStatus(record, "present", f"{record.file} (not verified)")
    from govkit.signing.sshkeygen import check_signature, verify_signer

    key = check_signature(signature, manifest)
    if key is None:
        return SignatureStatus(
            record, "failed", f"{record.file} is not a valid signature of manifest.json"
        )
    if key.fingerprint != record.fingerprint:
        return SignatureStatus(
            record,
            "failed",
            f"{record.file} was made with key {key.fingerprint}, but signatures.json "
            f"records {record.fingerprint}",
        )
    if not verify_signer(signature, manifest, allowed_signers, record.name):
        return SignatureStatus(
            record,
            "not_allowed",
            f"{allowed_signers} does not allow {record.name} to sign with "
            f"{key.key_type} key {key.fingerprint} in the govkit-packet namespace",
        )
    return SignatureStatus(
        record, "valid", f"good signature with {key.key_type} key {key.fingerprint}"
    )


def check_signatures(
    folder: Path,
    records: Sequence[SignatureRecord],
    manifest: bytes,
    *,
    allowed_signers: Path | None = None,
) -> list[SignatureStatus]:
    """The status of every signature of the packet in ``folder``.

    Parameters
    ----------
    folder
        The packet folder.
    records
        Its ``signatures.json`` records.
    manifest
        The bytes of its ``manifest.json``, as verified.
    allowed_signers
        An allowed_signers file already checked with
        :func:`govkit.signing.allowed_signers.read_allowed_signers`; None to
        list the signatures without verifying them.
    """
    current = hashlib.sha256(manifest).hexdigest()
    resigned = {(r.name, r.fingerprint) for r in records if r.manifest_sha256 == current}
    return [_status(folder, r, manifest, current, allowed_signers, resigned) for r in records]
