"""privacy.pii: planted personal data is found, masked, and compared with the dataset card."""

from __future__ import annotations

import json
from dataclasses import asdict

import numpy as np
import pandas as pd

from govkit.checks.pii import Pii
from govkit.privacy.checksums import iban_valid, luhn_valid
from govkit.privacy.masking import mask_card, mask_email
from govkit.privacy.pii_scan import scan_column
from tests.checks.privacy_helpers import make_context

EMAILS = ["john.doe@example.com", "ann_lee+x@mail.example.org", "z@corp.io"]
CARDS = ["4111 1111 1111 1111", "5555-5555-5555-4444", "378282246310005"]
BAD_CARD = "4111 1111 1111 1112"  # Luhn-invalid
IBAN = "DE89 3704 0044 0532 0130 00"
BAD_IBAN = "DE88 3704 0044 0532 0130 00"  # wrong check digits


def _frame(n: int = 60) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    notes = np.array(["nothing to see"] * n, dtype=object)
    notes[:3] = [f"contact {e} please" for e in EMAILS]
    notes[3:6] = [f"paid with {c}" for c in CARDS]
    notes[6] = f"ref {BAD_CARD}"
    notes[7] = f"iban {BAD_IBAN}"
    payment = np.array([None] * n, dtype=object)
    payment[:2] = [IBAN, IBAN.replace(" ", "")]
    return pd.DataFrame(
        {
            "notes": notes,
            "payment": payment,
            "city": rng.choice(["Paris", "Lyon"], size=n),
            "age": rng.integers(18, 90, size=n),
        }
    )


def _evidence(documents: dict | None = None):
    frame = _frame()
    ctx = make_context(frame, np.zeros(len(frame)), documents=documents or {})
    check = Pii()
    return check.measure(ctx, check.Params(n_boot=50))


def _card(*declared: str) -> dict:
    return {
        "dataset_card": [
            {
                "sensitive_data": [
                    {
                        "field": f,
                        "category": "financial",
                        "collected_intentionally": True,
                        "handling": "x",
                    }
                    for f in declared
                ]
            }
        ]
    }


def test_planted_emails_and_cards_are_counted_and_masked() -> None:
    evidence = _evidence(_card("notes", "payment"))
    counts = evidence.details["pii_counts"]["eval"]
    assert counts["notes"]["email"] == 3
    assert counts["notes"]["credit_card"] == 3  # the Luhn-invalid one is not counted
    assert counts["payment"]["iban"] == 2
    assert "iban" not in counts["notes"]  # the bad-checksum IBAN is not counted
    assert "city" not in counts
    examples = evidence.details["masked_examples"]["notes"]
    assert "j***@e***.com" in examples["email"]
    assert "**** **** **** 1111" in examples["credit_card"]
    assert all(
        len(v) <= 3
        for per_col in evidence.details["masked_examples"].values()
        for v in per_col.values()
    )
    assert evidence.failures == []
    share = next(m for m in evidence.measurements if m.feature == "notes")
    assert share.value == 6 / 60 and share.n == 60 and share.ci is not None


def test_no_raw_value_anywhere_in_the_evidence() -> None:
    evidence = _evidence()
    payload = json.dumps(asdict(evidence), default=lambda m: m.model_dump())
    raw = [*EMAILS, *CARDS, IBAN, IBAN.replace(" ", ""), "3704", "john", "doe@", "example.com"]
    for value in raw:
        assert value not in payload
    for digits in ["4111111111111111", "5555555555554444", "378282246310005"]:
        assert digits not in payload.replace(" ", "").replace("-", "")


def test_undeclared_columns_fail_declared_ones_do_not() -> None:
    evidence = _evidence(_card("payment"))
    assert len(evidence.failures) == 1
    assert "'notes'" in evidence.failures[0] and "email" in evidence.failures[0]
    assert evidence.details["undeclared_columns_with_pii"] == ["notes"]
    # without any dataset card, every column with personal data is undeclared
    assert len(_evidence().failures) == 2


def test_checksums_reject_look_alikes() -> None:
    assert luhn_valid(np.array(["4111111111111111", "4111111111111112"])).tolist() == [True, False]
    assert iban_valid(np.array(["GB82WEST12345698765432", "GB82WEST12345698765433"])).tolist() == [
        True,
        False,
    ]
    scan = scan_column(
        pd.Series([f"x {BAD_CARD}", f"y {BAD_IBAN}", "0000 0000 0000 0000"], name="ref")
    )
    assert scan.counts == {}


def test_other_kinds_and_dates_of_birth() -> None:
    frame = pd.DataFrame(
        {
            "name": ["A", "B", "C"],
            "signup": ["2020-01-05", "2021-02-06", "n/a"],
            "dob": ["1980-03-07", "07/03/1981", "unknown"],
            "free": [
                "ssn 123-45-6789",
                "from 192.168.10.20",
                "call +1 555-123-4567 or 2001:db8::1",
            ],
        }
    )
    scans = {c: scan_column(frame[c], dates_are_births=c != "free") for c in ["dob", "free"]}
    assert scans["dob"].counts == {"date_of_birth": 2}
    assert scans["free"].counts == {"ssn": 1, "ip_address": 2, "phone": 1}
    # a date beside a name column counts as a birth date; "free" text dates do not
    ctx = make_context(frame, np.zeros(3))
    evidence = Pii().measure(ctx, Pii.Params(n_boot=0))
    assert evidence.details["pii_counts"]["eval"]["signup"] == {"date_of_birth": 2}


def test_maskers_hide_the_value() -> None:
    assert mask_email("john.doe@example.com") == "j***@e***.com"
    assert mask_card("4111-1111-1111-1111") == "**** **** **** 1111"
