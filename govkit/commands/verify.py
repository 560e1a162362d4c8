"""``govkit verify``: re-hash a packet against its manifest.json."""

from __future__ import annotations

import sys

from govkit.errors import EXIT_FINDINGS, EXIT_OK

__all__ = ["run_verify"]


def run_verify(directory: str) -> int:
    """Exit 0 when every file matches, 1 naming each missing, altered or extra file.

    A missing folder or manifest raises InputError (exit 2).
    """
    from govkit.render.verify import verify_packet

    result = verify_packet(directory)
    for path in result.missing:
        print(f"{directory}: missing: {path}", file=sys.stderr)
    for path in result.altered:
        print(f"{directory}: altered: {path}", file=sys.stderr)
    for path in result.extra:
        print(f"{directory}: extra: {path} (not in manifest.json)", file=sys.stderr)
    if not result.ok:
        problems = len(result.missing) + len(result.altered) + len(result.extra)
        print(f"packet does not verify: {problems} problem(s) in {result.checked} listed file(s)")
        return EXIT_FINDINGS
    print(f"packet verified: {result.checked} file(s) match manifest.json")
    return EXIT_OK
