"""``govkit sign``: sign a packet's manifest with an SSH key and record the signer."""

from __future__ import annotations

from govkit.errors import EXIT_OK
from govkit.output import diagnostic, result

__all__ = ["run_sign"]


def run_sign(directory: str, *, key: str, role: str, name: str | None) -> int:
    """Exit 0 once the signature and its record are written.

    A missing, encrypted (without an agent) or unsupported key, or a packet
    that does not verify, raises InputError (exit 2) and writes nothing.
    """
    from govkit.signing.sign import sign_packet

    record = sign_packet(directory, key, role=role, name=name)
    result(f"{directory}/{record.file}")
    diagnostic(
        f"signed manifest {record.manifest_sha256} as {record.name}"
        + (f" ({record.role})" if record.role else "")
        + f" with {record.key_type} key {record.fingerprint}"
    )
    diagnostic(
        "check with: ssh-keygen -Y verify -n govkit-packet -f allowed_signers "
        f"-I {record.name} -s {record.file} < manifest.json"
    )
    return EXIT_OK
