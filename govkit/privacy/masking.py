"""Masking personal data so a report can show what was found without leaking it.

A reviewer needs to see that a finding is real (an address, a card number),
not the value itself. Each masker keeps only what is already public or too
little to identify anyone: the first letter of a mailbox and of its domain,
the top-level domain, the last four digits of a card, the country of an IBAN.
"""

from __future__ import annotations

import re
from collections.abc import Callable

__all__ = [
    "MASKERS",
    "mask_card",
    "mask_date",
    "mask_email",
    "mask_iban",
    "mask_ip",
    "mask_name",
    "mask_phone",
    "mask_ssn",
]

_DIGIT = re.compile(r"[0-9]")
_ALNUM = re.compile(r"[0-9A-Za-z]")


def mask_email(value: str) -> str:
    """``john.doe@example.com`` -> ``j***@e***.com``."""
    local, _, domain = value.partition("@")
    head, dot, tld = domain.rpartition(".")
    if not dot:
        head, tld = domain, ""
    masked_domain = f"{head[:1]}***" + (f".{tld}" if tld else "")
    return f"{local[:1]}***@{masked_domain}"


def mask_card(value: str) -> str:
    """``4111 1111 1111 1111`` -> ``**** **** **** 1111``: only the last four digits."""
    digits = re.sub(r"[^0-9]", "", value)
    hidden = len(digits) - 4
    groups = ["****"] * (hidden // 4) + (["*" * (hidden % 4)] if hidden % 4 else [])
    return " ".join([*groups, digits[-4:]])


def mask_iban(value: str) -> str:
    """``DE89 3704 0044 0532 0130 00`` -> ``DE** **** **** **** **** 00``: country and last two."""
    compact = re.sub(r"\s", "", value).upper()
    masked = compact[:2] + "*" * (len(compact) - 4) + compact[-2:]
    return " ".join(masked[i : i + 4] for i in range(0, len(masked), 4))


def mask_phone(value: str) -> str:
    """``+1 555-123-4567`` -> ``+* ***-***-**67``: the shape and the last two digits."""
    digits = _DIGIT.findall(value)
    keep = max(len(digits) - 2, 0)
    out, seen = [], 0
    for ch in value:
        if ch.isdigit():
            out.append("*" if seen < keep else ch)
            seen += 1
        else:
            out.append(ch)
    return "".join(out)


def mask_ssn(value: str) -> str:
    """``123-45-6789`` -> ``***-**-****``: nothing of a national id number is shown."""
    return _DIGIT.sub("*", value)


def mask_ip(value: str) -> str:
    """``192.168.10.20`` -> ``192.*.*.*``; ``2001:db8::1`` -> ``2001:*``."""
    if ":" in value:
        return value.split(":", 1)[0] + ":*"
    first = value.split(".", 1)[0]
    return f"{first}.*.*.*"


def mask_date(value: str) -> str:
    """``1984-03-07`` -> ``****-**-**``: a birth date is identifying in every part."""
    return _ALNUM.sub("*", value)


def mask_name(value: str) -> str:
    """``John Smith`` -> ``J*** S***``: the initial of each word."""
    return " ".join(f"{w[:1]}***" for w in value.replace(",", " ").split())


#: PII kind -> masker applied to each matched value
MASKERS: dict[str, Callable[[str], str]] = {
    "email": mask_email,
    "phone": mask_phone,
    "credit_card": mask_card,
    "iban": mask_iban,
    "ssn": mask_ssn,
    "ip_address": mask_ip,
    "date_of_birth": mask_date,
    "person_name": mask_name,
}
