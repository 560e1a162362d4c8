"""``govkit verify``: re-hash a packet against its manifest.json."""

from __future__ import annotations

import sys

from govkit.errors import EXIT_FINDINGS, EXIT_OK

__all__ = ["run_verify"]


def run_verify(directory: str, *, expect_sha256: str | None = None) -> int:
    """Exit 0 when the packet verifies, 1 naming each problem.

    Every listed file must match, nothing may be added, the parts must agree
    with each other, and, with ``expect_sha256``, the manifest must be the one
    ``govkit render`` printed. A missing folder or manifest raises InputError
    (exit 2).
    """
    from govkit.render.verify import verify_packet

    result = verify_packet(directory, expected_sha256=expect_sha256)
    for path in result.missing:
        print(f"{directory}: missing: {path}", file=sys.stderr)
    for path in result.altered:
        print(f"{directory}: altered: {path}", file=sys.stderr)
    for path in result.extra:
        print(f"{directory}: extra: {path} (not in manifest.json)", file=sys.stderr)
    for problem in result.inconsistent:
        print(f"{directory}: inconsistent: {problem}", file=sys.stderr)
    if result.pinned_ok is False:
        print(
            f"{directory}: manifest.json has SHA-256 {result.manifest_sha256}, "
            f"not the expected {result.expected_sha256}: the packet was changed or re-rendered",
            file=sys.stderr,
        )
    print(f"manifest sha256: {result.manifest_sha256}")
    if not result.ok:
        problems = (
            len(result.missing)
            + len(result.altered)
            + len(result.extra)
            + len(result.inconsistent)
            + (result.pinned_ok is False)
        )
        print(f"packet does not verify: {problems} problem(s) in {result.checked} listed file(s)")
        return EXIT_FINDINGS
    print(f"packet verified: {result.checked} file(s) match manifest.json")
    if result.pinned_ok is None:
        print(
            "note: only the manifest vouches for these files; pass --expect-sha256 with the "
            "hash `govkit render` printed to detect a rewritten manifest",
            file=sys.stderr,
        )
    return EXIT_OK
