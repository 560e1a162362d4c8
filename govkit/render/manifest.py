"""manifest.json: the SHA-256 and size of every file in a packet.

The manifest lists every file under the packet folder except itself, by its
POSIX path relative to the folder, sorted, so the same packet always gives
the same manifest bytes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from govkit.errors import InputError
from govkit.hashing import sha256_file
from govkit.safe_read import ReadRefused, load_json_capped, report_cap

__all__ = [
    "MANIFEST_NAME",
    "ManifestEntry",
    "list_packet_files",
    "read_manifest",
    "write_manifest",
]

MANIFEST_NAME = "manifest.json"
MANIFEST_VERSION = 1


@dataclass(frozen=True)
class ManifestEntry:
    """One file of the packet: path relative to the folder, digest and size."""

    path: str
    sha256: str
    bytes: int


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


def write_manifest(folder: Path) -> list[ManifestEntry]:
    """Hash every file of the packet in ``folder`` and write ``manifest.json``."""
    entries = []
    for rel in list_packet_files(folder):
        digest, size = sha256_file(folder / rel)
        entries.append(ManifestEntry(path=rel, sha256=digest, bytes=size))
    body = {
        "manifest_version": MANIFEST_VERSION,
        "algorithm": "sha256",
        "files": [{"path": e.path, "sha256": e.sha256, "bytes": e.bytes} for e in entries],
    }
    text = json.dumps(body, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    (folder / MANIFEST_NAME).write_text(text, encoding="utf-8")
    return entries


def _entry(raw: object, where: str) -> ManifestEntry:
    if not isinstance(raw, dict):
        raise InputError(f"{where}: expected an object with path, sha256 and bytes")
    path, digest, size = raw.get("path"), raw.get("sha256"), raw.get("bytes")
    if not isinstance(path, str) or not path or path.startswith("/") or ".." in path.split("/"):
        raise InputError(f"{where}: path must be a relative path inside the packet, got {path!r}")
    if not isinstance(digest, str) or len(digest) != 64:
        raise InputError(f"{where}: sha256 must be 64 hexadecimal characters")
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise InputError(f"{where}: bytes must be a non-negative integer")
    return ManifestEntry(path=path, sha256=digest.lower(), bytes=size)


def read_manifest(folder: Path) -> list[ManifestEntry]:
    """Read and check ``manifest.json``; InputError (exit 2) when it is missing or malformed."""
    path = folder / MANIFEST_NAME
    try:
        raw = load_json_capped(path, cap=report_cap(), what="manifest.json")
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
    return [_entry(e, f"{path}: files[{i}]") for i, e in enumerate(raw["files"])]
