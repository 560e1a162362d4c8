"""Re-hashing a packet against its manifest."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from govkit.errors import InputError
from govkit.hashing import sha256_file
from govkit.render.manifest import list_packet_files, read_manifest

__all__ = ["VerifyResult", "verify_packet"]


@dataclass(frozen=True)
class VerifyResult:
    """What differs between a packet folder and its manifest."""

    checked: int
    missing: list[str] = field(default_factory=list)
    altered: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every file matches and nothing was added."""
        return not (self.missing or self.altered or self.extra)


def verify_packet(folder: str | Path) -> VerifyResult:
    """Compare every file of a packet with ``manifest.json``.

    Raises
    ------
    InputError
        When the folder or its manifest is missing or unreadable (exit 2).
    """
    root = Path(folder)
    if not root.is_dir():
        raise InputError(f"{root}: no such packet folder")
    entries = read_manifest(root)
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
    extra = [p for p in list_packet_files(root) if p not in listed]
    return VerifyResult(
        checked=len(entries), missing=sorted(missing), altered=sorted(altered), extra=extra
    )
