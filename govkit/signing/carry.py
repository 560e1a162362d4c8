"""Carrying a packet's signatures through a re-render, so none is lost or silently dropped.

``govkit render`` replaces a packet folder as a whole. Signatures are not
part of what it renders, so it carries them over byte for byte:
``signatures.json`` and every signature file it names go into the new
folder. Whether they still hold is then a matter of hashes: a re-render
that gives the same manifest keeps them valid; one that changes any file
changes the manifest, and ``govkit verify`` reports every signature of the
old manifest as stale, naming its signer and role.

The sign-off section lists signatures, but a packet cannot show signatures
made over itself (listing them would change the packet and so the manifest
they sign). It lists the signatures that do not cover it: those already
stale before the render, and, when the render changes the packet, those
that this render makes stale. A re-render of unchanged inputs therefore
lists the same rows as before and keeps its manifest, and with it every
valid signature.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from govkit.safe_read import ReadRefused, read_capped, report_cap
from govkit.signing.records import (
    SIGNATURES_NAME,
    SignatureRecord,
    SignatureRow,
    load_signatures,
    signature_rows,
)

__all__ = ["Carried", "read_carried"]

_SIG_CAP = 64 * 1024


@dataclass(frozen=True)
class Carried:
    """The signatures of the packet being replaced, and the manifest they were read beside."""

    manifest_sha256: str | None = None
    records: tuple[SignatureRecord, ...] = ()
    #: File name -> bytes, for signatures.json and each signature file present.
    files: dict[str, bytes] = field(default_factory=dict)

    def stale_before(self) -> tuple[SignatureRow, ...]:
        """The rows of signatures that did not cover the old packet either."""
        return signature_rows(
            [r for r in self.records if r.manifest_sha256 != self.manifest_sha256],
            self.manifest_sha256,
        )

    def all_stale(self) -> tuple[SignatureRow, ...]:
        """Every row, each stale: the render changes the manifest they signed."""
        return signature_rows(self.records, None)

    def current_signers(self) -> list[str]:
        """``name (role)`` of each signature that covers the old packet."""
        return [
            f"{r.name} ({r.role})" if r.role else r.name
            for r in self.records
            if r.manifest_sha256 == self.manifest_sha256
        ]

    @property
    def any_current(self) -> bool:
        """Whether some signature covers the old packet (and so may cover an identical new one)."""
        return any(r.manifest_sha256 == self.manifest_sha256 for r in self.records)


def read_carried(folder: Path) -> Carried:
    """The signatures of the packet in ``folder``; empty when it has none (or no manifest).

    Raises InputError (exit 2) when ``signatures.json`` is malformed, so a
    render never drops records it cannot read.
    """
    from govkit.render.manifest import MANIFEST_NAME  # here: govkit.render imports this module

    records = load_signatures(folder) if folder.is_dir() else []
    if not records and not (folder / SIGNATURES_NAME).is_file():
        return Carried()
    manifest = read_capped(folder / MANIFEST_NAME, cap=report_cap())
    files = {SIGNATURES_NAME: read_capped(folder / SIGNATURES_NAME, cap=4 * 1024 * 1024)}
    for record in records:
        try:
            files[record.file] = read_capped(folder / record.file, cap=_SIG_CAP)
        except ReadRefused as err:
            if not err.unreadable:
                raise
            # a missing signature file stays missing; verify names it
    return Carried(
        manifest_sha256=hashlib.sha256(manifest).hexdigest(),
        records=tuple(records),
        files=files,
    )
