"""SHA-256 of files, the one fingerprint govkit uses for provenance and manifests."""

from __future__ import annotations

import hashlib
from pathlib import Path

__all__ = ["sha256_file"]

_CHUNK = 1 << 20  # model and data files can be large: never read them whole


def sha256_file(path: Path) -> tuple[str, int]:
    """SHA-256 hex digest and size in bytes of the file at ``path``."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size
