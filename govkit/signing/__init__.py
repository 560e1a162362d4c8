"""Packet signatures and the packet's in-toto statement.

A review-board member approves a packet by signing its ``manifest.json``
with an SSH key, in the signature format git uses for commit signing
(SSHSIG, namespace :data:`NAMESPACE`). The manifest holds the SHA-256 of
every packet file, so one signature covers the whole packet. Signatures are
detached: they sit beside the manifest (``manifest.json.sig`` and
``manifest.json.<n>-<name>.sig``), described by ``signatures.json``, and are
never listed in the manifest they sign.

- :mod:`govkit.signing.sshkeygen` runs ``ssh-keygen``, the one place a key is
  used or a signature checked (govkit does no cryptography of its own);
- :mod:`govkit.signing.allowed_signers` reads an allowed_signers file, with
  each syntax error located to its line;
- :mod:`govkit.signing.records` reads and writes ``signatures.json``;
- :mod:`govkit.signing.sign` signs a packet; :mod:`govkit.signing.check`
  checks its signatures;
- :mod:`govkit.signing.intoto` writes and checks ``packet.intoto.json``.
"""

from __future__ import annotations

__all__ = ["NAMESPACE"]

#: The SSHSIG namespace: a signature made for a packet cannot pass as a git commit's.
NAMESPACE = "govkit-packet"
