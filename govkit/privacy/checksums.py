"""Checksums that separate real card numbers and IBANs from look-alike digit runs.

A regular expression finds sixteen digits; only the Luhn check says whether
they can be a payment card, and only the ISO 7064 mod-97 check, with the
length the IBAN registry sets for the country, whether a string can be an
IBAN (mod 97 alone passes one random string in 97). Both run on whole arrays at once: the strings become a
fixed-width byte matrix and the loop runs over character positions (at most
34), never over rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["IBAN_LENGTHS", "iban_valid", "luhn_valid"]

_CARD_WIDTH = 19  # longest payment card number (ISO/IEC 7812)
_IBAN_WIDTH = 34  # longest IBAN (ISO 13616)

#: country code -> IBAN length, from the SWIFT IBAN registry; a country not listed
#: here is not accepted (its strings are reported as no IBAN: a false negative)
IBAN_LENGTHS: dict[str, int] = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22,
    "BH": 22, "BI": 27, "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24,
    "DE": 22, "DJ": 27, "DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24, "FI": 18,
    "FK": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27,
    "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27,
    "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20,
    "LV": 21, "LY": 25, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MN": 20, "MR": 27,
    "MT": 31, "MU": 30, "NI": 28, "NL": 18, "NO": 15, "OM": 23, "PK": 24, "PL": 28,
    "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "RU": 33, "SA": 24, "SC": 31,
    "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25, "SV": 28,
    "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
}  # fmt: skip


def _byte_matrix(values: np.ndarray, width: int) -> np.ndarray:
    """(N, width) uint8 matrix of ASCII strings, right-aligned with leading '0'."""
    padded = np.char.zfill(np.asarray(values, dtype=f"U{width}"), width).astype(f"S{width}")
    matrix = np.frombuffer(padded.tobytes(), dtype=np.uint8).reshape(-1, width)
    return matrix.astype(np.int64)


def luhn_valid(digits: np.ndarray) -> np.ndarray:
    """Whether each digit string passes the Luhn check (ISO/IEC 7812-1).

    Parameters
    ----------
    digits
        1-D array of strings of ASCII digits, at most 19 long.

    Returns
    -------
    numpy.ndarray
        Boolean array, False for strings with any non-digit or of the wrong length.

    Examples
    --------
    >>> luhn_valid(np.array(["4111111111111111", "4111111111111112"])).tolist()
    [True, False]
    """
    values = pd.Series(np.asarray(digits, dtype=object), dtype=object).astype(str)
    if values.empty:
        return np.zeros(0, dtype=bool)
    ok_shape = values.str.fullmatch(r"[0-9]{1,19}").to_numpy(dtype=bool)
    # leading zeros add nothing to the Luhn sum, so left-padding keeps the answer
    safe = np.where(ok_shape, values.to_numpy(dtype=str), "0")
    d = _byte_matrix(safe, _CARD_WIDTH) - ord("0")
    # double every second digit counting from the rightmost (check) digit
    doubled = d[:, _CARD_WIDTH - 2 :: -2] * 2
    doubled = np.where(doubled > 9, doubled - 9, doubled)
    total = d[:, _CARD_WIDTH - 1 :: -2].sum(axis=1) + doubled.sum(axis=1)
    return ok_shape & (total % 10 == 0)


def iban_valid(ibans: np.ndarray) -> np.ndarray:
    """Whether each string is an IBAN: its country's length and a correct mod-97 check (ISO 13616).

    Parameters
    ----------
    ibans
        1-D array of strings without spaces, e.g. ``"GB82WEST12345698765432"``;
        lower case is accepted.

    Returns
    -------
    numpy.ndarray
        Boolean array; False for anything not shaped like an IBAN, of another
        length than its country's, or of a country without IBANs.

    Examples
    --------
    >>> iban_valid(np.array(["GB82WEST12345698765432", "GB83WEST12345698765432"])).tolist()
    [True, False]
    """
    values = pd.Series(np.asarray(ibans, dtype=object), dtype=object).astype(str).str.upper()
    if values.empty:
        return np.zeros(0, dtype=bool)
    shaped = values.str.fullmatch(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}").to_numpy(dtype=bool)
    expected = values.str.slice(0, 2).map(IBAN_LENGTHS).to_numpy(dtype=np.float64, na_value=np.nan)
    ok_shape = shaped & (values.str.len().to_numpy(dtype=np.float64) == expected)
    safe = values.where(ok_shape, "AA00000000000000")
    # move country code and check digits to the end, as the standard prescribes
    rearranged = (safe.str.slice(4) + safe.str.slice(0, 4)).to_numpy(dtype=str)
    m = _byte_matrix(rearranged, _IBAN_WIDTH)
    is_letter = m >= ord("A")
    value = np.where(is_letter, m - ord("A") + 10, m - ord("0"))
    rem = np.zeros(len(values), dtype=np.int64)
    for j in range(_IBAN_WIDTH):  # over character positions, not rows
        rem = np.where(is_letter[:, j], rem * 100 + value[:, j], rem * 10 + value[:, j]) % 97
    return ok_shape & (rem == 1)
