"""``govkit verify``: re-hash a packet against its manifest.json."""

from __future__ import annotations

from govkit.errors import EXIT_FINDINGS, EXIT_OK
from govkit.output import diagnostic, result

__all__ = ["run_verify"]


def run_verify(directory: str, *, expect_sha256: str | None = None) -> int:
    """Exit 0 when the packet verifies, 1 naming each problem.

    Every listed file must match, nothing may be added, the parts must agree
    with each other, and, with ``expect_sha256``, the manifest must be the one
    ``govkit render`` printed. A missing folder or manifest raises InputError
    (exit 2).
    """
    from govkit.render.verify import verify_packet

    outcome = verify_packet(directory, expected_sha256=expect_sha256)
    for path in outcome.missing:
        diagnostic(f"{directory}: missing: {path}")
    for path in outcome.altered:
        diagnostic(f"{directory}: altered: {path}")
    for path in outcome.extra:
        diagnostic(f"{directory}: extra: {path} (not in manifest.json)")
    for problem in outcome.inconsistent:
        diagnostic(f"{directory}: inconsistent: {problem}")
    if outcome.pinned_ok is False:
        diagnostic(
            f"{directory}: manifest.json has SHA-256 {outcome.manifest_sha256}, "
            f"not the expected {outcome.expected_sha256}: the packet was changed or re-rendered"
        )
    result(f"manifest sha256: {outcome.manifest_sha256}")
    if not outcome.ok:
        problems = (
            len(outcome.missing)
            + len(outcome.altered)
            + len(outcome.extra)
            + len(outcome.inconsistent)
            + (outcome.pinned_ok is False)
        )
        result(f"packet does not verify: {problems} problem(s) in {outcome.checked} listed file(s)")
        return EXIT_FINDINGS
    result(f"packet verified: {outcome.checked} file(s) match manifest.json")
    if outcome.pinned_ok is None:
        diagnostic(
            "note: only the manifest vouches for these files; pass --expect-sha256 with the "
            "hash `govkit render` printed to detect a rewritten manifest"
        )
    return EXIT_OK
