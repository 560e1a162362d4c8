"""``packet.intoto.json``: the packet as an in-toto Statement v1, for supply-chain tools.

The statement's ``subject`` is every file of the packet with its SHA-256,
its ``predicateType`` is :data:`PREDICATE_TYPE`, and its ``predicate``
summarises what the packet decides: the verdict, the report's SHA-256, the
system, the packet id and the number of checks in each status. It is
written from the same bytes as the packet, with sorted keys, so identical
inputs give an identical statement.

The manifest lists the statement, and the statement lists every other file
of the manifest (not itself, not the manifest). The other way round cannot
work both ways: a file cannot hold its own digest, and if the statement
listed the manifest, the manifest could not list the statement. This way
the manifest, and so every signature of it, covers the statement too, and
``govkit verify`` checks that the statement's subjects are exactly the
manifest's other files with the same digests.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = [
    "INTOTO_NAME",
    "PREDICATE_TYPE",
    "STATEMENT_TYPE",
    "statement_bytes",
    "statement_problems",
]

INTOTO_NAME = "packet.intoto.json"
STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
#: The predicate's type: version 1 of govkit's review-packet summary.
PREDICATE_TYPE = "https://govkit.dev/packet/v1"


def statement_bytes(
    files: Mapping[str, str],
    *,
    packet_id: str,
    system_name: str,
    system_version: str,
    verdict: str,
    report_sha256: str | None,
    counts: Sequence[tuple[str, int]],
    govkit_version: str,
) -> bytes:
    """The statement for a packet whose files (path -> SHA-256) are ``files``.

    ``files`` must not hold the statement itself or the manifest.
    """
    body: dict[str, Any] = {
        "_type": STATEMENT_TYPE,
        "subject": [{"name": name, "digest": {"sha256": files[name]}} for name in sorted(files)],
        "predicateType": PREDICATE_TYPE,
        "predicate": {
            "packet": {"id": packet_id},
            "system": {"name": system_name, "version": system_version},
            "verdict": verdict,
            "report": None
            if report_sha256 is None
            else {"name": "report.json", "digest": {"sha256": report_sha256}},
            "counts": dict(counts),
            "generator": {"name": "govkit", "version": govkit_version},
        },
    }
    return (json.dumps(body, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


def statement_problems(
    data: bytes, files: Mapping[str, str], *, packet_id: str | None, report_sha256: str | None
) -> list[str]:
    """What in the statement ``data`` disagrees with the manifest's files, id and report."""
    where = INTOTO_NAME
    try:
        body = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as err:
        return [f"{where}: not JSON ({err})"]
    if not isinstance(body, dict):
        return [f"{where}: expected an in-toto statement object"]
    problems = []
    if body.get("_type") != STATEMENT_TYPE:
        problems.append(f"{where}: _type is {body.get('_type')!r}, expected {STATEMENT_TYPE}")
    if body.get("predicateType") != PREDICATE_TYPE:
        problems.append(f"{where}: predicateType is not {PREDICATE_TYPE}")
    subjects: dict[str, object] = {}
    for item in body.get("subject") or []:
        if isinstance(item, dict) and isinstance(item.get("name"), str):
            digest = item.get("digest")
            subjects[item["name"]] = digest.get("sha256") if isinstance(digest, dict) else None
    for name in sorted(files.keys() - subjects.keys()):
        problems.append(f"{where}: does not list {name}")
    for name in sorted(subjects.keys() - files.keys()):
        problems.append(f"{where}: lists {name}, which the manifest does not")
    for name in sorted(files.keys() & subjects.keys()):
        if subjects[name] != files[name]:
            problems.append(f"{where}: the SHA-256 of {name} differs from the manifest's")
    predicate = body.get("predicate")
    if not isinstance(predicate, dict):
        return [*problems, f"{where}: no predicate"]
    packet = predicate.get("packet")
    if packet_id is not None and (not isinstance(packet, dict) or packet.get("id") != packet_id):
        problems.append(f"{where}: does not name packet {packet_id}")
    report = predicate.get("report")
    digest = report.get("digest") if isinstance(report, dict) else None
    stated = digest.get("sha256") if isinstance(digest, dict) else None
    if stated != report_sha256:
        problems.append(f"{where}: names another report than the manifest")
    return problems
