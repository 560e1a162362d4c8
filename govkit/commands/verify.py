"""``govkit verify``: re-hash a packet against its manifest.json, and check its signatures."""

from __future__ import annotations

from pathlib import Path

from govkit.errors import EXIT_FINDINGS, EXIT_OK
from govkit.output import diagnostic, result

__all__ = ["run_verify"]


def run_verify(
    directory: str, *, expect_sha256: str | None = None, allowed_signers: str | None = None
) -> int:
    """Exit 0 when the packet verifies, 1 naming each problem.

    Every listed file must match, nothing may be added, the parts must agree
    with each other, and, with ``expect_sha256``, the manifest must be the one
    ``govkit render`` printed. Every signature must cover the current
    manifest (else it is stale); with ``allowed_signers`` each must also be
    sound and allowed. A missing folder or manifest, or a malformed
    allowed_signers file, raises InputError (exit 2).
    """
    from govkit.render.verify import verify_packet
    from govkit.signing.check import check_signatures

    allowed = None
    if allowed_signers is not None:
        from govkit.signing.allowed_signers import read_allowed_signers

        read_allowed_signers(allowed_signers)  # a syntax error is exit 2, before any check
        allowed = Path(allowed_signers)
    outcome = verify_packet(directory, expected_sha256=expect_sha256)
    statuses = check_signatures(
        Path(directory), outcome.signatures, outcome.manifest_data, allowed_signers=allowed
    )
    bad_signatures = [s for s in statuses if not s.ok]
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
    for status in statuses:
        line = f"{directory}: signature {status.state.replace('_', ' ')}: {status.who}: {status.detail}"
        (result if status.ok else diagnostic)(line)
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
    if bad_signatures:
        result(
            f"signatures do not hold: {len(bad_signatures)} of {len(statuses)} "
            f"({', '.join(s.who for s in bad_signatures)})"
        )
        return EXIT_FINDINGS
    if statuses and allowed is None:
        diagnostic(
            f"note: {len(statuses)} signature(s) present but not verified; pass "
            "--allowed-signers FILE to check who signed"
        )
    elif statuses:
        valid = [s for s in statuses if s.state == "valid"]
        result(
            f"signatures verified: {len(valid)} allowed by {allowed}"
            + (f" ({len(statuses) - len(valid)} superseded)" if len(valid) < len(statuses) else "")
        )
    if outcome.pinned_ok is None:
        diagnostic(
            "note: only the manifest vouches for these files; pass --expect-sha256 with the "
            "hash `govkit render` printed to detect a rewritten manifest"
        )
    return EXIT_OK
