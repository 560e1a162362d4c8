"""Re-hashing a packet against its manifest, and checking that its parts belong together.

Three layers, each catching more:

1. every file the manifest lists has its SHA-256 and size, and nothing else is
   in the folder;
2. the packet's parts agree (manifest version 2): the packet id re-derives
   from the input digests the manifest lists, report.json is the report those
   digests name, packet.html and report.md name that id, and packet.pdf's
   identifier is derived from packet.html. This catches a packet mixed from
   two renders, a report swapped in, and an edited packet.html whose manifest
   was rewritten to match (the PDF no longer fits it);
3. the manifest's own SHA-256 equals the one printed by ``govkit render``
   (``expected_sha256``). Only this catches someone who edits a file and
   rewrites the manifest to match, because it is kept outside the packet.

Signatures (``signatures.json`` and the signature files it names) sit beside
the manifest without being listed in it; they are not "extra" files. Their
records come back in :attr:`VerifyResult.signatures`, for
:func:`govkit.signing.check.check_signatures` to judge.
"""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass, field
from pathlib import Path

from govkit.errors import InputError
from govkit.hashing import sha256_file
from govkit.render.manifest import (
    Manifest,
    list_packet_files,
    load_manifest,
    packet_digests,
    packet_id_from_digests,
    pdf_identifier,
)
from govkit.signing.intoto import INTOTO_NAME, statement_problems
from govkit.signing.records import SIGNATURES_NAME, SignatureRecord, load_signatures

__all__ = ["VerifyResult", "verify_packet"]

# Where each rendered file states the packet id (see the templates); bytes, as read.
_ID_MARKS = {
    "packet.html": '<meta name="govkit-packet-id" content="{id}">',
    "report.md": "- **Packet:** {id}",
}
_READ_CAP = 256 * 1024 * 1024
_PDF_ID = re.compile(rb"/ID\s*\[\s*(?:\((?P<literal>[^)]*)\)|<(?P<hex>[0-9A-Fa-f]*)>)")


@dataclass(frozen=True)
class VerifyResult:
    """What differs between a packet folder and its manifest."""

    checked: int
    missing: list[str] = field(default_factory=list)
    altered: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    inconsistent: list[str] = field(default_factory=list)
    manifest_sha256: str = ""
    expected_sha256: str | None = None
    packet_id: str | None = None
    #: The manifest's bytes, as hashed (for checking signatures against them).
    manifest_data: bytes = field(default=b"", repr=False)
    #: The records of signatures.json (not judged here: see govkit.signing.check).
    signatures: list[SignatureRecord] = field(default_factory=list)

    @property
    def pinned_ok(self) -> bool | None:
        """Whether the manifest is the one pinned (None when no hash was given)."""
        if self.expected_sha256 is None:
            return None
        return hmac.compare_digest(self.manifest_sha256, self.expected_sha256)

    @property
    def ok(self) -> bool:
        """True when every file matches, nothing was added, the parts agree and the pin holds."""
        files_ok = not (self.missing or self.altered or self.extra or self.inconsistent)
        return files_ok and self.pinned_ok is not False


def _read(path: Path) -> bytes:
    with path.open("rb") as fh:
        return fh.read(_READ_CAP)


def _pdf_identifier(pdf: bytes) -> bytes | None:
    """The first half of the PDF's trailer /ID, as a literal or a hex string; None if absent."""
    matches = list(_PDF_ID.finditer(pdf))
    if not matches:
        return None
    last = matches[-1]  # an updated PDF has several trailers; the last one counts
    if last.group("hex") is None:
        return last.group("literal")
    try:
        return bytes.fromhex(last.group("hex").decode("ascii"))
    except ValueError:
        return None


def _contains(path: Path, needle: str) -> bool:
    return needle.encode("utf-8") in _read(path)


def _consistency(root: Path, manifest: Manifest) -> list[str]:
    """What in the packet disagrees with the packet id and report digest the manifest records."""
    if manifest.packet_id is None:
        return []
    problems = []
    derived = packet_id_from_digests(packet_digests(manifest.report_sha256, manifest.inputs))
    if derived != manifest.packet_id:
        problems.append(
            f"manifest.json: packet id {manifest.packet_id} does not derive from the "
            f"inputs it lists (they give {derived})"
        )
    listed = {e.path: e for e in manifest.entries}
    report = listed.get("report.json")
    if manifest.report_sha256 is not None and (
        report is None or report.sha256 != manifest.report_sha256
    ):
        problems.append("report.json: not the report the packet was rendered from")
    for name, mark in _ID_MARKS.items():
        path = root / name
        present = name in listed and path.is_file() and not path.is_symlink()
        if present and not _contains(path, mark.format(id=manifest.packet_id)):
            problems.append(f"{name}: does not name packet {manifest.packet_id}")
    html, pdf = root / "packet.html", root / "packet.pdf"
    both = {"packet.html", "packet.pdf"} <= listed.keys() and html.is_file() and pdf.is_file()
    # the PDF's /ID is derived from the HTML it was printed from
    if both and _pdf_identifier(_read(pdf)) != pdf_identifier(_read(html)):
        problems.append("packet.pdf: was not printed from this packet.html")
    return problems + _statement(root, manifest)


def _statement(root: Path, manifest: Manifest) -> list[str]:
    """What in packet.intoto.json disagrees with the manifest (nothing when it is absent)."""
    listed = {e.path: e.sha256 for e in manifest.entries}
    path = root / INTOTO_NAME
    if INTOTO_NAME not in listed or path.is_symlink() or not path.is_file():
        return []
    others = {name: digest for name, digest in listed.items() if name != INTOTO_NAME}
    return statement_problems(
        _read(path), others, packet_id=manifest.packet_id, report_sha256=manifest.report_sha256
    )


def verify_packet(folder: str | Path, *, expected_sha256: str | None = None) -> VerifyResult:
    """Compare every file of a packet with ``manifest.json``, and the parts with each other.

    Parameters
    ----------
    folder
        The packet folder.
    expected_sha256
        The manifest's SHA-256 as ``govkit render`` printed it, pinned outside
        the packet; the packet verifies only if the manifest is that one.

    Raises
    ------
    InputError
        When the folder or its manifest is missing or unreadable, or the
        expected hash is not a SHA-256 (exit 2).
    """
    root = Path(folder)
    if expected_sha256 is not None:
        expected_sha256 = expected_sha256.strip().lower()
        if len(expected_sha256) != 64 or not set(expected_sha256) <= set("0123456789abcdef"):
            raise InputError(
                f"--expect-sha256 {expected_sha256!r}: expected 64 hexadecimal characters, "
                "the manifest SHA-256 that `govkit render` printed"
            )
    if not root.is_dir():
        raise InputError(f"{root}: no such packet folder")
    manifest = load_manifest(root)
    entries = manifest.entries
    listed = {e.path for e in entries}
    missing: list[str] = []
    altered: list[str] = []
    for e in entries:
        path = root / e.path
        if path.is_symlink() or not path.is_file():
            (altered if path.is_symlink() else missing).append(e.path)
            continue
        digest, size = sha256_file(path)
        if digest != e.sha256 or size != e.bytes:
            altered.append(e.path)
    signatures = load_signatures(root)
    detached = {SIGNATURES_NAME, *(r.file for r in signatures)} - listed
    extra = [p for p in list_packet_files(root) if p not in listed and p not in detached]
    return VerifyResult(
        checked=len(entries),
        missing=sorted(missing),
        altered=sorted(altered),
        extra=extra,
        inconsistent=_consistency(root, manifest),
        manifest_sha256=manifest.sha256,
        expected_sha256=expected_sha256,
        packet_id=manifest.packet_id,
        manifest_data=manifest.data,
        signatures=signatures,
    )
