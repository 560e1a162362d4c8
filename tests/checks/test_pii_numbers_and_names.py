"""privacy.pii on numeric columns, columns of people's names, and IBAN lengths.

Planted truth: card numbers made valid with their Luhn digit and stored as
integers or floats; phone numbers stored as integers; name columns built from
given and family names, some on govkit's list and some not; IBANs whose
mod-97 check passes at a length their country does not use.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from govkit.checks.pii import Pii
from govkit.privacy.checksums import iban_valid
from govkit.privacy.names import known_names, name_values
from govkit.privacy.pii_scan import scan_column, scan_frame
from govkit.runner.judge import judge
from tests.checks.privacy_helpers import make_context

RARE_GIVEN = ["Ottoline", "Casimir", "Eulalia", "Thaddeus", "Wilhelmina", "Peregrine"]
RARE_FAMILY = ["Quiggly", "Vantongeren", "Oyelaran", "Brzezinski", "Featherstonehaugh", "Abernethy"]
GIVEN = ["John", "Maria", "Wei", "Fatima", "Peter", "Anna", "David", "Olga"]
FAMILY = ["Smith", "Garcia", "Zhang", "Patel", "Muller", "Nguyen", "Rossi", "Ivanov"]


def _with_luhn_digit(body: np.ndarray) -> np.ndarray:
    """Append the check digit that makes each digit string pass Luhn."""
    out = []
    for b in body:  # a test helper; the library's check is vectorised
        digits = [int(c) for c in b][::-1]
        total = sum(
            d if i % 2 else (2 * d - 9 if 2 * d > 9 else 2 * d) for i, d in enumerate(digits)
        )
        out.append(b + str((10 - total % 10) % 10))
    return np.array(out)


def _cards(rng: np.random.Generator, n: int) -> np.ndarray:
    body = np.array(["4" + "".join(map(str, rng.integers(0, 10, size=14))) for _ in range(n)])
    return _with_luhn_digit(body).astype(np.int64)


def test_cards_stored_as_integers_and_floats_are_found_and_masked() -> None:
    rng = np.random.default_rng(41)
    cards = _cards(rng, 50)
    frame = pd.DataFrame(
        {
            "card_int": cards,
            "card_float": cards.astype(np.float64),  # below 2**53: float64 keeps every digit
            "order_id": rng.integers(10**15, 7 * 10**15, size=50),  # random 16 digits
            "amount": rng.normal(100, 20, size=50).round(2),
        }
    )
    scans = {s.column: s for s in scan_frame(frame)}
    assert scans["card_int"].counts == {"credit_card": 50}
    assert scans["card_float"].counts == {"credit_card": 50}
    # about one random id in ten passes Luhn, too few for a column of cards
    assert scans["order_id"].counts == {} and scans["amount"].counts == {}
    masked = scans["card_int"].examples["credit_card"]
    assert all(m.startswith("**** **** ****") for m in masked)
    assert str(cards[0]) not in json.dumps([s.examples for s in scans.values()])
    # undeclared, the check fails on it, naming the column
    evidence = Pii().measure(make_context(frame, np.zeros(50)), Pii.Params())
    assert {"card_int", "card_float"} == set(evidence.details["undeclared_columns_with_pii"])
    assert judge(evidence, []).status == "fail"


def test_phone_numbers_stored_as_integers_in_a_phone_column() -> None:
    rng = np.random.default_rng(42)
    numbers = rng.integers(2_000_000_000, 9_999_999_999, size=40) * 1000 + 49  # 13 digits
    frame = pd.DataFrame({"mobile": numbers, "visits": rng.integers(0, 50, size=40)})
    scans = {s.column: s for s in scan_frame(frame)}
    assert scans["mobile"].counts == {"phone": 40}
    assert scans["mobile"].examples["phone"][0].endswith(str(numbers[0])[-2:])
    assert scans["visits"].counts == {}


def _name_column(rng: np.random.Generator, n: int, listed_share: float) -> pd.Series:
    listed = rng.random(n) < listed_share
    given = np.where(listed, rng.choice(GIVEN, size=n), rng.choice(RARE_GIVEN, size=n))
    family = np.where(listed, rng.choice(FAMILY, size=n), rng.choice(RARE_FAMILY, size=n))
    return pd.Series([f"{g} {f}" for g, f in zip(given, family, strict=True)])


def _is_names(values: pd.Series, column: str) -> bool:
    counts = values.value_counts(sort=False)
    uniques = pd.Series(counts.index.to_numpy(dtype=object), dtype=object)
    return bool(name_values(uniques, counts.to_numpy(), column=column).any())


def test_name_columns_found_by_list_share_or_column_name() -> None:
    """Detection rate over 200 seeded columns per setting: the list's reach and its limits."""
    assert {"john", "smith"} <= known_names()
    assert not {w.lower() for w in RARE_GIVEN + RARE_FAMILY} & known_names()
    rng = np.random.default_rng(43)
    found: dict[tuple[str, float], float] = {}
    for column in ("holder", "customer_name"):
        for share in (0.9, 0.6, 0.2):
            hits = [_is_names(_name_column(rng, 60, share), column) for _ in range(200)]
            found[(column, share)] = float(np.mean(hits))
    # measured: a column named like a name is found whatever its names; another column only
    # when at least half its values carry a listed name (60% listed: found in 94% of columns)
    assert found[("customer_name", 0.2)] == 1.0
    assert found[("holder", 0.9)] == 1.0
    assert found[("holder", 0.6)] > 0.8
    assert found[("holder", 0.2)] == 0.0  # rare names: a false negative, as documented
    # words that are also names do not make a column of names
    race = pd.Series(["White", "Black", "Asian-Pac-Islander", "Other"] * 25, name="race")
    firm = pd.Series(["Smith Holdings", "Acme Logistics", "North Harbour"] * 20, name="client")
    assert scan_column(race).counts == {} and scan_column(firm).counts == {}
    # counts and masked initials only
    scan = scan_column(_name_column(rng, 30, 1.0).rename("full_name"))
    assert scan.counts == {"person_name": 30}
    assert all(part.endswith("***") for m in scan.examples["person_name"] for part in m.split())


def _iban(country: str, bban: str) -> str:
    """An IBAN with correct check digits for any length (ISO 7064 mod 97-10)."""
    moved = bban + country + "00"
    number = int("".join(str(int(c, 36)) for c in moved))
    return f"{country}{98 - number % 97:02d}{bban}"


def test_ibans_have_their_country_length() -> None:
    right = _iban("DE", "370400440532013000")  # 22 characters, as Germany's are
    short = _iban("DE", "37040044053201300")  # 21: passes mod 97, wrong length
    norway = _iban("NO", "86011117947")  # 15, the shortest
    unknown = _iban("ZZ", "370400440532013000")
    assert right == "DE89370400440532013000"
    assert iban_valid(np.array([right, short, norway, unknown])).tolist() == [
        True,
        False,
        True,
        False,
    ]
    scan = scan_column(pd.Series([f"pay to {right}", f"pay to {short}"], name="memo"))
    assert scan.counts == {"iban": 1}
