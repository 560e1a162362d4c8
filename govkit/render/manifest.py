"""manifest.json: the SHA-256 and size of every file in a packet, and what it was made from.

The manifest lists every file under the packet folder except itself, by its
POSIX path relative to the folder, sorted, so the same packet always gives
the same manifest bytes. Since version 2 it also records the packet's
*inputs* (the SHA-256 of the report, of each document and of govkit.yaml)
and the packet id derived from them, so ``govkit verify`` can check that the
rendered files, the report and the id belong together. A manifest can still
be rewritten by whoever can rewrite the folder; the manifest's own SHA-256,
printed by ``render`` and pinned outside the packet (``verify
--expect-sha256``), is what makes a rewrite detectable.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from govkit.atomic import write_atomic
from govkit.errors import InputError
from govkit.hashing import sha256_file
from govkit.safe_read import ReadRefused, parse_json_bytes, read_capped, report_cap

__all__ = [
    "MANIFEST_NAME",
    "Manifest",
    "ManifestEntry",
    "PacketInput",
    "list_packet_files",
    "load_manifest",
    "manifest_bytes",
    "packet_digests",
    "packet_id_from_digests",
    "pdf_identifier",
    "read_manifest",
    "write_manifest",
]

MANIFEST_NAME = "manifest.json"
MANIFEST_VERSION = 2
_HEX = frozenset("0123456789abcdef")
_EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


@dataclass(frozen=True)
class ManifestEntry:
    """One file of the packet: path relative to the folder, digest and size."""

    path: str
    sha256: str
    bytes: int


@dataclass(frozen=True)
class PacketInput:
    """One input a packet was made from: ``report``, ``document`` or ``config``."""

    role: str
    path: str
    sha256: str


@dataclass(frozen=True)
class Manifest:
    """A parsed manifest: its files, the packet's inputs and id, and its own digest."""

    entries: list[ManifestEntry]
    sha256: str
    version: int
    packet_id: str | None = None
    report_sha256: str | None = None
    inputs: list[PacketInput] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    #: The manifest's bytes as read (what a signature of the packet signs).
    data: bytes = field(default=b"", repr=False, compare=False)


def packet_id_from_digests(digests: Sequence[str]) -> str:
    """The packet id: a short digest over the inputs' SHA-256 digests, in order.

    The order is the report (the digest of no bytes when there is none), each
    document as govkit.yaml lists it, then govkit.yaml (no bytes when absent).
    """
    h = hashlib.sha256()
    for digest in digests:
        h.update(bytes.fromhex(digest))
    text = h.hexdigest()[:12].upper()
    return f"GK-{text[:4]}-{text[4:8]}-{text[8:]}"


def packet_digests(report_sha256: str | None, inputs: Sequence[PacketInput]) -> list[str]:
    """The digests the packet id is derived from, in order (see :func:`packet_id_from_digests`)."""
    docs = [i.sha256 for i in inputs if i.role == "document"]
    config = [i.sha256 for i in inputs if i.role == "config"] or [_EMPTY_SHA256]
    return [report_sha256 or _EMPTY_SHA256, *docs, *config]


def pdf_identifier(html: bytes) -> bytes:
    """The identifier of a packet's PDF: derived from the HTML it was printed from.

    The PDF writes it as the first half of its trailer ``/ID``; ``govkit
    verify`` recomputes it from packet.html, which ties the PDF to the HTML
    and, through the packet id the HTML names, to the report.
    """
    return hashlib.sha256(html).hexdigest()[:32].encode("ascii")


def list_packet_files(folder: Path) -> list[str]:
    """Every file under ``folder`` (POSIX relative paths, sorted), the manifest excepted.

    Symbolic links are listed too (they are never followed into folders), so
    verification notices a file replaced by a link.
    """
    found = []
    for path in folder.rglob("*"):
        if path.is_dir() and not path.is_symlink():
            continue
        rel = path.relative_to(folder).as_posix()
        if rel != MANIFEST_NAME:
            found.append(rel)
    return sorted(found)


def write_manifest(
    folder: Path,
    *,
    report_sha256: str | None = None,
    inputs: Sequence[PacketInput] = (),
    warnings: Sequence[str] = (),
) -> Manifest:
    """Hash every file of the packet in ``folder`` and write ``manifest.json``.

    Parameters
    ----------
    folder
        The packet folder, complete but for its manifest.
    report_sha256
        SHA-256 of the report the packet shows (None for a documents-only packet).
    inputs
        The documents and govkit.yaml the packet was made from, in project order.
    warnings
        Refusals overridden with ``--force``, as shown in the packet.

    Returns
    -------
    Manifest
        What was written, with the manifest's own SHA-256 (for pinning).
    """
    entries = []
    for rel in list_packet_files(folder):
        digest, size = sha256_file(folder / rel)
        entries.append(ManifestEntry(path=rel, sha256=digest, bytes=size))
    data = manifest_bytes(entries, report_sha256=report_sha256, inputs=inputs, warnings=warnings)
    write_atomic(folder / MANIFEST_NAME, data)
    return Manifest(
        entries=entries,
        sha256=hashlib.sha256(data).hexdigest(),
        version=MANIFEST_VERSION,
        packet_id=packet_id_from_digests(packet_digests(report_sha256, inputs)),
        report_sha256=report_sha256,
        inputs=list(inputs),
        warnings=list(warnings),
    )


def manifest_bytes(
    entries: Sequence[ManifestEntry],
    *,
    report_sha256: str | None,
    inputs: Sequence[PacketInput],
    warnings: Sequence[str],
) -> bytes:
    """The bytes of the manifest listing ``entries`` (see :func:`write_manifest`).

    Rendering calls it before writing anything, to know whether a re-render
    keeps the manifest, and so the packet's signatures, as they were.
    """
    packet_id = packet_id_from_digests(packet_digests(report_sha256, inputs))
    body = {
        "manifest_version": MANIFEST_VERSION,
        "algorithm": "sha256",
        "files": [{"path": e.path, "sha256": e.sha256, "bytes": e.bytes} for e in entries],
        "packet": {
            "id": packet_id,
            "report_sha256": report_sha256,
            "inputs": [{"role": i.role, "path": i.path, "sha256": i.sha256} for i in inputs],
            "warnings": list(warnings),
        },
    }
    return (json.dumps(body, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


def _digest(value: object, where: str) -> str:
    if not isinstance(value, str) or len(value) != 64 or not set(value.lower()) <= _HEX:
        raise InputError(f"{where}: sha256 must be 64 hexadecimal characters")
    return value.lower()


def _entry(raw: object, where: str) -> ManifestEntry:
    if not isinstance(raw, dict):
        raise InputError(f"{where}: expected an object with path, sha256 and bytes")
    path, digest, size = raw.get("path"), raw.get("sha256"), raw.get("bytes")
    if not isinstance(path, str) or not path or path.startswith("/") or ".." in path.split("/"):
        raise InputError(f"{where}: path must be a relative path inside the packet, got {path!r}")
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise InputError(f"{where}: bytes must be a non-negative integer")
    return ManifestEntry(path=path, sha256=_digest(digest, where), bytes=size)


def _packet(raw: object, where: str) -> tuple[str, str | None, list[PacketInput], list[str]]:
    if not isinstance(raw, dict):
        raise InputError(f"{where}: expected an object with id, report_sha256 and inputs")
    packet_id, report, inputs, warnings = (
        raw.get("id"),
        raw.get("report_sha256"),
        raw.get("inputs"),
        raw.get("warnings", []),
    )
    if not isinstance(packet_id, str):
        raise InputError(f"{where}.id: expected the packet id as text")
    if not isinstance(inputs, list) or not isinstance(warnings, list):
        raise InputError(f"{where}: inputs and warnings must be lists")
    parsed = []
    for i, item in enumerate(inputs):
        spot = f"{where}.inputs[{i}]"
        if not isinstance(item, dict) or item.get("role") not in ("document", "config"):
            raise InputError(f"{spot}: expected an object with role document or config")
        parsed.append(
            PacketInput(
                role=str(item["role"]),
                path=str(item.get("path", "")),
                sha256=_digest(item.get("sha256"), spot),
            )
        )
    report_sha = None if report is None else _digest(report, f"{where}.report_sha256")
    return packet_id, report_sha, parsed, [str(w) for w in warnings]


def read_manifest(folder: Path) -> list[ManifestEntry]:
    """The files ``manifest.json`` lists; InputError (exit 2) when it is missing or malformed."""
    return load_manifest(folder).entries


def load_manifest(folder: Path) -> Manifest:
    """Read and check ``manifest.json``; InputError (exit 2) when it is missing or malformed."""
    path = folder / MANIFEST_NAME
    try:
        data = read_capped(path, str(path), cap=report_cap())
        raw = parse_json_bytes(data, str(path), what="manifest.json")
    except ReadRefused as err:
        if err.code == "missing" and not path.exists():
            raise InputError(
                f"{path}: no manifest; is {folder} a packet written by govkit render?"
            ) from None
        raise
    if not isinstance(raw, dict) or not isinstance(raw.get("files"), list):
        raise InputError(f"{path}: expected an object with a `files` list")
    if raw.get("algorithm", "sha256") != "sha256":
        raise InputError(f"{path}: unsupported algorithm {raw.get('algorithm')!r}; expected sha256")
    entries = [_entry(e, f"{path}: files[{i}]") for i, e in enumerate(raw["files"])]
    version = raw.get("manifest_version", 1)
    if not isinstance(version, int) or isinstance(version, bool):
        raise InputError(f"{path}: manifest_version must be an integer")
    digest = hashlib.sha256(data).hexdigest()
    if "packet" not in raw:
        return Manifest(entries=entries, sha256=digest, version=version, data=data)
    packet_id, report_sha, inputs, warnings = _packet(raw["packet"], f"{path}: packet")
    return Manifest(
        entries=entries,
        sha256=digest,
        version=version,
        packet_id=packet_id,
        report_sha256=report_sha,
        inputs=inputs,
        warnings=warnings,
        data=data,
    )
